"""An answer is echoed in the student's own symbols: Mazur's role names (``out_{h1}``, ``target_{o1}``) stay his in
the "understood" line, while the verdict is the network's.  The oracle for the verdicts is Mazur's own number for
dE/dw5 (0.082167041), recomputed here in plain Python on his network."""
from __future__ import annotations

import math

import pytest

from derive import api
from derive.notes.plain import unicode


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _mazur_dw5(slip=False):
    h1 = _sigmoid(0.15 * 0.05 + 0.2 * 0.1 + 0.35)
    h2 = _sigmoid(0.25 * 0.05 + 0.3 * 0.1 + 0.35)
    o1 = _sigmoid(0.4 * h1 + 0.45 * h2 + 0.6)
    return -(0.01 - o1) * o1 * ((1 + o1) if slip else (1 - o1)) * h1


@pytest.mark.parametrize("answer, shown, right", [
    (r"-(target_{o1} - out_{o1}) out_{o1}(1 - out_{o1}) out_{h1}",
     "out_{h1}·out_{o1}·(1 − out_{o1})·(out_{o1} − target_{o1})", True),
    ("-(target_o1 - out_o1)*out_o1*(1 + out_o1)*out_h1",           # plain text, with a sign slip
     "out_{h1}·out_{o1}·(out_{o1} + 1)·(out_{o1} − target_{o1})", False),
    (r"(o_1 - t_1) o_1 (1 - o_1) h_1", "h1·o1·(1 − o1)·(o1 − t1)", True),          # the spec's own names: as before
])
def test_mazur_role_names_are_echoed_as_written(answer, shown, right):
    assert abs(_mazur_dw5() - 0.082167041) < 5e-10                   # his published number: the oracle
    assert abs(_mazur_dw5(slip=True) - 0.082167041) > 0.1              # the slip's value is another number
    v = api.check("classic", "w5", answer)
    assert v["correct"] == right
    assert unicode(v["parsed"]) == shown
    assert "δ_{o1}" in unicode(v["expected"])                         # what it should be: the notation's


def test_two_spellings_of_one_symbol_fall_back_to_the_notation():
    # out_{o1} and o_1 are the same unit: the student used both, so neither spelling is "theirs"
    v = api.check("classic", "w5", r"-(target_{o1} - out_{o1}) o_1 (1 - out_{o1}) out_{h1}")
    assert v["correct"] and "o1" in unicode(v["parsed"]) and "out_{o1}" not in unicode(v["parsed"])


@pytest.mark.parametrize("answer, right", [
    (r"f'(net_{o1}) (out_{o1} - target_{o1}) out_{h1}", True),        # f' of the unit's weighted input, as typed
    (r"(o_1 - t_1) \phi'(net_{o1}) h_1", True),                        # Haykin's \varphi'(v_j)
    ("(out_o1 - target_o1)*f'(net_o1)*out_h1", True),
    (r"f'(net_{h1}) (o_1 - t_1) h_1", False),                          # the hidden unit's derivative: another number
])
def test_f_prime_of_a_units_weighted_input_is_that_units_activation_derivative(answer, right):
    h1 = _sigmoid(0.15 * 0.05 + 0.2 * 0.1 + 0.35)
    o1 = _sigmoid(0.4 * h1 + 0.45 * _sigmoid(0.25 * 0.05 + 0.3 * 0.1 + 0.35) + 0.6)
    typed = (o1 - 0.01) * (o1 if right else h1) * (1 - (o1 if right else h1)) * h1     # the answer, in Python
    assert (abs(typed - 0.082167041) < 5e-10) == right                                  # against Mazur's number
    assert api.check("classic", "w5", answer)["correct"] == right


def test_f_of_what_is_no_weighted_input_is_one_line():
    from derive.errors import DeriveError
    with pytest.raises(DeriveError, match="weighted sums"):
        api.check("classic", "w5", "f'(o_1) (o_1 - t_1) h_1")
