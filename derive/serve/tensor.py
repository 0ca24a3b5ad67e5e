"""What a web request does for a tensor program: the calls ``derive verify``, ``check --backward``,
``notes`` and ``grade`` make for a ``tensor:`` spec.  Like ``work``, every function runs in a sandboxed
child; a ``spec`` is a bundled example's name or spec text, never a path.
"""
from __future__ import annotations

from ..errors import DeriveError, SpecError


def is_tensor(spec: str) -> bool:
    """Whether ``spec`` (a bundled name or spec text) is a tensor program; unreadable text is not."""
    from ..model.spec import bundled_examples, parse_text
    from ..tensor.program import bundled_tensor_examples
    if spec in bundled_tensor_examples():
        return True
    if spec in bundled_examples():
        return False
    try:
        data = parse_text(spec, "the spec")
    except SpecError:
        return False
    return isinstance(data, dict) and "tensor" in data


def program(spec: str):
    """The Program of a bundled tensor example's name or of tensor spec text."""
    from importlib import resources

    from ..model.spec import parse_text
    from ..tensor.program import bundled_tensor_examples, from_dict
    if spec in bundled_tensor_examples():
        text = resources.files("derive").joinpath("examples", "tensor", spec + ".yaml").read_text("utf-8")
        return from_dict(parse_text(text, spec), spec)
    return from_dict(parse_text(spec, "the spec"), "spec")


def backward(spec: str):
    from ..tensor.backward import derive_backward
    return derive_backward(program(spec))


def spec_info(spec: str) -> dict:
    """What the page offers for a tensor program: every gradient tensor a student may be asked for."""
    bw = backward(spec)
    prog = bw.program
    return {"name": prog.name, "kind": "tensor", "notation": "tensor", "params": [x.target for x in bw.lines],
            "loss": prog.output, "symbols": {}, "sizes": dict(prog.sizes),
            "shapes": {x.target: list(x.shape) for x in bw.lines}}


def verify(spec: str) -> dict:
    """The ``derive verify --json`` object of a tensor program."""
    from ..cli.tensor import report
    return report(program(spec))


def check(spec: str, param: str, answer: str) -> dict:
    """The ``derive check --backward --json`` object for one formula for the gradient tensor ``param``."""
    from ..cli.tensor import check_answer
    return check_answer(backward(spec), param, answer)[0].to_dict()


def check_backward(spec: str, text: str) -> dict:
    """The ``derive check --backward --json`` object for a pasted backward pass."""
    from ..checking.backward import check_backward as check_all
    return check_all(backward(spec), text).to_dict()


def preview(spec: str, answer: str) -> dict:
    """How a typed formula is read: ``dNAME = ...`` as the notes print it, and as MathML."""
    from ..checking.backward import _LINE
    from ..notes.display import mathml
    from ..notes.tensor import latex_printer
    from ..tensor import grammar
    bw = backward(spec)
    tex, latex_name = latex_printer(bw)
    text = answer.strip()
    if "\n" in text:
        raise DeriveError("several lines: the preview reads one formula (check them as a backward pass)")
    m = _LINE.fullmatch(text)
    tree = grammar.parse(m.group(2) if m else text)
    try:
        body = tex(tree)
    except Exception:        # a formula whose shapes do not fit still previews, as code
        from ..tensor.printer import to_code
        body = "\\texttt{" + to_code(tree).replace("_", "\\_") + "}"
    latex = f"{latex_name(m.group(1))} = {body}" if m else body
    return {"latex": latex, "mathml": mathml(latex)}


def notes(spec: str, lang: str = "en", fmt: str = "html") -> dict:
    """The matrix-form notes as one document (what ``derive notes`` writes for a tensor program)."""
    from ..notes.tensor import build, render
    if fmt not in ("html", "md", "tex"):
        raise DeriveError(f"unknown format {fmt!r}; expected html, md or tex")
    bw = backward(spec)
    n = build(bw, lang)
    return {"spec": bw.program.name, "lang": lang, "format": fmt, "notation": "tensor",
            "params": [x.target for x in bw.lines], "text": render(n, fmt, lang)}
