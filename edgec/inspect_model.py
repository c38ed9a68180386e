"""`edgec inspect`: the optimised IR, per-layer shapes, parameters and MACs, memory."""
from __future__ import annotations

from edgec.artifact import Artifact
from edgec.ops import base


def layer_table(art: Artifact) -> list[dict]:
    rows = []
    for n in art.graph.nodes:
        op = base.get(n.op)
        ins = [v for v in n.inputs if v is not None]
        macs = op.macs(n.attrs, [v.type for v in ins], [v.type for v in n.outputs]) if op.macs else 0
        rows.append({
            "name": n.name, "op": n.op,
            "inputs": [str(v.type) for v in ins if not v.is_const],
            "outputs": [str(v.type) for v in n.outputs],
            "params": int(sum(v.type.size for v in ins if v.is_const)),
            "macs": int(macs),
        })
    return rows


def inspect_report(art: Artifact) -> dict:
    from edgec.ir.printer import dump
    return {"name": art.name, "macs": art.macs, "memory": art.memory(), "layers": layer_table(art),
            "ir": dump(art.graph)}


def format_layers(rows: list[dict]) -> str:
    head = ("#", "op", "name", "output", "params", "MACs")
    table = [head] + [(str(i), r["op"], r["name"][:32], ",".join(r["outputs"]), str(r["params"]), str(r["macs"]))
                      for i, r in enumerate(rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table)
