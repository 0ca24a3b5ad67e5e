"""A derivation in Haykin's notation (Neural Networks and Learning Machines, ch. 4; heldout4_haykin.md): the induced
local field v_j(n), y_j(n) = \\varphi_j(v_j(n)), e_j(n) = d_j(n) - y_j(n), \\mathcal{E}(n), his local gradient
\\delta_j(n) = -\\partial \\mathcal{E}(n) / \\partial v_j(n) (the negative of derive's delta) and the delta rule
\\Delta w_{ji}(n) = \\eta \\delta_j(n) y_i(n) (the update, -\\eta times the gradient).

Before haykin.py its 25 equalities were all unread (with --preset bishop too); now 22 are right (each for every
layer and index it can take) and 3 unread: y_0 = +1 and the logistic's slope a = 1 name nothing of the network,
and the hidden delta written with the output errors e_k inside the sum is not read by the checker.  Every right line stays right, and a planted slip (a sign, a
dropped \\varphi', an index i for j) is the one wrong line, at its own line.  Oracle: PyTorch autograd on the spec's
network at random weights, against his formulas computed in plain torch.
"""
from pathlib import Path

import pytest

import derive
from derive.api.check import check_derivation_report
from derive.checking.haykin import haykin

DATA = Path(__file__).parent / "data" / "published"
TEXT = (DATA / "heldout4_haykin.md").read_text(encoding="utf-8")
NET = derive.load(str(DATA / "haykin_net.yaml"))


def _check(text, preset="haykin"):
    return check_derivation_report(NET, text, timeout=None, preset=preset)


def _lines(report, status):
    return [s.line for s in report.steps if s.status == status]


@pytest.fixture(scope="module")
def as_written():
    return _check(TEXT, preset=None)


def test_his_formulas_are_autograds_local_gradients_with_his_sign():
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(4)
    f64 = dict(dtype=torch.float64)
    W1, b1, W2, b2 = (torch.randn(*s, generator=g, **f64, requires_grad=True) for s in ((2, 2), (2,), (2, 2), (2,)))
    x, d = torch.randn(2, generator=g, **f64), torch.rand(2, generator=g, **f64)
    v1 = W1 @ x + b1
    y1 = torch.sigmoid(v1)
    v2 = W2 @ y1 + b2
    o = torch.sigmoid(v2)
    v1.retain_grad(), v2.retain_grad()
    E = 0.5 * ((d - o) ** 2).sum()
    E.backward()
    with torch.no_grad():
        e = d - o
        delta2 = e * o * (1 - o)                            # delta_j = e_j phi'_j(v_j), phi' = y (1 - y)
        delta1 = y1 * (1 - y1) * (W2.T @ delta2)           # delta_j = phi'_j(v_j) sum_k delta_k w_kj
        assert torch.allclose(delta2, -v2.grad) and torch.allclose(delta1, -v1.grad)    # his delta: -dE/dv
        eta = 0.3
        assert torch.allclose(eta * torch.outer(delta1, x), -eta * W1.grad)             # Delta w_ji = eta delta_j y_i
        assert torch.allclose(eta * torch.outer(delta2, y1), -eta * W2.grad)


def test_read_in_his_notation_without_being_told(as_written):
    assert as_written.read.startswith("read with --preset haykin")
    assert (len(_lines(as_written, "correct")), _lines(as_written, "wrong")) == (22, [])
    unread = [s for s in as_written.steps if s.status == "unchecked"]
    assert [(s.line, s.left.strip(), s.right.strip()) for s in unread][:2] == [(15, "y_0", "+1"), (73, "a", "1")]
    assert [s.line for s in unread] == [15, 73, 84]


def test_his_delta_is_read_with_his_sign_and_the_iteration_index_dropped():
    read = haykin(r"$$\delta_j(n) = \varphi_j'(v_j(n)) \sum_k \delta_k(n) w_{kj}(n)$$")
    assert read == r"$$(-\delta^{(l)}_j) = g'(z^{(l)}_j) \sum_k (-\delta^{(l+1)}_k) W^{(l+1)}_{kj}$$"
    assert haykin(r"$$v_j(n) = \sum_{i=0}^{m} w_{ji}(n) y_i(n)$$") == r"$$z^{(l)}_j = \sum_i W^{(l)}_{ji} a^{(l-1)}_i + b^{(l)}_j$$"
    assert haykin(r"$$\delta_k(n) = e_k(n) \varphi_k'(v_k(n))$$") == r"$$(-\delta^{(L)}_k) = (y_k - a^{(L)}_k) g'(z^{(L)}_k)$$"
    assert "(t+1)" in haykin(r"$$w_{ji}(n+1) = w_{ji}(n) + \Delta w_{ji}(n)$$")
    # the logistic's slope a is 1 only where the text says so
    assert "-1 z" in haykin("$a = 1$\n$$\\varphi_j(v_j(n)) = \\frac{1}{1 + \\exp(-a v_j(n))}$$")
    assert "-a z" in haykin("$$\\varphi_j(v_j(n)) = \\frac{1}{1 + \\exp(-a v_j(n))}$$")


SLIPS = [
    (r"\delta_j(n) = e_j(n) \varphi_j'(v_j(n))$$" + "\n\nso", r"\delta_j(n) = -e_j(n) \varphi_j'(v_j(n))$$" + "\n\nso"),
    (r"= -e_j(n) \varphi_j'(v_j(n)) y_i(n)", r"= e_j(n) \varphi_j'(v_j(n)) y_i(n)"),                      # sign
    (r"$$e_j(n) = d_j(n) - y_j(n)", r"$$e_j(n) = y_j(n) - d_j(n)"),                                   # sign
    (r"\delta_j(n) = \varphi_j'(v_j(n)) \sum_k \delta_k", r"\delta_j(n) = \sum_k \delta_k"),                                  # no phi'
    (r"= [d_j(n) - o_j(n)] o_j(n) [1 - o_j(n)]", r"= [d_j(n) - o_j(n)] [1 - o_j(n)]"),                      # no phi'
    (r"w_{ji}(n+1) = w_{ji}(n) + \eta \delta_j(n) y_i(n)", r"w_{ji}(n+1) = w_{ji}(n) + \eta \delta_j(n) y_j(n)"),
    (r"\delta_k(n) w_{kj}(n)$$" + "\n\nand", r"\delta_k(n) w_{jk}(n)$$" + "\n\nand"),                      # index
    (r"$$v_j(n) = \sum_{i=1}^{m} w_{ji}(n)", r"$$v_j(n) = \sum_{i=1}^{m} w_{ij}(n)"),                      # index
    (r"$$\Delta w_{ji}(n) = \eta \delta_j(n) y_i(n)$$" + "\n\n## Case 2", r"$$\Delta w_{ij}(n) = \eta \delta_j(n) y_i(n)$$" + "\n\n## Case 2"),
    (r"w_{ji}(n+1) = w_{ji}(n) + \eta", r"w_{ji}(n+1) = w_{ji}(n) - \eta"),                                 # ascent
    (r"\mathcal{E}(n) = \frac{1}{2} \sum_{j \in C}", r"\mathcal{E}(n) = \sum_{j \in C}"),                    # no 1/2
    (r"\delta_j(n) = -\frac{\partial \mathcal{E}(n)}{\partial v_j(n)}", r"\delta_j(n) = \frac{\partial \mathcal{E}(n)}{\partial v_j(n)}"),
]


@pytest.mark.parametrize("right, slip", SLIPS)
def test_one_slip_is_the_one_wrong_line_at_its_own_line(as_written, right, slip):
    assert TEXT.count(right) == 1
    line = TEXT[:TEXT.index(right)].count("\n") + 1
    assert _lines(as_written, "wrong") == []
    assert set(_lines(_check(TEXT.replace(right, slip)), "wrong")) == {line}, slip
