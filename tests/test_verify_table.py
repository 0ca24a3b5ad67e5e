"""``derive verify``'s table: only what it shows becomes text, and it says what the proofs said.

The table (``derivation.report.table``) must agree with the ``--json`` object (``report``) on every
parameter's delta form, verdict and method and on every delta's definition; its direct printer of sums
and products of symbols must print exactly as SymPy's ``StrPrinter(order="none")`` does; and a tampered
gradient must show as not proven, with exit code 1.
"""
import contextlib
import dataclasses
import io
import random

import pytest
import sympy as sp

import derive
from derive.cli import verify as cli_verify
from derive.derivation.derivation import Derivation
from derive.derivation.report import printer, report, table


class LayerForm:
    layer_form = True


def random_expression(rng: random.Random, names, depth: int = 0):
    """Sums and products of symbols, integers, -x, and now and then a power, a fraction or a function."""
    pick = rng.random()
    if depth > 2 or pick < 0.3:
        return rng.choice([sp.Symbol(rng.choice(names)), sp.Integer(rng.randint(-3, 3))])
    parts = [random_expression(rng, names, depth + 1) for _ in range(rng.randint(2, 4))]
    if pick < 0.6:
        return sp.Add(*parts)
    if pick < 0.9:
        return sp.Mul(*parts)
    return rng.choice([sp.Pow(parts[0], rng.choice([2, -1, sp.Rational(1, 2)])), sp.exp(parts[0]), parts[0] / 7])


def test_the_direct_printer_prints_as_sympys_printer():
    rng = random.Random(7)
    names = ["a1_1", "delta_z2_1", "w2_11", "t_1", "b1"]
    text = printer(LayerForm)
    reference = sp.StrPrinter({"order": "none"}).doprint
    for _ in range(600):
        e = random_expression(rng, names)
        assert text(e) == reference(e), e
    x, y = sp.symbols("x y")
    assert text(x * (1 - x) * (x + y)) == reference(x * (1 - x) * (x + y))
    assert text(-(x + y)) == "-x - y" and text(-x * y) == "-x*y" and text(x - 1) == reference(x - 1)


@pytest.mark.parametrize("sizes, act, out, loss", [([8, 8, 8, 8], "sigmoid", "softmax", "ce"),
                                                   ([5, 6, 6, 3], "tanh", None, "half_sse")])
def test_the_table_agrees_with_the_json_report(sizes, act, out, loss):
    d = derive.derive(derive.mlp(sizes, activation=act, output_activation=out, loss=loss, bias="per-unit"))
    assert d.layer_form
    tab, rep = table(d), report(d)
    assert [r["name"] for r in tab["params"]] == [r["name"] for r in rep["params"]] == list(d.params)
    for t, r in zip(tab["params"], rep["params"]):
        assert (t["paths"], t["delta_form"], t["proof"].proven, t["proof"].method) == \
            (r["paths"], r["delta_form"], r["proven"], r["method"])
    assert tab["deltas"] == rep["deltas"] and tab["all_proven"] and rep["all_proven"]


def test_a_tampered_gradient_shows_as_not_proven_in_the_table():
    net = derive.mlp([4, 6, 5, 3], activation="sigmoid", loss="half_sse", bias="per-unit")
    d = Derivation(net)
    assert d.layer_form
    param = d.params[7]
    g = d.chain.gradients[param]
    d.chain.gradients[param] = dataclasses.replace(g, delta_form=2 * g.delta_form)
    tab = table(d)
    assert not tab["all_proven"]
    assert [r["name"] for r in tab["params"] if not r["proof"].proven] == [param]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli_verify._text(tab)
    line = next(ln for ln in out.getvalue().splitlines() if ln.startswith(param + " "))
    assert " NO " in line
    assert f"{len(d.params) - 1} of {len(d.params)} gradients proven" in out.getvalue()


def test_the_verify_command_prints_every_parameter_and_every_delta(capsys):
    from derive.cli import main
    assert main(["verify", "digits"]) == 0
    text = capsys.readouterr().out
    d = derive.derive("digits")
    rows = [ln.split()[0] for ln in text.splitlines() if ln.split() and ln.split()[0] in set(d.params)]
    assert rows == list(d.params)
    assert sum(ln.startswith("  delta_") for ln in text.splitlines()) == len(d.deltas)
    assert f"{len(d.params)} of {len(d.params)} gradients proven" in text
