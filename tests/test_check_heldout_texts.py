"""Five derivations written after the readers, in the style of sources they had not seen (tests/data/published/heldout2_*).

Each right text must have no line called wrong; one slip (a sign, a transpose, an index, a number) must be found at
its own line.  Oracles: the texts' own numbers recomputed here in plain Python, and PyTorch autograd for the layer form.
"""
import math
import re
from pathlib import Path

import pytest

import derive
from derive.api.check import check_derivation_report
from derive.checking.derivation import check_derivation
from derive.checking.nospec import check_text
from derive.checking.spans import statements

DATA = Path(__file__).parent / "data" / "published"
SPECS = {"heldout2_cs229": "cs229_net.yaml", "heldout2_d2l": "d2l_net.yaml", "heldout2_ng_vectorised": "ng_dl_net.yaml"}


def _check(name, text):
    spec = SPECS.get(name)
    if spec is None:
        return check_text(text)
    return check_derivation_report(derive.load(str(DATA / spec)), text, timeout=None)


def _text(name):
    return (DATA / f"{name}.md").read_text(encoding="utf-8")


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _said(text, left):
    """The last number a line starting with ``left`` ends in."""
    line = next(ln for ln in text.splitlines() if ln.startswith("$$" + left))
    return float(re.findall(r"-?\d+(?:\.\d+)?", line)[-1])


@pytest.mark.parametrize("name", sorted(p.stem for p in DATA.glob("heldout2_*.md")))
def test_no_right_line_of_a_held_out_text_is_called_wrong(name):
    report = _check(name, _text(name))
    assert not [s for s in report.steps if s.status == "wrong"], name


def test_korean_2_2_2_worked_numbers_are_the_networks_and_every_line_is_read():
    text = _text("heldout2_ko_backprop")
    x, t, eta = (0.1, 0.5), (0.05, 0.95), 0.6
    w = dict(w1=0.1, w2=0.2, w3=0.3, w4=0.4, w5=0.5, w6=0.6, w7=0.7, w8=0.8)
    h1 = _sigmoid(w["w1"] * x[0] + w["w2"] * x[1] + 0.25)
    h2 = _sigmoid(w["w3"] * x[0] + w["w4"] * x[1] + 0.25)
    o1, o2 = _sigmoid(w["w5"] * h1 + w["w6"] * h2 + 0.35), _sigmoid(w["w7"] * h1 + w["w8"] * h2 + 0.35)
    d1, d2 = (o1 - t[0]) * o1 * (1 - o1), (o2 - t[1]) * o2 * (1 - o2)
    dw1 = (d1 * w["w5"] + d2 * w["w7"]) * h1 * (1 - h1) * x[0]
    for left, exact in [("E = 0.2", 0.5 * (t[0] - o1) ** 2 + 0.5 * (t[1] - o2) ** 2),
                        ("w_5^{+}", w["w5"] - eta * d1 * h1), ("w_7^{+}", w["w7"] - eta * d2 * h1),
                        ("w_1^{+}", w["w1"] - eta * dw1)]:
        assert abs(_said(text, left) - exact) < 1e-8, left          # the text's own 8 digits
    report = check_text(text)
    assert not [s for s in report.steps if s.status in ("wrong", "unchecked")]
    # sigma(x) = 1/(1+e^{-x}) with a dummy x: an identity of the text's own letter, read and right
    assert [s.status for s in report.steps if s.line == 8] == ["correct"]


SLIPS = [
    ("heldout2_ko_backprop", r"= -(t_1 - o_1) = o_1 - t_1", r"= (t_1 - o_1) = o_1 - t_1"),                    # sign
    ("heldout2_ko_backprop", r"o_1 (1 - o_1) \, h_2 = 0.08249596", r"o_1 (1 - o_1) \, h_1 = 0.08249596"),      # index
    ("heldout2_ko_backprop", r"0.07866228 = 0.45280263", r"0.07866228 = 0.45820263"),                      # number
    ("heldout2_ko_backprop", r"(1 - o_2) w_7 = 0.04605681", r"(1 - o_2) w_8 = 0.04605681"),                # index
    ("heldout2_cs229", r"= (W^{[2]T} \delta^{[2]}) \odot g'(z^{[1]})$$", r"= (W^{[2]} \delta^{[2]}) \odot g'(z^{[1]})$$"),
    ("heldout2_cs229", r"\partial z^{[2]}} = \hat{y} - y", r"\partial z^{[2]}} = y - \hat{y}"),                   # sign
    ("heldout2_cs229", r"= \delta^{[l]} a^{[l-1]T}", r"= \delta^{[l]} a^{[l]T}"),                               # index
    ("heldout2_cs229", r"W^{[2]}_{ji} \delta^{[2]}_j", r"W^{[2]}_{ij} \delta^{[2]}_j"),                            # indices
    ("heldout2_cs229", r"W^{[l]} := W^{[l]} - \alpha", r"W^{[l]} := W^{[l]} + \alpha"),                          # sign
    ("heldout2_cs229", r"\mathrm{softmax}(z^{[2]})", r"\mathrm{softmax}(z^{[1]})"),                           # layer
    ("heldout2_cs229", r"= -\sum_{i=1}^{k} y_i \frac{\partial \log", r"= \sum_{i=1}^{k} y_i \frac{\partial \log"),  # sign
    ("heldout2_cs229", r"= \hat{y}_j - y_j$$", r"= y_j - \hat{y}_j$$"),                                           # sign
    ("heldout2_cs229", r"y_i \frac{\partial \log \hat{y}_i}{\partial z^{[2]}_j} = \hat",
     r"y_i \frac{\partial \hat{y}_i}{\partial z^{[2]}_j} = \hat"),                                                 # log dropped
    ("heldout2_ng_vectorised", r"= -\frac{1}{m} \sum_{i=1}^{m} \left(", r"= \frac{1}{m} \sum_{i=1}^{m} \left("),    # sign
    ("heldout2_ng_vectorised", r"$$Z^{[1]} = W^{[1]} X + b^{[1]}$$", r"$$Z^{[1]} = W^{[1]T} X + b^{[1]}$$"),     # transpose
    ("heldout2_ng_vectorised", r"Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]}", r"Z^{[2]} = W^{[2]} A^{[1]} + b^{[1]}"),   # index
    ("heldout2_ja_graph", r"1.1 \times 150 = 165", r"1.1 \times 150 = 156"),                                   # number
    ("heldout2_ja_graph", r"\partial q} \cdot m = 1.1", r"\partial q} \cdot o = 1.1"),                            # swap
    ("heldout2_ja_graph", r"-\frac{1}{x^2} = -y^2", r"-\frac{1}{x^2} = y^2"),                                    # sign
    ("heldout2_ja_graph", r"\partial z}{\partial y} = 1$$", r"\partial z}{\partial y} = 0$$"),                 # dropped
    ("heldout2_ja_graph", r"\partial y} y (1 - y)$$", r"\partial y} y (1 + y)$$"),                                 # sign
]


@pytest.mark.parametrize("name, right, slip", SLIPS)
def test_one_slip_is_the_one_wrong_line_at_its_own_line(name, right, slip):
    text = _text(name)
    assert text.count(right) == 1
    line = text[:text.index(right)].count("\n") + 1
    report = _check(name, text.replace(right, slip))
    assert {s.line for s in report.steps if s.status == "wrong"} == {line}, (name, slip)


def test_cs229_layer_form_agrees_with_autograd():
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(2, 1, generator=g, dtype=torch.float64), torch.tensor([[0.0], [1.0], [0.0]], dtype=torch.float64)
    W1 = torch.randn(3, 2, generator=g, dtype=torch.float64, requires_grad=True)
    W2 = torch.randn(3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    b1 = torch.randn(3, 1, generator=g, dtype=torch.float64, requires_grad=True)
    b2 = torch.randn(3, 1, generator=g, dtype=torch.float64, requires_grad=True)
    z1 = W1 @ x + b1
    a1 = torch.sigmoid(z1)
    z1.retain_grad()
    yhat = torch.softmax(W2 @ a1 + b2, dim=0)
    (-(y * torch.log(yhat)).sum()).backward()
    d2 = yhat - y                                                  # the text's delta^{[2]} = \hat{y} - y
    d1 = (W2.T @ d2) * a1 * (1 - a1)                               # its delta^{[1]}
    assert torch.allclose(z1.grad, d1) and torch.allclose(W1.grad, d1 @ x.T) and torch.allclose(b2.grad, d2)
    assert torch.allclose(W2.grad, d2 @ a1.T)
    # and derive says the same of those lines
    lines = {s.line: s.status for s in _check("heldout2_cs229", _text("heldout2_cs229")).steps}
    assert [lines[k] for k in (31, 37, 41, 45, 47)] == ["correct"] * 5


def test_japanese_computation_graph_numbers_and_the_sigmoid_layer():
    text = _text("heldout2_ja_graph")
    a, n, o, m, t = 100, 2, 150, 3, 1.1
    assert (a * n + o * m) * t == pytest.approx(715)
    assert [_said(text, r"\frac{\partial L}{\partial " + k + "}") for k in "aom"] == pytest.approx([t * n, t * m, t * o])
    y = _sigmoid(0.5)
    assert abs(_said(text, "y = \\frac{1}{1 + \\exp(-0.5)}") - y) < 5e-9 and abs(y * (1 - y) - 0.23500371) < 5e-9
    report = check_text(text)
    assert not [s for s in report.steps if s.status == "wrong"]
    # the mult node z = xy and the add node z = x + y: two definitions of one letter, each derivative right
    by_line = {}
    for s in report.steps:
        by_line.setdefault(s.line, []).append(s)
    assert [s.status for s in by_line[23] + by_line[27]] == ["definition", "definition"]
    assert [s.status for s in by_line[25] + by_line[29]] == ["correct"] * 4
    # the sigmoid's y (line 55) and the '/' node's y = 1/x (line 57): a step right only with the earlier y is unread
    # (a slip could equal what a letter meant before), and these are the only unread steps
    unread = [s for s in report.steps if s.status == "unchecked"]
    assert [s.line for s in unread] == [63, 63, 67, 69]
    assert all(s.note.startswith("right only with y as defined at line 55") for s in unread)
    assert [s.status for s in by_line[59] + by_line[61]] == ["correct"] * 3       # the '/' node's own y = 1/x
    # so the add node's dz/dy written as the mult node's x is unread, not proven by the earlier z = xy
    slip = check_text(text.replace(r"\partial z}{\partial y} = 1$$", r"\partial z}{\partial y} = x$$"))
    assert [s.status for s in slip.steps if s.line == 29] == ["correct", "unchecked"]


def _steps(text):
    return [(s.line, s.status) for s in check_derivation("seed002", text, timeout=None).steps]


def test_a_texts_scratch_letters_are_read_in_its_own_terms_and_a_false_identity_is_wrong():
    text = "\n\n".join(["$$z = xy$$", r"$$\frac{\partial z}{\partial x} = y$$", r"$$\frac{\partial z}{\partial y} = y$$",
                        r"$$\sigma(u) = \frac{1}{1 + e^{-u}}$$", r"$$\frac{\partial}{\partial x} \exp(x) = \exp(x)$$",
                        r"$$\frac{\partial}{\partial u} \exp(u) = \exp(u)$$", r"$$\frac{\partial}{\partial v} v^2 = 2v$$"])
    # u is a dummy where a function of it is the first side (\sigma(u), \exp(u)); v, where the operator d/dv applied to
    # an expression of letters is the first side, is the rule's own letter: d/dv v^2 = 2v holds for every v
    assert _steps(text) == [(1, "definition"), (3, "correct"), (5, "wrong"), (7, "correct"), (9, "correct"),
                            (11, "correct"), (13, "correct")]
    wrong = text.replace("= 2v$$", "= v$$")
    assert _steps(wrong)[-1] == (13, "wrong")


def test_scratch_letters_never_judge_what_they_cannot_determine():
    # an upstream derivative on one side only, a letter no definition uses given a number, names no definition uses
    text = "\n\n".join(["$$v = 1 + u^2$$", r"$$\frac{\partial E}{\partial u} = 2u \frac{\partial E}{\partial v}$$",
                        "$$k = 2$$", r"$$\epsilon = 10^{-8}$$", r"$$\frac{\partial v}{\partial u} = 2u$$"])
    assert _steps(text) == [(1, "definition"), (3, "unchecked"), (5, "unchecked"), (7, "unchecked"), (9, "correct")]
    assert _steps("$$q_7 = r_2 + s_9$$\n\n$$r_2 + s_9 = q_7$$") == [(1, "unchecked"), (3, "unchecked")]
    # a derivative by a letter no definition uses is not 0 by default: 0 = 2 * 0 would "prove" a tampered line
    tampered = "$$L = (q - t)^2$$\n\n$$\\frac{\\partial L}{\\partial w} = 2\\frac{\\partial L}{\\partial q}\\frac{\\partial q}{\\partial w}$$"
    assert _steps(tampered) == [(1, "definition"), (3, "unchecked")]
    # layer notation is never read as numbers: \mathbf{h}^\top \delta and \delta \mathbf{h}^\top are not one thing
    layered = "\n\n".join([r"$$\mathbf{q} = \mathbf{u} \mathbf{v}^\top$$", r"$$\mathbf{q} = \mathbf{v}^\top \mathbf{u}$$"])
    assert {st for _, st in _steps(layered)} == {"unchecked"}


def test_and_between_two_equations_makes_two_statements():
    assert statements(r"\frac{\partial J}{\partial L} = 1 \; \textrm{and} \; \frac{\partial J}{\partial s} = 1.") == [
        r"\frac{\partial J}{\partial L} = 1", r"\frac{\partial J}{\partial s} = 1."]
    assert statements(r"a = b \text{ and } c") == [r"a = b \text{ and } c"]       # 'and c' is no equation: kept whole


def test_ng_vectorised_notation_reads_one_column_per_example():
    # X and Y (the examples as columns), J(W^{[1]}, b^{[1]}, ...), \mathcal{L}(\hat{y}^{(i)}, y^{(i)}), a^{[2](i)},
    # dZ^{[l]} = dJ/dZ^{[l]}, NumPy's * as the element-wise product, g^{[1]'}, A^{[1]2}, updates with dW, db
    report = _check("heldout2_ng_vectorised", _text("heldout2_ng_vectorised"))
    by_line = {}
    for s in report.steps:
        by_line.setdefault(s.line, []).append(s.status)
    assert [by_line[k] for k in (12, 22, 26, 32, 36, 46, 52)] == [["correct"], ["correct", "correct"]] + [["correct"]] * 5
    # with 2 examples, dW = 1/m dZ A^T sums over the examples' columns: one column cannot say it: unread, never judged
    assert all(by_line[k] == ["unchecked"] for k in (28, 30, 38, 40))
    # with one example (m = 1) those lines are exact, and read: all but the prose g^{[1]} = \tanh are right
    one = check_derivation_report(derive.load(str(DATA / "ng_dl_one.yaml")), _text("heldout2_ng_vectorised"), timeout=None)
    assert [(s.line, s.status) for s in one.steps if s.status != "correct"] == [(34, "unchecked")]
    assert "names the activation function" in next(s for s in one.steps if s.status != "correct").note


NG_SLIPS = [
    (r"$$dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}$$", r"$$dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]}$$"),          # transpose
    (r"np.sum(dZ^{[2]}, axis=1", r"np.sum(dZ^{[1]}, axis=1"),                                                 # layer
    (r"$$dZ^{[1]} = W^{[2]T} dZ^{[2]} * g", r"$$dZ^{[1]} = W^{[2]} dZ^{[2]} * g"),                              # transpose
    (r"* (1 - A^{[1]2})", r"* (1 + A^{[1]2})"),                                                              # sign
    (r"$$dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T$$", r"$$dW^{[1]} = \frac{1}{m} dZ^{[2]} X^T$$"),                  # layer
    (r"$$dZ^{[2]} = A^{[2]} - Y$$", r"$$dZ^{[2]} = Y - A^{[2]}$$"),                                           # sign
    (r"$$b^{[1]} = b^{[1]} - \alpha", r"$$b^{[1]} = b^{[1]} + \alpha"),                                        # sign
]


@pytest.mark.parametrize("right, slip", NG_SLIPS)
def test_ng_batch_lines_with_one_example_find_each_slip_at_its_line(right, slip):
    text = _text("heldout2_ng_vectorised")
    assert text.count(right) == 1
    line = text[:text.index(right)].count("\n") + 1
    report = check_derivation_report(derive.load(str(DATA / "ng_dl_one.yaml")), text.replace(right, slip), timeout=None)
    assert {s.line for s in report.steps if s.status == "wrong"} == {line}, slip



def test_a_function_the_text_defines_of_a_dummy_letter_and_its_derivative():
    text = "\n\n".join([r"$$f(x) = \frac{1}{1 + e^{-x}}$$", r"$$f'(x) = f(x)(1 - f(x))$$",
                        r"$$\sigma'(u) = \sigma(u)(1 - \sigma(u))$$", r"$$\frac{d\sigma(u)}{du} = \sigma(u)(1 - \sigma(u))$$",
                        r"$$f'(x) = f(x)(1 + f(x))$$", r"$$\phi'(u) = 1 - \phi(u)^2$$"])
    # the last: \phi is never defined here, so nothing says what \phi' is: unread, not judged
    assert _steps(text) == [(1, "definition"), (3, "correct"), (5, "correct"), (7, "correct"), (9, "wrong"),
                            (11, "unchecked")]
    h = _text("heldout_bishop")                    # Bishop's h(a) = tanh(a), h'(a) = 1 - h(a)^2, of a dummy a
    assert "$h'(a) = 1 - h(a)^2$" in h


def test_ng_vectorised_formulas_are_autograd_over_a_batch():
    """The text's batch lines are right for any m (so unread with 2 examples is a gap, not a doubt): autograd."""
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(1)
    X, Y = torch.tensor([[0.5, 2.0], [-1.0, 0.25]], dtype=torch.float64), torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    W1, b1 = (torch.randn(*s, generator=g, dtype=torch.float64, requires_grad=True) for s in ((3, 2), (3, 1)))
    W2, b2 = (torch.randn(*s, generator=g, dtype=torch.float64, requires_grad=True) for s in ((1, 3), (1, 1)))
    m = X.shape[1]
    A1 = torch.tanh(W1 @ X + b1)
    A2 = torch.sigmoid(W2 @ A1 + b2)
    (-(Y * torch.log(A2) + (1 - Y) * torch.log(1 - A2)).sum() / m).backward()
    dZ2 = A2 - Y
    dZ1 = (W2.T @ dZ2) * (1 - A1 ** 2)
    for got, text in [(W2.grad, dZ2 @ A1.T / m), (b2.grad, dZ2.sum(axis=1, keepdims=True) / m),
                      (W1.grad, dZ1 @ X.T / m), (b1.grad, dZ1.sum(axis=1, keepdims=True) / m)]:
        assert torch.allclose(got, text)


def test_without_a_spec_a_forward_pass_that_ends_in_no_named_loss_is_refused_in_one_line():
    # deeplearning.ai's forward pass ends in A^{[2]}; its J is written only with sums, so nothing names the loss
    with pytest.raises(derive.DeriveError, match=r"ends in a\^\{\(2\)\}, which no line names as the loss.*give a spec"):
        check_text(_text("heldout2_ng_vectorised"))
