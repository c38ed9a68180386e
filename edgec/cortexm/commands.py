"""The Cortex-M parts of the command line: `compile --cpu`, `size DIR --cpu`, `run DIR --cpu`."""
from __future__ import annotations

import json
from pathlib import Path

from edgec.cortexm.cpus import CPUS, get_cpu


def write_cross_makefile(out_dir: Path, name: str, cpu: str) -> None:
    """Replaces the host Makefile of a compiled model with the cross one for `cpu`, builds the
    model for it, prints its flash and RAM and adds the size report to edgec.json ("cortexm")."""
    from edgec.backend.signature import MANIFEST
    from edgec.cortexm.build import model_sources
    from edgec.cortexm.makefile import cross_makefile
    from edgec.cortexm.run import size_of
    from edgec.cortexm.size import format_size
    (out_dir / "Makefile").write_text(cross_makefile(name, get_cpu(cpu)))
    report = size_of(model_sources(out_dir), name, cpu)
    print(format_size(report).splitlines()[0])
    manifest = out_dir / MANIFEST
    data = json.loads(manifest.read_text())
    data["cortexm"] = {k: v for k, v in report.items() if k != "elf"}
    manifest.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def cmd_size(a) -> int:
    from edgec.backend.signature import Signature
    from edgec.cortexm.build import model_sources
    from edgec.cortexm.run import size_of
    sig = Signature.load(a.dir)
    report = size_of(model_sources(a.dir), sig.name, a.cpu)
    from edgec.cortexm.size import format_size
    print(format_size(report))
    _write_json(a.json, report)
    return 0


def cmd_run_cpu(a) -> int:
    """`edgec run DIR --cpu CPU`: the samples through the model on the emulated core."""
    from edgec.backend.signature import Signature
    from edgec.cortexm.run import run_dir
    from edgec.data import load_inputs
    sig = Signature.load(a.dir)
    batches = load_inputs(a.input, [(p.name, p.shape) for p in sig.inputs])
    r = run_dir(a.dir, a.cpu, batches, board=a.board, timeout=a.timeout, profile=a.profile)
    import numpy as np
    np.savez(a.output, **r.outputs)
    rep = r.report()
    print(f"ran {rep['samples']} samples through {sig.name} on {r.cpu} ({r.board}, QEMU): "
          f"{rep['instructions_per_inference']} instructions per inference, flash {rep['flash_bytes']} B, "
          f"RAM {rep['ram_bytes']} B; wrote {a.output}")
    if r.profile:
        total = max(rep["instructions_per_inference"], 1)
        print("instructions per inference by function:")
        for name, n in list(r.profile.items())[:15]:
            print(f"  {n:>12,}  {100 * n / total:5.1f}%  {name}")
    _write_json(a.json, rep)
    return 0


def _write_json(path: str | None, report: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


def add_cpu_option(p, required: bool = False, what: str = "") -> None:
    p.add_argument("--cpu", required=required, choices=sorted(CPUS), metavar="CPU",
                   help=f"{what} ({', '.join(CPUS)})")


def add_size_parser(sub) -> None:
    s = sub.add_parser("size", help="cross-build DIR for a Cortex-M core; report flash and RAM")
    s.add_argument("dir")
    add_cpu_option(s, True, "the core to build for")
    s.add_argument("--json", metavar="REPORT.json")
    s.set_defaults(fn=cmd_size)


def add_run_options(r) -> None:
    add_cpu_option(r, False, "run on this emulated Cortex-M core under QEMU instead of the host")
    r.add_argument("--board", help="QEMU board for --cpu (default: the core's own; cortex-m0plus: also microbit)")
    r.add_argument("--json", metavar="REPORT.json", help="with --cpu: instructions_per_inference, flash_bytes, ram_bytes")
    r.add_argument("--timeout", type=float, default=600.0, help="with --cpu: seconds QEMU may run")
    r.add_argument("--profile", action="store_true", help="with --cpu: instructions per inference in each function")
