"""Where the Jinja2 templates and the C runtime are, in a source checkout or an installed wheel."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def _packaged(sub: str) -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / sub, here / sub):
        if candidate.is_dir():
            return candidate
    return Path(str(resources.files(f"edgec.{sub}")))


def templates_dir() -> Path:
    return _packaged("templates")


def runtime_dir() -> Path:
    return _packaged("runtime_c")
