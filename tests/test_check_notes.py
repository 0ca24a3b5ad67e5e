"""derive's own notes pass derive check; one injected error (a symbol, a sign, a number) fails at that line.

The notes are generated here with ``derive notes`` (never committed copies), so whatever the notes
print, the checker must read: every bundled example small enough for the gallery, Markdown and LaTeX.
"""
import re
import subprocess
import sys

import pytest

import derive
from derive.checking.checker import checker_for
from derive.checking.derivation import check_derivation

EXAMPLES = ["seed000", "seed001", "seed002", "seed003", "seed004", "classic", "xor"]


@pytest.fixture(scope="module")
def notes_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("notes")
    for name in EXAMPLES:
        for fmt in ("md", "tex"):
            r = subprocess.run([sys.executable, "-m", "derive", "notes", name, "--out", str(out), "--format", fmt],
                               capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, r.stderr
    return out


def _notes(notes_dir, name, fmt):
    return (notes_dir / name / f"notes.en.{fmt}").read_text(encoding="utf-8")


def _body_lines(text):
    """(index, line) of lines inside display maths (md $$ blocks, tex dmath/align/equation)."""
    inside = False
    for i, line in enumerate(text.splitlines()):
        s = line.strip()
        if s in ("$$",) or re.fullmatch(r"\\(begin|end)\{(dmath|align|equation|gather)\*?\}", s):
            inside = s == "$$" and not inside or s.startswith("\\begin")
            continue
        if inside and s:
            yield i, line


def inject_number(text):
    """Change the last digit of the first worked-example result (``... = 0.0275``, a table's value cell)."""
    for i, line in enumerate(text.splitlines()):
        m = re.search(r"(?:=|\|\s*\$|&\s*\\\()\s*-?\s*(?:\\frac\{)?(\d+(?:\.\d+)?)(\}\{\d+\})?\s*"
                      r"(\$\s*\||\\\)\s*\\\\\s*(\\hline)?|\\\\)?\s*$", line)
        if m and "\\partial" not in line and ("=" in line or "\\cdot" in line):
            num = m.group(1)
            new = num[:-1] + str((int(num[-1]) + 5) % 10)
            lines = text.splitlines()
            lines[i] = line[:m.start(1)] + new + line[m.end(1):]
            return "\n".join(lines), i + 1
    return None


def inject_sign(text):
    """Negate the right side of the first local derivative ``\\frac{\\partial a}{\\partial b} = ...``."""
    for i, line in _body_lines(text):
        s = line.strip()
        if s.startswith("\\frac{\\partial") and s.count("=") == 1 and not re.search(r"\d\.\d", s) \
                and "\\color" not in s and not s.endswith("= 1") and "= 0" not in s:
            lines = text.splitlines()
            body, tail = (line.rstrip()[:-2], " \\\\") if line.rstrip().endswith("\\\\") else (line, "")
            lines[i] = body.replace("=", "= -(", 1) + ")" + tail
            return "\n".join(lines), i + 1
    raise AssertionError("no local derivative in the notes")


def inject_symbol(text, net):
    """Swap the first input for the second in the first forward-pass right side that uses it."""
    x1, x2 = (net.latex_names[net.nodes[n].symbol] for n in net.spec.inputs[:2])
    for i, line in _body_lines(text):
        head, eq, rest = line.partition("=")
        if eq and x1 in rest and "\\partial" not in line and not re.search(r"\d\.\d|\\frac\{\d", rest):
            lines = text.splitlines()
            lines[i] = head + eq + rest.replace(x1, x2, 1)
            return "\n".join(lines), i + 1
    raise AssertionError("no forward-pass line with the first input")


@pytest.mark.parametrize("fmt", ["md", "tex"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_notes_pass_and_injected_errors_fail_at_their_line(notes_dir, name, fmt):
    c = checker_for(derive.load(name))
    text = _notes(notes_dir, name, fmt)
    report = check_derivation(c, text, timeout=None)
    wrong = [s for s in report.steps if s.status == "wrong"]
    assert not wrong, wrong[:3]
    assert report.checked > 50
    statuses = {s.status for s in report.steps}
    assert statuses <= {"correct", "definition", "given"}, [s for s in report.steps if s.status == "unchecked"][:3]
    injected = [inject_number(text), inject_sign(text), inject_symbol(text, c.net)]
    assert (injected[0] is None) == (c.net.spec.values is None)    # a worked example has numbers
    for bad, line in filter(None, injected):
        first = check_derivation(c, bad, timeout=None).first_wrong
        assert first is not None and first.line == line, (line, first)


def test_a_wrong_number_is_flagged_with_the_right_value(notes_dir):
    c = checker_for(derive.load("seed002"))
    text = _notes(notes_dir, "seed002", "md").replace("$0.506875$ |", "$0.506975$ |", 1)
    first = check_derivation(c, text, timeout=None).first_wrong
    assert first.right.strip() == "0.506975" and "0.506875" in first.note


def inject_transpose(text):
    """Drop the transpose in the first layer-form gradient ``dJ/dW = delta a^{(l)\\top}``."""
    for i, line in enumerate(text.splitlines()):
        m = re.search(r"\\boldsymbol\{\\delta\}\^\{\(\d\)\} \\mathbf\{[A-Za-z]\}\^\{(\(\d\))?(\\top)\}", line)
        if m:
            lines = text.splitlines()
            lines[i] = line[:m.start(2)] + line[m.end(2):]
            return "\n".join(lines).replace("^{}", ""), i + 1
    return None


def inject_layer(text):
    """Take the transposed weights of the layer below in the first hidden delta ``(W^{(l+1)\\top} delta) ⊙ g'``."""
    for i, line in enumerate(text.splitlines()):
        m = re.search(r"\\left\((\\mathbf\{W\}|\\boldsymbol\{\\Theta\})\^\{\((\d)\)\\top\}", line)
        if m:
            lines = text.splitlines()
            lines[i] = line[:m.start(2)] + str(int(m.group(2)) - 1) + line[m.end(2):]
            return "\n".join(lines), i + 1
    return None


@pytest.mark.parametrize("fmt", ["md", "tex"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_layer_form_is_checked_and_its_injected_errors_fail_at_their_line(notes_dir, name, fmt):
    c = checker_for(derive.load(name))
    text = _notes(notes_dir, name, fmt)
    report = check_derivation(c, text, timeout=None)
    layer_form = [s for s in report.steps if "\\mathbf" in s.left + s.right or "\\boldsymbol" in s.left + s.right]
    assert bool(layer_form) == c.net.spec.layered
    assert all(s.status == "correct" for s in layer_form), [s for s in layer_form if s.status != "correct"][:2]
    for bad in (inject_transpose(text), inject_layer(text)):
        if not c.net.spec.layered:
            assert bad is None
            continue
        assert bad is not None
        first = check_derivation(c, bad[0], timeout=None).first_wrong
        assert first is not None and first.line == bad[1], (bad[1], first)


RELU_SPEC = """name: relu deep
notation: ng
inputs: 2
layers:
  - {units: 2, activation: relu, bias: per-unit}
  - {units: 2, activation: relu, bias: per-unit}
  - {units: 1, activation: sigmoid, bias: per-unit}
loss: bce
values:
  inputs: {x1: 0.5, x2: -0.3}
  targets: {y1: 1}
"""


def test_relus_indicator_is_read_as_the_notes_and_textbooks_write_it(tmp_path):
    """relu'(z) printed \\mathbb{1}[z > 0] (and typed \\mathbb{1}_{z>0}) is the step function; a relu
    network's own notes have no wrong step and no chain-rule line left unread for it."""
    spec = tmp_path / "relu.yaml"
    spec.write_text(RELU_SPEC, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "derive", "notes", str(spec), "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    c = checker_for(derive.load(str(spec)))
    report = check_derivation(c, (tmp_path / "relu" / "notes.en.md").read_text(encoding="utf-8"), timeout=None)
    assert report.first_wrong is None
    assert not [s for s in report.steps if s.status == "unchecked" and "mathbb" in (s.note or "")]
    assert sum("mathbb" in s.left + s.right for s in report.steps if s.status == "correct") >= 10
    right = r"\delta^{(3)}_{1} W^{(3)}_{11} \mathbb{1}_{z^{(2)}_1 > 0} a^{(1)}_1"
    assert derive.check(c.net, "w2_11", right, timeout=None).correct
    assert not derive.check(c.net, "w2_11", right.replace("a^{(1)}_1", "a^{(2)}_1"), timeout=None).correct
