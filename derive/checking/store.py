"""The verdict store: every verdict ``derive grade`` has reached, in one SQLite file, so a regrade is
instant and a killed run resumes where it stopped.

A verdict's key is a SHA-256 of the spec's canonical form, derive's version (with a hash of its
source, so a changed checker never reuses an old verdict), the parameter and the normalised answer.
Each verdict is committed as soon as it is reached.  The file is in WAL mode with a busy timeout:
any number of runs read it at once and one writes at a time.  It is marked with an application id
and a schema version; a file without both marks, or one SQLite reports damaged, is refused in one
line and never read.  A timeout is kept with its time limit and reused only under a limit no longer.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import stat
from functools import lru_cache
from pathlib import Path

from ..errors import DeriveError

APPLICATION_ID = 0x64727664          # "drvd": PRAGMA application_id of a derive verdict store
SCHEMA = 1                           # PRAGMA user_version
BUSY_SECONDS = 60.0                  # how long a writer waits for another run's write to finish
_STATUSES = {"correct", "incorrect", "unusable", "timeout"}
_FIELDS = {"status": str, "diagnosis": list, "kinds": list, "parsed": str, "error": str, "seconds": (int, float)}


def default_path() -> Path:
    """``$XDG_CACHE_HOME/derive/verdicts.sqlite`` (``~/.cache/derive/...`` when it is not set)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "derive" / "verdicts.sqlite"


_VERDICT_CODE = ("model", "derivation", "tensor", "checking", "errors.py", "version.py", "sandbox.py", "sandbox",
                 "safeio.py")


@lru_cache(maxsize=1)
def code_version() -> str:
    """derive's version and a hash of the source of every stage a verdict depends on (the model, the
    derivation, tensor programs, the checker, the sandbox; not the notes, the CLI or the web page)."""
    from ..version import __version__
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for part in _VERDICT_CODE:
        files = [root / part] if part.endswith(".py") else sorted((root / part).rglob("*.py"))
        for f in files:
            if f.is_file():
                h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def _plain(x):
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x) if f.name != "source"}
    if isinstance(x, dict):
        return [[_plain(k), _plain(v)] for k, v in sorted(x.items(), key=lambda kv: repr(kv[0]))]
    if isinstance(x, (set, frozenset)):
        return sorted((_plain(v) for v in x), key=repr)
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x if isinstance(x, (str, int, float, bool, type(None))) else repr(x)


def canonical_hash(model) -> str:
    """A SHA-256 of a spec or program in canonical form (field order, sets and mappings sorted; where it
    was read from left out) and of derive's code version."""
    text = json.dumps(_plain(model), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{code_version()}\0{text}".encode()).hexdigest()


def _key(spec_key: str, param: str, answer: str) -> bytes:
    return hashlib.sha256("\0".join((spec_key, param, answer)).encode("utf-8", "surrogatepass")).digest()


class Unavailable(DeriveError):
    """The store's file or folder cannot be made or opened (permissions, a read-only disk)."""


class Store:
    """An open verdict store (``Store(path)``; ``close()`` or use it as a context manager)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        where = f"verdict store {self.path}"
        try:
            st = os.stat(self.path)
            if not stat.S_ISREG(st.st_mode):
                raise DeriveError(f"{where}: not a regular file; choose another --store or give --no-store")
        except FileNotFoundError:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as e:
                raise Unavailable(f"{where}: cannot make its folder ({e.strerror or e})") from None
        except OSError as e:
            raise Unavailable(f"{where}: cannot open ({e.strerror or e})") from None
        try:
            self.db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
            self._open(where)
        except sqlite3.DatabaseError as e:
            self.close()
            raise DeriveError(f"{where}: not a usable derive verdict store ({e}); remove it or choose another "
                              "--store") from None

    def _open(self, where: str):
        db = self.db
        app, version = db.execute("PRAGMA application_id").fetchone()[0], db.execute("PRAGMA user_version").fetchone()[0]
        if app == 0 and version == 0:
            db.execute("BEGIN IMMEDIATE")            # two runs creating it at once: one does, one waits
            try:
                app = db.execute("PRAGMA application_id").fetchone()[0]
                tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if app == 0 and tables == 0:
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    db.execute(f"PRAGMA user_version = {SCHEMA}")
                    db.execute("CREATE TABLE verdicts (key BLOB PRIMARY KEY, verdict TEXT NOT NULL, "
                               "time_limit REAL NOT NULL) WITHOUT ROWID")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            app, version = (db.execute("PRAGMA application_id").fetchone()[0],
                            db.execute("PRAGMA user_version").fetchone()[0])
        if app != APPLICATION_ID:
            raise DeriveError(f"{where}: not a derive verdict store (another program's file); remove it or choose "
                              "another --store")
        if version != SCHEMA:
            raise DeriveError(f"{where}: written by another version of derive (schema {version}, expected "
                              f"{SCHEMA}); remove it or choose another --store")
        ok = db.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise DeriveError(f"{where}: damaged ({ok}); remove it or choose another --store")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")     # WAL: a commit survives the process being killed

    def get_many(self, spec_key: str, keys: list[tuple[str, str]], time_limit: float) -> dict:
        """The stored verdicts of (param, normalised answer) keys; a timeout only if its limit was at least
        ``time_limit``."""
        found = {}
        hashed = {_key(spec_key, p, a): (p, a) for p, a in keys}
        items = list(hashed)
        for start in range(0, len(items), 500):
            chunk = items[start:start + 500]
            rows = self.db.execute(f"SELECT key, verdict, time_limit FROM verdicts WHERE key IN "
                                   f"({','.join('?' * len(chunk))})", chunk).fetchall()
            for k, text, limit in rows:
                v = self._verdict(text)
                if v["status"] != "timeout" or limit >= time_limit:
                    found[hashed[k]] = v
        return found

    def _verdict(self, text: str) -> dict:
        try:
            v = json.loads(text)
            good = (isinstance(v, dict) and set(v) == set(_FIELDS) and v["status"] in _STATUSES
                    and all(isinstance(v[f], t) for f, t in _FIELDS.items())
                    and all(isinstance(m, str) for m in v["diagnosis"] + v["kinds"]))
        except (ValueError, TypeError):
            good = False
        if not good:
            raise DeriveError(f"verdict store {self.path}: an entry is not a verdict (the file was changed by "
                              "something else); remove it or choose another --store")
        return v

    def put(self, spec_key: str, key: tuple[str, str], verdict: dict, time_limit: float):
        """Keep one verdict, committed at once (a killed run loses none it has reached)."""
        self.db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?)",
                        (_key(spec_key, *key), json.dumps(verdict, ensure_ascii=False), float(time_limit)))

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM verdicts").fetchone()[0]

    def close(self):
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
            self.db = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_default(warn=None) -> Store | None:
    """The store at ``default_path()``, or None (``warn`` told why) when its folder cannot be made or the file
    opened: a store nobody named never stops a grading.  A damaged or foreign file there is still refused."""
    try:
        return Store(default_path())
    except Unavailable as e:
        if warn is not None:
            warn(f"{e}; grading without a verdict store")
        return None
