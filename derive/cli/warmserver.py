"""The warm checker's server (``derive warm``): everything ``derive check`` needs already imported and
used once (``warmworker.warm_up``), and one forked worker per command running the same ``derive.cli.main(argv)``.

The server process only accepts: each connection from this user (SO_PEERCRED) gets a session process;
the session reads the request (``warmclient``: bounded JSON and three descriptors), forks the worker, says
"started" once the worker is set up, and watches the connection: a client that goes away (Ctrl-C,
killed) has its worker's process group stopped (SIGTERM, so the sandbox removes its children and their
folders; SIGKILL two seconds later).  When the worker exits its exit code goes back to the client.

A worker is the client's process as far as the command can tell: its own process group, Python's default
signal handlers, the client's working folder, environment, umask, resource limits, ``sys.path`` and
``sys.argv``, and standard streams rebuilt on the client's descriptors with the client's encodings.
Nothing of the request is evaluated: argv goes to argparse as the command line would.  A user's spec file
is only ever read in a worker, never in the server.
"""
from __future__ import annotations

import os
import select
import signal
import socket
import time

from . import warmclient, warmworker
from .warmclient import RLIMITS, peer, receive, send

SOURCE_CHECK = 30.0            # seconds between looks at derive's source: once it changed (an upgrade, an
                               # edit), no client will ask this server again (the socket's name is the old
                               # code version), so it exits without waiting out its idle time
STOP_GRACE = 2.0               # seconds between SIGTERM and SIGKILL of a worker whose client went away
_server_env: dict = {}


def serve(listener: socket.socket, idle: float, lock: int) -> None:
    """Accept until stopped (SIGTERM, a stop request), ``idle`` seconds without a command, or derive's source
    changed on disk (``SOURCE_CHECK``)."""
    r, w = os.pipe()
    for fd in (r, w):
        os.set_blocking(fd, False)
    stopping = []
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _server_env.update(os.environ)
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    poller.register(r, select.POLLIN)
    sessions: set[int] = set()
    accepted = 0
    last = looked = time.monotonic()
    while not stopping:
        _reap(sessions)
        left = idle - (time.monotonic() - last)
        if left <= 0 and not sessions:
            break
        if time.monotonic() - looked >= SOURCE_CHECK and not sessions:
            looked = time.monotonic()
            if _superseded():
                break
        for fd, _ in poller.poll(max(min(left, SOURCE_CHECK), 0.05) * 1000):
            if fd == r:
                while _drain(r):
                    pass
                continue
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            last = time.monotonic()
            accepted += 1
            with conn:
                try:
                    if peer(conn)[1] != os.getuid():
                        continue          # another user: refused, without a word
                    pid = os.fork()
                except OSError:
                    continue
                if pid == 0:
                    _session_process(conn, listener, (r, w, lock), accepted)
                sessions.add(pid)
    signal.set_wakeup_fd(-1)


def _superseded() -> bool:
    """derive's source (or a library it computes with) is no longer what this server was started with."""
    from ..checking.fastcache import code_version
    try:
        return code_version.__wrapped__() != code_version()
    except OSError:
        return False


def _drain(fd: int) -> bool:
    try:
        return bool(os.read(fd, 512))
    except BlockingIOError:
        return False


def _reap(sessions: set[int]) -> None:
    for pid in list(sessions):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            sessions.discard(pid)


def _session_process(conn: socket.socket, listener: socket.socket, fds: tuple, accepted: int) -> None:
    """In a session process: answer one connection (the server's ``accepted``-th), then exit (never returns)."""
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        listener.close()
        for fd in fds:
            os.close(fd)
        _session(conn, accepted)
    except BaseException:
        pass
    finally:
        os._exit(0)


def _session(conn: socket.socket, accepted: int) -> None:
    conn.settimeout(warmclient.START_SECONDS)
    try:
        request, fds = receive(conn, max_fds=3)
    except (OSError, ValueError) as e:
        _try_send(conn, {"error": f"bad request: {e}"})
        return
    if request is None:
        return
    op = request.get("op")
    if op in ("status", "stop"):
        for fd in fds:
            os.close(fd)
        _try_send(conn, {"pid": os.getppid(), "socket": warmclient.socket_path(), "accepted": accepted, "op": op})
        if op == "stop":
            os.kill(os.getppid(), signal.SIGTERM)
        return
    problem = _problem(request, fds)
    if problem:
        for fd in fds:
            os.close(fd)
        _try_send(conn, {"started": False, "error": problem})
        return
    _run(conn, request, fds)


def _problem(request: dict, fds: list[int]) -> str:
    """What is wrong with a check request ("" when nothing): its fields' types, and the command."""
    def strings(x):
        return isinstance(x, list) and all(isinstance(s, str) for s in x)
    env, streams, limits = request.get("env"), request.get("streams"), request.get("rlimits")
    if request.get("op") != "check" or len(fds) != 3:
        return "expected a check request with three descriptors"
    if not (strings(request.get("argv")) and request["argv"][:1] == ["check"] and strings(request.get("path"))
            and isinstance(request.get("argv0"), str) and isinstance(request.get("cwd"), str)
            and os.path.isabs(request["cwd"]) and type(request.get("umask")) is int):
        return "bad request: argv, argv0, path, cwd or umask"
    where = request.get("where")
    if not (isinstance(where, list) and len(where) == 4 and all(type(n) is int for n in where)):
        return "bad request: where"
    if not (isinstance(env, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())):
        return "bad request: env"
    if not (isinstance(streams, list) and len(streams) == 3 and all(
            isinstance(s, list) and len(s) == 4 and strings(s[:2]) and all(type(b) is bool for b in s[2:])
            for s in streams)):
        return "bad request: streams"
    if not (isinstance(limits, dict) and all(k in RLIMITS and isinstance(v, list) and len(v) == 2
                                             and all(type(n) is int for n in v) for k, v in limits.items())):
        return "bad request: rlimits"
    return ""


def _try_send(conn: socket.socket, message: dict) -> bool:
    try:
        send(conn, message)
        return True
    except (OSError, ValueError):
        return False


def _run(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """Fork the worker, start it once it is set up, and answer its exit code (or stop it)."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    session = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(go_w)
        conn.close()
        warmworker.work(request, fds, ready_w, go_r, session, _server_env)      # never returns
    for fd in (ready_w, go_r, *fds):
        os.close(fd)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    ready = os.read(ready_r, 1)
    os.close(ready_r)
    started = ready == b"r" and _try_send(conn, {"started": True})
    if started:
        os.write(go_w, b"g")
    os.close(go_w)
    if not started:
        _try_send(conn, {"started": False, "error": "the worker could not be set up"})
        _end(pid, signal.SIGKILL)
        return
    code = _watch(conn, pid)
    if code is not None:
        _try_send(conn, {"code": code})


def _watch(conn: socket.socket, pid: int) -> int | None:
    """Wait for the worker; its exit code (128 + N for signal N), or None when the client went away first
    (any event on the connection: the client sends nothing more)."""
    poller = select.poll()
    poller.register(conn, select.POLLIN | select.POLLHUP | select.POLLERR)
    try:
        pidfd = os.pidfd_open(pid)          # readable when the worker exits (Linux 5.3)
        poller.register(pidfd, select.POLLIN)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while not _exited(pid):
            if any(fd == conn.fileno() for fd, _ in poller.poll(None if pidfd is not None else 20)):
                _end(pid, signal.SIGTERM)
                return None
    finally:
        if pidfd is not None:
            os.close(pidfd)
    _kill_group(pid)                        # anything the worker left in its group
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return code if code >= 0 else 128 - code


def _end(pid: int, sig: int) -> None:
    """Stop the worker's process group (SIGTERM, then SIGKILL after STOP_GRACE) and reap the worker."""
    _kill_group(pid, sig)
    deadline = time.monotonic() + (STOP_GRACE if sig != signal.SIGKILL else 0)
    while time.monotonic() < deadline and not _exited(pid):
        time.sleep(0.02)
    _kill_group(pid)
    os.waitpid(pid, 0)


def _exited(pid: int) -> bool:
    """The worker has exited; not reaped, so its pid and group id stay reserved."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, sig)
            return
        except (ProcessLookupError, PermissionError):
            continue
