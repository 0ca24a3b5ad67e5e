"""Killed means cleaned up: a sandboxed child leads its own process group, killed as a whole with the
budget (LaTeX and anything else it started go with it), and its temporary folders are removed by the
parent, which outlives it.

The LaTeX here is a stand-in on PATH (``pdflatex``/``xelatex`` that record their pid and sleep): a LaTeX
run that is still going when the limit comes, every time, however fast the machine."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from derive import sandbox
from serving import ROOT

ENGINE = '#!/bin/sh\necho $$ >> "$LATEX_PIDS"\nexec sleep 120\n'


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by whoever adopted it, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def gone(pids, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def latex(tmp_path):
    """A PATH whose LaTeX engines sleep, a file of their pids, and an empty TMPDIR to watch."""
    bin_dir, tmp = tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    tmp.mkdir()
    for name in ("pdflatex", "xelatex"):
        (bin_dir / name).write_text(ENGINE)
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", LATEX_PIDS=str(tmp_path / "pids"),
               TMPDIR=str(tmp), PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    env.pop("DERIVE_DEBUG", None)
    return env, tmp_path / "pids", tmp


def notes_pdf(env, cwd, timeout: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "derive", "notes", "cs231n", "--format", "pdf", "--out", "out",
                             "--timeout", timeout], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def engine_pids(pids_file: Path, seconds: float = 90) -> list[int]:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pids_file.exists() and pids_file.read_text().strip():
            return [int(x) for x in pids_file.read_text().split()]
        time.sleep(0.05)
    raise AssertionError("LaTeX never started")


def test_the_time_limit_kills_latex_and_removes_its_folder(latex, tmp_path):
    env, pids_file, tmp = latex
    proc = notes_pdf(env, tmp_path, "20")          # time to reach LaTeX on a loaded machine; then LaTeX hangs
    pids = engine_pids(pids_file)
    assert any(p.name.startswith("derive-") for p in tmp.iterdir())     # LaTeX's folder exists while it runs
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and err.startswith("derive: error: derive notes stopped after 20 s (time limit)"), err
    assert gone(pids), "LaTeX outlived the notes child"
    assert list(tmp.iterdir()) == [], "a temporary folder was left behind"


def test_sigterm_while_latex_runs(latex, tmp_path):
    env, pids_file, tmp = latex
    proc = notes_pdf(env, tmp_path, "600")
    pids = engine_pids(pids_file)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert gone(pids), "LaTeX outlived derive"
    assert list(tmp.iterdir()) == [], "a temporary folder was left behind"


# -- the sandbox itself: what a child starts dies with it, its folders go --------------------------

def _start_and_hang(pid_file: str, hang: bool):
    folder = tempfile.mkdtemp(prefix="work-")                  # inside the child's own folder
    Path(folder, "big").write_bytes(b"x" * 1000)
    p = subprocess.Popen(["sleep", "120"])                      # no preexec: only the process group kills it
    Path(pid_file).write_text(f"{p.pid}\n{folder}\n")
    if hang:
        time.sleep(120)
    return p.pid


@pytest.mark.parametrize("hang", [True, False], ids=["killed at the limit", "returned, leaving a process"])
def test_a_childs_group_and_folder_go_with_it(tmp_path, monkeypatch, hang):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    record = tmp_path / "started"
    before = set(tmp_path.iterdir())
    if hang:
        with pytest.raises(sandbox.TimeLimit, match="check stopped after 1 s"):
            sandbox.call(_start_and_hang, str(record), True, timeout=1)
    else:
        sandbox.call(_start_and_hang, str(record), False, timeout=30)
    pid, folder = record.read_text().split()
    assert gone([int(pid)])
    assert not Path(folder).exists()
    assert set(tmp_path.iterdir()) == before | {record}


def _hang_in_pool(x):
    subprocess.Popen(["sleep", "120"], stdout=open(x, "w"))
    time.sleep(120)


def test_a_pool_worker_past_its_limit_is_killed_with_its_group(tmp_path):
    marker = tmp_path / "out"
    before = {p.pid for p in _sleepers()}
    outcomes = list(sandbox.Pool(_hang_in_pool, workers=1, timeout=1, what="grading").run([(str(marker),)]))
    assert outcomes[0][1] == ("timeout", "grading stopped after 1 s (time limit)")
    assert gone([p.pid for p in _sleepers() if p.pid not in before])


class _P:
    def __init__(self, pid):
        self.pid = pid


def _sleepers():
    """Our own `sleep 120` descendants (found through /proc: their command line)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if d.joinpath("cmdline").read_bytes() == b"sleep\x00120\x00" and alive(int(d.name)):
                    out.append(_P(int(d.name)))
            except OSError:
                pass
    return out


def test_main_restores_the_callers_sigterm_handler(tmp_path):
    """derive's clean-up handler is for derive's own run: a program calling main() keeps its SIGTERM."""
    from derive.cli import main
    mine = lambda signum, frame: None          # noqa: E731
    before = signal.signal(signal.SIGTERM, mine)
    try:
        assert main(["verify", "nonexistent-spec", "--timeout", "5"]) == 2
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)
