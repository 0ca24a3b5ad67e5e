"""The web app: pages, the JSON API, request limits, and the sandbox every request runs in.

Handlers only translate: they read and size-check the JSON body, run one function of ``work`` in
``sandbox.call`` (a forked child with a time and memory limit), and return its object as JSON.
Unusable input is HTTP 4xx with ``{"error": "..."}``; a bug is 500 with one line, never a traceback.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import multiprocessing
import os
import secrets
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import sandbox
from ..errors import DeriveError
from ..version import __version__
from . import work

MAX_BODY = 2_000_000                 # bytes of one request body
LIMITS = {"spec": 1_000_000, "answer": 100_000, "param": 200, "derivation": 1_000_000, "csv": 1_900_000,
          "lang": 8, "format": 8, "notation": 16}
MAX_MATHML = 64                      # LaTeX strings per /api/mathml request
MAX_WAITING = 400                    # requests queued for a sandbox before the server says it is busy
MAX_JOBS = 20                        # grading jobs kept (their reports live in the temporary folder)
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                      "img-src 'self' data:; frame-ancestors 'self'; form-action 'none'"}
# The sandbox forks from a worker thread; those threads only wait on a pipe, and every module a
# child uses is imported before the first request, so no lock a child needs is held elsewhere.
warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning)


class Bad(Exception):
    """Unusable input: an HTTP status and one line."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Settings:
    timeout: float = 5.0             # seconds per check (the CLI's default)
    work_timeout: float = 120.0      # seconds for verify, notes and a derivation
    workers: int = max(2, 2 * (os.cpu_count() or 1))   # sandboxes running at once; the rest wait


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


class Server:
    """State of one running app: settings, the sandbox limiter, the temporary folder, grading jobs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.tmp: Path | None = None
        self.limiter: anyio.CapacityLimiter | None = None
        self.waiting = 0
        self.jobs: dict[str, Job] = {}

    async def run(self, fn, *args, timeout: float):
        """``fn(*args)`` in a sandboxed child (at most ``workers`` at once); DeriveError for bad input."""
        if self.waiting >= MAX_WAITING:
            raise Bad(503, "the server is busy; try again in a moment")
        self.waiting += 1
        try:
            call = functools.partial(sandbox.call, fn, *args, timeout=timeout)
            return await anyio.to_thread.run_sync(call, limiter=self.limiter)
        finally:
            self.waiting -= 1


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _preload():
    """Import everything a request's child uses, once, before any request (fast, lock-free forks)."""
    import latex2mathml.converter  # noqa: F401
    import sympy  # noqa: F401

    from ..checking import checker, derivation, diagnose, grade  # noqa: F401
    from ..cli import notes, verify  # noqa: F401
    from ..notes import display, render  # noqa: F401


# -- reading requests --------------------------------------------------------------------------

async def body(request: Request) -> dict:
    """The JSON object of a POST, at most MAX_BODY bytes."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise Bad(415, "send a JSON object (Content-Type: application/json)")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise Bad(413, f"request body larger than {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Bad(413, f"request body larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise Bad(400, "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Bad(400, "the request body must be a JSON object")
    return data


def text(data: dict, name: str, default: str | None = None) -> str:
    """A string field, present (or defaulted) and within its size limit."""
    value = data.get(name, default)
    if value is None:
        raise Bad(400, f"missing field {name!r}")
    if not isinstance(value, str):
        raise Bad(400, f"field {name!r} must be a string")
    if len(value) > LIMITS[name]:
        raise Bad(413, f"field {name!r} is longer than {LIMITS[name]} characters")
    return value


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def endpoint(handler):
    """Wrap a handler: unusable input -> 4xx JSON, a bug -> 500 with one line."""
    @functools.wraps(handler)
    async def wrapped(request: Request):
        try:
            return await handler(request, request.app.state.server)
        except Bad as e:
            return _error(e.status, str(e))
        except DeriveError as e:
            return _error(422, str(e))
        except RuntimeError as e:      # sandbox: an internal error in the child, reported in one line
            return _error(500, f"internal error: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    return wrapped


# -- the API -----------------------------------------------------------------------------------

async def examples(request, srv):
    from ..model.spec import bundled_examples
    return JSONResponse({"examples": bundled_examples()})


async def example(request, srv):
    from ..model.spec import bundled_examples, read_source
    name = request.path_params["name"]
    if name not in bundled_examples():
        raise Bad(404, f"no bundled example named {name!r}")
    return JSONResponse({"name": name, "text": read_source(name)[0]})


async def spec(request, srv):
    data = await body(request)
    notation = data.get("notation") and text(data, "notation")
    return JSONResponse(await srv.run(work.spec_info, text(data, "spec"), notation or None,
                                      timeout=srv.settings.timeout * 4))


async def verify(request, srv):
    data = await body(request)
    return JSONResponse(await srv.run(work.verify, text(data, "spec"), timeout=srv.settings.work_timeout))


async def check(request, srv):
    data = await body(request)
    spec_text = text(data, "spec")
    if ("derivation" in data) == ("answer" in data):
        raise Bad(400, "give either 'answer' (with 'param') or 'derivation'")
    t = srv.settings.timeout
    if "derivation" in data:
        out = await srv.run(work.check_derivation, spec_text, text(data, "derivation"), timeout=6 * t)
        return JSONResponse(out, status_code=422 if "error" in out else 200)
    return JSONResponse(await srv.run(work.check, spec_text, text(data, "param"), text(data, "answer"), t,
                                      timeout=t + 2))


async def parse(request, srv):
    data = await body(request)
    return JSONResponse(await srv.run(work.preview, text(data, "spec"), text(data, "answer"),
                                      timeout=srv.settings.timeout))


async def notes(request, srv):
    data = await body(request)
    notation = data.get("notation") and text(data, "notation")
    args = (text(data, "spec"), text(data, "lang", "en"), text(data, "format", "html"), notation or None)
    return JSONResponse(await srv.run(work.notes, *args, timeout=srv.settings.work_timeout))


async def mathml(request, srv):
    data = await body(request)
    latex = data.get("latex")
    if not (isinstance(latex, list) and all(isinstance(s, str) and len(s) <= LIMITS["answer"] for s in latex)):
        raise Bad(400, "field 'latex' must be a list of strings")
    if len(latex) > MAX_MATHML:
        raise Bad(413, f"at most {MAX_MATHML} formulas at once")
    return JSONResponse(await srv.run(work.mathml, latex, timeout=srv.settings.timeout))


def _grade_limit(srv, csv_text: str) -> float:
    rows = csv_text.count("\n") + 1
    return srv.settings.work_timeout + srv.settings.timeout * rows / max(1, os.cpu_count() or 1)


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


async def _grade(srv, job: Job, spec_text: str, csv_text: str):
    (job.folder / "answers.csv").write_text(csv_text, encoding="utf-8")
    fn = functools.partial(work.grade, progress=job.progress)
    try:
        job.result = await srv.run(fn, spec_text, str(job.folder / "answers.csv"), str(job.folder),
                                   srv.settings.timeout, timeout=_grade_limit(srv, csv_text))
        job.status = "done"
    except (Bad, DeriveError, RuntimeError) as e:
        job.status, job.error = "error", str(e).splitlines()[0] if str(e) else type(e).__name__
        raise


async def grade(request, srv):
    data = await body(request)
    spec_text, csv_text = text(data, "spec"), text(data, "csv")
    job = _new_job(srv)
    await _grade(srv, job, spec_text, csv_text)
    return JSONResponse(job.result)


async def grade_start(request, srv):
    data = await body(request)
    spec_text, csv_text = text(data, "spec"), text(data, "csv")
    job = _new_job(srv)
    task = asyncio.get_running_loop().create_task(_grade(srv, job, spec_text, csv_text))
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


# -- pages -------------------------------------------------------------------------------------

def _pages() -> jinja2.Environment:
    from ..notes.render import templates_dir
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "serve")),
                              autoescape=True, undefined=jinja2.StrictUndefined)


async def page(request, srv):
    from ..model.naming import PRESETS
    from ..model.spec import bundled_examples
    from ..notes.prose import LANGUAGES
    name = "lecturer.html" if request.url.path.rstrip("/").endswith("lecturer") else "student.html"
    html = request.app.state.pages.get_template(name).render(
        examples=bundled_examples(), presets=PRESETS, languages=LANGUAGES, version=__version__)
    return HTMLResponse(html)


# -- the app -----------------------------------------------------------------------------------

async def _not_found(request, exc: HTTPException):
    return _error(exc.status_code, exc.detail if isinstance(exc.detail, str) else "not found")


class _Headers:
    """Security headers on every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                have = {k.lower() for k, _ in message["headers"]}
                message["headers"] += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()
                                       if k.lower().encode() not in have]
            await send(message)
        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def create_app(settings: Settings | None = None, host: str = "127.0.0.1") -> Starlette:
    """The Starlette app; ``host`` decides which Host headers are accepted (DNS-rebinding guard)."""
    from ..notes.render import templates_dir
    srv = Server(settings or Settings())

    @contextlib.asynccontextmanager
    async def lifespan(app):
        _preload()
        srv.limiter = anyio.CapacityLimiter(srv.settings.workers)
        srv.tmp = Path(tempfile.mkdtemp(prefix="derive-serve-"))
        try:
            yield
        finally:
            shutil.rmtree(srv.tmp, ignore_errors=True)

    post = lambda path, fn: Route(path, endpoint(fn), methods=["POST"])  # noqa: E731
    get = lambda path, fn: Route(path, endpoint(fn), methods=["GET"])    # noqa: E731
    routes = [get("/", page), get("/lecturer", page),
              get("/api/examples", examples), get("/api/examples/{name}", example),
              post("/api/spec", spec), post("/api/verify", verify), post("/api/check", check),
              post("/api/parse", parse), post("/api/notes", notes), post("/api/mathml", mathml),
              post("/api/grade", grade), post("/api/grade/jobs", grade_start),
              get("/api/grade/jobs/{id}", grade_status), get("/api/grade/jobs/{id}/report.{kind}", grade_report),
              Mount("/static", StaticFiles(directory=str(templates_dir() / "serve" / "static")), name="static")]
    hosts = ["127.0.0.1", "localhost", host] if is_loopback(host) else ["*"]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _not_found},
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts), Middleware(_Headers)])
    app.state.server = srv
    app.state.pages = _pages()
    return app
