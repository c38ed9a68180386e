"""edgec: compiles trained models into verified, portable C for microcontrollers.

The Python API mirrors the CLI: `compile` (-> Artifact: write, build, run, memory, macs),
`verify` (compile, build with gcc, compare with the float reference on a data file) and
`inspect` (IR, per-layer shapes, parameters, MACs, memory).
"""
__version__ = "0.1.0"

from edgec.errors import EdgecError  # noqa: E402


def compile(model, **options):
    """Compiles an ONNX/TFLite model or a fitted scikit-learn estimator; see
    `edgec.compiler.compile` for the options."""
    from edgec.compiler import compile as _compile
    return _compile(model, **options)


def verify(model, data_path, input_shapes=None, name=None, rtol=1e-3, atol=1e-4):
    """Returns (Artifact, report dict) as `edgec verify` prints and writes as JSON."""
    from edgec.verify import verify as _verify
    return _verify(model, data_path, input_shapes, name, rtol, atol)


def inspect(model, input_shapes=None):
    """The `edgec inspect` report of a model: IR dump, layer table, MACs, memory."""
    from edgec.inspect_model import inspect_report
    return inspect_report(compile(model, input_shapes=input_shapes))


__all__ = ["compile", "verify", "inspect", "EdgecError", "__version__"]
