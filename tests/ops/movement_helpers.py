"""Helpers for the data-movement tests: small ONNX graphs, and a numpy twin of the movement C
kernels that runs each op's real `emit` (so index tables are checked without a C compiler)."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from edgec.frontend.onnx_loader import import_onnx
from edgec.ops import REGISTRY
from edgec.sim.interpreter import run_graph
from tests.ops.onnx_single import assert_ref_matches_ort, random_feeds, run_ort, single_node_model

RNG = np.random.default_rng(0)


def i64(*values) -> np.ndarray:
    return np.asarray(values, np.int64)


def graph_model(nodes, inputs: dict[str, tuple[tuple[int, ...], int]], outputs: list[str],
                inits: dict[str, np.ndarray] | None = None, opset: int = 19,
                out_type: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """A model from nodes; inputs map name -> (shape, TensorProto element type)."""
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, t, list(s)) for n, (s, t) in inputs.items()],
        [helper.make_tensor_value_info(o, out_type, None) for o in outputs],
        [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9
    return m


def assert_model_matches_ort(model, feeds) -> None:
    g = import_onnx(model)
    got = run_graph(g, feeds)
    for v, want in zip(g.outputs, run_ort(model, feeds)):
        assert got[v.name].shape == want.shape
        np.testing.assert_array_equal(got[v.name], want)


# -- a numpy twin of the C kernels, driven by each op's real `emit` --------------------------------
class FakeEmitContext:
    """Records what an op's emit asks for, so the numpy twin below can run its kernel calls."""

    def __init__(self):
        self.data: dict[str, object] = {}
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def _keep(self, obj, prefix: str) -> str:
        key = f"{prefix}{len(self.data)}"
        self.data[key] = obj
        return key

    def ptr(self, v) -> str:
        return v.name

    def same_buffer(self, a, b) -> bool:
        return False

    def struct(self, ctype, fields, hint=""):
        return self._keep(dict(fields), "&p")

    def ints(self, values, hint="", ctype="int32_t"):
        return self._keep(np.asarray(values), "t")

    def const(self, data, hint, dtype=None):
        return self._keep(np.asarray(data), "c")

    def call(self, fn, *args):
        self.calls.append((fn, args))


def _twin_remap(p, maps, x: np.ndarray, y: np.ndarray) -> None:
    rank = p["rank"]
    offs, pad = np.full((1,) * rank, p["offset"], np.int64), np.zeros((1,) * rank, bool)
    for d in range(rank):
        n, start = p["shape"][d], p["map_start"][d]
        o = np.arange(n) * p["stride"][d] if start < 0 else np.asarray(maps[start:start + n], np.int64)
        shape = [1] * rank
        shape[d] = n
        pad, offs = pad | ((o < 0) & (start >= 0)).reshape(shape), offs + o.reshape(shape)
    flat = x.reshape(-1)
    y.reshape(-1)[:] = np.where(pad, np.asarray(p["value"]).astype(x.dtype), flat[np.where(pad, 0, offs)]).reshape(-1)


def _twin_call(fn: str, args, env: dict, data: dict) -> None:
    get = lambda a: data[a] if a in data else env[a]  # noqa: E731
    p = data[args[0]]
    if fn == "ec_copy_f32":
        env[args[2]].view(np.uint8).reshape(-1)[:p["nbytes"]] = get(args[1]).view(np.uint8).reshape(-1)[:p["nbytes"]]
    elif fn == "ec_fill_f32":
        env[args[1]].reshape(-1)[:p["size"]] = p["value"]
    elif fn == "ec_remap_f32":
        _twin_remap(p, None if args[1] == "NULL" else get(args[1]), get(args[2]), env[args[3]])
    elif fn == "ec_concat_f32":
        x, y = get(args[1]).view(np.uint8).reshape(p["outer"], -1), env[args[2]].view(np.uint8).reshape(p["outer"], -1)
        y[:, p["y_offset"]:p["y_offset"] + p["row_bytes"]] = x
    elif fn == "ec_gather_f32":
        x = get(args[1]).reshape(p["outer"], p["axis_dim"], p["inner"])
        idx = np.asarray(get(args[2])).reshape(-1)
        idx = np.clip(np.where(idx < 0, idx + p["axis_dim"], idx), 0, p["axis_dim"] - 1)
        env[args[3]].reshape(-1)[:] = x[:, idx, :].reshape(-1)
    else:
        raise AssertionError(f"no twin for {fn}")


def run_twin(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Imports the model and runs every node through its emit + the numpy twin of its kernel."""
    g = import_onnx(model)
    env = {v.name: np.asarray(feeds[v.name], v.type.dtype.np) for v in g.inputs}
    for n in g.nodes:
        ctx = FakeEmitContext()
        for v in n.inputs:
            if v is not None and v.is_const:
                env[v.name] = np.ascontiguousarray(v.data)
        for v in n.outputs:
            env[v.name] = np.zeros(v.shape, v.type.dtype.np)
        REGISTRY[n.op].emit(ctx, n)
        for fn, args in ctx.calls:
            _twin_call(fn, args, env, ctx.data)
    return [v.data if v.is_const else env[v.name] for v in g.outputs]


def check(model: onnx.ModelProto, feeds=None, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    """The float refs and the kernel twin both match onnxruntime."""
    feeds = feeds if feeds is not None else random_feeds(model)
    assert_ref_matches_ort(model, feeds, rtol=rtol, atol=atol)
    for w, g in zip(run_ort(model, feeds), run_twin(model, feeds)):
        np.testing.assert_allclose(np.asarray(g).reshape(w.shape), w, rtol=rtol, atol=atol)



def embedding_model(v: int = 10, d: int = 6, n: int = 4):
    table = RNG.standard_normal((v, d)).astype(np.float32)
    return graph_model([helper.make_node("Gather", ["w", "ids"], ["y"], axis=0)],
                       {"ids": ((1, n), TensorProto.INT64)}, ["y"], {"w": table})



def resize_model(kind, target, opset=19, roi=None, **attrs):
    inputs = {"x": (1, 2, 5, 7), "roi": np.asarray(roi or [], np.float32)}
    if kind == "scales":
        inputs["sc"] = np.asarray(target, np.float32)
    else:
        inputs[""] = None
        inputs["sz"] = i64(*target)
    return single_node_model("Resize", inputs, opset=opset, mode="nearest", **attrs)


