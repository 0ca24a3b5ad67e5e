"""Hostile answers through the real CLI: no code runs, exit 2 (or 1 for a well-formed wrong formula),
one line on stderr, within a few seconds, never a traceback."""
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import derive
from derive.checking.checker import check, checker_for
from derive.errors import DeriveError
from derive.sandbox import TimeLimit

TIMEOUT = 5.0                   # the CLI's default per-answer limit
DERIVE = [sys.executable, "-m", "derive"]
MARKER = Path("/tmp/derive_hostile_marker")

HOSTILE = [
    (f"__import__('os').system('touch {MARKER}')", 2),
    (f"().__class__.__base__.__subclasses__()[0]('touch {MARKER}')", 2),
    ("x1.__class__", 2),
    ("lambda: 0", 2),
    ("lambda x1: x1", 2),
    ("10**10**10", 2),
    ("factorial(10**9)", 2),
    ("x1**(10**9)", 2),
    ("(" * 5000 + "x1" + ")" * 5000, 2),
    ("x1" * 500_000, 2),
    (r"\input{/etc/passwd}", 2),
    (r"\def\x{1}", 2),
    (r"\write18{touch /tmp/x}", 2),
    ("exp(10**29*log(10))", 2),
    ("E*x1", 2),
    ("x1; import os", 2),
    ("х1", 2),                                    # Cyrillic ha
    ("(x1 + x2)**64 * w11", 1),                   # well-formed, wrong
    ("9" * 30 + "*x1", 1),
]


def run_check(answer: str, *extra) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    env.pop("DERIVE_DEBUG", None)
    start = time.perf_counter()
    if len(answer) > 100_000:     # too long for argv on some systems: through a file
        path = Path(f"/tmp/derive_hostile_answer_{os.getpid()}_{len(answer)}.txt")
        path.write_text(answer)
        args = ["--answer-file", str(path)]
    else:
        args = ["--answer", answer]
    out = subprocess.run(DERIVE + ["check", "seed002", "--param", "w11", *args, *extra],
                         capture_output=True, text=True, timeout=60, env=env)
    return out, time.perf_counter() - start


@pytest.fixture(scope="module")
def hostile_runs():
    """Every hostile answer through the CLI, two at a time (each run is a fresh process)."""
    MARKER.unlink(missing_ok=True)
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda item: run_check(item[0]), HOSTILE))


@pytest.mark.parametrize("case", range(len(HOSTILE)))
def test_hostile_answer(hostile_runs, case):
    code = HOSTILE[case][1]
    out, seconds = hostile_runs[case]
    assert out.returncode == code, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout
    if code == 2:
        assert out.stderr.startswith("derive: error: ") and out.stderr.count("\n") == 1, out.stderr
    assert not MARKER.exists()


@pytest.fixture(scope="module")
def seed002():
    d = derive.derive("seed002")
    checker_for(d)._env          # the spec's one-off work, not part of any answer's check
    return d


@pytest.mark.parametrize("case", range(len(HOSTILE)))
def test_hostile_answer_check_time_is_bounded(seed002, case):
    """derive's own check time (the library call the CLI makes, without process start-up): within the
    time limit plus the cost of starting and stopping the sandbox's child."""
    answer, code = HOSTILE[case]
    start = time.perf_counter()
    try:
        v = check(seed002, "w11", answer, timeout=TIMEOUT)
        assert code == 1 and not v.correct
    except DeriveError:
        assert code == 2
    assert time.perf_counter() - start < TIMEOUT + 2
    assert not MARKER.exists()


def test_slow_correct_answer_hits_the_time_limit(seed002):
    rest = "w12+w21+w22+w31+w32+w41+w42+x2"
    answer = f"delta_z1*x1 + (x1*(1+w11)+{rest})^64 - (x1+x1*w11+{rest})^64"
    out, _ = run_check(answer, "--timeout", "1")
    assert out.returncode == 2 and "time limit" in out.stderr
    start = time.perf_counter()
    with pytest.raises(TimeLimit):
        check(seed002, "w11", answer, timeout=1)
    assert time.perf_counter() - start < 1 + 2


def test_unknown_symbol_message():
    out, _ = run_check("w13*x1")
    assert out.returncode == 2
    assert "unknown symbol w13; parameters here are w11, w12, w21, w22, w31, w32, w41, w42" in out.stderr


def test_seed_002_final_formula_exit_0():
    out, _ = run_check(r"(\delta_{y_{1}}\cdot w_{31}+\delta_{y_{2}}\cdot w_{41})\cdot z_{1}(1-z_{1})\cdot x_{1}")
    assert out.returncode == 0 and out.stdout.startswith("w11: correct")        # Unicode maths on a terminal
