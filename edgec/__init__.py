"""edgec: compiles trained models into verified, portable C for microcontrollers."""
__version__ = "0.1.0"

from edgec.errors import EdgecError  # noqa: E402


def compile(model, input_shapes=None, name=None, verify_each=True):
    """See `edgec.compiler.compile`."""
    from edgec.compiler import compile as _compile
    return _compile(model, input_shapes=input_shapes, name=name, verify_each=verify_each)


__all__ = ["compile", "EdgecError", "__version__"]
