"""Grading a class CSV as a job: the child reports progress through shared memory, the page polls it.

The CSV and the report live in the job's folder inside the server's temporary folder; at most
MAX_JOBS are kept, the oldest finished ones removed first.
"""
from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from starlette.responses import FileResponse, JSONResponse

from ..errors import DeriveError
from . import work
from .http import Bad, body, scrub, text

MAX_JOBS = 20                        # grading jobs kept (their reports live in the temporary folder)


@dataclass
class Job:
    """A grading job: its folder (CSV in, report out), progress shared with the child, outcome."""
    id: str
    folder: Path
    progress: object                 # multiprocessing RawArray [done, total]
    status: str = "running"          # running | done | error
    result: dict | None = None
    error: str = ""
    started: float = field(default_factory=time.monotonic)


CHUNK_LIMIT = 900.0                  # seconds one grading child may run; a bigger class runs in chunks


def _grade_plan(srv, csv_text: str, params: list[str] | None = None, columns=None) -> tuple[float, int]:
    """(time limit per run, number of chunks): the limit scales with the distinct answers (each checked
    once), capped at CHUNK_LIMIT without refusing; over the cap, the distinct answers are split in chunks.
    ``params``, ``columns``: the network's parameters and the columns named, so the file is read as the child
    reads it."""
    from ..checking.distinct import distinct_count
    from ..checking.grade import read_answers_text
    try:
        rows = read_answers_text(csv_text, params=params, columns=columns)
    except DeriveError:
        return srv.settings.work_timeout, 1                # the grading child says what is wrong with it
    distinct = distinct_count(rows, lambda a: a)
    cores = max(1, os.cpu_count() or 1)
    need = srv.settings.work_timeout + srv.settings.timeout * distinct / cores
    if need <= CHUNK_LIMIT:
        return need, 1
    per_chunk = max(1, int((CHUNK_LIMIT - srv.settings.work_timeout) * cores / srv.settings.timeout))
    return CHUNK_LIMIT, -(-distinct // per_chunk)


def _new_job(srv) -> Job:
    finished = [j for j in srv.jobs.values() if j.status != "running"]
    while len(srv.jobs) >= MAX_JOBS and finished:
        old = finished.pop(0)
        srv.jobs.pop(old.id, None)
        shutil.rmtree(old.folder, ignore_errors=True)
    if len(srv.jobs) >= MAX_JOBS:
        raise Bad(503, "too many grading jobs running; try again when one has finished")
    job_id = secrets.token_hex(8)
    folder = srv.tmp / f"job-{job_id}"
    folder.mkdir()
    job = Job(job_id, folder, multiprocessing.RawArray("q", 2))
    srv.jobs[job_id] = job
    return job


def _columns(data: dict):
    """The columns the page names, as ``derive grade``'s --id-column, --param-column and --answer-column
    (``answer_column``: one COLUMN[=PARAM] a line); None when it names none."""
    from ..checking.answercols import Columns
    id_col, param_col = text(data, "id_column", "").strip(), text(data, "param_column", "").strip()
    answers = tuple(Columns.parse_answer(a) for a in text(data, "answer_column", "").splitlines() if a.strip())
    if not (id_col or param_col or answers):
        return None
    return Columns(id_col or None, param_col or None, answers)


async def _grade(srv, job: Job, spec_text: str, csv_text: str, columns=None):
    (job.folder / "answers.csv").write_text(csv_text, encoding="utf-8")
    fn = functools.partial(work.grade, progress=job.progress, columns=columns)
    args = (spec_text, str(job.folder / "answers.csv"), str(job.folder), srv.settings.timeout)
    try:
        params = await srv.run(work.answer_params, spec_text, timeout=srv.settings.work_timeout)
        limit, chunks = _grade_plan(srv, csv_text, params, columns)
        for k in range(chunks if chunks > 1 else 0):      # each chunk's verdicts kept in the store
            await srv.run(functools.partial(work.grade, progress=job.progress, part=(k, chunks), columns=columns),
                          *args, timeout=limit)
        job.result = await srv.run(fn, *args, timeout=limit)
        job.status = "done"
    except (Bad, DeriveError, RuntimeError) as e:
        job.status, job.error = "error", scrub(str(e).splitlines()[0]) if str(e) else type(e).__name__
        raise


async def grade(request, srv):
    data = await body(request)
    spec_text, csv_text, columns = text(data, "spec"), text(data, "csv"), _columns(data)
    job = _new_job(srv)
    await _grade(srv, job, spec_text, csv_text, columns)
    return JSONResponse(job.result)


async def grade_start(request, srv):
    data = await body(request)
    spec_text, csv_text, columns = text(data, "spec"), text(data, "csv"), _columns(data)
    job = _new_job(srv)
    task = asyncio.get_running_loop().create_task(_grade(srv, job, spec_text, csv_text, columns))
    task.add_done_callback(lambda t: t.cancelled() or t.exception())   # outcome kept in the job
    return JSONResponse({"id": job.id, "status": job.status}, status_code=202)


def _job(request, srv) -> Job:
    job = srv.jobs.get(request.path_params["id"])
    if job is None:
        raise Bad(404, "no such grading job (it may have been cleared)")
    return job


async def grade_status(request, srv):
    job = _job(request, srv)
    done, total = job.progress[0], job.progress[1]
    out = {"id": job.id, "status": job.status, "done": done, "total": total or None,
           "seconds": round(time.monotonic() - job.started, 1)}
    if job.status == "done":
        out["summary"] = job.result["summary"]
        out["rows"] = job.result["rows"]
    elif job.status == "error":
        out["error"] = job.error
    return JSONResponse(out)


async def grade_report(request, srv):
    job = _job(request, srv)
    kind = request.path_params["kind"]
    if job.status != "done" or kind not in ("csv", "json"):
        raise Bad(404, "the report is not ready" if kind in ("csv", "json") else "report.csv or report.json")
    return FileResponse(job.folder / f"report.{kind}", filename=f"report.{kind}",
                        media_type="text/csv" if kind == "csv" else "application/json")
