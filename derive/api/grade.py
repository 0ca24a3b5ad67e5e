"""``grade``: a class's answers (rows of id, param, answer) checked on every core, for a model of any form.

For a network each answer is a formula for d loss / d param; for a tensor program a formula (or backward
lines) for the gradient tensor ``param`` names, checked as ``check --backward`` checks a line.
"""
from __future__ import annotations

from pathlib import Path

from .load import derive, is_tensor, loaded


def read_answers(path):
    """The rows of a CSV with columns id, param, answer."""
    from ..checking.grade import read_answers as read
    return read(path)


def grade_report(model, rows: list[dict], *, workers: int | None = None, timeout: float = 5.0,
                 progress: bool | None = None, on_row=None):
    """Every row graded in a sandboxed worker: a ``GradeReport`` (rows in order, a summary).
    ``on_row`` is called with each graded row as it finishes (a web page's progress)."""
    model = loaded(model)
    if is_tensor(model):
        return _tensor(derive(model), rows, workers=workers, timeout=timeout, progress=progress, on_row=on_row)
    from ..checking.grade import grade as grade_all
    return grade_all(model, rows, workers=workers, timeout=timeout, progress=progress, on_row=on_row)


def grade(model, rows: list[dict], *, workers: int | None = None, timeout: float = 5.0,
          progress: bool | None = None, on_row=None, out_dir: str | Path | None = None) -> dict:
    """The ``derive grade --json`` object; with ``out_dir`` the report is written there too
    (report.csv, report.json)."""
    report = grade_report(model, rows, workers=workers, timeout=timeout, progress=progress, on_row=on_row)
    if out_dir is not None:
        report.write_csv(Path(out_dir) / "report.csv")
        report.write_json(Path(out_dir) / "report.json")
    return report.to_dict()


def _tensor(bw, rows: list[dict], *, workers, timeout, progress, on_row):
    """A tensor program's rows, each answer judged as one backward line."""
    import functools
    import time

    from tqdm import tqdm

    from .. import sandbox
    from ..checking.grade import GradeReport, Graded
    from .answer import grade_row
    pool = sandbox.Pool(functools.partial(grade_row, bw), workers, timeout)
    results: list = [None] * len(rows)
    start = time.perf_counter()
    with tqdm(total=len(rows), desc="grading", unit="answer", disable=(None if progress is None else not progress),
              leave=False) as bar:
        for i, outcome, seconds in pool.run((r["param"], r["answer"]) for r in rows):
            r = rows[i]
            base = dict(id=r["id"], param=r["param"], answer=r["answer"], seconds=round(seconds, 4))
            if outcome[0] == "ok":
                correct, messages, kinds, parsed = outcome[1]
                results[i] = Graded(**base, status="correct" if correct else "incorrect", diagnosis=messages,
                                    kinds=kinds, parsed=parsed)
            elif outcome[0] == "error":
                results[i] = Graded(**base, status="unusable", error=outcome[2])
            else:
                results[i] = Graded(**base, status="timeout" if outcome[0] == "timeout" else "error", error=outcome[1])
            bar.update()
            if on_row is not None:
                on_row(results[i])
    return GradeReport(bw.program.name, results, time.perf_counter() - start, min(pool.size, max(len(rows), 1)))
