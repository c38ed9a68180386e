"""Transpose sinking: moves transposes towards the graph outputs until they meet and cancel.

After the layout pass every NHWC op sits between transpose(0,2,3,1) and transpose(0,3,1,2). A
transpose T (perm p, input a, output b) moves below its consumers when every consumer can take
it: a transpose consumer merges with it (perm composition); an op with a `permute` rule becomes
op'(a, ...) followed by T, where op' has the rule's attrs and its other inputs are mapped back
(the output of another transpose by p -> that transpose's input; a constant -> the constant
expanded to full rank and transposed by p's inverse); a reshape whose dim groups come from
consecutive dims of a (adding or dropping 1s, a channel split) becomes a reshape of a followed
by an equivalent transpose; a reduce that drops its axes is a reduce keeping them + a reshape. Identity transposes vanish, transposes of constants fold and
duplicate transposes of one value merge.

When nothing moves any more, transposes that only relabel size-1 dims become (free) reshapes,
chains of reshapes collapse, transpose -> reshape -> transpose becomes one transpose where it
can (a channel shuffle), and sinking runs again. A chain conv -> relu -> max_pool -> conv keeps
one transpose at the graph input and one at the output.

Assumes what every `permute` rule in edgec satisfies: all tensor inputs of such an op live in the
same index space as input 0 (broadcast operands, concat parts).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from edgec.errors import EdgecError
from edgec.ir.graph import Graph, Node, TensorType, Value
from edgec.ops import base
from edgec.ops.movement import ReshapeAttrs
from edgec.passes.common import (bypass, carry_qparams, const_value, is_output, permuted_type, transpose_node,
                                 unique_namer)
from edgec.passes.layout_math import is_relabel, reshape_before_transpose

TO_NCHW = (0, 3, 1, 2)


def sink_transposes(g: Graph) -> Graph:
    g = g.copy()
    s = _State(g)
    budget = 20 * len(g.nodes) + 100   # every step removes a node or moves a transpose down
    while budget > 0:
        while budget > 0 and _step(s):
            budget -= 1
        if not _tidy_reshapes(s):
            break
        budget -= 1
    return g


class _State:
    def __init__(self, g: Graph):
        self.g = g
        self.fresh = unique_namer(g)
        self.const_cache: dict[tuple[int, tuple[int, ...]], Value] = {}

    def permuted_const(self, v: Value, inv: tuple[int, ...]) -> Value:
        """v (rank <= len(inv)) with leading 1s added, transposed by inv; cached per (v, inv)."""
        key = (id(v), inv)
        if key not in self.const_cache:
            lead = len(inv) - v.type.rank
            data = v.data.reshape((1,) * lead + tuple(v.shape))
            qp = v.type.qparams
            if qp is not None and qp.axis is not None:
                qp = replace(qp, axis=qp.axis + lead)
            self.const_cache[key] = const_value(self.fresh(f"{v.name}_perm"), np.transpose(data, inv), v.type.dtype,
                                                qp.permuted(inv) if qp is not None else None)
        return self.const_cache[key]

    def value(self, like: Value, suffix: str, t: TensorType) -> Value:
        return Value(self.fresh(like.name + suffix), t)


def _perm(n: Node) -> tuple[int, ...]:
    return tuple(int(p) for p in n.attrs.perm)


def _remove(g: Graph, node: Node) -> None:
    g.nodes = [n for n in g.nodes if n is not node]


def _step(s: _State) -> bool:
    """One rewrite somewhere in the graph; False when no transpose can move or vanish."""
    g = s.g
    transposes = [n for n in g.nodes if n.op == "transpose"]
    used = {id(v) for n in g.nodes for v in n.inputs if v is not None} | {id(v) for v in g.outputs}
    if any(_simplify(s, t, used) for t in transposes) or _merge_duplicates(g):
        return True
    users, producers = g.consumers(), g.producers()
    return any(_sink(s, t, users, producers) for t in transposes)


def _simplify(s: _State, t: Node, used: set[int]) -> bool:
    """Removes an identity or unused transpose, or folds a transpose of a constant."""
    g, (a,), (b,) = s.g, t.inputs, t.outputs
    p = _perm(t)
    if p == tuple(range(len(p))):
        return bypass(g, t, a, b)
    if a.is_const:
        _remove(g, t)
        qp = a.type.qparams.permuted(p) if a.type.qparams is not None else None
        g.replace_uses(b, const_value(b.name, np.transpose(a.data, p), b.type.dtype, qp))
        return True
    if id(b) not in used:
        _remove(g, t)
        return True
    return False


def _merge_duplicates(g: Graph) -> bool:
    """Two transposes of the same value by the same perm: the later one's users read the first."""
    seen: dict[tuple[int, tuple[int, ...]], Node] = {}
    for n in g.nodes:
        if n.op != "transpose":
            continue
        key = (id(n.inputs[0]), _perm(n))
        if key in seen and bypass(g, n, seen[key].outputs[0], n.outputs[0]):
            return True
        seen.setdefault(key, n)
    return False


def _sink(s: _State, t: Node, users, producers) -> bool:
    """Moves t below all its consumers (all or nothing); True when done."""
    b = t.outputs[0]
    consumers = list({id(u): u for u in users.get(b, [])}.values())
    if not consumers or is_output(s.g, b):
        return False
    plans: dict[int, list[Node]] = {}
    for u in consumers:
        plan = _rewrite(s, t, u, producers)
        if plan is None:
            return False
        plans[id(u)] = plan
    nodes: list[Node] = []
    for n in s.g.nodes:
        if n is not t:
            nodes.extend(plans.get(id(n), [n]))
    s.g.nodes = nodes
    return True


def _rewrite(s: _State, t: Node, u: Node, producers) -> list[Node] | None:
    """The nodes that replace consumer u once t moves below it, or None if it cannot."""
    p = _perm(t)
    if u.op == "transpose":
        merged = tuple(p[i] for i in _perm(u))
        return [transpose_node(t.inputs[0], merged, u.outputs[0], u.name)]
    if u.op == "reshape":
        return _through_reshape(s, t, u)
    if u.op == "reduce" and not u.attrs.keepdims:
        return _reduce_dropping_dims(s, t, u, producers)
    opdef = base.get(u.op)
    inputs = _mapped_inputs(s, t, u, producers) if opdef.permute is not None else None
    if inputs is None:
        return None
    try:
        attrs = opdef.permute(u.attrs, p, [v.type for v in u.inputs if v is not None])
        out_types = opdef.infer(attrs, [v.type for v in inputs if v is not None]) if attrs is not None else None
    except (EdgecError, ValueError, IndexError):
        return None
    if out_types is None or len(out_types) != len(u.outputs) or any(
            permuted_type(nt, p) != TensorType(o.shape, o.type.dtype) for nt, o in zip(out_types, u.outputs)):
        return None
    suffix = "_nhwc" if p == TO_NCHW else "_perm"
    inv = tuple(int(i) for i in np.argsort(p))
    outs = [s.value(o, suffix, carry_qparams(nt, o.type, inv)) for o, nt in zip(u.outputs, out_types)]
    moved = Node(u.op, inputs, outs, attrs, u.name, dict(u.meta))
    return [moved] + [transpose_node(v, p, o, f"{o.name}_transpose") for v, o in zip(outs, u.outputs)]


def _reduce_dropping_dims(s: _State, t: Node, u: Node, producers) -> list[Node] | None:
    """A reduce without keepdims as reduce-with-keepdims + reshape, so t can pass the reduce."""
    attrs = replace(u.attrs, keepdims=True)
    y = u.outputs[0]
    inferred = base.get(u.op).infer(attrs, [v.type for v in u.inputs if v is not None])[0]
    kept = s.value(y, "_keep", carry_qparams(inferred, y.type))
    plan = _rewrite(s, t, Node(u.op, list(u.inputs), [kept], attrs, u.name, dict(u.meta)), producers)
    if plan is None:
        return None
    return plan + [Node("reshape", [kept], [y], ReshapeAttrs(tuple(y.shape)), f"{y.name}_squeeze")]


def _mapped_inputs(s: _State, t: Node, u: Node, producers) -> list[Value | None] | None:
    """u's inputs expressed before the transpose t (perm p), or None if one cannot be."""
    p = _perm(t)
    inv = tuple(int(i) for i in np.argsort(p))
    out: list[Value | None] = []
    for v in u.inputs:
        src = producers.get(v) if v is not None else None
        if v is None:
            out.append(None)
        elif v is t.outputs[0]:
            out.append(t.inputs[0])
        elif src is not None and src.op == "transpose" and _perm(src) == p:
            out.append(src.inputs[0])
        elif v.is_const and v.type.rank <= len(p):
            out.append(s.permuted_const(v, inv))
        else:
            return None
    return out


def _through_reshape(s: _State, t: Node, u: Node) -> list[Node] | None:
    """reshape(transpose(a, p)) as transpose(reshape(a, m), q) when such m, q exist."""
    a, y = t.inputs[0], u.outputs[0]
    found = reshape_before_transpose(a.shape, _perm(t), y.shape)
    if found is None:
        return None
    m, q = found
    inv = tuple(int(i) for i in np.argsort(q))
    mid = s.value(y, "_split", carry_qparams(TensorType(m, y.type.dtype), y.type, inv))
    return [Node("reshape", [a], [mid], ReshapeAttrs(m), u.name, dict(u.meta)),
            transpose_node(mid, q, y, f"{y.name}_transpose")]


# -- tidying once nothing moves --------------------------------------------------------------------
def _tidy_reshapes(s: _State) -> bool:
    """Relabelling transposes -> reshapes, reshape chains collapsed, no-op reshapes removed."""
    g = s.g
    changed = False
    for n in list(g.nodes):
        x = n.inputs[0] if n.inputs else None
        if n.op == "transpose" and is_relabel(x.shape, _perm(n)):
            n.op, n.attrs = "reshape", ReshapeAttrs(tuple(n.outputs[0].shape))
            changed = True
        if n.op != "reshape":
            continue
        src = g.producers().get(x)
        if src is not None and src.op == "reshape":
            n.inputs = [src.inputs[0]]
            x = src.inputs[0]
            changed = True
        if x.shape == n.outputs[0].shape and bypass(g, n, x, n.outputs[0]):
            changed = True
    used = {id(v) for n in g.nodes for v in n.inputs} | {id(v) for v in g.outputs}
    g.nodes = [n for n in g.nodes if n.op != "reshape" or id(n.outputs[0]) in used]
    while _merge_across_reshape(s):
        changed = True
    return changed


def _merge_across_reshape(s: _State) -> bool:
    """transpose -> reshape -> transpose (nothing else reading between) as one transpose and a
    reshape, when the second transpose can move above the reshape (a channel shuffle in NHWC)."""
    g = s.g
    producers, users = g.producers(), g.consumers()
    for t1 in [n for n in g.nodes if n.op == "transpose"]:
        u = producers.get(t1.inputs[0])
        t0 = producers.get(u.inputs[0]) if u is not None and u.op == "reshape" else None
        if t0 is None or t0.op != "transpose":
            continue
        if any(len(users.get(v, [])) != 1 or is_output(g, v) for v in (t0.outputs[0], u.outputs[0])):
            continue
        y, x = t1.outputs[0], t0.outputs[0]
        inv1 = tuple(int(i) for i in np.argsort(_perm(t1)))
        found = reshape_before_transpose(y.shape, inv1, x.shape)   # x == transpose(reshape(y, m), q)
        if found is None:
            continue
        m, q = found
        p0, invq = _perm(t0), np.argsort(q)
        mid = s.value(y, "_shuffled", carry_qparams(TensorType(m, y.type.dtype), y.type))
        merged = transpose_node(t0.inputs[0], tuple(p0[i] for i in invq), mid, t1.name)
        reshape = Node("reshape", [merged.outputs[0]], [y], ReshapeAttrs(tuple(y.shape)), f"{y.name}_reshape")
        nodes = []
        for n in g.nodes:
            if n is t1:
                nodes += [merged, reshape]
            elif n is not t0 and n is not u:
                nodes.append(n)
        g.nodes = nodes
        return True
    return False
