"""What each web request does, as plain functions: the use cases of ``derive.api``, as the CLI calls them.

Every function here runs inside a sandboxed child process (``sandbox.call``), so a spec or an answer that
takes too long or too much memory is killed there, never in the server; the use cases are therefore called
with ``timeout=None`` (no second sandbox).  A ``spec`` is a bundled example's name or the text of a
YAML/JSON spec (``api.from_text``); text is never taken as a path.
"""
from __future__ import annotations

from .. import api
from ..errors import DeriveError


def spec_info(spec: str, notation: str | None = None) -> dict:
    """What a page needs to offer a spec: its name, trainable parameters (or gradient tensors) and every
    symbol's LaTeX."""
    return api.info(api.from_text(spec, notation))


def answer_params(spec: str) -> list[str] | None:
    """The names a class file's column header may give for a parameter (None: a tensor program's file has none)."""
    from ..api.grade import answer_params as named
    return named(api.from_text(spec))


def verify(spec: str) -> dict:
    """The ``derive verify --json`` object."""
    return api.verify(api.from_text(spec))


def check(spec: str, param: str, answer: str, timeout: float) -> dict:
    """The ``derive check --json`` object for one typed formula (already in a sandbox: no second one).

    For a tensor program: the ``derive check --backward --json`` object of that formula's line."""
    return api.check(api.from_text(spec), param, answer, timeout=None)


def check_backward(spec: str, text: str) -> dict:
    """The ``derive check --backward --json`` object: every line of a tensor program's backward pass."""
    return api.check_backward(api.from_text(spec), text, timeout=None)


def check_derivation(spec: str, text: str, preset: str | None = None) -> dict:
    """The ``derive check --derivation --json`` object: every step of a pasted derivation, read in ``preset``'s
    notation (nielsen, ufldl, ng, mazur, goodfellow, bishop) when one is chosen.  An empty spec: the network is read from the
    text's own forward pass, as ``derive check --derivation FILE`` with no spec does."""
    model = api.from_text(spec) if spec.strip() else None
    return api.check_derivation(model, text, timeout=None, preset=preset)


def preview(spec: str, answer: str) -> dict:
    """How a typed formula is understood: its LaTeX in the spec's notation, and as MathML."""
    return api.preview(api.from_text(spec), answer)


def notes(spec: str, lang: str = "en", fmt: str = "html", notation: str | None = None) -> dict:
    """The notes as one document (what ``derive notes`` writes, rendered in memory)."""
    return api.notes(api.from_text(spec, notation), lang, fmt)


def mathml(latex: list[str]) -> dict:
    """LaTeX to MathML for display (an entry that cannot be converted comes back as None)."""
    from ..notes.display import mathml as convert
    out = []
    for s in latex:
        try:
            out.append(convert(s))
        except DeriveError:
            out.append(None)
    return {"mathml": out}


def grade(spec: str, csv_path: str, out_dir: str, timeout: float, progress=None, part=None, columns=None) -> dict:
    """The ``derive grade --json`` object for a class's answers file (derive's CSV, or an LMS/form export
    with a column per parameter of the spec; ``columns``: an ``answercols.Columns`` naming them); the report
    written to out_dir.

    Verdicts go through the verdict store the command line uses (``checking.store.default_path``).
    ``part`` = (k, n): only the k-th of n slices of the distinct answers, into the store, no report (a big
    class in chunks, each under the job's time limit; the last call reads them all back).
    ``progress`` is shared memory (a multiprocessing array): [answers graded, answers in the CSV]; it
    never goes down, chunk after chunk.
    """
    import multiprocessing

    from ..checking.distinct import part_of
    from ..checking.store import open_default
    # grade() checks every answer in its own sandboxed worker; this sandbox child may start them
    # (multiprocessing refuses children of a daemon): they exit on EOF if this child is killed.
    multiprocessing.current_process().daemon = False
    model = api.from_text(spec)
    rows = api.read_answers(csv_path, model, columns=columns)   # read as derive grade reads it
    if not rows:
        raise DeriveError("the CSV has no answers (expected a header id,param,answer and one row per answer)")
    base = progress[0] if progress is not None and part is not None else 0
    if progress is not None:
        progress[1] = len(rows)
    done = [0]

    def tick(_row):
        done[0] += 1
        if progress is not None:
            progress[0] = max(progress[0], base + done[0])
    store = open_default()           # the command line's store; unusable: graded without one
    try:
        if part is not None:
            api.grade(model, part_of(rows, *part), timeout=timeout, progress=False, on_row=tick, store=store)
            return {}
        return api.grade(model, rows, timeout=timeout, progress=False, on_row=tick, out_dir=out_dir, store=store)
    finally:
        if store is not None:
            store.close()
