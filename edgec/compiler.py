"""The compile pipeline: front end -> passes -> C back end."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import onnx

from edgec.artifact import Artifact
from edgec.backend.c import emit_c
from edgec.backend.names import c_identifier
from edgec.errors import EdgecError, ModelLoadError
from edgec.frontend.onnx_loader import import_onnx, load_onnx
from edgec.ir.graph import DType, Graph


def load_model(model: Any, input_shapes: dict[str, tuple[int, ...]] | None = None) -> Graph:
    """A path to an .onnx file, an onnx.ModelProto, or an IR Graph -> IR graph."""
    if isinstance(model, Graph):
        return model
    if isinstance(model, onnx.ModelProto):
        return import_onnx(model, input_shapes, c_identifier(model.graph.name or "model"))
    if isinstance(model, (str, Path)):
        path = str(model)
        if path.endswith(".tflite"):
            from edgec.frontend.tflite_loader import load_tflite
            return load_tflite(path)
        if path.endswith(".onnx") or os.path.isfile(path):
            return load_onnx(path, input_shapes)
    raise ModelLoadError(f"cannot load a model from {type(model).__name__} {model!r}"[:200])


def optimise(g: Graph, verify_each: bool = True, quant: str = "float") -> Graph:
    from edgec.passes.pipeline import DEFAULT_PIPELINE, INT8_PIPELINE, run_pipeline
    return run_pipeline(g, verify_each=verify_each, passes=INT8_PIPELINE if quant == "int8" else DEFAULT_PIPELINE)


def _quantize(float_graph: Graph, calib: Any, calib_method: str, allow_float: bool, verify_each: bool):
    """Calibrates the optimised float graph and quantizes it; calib: .npz path or list of feeds."""
    from edgec.ir.verify import verify
    from edgec.quant.quantize import quantize_graph
    result = quantize_graph(float_graph, _calibrate(float_graph, calib, calib_method), allow_float)
    if verify_each:
        verify(result.graph, "quantize")
    return result


def _calibrate(float_graph: Graph, calib: Any, calib_method: str):
    """Every float value's range over `calib`; None when no data is given for a pre-quantized
    model (QDQ): the quantization pass then uses the model's own qparams, kept on the values."""
    from edgec.data import load_inputs, samples
    from edgec.quant.calibrate import calibrate
    if calib is None:
        if any(v.type.qparams is not None for v in float_graph.values()):
            return None
        raise EdgecError("--quant int8 needs calibration data (--calib CALIB.npz) unless the model is pre-quantized")
    if isinstance(calib, (str, Path)):
        batches = load_inputs(str(calib), [(v.name, v.shape) for v in float_graph.inputs])
        n = next(iter(batches.values())).shape[0]
        feeds = samples(batches)
    else:
        feeds, n = list(calib), len(calib)
    return calibrate(float_graph, feeds, calib_method, n)


def compile(model: Any, input_shapes: dict[str, tuple[int, ...]] | None = None, name: str | None = None,
            verify_each: bool = True, quant: str = "float", calib: Any = None, calib_method: str = "minmax",
            float_ops: bool = False, sample: Any = None, trust_pickle: bool = False,
            tree_layout: str = "auto", target: str = "portable",
            methods: Any = None, cpu: str | None = None) -> Artifact:
    """Compiles a model to C.

    Args:
        model: path to an .onnx or .tflite file, an onnx.ModelProto or an IR Graph. An int8
            .tflite compiles to int8 C with the file's own quantization (quant/calib ignored); a
            float .tflite compiles like an ONNX model (quant="int8" needs calib).
        input_shapes: fixes symbolic input dims, e.g. {"x": (1, 3, 32, 32)}.
        name: C prefix of the generated API (default: from the file or graph name); sanitised.
        verify_each: run the IR verifier after every pass.
        quant: "float" (float32 C) or "int8" (integer-only C, TFLite/CMSIS-NN int8 scheme).
        calib: for int8: an .npz path or a list of feed dicts, run through the float model to
            choose every activation's range. A pre-quantized (QDQ) model needs none: its own
            scales and zero points are used, and calibration only fills values it leaves out.
        calib_method: observer name (see edgec.quant.observers.OBSERVERS).
        float_ops: for int8: keep ops with no int8 kernel in float32 (listed as float islands)
            instead of failing.
        sample: for a scikit-learn estimator or an ONNX-ML model: representative feature rows X [n, features]
            (calibration data of the int16/int8 modes), an array or an .npz path (array 'X').
        trust_pickle: allow `model` to be a pickled estimator (.joblib/.pkl); unpickling runs code.
        tree_layout: C form of tree ensembles: "auto" (if-else code while its measured object is
            at most edgec.backend.trees.SPEED_SIZE_FACTOR times the tables', as it is faster),
            "table" (packed node tables and a walker) or "code" (if-else functions).
        target: "portable" (C99 for any compiler) or "cmsis" (int8 kernels in the style of
            CMSIS-NN with Helium / DSP-extension / plain C paths; see edgec.backend.cmsis), or
            "cmsis-w16" (cmsis with the convolution weights pre-widened to int16 for DSP cores).
        methods: for an estimator (scikit-learn or ONNX-ML): the methods to keep, e.g.
            ("predict",) or "predict,predict_proba" (default: all it has). Only their C functions
            are emitted and whatever only the others need (softmax, a forest's mean...) is dropped.
        cpu: the Cortex-M core the C is for (edgec.cortexm.cpus), when known: forms whose cost
            depends on the core follow it (KNN's 16-bit grid codes, decoded in double arithmetic,
            only where the core has a double-precision FPU). None: any core (sizes as measured
            on the host).
    """
    from edgec.backend.cmsis import check_target
    from edgec.backend.trees import check_layout
    check_layout(tree_layout)
    check_target(target)
    from edgec.cortexm.cpus import get_cpu
    double_fpu = True if cpu is None else get_cpu(cpu).double_fpu
    from edgec.frontend.sklearn import is_sklearn_estimator
    from edgec.frontend.sklearn.pickle_loader import is_pickle_path, load_pickled_estimator
    if isinstance(model, (str, Path)) and is_pickle_path(str(model)):
        model = load_pickled_estimator(str(model), trust_pickle)
    if is_sklearn_estimator(model):
        return _compile_sklearn(model, name, quant, sample, verify_each, tree_layout, target, methods, double_fpu)
    if quant not in ("float", "int16", "int8"):
        raise EdgecError(f"--quant {quant}: expected float, int16 or int8")
    source = load_model(model, input_shapes)
    cname = c_identifier(name or source.name or "model")
    if source.api is not None:
        from edgec.frontend.sklearn.methods import select_methods
        source, _ = select_methods(source, source.api, methods)
    elif methods is not None:
        raise EdgecError("methods= is for estimators (scikit-learn or ONNX-ML models); this model has no predict API")
    if source.api is not None and quant != "float":   # an ONNX-ML estimator: the classical int modes
        return _compile_estimator(source, source.api, cname, quant, sample,
                                  verify_each, tree_layout, str(model) if isinstance(model, (str, Path)) else None,
                                  target, double_fpu)
    if quant == "int16":
        raise EdgecError("--quant int16 is for scikit-learn models; neural networks compile to float or int8")
    if _is_integer(source):   # an int8 .tflite: already quantized, its own qparams are kept
        return _compile_integer(source, cname, model, verify_each, target)
    g = optimise(source, verify_each, quant)
    float_graph, islands = g, []
    if quant == "int8":
        result = _quantize(g, calib, calib_method, float_ops, verify_each)
        g, islands = result.graph, result.float_islands
        g = _int8_passes(g, verify_each)
    info = source.api   # an ONNX-ML classifier or regressor: the estimator-style C API too
    c = emit_c(set_emit_choices(g, tree_layout, double_fpu), cname,
               _api_spec(info) if info is not None and quant == "float" else None, target=target)
    return Artifact(cname, source, g, c, str(model) if isinstance(model, (str, Path)) else None,
                    quant=quant, float_graph=float_graph, float_islands=islands,
                    sklearn=info if quant == "float" else None, target=target)


def _api_spec(info):
    from edgec.backend.api import ApiSpec
    return ApiSpec(info.kind, info.methods, info.labels, info.class_names)


def set_tree_layout(g: Graph, layout: str) -> Graph:
    """Every tree_ensemble node emitted in `layout` ("auto" keeps what each node asks for)."""
    import dataclasses
    if layout != "auto":
        for n in g.nodes:
            if n.op == "tree_ensemble":
                n.attrs = dataclasses.replace(n.attrs, layout=layout)
    return g


def set_emit_choices(g: Graph, layout: str, double_fpu: bool = True) -> Graph:
    """set_tree_layout, and without a double-precision FPU no knn node stores grid codes."""
    import dataclasses
    if not double_fpu:
        for n in g.nodes:
            if n.op == "knn":
                n.attrs = dataclasses.replace(n.attrs, grid=False)
    return set_tree_layout(g, layout)


def _is_integer(g: Graph) -> bool:
    """True for a graph that already computes in int8 (a quantized .tflite): it skips the float
    passes and quantization whatever `quant` says."""
    return any(n.op.endswith("_s8") or n.op == "requantize" for n in g.nodes) \
        or any(v.type.dtype == DType.I8 for v in g.inputs + g.outputs)


def _int8_passes(g: Graph, verify_each: bool) -> Graph:
    """Rewrites of a quantized graph before emission (memory: conv + residual add fused)."""
    from edgec.passes.fuse_conv_add import fuse_conv_add
    from edgec.passes.pipeline import run_pipeline
    return run_pipeline(g, verify_each, passes=[("fuse_conv_add", fuse_conv_add)])


def _compile_integer(source: Graph, cname: str, model: Any, verify_each: bool, target: str = "portable") -> Artifact:
    from edgec.passes.eliminate_dead_code import eliminate_dead_code
    from edgec.passes.pipeline import run_pipeline
    g = _int8_passes(run_pipeline(source, verify_each, passes=[("eliminate_dead_code", eliminate_dead_code)]),
                     verify_each)
    return Artifact(cname, source, g, emit_c(g, cname, target=target),
                    str(model) if isinstance(model, (str, Path)) else None, quant="int8", float_graph=None, target=target)


def _compile_sklearn(est: Any, name: str | None, quant: str, sample: Any, verify_each: bool,
                     tree_layout: str = "auto", target: str = "portable", methods: Any = None,
                     double_fpu: bool = True) -> Artifact:
    """A fitted scikit-learn estimator -> C with the estimator-style API (predict, ...)."""
    from edgec.frontend.sklearn import import_sklearn
    from edgec.frontend.sklearn.methods import select_methods
    cname = c_identifier(name or type(est).__name__.lower())
    source, info = import_sklearn(est, cname)
    source, info = select_methods(source, info, methods)
    return _compile_estimator(source, info, cname, quant, sample, verify_each, tree_layout, None, target, double_fpu)


def _compile_estimator(source: Graph, info: Any, cname: str, quant: str, sample: Any, verify_each: bool,
                       tree_layout: str, model_path: str | None, target: str = "portable",
                       double_fpu: bool = True) -> Artifact:
    """An estimator's graph (scikit-learn or ONNX-ML) -> C with the estimator-style API, in
    float or the int16/int8 modes of classical models (sample: their calibration rows)."""
    from edgec.backend.api import ApiSpec
    g = optimise(source, verify_each, "float")
    float_graph, islands = g, []
    if quant != "float":
        from edgec.ir.verify import verify
        from edgec.quant.sklearn_int import integerize
        from edgec.quant.sklearn_nn import has_hidden_layers, nn_int8
        rows = _sample_rows(sample)
        nn = nn_int8(g, rows) if quant == "int8" and rows is not None and has_hidden_layers(g) else None
        g, islands = nn if nn is not None else integerize(g, rows, 16 if quant == "int16" else 8)
        if verify_each:
            verify(g, "integerize")
    c = emit_c(set_emit_choices(g, tree_layout, double_fpu), cname, ApiSpec(info.kind, info.methods, info.labels, info.class_names),
               target=target)
    return Artifact(cname, source, g, c, model_path, quant=quant, float_graph=float_graph, float_islands=islands,
                    sklearn=info, target=target)


def _sample_rows(sample: Any):
    """sample=: an array of feature rows or an .npz path (its 'X')."""
    if isinstance(sample, (str, Path)):
        from edgec.verify_sklearn import load_xy
        return load_xy(str(sample))[0]
    return sample
