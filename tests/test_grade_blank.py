"""A cell that says no answer was given (empty, Moodle's "-", "(no answer)", a dash) is "unanswered", never
"incorrect" or "unusable"; a decimal comma is shown as typed and graded as the number it is; the lecturer
page reads a file with one column per parameter against the chosen network, as ``derive grade`` does.
Every verdict of an answered cell is compared with the oracle of ``test_grade_exports`` (seed 002's
gradients by finite differences, each answer's own formula in Python)."""
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from serving import Served
from test_grade_exports import FORMULAS, NET, PARAMS, Q, TRUE, rounded_right, same

from derive.checking.answercols import Columns
from derive.checking.distinct import unanswered
from derive.checking.grade import grade, read_answers, read_answers_text

DATA = Path(__file__).parent / "data"
WIDE = ("Student ID,What is dE/dw11?,What is dE/dw31?\n"
        "1,delta_z1*x1,-\n"
        "2,,delta_y1*z1\n"
        "3,(no answer),No answer\n"
        "4,\u2014,(y1 - yt1)*z1\n"
        "5,(delta_y1*w31 + delta_y2*w41)*x1, \u2013 \n")


def oracle(param, answer):
    return "correct" if same(FORMULAS[answer](Q), TRUE[param]) else "incorrect"


@pytest.mark.parametrize("text, blank", [("", True), ("  ", True), ("-", True), ("—", True), ("(No answer)", True),
                                         ("no  answer", True), ("-x1", False), ("0", False), ("--", False),
                                         ("delta_z1*x1", False)])
def test_what_counts_as_no_answer(text, blank):
    assert unanswered(text) is blank


def test_a_wide_file_with_blank_cells():
    rows = read_answers_text(WIDE, params=PARAMS)
    report = grade(NET, rows, workers=1, progress=False)
    for row, g in zip(rows, report.rows):
        want = "unanswered" if unanswered(row["answer"]) else oracle(row["param"], row["answer"])
        assert (g.id, g.param, g.status) == (row["id"], row["param"], want), (row, g)
        if want == "unanswered":
            assert g.error == "" and g.answer == row["answer"]
    s = report.summary()
    assert (s["answers"], s["unanswered"], s["unusable"], s["correct"], s["incorrect"]) == (10, 6, 0, 2, 2)
    assert s["distinct"] == s["graded"] == 4                         # nothing checked for a blank cell
    assert "unanswered      6" in report.summary_text()
    assert "unanswered" in report._repr_html_()
    got = list(csv.DictReader(io.StringIO(report.csv_text())))
    assert [r["status"] for r in got] == [g.status for g in report.rows]


def test_moodle_dash_is_unanswered():
    rows = read_answers(DATA / "moodle_responses_seed002.csv", params=PARAMS,
                        columns=Columns(answers=(("Response 1", "w11"), ("Response 2", "w31"))))
    report = grade(NET, rows, workers=1, progress=False)
    smith = [g for g in report.rows if g.id == "john.smith@example.edu"]
    assert [(g.param, g.answer, g.status) for g in smith][0] == ("w11", "-", "unanswered")
    assert smith[1].status == oracle("w31", " ".join(smith[1].answer.split()))
    s = report.summary()
    assert (s["unanswered"], s["unusable"], s["answers"]) == (1, 0, 8)
    assert s["by_param"]["w11"] == {"answers": 4, "correct": 2}


def test_cli_shows_a_decimal_comma_as_typed_and_counts_the_unanswered(tmp_path):
    f = tmp_path / "class.csv"
    f.write_bytes("Matrikelnummer;Parameter;Antwort\n4711;w31;0,0722\n4712;w31;0,0632\n4713;w11;-\n"
                  "4714;w11;delta_z1*x1\n".encode("cp1252"))
    out = tmp_path / "report.csv"
    r = subprocess.run([sys.executable, "-m", "derive", "grade", "seed002", str(f), "--out", str(out), "--json",
                        "--no-store", "--no-progress", "--workers", "1"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    rows = data["rows"]
    assert [x["answer"] for x in rows] == ["0,0722", "0,0632", "-", "delta_z1*x1"]
    for x in rows[:2]:                       # graded as 0.0722: right when it is dE/dw31 rounded
        assert x["status"] == "incorrect"
        right = rounded_right(x["answer"].replace(",", "."), TRUE["w31"])
        assert ("right number" in " ".join(x["diagnosis"])) == right
    assert rounded_right("0.0722", TRUE["w31"]) != rounded_right("0.0632", TRUE["w31"])   # the test can fail
    assert [x["status"] for x in rows[2:]] == ["unanswered", oracle("w11", "delta_z1*x1")]
    assert data["summary"]["unanswered"] == 1 and data["summary"]["unusable"] == 0
    assert [x["answer"] for x in csv.DictReader(out.open(encoding="utf-8"))] == ["0,0722", "0,0632", "'-", "delta_z1*x1"]
    assert json.loads(out.with_suffix(".json").read_text())["rows"][0]["answer"] == "0,0722"


def test_the_page_grades_a_wide_file_as_the_command_line_does(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    text = (DATA / "google_forms_seed002.csv").read_text(encoding="utf-8") + "2026/12/03 9:20:00 AM GMT+1,x@example.edu,,20261104,-,,\\delta_{z_2} x_2\n"
    served = Served(tmp_path / "serve")
    try:
        status, page, _ = served.post("/api/grade", {"spec": "seed002", "csv": text}, timeout=300)
    finally:
        err = served.stop()
    assert status == 200, page
    assert "Traceback" not in err
    f = tmp_path / "form.csv"
    f.write_text(text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "derive", "grade", "seed002", str(f), "--json", "--no-store",
                        "--no-progress", "--workers", "1"], capture_output=True, text=True, timeout=600)
    cli = json.loads(r.stdout)
    keep = ("id", "param", "answer", "status", "kinds")
    assert [{k: x[k] for k in keep} for x in page["rows"]] == [{k: x[k] for k in keep} for x in cli["rows"]]
    assert len(page["rows"]) == 12 and page["summary"]["unanswered"] == 2
    for x in page["rows"]:
        a = " ".join(x["answer"].split())
        assert x["status"] == ("unanswered" if unanswered(a) else oracle(x["param"], a)), x
