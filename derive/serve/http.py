"""What every request goes through: the JSON body and its limits, errors as JSON, the sandbox runner.

Handlers only translate: they read and size-check the JSON body, run one function of ``work`` in
``sandbox.call`` (a forked child with a time and memory limit), and return its object as JSON.
Unusable input is HTTP 4xx with ``{"error": "..."}``; a bug is 500 with one line, never a traceback.
"""
from __future__ import annotations

import functools
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from .. import sandbox
from ..errors import DeriveError

MAX_BODY = 2_000_000                 # bytes of one request body
LIMITS = {"spec": 1_000_000, "answer": 100_000, "param": 200, "derivation": 1_000_000, "backward": 1_000_000, "csv": 1_900_000,
          "lang": 8, "format": 8, "notation": 16, "preset": 16, "id_column": 200, "param_column": 200,
          "answer_column": 10_000}
DRAIN = 8 * MAX_BODY                 # bytes read and dropped past the limit, so a client sees the 413
MAX_WAITING = 400                    # requests queued for a sandbox before the server says it is busy
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


def _env(name: str, default: float) -> float:
    """A positive number from the environment (DERIVE_SERVE_*), else ``default``."""
    try:
        v = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return v if 0 < v < float("inf") else default


MEMORY_MB = 1024                     # per request: a laptop serving a class keeps room for everything else
HEADER_TIMEOUT = 10.0                # seconds a client may take to send a request's headers
BODY_TIMEOUT = 60.0                  # seconds it may take to send the body (2 MB at 35 KB/s)


@dataclass
class Settings:
    timeout: float = 5.0             # seconds per check (the CLI's default)
    work_timeout: float = 120.0      # seconds for verify, notes and a derivation
    workers: int = max(2, 2 * (os.cpu_count() or 1))   # sandboxes running at once; the rest wait
    memory_mb: int = field(default_factory=lambda: int(_env("DERIVE_SERVE_MAX_MEMORY", MEMORY_MB)))
    header_timeout: float = field(default_factory=lambda: _env("DERIVE_SERVE_HEADER_TIMEOUT", HEADER_TIMEOUT))
    body_timeout: float = field(default_factory=lambda: _env("DERIVE_SERVE_BODY_TIMEOUT", BODY_TIMEOUT))


WORK = {"verify": "verify", "notes": "notes", "grade": "grading", "check": "check", "check_derivation": "derivation check",
        "check_backward": "backward check", "spec_info": "reading the spec",
        "answer_params": "reading the spec", "preview": "preview", "mathml": "maths"}


class Server:
    """State of one running app: settings, the sandbox limiter, the temporary folder, grading jobs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.tmp: Path | None = None
        self.limiter: anyio.CapacityLimiter | None = None
        self.waiting = 0
        self.jobs: dict = {}          # id -> jobs.Job

    async def run(self, fn, *args, timeout: float, what: str | None = None):
        """``fn(*args)`` in a sandboxed child (at most ``workers`` at once, ``settings.memory_mb`` each);
        DeriveError for bad input; a time limit names the work ("verify stopped after 120 s")."""
        if self.waiting >= MAX_WAITING:
            raise Bad(503, "the server is busy; try again in a moment")
        name = getattr(getattr(fn, "func", fn), "__name__", "")
        self.waiting += 1
        try:
            call = functools.partial(sandbox.call, fn, *args, timeout=timeout, memory=self.settings.memory_mb << 20,
                                     what=what or WORK.get(name, "request"))
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


async def body(request: Request) -> dict:
    """The JSON object of a POST, at most MAX_BODY bytes."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise Bad(415, "send a JSON object (Content-Type: application/json)")
    too_big = Bad(413, f"request body larger than {MAX_BODY} bytes")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > DRAIN:
        raise too_big
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > DRAIN:
                raise too_big
            if size <= MAX_BODY:
                chunks.append(chunk)
    except ClientDisconnect:           # gone, or cut off by the body timeout (slow.py): no one to answer
        raise Bad(400, "the request body did not arrive") from None
    if size > MAX_BODY:    # read to the end (up to DRAIN) and dropped, so the client gets the answer
        raise too_big
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


_SERVER_PATH = re.compile(r"(?:[A-Za-z]:)?[\\/][^\s:'\"]*derive-serve-[^\s:'\"]*")


def scrub(message: str) -> str:
    """A message without the server's own temporary paths (an upload is "the uploaded file")."""
    return _SERVER_PATH.sub("the uploaded file", message)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": scrub(message)}, status_code=status)


def endpoint(handler):
    """Wrap a handler: unusable input -> 4xx JSON, a bug -> 500 with one line."""
    @functools.wraps(handler)
    async def wrapped(request: Request):
        try:
            return await handler(request, request.app.state.server)
        except Bad as e:
            return error(e.status, str(e))
        except DeriveError as e:
            return error(422, str(e))
        except RuntimeError as e:      # sandbox: an internal error in the child, reported in one line
            return error(500, f"internal error: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    return wrapped


async def http_error(request, exc: HTTPException):
    return error(exc.status_code, exc.detail if isinstance(exc.detail, str) else "not found")


class SecurityHeaders:
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
