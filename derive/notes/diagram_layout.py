"""Where the network diagram's nodes and edge labels go (``notes.diagram`` draws it as SVG or TikZ).

Columns of nodes (inputs with a bias node ``1`` below them, each layer's units, the loss), or a
computation graph's nodes by depth, at most MAX_SHOWN a column; each node wide enough for its own
text; each edge's weight label at the first spot along it whose box overlaps no other label and no
node, away from crossing lines where it can be (columns spread up to WIDEST_GAP apart for that).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..model.graph import Network

MAX_SHOWN = 8          # nodes drawn per column; the rest are elided with a vertical ellipsis
MAX_LABELS = 64        # edges labelled at most (more cannot be read)
ROW_GAP, R, PAD = 76, 21, 30
WIDEST_GAP = 300       # columns spread up to this far apart to keep labels off crossing lines
BIAS = "1"             # the bias node's name and text
_GREEK_UNICODE = dict(zip(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ"))

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


def flat(latex: str) -> tuple[str, str, str]:
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
    base, sub, sup = flat(latex)
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
