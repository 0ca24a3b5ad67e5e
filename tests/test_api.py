"""One Python surface: derive.load and derive.derive take every form, and every front-end's use case is one
call of derive.api that gives plain data.  Oracles: the seeds' own formulas and the textbook's tensor
gradients (CS231n's dW2 = h.T @ dscores), and the CLI's --json, which these calls must equal."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

import derive
from derive import api
from derive.errors import DeriveError, SpecError

ROOT = Path(__file__).resolve().parents[1]
SEED002 = ROOT / "derive" / "examples" / "seed002.yaml"
CS231N = ROOT / "derive" / "examples" / "tensor" / "cs231n.yaml"


def cli_json(*args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "derive", *args, "--json"], capture_output=True, text=True,
                         timeout=300, env=env)
    return json.loads(out.stdout)


@pytest.mark.parametrize("source, form", [
    ("seed002", "layered"), (SEED002, "layered"), (str(SEED002), "layered"),
    (yaml.safe_load(SEED002.read_text()), "layered"), ("seed001", "graph"),
    ("cs231n", "tensor"), (CS231N, "tensor"), (yaml.safe_load(CS231N.read_text()), "tensor"),
])
def test_load_decides_the_form_once_from_any_source(source, form):
    model = derive.load(source)
    assert api.form(model) == form
    assert derive.load(model) is model                    # a loaded model is taken as it is
    d = derive.derive(model)
    assert type(d).__name__ == ("Backward" if form == "tensor" else "Derivation")
    assert derive.derive(d) is d


def test_the_web_input_is_a_name_or_text_never_a_path():
    assert api.form(api.from_text("cs231n")) == "tensor"
    assert api.from_text(SEED002.read_text()).spec.name == derive.load("seed002").spec.name
    with pytest.raises(SpecError):
        api.from_text(str(SEED002))        # a path is only text here: a YAML string, not a spec


def test_an_object_of_no_known_kind_is_one_clear_error():
    with pytest.raises(DeriveError, match="not a derive spec or model"):
        derive.load(3.5)


def test_a_network_answer_checked_against_the_seed():
    # seed 002's delta form of dE/dw11 (its own notes): delta_z1 * x1; a sign flip is wrong
    assert api.check("seed002", "w11", "delta_z1*x1", timeout=None)["correct"]
    wrong = api.check(derive.load("seed002"), "w11", "-delta_z1*x1", timeout=None)
    assert not wrong["correct"] and wrong["diagnosis"]


def test_a_tensor_answer_checked_against_the_textbook():
    model = derive.load("cs231n")
    right = api.check(model, "dW2", "h.T @ dlogits", timeout=None)
    assert right == {"lines": [{"line": 1, "name": "dW2", "correct": True, "diagnosis": []}], "first_wrong": None}
    assert api.check(model, "dW2", "dlogits.T @ h", timeout=None)["first_wrong"] == 1
    report = api.check_backward(model, "dlogits = probs\ndW2 = h.T @ dlogits", timeout=None)
    assert report["first_wrong"] == 1


def test_each_use_case_refuses_the_other_form_in_one_line():
    with pytest.raises(DeriveError, match="needs a tensor program"):
        api.check_backward("seed002", "dW2 = h", timeout=None)
    with pytest.raises(DeriveError, match="is a tensor program"):
        api.check_derivation("cs231n", "$x = y$", timeout=None)


def test_verify_is_what_the_command_line_prints():
    for spec in ("seed001", "cs231n"):
        assert api.verify(spec) == cli_json("verify", spec)


def test_verify_of_a_tensor_program_proves_the_textbook_formula():
    rows = {r["name"]: r for r in derive.verify("cs231n")["lines"]}
    assert rows["dW2"]["proven"] and rows["dW2"]["code"].replace(" ", "") == "dW2=h.T@dlogits"


def test_notes_and_export_of_both_forms(tmp_path):
    for spec in ("seed002", "cs231n"):
        n = api.notes(spec, "en", "md")
        assert n["text"].strip() and n["params"]
        out = api.export(spec, tmp_path / f"{spec}.py")
        assert Path(out["written"]).is_file()
    assert api.export("seed002", tmp_path / "s.py")["params"] == 8


def test_compiled_gradients_of_both_forms_match_finite_differences():
    c = derive.compile("cs231n")
    values = c.data(seed=0) | c.start(seed=0)
    loss, grads = c.gradients(values)
    name = sorted(grads)[0]
    p = values[name].copy()
    i = np.unravel_index(0, p.shape)
    h = 1e-6
    values[name] = p.copy()
    values[name][i] += h
    up = float(c.forward(values)[0])
    values[name] = p.copy()
    values[name][i] -= h
    down = float(c.forward(values)[0])
    assert abs((up - down) / (2 * h) - grads[name][i]) < 1e-5


def test_grade_takes_both_forms():
    rows = [{"id": "a", "param": "dW2", "answer": "h.T @ dlogits"}, {"id": "b", "param": "dW2", "answer": "h @ dlogits"}]
    report = api.grade("cs231n", rows, workers=1, timeout=20, progress=False)
    assert [r["status"] for r in report["rows"]] == ["correct", "incorrect"]
    rows = [{"id": "a", "param": "w11", "answer": "delta_z1*x1"}, {"id": "b", "param": "w11", "answer": "x1"}]
    report = api.grade("seed002", rows, workers=1, timeout=20, progress=False)
    assert [r["status"] for r in report["rows"]] == ["correct", "incorrect"]


@pytest.mark.parametrize("old, args", [("load_program", ("cs231n",)), ("derive_backward", ("cs231n",))])
def test_old_names_are_deprecated_aliases(old, args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = getattr(derive, old)(*args)
    assert any(issubclass(w.category, DeprecationWarning) and old in str(w.message) for w in caught)
    new = derive.load("cs231n") if old == "load_program" else derive.derive("cs231n")
    assert type(got) is type(new)
    assert got == new if old == "load_program" else [x.code for x in got.lines] == [x.code for x in new.lines]


def test_an_imported_model_is_one_of_the_forms_and_says_where_it_came_from():
    keras_model = derive.load(ROOT / "derive" / "examples" / "seed004.keras")     # read as data; Keras not run
    assert api.form(keras_model) == "layered" and api.origin(keras_model) == "keras"
    assert api.origin(derive.load("seed004")) == "spec" and api.origin(derive.load("cs231n")) == "spec"
    # the same use cases take it: the Keras model's gradients proven like a spec's
    assert api.verify(keras_model)["all_proven"]


def _bundled():
    from derive.model.spec import bundled_examples
    from derive.tensor.program import bundled_tensor_examples
    small = [e for e in bundled_examples() if e != "digits"]        # digits: 2410 parameters, slow to build
    return [(e, ROOT / "derive" / "examples" / f"{e}.yaml") for e in small] + \
        [(e, ROOT / "derive" / "examples" / "tensor" / f"{e}.yaml") for e in bundled_tensor_examples()]


@pytest.mark.parametrize("name, path", _bundled(), ids=lambda x: str(x).rsplit("/", 1)[-1])
def test_every_source_of_one_spec_loads_the_same_model(name, path):
    """A bundled name, its file, its parsed mapping and its text (the web page's input) give one model."""
    def essence(model):
        if api.form(model) == "tensor":
            return (model.name, model.sizes, model.leaves, [(n, t) for n, t, _ in model.forward], model.output)
        s = model.spec
        return (s.name, s.inputs, s.params, s.fixed, s.loss, s.targets, s.outputs, s.layers, s.nodes, s.values)
    text = path.read_text(encoding="utf-8")
    models = [derive.load(name), derive.load(path), derive.load(yaml.safe_load(text)), api.from_text(text)]
    assert len({api.form(m) for m in models}) == 1
    assert all(essence(m) == essence(models[0]) for m in models[1:])
