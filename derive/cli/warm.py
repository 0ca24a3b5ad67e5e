"""``derive warm``: start (``--status``, ``--stop``) this user's warm checker, so that ``derive check`` with
a new answer starts in a fraction of its cold time (as Mercurial's ``chg`` does for ``hg``).

Started explicitly, in the background: a daemon (double fork, a new session, standard streams on
/dev/null, no inherited descriptors) imports everything, checks a sample answer of each bundled network
(``warmworker.warm_up``), listens on its socket (``warmclient.socket_path``) and exits after ``--idle``
minutes without a command.  ``derive check`` then hands its command over (``warmclient.handed``); the
output is the cold path's by construction.  A lock file next to the socket lets one server start.
``derive check`` also starts one by itself (``warmstart.py``).
"""
from __future__ import annotations

import os
import sys
import time

from ..errors import DeriveError
from .options import positive_number
from .warmstart import private_folder

IDLE_MINUTES = 30.0
AUTO_IDLE_MINUTES = 10.0        # a warm checker ``derive check`` started by itself (``DERIVE_WARM`` unset),
AUTO_WITHIN_SECONDS = 600.0
START_WAIT_SECONDS = 60.0       # --status and --stop wait this long for a server that is warming up     # on the second check run cold within this time (one check starts nothing)


def add_parser(sub):
    p = sub.add_parser("warm", help="run a checker in the background with everything imported: derive check "
                                    "of a new answer skips the start-up")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--status", action="store_true", help="say whether it is running (exit 1: not running)")
    which.add_argument("--stop", action="store_true", help="stop it")
    p.add_argument("--idle", type=positive_number(7 * 24 * 60), default=IDLE_MINUTES, metavar="MINUTES",
                   help=f"stop after this many minutes without a command (default {IDLE_MINUTES:g})")
    p.add_argument("--json", action="store_true", help='print {"running", "socket", "pid"} as JSON')
    return p


def run(args) -> int:
    import socket               # here, not at the top: every derive command line builds this parser

    from . import warmclient
    missing = [n for n, ok in (("fork", hasattr(os, "fork")), ("AF_UNIX", hasattr(socket, "AF_UNIX")),
                               ("descriptor passing", hasattr(socket, "send_fds")),
                               ("SO_PEERCRED", hasattr(socket, "SO_PEERCRED"))) if not ok]
    if missing:
        raise DeriveError(f"the warm checker needs {', '.join(missing)}, which this system lacks; "
                          "derive check runs without it")
    path = warmclient.socket_path()
    pid, accepted = _running(path)
    if pid is None and (args.status or args.stop) and _starting(path):
        pid, accepted = _running(path, wait=START_WAIT_SECONDS)   # one warming up: say so once it listens
    if args.status or args.stop:
        if pid is None:
            return _say(args, "not running", path, None, code=1 if args.status else 0)
        if args.status:
            return _say(args, f"running, {path} (pid {pid}, requests so far: {accepted})", path, pid, accepted)
        _stop(path, pid)
        return _say(args, f"stopped (pid {pid})", path, None)
    if pid is not None:
        return _say(args, f"already running, {path} (pid {pid})", path, pid)
    pid = _start(path, args.idle * 60)
    if pid is None:
        return _say(args, f"already running (starting up), {path}", path, None)
    return _say(args, f"listening on {path} (pid {pid}); stop it with derive warm --stop", path, pid)


def _say(args, text: str, path: str, pid: int | None, accepted: int | None = None, code: int = 0) -> int:
    if args.json:
        import json
        out = {"running": pid is not None or text.startswith("already"), "socket": path, "pid": pid}
        print(json.dumps(out if accepted is None else {**out, "accepted": accepted}))
    else:
        print(f"derive warm: {text}")
    return code


def _starting(path: str) -> bool:
    """A server holds the lock next to ``path`` (it is warming up, or running)."""
    import fcntl
    try:
        fd = os.open(path[:-len(".sock")] + ".lock", os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)                        # (closing also lets go of a lock taken here)
    return False


def _running(path: str, wait: float = 0.0) -> tuple[int | None, int | None]:
    """(pid, connections accepted so far) of the server answering at ``path`` (tried for up to ``wait``
    seconds), or (None, None)."""
    deadline = time.monotonic() + wait
    while True:
        pid, accepted = _answering(path)
        if pid is not None or time.monotonic() >= deadline:
            return pid, accepted
        time.sleep(0.05)


def _answering(path: str) -> tuple[int | None, int | None]:
    from .warmclient import connect, receive, send
    try:
        sock, _ = connect(path, 5.0)
        with sock:
            send(sock, {"op": "status"})
            reply, _ = receive(sock)
    except (OSError, ValueError):
        return None, None
    pid, accepted = (reply.get("pid"), reply.get("accepted")) if reply else (None, None)
    return (pid, accepted) if type(pid) is int and type(accepted) is int else (None, None)


def _stop(path: str, pid: int) -> None:
    from .warmclient import connect, receive, send
    try:
        sock, _ = connect(path, 5.0)
        with sock:
            send(sock, {"op": "stop"})
            receive(sock)
    except (OSError, ValueError) as e:
        raise DeriveError(f"cannot stop the warm checker (pid {pid}): {e}") from None
    deadline = time.monotonic() + 10
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)


def _start(path: str, idle: float) -> int | None:
    """Start the daemon; its pid once it listens (None: another start holds the lock)."""
    import fcntl
    private_folder(path)
    lock = os.open(path[:-len(".sock")] + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    first = os.fork()
    if first == 0:                          # the first child: a new session, then the daemon, then gone
        try:
            os.close(r)
            os.setsid()
            if os.fork() == 0:
                _daemon(path, lock, w, idle)
        finally:
            os._exit(0)
    os.close(w)
    os.close(lock)                          # the daemon holds the lock for its lifetime
    os.waitpid(first, 0)
    with os.fdopen(r, "rb") as fh:
        said = fh.read(4096).decode("utf-8", "replace").strip()
    if not said.isdigit():
        raise DeriveError(f"the warm checker did not start: {said or 'it exited'}")
    return int(said)


def _daemon(path: str, lock: int, w: int, idle: float) -> None:
    """The server process: quiet, warmed up, listening; reports its pid (or one line why not) on ``w``."""
    import socket

    from . import warmclient, warmserver, warmworker
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
        _close_inherited({lock, w})
        os.chdir("/")
        os.umask(0o077)
        warmclient.SERVING = True
        warmworker.warm_up()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(path):
            os.unlink(path)                 # left by a server that died (we hold the lock)
        listener.bind(path)
        listener.listen(64)
        bound = os.stat(path).st_ino
        import gc
        gc.freeze()                         # the warmed objects stay shared with every fork, untouched
    except BaseException as e:
        os.write(w, f"{type(e).__name__}: {e}".encode()[:4000])
        os._exit(1)
    os.write(w, str(os.getpid()).encode())
    os.close(w)
    try:
        warmserver.serve(listener, idle, lock)
    finally:
        try:
            if os.stat(path).st_ino == bound:      # ours, not a newer server's
                os.unlink(path)
        except OSError:
            pass
        os._exit(0)


def _close_inherited(keep: set[int]) -> None:
    """Close every descriptor this process inherited (a caller's pipes: it would wait for their end)."""
    try:
        fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd > 2 and fd not in keep:
            try:
                if os.get_inheritable(fd):
                    os.close(fd)
            except OSError:
                pass
