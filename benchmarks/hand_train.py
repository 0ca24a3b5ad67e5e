"""A hand-written NumPy training loop for the digits network: the peer ``derive train`` is timed against.

    python -m benchmarks.hand_train TRAIN.csv TEST.csv [STEPS] [BATCH] [LR] [SEED]

64-32-10, tanh hidden layer, softmax output, cross-entropy averaged over the batch, Adam (beta1 0.9,
beta2 0.999, eps 1e-8), minibatches from a seeded permutation as derive draws them, weights drawn
uniformly in +-1/sqrt(fan-in).  Prints the test accuracy; imports only NumPy.
"""
from __future__ import annotations

import sys

import numpy as np


def main(argv: list[str]) -> int:
    train, test = argv[0], argv[1]
    steps, batch, lr, seed = (int(argv[2]) if len(argv) > 2 else 1500, int(argv[3]) if len(argv) > 3 else 64,
                              float(argv[4]) if len(argv) > 4 else 0.01, int(argv[5]) if len(argv) > 5 else 0)
    D = np.loadtxt(train, delimiter=",", skiprows=1)
    X, T = D[:, :64], D[:, 64:]
    rng = np.random.default_rng(seed)
    P = {"W1": rng.uniform(-1, 1, (32, 64)) / 8, "b1": rng.uniform(-1, 1, 32) / 8,
         "W2": rng.uniform(-1, 1, (10, 32)) / 32 ** 0.5, "b2": rng.uniform(-1, 1, 10) / 32 ** 0.5}
    m = {k: np.zeros_like(v) for k, v in P.items()}
    v = {k: np.zeros_like(x) for k, x in P.items()}
    n = len(X)
    order, pos = rng.permutation(n), 0
    for t in range(1, steps + 1):
        if pos + batch > n:
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + batch]
        pos += batch
        x, y = X[idx], T[idx]
        A1 = np.tanh(x @ P["W1"].T + P["b1"])
        Z2 = A1 @ P["W2"].T + P["b2"]
        E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
        A2 = E / E.sum(axis=1, keepdims=True)
        D2 = (A2 * y.sum(axis=1, keepdims=True) - y) / len(x)
        D1 = (D2 @ P["W2"]) * (1 - A1 ** 2)
        G = {"W1": D1.T @ x, "b1": D1.sum(axis=0), "W2": D2.T @ A1, "b2": D2.sum(axis=0)}
        for k, g in G.items():
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            P[k] -= lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
    D = np.loadtxt(test, delimiter=",", skiprows=1)
    Y = np.tanh(D[:, :64] @ P["W1"].T + P["b1"]) @ P["W2"].T + P["b2"]
    print(f"test accuracy {np.mean(Y.argmax(axis=1) == D[:, 64:].argmax(axis=1)):.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
