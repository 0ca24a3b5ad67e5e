"""Bounded reads and atomic writes: every file derive reads or writes goes through here.

A read takes at most ``limit + 1`` bytes whatever the file is (a device, a pipe or a ``/proc`` file
reports size 0, so its size is never trusted), and fails with one line when there are more.  A write
goes to a temporary file in the target's own folder, then ``os.replace`` puts it in place: readers
see the old file or the new one, never half of either, and concurrent writers never mix.

A read that can wait (a FIFO, a pipe, a terminal, a device) has a deadline: the file is opened without
blocking and polled, and a source that has not finished by then (a FIFO nobody writes to, one that
trickles) is a DeriveError naming the file and the limit, never a hang.  The deadline is the running
command's ``--timeout`` (``set_read_timeout``), else READ_TIMEOUT.
"""
from __future__ import annotations

import math
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

from .errors import DeriveError

CHUNK = 1 << 16
READ_TIMEOUT = 60.0          # seconds a FIFO, pipe or device may take to deliver a whole input
_read_timeout = READ_TIMEOUT


def set_read_timeout(seconds: float | None) -> float:
    """Make ``seconds`` (None: READ_TIMEOUT) the deadline of every read that can wait; returns it."""
    global _read_timeout
    _read_timeout = float(seconds) if seconds and math.isfinite(float(seconds)) and seconds > 0 else READ_TIMEOUT
    return _read_timeout


def read_timeout() -> float:
    """The deadline, in seconds, of a read that can wait (see ``set_read_timeout``)."""
    return _read_timeout


def _reason(e: OSError | ValueError) -> str:
    if isinstance(e, ValueError):           # a NUL byte in the path
        return "not a usable path"
    return e.strerror or type(e).__name__


def exists(path: str | Path) -> bool:
    """Whether ``path`` exists; False for a name the system cannot even look up (too long, a NUL byte)."""
    try:
        return os.path.exists(path)
    except (OSError, ValueError):
        return False


def is_dir(path: str | Path) -> bool:
    try:
        return os.path.isdir(path)
    except (OSError, ValueError):
        return False


def read_bytes(path: str | Path, limit: int, what: str = "", timeout: float | None = None) -> bytes:
    """At most ``limit`` bytes of ``path`` ('-': standard input); more is a DeriveError.

    Reads in chunks and stops at ``limit + 1`` bytes, so ``/dev/zero``, a FIFO or ``/proc/kcore``
    costs no more than a file of ``limit`` bytes.  A source that can wait (anything but a regular
    file) must deliver everything within ``timeout`` seconds (default: ``read_timeout()``).
    """
    label = what or str(path)
    seconds = timeout or _read_timeout
    deadline = (time.monotonic() + seconds, seconds)
    try:
        if str(path) == "-":
            try:
                fd = sys.stdin.fileno()
            except (AttributeError, OSError, ValueError):    # a stream without a descriptor (tests)
                return _bounded(sys.stdin.buffer, limit, label)
            return _bounded_fd(fd, limit, label, deadline, wait=not stat.S_ISREG(os.fstat(fd).st_mode))
        p = Path(path)
        if is_dir(p):
            raise DeriveError(f"cannot read {label}: it is a folder")
        # O_NONBLOCK: opening a FIFO nobody writes to returns at once (a blocking open would wait for
        # ever); O_NOCTTY: a terminal named as a file never becomes this process's terminal
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise DeriveError(f"cannot read {label}: it is a folder")
            return _bounded_fd(fd, limit, label, deadline, wait=not stat.S_ISREG(mode))
        finally:
            os.close(fd)
    except DeriveError:
        raise
    except (OSError, ValueError) as e:
        raise DeriveError(f"cannot read {label}: {_reason(e)}") from None
    except MemoryError:
        raise DeriveError(f"cannot read {label}: out of memory") from None


def _bounded_fd(fd: int, limit: int, label: str, deadline: tuple[float, float], wait: bool) -> bytes:
    """At most ``limit`` bytes from descriptor ``fd``; with ``wait`` (a FIFO, pipe, terminal or device),
    each read only after poll says data (or the writer's end) is there, and all of it by ``deadline``
    (a monotonic time and the seconds it was set from)."""
    import select
    poller = None
    if wait:
        poller = select.poll()
        poller.register(fd, select.POLLIN)

    def chunk(want: int) -> bytes | None:
        if poller is not None:
            left = deadline[0] - time.monotonic()
            if left <= 0:
                raise DeriveError(f"cannot read {label}: it did not finish within {deadline[1]:g} s "
                                  "(a pipe or device still open; the time limit, see --timeout)")
            if not poller.poll(max(1, math.ceil(min(left, 1.0) * 1000))):
                return None
        try:
            return os.read(fd, want)
        except BlockingIOError:        # woken without data (another reader took it)
            return None
    return _gather(chunk, limit, label)


def _bounded(stream, limit: int, label: str) -> bytes:
    return _gather(lambda want: stream.read(want) or b"", limit, label)


def _gather(chunk, limit: int, label: str) -> bytes:
    """At most ``limit`` bytes from ``chunk(want)``, which gives bytes, b"" at the end, or None (try again)."""
    parts, size = [], 0
    while size <= limit:
        data = chunk(min(CHUNK, limit + 1 - size))
        if data is None:
            continue
        if not data:
            break
        parts.append(data)
        size += len(data)
    if size > limit:
        raise DeriveError(f"{label} is larger than {limit:,} bytes (the limit)")
    return b"".join(parts)


def read_text(path: str | Path, limit: int, what: str = "", timeout: float | None = None) -> str:
    """``read_bytes`` decoded as UTF-8 (a leading BOM dropped); undecodable text is a DeriveError."""
    raw = read_bytes(path, limit, what, timeout)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DeriveError(f"{what or path} is not UTF-8 text (byte {e.start})") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: str | Path, what: str = "") -> Path:
    """``path`` as a file derive may replace: not a folder, device, pipe or socket; its folder exists."""
    p = Path(path)
    label = what or str(p)
    if str(path) in ("", "-") or p.name in ("", ".", ".."):
        raise DeriveError(f"{label}: expected a file name")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except (OSError, ValueError) as e:
        raise DeriveError(f"cannot write {label}: {_reason(e)}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise DeriveError(f"cannot write {label}: it is {kind}")
    parent = p.parent if str(p.parent) else Path(".")
    if not is_dir(parent):
        raise DeriveError(f"cannot write {label}: folder {parent} does not exist")
    return p


def write_atomic(path: str | Path, data: str | bytes, what: str = "") -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    p = check_writable(path, what)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=p.parent if str(p.parent) else ".", prefix="." + p.name[:80] + ".",
                                   suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, 0o666 & ~_umask())     # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, p)
        tmp = None
    except OSError as e:
        raise DeriveError(f"cannot write {what or p}: {_reason(e)}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return p


def write_inside(root: str | Path, relative: str, data: str | bytes) -> Path:
    """``write_atomic`` of ``root/relative``, refusing any path that leaves ``root``.

    ``root`` is created if missing; an existing ``root`` that is not a folder is a DeriveError.
    """
    base = Path(root)
    if exists(base) and not is_dir(base):
        raise DeriveError(f"cannot write into {base}: it is not a folder")
    try:
        base = base.resolve()
    except (OSError, ValueError) as e:
        raise DeriveError(f"cannot write into {root}: {_reason(e)}") from None
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise DeriveError(f"refusing to write {relative!r} outside {base}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as e:
        raise DeriveError(f"cannot create {target.parent}: {_reason(e)}") from None
    return write_atomic(target, data)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (existing or not), after resolving links."""
    try:
        if exists(a) and exists(b):
            return os.path.samefile(a, b)
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):
        return False


__all__ = ["check_writable", "exists", "is_dir", "read_bytes", "read_text", "read_timeout", "same_file",
           "set_read_timeout", "write_atomic", "write_inside"]
