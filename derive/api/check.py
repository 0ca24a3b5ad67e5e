"""``check``: a typed answer, a whole derivation, or a tensor program's backward pass, judged.

Each use case comes twice: ``check(...)`` gives the plain ``--json`` object (what the web page answers);
``check_report(...)`` gives the checking stage's report object (``str()`` is the command line's text,
``.correct`` its exit code, ``.to_dict()`` the same ``--json`` object).
"""
from __future__ import annotations

from ..errors import DeriveError
from .load import derive, is_tensor, loaded, name

ANSWER_TIMEOUT = 5.0         # seconds per typed answer, and per backward line
DERIVATION_TIMEOUT = 60.0    # seconds for a whole derivation document, however many equations


def check_report(model, param: str | None, answer: str, *, timeout: float | None = ANSWER_TIMEOUT,
                 number_asked: bool = False, diagnose: bool = True):
    """One typed answer: for a network the ``Verdict`` of d loss / d ``param``; for a tensor program the
    ``BackwardReport`` of that answer's line for the gradient tensor ``param``.  ``timeout``: checked in a
    child process killed after that many seconds (None: in this process, e.g. already in a sandbox).
    A network's ``param`` may be spelled as the notes print it, or None when the answer's left side names
    it; ``number_asked``: the question asked for the gradient's value at the spec's values."""
    model = loaded(model)
    if is_tensor(model):
        from .answer import answer_text, check_answer
        bw = derive(model)
        if timeout is None:
            return check_answer(bw, param, answer)[0]
        from ..sandbox import call
        answer_text(bw, param, answer)       # an unusable answer fails here, in one line
        return call(check_answer, bw, param, answer, timeout=timeout)[0]
    from ..checking.checker import check as check_one, checker_for
    c = checker_for(model)
    return check_one(c.derivation, param, answer, timeout=timeout, diagnose=diagnose, number_asked=number_asked)


def check(model, param: str | None, answer: str, *, timeout: float | None = ANSWER_TIMEOUT,
          number_asked: bool = False) -> dict:
    """The ``derive check --json`` object of one typed answer (see ``check_report``)."""
    return check_report(model, param, answer, timeout=timeout, number_asked=number_asked).to_dict()


def check_derivation_report(model, text: str, *, timeout: float | None = DERIVATION_TIMEOUT,
                            memory: int | None = None, preset: str | None = None):
    """Every step of a derivation document (Markdown/LaTeX) about a network: a ``DerivationReport``.
    ``model`` None: the network is read from the text's own forward pass (its ``read`` line says what)."""
    if model is None:
        return _without_spec(text, timeout, memory)
    model = loaded(model)
    if is_tensor(model):
        raise DeriveError(f"{name(model)} is a tensor program: check its backward pass (one 'dNAME = expression' "
                          "per line), not a derivation")
    from ..checking.checker import checker_for
    from ..checking.derivation import check_derivation as check_all
    c = checker_for(model)
    report = check_all(c, text, timeout=timeout, memory=memory, preset=preset)
    if preset is None and _unread(report) * 4 >= len(report.steps) > 0:
        bound = _bound(c, text, timeout, memory)    # the text's own names for the spec's (w_1 for w11)?
        if bound is not None and _unread(bound) < _unread(report):
            return bound
    return report


def _unread(report) -> int:
    return sum(s.status == "unchecked" for s in report.steps)


def _bound(c, text: str, timeout: float | None, memory: int | None):
    """A quarter or more of a text unread against a spec: the text checked with its leaf names bound to the
    spec's by its numbers and its forward pass (``checking.textbind``), or None when nothing could be bound."""
    from ..checking.textbind import check_bound
    if timeout is None:
        report = check_bound(c, text)
    else:
        from .. import sandbox
        c._env                                   # built here once, inherited by the child
        report = sandbox.call(check_bound, c, text, timeout=timeout, memory=memory or sandbox.MEMORY,
                              what="derivation check")
    return report if report.read.startswith("bound") else None


def _without_spec(text: str, timeout: float | None, memory: int | None):
    """No spec: the network is read from the text's own forward pass (``checking.nospec``), checked in a
    child process like any derivation."""
    from ..checking.nospec import check_text
    if timeout is None:
        return check_text(text)
    from .. import sandbox
    return sandbox.call(check_text, text, timeout=timeout, memory=memory or sandbox.MEMORY, what="derivation check")


def check_derivation(model, text: str, *, timeout: float | None = DERIVATION_TIMEOUT,
                     memory: int | None = None, preset: str | None = None) -> dict:
    """The ``derive check --derivation --json`` object; ``"error"`` says when no equation could be checked.
    ``preset`` (nielsen, ufldl, ng, mazur, goodfellow, bishop; None or "": as written): the notation the text is read in; with a spec,
    ``"bindings"`` then starts with each of the text's symbols the preset read as derive's own (also for a
    preset applied because the text carries its marks: ``"applied_preset"``)."""
    from ..checking.presets import PRESETS
    if preset and preset not in PRESETS:
        raise DeriveError(f"unknown preset {preset!r}: expected one of {', '.join(PRESETS)}")
    report = check_derivation_report(model, text, timeout=timeout, memory=memory, preset=preset or None)
    out = report.to_dict()
    preset = preset or report.applied          # no preset given: the one its marks named, if it was applied
    if preset:
        out["preset"] = preset
        if model is not None:
            from ..checking.readout import preset_symbols
            m = loaded(model)
            spec = getattr(getattr(m, "net", m), "spec", None)
            layers = len(spec.layers) if spec is not None and spec.layered else None
            out["bindings"] = preset_symbols(preset, text, layers) + out["bindings"]
    if not report.checked:
        out["error"] = "no equation could be checked"
    return out


def check_backward_report(model, text: str, *, timeout: float | None = ANSWER_TIMEOUT):
    """Every ``dNAME = expression`` line of a tensor program's backward pass: a ``BackwardReport``.
    ``timeout``: seconds per line, the whole text checked in one child process (None: in this process)."""
    model = loaded(model)
    if not is_tensor(model):
        raise DeriveError(f"{name(model)}: a backward pass needs a tensor program (a spec with 'tensor:'); "
                          "for this spec, check an answer or a derivation")
    from ..checking.backward import check_backward as check_all, read_lines
    bw = derive(model)
    if timeout is None:
        return check_all(bw, text)
    from ..sandbox import MAX_TIMEOUT, call
    lines = read_lines(text)
    return call(check_all, bw, text, timeout=min(MAX_TIMEOUT, timeout * max(1, len(lines))))


def check_backward(model, text: str, *, timeout: float | None = ANSWER_TIMEOUT) -> dict:
    """The ``derive check --backward --json`` object."""
    return check_backward_report(model, text, timeout=timeout).to_dict()
