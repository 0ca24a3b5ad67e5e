"""Batch grading: every row graded with the hand-expected status and diagnosis, in order, whatever the
other rows do (unreadable, hostile, too slow, crashing)."""
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import derive
from derive import sandbox
from derive.errors import DeriveError
from derive.checking.grade import grade, read_answers

DATA = Path(__file__).parent / "data"

# hand-written: status, and the diagnosis kinds of the wrong ones
EXPECTED = {
    "s01": ("correct", []), "s02": ("correct", []),
    "s03": ("incorrect", ["missing_path"]),
    "s04": ("incorrect", ["activation_derivative_dropped"]),
    "s05": ("incorrect", ["activation_derivative_as_value"]),
    "s06": ("incorrect", ["sign_flipped"]),
    "s07": ("incorrect", ["other_parameter"]),
    "s08": ("unusable", []), "s09": ("unusable", []), "s10": ("unanswered", []),
    "s11": ("correct", []), "s12": ("correct", []),
    "s13": ("incorrect", ["activation_derivative_dropped"]),
    "s14": ("incorrect", ["extra_path"]),
    "s15": ("incorrect", ["sign_flipped"]),
    "s16": ("unusable", []),
    "s17": ("incorrect", ["missing_path"]),
    "s18": ("correct", []),
    "s19": ("incorrect", ["activation_derivative_dropped"]),
    "s20": ("unusable", []),
}


@pytest.fixture(scope="module")
def report():
    return grade(derive.load("seed002"), read_answers(DATA / "class_seed002.csv"), workers=2, progress=False)


def test_every_row_has_its_expected_grade(report):
    assert [r.id for r in report.rows] == list(EXPECTED)          # the CSV's order
    got = {r.id: (r.status, list(r.kinds)) for r in report.rows}
    assert got == EXPECTED


def test_unusable_rows_say_why(report):
    rows = {r.id: r for r in report.rows}
    assert "unknown symbol w13" in rows["s08"].error
    assert rows["s10"].error == "" and rows["s10"].answer == ""       # left blank: unanswered, not unusable
    assert "w13 is not a parameter" in rows["s16"].error
    assert "nested too deeply" in rows["s20"].error


def test_summary(report):
    s = report.summary()
    assert (s["answers"], s["correct"], s["incorrect"], s["unanswered"], s["unusable"], s["timeout"]) == (20, 5, 10, 1, 4, 0)
    assert s["common_diagnoses"][0] == ("the term for the path through $y_{2}$ is missing", 2)
    assert s["by_param"]["w31"] == {"answers": 5, "correct": 2}
    text = report.summary_text()
    assert "graded 20 answers" in text and "most common diagnoses" in text and "unanswered      1" in text


def test_a_slow_answer_times_out_and_the_batch_goes_on():
    rest = "w12+w21+w22+w31+w32+w41+w42+x2"
    rows = [{"id": "slow", "param": "w11", "answer": f"delta_z1*x1 + (x1*(1+w11)+{rest})^64 - (x1+x1*w11+{rest})^64"},
            {"id": "ok", "param": "w11", "answer": "delta_z1*x1"},
            {"id": "bad", "param": "w11", "answer": "delta_z1"}]
    start = time.perf_counter()
    r = grade("seed002", rows, workers=2, timeout=1.0, progress=False)
    assert [(x.id, x.status) for x in r.rows] == [("slow", "timeout"), ("ok", "correct"), ("bad", "incorrect")]
    assert "time limit" in r.rows[0].error
    assert time.perf_counter() - start < 10


def _crash_on(x):
    if x == "crash":
        os._exit(3)
    if x == "boom":
        raise ZeroDivisionError("boom")
    if x == "bad":
        raise DeriveError("bad input")
    return x.upper()


def test_pool_survives_crashes_and_exceptions():
    outcomes = {i: o for i, o, _ in sandbox.Pool(_crash_on, workers=2, timeout=5).run(
        [("a",), ("crash",), ("b",), ("boom",), ("bad",), ("c",)])}
    assert outcomes[0] == ("ok", "A") and outcomes[2] == ("ok", "B") and outcomes[5] == ("ok", "C")
    assert outcomes[1][0] == "internal" and "died" in outcomes[1][1]
    assert outcomes[3] == ("internal", "ZeroDivisionError: boom")
    assert outcomes[4] == ("error", "DeriveError", "bad input")


def test_read_answers_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("student,formula\n1,x1\n")
    with pytest.raises(DeriveError, match="missing column"):
        read_answers(bad)
    with pytest.raises(DeriveError, match="cannot read"):
        read_answers(tmp_path / "none.csv")
    ok = tmp_path / "ok.csv"
    ok.write_text("\ufeffID,Param,Answer,extra\n7,w11, delta_z1*x1 ,x\n")
    assert read_answers(ok) == [{"id": "7", "param": "w11", "answer": "delta_z1*x1"}]


def test_cli(tmp_path):
    out = tmp_path / "report.csv"
    run = subprocess.run([sys.executable, "-m", "derive", "grade", "seed002", str(DATA / "class_seed002.csv"),
                          "--out", str(out), "--no-progress"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "graded 20 answers" in run.stdout and "Traceback" not in run.stderr
    rows = list(csv.DictReader(out.open()))
    assert [(r["id"], r["status"]) for r in rows] == [(k, v[0]) for k, v in EXPECTED.items()]
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["summary"]["correct"] == 5 and len(data["rows"]) == 20
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    run = subprocess.run([sys.executable, "-m", "derive", "grade", str(bad)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stderr.startswith("derive: error:") and run.stderr.count("\n") == 1


def _allocate(n):
    return len(bytearray(n))


def test_memory_cap_in_the_sandbox():
    assert sandbox.call(_allocate, 10**6) == 10**6
    with pytest.raises(DeriveError, match="out of memory"):
        sandbox.call(_allocate, 8 * 10**9)
