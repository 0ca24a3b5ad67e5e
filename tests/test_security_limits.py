"""Sensible defaults: 2 GB per child on the command line and 1 GB per request on the web page (both
configurable), header and body read deadlines against a slowloris client, messages that never quote a
file's contents and say which work stopped, and no NumPy warning on the terminal."""
from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import anyio
import numpy as np
import pytest

from derive import sandbox
from derive.cli import main
from derive.errors import DeriveError
from serving import ROOT, Served

SECRET = "s3cr3t-hash-Zq9"


def derive(argv, cwd) -> tuple[int, str]:
    err, here = io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    finally:
        os.chdir(here)
    return code, err.getvalue()


# -- memory ------------------------------------------------------------------------------------------

def _allocate(n: int) -> int:
    return len(bytearray(n))


def test_cli_default_is_2_gb_and_configurable(tmp_path):
    from derive.cli import build_parser
    assert build_parser("verify").parse_args(["verify"]).max_memory == 2048
    env = dict(os.environ, PYTHONPATH=str(ROOT), DERIVE_MAX_MEMORY="512")
    out = subprocess.run([sys.executable, "-m", "derive", "verify", "--help"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert "default 512 MB" in out.stdout
    # the cap holds: 3 GB is refused in a child capped at the default, 100 MB is fine
    with pytest.raises(DeriveError, match="out of memory"):
        sandbox.call(_allocate, 3 << 30, memory=2048 << 20)
    assert sandbox.call(_allocate, 100 << 20, memory=2048 << 20) == 100 << 20


def test_web_default_is_1_gb_per_request_and_configurable(monkeypatch):
    from derive.serve.http import Server, Settings
    assert Settings().memory_mb == 1024
    monkeypatch.setenv("DERIVE_SERVE_MAX_MEMORY", "64")
    srv = Server(Settings())
    assert srv.settings.memory_mb == 64
    with pytest.raises(DeriveError, match=r"out of memory \(the limit is 64 MB\)"):
        anyio.run(lambda: srv.run(_allocate, 200 << 20, timeout=30))
    assert anyio.run(lambda: srv.run(_allocate, 1 << 20, timeout=30)) == 1 << 20


# -- which work stopped -------------------------------------------------------------------------------

def test_the_web_says_which_work_stopped():
    testclient = pytest.importorskip("starlette.testclient")
    from derive.serve.app import create_app
    from derive.serve.http import Settings
    app = create_app(Settings(timeout=0.05, work_timeout=0.05))
    with testclient.TestClient(app, base_url="http://127.0.0.1") as c:
        said = {}
        for path, body in [("/api/verify", {"spec": "digits"}), ("/api/notes", {"spec": "digits"}),
                           ("/api/check", {"spec": "digits", "derivation": "$$a = b$$"})]:
            r = c.post(path, json=body)
            assert r.status_code == 422, r.text
            said[path] = r.json()["error"]
    assert said["/api/verify"].startswith("verify stopped after 0.05 s")
    assert said["/api/notes"].startswith("notes stopped after 0.05 s")
    assert said["/api/check"].startswith("derivation check stopped after 0.05 s")


# -- slow clients -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    os.environ["DERIVE_SERVE_HEADER_TIMEOUT"], os.environ["DERIVE_SERVE_BODY_TIMEOUT"] = "1", "2"
    try:
        s = Served(tmp_path_factory.mktemp("slowloris"))
    finally:
        del os.environ["DERIVE_SERVE_HEADER_TIMEOUT"], os.environ["DERIVE_SERVE_BODY_TIMEOUT"]
    yield s
    assert "Traceback" not in s.stop()


def test_slowloris_connections_are_cut_off(served):
    host, port = served.url.split("//")[1].rsplit(":", 1)
    port = int(port)
    half = []                                      # headers a byte at a time, never finished
    for _ in range(100):
        s = socket.create_connection((host, port))
        s.sendall(b"POST /api/mathml HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        half.append(s)
    silent = [socket.create_connection((host, port)) for _ in range(10)]     # connected, nothing sent
    slow_body = []                                 # headers done, the body a byte at a time
    for _ in range(10):
        s = socket.create_connection((host, port))
        s.sendall(b"POST /api/mathml HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 5000\r\n\r\n{")
        slow_body.append(s)
    everyone = half + silent + slow_body
    for s in everyone:
        s.setblocking(False)
    closed, answers, start = {}, {}, time.monotonic()
    served_meanwhile = None
    while len(closed) < len(everyone) and time.monotonic() - start < 20:
        for s in everyone:
            if s in closed:
                continue
            try:
                s.send(b"X" if s in half else b" " if s in slow_body else b"")
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                closed[s] = time.monotonic() - start
                continue
            answers[s] = answers.get(s, b"") + data
            if not data:
                closed[s] = time.monotonic() - start
        if served_meanwhile is None:               # an honest client is answered during the attack
            status, body, _ = served.post("/api/mathml", {"latex": ["x"]}, timeout=10)
            served_meanwhile = status
        time.sleep(0.1)
    for s in everyone:
        s.close()
    assert len(closed) == len(everyone), f"{len(everyone) - len(closed)} slow connections still held after 20 s"
    assert max(closed.values()) < 10
    assert all(answers.get(s, b"").startswith(b"HTTP/1.1 408") for s in half + silent)
    assert served_meanwhile == 200


def test_a_normal_client_is_not_cut_off(served):
    """A request that takes longer to answer than the read deadlines is still answered (the deadlines
    are for reading the request only), and keep-alive works."""
    status, body, _ = served.post("/api/verify", {"spec": "seed002"}, timeout=120)
    assert status == 200 and body["all_proven"]


# -- messages -----------------------------------------------------------------------------------------

def test_messages_never_quote_a_files_contents(tmp_path):
    shadow = tmp_path / "shadow"
    shadow.write_text(f"zqxroot:$6${SECRET}:19000:0:99999:7:::\nzqxdaemon:*:19000:0:99999:7:::\n")
    env_file = tmp_path / "env"
    env_file.write_text(f"API_KEY_{SECRET.replace('-', '_')}: 1\n")
    for f in (shadow, env_file):
        for argv in (["verify", str(f)], ["notes", str(f), "--format", "md", "--out", "out"],
                     ["export", str(f), "-o", "m.py"], ["train", "xor", "--data", str(f), "--steps", "1"]):
            code, err = derive(argv + ["--timeout", "60"], tmp_path)
            assert code == 2 and err.count("\n") == 1, err
            assert SECRET not in err and "zqx" not in err, err
            assert SECRET.replace("-", "_") not in err, err
    # a spec with a typo is still told which field (a name someone typed)
    (tmp_path / "typo.yaml").write_text("lyers: 3\n")
    code, err = derive(["verify", "typo.yaml"], tmp_path)
    assert code == 2 and err.startswith("derive: error: lyers: unknown field"), err


# -- NumPy warnings -----------------------------------------------------------------------------------

def _overflow():
    x = np.array([1e308]) * 10            # overflow encountered in multiply
    y = np.log(np.array([0.0]))           # divide by zero encountered in log
    z = np.array([0.0]) / np.array([0.0])  # invalid value encountered in divide
    return float(x[0]), float(y[0]), bool(np.isnan(z[0]))


def test_numpy_warnings_never_reach_the_terminal(capfd):
    with np.errstate(all="warn"):
        assert sandbox.call(_overflow) == (float("inf"), float("-inf"), True)
    err = capfd.readouterr().err
    assert "RuntimeWarning" not in err and "encountered" not in err, err
