"""The "rows" variants of the if-else form, for forests too big for plain code: one C function
per tree that returns the number of its leaf's deduplicated value row, and a sample function that
calls them in order and adds the rows.

Why: in the plain code form every leaf adds its constants (a load and an add per target, then a
jump), most of a forest's bytes, above all a classifier's with a probability per class. Here a
leaf is `return row;` and each distinct row is stored once. "code_rows" stores whole rows
(direct floats, or indices into a palette) and adds them with no loop, one named local per
target, so no branch waits on a row; "code_rows_small" takes the smallest encoding
(tree_table.pack_leaves, sparse rows added in a loop).

The tree functions have external linkage: a compiler inlines a static function called once, and
inlined into one function every leaf jumps to the merge and the features are addressed from the
stack (about a quarter more bytes). Each call site calls one tree, so its return is predicted.

The nodes compare the bits of a feature as an int32 with an immediate (no float constant to
load): for a threshold t >= 0, x > t exactly when bits(x) > bits(t) as signed integers, and for
t < 0 exactly when bits(x) < bits(t) as unsigned ones (-0.0 and subnormals included; a -0.0
threshold is +0.0). A NaN goes right in both compares when its sign bit is clear, left when
set; so the trees read r (NaN replaced by NAN_RIGHT) at nodes that send NaN right and l
(NAN_LEFT) at the others. A row without NaN (found by one pass the compiler vectorises) is read
as is through both. The sums run in tree order in float32: the reference's results bit for bit.
"""
from __future__ import annotations

import numpy as np

from edgec.backend.cformat import c_float
from edgec.backend.tree_code import _head_lines, collapse, leaves_c, signature, tree_lines
from edgec.backend.tree_table import PackedLeaves, dedup_rows, pack_leaves
from edgec.ops.tree_ensemble import TreeEnsemble
from edgec.ops.tree_predict import TreeHead

NAN_RIGHT = 0x7FC00000          # a positive quiet NaN: above every threshold in both compares
NAN_LEFT = -0x400000            # 0xFFC00000, a negative quiet NaN: below every one
DISP_BIAS = 32                  # features read from x + 32: x86's one-byte offsets reach 64 of them
# The "fast" rows store whole rows, direct (one float per target) while it costs at most this
# fraction more bytes than a palette's indices.
LEAF_SLACK_FRACTION = 0.25
# Up to this many targets, rows stored whole (direct or palette) are added one named local per
# target with no loop: the compiler keeps the sums in registers, and no branch waits on a row.
UNROLL_TARGETS = 16


def usable(t: TreeEnsemble) -> bool:
    """A forest (one tree gains nothing from the row tables) whose thresholds are all numbers."""
    internal = t.feature >= 0
    return t.n_trees > 1 and bool(internal.any()) and not np.isnan(t.threshold[internal]).any()


def bits_test(f: int, thr, missing_left: bool, bias: int) -> str:
    """C condition sending the sample right, on the bits of feature f read from r (the keys
    whose NaN goes right) or l (NaN left), both pointing `bias` features into the row."""
    t = np.float32(thr) + np.float32(0.0)          # -0.0 as +0.0: x > -0.0 is x > +0.0
    b = int(np.asarray(t, np.float32).view(np.uint32))
    at = ("l" if missing_left else "r") + (f"{f - bias:+d}" if f != bias else "")
    return f"bits({at}) > {b}" if b < 1 << 31 else f"(uint32_t)bits({at}) < {b}u"


def leaf_rows(t: TreeEnsemble, fast: bool) -> tuple[PackedLeaves, np.ndarray]:
    """(the leaf rows' encoding, the row of each node's leaf). fast: whole rows, added with no
    loop up to UNROLL_TARGETS targets (a sparse row's loop waits on its exit branch, which the
    CPU mispredicts as row lengths vary), else the smallest encoding."""
    rows, node_row = dedup_rows(t)
    if not fast:
        return pack_leaves(rows, t.base), node_row
    whole = pack_leaves(rows, t.base, sparse=False)
    return pack_leaves(rows, t.base, int(LEAF_SLACK_FRACTION * whole.nbytes), sparse=False), node_row


def fast_differs(t: TreeEnsemble) -> bool:
    """True when the fast rows are another encoding than the smallest (worth measuring both)."""
    return t.n_targets <= UNROLL_TARGETS and leaf_rows(t, True)[0].kind != leaf_rows(t, False)[0].kind


def _tree_function(t: TreeEnsemble, j: int, node_row: np.ndarray, bias: int, fn: str) -> list[str]:
    """Tree j as `int32_t fn_treej(r, l)` returning its leaf's row (subtrees of one row folded)."""
    root = int(t.roots[j])
    same = collapse(t, root, lambda n: int(node_row[n]))
    test = lambda f, thr, ml: bits_test(f, thr, ml, bias)
    body, _ = tree_lines(t, root, "", same, lambda r, _last: [f"return {r};"], test=test)
    unused = [f"(void){p};" for p in "rl" if not any(f"bits({p}" in ln for ln in body)]
    proto = f"int32_t {fn}_tree{j}(const float *r, const float *l)"
    return [f"{proto};", proto, "{", *("    " + ln for ln in unused + body), "}", ""]


def _keys_lines(nf: int, bias: int) -> list[str]:
    """r and l: x itself when it holds no NaN (the common case, one vector pass to find out), else
    copies whose NaN are replaced by NAN_RIGHT in kr and NAN_LEFT in kl."""
    return [f"float kr[{nf}], kl[{nf}];", f"const int32_t nan_right = {NAN_RIGHT}, nan_left = {NAN_LEFT};",
            "const float *r = x, *l = x;", "int32_t nan = 0;",
            f"for (i = 0; i < {nf}; ++i) {{", "    nan |= x[i] != x[i];", "}",
            "if (nan) {", f"    for (i = 0; i < {nf}; ++i) {{", "        kr[i] = x[i];", "        kl[i] = x[i];",
            "        if (x[i] != x[i]) {", "            memcpy(&kr[i], &nan_right, sizeof kr[i]);",
            "            memcpy(&kl[i], &nan_left, sizeof kl[i]);", "        }", "    }",
            "    r = kr;", "    l = kl;", "}",
            *([f"r += {bias};", f"l += {bias};"] if bias else [])]


def scalar_sums(lv: PackedLeaves) -> bool:
    """True when the sums are named locals a0, a1, ... (else an array a[])."""
    return lv.kind != "sparse" and lv.n_targets <= UNROLL_TARGETS


def _add_row(lv: PackedLeaves, call: str) -> list[str]:
    """Statements adding the leaf row that `call` returns to the sums, in target order."""
    k = lv.n_targets
    if k == 1 and lv.kind == "direct":
        return [f"a0 += leaf_values[{call}];"]
    out = [f"row = {call};"]
    at = lambda j: f"(size_t)row * {k}u + {j}"
    if scalar_sums(lv):
        value = ((lambda j: f"leaf_values[{at(j)}]") if lv.kind == "direct"
                 else (lambda j: f"leaf_palette[leaf_entries[{at(j)}]]"))
        return out + [f"a{j} += {value(f'{j}u')};" for j in range(k)]
    if lv.kind == "direct":
        return out + [f"for (j = 0; j < {k}; ++j) {{", f"    a[j] += leaf_values[{at('(size_t)j')}];", "}"]
    if lv.kind == "palette":
        return out + [f"for (j = 0; j < {k}; ++j) {{",
                      f"    a[j] += leaf_palette[leaf_entries[{at('(size_t)j')}]];", "}"]
    tb, vb = lv.target_bits, lv.value_bits
    return out + ["for (j = (int32_t)leaf_row_start[row];; ++j) {", "    const uint32_t e = leaf_entries[j];",
                  f"    a[e & {(1 << tb) - 1}u] += leaf_palette[(e >> {tb}u) & {(1 << vb) - 1}u];",
                  f"    if ((e >> {tb + vb}u) != 0u) {{", "        break;", "    }", "}"]


BITS = ["/* The bits of a float as an int32 (a plain load once compiled). */",
        "static int32_t bits(const float *p)", "{", "    int32_t b;", "    memcpy(&b, p, sizeof b);",
        "    return b;", "}"]


def unit_source(t: TreeEnsemble, head: TreeHead, fn: str, header: str, fast: bool = True) -> str:
    """The generated .c: tables, one function per tree, and `fn` (tree_code.signature); fast:
    see leaf_rows."""
    nf, k, n = int(t.feature.max()) + 1, t.n_targets, t.n_trees
    bias = DISP_BIAS if nf > DISP_BIAS else 0
    lv, node_row = leaf_rows(t, fast and t.n_targets <= UNROLL_TARGETS)
    funcs = []
    for j in range(n):
        funcs += _tree_function(t, j, node_row, bias, fn)
    base = [c_float(v) for v in t.base.tolist()]
    if scalar_sums(lv):
        acc = [f"a{i}" for i in range(k)]
        sums = [f"float {a} = {v};" for a, v in zip(acc, base)]
    else:
        acc = [f"a[{i}]" for i in range(k)]
        sums = [f"float a[{k}] = {{{', '.join(base)}}};"]
    rows = [ln for j in range(n) for ln in _add_row(lv, f"{fn}_tree{j}(r, l)")]
    used = ["i", *(["j"] if any("++j" in ln for ln in rows) else []),
            *(["row"] if any("row =" in ln for ln in rows) else [])]
    body = [f"int32_t {', '.join(used)};", *_keys_lines(nf, bias), *sums, *rows, *_head_lines(t, head, acc, None)]
    return "\n".join(["/* Generated by edgec: a forest as one if-else function per tree returning its leaf row. "
                      "Do not edit. */", "#include <stddef.h>", "#include <stdint.h>", "#include <string.h>", "",
                      f'#include "{header}"', "", *leaves_c(lv, "leaf")[0], "", *BITS, "", *funcs,
                      signature(t, head, fn), "{", *("    " + ln for ln in body), "}", ""])
