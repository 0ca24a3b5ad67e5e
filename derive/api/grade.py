"""``grade``: a class's answers (rows of id, param, answer) checked on every core, for a model of any form.

For a network each answer is a formula for d loss / d param; for a tensor program a formula (or backward
lines) for the gradient tensor ``param`` names, checked as ``check --backward`` checks a line.
"""
from __future__ import annotations

from pathlib import Path

from .load import derive, is_tensor, loaded


def read_answers(path, model=None, *, columns=None, encoding: str | None = None):
    """The rows {id, param, answer} of a class's answers file (derive's CSV or an LMS/form export); with
    ``model`` (a network) a column per parameter is recognised by its header.  ``columns``: a
    ``checking.answercols.Columns`` naming the id, parameter and answer columns."""
    from ..checking.grade import read_answers as read
    return read(path, params=answer_params(model), columns=columns, encoding=encoding)


def answer_params(model) -> list[str] | None:
    """The names a column header may give for a parameter: a network's parameters (None otherwise)."""
    nodes = getattr(model, "nodes", None)
    if not isinstance(nodes, dict):
        return None
    return [name for name, n in nodes.items() if getattr(n, "kind", None) == "param"]


def grade_report(model, rows: list[dict], *, workers: int | None = None, timeout: float = 5.0,
                 progress: bool | None = None, on_row=None, store=None, scheduler: str | None = None):
    """Each distinct answer graded once in a sandboxed worker: a ``GradeReport`` (rows in order, a summary).
    ``on_row`` is called with each graded row as it finishes (a web page's progress); ``store``: a verdict
    store or its path (None: none); ``scheduler``: a Dask scheduler's address (None: this machine)."""
    model = loaded(model)
    kw = dict(workers=workers, timeout=timeout, progress=progress, on_row=on_row, store=store, scheduler=scheduler)
    if is_tensor(model):
        return _tensor(model, rows, **kw)
    from ..checking.grade import grade as grade_all
    return grade_all(model, rows, **kw)


def grade(model, rows: list[dict], *, workers: int | None = None, timeout: float = 5.0,
          progress: bool | None = None, on_row=None, out_dir: str | Path | None = None, store=None,
          scheduler: str | None = None) -> dict:
    """The ``derive grade --json`` object; with ``out_dir`` the report is written there too
    (report.csv, report.json)."""
    report = grade_report(model, rows, workers=workers, timeout=timeout, progress=progress, on_row=on_row,
                          store=store, scheduler=scheduler)
    if out_dir is not None:
        report.write_csv(Path(out_dir) / "report.csv")
        report.write_json(Path(out_dir) / "report.json")
    return report.to_dict()


def _build_tensor(program):
    return derive(program)


def _tensor(program, rows: list[dict], **kw):
    """A tensor program's rows, each distinct answer judged once as one backward line."""
    from ..checking.distinct import Recipe, normalise_lines
    from ..checking.grade import grade_recipe
    from ..checking.store import canonical_hash
    from .answer import grade_row
    bw = derive(program)                 # a bad program fails here, once, before any worker starts
    recipe = Recipe(_build_tensor, grade_row, (program,), canonical_hash(program), normalise_lines, built=bw)
    return grade_recipe(recipe, bw.program.name, rows, **kw)
