"""The JSON API of ``derive serve`` against a real server: the same objects as the CLI's --json, bad input
as 4xx with one line, hostile answers harmless, 40 checks at once, size limits, nothing left on disk."""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from serving import ROOT, Served, wait_for
from test_check_hostile import HOSTILE, MARKER

DATA = Path(__file__).parent / "data"
WRONG = "delta_y1*w31*z1*(1-z1)*x1"          # seed 002's dE/dw11 without the path through y2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    s = Served(folder)
    yield s
    err = s.stop()
    assert "Traceback" not in err, err
    assert not any(s.cwd.iterdir()), "the server wrote into its working folder"
    assert not any(s.tmp.iterdir()), "the server left files in its temporary folder"


def cli_json(*args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "derive", *args, "--json"], capture_output=True, text=True,
                         timeout=120, env=env)
    return json.loads(out.stdout)


def test_verify_is_the_cli_object(server):
    status, body, _ = server.post("/api/verify", {"spec": "seed002"})
    assert status == 200
    assert body == cli_json("verify", "seed002")
    assert body["all_proven"] and len(body["params"]) == 8


def test_verify_spec_text(server):
    text = (ROOT / "derive/examples/seed001.yaml").read_text()
    status, body, _ = server.post("/api/verify", {"spec": text})
    assert status == 200 and body["all_proven"]
    assert {r["name"] for r in body["params"]} == {"W1", "W2", "W3"}


def test_check_is_the_cli_object(server):
    status, body, _ = server.post("/api/check", {"spec": "seed002", "param": "w11", "answer": WRONG})
    assert status == 200
    assert body == cli_json("check", "seed002", "--param", "w11", "--answer", WRONG)
    assert body["correct"] is False
    assert [m["kind"] for m in body["diagnosis"]] == ["missing_path"] and body["diagnosis"][0]["nodes"] == ["y2"]
    # the counterexample is checked against an independent evaluation: seed 002's numbers
    cex = body["counterexample"]["point"]
    assert cex["x1"] == 0.05 and cex["w31"] == 0.4


def test_check_right_answer(server):
    answer = r"(\delta_{y_{1}}\cdot w_{31}+\delta_{y_{2}}\cdot w_{41})\cdot z_{1}(1-z_{1})\cdot x_{1}"
    status, body, _ = server.post("/api/check", {"spec": "seed002", "param": "w11", "answer": answer})
    assert status == 200 and body["correct"] is True and body["method"] == "exact"


def test_check_derivation_marks_each_step(server):
    text = (DATA / "seed002_wrong.md").read_text()
    status, body, _ = server.post("/api/check", {"spec": "seed002", "derivation": text})
    assert status == 200
    assert [(s["line"], s["status"]) for s in body["steps"]] == [
        (5, "correct"), (9, "correct"), (11, "correct"), (19, "wrong"), (23, "wrong")]
    assert body["first_wrong"] == 3 and body["steps"][3]["diagnosis"][0]["nodes"] == ["y2"]
    status, body, _ = server.post("/api/check", {"spec": "seed002", "derivation": "no maths here"})
    assert status == 422 and body["error"] == "no equation could be checked"


def test_parse_preview(server):
    status, body, _ = server.post("/api/parse", {"spec": "seed002", "answer": r"\delta_{z_1} x_1"})
    assert status == 200 and body["latex"] == r"\delta_{z_{1}} x_{1}"
    assert body["mathml"].startswith("<math") and "&#x003B4;" in body["mathml"]
    status, body, _ = server.post("/api/parse", {"spec": "seed002", "answer": "w13*x1"})
    assert status == 422 and "unknown symbol w13" in body["error"]


def test_notes_and_spec_info(server):
    status, body, _ = server.post("/api/notes", {"spec": "seed002", "lang": "ko", "notation": "ng"})
    assert status == 200 and body["notation"] == "ng" and body["lang"] == "ko"
    assert "<svg" in body["text"] and "<math" in body["text"] and 'lang="ko"' in body["text"]
    status, body, _ = server.post("/api/spec", {"spec": "seed002"})
    assert status == 200 and body["params"][0] == "w11" and body["symbols"]["delta_z1"] == r"\delta_{z_{1}}"
    status, body, _ = server.post("/api/notes", {"spec": "seed002", "lang": "fr"})
    assert status == 422 and body["error"].startswith("unknown language 'fr'")


def test_mathml(server):
    status, body, _ = server.post("/api/mathml", {"latex": [r"\frac{a}{b}", r"\frac{"]})
    assert status == 200 and body["mathml"][0].startswith("<math") and body["mathml"][1] is None
    assert server.post("/api/mathml", {"latex": "x"})[0] == 400
    assert server.post("/api/mathml", {"latex": ["x"] * 65})[0] == 413


def test_grade_sync_and_job(server):
    csv = (DATA / "class_seed002.csv").read_text()
    status, body, _ = server.post("/api/grade", {"spec": "seed002", "csv": csv})
    assert status == 200 and body["summary"]["answers"] == 20
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cli = json.loads(subprocess.run([sys.executable, "-m", "derive", "grade", "seed002", str(DATA / "class_seed002.csv"),
                                     "--json"], capture_output=True, text=True, timeout=120, env=env).stdout)
    assert [(r["id"], r["status"], r["diagnosis"]) for r in body["rows"]] == \
        [(r["id"], r["status"], r["diagnosis"]) for r in cli["rows"]]
    status, job, _ = server.post("/api/grade/jobs", {"spec": "seed002", "csv": csv})
    assert status == 202
    done = wait_for(lambda: (lambda r: r if r["status"] != "running" else None)(
        server.get(f"/api/grade/jobs/{job['id']}")[1]), 60)
    assert done["status"] == "done" and done["done"] == done["total"] == 20
    assert done["summary"]["correct"] == body["summary"]["correct"]
    status, report, headers = server.get(f"/api/grade/jobs/{job['id']}/report.csv")
    assert status == 200 and report.startswith("id,param,answer,status") and report.count("\n") == 21
    assert "attachment" in headers["content-disposition"]
    assert server.get("/api/grade/jobs/nope")[0] == 404
    status, body, _ = server.post("/api/grade", {"spec": "seed002", "csv": "name,score\na,1\n"})
    assert status == 422 and "missing column(s) id, param, answer" in body["error"]


@pytest.mark.parametrize("spec, message", [
    ("layers: [", "not valid YAML"),
    ("inputs: 2\nlayers:\n  - units: 2\n    activation: swish\n", "layers[0].activation"),
    ("a: &x [1]\nb: *x\n", "anchors"),
    ("/etc/passwd", "must be a mapping"),          # text, never a path
    ("seed999", "must be a mapping"),
    ("{" * 5000, "JSON"),
])
def test_bad_specs_are_one_line_422(server, spec, message):
    for path, extra in (("/api/verify", {}), ("/api/check", {"param": "w11", "answer": "x1"}), ("/api/notes", {})):
        status, body, _ = server.post(path, {"spec": spec, **extra})
        assert status == 422, (path, body)
        assert message in body["error"] and "\n" not in body["error"] and "Traceback" not in body["error"]


@pytest.mark.parametrize("request_, status", [
    (dict(raw=b"{not json"), 400),
    (dict(raw=b"[1, 2]"), 400),
    (dict(obj={"param": "w11", "answer": "x1"}), 400),                    # no spec
    (dict(obj={"spec": 7, "param": "w11", "answer": "x1"}), 400),
    (dict(obj={"spec": "seed002", "param": "w11"}), 400),                 # neither answer nor derivation
    (dict(obj={"spec": "seed002", "param": "w99", "answer": "x1"}), 422),
    (dict(obj={"spec": "seed002", "param": "w11", "answer": "x1"}, ctype="text/plain"), 415),
    (dict(raw=b"[" * 100_000), 400),
])
def test_bad_requests(server, request_, status):
    code, body, _ = server.post("/api/check", **request_)
    assert code == status and isinstance(body, dict) and body["error"]


def test_size_limits(server):
    code, body, _ = server.post("/api/check", raw=b'{"spec": "' + b"x" * 2_100_000 + b'"}')
    assert code == 413 and "larger than 2000000 bytes" in body["error"]
    code, body, _ = server.post("/api/check", {"spec": "seed002", "param": "w11", "answer": "x1" * 60_000})
    assert code == 413 and "'answer' is longer than" in body["error"]
    import socket                  # a declared length far over the limit is refused before the body is read
    with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=30) as sock:
        sock.sendall(b"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 999999999\r\n\r\n{")
        reply = b""
        for _ in range(20):                           # headers and body may come in separate packets
            part = sock.recv(4096)
            reply += part
            if not part or b"}" in part:
                break
        reply = reply.decode()
    assert reply.startswith("HTTP/1.1 413") and "larger than 2000000 bytes" in reply


def test_routes_and_headers(server):
    code, body, headers = server.get("/api/nothing")
    assert code == 404 and body == {"error": "Not Found"}
    assert server.get("/api/verify")[0] == 405
    code, page, headers = server.get("/")
    assert code == 200 and 'for="answer">Answer<' in page and "http" not in page.replace(server.url, "")
    assert "default-src 'self'" in headers["content-security-policy"]
    code, body, _ = server.get("/api/examples")
    assert "seed002" in body["examples"]


@pytest.fixture(scope="module")
def hostile_api(server):
    MARKER.unlink(missing_ok=True)
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda item: server.post(
            "/api/check", {"spec": "seed002", "param": "w11", "answer": item[0]}), HOSTILE))


@pytest.mark.parametrize("case", range(len(HOSTILE)))
def test_hostile_answers_through_the_api(hostile_api, case):
    cli_code = HOSTILE[case][1]
    status, body, _ = hostile_api[case]
    if cli_code == 2:                         # the CLI refuses it: the API says why, in one line
        assert status in (413, 422) and "\n" not in body["error"] and "Traceback" not in body["error"]
    else:                                     # a well-formed wrong formula: a verdict
        assert status == 200 and body["correct"] is False
    assert not MARKER.exists()


def test_time_limit(server):
    rest = "w12+w21+w22+w31+w32+w41+w42+x2"
    answer = f"delta_z1*x1 + (x1*(1+w11)+{rest})^64 - (x1+x1*w11+{rest})^64"
    status, body, _ = server.post("/api/check", {"spec": "seed002", "param": "w11", "answer": answer})
    assert status == 422 and "time limit" in body["error"]


def test_forty_checks_at_once(server):
    answers = [("w11", "delta_z1*x1", True), ("w11", WRONG, False), ("w31", "delta_y1*z1", True),
               ("w42", "delta_y2*z1", False)] * 10
    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(lambda a: server.post(
            "/api/check", {"spec": "seed002", "param": a[0], "answer": a[1]}, timeout=120), answers))
    assert [r[0] for r in results] == [200] * 40
    assert [r[1]["correct"] for r in results] == [a[2] for a in answers]


def test_warns_off_loopback():
    from derive.serve.http import is_loopback
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1") and not is_loopback("example.org")


def test_verify_and_notes_run_under_the_time_limit(tmp_path):
    """A 16-wide, 30-layer spec keeps verify busy far past 2 s: its sandbox is killed at the limit."""
    import time
    deep = json.dumps({"inputs": 16, "layers": [{"units": 16, "activation": "tanh"}] * 30, "loss": "half_sse"})
    s = Served(tmp_path, "--work-timeout", "2")
    try:
        for path in ("/api/verify", "/api/notes"):
            start = time.monotonic()
            status, body, _ = s.post(path, {"spec": deep})
            assert status == 422 and "time limit" in body["error"], body
            assert body["error"].startswith(path.rsplit("/", 1)[1] + " stopped after 2 s"), body   # not "check"
            assert time.monotonic() - start < 30
        assert s.post("/api/check", {"spec": "seed002", "param": "w11", "answer": "delta_z1*x1"})[1]["correct"]
    finally:
        assert "Traceback" not in s.stop()
