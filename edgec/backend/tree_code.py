"""The if-else form of tree ensembles: one C function per sample, generated here (not in Jinja).

The function tests each tree's nodes in preorder and jumps (`goto`) to a right subtree, so the C
never nests deeper than one `if` however deep a tree is. A leaf adds its constants straight into
local accumulators (no leaf tables, no call per tree) and jumps to the next tree; the trees run in
order, so the float32 additions are the reference's, in the reference's order. What follows the
sum in the graph (a division by constants, the arg max of a classifier) is done in the same
function (a `TreeHead`), so a classifier returns its class label directly.

Constant folding that keeps every result bit-identical: the first tree's leaves store
float32(base + value) (the same rounding the sum does at run time); an addition of -0.0, or of
+0.0 to an accumulator that cannot be -0.0, is left out; and with one tree every leaf's final
result (after the head) is computed here, so a leaf just returns it. Sibling subtrees whose leaves
all do the same thing become one leaf.

A variant for forests whose float code is too big ("code_keys", picked by auto in trees.py):
each feature is turned once per call into an int32 key that orders as the float does (NaN above
or below every threshold, per the node's missing side), and the nodes compare keys with an
immediate threshold: about a fifth less code, the same results.
"""
from __future__ import annotations

import numpy as np

from edgec.backend.cformat import c_array_body, c_float
from edgec.backend.tree_table import PackedLeaves
from edgec.ops.tree_ensemble import TreeEnsemble
from edgec.ops.tree_predict import TreeHead

_CTYPE = {1: "uint8_t", 2: "uint16_t", 4: "uint32_t"}
PLAIN = TreeHead()


def returns(t: TreeEnsemble, head: TreeHead) -> str:
    """C return type of the sample function: int32_t (a label), float (one target) or void."""
    return "int32_t" if head.argmax else "float" if t.n_targets == 1 else "void"


def signature(t: TreeEnsemble, head: TreeHead, fn: str) -> str:
    ret = returns(t, head)
    return f"{ret} {fn}(const float *x{', float *y' if ret == 'void' else ''})"


def _nonneg_zero_safe(base: np.ndarray) -> np.ndarray:
    """Per target: True when its accumulator can never be -0.0, so adding +0.0 changes nothing.
    It starts at base; a sum is -0.0 only when both terms are, and -0.0 adds are left out."""
    return ~((base == 0) & np.signbit(base))


def _adds(values: np.ndarray, safe: np.ndarray) -> list[tuple[int, float]]:
    """(target, value) additions a leaf row needs; the ones that change nothing are left out."""
    out = []
    for k, v in enumerate(values.tolist()):
        if v == 0 and (np.signbit(np.float32(v)) or safe[k]):
            continue
        out.append((k, v))
    return out


def _key(v) -> bytes:
    return np.ascontiguousarray(v).tobytes() if isinstance(v, np.ndarray) else repr(v).encode()


def collapse(t: TreeEnsemble, root: int, action) -> dict[int, object]:
    """node -> what its whole subtree does, for every node whose leaves all do the same (by
    bytes): such a subtree is emitted as one leaf. action(leaf node) -> the leaf's action."""
    same: dict[int, object] = {}
    order, stack = [], [root]
    while stack:
        n = stack.pop()
        order.append(n)
        if t.feature[n] >= 0:
            stack += [int(t.left[n]), int(t.right[n])]
    for n in reversed(order):
        if t.feature[n] < 0:
            same[n] = action(n)
        else:
            a, b = same.get(int(t.left[n]), None), same.get(int(t.right[n]), None)
            if int(t.left[n]) in same and int(t.right[n]) in same and _key(a) == _key(b):
                same[n] = a
    return same


def float_test(f: int, thr, missing_left: bool) -> str:
    """C condition sending the sample right: float32 `x > thr` with NaN on the missing side."""
    # NaN goes left on a missing-left node: !(x > thr) holds for NaN, (x <= thr) does not
    return f"x[{f}] > {c_float(thr)}" if missing_left else f"!(x[{f}] <= {c_float(thr)})"


def order_key(v: float) -> int:
    """The int32 that orders as float32 `v` does (-0.0 as +0.0), as keys_c computes it in C: the
    bits of a positive float, minus one minus the magnitude bits of a negative one."""
    b = int((np.float32(v) + np.float32(0.0)).view(np.uint32))
    return b if b < 1 << 31 else (b ^ 0x7FFFFFFF) - (1 << 32)


def key_test(f: int, thr, missing_left: bool) -> str:
    """The same condition on the features' order keys: kr holds NaN above every threshold (it
    goes right), kl below (it goes left)."""
    return f"{'kl' if missing_left else 'kr'}[{f}] > {order_key(thr)}"


def keys_usable(t: TreeEnsemble) -> bool:
    """Key compares equal the float ones for every threshold but NaN."""
    internal = t.feature >= 0
    return bool(internal.any()) and not np.isnan(t.threshold[internal]).any()


def keys_c(t: TreeEnsemble, arrays: list[str]) -> list[str]:
    """Statements computing the order keys of x[0..F-1] once per sample into `arrays`."""
    nf = int(t.feature.max()) + 1
    nan_key = {"kr": "INT32_MAX", "kl": "INT32_MIN"}
    return [f"int32_t {', '.join(f'{a}[{nf}]' for a in arrays)};", "int32_t i;", f"for (i = 0; i < {nf}; ++i) {{",
            "    const float v = x[i] + 0.0f;   /* -0.0 -> +0.0 */", "    uint32_t b;", "    int32_t k;",
            "    memcpy(&b, &v, sizeof b);", "    k = (b & 0x80000000u) != 0u ? -(int32_t)(b & 0x7FFFFFFFu) - 1 : (int32_t)b;",
            *(f"    {a}[i] = isnan(v) ? {nan_key[a]} : k;" for a in arrays), "}"]


def tree_lines(t: TreeEnsemble, root: int, tag: str, same: dict[int, object], leaf, keys: bool = False, test=None):
    """(C lines of one tree, True when some leaf is not the tree's last node, i.e. must jump
    past the tree). leaf(action, is_last_node) -> the lines of a leaf. keys: compare the
    features' order keys (smaller code: the threshold is an immediate) instead of floats;
    test(feature, threshold, missing_left) -> another condition sending the sample right."""
    test = test or (key_test if keys else float_test)
    lines, jumps, stack = [], False, [(root, False)]
    while stack:
        n, labelled = stack.pop()
        label = f"{tag}n{n}: " if labelled else ""
        if n in same:
            body = leaf(same[n], not stack)
            jumps |= bool(stack)
            if not body:
                body = [";"]
            lines += [label + body[0], *body[1:]]
            continue
        go_right = test(int(t.feature[n]), t.threshold[n], bool(t.missing_left[n]))
        lines.append(f"{label}if ({go_right}) goto {tag}n{int(t.right[n])};")
        stack.append((int(t.right[n]), True))
        stack.append((int(t.left[n]), False))
    return lines, jumps


MAX_FRACTION_BITS = 8


def integer_sums(t: TreeEnsemble) -> int | None:
    """Fraction bits p when the sums can run in int32 on value * 2**p: base and every leaf value
    are multiples of 2**-p, no partial sum can reach 2**(24 - p) (so every float32 partial sum
    is exact, whatever the order, and equals the integer's) and no base is -0.0 (which an
    integer could not keep). None otherwise. Random forest votes are the common case (p = 0,
    or 1 when a leaf splits its vote in halves)."""
    vals = np.concatenate([t.base, t.leaf_values.reshape(-1)]).astype(np.float64)
    if not np.all(np.isfinite(vals)) or not _nonneg_zero_safe(t.base).all():
        return None
    bound = float(np.abs(t.base).max(initial=0.0))
    for r in t.roots.tolist():
        bound += float(np.abs(t.leaf_values[t.leaf[_subtree(t, r)]]).max(initial=0.0))
    for p in range(MAX_FRACTION_BITS + 1):
        scaled = vals * 2.0 ** p
        if np.all(scaled == np.round(scaled)):
            return p if bound * 2.0 ** p < 2.0 ** 24 else None
    return None


def _subtree(t: TreeEnsemble, root: int) -> list[int]:
    """The leaves of the tree at `root`."""
    out, stack = [], [root]
    while stack:
        n = stack.pop()
        if t.feature[n] >= 0:
            stack += [int(t.left[n]), int(t.right[n])]
        else:
            out.append(n)
    return out


def _order_kept(t: TreeEnsemble, divisor: tuple[float, ...] | None, p: int) -> bool:
    """True when the integer sums (value * 2**p) order as the float sums divided by the divisor
    do (one positive value for every target, no two reachable sums dividing to the same
    float32): then the arg max can compare the integers."""
    if divisor is None:
        return True
    d = np.float32(divisor[0])
    if not all(np.float32(v) == d for v in divisor) or not d > 0:
        return False
    lo = float(t.base.min()) + sum(min(0.0, float(t.leaf_values[t.leaf[_subtree(t, r)]].min())) for r in t.roots.tolist())
    hi = float(t.base.max()) + sum(max(0.0, float(t.leaf_values[t.leaf[_subtree(t, r)]].max())) for r in t.roots.tolist())
    lo, hi = lo * 2.0 ** p, hi * 2.0 ** p
    if hi - lo > 1 << 20:
        return False
    q = (np.arange(lo, hi + 1, dtype=np.float64) / 2.0 ** p).astype(np.float32) / d
    return bool(np.all(np.diff(q) > 0))


def _head_lines(t: TreeEnsemble, head: TreeHead, acc: list[str], p: int | None) -> list[str]:
    """Statements after the last tree: back to float, divide, then return / store the result."""
    k = t.n_targets
    out = []
    if head.argmax and p is not None and _order_kept(t, head.divisor, p):
        mtype = "int32_t"
    else:
        mtype = "float"
        if p is not None:
            scale = f" * {c_float(2.0 ** -p)}" if p else ""
            out += [f"float f{i} = (float){a}{scale};" for i, a in enumerate(acc)]
            acc = [f"f{i}" for i in range(k)]
        if head.divisor is not None:
            out += [f"{a} = {a} / {c_float(d)};" for a, d in zip(acc, head.divisor)]
    if head.argmax:
        lab = head.labels if head.labels is not None else tuple(range(k))
        out += [f"int32_t b = {lab[0]};", f"{mtype} m = {acc[0]};"]
        out += [f"if ({acc[i]} > m) {{ m = {acc[i]}; b = {lab[i]}; }}" for i in range(1, k)]
        out += ["(void)m;", "return b;"]
    elif k == 1:
        out.append(f"return {acc[0]};")
    else:
        out += [f"y[{i}] = {a};" for i, a in enumerate(acc)]
    return out


def _leaf_result(t: TreeEnsemble, head: TreeHead, r) -> list[str]:
    """A single tree's leaf: return (or store) its final result."""
    if head.argmax:
        return [f"return {int(r)};"]
    if t.n_targets == 1:
        return [f"return {c_float(np.asarray(r).reshape(-1)[0])};"]
    return [*(f"y[{i}] = {c_float(v)};" for i, v in enumerate(np.asarray(r).tolist())), "return;"]


def _single_tree(t: TreeEnsemble, head: TreeHead, keys: bool) -> list[str]:
    """One tree: each leaf's result is known here, base, head and all."""
    def final(n: int):
        row = (t.base + t.leaf_values[int(t.leaf[n])]).astype(np.float32)
        return np.asarray(head.apply(row[None, :])[0])
    same = collapse(t, int(t.roots[0]), final)
    return tree_lines(t, int(t.roots[0]), "", same, lambda r, _last: _leaf_result(t, head, r), keys)[0]


def _forest(t: TreeEnsemble, head: TreeHead, keys: bool) -> list[str]:
    """Accumulators, then each tree in order (leaves add and jump on), then the head."""
    k, p = t.n_targets, integer_sums(t)
    acc = [f"a{i}" for i in range(k)]
    safe = _nonneg_zero_safe(t.base)
    lit = c_float if p is None else (lambda v: str(int(round(v * 2.0 ** p))))
    lines = [f"{'float' if p is None else 'int32_t'} {a} = {lit(b)};" for a, b in zip(acc, t.base.tolist())]
    roots, prev_jumps = t.roots.tolist(), False
    for j, root in enumerate(roots):
        nxt = f"t{j + 1}" if j + 1 < len(roots) else "done"
        if j == 0:   # float32(base + v) folded here, as the sum would round it
            act = lambda n: [(i, float(np.float32(t.base[i]) + np.float32(v))) for i, v in
                             _adds(t.leaf_values[int(t.leaf[n])], safe)]
            op = "="
        else:
            act = lambda n: _adds(t.leaf_values[int(t.leaf[n])], safe)
            op = "+="
        same = collapse(t, int(root), lambda n: np.asarray(act(n), np.float64).reshape(-1))

        def leaf(a, is_last, op=op, nxt=nxt):
            pairs = np.asarray(a).reshape(-1, 2).tolist()
            body = [f"{acc[int(i)]} {op} {lit(v)};" for i, v in pairs]
            return body if is_last else [*body, f"goto {nxt};"]

        body, jumps = tree_lines(t, int(root), f"t{j}", same, leaf, keys)
        if j > 0 and prev_jumps:
            body[0] = f"t{j}: {body[0]}"
        lines += body
        prev_jumps = jumps
    tail = _head_lines(t, head, acc, p)
    return lines + (["done: ;"] if prev_jumps else []) + tail


def sample_function(t: TreeEnsemble, head: TreeHead, fn: str, keys: bool = False) -> str:
    """The C definition of `fn`: one sample's result (see `signature`). keys: the nodes compare
    integer order keys of the features, computed once per call (see key_test)."""
    keys = keys and keys_usable(t)
    body = (_single_tree if t.n_trees == 1 else _forest)(t, head, keys)
    used = [a for a in ("kr", "kl") if keys and any(f"({a}[" in ln for ln in body)]
    if used:
        body = [*keys_c(t, used), *body]
    elif not any("(x[" in ln for ln in body):   # every test folded away
        body = ["(void)x;", *body]
    return "\n".join([signature(t, head, fn), "{", *("    " + ln for ln in body), "}"])


def unit_source(t: TreeEnsemble, head: TreeHead, fn: str, header: str, keys: bool = False) -> str:
    """The generated .c of one tree function."""
    return "\n".join(["/* Generated by edgec: a tree ensemble as if-else code. Do not edit. */",
                      "#include <math.h>", "#include <stdint.h>", "#include <string.h>", "", f'#include "{header}"', "",
                      sample_function(t, head, fn, keys), ""])


def unit_header(t: TreeEnsemble, head: TreeHead, fn: str) -> str:
    guard = fn.upper() + "_H"
    what = ("the label of the largest" if head.argmax else "the") + " float32 sum of base and the trees' leaf values"
    if head.divisor is not None:
        what += " (divided by constants)"
    return (f"/* Generated by edgec. Do not edit. */\n#ifndef {guard}\n#define {guard}\n\n#include <stdint.h>\n\n"
            f"/* One sample: {what}, summed in tree order. */\n{signature(t, head, fn)};\n\n#endif /* {guard} */\n")


def form_source(t: TreeEnsemble, head: TreeHead, fn: str, header: str, form: str = "code") -> str:
    """The .c of `fn` in one of the if-else forms: "code", "code_keys", "code_rows" (one
    function per tree returning its leaf row, see tree_rows.py) or "code_rows_small" (the same
    with the smallest leaf row encoding)."""
    if form.startswith("code_rows"):
        from edgec.backend.tree_rows import unit_source as rows_source
        return rows_source(t, head, fn, header, form == "code_rows")
    return unit_source(t, head, fn, header, form == "code_keys")


def probe_source(t: TreeEnsemble, head: TreeHead = PLAIN, form: str = "code") -> tuple[str, dict[str, str]]:
    """(source, extra files) of an if-else form alone, for measuring its size."""
    return (form_source(t, head, "probe_trees", "probe_trees.h", form),
            {"probe_trees.h": unit_header(t, head, "probe_trees")})


def emit_code(ctx, node, t: TreeEnsemble, head: TreeHead, form: str = "code") -> None:
    """Adds the tree function's files and calls it once per sample. With one sample and a value
    (label or single target) to return, the graph output is `fn(x)`: the estimator API calls the
    function directly (ctx.direct)."""
    from edgec.backend.names import c_identifier
    x, y = node.inputs[0], node.outputs[0]
    fn = f"{ctx.prefix}_{c_identifier(node.name, 'trees')}"
    what = {"code": "", "code_keys": " on order keys", "code_rows": " returning leaf rows",
            "code_rows_small": " returning leaf rows (smallest encoding)"}[form]
    ctx.note(f"{t.n_trees} trees, {t.n_nodes} nodes, code form{what}")
    ctx.add_file(f"{fn}.c", form_source(t, head, fn, f"{fn}.h", form), header=f"{fn}.h",
                 header_text=unit_header(t, head, fn))
    n, nf, xp, yp = x.shape[0], x.shape[1], ctx.ptr(x), ctx.ptr(y)
    each = y.type.size // n
    xs = lambda s: xp if s == "0" else f"{xp} + (size_t){s} * {nf}u"
    ys = lambda s: f"{yp}[0]" if s == "0" else f"{yp}[(size_t){s} * {each}u]"
    if returns(t, head) == "void":
        call = lambda s: f"{fn}({xs(s)}, &{ys(s)});"
    else:
        call = lambda s: f"{ys(s)} = {fn}({xs(s)});"
    if n == 1:
        ctx.steps[-1].lines.append(call("0"))
        if returns(t, head) != "void" and xp in ctx.io_names.values():
            ctx.direct[id(y)] = fn
    else:
        ctx.steps[-1].lines += ["{", "    int32_t s;", f"    for (s = 0; s < {n}; ++s) {{",
                                f"        {call('s')}", "    }", "}"]


# The leaf tables' C, which the table form (backend/trees.py) emits.
def leaves_c(lv: PackedLeaves, sym: str) -> tuple[list[str], str]:
    """(static const arrays, initializer of an ec_tree_leaves) for the packed leaf rows."""
    decls, fields = [], {}
    for key, arr, ctype in (("values", lv.values, "float"), ("palette", lv.palette, "float"),
                            ("entries", lv.entries, None), ("row_start", lv.row_start, None)):
        if arr is None:
            fields[key] = "NULL"
            continue
        ctype = ctype or _CTYPE[arr.dtype.itemsize]
        decls.append(f"static const {ctype} {sym}_{key}[{arr.size}] = {{\n{c_array_body(arr)}\n}};")
        fields[key] = f"{sym}_{key}"
    return decls, leaves_initializer(lv, fields)


def leaves_initializer(lv: PackedLeaves, ptr: dict[str, str]) -> str:
    """`{...}` of an ec_tree_leaves; ptr: C expressions of its arrays (or NULL)."""
    eb = lv.entries.dtype.itemsize if lv.entries is not None else 0
    rb = lv.row_start.dtype.itemsize if lv.row_start is not None else 0
    tb, vb = lv.target_bits, lv.value_bits
    return (f"{{{lv.n_targets}, {eb}, {rb}, {(1 << tb) - 1}u, {tb}u, {(1 << vb) - 1}u, {tb + vb}u, "
            f"{ptr['entries']}, {ptr['row_start']}, {ptr['palette']}, {ptr['values']}}}")


def leaf_macros(lv: PackedLeaves) -> list[str]:
    """The EC_TREE_LEAF group of ec_tree_walk.h's compile-time constants for these leaf tables."""
    kind = {"direct": 0, "palette": 1, "sparse": 2}[lv.kind]
    tb, vb = lv.target_bits, lv.value_bits
    out = [f"#define EC_TREE_LEAF {kind}"]
    out.append(f"#define EC_TREE_ENTRY {_CTYPE[lv.entries.dtype.itemsize] if lv.entries is not None else 'float'}")
    out.append(f"#define EC_TREE_ROW {_CTYPE[lv.row_start.dtype.itemsize] if lv.row_start is not None else 'uint32_t'}")
    out += [f"#define EC_TREE_KM {(1 << tb) - 1}u", f"#define EC_TREE_VS {tb}u", f"#define EC_TREE_VM {(1 << vb) - 1}u",
            f"#define EC_TREE_LS {tb + vb}u"]
    return out
