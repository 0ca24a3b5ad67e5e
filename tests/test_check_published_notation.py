"""Notations published texts use, read and judged against independent references.

Mazur's generic ``(\\sum_o \\delta_o w_{ho})`` against PyTorch autograd on his network; UFLDL's operator form
``\\frac{\\partial}{\\partial z_i} \\frac12 \\|y - h\\|^2`` against the text's own right side (the textbook output
delta) and a planted slip; Ng's bracketed layers on a network whose layers have different activations (a
reading that guessed a sigmoid would call the relu layer's line wrong); Nielsen's ``a_{\\rm in} \\delta_{\\rm out}``.
A reading that cannot be made leaves the line unread, never wrong.
"""
from pathlib import Path

import pytest

import derive
from derive.checking.derivation import check_derivation
from derive.checking.nospec import check_text

DATA = Path(__file__).parent / "data" / "published"


def _statuses(report):
    return [s.status for s in (report.steps if hasattr(report, "steps") else report)]


def test_mazurs_generic_sum_binds_the_unit_the_equation_names_and_agrees_with_autograd():
    torch = pytest.importorskip("torch")
    w = torch.tensor([0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55], dtype=torch.float64)
    i1, i2, b1, b2 = 0.05, 0.1, 0.35, 0.6
    h = torch.sigmoid(torch.stack([w[0] * i1 + w[1] * i2 + b1, w[2] * i1 + w[3] * i2 + b1])).requires_grad_()
    o1 = torch.sigmoid(w[4] * h[0] + w[5] * h[1] + b2)
    o2 = torch.sigmoid(w[6] * h[0] + w[7] * h[1] + b2)
    (0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2).backward()
    d1, d2 = (f"{v:.9f}" for v in h.grad.tolist())           # dE/dout_h1, dE/dout_h2 by autograd
    assert d1 == "0.036350306"                                 # Mazur's own number (line 69 of the post)
    text = (DATA / "mazur_2015.md").read_text(encoding="utf-8")
    lines = [
        rf"$$\frac{{\partial E_{{total}}}}{{\partial out_{{h1}}}} = \sum\limits_{{o}}{{\delta_{{o}} * w_{{ho}}}} = {d1}$$",
        rf"$$\frac{{\partial E_{{total}}}}{{\partial out_{{h2}}}} = \sum_o \delta_o w_{{ho}} = {d2}$$",   # h from the left
        rf"$$\frac{{\partial E_{{total}}}}{{\partial out_{{h1}}}} = \sum_o \delta_o w_{{ho}} = {d2}$$",   # h2's number
        r"$$\frac{\partial E_{total}}{\partial out_{h1}} + out_{h2} = \sum_o \delta_o w_{ho}$$",       # h: two units
    ]
    report = check_text(text + "\n" + "\n\n".join(lines) + "\n")
    added = [s for s in report.steps if s.line > len(text.splitlines())]
    assert _statuses(added) == ["correct", "correct", "correct", "correct", "correct", "wrong", "unchecked"]
    assert "w_{ho}" in added[-1].note                          # unread, and why: not called wrong


def test_ufldl_operator_form_is_the_chain_rule_over_what_it_reads():
    c = derive.load(str(DATA / "ufldl_net.yaml"))
    op = r"\frac{\partial}{\partial z^{(n_l)}_i} \;\; \frac{1}{2} \left\|y - h_{W,b}(x)\right\|^2"
    double = op.replace(r"\frac{1}{2}", "")
    cases = {
        rf"$$\delta^{{(n_l)}}_i = {op} = - (y_i - a^{{(n_l)}}_i) \cdot f'(z^{{(n_l)}}_i)$$": ["correct", "correct"],
        rf"$$\delta^{{(n_l)}}_i = {op} = (y_i - a^{{(n_l)}}_i) \cdot f'(z^{{(n_l)}}_i)$$": ["correct", "wrong"],
        rf"$$\delta^{{(n_l)}}_i = {double}$$": ["wrong"],                                    # twice the delta
        r"$$\delta^{(n_l)}_1 = \frac{\partial}{\partial z^{(n_l)}_1} \frac{1}{2} (y_1 - a^{(n_l)}_1)^2$$": ["correct"],
        r"$$\delta^{(n_l)}_1 = \frac{\partial}{\partial z^{(n_l)}_1} (y_1 - a^{(n_l)}_1)^2$$": ["wrong"],
        # an operand the operator cannot see through (a matrix product) is never read as 0
        r"$$\delta^{(n_l)}_1 = \frac{\partial}{\partial z^{(n_l)}_1} W^{(1)} x$$": ["unchecked"],
    }
    for text, expected in cases.items():
        assert _statuses(check_derivation(c, text, timeout=None, preset="ufldl")) == expected, text


def test_a_sum_up_to_a_layers_size_runs_over_its_units():
    c = derive.load(str(DATA / "ufldl_net.yaml"))
    right = r"$$\delta^{(l)}_i = \left( \sum_{j=1}^{s_{l+1}} W^{(l)}_{ji} \delta^{(l+1)}_j \right) f'(z^{(l)}_i)$$"
    assert _statuses(check_derivation(c, right, timeout=None, preset="ufldl")) == ["correct"]
    swapped = right.replace(r"W^{(l)}_{ji}", r"W^{(l)}_{ij}")
    assert _statuses(check_derivation(c, swapped, timeout=None, preset="ufldl")) != ["correct"]


def test_ngs_bracketed_layers_with_each_layers_own_activation(tmp_path):
    spec = tmp_path / "mixed.yaml"
    spec.write_text("name: relu then sigmoid\ninputs: 2\nlayers:\n  - units: 3\n    activation: relu\n"
                    "    bias: per-unit\n  - units: 2\n    activation: sigmoid\n    bias: per-unit\nloss: half_sse\n")
    c = derive.load(str(spec))
    cases = {
        r"Z^{[l]} = W^{[l]} \cdot A^{[l-1]} + b^{[l]}": "correct",
        r"A^{[l]} = \sigma^{[l]} (Z^{[l]})": "correct",                # layer l's own activation: relu, then sigmoid
        r"A^{[l]} = g^{[l]}(Z^{[l]})": "correct",
        r"A^{[l]} = \sigma (Z^{[l]})": "wrong",                         # a sigmoid is not layer 1's relu
        r"Z^{[l]} = W^{[l]} \cdot A^{[l]} + b^{[l]}": "wrong",
        r"\underset{n^{[1]} \times m}{Z^{[1]}} = \underset{n^{[1]} \times n^{[0]}}{W^{[1]}} \cdot "
        r"\underset{n^{[0]}\times m}{A^{[0]}} + \underset{n^{[1]}\times 1}{b^{[1]}}": "correct",
        r"Z^{[2]} = W^{[2]} \cdot A^{[1]} + b^{[1]}": "wrong",
    }
    for line, expected in cases.items():
        assert _statuses(check_derivation(c, f"$${line}$$", timeout=None)) == [expected], line


def test_nielsens_a_in_delta_out_is_bp4_for_every_weight():
    c = derive.load(str(DATA / "nielsen_net.yaml"))
    read = check_derivation(c, r"$$\frac{\partial C}{\partial w} = a_{\rm in} \delta_{\rm out}$$", timeout=None,
                            preset="nielsen")
    assert _statuses(read) == ["correct"] and "j, k, l" in read.steps[0].note
    assert _statuses(check_derivation(c, r"$$\frac{\partial C}{\partial w} = a_{\mathrm{in}} \delta_{\mathrm{out}}$$",
                                      timeout=None, preset="nielsen")) == ["correct"]
    for slip in (r"a_{\rm out} \delta_{\rm in}", r"a_{\rm in} \delta_{\rm out} (1 - a_{\rm in})"):
        got = _statuses(check_derivation(c, rf"$$\frac{{\partial C}}{{\partial w}} = {slip}$$", timeout=None,
                                         preset="nielsen"))
        assert got != ["correct"], slip


def test_goodfellows_running_gradient_g_is_the_gradient_its_last_assignment_named():
    from derive.checking.presets import read_as
    c = derive.load(str(DATA / "goodfellow_net.yaml"))
    right = "\n".join([
        r"$$g \leftarrow \nabla_{\hat{y}} J = \hat{y} - y$$",
        r"$$g \leftarrow \nabla_{a^{(2)}} J = g \odot f'(a^{(2)})$$",          # the right side's g: the one before
        r"$$\nabla_{W^{(2)}} J = g \, h^{(1)\top}$$",                           # from here on g is grad_{a^(2)} J
        r"$$g \leftarrow \nabla_{h^{(1)}} J = W^{(2)\top} g$$",
        r"$$\nabla_{b^{(1)}} J = g \odot f'(a^{(1)})$$",
    ])
    assert _statuses(check_derivation(c, right, timeout=None, preset="goodfellow")) == ["correct"] * 5
    assert read_as("goodfellow", r"a^{(k)} = b^{(k)} + W^{(k)} h^{(k-1)}") == r"z^{(l)} = b^{(l)} + W^{(l)} a^{(l-1)}"
    # each slip is wrong: f' dropped, the running g taken one step too late, h^{(2)} for h^{(1)}
    for slip in [(r"= g \odot f'(a^{(2)})", "= g"), (r"g \, h^{(1)\top}", r"(\hat{y} - y) \, h^{(1)\top}"),
                 (r"g \, h^{(1)\top}", r"g \, h^{(2)\top}")]:
        steps = check_derivation(c, right.replace(*slip), timeout=None, preset="goodfellow").steps
        assert _statuses(steps).count("wrong") == 1 and _statuses(steps).count("correct") == 4, slip


def test_goodfellows_loop_over_layers_reads_g_as_its_invariant_and_never_guesses_it(tmp_path):
    c = derive.load(str(DATA / "goodfellow_net.yaml"))
    loop = "\n".join([                                          # Algorithm 6.4, for k = l, l-1, ..., 1
        r"$$g \leftarrow \nabla_{\hat{y}} J = \nabla_{\hat{y}} L(\hat{y}, y)$$",
        r"$$g \leftarrow \nabla_{a^{(k)}} J = g \odot f'(a^{(k)})$$",     # g: grad_{h^(k)} J, for k = l grad_y_hat J
        r"$$\nabla_{W^{(k)}} J = g \, h^{(k-1)\top}$$",
        r"$$g \leftarrow \nabla_{h^{(k-1)}} J = W^{(k)\top} g$$",
    ])
    assert _statuses(check_derivation(c, loop, timeout=None, preset="goodfellow")) == ["correct"] * 4
    slipped = loop.replace(r"g \, h^{(k-1)\top}", r"g \, h^{(k)\top}")
    assert _statuses(check_derivation(c, slipped, timeout=None, preset="goodfellow"))[2] == "wrong"
    # without the loop's last assignment, what g is at the top of an iteration is not written: unread, not wrong
    # (the line after it uses the g it names)
    tanh = tmp_path / "tanh.yaml"                     # f' is the layer's own activation's: tanh's here, not sigmoid's
    tanh.write_text((DATA / "goodfellow_net.yaml").read_text(encoding="utf-8").replace("sigmoid", "tanh"), encoding="utf-8")
    steps = check_derivation(derive.load(str(tanh)), loop + "\n" + r"$$f'(a^{(1)}) = 1 - h^{(1)} \odot h^{(1)}$$",
                             timeout=None, preset="goodfellow").steps
    assert _statuses(steps) == ["correct"] * 5
    cut = "\n".join(loop.split("\n")[:3])
    assert _statuses(check_derivation(c, cut, timeout=None, preset="goodfellow")) == ["correct", "unchecked", "correct"]


def test_bishops_index_letters_name_the_layer_and_h_is_the_hidden_layers_own_activation():
    torch = pytest.importorskip("torch")
    from derive.checking.presets import read_as
    c = derive.load(str(DATA / "bishop_net.yaml"))             # tanh hidden units, linear outputs
    assert read_as("bishop", r"\delta_j = h'(a_j) \sum_{k} w_{kj} \delta_k", layers=2) == \
        r"\delta^{(1)}_j = g'(z^{(1)}_j) \sum_{k} W^{(2)}_{kj} \delta^{(2)}_k"
    assert read_as("bishop", r"\delta_j = (1 - z_j^2) y_k", layers=3) == r"\delta_j = (1 - z_j^2) y_k"   # 3 layers: as written
    lines = [r"$$\delta_j = h'(a_j) \sum_{k} w_{kj} \delta_k$$",
             r"$$\frac{\partial a_j}{\partial w_{ji}} = z_i$$",
             r"$$\frac{\partial E_n}{\partial w_{ji}} = \delta_j z_i$$"]
    assert _statuses(check_derivation(c, "\n".join(lines), timeout=None, preset="bishop")) == ["correct"] * 3
    # h' is tanh's derivative here: the sigmoid's a(1 - a) in its place is wrong, and so is the sum over j
    for slip in [r"\delta_j = z_j (1 - z_j) \sum_{k} w_{kj} \delta_k", r"\delta_j = h'(a_j) \sum_{k} w_{kj} \delta_j"]:
        assert _statuses(check_derivation(c, f"$${slip}$$", timeout=None, preset="bishop")) == ["wrong"], slip
    # and the textbook's delta_j against autograd, at one point: tanh hidden units, linear outputs, 1/2 sum (y - t)^2
    torch.manual_seed(0)
    x, t = torch.randn(2, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    W1, b1 = torch.randn(3, 2, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    W2, b2 = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    a = (W1 @ x + b1).requires_grad_()
    y = W2 @ torch.tanh(a) + b2
    (0.5 * ((y - t) ** 2).sum()).backward()
    assert torch.allclose(a.grad, (1 - torch.tanh(a) ** 2) * (W2.T @ (y - t)))


def test_a_slip_is_named_in_the_texts_own_layer_superscripts_with_no_spec():
    """3Blue1Brown-style a^{(L-1)}_1 is printed as written, never as the network's identifier a_{1_{L_{1}}};
    the verdicts are those the notation's own names give (printing only)."""
    report = check_text((DATA / "heldout_3b1b.md").read_text(encoding="utf-8"))
    wrong = [s for s in report.steps if s.status == "wrong"]
    assert len(wrong) == 1
    said = " ".join(m.message for m in wrong[0].diagnosis)
    assert "$a^{(L-1)}_1$ is used instead of $a^{(L-1)}_2$" in said and "_{L_{1}}" not in said
    assert sum(s.status == "correct" for s in report.steps) == 38
