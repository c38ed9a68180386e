"""edgec: `edgec.compile(est)` and the generated `<name>_predict` (no shim needed)."""
from __future__ import annotations

from edgec.errors import EdgecError

from .cbuild import ModelCode, Unsupported
from .common_glue import shape

NAME = "edgec"
C_NAME = "edgec_model"


def generate(est) -> ModelCode:
    import edgec
    clf, _, n_classes = shape(est)
    try:
        art = edgec.compile(est, name=C_NAME, methods=("predict",))   # the peers offer predict only
    except EdgecError as e:
        msg = str(e).splitlines()[0].split("; supported ops")[0]
        raise Unsupported(f"edgec: {msg[:160]}") from e
    if clf and tuple(art.sklearn.labels) != tuple(range(n_classes)):
        raise Unsupported("edgec: class labels are not 0..n-1 (the harness compares class indices)")
    files = {k: v for k, v in art.c.files.items() if k != "Makefile" and not k.endswith("_float_io.c")}
    return ModelCode(files, f"{art.name}_predict", "int32_t" if clf else "float", note="float32")
