"""Trains the two bundled example models on scikit-learn's digits and exports them to ONNX.

    python examples/make_digits_models.py     (needs torch; the outputs are committed)

Writes examples/cnn/digits_cnn.onnx and examples/mlp/digits_mlp.onnx, each with
digits_calib.npz (200 training images, for int8 calibration) and digits_test.npz (the held-out
test split with its labels). Inputs are float32 [1, 1, 8, 8] images scaled to [0, 1].
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

HERE = Path(__file__).resolve().parent
SEED = 0


class DigitsCNN(nn.Module):
    """Conv + BN, a depthwise-separable block with a residual add, pooling, global pool, FC."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.dw = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.BatchNorm2d(16), nn.ReLU(),
                                nn.Conv2d(16, 16, 1), nn.BatchNorm2d(16))
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.dw(x))
        return self.head(self.pool(x))


class DigitsMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                                 nn.Linear(32, 10))

    def forward(self, x):
        return self.net(x)


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int = 60) -> nn.Module:
    torch.manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    return model.eval()


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def export(model: nn.Module, path: Path) -> None:
    torch.onnx.export(model, (torch.zeros(1, 1, 8, 8),), str(path), input_names=["image"],
                      output_names=["logits"], opset_version=13, dynamo=False,
                      do_constant_folding=False)  # keep BatchNormalization: edgec folds it itself


def main() -> None:
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)
    torch.manual_seed(SEED)
    for sub, model in (("cnn", DigitsCNN()), ("mlp", DigitsMLP())):
        train(model, x_train, y_train)
        out = HERE / sub
        out.mkdir(exist_ok=True)
        export(model, out / f"digits_{sub}.onnx")
        np.savez_compressed(out / "digits_calib.npz", image=x_train[:200].reshape(-1, 1, 1, 8, 8))
        np.savez_compressed(out / "digits_test.npz", image=x_test.reshape(-1, 1, 1, 8, 8), labels=y_test)
        print(f"{sub}: test accuracy {accuracy(model, x_test, y_test):.4f} -> {out}")


if __name__ == "__main__":
    main()
