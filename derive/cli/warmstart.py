"""``derive check`` starting this user's warm checker by itself (``DERIVE_WARM`` unset), as Gradle starts its
daemon: the second command line in a few minutes that runs cold because none of this derive is running
starts ``derive warm --idle 10`` in the background for the next one.  One check alone leaves nothing
running.  Standard library only: imported after a cold check, in the command's own process.
"""
from __future__ import annotations

import os
import sys
import time

from ..errors import DeriveError

AUTO_IDLE_MINUTES = 10.0        # a warm checker ``derive check`` started by itself stops after this idle time
AUTO_WITHIN_SECONDS = 600.0     # started on the second check run cold within this time


def after_cold_check() -> None:
    """A ``derive check`` command line ran cold because no warm checker of this derive was running: if
    another did within ``AUTO_WITHIN_SECONDS`` (a marker file next to the socket says when), start one in
    the background for the next check; else leave the marker.  Silent: the answer is already printed."""
    try:
        from . import warmclient
        path = warmclient.socket_path()
        private_folder(path)
        marker = path[:-len(".sock")] + ".recent"
        try:
            recent = 0 <= time.time() - os.lstat(marker).st_mtime < AUTO_WITHIN_SECONDS
        except OSError:
            recent = False
        if recent:
            os.unlink(marker)
            start_in_background()
        else:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
            os.utime(marker)
    except Exception:                       # noqa: BLE001
        pass


def start_in_background(idle: float = AUTO_IDLE_MINUTES) -> None:
    """Start this user's warm checker for the next ``derive check``, without waiting for it to warm up
    (``derive check`` calls this after running a command itself because none was running): ``derive warm
    --idle MINUTES`` in a new session on /dev/null, run by this Python in isolated mode (no folder of the
    caller's on its path: a ``derive.py`` there is never imported) with this process's import path.  Silent:
    any failure leaves things as they were (a start already under way is refused by the lock, as always)."""
    import json
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = [package] + [p for p in sys.path if p and os.path.isabs(p) and p != package]
    code = ("import json, os, sys; sys.path[:0] = json.loads(os.environ.pop('DERIVE_WARM_PATHS')); "
            f"from derive.cli import main; sys.exit(main(['warm', '--idle', '{idle:g}']))")
    env = dict(os.environ, DERIVE_WARM_PATHS=json.dumps(paths))
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDWR, 0), (os.POSIX_SPAWN_DUP2, 0, 1),
               (os.POSIX_SPAWN_DUP2, 0, 2)]
    try:
        os.posix_spawn(sys.executable, [sys.executable, "-I", "-c", code], env, file_actions=actions, setsid=True)
    except (OSError, AttributeError, NotImplementedError, TypeError):   # no posix_spawn or setsid here
        pass


def private_folder(path: str) -> str:
    """The socket's folder, made 0700 if new; a folder not private to this user is refused."""
    from .warmclient import private
    where = os.path.dirname(path)
    try:
        os.makedirs(os.path.dirname(where), exist_ok=True)
        os.mkdir(where, 0o700)
        os.chmod(where, 0o700)              # whatever the umask
    except FileExistsError:
        pass
    except OSError as e:
        raise DeriveError(f"cannot make {where}: {e.strerror or e}") from None
    if not private(where):
        raise DeriveError(f"{where} is not a folder of this user with mode 0700: not used "
                          "(remove it, or set XDG_RUNTIME_DIR)")
    return where
