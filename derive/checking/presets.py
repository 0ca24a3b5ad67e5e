"""The famous notations, read as derive's own (a text rewritten before it is checked; lines keep their places).

    nielsen   a^l_j, z^l_j, b^l_j, \\delta^l_j, w^l_{jk} (from unit k of layer l-1 to unit j of layer l; the
              input is layer 1), C the cost, \\nabla_a C, \\odot, \\sigma', and BP4's shorthand
              \\partial C / \\partial w = a_{\\rm in} \\delta_{\\rm out} (w^l_{jk}, a^{l-1}_k, \\delta^l_j).  Nielsen numbers the input layer 1,
              so a numbered layer s is derive's s-1; a symbolic l or L means the same in both (every
              relation between layers l-1, l, l+1 holds for all l, or for the last).
    ufldl     W^{(l)}, b^{(l)}, a^{(l)}, z^{(l)}, \\delta^{(l)}, J(W,b;x,y), f'(z), \\nabla_{W^{(l)}} J: UFLDL
              numbers the input layer 1, so its units' layer s (or l, or n_l) is derive's s-1 (l-1, L);
              its W^{(l)} and b^{(l)} map layer l to l+1, which is derive's W^{(l)}, b^{(l)} as they are.
    ng        \\Theta^{(l)}, a^{(l)}, z^{(l)}, \\delta^{(l)}, g'(z), .* (Ng's Coursera notes): read as they are.
    goodfellow  a^{(k)} = b^{(k)} + W^{(k)} h^{(k-1)}, h^{(k)} = f(a^{(k)}), \\nabla_{X} J, the running gradient
              g \\leftarrow ... (Deep Learning, ch. 6.5; ``goodfellow.py``): their a is derive's z, their h its a.
    bishop    a_j, z_j = h(a_j), y_k, t_k, \\delta_j, \\delta_k, w_{ji}, w_{kj}, E_n (PRML §5.3; ``bishop.py``): in a
              two-layer network the index letter is the layer (i input, j hidden, k output).
    hagan     W^m, b^m, n^m, a^m (a^0 = p), s^m the sensitivity, \\hat{F}, \\dot{F}^m(n^m), W^m(k+1) (Neural Network
              Design, ch. 11; ``hagan.py``): his n is derive's z, his s its \\delta, layers numbered as derive's.
    okatani   u^{(l)} the total input, z^{(l)} = f(u^{(l)}) the output, z^{(0)} = x, y the output, d the target
              (岡谷『深層学習』; ``okatani.py``): his u is derive's z, his z its a, his d its y.
    haykin    v_j(n), y_j(n) = \\varphi_j(v_j(n)), e_j(n) = d_j(n) - y_j(n), \\mathcal{E}(n), \\delta_j(n) = -\\partial E / \\partial v_j,
              \\Delta w_{ji}(n) = \\eta \\delta_j(n) y_i(n) (Neural Networks and Learning Machines, ch. 4; ``haykin.py``):
              his v is derive's z, his y its a, his \\delta its -\\delta, \\Delta w the update; j in any layer l.
    mazur     net_{h1}, out_{h1}, E_{total}, target_{o1}, w_5^{+}: the text's own names; without a spec the
              network is read from its forward pass (``nospec.py``).
"""
from __future__ import annotations

import re

PRESETS = ("nielsen", "ufldl", "ng", "mazur", "goodfellow", "bishop", "hagan", "okatani", "haykin")
_LAYERED = r"((?<![A-Za-z\\])[azbwW]|\\delta|\\boldsymbol\{\\delta\}|\\mathbf\{[azbwW]\})"   # ^T\delta: a command after a letter
_BARE = re.compile(_LAYERED + r"(_\{[^{}]*\}|_[A-Za-z0-9])?\^(\{[^{}()]*\}|[A-Za-z0-9])")
_PAREN = re.compile(_LAYERED + r"(_\{[^{}]*\}|_[A-Za-z0-9])?\^\{\((\d+)\)\}")
_COST = re.compile(r"(?<![A-Za-z\\{])C(?![A-Za-z_(])")
_UFLDL_COST = re.compile(r"J\s*\(\s*W\s*,\s*b\s*(;\s*x\s*,\s*y\s*)?\)")
_FPRIME = re.compile(r"(?<![A-Za-z\\])f'\s*\(")


def _layer(s: str) -> str:
    s = s.strip("{}").strip()
    if s.isdigit():
        return str(int(s) - 1)
    return s if re.fullmatch(r"[lL]\s*([+-]\s*\d+)?", s) else ""


_IN = re.compile(r"(?<![A-Za-z\\])a_\{\s*(?:\\rm\s*|\\mathrm\s*\{\s*|\\text\s*\{\s*)?in\s*\}?\s*\}")
_OUT = re.compile(r"\\delta_\{\s*(?:\\rm\s*|\\mathrm\s*\{\s*|\\text\s*\{\s*)?out\s*\}?\s*\}")
_ANY_W = re.compile(r"(\\partial\s*)w(?![A-Za-z_^])")


def _in_out(line: str) -> str:
    """Nielsen's shorthand for BP4, dC/dw = a_in delta_out: the weight w^l_{jk} from unit k of layer l-1
    (a_in, the activation into it) to unit j of layer l (delta_out, the error of the unit it feeds)."""
    if not (_IN.search(line) and _OUT.search(line) and _ANY_W.search(line)):
        return line
    line = _ANY_W.sub(lambda m: m.group(1) + "w^l_{jk}", line)
    return _OUT.sub(lambda m: "\\delta^l_j", _IN.sub(lambda m: "a^{l-1}_k", line))


def nielsen(text: str) -> str:
    text = "\n".join(_in_out(line) for line in text.split("\n"))

    def bare(m):
        layer = _layer(m.group(3))
        if not layer:
            return m.group(0)
        base = "W" if m.group(1) == "w" else m.group(1)      # derive prints the weight matrix W
        return f"{base}^{{({layer})}}{m.group(2) or ''}"
    text = _BARE.sub(bare, text)
    text = text.replace("\\nabla_a C", "\\frac{\\partial J}{\\partial a^{(L)}}").replace("\\nabla_{a} C", "\\frac{\\partial J}{\\partial a^{(L)}}")
    return _COST.sub("J", text)


_UFLDL_UNIT = re.compile(r"(?<![A-Za-z\\])(a|z|\\delta|h)(_\{[^{}]*\}|_[A-Za-z0-9])?\^\{\(([^{}()]*)\)\}")
_NABLA = re.compile(r"\\nabla_\{?\s*((?:W|b)\^\{\([^{}()]*\)\})\s*\}?\s*J")


def _before(layer: str) -> str:
    """UFLDL's layer of units, as derive numbers it (the input is UFLDL's layer 1, derive's 0)."""
    t = layer.replace(" ", "").replace("n_l", "L").replace("n_{l}", "L")
    if t.isdigit():
        return str(int(t) - 1)
    m = re.fullmatch(r"([lL])([+-]\d+)?", t)
    if not m:
        return ""
    k = int(m.group(2) or 0) - 1
    if m.group(1) == "L":          # n_l, the output layer, is derive's L
        k += 1
    return m.group(1) + (f"{k:+d}" if k else "")


def ufldl(text: str) -> str:
    def unit(m):
        layer = _before(m.group(3))
        if not layer:
            return m.group(0)
        return f"{m.group(1)}^{{({layer})}}{m.group(2) or ''}"
    text = _UFLDL_UNIT.sub(unit, text)     # W^{(l)} and b^{(l)} map layer l to l+1: derive's W^{(l)}, b^{(l)}
    text = _UFLDL_COST.sub("J", text)
    text = _NABLA.sub(lambda m: "\\frac{\\partial J}{\\partial " + m.group(1) + "}", text)
    return _FPRIME.sub(lambda m: "\\sigma'(", text)


_LAST = re.compile(r"\^\{\(L\s*(?:([+-])\s*(\d+))?\)\}(?=_)")


def read_as(preset: str | None, text: str, layers: int | None = None) -> str:
    """``text`` in derive's own notation, as ``preset`` writes it; ``layers``: the network's last layer, for
    an entry of layer L (``\\delta^L_j``: one unit of the last layer)."""
    if preset in (None, "", "ng", "mazur"):
        return text
    if preset == "nielsen":
        text = nielsen(text)
    elif preset == "ufldl":
        text = ufldl(text)
    elif preset == "goodfellow":
        from .goodfellow import goodfellow
        text = goodfellow(text)
    elif preset == "bishop":
        from .bishop import bishop
        text = bishop(text, layers)
    elif preset == "hagan":
        from .hagan import hagan
        text = hagan(text, layers)
    elif preset == "okatani":
        from .okatani import okatani
        text = okatani(text, layers)
    elif preset == "haykin":
        from .haykin import haykin
        text = haykin(text, layers)
    else:
        raise ValueError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
    if layers:
        text = _LAST.sub(lambda m: "^{(%d)}" % (layers + (int(m.group(2)) if m.group(1) == "+" else
                                                          -int(m.group(2)) if m.group(1) else 0)), text)
    return text


_MARKS = {
    "nielsen": re.compile(r"(?<![A-Za-z\\])(?:a|z|b|w|\\delta)\^\{?[lL]\b|\\nabla_\{?a\}?\s*C|\\delta\^\{?L"),
    "ufldl": re.compile(r"J\s*\(\s*W\s*,\s*b|(?<![A-Za-z\\])f'\s*\(\s*z\^\{\("),
    "mazur": re.compile(r"(?:net|out)_\{?[a-z]\d|E_\{total\}|target_\{?o"),
    "bishop": re.compile(r"(?<![A-Za-z\\])E_\{?n\b|(?<![A-Za-z\\])h'\s*\(\s*a_|(?<![A-Za-z\\])w_\{\s*(?:ji|kj)\s*\}"),
    "hagan": re.compile(r"\\dot\s*\{\s*(?:\\mathbf\s*\{\s*)?[Ff]|(?<![A-Za-z\\])s\^\{?[mM]|\\hat\s*\{\s*F\s*\}"),
    "okatani": re.compile(r"(?:\\mathbf\s*\{\s*)?(?<![A-Za-z\\])u\s*\}?\s*\^\s*\{\s*\(|(?<![A-Za-z\\])f\s*\(\s*(?:\\mathbf\s*\{\s*)?u"),
    "haykin": re.compile(r"(?<![A-Za-z\\])(?:[vyed]_\{?[jk]\}?|w_\{?[jk][ijk]\}?|\\varphi_\{?j\}?'?)\s*\(\s*n\s*\)"
                        r"|\\Delta\s*w_\{?[jk][ijk]|\\math(?:cal|scr)\s*\{\s*E\s*\}\s*\(\s*n"),
    "goodfellow": re.compile(r"\\nabla_\{?\s*(?:a|h)\^\{\(|(?<![A-Za-z\\])h\^\{\((?:k|\d)|\bg\s*\\leftarrow"),
}


def suggest(text: str) -> str | None:
    """The preset whose marks the text carries most (``\\delta^L``, ``J(W,b)``, ``net_{h1}``), if any."""
    counts = {p: len(r.findall(text)) for p, r in _MARKS.items()}
    best = max(counts, key=counts.get)
    return best if counts[best] >= 2 else None


__all__ = ["PRESETS", "read_as", "suggest"]
