"""Lecture notes: every display equation read back with our own parser and checked against
independent oracles (sympy.diff of the loss, a forward pass, a recursive dL/dnode), seed formulas."""
from __future__ import annotations

import random
import re

import pytest
import sympy as sp

import derive
from derive.notes import content as notes_mod
from derive.notes import render
from derive.cli import main
from derive.errors import DeriveError, SpecError
from derive.model.formula import parse, split_equalities
from derive.checking.lookup import SymbolTable
from derive.derivation.proof import evaluate, forward_values, random_point
from derive.model.spec import from_dict
from derive.model.start import start_values

EXAMPLES = ["seed000", "seed001", "seed002", "seed003", "seed004", "classic", "xor"]
_NOTES: dict = {}


def notes_md(name: str, lang: str = "en"):
    if name not in _NOTES:
        d = derive.derive(name)
        _NOTES[name] = (d, notes_mod.build(d))
    d, n = _NOTES[name]
    return d, render.render(n, d.net, "md", lang)


def display_equations(md: str) -> list[str]:
    return re.findall(r"^\$\$\n(.*?)\n\$\$$", md, flags=re.S | re.M)


def table_rows(md: str) -> list[list[str]]:
    """The cells of every Markdown table row whose cells are all maths (worked-example tables)."""
    rows = []
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| $") else []
        if cells and all(c.startswith("$") and c.endswith("$") or c == "" for c in cells):
            rows.append([c[1:-1] for c in cells])
    return rows


class Oracle:
    """Meaning of every name and derivative in the notes, computed without derive's chain code."""

    def __init__(self, d):
        self.d, self.net = d, d.net
        self.table = SymbolTable(d.net)
        self.delta_of = {d.net.delta_symbol(n): n for n in d.net.delta_nodes}
        self.alpha = sp.Symbol("alpha")
        self.memo: dict = {}

    def dL(self, node: str) -> sp.Expr:
        """dL/d node in node symbols, by recursion over consumers and local derivatives."""
        net = self.net
        if node == net.loss:
            return sp.S.One
        if node not in self.memo:
            self.memo[node] = sp.Add(*[self.dL(c) * net.nodes[c].local_of(node) for c in net.consumers[node]])
        return self.memo[node]

    def name(self, nm) -> str:
        sym = self.table.find(nm)
        assert sym is not None, nm
        return sym.name

    def derivative(self, upper, args, lower):
        u, l = self.name(upper), self.name(lower)
        net = self.net
        if u == net.loss:
            if net.nodes[l].kind == "param":   # sympy.diff of the fully substituted loss
                g = self.d.direct.sympy_gradient(l)
                return g.xreplace({s: net.symbol(s.name) for s in g.free_symbols})
            return self.dL(l)
        return net.nodes[u].local_of(l)

    def resolve(self, nm):
        if nm.base == "alpha" and not nm.sub:
            return self.alpha
        return self.table(nm)

    def read(self, tex: str) -> sp.Expr:
        tex = re.sub(r"\\color\{[a-z]+\}", "", tex).replace(r"J(\theta)", "J")
        return parse(tex, self.resolve, mode="latex", derivative=self.derivative)

    def value(self, expr: sp.Expr, vals: dict, lr: float) -> float:
        def env(s):
            if s == self.alpha:
                return lr
            if s in self.delta_of:
                return evaluate(self.dL(self.delta_of[s]), vals.__getitem__, {})
            return vals[s]
        return evaluate(expr, env, {})


def check_equation(o: Oracle, eq: str, points: list[tuple[dict, float]], tol: float):
    parts = split_equalities(eq)
    assert len(parts) >= 2, eq
    first = parts[0]
    update = first.endswith("(t+1)")
    if update:
        p = o.read(first[: -len("(t+1)")])
        assert o.net.nodes[p.name].kind == "param"
    exprs = [o.read(x.replace("(t)", "")) for x in parts[1:]] if update else [o.read(x) for x in parts]
    for vals, lr in points:
        got = [o.value(e, vals, lr) for e in exprs]
        if update:
            g = o.d.direct.sympy_gradient(p.name)
            g = g.xreplace({s: o.net.symbol(s.name) for s in g.free_symbols})
            want = float(vals[p]) - lr * o.value(g, vals, lr)
        else:
            want = got[0]
        for x in got:
            assert abs(x - want) <= tol * max(1.0, abs(want)), (eq, got, want)


def check_batch_update(o: Oracle, cells: list[str], points):
    """``p(t+1) = p(t) - alpha dJ/dp = numbers = value`` with dJ/dp the mean over the examples."""
    p = o.read(cells[0][: -len("(t+1)")])
    g = o.d.direct.sympy_gradient(p.name)
    g = g.xreplace({s: o.net.symbol(s.name) for s in g.free_symbols})
    mean = sum(o.value(g, vals, lr) for vals, lr in points) / len(points)
    vals, lr = points[0]
    want = float(vals[p]) - lr * mean
    for x in cells[2:]:
        got = o.value(o.read(x), vals, lr)
        assert abs(got - want) <= 2e-5 * max(1.0, abs(want)), (cells, got, want)


def random_points(net, k=2):
    rng = random.Random(7)
    out = []
    for _ in range(k):
        pt = random_point(net, rng)
        out.append((forward_values(net, pt), rng.uniform(0.1, 1.0)))
    return out


def example_point(d):
    net = d.net
    params = start_values(net)
    v = net.spec.values
    lr = float(v.learning_rate) if v.learning_rate is not None else 0.1
    out = []
    for ins, ts in v.batch:
        leaves = {}
        for n in net.nodes.values():
            if n.kind == "param":
                leaves[n.symbol] = float(params[n.name])
            elif n.kind == "input":
                leaves[n.symbol] = float(ins[n.name])
            elif n.kind == "target":
                leaves[n.symbol] = float(ts[n.name])
        out.append((forward_values(net, leaves), lr))
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_display_equation_reads_back_equal_to_the_derivation(name):
    d, md = notes_md(name)
    o = Oracle(d)
    symbolic, _, example = md.partition("\n## Worked example\n")
    checked = 0
    for eq in display_equations(symbolic):
        if r"\mathbf" in eq or r"\boldsymbol" in eq or r"\sum" in eq:
            continue   # matrix form and the batch mean: checked against seed 003's formulas below
        check_equation(o, eq, random_points(d.net), 1e-9)
        checked += 1
    assert checked >= 6 * len(d.params)
    if d.net.spec.values is not None:
        rows = table_rows(example)
        assert len(rows) >= len(d.net.nodes) - len(d.net.spec.params)
        points = example_point(d)
        for cells in rows:
            if len(cells) == 2:                                         # a starting value
                check_equation(o, " = ".join(cells), points[:1], 1e-6)
            elif len(points) > 1 and cells[0].endswith("(t+1)"):        # one step with the batch mean
                check_batch_update(o, cells, points)
            elif len(points) > 1:                                       # one value per example
                cells = [c for c in cells if c]
                for k, point in enumerate(points):
                    check_equation(o, " = ".join(cells[:2] + [cells[2 + k]]), [point], 2e-5)
            else:
                check_equation(o, " = ".join(c for c in cells if c), points, 2e-5)


def test_seed001_worked_example_is_exact_q_8_l_9_over_2():
    d, md = notes_md("seed001")
    example = md.partition("\n## Worked example\n")[2]
    eqs = {r[0]: r[-1] for r in table_rows(example)}
    o = Oracle(d)
    assert o.read(eqs["Q"]) == 8
    assert o.read(eqs["L"]) == sp.Rational(9, 2)
    assert eqs["L"] == r"\frac{9}{2}"
    assert "4.5" not in example


def test_seed002_notes_contain_the_seed_delta_h_formula_for_w11():
    d, md = notes_md("seed002")
    block = md.split(r"### Parameter $w_{11}$")[1].split("### Parameter")[0]
    o = Oracle(d)
    S = {n: d.net.symbol(n) for n in ("x1", "w31", "w41", "z1", "y1", "y2", "yt1")}
    dy1, dy2, dz1 = (d.net.delta_symbol(n) for n in ("a2_1", "a2_2", "a1_1"))
    seed = {  # seed 002: delta_h = (delta_y1 w31 + delta_y2 w41) z1 (1 - z1); dE/dw11 = delta_h x1
        dz1: (dy1 * S["w31"] + dy2 * S["w41"]) * S["z1"] * (1 - S["z1"]),
        dy1: (S["y1"] - S["yt1"]) * S["y1"] * (1 - S["y1"]),
    }
    found = set()
    for eq in display_equations(block):
        parts = split_equalities(eq)
        lhs = o.read(parts[0]) if not parts[0].startswith(r"\frac") and "(t" not in parts[0] else None
        if lhs in seed:
            assert sp.expand(o.read(parts[-1]) - seed[lhs]) == 0
            found.add(lhs)
        if parts[0] == r"\frac{\partial \mathrm{error}}{\partial w_{11}}" and len(parts) == 3:
            assert sp.expand(o.read(parts[-1]) - dz1 * S["x1"]) == 0
            found.add("w11")
    assert found == {dz1, dy1, "w11"}
    assert r"\frac{\partial z_{1}}{\partial a^{(1)}_{1}} \frac{\partial a^{(1)}_{1}}{\partial w_{11}}" in block


@pytest.mark.parametrize("name, glyphs", [
    ("seed000", [r"J(\theta)", r"\theta^{(1)}_{11}", r"a^{(2)}_{1}", r"{\color{blue}", r"{\color{orange}"]),
    ("seed001", [r"W_{1}", r"\frac{\partial L}{\partial Q}"]),
    ("seed002", [r"w_{31}", r"\mathrm{error}", r"\delta_{y_{1}}", r"\delta_{z_{1}}", "z_{1} \\left(1 - z_{1}\\right)"]),
    ("seed003", [r"W^{(1)}_{11}", r"b^{(2)}_{1}", r"\delta^{(2)}_{1}",
                 r"\mathbf{W}^{(2)} = \mathbf{W}^{(2)} - \alpha \frac{\partial J}{\partial \mathbf{W}^{(2)}}",
                 r"\mathbf{b}^{(2)} = \mathbf{b}^{(2)} - \alpha \frac{\partial J}{\partial \mathbf{b}^{(2)}}",
                 r"\boldsymbol{\delta}^{(1)} = \left(\mathbf{W}^{(2)\top} \boldsymbol{\delta}^{(2)}\right)"
                 r" \odot \sigma'\left(\mathbf{z}^{(1)}\right)",
                 r"\frac{\partial J}{\partial \mathbf{W}^{(1)}} = \boldsymbol{\delta}^{(1)} \mathbf{x}^{\top}"]),
    ("seed004", [r"\mathrm{Error}", r"V_{1}", r"W_{1}", r"H_{1}"]),
])
def test_notes_read_in_the_seed_notation(name, glyphs):
    _, md = notes_md(name)
    for g in glyphs:
        assert g in md, g


def test_languages_change_prose_not_maths():
    _, en = notes_md("seed002", "en")
    _, ko = notes_md("seed002", "ko")
    _, ja = notes_md("seed002", "ja")
    assert display_equations(en) == display_equations(ko) == display_equations(ja)
    assert "순방향 전파" in ko and "順伝播" in ja and "Forward pass" in en
    assert "Forward pass" not in ko


HOSTILE = [r"\input{/etc/passwd}", "</script><script>alert(1)</script>", "$x$ & # % _ ^ ~ {}"]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_come_out_escaped(title):
    spec = from_dict({"name": title, "inputs": 1, "layers": [{"units": 1, "activation": "sigmoid"}]})
    d = derive.derive(derive.Network(spec))
    n = notes_mod.build(d)
    tex = render.render(n, d.net, "tex", "en")
    html = render.render(n, d.net, "html", "en")
    md = render.render(n, d.net, "md", "en")
    assert r"\input{" not in tex and r"\textbackslash{}input\{/etc/passwd\}" in tex or r"\input" not in title
    assert "<script>" not in html and "<script>" not in md
    assert "&lt;/script&gt;" in html or "<" not in title
    assert r"\$x\$ \& \# \% \_ \^{} \textasciitilde{} \{\}" in tex or "$x$" not in title


@pytest.mark.parametrize("bad", ["</script>", r"\input", "x y"])
def test_hostile_names_are_refused_at_loading(bad):
    with pytest.raises(SpecError):
        from_dict({"inputs": [bad], "layers": [{"units": 1, "activation": "sigmoid"}]})


def test_writes_are_atomic_and_never_outside_the_output_dir(tmp_path):
    with pytest.raises(DeriveError):
        render.write_atomic(tmp_path / "out", "../escape.txt", "x")
    assert not (tmp_path / "escape.txt").exists()
    p = render.write_atomic(tmp_path / "out", "a/b.txt", "hello")
    assert p.read_text() == "hello" and [f.name for f in p.parent.iterdir()] == ["b.txt"]


def test_cli_writes_the_requested_notes(tmp_path, capsys):
    assert main(["notes", "seed001", "--format", "md,html", "--lang", "ko", "--out", str(tmp_path)]) == 0
    files = sorted(f.name for f in (tmp_path / "seed001").iterdir())
    assert files == ["diagram.svg", "notes.ko.html", "notes.ko.md", "paths-W1.svg", "paths-W2.svg", "paths-W3.svg"]
    assert main(["notes", "seed001", "--lang", "xx", "--out", str(tmp_path)]) == 2
    assert main(["notes", "seed001", "--param", "nope", "--out", str(tmp_path)]) == 2
    assert "derive: error" in capsys.readouterr().err


def test_param_selects_parameters_and_notation_overrides_the_preset(tmp_path):
    assert main(["notes", "seed002", "--format", "md", "--param", "w31", "--notation", "theta",
                 "--out", str(tmp_path)]) == 0
    md = next(tmp_path.rglob("notes.en.md")).read_text()
    assert md.count("### Parameter") == 1 and r"\frac{\partial J(\theta)}{\partial w_{31}}" in md


def _uncoloured(latex: str) -> str:
    """``latex`` without its colour groups and spaces, for comparing line-broken equations."""
    while r"{\color{" in latex:
        i = latex.index(r"{\color{")
        j = latex.index("}", i + 8) + 1
        depth, k = 1, j
        while depth:
            depth += {"{": 1, "}": -1}.get(latex[k], 0)
            k += 1
        latex = latex[:i] + latex[j:k - 1] + latex[k:]
    return re.sub(r"\s+", "", latex)


def _joined_tex(body: str) -> str:
    return _uncoloured(re.sub(r"\\\\\n|&|\\q?quad", " ", body))


@pytest.mark.parametrize("name", ["seed000", "seed001", "seed003"])
def test_tex_and_html_show_the_same_equations_as_markdown(name):
    d, md = notes_md(name, "ko")
    n = _NOTES[name][1]
    tex = render.render(n, d.net, "tex", "ko")
    html = render.render(n, d.net, "html", "ko")
    in_md = [_uncoloured(e) for e in display_equations(md)]
    in_tex = [_joined_tex(body) for body in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", tex, flags=re.S)]
    grids = [_uncoloured(e.latex) for p in n.params for e in p.locals]
    # every Markdown equation is in the LaTeX (locals two to a row, direct derivatives in the appendix)
    flat = "".join(in_tex)
    direct = {_uncoloured(p.direct.latex) for p in n.params}      # in the appendix, set as a paragraph
    for e in in_md:
        assert e in flat or e in grids or e in direct, e
    assert tex.count(r"\(\displaystyle ") >= len(n.params)
    assert any(len(re.findall(r"\\\\\n", b)) >= 2 for b in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", tex, flags=re.S)) or name == "seed001"
    assert html.count('<div class="eq') == sum(1 for e in display_equations(md)) - sum(len(p.locals) for p in n.params) * 0
