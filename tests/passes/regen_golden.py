"""Rewrites tests/passes/golden/*.txt from golden_cases.CASES (never edit those files by hand).

Run from the repository root:  python -m tests.passes.regen_golden  (or python tests/passes/regen_golden.py)
Review the diff before committing: a changed golden file is a changed compiler.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.passes.golden_cases import CASES, render  # noqa: E402

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def main() -> int:
    GOLDEN_DIR.mkdir(exist_ok=True)
    for case in sorted(CASES):
        path = GOLDEN_DIR / f"{case}.txt"
        text = render(case)
        old = path.read_text() if path.exists() else None
        if old != text:
            path.write_text(text)
            print(f"{'updated' if old is not None else 'created'} {path.relative_to(ROOT)}")
    stale = {p.stem for p in GOLDEN_DIR.glob("*.txt")} - set(CASES)
    for name in sorted(stale):
        (GOLDEN_DIR / f"{name}.txt").unlink()
        print(f"removed {name}.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
