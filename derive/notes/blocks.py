"""A wide layered network drawn as blocks: one box a layer (its size and activation), one arrow a weight
matrix (its shape), the loss at the end.  Used when a layer is wider than WIDE units, where a node a unit
would be a tangle.  For a parameter, the arrows its paths take are drawn in colour and the rest faded,
and the unit it feeds is named in its layer's box."""
from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape as xml_escape

from ..model.graph import Network
from .eqs import COLOUR_HEX

WIDE = 16                 # units in a layer past which the diagram draws blocks
GAP, BOX_W, PAD = 150, 118, 30
FADED, INK = "#b8b8b8", "#333"


def wide(net: Network) -> bool:
    """Whether ``net`` is drawn as blocks: a layered network with a layer (or its inputs) past WIDE units."""
    spec = net.spec
    return bool(spec.layered) and max([len(spec.inputs)] + [len(L.units) for L in spec.layers]) > WIDE


def _where(net: Network, param: str) -> tuple[int, int] | None:
    """(layer, unit) a parameter feeds: layer 1 is the first hidden layer."""
    for li, layer in enumerate(net.spec.layers, 1):
        for j, (row, b) in enumerate(zip(layer.weights, layer.biases), 1):
            if param in row or param == b:
                return li, j
    return None


def _plain(latex: str) -> str:
    """A symbol's LaTeX as plain text (\\mathrm{error}: error, J(\\theta): J(θ))."""
    s = re.sub(r"\\mathrm\{([^{}]*)\}", r"\1", latex).replace("\\theta", "θ")
    return re.sub(r"[\\{}_^]", "", s)


def svg(net: Network, block=None) -> str:
    """The block diagram as a standalone SVG; ``block`` (a ParamBlock) lights the arrows its paths take."""
    spec = net.spec
    sizes = [len(spec.inputs)] + [len(L.units) for L in spec.layers]
    heights = [min(300.0, 44 + 26 * math.sqrt(n)) for n in sizes]
    tallest = max(heights)
    width = PAD * 2 + len(sizes) * BOX_W + len(sizes) * GAP + 50
    height = tallest + 2 * PAD + 30
    mid = PAD + tallest / 2
    where = _where(net, block.name) if block is not None else None
    bias = where is not None and block.name in net.spec.layers[where[0] - 1].biases
    lit_from = (where[0] if bias else where[0] - 1) if where else None   # the arrows the paths take start here
    colour = COLOUR_HEX["blue"]
    title = spec.name + (f": {block.name}" if block is not None else "")
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="serif" font-size="15" role="img" class="diagram blocks">' % (width, height, width, height),
           '<title>%s</title>' % xml_escape(title),
           '<defs><marker id="ab" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" '
           'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>'
           '<marker id="af" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" '
           'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker></defs>' % (colour, FADED)]
    xs = [PAD + k * (BOX_W + GAP) for k in range(len(sizes))]
    loss_x = xs[-1] + BOX_W + GAP
    for k, (x, n, h) in enumerate(zip(xs, sizes, heights)):
        on = where is None or k >= lit_from
        label = f"{n} inputs" if k == 0 else f"{n} units"
        sub = "" if k == 0 else spec.layers[k - 1].activation
        if where and k == where[0]:
            sub += f" · unit {where[1]}"
        out.append('<rect x="%.1f" y="%.1f" width="%d" height="%.1f" rx="10" fill="%s" stroke="%s"/>'
                   % (x, mid - h / 2, BOX_W, h, "#e8f0fe" if k == 0 else "#eef7ee", INK if on else "#aaa"))
        out.append('<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>' % (x + BOX_W / 2, mid - 4, label))
        if sub:
            out.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13" font-style="italic">%s</text>'
                       % (x + BOX_W / 2, mid + 15, xml_escape(sub)))
        end = xs[k + 1] if k + 1 < len(sizes) else loss_x - 24
        lit = where is not None and k >= lit_from
        shape = f"{sizes[k + 1]}×{n}" if k + 1 < len(sizes) else ""
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s" marker-end="%s"/>'
                   % (x + BOX_W, mid, end - 2, mid, colour if lit else (FADED if where else INK),
                      "3" if lit else "1.6", "url(#ab)" if lit else "url(#af)"))
        if shape:
            out.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13">%s weights</text>'
                       % ((x + BOX_W + end) / 2, mid - 10, shape))
    out.append('<circle cx="%.1f" cy="%.1f" r="22" fill="#fde8e8" stroke="%s"/>' % (loss_x, mid, INK))
    out.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-style="italic">%s</text>'
               % (loss_x, mid + 5, xml_escape(_plain(net.latex_names[net.symbol(net.loss)]))))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def tikz(net: Network, block=None, scale: float = 1 / 62) -> str:
    """The same block diagram as a tikzpicture (LaTeX notes and PDF)."""
    spec = net.spec
    sizes = [len(spec.inputs)] + [len(L.units) for L in spec.layers]
    heights = [min(300.0, 44 + 26 * math.sqrt(n)) for n in sizes]
    where = _where(net, block.name) if block is not None else None
    bias = where is not None and block.name in spec.layers[where[0] - 1].biases
    lit_from = (where[0] if bias else where[0] - 1) if where else None
    xs = [k * (BOX_W + GAP) * scale for k in range(len(sizes))]
    w = BOX_W * scale
    loss_x = xs[-1] + (BOX_W + GAP) * scale
    lines = [r"\begin{tikzpicture}[>=stealth, font=\small]"]
    for k, (x, n, h) in enumerate(zip(xs, sizes, heights)):
        on = where is None or k >= lit_from
        sub = "" if k == 0 else spec.layers[k - 1].activation + (f", unit {where[1]}" if where and k == where[0] else "")
        text = (f"{n} inputs" if k == 0 else f"{n} units") + (r"\\ \textit{%s}" % sub if sub else "")
        lines.append(r"  \node[draw%s, rounded corners, align=center, minimum width=%.2fcm, minimum height=%.2fcm]"
                     r" (b%d) at (%.2f, 0) {%s};" % ("" if on else "=black!35", w, h * scale, k, x + w / 2, text))
    lines.append(r"  \node[draw, circle] (loss) at (%.2f, 0) {$%s$};"
                 % (loss_x, net.latex_names[net.symbol(net.loss)]))
    for k in range(len(sizes)):
        dst = f"b{k + 1}" if k + 1 < len(sizes) else "loss"
        lit = where is not None and k >= lit_from
        style = "->, blue, line width=1.2pt" if lit else ("->, black!30" if where else "->")
        label = (r" node[midway, above, font=\scriptsize] {%d$\times$%d weights}" % (sizes[k + 1], sizes[k])
                 if k + 1 < len(sizes) else "")
        lines.append(r"  \draw[%s] (b%d) --%s (%s);" % (style, k, label, dst))
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
