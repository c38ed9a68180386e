"""The calling signature of a generated model, stored beside the C as edgec.json so that
`edgec run DIR` can load and call a model without recompiling the ONNX file."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from edgec.errors import DataError

MANIFEST = "edgec.json"


@dataclass(frozen=True)
class PortSig:
    name: str          # the model's tensor name (keys of data files)
    param: str         # C parameter name
    ctype: str
    dtype: str         # numpy dtype name
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Signature:
    name: str
    inputs: tuple[PortSig, ...]
    outputs: tuple[PortSig, ...]
    arena_bytes: int

    def to_json(self, extra: dict | None = None) -> str:
        d = asdict(self)
        d.update(extra or {})
        return json.dumps(d, indent=1, sort_keys=True) + "\n"

    @staticmethod
    def load(directory: str | Path) -> "Signature":
        path = Path(directory) / MANIFEST
        if not path.is_file():
            raise DataError(f"{directory}: no {MANIFEST}; is this a directory written by `edgec compile`?")
        d = json.loads(path.read_text())
        ports = lambda key: tuple(PortSig(p["name"], p["param"], p["ctype"], p["dtype"], tuple(p["shape"])) for p in d[key])
        return Signature(d["name"], ports("inputs"), ports("outputs"), int(d["arena_bytes"]))
