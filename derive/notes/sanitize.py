"""MathML that is safe to put in a page: LaTeX converted by latex2mathml, then kept to an allowlist.

latex2mathml copies ``\\text{}``, ``\\mbox{}``, ``\\fbox{}`` and ``\\verb`` into ``<mtext>`` without
escaping, turns ``\\href``, ``\\style`` and ``\\class`` into attributes, and passes ``\\color``'s
argument through: its string output can hold raw HTML.  So the string is never used.  ``to_mathml``
walks the converter's element tree instead and writes a new document: only MathML elements of the
allowlist (an unknown element is unwrapped, its children kept), only allowlisted attributes whose
value has the expected form, every text node decoded once (the converter writes characters as
``&#x...;``) and escaped.  The result is well-formed XML and HTML: no tag, attribute or entity the
input names survives as markup.  Every place derive shows maths (``/api/mathml`` and the other web
answers, the notebook displays, the HTML notes) goes through here.
"""
from __future__ import annotations

import html
import re

from ..errors import DeriveError

NAMESPACE = "http://www.w3.org/1998/Math/MathML"
ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "mtext", "ms", "mspace", "msub", "msup", "msubsup", "munder", "mover",
    "munderover", "mfrac", "msqrt", "mroot", "mstyle", "mpadded", "mphantom", "menclose", "mtable", "mtr", "mtd",
    "merror", "mmultiscripts", "mprescripts", "none"})
_LENGTH = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)?(?:em|ex|px|pt|pc|cm|mm|in|mu|%|width|height|depth)?"
_WORDS = lambda *w: re.compile(r"(?:%s)(?: (?:%s))*" % ("|".join(w), "|".join(w)))   # noqa: E731
_BOOL = re.compile("true|false")
_SIZE = re.compile(_LENGTH)
_SIZES = re.compile(rf"{_LENGTH}(?: {_LENGTH})*")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{3,8}|[A-Za-z]{1,20}")
ATTRIBUTES = {
    "display": re.compile("inline|block"),
    "mathvariant": re.compile("normal|bold|italic|bold-italic|double-struck|bold-fraktur|script|bold-script|"
                              "fraktur|sans-serif|bold-sans-serif|sans-serif-italic|sans-serif-bold-italic|"
                              "monospace"),
    "displaystyle": _BOOL, "stretchy": _BOOL, "fence": _BOOL, "separator": _BOOL, "accent": _BOOL,
    "accentunder": _BOOL, "movablelimits": _BOOL, "largeop": _BOOL, "symmetric": _BOOL,
    "scriptlevel": re.compile(r"[+-]?\d{1,2}"),
    "form": re.compile("prefix|infix|postfix"),
    "lspace": _SIZE, "rspace": _SIZE, "width": _SIZE, "height": _SIZE, "depth": _SIZE, "voffset": _SIZE,
    "minsize": _SIZE, "maxsize": _SIZE, "mathsize": _SIZE, "linethickness": _SIZE,
    "columnspacing": _SIZES, "rowspacing": _SIZES,
    "columnalign": _WORDS("left", "center", "right"), "rowalign": _WORDS("top", "bottom", "center", "baseline", "axis"),
    "columnlines": _WORDS("none", "solid", "dashed"), "rowlines": _WORDS("none", "solid", "dashed"),
    "frame": _WORDS("none", "solid", "dashed"),
    "notation": _WORDS("box", "roundedbox", "circle", "left", "right", "top", "bottom", "updiagonalstrike",
                       "downdiagonalstrike", "verticalstrike", "horizontalstrike", "longdiv", "actuarial",
                       "radical", "madruwb", "updiagonalarrow", "phasorangle"),
    "mathcolor": _COLOUR, "mathbackground": _COLOUR,
    "linebreak": re.compile("auto|newline|nobreak|goodbreak|badbreak"),
}
MAX_TEXT = 10_000                     # characters of one text node (longer is cut)
_SPECIAL = re.compile("[<>&\"'\x80-\U0010ffff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _text(raw: str | None) -> str:
    """A text node's characters: the converter's ``&#x...;`` decoded once, characters XML cannot hold
    dropped, then escaped (``&``, ``<``, ``>``, quotes) so nothing in it is markup."""
    if not raw:
        return ""
    return _escape(_CONTROL.sub("", html.unescape(raw))[:MAX_TEXT])


def _escape(chars: str) -> str:
    """Markup characters and everything outside ASCII as ``&#x0003C;`` (the converter's own form)."""
    return _SPECIAL.sub(lambda m: "&#x%05X;" % ord(m.group()), chars)


def _attributes(tag: str, attrib: dict) -> str:
    out = []
    for name, value in attrib.items():
        rule = ATTRIBUTES.get(name)
        if rule is None or tag != "math" and name == "display":
            continue
        value = html.unescape(str(value)).strip()
        if len(value) <= 64 and rule.fullmatch(value):
            out.append(f' {name}="{_escape(value)}"')
    return "".join(out)


def _write(node, out: list[str], depth: int = 0) -> None:
    if depth > 200:                   # the converter's own nesting limit is far below this
        raise DeriveError("cannot convert to MathML: nested too deeply")
    tag = node.tag if isinstance(node.tag, str) else ""
    tag = tag.rsplit("}", 1)[-1]
    keep = tag in ELEMENTS and (tag != "math" or depth == 0)
    if keep:
        out.append(f"<{tag}" + (f' xmlns="{NAMESPACE}"' if tag == "math" else "") + _attributes(tag, node.attrib) + ">")
    start = len(out)
    out.append(_text(node.text))
    for child in node:
        _write(child, out, depth + 1)
        out.append(_text(child.tail))
    if keep:
        if not "".join(out[start:]):            # empty: written as ElementTree writes it
            del out[start:]
            out[-1] = out[-1][:-1] + " />"
        else:
            out.append(f"</{tag}>")


def clean(tree) -> str:
    """The allowlisted MathML document of an ElementTree element (its root becomes ``<math>``)."""
    out: list[str] = []
    if getattr(tree, "tag", None) != "math":
        out.append(f'<math xmlns="{NAMESPACE}">')
        _write(tree, out, 1)
        out.append("</math>")
    else:
        _write(tree, out)
    return "".join(out)


def to_mathml(latex: str, display: str = "inline") -> str:
    """LaTeX as a sanitised ``<math>`` element (DeriveError when the converter cannot read it)."""
    from latex2mathml.converter import convert_to_element
    if display not in ("inline", "block"):
        raise DeriveError(f"display {display!r}: expected inline or block")
    try:
        tree = convert_to_element(latex, display=display)
    except Exception as e:   # the converter's own errors are of many types
        raise DeriveError(f"cannot convert to MathML: {latex[:80]}: {_one_line(e)}") from None
    return clean(tree)


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__


__all__ = ["ATTRIBUTES", "ELEMENTS", "NAMESPACE", "clean", "to_mathml"]
