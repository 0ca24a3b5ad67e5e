"""Each distinct answer of a class checked once: exact duplicates and answers equal after whitespace and
notation normalisation share one check, and the shared verdict is the one each answer gets alone."""
import csv
import random
from pathlib import Path

import pytest

import derive
from derive import sandbox
from derive.checking.checker import checker_for
from derive.checking.distinct import normalise_formula, normalise_lines
from derive.checking.grade import grade, read_answers
from derive.errors import DeriveError

DATA = Path(__file__).parent / "data"
NET = derive.load("seed002")


def alone(param: str, answer: str) -> tuple:
    """The oracle: one answer checked by itself, in this process, as typed (status, diagnosis kinds);
    an empty cell is no answer."""
    if not answer.strip():
        return ("unanswered", ())
    try:
        v = checker_for(NET).check(param, answer)
    except (DeriveError, RecursionError):
        return ("unusable", ())
    return ("correct" if v.correct else "incorrect", tuple(m.kind for m in v.diagnosis))


def respell(answer: str, rng: random.Random) -> str:
    """The same answer as another student types it: spaces, \\left( \\right), \\times, \\dfrac."""
    out = answer
    if rng.random() < 0.5:
        out = out.replace("*", rng.choice([" * ", "  *", "*\t"])).replace("+", " + ")
    if "\\" in out and rng.random() < 0.7:
        out = out.replace("\\cdot", rng.choice(["\\times", " \\cdot  ", "\\ast"]))
        out = out.replace("(", "\\left(").replace(")", "\\right)")
    return rng.choice(["", " ", "\n"]) + out + rng.choice(["", "  ", "\t"])


class CountingPool(sandbox.Pool):
    calls: list = []

    def run(self, tasks):
        tasks = list(tasks)
        CountingPool.calls += tasks
        return super().run(tasks)


@pytest.fixture
def counted(monkeypatch):
    CountingPool.calls = []
    monkeypatch.setattr(sandbox, "Pool", CountingPool)
    return CountingPool.calls


def test_duplicates_are_checked_once_and_every_row_keeps_its_own_verdict(counted):
    rows = read_answers(DATA / "class_seed002.csv")
    rng = random.Random(7)
    big = [{"id": f"{r['id']}-{k}", "param": r["param"],
            "answer": r["answer"] if k % 3 == 0 or not r["answer"] else respell(r["answer"], rng)}
           for k in range(25) for r in rows]
    rng.shuffle(big)
    report = grade(NET, big, workers=2, progress=False)
    distinct = {(r["param"], normalise_formula(r["answer"])) for r in big if r["answer"]}   # s10's blank: unanswered
    assert report.distinct == len(distinct) == 18             # s02 and s17's spellings are new answers
    retyped = {(r.param, r.answer) for r in report.rows if r.status == "unusable" and r.answer != normalise_formula(r.answer)}
    assert len(counted) == report.graded == len(distinct) + len(retyped)   # one sandbox call per distinct answer,
    assert len(set(counted)) == len(counted)                              # and per spelling of an unusable one
    assert [r.id for r in report.rows] == [r["id"] for r in big]  # one row per student row, in order
    for r, row in zip(report.rows, big):
        assert r.answer == row["answer"]
        assert (r.status, r.kinds) == alone(row["param"], row["answer"]), row
    assert report.summary()["distinct"] == 18 and "18 distinct answers" in report.summary_text()


def test_an_unusable_answer_quotes_the_columns_its_student_typed(counted):
    rows = [{"id": "a", "param": "w11", "answer": "x1 # x2"}, {"id": "b", "param": "w11", "answer": "x1   # x2"},
            {"id": "c", "param": "w11", "answer": "x1 # x2"}]
    report = grade(NET, rows, workers=1, progress=False)
    assert [r.status for r in report.rows] == ["unusable"] * 3
    assert "column 4" in report.rows[0].error and "column 6" in report.rows[1].error
    assert report.rows[2].error == report.rows[0].error
    assert len(counted) == 2                                 # 'b' again as typed; 'c' is 'a' exactly


def _corpus() -> list[tuple[str, str]]:
    with open(DATA / "wrong_answers.csv", newline="") as f:
        answers = [(r["param"], r["answer"]) for r in csv.DictReader(f) if r["network"] == "seed002"]
    answers += [(r["param"], r["answer"]) for r in read_answers(DATA / "class_seed002.csv")[:19]]
    rng = random.Random(3)
    answers += [(p, respell(a, rng)) for p, a in answers[::4]]
    return answers + [(p, a) for p, a in TRICKY]


# Spellings a careless normaliser would merge with a different answer (the reader sees them apart).
TRICKY = [("w11", "delta_z1*x1\\ "), ("w11", "delta_z1*x1\\"), ("w11", "delta_z1*x1\\\n"),
          ("w11", "\\delta_ {z_1} x_1"), ("w11", "\\delta_{z_1} x_1"), ("w11", "delta_z1 * * x1"),
          ("w11", "delta_z1 ** x1"), ("w11", "\\\\left(\\delta_{z_1}\\right) x_1"),
          ("w11", "\\left(delta_z1\\right)*x1"), ("w11", "\\left.\\delta_{z_1}\\right| x_1"),
          ("w31", "\\left[\\delta_{y_1}\\right] z_1"), ("w31", "\\dfrac{1}{1} \\delta_{y_1} \\times z_1"),
          ("w31", "\\frac{\\partial E}{\\partial w_{31}} = \\delta_{y_1}  \\cdot  z_1"),
          ("w11", "\\mathbb{1}[z_1 > 0]  x_1"), ("w11", "x1 \\textcolor{red}{ * } 2")]


@pytest.mark.parametrize("param,answer", _corpus())
def test_the_normalised_answer_reads_as_the_answer(param, answer):
    norm = normalise_formula(answer)
    assert normalise_formula(norm) == norm                     # idempotent
    assert alone(param, norm) == alone(param, answer)


def test_spellings_the_reader_tells_apart_stay_apart():
    apart = [("x1\\ ", "x1\\"), ("\\delta_ {z_1}", "\\delta_{z_1}"), ("a * * b", "a ** b"),
             ("\\left(a\\right) * b", "(a) * b"), ("\\\\left(a)", "\\(a)")]
    for a, b in apart:
        assert normalise_formula(a) != normalise_formula(b), (a, b)
    same = [("a  *\tb", "a * b"), ("\\left( a \\right) \\times b_{1}", "( a ) \\cdot b_{1}"),
            ("\\dfrac{a}{b}", "\\frac{a}{b}"), (" a\n", "a")]
    for a, b in same:
        assert normalise_formula(a) == normalise_formula(b), (a, b)
    assert normalise_formula("a  " * 400) == ("a  " * 400).strip()   # long: only the ends trimmed


def test_backward_lines_normalise_as_the_tensor_checker_reads_them():
    assert normalise_lines("  dW = X.T @ dh  # the weights\n\n   db = dh.sum(0)\n") == "dW = X.T @ dh\ndb = dh.sum(0)"


def test_a_row_with_extra_fields_is_refused_with_its_line(tmp_path):
    f = tmp_path / "class.csv"
    f.write_text('id,param,answer\ns1,w11,"a\nb"\ns2,w11,x1,x2\n')
    with pytest.raises(DeriveError, match=r"line 4 has 4 fields, the header 3"):
        read_answers(f)


def test_ids_are_kept_byte_for_byte(tmp_path):
    f = tmp_path / "class.csv"
    f.write_bytes('id,param,answer\n\tS01 ,w11,delta_z1*x1\n" s02",w11,x1\nü ,w11,x1\n'.encode())
    assert [r["id"] for r in read_answers(f)] == ["\tS01 ", " s02", "ü "]
    report = grade(NET, read_answers(f), workers=1, progress=False)
    assert [r["id"] for r in report.to_dict()["rows"]] == ["\tS01 ", " s02", "ü "]
