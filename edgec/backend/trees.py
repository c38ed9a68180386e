"""C emission of tree_ensemble nodes in one of two forms, chosen per node by measured size.

"table": packed node words (tree_table.py) walked by ec_tree_walk.h, compiled per model with the
layout as constants into `<model>_<node>_walk.c` (a predicted branch per node, sums in local
accumulators, votes counted in one register when every leaf is a pure class);
"code": one if-else C function per sample in a generated `<model>_<node>.c` whose leaves add
their constants into local accumulators (see tree_code.py; tree_fuse.py folds a following
division and arg max into it, so a classifier returns its label). Both add the leaf values in
tree order in float32 (the table form counts the votes of pure leaves in integers, the code form
sums in integers whenever every partial sum is exact), so both are bit-identical to the op's
reference. "auto" compiles both candidates alone with the host gcc (-c at the build's -O level)
and measures their code + data bytes. The if-else form is the faster one (no node decoding, no
call per tree, a branch per split that the CPU predicts per node), so auto takes it whenever it
costs at most SPEED_SIZE_FACTOR times the table's bytes (single trees, small forests, shallow
boosting), or else the first of its smaller variants that does (CODE_FORMS: large forests as a
function per tree returning its leaf row, see tree_rows.py), and the table otherwise; the table
also for forests too big for the code form to be generated, and when no host compiler is
available.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.backend.cformat import c_array_body
from edgec.backend.names import c_identifier
from edgec.backend.objsize import object_bytes
from edgec.backend.tree_code import (PLAIN, emit_code, keys_usable, leaf_macros, leaves_c, leaves_initializer,
                                     probe_source)
from edgec.backend.tree_rows import fast_differs, usable as rows_usable
from edgec.backend.tree_table import (ACC_MAX_TARGETS, LEAF_SPEED_SLACK, PackedLeaves, PackedNodes, bits_for,
                                      dedup_rows, pack_leaves, pack_nodes, preorder, vote_classes)
from edgec.errors import BuildError, EdgecError
from edgec.ir.graph import DType
from edgec.ops.tree_ensemble import TreeEnsemble
from edgec.ops.tree_predict import TreeHead

LAYOUTS = ("auto", "table", "code")
# Above this many nodes "auto" does not even generate the code form: it costs several times the
# bytes of a packed node word per node, and its C source would run into megabytes.
CODE_FORM_MAX_NODES = 8000
OPT_LEVEL = "-O2"     # the level build_shared compiles at
# "auto" prefers the faster if-else form while it is at most this many times the table's bytes
# (boosting's shallow trees measure 1.2-2.3x, full forests 2.6-3.2x).
SPEED_SIZE_FACTOR = 2.5
# The if-else forms in auto's order of preference, fastest first (see auto_layout).
CODE_FORMS = ("code", "code_keys", "code_rows", "code_rows_small")
_WORD_DTYPE = {1: DType.U8, 2: DType.U16, 4: DType.U32, 8: DType.I64}
_CTYPE = {1: "uint8_t", 2: "uint16_t", 4: "uint32_t", 8: "uint64_t"}


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise EdgecError(f"tree layout '{layout}': expected one of {', '.join(LAYOUTS)}")
    return layout


@dataclass
class TreePlan:
    """What both forms are built from."""

    trees: TreeEnsemble
    node_row: np.ndarray
    leaves: PackedLeaves                # the smallest encoding (the code form's)
    nodes: PackedNodes
    table_leaves: PackedLeaves | None   # the table form's: faster within LEAF_SPEED_SLACK; None: it counts votes

    @property
    def votes(self) -> bool:
        return self.table_leaves is None


_PLANS: dict[str, TreePlan] = {}


def plan_trees(t: TreeEnsemble) -> TreePlan:
    key = t.digest()
    if key not in _PLANS:
        rows, node_row = dedup_rows(t)
        classes = vote_classes(rows, t.base, t.n_trees)
        nodes = pack_nodes(preorder(t, node_row, len(rows)), classes)
        table_leaves = None if classes is not None else pack_leaves(rows, t.base, LEAF_SPEED_SLACK)
        _PLANS[key] = TreePlan(t, node_row, pack_leaves(rows, t.base), nodes, table_leaves)
    return _PLANS[key]


def vote_macros(p: TreePlan) -> list[str]:
    """Votes are counted in one register, a field of bits_for(n_trees) bits per class."""
    vb = bits_for(p.trees.n_trees)
    return ["#define EC_TREE_LEAF 3", f"#define EC_TREE_VB {vb}u",
            f"#define EC_TREE_VT {'uint32_t' if vb * p.trees.n_targets <= 32 else 'uint64_t'}"]


def walker_source(p: TreePlan, fn: str, includes: list[str]) -> str:
    """The table form's walker of one node: ec_tree_walk.h with this layout's constants."""
    n = p.nodes
    consts = [f"#define EC_TREE_FN {fn}", f"#define EC_TREE_WORD {_CTYPE[n.word_bytes]}",
              f"#define EC_TREE_RB {n.ref_bits}u", f"#define EC_TREE_FS {n.feature_shift}u",
              f"#define EC_TREE_FM {n.feature_mask}u", f"#define EC_TREE_TS {n.threshold_shift}u",
              f"#define EC_TREE_TM {(1 << n.threshold_bits) - 1}u", f"#define EC_TREE_MS {n.missing_shift}u",
              f"#define EC_TREE_MM {(1 << n.missing_bits) - 1}u", f"#define EC_TREE_NI {n.n_internal}u",
              f"#define EC_TREE_NT {p.trees.n_targets}",
              f"#define EC_TREE_ACC {int(p.trees.n_targets <= ACC_MAX_TARGETS)}",
              *(vote_macros(p) if p.votes else leaf_macros(p.table_leaves))]
    return "\n".join(["/* Generated by edgec: the tree walker specialised to this model's table layout. Do not edit. */",
                      "#include <stddef.h>", "#include <stdint.h>", "", *[f'#include "{h}"' for h in includes],
                      *consts, '#include "ec_tree_walk.h"', ""])


def walker_header(fn: str) -> str:
    guard = fn.upper() + "_H"
    return (f"/* Generated by edgec. Do not edit. */\n#ifndef {guard}\n#define {guard}\n\n#include \"ec_trees.h\"\n\n"
            f"/* y[s][k] = base[k] + the trees' leaf values, summed in tree order (float32). */\n"
            f"void {fn}(const ec_tree_table_params *p, const float *x, int32_t n_samples, int32_t n_features, float *y);\n"
            f"\n#endif /* {guard} */\n")


def table_params(p: TreePlan, ptr: dict[str, str]) -> dict[str, str | int]:
    """ec_tree_table_params fields; ptr: C expressions of the arrays."""
    n = p.nodes
    return {"n_trees": p.trees.n_trees, "ref_bits": f"{n.ref_bits}u", "feature_shift": f"{n.feature_shift}u",
            "feature_mask": f"{n.feature_mask}u", "threshold_shift": f"{n.threshold_shift}u",
            "threshold_mask": f"{(1 << n.threshold_bits) - 1}u", "missing_shift": f"{n.missing_shift}u",
            "missing_mask": f"{(1 << n.missing_bits) - 1}u", "n_internal": f"{n.n_internal}u", "roots": ptr["roots"],
            "nodes": ptr["nodes"], "thresholds": ptr["thresholds"], "base": ptr["base"],
            "leaves": leaves_initializer(_table_leaves(p), ptr)}


def _table_leaves(p: TreePlan) -> PackedLeaves:
    """The leaf tables the table form reads: none when it counts votes."""
    return PackedLeaves(p.trees.n_targets, "votes", None, None, None, None) if p.votes else p.table_leaves


def _node_arrays(p: TreePlan) -> dict[str, tuple[np.ndarray, str]]:
    n = p.nodes
    return {"roots": (n.roots, "uint32_t"), "nodes": (n.words, _CTYPE[n.word_bytes]),
            "thresholds": (n.thresholds, "float"), "base": (p.trees.base, "float")}


def table_probe_source(p: TreePlan) -> str:
    """A stand-alone unit with the table form of `p` (arrays, params, kernel) for measuring."""
    decls, ptr = [], {}
    for key, (arr, ctype) in _node_arrays(p).items():
        decls.append(f"static const {ctype} probe_{key}[{arr.size}] = {{\n{c_array_body(arr)}\n}};")
        ptr[key] = f"probe_{key}"
    leaf_decls, _ = leaves_c(_table_leaves(p), "probe_leaf")
    for key in ("values", "palette", "entries", "row_start"):
        ptr[key] = f"probe_leaf_{key}" if any(f"probe_leaf_{key}[" in d for d in leaf_decls) else "NULL"
    body = ", ".join(f".{k} = {v}" for k, v in table_params(p, ptr).items())
    return "\n".join([walker_source(p, "probe_walk", []), *decls, *leaf_decls,
                      f"static const ec_tree_table_params probe_p = {{{body}}};",
                      "void probe(const float *x, float *y);",
                      "void probe(const float *x, float *y) { probe_walk(&probe_p, x, 1, 1, y); }", ""])


def _applies(form: str, t: TreeEnsemble) -> bool:
    if form == "code_keys":
        return keys_usable(t)
    if form.startswith("code_rows"):
        return rows_usable(t) and (form == "code_rows" or fast_differs(t))
    return True


def measured_sizes(p: TreePlan, head: TreeHead = PLAIN) -> dict[str, int]:
    """Code + data bytes of the table and of the if-else forms (only when the forest is small
    enough, and with the `head` they would absorb: a label returned instead of every target
    stored), in CODE_FORMS order up to the first that auto would take."""
    sizes = {"table": object_bytes(table_probe_source(p), opt=OPT_LEVEL)}
    if p.trees.n_nodes > CODE_FORM_MAX_NODES:
        return sizes
    for form in CODE_FORMS:
        if _applies(form, p.trees):
            sizes[form] = object_bytes(*probe_source(p.trees, head, form), opt=OPT_LEVEL)
            if sizes[form] <= SPEED_SIZE_FACTOR * sizes["table"]:
                break
    return sizes


def choose_layout(t: TreeEnsemble, layout: str = "auto", head: TreeHead = PLAIN) -> str:
    """The form to emit: `layout` unless "auto", else by measured size (see auto_layout)."""
    v = code_variant(t, layout, head)
    return "code" if v.startswith("code") else v


def code_variant(t: TreeEnsemble, layout: str = "auto", head: TreeHead = PLAIN) -> str:
    """choose_layout's answer, with the if-else variant (one of CODE_FORMS) for the code form."""
    if check_layout(layout) != "auto":
        return layout
    try:
        sizes = measured_sizes(plan_trees(t), head)
    except (OSError, BuildError):   # no host gcc/size: the table form, never far from the smaller
        return "table"
    return auto_layout(sizes)


def auto_layout(sizes: dict[str, int]) -> str:
    """The first of CODE_FORMS measured and within SPEED_SIZE_FACTOR of the table's bytes: code;
    the code on order keys (a fifth smaller, a tenth slower); a forest's trees returning leaf
    rows (code_rows: about 60% of code's bytes; faster than the keys on forests of 40-90 KB of
    code, slower on small ones); the leaf rows in their smallest encoding; else table."""
    for form in CODE_FORMS:
        if form in sizes and sizes[form] <= SPEED_SIZE_FACTOR * sizes["table"]:
            return form
    return "table"


def has_shared_nodes(t: TreeEnsemble) -> bool:
    """True when some node has several parents (categorical splits share their subtrees): the
    packed forms need true trees, so such ensembles use the plain graph tables."""
    internal = t.feature >= 0
    kids = np.concatenate([t.left[internal], t.right[internal]])
    return bool(kids.size) and np.unique(kids).size < kids.size


def emit_tree_graph(ctx, node) -> None:
    """Plain int32 child tables walked by ec_tree_graph_f32 (any node graph, shared nodes too)."""
    t, x, y = node.attrs.trees, node.inputs[0], node.outputs[0]
    ctx.note(f"{t.n_trees} trees, {t.n_nodes} nodes with shared subtrees: graph tables")
    arr = lambda a, hint, dt: ctx.const(np.asarray(a), f"{node.name}_{hint}", dt)
    p = ctx.struct("ec_tree_graph_f32_params", {
        "n_trees": t.n_trees, "n_targets": t.n_targets,
        "roots": arr(t.roots, "roots", DType.I32), "feature": arr(t.feature, "feature", DType.I32),
        "threshold": arr(t.threshold, "threshold", DType.F32), "left": arr(t.left, "left", DType.I32),
        "right": arr(t.right, "right", DType.I32),
        "missing_left": arr(t.missing_left.astype(np.uint8), "missing_left", DType.U8),
        "leaf": arr(t.leaf, "leaf", DType.I32), "leaf_values": arr(t.leaf_values, "leaf_values", DType.F32),
        "base": arr(t.base, "base", DType.F32)}, "tree_graph")
    ctx.use("ec_tree_graph_f32")
    ctx.call("ec_tree_graph_f32", p, ctx.ptr(x), str(x.shape[0]), str(x.shape[1]), ctx.ptr(y))


def code_form(node, head: TreeHead = PLAIN) -> str | None:
    """The variant (one of CODE_FORMS) when tree_ensemble `node` is emitted in the code form (with
    `head` fused into it), else None."""
    t = node.attrs.trees
    if has_shared_nodes(t):
        return None
    form = code_variant(t, getattr(node.attrs, "layout", "auto"), head)
    return form if form.startswith("code") else None


def emit_tree_ensemble(ctx, node) -> None:
    t, x, y = node.attrs.trees, node.inputs[0], node.outputs[0]
    if has_shared_nodes(t):
        emit_tree_graph(ctx, node)
        return
    form = code_form(node)
    if form is not None:
        emit_code(ctx, node, t, PLAIN, form)
        return
    p = plan_trees(t)
    ctx.note(f"{t.n_trees} trees, {t.n_nodes} nodes, table form")
    ctx.use("ec_tree_leaves")
    args = (ctx.ptr(x), str(x.shape[0]), str(x.shape[1]), ctx.ptr(y))
    fn = f"{ctx.prefix}_{c_identifier(node.name, 'trees')}"
    ptr = {}
    for key, (arr, _) in _node_arrays(p).items():
        dt = _WORD_DTYPE[arr.dtype.itemsize] if key in ("nodes",) else None
        data = arr.view(np.int64) if arr.dtype == np.uint64 else arr
        ptr[key] = ctx.const(data, f"{node.name}_{key}", dt)
    lv = _table_leaves(p)
    for key in ("values", "palette", "entries", "row_start"):
        arr = getattr(lv, key)
        ptr[key] = "NULL" if arr is None else ctx.const(arr, f"{node.name}_leaf_{key}")
    params = ctx.struct("ec_tree_table_params", table_params(p, ptr), "trees")
    walker = f"{fn}_walk"
    ctx.add_file(f"{walker}.c", walker_source(p, walker, [f"{walker}.h"]), header=f"{walker}.h",
                 header_text=walker_header(walker))
    ctx.call(walker, params, *args)
