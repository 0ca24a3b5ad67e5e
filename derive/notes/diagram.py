"""The network diagram, drawn as SVG (HTML, Markdown) or TikZ (LaTeX), with a parameter's paths lit.

One layout serves both: columns of nodes (inputs with a bias node ``1`` below them, each layer's
units, the loss), or a computation graph's nodes by depth.  Each edge carries its weight's label
at the first spot along it whose box overlaps no other label and no node, away from crossing
lines where it can be; each node is wide
enough for its own text.  For a parameter, each of its paths to the loss is drawn in that path's
colour (the colour of its term in the equations) with arrowheads, the rest faded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape

from ..model.graph import Network
from .eqs import COLOUR_HEX

MAX_SHOWN = 8          # nodes drawn per column; the rest are elided with a vertical ellipsis
MAX_LABELS = 64        # edges labelled at most (more cannot be read)
ROW_GAP, R, PAD = 76, 21, 30
WIDEST_GAP = 300       # columns spread up to this far apart to keep labels off crossing lines
BIAS = "1"             # the bias node's name and text
_GREEK_UNICODE = dict(zip(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ"))
FADED = "#b8b8b8"


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, o: "Box") -> bool:
        return self.x0 < o.x1 and o.x0 < self.x1 and self.y0 < o.y1 and o.y0 < self.y1


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str | None          # the weight's name, or None
    at: tuple[float, float] | None = None    # the label's centre
    box: Box | None = None
    crossed: bool = False      # another edge runs through the label's spot (avoided where possible)


@dataclass(frozen=True)
class Layout:
    pos: dict                  # node -> (x, y)
    radius: dict               # node -> circle radius (fits its text)
    edges: tuple[Edge, ...]
    hidden: tuple[tuple[str, int], ...]     # (last shown node of a column, nodes left out)
    width: float
    height: float

    def node_box(self, name: str) -> Box:
        (x, y), r = self.pos[name], self.radius[name]
        return Box(x - r, y - r, x + r, y + r)


def _flat(latex: str) -> tuple[str, str, str]:
    """(base, subscript, superscript) of a symbol's LaTeX, as plain text with Greek letters."""
    s = re.sub(r"\\mathrm\{([^{}]*)\}", r"\1", latex)
    s = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK_UNICODE.get(m.group(1), m.group(1)), s)
    s = s.replace("left", "").replace("right", "")
    m = re.fullmatch(r"([^_^]*)(?:\^\{(.*?)\})?(?:_\{(.*)\})?(?:\^\{(.*?)\})?", s)
    if not m:
        return re.sub(r"[{}_^]", "", s), "", ""
    base, sup1, sub, sup2 = m.groups()
    clean = lambda t: re.sub(r"[{}_^]", "", t or "")  # noqa: E731
    return clean(base), clean(sub), clean(sup1 or sup2)


def text_width(latex: str, size: float = 16) -> float:
    """Width of a symbol's text in px (serif italic: ~0.55 em a letter, scripts at 70%)."""
    base, sub, sup = _flat(latex)
    return size * (0.58 * len(base) + 0.7 * 0.55 * max(len(sub), len(sup)))


def _columns(net: Network):
    spec = net.spec
    edges: list[tuple[str, str, str | None]] = []
    if spec.layered:
        cols = [list(spec.inputs)]
        prev = list(spec.inputs)
        for k, layer in enumerate(spec.layers):
            if any(layer.biases):
                cols[-1].append(f"{BIAS}#{k}")
                edges += [(f"{BIAS}#{k}", u, b) for u, b in zip(layer.units, layer.biases) if b]
            for u, row in zip(layer.units, layer.weights):
                edges += [(a, u, w) for a, w in zip(prev, row)]
            cols.append(list(layer.units))
            prev = list(layer.units)
    else:
        depth: dict[str, int] = {}
        for n in net.nodes.values():
            if n.kind in ("input", "param"):
                depth[n.name] = 0
            elif n.kind == "node":
                depth[n.name] = 1 + max(depth[i] for i in n.inputs)
                edges += [(i, n.name, None) for i in n.inputs]
        cols = [[n for n, d in depth.items() if d == k] for k in range(max(depth.values()) + 1)]
    cols.append([net.loss])
    edges += [(y, net.loss, None) for y in spec.outputs]
    return cols, edges


def node_latex(net: Network, name: str) -> str:
    return "1" if name.startswith(BIAS + "#") else net.latex_names[net.symbol(name)]


def layout(net: Network) -> Layout:
    """Positions, radii and label spots; the column gap widens until every label has a free spot."""
    cols, edges = _columns(net)
    shown, hidden = [], []
    for c in cols:
        shown.append(c[:MAX_SHOWN])
        if len(c) > MAX_SHOWN:
            hidden.append((c[MAX_SHOWN - 1], len(c) - MAX_SHOWN))
    visible = {n for c in shown for n in c}
    edges = [e for e in edges if e[0] in visible and e[1] in visible]
    if len(edges) > MAX_LABELS:
        edges = [(a, b, None) for a, b, _ in edges]
    radius = {n: max(R, text_width(node_latex(net, n)) / 2 + 6) for n in visible}
    tallest = max(len(c) + (1 if any(h[0] == c[-1] for h in hidden) else 0) for c in shown)
    gap, best = 220, None
    for _ in range(12):
        pos = {}
        for x, col in enumerate(shown):
            offset = (tallest - len(col)) * ROW_GAP / 2
            for y, name in enumerate(col):
                pos[name] = (PAD + 20 + x * gap, PAD + 10 + offset + y * ROW_GAP)
        placed = _place_labels(net, pos, radius, edges)
        if placed is not None:
            on_crossings = sum(1 for e in placed if e.label and e.crossed)
            if best is None or on_crossings < best[0]:
                best = (on_crossings, gap, placed, pos)
            if on_crossings == 0 or gap >= WIDEST_GAP:
                break
        gap += 40
    if best is None:
        placed = [Edge(a, b, None) for a, b, _ in edges]
    else:
        _, gap, placed, pos = best
    width = 2 * (PAD + 20) + (len(shown) - 1) * gap
    height = 2 * PAD + 20 + (tallest - 1) * ROW_GAP + (ROW_GAP * 0.6 if hidden else 0)
    return Layout(pos, radius, tuple(placed), tuple(hidden), width, height)


SPOTS = (0.5, 0.38, 0.62, 0.3, 0.7, 0.44, 0.56, 0.24, 0.76, 0.18, 0.82, 0.34, 0.66, 0.27, 0.73, 0.21, 0.79,
         0.15, 0.85)


def _crosses(box: Box, seg) -> bool:
    """Whether the segment ``(x1, y1, x2, y2)`` passes through the box (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = seg
    dx, dy, lo, hi = x2 - x1, y2 - y1, 0.0, 1.0
    for p, q in ((-dx, x1 - box.x0), (dx, box.x1 - x1), (-dy, y1 - box.y0), (dy, box.y1 - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True


def _place_labels(net, pos, radius, edges):
    """Each label at the first spot along its edge that overlaps no label and no node, preferring a
    spot no other edge runs through (so a label never sits on a crossing, where it could belong to
    either line); None when some label has no free spot at all."""
    taken = [Box(x - radius[n], y - radius[n], x + radius[n], y + radius[n]) for n, (x, y) in pos.items()]
    segments = {(a, b): (*pos[a], *pos[b]) for a, b, _ in edges}
    out = []
    for a, b, label in edges:
        if not label:
            out.append(Edge(a, b, None))
            continue
        tex = net.latex_names[net.symbol(label)]
        w, h = text_width(tex, 13) + 4, 16
        (x1, y1), (x2, y2) = pos[a], pos[b]
        others = [seg for key, seg in segments.items() if key != (a, b)]
        free = []
        for t in SPOTS:
            cx, cy = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
            box = Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if not any(box.overlaps(o) for o in taken):
                near = Box(box.x0 - 6, box.y0 - 8, box.x1 + 6, box.y1 + 8)
                free.append((sum(_crosses(near, seg) for seg in others), (cx, cy), box))
        if not free:
            return None
        crossed, at, box = min(free, key=lambda f: f[0])     # the first spot the fewest other lines cross
        taken.append(box)
        out.append(Edge(a, b, label, at, box, crossed > 0))
    return out


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
    base, sub, sup = _flat(latex)
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
