"""What a wrong step is told: an ascent step named as one, layer-form mistakes by name, two faults in one answer
both named (or more than one thing differs, with the closest single fix), never an empty diagnosis.

The oracle is PyTorch autograd on seed 002's network at its own values: each answer below is confirmed wrong
against autograd, and undoing exactly the mistakes the diagnosis names gives autograd's number.
"""
from pathlib import Path

import pytest

import derive
from derive.checking.derivation import check_derivation

torch = pytest.importorskip("torch")
DATA = Path(__file__).parent / "data" / "published"


def _seed002():
    """seed 002's forward pass and error at its values, in PyTorch (weights w[ji] into unit j from i)."""
    v = derive.load("seed002").spec.values
    p = {k: torch.tensor(x, dtype=torch.float64, requires_grad=True) for k, x in v.params.items()}
    x1, x2 = v.inputs["x1"], v.inputs["x2"]
    z1 = torch.sigmoid(p["w11"] * x1 + p["w12"] * x2)
    z2 = torch.sigmoid(p["w21"] * x1 + p["w22"] * x2)
    y1 = torch.sigmoid(p["w31"] * z1 + p["w32"] * z2)
    y2 = torch.sigmoid(p["w41"] * z1 + p["w42"] * z2)
    error = 0.5 * (v.targets["yt1"] - y1) ** 2 + 0.5 * (v.targets["yt2"] - y2) ** 2
    error.backward()
    d = {k: t.detach().item() for k, t in dict(z1=z1, z2=z2, y1=y1, y2=y2).items()}
    d["dy1"] = d["y1"] * (1 - d["y1"]) * (d["y1"] - v.targets["yt1"])        # delta_{y1}, delta_{y2}
    d["dy2"] = d["y2"] * (1 - d["y2"]) * (d["y2"] - v.targets["yt2"])
    return {k: t.item() for k, t in p.items()}, {k: t.grad.item() for k, t in p.items()}, d, v


def _kinds(step):
    return [m.kind for m in step.diagnosis]


def test_two_faults_in_one_answer_are_both_named_and_undoing_them_gives_autograds_gradient():
    w, grad, d, v = _seed002()
    written = (d["dy1"] * w["w32"] + d["dy2"] * w["w42"]) * v.inputs["x1"]     # z2's weights, no z1 (1 - z1)
    assert abs(written - grad["w11"]) > abs(grad["w11"])                          # wrong, by autograd (4.8x)
    mended = (d["dy1"] * w["w31"] + d["dy2"] * w["w41"]) * d["z1"] * (1 - d["z1"]) * v.inputs["x1"]
    assert abs(mended - grad["w11"]) < 1e-12                                    # the named fixes: autograd's
    report = check_derivation(derive.load("seed002"), "\n".join([
        r"$$\frac{\partial error}{\partial w_{11}} = (\delta_{y_1} w_{32} + \delta_{y_2} w_{42}) x_1$$",
        r"$$\delta_{z_1} = \delta_{y_1} w_{32} + \delta_{y_2} w_{42}$$",
        r"$$w_{11}(t+1) = w_{11}(t) - \alpha (\delta_{y_1} w_{32} + \delta_{y_2} w_{42}) x_1$$",
        r"$$\delta_{z_1} = (\delta_{y_1} w_{32} + \delta_{y_2} w_{42}) z_1 (1 - z_1)$$",     # one fault: one named
    ]), timeout=None)
    assert [s.status for s in report.steps] == ["wrong"] * 4
    for s in report.steps[:3]:
        assert _kinds(s) == ["wrong_unit_weights", "activation_derivative_dropped"], s
        assert "the weights from $z_{2}$ ($w_{32}$, $w_{42}$) are used instead of those from $z_{1}$" \
               in s.diagnosis[0].message
    assert report.steps[2].diagnosis[0].message.startswith("in the update's gradient: ")
    assert _kinds(report.steps[3]) == ["wrong_unit_weights"]


def test_an_ascent_step_is_named_also_with_a_second_fault():
    w, grad, d, v = _seed002()
    rate = v.learning_rate
    written = w["w11"] + rate * (d["dy1"] * w["w31"] + d["dy2"] * w["w41"]) * v.inputs["x1"]
    assert abs(written - (w["w11"] - rate * grad["w11"])) > abs(rate * grad["w11"])
    assert abs((w["w11"] - (written - w["w11"]) * d["z1"] * (1 - d["z1"])) - (w["w11"] - rate * grad["w11"])) < 1e-12
    report = check_derivation(derive.load("seed002"), "\n".join([
        r"$$w_{11}(t+1) = w_{11}(t) + \alpha (\delta_{y_1} w_{31} + \delta_{y_2} w_{41}) x_1$$",
        r"$$w_{31}(t+1) = w_{31}(t) + \alpha \delta_{y_1} z_1$$",
    ]), timeout=None)
    assert [_kinds(s) for s in report.steps] == [["ascent_step", "activation_derivative_dropped"], ["ascent_step"]]
    assert "ascent step" in report.steps[0].diagnosis[0].message


def test_layer_form_mistakes_one_or_two_are_named():
    nielsen = derive.load(str(DATA / "nielsen_net.yaml"))
    report = check_derivation(nielsen, "\n".join([
        r"$$\delta^l = (w^{l+1} \delta^{l+1})$$",                        # no transpose, no sigma'
        r"$$\delta^l = -((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)$$",  # the sign
        r"$$\delta^L = (y - a^l) \odot \sigma'(z^L)$$",                    # the sign, and l where L belongs
        r"$$\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)$$",   # right
    ]), timeout=None, preset="nielsen")
    s = report.steps
    assert [x.status for x in s] == ["wrong", "wrong", "wrong", "correct"]
    assert _kinds(s[0]) == ["two_faults"] and "transpose is missing" in s[0].diagnosis[0].message \
        and "activation's derivative" in s[0].diagnosis[0].message
    assert _kinds(s[1]) == ["sign_flipped"]
    assert _kinds(s[2]) == ["two_faults"] and "sign is flipped" in s[2].diagnosis[0].message \
        and "$l$ is written where $L$ belongs" in s[2].diagnosis[0].message


def test_never_an_empty_diagnosis_and_the_closest_single_fix_when_no_pair_fits():
    report = check_derivation(derive.load("seed002"), "\n".join([
        r"$$\frac{\partial error}{\partial w_{11}} = \delta_{y_1} w_{42} x_2 z_2$$",   # many things differ
        r"$$a_1^{(1)} = w_{21} x_1 + w_{12} x_2 + 1$$",
    ]), timeout=None)
    for s in report.steps:
        assert s.status == "wrong" and s.diagnosis and all(m.message for m in s.diagnosis)
    several = [m for s in report.steps for m in s.diagnosis if m.kind == "several"]
    assert several and all("more than one thing differs" in m.message for m in several)
    # the forward line: its meaning shown, and the one name that brings it nearest (its + 1 is the other fault)
    said = report.steps[1].diagnosis[0].message
    assert "$a^{(1)}_{1} = w_{11} x_{1} + w_{12} x_{2}$" in said and said.endswith("closest single fix: $w_{11}$ for $w_{21}$")
