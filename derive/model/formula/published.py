"""LaTeX as people publish it, rewritten to the grammar's own spelling before it is tokenized.

    \\|a - b\\|^2, \\left\\| a \\right\\|^2     the squared norm: (a - b)^2 of a number, the sum of squares of a layer
    \\|a\\|, \\left| a \\right|                \\operatorname{abs}(a)
    w_5^{+}, w_5^+, w^{new}, w^{(new)}     w_5(t+1): the weight after the update step
    w^{old}, w^{(old)}                     w(t)
    \\mathbf{0.1385}                      0.1385 (a decimal set in bold; \\mathbf{1} stays the ones vector)
    a .* b, a ./ b                         a \\odot b, a / b (Ng's and MATLAB's elementwise operators)
    \\sum_j{w_{kj} a_j + b_k}                \\sum_j w_{kj} a_j + b_k (a sum's braces are invisible on the page)
    a \\bullet b                            a \\odot b (UFLDL's elementwise product)
    J(\\Theta), J(W,b;x,y), C(w,b)          J, C (the cost written with its arguments; J(\\theta) is kept)
    W^{[l]}, b^{[l]}, A^{[l-1]}, Z^{[l]}    W^{(l)}, b^{(l)}, a^{(l-1)}, z^{(l)} (Ng's deep-learning notation: layer l in
                                           brackets, the input A^{[0]}; A and Z stack the examples as columns, so
                                           each column is the layer's a and z, and that is what is checked)
    \\sigma^{[l]}(z), g^{[l]}(z)             g(z): layer l's own activation function (never a guessed sigmoid)
    \\underset{n \\times m}{Z}               Z (a shape written under a symbol)

Each rewrite is a plain text substitution on a bounded string (no backtracking over the whole
formula): the parser still reads every character of what it gets.
"""
from __future__ import annotations

import re

_NORM = re.compile(r"(?:\\(?:left|right|big[lr]?|Big[lr]?)\s*)?\\\|")
_BAR = re.compile(r"\\left\s*\||\\right\s*\||\\lvert|\\rvert|\\vert")
_NEXT = re.compile(r"\^\s*(?:\+|\{\s*(?:\+|\(\s*(?:new|\+)\s*\)|(?:\\(?:text|mathrm|rm)\s*\{\s*)?new\s*\}?)\s*\})")
_OLD = re.compile(r"\^\s*\{\s*(?:\(\s*old\s*\)|(?:\\(?:text|mathrm|rm)\s*\{\s*)?old\s*\}?)\s*\}")
_BOLD_NUMBER = re.compile(r"\\(?:mathbf|boldsymbol|bm|textbf|mathrm|text|mathit)\s*\{\s*(-?\s*\d*\.\d+)\s*\}")
# J(\Theta), J(W,b), J(W,b;x,y), C(w,b): the cost written with its arguments is the cost
_ARG = r"\\?(?:Theta|theta|W|w|b|x|y)(?:\s*\^\s*\{\s*\[\s*(?:\d+|[lL])\s*\]\s*\})?"    # J(W^{[1]}, b^{[1]}, ...) too
_COST_ARGS = re.compile(r"(?<![A-Za-z\\])([JCE])\s*\(\s*((?:" + _ARG + r"\s*[,;]\s*)*" + _ARG + r")\s*\)")
_LAYER = r"\^\s*\{\s*\[\s*([lL]\s*(?:[+-]\s*\d+)?|\d+)\s*\]\s*\}"          # ^{[l]}, ^{[l-1]}, ^{[2]}
_NG_LAYER = re.compile(r"(?<![A-Za-z\\])([AZWb]|\\mathbf\{[AZWb]\})\s*" + _LAYER)
_NG_LAYER_T = re.compile(r"(?<![A-Za-z\\])([AZWb]|\\mathbf\{[AZWb]\})\s*" + _LAYER.replace(r"\]\s*\}", r"\]\s*(?:T|\\top)\s*\}"))
_NG_ACTIVATION = re.compile(r"(?:\\sigma|(?<![A-Za-z\\])g)\s*" + _LAYER + r"\s*(?=(?:'|\\prime)?\s*\()")  # g^{[1]'}(z)
# Ng's X and Y (the examples and their labels as columns) beside A^{[l]}, Z^{[l]}: a column is what is checked
_NG_DATA = re.compile(r"(?<![A-Za-z\\{])([XY])(?![A-Za-z_{}(])")
# deeplearning.ai's code-like maths: dW^{[l]} is dJ/dW^{[l]}; np.sum(., axis=1, keepdims=True) sums the examples'
# columns; * is NumPy's element-wise product
_NG_PRIME = re.compile(r"(?<![A-Za-z\\])g\s*\^\s*\{\s*\[[^\[\]{}]*\]\s*(?:'|\\prime)\s*\}")    # g^{[1]'}: layer 1's g'
_NG_SQUARE = re.compile(r"(?<![A-Za-z\\])([AZaz])\s*\^\s*\{\s*\[\s*([^\[\]{}]+?)\s*\]\s*2\s*\}")   # A^{[1]2}
_NG_GRAD = re.compile(r"(?<![A-Za-z\\])d([WbZA])\s*(\^\s*\{\s*\[[^\[\]{}]*\]\s*\})")
_NP_SUM = re.compile(r"(?:\\text\s*\{\s*np\.sum\s*\}|np\.sum)\s*\(\s*([^()]+?)\s*,\s*axis\s*=\s*1\s*,"
                     r"\s*keepdims\s*=\s*True\s*\)")
_NG_TIMES = re.compile(r"(?<![\^_{\s])\s*\*|(?<=\s)\*")


def _ng_code(s: str) -> str:
    s = _NG_PRIME.sub("g'", s)
    s = _NG_SQUARE.sub(lambda m: "(" + m.group(1) + "^{[" + m.group(2) + "]})^{2}", s)
    s = _NG_GRAD.sub(lambda m: "\\frac{\\partial J}{\\partial " + m.group(1) + m.group(2) + "}", s)
    if "sum" in s:
        s = _NP_SUM.sub(lambda m: "\\operatorname{examplesum}\\left(" + m.group(1) + "\\right)", s)
    return _NG_TIMES.sub(lambda m: " \\odot ", s) if "*" in s else s


_NG_EXAMPLE = re.compile(r"(?<![A-Za-z\\])([A-Za-z])\s*\^\s*\{\s*\[\s*([^\[\]{}]+?)\s*\]\s*\(\s*(\w)\s*\)\s*\}")  # a^{[2](i)}
_NAME = r"(?:\\hat\s*\{\s*[A-Za-z]\s*\}|[A-Za-z])(?:_\{?[A-Za-z0-9]+\}?)?(?:\^\s*\{[^{}]*\})?(?:_\{?[A-Za-z0-9]+\}?)?"
# \frac{\partial \log u}{\partial z}: the derivative of a name's log, (1/u) du/dz (the chain rule, exact)
_D_LOG = re.compile(r"\\frac\s*\{\s*\\partial\s*\\(?:log|ln)\s*(" + _NAME + r")\s*\}\s*\{")
_LOSS_OF = re.compile(r"\\mathcal\s*\{\s*L\s*\}\s*\(\s*\\hat\s*\{\s*y\s*\}\s*(?:\^\s*\{\s*\((\w)\)\s*\})?\s*,"
                      r"\s*y\s*(?:\^\s*\{\s*\(\1\)\s*\})?\s*\)")
_UNDERSET = re.compile(r"\\underset\s*\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\s*")
_ELEMENTWISE = re.compile(r"(?<![0-9])\.\s*([*/])")        # .* is the elementwise product (\odot), ./ a division


def _pairs(s: str, opener: re.Pattern, abs_only: bool = False) -> str:
    """Rewrite matched pairs of norm bars, innermost structure ignored (bars do not nest in practice)."""
    out, at, open_at = [], 0, None
    for m in opener.finditer(s):
        if open_at is None:
            open_at = m
            continue
        inner = s[open_at.end():m.start()]
        out.append(s[at:open_at.start()])
        after = s[m.end():]
        squared = re.match(r"\s*\^\s*(\{\s*2\s*\}|2)", after)
        if squared and not abs_only:
            out.append("\\operatorname{sqnorm}\\left(" + inner + "\\right)")
            at = m.end() + squared.end()
            open_at = None
            continue
        else:
            out.append("\\operatorname{abs}\\left(" + inner + "\\right)")
        at, open_at = m.end(), None
    out.append(s[at:])
    return "".join(out)


_SUM_BODY = re.compile(r"\\sum\s*(?:\\(?:no)?limits\s*)?(?:[_^]\s*(?:\{[^{}]*\}|[A-Za-z0-9])\s*){0,2}\{")


def _has_terms(inner: str) -> bool:
    """A top-level + or - (not a leading sign): the body has more than one term."""
    depth = 0
    for i, ch in enumerate(inner):
        depth += ch in "{(["
        depth -= ch in "})]"
        if depth == 0 and ch in "+-" and inner[:i].strip():
            return True
    return False


def _open_sums(s: str) -> str:
    """``\\sum_j{w_{kj} a_j + b_k}`` as LaTeX shows it: the braces are invisible, so the body is read as if
    unbraced (b_k, which does not use j, is outside the sum, as on the page)."""
    out, at = [], 0
    for m in _SUM_BODY.finditer(s):
        if m.start() < at:
            continue
        depth, j = 1, m.end()
        while j < len(s) and depth:
            depth += (s[j] == "{") - (s[j] == "}")
            j += 1
        if depth:
            break
        inner = s[m.end():j - 1]
        if re.match(r"\s*[\^_]", s[j:]) or not _has_terms(inner):      # {J}^{(i)}: a group, not a body
            continue
        out.append(s[at:m.end() - 1] + " " + inner + " ")
        at = j
    out.append(s[at:])
    return "".join(out)


def _ng_name(base: str) -> str:
    """Ng's A and Z (a layer's activations and weighted sums, one column per example) as derive's a and z."""
    letter = base[-2] if base.endswith("}") else base
    small = {"A": "a", "Z": "z"}.get(letter, letter)
    return base.replace(letter, small) if base.endswith("}") else small


def published(s: str) -> str:
    """``s`` with the published spellings above replaced by the grammar's own."""
    if "\\sum" in s:
        s = _open_sums(s)
    if "\\|" in s:
        s = _pairs(s, _NORM)
    if "\\left" in s and "|" in s or "vert" in s:
        s = _pairs(s, _BAR, abs_only=True)
    if "^" in s:
        s = _OLD.sub("(t)", _NEXT.sub("(t+1)", s))
    if "{" in s:
        s = _BOLD_NUMBER.sub(lambda m: m.group(1).replace(" ", ""), s)
    if "." in s:
        s = _ELEMENTWISE.sub(lambda m: " \\odot " if m.group(1) == "*" else "/", s)
    if "(" in s:
        s = _COST_ARGS.sub(lambda m: m.group(1) if m.group(2).strip() not in ("theta", "\\theta") else m.group(0), s)
    if "[" in s and "^" in s:                  # Ng's layer brackets
        s = _ng_code(s)
        s = _NG_EXAMPLE.sub(lambda m: "{" + m.group(1) + "^{[" + m.group(2) + "]}}^{(" + m.group(3) + ")}", s)
        s = _NG_DATA.sub(lambda m: "\\mathbf{" + m.group(1).lower() + "}", s)
        s = _NG_ACTIVATION.sub("g", s)
        s = _NG_LAYER.sub(lambda m: _ng_name(m.group(1)) + "^{(" + m.group(2).replace(" ", "") + ")}", s)
        s = _NG_LAYER_T.sub(lambda m: _ng_name(m.group(1)) + "^{(" + m.group(2).replace(" ", "") + ")\\top}", s)   # A^{[1]T}
    if "\\partial" in s and ("\\log" in s or "\\ln" in s):
        s = _D_LOG.sub(lambda m: "\\frac{1}{" + m.group(1) + "}\\frac{\\partial " + m.group(1) + "}{", s)
    if "\\mathcal" in s:                     # Ng's \mathcal{L}(\hat{y}^{(i)}, y^{(i)}): example i's loss
        s = _LOSS_OF.sub(lambda m: "{J}^{(" + m.group(1) + ")}" if m.group(1) else "J", s)
    if "\\underset" in s:
        s = _UNDERSET.sub("", s)
    if "\\bullet" in s:                       # UFLDL's elementwise product
        s = re.sub(r"\\bullet(?![A-Za-z])", r"\\odot ", s)
    return s
