"""A text's own leaf names bound to a spec whose names differ (derive/checking/textbind.py).

Mazur's post writes w_1, i_1, b_1, target_{o1}; a spec of the same network in seed 002's names writes w11, x1,
b1, yt1.  The binding comes from the text's numbers (a value only one spec leaf has) and from the forward pass's
shape (term by term); the oracles are the text's own numbers, the no-spec check of the same text, and PyTorch
autograd on the spec's network.
"""
from pathlib import Path

import pytest

import derive
from derive.checking.checker import checker_for
from derive.checking.nospec import check_text
from derive.checking.textbind import bind, check_bound

DATA = Path(__file__).parent / "data" / "published"
SPEC = str(DATA / "mazur_seed002_names.yaml")
MAZUR = (DATA / "mazur_2015.md").read_text(encoding="utf-8")


def _bound(b):
    return {b.tn.names.get(k, k): (s.name, how) for k, s in b.to.items() for how in [b.how[k]]}


def test_mazurs_names_bound_to_seed002s_by_his_numbers_and_his_forward_pass():
    b = bind(checker_for(derive.load(SPEC)), MAZUR)
    got = _bound(b)
    assert got["i_1"] == ("x1", "by value") and got["w_1"] == ("w11", "by value")
    assert got["target_{o1}"] == ("yt1", "by value")
    assert got["w_5"] == ("w31", "by value") and got["i_2"] == ("x2", "by value")
    # his nodes by the forward pass, term by term, consistent with every leaf bound by value
    assert got["net_{h1}"] == ("a1_1", "by the forward pass") and got["out_{o1}"] == ("y1", "by the forward pass")
    assert got["E_{total}"] == ("error", "by the forward pass")
    # w_3, w_4, w_7, w_8 are in his picture only: solved from his numbers, then bound by value
    assert {got[w][0] for w in ("w_3", "w_4", "w_7", "w_8")} == {"w21", "w22", "w41", "w42"}


def test_mazur_checked_against_the_renamed_spec_agrees_with_the_no_spec_check():
    report = check_bound(derive.load(SPEC), MAZUR)
    assert report.read.startswith("bound the text's names to the spec's: ")
    assert "i_1 = x_{1} (by value)" in report.read and "E_{o1} = " in report.read
    mine = {(s.line, s.left, s.right): s.status for s in report.steps}
    theirs = {(s.line, s.left, s.right): s.status for s in check_text(MAZUR).steps}
    differ = {k: (mine[k], theirs.get(k)) for k in mine if mine[k] != theirs.get(k)}
    # the bare sum over 'target' and 'output' is read only without a spec (its units from the text); the text's
    # delta_{o1} is a local definition here and a node there: every other line has the same verdict
    assert {k[0] for k in differ} <= {34, 74}, differ
    wrong = {s.line: s for s in report.steps if s.status == "wrong"}
    assert sorted(wrong) == [82, 120]
    assert [m.message for m in wrong[120].diagnosis] == ["$w_{21}$ is used instead of $w_{12}$"]
    updates = [s for s in report.steps if s.left.startswith("w_") and "+" in s.left]
    assert len(updates) == 8 and all(s.status == "correct" for s in updates)


def test_the_renamed_spec_is_the_network_pytorch_differentiates():
    torch = pytest.importorskip("torch")
    c = checker_for(derive.load(SPEC))
    v = c.net.spec.values
    w = torch.tensor([v.params[k] for k in ("w11", "w12", "w21", "w22", "w31", "w32", "w41", "w42")],
                     dtype=torch.float64, requires_grad=True)
    x1, x2, b1, b2 = v.inputs["x1"], v.inputs["x2"], v.params["b1"], v.params["b2"]
    z1, z2 = torch.sigmoid(w[0] * x1 + w[1] * x2 + b1), torch.sigmoid(w[2] * x1 + w[3] * x2 + b1)
    y1, y2 = torch.sigmoid(w[4] * z1 + w[5] * z2 + b2), torch.sigmoid(w[6] * z1 + w[7] * z2 + b2)
    loss = 0.5 * (v.targets["yt1"] - y1) ** 2 + 0.5 * (v.targets["yt2"] - y2) ** 2
    loss.backward()
    assert abs(w[0].item() - 0.5 * w.grad[0].item() - 0.149780716) < 1e-9        # his w_1^{+}, bound to w11


def test_a_binding_is_taken_only_where_it_is_the_only_one():
    c = checker_for(derive.load(SPEC))
    symbolic = "\n".join([
        r"$$net_{h1} = w_1 i_1 + w_2 i_2 + b_1$$",
        r"$$out_{h1} = \frac{1}{1+e^{-net_{h1}}}$$",
        r"$$net_{o1} = w_5 out_{h1} + w_6 out_{h2} + b_2$$",
    ])
    assert bind(c, symbolic).to == {}          # no numbers: i_1 could be x1 or x2, w_1 w11 or w12: nothing bound
    inputs = symbolic + "\n$$i_1 = 0.05$$\n$$i_2 = 0.1$$\n$$b_1 = 0.35$$\n"
    got = _bound(bind(c, inputs))
    assert got["i_1"] == ("x1", "by value")
    assert "net_{h1}" not in got and "w_2" not in got     # h1 may be either hidden unit: its weights decide
    got = _bound(bind(c, inputs + "$$w_1 = 0.15$$\n"))
    assert got["w_1"] == ("w11", "by value") and got["w_2"] == ("w12", "by the forward pass")
    assert got["net_{h1}"] == ("a1_1", "by the forward pass") and got["out_{h1}"] == ("z1", "by the forward pass")
    # numbers that contradict the spec's shape bind nothing against it: w11 never multiplies x2
    swapped = symbolic + "\n$$i_1 = 0.1$$\n$$i_2 = 0.05$$\n$$b_1 = 0.35$$\n$$w_1 = 0.15$$\n"
    got = _bound(bind(c, swapped))
    assert got["i_1"] == ("x2", "by value") and "net_{h1}" not in got and "w_2" not in got


def test_derive_check_with_the_renamed_spec_binds_mazurs_names_itself():
    # the command a student runs: most of the text is unread in the spec's names, so derive binds them
    from derive.api import check_derivation
    out = check_derivation(SPEC, MAZUR)
    assert out["read"].startswith("bound the text's names to the spec's: ")
    assert [s["line"] for s in out["steps"] if s["status"] == "wrong"] == [82, 120]
    assert sum(s["status"] == "correct" for s in out["steps"]) == 82
    # the binding as data (the web page's symbols table): his leaves and nodes, each with how it was found
    bound = {b["name"]: (b["latex"], b["kind"]) for b in out["bindings"]}
    assert bound["w_1"] == ("w_{11}", "by value") and bound["i_2"] == ("x_{2}", "by value")
    assert bound["out_{o1}"] == ("y_{1}", "by the forward pass")
    assert bound["E_{o1}"][1] == "one term of the loss" and "y_{t1}" in bound["E_{o1}"][0]


def test_a_text_in_the_specs_own_names_is_not_rebound():
    from derive.api import check_derivation
    text = "$$\\frac{\\partial E}{\\partial w_{11}} = \\delta_{z_{1}} x_{1}$$\n"
    out = check_derivation("seed002", text)
    assert "read" not in out and [s["status"] for s in out["steps"]] == ["correct"]


def test_a_mostly_unread_text_with_no_forward_pass_keeps_its_own_report():
    from derive.api import check_derivation
    text = "$$q_7 = r_2 + s_9$$\n$$\\frac{\\partial E}{\\partial w_{11}} = \\delta_{z_{1}} x_{1}$$\n"
    out = check_derivation("seed002", text)
    assert not out.get("read", "").startswith("bound")
    assert [s["status"] for s in out["steps"]] == ["unchecked", "correct"]
