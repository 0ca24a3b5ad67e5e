"""``derive check --answer`` answered from the fast cache (``checking.fastcache``): the same text, JSON and
exit code as the full path, without sympy, and never from a file it did not write itself for this check."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from derive import api
from derive.checking import fastcache
from derive.cli import main

LAYERED = ["classic", "digits", "seed000", "seed002", "seed003", "seed004", "xor"]
SEED002_WRONG = "delta_y1*w31*z1*(1-z1)*x1"          # the path through y2 is missing
SEED002_RIGHT = "(delta_y1*w31 + delta_y2*w41)*z1*(1-z1)*x1"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache folder for this test (the conftest's is shared by the whole suite)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "derive" / "check"


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def kept(cache) -> list[Path]:
    return sorted(p for p in cache.glob("*/*.json")) if cache.exists() else []


def answers(spec: str) -> list[tuple[list[str], str]]:
    """(extra options, answer) for one spec's first parameter: right, equivalent, wrong, a flipped sign,
    numbers (with and without --number), an unknown name, a syntax error, a left side naming the parameter."""
    model = api.load(spec)
    param = next(iter(model.trainable))
    shown = api.check(model, param, param, timeout=None)     # (the parameter itself: wrong, shows what is expected)
    e, symbol = shown["expected"], shown["symbol"]
    p = ["--param", param]
    return [(p, e), (p, f"\\frac{{2 \\left({e}\\right)}}{{2}}"), (p, f"2 \\left({e}\\right)"),
            (p, f"- \\left({e}\\right)"), (p, "0.000188"), (p + ["--number"], "0.000188"), (p, "w_{999} x_{1}"),
            (p, "x_{1} +* )"), ([], f"\\frac{{\\partial E}}{{\\partial {symbol}}} = {e}")]


@pytest.mark.parametrize("spec", LAYERED)
def test_fast_is_the_full_path_on_every_bundled_layered_spec(spec, cache, tmp_path, monkeypatch, capsys):
    seen_correct = seen_wrong = 0
    for options, answer in answers(spec):
        argv = ["check", spec, *options, "--answer", answer]
        full_text = run(capsys, argv)                    # the full path (it keeps the verdict)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))
        full_json = run(capsys, argv + ["--json"])       # the full path again, in an empty cache
        monkeypatch.setenv("XDG_CACHE_HOME", str(cache.parent.parent))
        n = len(kept(cache))
        assert run(capsys, argv) == full_text, answer
        assert run(capsys, argv + ["--json"]) == full_json, answer
        assert len(kept(cache)) == n                     # answered, not checked again
        if full_text[0] == 2:                            # an error is never kept
            assert full_text[1] == "" and json.loads(full_json[1]).keys() == {"error"}
        else:
            verdict = json.loads(full_json[1])
            assert full_text[0] == (0 if verdict["correct"] else 1)
            seen_correct += verdict["correct"]
            seen_wrong += not verdict["correct"]
    assert seen_correct >= 3 and seen_wrong >= 2        # right, equivalent, left side; wrong, flipped sign


def test_a_kept_check_is_answered_without_sympy(cache, tmp_path):
    """With sympy made unimportable the check still answers, identically: nothing it needs imports it."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    env.pop("DERIVE_DEBUG", None)
    argv = ["check", "seed002", "--param", "w11", "--answer", SEED002_WRONG]
    script = ("import sys\n"
              "from importlib.machinery import PathFinder\n"
              "class Refuse:\n"
              "    def create_module(self, spec):\n"
              "        return None\n"
              "    def exec_module(self, module):\n"
              "        raise ImportError('blocked: ' + module.__name__)\n"
              "class Block:\n"           # found as installed (the cache's key says which), never imported
              "    def find_spec(self, name, path=None, target=None):\n"
              "        spec = PathFinder.find_spec(name, path)\n"
              "        if spec is not None and name.split('.')[0] in ('sympy', 'symengine'):\n"
              "            spec.loader = Refuse()\n"
              "        return spec\n"
              "if sys.argv[1] == 'block':\n"
              "    sys.meta_path.insert(0, Block())\n"
              "from derive.cli import main\n"
              "code = main(sys.argv[2:])\n"
              "print('imported:', [m for m in ('sympy', 'numpy', 'mpmath') if m in sys.modules])\n"
              "sys.exit(code)\n")

    def derive_check(how):
        done = subprocess.run([sys.executable, "-c", script, how, *argv], env=env, capture_output=True, text=True,
                              timeout=120)
        text, imported = done.stdout.rsplit("imported: ", 1)
        return done.returncode, text, done.stderr, imported.strip()

    blocked = derive_check("block")                 # nothing kept yet: the full path needs sympy
    assert blocked[0] not in (0, 1) and "incorrect" not in blocked[1]
    full = derive_check("free")
    assert full[0] == 1 and "the term for the path through y2 is missing" in full[1]
    fast = derive_check("block")                    # kept now: answered without sympy, numpy or a child
    assert fast == full[:3] + ("[]",)


def test_files_are_private_and_plain_json(cache, capsys):
    assert run(capsys, ["check", "seed002", "--param", "w11", "--answer", SEED002_RIGHT])[0] == 0
    [entry] = kept(cache)
    assert entry.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700
    assert (cache / ".key").stat().st_mode & 0o777 == 0o600
    body = json.loads(json.loads(entry.read_text())["body"])
    assert body["code"] == 0 and body["text"].startswith("w11: correct")


def _forged(cache, capsys, change) -> tuple[int, str]:
    """A wrong answer kept, then its file changed by ``change(path)``: what the next check says."""
    argv = ["check", "seed002", "--param", "w11", "--answer", SEED002_WRONG]
    full = run(capsys, argv)
    assert full[0] == 1
    [entry] = kept(cache)
    change(entry)
    again = run(capsys, argv)
    assert again == full                             # the full path's verdict, not the file's
    return again


def _claim_correct(entry: Path) -> dict:
    outer = json.loads(entry.read_text())
    body = json.loads(outer["body"])
    body["code"], body["text"] = 0, body["text"].replace("incorrect", "correct")
    body["json"] = body["json"].replace('"correct": false', '"correct": true')
    return {**outer, "body": json.dumps(body)}


def test_an_edited_entry_is_ignored(cache, capsys):
    _forged(cache, capsys, lambda p: p.write_text(json.dumps(_claim_correct(p))))


def test_a_truncated_entry_is_ignored(cache, capsys):
    _forged(cache, capsys, lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]))


def test_an_entry_signed_with_another_key_is_ignored(cache, capsys):
    """A file from another user's cache (their own key): its MAC is right there, not here."""
    import hashlib
    import hmac

    def foreign(p):
        forged = _claim_correct(p)
        forged["mac"] = hmac.new(b"k" * 32, forged["body"].encode(), hashlib.sha256).hexdigest()
        p.write_text(json.dumps(forged))
    _forged(cache, capsys, foreign)


def test_another_answers_entry_does_not_answer_this_one(cache, capsys):
    """A correct answer's genuine entry copied to a wrong answer's file name still says nothing about it."""
    assert run(capsys, ["check", "seed002", "--param", "w11", "--answer", SEED002_RIGHT])[0] == 0
    [right] = kept(cache)
    wrong_key = fastcache.key("seed002", "w11", SEED002_WRONG, False)
    target = cache / wrong_key[:2] / f"{wrong_key}.json"
    target.parent.mkdir(mode=0o700, exist_ok=True)
    shutil.copy(right, target)
    code, out, _ = run(capsys, ["check", "seed002", "--param", "w11", "--answer", SEED002_WRONG])
    assert code == 1 and out.startswith("w11: incorrect")


def test_a_lost_key_file_means_checking_again(cache, capsys):
    argv = ["check", "seed002", "--param", "w11", "--answer", SEED002_RIGHT]
    first = run(capsys, argv)
    old = (cache / ".key").read_bytes()
    (cache / ".key").unlink()
    k = fastcache.key("seed002", "w11", SEED002_RIGHT, False)
    assert fastcache.load(k) is None                 # nothing can vouch for the old file
    assert run(capsys, argv) == first                # checked again, kept under a new key
    assert (cache / ".key").read_bytes() != old and fastcache.load(k)["text"] == first[1]


def test_an_edited_spec_is_a_new_entry(cache, tmp_path, capsys):
    spec = tmp_path / "net.yaml"
    text = (Path(api.__file__).parent.parent / "examples" / "seed002.yaml").read_text()
    spec.write_text(text)
    argv = ["check", str(spec), "--param", "w11", "--answer", SEED002_WRONG]
    before = run(capsys, argv)
    assert before[0] == 1 and "w11 = 0.15" in before[1]
    assert "0.15" in text
    spec.write_text(text.replace("0.15", "0.35", 1))
    after = run(capsys, argv)
    assert after[0] == 1 and "w11 = 0.35" in after[1] and after != before
    assert len(kept(cache)) == 2
    assert run(capsys, argv) == after


def test_framework_files_and_tensor_programs_are_never_kept(tmp_path):
    model = tmp_path / "model.keras"
    model.write_bytes(b"not a spec")
    assert fastcache.key(str(model), "w", "1", False) is None
    assert fastcache.key("model.py:build", "w", "1", False) is None
    assert fastcache.key("batchnorm", "dW", "1", False) is None     # a bundled tensor program
    assert fastcache.key("seed002", "w11", "1", False) != fastcache.key("seed002", "w11", "1", True)
    assert fastcache.key("seed002", "w11", "1", False) != fastcache.key("seed002", "w12", "1", False)


def test_answers_from_a_file_and_from_standard_input_are_kept(cache, tmp_path, capsys, monkeypatch):
    import io
    answer = tmp_path / "answer.txt"
    answer.write_text(SEED002_WRONG + "\n")
    argv = ["check", "seed002", "--param", "w11", "--answer-file", str(answer)]
    full = run(capsys, argv)
    assert full[0] == 1 and len(kept(cache)) == 1
    assert run(capsys, argv) == full and len(kept(cache)) == 1
    answer.write_text(SEED002_RIGHT + "\n")                 # the file's text is the key, not its name
    assert run(capsys, argv)[0] == 0 and len(kept(cache)) == 2
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    env.pop("DERIVE_DEBUG", None)
    stdin = [sys.executable, "-m", "derive", "check", "seed002", "--param", "w11", "--answer-file", "-"]
    for _ in range(2):                                       # read as --answer (stripped): one more file
        done = subprocess.run(stdin, input=SEED002_WRONG + "\n", env=env, capture_output=True, text=True,
                              timeout=120)
        assert (done.returncode, done.stdout, done.stderr) == full and len(kept(cache)) == 3


def test_an_answer_file_that_is_a_pipe_is_read_once(cache):
    """/dev/stdin on a pipe is not looked up in the parent (reading it there would leave the child nothing)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    env.pop("DERIVE_DEBUG", None)
    argv = [sys.executable, "-m", "derive", "check", "seed002", "--param", "w11", "--answer-file", "/dev/stdin"]
    for _ in range(2):
        done = subprocess.run(argv, input="delta_z1*x1\n", env=env, capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stdout, done.stderr) == (0, "w11: correct\n  understood: δ_{z1}·x1\n", "")
