"""Lay the notes out as Markdown, LaTeX or HTML with jinja2, and write them atomically."""
from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from . import diagram
from .. import safeio
from . import prose
from .prose import FORMATS
from ..errors import DeriveError
from .content import COLOUR_HEX, COLOURS, Eq, M, Notes
from .lines import aligned, glyphs

BUDGET = {"html": 58, "tex": 90}   # glyphs on one line: a 1000 px page, an A4 page at 10 pt
CJK_FONTS = {"ko": "Noto Sans CJK KR", "ja": "Noto Sans CJK JP"}

_TEX_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                "^": r"\^{}", "_": r"\_", "~": r"\textasciitilde{}", "%": r"\%"}
_MD_SPECIAL = set("\\`*_[]|$")


def templates_dir() -> Path:
    """Templates inside the installed package (wheel), else the repository's ``templates/``."""
    here = Path(__file__).resolve().parent.parent   # the derive package
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def tex_escape(text) -> str:
    """Plain text for LaTeX: every special character made literal."""
    return "".join(_TEX_ESCAPES.get(c, c) for c in str(text))


def md_escape(text) -> str:
    """Plain text for Markdown: HTML specials as entities, Markdown punctuation backslashed."""
    out = []
    for c in str(text):
        if c in "<>&\"":
            out.append({"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}[c])
        elif c in _MD_SPECIAL:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


class _Format:
    """How one format writes text and maths; prose fields filled with escaped text or maths."""

    def __init__(self, fmt: str, lang: str):
        self.fmt, self.lang = fmt, lang

    def text(self, s) -> str:
        if self.fmt == "html":
            return escape(str(s))
        return tex_escape(s) if self.fmt == "tex" else md_escape(s)

    def math(self, latex: str) -> str:
        if self.fmt == "html":
            return Markup(_mathml(latex, "inline"))
        return ("\\(%s\\)" if self.fmt == "tex" else "$%s$") % latex

    def block(self, eqs) -> str:
        """Several equations: one aligned LaTeX environment (compact), else one display each."""
        if self.fmt != "tex":
            return "\n\n".join(str(self.display(e)) for e in eqs)
        bodies = [self.display(e)[len("\\begin{align*}\n  "):-len("\n\\end{align*}")] for e in eqs]
        return "\\begin{align*}\n  %s\n\\end{align*}" % " \\\\\n  ".join(bodies)

    def display(self, eq) -> str:
        if isinstance(eq, tuple):
            eq = Eq(eq)
        parts = eq.parts if isinstance(eq, Eq) else (eq,)
        if self.fmt == "md":
            return "$$\n%s\n$$" % " = ".join(parts)
        budget = BUDGET[self.fmt]
        lines = aligned(parts, budget) if len(parts) > 1 else [(parts[0], "")]
        wide = glyphs(parts[0]) > 0.35 * budget and len(parts) > 1
        if wide:    # a long left side gets a line of its own; the rest follows, indented
            lines = [(parts[0], "")] + [("", r) for _, r in lines]
        if self.fmt == "html":
            cells = []
            for left, right in lines:
                cells.append('<span class="l">%s</span><span class="r">%s</span>' % (
                    _mathml(r"\displaystyle " + left, "inline") if left else "",
                    _mathml(r"\displaystyle " + right, "inline") if right else ""))
            return Markup('<div class="eq%s">%s</div>' % (" wide" if wide else "", "".join(cells)))
        rows = []
        for left, right in lines:
            if wide:
                rows.append(("&" + left) if left else (r"&\qquad " + right))
            else:
                rows.append(left + " &" + right)
        return "\\begin{align*}\n  %s\n\\end{align*}" % " \\\\\n  ".join(rows)

    def grid(self, eqs) -> str:
        """Short equations side by side: two to a row in LaTeX, a wrapping grid in HTML."""
        widest = max((glyphs(e.latex) for e in eqs), default=0)
        if self.fmt == "tex" and widest < BUDGET["tex"] * 0.45:
            per = 3 if widest < BUDGET["tex"] * 0.28 else 2
            rows = []
            for k in range(0, len(eqs), per):
                rows.append(" & ".join("%s &= %s" % (e.parts[0], " = ".join(e.parts[1:])) for e in eqs[k:k + per]))
            return "\\begin{align*}\n  %s\n\\end{align*}" % " \\\\\n  ".join(rows)
        shown = "\n\n".join(str(self.display(e)) for e in eqs)
        return Markup('<div class="grid">%s</div>' % shown) if self.fmt == "html" else shown

    def t(self, key: str, **fields) -> str:
        """The prose entry ``key`` in this language, literal text escaped, fields filled."""
        out = []
        for literal, name in prose.pieces(self.lang, key):
            out.append(self.text(literal))
            if name is not None:
                v = fields[name]
                if name in ("loss", "act") and not isinstance(v, M):   # an op's name, in this language
                    v = prose.name_of(self.lang, v)
                out.append(self.math(v) if isinstance(v, M) else self.text(v))
        joined = "".join(str(x) for x in out)
        return Markup(joined) if self.fmt == "html" else joined


@functools.lru_cache(maxsize=16384)     # a large network's notes repeat the same deltas and factors
def _mathml(latex: str, display: str) -> str:
    """MathML of ``latex``; path colours as the same hex the diagram and the PDF use."""
    from .sanitize import to_mathml
    out = to_mathml(latex, display)          # allowlisted MathML; a converter gap fails loudly
    for name, hexa in COLOUR_HEX.items():
        out = out.replace('mathcolor="%s"' % name, 'mathcolor="%s"' % hexa)
    return out


def environment(fmt: str) -> jinja2.Environment:
    """The jinja environment for ``fmt``: HTML autoescapes; LaTeX uses <% %> / << >> delimiters."""
    if fmt not in FORMATS:
        raise DeriveError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    kw = dict(loader=jinja2.FileSystemLoader(str(templates_dir() / fmt)), undefined=jinja2.StrictUndefined,
              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
              autoescape=(fmt == "html"))
    if fmt == "tex":
        kw.update(block_start_string="<%", block_end_string="%>", variable_start_string="<<",
                  variable_end_string=">>", comment_start_string="<#", comment_end_string="#>")
    env = jinja2.Environment(**kw)
    env.filters["tex"] = tex_escape
    env.filters["md"] = md_escape
    return env


def path_file(block) -> str:
    """The file name of a parameter's lit-path diagram (Markdown links to it)."""
    return f"paths-{block.name}.svg"


def render(notes: Notes, net, fmt: str, lang: str, diagram_file: str = "diagram.svg") -> str:
    """The notes as one document in ``fmt`` and ``lang``."""
    prose.check_language(lang)
    f = _Format(fmt, lang)

    def cols(ex, mean=False, single=False):
        if ex.m == 1 or single:
            keys = ["col_quantity", "col_formula", "col_numbers", "col_value"]
            return [f.t(k) for k in keys]
        heads = [f.t("col_quantity"), f.t("col_formula")] + [f.t("col_example", i=i + 1) for i in range(ex.m)]
        return heads + ([f.t("col_mean")] if mean else [])

    ctx = dict(n=notes, lang=lang, M=M, t=f.t, m=f.math, dm=f.display, dm_grid=f.grid, dm_block=f.block, text=f.text,
               cjk_font=CJK_FONTS.get(lang), diagram_file=diagram_file, path_file=path_file, cols=cols,
               name=lambda op: prose.name_of(lang, op), colour_hex=COLOUR_HEX,
               colour_name=lambda c: prose.TABLES[lang]["path_colour_%d" % COLOURS.index(c)])
    if fmt == "html":
        ctx["svg"] = Markup(diagram.svg(net))
        ctx["path_svg"] = lambda block: Markup(diagram.svg(net, block))
    elif fmt == "tex":
        ctx["tikz"] = diagram.tikz(net)
        ctx["path_tikz"] = lambda block: diagram.tikz(net, block)
    doc = environment(fmt).get_template("notes." + fmt).render(**ctx)
    from .framework import section      # a Keras model's code beside its update rules (issue 25)
    extra = section(net, notes, fmt, f.math, f.text, lang)
    if not extra:
        return doc
    end = {"html": "</body>", "tex": "\\end{document}"}.get(fmt)
    at = doc.rfind(end) if end else -1
    return doc + "\n" + extra if at < 0 else doc[:at] + extra + doc[at:]


def write_atomic(out_dir: Path, relative: str, text: str | bytes) -> Path:
    """Write ``out_dir/relative`` via a temp file and os.replace; refuse paths outside out_dir."""
    return safeio.write_inside(out_dir, relative, text)


def write_notes(notes: Notes, net, out_dir: Path, formats, langs) -> list[Path]:
    """Write ``out_dir/<slug>/notes.<lang>.<fmt>`` (and the diagram Markdown links to)."""
    written = []
    if "md" in formats:
        written.append(write_atomic(out_dir, f"{notes.slug}/diagram.svg", diagram.svg(net)))
        for block in notes.params:
            if block.paths:
                written.append(write_atomic(out_dir, f"{notes.slug}/{path_file(block)}",
                                            diagram.svg(net, block)))
    for lang in langs:
        for fmt in formats:
            if fmt == "pdf":
                from .pdf import compile_pdf
                data = compile_pdf(render(notes, net, "tex", lang), lang)
                written.append(write_atomic(out_dir, f"{notes.slug}/notes.{lang}.pdf", data))
                continue
            written.append(write_atomic(out_dir, f"{notes.slug}/notes.{lang}.{fmt}",
                                        render(notes, net, fmt, lang)))
    return written
