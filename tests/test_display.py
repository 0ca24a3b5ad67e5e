"""Rich display in Jupyter: every object derive gives shows its maths (MathML) and, for a network, its
diagram; the tour notebook runs top to bottom in a real kernel and shows the same."""
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive.checking.checker import checker_for
from derive.checking.grade import grade
from derive.notes.eqs import COLOUR_HEX

ROOT = Path(__file__).resolve().parents[1]
WRONG = "delta_y1*w31*z1*(1-z1)*x1"


@pytest.fixture(scope="module")
def seed002():
    return derive.derive(derive.load("seed002"))


def test_network_shows_diagram_and_symbols(seed002):
    html = seed002.net._repr_html_()
    assert html.count("<svg") == 1 and "<circle" in html
    assert "weight from" in html and html.count("<tr>") == len(seed002.net.nodes) + len(seed002.deltas) + 1
    assert "<math" in html and "&#x003B4;" in html       # the deltas' delta


def test_derivation_shows_the_verify_table(seed002):
    html = seed002._repr_html_()
    assert html.count('<span class="ok">yes</span>') == 8 and "8 of 8 gradients proven equal" in html
    assert html.count('display="block"') == 4           # every delta defined once


def test_gradient_shows_coloured_paths_deltas_and_proof(seed002):
    g = seed002.gradient("w11")
    html = g._repr_html_()
    blue, orange = (f'mathcolor="{COLOUR_HEX[c]}"' for c in ("blue", "orange"))
    assert html.count(blue) >= 2 and html.count(orange) >= 2                        # one colour per path
    assert "Path 1 (blue)" in html and "Path 2 (orange)" in html and "Proven:" in html
    latex = g._repr_latex_()
    assert latex.startswith("$$") and latex.endswith("$$")
    lines = latex.strip("$").removeprefix(r"\begin{aligned}").removesuffix(r"\end{aligned}").split(r" \\ ")
    # seed 002's published formulas: dE/dw11 = delta_h * x1, delta_h = z1(1-z1)(delta_y1 w31 + delta_y2 w41)
    c = checker_for(seed002)
    same = lambda shown, seed: sp.expand(c.parse(shown.split(" = ")[-1]) - c.parse(seed)) == 0  # noqa: E731
    assert same(lines[0], r"\delta_{z_1} x_1")
    delta_h = next(line for line in lines if line.startswith(r"\delta_{z_{1}} &="))
    assert same(delta_h, r"z_1 (1 - z_1) (\delta_{y_1} w_{31} + \delta_{y_2} w_{41})")


def test_proof_and_verdict(seed002):
    assert "proven" in seed002.proof("w11")._repr_html_()
    v = derive.check(seed002, "w11", WRONG, timeout=None)
    html = v._repr_html_()
    assert "✗ incorrect" in html and "the term for the path through <math" in html and "</math> is missing" in html
    assert "counterexample" in html and "<math" in html
    assert "<td>w11</td>" not in html and "<td>x1</td>" not in html     # symbols as the notation prints them
    assert "<msub><mi>w</mi><mrow><mn>11</mn></mrow></msub>" in html
    ok = derive.check(seed002, "w11", "delta_z1*x1", timeout=None)._repr_html_()
    assert "✓ correct" in ok and "counterexample" not in ok


def test_grade_report(seed002):
    rows = [{"id": "a", "param": "w11", "answer": "delta_z1*x1"}, {"id": "b", "param": "w11", "answer": WRONG},
            {"id": "c", "param": "w11", "answer": "w13"}]
    html = grade(seed002, rows, workers=1, progress=False)._repr_html_()
    assert "3 answers graded" in html and "path through <math" in html and "$" not in html
    assert "<td>correct</td><td>1</td>" in html and "<td>unusable</td><td>1</td>" in html


def test_tour_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "examples" / "tour.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the tour without outputs"
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = [[o for o in c.outputs] for c in nb.cells if c.cell_type == "code"]
    html = lambda i: "".join(o.get("data", {}).get("text/html", "") for o in out[i])  # noqa: E731
    assert "<svg" in html(0) and "<math" in html(0)                                # the network
    assert f'mathcolor="{COLOUR_HEX["orange"]}"' in html(1) and "Proven:" in html(1)  # a gradient
    assert "8 of 8 gradients proven equal" in html(2)                                # the verify table
    assert "path through <math" in html(3) and "</math> is missing" in html(3)   # a wrong answer
    text = "".join(o.get("text", "") for o in out[4])
    assert "accuracy 100%" in text
    first, last = (float(x) for x in text.split("loss ")[1].split(",")[0].split(" -> "))
    assert last < 0.05 < first
    assert any("image/png" in o.get("data", {}) for o in out[5])                      # the loss curve
    assert not any(o.output_type == "error" for cell in out for o in cell)
