"""Three derivations written after the readers, in the notation of sources they had not seen (heldout3_*):
Hagan et al.'s sensitivities (Neural Network Design, ch. 11, with its 1-2-1 worked example and matrices written
out with bmatrix), colah's computational graphs (e = (a+b)(b+1), the sum over paths) and cs231n's
"Backprop, intuitions" (f = (x+y) z, local gradient times upstream gradient).

Each text is right: no line may be called wrong, and a planted slip (a sign, a transpose, a layer, a number) is
the one wrong line, at its own line.  Oracles: PyTorch autograd on Hagan's network (his printed numbers), and the
texts' own numbers recomputed here in plain Python.
"""
import math
from pathlib import Path

import pytest

import derive
from derive.api.check import check_derivation_report
from derive.checking.nospec import check_text
from derive.model.formula import parse, split_equalities

DATA = Path(__file__).parent / "data" / "published"


def _text(name):
    return (DATA / f"{name}.md").read_text(encoding="utf-8")


def _check(name, text, preset="hagan"):
    if name == "heldout3_hagan":
        return check_derivation_report(derive.load(str(DATA / "hagan_net.yaml")), text, timeout=None, preset=preset)
    return check_text(text)


def _lines(report, status):
    return [s.line for s in report.steps if s.status == status]


def test_hagan_worked_example_is_autograds_and_every_number_line_is_read_right():
    torch = pytest.importorskip("torch")
    f64 = dict(dtype=torch.float64)
    W1 = torch.tensor([[-0.27], [-0.41]], **f64, requires_grad=True)
    b1 = torch.tensor([[-0.48], [-0.13]], **f64, requires_grad=True)
    W2 = torch.tensor([[0.09, -0.17]], **f64, requires_grad=True)
    b2 = torch.tensor([[0.48]], **f64, requires_grad=True)
    p, t = torch.tensor([[1.0]], **f64), 1 + math.sin(math.pi / 4)
    n1 = W1 @ p + b1
    n1.retain_grad()
    a1 = torch.sigmoid(n1)
    a2 = W2 @ a1 + b2
    a2.retain_grad()
    ((t - a2) ** 2).sum().backward()                  # his F = (t - a)^T (t - a): no 1/2
    rounds = lambda x, s: abs(x - float(s)) <= 0.5 * 10 ** -len(s.split(".")[1]) + 1e-12   # noqa: E731
    his = [(a1[0, 0], "0.321"), (a1[1, 0], "0.368"), (a2[0, 0], "0.446"), (t - a2[0, 0], "1.261"),
           (a2.grad[0, 0], "-2.522"), (n1.grad[0, 0], "-0.0495"), (n1.grad[1, 0], "0.0997"),
           ((W2 - 0.1 * W2.grad)[0, 0], "0.171"), ((W2 - 0.1 * W2.grad)[0, 1], "-0.0772"),
           ((b2 - 0.1 * b2.grad)[0, 0], "0.732"), ((W1 - 0.1 * W1.grad)[0, 0], "-0.265"),
           ((W1 - 0.1 * W1.grad)[1, 0], "-0.420"), ((b1 - 0.1 * b1.grad)[0, 0], "-0.475"),
           ((b1 - 0.1 * b1.grad)[1, 0], "-0.140")]
    his = [(float(x.detach()), s) for x, s in his]
    assert all(rounds(x, s) for x, s in his), [(x, s) for x, s in his if not rounds(x, s)]
    text = _text("heldout3_hagan")
    assert all(s in text for _, s in his)
    report = _check("heldout3_hagan", text)
    assert _lines(report, "wrong") == []
    by_line = {}
    for s in report.steps:
        by_line.setdefault(s.line, []).append(s.status)
    # the forward pass, the sensitivities and the four updates, written with bmatrix: every equality right
    for line in (88, 90, 94, 108, 112, 116, 121, 123, 125, 127):
        assert set(by_line[line]) == {"correct"}, (line, by_line[line])


def test_hagan_is_read_in_his_notation_without_being_told():
    c = derive.load(str(DATA / "hagan_net.yaml"))
    plain = check_derivation_report(c, _text("heldout3_hagan"), timeout=None)
    assert plain.read.startswith("read with --preset hagan")
    assert sum(s.status == "correct" for s in plain.steps) == 51


SLIPS = [
    ("heldout3_hagan", r"s^M_i = \frac{\partial \hat{F}}", r"s^M_i = -\frac{\partial \hat{F}}"),                 # sign
    ("heldout3_hagan", r"0.0997 \end{bmatrix} = \begin{bmatrix} -0.475", r"0.0997 \end{bmatrix} = \begin{bmatrix} -0.485"),
    ("heldout3_hagan", r"(\mathbf{W}^{m+1})^T\mathbf{s}^{m+1}.", r"\mathbf{W}^{m+1}\mathbf{s}^{m+1}."),            # transpose
    ("heldout3_hagan", r"- \alpha \mathbf{s}^m (\mathbf{a}^{m-1})^T,", r"- \alpha \mathbf{s}^m (\mathbf{a}^{m})^T,"),  # layer
    ("heldout3_hagan", r"0.218 & 0 \\ 0 & 0.233", r"0.218 & 0 \\ 0 & 0.323"),                                  # number
    ("heldout3_hagan", r"\mathbf{s}^M = -2\dot{\mathbf{F}}^M", r"\mathbf{s}^M = 2\dot{\mathbf{F}}^M"),              # sign
    ("heldout3_hagan", r"= \begin{bmatrix} 0.171 & -0.0772 \end{bmatrix}", r"= \begin{bmatrix} 0.171 & 0.0772 \end{bmatrix}"),
    ("heldout3_hagan", r"b^m_i(k+1) = b^m_i(k) - \alpha s^m_i.", r"b^m_i(k+1) = b^m_i(k) - \alpha s^m_i a^{m-1}_i."),
    ("heldout3_colah_graphs", r"1*2 + 1*3 = 5", r"1*2 + 1*3 = 6"),                                              # number
    ("heldout3_colah_graphs", r"\frac{\partial e}{\partial c} = d = 2", r"\frac{\partial e}{\partial c} = c = 2"),  # swap
    ("heldout3_colah_graphs", r"v\frac{\partial u}{\partial u} = v", r"v\frac{\partial u}{\partial u} = u"),       # rule
    ("heldout3_colah_graphs", r"$$e = c * d = 3 * 2 = 6$$", r"$$e = c * d = 3 * 2 = 5$$"),                       # number
    ("heldout3_cs231n", r"$$\frac{\partial f}{\partial z} = q = 3$$", r"$$\frac{\partial f}{\partial z} = z = 3$$"),
    ("heldout3_cs231n", r"$$f = q z = -12$$", r"$$f = q z = 12$$"),
    ("heldout3_cs231n", r"\right) = \left( 1 - \sigma(x) \right) \sigma(x)$$", r"\right) = \left( 1 + \sigma(x) \right) \sigma(x)$$"),
]


@pytest.mark.parametrize("name, right, slip", SLIPS)
def test_one_slip_is_the_one_wrong_line_at_its_own_line(name, right, slip):
    text = _text(name)
    assert text.count(right) == 1
    line = text[:text.index(right)].count("\n") + 1
    assert _lines(_check(name, text), "wrong") == []
    assert set(_lines(_check(name, text.replace(right, slip)), "wrong")) == {line}, slip


def test_colah_paths_numbers_and_a_factored_sum_that_is_no_identity():
    a, b = 2, 1
    c, d = a + b, b + 1
    assert (c * d, d * 1, 1 * d + 1 * c) == (6, 2, 5)             # e, de/da, de/db: the sum over the two paths
    report = check_text(_text("heldout3_colah_graphs"))
    assert report.read.startswith("read from the text:") and "loss e" in report.read   # e is what it differentiates
    assert _lines(report, "wrong") == [] and _lines(report, "unchecked") == [67]
    # the nine paths factored is an identity in the edge letters: right whatever they are; a wrong factoring
    # could still hold for some values of them, so it is unread, never wrong
    text = _text("heldout3_colah_graphs")
    steps = {s.line: s for s in report.steps}
    assert steps[71].status == "correct" and "identity" in steps[71].note
    bad = check_text(text.replace(r"= (\alpha + \beta + \gamma)(\delta", r"= (\alpha + \beta)(\delta"))
    assert [s.status for s in bad.steps if s.line == 71] == ["unchecked"]


def test_cs231n_compound_expression_and_sigmoid_gate():
    x, y, z = -2, 5, -4
    q = x + y
    assert (q, q * z, z, q, 1.0 * z) == (3, -12, -4, 3, -4)       # q, f, df/dq, df/dz, df/dx = df/dy
    s = 1 / (1 + math.exp(-1.0))
    assert round(s, 2) == 0.73 and round((1 - 0.73) * 0.73, 1) == 0.2
    report = check_text(_text("heldout3_cs231n"))
    assert _lines(report, "wrong") == []
    assert sum(st.status == "correct" for st in report.steps) == 26
    # the first examples' f(x,y) are each their own f, not the network's f = q z: unread, and said so
    assert all("separate example's" in st.note or "the letters in parentheses" in st.note
               for st in report.steps if st.status == "unchecked")


def test_a_matrix_written_out_reads_as_numpy_computes_it():
    np = pytest.importorskip("numpy")
    got = parse(r"\begin{bmatrix} 0.218 & 0 \\ 0 & 0.233 \end{bmatrix}\begin{bmatrix} -0.227 \\ 0.429 \end{bmatrix}",
                lambda n: None, mode="latex", matrices=True)
    want = np.array([[0.218, 0], [0, 0.233]]) @ np.array([[-0.227], [0.429]])
    assert [float(e) for _, e in got.entries()] == pytest.approx(want.ravel().tolist())
    assert parse(r"\begin{bmatrix} 0.48 \end{bmatrix} + 1", lambda n: None, mode="latex") == pytest.approx(1.48)
    with pytest.raises(derive.DeriveError, match="different lengths"):
        parse(r"\begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}", lambda n: None, mode="latex", matrices=True)
    # a matrix's & is no align cell, and words after the maths are no side
    assert split_equalities(r"W = \begin{bmatrix} 0.09 & -0.17 \end{bmatrix},") == [
        "W", r"\begin{bmatrix} 0.09 & -0.17 \end{bmatrix}"]
    assert split_equalities(r"a^{m+1} = f(n) \quad \text{for } m = 0, 1, \ldots, M-1") == ["a^{m+1}", "f(n)"]
