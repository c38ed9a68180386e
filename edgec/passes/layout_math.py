"""Index algebra of transposes and reshapes, used by transpose sinking (pure functions)."""
from __future__ import annotations


def _nonunit(shape) -> list[int]:
    return [d for d in shape if d != 1]


def reshape_before_transpose(a_shape: tuple[int, ...], perm: tuple[int, ...], out_shape: tuple[int, ...]):
    """(m, q) with reshape(transpose(x, perm), out_shape) == transpose(reshape(x, m), q), or None.

    The non-unit dims of transpose(x) and of out_shape are split into minimal blocks of equal
    size; it works when each block's dims come from consecutive dims of x, in order. m lists the
    blocks' output dims in x's order, then the unit dims out_shape has; q puts them in place.
    """
    b_shape = tuple(a_shape[d] for d in perm)
    if 0 in a_shape or 0 in out_shape:
        return None
    src = [perm[i] for i, n in enumerate(b_shape) if n != 1]        # x dim of each non-unit dim
    rdims = _nonunit(out_shape)
    blocks = _blocks([a_shape[d] for d in src], rdims)
    if blocks is None:
        return None
    slot = {d: k for k, d in enumerate(d for d in range(len(a_shape)) if a_shape[d] != 1)}
    starts = []
    for (b0, b1), _ in blocks:
        ks = [slot[src[i]] for i in range(b0, b1)]
        if ks != list(range(ks[0], ks[0] + len(ks))):
            return None
        starts.append(ks[0])
    m: list[int] = []
    where: dict[int, int] = {}                                        # out non-unit index -> m index
    for k in sorted(range(len(blocks)), key=lambda k: starts[k]):
        r0, r1 = blocks[k][1]
        where.update({r0 + o: len(m) + o for o in range(r1 - r0)})
        m.extend(rdims[r0:r1])
    q, unit, j = [], len(m), 0
    for d in out_shape:
        if d != 1:
            q.append(where[j])
            j += 1
        else:
            q.append(unit)
            unit += 1
    return tuple(m) + (1,) * (unit - len(m)), tuple(q)


def _blocks(bdims: list[int], rdims: list[int]):
    """Minimal runs ((b0, b1), (r0, r1)) with prod(bdims[b0:b1]) == prod(rdims[r0:r1]) (all > 1)."""
    blocks, i, j = [], 0, 0
    while i < len(bdims) or j < len(rdims):
        if i >= len(bdims) or j >= len(rdims):
            return None
        i0, j0, pb, pr = i, j, bdims[i], rdims[j]
        i, j = i + 1, j + 1
        while pb != pr:
            if pb < pr and i < len(bdims):
                pb, i = pb * bdims[i], i + 1
            elif pr < pb and j < len(rdims):
                pr, j = pr * rdims[j], j + 1
            else:
                return None
        blocks.append(((i0, i), (j0, j)))
    return blocks


def is_relabel(shape: tuple[int, ...], perm: tuple[int, ...]) -> bool:
    """True when transposing by perm keeps the order of the non-unit dims (a pure reshape)."""
    order = [d for d in perm if shape[d] != 1]
    return order == sorted(order)
