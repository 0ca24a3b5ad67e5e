"""The verdict store: a regrade reads every verdict back, a run killed with SIGKILL resumes with no
answer checked twice, two runs share one store at once, and a damaged or foreign file is refused."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import derive
from derive import sandbox
from derive.checking.grade import grade, read_answers
from derive.checking.store import APPLICATION_ID, Store, default_path
from derive.errors import DeriveError

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]
NET = derive.load("seed002")


def a_class(n: int, copies: int = 3) -> list[dict]:
    """n distinct answers (right and wrong ones), each handed in ``copies`` times."""
    forms = ["delta_z1*x1*{k}/{k}", "delta_z1*x2+{k}-{k}", "(delta_y1*w31 + delta_y2*w41)*x1*{k}/{k}", "delta_z1*{k}"]
    answers = [forms[k % len(forms)].format(k=k // len(forms) + 2) for k in range(n)]
    return [{"id": f"s{c}-{k}", "param": "w11", "answer": a} for c in range(copies) for k, a in enumerate(answers)]


def verdicts(report) -> list[tuple]:
    return [(r.id, r.status, r.kinds, r.diagnosis, r.parsed, r.error) for r in report.rows]


class CountingPool(sandbox.Pool):
    calls: list = []

    def run(self, tasks):
        tasks = list(tasks)
        CountingPool.calls += tasks
        return super().run(tasks)


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    """derive's source hash pinned: the shared working tree changes under a running test."""
    import derive.checking.store as store
    monkeypatch.setattr(store, "code_version", lambda: "pinned")


@pytest.fixture
def counted(monkeypatch):
    CountingPool.calls = []
    monkeypatch.setattr(sandbox, "Pool", CountingPool)
    return CountingPool.calls


def test_a_regrade_reads_every_verdict_back(tmp_path, counted):
    rows = read_answers(DATA / "class_seed002.csv") * 2
    first = grade(NET, rows, workers=2, progress=False, store=tmp_path / "v.sqlite")
    assert first.graded == len(counted) > 0 and first.from_store == 0
    counted.clear()
    again = grade(NET, rows, workers=2, progress=False, store=tmp_path / "v.sqlite")
    assert counted == [] and again.graded == 0 and again.from_store == again.distinct == first.distinct
    assert verdicts(again) == verdicts(first)
    assert "0 checked now, 18 from the verdict store" in again.summary_text()   # s10 unanswered: not checked


def test_a_timeout_is_reused_only_under_a_limit_no_longer(tmp_path):
    v = {"status": "timeout", "diagnosis": [], "kinds": [], "parsed": "", "error": "stopped", "seconds": 1.0}
    with Store(tmp_path / "v.sqlite") as s:
        s.put("spec", ("w11", "x1"), v, 1.0)
        assert s.get_many("spec", [("w11", "x1")], 0.5) == {("w11", "x1"): v}
        assert s.get_many("spec", [("w11", "x1")], 5.0) == {}
        assert s.get_many("other spec", [("w11", "x1")], 0.5) == {}


GRADE = """
import sys, json, derive
import derive.checking.store as store
store.code_version = lambda: "pinned"      # others edit this tree while the test runs: the key must not move
sys.path.insert(0, {tests!r})
from test_grade_store import a_class
from derive.checking.grade import grade
r = grade(derive.load("seed002"), a_class({n}), workers=1, progress=False, store={store!r})
print(json.dumps([r.graded, r.from_store, r.distinct]))
"""


def _start(store: Path, n: int) -> subprocess.Popen:
    code = GRADE.format(tests=str(Path(__file__).parent), n=n, store=str(store))
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


def _stored(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=10) as db:
            return db.execute("SELECT count(*) FROM verdicts").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_run_killed_mid_way_resumes_with_no_answer_checked_twice(tmp_path, counted):
    store, n = tmp_path / "v.sqlite", 90
    run = _start(store, n)
    deadline = time.monotonic() + 60
    while _stored(store) < 8 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)            # the grader and its sandbox workers, at once
    run.wait(10)
    kept = _stored(store)
    assert 8 <= kept < n, "the run should have been killed mid-way"
    rows = a_class(n)
    resumed = grade(NET, rows, workers=2, progress=False, store=store)
    assert resumed.from_store == kept and resumed.graded == n - kept == len(counted)
    assert len(set(counted)) == len(counted)          # with the killed run's: n checks for n distinct answers
    assert [r.id for r in resumed.rows] == [r["id"] for r in rows]          # every row present, in order
    fresh = grade(NET, rows, workers=2, progress=False)                      # the oracle: no store at all
    assert [v[1:] for v in verdicts(resumed)] == [v[1:] for v in verdicts(fresh)]


def test_two_runs_share_one_store_at_once(tmp_path):
    store, n = tmp_path / "v.sqlite", 40
    runs = [_start(store, n), _start(store, n)]
    outs = [r.communicate(timeout=180) for r in runs]
    for r, (out, err) in zip(runs, outs):
        assert r.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    counts = [json.loads(out) for out, _ in outs]
    assert all(c[2] == n and c[0] + c[1] == n for c in counts)
    assert _stored(store) == n                                        # one verdict per distinct answer
    again = grade(NET, a_class(n), workers=1, progress=False, store=store)
    assert again.graded == 0 and again.from_store == n


def _refused(path, match):
    with pytest.raises(DeriveError, match=match) as e:
        Store(path)
    assert "\n" not in str(e.value)


def test_a_damaged_or_foreign_store_is_refused_in_one_line(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("these are my notes, not a database\n" * 200)
    _refused(text, "not a usable derive verdict store")
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE verdicts (key BLOB PRIMARY KEY, verdict TEXT, time_limit REAL)")
    _refused(foreign, "another program's file")
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 99")
    _refused(newer, "another version of derive")
    _refused(tmp_path, "not a regular file")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    _refused(fifo, "not a regular file")

    good = tmp_path / "v.sqlite"
    grade(NET, read_answers(DATA / "class_seed002.csv")[:4], workers=1, progress=False, store=good)
    with sqlite3.connect(good) as db:                                  # an entry rewritten by something else
        db.execute("UPDATE verdicts SET verdict = ?", (json.dumps({"status": "correct"}),))
    with pytest.raises(DeriveError, match="an entry is not a verdict"):
        grade(NET, read_answers(DATA / "class_seed002.csv")[:4], workers=1, progress=False, store=good)

    damaged = tmp_path / "damaged.sqlite"
    grade(NET, read_answers(DATA / "class_seed002.csv"), workers=1, progress=False, store=damaged)
    with sqlite3.connect(damaged) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2:] = b"\xff" * (len(data) - len(data) // 2)      # half its pages overwritten
    damaged.write_bytes(bytes(data))
    _refused(damaged, "damaged|not a usable derive verdict store")


def test_the_default_store_is_in_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_path() == tmp_path / "derive" / "verdicts.sqlite"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/not/allowed")
    assert default_path() == Path.home() / ".cache" / "derive" / "verdicts.sqlite"


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "derive", "grade", "seed002", str(DATA / "class_seed002.csv"),
                           "--no-progress", *args], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def test_the_command_line_refuses_a_bad_store_in_one_line_exit_2(tmp_path):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("my notes\n" * 100)
    for args in (["--store", str(notes)], ["--store", str(notes), "--json"], ["--store", str(tmp_path)],
                 ["--store", str(DATA / "class_seed002.csv")]):
        run = _cli(*args)
        assert run.returncode == 2 and run.stderr.count("\n") == 1, (args, run.stderr)
        assert run.stderr.startswith("derive: error: ") and "Traceback" not in run.stderr
        if "--json" in args:
            assert "verdict store" in json.loads(run.stdout)["error"]
    assert notes.read_text() == "my notes\n" * 100                      # never written
    run = _cli("--store", str(notes), "--no-store")
    assert run.returncode == 2 and "not allowed with" in run.stderr


def test_the_command_line_uses_the_cache_store_unless_told_not_to(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    run = _cli(env=env)
    assert run.returncode == 0 and "18 distinct answers: 18 checked now" in run.stdout
    assert (tmp_path / "derive" / "verdicts.sqlite").is_file()
    run = _cli("--no-store", env={"XDG_CACHE_HOME": str(tmp_path / "elsewhere")})
    assert run.returncode == 0 and not (tmp_path / "elsewhere").exists()
    (tmp_path / "a-file").write_text("")                   # the cache folder cannot be made: graded without
    run = _cli(env={"XDG_CACHE_HOME": str(tmp_path / "a-file")})
    assert run.returncode == 0 and "18 checked now" in run.stdout
    assert run.stderr.startswith("derive: warning: verdict store") and "grading without a verdict store" in run.stderr
    (tmp_path / "derive" / "verdicts.sqlite").write_bytes(b"\0" * 4096)   # a damaged default store: refused
    run = _cli(env=env)
    assert run.returncode == 2 and "not a usable derive verdict store" in run.stderr
