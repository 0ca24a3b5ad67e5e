"""Class files as LMS, form tools and spreadsheets export them (Moodle, Canvas, Google Forms, Excel in a
European locale, Korean and Japanese sheets), read and graded; every verdict compared with an oracle:
seed 002's gradients by central finite differences of its loss, in plain Python, and each answer's value
at seed 002's numbers computed from its own formula (written here again in Python)."""
import math
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from derive import api
from derive.checking.answercols import Columns
from derive.checking.grade import grade, read_answers, read_answers_text
from derive.errors import DeriveError

DATA = Path(__file__).parent / "data"
NET = derive.load("seed002")
PARAMS = ["w11", "w12", "w21", "w22", "w31", "w32", "w41", "w42"]
SEED = dict(x1=0.05, x2=0.10, w11=0.15, w12=0.20, w21=0.25, w22=0.30, w31=0.40, w32=0.45, w41=0.50, w42=0.55,
            yt1=0.01, yt2=0.99)


def sig(t):
    return 1 / (1 + math.exp(-t))


def forward(v):
    """seed 002: z = sigmoid(W1 x), y = sigmoid(W2 z), E = (1/2) sum (y - yt)^2; the deltas as its notes name them."""
    q = dict(v)
    q["z1"], q["z2"] = sig(v["w11"] * v["x1"] + v["w12"] * v["x2"]), sig(v["w21"] * v["x1"] + v["w22"] * v["x2"])
    q["y1"], q["y2"] = sig(v["w31"] * q["z1"] + v["w32"] * q["z2"]), sig(v["w41"] * q["z1"] + v["w42"] * q["z2"])
    q["E"] = ((q["y1"] - v["yt1"]) ** 2 + (q["y2"] - v["yt2"]) ** 2) / 2
    q["dy1"] = (q["y1"] - v["yt1"]) * q["y1"] * (1 - q["y1"])
    q["dy2"] = (q["y2"] - v["yt2"]) * q["y2"] * (1 - q["y2"])
    q["dz1"] = (q["dy1"] * v["w31"] + q["dy2"] * v["w41"]) * q["z1"] * (1 - q["z1"])
    q["dz2"] = (q["dy1"] * v["w32"] + q["dy2"] * v["w42"]) * q["z2"] * (1 - q["z2"])
    return q


def finite_difference(p, h=1e-6):
    up, down = dict(SEED, **{p: SEED[p] + h}), dict(SEED, **{p: SEED[p] - h})
    return (forward(up)["E"] - forward(down)["E"]) / (2 * h)


TRUE = {p: finite_difference(p) for p in PARAMS}
Q = forward(SEED)

# each answer of the files (blanks collapsed), as a Python formula of seed 002's values
FORMULAS = {
    r"\left(\delta_{y_1} w_{31}+\delta_{y_2} w_{41}\right) z_1\,(1-z_1)\, x_1":
        lambda q: (q["dy1"] * q["w31"] + q["dy2"] * q["w41"]) * q["z1"] * (1 - q["z1"]) * q["x1"],
    r"$\delta_{y_1} z_1$": lambda q: q["dy1"] * q["z1"],
    r"\delta_{y_1} w_{31}\, z_1(1-z_1)\, x_1": lambda q: q["dy1"] * q["w31"] * q["z1"] * (1 - q["z1"]) * q["x1"],
    r"(y_1 - y_{t1})\, y_1\,(1 - y_1)\, z_1": lambda q: q["dy1"] * q["z1"],
    r"\delta_{z_1} \cdot x_1": lambda q: q["dz1"] * q["x1"],
    r"(y_1 - y_{t1}) z_1": lambda q: (q["y1"] - q["yt1"]) * q["z1"],
    r"-(y_1-y_{t1})\,y_1(1-y_1)\,z_1": lambda q: -q["dy1"] * q["z1"],
    "delta_z1*x1": lambda q: q["dz1"] * q["x1"],
    "delta_y1*z1": lambda q: q["dy1"] * q["z1"],
    "(delta_y1*w31 + delta_y2*w41)*x1": lambda q: (q["dy1"] * q["w31"] + q["dy2"] * q["w41"]) * q["x1"],
    "(y1-yt1)*y1*(1-y1)*z1 + (y2-yt2)*y2*(1-y2)*z1": lambda q: (q["dy1"] + q["dy2"]) * q["z1"],
    "(delta_y1*w31 + delta_y2*w41)*z1*(1-z1)*x1": lambda q: q["dz1"] * q["x1"],
    "(y1-yt1)*y1*(1-y1)*z1": lambda q: q["dy1"] * q["z1"],
    r"\delta_{z_1} x_1": lambda q: q["dz1"] * q["x1"],
    r"\delta_{y_1} z_1": lambda q: q["dy1"] * q["z1"],
    r"\delta_{z_2} x_2": lambda q: q["dz2"] * q["x2"],
    r"\delta_{z_1} x_2": lambda q: q["dz1"] * q["x2"],
    r"\delta_{y_1} z_2": lambda q: q["dy1"] * q["z2"],
    r"(\delta_{y_1} w_{32} + \delta_{y_2} w_{42})\, z_2 (1 - z_2)\, x_2": lambda q: q["dz2"] * q["x2"],
    r"(\delta_{y_1} w_{31}+\delta_{y_2} w_{41}) z_1 (1-z_1) x_1": lambda q: q["dz1"] * q["x1"],
    r"(y_1 - y_{t1}) y_1 (1-y_1) z_1": lambda q: q["dy1"] * q["z1"],
    r"\delta_{z_2} x_1": lambda q: q["dz2"] * q["x1"],
    "delta_y1*w31*z1*(1-z1)*x1": lambda q: q["dy1"] * q["w31"] * q["z1"] * (1 - q["z1"]) * q["x1"],
    "(y1 - yt1)*y1*(1 - y1)*z1": lambda q: q["dy1"] * q["z1"],
    "(delta_y1*w31 + delta_y2*w41)*z1*x1": lambda q: (q["dy1"] * q["w31"] + q["dy2"] * q["w41"]) * q["z1"] * q["x1"],
    "(yt1 - y1)*y1*(1-y1)*z1": lambda q: -q["dy1"] * q["z1"],
    "(y1 - yt1)*z1": lambda q: (q["y1"] - q["yt1"]) * q["z1"],
}

# file -> (columns named on the command line, the (student, parameter) of each answer as the file has them)
FILES = {
    "moodle_responses_seed002.csv": (
        Columns(answers=(("Response 1", "w11"), ("Response 2", "w31"))),
        [(s, p) for s in ("anna.kowalski@example.edu", "sean.obrien@example.edu", "mai.nguyen@example.edu",
                          "john.smith@example.edu") for p in ("w11", "w31")]),
    "canvas_student_analysis_seed002.csv": (None, [(s, p) for s in ("1045", "1046", "1047") for p in ("w11", "w31")]),
    "google_forms_seed002.csv": (None, [(s, p) for s in ("20261101", "20261102", "20261103")
                                        for p in ("w11", "w31", "w22")]),
    "excel_semicolon_cp1252_seed002.csv": (None, [("4711", "w31"), ("4712", "w31"), ("4713", "w11"), ("4714", "w11"),
                                                  ("4715", "w31")]),
    "excel_unicode_text_utf16_seed002.txt": (None, [(s, p) for s in ("21001", "21002") for p in ("w11", "w31")]),
    "korean_class_cp949_seed002.csv": (None, [("2026001", "w11"), ("2026002", "w11"), ("2026003", "w31"),
                                              ("2026004", "w31")]),
    "japanese_class_sjis_seed002.csv": (None, [(s, p) for s in ("B26001", "B26002") for p in ("w11", "w31")]),
}


def read(name):
    columns, _ = FILES[name]
    return read_answers(DATA / name, params=PARAMS, columns=columns)


def same(a, b):
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))      # finite differences: ~1e-10 off


def rounded_right(text, true):
    """A number is right when it is the true value rounded to the digits it gives."""
    digits = len(text.split(".")[1])
    return abs(float(text) - true) <= 0.5 * 10 ** -digits


@pytest.mark.parametrize("name", FILES)
def test_each_export_is_read_student_by_student(name):
    assert [(r["id"], r["param"]) for r in read(name)] == FILES[name][1]


def test_the_oracle_is_sound():
    back = {"w11": Q["dz1"] * Q["x1"], "w31": Q["dy1"] * Q["z1"], "w22": Q["dz2"] * Q["x2"]}
    assert all(abs(back[p] - TRUE[p]) < 1e-9 for p in back)          # backprop = finite differences
    for f in FORMULAS.values():          # every formula is clearly right or clearly wrong at these numbers
        v = f(Q)
        assert any(same(v, t) for t in TRUE.values()) or all(abs(v - t) > 1e-3 * abs(t) for t in TRUE.values())


@pytest.fixture(scope="module")
def graded():
    rows = [r for name in FILES for r in read(name)]
    report = grade(NET, rows, workers=2, progress=False)
    return list(zip(rows, report.rows))


def test_every_verdict_agrees_with_the_oracle(graded):
    seen = 0
    for row, g in graded:
        text, true = " ".join(row["answer"].split()), TRUE[row["param"]]
        assert g.answer == row.get("typed", row["answer"])          # shown as typed (0,0722)
        if text == "-":                                 # Moodle's unanswered question
            assert g.status == "unanswered", row
        elif text.replace(".", "", 1).isdigit():        # a number (0,0722 in the semicolon file)
            assert g.status == "incorrect", row
            assert ("right number" in " ".join(g.diagnosis)) == rounded_right(text, true), (row, g.diagnosis)
        else:
            want = "correct" if same(FORMULAS[text](Q), true) else "incorrect"
            assert g.status == want, (row, g.status, g.diagnosis, g.error)
        seen += 1
    assert seen == sum(len(v[1]) for v in FILES.values()) == 40
    assert sum(g.status == "correct" for _, g in graded) == 22          # right work is called right


def test_decimal_commas_only_where_unambiguous():
    rows = read("excel_semicolon_cp1252_seed002.csv")
    assert [r["answer"] for r in rows[:2]] == ["0.0722", "0.0632"]
    assert read_answers_text('id;param;answer\n1;w31;0,0722\n2;w31;0.5\n')[0]["answer"] == "0,0722"   # mixed
    assert read_answers_text('id,param,answer\n1,w31,"0,0722"\n')[0]["answer"] == "0,0722"       # comma file
    assert read_answers_text('id;param;answer\n1;w31;1,2,3\n')[0]["answer"] == "1,2,3"


def test_excel_sep_line_names_the_delimiter():
    rows = read_answers_text("sep=;\r\nid;param;answer\r\n1;w11;delta_z1*x1\r\n2;w31;0,0722\r\n")
    assert rows == [{"id": "1", "param": "w11", "answer": "delta_z1*x1"}, {"id": "2", "param": "w31", "answer": "0.0722",
                                                                       "typed": "0,0722"}]
    with pytest.raises(DeriveError, match="line 4 has 4 fields, the header 3"):
        read_answers_text("sep=,\nid,param,answer\n1,w11,x1\n2,w11,x1,x2\n")


def test_encodings_and_delimiters(tmp_path):
    text = "학번\t답안\n1\tdelta_z1*x1\n"
    for enc, bom in (("utf-16-le", b""), ("utf-16-be", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp949", b"")):
        f = tmp_path / f"{enc}.tsv"
        f.write_bytes(bom + text.encode(enc))
        assert read_answers(f, columns=Columns(answers=(("답안", "w11"),))) == \
            [{"id": "1", "param": "w11", "answer": "delta_z1*x1"}], enc
    f = tmp_path / "bin.csv"
    f.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(DeriveError, match=r"^\S+ is not text in UTF-8, UTF-16, .*--encoding$"):
        read_answers(f)
    f.write_bytes(b"id,param,answer\n1,w11,x\x001\n")
    with pytest.raises(DeriveError, match="NUL"):
        read_answers(f)


def test_headers_naming_two_parameters_are_not_guessed():
    text = "id,Give dE/dw11,Compare w31 and w41\n1,delta_z1*x1,x1\n"
    assert read_answers_text(text, params=PARAMS) == [{"id": "1", "param": "w11", "answer": "delta_z1*x1"}]
    with pytest.raises(DeriveError, match="missing column"):
        read_answers_text("id,Compare w31 and w41\n1,x1\n", params=PARAMS)


@pytest.mark.parametrize("header, param", [
    ("dE/dw11", "w11"), ("∂E/∂w_{11}", "w11"), ("What is ∂E/∂w₃₁?", "w31"), ("Q2 (w22)", "w22"),
    ("dE/dW31, in terms of w31's inputs", "w31"), ("\\frac{\\partial E}{\\partial w_{12}}", "w12"),
    ("Give dE/dW42", "w42")])
def test_a_header_names_its_parameter(header, param):
    assert read_answers_text(f'id,"{header}"\n1,x1\n', params=PARAMS)[0]["param"] == param


def test_old_files_read_as_before():
    assert read_answers(DATA / "class_seed002.csv", params=PARAMS) == read_answers(DATA / "class_seed002.csv")
    assert len(read_answers(DATA / "class_seed002.csv")) == 20


def run(*args):
    return subprocess.run([sys.executable, "-m", "derive", "grade", "seed002", *args, "--no-store", "--no-progress"],
                          capture_output=True, text=True, timeout=600)


def test_cli_names_the_columns_of_a_moodle_export():
    r = run(str(DATA / "moodle_responses_seed002.csv"), "--answer-column", "Response 1=w11",
            "--answer-column", "Response 2=w31", "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert "by parameter: w11 2/4, w31 2/4" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["moodle_responses_seed002.csv"], "missing column(s) id, param, answer"),
    (["moodle_responses_seed002.csv", "--answer-column", "Response 1"], "no parameter column for answer column(s)"),
    (["moodle_responses_seed002.csv", "--id-column", "Matrikel", "--answer-column", "Response 1=w11"],
     "--id-column Matrikel: "),
    (["korean_class_cp949_seed002.csv", "--encoding", "klingon"], "not an encoding"),
    (["korean_class_cp949_seed002.csv", "--encoding", "utf-8"], "is not utf-8 text"),
])
def test_cli_refuses_in_one_line(args, message):
    r = run(str(DATA / args[0]), *args[1:])
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_api_reads_a_wide_file_for_a_network():
    assert api.read_answers(DATA / "google_forms_seed002.csv", NET) == read("google_forms_seed002.csv")
