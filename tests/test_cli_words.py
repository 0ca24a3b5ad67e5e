"""What the command line says to a newcomer: verdicts in readable Unicode maths (LaTeX kept for --json),
did-you-mean by edit distance for commands, options, parameters and examples, honest export and serve lines."""
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from derive.errors import nearest
from derive.notes.plain import prose, unicode

ROOT = Path(__file__).resolve().parents[1]


def derive(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


@pytest.mark.parametrize("latex, text", [
    (r"\delta_{z_{1}} x_{1}", "δ_{z1}·x1"),
    (r"x_{1} z_{1} \left(1 - z_{1}\right) \left(\delta_{y_{1}} w_{31} + \delta_{y_{2}} w_{41}\right)",
     "x1·z1·(1 − z1)·(δ_{y1}·w31 + δ_{y2}·w41)"),
    (r"\theta^{(1)}_{11}", "θ⁽¹⁾₁₁"),
    (r"\frac{\partial \mathrm{error}}{\partial w_{11}}", "∂error/∂w11"),
    (r"\tanh{\left(z_{1} \right)}", "tanh(z1)"),
    (r"\left(y_{1} - y_{t1}\right)^{2}", "(y1 − yt1)²"),
    (r"\frac{1}{2} \left(a - b\right)", "1/2·(a − b)"),
])
def test_latex_reads_as_unicode(latex, text):
    assert unicode(latex) == text


def test_prose_converts_only_the_maths():
    assert prose(r"the term for the path through $y_{2}$ is missing") == "the term for the path through y2 is missing"


def test_a_cli_verdict_is_unicode_and_json_keeps_latex():
    r = derive("check", "seed002", "--param", "w11", "--answer", "delta_y1*w31*z1*(1-z1)*x1")
    assert r.returncode == 1
    assert r.stdout.splitlines()[:3] == ["w11: incorrect", "  understood: δ_{y1}·w31·x1·z1·(1 − z1)",
                                         "  expected:   δ_{z1}·x1"]
    assert "\\" not in r.stdout and "$" not in r.stdout
    j = json.loads(derive("check", "seed002", "--param", "w11", "--answer", "delta_z1*x1", "--json").stdout)
    assert j["parsed"] == r"\delta_{z_{1}} x_{1}"


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_a_terminal_without_greek_letters_gets_escapes_not_a_traceback(tmp_path, encoding):
    import os
    env = {**os.environ, "PYTHONIOENCODING": encoding, "DERIVE_WARM": "off", "XDG_CACHE_HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "derive", "check", "seed002", "--param", "w11", "--answer",
                        "delta_y1*w31*z1*(1-z1)*x1"], capture_output=True, timeout=300, env=env)
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    lines = r.stdout.decode(encoding).splitlines()
    assert lines[0] == "w11: incorrect" and lines[2].startswith("  expected:   \\u03b4_{z1}")


@pytest.mark.parametrize("typo, known, first", [
    ("w1l", ["w41", "w31", "w21", "w11", "w12"], ["w11", "w12"]),
    ("--jsn", ["--help", "--format", "--json", "--lang"], ["--json"]),
    ("verfy", ["check", "grade", "verify", "serve"], ["verify"]),
    ("w11", ["w1_11", "w1_12", "w1_21", "w1_22", "b1_1", "b1_2", "w2_11"], ["w1_11"]),   # derive.mlp's names
    ("cs23", ["seed002", "cs231n", "ninja"], ["cs231n"]),
])
def test_did_you_mean_ranks_by_edit_distance(typo, known, first):
    assert nearest(typo, known)[:len(first)] == first


def test_did_you_mean_on_the_command_line():
    assert "did you mean verify?" in derive("verfy").stderr
    assert "--jsn: did you mean --json?" in derive("verify", "--jsn").stderr
    r = derive("check", "seed002", "--param", "w1l", "--answer", "x1")
    assert r.returncode == 2 and "did you mean w11 or w12" in r.stderr
    r = derive("verify", "cs23")
    assert r.returncode == 2 and "did you mean cs231n?" in r.stderr and "tensor programs: " in r.stderr
    assert "ninja" in r.stderr and "seed002" in r.stderr


def test_export_says_the_positional_arguments(tmp_path):
    r = derive("export", "cs231n", "-o", "m.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import inspect
        import m
        shown = "forward(" + ", ".join(inspect.signature(m.forward).parameters) + ")"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("m", None)
    assert shown in r.stdout and "{...}" not in r.stdout


def test_a_port_in_use_names_the_option():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = derive("serve", "--port", str(s.getsockname()[1]))
    assert r.returncode == 2 and "--port" in r.stderr and r.stderr.count("\n") == 1


def test_every_help_ends_with_examples_that_parse():
    import re
    import shlex

    from derive.cli import COMMANDS, build_parser
    from derive.cli import epilogs
    top = derive("--help").stdout
    assert "exit codes:" in top and "docs/spec-format.md" in top
    for name in COMMANDS:
        text = derive(name, "--help").stdout
        assert "examples:" in text, name
        for line in epilogs.COMMANDS[name].splitlines() + epilogs.MAIN.splitlines():
            if line.startswith("  derive "):
                words = shlex.split(re.split(r"\s{3,}", line.strip())[0])[1:]
                build_parser(words[0] if words else None).parse_args(words)    # no SystemExit: it parses
