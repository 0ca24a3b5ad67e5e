"""``check --answer``'s verdicts kept, so that an answer already checked is answered without sympy.

A whole ``derive check SPEC --param P --answer A`` process spends most of its time importing sympy and
deriving the spec.  Its output is a pure function of derive's code, the libraries it computes with, the
spec (as named, and its text), the parameter as typed, the answer and ``--number``: the same process run
again prints the same text and the same JSON with the same exit code.  So the full path keeps what it
printed (both forms) under a SHA-256 of all of these, and the next identical check prints it from here
(``cli/check.py``), importing only the standard library.  Anything else (a new answer, another spec, an
edited spec or a new derive, an error, a tensor program) takes the full path.

Kept in ``$XDG_CACHE_HOME/derive/check/`` (``~/.cache/derive/check`` when that is not set), folders 0700
and files 0600, each written atomically (a temporary file in the same folder, then ``os.replace``), one
plain JSON file per checked answer (never a pickle).  Each file carries its key and an HMAC-SHA256 of its
content under a random per-user key (``check/.key``): an edited, truncated, renamed or foreign file is
ignored and the answer is checked the full way.  This guards against corruption and files from elsewhere,
not against someone who can already write as the user.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

FORMAT = "derive-check-answer/1"
MAX_SPEC = 1_000_000            # bytes of spec text (as model.source reads it)
MAX_ENTRY = 4_000_000           # bytes of a kept verdict read
_ROOT = Path(__file__).resolve().parent.parent          # the derive package
_LIBRARIES = ("sympy", "symengine", "mpmath", "numpy", "yaml")
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"    # RuntimeError without a home
    return root / "derive" / "check"


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every source file of derive (its version included) and of where and which the libraries
    it computes with are (their installed file, its size and time): any change is a new key."""
    h = hashlib.sha256(sys.version.encode())
    for f in sorted(_ROOT.rglob("*.py")):
        h.update(b"\0" + str(f.relative_to(_ROOT)).encode() + b"\0" + f.read_bytes())
    for name in _LIBRARIES:
        spec = find_spec(name)                  # a top-level name: found, not imported
        origin = getattr(spec, "origin", None)
        if origin and os.path.isfile(origin):
            st = os.stat(origin)
            h.update(f"\0{name}\0{origin}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        else:
            h.update(f"\0{name}\0-".encode())
    return h.hexdigest()


def spec_text(spec: str) -> str | None:
    """The spec's text as ``model.source.read_source`` reads it (an existing path first, then a bundled
    network's name), or None: then nothing is kept (a framework file or factory, a tensor program by
    name, an unreadable or oversized file)."""
    try:
        if os.path.exists(spec):
            if not (os.path.isfile(spec) and spec.lower().endswith(_SPEC_SUFFIXES)) or os.path.getsize(spec) > MAX_SPEC:
                return None
            with open(spec, "rb") as fh:
                data = fh.read(MAX_SPEC + 1)
            return data.decode("utf-8") if len(data) <= MAX_SPEC else None
        if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", spec):
            ex = _ROOT / "examples" / (spec + ".yaml")
            return ex.read_text(encoding="utf-8") if ex.is_file() else None
    except (OSError, ValueError):
        return None
    return None


def key(spec: str, param: str | None, answer: str, number: bool) -> str | None:
    """The key of one check (None: this check is never kept)."""
    if not isinstance(answer, str):
        return None
    text = spec_text(spec)
    if text is None:
        return None
    try:
        folder()
        parts = [FORMAT, code_version(), spec, text, param, answer, bool(number)]
    except (OSError, RuntimeError, ValueError):   # no home folder, an unreadable source file: nothing kept
        return None
    return hashlib.sha256(json.dumps(parts, ensure_ascii=True).encode()).hexdigest()


def _path(k: str) -> Path:
    return folder() / k[:2] / f"{k}.json"


def _secret(create: bool) -> bytes | None:
    path = folder() / ".key"
    try:
        with open(path, "rb") as fh:
            data = fh.read(64)
        if len(data) == 32:
            return data
    except OSError:
        pass
    if not create:
        return None
    data = os.urandom(32)
    try:
        _write(path, data)
    except OSError:
        return None
    return data


def _mac(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def _write(path: Path, data: bytes) -> None:
    import tempfile                      # only the full path writes (a hit imports the least it can)
    folder().parent.parent.mkdir(parents=True, exist_ok=True)
    for d in (folder().parent, folder(), path.parent):       # derive/, check/, a key's first two digits
        d.mkdir(mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")   # 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(k: str | None) -> dict | None:
    """The kept check for key ``k``, if there is a valid one ({"code", "text", "json"}), else None."""
    secret = _secret(False) if k else None
    if secret is None:
        return None
    try:
        with open(_path(k), "rb") as fh:
            raw = fh.read(MAX_ENTRY + 1)
        outer = json.loads(raw)
        body = outer["body"]
        if not (isinstance(body, str) and isinstance(outer["mac"], str)
                and hmac.compare_digest(outer["mac"], _mac(secret, body.encode("utf-8")))):
            return None
        entry = json.loads(body)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    if not (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == k
            and entry.get("code") in (0, 1) and type(entry.get("code")) is int
            and isinstance(entry.get("text"), str) and isinstance(entry.get("json"), str)):
        return None
    return entry


def store(k: str | None, code: int, text: str, as_json: str) -> bool:
    """Keep one check's exit code and both its outputs; False when it cannot be written (never an error)."""
    if not k or code not in (0, 1):
        return False
    secret = _secret(True)
    if secret is None:
        return False
    body = json.dumps({"format": FORMAT, "key": k, "code": code, "text": text, "json": as_json},
                      ensure_ascii=False, separators=(",", ":"))
    data = json.dumps({"body": body, "mac": _mac(secret, body.encode("utf-8"))}, ensure_ascii=False)
    try:
        _write(_path(k), data.encode("utf-8"))
    except OSError:
        return False
    return True


__all__ = ["code_version", "folder", "key", "load", "spec_text", "store"]
