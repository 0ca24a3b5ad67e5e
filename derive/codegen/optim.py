"""Optimizers for training, working on every parameter at once as one flat vector.

PyTorch's conventions, so torch.optim is an independent reference.  ``Flat`` lays the parameter
arrays out as views into one vector (as PyTorch's fused optimizers do): a step is then a dozen NumPy
calls over all parameters, not a dozen per array, and no step allocates memory.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import DeriveError


class Flat:
    """The arrays ``names`` of ``params`` copied into one vector ``theta``, their gradients into ``grad``.

    ``params`` (a new dict) holds views into ``theta`` for the arrays; a 0-d parameter (a shared bias,
    a graph's scalar) stays a NumPy scalar, refreshed from ``theta`` by ``sync``.  ``mask`` is 1.0
    where an entry is trainable and 0.0 where it is fixed, or None when everything is trainable.
    """

    def __init__(self, params: dict, names, masks: dict, dtype):
        self.names = tuple(names)
        sizes = [int(np.size(params[k])) for k in self.names]
        self.theta = np.empty(sum(sizes), dtype=dtype)
        self.grad = np.empty_like(self.theta)
        mask = np.ones_like(self.theta)
        self.params = dict(params)
        self.scalars = []
        off = 0
        for k, n in zip(self.names, sizes):
            view = self.theta[off:off + n]
            view[...] = np.ravel(params[k])
            if masks.get(k) is not None:
                mask[off:off + n] = np.ravel(masks[k])
            if np.ndim(params[k]):
                self.params[k] = view.reshape(np.shape(params[k]))
            else:
                self.scalars.append((k, off))
            off += n
        self.mask = None if bool(np.all(mask == 1)) else mask
        self.sync()

    def gather(self, grads: dict) -> np.ndarray:
        """The gradients as one vector (``grad``, overwritten)."""
        if len(grads) != len(self.names):
            raise RuntimeError(f"gradients of {sorted(grads)}, parameters {sorted(self.names)}")
        return np.concatenate([np.ravel(grads[k]) for k in self.names], out=self.grad)

    def sync(self) -> None:
        """Point the 0-d parameters at their new values in ``theta``."""
        for k, off in self.scalars:
            self.params[k] = self.theta[off]


class SGD:
    """p <- p - lr * g."""

    def __init__(self, lr: float):
        self.lr, self.tmp = lr, None

    def _scratch(self, g: np.ndarray) -> np.ndarray:
        if self.tmp is None:
            self.tmp = np.empty_like(g)
        return self.tmp

    def _apply(self, theta: np.ndarray, delta: np.ndarray, mask) -> None:
        """theta -= delta * mask (``delta`` is scratch)."""
        if mask is not None:
            delta *= mask
        theta -= delta

    def step(self, theta: np.ndarray, g: np.ndarray, mask) -> None:
        self._apply(theta, np.multiply(g, self.lr, out=self._scratch(g)), mask)


class Momentum(SGD):
    """v <- mu v + g;  p <- p - lr * v (mu = 0.9)."""

    def __init__(self, lr: float, mu: float = 0.9):
        super().__init__(lr)
        self.mu, self.v = mu, None

    def step(self, theta, g, mask):
        if self.v is None:
            self.v = g.copy()
        else:
            self.v *= self.mu
            self.v += g
        self._apply(theta, np.multiply(self.v, self.lr, out=self._scratch(g)), mask)


class Adam(SGD):
    """Adam (beta1 0.9, beta2 0.999, eps 1e-8), bias-corrected moments."""

    def __init__(self, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.b1, self.b2, self.eps, self.t, self.m, self.v = b1, b2, eps, 0, None, None

    def _begin(self, g):
        self.t += 1
        if self.m is None:
            self.m, self.v = np.zeros_like(g), np.zeros_like(g)

    def step(self, theta, g, mask):
        self._begin(g)
        m, v, tmp = self.m, self.v, self._scratch(g)
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        m *= self.b1                                   # m <- b1 m + (1 - b1) g
        np.multiply(g, 1 - self.b1, out=tmp)
        m += tmp
        v *= self.b2                                   # v <- b2 v + (1 - b2) g^2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.b2
        v += tmp
        np.divide(v, c2, out=tmp)                      # p <- p - lr mhat / (sqrt(vhat) + eps)
        np.sqrt(tmp, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr / c1
        self._apply(theta, tmp, mask)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def optimizer(name: str, lr: float):
    """The optimizer called ``name`` (sgd | momentum | adam) with learning rate ``lr``."""
    if name not in OPTIMIZERS:
        raise DeriveError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    if not (math.isfinite(lr) and lr > 0):
        raise DeriveError(f"learning rate must be a positive number, got {lr}")
    return OPTIMIZERS[name](lr)


# ---------------------------------------------------------------------------------------------
# Keras's optimizers, with Keras's own update formulas (keras/src/optimizers/*.py, Keras 3): so that
# ``derive train model.keras`` takes the steps ``model.fit`` takes.  Keras's defaults are its own.

class KerasSGD(SGD):
    """m <- momentum m - lr g;  p <- p + m  (nesterov: p <- p + momentum m - lr g);  momentum 0: p <- p - lr g."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(lr)
        self.momentum, self.nesterov, self.m = momentum, nesterov, None

    def step(self, theta, g, mask):
        if self.momentum == 0:
            return super().step(theta, g, mask)
        if self.m is None:
            self.m = np.zeros_like(g)
        self.m *= self.momentum
        self.m -= self.lr * g
        delta = -(self.momentum * self.m - self.lr * g) if self.nesterov else -self.m
        self._apply(theta, delta, mask)


class KerasAdam(Adam):
    """t <- t + 1;  alpha = lr sqrt(1 - b2^t) / (1 - b1^t);  m <- m + (g - m)(1 - b1);
    v <- v + (g^2 - v)(1 - b2);  p <- p - alpha m / (sqrt(v) + eps)   (eps outside the bias correction,
    default 1e-7: not PyTorch's placement)."""

    def __init__(self, lr: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
        super().__init__(lr, beta_1, beta_2, epsilon)

    def step(self, theta, g, mask):
        self._begin(g)
        alpha = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        self.m += (g - self.m) * (1 - self.b1)
        self.v += (g * g - self.v) * (1 - self.b2)
        self._apply(theta, self.m * alpha / (np.sqrt(self.v) + self.eps), mask)


class KerasRMSprop(SGD):
    """v <- rho v + (1 - rho) g^2;  (centered: a <- rho a + (1 - rho) g, v - a^2 below);
    increment = lr g / sqrt(v + eps);  momentum > 0: s <- momentum s + increment, p <- p - s;
    else p <- p - increment   (eps inside the square root, default 1e-7)."""

    def __init__(self, lr: float = 0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False):
        super().__init__(lr)
        self.rho, self.momentum, self.eps, self.centered = rho, momentum, epsilon, centered
        self.v = self.a = self.s = None

    def step(self, theta, g, mask):
        if self.v is None:
            self.v, self.a, self.s = np.zeros_like(g), np.zeros_like(g), np.zeros_like(g)
        self.v[...] = self.rho * self.v + (1 - self.rho) * g * g
        if self.centered:
            self.a[...] = self.rho * self.a + (1 - self.rho) * g
            denominator = self.v - self.a * self.a + self.eps
        else:
            denominator = self.v + self.eps
        increment = self.lr * g / np.sqrt(denominator)
        if self.momentum > 0:
            self.s[...] = self.momentum * self.s + increment
            increment = self.s.copy()
        self._apply(theta, increment, mask)


KERAS_OPTIMIZERS = {"sgd": KerasSGD, "adam": KerasAdam, "rmsprop": KerasRMSprop}


def keras_optimizer(config: dict):
    """Keras's optimizer from a compile config as :mod:`derive.frameworks.keras` reads it
    ({"name": "adam", "learning_rate": ..., "beta_1": ...})."""
    config = dict(config)
    name = config.pop("name")
    if name not in KERAS_OPTIMIZERS:
        raise DeriveError(f"unknown optimizer {name!r}; expected one of {', '.join(KERAS_OPTIMIZERS)}")
    lr = float(config.pop("learning_rate"))
    if not (math.isfinite(lr) and lr > 0):
        raise DeriveError(f"learning rate must be a positive number, got {lr}")
    return KERAS_OPTIMIZERS[name](lr, **config)
