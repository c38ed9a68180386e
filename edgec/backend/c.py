"""The portable C99 back end: lowered graph + memory plan -> files of a self-contained C model."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import jinja2

from edgec import __version__
from edgec.backend.api import ApiSpec, api_functions
from edgec.backend.cformat import c_array_body, c_float
from edgec.backend.emit import EmitContext
from edgec.backend.lower import lower_for_c
from edgec.backend.names import c_comment, c_identifier
from edgec.backend.plan import MemoryPlan, plan_memory, scratch_bytes
from edgec.backend.planner import align_up
from edgec.backend.signature import PortSig, Signature
from edgec.errors import EdgecError, ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, Graph, Value
from edgec.ops import base
from edgec.resources import runtime_dir, templates_dir


@dataclass
class IoPort:
    """One argument of `<name>_run`: a graph input or output."""

    param: str      # C parameter name
    macro: str      # NAME_IN_X / NAME_OUT_Y stem
    value: Value
    ctype: str
    size: int
    shape: tuple[int, ...]
    original: str   # the model's name, for comments
    scale: str = ""       # C float literal of the int8 scale ("" for float ports)
    zero_point: int = 0


@dataclass
class CModelSource:
    """Everything the C back end produced: file name -> text, and the facts reports need."""

    name: str
    files: dict[str, str]
    inputs: list[IoPort]
    outputs: list[IoPort]
    memory: MemoryPlan
    weights_bytes: int
    graph: Graph

    def signature(self) -> Signature:
        port = lambda p: PortSig(p.value.name, p.param, p.ctype, p.value.type.dtype.value, tuple(p.shape))
        return Signature(self.name, tuple(port(p) for p in self.inputs), tuple(port(p) for p in self.outputs),
                         self.memory.arena_bytes)


def graph_digest(g: Graph) -> str:
    """A content hash of the graph (ops, attrs, shapes, constant bytes) for the file banner."""
    h = hashlib.sha256()
    for n in g.nodes:
        h.update(f"{n.op}|{n.attrs!r}|{[v.type if v is not None else None for v in n.inputs]}".encode())
        for v in n.inputs:
            if v is not None and v.is_const:
                h.update(v.data.tobytes())
    return h.hexdigest()[:16]


def _ports(values: list[Value], prefix: str, kind: str) -> list[IoPort]:
    used: set[str] = set()
    ports = []
    for k, v in enumerate(values):
        stem = c_identifier(v.name, f"{kind}{k}")
        if stem in used:
            stem = f"{stem}_{k}"
        used.add(stem)
        q = v.type.qparams if v.type.dtype == DType.I8 else None
        ports.append(IoPort(f"{kind}_{stem}", f"{prefix.upper()}_{kind.upper()}_{stem.upper()}", v,
                            v.type.dtype.ctype, v.type.size, v.shape, c_comment(v.name),
                            c_float(q.scale[0]) if q else "", q.zero_point[0] if q else 0))
    return ports


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


_INCLUDE = re.compile(r'#include "([^"]+)"')


def kernel_headers(sources: set[str]) -> list[str]:
    """The runtime headers the used kernels' .c files include: what the model's .c includes, so an
    int8 model never sees a float kernel's declarations."""
    root = runtime_dir()
    found: set[str] = set()
    for s in sources:
        found.update(_INCLUDE.findall((root / "src" / f"{s}.c").read_text()))
    return sorted(h for h in found if (root / "include" / h).exists() and h != "ec_fixedpoint.h")


def runtime_files(sources: set[str]) -> dict[str, str]:
    """The runtime .c files used and every runtime header they (transitively) include."""
    root = runtime_dir()
    files: dict[str, str] = {}
    todo = [f"src/{s}.c" for s in sorted(sources)]
    while todo:
        rel = todo.pop()
        name = rel.split("/")[-1]
        if name in files:
            continue
        text = (root / rel).read_text()
        files[name] = text
        todo.extend(f"include/{inc}" for inc in _INCLUDE.findall(text) if (root / "include" / inc).exists())
    return files


def emit_c(g: Graph, name: str, api: ApiSpec | None = None, target: str = "portable") -> CModelSource:
    """Turns an optimised graph into C files; `name` is already a C identifier. `api`: the
    estimator-style functions (predict, predict_proba, ...) of a scikit-learn model. `target`:
    "portable", or "cmsis" for the Cortex-M kernels of edgec.backend.cmsis where they apply."""
    from edgec.backend.cmsis import select_kernels
    for v in g.outputs:
        if v.type.size == 0:
            raise ShapeError(f"output '{v.name}' has no elements (shape {list(v.shape)}); nothing to compute")
    g, splats = lower_for_c(g)
    kernels = select_kernels(g, target)
    mem = plan_memory(g, lambda n: kernels[id(n)].scratch if id(n) in kernels else scratch_bytes(n))
    inputs, outputs = _ports(g.inputs, name, "in"), _ports(g.outputs, name, "out")
    ctx = EmitContext(g, name, mem, {id(p.value): p.param for p in inputs + outputs}, splats)
    for n in g.nodes:
        opdef = base.get(n.op)
        if opdef.emit is None:
            raise UnsupportedOpError(n.op, n.name, "no C kernel for this op")
        ctx.begin(n)
        if id(n) in mem.elided:
            ctx.note("in place: the inputs were written straight into the output")
            continue
        kernel = kernels.get(id(n))
        (kernel or opdef).emit(ctx, n)
        ctx.use(*(kernel or opdef).sources)
    digest = graph_digest(g)
    banner = f"Generated by edgec {__version__} from model {c_comment(g.name)} (sha256:{digest}). Do not edit."
    weights_bytes = sum(w.data.nbytes for w in ctx.weights)
    env = _env()
    read = {id(v) for n in g.nodes for v in n.inputs if v is not None} | {id(v) for v in mem.io_alias.values()}
    unused = [p.param for p in inputs if id(p.value) not in read]
    args = dict(name=name, NAME=name.upper(), banner=banner, inputs=inputs, outputs=outputs, ctx=ctx, unused=unused,
                arena_bytes=mem.arena_bytes, weights=ctx.weights, body=c_array_body,
                weights_bytes=weights_bytes, runtime=sorted(ctx.sources),
                headers=kernel_headers(ctx.sources))
    float_io = bool(inputs + outputs) and all(p.scale for p in inputs + outputs)
    io_offsets, end = {}, align_up(mem.arena_bytes, 8)
    for p in inputs + outputs:
        io_offsets[p.param] = end
        end = align_up(end + p.size, 8)
    args.update(float_io=float_io, io_offsets=io_offsets, float_arena_bytes=end)
    direct = {p.param: ctx.direct[id(p.value)] for p in outputs if id(p.value) in ctx.direct}
    funcs, api_header, api_source = api_functions(api, name, inputs, outputs, direct) if api else ([], [], [])
    args.update(api_funcs=funcs, api_header=api_header, api_source=api_source)
    files = {
        f"{name}.h": env.get_template("model.h.j2").render(**args),
        f"{name}.c": env.get_template("model.c.j2").render(**args),
        f"{name}_weights.h": env.get_template("weights.h.j2").render(**args),
        f"{name}_weights.c": env.get_template("weights.c.j2").render(**args),
        "Makefile": env.get_template("Makefile.j2").render(**args),
    }
    if float_io:
        files[f"{name}_float_io.c"] = env.get_template("float_io.c.j2").render(**args)
    files.update(ctx.files)
    files.update(runtime_files(ctx.sources))
    return CModelSource(name, files, inputs, outputs, mem, weights_bytes, g)
