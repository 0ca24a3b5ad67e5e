"""The transcendental atoms of a gradient, shared by the exact and the randomized proof.

Both proofs read a SymEngine expression as a rational function of leaves (inputs, parameters,
targets) and one fresh variable per transcendental atom.  This module names those atoms, so that
the chain side and the direct side meet the same variables:

* each exp(b) the direct side wrote (``exponents``: b -> "sigmoid" | "exp") gets a variable; a
  sigmoid's exp(-u) is written (1 - s)/s for a fresh s (s = 1/(1 + exp(-u)), a bijection of
  (0, inf) onto (0, 1)), a softmax's exp(u) is a positive variable E;
* any other exp(v) is solved, exactly over the rationals, as an integer combination of those
  exponents (SymEngine merges exp(a)*exp(b) into exp(a+b), and a shared bias makes the softmax
  exponents share a term), and read as the matching product of powers; when no integer solution
  exists it is a fresh atom of its own (sound: the proof may then fail, never lie);
* tanh(u), log(u), u**r for a non-integer exponent r and relu's step each get a variable
  (u**(p/q) is r**p for r = u**(1/q), so u**(1/2) and u**(-1/2) are related).

Replacing atoms by free variables is sound: an identity of rational functions in free variables
holds in particular at the atoms' true values.
"""
from __future__ import annotations

from fractions import Fraction

import symengine as se

from ..errors import ProofError

MAX_POWER = 64


def fraction(c) -> Fraction:
    """A SymEngine number as an exact Fraction (a float by its exact binary value)."""
    if isinstance(c, int):
        return Fraction(c)
    if isinstance(c, se.Integer):
        return Fraction(int(c))
    if isinstance(c, se.Rational):
        return Fraction(str(c))
    if isinstance(c, se.RealDouble):
        return Fraction(float(c))
    raise ProofError(f"not a rational number: {c}")


def linear(v) -> dict:
    """v as {term: Fraction}, sums inside sums flattened: -(a + b) + c -> {a: -1, b: -1, c: 1}."""
    out: dict = {}
    for t, c in v.as_coefficients_dict().items():
        if c == 0:
            continue
        inner = linear(t) if isinstance(t, se.Add) else {t: 1}
        k = int(c) if isinstance(c, se.Integer) else fraction(c)     # ints where they do: 0.2 s less per 10^5 terms
        for u, m in inner.items():
            out[u] = out.get(u, 0) + k * m
    return {t: Fraction(c) for t, c in out.items() if c != 0}


def solve(columns: list[dict], rhs: dict) -> list[Fraction] | None:
    """Exact x with sum_j x_j * columns[j] == rhs (sparse vectors), or None; free unknowns are 0."""
    rows = list(dict.fromkeys([t for c in columns for t in c] + list(rhs)))
    m = [[c.get(t, Fraction(0)) for c in columns] + [rhs.get(t, Fraction(0))] for t in rows]
    n = len(columns)
    pivots, r = [], 0
    for j in range(n):
        p = next((i for i in range(r, len(m)) if m[i][j] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        inv = 1 / m[r][j]
        m[r] = [a * inv for a in m[r]]
        for i in range(len(m)):
            if i != r and m[i][j] != 0:
                f = m[i][j]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(j)
        r += 1
    if any(row[n] != 0 for row in m[r:]):
        return None
    x = [Fraction(0)] * n
    for i, j in enumerate(pivots):
        x[j] = m[i][n]
    return x


class Atoms:
    """Keys of the fresh variables, and exp(v) as a product of the known exponentials' atoms."""

    def __init__(self, exponents: dict):
        self.exponents = exponents          # shared with ToSymEngine: grows as expressions are converted
        self._seen = 0
        self._bases: list = []              # (exponent, kind, linear form)
        self._index: dict = {}              # term -> indices of bases that contain it
        self._memo: dict = {}

    def _refresh(self):
        if len(self.exponents) == self._seen:
            return
        for b, kind in list(self.exponents.items())[self._seen:]:
            k = len(self._bases)
            self._bases.append((b, kind, linear(b)))
            for t in self._bases[k][2]:
                self._index.setdefault(t, []).append(k)
        self._seen = len(self.exponents)
        self._memo.clear()

    def exp(self, v) -> list[tuple[tuple, str, int]] | tuple:
        """exp(v) as [(atom key, kind, power)], kind "sigmoid" ((1-s)/s) or "exp" (E); or a fresh key."""
        kind = self.exponents.get(v)
        if kind is not None:          # an exponent written as such: its own atom (no linear algebra; a
            return [(("exp", v), kind, 1)]   # 784-input unit's exponent has 785 terms)
        self._refresh()
        hit = self._memo.get(v)
        if hit is None:
            hit = self._memo[v] = self._exp(v)
        return hit

    def _exp(self, v):
        rest = linear(v)
        cand = sorted({k for t in rest for k in self._index.get(t, ())})
        for k in cand:                # the common case first: v is a multiple of one exponent
            B = self._bases[k][2]
            if len(B) == len(rest):
                t0 = next(iter(B))
                c = rest.get(t0, 0) / B[t0]
                if c and c.denominator == 1 and abs(c) <= MAX_POWER and all(rest.get(t) == c * b for t, b in B.items()):
                    return [(("exp", self._bases[k][0]), self._bases[k][1], int(c))]
        if cand:
            x = solve([self._bases[k][2] for k in cand], rest)
            if x is not None and all(c.denominator == 1 and abs(c) <= MAX_POWER for c in x):
                return [(("exp", self._bases[k][0]), self._bases[k][1], int(c))
                        for k, c in zip(cand, x) if c != 0]
        return ("exp?", v)

    @staticmethod
    def power(e) -> tuple[tuple, int] | None:
        """u**(p/q) as (key of u**(1/q), p) for a rational exponent with small p and q; else None."""
        base, k = e.args
        if isinstance(k, (se.Integer, se.Rational, se.RealDouble)):
            f = fraction(k)
            if f.denominator <= MAX_POWER and abs(f.numerator) <= MAX_POWER:
                return ("root", base, f.denominator), f.numerator
        return None
