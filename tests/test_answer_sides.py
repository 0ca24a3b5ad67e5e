"""An answer written ``a = b = c`` claims every side is dE/dparam: each side is checked, as the derivation
checker checks each step, and a wrong step says which side is not the derivative (the page's hint says so)."""
import derive
from derive.checking.checker import check


def test_a_wrong_first_side_is_named_even_when_the_last_is_right():
    net = derive.load("seed002")
    v = check(net, "w11", "delta_z1*x2 = delta_z1*x1", timeout=None)
    assert not v.correct
    assert v.diagnosis[0].kind == "wrong_step"
    assert v.diagnosis[0].message.startswith("side 1 of 2, delta_z1*x2, is not ")
    assert r"\partial w_{11}" in v.diagnosis[0].message


def test_a_wrong_middle_side_is_named_and_right_chains_pass():
    net = derive.load("seed002")
    v = check(net, "w11", "delta_z1*x1 = delta_y1*x1 = delta_z1*x1", timeout=None)
    assert not v.correct and v.diagnosis[0].message.startswith("side 2 of 3, delta_y1*x1,")
    assert check(net, "w11", "delta_z1*x1 = x1*delta_z1", timeout=None).correct
    assert check(net, "w12", r"\frac{\partial E}{\partial w_{12}} = delta_z1*x2", timeout=None).correct
