"""Each pass on a three-node graph prints exactly as golden/<case>.txt (regen_golden.py writes
those files), computes the same as before, and leaves its input graph untouched."""
from __future__ import annotations

from pathlib import Path

import pytest

from edgec.ir.printer import dump
from edgec.ir.verify import verify
from tests.ir.build import assert_same_result
from tests.passes.golden_cases import CASES, render

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize("case", sorted(CASES))
def test_pass_output_matches_golden_text(case):
    path = GOLDEN / f"{case}.txt"
    assert path.exists(), f"missing {path.name}: run python tests/passes/regen_golden.py"
    assert render(case) == path.read_text(), f"{case}: IR changed; review, then run regen_golden.py"


@pytest.mark.parametrize("case", sorted(CASES))
def test_pass_keeps_result_and_input_graph(case):
    build, fn = CASES[case]
    g = build()
    before_text, before_nodes = dump(g), [(n, list(n.inputs), list(n.outputs), n.attrs) for n in g.nodes]
    out = fn(g)
    verify(out, case)
    assert dump(g) == before_text
    assert [(n, list(n.inputs), list(n.outputs), n.attrs) for n in g.nodes] == before_nodes
    assert_same_result(g, out)
