"""The client of the warm checker (``derive warm``): a ``derive check`` handed to a server that has already
imported everything, run there by a forked worker with this process's own stdin, stdout and stderr.

Imported on every ``derive check`` whose answer was not kept (``checking.fastcache``), so it uses the
standard library only; only a process whose command line is ``derive check ...`` (``main()`` without argv)
asks it.  ``handed`` returns None, silently, whenever no warm checker of THIS derive takes
the command (none running, ``DERIVE_WARM=off``, a folder that is not private, any failure before the
server said it started the command): the caller then runs the command itself, as without a server, and
when none was running (and ``DERIVE_WARM`` is unset) starts one in the background for the next command,
as Gradle starts its daemon (``warmstart.after_cold_check``).

Where: one socket per derive, ``$XDG_RUNTIME_DIR/derive/`` (else ``/tmp/derive-UID/``), a folder owned by
this user with mode 0700, named with a prefix of ``fastcache.code_version()`` (derive's source and the
libraries it computes with), so another derive's server is never asked.  The peer must be this user
(SO_PEERCRED).  Messages: a 4-byte length, then JSON (at most ``MAX_MESSAGE`` bytes); the request carries
the three descriptors (SCM_RIGHTS).
"""
from __future__ import annotations

import json
import os
import socket
import struct
import sys

MAX_MESSAGE = 4 << 20          # bytes of one JSON message
MAX_PATH = 107                 # AF_UNIX paths: 108 bytes with the final NUL
START_SECONDS = 10.0           # how long a server may take to say it started the command
MIN_MEMORY_MB = 512            # a smaller --max-memory runs cold: the budget counts from what a process holds,
                               # and a worker holds sympy already (a cold check of seed002 needs 96-128 MB)
SERVING = False                # True in the warm checker's own processes: a worker never hands its command on
RLIMITS = ("RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_STACK")
_HEAD = struct.Struct("!I")
_CRED = struct.Struct("3i")    # struct ucred: pid, uid, gid
_OFF = ("off", "0", "no", "false")
_MANUAL = ("manual", "on", "1", "yes", "true")      # use a running warm checker, never start one


def folder() -> str:
    """The folder of this user's warm checkers."""
    base = os.environ.get("XDG_RUNTIME_DIR") or ""
    short = f"/tmp/derive-{os.getuid()}"
    if not os.path.isabs(base):
        return short
    path = os.path.join(base, "derive")
    return path if len(os.fsencode(path)) + 40 <= MAX_PATH else short      # room for the socket's name


def socket_path() -> str:
    """The socket of the warm checker of this derive (its name: a prefix of derive's code version)."""
    from ..checking.fastcache import code_version
    return os.path.join(folder(), f"check-{code_version()[:24]}.sock")


def private(path: str) -> bool:
    """``path`` is a folder (not a link) owned by this user, with mode 0700."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_mode & 0o170000) == 0o040000 and st.st_uid == os.getuid() and (st.st_mode & 0o7777) == 0o700


def peer(sock: socket.socket) -> tuple[int, int]:
    """(pid, uid) of the process at the other end of a connected AF_UNIX socket."""
    pid, uid, _ = _CRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size))
    return pid, uid


def connect(path: str, timeout: float) -> tuple[socket.socket, int]:
    """A connection to the server at ``path`` (in a private folder, run by this user) and its pid."""
    if not private(os.path.dirname(path)):
        raise OSError(f"{os.path.dirname(path)}: not a private folder of this user")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        pid, uid = peer(sock)
        if uid != os.getuid():
            raise OSError("the server is another user")
    except BaseException:
        sock.close()
        raise
    return sock, pid


def send(sock: socket.socket, message: dict, fds: list[int] | tuple = ()) -> None:
    data = json.dumps(message, ensure_ascii=True).encode("ascii")
    if len(data) > MAX_MESSAGE:
        raise ValueError("message too large")
    data = _HEAD.pack(len(data)) + data
    sent = socket.send_fds(sock, [data], list(fds)) if fds else sock.send(data)
    sock.sendall(data[sent:])


def receive(sock: socket.socket, max_fds: int = 0) -> tuple[dict | None, list[int]]:
    """One message and the descriptors that came with it; (None, []) when the peer closed first.  A
    message that is not one bounded JSON object raises ValueError (its descriptors closed)."""
    data, fds, _, _ = socket.recv_fds(sock, 1 << 16, max_fds) if max_fds else (sock.recv(1 << 16), [], 0, 0)
    try:
        while len(data) < _HEAD.size or len(data) < _HEAD.size + _HEAD.unpack_from(data)[0]:
            if len(data) >= _HEAD.size and _HEAD.unpack_from(data)[0] > MAX_MESSAGE:
                raise ValueError("message too large")
            more = sock.recv(1 << 16)
            if not more:
                if data:
                    raise ValueError("message cut short")
                return None, fds
            data += more
        size = _HEAD.unpack_from(data)[0]
        message = json.loads(data[_HEAD.size:_HEAD.size + size])
        if not isinstance(message, dict) or len(data) != _HEAD.size + size:
            raise ValueError("not one JSON object")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return message, fds


def _stream(s) -> list:
    return [s.encoding, s.errors, s.line_buffering, s.write_through]


def _limits() -> dict:
    """This process's resource limits, which the worker takes (it cannot raise one: then no warm checker)."""
    import resource
    return {n: list(resource.getrlimit(getattr(resource, n))) for n in RLIMITS if hasattr(resource, n)}


def _stdin(args) -> int | None:
    """A descriptor for the worker's standard input: the answer this process read from it (``--answer-file -``
    was read by ``in_parent``), else its own (nothing reads it)."""
    if getattr(args, "answer", None) is None or not hasattr(os, "memfd_create"):
        return None
    fd = os.memfd_create("derive-answer", os.MFD_CLOEXEC)
    data = b"\xef\xbb\xbf" + args.answer.encode("utf-8")   # a BOM: read_text drops exactly one
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def check_request(argv: list[str]) -> dict:
    """The request to run ``derive ARGV`` as this process would: its folder, environment, umask, limits,
    ``sys.path`` and ``sys.argv[0]``, its streams' encodings, and which files it sees."""
    streams = [_stream(s) for s in (sys.stdin, sys.stdout, sys.stderr)]
    umask = os.umask(0o077)
    os.umask(umask)
    root, here = os.stat("/"), os.stat(".")      # the worker must see the same files (no chroot, no namespace)
    return {"op": "check", "argv": list(argv), "argv0": sys.argv[0] if sys.argv else "derive",
            "cwd": os.getcwd(), "env": dict(os.environ), "path": list(sys.path), "streams": streams,
            "umask": umask, "rlimits": _limits(), "where": [root.st_dev, root.st_ino, here.st_dev, here.st_ino]}


def policy() -> str:
    """``DERIVE_WARM``: "off" (never use a warm checker), "manual" (use one ``derive warm`` started) or
    "auto" (unset: also start one, in the background, when a ``derive check`` finds none running)."""
    said = os.environ.get("DERIVE_WARM", "").strip().lower()
    return "off" if said in _OFF else "manual" if said in _MANUAL else "auto"


def handed(argv: list[str], args) -> tuple[tuple[int, str] | None, bool]:
    """Run ``derive ARGV`` (``args``: what ``in_parent`` left) in this user's warm checker of this derive:
    ((exit code, a last line for stderr or ""), False), or (None, none_running) when no warm checker took
    it, none_running saying whether that was because none of this derive is running."""
    if SERVING or policy() == "off":
        return None, False
    if not isinstance(getattr(args, "max_memory", None), int) or args.max_memory < MIN_MEMORY_MB:
        return None, False
    return _ask(argv, args)


def _ask(argv: list[str], args) -> tuple[tuple[int, str] | None, bool]:
    """``handed``'s work once a warm checker may take the command."""
    stdin = None
    try:
        path = socket_path()
        if not os.path.exists(path):
            return None, True
        request = check_request(argv)
        sys.stdout.flush()
        sys.stderr.flush()
        stdin = _stdin(args)
        sock, _ = connect(path, START_SECONDS)
    except (ConnectionRefusedError, FileNotFoundError):     # a socket left by a server that died
        if stdin is not None:
            os.close(stdin)
        return None, True
    except (OSError, ValueError, AttributeError, UnicodeError, RuntimeError):
        if stdin is not None:
            os.close(stdin)
        return None, False
    with sock:
        try:
            send(sock, request, [0 if stdin is None else stdin, 1, 2])
            reply, _ = receive(sock)
            if not reply or reply.get("started") is not True:
                return None, False
        except (OSError, ValueError):
            return None, False
        finally:
            if stdin is not None:
                os.close(stdin)
        sock.settimeout(None)             # the worker applies the command's own --timeout
        try:
            reply, _ = receive(sock)
        except (OSError, ValueError):
            reply = None
    code = reply.get("code") if reply else None
    if type(code) is not int or not 0 <= code <= 255:
        return (3, "derive: internal error: the warm checker stopped before the command finished"), False
    return (code, ""), False
