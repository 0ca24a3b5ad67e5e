"""Compiled networks kept on disk, so that ``derive train`` of a spec it has compiled before starts
in NumPy's time, without importing sympy or building the symbolic network again.

The key is a SHA-256 of the spec's text and how it was named, derive's version and the source of
every derive module (any change to the rules, the derivation or the code generator is a new key).
An entry is the generated module and a JSON manifest (``compile.Meta``) in the same per-user
directory (mode 0700) the generated modules are imported from anyway.  This module imports only
the standard library, NumPy and ``codegen.compile``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path

from .. import safeio
from ..errors import DeriveError
from .compile import Compiled, Meta, _cache_dir, load_module

MAX_BYTES = 1_000_000
_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@lru_cache(maxsize=1)
def _fingerprint() -> str:
    """Hash of derive's version and every module's source."""
    from ..version import __version__
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(__version__.encode())
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _text(spec: str) -> str | None:
    """The spec's text as ``model.spec.read_source`` would read it, or None (then no caching)."""
    try:
        if not safeio.exists(spec) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", spec):
            ex = _EXAMPLES / (spec + ".yaml")     # where importlib.resources finds them, without its imports
            return ex.read_text(encoding="utf-8") if ex.is_file() else None
        return safeio.read_bytes(spec, MAX_BYTES).decode("utf-8")     # bounded: devices report size 0
    except (OSError, UnicodeDecodeError, DeriveError):
        return None


def key(spec: str) -> str | None:
    text = _text(spec)
    if text is None:
        return None
    return hashlib.sha256(f"{_fingerprint()}\0{spec}\0{text}".encode()).hexdigest()[:32]


def load(spec: str) -> Compiled | None:
    """The cached compiled network for ``spec`` (a path or bundled example name), or None."""
    k = key(spec)
    if k is None:
        return None
    manifest = _cache_dir() / f"derive_net_{k}.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        source = (_cache_dir() / data["module"]).read_text(encoding="utf-8")
    except (OSError, ValueError, KeyError):
        return None
    meta = Meta(**{**data["meta"], "inputs": tuple(data["meta"]["inputs"]),
                   "targets": tuple(data["meta"]["targets"]), "params": tuple(data["meta"]["params"]),
                   "trainable": tuple(data["meta"]["trainable"])})
    module, path = load_module(source, data["slug"])
    return Compiled(None, source, path, module, meta)


def store(spec: str, compiled: Compiled) -> None:
    """Keep ``compiled`` for the next ``load(spec)`` (silently skipped when it cannot be written)."""
    k = key(spec)
    if k is None:
        return
    m = compiled.meta
    data = {"slug": compiled.net.spec.slug if compiled.net is not None else "network",
            "module": compiled.path.name,
            "meta": {"name": m.name, "source": None if m.source is None else str(m.source), "inputs": list(m.inputs), "targets": list(m.targets),
                     "params": list(m.params), "trainable": list(m.trainable), "fan_in": m.fan_in,
                     "given": m.given, "examples": m.examples, "learning_rate": m.learning_rate}}
    manifest = _cache_dir() / f"derive_net_{k}.json"
    tmp = manifest.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, manifest)
    except OSError:
        return
