"""The lecturer page names a file's columns as ``derive grade`` does (--id-column, --param-column,
--answer-column COL[=PARAM]): a Moodle Responses report graded over HTTP gives the command line's rows and
verdicts, each verdict the oracle's (seed 002's gradients by finite differences, ``test_grade_exports``);
a column that is not there is one line; and the page's fields do it in Chromium."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from serving import Served, chromium, shot
from test_grade_exports import FORMULAS, Q, TRUE, same

from derive.checking.distinct import unanswered

DATA = Path(__file__).parent / "data"
MOODLE = DATA / "moodle_responses_seed002.csv"
KEEP = ("id", "param", "answer", "status", "kinds")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with pytest.MonkeyPatch.context() as m:
        folder = tmp_path_factory.mktemp("grade-page")
        m.setenv("XDG_CACHE_HOME", str(folder / "cache"))
        s = Served(folder)
    yield s
    assert "Traceback" not in s.stop()


def oracle(row):
    a = " ".join(row["answer"].split())
    if unanswered(a):
        return "unanswered"
    return "correct" if same(FORMULAS[a](Q), TRUE[row["param"]]) else "incorrect"


def test_named_columns_over_http_give_the_command_lines_report(server):
    text = MOODLE.read_bytes().decode("utf-8-sig")           # as the page sends it: CRLF kept
    status, page, _ = server.post("/api/grade", {"spec": "seed002", "csv": text,
                                                 "answer_column": "Response 1=w11\nResponse 2 = w31\n"}, timeout=300)
    assert status == 200, page
    r = subprocess.run([sys.executable, "-m", "derive", "grade", "seed002", str(MOODLE), "--answer-column",
                        "Response 1=w11", "--answer-column", "Response 2=w31", "--json", "--no-store", "--no-progress",
                        "--workers", "1"], capture_output=True, text=True, timeout=600)
    cli = json.loads(r.stdout)
    assert [{k: x[k] for k in KEEP} for x in page["rows"]] == [{k: x[k] for k in KEEP} for x in cli["rows"]]
    assert [x["status"] for x in page["rows"]] == [oracle(x) for x in page["rows"]]
    assert len(page["rows"]) == 8 and page["summary"]["unanswered"] == 1 and page["summary"]["correct"] == 4


@pytest.mark.parametrize("fields, message", [
    ({}, "missing column(s) id, param, answer"),
    ({"answer_column": "Response 1"}, "no parameter column for answer column(s) 'Response 1'"),
    ({"answer_column": "Response 1=w11", "id_column": "Matrikel"}, "--id-column Matrikel: "),
])
def test_a_column_that_is_not_there_is_one_line(server, fields, message):
    text = MOODLE.read_bytes().decode("utf-8-sig")           # as the page sends it: CRLF kept
    status, body, _ = server.post("/api/grade", {"spec": "seed002", "csv": text, **fields}, timeout=120)
    assert 400 <= status < 500 and message in body["error"] and "\n" not in body["error"], body


def test_the_page_names_the_columns(server, tmp_path):
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.size_name = "laptop"
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/lecturer")
        page.wait_for_selector("#spec-name:has-text('trainable parameters')")
        page.set_input_files("#csv-file", str(MOODLE))
        page.click("#grade")                                   # no columns named: the file's headers say too little
        page.wait_for_selector("#csv-error:not(:empty)")
        assert "missing column" in page.inner_text("#csv-error")
        page.click("#columns summary")
        page.fill("#answer-column", "Response 1=w11\nResponse 2=w31")
        page.click("#grade")
        page.wait_for_selector("#summary-table")
        assert "8 answers graded" in page.inner_text("#summary-line")
        assert page.inner_text("#summary-table td.status.unanswered") == "unanswered"
        statuses = page.locator("#rows td.status").all_inner_texts()
        assert statuses.count("unanswered") == 1 and statuses.count("correct") == 4
        shot(page, "lecturer-columns", tmp_path)
        context.close()
    assert not errors, errors
