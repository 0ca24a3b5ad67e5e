"""Build derive/examples/seed004.keras and seed004.csv: seed 004's Keras model and a small data set.

Seed 004 ends with this model (Dense(3, input_dim=2, sigmoid), Dense(1, sigmoid), sgd, mse) and
``model.fit(X, y, epochs=50)``.  The file is saved untrained, from a fixed seed, so ``derive verify``,
``derive notes`` and ``derive train`` read the same weights Keras starts from.  Run with
``KERAS_BACKEND=torch python examples/seed004_keras.py`` (tests/test_keras.py checks the committed
files are what this script writes).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

OUT = Path(__file__).resolve().parent.parent / "derive" / "examples"


def data() -> list[tuple[float, float, int]]:
    """16 points of the unit square; y1 = 1 above the diagonal x1 + x2 = 1."""
    grid = [0, 1 / 3, 2 / 3, 1]
    return [(a, b, int(a + b > 1)) for a in grid for b in grid]


def build(folder: Path = OUT) -> Path:
    import keras
    from keras import layers
    keras.utils.set_random_seed(4)
    model = keras.Sequential()
    model.add(keras.Input(shape=(2,)))            # Keras 3's spelling of input_dim=2
    model.add(layers.Dense(3, activation="sigmoid"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="sgd", loss="mse")
    path = folder / "seed004.keras"
    model.save(path)
    rows = ["x1,x2,y1"] + [f"{a:.6f},{b:.6f},{y}" for a, b, y in data()]
    (folder / "seed004.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
