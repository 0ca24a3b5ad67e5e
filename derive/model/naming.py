"""All names in one place: identifier-safe symbol names and their LaTeX, per notation preset."""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import sympy as sp

from ..errors import SpecError

IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
         "sigma tau upsilon phi chi psi omega").split()
_GREEK_RE = re.compile(r"^(%s)" % "|".join(sorted(GREEK + [g.capitalize() for g in GREEK], key=len, reverse=True)))
PRESETS = ("theta", "w-delta", "graph", "ihv", "ng")


def check_identifier(name, field: str) -> str:
    """Return ``name`` if it is a valid symbol name, else raise a SpecError for ``field``."""
    if not isinstance(name, str) or not IDENT.fullmatch(name):
        raise SpecError(field, f"invalid name {name!r}: names are identifiers "
                               "([A-Za-z][A-Za-z0-9_]*, at most 32 characters)")
    if keyword.iskeyword(name):
        raise SpecError(field, f"invalid name {name!r}: it is a Python keyword (generated code uses the names)")
    return name


def _base_latex(word: str) -> str:
    m = _GREEK_RE.match(word)
    if m and m.group(0) == word:
        g = word
        return "\\" + g if g.lower() != "omicron" else "o"
    if len(word) == 1:
        return word
    if m:  # greek prefix then more letters: thetaX -> \theta_{X}
        return "\\" + m.group(0) + "_{" + word[len(m.group(0)):] + "}"
    return r"\mathrm{%s}" % word


def latex_of_name(name: str) -> str:
    """LaTeX for a user-chosen identifier: trailing digits become a subscript, Greek is Greek.

    ``w31`` -> ``w_{31}``; ``theta11`` -> ``\\theta_{11}``; ``yt1`` -> ``y_{t1}``;
    ``delta_y1`` -> ``\\delta_{y_{1}}``; ``W1`` -> ``W_{1}``; ``error`` -> ``\\mathrm{error}``.
    """
    m = re.fullmatch(r"([A-Za-z]+?)(\d+(?:_\d+)+)", name)
    if m:  # w10_1 -> w_{10,1}
        return "%s_{%s}" % (_base_latex(m.group(1)), m.group(2).replace("_", ","))
    if "_" in name:
        head, rest = name.split("_", 1)
        if head and rest:
            return "%s_{%s}" % (latex_of_name(head), latex_of_name(rest) if not rest.isdigit() else rest)
    m = re.fullmatch(r"([A-Za-z]+?)([0-9]+)", name)
    if m:
        letters, digits = m.groups()
        g = _GREEK_RE.match(letters)
        if g and g.group(0) == letters:
            return "\\%s_{%s}" % (letters, digits)
        if len(letters) == 1:
            return "%s_{%s}" % (letters, digits)
        if len(letters) == 2 and not g:
            return "%s_{%s%s}" % (letters[0], letters[1], digits)
        return "%s_{%s}" % (_base_latex(letters), digits)
    return _base_latex(name)


def _idx(*ints: int) -> str:
    """Join 1-based indices: single digits run together (w31), longer ones with '_' (w10_1)."""
    return "".join(map(str, ints)) if all(i < 10 for i in ints) else "_".join(map(str, ints))


@dataclass(frozen=True)
class Notation:
    """How one preset names generated symbols (identifier, LaTeX) for a layered network.

    Layers are numbered 1..L for the weight matrices; unit and input indices are 1-based.
    """
    preset: str
    loss_name: str        # identifier of the loss symbol
    loss_latex: str

    # --- generated identifiers -------------------------------------------------------------
    def input(self, i: int) -> str:
        return {"ihv": f"I{i}"}.get(self.preset, f"x{i}")

    def target(self, k: int) -> str:
        return {"w-delta": f"yt{k}", "ng": f"y{k}", "theta": f"y{k}", "ihv": f"T{k}", "graph": f"C{k}"}.get(self.preset, f"t{k}")

    def unit(self, layer: int, n_layers: int, j: int, first_unit: int) -> str:
        """Name of unit j (1-based) of layer ``layer`` (activation output)."""
        p = self.preset
        if p == "w-delta":
            if layer == n_layers:
                return f"y{j}"
            return f"z{j}" if n_layers == 2 else f"z{layer}_{j}"
        if p == "ihv":
            return f"Y{j}" if layer == n_layers else (f"H{j}" if n_layers == 2 else f"H{layer}_{j}")
        if p == "theta":
            return f"a{layer + 1}_{j}"
        return f"a{layer}_{j}"

    def pre(self, layer: int, n_layers: int, j: int, unit_name: str) -> str:
        """Name of the pre-activation of unit j of layer ``layer``."""
        p = self.preset
        if p == "w-delta":
            return f"a{layer}_{j}"
        if p == "ihv":
            if unit_name[:1] in "HY" and unit_name[1:].replace("_", "").isdigit():
                return unit_name[0].lower() + unit_name[1:]
            return f"s{layer}_{j}"
        if p == "theta":
            return f"z{layer + 1}_{j}"
        return f"z{layer}_{j}"

    def weight(self, layer: int, j: int, i: int, global_j: int, n_out: int) -> str:
        p = self.preset
        if p == "w-delta":
            return "w" + _idx(global_j, i)
        if p == "ihv":
            letter = "W" if layer == 1 else ("V" if layer == 2 else f"U{layer}_")
            return f"{letter}{(i - 1) * n_out + j}"
        if p == "theta":
            return f"theta{layer}_{_idx(j, i)}"
        if p == "graph":
            return f"W{layer}_{_idx(j, i)}"
        return f"w{layer}_{_idx(j, i)}"

    def bias(self, layer: int, j: int | None) -> str:
        if self.preset == "ihv":
            return f"B{layer}" + (f"_{j}" if j is not None else "")
        return f"b{layer}" + (f"_{j}" if j is not None else "")

    def delta(self, node: str) -> str:
        return f"delta_{node}"

    # --- LaTeX of generated identifiers -----------------------------------------------------
    def latex(self, name: str) -> str:
        """LaTeX for any identifier, reading generated patterns in this preset's glyphs."""
        p = self.preset
        if name == self.loss_name:
            return self.loss_latex
        if name.startswith("delta_"):
            unit = self.latex(name[6:])
            m = re.fullmatch(r"a\^\{\((\d+)\)\}_\{(.+)\}", unit)
            if m and p in ("theta", "ng"):   # seed 000 and Ng: the delta of unit j in layer l
                return r"\delta^{(%s)}_{%s}" % m.groups()
            return r"\delta_{%s}" % unit
        m = re.fullmatch(r"(theta|w|W|b|B|z|a|s)(\d+)_(\d+(?:_\d+)?)", name)
        if m and not (p == "w-delta" and m.group(1) == "w"):
            base, layer, idx = m.groups()
            idx = idx.replace("_", ",")
            if base == "theta":
                return r"\theta^{(%s)}_{%s}" % (layer, idx)
            if p == "ng":   # seed 003 writes W^{(l)} for the matrix: its entries are W^{(l)}_{ij}
                big = {"w": "W", "z": "z", "a": "a", "b": "b"}.get(base, base)
                return r"%s^{(%s)}_{%s}" % (big, layer, idx)
            return r"%s^{(%s)}_{%s}" % (base, layer, idx)
        m = re.fullmatch(r"(a|b|B)(\d+)", name)
        if m and p in ("ng", "theta"):
            return r"%s^{(%s)}" % m.groups()
        return latex_of_name(name)


_LOSS = {
    "theta": ("J", r"J(\theta)"),
    "w-delta": ("error", r"\mathrm{error}"),
    "graph": ("L", "L"),
    "ihv": ("Error", r"\mathrm{Error}"),
    "ng": ("J", "J"),
}


def notation(preset: str | None, field: str = "notation") -> Notation:
    """Return the notation preset ``preset`` (default ``ng``)."""
    preset = preset or "ng"
    if not isinstance(preset, str) or preset not in _LOSS:
        raise SpecError(field, f"unknown notation {preset!r}; expected one of {', '.join(PRESETS)}")
    name, tex = _LOSS[preset]
    return Notation(preset, name, tex)


def symbol(name: str) -> sp.Symbol:
    """The sympy symbol for an identifier (real-valued, so conjugates never appear)."""
    return sp.Symbol(name, real=True)


def latex(expr, names: dict[sp.Symbol, str], **kw) -> str:
    """Print ``expr`` with the notation's LaTeX names (sympy's printer, ``symbol_names``)."""
    return sp.latex(expr, symbol_names=names, **kw)
