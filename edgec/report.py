"""Comparing compiled outputs with the float reference: the numbers `edgec verify` reports."""
from __future__ import annotations

import math

import numpy as np

SQNR_IDENTICAL_DB = 300.0   # reported when the signal has no error at all


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    """Signal-to-quantisation-noise ratio in dB; SQNR_IDENTICAL_DB when identical."""
    ref = ref.astype(np.float64)
    noise = float(np.sum((got.astype(np.float64) - ref) ** 2))
    signal = float(np.sum(ref ** 2))
    if noise == 0.0:
        return SQNR_IDENTICAL_DB
    if signal == 0.0:
        return -SQNR_IDENTICAL_DB
    return min(SQNR_IDENTICAL_DB, 10.0 * math.log10(signal / noise))


def looks_like_scores(shape: tuple[int, ...]) -> bool:
    """Class scores: one axis of >= 2 entries, every other axis 1."""
    big = [d for d in shape if d != 1]
    return len(big) == 1 and big[0] >= 2


def compare_output(ref: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> dict:
    """ref, got: [samples, *shape] arrays. Returns the per-output report fields."""
    ref = ref.astype(np.float32).reshape(got.shape)
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    within = bool(np.all(err <= atol + rtol * np.abs(ref)))
    top1 = None
    if looks_like_scores(got.shape[1:]):
        r = ref.reshape(ref.shape[0], -1).argmax(axis=1)
        g = got.reshape(got.shape[0], -1).argmax(axis=1)
        top1 = float(np.mean(r == g))
    return {"max_abs_err": float(err.max()) if err.size else 0.0, "sqnr_db": round(sqnr_db(ref, got), 2),
            "top1_agreement": top1, "within_tolerance": within}


def format_table(outputs: dict[str, dict]) -> str:
    rows = [("output", "max_abs_err", "SQNR dB", "top-1 agree", "ok")]
    for name, r in outputs.items():
        t = "-" if r["top1_agreement"] is None else f"{100 * r['top1_agreement']:.1f}%"
        rows.append((name, f"{r['max_abs_err']:.3g}", f"{r['sqnr_db']:.1f}", t, "yes" if r["within_tolerance"] else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows)


def top1_accuracy(float_scores: np.ndarray, int_scores: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1 of the float reference and of the compiled model against labels, and agreement."""
    f = float_scores.reshape(float_scores.shape[0], -1).argmax(axis=1)
    q = int_scores.reshape(int_scores.shape[0], -1).argmax(axis=1)
    labels = np.asarray(labels).reshape(-1)
    return {"top1_float": float(np.mean(f == labels)), "top1_compiled": float(np.mean(q == labels)),
            "agreement": float(np.mean(f == q))}


def per_layer_sqnr(art, batches: dict[str, np.ndarray], max_samples: int = 64) -> list[dict]:
    """SQNR between the float graph and the int8 simulator at every int8 value that stands for a
    float value (same name): where the accuracy went, layer by layer."""
    from edgec.data import samples
    from edgec.quant.qparams import dequantize_array
    from edgec.sim.interpreter import run_graph
    if art.float_graph is None or art.quant != "int8":
        return []
    float_names = {v.name: v for n in art.float_graph.nodes for v in n.outputs}
    rows: dict[str, dict] = {}
    for i, feed in enumerate(samples(batches)):
        if i >= max_samples:
            break
        fl = run_graph(art.float_graph, {k: np.asarray(v, np.float32) for k, v in feed.items()}, keep_all=True)
        q = run_graph(art.graph, art.quantize_inputs(feed), keep_all=True)
        for n in art.graph.nodes:
            for v in n.outputs:
                if v.name in float_names and v.type.qparams is not None and v.name in q and v.name in fl:
                    r = rows.setdefault(v.name, {"name": v.name, "op": n.op, "ref": [], "got": []})
                    r["ref"].append(fl[v.name].reshape(-1))
                    r["got"].append(dequantize_array(q[v.name], v.type.qparams).reshape(-1))
    return [{"name": r["name"], "op": r["op"], "sqnr_db": round(sqnr_db(np.concatenate(r["ref"]),
                                                                      np.concatenate(r["got"])), 2)}
            for r in rows.values()]


def format_per_layer(rows: list[dict]) -> str:
    table = [("layer", "op", "SQNR dB")] + [(r["name"][:40], r["op"], f"{r['sqnr_db']:.1f}") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table)
