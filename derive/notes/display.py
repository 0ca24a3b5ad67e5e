"""Rich display: HTML (and LaTeX) for Jupyter of networks, derivations, gradients, proofs, verdicts
and grade reports, and MathML for the web page.  Maths is MathML from latex2mathml: no network needed.

The lower stages' ``_repr_*`` methods draw through the registry ``derive.jupyter``, which this module
fills when it is imported (the package imports it on the first display), so no stage imports a higher
one.  Every equation shown comes from the derivation, the same data the notes print (``content``); the
sentences are the notes' English prose.
"""
from __future__ import annotations

from html import escape
from weakref import WeakKeyDictionary

from .. import jupyter
from ..errors import DeriveError

PROVE_UP_TO = 64        # a Derivation proves its gradients when shown if it has at most this many
ROWS_SHOWN = 50         # rows of a grade report shown in a notebook
STYLE = ("<style>.derive-display table{border-collapse:collapse;margin:.4em 0}"
         ".derive-display td,.derive-display th{border:1px solid #ccc;padding:.15em .5em;text-align:left}"
         ".derive-display .ok{color:#176b2c;font-weight:bold}.derive-display .bad{color:#b3261e;font-weight:bold}"
         ".derive-display svg{max-width:100%;height:auto}.derive-display div.eq{margin:.45em 0}</style>")
_DERIVATIONS: WeakKeyDictionary = WeakKeyDictionary()     # network -> the Derivation last shown for it


def mathml(latex: str, display: str = "inline") -> str:
    """LaTeX as a MathML element, kept to the MathML allowlist (DeriveError when it cannot be read)."""
    from .sanitize import to_mathml
    return to_mathml(latex, display)


def _box(*parts: str) -> str:
    return STYLE + '<div class="derive-display">' + "\n".join(parts) + "</div>"


def _fmt():
    from .render import _Format
    return _Format("html", "en")


def _derivation(net):
    from ..derivation.derivation import Derivation
    if net not in _DERIVATIONS:
        _DERIVATIONS[net] = Derivation(net)
    return _DERIVATIONS[net]


# -- one function per object ---------------------------------------------------------------------

def network_html(net) -> str:
    """The diagram and the table of symbols (every node and delta, in the notation's glyphs)."""
    from . import content, diagram
    d = _derivation(net)
    f = _fmt()
    rows = "".join(f"<tr><td>{f.math(r.symbol)}</td><td>{f.t(r.key, **r.args)}</td></tr>"
                   for r in content._symbols(d, list(d.deltas)))
    return _box(f"<h3>{escape(net.spec.name)}</h3>", f'<div class="diagram">{diagram.svg(net)}</div>',
                f"<table><tr><th>{f.t('symbol')}</th><th>{f.t('meaning')}</th></tr>{rows}</table>")


def derivation_html(d) -> str:
    """The verify table (parameter, paths, delta form, proven) and every delta, defined once."""
    from .eqs import tex          # the notes' order of terms
    _DERIVATIONS[d.net] = d
    net = d.net
    if len(d.params) <= PROVE_UP_TO:
        d.prove(progress=False)
    rows = []
    for p in d.params:
        g = d.gradient(p)
        proof = d.proofs.get(p)
        state = (('<span class="ok">yes</span>' if proof.proven else '<span class="bad">NO</span>')
                 + f" ({escape(proof.how)})") if proof else "not yet (call .prove())"
        rows.append(f"<tr><td>{mathml(tex(net, g.symbol))}</td><td>{g.path_count}</td>"
                    f"<td>{mathml(tex(net, g.delta_form))}</td><td>{state}</td></tr>")
    proven = sum(1 for p in d.params if p in d.proofs and d.proofs[p].proven)
    deltas = "".join(mathml(f"{tex(net, x.symbol)} = {tex(net, x.expr)}", "block") for x in d.deltas.values())
    return _box(f"<h3>{escape(net.spec.name)}</h3>",
                "<table><tr><th>parameter</th><th>paths</th><th>chain rule (delta form)</th><th>proven</th></tr>"
                + "".join(rows) + "</table>",
                f"<p>deltas (each computed once, reused by every parameter below it):</p>{deltas}",
                f"<p>{proven} of {len(d.params)} gradients proven equal (chain rule == direct differentiation)</p>")


def gradient_html(g) -> str:
    """One parameter as the notes show it: chain rule, coloured path terms, deltas, result, proof."""
    from . import content
    d = _derivation(g.net)
    b = content._param_block(d, g.param)
    f = _fmt()
    out = [f"<h3>{f.t('param', p=content.M(b.symbol))}</h3>", f"<p>{f.t('chain')}</p>", f.display(b.chain)]
    if len(b.paths) == 1:
        out += [f"<p>{f.t('one_path', p=content.M(b.symbol), nodes=content.M(b.paths[0].nodes))}</p>",
                f.display(b.paths[0].eq)]
    elif b.paths:
        out.append(f"<p>{f.t('many_paths', p=content.M(b.symbol), n=b.path_count)}</p>")
        for pb in b.paths:
            colour = f.t("path_colour_%d" % content.COLOURS.index(pb.colour))
            out += [f"<p>{f.t('path', k=pb.k, colour=colour, nodes=content.M(pb.nodes))}</p>", f.display(pb.eq)]
        out += [f"<p>{f.t('sum')}</p>", f.display(b.path_sum)]
    else:
        out.append(f"<p>{f.t('too_many_paths', p=content.M(b.symbol), n=b.path_count)}</p>")
    if b.locals:
        out += [f"<p>{f.t('locals')}</p>"] + [f.display(e) for e in b.locals]
    out += [f"<p>{f.t('delta_form')}</p>", f.display(b.delta_form)]
    if b.delta_defs:
        out += [f"<p>{f.t('delta_defs')}</p>"] + [f.display(e) for e in b.delta_defs]
    out += [f"<p>{f.t('result')}</p>", f.display(b.result)]
    line = f.t("proven", points=b.points, err=content.M(b.error)) if b.proven else f.t("not_proven")
    out.append(f'<p class="{"ok" if b.proven else "bad"}">{line}</p>')
    return _box(*out)


def gradient_latex(g) -> str:
    """dL/dparam = its delta form, with every delta it needs (for LaTeX/PDF export)."""
    from . import content
    d = _derivation(g.net)
    b = content._param_block(d, g.param)
    lines = [b.delta_form.latex] + [e.latex for e in b.delta_defs]
    return "$$\\begin{aligned}" + r" \\ ".join(l.replace(" = ", " &= ", 1) for l in lines) + r"\end{aligned}$$"


def proof_html(p) -> str:
    verdict = '<span class="ok">proven</span>' if p.proven else '<span class="bad">not proven</span>'
    return _box(f"<p>dL/d{escape(p.param)}: {verdict} ({escape(p.how)}): chain rule and direct differentiation are "
                f"{'the same function' if p.proven else 'not shown equal'}; "
                f"largest relative difference at {p.points} random points: {p.numeric_max_error:.3g} "
                f"({p.seconds:.3f} s)</p>")


def verdict_html(v) -> str:
    """The verdict, what was understood, the diagnosis and the counterexample."""
    head = '<span class="ok">✓ correct</span>' if v.correct else '<span class="bad">✗ incorrect</span>'
    names = (v.counterexample or {}).get("symbols", {})
    tex = v.symbol or names.get(v.param)
    param = _maybe_mathml(tex) if tex else escape(v.param)
    out = [f"<p><b>gradient of {param}</b>: {head} (decided {escape(v.method)})</p>",
           f"<p>understood: {_maybe_mathml(v.parsed)}</p>"]
    if not v.correct:
        out.append(f"<p>expected: {_maybe_mathml(v.expected)}</p>")
        items = "".join(f"<li>{prose(m.message)}</li>" for m in v.diagnosis) or "<li>no usual mistake matches</li>"
        out.append(f"<ul>{items}</ul>")
    if v.counterexample:
        c = v.counterexample
        cells = "".join(f"<tr><td>{_maybe_mathml(names[k]) if k in names else escape(k)}</td>"
                        f"<td>{c['point'][k]:g}</td></tr>" for k in c["leaves"] if k in c["point"])
        out.append(f"<p>counterexample: expected {c['expected']:.6g}, given {c['given']:.6g} at</p>"
                   f"<table><tr><th>symbol</th><th>value</th></tr>{cells}</table>")
    return _box(*out)


def prose(text: str) -> str:
    """A sentence with ``$...$`` maths (a diagnosis) as HTML: the maths as MathML, the rest escaped."""
    parts = text.split("$")
    if len(parts) % 2 == 0:                 # an unpaired $: no maths to trust
        return escape(text)
    return "".join(_maybe_mathml(p) if i % 2 else escape(p) for i, p in enumerate(parts))


def _maybe_mathml(latex: str) -> str:
    try:
        return mathml(latex)
    except DeriveError:
        return f"<code>{escape(latex)}</code>"


def grade_html(r) -> str:
    """The summary of a graded class and its first rows."""
    s = r.summary()
    counts = "".join(f"<tr><td>{k}</td><td>{s[k]}</td></tr>" for k in ("correct", "incorrect", "unanswered",
                                                                        "unusable", "timeout", "error"))
    common = "".join(f"<li>{prose(m)} ({n})</li>" for m, n in s["common_diagnoses"])
    rows = "".join(f"<tr><td>{escape(x.id)}</td><td>{escape(x.param)}</td><td><code>{escape(x.answer)}</code></td>"
                   f"<td>{x.status}</td><td>{prose('; '.join(x.diagnosis)) if x.diagnosis else escape(x.error)}</td></tr>"
                   for x in r.rows[:ROWS_SHOWN])
    more = f"<p>… and {len(r.rows) - ROWS_SHOWN} more rows</p>" if len(r.rows) > ROWS_SHOWN else ""
    return _box(f"<h3>{escape(r.spec)}: {s['answers']} answers graded in {s['seconds']} s</h3>",
                f"<table>{counts}</table>", f"<ol>{common}</ol>" if common else "",
                "<table><tr><th>id</th><th>param</th><th>answer</th><th>status</th><th>diagnosis</th></tr>"
                + rows + "</table>" + more)


_HTML = {"Network": network_html, "Derivation": derivation_html, "Gradient": gradient_html, "Proof": proof_html,
         "Verdict": verdict_html, "GradeReport": grade_html}


def html(obj) -> str:
    """The HTML display of any object derive gives (the ``_repr_html_`` methods call this)."""
    return _HTML[type(obj).__name__](obj)


# The lower stages' ``_repr_html_`` / ``_repr_latex_`` reach these through derive.jupyter's registry.
for _name, _draw in _HTML.items():
    jupyter.register("html", _name, _draw)
jupyter.register("latex", "Gradient", gradient_latex)
