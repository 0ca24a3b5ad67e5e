"""The web app: the pages, the API's routes, and the app's life (preload, temporary folder, limiter).

Request handling, limits and the sandbox runner are in ``http``; grading jobs in ``jobs``; what each
request computes in ``work`` (the same library calls as the CLI).
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..version import __version__
from . import jobs, work
from .http import LIMITS, Bad, SecurityHeaders, Server, Settings, body, endpoint, http_error, is_loopback, text

MAX_MATHML = 64                      # LaTeX strings per /api/mathml request


def _preload():
    """Import everything a request's child uses, once, before any request (fast, lock-free forks)."""
    import latex2mathml.converter  # noqa: F401
    import sympy  # noqa: F401

    from ..checking import backward, checker, derivation, diagnose, grade  # noqa: F401
    from .. import api  # noqa: F401
    from ..codegen import tensor as compiled  # noqa: F401
    from ..notes import content, display, render, tensor as tensor_notes  # noqa: F401
    from ..tensor import proof  # noqa: F401


def _examples() -> list[str]:
    """Every bundled example's name: the layered and graph specs, then the tensor programs."""
    from ..model.spec import bundled_examples
    from ..tensor.program import bundled_tensor_examples
    return bundled_examples() + bundled_tensor_examples()


async def examples(request, srv):
    return JSONResponse({"examples": _examples()})


async def example(request, srv):
    from importlib import resources

    from ..model.spec import bundled_examples
    name = request.path_params["name"]
    if name not in _examples():
        raise Bad(404, f"no bundled example named {name!r}")
    folder = ("examples",) if name in bundled_examples() else ("examples", "tensor")
    text = resources.files("derive").joinpath(*folder, name + ".yaml").read_text(encoding="utf-8")
    return JSONResponse({"name": name, "text": text})


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
    if sum(k in data for k in ("answer", "derivation", "backward")) != 1:
        raise Bad(400, "give one of 'answer' (with 'param'), 'derivation', or 'backward' (a tensor program's lines)")
    t = srv.settings.timeout
    preset = _preset(data)
    if preset and "derivation" not in data:
        raise Bad(400, "field 'preset' goes with 'derivation' (the notation a pasted derivation is written in)")
    if "backward" in data:
        return JSONResponse(await srv.run(work.check_backward, spec_text, text(data, "backward"),
                                          timeout=srv.settings.work_timeout))
    if "derivation" in data:
        out = await srv.run(work.check_derivation, spec_text, text(data, "derivation"), preset,
                            timeout=srv.settings.work_timeout)
        return JSONResponse(out, status_code=422 if "error" in out else 200)
    return JSONResponse(await srv.run(work.check, spec_text, text(data, "param"), text(data, "answer"), t,
                                      timeout=t + 2))


def _preset(data: dict) -> str | None:
    """The notation a pasted derivation is read in: absent, null, "" or "auto" (as written), or one preset."""
    from ..checking.presets import PRESETS
    value = data.get("preset")
    if value in (None, "", "auto"):
        return None
    if not isinstance(value, str) or value not in PRESETS:
        shown = f"unknown preset {value[:40]!r}" if isinstance(value, str) else "field 'preset' must be a string"
        raise Bad(400, f"{shown}: expected auto, {', '.join(PRESETS)}")
    return value


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


def _pages() -> jinja2.Environment:
    from ..notes.render import templates_dir
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "serve")),
                              autoescape=True, undefined=jinja2.StrictUndefined)


async def page(request, srv):
    from ..model.naming import PRESETS
    from ..notes.prose import LANGUAGES
    name = "lecturer.html" if request.url.path.rstrip("/").endswith("lecturer") else "student.html"
    from ..checking.presets import PRESETS as TEXT_PRESETS
    html = request.app.state.pages.get_template(name).render(
        examples=_examples(), presets=PRESETS, text_presets=TEXT_PRESETS, languages=LANGUAGES, version=__version__)
    return HTMLResponse(html)


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
              post("/api/grade", jobs.grade), post("/api/grade/jobs", jobs.grade_start),
              get("/api/grade/jobs/{id}", jobs.grade_status), get("/api/grade/jobs/{id}/report.{kind}", jobs.grade_report),
              Mount("/static", StaticFiles(directory=str(templates_dir() / "serve" / "static")), name="static")]
    hosts = ["127.0.0.1", "localhost", host] if is_loopback(host) else ["*"]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error},
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts), Middleware(SecurityHeaders)])
    app.state.server = srv
    app.state.pages = _pages()
    return app
