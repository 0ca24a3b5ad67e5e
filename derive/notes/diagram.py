"""The network diagram: node columns and edges, drawn as SVG (HTML, Markdown) or TikZ (LaTeX)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape

from ..model.graph import Network

MAX_SHOWN = 8          # nodes drawn per column; the rest are elided with a vertical ellipsis
COL_GAP, ROW_GAP, R = 140, 64, 22
_GREEK_UNICODE = dict(zip(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ"))


@dataclass(frozen=True)
class Layout:
    columns: tuple[tuple[str, ...], ...]     # node names per column (already elided)
    hidden: tuple[int, ...]                  # nodes left out per column
    edges: tuple[tuple[str, str, str | None], ...]   # (from, to, label node or None)


def layout(net: Network) -> Layout:
    """Columns: leaves, then each layer's units (or each graph depth), then the loss."""
    if net.spec.layered:
        cols = [list(net.spec.inputs)] + [list(L.units) for L in net.spec.layers]
        edges = []
        prev = list(net.spec.inputs)
        for L in net.spec.layers:
            for u, row in zip(L.units, L.weights):
                edges += [(a, u, w) for a, w in zip(prev, row)]
            prev = list(L.units)
    else:
        depth: dict[str, int] = {}
        edges = []
        for n in net.nodes.values():
            if n.kind in ("input", "param"):
                depth[n.name] = 0
            elif n.kind == "node":
                depth[n.name] = 1 + max(depth[i] for i in n.inputs)
                edges += [(i, n.name, None) for i in n.inputs]
        cols = [[n for n, d in depth.items() if d == k] for k in range(max(depth.values()) + 1)]
    cols.append([net.loss])
    edges += [(y, net.loss, None) for y in net.spec.outputs]
    shown, hidden = [], []
    for c in cols:
        shown.append(tuple(c[:MAX_SHOWN]))
        hidden.append(max(0, len(c) - MAX_SHOWN))
    visible = {n for c in shown for n in c}
    edges = [e for e in edges if e[0] in visible and e[1] in visible]
    if len(edges) > 24:                       # too many to label legibly
        edges = [(a, b, None) for a, b, _ in edges]
    return Layout(tuple(shown), tuple(hidden), tuple(edges))


def _positions(lay: Layout) -> dict[str, tuple[float, float]]:
    tallest = max(len(c) + (1 if h else 0) for c, h in zip(lay.columns, lay.hidden))
    pos = {}
    for x, col in enumerate(lay.columns):
        offset = (tallest - len(col)) * ROW_GAP / 2
        for y, name in enumerate(col):
            pos[name] = (60 + x * COL_GAP, 40 + offset + y * ROW_GAP)
    return pos


def _svg_text(latex: str) -> str:
    """A symbol's LaTeX (w_{31}, a^{(1)}_{1}, \\mathrm{error}, \\theta^{(1)}_{11}) as SVG tspans."""
    s = re.sub(r"\\mathrm\{([^{}]*)\}", r"\1", latex)
    s = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK_UNICODE.get(m.group(1), m.group(1)), s)
    s = s.replace(r"\left", "").replace(r"\right", "")
    m = re.fullmatch(r"([^_^]*)(?:\^\{(.*?)\})?(?:_\{(.*)\})?(?:\^\{(.*?)\})?", s)
    if not m:
        return xml_escape(re.sub(r"[{}_^]", "", s))
    base, sup1, sub, sup2 = m.groups()
    out = xml_escape(base)
    flat = lambda t: xml_escape(re.sub(r"[{}_^]", "", t))  # noqa: E731
    if sub:
        out += '<tspan baseline-shift="sub" font-size="70%%">%s</tspan>' % flat(sub)
    if sup1 or sup2:
        dx = ' dx="-%.1fem"' % (0.45 * len(flat(sub))) if sub else ""
        out += '<tspan baseline-shift="super" font-size="70%%"%s>%s</tspan>' % (dx, flat(sup1 or sup2))
    return out


def svg(net: Network) -> str:
    """The diagram as a standalone SVG element (no scripts, no external references)."""
    lay = layout(net)
    pos = _positions(lay)
    names = net.latex_names
    width = 120 + (len(lay.columns) - 1) * COL_GAP
    height = 80 + max(y for _, y in pos.values()) + (ROW_GAP if any(lay.hidden) else 0)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="serif" font-size="16" role="img">' % (width, height, width, height),
           '<title>%s</title>' % xml_escape(net.spec.name)]
    for a, b, label in lay.edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#777" stroke-width="1.2"/>'
                   % (x1 + R, y1, x2 - R, y2))
        if label:
            lx, ly = x1 + R + (x2 - x1 - 2 * R) * 0.3, y1 + (y2 - y1) * 0.3 - 4
            out.append('<text x="%.1f" y="%.1f" font-size="11" fill="#555" text-anchor="middle">%s</text>'
                       % (lx, ly, _svg_text(names[net.symbol(label)])))
    for name, (x, y) in pos.items():
        kind = net.nodes[name].kind
        fill = {"input": "#e8f0fe", "param": "#fff4e0", "loss": "#fde8e8"}.get(kind, "#eef7ee")
        out.append('<circle cx="%.1f" cy="%.1f" r="%d" fill="%s" stroke="#333"/>' % (x, y, R, fill))
        out.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-style="italic">%s</text>'
                   % (x, y + 5, _svg_text(names[net.symbol(name)])))
    for col, extra in zip(lay.columns, lay.hidden):
        if extra:
            x, y = pos[col[-1]]
            out.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13">⋮ +%d</text>'
                       % (x, y + ROW_GAP * 0.8, extra))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def tikz(net: Network) -> str:
    """The diagram as a tikzpicture (node labels in the notation's LaTeX)."""
    lay = layout(net)
    pos = _positions(lay)
    names = net.latex_names
    ids = {n: "n%d" % k for k, n in enumerate(pos)}
    scale = 1 / 60
    lines = [r"\begin{tikzpicture}[every node/.style={circle, draw, minimum size=9mm, inner sep=1pt}]"]
    for name, (x, y) in pos.items():
        lines.append(r"  \node (%s) at (%.2f, %.2f) {$%s$};" % (ids[name], x * scale, -y * scale,
                                                             names[net.symbol(name)]))
    for a, b, label in lay.edges:
        lab = (r" node[pos=0.3, above, draw=none, font=\scriptsize] {$%s$}" % names[net.symbol(label)]
               if label else "")
        lines.append(r"  \draw[->] (%s) --%s (%s);" % (ids[a], lab, ids[b]))
    for col, extra in zip(lay.columns, lay.hidden):
        if extra:
            x, y = pos[col[-1]]
            lines.append(r"  \node[draw=none] at (%.2f, %.2f) {$\vdots$ +%d};"
                         % (x * scale, -(y + ROW_GAP * 0.8) * scale, extra))
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
