"""Grading on a real Dask cluster (``distributed.LocalCluster``: a scheduler and worker processes started
here): the same report as a local run, no row lost when a worker is killed mid-run, an answer that
kills its workers reported unusable, and no Dask import at all without a scheduler."""
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

import derive                                                     # noqa: E402
from derive.checking.distinct import Recipe                       # noqa: E402
from derive.checking.grade import grade, grade_recipe, read_answers  # noqa: E402
from derive.errors import DeriveError                             # noqa: E402

DATA = Path(__file__).parent / "data"
NET = derive.load("seed002")


@pytest.fixture(scope="module")
def cluster():
    import cloudpickle
    import dask
    cloudpickle.register_pickle_by_value(sys.modules[__name__])     # the killer recipe below, by value
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=50) as c:
            with distributed.Client(c) as client:
                yield c, client


def a_class(n: int) -> list[dict]:
    forms = ["delta_z1*x1*{k}/{k}", "delta_z1*x2+{k}-{k}", "(delta_y1*w31 + delta_y2*w41)*x1*{k}/{k}", "delta_z1*{k}"]
    answers = [forms[k % 4].format(k=k // 4 + 2) for k in range(n)]
    return [{"id": f"s{c}-{k}", "param": "w11", "answer": a} for c in range(2) for k, a in enumerate(answers)]


def verdicts(report) -> list[tuple]:
    return [(r.id, r.status, r.kinds, r.diagnosis, r.parsed, r.error) for r in report.rows]


def test_a_cluster_gives_the_report_of_a_local_run(cluster):
    c, _ = cluster
    rows = read_answers(DATA / "class_seed002.csv") * 3
    remote = grade(NET, rows, scheduler=c.scheduler_address, progress=False)
    local = grade(NET, rows, workers=2, progress=False)
    assert verdicts(remote) == verdicts(local)
    assert remote.distinct == remote.graded == local.graded == 18 and remote.workers == 2   # s10 blank: unanswered


def test_a_killed_worker_loses_no_row(cluster):
    c, client = cluster
    rows = a_class(60)
    seen, killed = [], []

    def on_row(r):
        seen.append(r)
        if len(seen) == 6 and not killed:          # mid-run: kill one worker process outright
            pids = list(client.run(os.getpid).values())
            killed.append(pids[0])
            threading.Thread(target=os.kill, args=(pids[0], signal.SIGKILL)).start()
    remote = grade(NET, rows, scheduler=c.scheduler_address, progress=False, on_row=on_row)
    assert killed and len(seen) == len(rows)
    assert [r.id for r in remote.rows] == [r["id"] for r in rows] and remote.graded == 60
    assert verdicts(remote) == verdicts(grade(NET, rows, workers=2, progress=False))


def _build():
    return None


def _check(_, param, answer):
    if answer == "kill":
        os.kill(os.getppid(), signal.SIGKILL)         # the Dask worker running this sandbox
    return (True, (), (), answer)


def test_an_answer_that_kills_workers_is_reported_unusable(cluster):
    c, _ = cluster
    answers = ["fine 1", "fine 2", "kill", "fine 3", "fine 4", "fine 5"]        # fine ones share workers with it
    rows = [{"id": str(i), "param": "p", "answer": a} for i, a in enumerate(answers)]
    report = grade_recipe(Recipe(_build, _check, (), "killer"), "killer", rows, scheduler=c.scheduler_address,
                          progress=False)
    assert [r.status for r in report.rows] == ["correct", "correct", "unusable", "correct", "correct", "correct"], \
        [r.error for r in report.rows]
    assert "killed every Dask worker" in report.rows[2].error and report.rows[0].parsed == "fine 1"


def test_an_unreachable_scheduler_is_one_line():
    with pytest.raises(DeriveError, match="cannot reach the Dask scheduler") as e:
        grade(NET, read_answers(DATA / "class_seed002.csv"), scheduler="tcp://127.0.0.1:9", progress=False)
    assert "\n" not in str(e.value)


def test_without_a_scheduler_dask_is_never_imported():
    code = ("import sys, derive\nfrom derive.checking.grade import grade, read_answers\n"
            f"grade(derive.load('seed002'), read_answers({str(DATA / 'class_seed002.csv')!r}), workers=1, progress=False)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
