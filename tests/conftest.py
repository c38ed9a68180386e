import sys
from pathlib import Path

# `tests.tflm_yardstick` and friends are imported as a package from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
