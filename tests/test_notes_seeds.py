"""The notes read like their seeds: the seeds' own equations, verbatim, in the generated Markdown;
a person's order everywhere; the batch of m examples; one seeded start shared with train and export."""
from __future__ import annotations

import importlib.util
import json
import re

import numpy as np
import pytest

import derive
from derive.cli import main
from derive.codegen import train as training
from derive.codegen.compile import compile
from derive.codegen.export import export
from derive.errors import SpecError
from derive.model.build import mlp
from derive.model.spec import from_dict
from derive.model.start import start_values
from derive.notes import content as notes_mod
from derive.notes import render

_MD: dict = {}


def md(name: str, lang: str = "en") -> str:
    if (name, lang) not in _MD:
        d = derive.derive(name)
        _MD[name, lang] = render.render(notes_mod.build(d), d.net, "md", lang)
    return _MD[name, lang]


# Each seed's own equations (the seed files in shared/seeds), in the notation's LaTeX.
GOLDEN = {
    "seed000": [   # theta: z = theta x (weight first), squared error (y - a)^2, delta^(3)_1, J with 1/(2m)
        r"z^{(2)}_{1} = \theta^{(1)}_{11} x_{1} + \theta^{(1)}_{12} x_{2}",
        r"z^{(3)}_{1} = \theta^{(2)}_{11} a^{(2)}_{1} + \theta^{(2)}_{12} a^{(2)}_{2}",
        r"J(\theta) = \frac{1}{2} \left(y_{1} - a^{(3)}_{1}\right)^{2} + \frac{1}{2} \left(y_{2} - a^{(3)}_{2}\right)^{2}",
        r"\delta^{(3)}_{1} = \frac{\partial J(\theta)}{\partial z^{(3)}_{1}} = \left(a^{(3)}_{1} - y_{1}\right) a^{(3)}_{1} \left(1 - a^{(3)}_{1}\right)",
        r"\delta^{(2)}_{1} = \frac{\partial J(\theta)}{\partial z^{(2)}_{1}} = \left(\delta^{(3)}_{1} \theta^{(2)}_{11} + \delta^{(3)}_{2} \theta^{(2)}_{21}\right) a^{(2)}_{1} \left(1 - a^{(2)}_{1}\right)",
        r"J(\theta) = \frac{1}{2m} \sum_{i=1}^{m}",
        r"\frac{\partial J(\theta)}{\partial \theta^{(1)}_{11}} = {\color{blue} \frac{\partial J(\theta)}{\partial a^{(3)}_{1}} \frac{\partial a^{(3)}_{1}}{\partial z^{(3)}_{1}} \frac{\partial z^{(3)}_{1}}{\partial a^{(2)}_{1}} \frac{\partial a^{(2)}_{1}}{\partial z^{(2)}_{1}} \frac{\partial z^{(2)}_{1}}{\partial \theta^{(1)}_{11}}} + {\color{orange} \frac{\partial J(\theta)}{\partial a^{(3)}_{2}}",
        r"\boldsymbol{\Theta}^{(2)} = \boldsymbol{\Theta}^{(2)} - \alpha",
    ],
    "seed001": [   # graph: P = W1 A + W2 B, Q = W3 P, L = 1/2 (C - Q)^2
        "P = W_{1} A + W_{2} B", "Q = W_{3} P", r"L = \frac{1}{2} \left(C - Q\right)^{2}",
    ],
    "seed002": [   # w-delta: error = 1/2 (y_t1 - y_1)^2 + ..., delta_y1 = (y1 - yt1) y1 (1 - y1), delta_h
        r"a^{(1)}_{1} = w_{11} x_{1} + w_{12} x_{2}",
        r"\mathrm{error} = \frac{1}{2} \left(y_{t1} - y_{1}\right)^{2} + \frac{1}{2} \left(y_{t2} - y_{2}\right)^{2}",
        r"\delta_{y_{1}} = \frac{\partial \mathrm{error}}{\partial a^{(2)}_{1}} = \left(y_{1} - y_{t1}\right) y_{1} \left(1 - y_{1}\right)",
        r"= \left(\delta_{y_{1}} w_{31} + \delta_{y_{2}} w_{41}\right) z_{1} \left(1 - z_{1}\right)",
        r"\frac{\partial a^{(1)}_{1}}{\partial w_{11}} = \delta_{z_{1}} x_{1}",
        r"\boldsymbol{\delta}^{(2)} = \frac{\partial \mathrm{error}}{\partial \mathbf{a}^{(2)}}",   # a: the weighted sum
    ],
    "seed003": [   # ng as seed 003 writes it: W^(l), b^(l), both updates, delta^(l)_j
        r"z^{(1)}_{1} = W^{(1)}_{11} x_{1} + W^{(1)}_{12} x_{2} + b^{(1)}_{1}",
        r"\mathbf{W}^{(2)} = \mathbf{W}^{(2)} - \alpha \frac{\partial J}{\partial \mathbf{W}^{(2)}}",
        r"\mathbf{b}^{(2)} = \mathbf{b}^{(2)} - \alpha \frac{\partial J}{\partial \mathbf{b}^{(2)}}",
        r"\mathbf{b}^{(1)} = \mathbf{b}^{(1)} - \alpha \frac{\partial J}{\partial \mathbf{b}^{(1)}}",
        r"\delta^{(2)}_{1} = \frac{\partial J}{\partial z^{(2)}_{1}} = a^{(2)}_{1} - y_{1}",
        r"J = \frac{1}{m} \sum_{i=1}^{m}",
    ],
    "seed004": [   # ihv: H1 = I1 W1 + I2 W3, y1 = H1 V1 + H2 V3 (the seed writes the value first)
        r"h_{1} = I_{1} W_{1} + I_{2} W_{3}", r"y_{1} = H_{1} V_{1} + H_{2} V_{3}",
    ],
}


@pytest.mark.parametrize("name", GOLDEN)
def test_the_seeds_own_equations_appear_verbatim(name):
    text = md(name)
    for snippet in GOLDEN[name]:
        assert snippet in text, snippet


def redundant_brackets(latex: str) -> bool:
    """True if a bracket holds nothing but another bracket: ((x)) or (\\left(x\\right))."""
    opens = [m.end() for m in re.finditer(r"\\left\(", latex)]
    for i in opens:
        if not latex.startswith(r"\left(", i):
            continue
        depth, k = 1, i + 6          # walk the inner bracket to its close
        while depth and k < len(latex):
            if latex.startswith(r"\left(", k):
                depth, k = depth + 1, k + 6
            elif latex.startswith(r"\right)", k):
                depth, k = depth - 1, k + 7
            else:
                k += 1
        if latex.startswith(r"\right)", k):
            return True
    return False


def num(latex: str) -> float:
    """A number as the notes print it: 0.5, -2.87455 \\cdot 10^{-6}, \\frac{9}{2}."""
    m = re.fullmatch(r"(-?[\d.]+) \\cdot 10\^\{(-?\d+)\}", latex)
    if m:
        return float(m.group(1)) * 10 ** int(m.group(2))
    m = re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", latex)
    if m:
        return (-1 if m.group(1) else 1) * int(m.group(2)) / int(m.group(3))
    return float(latex)


def test_redundant_brackets_are_recognised():
    assert redundant_brackets(r"\sigma\left(\left(-0.8\right)\right)")
    assert not redundant_brackets(r"\left(\left(a - y\right) a + b\right)")


@pytest.mark.parametrize("name", list(GOLDEN) + ["classic", "xor"])
def test_a_persons_order_never_a_machines(name):
    text = md(name)
    maths = re.findall(r"\$\$\n(.*?)\n\$\$|\$(.+?)\$", text, flags=re.S)
    for block, inline in maths:
        m = block or inline
        assert "+ -" not in m and "+ - " not in m, m
        assert not redundant_brackets(m), m
        if r"\cdot" not in m:          # symbols, not numbers: (- a + y) is written (y - a)
            assert not re.search(r"\\left\(- [a-zA-Z\\]", m), m


def test_worked_example_has_no_doubled_brackets_inside_functions():
    example = md("seed003").split("## Worked example")[1]
    assert r"\sigma\left(\left(" not in example
    seed = md("seed000").split("## Worked example")[1]
    assert r"\sigma\left(0.5\right)" in seed
    assert r"0.5 \cdot 1 - 0.5 \cdot 0" in seed          # theta x with theta = -0.5: no "+ (-0.5)"


def test_layer_numbers_agree_between_the_symbol_table_and_the_matrix_section():
    text = md("seed000")
    assert r"| $z^{(2)}_{1}$ | weighted sum (pre-activation) of unit 1 in layer 2 |" in text
    assert "Hidden layer 2:" in text and "Output layer 3:" in text
    assert "### Layer 2: sigmoid activation" in text


def test_direct_side_is_named_and_always_available():
    for name in GOLDEN:
        text = md(name)
        assert "SymEngine" in text and "sympy.diff" not in text
        assert text.count("<details><summary>") == text.count("### Parameter")
    d = derive.derive("seed000")
    tex = render.render(notes_mod.build(d), d.net, "tex", "en")
    assert tex.count(r"\(\displaystyle \frac{\partial J(\theta)}{\partial \theta") == 8   # appendix: all 8


def test_activation_and_loss_names_are_translated_and_the_title_kept():
    ko, ja = md("seed003", "ko"), md("seed003", "ja")
    assert "시그모이드" in ko and "이진 교차 엔트로피" in ko
    assert "シグモイド" in ja and "二値交差エントロピー" in ja
    assert "sigmoid activation" not in ko and "(bce)" not in ko
    title = derive.load("seed003").spec.name
    assert ko.startswith("# " + render.md_escape(title)) and ja.startswith("# " + render.md_escape(title))


def test_a_sample_of_parameters_says_what_is_left_out(tmp_path):
    net = mlp([3, 4, 2], bias="per-unit", notation="ng")          # 26 trainable: notes show a sample
    d = derive.derive(net)
    n = notes_mod.build(d)
    text = render.render(n, d.net, "md", "en")
    shown = {p.name for p in n.params}
    assert 0 < len(shown) < len(net.trainable)
    left = [p for p in net.trainable if p not in shown]
    assert f"show {len(shown)} of the {len(net.trainable)} trainable parameters" in text
    assert "--param all" in text
    for p in left:
        assert net.latex_names[net.symbol(p)] in text.split("left out:")[1].split("\n")[0]
    assert "--param all" in render.render(n, d.net, "md", "ko")


def test_param_all_writes_every_parameter(tmp_path):
    spec = tmp_path / "wide.yaml"
    spec.write_text("inputs: 3\nlayers:\n  - {units: 6, activation: sigmoid}\n  - {units: 1, activation: sigmoid}\n"
                    "loss: half_sse\n")
    assert main(["notes", str(spec), "--format", "md", "--param", "all", "--out", str(tmp_path)]) == 0
    text = next(tmp_path.rglob("notes.en.md")).read_text()
    assert text.count("### Parameter") == 24 and "left out" not in text


# ---------------------------------------------------------------------------------------------
# m examples, and one seeded start for notes, train and export

def _batch_loss(name: str) -> float:
    d = derive.derive(name)
    ex = notes_mod.build(d).example
    row = ex.batch_loss if ex.batch_loss else ex.forward[-1]
    return num(row.values[-1])


@pytest.mark.parametrize("name", ["seed003", "seed000", "seed002", "seed004", "classic"])
def test_notes_train_and_export_start_from_the_same_values(name, capsys, tmp_path):
    net = derive.load(name)
    c = compile(net)
    X, T = training.spec_data(c)
    start = c.start(0)
    J = float(c.loss(start, X, T))
    assert _batch_loss(name) == pytest.approx(J, rel=1e-5)        # notes show 6 significant digits
    assert main(["train", name, "--steps", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["loss"][0] == pytest.approx(J, rel=1e-12)
    path = export(net, tmp_path / f"{name}_grad.py")
    spec = importlib.util.spec_from_file_location(f"{name}_grad", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.START.keys() == start.keys()
    for k, v in module.START.items():
        assert np.allclose(v, start[k])
    given = net.spec.values.params
    assert all(float(start_values(net)[p]) == float(given[p]) for p in given)


def test_the_batch_is_worked_through_example_by_example_then_averaged():
    d = derive.derive("seed003")
    ex = notes_mod.build(d).example
    assert ex.m == 2 and len(ex.data) == 2
    for row in ex.grads:
        per, mean = [num(v) for v in row.values[:-1]], num(row.values[-1])
        assert mean == pytest.approx(sum(per) / len(per), abs=2e-6)
    c = compile(d.net)
    X, T = training.spec_data(c)
    assert X.shape == (2, 2)
    grads = c.unpack_gradients(c.gradients(c.start(0), X, T))
    for p, row in zip(notes_mod.default_params(d.net), ex.grads):
        assert num(row.values[-1]) == pytest.approx(grads[p], rel=1e-4, abs=1e-8)   # batch-mean gradient


BAD_EXAMPLES = [
    ({"examples": [{"inputs": {"x1": 1}, "targets": {"y1": 1}}]}, "values.examples[0].inputs", "missing value for x2"),
    ({"examples": [{"inputs": {"x1": 1, "x2": 2}, "targets": {"y1": 1}},
                   {"inputs": {"x1": 1, "x2": "two"}, "targets": {"y1": 0}}]},
     "values.examples[1].inputs.x2", "expected a number"),
    ({"examples": [{"inputs": {"x1": 1, "x2": 2}, "targets": {"y1": 1}, "weight": 2}]},
     "values.examples[0].weight", "unknown field"),
    ({"examples": []}, "values.examples", "non-empty list"),
    ({"examples": {"inputs": {}}}, "values.examples", "non-empty list"),
    ({"inputs": {"x1": 1, "x2": 2}, "examples": [{"inputs": {"x1": 1, "x2": 2}, "targets": {"y1": 1}}]},
     "values.inputs", "not both"),
    ({"examples": [{"inputs": {"x1": 1, "x2": 2, "x3": 0}, "targets": {"y1": 1}}]},
     "values.examples[0].inputs.x3", "unknown name"),
]


@pytest.mark.parametrize("values, field, words", BAD_EXAMPLES)
def test_examples_errors_name_the_field(values, field, words):
    with pytest.raises(SpecError) as e:
        from_dict({"inputs": 2, "layers": [{"units": 1, "activation": "sigmoid"}], "values": values})
    assert str(e.value).startswith(field + ":") and words in str(e.value)


def test_a_spec_with_examples_trains_on_all_of_them(capsys):
    spec = from_dict({"inputs": 2, "layers": [{"units": 1, "activation": "sigmoid"}], "values": {
        "examples": [{"inputs": {"x1": 1, "x2": 0}, "targets": {"y1": 1}},
                     {"inputs": {"x1": 0, "x2": 1}, "targets": {"y1": 0}},
                     {"inputs": {"x1": 1, "x2": 1}, "targets": {"y1": 1}}]}})
    assert len(spec.values.batch) == 3 and spec.values.inputs == {"x1": 1, "x2": 0}
    X, T = training.spec_data(compile(derive.Network(spec)))
    assert X.tolist() == [[1, 0], [0, 1], [1, 1]] and T.tolist() == [[1], [0], [1]]


@pytest.mark.parametrize("name", ["seed000", "seed003"])
def test_derive_check_finds_no_wrong_step_in_the_generated_notes(name, tmp_path, capsys):
    path = tmp_path / "notes.md"
    path.write_text(md(name), encoding="utf-8")
    main(["check", name, "--derivation", str(path), "--json"])
    report = json.loads(capsys.readouterr().out)
    wrong = [s for s in report["steps"] if s["status"] == "wrong"]
    assert not wrong, wrong[:2]
    assert report["checked"] >= 100
