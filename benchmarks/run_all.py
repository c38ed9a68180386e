"""`make bench`: every benchmark, one after another, printing tables."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["int8_examples.py", "int8_vs_tflm.py", "tflite_vs_tflm.py", "cortexm.py", "sklearn_peers.py"]

if __name__ == "__main__":
    failed = 0
    for b in BENCHMARKS:
        print(f"\n# {b}", flush=True)
        failed |= subprocess.run([sys.executable, str(HERE / b)]).returncode != 0
    sys.exit(1 if failed else 0)
