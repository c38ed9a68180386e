"""Test helpers shared by the test suite: compile an ONNX model, run the C, compare."""
from __future__ import annotations

import numpy as np
import onnx

import edgec
from edgec.reference import OnnxReference


def check_onnx(model: onnx.ModelProto, feeds: dict[str, np.ndarray], rtol: float = 1e-4,
               atol: float = 1e-5, input_shapes=None) -> dict[str, np.ndarray]:
    """Compiles `model` to C, runs one sample through gcc-built C, asserts it matches onnxruntime.

    Returns the C outputs. Also checks the numpy simulator of the optimised graph agrees.
    """
    from edgec.sim.interpreter import run_graph
    art = edgec.compile(model, input_shapes=input_shapes)
    got = art.run(feeds)
    want = OnnxReference(model).run(feeds)
    sim = run_graph(art.graph, {k: np.asarray(v, dtype=np.float32) if np.asarray(v).dtype.kind == "f" else v
                                for k, v in feeds.items()})
    for name, ref in want.items():
        np.testing.assert_allclose(got[name], ref.astype(np.float32).reshape(got[name].shape), rtol=rtol, atol=atol,
                                   err_msg=f"C output '{name}' vs reference")
        np.testing.assert_allclose(sim[name], ref.astype(np.float32).reshape(got[name].shape), rtol=rtol, atol=atol,
                                   err_msg=f"simulator output '{name}' vs reference")
    return got


def check_int8(model, calib: list[dict[str, np.ndarray]], feeds: list[dict[str, np.ndarray]] | None = None,
               float_ops: bool = False, min_sqnr_db: float | None = None):
    """Compiles `model` to int8 C with `calib`, runs `feeds` (float; default: calib) through the C
    and the integer simulator, asserts they are bit-exact, and returns (artifact, C outputs
    dequantized, float reference outputs of the optimised float graph) per sample."""
    from edgec.report import sqnr_db
    from edgec.sim.interpreter import run_graph
    art = edgec.compile(model, quant="int8", calib=calib, float_ops=float_ops)
    got_all, want_all = [], []
    for f in (feeds if feeds is not None else calib):
        q = art.quantize_inputs(f)
        c_out = art.run(q)
        sim = art.simulate(q)
        for name, c in c_out.items():
            np.testing.assert_array_equal(c, sim[name].reshape(c.shape), err_msg=f"C vs simulator, output '{name}'")
        got_all.append(art.dequantize_outputs(c_out))
        ref = run_graph(art.float_graph, {k: np.asarray(v, np.float32) for k, v in f.items()})
        want_all.append({k: ref[k] for k in c_out})
    if min_sqnr_db is not None:
        for name in got_all[0]:
            g = np.stack([o[name] for o in got_all]).astype(np.float64)
            w = np.stack([o[name] for o in want_all]).astype(np.float64).reshape(g.shape)
            assert sqnr_db(w, g) >= min_sqnr_db, f"output '{name}': SQNR {sqnr_db(w, g):.1f} dB < {min_sqnr_db}"
    return art, got_all, want_all
