"""The warm checker's worker: one forked process per ``derive check``, made to look like the client's own
process, then running the same ``derive.cli.main(argv)`` on the client's stdin, stdout and stderr.

``warm_up`` runs once in the server, before any worker: what it imports and fills, every worker inherits.
A worker is set up first (its own process group, death with its session, Python's default signal
handlers, the client's folder, environment, umask, resource limits, ``sys.path`` and ``sys.argv``); a
set-up that fails says nothing, and the client runs the command itself.  Then, once the session has told the client
the command started, the client's descriptors become 0, 1 and 2 and the command runs.
"""
from __future__ import annotations

import os
import signal
import sys

_DEFAULT = ("SIGTERM", "SIGHUP", "SIGCHLD", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM")


def work(request: dict, fds: list[int], ready: int, go: int, session: int, server_env: dict) -> None:
    """Run the request's command in this (forked) process and exit with its code; never returns."""
    code, running = 1, False
    try:
        _set_up(request, session, server_env)
        os.write(ready, b"r")
        os.close(ready)
        if os.read(go, 1) != b"g":
            os._exit(1)
        os.close(go)
        for i, fd in enumerate(fds):
            os.dup2(fd, i)                      # inheritable: what the command starts sees them too
        for fd in fds:
            if fd > 2:
                os.close(fd)
        _streams(request["streams"])
        running = True
        from . import main
        code = main(request["argv"])
    except SystemExit as e:                     # SIGTERM (the client went away): main's handler
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:                       # before running: a set-up that failed (the client runs
        if running:                             # the command); after: as the interpreter, a traceback, 1
            try:
                sys.excepthook(*sys.exc_info())
            except BaseException:
                pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code & 0xFF if isinstance(code, int) else 1)


def _set_up(request: dict, session: int, server_env: dict) -> None:
    import resource
    import tempfile
    import warnings

    from ..sandbox import die_with_parent
    from . import warmclient
    os.setpgid(0, 0)
    die_with_parent(session)
    signal.set_wakeup_fd(-1)
    for name in _DEFAULT:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)            # as Python starts: EPIPE is BrokenPipeError
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for name, (soft, hard) in request["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (soft, hard))   # raising a hard limit fails: no set-up
    os.chdir(request["cwd"])
    root, here = os.stat("/"), os.stat(".")
    if [root.st_dev, root.st_ino, here.st_dev, here.st_ino] != request["where"]:
        raise OSError("the client sees other files (a chroot, another mount namespace)")
    os.umask(request["umask"] & 0o777)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[:] = request["path"]
    sys.argv = [request["argv0"], *request["argv"]]
    tempfile.tempdir = None                     # found again from this environment's TMPDIR
    if os.environ.get("DERIVE_MAX_MEMORY") != server_env.get("DERIVE_MAX_MEMORY"):
        import importlib

        from . import options
        importlib.reload(options)               # its default --max-memory is read when it is imported
    filters = list(warnings.filters)
    warnings.resetwarnings()                    # a warning shown in the server is shown here again
    warnings.filters[:] = filters
    warmclient.SERVING = True


def _streams(specs: list) -> None:
    """sys.stdin, sys.stdout and sys.stderr on descriptors 0, 1, 2 as the client had them."""
    made = []
    for fd, (encoding, errors, line_buffering, write_through) in enumerate(specs):
        made.append(open(fd, "r" if fd == 0 else "w", encoding=encoding, errors=errors, closefd=False,
                         newline="\n"))                # as Python opens them on POSIX
        if fd:
            made[-1].reconfigure(line_buffering=line_buffering, write_through=write_through)
    sys.stdin, sys.stdout, sys.stderr = made
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = made


def warm_up() -> list[str]:
    """Import what a check needs, check one right and one wrong answer of each bundled network and derive
    each bundled tensor program in this process (output discarded), so every worker inherits the imports,
    sympy's caches and the bundled networks already loaded, derived and checked once (``api.load.keep``);
    the names warmed."""
    import resource  # noqa: F401  (each of these is imported by every worker's command)
    import tempfile  # noqa: F401
    import warnings

    import numpy  # noqa: F401

    from .. import api, sandbox
    from ..api import frameworks  # noqa: F401
    from ..api.load import keep
    from ..checking.checker import checker_for
    from ..checking.fastcache import code_version
    from ..model.source import bundled_examples, bundled_tensor_examples
    from . import build_parser
    from .check import output
    build_parser("check")
    code_version()
    sandbox.call(len, "a sandbox child once", timeout=30)
    done = []
    with warnings.catch_warnings():      # on leaving, warnings shown here count as not shown in a worker
        for name in bundled_examples():
            try:
                model = keep(name)       # the same network (and checker) for every worker's load(name)
                if api.is_tensor(model):
                    continue
                param = model.params[0]
                c = checker_for(model)
                right = c.net.latex(c.derivation.gradient(param).delta_form)
                for answer in (right, f"3({right})"):
                    report = api.check_report(model, param, answer, timeout=None)
                    output(report, False), output(report, True)
                done.append(name)
            except Exception:            # a bundled network the checker cannot take: not warmed
                continue
        for name in bundled_tensor_examples():
            try:
                api.derive(name)         # the tensor stage imported, sympy's caches filled (--backward)
                done.append(name)
            except Exception:
                continue
    return done
