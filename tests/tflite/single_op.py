"""Single-operator .tflite models built in the tests, and the edgec-vs-TFLM comparison.

Models are assembled with tests/tflm/tflite_model.ModelBuilder (the schema's object API), so
every quantization parameter (per-tensor activations, per-channel weight scales, int32 biases)
is chosen here and read back by edgec's TFLite front end exactly as TFLM reads it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from tflite_micro.python.tflite_micro import runtime
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

import edgec
from edgec.ir.graph import DType, QParams
from tests.tflm.tflite_model import ModelBuilder

BO, AF = fb.BuiltinOperator, fb.ActivationFunctionType


def q(scale: float, zp: int = 0) -> QParams:
    return QParams((float(np.float32(scale)),), (int(zp),))


def per_channel(scales, axis: int) -> QParams:
    s = tuple(float(np.float32(v)) for v in scales)
    return QParams(s, (0,) * len(s), axis)


class OneOp:
    """A model of one operator (plus its constants); inputs are declared first."""

    def __init__(self, seed: int = 0):
        self.b = ModelBuilder("single_op")
        self.inputs: list[int] = []
        self.rng = np.random.default_rng(seed)

    def input(self, shape, qp: QParams | None, dtype: DType = DType.I8) -> int:
        i = self.b.tensor(tuple(shape), dtype, qp, f"input_{len(self.inputs)}")
        self.inputs.append(i)
        return i

    def const(self, data: np.ndarray, qp: QParams | None = None) -> int:
        return self.b.tensor(data.shape, DType.from_np(data.dtype), qp, f"const_{len(self.b.tensors)}", data)

    def weights(self, shape, axis: int, per_tensor: bool = False) -> tuple[int, np.ndarray]:
        """Random int8 weights in [-127, 127] with symmetric scales along `axis`; (tensor, scales)."""
        w = self.rng.integers(-127, 128, shape).astype(np.int8)
        n = 1 if per_tensor else shape[axis]
        scales = self.rng.uniform(0.002, 0.02, n).astype(np.float32)
        qp = q(scales[0]) if per_tensor else per_channel(scales, axis)
        return self.const(w, qp), scales

    def bias(self, n: int, in_scale: float, w_scales: np.ndarray) -> int:
        b = self.rng.integers(-3000, 3000, n).astype(np.int32)
        s = np.broadcast_to(np.float32(in_scale) * w_scales, (n,))
        return self.const(b, per_channel(s, 0) if n > 1 else q(s[0]))

    def ints(self, values) -> int:
        return self.b.ints(values, f"ints_{len(self.b.tensors)}")

    def finish(self, code: int, ins: list[int], out_shape, out_q: QParams | None, options=None,
               out_dtype: DType = DType.I8) -> bytes:
        y = self.b.tensor(tuple(out_shape), out_dtype, out_q, "output")
        self.b.op(code, ins, [y], options)
        return self.b.finish(self.inputs, [y])


def options(cls, **fields):
    """An *OptionsT object with `fields` set (schema names, e.g. fusedActivationFunction)."""
    o = cls()
    for k, v in fields.items():
        setattr(o, k, v)
    return o


def random_feed(shape, dtype: np.dtype, rng: np.random.Generator) -> np.ndarray:
    if np.dtype(dtype) == np.int8:
        return rng.integers(-128, 128, shape).astype(np.int8)
    return (rng.standard_normal(shape) * 2.0).astype(np.float32)


def check_vs_tflm(data: bytes, tmp_path: Path, n: int = 3, seed: int = 0):
    """Compiles `data` with edgec (as a .tflite file), runs n random inputs through edgec's C, its
    integer simulator and TFLM; asserts C == TFLM and C == simulator element for element."""
    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    art = edgec.compile(str(path))
    tflm = runtime.Interpreter.from_bytes(data)
    rng = np.random.default_rng(seed)
    for k in range(n):
        feeds = {v.name: random_feed(v.shape, v.type.dtype.np, rng) for v in art.graph.inputs}
        for i, v in enumerate(art.graph.inputs):
            tflm.set_input(feeds[v.name], i)
        tflm.invoke()
        got, sim = art.run(feeds), art.simulate(feeds)
        for i, v in enumerate(art.graph.outputs):
            want = np.asarray(tflm.get_output(i))
            c = got[v.name].reshape(want.shape)
            diff = c.astype(np.float64) - want.astype(np.float64)
            assert not diff.any(), (f"input {k}: edgec C != TFLM at {np.count_nonzero(diff)} of {diff.size} elements "
                                    f"(max |diff| {np.abs(diff).max()}); edgec ops {[x.op for x in art.graph.nodes]}")
            assert np.array_equal(sim[v.name].reshape(want.shape), c), f"input {k}: C != simulator"
    return art
