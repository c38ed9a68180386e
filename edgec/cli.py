"""Command line: argparse -> the Python API. Errors print one line and exit 2."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edgec.errors import EdgecError

EXIT_ERROR = 2
EXIT_MISMATCH = 1


def _shape_option(items: list[str] | None) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for item in items or []:
        name, sep, dims = item.rpartition("=")
        try:
            if not sep or not name:
                raise ValueError
            shapes[name] = tuple(int(d) for d in dims.lower().split("x"))
            if any(d <= 0 for d in shapes[name]):
                raise ValueError
        except ValueError:
            raise EdgecError(f"--input-shape '{item}': expected NAME=AxBxC with positive integers") from None
    return shapes


def _write_json(path: str | None, report: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


def cmd_compile(a) -> int:
    import edgec
    art = edgec.compile(a.model, input_shapes=_shape_option(a.input_shape), name=a.name, quant=a.quant,
                        calib=a.calib, float_ops=a.float_ops, tree_layout=a.tree_layout, target=a.target,
                        cpu=a.cpu, **_sklearn_options(a))
    out = art.write(a.output)
    m = art.memory()
    print(f"wrote {out}/{art.name}.h and {len(art.c.files) - 1} more files ({art.quant}): arena {m['arena_bytes']} B "
          f"(no reuse {m['arena_bytes_no_reuse']} B), weights {m['weights_bytes']} B, {art.macs} MACs")
    _print_islands(art.float_islands)
    if a.cpu:
        from edgec.cortexm.commands import write_cross_makefile
        write_cross_makefile(out, art.name, a.cpu)
    return 0


def _print_islands(islands: list[str]) -> None:
    if islands:
        print(f"float islands ({len(islands)}): " + "; ".join(islands))


def cmd_run(a) -> int:
    if a.cpu:
        from edgec.cortexm.commands import cmd_run_cpu
        return cmd_run_cpu(a)
    from edgec.backend.build import CompiledModel, build_shared
    from edgec.backend.signature import Signature
    from edgec.data import load_inputs, samples, save_outputs
    d = Path(a.dir)
    sig = Signature.load(d)
    files = {p.name: p.read_text() for p in sorted(d.iterdir()) if p.suffix in (".c", ".h")}
    model = CompiledModel(sig, build_shared(files))
    batches = load_inputs(a.input, [(p.name, p.shape) for p in sig.inputs])
    outs: dict[str, list] = {p.name: [] for p in sig.outputs}
    for feed in samples(batches):
        for k, v in model.run(feed).items():
            outs[k].append(v)
    save_outputs(a.output, outs)
    print(f"ran {len(next(iter(outs.values())))} samples through {sig.name}; wrote {a.output}")
    return 0


def _sklearn_options(a) -> dict:
    """compile() options of the scikit-learn route, only when given (ONNX models take none)."""
    opts = {}
    if a.trust_pickle:
        opts["trust_pickle"] = True
    if getattr(a, "sample", None):
        from edgec.verify_sklearn import load_xy
        opts["sample"] = load_xy(a.sample)[0]
    if getattr(a, "methods", None):
        opts["methods"] = a.methods
    return opts


def cmd_verify_estimator(a) -> int:
    """`edgec verify model.joblib --trust-pickle --data test.npz` (X and optional y)."""
    import edgec
    from edgec.frontend.sklearn.pickle_loader import load_pickled_estimator
    from edgec.verify_sklearn import load_xy, verify_estimator
    est = load_pickled_estimator(a.model, a.trust_pickle)
    X, y = load_xy(a.data)
    art = edgec.compile(est, name=a.name, quant=a.quant, **_sklearn_options(a))
    if a.out:
        art.write(a.out)
    report = verify_estimator(est, art, X, y)
    print(f"{art.name} ({art.quant}, {report['estimator']}): {report['samples']} samples, C (gcc) vs scikit-learn")
    for k, v in report["agreement"].items():
        print(f"  {k}: {100 * v:.2f}%" if k == "predict_agreement" else f"  {k}: {v:.3g}")
    if "accuracy" in report:
        acc = report["accuracy"]
        print(f"accuracy on y: scikit-learn {100 * acc['sklearn']:.2f}%, C {100 * acc['compiled']:.2f}%")
    m = report["memory"]
    print(f"arena {m['arena_bytes']} B, weights {m['weights_bytes']} B, {report['timing']['c_us_per_prediction']} us/prediction")
    print("PASS" if report["passed"] else f"FAIL: predict agreement below {100 * report['min_agreement']:.1f}%")
    _write_json(a.json, report)
    return 0 if report["passed"] else EXIT_MISMATCH


def cmd_verify(a) -> int:
    from edgec.frontend.sklearn.pickle_loader import is_pickle_path
    if is_pickle_path(a.model):
        return cmd_verify_estimator(a)
    from edgec.report import format_per_layer, format_table
    from edgec.verify import verify
    art, report = verify(a.model, a.data, _shape_option(a.input_shape), a.name, a.rtol, a.atol, a.quant, a.calib,
                         a.labels, a.per_layer, a.float_ops, a.min_sqnr)
    if a.out:
        art.write(a.out)
    print(f"{art.name} ({art.quant}): {report['samples']} samples, C (gcc) vs {report['reference']}")
    print(format_table(report["outputs"]))
    if "accuracy" in report:
        acc = report["accuracy"]
        print(f"top-1: float {100 * acc['top1_float']:.2f}%, {art.quant} {100 * acc['top1_compiled']:.2f}%, "
              f"agreement {100 * acc['agreement']:.2f}%")
    if "bit_exact_vs_simulator" in report:
        exact = "yes" if report["bit_exact_vs_simulator"] else ("no (float islands)" if report["float_islands"] else "NO")
        print(f"C bit-exact with the integer simulator: {exact}")
        _print_islands(report["float_islands"])
    if report.get("per_layer"):
        print(format_per_layer(report["per_layer"]))
    m = report["memory"]
    print(f"arena {m['arena_bytes']} B (no reuse {m['arena_bytes_no_reuse']} B), weights {m['weights_bytes']} B, "
          f"{report['macs']} MACs, {report['timing']['c_us_per_inference']} us/inference")
    if report["passed"]:
        print("PASS")
    elif art.quant == "int8":
        print(f"FAIL: not bit-exact with the simulator, or an output's SQNR is below {a.min_sqnr} dB")
    else:
        print(f"FAIL: outside rtol={a.rtol} atol={a.atol}")
    _write_json(a.json, report)
    return 0 if report["passed"] else EXIT_MISMATCH


def cmd_inspect(a) -> int:
    from edgec.inspect_model import format_layers, inspect_report
    p = Path(a.target)
    if p.is_dir():
        report = json.loads((p / "edgec.json").read_text()) if (p / "edgec.json").is_file() else None
        if report is None:
            raise EdgecError(f"{p}: no edgec.json; is this a directory written by `edgec compile`?")
    else:
        import edgec
        report = inspect_report(edgec.compile(str(p), input_shapes=_shape_option(a.input_shape)))
        print(report["ir"])
    print(format_layers(report["layers"]))
    m = report["memory"]
    print(f"arena {m['arena_bytes']} B (no reuse {m['arena_bytes_no_reuse']} B), weights {m['weights_bytes']} B, "
          f"{report['macs']} MACs")
    _write_json(a.json, report)
    return 0


def _quant_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quant", choices=["float", "int16", "int8"], default="float",
                   help="numeric mode of the C (int16: scikit-learn models)")
    p.add_argument("--calib", metavar="CALIB.npz", help="int8: calibration inputs (a few hundred samples)")
    p.add_argument("--float-ops", action="store_true",
                   help="int8: keep ops without an int8 kernel in float32 (listed as float islands)")
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow a pickled scikit-learn model (.joblib/.pkl): loading it runs code from the file")
    p.add_argument("--sample", metavar="X.npz", help="scikit-learn models: feature rows 'X' for int16/int8 calibration")
    p.add_argument("--methods", metavar="M1,M2",
                   help="estimators: C functions to emit, e.g. predict or predict,predict_proba (default: all); "
                        "code only the others need is dropped")


def parser() -> argparse.ArgumentParser:
    from edgec.cortexm import commands as cortexm
    ap = argparse.ArgumentParser(prog="edgec", description="Compile trained models into verified C for microcontrollers.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    shape_help = "fix an input's shape, e.g. input=1x3x32x32 (repeatable)"

    c = sub.add_parser("compile", help="compile MODEL to C in DIR")
    c.add_argument("model")
    c.add_argument("-o", "--output", required=True, metavar="DIR")
    c.add_argument("--name", help="C prefix of the generated API")
    c.add_argument("--input-shape", action="append", metavar="NAME=AxB", help=shape_help)
    _quant_options(c)
    c.add_argument("--tree-layout", choices=["auto", "table", "code"], default="auto",
                   help="C form of tree ensembles: auto (the first if-else variant - plain, on order keys, or "
                        "one function per tree returning its leaf row - within 2.5x the measured bytes of "
                        "the tables, as it runs faster; else tables), node tables, or plain if-else code")
    c.add_argument("--target", choices=["portable", "cmsis", "cmsis-w16"], default="portable",
                   help="C kernels: portable C99, or cmsis (Cortex-M: Helium / DSP / plain C paths); cmsis-w16: "
                        "cmsis with the convolution weights pre-widened for DSP cores (faster there, up to 2x their flash)")
    cortexm.add_cpu_option(c, False, "the Cortex-M core the C is for: also write a Makefile that cross-builds for it, "
                           "and choose forms that suit it (KNN grid codes only with a double-precision FPU)")
    c.set_defaults(fn=cmd_compile)

    r = sub.add_parser("run", help="build DIR's C (host gcc, or --cpu) and run every sample of IN.npz")
    r.add_argument("dir")
    r.add_argument("--input", required=True, metavar="IN.npz")
    r.add_argument("--output", required=True, metavar="OUT.npz")
    cortexm.add_run_options(r)
    r.set_defaults(fn=cmd_run)

    v = sub.add_parser("verify", help="compile, build, run and compare with the float reference")
    v.add_argument("model")
    v.add_argument("--data", required=True, metavar="IN.npz")
    v.add_argument("--json", metavar="REPORT.json")
    v.add_argument("--out", metavar="DIR", help="also write the generated C here")
    v.add_argument("--name")
    v.add_argument("--input-shape", action="append", metavar="NAME=AxB", help=shape_help)
    v.add_argument("--rtol", type=float, default=1e-3, help="float models: relative tolerance")
    v.add_argument("--atol", type=float, default=1e-4, help="float models: absolute tolerance")
    v.add_argument("--min-sqnr", type=float, default=15.0, help="int8 models: lowest acceptable SQNR (dB)")
    v.add_argument("--labels", action="store_true", help="report top-1 accuracy against the data file's 'labels'")
    v.add_argument("--per-layer", action="store_true", help="int8: SQNR of every layer, float vs int8")
    _quant_options(v)
    v.set_defaults(fn=cmd_verify)

    i = sub.add_parser("inspect", help="show the IR, layers, MACs and memory of MODEL or DIR")
    i.add_argument("target", metavar="MODEL|DIR")
    i.add_argument("--json", metavar="FILE")
    i.add_argument("--input-shape", action="append", metavar="NAME=AxB", help=shape_help)
    i.set_defaults(fn=cmd_inspect)
    cortexm.add_size_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    ap.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except EdgecError as e:
        first = (str(e).splitlines() or [type(e).__name__])[0]
        print(f"edgec: error: {first}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug in edgec: still one line, unless --debug asks for the traceback
        if args.debug:
            raise
        first = (str(e).splitlines() or [""])[0][:200]
        print(f"edgec: internal error: {type(e).__name__}: {first} (rerun with --debug and report it)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
