"""The lecturer page's grading: a 10,000-row class graded (each distinct answer once), the job's time limit
scaling with the distinct answers and capped without refusing (a bigger class runs in chunks, its progress
never going back), and the verdict store shared with ``derive grade``."""
import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from collections import Counter

from serving import ROOT, Served
from test_grade import EXPECTED

from derive.checking.distinct import part_of
from derive.checking.grade import read_answers
from derive.sandbox import MAX_TIMEOUT

DATA = Path(__file__).parent / "data"


def a_class(rows: int) -> str:
    """``rows`` answers of seed002's class file (its 19 short answers, over and over), as CSV text."""
    answers = read_answers(DATA / "class_seed002.csv")[:19]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "param", "answer"])
    for i in range(rows):
        r = answers[i % len(answers)]
        w.writerow([f"student{i:05d}", r["param"], r["answer"]])
    return buf.getvalue()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("derive.checking.store.code_version", lambda: "pinned")
    return tmp_path / "cache" / "derive" / "verdicts.sqlite"


PIN = "import derive.checking.store as s; s.code_version = lambda: 'pinned'\nfrom derive.cli import main\n"


def pinned_server(folder: Path) -> Served:
    """``derive serve`` as ``serving.Served`` starts it, with derive's source hash pinned (the shared working
    tree changes under a running test; the store's keys must not)."""
    s = Served.__new__(Served)
    s.cwd, s.tmp = folder / "cwd", folder / "tmp"
    s.cwd.mkdir(parents=True)
    s.tmp.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(s.tmp))
    s.proc = subprocess.Popen([sys.executable, "-c", PIN + "main(['serve', '--port', '0', '--json'])"], cwd=s.cwd,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    s.url = json.loads(s.proc.stdout.readline())["url"].rstrip("/")
    return s


def test_the_page_grades_a_ten_thousand_row_class_and_shares_the_store(tmp_path, cache):
    served = pinned_server(tmp_path / "serve")
    try:
        status, body, _ = served.post("/api/grade", {"spec": "seed002", "csv": a_class(10_000)}, timeout=300)
    finally:
        err = served.stop()
    assert status == 200, body
    s = body["summary"]
    expected = Counter(EXPECTED[f"s{i % 19 + 1:02d}"][0] for i in range(10_000))
    assert s["answers"] == 10_000 and s["distinct"] == 17        # s17 is s03 typed again; s10 left blank
    assert {k: s[k] for k in expected} == expected and s["graded"] == 17
    assert [(r["status"], r["kinds"]) for r in body["rows"][:19]] == [(v[0], v[1]) for v in list(EXPECTED.values())[:19]]
    assert [r["id"] for r in body["rows"][:3]] == ["student00000", "student00001", "student00002"]
    assert "Traceback" not in err and cache.exists()
    # the command line reads the page's verdicts back (same store, same keys)
    (tmp_path / "class.csv").write_text(a_class(40))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    code = PIN + "raise SystemExit(main(['grade', 'seed002', %r, '--json']))" % str(tmp_path / "class.csv")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    cli = json.loads(out.stdout)["summary"]
    assert cli["from_store"] == 17 and cli["graded"] == 0


class FakeServer:
    """What ``jobs._grade`` needs of a server: settings, a temporary folder, sandboxed runs."""

    def __init__(self, tmp: Path, timeout: float, work_timeout: float):
        import anyio

        from derive.serve.http import Server, Settings
        self.real = Server(Settings(timeout=timeout, work_timeout=work_timeout))
        self.real.limiter, self.real.tmp = anyio.CapacityLimiter(2), tmp
        self.settings, self.tmp, self.jobs = self.real.settings, tmp, {}
        self.limits: list = []

    async def run(self, fn, *args, timeout):
        self.limits.append(timeout)
        return await self.real.run(fn, *args, timeout=timeout)


def test_the_time_limit_scales_with_distinct_answers_and_is_capped_not_refused(tmp_path):
    from derive.serve import jobs
    srv = FakeServer(tmp_path, timeout=5.0, work_timeout=120.0)
    few = jobs._grade_plan(srv, a_class(2_000))            # 2,000 rows, 19 distinct answers: no 5,020 s limit
    assert few[1] == 1 and few[0] < 200
    many = "id,param,answer\n" + "".join(f"s{i},w11,x1*{i}\n" for i in range(20_000))
    limit, chunks = jobs._grade_plan(srv, many)
    assert limit <= jobs.CHUNK_LIMIT <= MAX_TIMEOUT and chunks > 1


def test_a_big_class_runs_in_chunks_and_its_progress_never_goes_back(tmp_path, cache, monkeypatch):
    from derive.serve import jobs
    monkeypatch.setattr(jobs, "CHUNK_LIMIT", 30.0)
    srv = FakeServer(tmp_path, timeout=2.0, work_timeout=10.0)
    text = "id,param,answer\n" + "".join(f"s{i},w11,delta_z1*x1*{i % 60 + 2}/{i % 60 + 2}\n" for i in range(300))
    job = jobs._new_job(srv)
    seen = []

    async def main():
        task = asyncio.get_running_loop().create_task(jobs._grade(srv, job, "seed002", text))
        while not task.done():
            seen.append(job.progress[0])
            await asyncio.sleep(0.05)
        await task
    asyncio.run(main())
    assert srv.limits[0] == 10.0                                     # the spec's parameters read (a wide file's columns)
    assert len(srv.limits) > 3 and set(srv.limits[1:]) == {30.0}    # chunks, then the report from the store
    assert job.status == "done" and job.result["summary"]["answers"] == 300
    assert job.result["summary"]["from_store"] == 60 and job.result["summary"]["correct"] == 300
    assert seen == sorted(seen) and job.progress[0] == job.progress[1] == 300


def test_chunks_partition_the_distinct_answers():
    rows = [{"id": str(i), "param": "w11", "answer": f"a{i % 7}"} for i in range(50)]
    parts = [part_of(rows, k, 3) for k in range(3)]
    assert sorted(r["id"] for p in parts for r in p) == sorted(r["id"] for r in rows)
    assert [len({r["answer"] for r in p}) for p in parts] == [3, 3, 1]
