"""Grade a class's answers (CSV: id, param, answer) on every core or a Dask cluster: a report and a summary.

Each distinct answer is checked once (``distinct.py``), in a worker process under a hard time limit;
an unreadable answer, a timeout or even a crashed worker is one row of the report, never the end of
the batch.  Verdicts can be kept in a verdict store (``store.py``) and read back by the next run.
"""
from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from .. import safeio, sandbox
from . import answerfile
from .answercols import Columns, Layout
from .checker import Checker, checker_for
from .distinct import Recipe, grade_rows, local_runner, normalise_formula
from .store import canonical_hash

MAX_CSV = 50_000_000
STATUSES = ("correct", "incorrect", "unanswered", "unusable", "timeout", "error")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")     # OWASP: what makes a spreadsheet read a formula


def spreadsheet_safe(cell) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ' before = + - @ tab or CR (OWASP's rule)."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass(frozen=True, slots=True)
class Graded:
    """One graded answer: a row of the report."""
    id: str
    param: str
    answer: str
    status: str                 # correct | incorrect | unanswered | unusable | timeout | error
    diagnosis: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    parsed: str = ""
    error: str = ""
    seconds: float = 0.0


def read_answers(path: str | Path, *, params=None, columns: Columns | None = None,
                 encoding: str | None = None) -> list[dict]:
    """Rows {id, param, answer} of a class's answers file: derive's CSV (id, param, answer) or an LMS, form or
    spreadsheet export (see ``answerfile`` for encodings and delimiters, ``answercols`` for columns).

    ``params``: the network's parameter names, so that a column per parameter is recognised by its header;
    ``columns``: columns named by the user.  Ids are kept byte for byte (answers and parameters lose
    surrounding blanks); a row with more fields than the header is refused with its line number."""
    raw = safeio.read_bytes(path, MAX_CSV, str(path))
    text, _ = answerfile.decode(raw, str(path), encoding)
    return read_answers_text(text, str(path), params=params, columns=columns)


def read_answers_text(text: str, source: str = "the CSV", *, params=None, columns: Columns | None = None) -> list[dict]:
    """``read_answers`` of decoded text (the web page's upload)."""
    delim, text = answerfile.separator_line(text)
    skipped = 1 if delim else 0
    delim = delim or answerfile.delimiter(text)
    recs = answerfile.records(text, delim, source, 1 + skipped)
    first = next(recs, None)
    header = first[1] if first else []
    layout = Layout(header, source, params, columns)
    return layout.rows(recs, decimal_comma=delim != ",")


def _check(c: Checker, param: str, answer: str) -> tuple:
    v = c.check(param, answer)
    return v.correct, tuple(m.message for m in v.diagnosis), tuple(m.kind for m in v.diagnosis), v.parsed


def _checker(spec) -> Checker:
    """A network's checker with its shared work done (once, before workers fork)."""
    from ..model.graph import Network
    c = checker_for(Network(spec))
    c._env
    c.points(48)
    return c


def network_recipe(network) -> Recipe:
    """How to check answers on ``network`` (a Network or spec path/name), here or on a Dask worker."""
    c = checker_for(network)
    c._env                       # shared work done once, before the workers fork
    c.points(48)
    return Recipe(_checker, _check, (c.net.spec,), canonical_hash(c.net.spec), normalise_formula, built=c)


@dataclass
class GradeReport:
    spec: str
    rows: list[Graded]
    seconds: float
    workers: int
    distinct: int = 0           # distinct answers (after normalisation)
    graded: int = 0             # checks run by this grading
    from_store: int = 0         # verdicts read back from the verdict store

    def summary(self) -> dict:
        n = len(self.rows)
        counts = Counter(r.status for r in self.rows)
        diag = Counter(m for r in self.rows for m in r.diagnosis)
        per_param: dict = {}
        for r in self.rows:
            p = per_param.setdefault(r.param, {"answers": 0, "correct": 0})
            p["answers"] += 1
            p["correct"] += r.status == "correct"
        return {"answers": n, **{s: counts.get(s, 0) for s in STATUSES},
                "distinct": self.distinct, "graded": self.graded, "from_store": self.from_store,
                "seconds": round(self.seconds, 3), "workers": self.workers,
                "answers_per_second": round(n / self.seconds, 1) if self.seconds > 0 else None,
                "common_diagnoses": diag.most_common(8), "by_param": per_param,
                "duplicate_ids": sorted(i for i, k in Counter(r.id for r in self.rows).items() if k > 1)}

    def summary_text(self) -> str:
        s = self.summary()
        n = max(s["answers"], 1)
        out = [f"{self.spec}: graded {s['answers']} answers in {s['seconds']:.1f} s "
               f"({s['answers_per_second']} answers/s, {s['workers']} workers)",
               f"  {s['distinct']} distinct answers: {s['graded']} checked now, {s['from_store']} from the verdict store"]
        out += [f"  {k:<10} {s[k]:>6}  {100 * s[k] / n:5.1f}%" for k in STATUSES if s[k] or k in ("correct", "incorrect")]
        if s["common_diagnoses"]:
            out.append("most common diagnoses:")
            out += [f"  {c:>6}  {m}" for m, c in s["common_diagnoses"]]
        if s["duplicate_ids"]:
            d = s["duplicate_ids"]
            out.append(f"warning: {len(d)} answer id{'s' if len(d) > 1 else ''} appear{'' if len(d) > 1 else 's'} "
                       f"more than once: " + ", ".join(repr(i) for i in d[:10]) + (", ..." if len(d) > 10 else ""))
        out.append("by parameter: " + ", ".join(f"{p} {v['correct']}/{v['answers']}" for p, v in s["by_param"].items()))
        return "\n".join(out)

    def to_dict(self) -> dict:
        return {"spec": self.spec, "summary": self.summary(), "rows": [asdict(r) for r in self.rows]}

    def csv_text(self) -> str:
        """The report as CSV; every cell safe to open in a spreadsheet."""
        return self._csv_bytes().decode("utf-8")

    def _csv_bytes(self) -> bytearray:
        out, buf = bytearray(), io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(["id", "param", "answer", "status", "diagnosis", "kinds", "parsed", "error", "seconds"])
        for k, r in enumerate(self.rows, 1):
            w.writerow([spreadsheet_safe(c) for c in (r.id, r.param, r.answer, r.status, "; ".join(r.diagnosis),
                                                     " ".join(r.kinds), r.parsed, r.error)] + [r.seconds])
            if k % 10_000 == 0:          # a million rows: one copy of the text, not three
                out += buf.getvalue().encode("utf-8")
                buf.seek(0)
                buf.truncate()
        out += buf.getvalue().encode("utf-8")
        return out

    def write_csv(self, path: str | Path):
        """Write ``csv_text()`` atomically (a temporary file renamed into place)."""
        safeio.write_atomic(path, self._csv_bytes())

    def write_json(self, path: str | Path):
        """Write ``to_dict()`` as JSON atomically, a row a line (built row by row: a big class's report
        never holds every row as a dict at once)."""
        head = json.dumps({"spec": self.spec, "summary": self.summary()}, indent=1, ensure_ascii=False)
        out = bytearray(head[:-2].encode("utf-8") + b',\n "rows": [')
        for k, r in enumerate(self.rows):
            out += (",\n  " if k else "\n  ").encode() + json.dumps(asdict(r), ensure_ascii=False).encode("utf-8")
        out += b"\n ]\n}\n"
        safeio.write_atomic(path, out)

    def _repr_html_(self) -> str:   # Jupyter: drawn by the notes stage (derive.jupyter)
        from ..jupyter import html
        return html(self)


def grade(network, rows: list[dict], *, workers: int | None = None, timeout: float = sandbox.DEFAULT_TIMEOUT,
          progress: bool | None = None, on_row: Callable[[Graded], None] | None = None, store=None,
          scheduler: str | None = None) -> GradeReport:
    """Check every row ({id, param, answer}), each distinct answer once; the report keeps the rows' order
    and shows a row's "typed" text (0,0722) where it has one, its "answer" (0.0722) being what is graded.

    ``store``: a ``store.Store`` or a path (None: no store); ``scheduler``: a Dask scheduler's address
    (None: sandboxed workers on this machine).  ``on_row`` is called with each graded row as it
    finishes (a web page's progress)."""
    recipe = network_recipe(network)
    return grade_recipe(recipe, recipe.built.net.spec.name, rows, workers=workers, timeout=timeout,
                        progress=progress, on_row=on_row, store=store, scheduler=scheduler)


def grade_recipe(recipe: Recipe, name: str, rows: list[dict], *, workers: int | None = None,
                 timeout: float = sandbox.DEFAULT_TIMEOUT, progress: bool | None = None,
                 on_row: Callable[[Graded], None] | None = None, store=None,
                 scheduler: str | None = None) -> GradeReport:
    """``grade`` for any checker (a network's, a tensor program's): see ``distinct.Recipe``."""
    from tqdm import tqdm
    timeout = sandbox.check_timeout(timeout)
    owned = isinstance(store, (str, Path))
    if owned:
        from .store import Store
        store = Store(store)
    if scheduler:
        from .cluster import cluster_runner
        runner = cluster_runner(scheduler, recipe, timeout)
    else:
        runner = local_runner(recipe, workers, timeout)
    results: list[Graded | None] = [None] * len(rows)
    start = time.perf_counter()
    try:
        with tqdm(total=len(rows), desc="grading", unit="answer", leave=False,
                  disable=(None if progress is None else not progress)) as bar:
            def arrived(idx: list[int], v: dict):
                for i in idx:
                    r = rows[i]
                    results[i] = Graded(id=r["id"], param=r["param"], answer=r.get("typed", r["answer"]),
                                        status=v["status"],
                                        diagnosis=tuple(v["diagnosis"]), kinds=tuple(v["kinds"]), parsed=v["parsed"],
                                        error=v["error"], seconds=v["seconds"])
                    if on_row is not None:
                        on_row(results[i])
                bar.update(len(idx))
            _, tally = grade_rows(rows, recipe, runner, timeout=timeout, store=store, on_verdict=arrived)
    finally:
        getattr(runner, "close", lambda: None)()
        if owned:
            store.close()
    return GradeReport(name, results, time.perf_counter() - start, min(runner.size, max(tally.distinct, 1)),
                       tally.distinct, tally.graded, tally.from_store)


__all__ = ["Columns", "GradeReport", "Graded", "Recipe", "grade", "grade_recipe", "network_recipe", "read_answers",
           "read_answers_text"]
