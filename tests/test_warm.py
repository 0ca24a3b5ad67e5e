"""The warm checker (``derive warm``): a ``derive check`` it runs prints exactly what the same command prints
without it (stdout, stderr, exit code), and it leaves nothing behind.

Every test starts its own server (or lets ``derive check`` start one, with ``DERIVE_WARM`` unset) with XDG_RUNTIME_DIR and XDG_CACHE_HOME in fresh folders and stops it
(and kills it, if need be) when done.  Each check runs with a fresh cache folder, so no answer is kept
from an earlier run: the warm and the cold path both check in full.  ``accepted`` (``derive warm
--status --json``) counts the server's connections, which says a check was handed to it.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED002 = ROOT / "derive" / "examples" / "seed002.yaml"
RIGHT = "delta_y1*w31*z1*(1-z1)*x1 + delta_y2*w41*z1*(1-z1)*x1"
WRONG = "delta_y1*w31*z1*(1-z1)*x1"

pytestmark = pytest.mark.skipif(not (hasattr(os, "fork") and hasattr(socket, "send_fds")
                                     and hasattr(socket, "SO_PEERCRED")), reason="needs fork, SCM_RIGHTS, SO_PEERCRED")


class Warm:
    """One test's folders and server."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="dw", dir="/tmp"))      # short: AF_UNIX paths are 108 bytes
        self.run_dir = self.base / "run"
        self.run_dir.mkdir(mode=0o700)
        self.caches = 0
        self.pid = None

    def env(self, **extra) -> dict:
        self.caches += 1
        env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_RUNTIME_DIR=str(self.run_dir),
                   XDG_CACHE_HOME=str(self.base / f"cache{self.caches}"))
        for k in ("DERIVE_DEBUG", "DERIVE_WARM"):
            env.pop(k, None)
        env["DERIVE_WARM"] = "manual"       # use the test's server, never start one (DERIVE_WARM="": the default)
        env.update(extra)
        return env

    def derive(self, *argv, cwd=None, stdin=None, **extra) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "derive", *argv], capture_output=True, text=True,
                              timeout=120, cwd=cwd or self.base, input=stdin, env=self.env(**extra))

    def start(self, *options) -> str:
        r = self.derive("warm", *options)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        self.pid = self.status()["pid"]
        return r.stdout

    def status(self) -> dict:
        said = json.loads(self.derive("warm", "--status", "--json").stdout)
        if not said["running"] and self.pid and alive(self.pid):     # another helper edited derive meanwhile
            pytest.skip("derive's source changed during the test: a new code version, whose server this is not")
        return said

    def both(self, *argv, cwd=None, stdin=None, **extra) -> tuple:
        """(warm, cold) runs of ``derive ARGV``, after checking the warm one was handed to the server."""
        before = self.status()["accepted"]
        warm = self.derive(*argv, cwd=cwd, stdin=stdin, **extra)
        assert self.status()["accepted"] == before + 2, ("the check was not handed to the warm checker (was "
                                                         "derive's source edited meanwhile? a new code version)")
        cold = self.derive(*argv, cwd=cwd, stdin=stdin, DERIVE_WARM="off", **extra)
        return warm, cold

    def close(self):
        if self.pid:
            self.derive("warm", "--stop")
            if alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (from /proc's parent links)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        found |= kids
        todo += kids
    return found


@pytest.fixture
def warm():
    w = Warm()
    yield w
    w.close()


def same(warm_run, cold_run):
    assert (warm_run.stdout, warm_run.stderr, warm_run.returncode) == (cold_run.stdout, cold_run.stderr,
                                                                         cold_run.returncode)


def test_right_wrong_unusable_and_json_answers_print_what_the_cold_path_prints(warm):
    warm.start()
    for argv, code in [(["--answer", RIGHT], 0), (["--answer", WRONG], 1), (["--answer", "delta_y1 +* x1"], 2),
                       (["--answer", WRONG, "--json"], 1), (["--param", "w99", "--answer", "x1"], 2)]:
        argv = ["check", "seed002", "--param", "w11", *argv] if argv[0] != "--param" else ["check", "seed002", *argv]
        w, c = warm.both(*argv)
        same(w, c)
        assert w.returncode == code, w.stderr
    assert "the term for the path through y2 is missing" in warm.derive("check", "seed002", "--param", "w11",
                                                                         "--answer", WRONG).stdout


def test_a_small_memory_budget_runs_cold_where_the_imports_count_against_it(warm):
    """--max-memory counts from what the process holds when the work starts: a worker holds sympy already,
    so a budget too small for the cold path's imports would pass warm; below MIN_MEMORY_MB it runs cold."""
    warm.start()
    before = warm.status()["accepted"]
    small = warm.derive("check", "seed002", "--param", "w11", "--answer", WRONG, "--max-memory", "64")
    assert small.returncode == 2 and "out of memory (the limit is 64 MB" in small.stderr
    assert warm.derive("check", "seed002", "--param", "w11", "--answer", WRONG, DERIVE_MAX_MEMORY="80").returncode == 2
    assert warm.status()["accepted"] == before + 1
    w, c = warm.both("check", "seed002", "--param", "w11", "--answer", WRONG, "--max-memory", "512")
    same(w, c)


def test_an_answer_on_standard_input_and_a_relative_spec_path_from_another_folder(warm):
    warm.start()
    w, c = warm.both("check", "seed002", "--param", "w11", "--answer-file", "-", stdin="  " + WRONG + "\n")
    same(w, c)
    assert w.returncode == 1 and "incorrect" in w.stdout
    (warm.base / "specs").mkdir()
    (warm.base / "elsewhere").mkdir()
    shutil.copyfile(SEED002, warm.base / "specs" / "net.yaml")
    w, c = warm.both("check", "../specs/net.yaml", "--param", "w11", "--answer", RIGHT, cwd=warm.base / "elsewhere")
    same(w, c)
    assert w.returncode == 0
    w, c = warm.both("check", "specs/net.yaml", "--param", "w11", "--answer", RIGHT, cwd=warm.base / "elsewhere")
    same(w, c)
    assert w.returncode == 2 and "specs/net.yaml" in w.stderr


@pytest.mark.parametrize("argv", [["check", "seed002", "--derivation", str(ROOT / "tests/data/seed002_wrong.md")],
                                  ["check", "ninja", "--backward", str(ROOT / "tests/data/backward/ninja_student.py")]],
                         ids=["derivation", "backward"])
def test_a_derivation_and_a_backward_pass_print_what_the_cold_path_prints(warm, argv):
    warm.start()
    w, c = warm.both(*argv)
    same(w, c)
    assert w.returncode in (0, 1) and w.stdout


def test_the_clients_stream_encoding_is_the_workers(warm):
    """Output is encoded as the client's streams are: where they have no δ (ascii, strict), escaped as
    standard error escapes it, warm and cold alike, never a traceback."""
    warm.start()
    argv = ("check", "seed002", "--param", "w11", "--answer", WRONG)
    w, c = warm.both(*argv, PYTHONIOENCODING="ascii:backslashreplace")
    same(w, c)
    assert "\\u03b4" in w.stdout                          # δ, escaped as the client's stdout does
    w, c = warm.both(*argv, PYTHONIOENCODING="ascii")
    same(w, c)
    assert "\\u03b4" in w.stdout and w.returncode == 1 and "Traceback" not in w.stderr


def test_a_spec_edited_between_two_checks_is_read_again(warm):
    warm.start()
    spec = warm.base / "net.yaml"
    shutil.copyfile(SEED002, spec)
    first, _ = warm.both("check", "net.yaml", "--param", "w11", "--answer", RIGHT, "--json")
    text = SEED002.read_text()
    assert "sigmoid" in text
    spec.write_text(text.replace("sigmoid", "tanh"))
    w, c = warm.both("check", "net.yaml", "--param", "w11", "--answer", RIGHT, "--json")
    same(w, c)
    assert json.loads(first.stdout)["correct"] and not json.loads(w.stdout)["correct"]


def test_several_clients_at_once_each_get_their_own_output(warm):
    warm.start()
    answers = [f"{k}*({WRONG})" for k in (2, 3, 5, 7)] + [RIGHT]
    cold = {a: warm.derive("check", "seed002", "--param", "w11", "--answer", a, DERIVE_WARM="off") for a in answers}
    got = {}
    threads = [threading.Thread(target=lambda a=a: got.__setitem__(a, warm.derive(
        "check", "seed002", "--param", "w11", "--answer", a))) for a in answers * 2]
    before = warm.status()["accepted"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert warm.status()["accepted"] == before + len(threads) + 1
    for a in answers:
        same(got[a], cold[a])
    assert "off by a constant factor 7" in got[answers[3]].stdout


def test_a_killed_client_takes_its_worker_with_it(warm):
    warm.start()
    fifo = warm.base / "answer"
    os.mkfifo(fifo)              # never written: the worker waits on it
    temp = warm.base / "tmp"     # the client's TMPDIR: where the worker's sandbox makes its child's folder
    temp.mkdir()
    client = subprocess.Popen([sys.executable, "-m", "derive", "check", "seed002", "--param", "w11",
                               "--answer-file", str(fifo), "--timeout", "100"], env=warm.env(TMPDIR=str(temp)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while len(descendants(warm.pid)) < 3 and time.monotonic() < deadline:   # session, worker, its child
            time.sleep(0.05)
        assert len(descendants(warm.pid)) >= 3
        assert [p.name[:13] for p in temp.iterdir()] == ["derive-child-"]
    finally:
        client.kill()
        client.communicate()
    deadline = time.monotonic() + 10
    while descendants(warm.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert descendants(warm.pid) == set() and alive(warm.pid)
    assert list(temp.iterdir()) == []          # stopped politely first: the sandbox removed its child's folder
    assert warm.derive("check", "seed002", "--param", "w11", "--answer", RIGHT).returncode == 0


def test_ctrl_c_on_a_client_says_what_it_says_cold(warm):
    """SIGINT while the check waits (on a FIFO nobody writes): "derive: interrupted", exit 130, either way."""
    warm.start()
    fifo = warm.base / "answer"
    os.mkfifo(fifo)
    said = []
    for extra, waiting in (({}, lambda c: len(descendants(warm.pid)) >= 3),
                           ({"DERIVE_WARM": "off"}, lambda c: len(descendants(c.pid)) >= 1)):
        client = subprocess.Popen([sys.executable, "-m", "derive", "check", "seed002", "--param", "w11",
                                   "--answer-file", str(fifo), "--timeout", "100"], env=warm.env(**extra),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not waiting(client) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        client.send_signal(signal.SIGINT)
        out, err = client.communicate(timeout=30)
        said.append((out, err, client.returncode))
    assert said[0] == said[1] == ("", "derive: interrupted\n", 130)
    deadline = time.monotonic() + 10
    while descendants(warm.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert descendants(warm.pid) == set()


def test_only_a_command_line_is_handed_over_not_a_caller_of_main(warm):
    """``main(argv)`` called from Python (with whatever it patched) runs in its own process, always."""
    warm.start()
    before = warm.status()["accepted"]
    script = ("import sys\nfrom derive.cli import main\n"
              f"sys.exit(main(['check', 'seed002', '--param', 'w11', '--answer', {WRONG!r}]))\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=warm.env())
    assert r.returncode == 1 and "incorrect" in r.stdout
    assert warm.status()["accepted"] == before + 1          # only this status


def test_status_stop_and_starting_twice(warm):
    r = warm.derive("warm", "--status")
    assert (r.returncode, r.stdout) == (1, "derive warm: not running\n")
    said = warm.start()
    assert said.startswith("derive warm: listening on ") and f"(pid {warm.pid})" in said
    again = warm.derive("warm")
    assert again.returncode == 0 and again.stdout.startswith("derive warm: already running")
    assert warm.status()["pid"] == warm.pid
    r = warm.derive("warm", "--stop")
    assert (r.returncode, r.stdout) == (0, f"derive warm: stopped (pid {warm.pid})\n")
    deadline = time.monotonic() + 10
    while alive(warm.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(warm.pid)
    assert warm.derive("warm", "--status").returncode == 1
    assert list((warm.run_dir / "derive").glob("*.sock")) == []


def test_an_idle_server_exits(warm):
    warm.start("--idle", "0.02")          # 1.2 s
    deadline = time.monotonic() + 20
    while alive(warm.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(warm.pid)
    assert warm.derive("warm", "--status").returncode == 1


def test_a_folder_that_is_not_private_is_not_used(warm):
    folder = warm.run_dir / "derive"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    r = warm.derive("warm")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "mode 0700" in r.stderr
    folder.chmod(0o700)
    warm.start()
    before = warm.status()["accepted"]
    folder.chmod(0o755)                    # the client refuses it: the cold path, the same output
    try:
        w = warm.derive("check", "seed002", "--param", "w11", "--answer", WRONG)
    finally:
        folder.chmod(0o700)
    assert w.returncode == 1 and "incorrect" in w.stdout
    assert warm.status()["accepted"] == before + 1          # only this status


def test_the_socket_is_named_by_the_code_version_and_another_is_never_asked(warm, monkeypatch):
    from derive.checking.fastcache import code_version
    from derive.cli import warmclient
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(warm.run_dir))
    path = warmclient.socket_path()
    assert path == str(warm.run_dir / "derive" / f"check-{code_version()[:24]}.sock")
    warm.start()
    assert warm.status()["socket"] == path
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)        # a server of another derive
    other.bind(str(warm.run_dir / "derive" / f"check-{'0' * 24}.sock"))
    other.listen(8)
    other.setblocking(False)
    with other:
        assert warm.derive("check", "seed002", "--param", "w11", "--answer", RIGHT).returncode == 0
        with pytest.raises(BlockingIOError):
            other.accept()


def test_a_bad_request_gets_one_line_and_the_server_goes_on(warm, monkeypatch):
    from derive.cli import warmclient
    warm.start()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO()))     # pytest's stand-in has no encoding
    path = warm.status()["socket"]
    for data in (b"\x00\x00\x00\x05nope!", b"\x00\x00\x00\x02[]", b"\xff\xff\xff\xff"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(path)
            s.sendall(data)
            reply, _ = warmclient.receive(s)
            assert reply["error"].startswith("bad request") and "\n" not in reply["error"]
    right = warmclient.check_request(["check", "seed002", "--param", "w11", "--answer", RIGHT])
    other_folder = {**right, "where": right["where"][:3] + [right["where"][3] + 1]}   # a chroot, a namespace
    for request, said in [({"op": "check", "argv": ["serve"]}, "bad request: argv"), ({**right, "argv": ["serve"]},
                          "bad request: argv"), ({**right, "env": {"A": 1}}, "bad request: env"),
                          (other_folder, "the worker could not be set up")]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(path)
            warmclient.send(s, request, [0, 1, 2])
            reply, _ = warmclient.receive(s)
            assert reply["started"] is False and reply["error"].startswith(said), reply
    assert warm.derive("check", "seed002", "--param", "w11", "--answer", RIGHT).returncode == 0


def test_keep_hands_out_one_network_per_name_text_and_notation(monkeypatch):
    """What the server pre-fills for its workers: the same object for the same bundled name, text and notation."""
    import sys as _sys

    from derive import api
    load_module = _sys.modules["derive.api.load"]
    monkeypatch.setattr(load_module, "_KEPT", {})          # this process's loads stay fresh after the test
    kept = load_module.keep("seed002")
    assert api.load("seed002") is kept and api.load("seed000") is not api.load("seed000")
    assert api.load("seed002", notation="theta") is not kept
    assert api.load(str(SEED002)) is not kept                # the same text under another name


def test_without_descriptor_passing_derive_warm_says_so_in_one_line(monkeypatch, capsys):
    from derive.cli import main
    monkeypatch.delattr(socket, "send_fds")
    assert main(["warm"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "descriptor passing" in err and "derive check runs without it" in err


@pytest.mark.skipif(os.getuid() != 0, reason="connecting as another user needs root")
def test_another_user_is_refused_even_when_the_socket_is_reachable(warm):
    warm.start()
    path = warm.status()["socket"]
    os.chmod(warm.base, 0o755)
    for folder in (warm.run_dir, warm.run_dir / "derive"):
        os.chmod(folder, 0o711)
    os.chmod(path, 0o777)
    script = ("import json, socket, struct, sys\n"
              "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
              "s.settimeout(10)\n"
              "s.connect(sys.argv[1])\n"
              "data = json.dumps({'op': 'status'}).encode()\n"
              "try:\n"
              "    s.sendall(struct.pack('!I', len(data)) + data)\n"
              "    print(repr(s.recv(100)))\n"
              "except (ConnectionResetError, BrokenPipeError):\n"   # closed with the request unread (it may
              "    print(repr(b''))\n")                              # close before the request is sent)
    python = "/usr/bin/python3"                    # the venv's may be in root's home, closed to others
    if not os.access(python, os.X_OK):
        pytest.skip("no system python3 for another user")
    r = subprocess.run([python, "-c", script, path], capture_output=True, text=True, timeout=60, user=65534)
    assert (r.returncode, r.stdout) == (0, "b''\n"), r.stderr         # connected, and closed without a word
    (warm.run_dir / "derive").chmod(0o700)
    assert warm.status()["pid"] == warm.pid


def test_a_runtime_folder_too_deep_for_a_socket_path_falls_back_to_tmp(monkeypatch):
    from derive.cli import warmclient
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    assert warmclient.folder() == "/run/user/1000/derive"
    deep = "/tmp/" + "d" * 80
    monkeypatch.setenv("XDG_RUNTIME_DIR", deep)
    assert warmclient.folder() == f"/tmp/derive-{os.getuid()}"
    monkeypatch.setenv("XDG_RUNTIME_DIR", "relative/run")
    assert warmclient.folder() == f"/tmp/derive-{os.getuid()}"
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    assert len(os.fsencode(warmclient.socket_path())) <= warmclient.MAX_PATH


def auto_started(warm, checks: int) -> None:
    """Run ``checks`` new-answer checks with DERIVE_WARM unset and no server running."""
    for i in range(checks):
        r = warm.derive("check", "seed002", "--param", "w11", "--answer", f"{WRONG} + {i}*x1", DERIVE_WARM="")
        assert r.returncode == 1 and "incorrect" in r.stdout and r.stderr == ""


def started(warm) -> dict:
    """The status of the server a check started in the background (it takes the lock after its imports)."""
    deadline = time.monotonic() + 60
    while not (said := warm.status())["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert said["running"], said
    warm.pid = said["pid"]
    return said


def test_the_second_cold_check_within_minutes_starts_a_warm_checker_for_the_next(warm):
    auto_started(warm, 1)                  # one check: nothing is left running
    time.sleep(0.5)
    assert warm.derive("warm", "--status").returncode == 1
    auto_started(warm, 1)                  # the second: a server starts in the background (the run above
    started(warm)                          # returned, so it holds none of the client's pipes)
    assert warm.pid not in descendants(os.getpid())
    with open(f"/proc/{warm.pid}/stat") as fh:
        session = int(fh.read().rsplit(")", 1)[1].split()[3])
    assert session != os.getsid(0) and os.readlink(f"/proc/{warm.pid}/cwd") == "/"
    w, c = warm.both("check", "seed002", "--param", "w11", "--answer", WRONG)
    same(w, c)                             # the third is handed to it, and prints what the cold path prints


@pytest.mark.parametrize("setting", ["manual", "off"])
def test_derive_warm_manual_or_off_never_starts_one(warm, setting):
    for i in range(3):
        r = warm.derive("check", "seed002", "--param", "w11", "--answer", f"x1 + {i}", DERIVE_WARM=setting)
        assert r.returncode == 1
    time.sleep(0.5)
    assert warm.derive("warm", "--status").returncode == 1
    assert not list((warm.run_dir / "derive").glob("*.lock"))


def test_a_started_server_never_imports_a_derive_from_the_callers_folder(warm):
    rogue = warm.base / "here" / "derive"
    rogue.mkdir(parents=True)
    touched = warm.base / "rogue-imported"
    (rogue / "__init__.py").write_text(f"open({str(touched)!r}, 'w').close()\n")
    for i in range(2):                     # -P: the client itself does not look in its folder either
        r = subprocess.run([sys.executable, "-P", "-m", "derive", "check", "seed002", "--param", "w11",
                            "--answer", f"x1 + {i}"], capture_output=True, text=True, timeout=120,
                           cwd=rogue.parent, env=warm.env(DERIVE_WARM=""))
        assert r.returncode == 1, r.stderr
    started(warm)
    assert not touched.exists()


def test_a_server_whose_derive_was_edited_or_upgraded_knows_it_is_superseded(monkeypatch, tmp_path):
    from derive.checking import fastcache
    from derive.cli import warmserver
    copy = tmp_path / "derive"
    shutil.copytree(ROOT / "derive", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fastcache, "_ROOT", copy)
    fastcache.code_version.cache_clear()
    try:
        fastcache.code_version()           # the version the server started with
        assert not warmserver._superseded()
        version = copy / "version.py"
        version.write_text(version.read_text() + "# an upgrade\n")
        assert warmserver._superseded()    # no client of the new source asks this server: it exits
    finally:
        fastcache.code_version.cache_clear()
