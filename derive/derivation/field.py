"""Exact evaluation of gradients over a random prime field: a certified randomized identity test.

A SymEngine expression (a DAG) is lowered once into a straight-line program over leaves and atom
variables (``atoms.Atoms``): constants, variables, n-ary sums and products, integer powers.  Each
instruction carries bounds for the rational function it computes, written as N/D with integer
polynomials N and D the way the program builds them (a/b + c/d = (ad + cb)/(bd), inverse swaps):
total degree of N and of D, and log2 of the sum of |coefficients| of each (their height).

A point is a random prime p in [2^80, 2^81) (primality by Miller-Rabin with the first 13 primes
as bases, deterministic below 3.3e24) and a uniform value in GF(p) per variable; every
instruction is evaluated exactly mod p, memoised, so a DAG is never expanded.  If the two sides
N1/D1 and N2/D2 differ as rational functions, Delta = N1 D2 - N2 D1 is a nonzero integer
polynomial of degree d <= max(deg N1 + deg D2, deg N2 + deg D1) and height h; the test says
"equal" at a point only if p divides every coefficient of Delta (fewer than h/80 primes of the
range do, out of more than 2^73.7 primes in it, by Rosser-Schoenfeld) or Delta mod p vanishes
there (probability <= d/p, Schwartz-Zippel).  Points where a division by zero occurs are redrawn;
the bound is divided by the probability of that not happening.  k independent points multiply
the bounds.  ``bound_log2`` returns log2 of this certified probability of a false "equal".
"""
from __future__ import annotations

import math
import random
from fractions import Fraction

import symengine as se

from ..errors import ProofError
from .atoms import Atoms, fraction

PRIME_BITS = 80
LOG2_PRIMES = 73.7        # log2 of a lower bound on the number of primes in [2^80, 2^81)
_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


def is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for n < 3.3e24 (Sorenson and Webster's bases)."""
    if n < 2:
        return False
    for b in _BASES:
        if n % b == 0:
            return n == b
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in _BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(rng: random.Random) -> int:
    """A uniformly random prime of [2^80, 2^81)."""
    while True:
        n = rng.randrange(1 << PRIME_BITS, 1 << (PRIME_BITS + 1)) | 1
        if is_prime(n):
            return n


CONST, VAR, ADD, MUL, POW = range(5)


class Program:
    """A growing straight-line program with degree and height bounds per instruction."""

    def __init__(self, atoms: Atoms):
        self.atoms = atoms
        self.code: list[tuple] = []             # (op, payload)
        self.bounds: list[tuple] = []           # (deg N, deg D, height N, height D)
        self.divisors: list = []                # per instruction: the expression whose zero stops it
        self.memo: dict = {}
        self.keys: dict = {}                    # variable key -> instruction
        self.div_degree = 0                     # sum of degrees of every inverted numerator
        self.div_height = 0.0                   # sum of their heights

    # -- building ----------------------------------------------------------------------------
    def _emit(self, op, payload, bound, source=None) -> int:
        self.code.append((op, payload))
        self.bounds.append(bound)
        self.divisors.append(source)
        return len(self.code) - 1

    def const(self, f) -> int:
        key = ("const", f)
        if key not in self.keys:
            hn, hd = _bits(f.numerator), _bits(f.denominator)
            self.div_height += hd
            self.keys[key] = self._emit(CONST, (f.numerator, f.denominator), (0, 0, hn, hd))
        return self.keys[key]

    def var(self, key) -> int:
        if key not in self.keys:
            self.keys[key] = self._emit(VAR, key, (1, 0, 0.0, 0.0))
        return self.keys[key]

    def add(self, ids: list[int]) -> int:
        if len(ids) == 1:
            return ids[0]
        bs = [self.bounds[i] for i in ids]
        dd, hd = sum(b[1] for b in bs), sum(b[3] for b in bs)
        dn = max(b[0] + dd - b[1] for b in bs)
        hn = hd + max(b[2] - b[3] for b in bs) + math.log2(len(bs))
        return self._emit(ADD, tuple(ids), (dn, dd, hn, hd))

    def mul(self, ids: list[int]) -> int:
        if len(ids) == 1:
            return ids[0]
        dn = dd = 0
        hn = hd = 0.0
        for i in ids:
            b = self.bounds[i]
            dn, dd, hn, hd = dn + b[0], dd + b[1], hn + b[2], hd + b[3]
        return self._emit(MUL, tuple(ids), (dn, dd, hn, hd))

    def pow(self, i: int, k: int, source=None) -> int:
        if k == 1:
            return i
        dn, dd, hn, hd = self.bounds[i]
        if k < 0:
            self.div_degree += dn
            self.div_height += hn
            dn, dd, hn, hd = dd, dn, hd, hn
        m = abs(k)
        return self._emit(POW, (i, k), (dn * m, dd * m, hn * m, hd * m), source)

    def atom(self, key, kind: str) -> int:
        """The variable of an exponential atom: E itself, or (1 - s)/s for a sigmoid's s."""
        s = self.var(key)
        if kind != "sigmoid":
            return s
        wkey = ("1-s/s", key)
        if wkey not in self.keys:
            one_minus = self.add([self.const(Fraction(1)), self.mul([self.const(Fraction(-1)), s])])
            self.keys[wkey] = self.mul([one_minus, self.pow(s, -1, "a sigmoid variable")])
        return self.keys[wkey]

    def lower(self, e) -> int:
        """The instruction computing expression ``e`` (memoised over shared subexpressions)."""
        hit = self.memo.get(e)
        if hit is None:
            hit = self.memo[e] = self._lower(e)
        return hit

    def _lower(self, e) -> int:
        if isinstance(e, se.Symbol):
            return self.var(("sym", e.name))
        if isinstance(e, (se.Integer, se.Rational, se.RealDouble)):
            return self.const(fraction(e))
        if isinstance(e, se.Add):
            return self.add([self.lower(a) for a in e.args])
        if isinstance(e, se.Mul):
            return self.mul([self.lower(a) for a in e.args])
        if isinstance(e, se.Pow):
            base, k = e.args
            if base == se.E:
                parts = self.atoms.exp(k)
                if isinstance(parts, tuple):
                    return self.var(parts)
                if not parts:
                    return self.const(Fraction(1))
                return self.mul([self.pow(self.atom(key, kind), c, "an exponential") for key, kind, c in parts])
            if isinstance(k, se.Integer) and abs(int(k)) <= 64:
                return self.pow(self.lower(base), int(k), base)
            root = Atoms.power(e)
            if root is not None:
                key, num = root
                return self.pow(self.var(key), num, e)
            return self.var(("pow", e))
        if isinstance(e, se.Piecewise):
            args = e.args
            if len(args) == 4 and args[2] == 0 and args[3] == se.true:
                return self.mul([self.var(("step", args[1])), self.lower(args[0])])
        if isinstance(e, (se.tanh, se.log)):
            return self.var((type(e).__name__, e))
        if e == se.E:
            return self.var(("e",))
        raise ProofError(f"cannot prove an expression containing {type(e).__name__}: {e}")


class ZeroDivision(Exception):
    def __init__(self, instruction: int):
        self.instruction = instruction


class Point:
    """One random prime and random values; evaluates a Program's instructions incrementally."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.p = random_prime(rng)
        self.values: list[int] = []
        self.vars: dict = {}

    def run(self, prog: Program) -> None:
        p, vals, code = self.p, self.values, prog.code
        for i in range(len(vals), len(code)):
            op, x = code[i]
            if op == ADD:
                v = sum(vals[j] for j in x) % p
            elif op == MUL:
                v = 1
                for j in x:
                    v = v * vals[j] % p
            elif op == POW:
                b, k = x
                b = vals[b]
                if k < 0:
                    if b == 0:
                        raise ZeroDivision(i)
                    b, k = pow(b, -1, p), -k
                v = pow(b, k, p)
            elif op == VAR:
                v = self.vars.get(x)
                if v is None:
                    v = self.vars[x] = self.rng.randrange(p)
            else:
                v = x[0] * pow(x[1], -1, p) % p if x[1] % p else _raise(i)
            vals.append(v)


def _raise(i):
    raise ZeroDivision(i)


def _bits(n: int) -> float:
    return math.log2(abs(n)) if n else 0.0


def _chance_log2(degree: int, height: float) -> float:
    """log2 of degree/2^80 + (height/80 + 1)/2^73.7: a nonzero Delta vanishes at one point."""
    a = _bits(max(degree, 1)) - PRIME_BITS
    b = math.log2(height / PRIME_BITS + 1) - LOG2_PRIMES
    hi, lo = max(a, b), min(a, b)
    return hi + math.log2(1 + 2.0 ** (lo - hi))


def failure_log2(prog: Program, a: int, b: int) -> float:
    """log2 of the chance that one point calls instructions a and b equal when they are not.

    The chance that Delta vanishes, over the chance that no division by zero forced a redraw.
    """
    dn1, dd1, hn1, hd1 = prog.bounds[a]
    dn2, dd2, hn2, hd2 = prog.bounds[b]
    fail = _chance_log2(max(dn1 + dd2, dn2 + dd1), max(hn1 + hd2, hn2 + hd1) + 1)
    redraw = _chance_log2(prog.div_degree, prog.div_height)
    if fail >= 0 or redraw >= -1:
        return 0.0
    return min(0.0, fail - math.log2(1 - 2.0 ** redraw))
