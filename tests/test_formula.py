"""Examples for derive.model.formula: node expressions, student answers in plain text and LaTeX, hostile input."""
import sys
import time
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout without installing

from derive.errors import FormulaError
from derive.model.formula import Limits, Name, looks_like_latex, parse, split_equalities
from derive.model.rules import relu, sigmoid

NAMES = "x y z x1 z1 w w11 w31 w41 deltay1 deltay2 E I S N gamma pi a11 theta211 error y1 sigma delta epsilon".split()
SYM = {n: sp.Symbol(n) for n in NAMES}
x, y, z = SYM["x"], SYM["y"], SYM["z"]
x1, z1, w31, w41, d1, d2 = (SYM[n] for n in "x1 z1 w31 w41 deltay1 deltay2".split())
SEED_002 = (d1 * w31 + d2 * w41) * z1 * (1 - z1) * x1


def resolve(name: Name) -> sp.Expr:
    try:
        return SYM[name.key()]
    except KeyError:
        raise FormulaError(f"unknown symbol {name.text}") from None


def anything(name: Name) -> sp.Expr:
    return sp.Symbol(name.key() or "_")


def same(a, b) -> bool:
    return sp.expand(a - b) == 0


# -- node mode: the strict spec grammar -----------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("x*y + 2", x * y + 2),
    ("x1 * (1 - z1) / 2", x1 * (1 - z1) / 2),
    ("0.5*x", x / 2),
    ("x**2 - x^3", x**2 - x**3),
    ("-x**2", -(x**2)),
    ("2**-1", sp.Rational(1, 2)),
    ("sigmoid(w31*x1 + w41)", sigmoid(w31 * x1 + w41)),
    ("tanh(x) + relu(y) + exp(z) + log(x)", sp.tanh(x) + relu(y) + sp.exp(z) + sp.log(x)),
    ("x / y / z", x / y / z),
])
def test_node_grammar(text, expected):
    got = parse(text, resolve, mode="node")
    assert same(got, expected)


def test_decimal_is_exact():
    got = parse("0.1 + 0.2", resolve, mode="node")
    assert got == sp.Rational(3, 10) and isinstance(got, sp.Rational)


@pytest.mark.parametrize("text", ["2x", "z1(1-z1)", "x y", "[x]", "sigma(x)", "x'", "δ", "x ** ", "_x", "x_{1}"])
def test_node_mode_is_strict(text):
    with pytest.raises(FormulaError):
        parse(text, resolve, mode="node")


def test_node_mode_only_given_functions():
    assert parse("tanh(x)", resolve, mode="node", functions={"tanh": sp.tanh}) == sp.tanh(x)
    with pytest.raises(FormulaError, match="unknown function 'sigmoid'"):
        parse("sigmoid(x)", resolve, mode="node", functions={"tanh": sp.tanh})


def test_node_names_are_identifiers():
    seen = []
    parse("W1*x_in + b_2", lambda n: seen.append(n) or sp.Symbol(n.base), mode="node")
    assert [n.base for n in seen] == ["W1", "x_in", "b_2"]
    assert all(n.sub == n.sup == "" for n in seen)


# -- student answers: plain text ------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "(delta_y1*w31 + delta_y2*w41)*z1*(1-z1)*x1",
    "(delta_y1 w31 + delta_y2 w41) z1(1-z1) x1",
    "(δ_y1·w31 + δ_y2·w41)·z1·(1−z1)·x1",
    "(δ_y1 × w31 + δ_y2 ⋅ w41) z1 (1 − z1) x1",
    "x1 z1 (1 - z1) (w31 deltay1 + w41 deltay2)",
    "[deltay1 w31 + deltay2 w41] * z1 * (1 - z1) * x1",
])
def test_plain_spellings_of_seed_002(text):
    assert same(parse(text, resolve), SEED_002)


def test_plain_implicit_multiplication_and_powers():
    assert parse("2x", resolve) == 2 * x
    assert parse("2 x1", resolve) == 2 * x1
    assert parse("(x)(y)", resolve) == x * y
    assert parse("x^2 + y**2", resolve) == x**2 + y**2
    assert parse("-x^2", resolve) == -(x**2)
    assert parse("x^y^z", resolve) == x ** (y**z)
    assert parse("x / y z", resolve) == x * z / y     # implicit product binds like '*', left to right
    assert parse("sigma(z)(1 - sigma(z))", resolve) == sigmoid(z) * (1 - sigmoid(z))
    assert parse("σ(z) + ln(x)", resolve) == sigmoid(z) + sp.log(x)


def test_plain_names_are_not_split():
    seen = []
    parse("xy + w31 + delta_y1", lambda n: seen.append(n) or sp.Symbol(n.key()))
    assert [n.base for n in seen] == ["xy", "w31", "delta_y1"]
    assert seen[2].key() == "deltay1"


# -- student answers: LaTeX -----------------------------------------------------------------------

def test_seed_002_latex():
    text = r"(\delta_{y_{1}}\cdot w_{31}+\delta_{y_{2}}\cdot w_{41})\cdot z_{1}(1-z_{1})\cdot x_{1}"
    assert looks_like_latex(text)
    assert same(parse(text, resolve), SEED_002)
    assert same(parse("$" + text + "$", resolve), SEED_002)
    assert same(parse(r"\left(\delta_{y_1} w_{31} + \delta_{y_2} \times w_{41}\right) z_1 (1 - z_1)\, x_1", resolve),
                SEED_002)


def test_latex_names():
    seen = []
    parse(r"w_{31} + w_3 + y_{t1} + z_{1} + a_{1}^{(1)} + \theta^{(2)}_{11} + \delta_{y_{1}} + \delta_{h} + x_1"
          r" + \mathrm{x} + \text{error} + \Theta + W^{[2]}_{ij}",
          lambda n: seen.append(n) or sp.Symbol(n.key()))
    got = [(n.base, n.sub, n.sup) for n in seen]
    assert got == [("w", "31", ""), ("w", "3", ""), ("y", "t1", ""), ("z", "1", ""), ("a", "1", "1"),
                   ("theta", "11", "2"), ("delta", "y1", ""), ("delta", "h", ""), ("x", "1", ""),
                   ("x", "", ""), ("error", "", ""), ("Theta", "", ""), ("W", "ij", "2")]
    assert seen[5].key() == "theta211" and seen[6].key() == "deltay1"
    assert seen[0].text == "w_{31}"


@pytest.mark.parametrize("text, expected", [
    (r"\frac{x}{y}", x / y),
    (r"\frac12 x", x / 2),
    (r"\sigma(z)", sigmoid(z)),
    (r"\sigma'(z_{1})", sigmoid(z1) * (1 - sigmoid(z1))),
    (r"\sigma^{\prime}(z_{1})", sigmoid(z1) * (1 - sigmoid(z1))),
    ("e^{-x}", sp.exp(-x)),
    (r"\exp(x) + \log x + \ln(y) + \tanh{z}", sp.exp(x) + sp.log(x) + sp.log(y) + sp.tanh(z)),
    (r"\operatorname{relu}(x)", relu(x)),
    (r"\sqrt{x}", sp.sqrt(x)),
    (r"x^{2} + x^2", 2 * x**2),
    (r"\left[ x + y \right] \cdot {z}", (x + y) * z),
    (r"\frac{1}{1 + e^{-x}}", 1 / (1 + sp.exp(-x))),
    (r"\(x\,y\)", x * y),
])
def test_latex_expressions(text, expected):
    assert same(parse(text, resolve), expected)


def test_leibniz_calls_derivative_callback():
    calls = []

    def derivative(of, args, wrt):
        calls.append((of, args, wrt))
        return sp.Symbol("g")

    assert parse(r"\frac{\partial error }{\partial w_{11}}", resolve, derivative=derivative) == sp.Symbol("g")
    of, args, wrt = calls[-1]
    assert (of.base, of.sub, args, wrt.base, wrt.sub) == ("error", "", (), "w", "11")
    parse(r"\frac{\partial \mathrm{error}(y_{1})}{\partial y_{1}}", resolve, derivative=derivative)
    assert calls[-1][1] == (SYM["y1"],)
    parse(r"\frac{dE}{dw_{1}} + \frac{\partial}{\partial x} E + ∂E/∂x", resolve, derivative=derivative)
    assert [(c[0].base, c[2].key()) for c in calls[2:]] == [("E", "w1"), ("E", "x"), ("E", "x")]
    with pytest.raises(FormulaError, match="derivative notation is not allowed here"):
        parse(r"\frac{\partial error}{\partial w_{11}}", resolve)


def test_greek_unicode_and_lookalikes():
    assert parse("δ_y1 + σ(x) + ε", resolve) == d1 + sigmoid(x) + SYM["epsilon"]
    assert parse(r"\delta_{y_{1}} + δ_{y_{2}}", resolve) == d1 + d2
    for text in ("х + 1", "x + у", "Α + 1"):          # Cyrillic ha, Cyrillic u, Greek capital alpha
        with pytest.raises(FormulaError, match="look-alike character"):
            parse(text, resolve)


def test_builtin_looking_names_go_to_resolve():
    seen = []
    got = parse("E + I + S + N + gamma + pi", lambda n: seen.append(n.base) or sp.Symbol(n.base))
    assert seen == ["E", "I", "S", "N", "gamma", "pi"]
    assert got.free_symbols == {sp.Symbol(s) for s in seen}


def test_equalities():
    assert split_equalities(r"$\frac{\partial E}{\partial w} = \delta x_{1} = y$") == [
        r"\frac{\partial E}{\partial w}", r"\delta x_{1}", "y"]
    assert parse("x + y =", resolve) == x + y
    with pytest.raises(FormulaError, match="'='"):
        parse("x = y", resolve)


@pytest.mark.parametrize("text, message", [
    ("(x + y))", r"unexpected '\)' at column 8"),
    ("x + ", "unexpected end"),
    ("w13 + x", "unknown symbol w13"),
    ("foo(x)", "unknown function 'foo'"),
    (r"\nabla x", r"write the gradient with what it is taken with respect to, like \\nabla_\{w\} J"),
    ("1/0", "division by zero"),
    (r"x'", "prime"),
])
def test_error_messages(text, message):
    with pytest.raises(FormulaError, match=message) as info:
        parse(text, resolve)
    assert "\n" not in str(info.value)


# -- hostile input ----------------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('echo hi')",
    "().__class__.__base__.__subclasses__()",
    "lambda: 0",
    "10**10**10",
    "factorial(10**9)",
    "x**(10**9)",
    "(" * 5000 + "x" + ")" * 5000,
    "-" * 5000 + "x",
    "x^" * 5000 + "x",
    "x" * 1_000_000,
    "9" * 31,
    "exp(10**29*log(10))",
    r"e^{10^{29} \log 10}",
    "(x**64)**64",
    r"\input{/etc/passwd}",
    r"\def\x{1}",
    r"\include{x}",
    r"\write18{ls}",
    r"\catcode`\x=0",
    "+".join(["99999999999999"] * 4000),
    "*".join(["999999999999999"] * 3000),
]


@pytest.mark.parametrize("mode", ["auto", "node", "plain", "latex"])
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_fails_fast(text, mode):
    start = time.perf_counter()
    with pytest.raises(FormulaError):
        parse(text, resolve, mode=mode)
    assert time.perf_counter() - start < 1.0


def test_limits_are_configurable():
    assert parse("x**100", resolve, limits=Limits(max_exponent=100)) == x**100
    with pytest.raises(FormulaError, match="too long"):
        parse("x + y", resolve, limits=Limits(max_length=3))
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse("((x))", resolve, limits=Limits(max_depth=1))


TOKENS = ["x", "y1", "w_{31}", r"\delta_{y_{1}}", "z1", "e", "d", "dE", "sigma", "sigmoid", "relu", "exp", "log",
          "factorial", "E", "I", "(", ")", "[", "]", "{", "}", "+", "-", "*", "/", "^", "**", "_", "'", ",", "=",
          " ", "0", "1", "9", ".", "10", "0.5", r"\frac", r"\partial", r"\cdot", r"\sigma", r"\left(", r"\right)",
          r"\sqrt", r"\exp", r"\log", r"\ln", r"\mathrm", r"\text", r"\theta", "^{(1)}", r"\prime", r"\,", "\\",
          "$", "&", "σ", "δ", "·", "−", "∂", "х", "×", "′", r"\input", r"\times", "10**", "__",
          r"\frac{\partial E}", "{dw}", r"\mathrm{d}", r"^{\prime}", "9**9", "exp(", "log(", "0/"]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join), st.text(max_size=40)),
       st.sampled_from(["auto", "plain", "latex", "node"]))
def test_any_text_gives_expr_or_formula_error(text, mode):
    try:
        got = parse(text, anything, derivative=lambda f, a, v: sp.Symbol("D" + f.key() + v.key()), mode=mode)
    except FormulaError as e:
        assert "\n" not in str(e)
    else:
        assert isinstance(got, sp.Expr)
