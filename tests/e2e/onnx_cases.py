"""Loading the ONNX backend test cases that ship inside the onnx wheel."""
from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

DATA = Path(os.path.dirname(onnx.__file__)) / "backend" / "test" / "data"


def case_dirs(*groups: str) -> list[Path]:
    return sorted(Path(p).parent for g in groups for p in glob.glob(str(DATA / g / "*" / "model.onnx")))


def _read_pbs(directory: Path, prefix: str) -> list[np.ndarray]:
    arrays = []
    for pb in sorted(directory.glob(f"{prefix}_*.pb"), key=lambda p: int(p.stem.split("_")[-1])):
        t = onnx.TensorProto()
        t.ParseFromString(pb.read_bytes())
        arrays.append(numpy_helper.to_array(t))
    return arrays


def load_case(case: Path):
    """(model, {input name: array}, [expected outputs]) of a case's first data set."""
    model = onnx.load(str(case / "model.onnx"))
    ds = case / "test_data_set_0"
    inits = {t.name for t in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in inits]
    inputs = _read_pbs(ds, "input")
    return model, dict(zip(names, inputs)), _read_pbs(ds, "output")
