"""Reading and writing .npz data files: arrays keyed by tensor name, shaped [samples, *shape]."""
from __future__ import annotations

import os
import zipfile
from typing import Sequence

import numpy as np

from edgec.errors import DataError


def _load(path: str) -> dict[str, np.ndarray]:
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise DataError(f"{path}: not a readable .npz file ({e})") from None


def _as_batch(name: str, arr: np.ndarray, shape: tuple[int, ...], path: str) -> np.ndarray:
    """[S, *shape]; also accepts [S, *shape[1:]] when the batch dim is 1, and one bare sample."""
    if arr.shape[1:] == tuple(shape):
        return arr
    if shape and shape[0] == 1 and arr.shape[1:] == tuple(shape[1:]):
        return arr.reshape((arr.shape[0],) + tuple(shape))
    if arr.shape == tuple(shape):
        return arr.reshape((1,) + tuple(shape))
    raise DataError(f"{path}: '{name}' has shape {list(arr.shape)}; expected [samples, "
                    f"{', '.join(map(str, shape))}]")


def load_inputs(path: str, inputs: Sequence[tuple[str, tuple[int, ...]]]) -> dict[str, np.ndarray]:
    """Input batches by model input name. `inputs` is [(name, shape)] of the model."""
    arrays = _load(path)
    if len(inputs) == 1 and len(arrays) == 1:
        arrays = {inputs[0][0]: next(iter(arrays.values()))}
    missing = [n for n, _ in inputs if n not in arrays]
    if missing:
        raise DataError(f"{path}: no array for input(s) {', '.join(repr(m) for m in missing)} (file has: {', '.join(arrays) or 'nothing'})")
    batches = {n: _as_batch(n, arrays[n], s, path) for n, s in inputs}
    counts = {b.shape[0] for b in batches.values()}
    if len(counts) != 1:
        raise DataError(f"{path}: inputs have different sample counts {sorted(counts)}")
    return batches


def load_labels(path: str) -> np.ndarray | None:
    arrays = _load(path)
    for key in ("labels", "label", "y"):
        if key in arrays:
            return arrays[key].reshape(-1)
    return None


def samples(batches: dict[str, np.ndarray]):
    """Yields one feed dict per sample."""
    n = next(iter(batches.values())).shape[0] if batches else 0
    for i in range(n):
        yield {k: v[i] for k, v in batches.items()}


def save_outputs(path: str, outputs: dict[str, list[np.ndarray]]) -> None:
    np.savez(path, **{k: np.stack(v) for k, v in outputs.items()})
