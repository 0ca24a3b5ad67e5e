"""Write scikit-learn's bundled digits (8x8 images, no download) as train/test CSVs for ``derive train``.

    python -m benchmarks.digits_data [OUTDIR]      # default OUTDIR: benchmarks/data

Columns x1..x64 (pixels scaled to [0, 1]) and y1..y10 (one-hot digit), as derive/examples/digits.yaml
names them; a fixed 75/25 split (random_state 0, stratified).
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np


def write(outdir: Path) -> tuple[Path, Path]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    X = digits.data / 16.0
    Y = np.eye(10)[digits.target]
    Xtr, Xte, Ytr, Yte = train_test_split(X, Y, test_size=0.25, random_state=0, stratify=digits.target)
    outdir.mkdir(parents=True, exist_ok=True)
    header = [f"x{i}" for i in range(1, 65)] + [f"y{k}" for k in range(1, 11)]
    paths = []
    for name, A, B in (("digits-train.csv", Xtr, Ytr), ("digits-test.csv", Xte, Yte)):
        path = outdir / name
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            for a, b in zip(A, B):
                w.writerow([f"{v:.6g}" for v in a] + [int(v) for v in b])
        paths.append(path)
    return paths[0], paths[1]


if __name__ == "__main__":
    train, test = write(Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/data"))
    print(f"wrote {train} and {test}")
