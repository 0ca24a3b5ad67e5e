"""The network diagram, drawn as SVG (HTML, Markdown) or TikZ (LaTeX), with a parameter's paths lit.

One layout (``diagram_layout``) serves both: columns of nodes, each edge's weight label placed clear
of the other labels and nodes.  For a parameter, each of its paths to the loss is drawn in that path's
colour (the colour of its term in the equations) with arrowheads, the rest faded.
"""
from __future__ import annotations

from xml.sax.saxutils import escape as xml_escape

from ..model.graph import Network
from .diagram_layout import BIAS, ROW_GAP, Layout, flat, layout, node_latex
from .diagram_layout import R, text_width  # noqa: F401  (node sizes, read through diagram by its callers)
from .eqs import COLOUR_HEX

FADED = "#b8b8b8"


def lit_edges(net: Network, block) -> dict[tuple[str, str], list[str]]:
    """(src, dst) -> the colours of the parameter's paths that run along that edge, in path order."""
    lit: dict[tuple[str, str], list[str]] = {}
    if block is None:
        return lit
    spec = net.spec
    src_of = {}
    if spec.layered:
        prev = list(spec.inputs)
        for k, layer in enumerate(spec.layers):
            for u, row, b in zip(layer.units, layer.weights, layer.biases):
                src_of.update({w: (a, u) for a, w in zip(prev, row)})
                if b:
                    src_of.setdefault(b, (f"{BIAS}#{k}", u))
            prev = list(layer.units)
    unit_of = {}
    for layer in spec.layers:
        unit_of.update(dict(zip(layer.pres, layer.units)))
    for pb in block.paths:
        colour = pb.colour or "blue"
        names = [unit_of.get(n, n) for n in pb.names]
        if names[0] in src_of:                 # a weight is the edge it sits on
            a, u = src_of[names[0]]
            names = [a, u] + names[1:]
        seq = [n for k, n in enumerate(names) if k == 0 or n != names[k - 1]]
        for e in zip(seq, seq[1:]):
            lit.setdefault(e, [])
            if colour not in lit[e]:
                lit[e].append(colour)
    return lit


def _svg_text(latex: str) -> str:
    base, sub, sup = flat(latex)
    out = xml_escape(base)
    if sub:
        out += '<tspan baseline-shift="sub" font-size="70%%">%s</tspan>' % xml_escape(sub)
    if sup:
        dx = ' dx="-%.2fem"' % (0.39 * len(sub)) if sub else ""
        out += '<tspan baseline-shift="super" font-size="70%%"%s>%s</tspan>' % (dx, xml_escape(sup))
    return out


def _ends(lay: Layout, a: str, b: str, shift: float = 0.0):
    (x1, y1), (x2, y2) = lay.pos[a], lay.pos[b]
    dx, dy = x2 - x1, y2 - y1
    d = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / d, dy / d
    ox, oy = -uy * shift, ux * shift
    ra, rb = lay.radius[a], lay.radius[b] + 2
    return x1 + ux * ra + ox, y1 + uy * ra + oy, x2 - ux * rb + ox, y2 - uy * rb + oy


def svg(net: Network, block=None) -> str:
    """The diagram as a standalone SVG (no scripts, no external references); ``block`` lights a
    parameter's paths (a ``ParamBlock``), each in its colour, the other edges faded.  A layered network
    with a layer past ``blocks.WIDE`` units is drawn as blocks, one a layer."""
    from . import blocks
    if blocks.wide(net):
        return blocks.svg(net, block)
    lay = layout(net)
    lit = lit_edges(net, block)
    colours = [COLOUR_HEX[c] for c in sorted({c for cs in lit.values() for c in cs})] + ["#555", FADED]
    title = net.spec.name + (f": {block.name}" if block is not None else "")
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="serif" font-size="16" role="img" class="diagram">'
           % (lay.width, lay.height, lay.width, lay.height),
           '<title>%s</title>' % xml_escape(title), "<defs>"]
    for k, c in enumerate(colours):
        size = 9 if k < len(colours) - 2 else 7           # lit paths a little larger than the rest
        out.append('<marker id="arrow%d" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" '
                   'markerWidth="%d" markerHeight="%d" orient="auto-start-reverse">'
                   '<path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>' % (k, size, size, c))
    out.append("</defs>")
    marker = {c: "url(#arrow%d)" % k for k, c in enumerate(colours)}
    dim = block is not None
    for e in lay.edges:
        cs = lit.get((e.src, e.dst), [])
        if not cs:
            c = FADED if dim else "#555"
            out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" '
                       'marker-end="%s"/>' % (*_ends(lay, e.src, e.dst), c, marker[c]))
        for k, c in enumerate(cs):
            shift = (k - (len(cs) - 1) / 2) * 3.2
            out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.6" '
                       'marker-end="%s" class="path" data-colour="%s"/>'
                       % (*_ends(lay, e.src, e.dst, shift), COLOUR_HEX[c], marker[COLOUR_HEX[c]], c))
    for e in lay.edges:
        if e.label:
            c = "#666" if dim and (e.src, e.dst) not in lit else "#222"
            out.append('<text x="%.1f" y="%.1f" font-size="13" fill="%s" text-anchor="middle" '
                       'stroke="white" stroke-width="3" paint-order="stroke">%s</text>'
                       % (e.at[0], e.at[1] + 4, c, _svg_text(net.latex_names[net.symbol(e.label)])))
    on_path = {n for pair in lit for n in pair}
    for name, (x, y) in lay.pos.items():
        kind = "bias" if name.startswith(BIAS + "#") else net.nodes[name].kind
        fill = {"input": "#e8f0fe", "param": "#fff4e0", "loss": "#fde8e8", "bias": "#f2f2f2"}.get(kind, "#eef7ee")
        stroke = "#333" if not dim or name in on_path else "#aaa"
        out.append('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" stroke="%s"/>'
                   % (x, y, lay.radius[name], fill, stroke))
        out.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-style="italic">%s</text>'
                   % (x, y + 5, _svg_text(node_latex(net, name))))
    for last, extra in lay.hidden:
        x, y = lay.pos[last]
        out.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13">⋮ +%d</text>'
                   % (x, y + ROW_GAP * 0.75, extra))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def tikz(net: Network, block=None, scale: float = 1 / 62) -> str:
    """The diagram as a tikzpicture in the notation's LaTeX, ``block``'s paths lit as in :func:`svg`."""
    from . import blocks
    if blocks.wide(net):
        return blocks.tikz(net, block, scale)
    lay = layout(net)
    lit = lit_edges(net, block)
    ids = {n: "n%d" % k for k, n in enumerate(lay.pos)}
    dim = block is not None
    lines = [r"\begin{tikzpicture}[>=stealth, every node/.style={circle, draw, inner sep=1pt}]"]
    for name, (x, y) in lay.pos.items():
        size = 2 * lay.radius[name] * scale
        col = ", draw=black!35" if dim and name not in {n for p in lit for n in p} else ""
        lines.append(r"  \node[minimum size=%.2fcm%s] (%s) at (%.2f, %.2f) {$%s$};"
                     % (size, col, ids[name], x * scale, -y * scale, node_latex(net, name)))
    for e in lay.edges:
        cs = lit.get((e.src, e.dst), [])
        lab = ""
        if e.label:
            t = (e.at[0] - lay.pos[e.src][0]) / ((lay.pos[e.dst][0] - lay.pos[e.src][0]) or 1)
            lab = (r" node[pos=%.2f, draw=none, fill=white, inner sep=0.5pt, font=\scriptsize] {$%s$}"
                   % (t, net.latex_names[net.symbol(e.label)]))
        if not cs:
            style = "->, black!30" if dim else "->, black!70"
            lines.append(r"  \draw[%s] (%s) --%s (%s);" % (style, ids[e.src], lab, ids[e.dst]))
        for k, c in enumerate(cs):
            shift = (k - (len(cs) - 1) / 2) * 0.06
            lines.append(r"  \draw[->, %s, line width=1.1pt, transform canvas={yshift=%.2fcm}] (%s) -- (%s);"
                         % (c, shift, ids[e.src], ids[e.dst]))
            if lab and k == len(cs) - 1:
                lines.append(r"  \path (%s) --%s (%s);" % (ids[e.src], lab, ids[e.dst]))
    for last, extra in lay.hidden:
        x, y = lay.pos[last]
        lines.append(r"  \node[draw=none] at (%.2f, %.2f) {$\vdots$ +%d};"
                     % (x * scale, -(y + ROW_GAP * 0.75) * scale, extra))
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
