"""Every input read has a deadline: each command that reads a file, given a FIFO nobody writes to or one
that trickles a byte every 50 ms for ever, stops within its --timeout with one line and exit 2.

Before, ``check --answer-file``, ``check --derivation``, ``check --backward`` and ``grade`` waited for
ever on a FIFO without a writer (the open itself blocked)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import contextlib
import io

import pytest

from derive.checking import checker, derivation, grade  # noqa: F401  (imported once, not in every run's child)
from derive.cli import main
from serving import ROOT

LIMIT = "0.5"                #  --timeout of every run: the deadline under test
COMMANDS = {                 # name -> argv with FIFO where the file goes
    "check --answer-file": ["check", "seed002", "--param", "w11", "--answer-file", "FIFO"],
    "check --derivation": ["check", "seed002", "--derivation", "FIFO"],
    "check --backward": ["check", "cs231n", "--backward", "FIFO"],
    "check spec": ["check", "FIFO", "--param", "w11", "--answer", "x1"],
    "grade": ["grade", "seed002", "FIFO", "--no-progress", "--workers", "1"],
    "verify": ["verify", "FIFO"],
    "train --data": ["train", "xor", "--data", "FIFO", "--steps", "2"],
    "notes": ["notes", "FIFO", "--format", "md", "--out", "out"],
}
STOPPED = re.compile(r"^derive: error: (cannot read .*\.fifo: it did not finish within 0.5 s|derive \w+ stopped after 0.5 s)")


class Trickle(threading.Thread):
    """Opens the FIFO for writing as soon as a reader has it open, then writes a byte every 50 ms."""

    def __init__(self, path: str):
        super().__init__(daemon=True)
        self.path, self.stop = path, threading.Event()

    def run(self):
        fd = None
        while fd is None and not self.stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:                    # ENXIO: no reader yet
                time.sleep(0.01)
        while fd is not None and not self.stop.is_set():
            try:
                os.write(fd, b"x")
            except BlockingIOError:
                pass
            except OSError:                    # the reader closed it: done
                break
            time.sleep(0.05)
        if fd is not None:
            os.close(fd)


def derive(argv: list[str], cwd) -> tuple[int, str, float]:
    """``derive argv --timeout 1`` in this process (its work runs in forked children, as on the command
    line): (exit code, standard error, seconds)."""
    err, here, start = io.StringIO(), os.getcwd(), time.monotonic()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([*argv, "--timeout", LIMIT])
    finally:
        os.chdir(here)
    return code, err.getvalue(), time.monotonic() - start


def _one(name: str, trickle: bool, folder):
    fifo = folder / f"{name.replace(' ', '_').replace('-', '')}_{int(trickle)}.fifo"
    os.mkfifo(fifo)
    argv = [str(fifo) if a == "FIFO" else a for a in COMMANDS[name]]
    writer = Trickle(str(fifo)) if trickle else None
    if writer:
        writer.start()
    try:
        return derive(argv, folder)
    finally:
        if writer:
            writer.stop.set()
            writer.join(5)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fifo")
    (folder / "out").mkdir()
    cases = [(name, trickle) for name in COMMANDS for trickle in (False, True)]
    return {c: _one(*c, folder) for c in cases}


@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize("trickle", [False, True], ids=["no writer", "trickling"])
def test_fifo_read_stops_at_the_time_limit(outcomes, name, trickle):
    code, err, seconds = outcomes[(name, trickle)]
    assert code == 2, err
    assert err.count("\n") == 1 and STOPPED.match(err), err
    assert "check stopped" not in err or name.startswith("check")
    assert seconds < 60                         # it stopped (a hang would reach the subprocess timeout)


def test_trickling_standard_input(tmp_path):
    """--answer-file - reads standard input in the parent: a pipe that never ends stops there too."""
    writer = subprocess.Popen([sys.executable, "-c", "import sys, time\nwhile True:\n sys.stdout.write('x'); "
                               "sys.stdout.flush(); time.sleep(0.05)"], stdout=subprocess.PIPE)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        out = subprocess.run([sys.executable, "-m", "derive", "check", "seed002", "--param", "w11", "--answer-file",
                              "-", "--timeout", LIMIT], stdin=writer.stdout, capture_output=True, text=True,
                             timeout=120, env=env, cwd=tmp_path)
    finally:
        writer.kill()
        writer.wait()
    assert out.returncode == 2 and "cannot read standard input: it did not finish within 0.5 s" in out.stderr, out.stderr


def test_a_finished_fifo_is_read(tmp_path):
    """A FIFO whose writer finishes in time is read like a file (the answer is checked)."""
    fifo = tmp_path / "answer.fifo"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w") as f:                # blocks until derive opens it
            f.write("delta_z1*x1\n")
    t = threading.Thread(target=write, daemon=True)
    t.start()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "derive", "check", "seed002", "--param", "w11", "--answer-file",
                          str(fifo), "--timeout", "30"], capture_output=True, text=True, timeout=120, env=env)
    t.join(5)
    assert out.returncode == 0, out.stderr
