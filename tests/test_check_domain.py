"""Identities that hold where their sides have real values: ``\\log(ab) = \\log a + \\log b`` is right (a text
uses it for positive quantities), though sympy, reasoning over the complex numbers, says no.  A point where one
side has no real value is no counterexample; a point where both have one and differ is.  The oracle is Python's
math at positive values."""
from __future__ import annotations

import math

import pytest

from derive import api

CASES = [  # (line, the same in Python, right?)
    (r"\log(ab) = \log a + \log b", lambda a, b: math.log(a * b) - (math.log(a) + math.log(b)), True),
    (r"\log(a/b) = \log a - \log b", lambda a, b: math.log(a / b) - (math.log(a) - math.log(b)), True),
    (r"\log(ab) = \log a \cdot \log b", lambda a, b: math.log(a * b) - math.log(a) * math.log(b), False),
    (r"\log(ab) = \log a - \log b", lambda a, b: math.log(a * b) - (math.log(a) - math.log(b)), False),
    (r"\sqrt{a^2} = a", None, False),             # |a| where a < 0: both sides real, and different
]


@pytest.mark.parametrize("line,same,right", CASES)
def test_a_log_identity_is_judged_where_both_sides_are_real(line, same, right):
    if same is not None:
        held = all(abs(same(a, b)) < 1e-12 for a, b in [(0.3, 2.0), (5.0, 0.7), (1.5, 1.5)])
        assert held == right                                   # the oracle, at positive values
    report = api.check_derivation("seed001", f"$${line}$$\n")     # a, b: the rule's own letters, not the spec's A, B
    assert [s["status"] for s in report["steps"]] == ["correct" if right else "wrong"], report
    assert "A" not in str(report["steps"][0]["note"]) + str(report["steps"][0]["diagnosis"])


def test_a_letter_is_never_a_spec_name_of_another_case():
    # seed 001's inputs are A and B: a lower-case a in a line about the network is unknown, said so, not A
    report = api.check_derivation("seed001", "$$P = W_1 a + W_2 B$$\n\n$$Q = W_3 P$$\n")
    assert [s["status"] for s in report["steps"]] == ["unchecked", "correct"]
    assert report["steps"][0]["note"].startswith("unknown symbol a;")
