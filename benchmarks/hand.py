"""Hand-written NumPy backprop for the two-layer sigmoid network, three ways, the peers derive is timed against.

* ``gradients``: as a textbook writes it (every line allocates its result): the naive peer;
* ``InPlace``: as a careful engineer writes it: every work array allocated once per batch size and
  reused, every elementwise step in place (``out=``), the sigmoid's exp in the activation's own memory,
  products with ``np.dot`` (``@``/``np.matmul`` takes 0.4-1 µs longer per small product, and 17 µs
  against np.dot's 3 for the batch-1 outer product D^T X of 64-128-10; measured 2026-12-02) and
  1/x as ``np.divide(1.0, x)`` (float ``np.reciprocal`` is not vectorised: twice as slow at 4096);
* ``Floor``: the five matrix products of backprop and nothing else (no sigmoid, no loss, no elementwise
  step), spelled as fast as NumPy allows (``np.dot``): no correct backprop of this network can take
  less, so it is the floor of the tables.
"""
from __future__ import annotations

import numpy as np


def gradients(W1, b1, W2, b2, X, T):
    """dJ/dW1, dJ/db1, dJ/dW2, dJ/db2 of J = mean over the batch of 1/2 sum_k (t_k - y_k)^2,
    for a two-layer sigmoid network (rows of X and T are examples), as a textbook writes it."""
    n = X.shape[0]
    A1 = 1 / (1 + np.exp(-(X @ W1.T + b1)))
    A2 = 1 / (1 + np.exp(-(A1 @ W2.T + b2)))
    D2 = (A2 - T) * A2 * (1 - A2) / n
    D1 = (D2 @ W2) * (A1 * (1 - A1))
    return D1.T @ X, D1.sum(axis=0), D2.T @ A1, D2.sum(axis=0)


class InPlace:
    """The same gradients with work arrays reused across calls (new arrays returned, as derive returns)."""

    def __init__(self):
        self.work: dict = {}

    def _arrays(self, n, h, o, dtype):
        key = (n, h, o, dtype)
        if key not in self.work:
            self.work[key] = (np.empty((n, h), dtype), np.empty((n, h), dtype), np.empty((n, o), dtype),
                              np.empty((n, o), dtype), np.ones(n, dtype))
        return self.work[key]

    def __call__(self, W1, b1, W2, b2, X, T):
        n, h, o = X.shape[0], W1.shape[0], W2.shape[0]
        A1, D1, A2, D2, ones = self._arrays(n, h, o, np.result_type(X, W1))
        np.dot(X, W1.T, out=A1)
        A1 += b1
        np.negative(A1, out=A1)
        np.exp(A1, out=A1)
        A1 += 1.0
        np.divide(1.0, A1, out=A1)
        np.dot(A1, W2.T, out=A2)
        A2 += b2
        np.negative(A2, out=A2)
        np.exp(A2, out=A2)
        A2 += 1.0
        np.divide(1.0, A2, out=A2)
        np.subtract(A2, T, out=D2)            # (y - t) y (1 - y) / n
        D2 *= A2
        np.subtract(1.0, A2, out=A2)          # A2 is not needed after this: 1 - y in its memory
        D2 *= A2
        D2 *= 1.0 / n
        np.dot(D2, W2, out=D1)
        D1 *= A1
        gW2 = np.dot(D2.T, A1)
        np.subtract(1.0, A1, out=A1)
        D1 *= A1
        return np.dot(D1.T, X), np.dot(ones, D1), gW2, np.dot(ones, D2)


class Floor:
    """Only the matrix products of backprop (forward: X W1^T, A1 W2^T; backward: D2 W2, D1^T X, D2^T A1),
    on reused arrays: a time no backprop of this network can beat.  Its "gradients" are not gradients."""

    def __init__(self):
        self.work: dict = {}

    def __call__(self, W1, b1, W2, b2, X, T):
        n, h, o = X.shape[0], W1.shape[0], W2.shape[0]
        key = (n, h, o, X.dtype)
        if key not in self.work:
            self.work[key] = (np.empty((n, h), X.dtype), np.empty((n, h), X.dtype), np.empty((n, o), X.dtype))
        A1, D1, A2 = self.work[key]
        np.dot(X, W1.T, out=A1)
        np.dot(A1, W2.T, out=A2)
        np.dot(A2, W2, out=D1)
        return np.dot(D1.T, X), None, np.dot(A2.T, A1), None
