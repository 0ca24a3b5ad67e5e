"""Nothing lost, mixed or orphaned: bounded reads, atomic writes, safe CSV reports, budgets, no stray workers."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from derive import safeio, sandbox
from derive.checking.grade import read_answers, spreadsheet_safe
from derive.cli import main, options
from derive.errors import DeriveError

ROOT = Path(__file__).resolve().parents[1]
DERIVE = [sys.executable, "-m", "derive"]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
SLOW = ("delta_z1*x1 + (x1*(1+w11)+w12+w21+w22+w31+w32+w41+w42+x2)^64"
        " - (x1+x1*w11+w12+w21+w22+w31+w32+w41+w42+x2)^64")


# ---------------------------------------------------------------------------------------------
# Bounded reads and atomic writes

@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_read_only_up_to_the_limit(device):
    with pytest.raises(DeriveError, match="larger than 1,000 bytes"):
        safeio.read_bytes(device, 1000)


def test_a_pipe_is_read_only_up_to_the_limit(tmp_path):
    r, w = os.pipe()
    with ThreadPoolExecutor(1) as pool:
        writer = pool.submit(lambda: [os.write(w, b"x" * 4096) for _ in range(10)] and os.close(w))
        with pytest.raises(DeriveError, match="larger than"):
            safeio.read_bytes(f"/dev/fd/{r}", 5000)
        os.close(r)
        try:
            writer.result(timeout=10)
        except BrokenPipeError:   # the reader stopped early, as it should
            pass


def test_proc_files_whose_size_is_zero_are_still_bounded():
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(DeriveError, match="larger than 10 bytes"):
        safeio.read_bytes("/proc/self/status", 10)
    assert safeio.read_text("/proc/self/status", 100_000).startswith("Name:")


def test_write_atomic_replaces_whole_and_refuses_devices_and_folders(tmp_path):
    target = tmp_path / "r.csv"
    safeio.write_atomic(target, "old\n")
    safeio.write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]        # no temporary file left
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    for bad in ("/dev/null", str(tmp_path), str(tmp_path / "missing" / "x.csv")):
        with pytest.raises(DeriveError, match="cannot write"):
            safeio.write_atomic(bad, "x")
    with pytest.raises(DeriveError, match="outside"):
        safeio.write_inside(tmp_path, "../escape.md", "x")
    assert not (tmp_path.parent / "escape.md").exists()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------------------------
# Grade: CSV in, reports out

def test_answers_with_any_line_ending_bom_and_quoted_newlines(tmp_path):
    expected = [{"id": "1", "param": "w11", "answer": "delta_z1*x1"},
                {"id": "2", "param": "w11", "answer": "x1\nx2"},
                {"id": "3", "param": "w12", "answer": "x2"}]
    for name, nl in (("cr", "\r"), ("crlf", "\r\n"), ("lf", "\n")):
        f = tmp_path / f"{name}.csv"
        f.write_bytes(("\ufeffid,param,answer" + nl + "1,w11,delta_z1*x1" + nl + '2,w11,"x1\nx2"' + nl
                       + "3,w12,x2" + nl).encode("utf-8"))
        assert read_answers(f) == expected, name


@pytest.mark.parametrize("cell, safe", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+1", "'+1"), ("-x1", "'-x1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("x1-1", "x1-1"), ("", "")])
def test_spreadsheet_formulas_are_neutralised(cell, safe):
    assert spreadsheet_safe(cell) == safe


def test_report_cells_from_answers_are_never_formulas(tmp_path, capsys):
    answers = tmp_path / "a.csv"
    answers.write_text('id,param,answer\n=cmd|\' /C calc\'!A0,w11,"=HYPERLINK(""http://evil"",""x"")"\n'
                       "@id,w11,-delta_z1*x1\ns1,w11,delta_z1*x1\ns1,w12,delta_z1*x2\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    assert main(["grade", "seed002", str(answers), "--out", str(out), "--no-progress", "--workers", "1"]) == 0
    summary = capsys.readouterr().out
    assert "warning: 1 answer id appears more than once: 's1'" in summary
    for row in csv.reader(out.open(newline="", encoding="utf-8")):
        assert not any(c.startswith(tuple("=+-@\t\r")) for c in row), row
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["summary"]["duplicate_ids"] == ["s1"]
    assert data["rows"][0]["answer"].startswith("=HYPERLINK")          # JSON keeps the text as given


def test_concurrent_reports_are_whole(tmp_path):
    """Four graders writing the same report: the result is one of them, whole, never interleaved."""
    answers = tmp_path / "a.csv"
    answers.write_text("id,param,answer\n" + "".join(f"s{i},w11,delta_z1*x1\n" for i in range(40)))
    out = tmp_path / "r.csv"
    cmd = DERIVE + ["grade", "seed002", str(answers), "--out", str(out), "--no-progress", "--workers", "1"]
    procs = [subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(4)]
    assert all(p.wait(120) == 0 for p in procs)
    rows = list(csv.DictReader(out.open(newline="")))
    assert [r["id"] for r in rows] == [f"s{i}" for i in range(40)]
    assert len(json.loads(out.with_suffix(".json").read_text())["rows"]) == 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "r.csv", "r.json"]


# ---------------------------------------------------------------------------------------------
# Budgets and workers

def test_timeout_limits_agree():
    assert options.MAX_TIMEOUT == sandbox.MAX_TIMEOUT
    for bad in (float("nan"), float("inf"), 0, -1, 1e300, "x"):
        with pytest.raises(DeriveError):
            sandbox.check_timeout(bad)


def _sleep_forever():
    time.sleep(3600)


def _big(n: int) -> str:
    return "x" * n


def _fail(cls):
    raise cls("bad input here")


def _die():
    os._exit(7)


def _read_stdin():
    return sys.stdin.read()


def _pid_and_grandchild():
    pid = os.fork()                 # a grandchild that keeps the result pipe open
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    return os.getpid(), pid


def test_a_sandbox_call_returns_raises_stops_and_reports_death():
    before = set(_children(os.getpid()))               # earlier tests' helpers (a browser driver, a cluster)
    assert sandbox.call(_big, 5_000_000, timeout=30) == "x" * 5_000_000   # larger than any pipe buffer
    with pytest.raises(sandbox.errors.FormulaError, match="bad input here"):
        sandbox.call(_fail, sandbox.errors.FormulaError)
    with pytest.raises(RuntimeError, match="ValueError: bad input here"):   # a bug: internal, one line
        sandbox.call(_fail, ValueError)
    start = time.perf_counter()
    with pytest.raises(sandbox.TimeLimit, match="nap stopped after 0.5 s"):
        sandbox.call(_sleep_forever, timeout=0.5, what="nap")
    assert time.perf_counter() - start < 5
    with pytest.raises(DeriveError, match=r"process died \(exit code 7\), most likely out of memory"):
        sandbox.call(_die)
    assert sandbox.call(_read_stdin) == ""                 # no stdin in the child: never waits on it
    assert not [c for c in _children(os.getpid()) if c not in before and _alive(c)]    # every child reaped


def test_a_grandchild_holding_the_pipe_does_not_delay_the_result():
    start = time.perf_counter()
    child, grandchild = sandbox.call(_pid_and_grandchild, timeout=20)
    try:
        assert child != os.getpid() and time.perf_counter() - start < 10
    finally:
        os.kill(grandchild, signal.SIGKILL)


def test_a_command_over_its_time_budget_is_stopped(capsys, tmp_path):
    """A 16-wide, 30-layer tanh net keeps verify busy far past 1 s (digits now proves in about a second)."""
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps({"inputs": 16, "layers": [{"units": 16, "activation": "tanh"}] * 30,
                                "loss": "half_sse"}))
    start = time.perf_counter()
    assert main(["verify", str(deep), "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert "derive verify stopped after 1 s" in err and err.count("\n") == 1
    assert time.perf_counter() - start < 15


def test_a_command_over_its_memory_budget_is_one_line():
    """digits (2410 parameters) needs far more than 64 MB beyond what a fresh derive holds (run as a
    command: inside this test process sympy and the derivation code are already loaded, and the proof of
    digits has become cheap enough to fit)."""
    out = subprocess.run(DERIVE + ["verify", "digits", "--max-memory", "64", "--timeout", "900"], env=ENV,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 2
    assert "out of memory (the limit is 64 MB" in out.stderr and out.stderr.count("\n") == 1, out.stderr


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(d.name))
    return out


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_worker_outlives_a_killed_grade(tmp_path, sig):
    answers = tmp_path / "a.csv"
    answers.write_text("id,param,answer\n" + "".join(f"s{i},w11,{SLOW} + {i}\n" for i in range(8)))   # distinct: each checked
    proc = subprocess.Popen(DERIVE + ["grade", "seed002", str(answers), "--workers", "2", "--timeout", "600",
                                      "--no-progress", "--no-store"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers := _descendants(proc.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) >= 3, "grade started no workers"      # its budget's child and two workers
        time.sleep(1.0)                      # the workers are busy expanding polynomials
        proc.send_signal(sig)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "a worker survived its parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for w in workers:          # never leave a survivor behind, even when the test fails
            if _alive(w):
                os.kill(w, signal.SIGKILL)
