"""Fusing a small linear classifier's scores with its arg max (C back end only; the simulator runs
the unfused ops, whose references linear_predict's equals).

gemm(x) -> arg_max, or concat of gemm(x) outputs and constant scores -> arg_max (a binary
classifier's (threshold, decision) pair), becomes one linear_predict node when every gemm has one
row, constant weights, no activation and at most one k chunk, and every intermediate value feeds
the next op alone and is not a graph output. Its C is one function returning the label, with no
arena buffer: a gemm with a few weights is written out as literal expressions (matmul's
inline_sum), a larger one as ec_dense_f32's loop over its own const table (the same float
operations in the same order: (0.0f + sum over k from 0.0f) + bias, each output its own sum).
"""
from __future__ import annotations

import numpy as np

from edgec.backend.cformat import c_array_body, c_float
from edgec.backend.names import c_identifier
from edgec.ir.graph import DType, Graph, Node
from edgec.ops.linear_predict import LinearPredictAttrs, ScoreBlock
from edgec.ops.matmul import inline_sum, inline_weights, use_dense

# A gemm block with at most this many weights is written out as literal expressions (about 20
# bytes of code per weight, the fastest for a handful); a larger one is summed in a loop over its
# table (4 bytes per weight and about 100 bytes of loop: breast_cancer's 30 weights 650 -> 200 B).
FUSED_INLINE_MAX_WEIGHTS = 16
# Each output of a looped block keeps its own local sum, so a block has at most this many.
FUSED_MAX_OUTPUTS = 16


def fusable(g: Node) -> bool:
    """A gemm whose scores the fused function can compute: one row, no activation, finite
    constant weights, and small enough for ec_dense_f32's order (one k chunk)."""
    (m, k), n = g.inputs[0].shape, g.inputs[1].shape[0]
    consts = [v for v in g.inputs[1:] if v is not None]
    return (m == 1 and n <= FUSED_MAX_OUTPUTS and g.attrs.act is None and use_dense(k, n, None)
            and all(v.is_const and np.isfinite(v.data).all() for v in consts))


def _blocks(head: Node, producer: dict, uses: dict, outputs: set) -> tuple[list[ScoreBlock], list[Node], object] | None:
    """(score blocks, nodes they replace, the input x) of the scores arg_max `head` reads."""
    v = head.inputs[0]

    def single_use(val) -> bool:
        return len(uses.get(id(val), [])) == 1 and id(val) not in outputs

    p = producer.get(id(v))
    if p is None or not single_use(v) or v.type.dtype != DType.F32 or v.type.rank != 2 or v.shape[0] != 1:
        return None
    if p.op == "concat" and p.attrs.axis in (1, -1):
        sources, drop = p.inputs, [p]
    else:
        sources, drop = [v], []
    blocks, x = [], None
    for s in sources:
        if s is None:
            return None
        if s.is_const:
            blocks.append(ScoreBlock(const=s.data.astype("float32").reshape(-1)))
            continue
        g = producer.get(id(s))
        if g is None or g.op != "gemm" or not fusable(g) or not (single_use(s) or s is v):
            return None
        if x is not None and g.inputs[0] is not x:
            return None
        x = g.inputs[0]
        b = g.inputs[2] if len(g.inputs) > 2 else None
        blocks.append(ScoreBlock(gemm_attrs=g.attrs, weight=g.inputs[1].data, bias=None if b is None else b.data))
        drop.append(g)
    return (blocks, drop, x) if x is not None else None


def fuse_linear_heads(g: Graph) -> Graph:
    """g with each fusable gemm -> [concat] -> arg_max chain replaced by a linear_predict node."""
    producer = {id(v): n for n in g.nodes for v in n.outputs}
    uses: dict[int, list[Node]] = {}
    for n in g.nodes:
        for v in n.inputs:
            if v is not None:
                uses.setdefault(id(v), []).append(n)
    outputs = {id(v) for v in g.outputs}
    replace, drop = {}, set()
    for n in g.nodes:
        if n.op != "arg_max" or n.attrs.out_dtype != DType.I32:
            continue
        found = _blocks(n, producer, uses, outputs)
        if found is None:
            continue
        blocks, nodes, x = found
        replace[id(n)] = Node("linear_predict", [x], [n.outputs[0]], LinearPredictAttrs(tuple(blocks), n.attrs),
                              n.name, dict(n.meta))
        drop.update(id(m) for m in nodes)
    if replace:
        g.nodes = [replace.get(id(n), n) for n in g.nodes if id(n) not in drop]
    return g


def written_inline(b: ScoreBlock) -> bool:
    """True when a gemm block's scores are literal expressions (matmul.use_inline's size rule)."""
    n, k = b.weight.shape
    return k * n <= FUSED_INLINE_MAX_WEIGHTS


def _pick_lines(a: LinearPredictAttrs, count: int) -> list[str]:
    """best/label over s0..s{count-1} with arg_max's test: a later score wins only when strictly
    larger (NaN never)."""
    labels = a.argmax.labels
    pick = (lambda i: str(i)) if labels is None or tuple(labels) == tuple(range(count)) else (lambda i: str(int(labels[i])))
    lines = ["    float best = s0;", f"    int32_t label = {pick(0)};"]
    for i in range(1, count):
        lines += [f"    if (s{i} > best) {{", f"        best = s{i};", f"        label = {pick(i)};", "    }"]
    return lines + ["    (void)best;", "    return label;"]


# Generated files may sum a looped block four outputs per GNU C vector (gcc and clang): each lane
# does the scalar path's float operations on one output, so both give the same bits; defining
# EDGEC_NO_VECTOR_EXT keeps the plain C99 path.
VECTOR_GUARD = "#if defined(__GNUC__) && !defined(EDGEC_NO_VECTOR_EXT)"
VECTOR_TYPE = "edgec_v4f"


def padded_outputs(n: int) -> int:
    """The table's row width: n, or n rounded up to whole vectors of 4 when there are several."""
    return n if n == 1 else -(-n // 4) * 4


def _loop_lines(w: np.ndarray, bias: np.ndarray, table: str, tag: str) -> tuple[list[str], list[str]]:
    """(statements summing one gemm block in ec_dense_f32's order, the score expressions): one
    local sum per output, all advanced together over k (independent chains, no reassociation),
    the weights read from `table` stored [k][padded_outputs(n)]; several outputs also as vectors
    of four lanes under VECTOR_GUARD."""
    n, k = w.shape
    width = padded_outputs(n)
    acc = [f"a{tag}_{j}" for j in range(n)]
    scalar = [f"    float {v} = 0.0f;" for v in acc]
    scalar += [f"    for (kk = 0; kk < {k}; ++kk) {{", "        const float xv = xi[kk];",
               f"        const float *wk = {table} + kk * {width};"]
    scalar += [f"        {v} += xv * wk[{j}];" for j, v in enumerate(acc)] + ["    }"]
    if n == 1:
        lines = scalar
    else:
        vec = [f"v{tag}_{q}" for q in range(width // 4)]
        vector = [f"    {VECTOR_TYPE} {v} = {{0.0f, 0.0f, 0.0f, 0.0f}};" for v in vec]
        vector += [f"    for (kk = 0; kk < {k}; ++kk) {{", f"        const float xv = xi[kk];",
                   f"        {VECTOR_TYPE} wv;"]
        for q, v in enumerate(vec):
            vector += [f"        memcpy(&wv, {table} + kk * {width} + {4 * q}, sizeof wv);", f"        {v} += xv * wv;"]
        vector += ["    }"] + [f"    const float {a} = {vec[j // 4]}[{j % 4}];" for j, a in enumerate(acc)]
        lines = [VECTOR_GUARD] + vector + ["#else"] + scalar + ["#endif"]
    return lines, [f"(0.0f + {v}) + {c_float(bias[j])}" for j, v in enumerate(acc)]


def function_source(a: LinearPredictAttrs, fn: str) -> str:
    """`int32_t fn(const float *xi)`: the scores in order, then the first largest one's label;
    before it, the const tables of the blocks summed in loops."""
    tables, body, k0, vectors = [], [], 0, False
    for bi, b in enumerate(a.blocks):
        if b.const is not None:
            exprs = [c_float(v) for v in b.const]
        else:
            w, bias = inline_weights(b.weight, b.bias)
            if written_inline(b):
                exprs = [inline_sum(w[j], bias[j]) for j in range(w.shape[0])]
            else:
                table = f"{fn}_w{bi}"
                n, k = w.shape
                wt = np.zeros((k, padded_outputs(n)), np.float32)
                wt[:, :n] = w.T
                tables += [f"static const float {table}[{wt.size}] = {{", c_array_body(wt), "};", ""]
                lines, exprs = _loop_lines(w, bias, table, str(bi))
                body += lines
                vectors |= n > 1
        body += [f"    const float s{k0 + j} = {e};" for j, e in enumerate(exprs)]
        k0 += len(exprs)
    head = []
    if vectors:
        head = [VECTOR_GUARD, f"typedef float {VECTOR_TYPE} __attribute__((vector_size(16)));", "#endif", ""]
    loops = ["    int32_t kk;"] if tables else []
    return "\n".join(head + tables + [f"int32_t {fn}(const float *xi)", "{"] + loops + body + _pick_lines(a, k0) + ["}"])


def emit_linear_predict(ctx, node) -> None:
    """Adds the function's files and calls it; with the model's own input, the estimator API
    calls it directly (ctx.direct)."""
    x, y = node.inputs[0], node.outputs[0]
    fn = f"{ctx.prefix}_{c_identifier(node.name, 'linear')}"
    guard = fn.upper() + "_H"
    header = (f"/* Generated by edgec. Do not edit. */\n#ifndef {guard}\n#define {guard}\n\n#include <stdint.h>\n\n"
              f"/* One sample: the label of the largest linear score. */\nint32_t {fn}(const float *xi);\n\n"
              f"#endif /* {guard} */\n")
    source = "\n".join(["/* Generated by edgec: a linear classifier's scores and arg max. Do not edit. */",
                        "#include <stdint.h>", "#include <string.h>", "", f'#include "{fn}.h"', "", function_source(node.attrs, fn), ""])
    ctx.add_file(f"{fn}.c", source, header=f"{fn}.h", header_text=header)
    xp = ctx.ptr(x)
    ctx.steps[-1].lines.append(f"{ctx.ptr(y)}[0] = {fn}({xp});")
    if xp in ctx.io_names.values():
        ctx.direct[id(y)] = fn
