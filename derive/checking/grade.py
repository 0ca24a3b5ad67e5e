"""Grade a class's answers (CSV: id, param, answer) on every core: a report and a summary.

Every answer is checked in a worker process under a hard time limit; an unreadable answer, a
timeout or even a crashed worker is one row of the report, never the end of the batch.
"""
from __future__ import annotations

import csv
import functools
import io
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from .. import safeio, sandbox
from .checker import Checker, checker_for
from ..errors import DeriveError

MAX_CSV = 50_000_000
STATUSES = ("correct", "incorrect", "unusable", "timeout", "error")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")     # OWASP: what makes a spreadsheet read a formula


def spreadsheet_safe(cell) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ' before = + - @ tab or CR (OWASP's rule)."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass(frozen=True)
class Graded:
    """One graded answer: a row of the report."""
    id: str
    param: str
    answer: str
    status: str                 # correct | incorrect | unusable | timeout | error
    diagnosis: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    parsed: str = ""
    error: str = ""
    seconds: float = 0.0


def read_answers(path: str | Path) -> list[dict]:
    """Rows of a CSV with columns id, param, answer (header names case-insensitive)."""
    text = safeio.read_text(path, MAX_CSV, str(path))
    reader = csv.DictReader(io.StringIO(text, newline=""))     # any line ending, quoted newlines
    try:
        fields = reader.fieldnames or ()
    except csv.Error as e:
        raise DeriveError(f"{path}: bad CSV ({e})") from None
    header = {(h or "").strip().lower(): h for h in fields}
    missing = [c for c in ("id", "param", "answer") if c not in header]
    if missing:
        raise DeriveError(f"{path}: missing column(s) {', '.join(missing)}; expected a header id,param,answer")
    try:
        return [{c: (row.get(header[c]) or "").strip() for c in ("id", "param", "answer")} for row in reader]
    except csv.Error as e:
        raise DeriveError(f"{path}: bad CSV ({e})") from None


def _check(c: Checker, param: str, answer: str):
    return c.check(param, answer)


def _graded(row: dict, outcome: tuple, seconds: float) -> Graded:
    base = dict(id=row["id"], param=row["param"], answer=row["answer"], seconds=round(seconds, 4))
    kind = outcome[0]
    if kind == "ok":
        v = outcome[1]
        return Graded(**base, status="correct" if v.correct else "incorrect",
                      diagnosis=tuple(m.message for m in v.diagnosis), kinds=tuple(m.kind for m in v.diagnosis),
                      parsed=v.parsed)
    if kind == "error":
        return Graded(**base, status="unusable", error=outcome[2])
    return Graded(**base, status="timeout" if kind == "timeout" else "error", error=outcome[1])


@dataclass
class GradeReport:
    spec: str
    rows: list[Graded]
    seconds: float
    workers: int

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
                "seconds": round(self.seconds, 3), "workers": self.workers,
                "answers_per_second": round(n / self.seconds, 1) if self.seconds > 0 else None,
                "common_diagnoses": diag.most_common(8), "by_param": per_param,
                "duplicate_ids": sorted(i for i, k in Counter(r.id for r in self.rows).items() if k > 1)}

    def summary_text(self) -> str:
        s = self.summary()
        n = max(s["answers"], 1)
        out = [f"{self.spec}: graded {s['answers']} answers in {s['seconds']:.1f} s "
               f"({s['answers_per_second']} answers/s, {s['workers']} workers)"]
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
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(["id", "param", "answer", "status", "diagnosis", "kinds", "parsed", "error", "seconds"])
        for r in self.rows:
            w.writerow([spreadsheet_safe(c) for c in (r.id, r.param, r.answer, r.status, "; ".join(r.diagnosis),
                                                     " ".join(r.kinds), r.parsed, r.error)] + [r.seconds])
        return buf.getvalue()

    def write_csv(self, path: str | Path):
        """Write ``csv_text()`` atomically (a temporary file renamed into place)."""
        safeio.write_atomic(path, self.csv_text())

    def write_json(self, path: str | Path):
        """Write ``to_dict()`` as JSON atomically."""
        safeio.write_atomic(path, json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n")

    def _repr_html_(self) -> str:   # Jupyter: drawn by the notes stage, imported only when shown
        from ..notes.display import html
        return html(self)


def grade(network, rows: list[dict], *, workers: int | None = None, timeout: float = sandbox.DEFAULT_TIMEOUT,
          progress: bool | None = None, on_row: Callable[[Graded], None] | None = None) -> GradeReport:
    """Check every row ({id, param, answer}) in parallel; the report keeps the rows' order.

    ``on_row`` is called with each graded row as it finishes (a web page's progress)."""
    from tqdm import tqdm
    c = checker_for(network)
    c._env                       # shared work done once, before the workers fork
    c.points(48)
    pool = sandbox.Pool(functools.partial(_check, c), workers, timeout)
    results: list[Graded | None] = [None] * len(rows)
    start = time.perf_counter()
    with tqdm(total=len(rows), desc="grading", unit="answer", disable=(None if progress is None else not progress),
              leave=False) as bar:
        for i, outcome, seconds in pool.run((r["param"], r["answer"]) for r in rows):
            results[i] = _graded(rows[i], outcome, seconds)
            bar.update()
            if on_row is not None:
                on_row(results[i])
    return GradeReport(c.net.spec.name, results, time.perf_counter() - start, min(pool.size, max(len(rows), 1)))


__all__ = ["GradeReport", "Graded", "grade", "read_answers"]
