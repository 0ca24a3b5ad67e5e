"""Sums in hand derivations: over the examples of a batch (seed 003) and over a layer's units.

The batch's cost and gradient are checked against PyTorch (the mean over the spec's m examples, built
from the examples directly); sums over units against the forward pass written out by hand.
"""
import re
import subprocess
import sys

import pytest
import sympy as sp
import torch

import derive
from derive.checking.checker import checker_for
from derive.checking.derivation import check_derivation
from oracles import torch_loss

# seed 003: 2 inputs, 3 sigmoid units, 1 sigmoid output, BCE, m = 2 examples
PARAMS = {"w1_11": 0.5, "w1_12": -0.25, "w1_21": 0.125, "w1_22": 0.75, "w1_31": -0.5, "w1_32": 0.25,
          "b1_1": 0.1, "b1_2": -0.2, "b1_3": 0.3, "w2_11": 0.4, "w2_12": -0.6, "w2_13": 0.8, "b2_1": -0.1}
STATED = r"""
$$W^{(1)}_{11} = \frac{1}{2}, W^{(1)}_{12} = -\frac{1}{4}, W^{(1)}_{21} = \frac{1}{8}, W^{(1)}_{22} = \frac{3}{4}$$
$$W^{(1)}_{31} = -\frac{1}{2}, W^{(1)}_{32} = \frac{1}{4}, b^{(1)}_{1} = \frac{1}{10}, b^{(1)}_{2} = -\frac{1}{5}$$
$$b^{(1)}_{3} = \frac{3}{10}, W^{(2)}_{11} = \frac{2}{5}, W^{(2)}_{12} = -\frac{3}{5}, W^{(2)}_{13} = \frac{4}{5}$$
$$b^{(2)}_{1} = -\frac{1}{10}$$
"""     # exact (a decimal stated would stand for every number that rounds to it)


@pytest.fixture(scope="module")
def seed003():
    return checker_for(derive.load("seed003"))


def _torch_batch(spec):
    """Per-example losses and d loss / d w1_11, and the learning rate, straight from the spec's examples."""
    params = {p: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for p, v in PARAMS.items()}
    losses, grads = [], []
    for ins, ts in spec.values.examples:
        leaf = {k: torch.tensor(float(v), dtype=torch.float64) for k, v in {**ins, **ts}.items()}
        loss = torch_loss(spec, {**leaf, **params})
        (g,) = torch.autograd.grad(loss, [params["w1_11"]])
        losses.append(loss.item())
        grads.append(g.item())
    return losses, grads


def _check(c, text):
    return check_derivation(c, STATED + text, timeout=None).steps[13:]


def test_the_batch_cost_and_gradient_are_means_over_the_examples(seed003):
    losses, grads = _torch_batch(seed003.net.spec)
    mean_loss, mean_grad = sum(losses) / 2, sum(grads) / 2
    steps = _check(seed003, rf"""
$$J = \frac{{1}}{{m}} \sum_{{i=1}}^{{m}} {{J}}^{{(i)}} = {mean_loss:.6g}$$
$${{J}}^{{(2)}} = {losses[1]:.6g}$$
$$\frac{{\partial J}}{{\partial W^{{(1)}}_{{11}}}} = \frac{{1}}{{m}}\sum_{{i=1}}^{{m}} \frac{{\partial {{J}}^{{(i)}}}}{{\partial W^{{(1)}}_{{11}}}} = {mean_grad:.6g}$$
$${{\frac{{\partial J}}{{\partial W^{{(1)}}_{{11}}}}}}^{{(1)}} = {grads[0]:.6g}$$
$$W^{{(1)}}_{{11}}(t) - \alpha \frac{{\partial J}}{{\partial W^{{(1)}}_{{11}}}} = 0.5 - 0.1 \cdot ({mean_grad:.6g}) = {0.5 - 0.1 * mean_grad:.6g}$$
""")
    assert [s.status for s in steps] == ["correct"] * 8, [(s.line, s.status, s.note) for s in steps]
    # one example's value where the batch's is meant (and the other way round) is wrong, with the right value
    for bad, right in ((rf"$$J = {losses[0]:.6g}$$", mean_loss), (rf"$${{J}}^{{(1)}} = {mean_loss:.6g}$$", losses[0]),
                       (rf"$$\frac{{\partial J}}{{\partial W^{{(1)}}_{{11}}}} = {grads[1]:.6g}$$", mean_grad)):
        (step,) = _check(seed003, bad)
        assert step.status == "wrong" and f"{right:.3g}"[:4] in step.note, (bad, step)


@pytest.mark.parametrize("wrong", [
    r"J = \sum_{i=1}^{m} {J}^{(i)}",                                   # 1/m missing
    r"J = \frac{1}{m} \sum_{i=1}^{1} {J}^{(i)}",                       # the range stops early
    r"J = \frac{1}{2m} \sum_{i=1}^{m} {J}^{(i)}",                      # a constant factor
    r"\frac{\partial J}{\partial W^{(1)}_{11}} = \sum_{i=1}^{m} \frac{\partial {J}^{(i)}}{\partial W^{(1)}_{11}}",
    r"\frac{\partial J}{\partial W^{(1)}_{11}} = \frac{1}{m}\sum_{i=1}^{m} {\delta^{(1)}_{1}}^{(i)} {x_{2}}^{(i)}",
])
def test_a_wrong_sum_is_wrong_with_a_counterexample(seed003, wrong):
    (step,) = check_derivation(seed003, f"$${wrong}$$", timeout=None).steps
    assert step.status == "wrong" and step.counterexample and step.counterexample["leaves"]
    assert not step.diagnosis          # no story about one example's paths for a batch identity


def test_a_sum_past_the_examples_is_not_read(seed003):
    (step,) = check_derivation(seed003, r"$$J = \frac{1}{m} \sum_{i=1}^{3} {J}^{(i)}$$", timeout=None).steps
    assert step.status == "unchecked" and "there are 2 examples" in step.note
    # a quantity of no example next to one of example 1: which example's is it?
    (step,) = check_derivation(seed003, r"$${J}^{(1)} = - y_{1} \log {a^{(2)}_{1}}^{(1)}$$", timeout=None).steps
    assert step.status == "unchecked" and "which example's y_{1}" in step.note


def test_seed_003_formulas_as_the_seed_prints_them(seed003):
    """The seed's BCE cost (the sum's body runs past the '+': its terms use i) and its update rules."""
    text = r"""
$J(w) = -\frac{1}{m} \left[\sum_{i=1}^m y^{(i)} \log \hat{y}^{(i)} + (1 - y^{(i)}) \log(1 - \hat{y}^{(i)}) \right]$

- $W^{(l)} = W^{(l)} - \alpha \frac{\partial J}{\partial W^{(l)}}$
"""
    steps = check_derivation(seed003, text, timeout=None).steps
    assert steps[0].status == "correct", steps[0]
    flipped = text.replace(r"\log(1 -", r"\log(2 -")
    assert check_derivation(seed003, flipped, timeout=None).steps[0].status == "wrong"


REGRESSION = """name: seed 003's regression, h_w(x) = wx + b
notation: ng
inputs: 1
layers: [{units: 1, activation: linear, bias: per-unit}]
loss: half_sse
values:
  examples: [{inputs: {x1: 1}, targets: {y1: 2}}, {inputs: {x1: 3}, targets: {y1: 5}}, {inputs: {x1: -1}, targets: {y1: 0}}]
  params: {w1_11: 0.5, b1_1: 0.25}
"""


def test_seed_003_regression_cost_as_printed(tmp_path):
    """J(w) = 1/(2m) sum_i ((w x^(i) + b) - y^(i))^2: one weight w, one bias b, m = 3 examples.  By hand:
    the errors are -1.25, -3.25, -0.25, so J = (1.5625 + 10.5625 + 0.0625) / 6 = 2.03125."""
    spec = tmp_path / "reg.yaml"
    spec.write_text(REGRESSION)
    c = checker_for(derive.load(str(spec)))
    seed = r"J(w) = \frac{1}{2m} \sum_{i=1}^m ((wx^{(i)} + b) - y^{(i)})^2"
    text = f"$${seed}$$\n$$J = 2.03125$$\n$$J = 2.0311$$\n$$J = 2.031$$"
    assert [s.status for s in check_derivation(c, text, timeout=None).steps] == ["correct", "correct", "wrong", "correct"]
    for bad in (seed.replace("2m", "m"), seed.replace("^m", "^2"), seed.replace("- y", "+ y")):
        (step,) = check_derivation(c, f"$${bad}$$", timeout=None).steps
        assert step.status == "wrong" and step.counterexample, bad


def test_sums_over_units():
    c = checker_for(derive.load("seed003"))
    cases = {
        r"z^{(2)}_{1} = \sum_{j=1}^{3} W^{(2)}_{1j} a^{(1)}_{j} + b^{(2)}_{1}": "correct",
        r"z^{(2)}_{1} = \sum_{j} W^{(2)}_{1j} a^{(1)}_{j} + b^{(2)}_{1}": "correct",      # j over the layer's 3 units
        r"z^{(1)}_{2} = \sum_k W^{(1)}_{2k} x_k + b^{(1)}_{2}": "correct",
        r"\delta^{(1)}_{2} = \sum_{k} \delta^{(2)}_{k} W^{(2)}_{k2} a^{(1)}_{2} (1 - a^{(1)}_{2})": "correct",
        r"z^{(2)}_{1} = \sum_{j=1}^{2} W^{(2)}_{1j} a^{(1)}_{j} + b^{(2)}_{1}": "wrong",   # one unit left out
        r"z^{(2)}_{1} = \sum_{j} W^{(2)}_{j1} a^{(1)}_{j} + b^{(2)}_{1}": "unchecked",     # W2_21 does not exist
        r"z^{(2)}_{1} = \sum_{j} W^{(2)}_{1j} x_{j} + b^{(2)}_{1}": "unchecked",          # x_3 does not: no one range
    }
    for eq, status in cases.items():
        (step,) = check_derivation(c, f"$${eq}$$", timeout=None).steps
        assert step.status == status, (eq, step)
    (step,) = check_derivation(c, r"$$z^{(2)}_{1} = \sum_{j} W^{(2)}_{1j} x_{j} + b^{(2)}_{1}$$", timeout=None).steps
    assert "j = 3" in step.note


def test_a_text_read_with_no_network_refuses_a_sum_with_no_bound_at_its_first_value():
    """When every name exists (free_names: the no-spec reader), the names cannot say where a sum ends: Mazur's
    ``\\sum_o \\delta_o w_{ho}`` is refused after o = 1, not read for o = 1..1000 first; a bounded sum is read."""
    from derive.model.formula import FormulaError, parse
    line = r"(\sum\limits_{o}{\delta_{o} * w_{ho}}) * out_{h1}(1 - out_{h1}) * i_{1}"

    def read(text, free_names):
        names = set()
        try:
            return parse(text, lambda n: names.add(n.base + n.sub) or sp.Symbol(n.base + n.sub), mode="latex",
                         free_names=free_names), names
        except FormulaError as e:
            return str(e), names
    said, names = read(line, free_names=True)
    assert "cannot tell how far o runs" in said and names == {"delta1", "wh1"}
    said, names = read(line, free_names=False)             # a resolver with no such flag probes to the limit
    assert "too long" in said and len(names) == 2000     # delta_o and w_{ho} for o = 1..1000
    two, _ = read(r"\sum_{o=1}^{2} \delta_{o} w_{ho}", free_names=True)
    assert two == sp.Symbol("delta1") * sp.Symbol("wh1") + sp.Symbol("delta2") * sp.Symbol("wh2")


def test_seed_000_sum_over_the_outputs():
    """Seed 000 writes J(theta) = 1/(2m) sum (y_i - a_i^(3))^2 with no index range: i runs over the outputs,
    and m = 1 example."""
    c = checker_for(derive.load("seed000"))
    ok = r"\(J(\theta)=\frac{1}{2m}\sum_{}^{}(y_{i}-a_{i}^{(3)})^{2}\)"
    assert [s.status for s in check_derivation(c, ok, timeout=None).steps] == ["correct"]
    for bad in (ok.replace(r"\frac{1}{2m}", r"\frac{1}{m}"), ok.replace(r"\sum_{}^{}", r"\sum_{i=1}^{1}")):
        (step,) = check_derivation(c, bad, timeout=None).steps
        assert step.status == "wrong" and step.counterexample, bad


@pytest.mark.parametrize("answer, message", [
    (r"\sum_{i=1}^{100000000} x_1", "too large"),
    (r"\sum_{i=1}^{999}\sum_{j=1}^{999}\sum_{k=1}^{999} x_1", "too large"),
    (r"\sum_{i=1}^{m} {x_1}^{(i)}", "when the spec has several examples"),    # seed 002 has one
    (r"\sum_{i=1}^{m} {x_1}^{(3)}", "example 3: there are 2 examples"),
    (r"\sum_{ij} x_1", "one letter"),
    (r"\sum_{i=1}^{2}\sum_{i=1}^{2} x_1", "already"),
])
def test_hostile_sums_are_one_line_and_exit_2(answer, message):
    spec, param = ("seed002", "w11") if "several" in message else ("seed003", "w1_11")
    r = subprocess.run([sys.executable, "-m", "derive", "check", spec, "--param", param, "--answer", answer],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and message in r.stderr, (r.returncode, r.stderr)


@pytest.fixture(scope="module")
def seed003_notes(tmp_path_factory):
    out = tmp_path_factory.mktemp("notes003")
    for fmt in ("md", "tex"):
        r = subprocess.run([sys.executable, "-m", "derive", "notes", "seed003", "--out", str(out), "--format", fmt],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    return {fmt: (out / "seed003" / f"notes.en.{fmt}").read_text(encoding="utf-8") for fmt in ("md", "tex")}


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_seed_003_notes_batch_lines_are_all_checked(seed003, seed003_notes, fmt):
    """The notes' sums and their m = 2 worked example: every line checked (only the bold matrix form is not)."""
    text = seed003_notes[fmt]
    steps = check_derivation(seed003, text, timeout=None).steps
    assert not [s for s in steps if s.status == "wrong"]
    left = [s for s in steps if s.status == "unchecked" and "\\mathbf" not in s.left + s.right
            and "\\boldsymbol" not in s.left + s.right]
    assert not left, left[:3]
    sums = [s for s in steps if "\\sum" in s.left + s.right]
    assert len(sums) >= 5 and all(s.status == "correct" for s in sums)
    per_example = [s for s in steps if re.search(r"\}\^\{\([12]\)\} = -?\d", s.left + " = " + s.right)]
    assert len(per_example) >= 2 * 22 and all(s.status in ("correct", "given") for s in per_example)


@pytest.mark.parametrize("fmt", ["md", "tex"])
@pytest.mark.parametrize("column", [-2, -1])        # example 2's gradient, the mean
def test_a_wrong_number_in_the_batch_example_fails_at_its_line(seed003, seed003_notes, fmt, column):
    lines = seed003_notes[fmt].splitlines()
    row = next(i for i, line in enumerate(lines) if "W^{(1)}_{22}}" in line and "\\frac{\\partial J}" in line
               and ("|" in line or "&" in line) and re.search(r"\d\.\d", line))
    sep = "|" if fmt == "md" else "&"
    cells = lines[row].rstrip(" \\|").split(sep)
    cells = [c for c in cells if c.strip()]
    cell = cells[column]
    num = re.search(r"\d+\.\d+", cell)
    bad = cell[:num.end() - 1] + str((int(cell[num.end() - 1]) + 5) % 10) + cell[num.end():]
    lines[row] = lines[row].replace(cell, bad, 1)
    first = check_derivation(seed003, "\n".join(lines), timeout=None).first_wrong
    assert first is not None and first.line == row + 1, (row + 1, first)


def test_an_equation_for_every_unit_is_checked_for_each(seed003):
    """A free index (j, k) ranges over the units its left side names; a wrong instance is named."""
    cases = {
        r"\delta^{(1)}_j = \sum_k \delta^{(2)}_k W^{(2)}_{kj} a^{(1)}_j (1 - a^{(1)}_j)": ("correct", "every j (1, 2, 3)"),
        r"z^{(1)}_k = \sum_j W^{(1)}_{kj} x_j + b^{(1)}_k": ("correct", "every k (1, 2, 3)"),
        r"\frac{\partial J}{\partial W^{(1)}_{kj}} = \delta^{(1)}_k x_j": ("correct", "every j, k (6 values)"),
        r"W^{(1)}_{kj}(t+1) = W^{(1)}_{kj}(t) - \alpha \frac{\partial J}{\partial W^{(1)}_{kj}}": ("correct", "6 values"),
        r"{J}^{(i)} = - {y_1}^{(i)} \log {a^{(2)}_1}^{(i)} - (1 - {y_1}^{(i)}) \log (1 - {a^{(2)}_1}^{(i)})": ("correct", "every i (1, 2)"),
        r"\delta^{(1)}_j = \sum_k \delta^{(2)}_k W^{(2)}_{kj} a^{(1)}_j (1 + a^{(1)}_j)": ("wrong", "for j = 1"),
        r"\frac{\partial J}{\partial W^{(1)}_{kj}} = \delta^{(1)}_j x_k": ("wrong", "for j = 1, k = 2"),
        r"\delta^{(1)}_j = \delta^{(1)}_j x_j": ("wrong", "for j = 1"),
        r"\delta^{(1)}_j = x_k": ("unchecked", "unknown symbol"),
        r"\frac{\partial J}{\partial b^{(2)}_1} = \frac{1}{m}\sum_{i=1}^{m} \left(a^{(2)}_1 - y_1\right)^{(i)}": ("correct", "batch"),
        r"\frac{\partial J}{\partial b^{(l)}_{j}} = \delta^{(l)}_j": ("correct", "every j, l (4 values)"),   # l: the layer
        r"\frac{\partial J}{\partial b^{(l)}_{j}} = \delta^{(1)}_j": ("wrong", "for j = 1, l = 2"),
    }
    for eq, (status, note) in cases.items():
        (step,) = check_derivation(seed003, f"$${eq}$$", timeout=None).steps
        assert step.status == status and note in step.note, (eq, step)
    (step,) = check_derivation(seed003, r"$$\frac{\partial J}{\partial W^{(1)}_{kj}} = \delta^{(1)}_j x_k$$",
                               timeout=None).steps
    assert [m.kind for m in step.diagnosis] == ["other_parameter"], step.diagnosis
