"""The example digit classifiers compiled to int8 with their calibration data: the C equals the
integer simulator on every test image, and int8 top-1 accuracy is within a point of float's."""
from pathlib import Path

import numpy as np
import pytest

import edgec
from edgec.sim.interpreter import run_graph

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {"cnn": "digits_cnn", "mlp": "digits_mlp"}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_int8_example_is_bit_exact_and_keeps_accuracy(example):
    d = ROOT / "examples" / example
    art = edgec.compile(str(d / f"{EXAMPLES[example]}.onnx"), quant="int8", calib=str(d / "digits_calib.npz"))
    assert art.float_islands == []
    test = np.load(d / "digits_test.npz")
    out = art.graph.outputs[0].name
    int8_top1, float_top1 = [], []
    for k, x in enumerate(test["image"]):
        q = art.quantize_inputs({"image": x})
        c = art.run(q)[out]
        np.testing.assert_array_equal(c, art.simulate(q)[out].reshape(c.shape), err_msg=f"C vs simulator, image {k}")
        int8_top1.append(int(np.argmax(c)))
        float_top1.append(int(np.argmax(run_graph(art.float_graph, {"image": x})[out])))
    labels = test["labels"]
    int8_acc = 100.0 * np.mean(np.array(int8_top1) == labels)
    float_acc = 100.0 * np.mean(np.array(float_top1) == labels)
    assert int8_acc >= float_acc - 1.0, f"int8 top-1 {int8_acc:.2f}% vs float {float_acc:.2f}%"
