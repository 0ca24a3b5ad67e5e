"""Every command accepts --json; notes and export print what they wrote; errors come as {"error"} too."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from derive.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_accepts_json(command):
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    assert any("--json" in a.option_strings for a in sub._actions), f"derive {command} has no --json"


def test_notes_and_export_print_what_they_wrote(tmp_path):
    out = run("notes", "seed002", "--format", "md", "--out", str(tmp_path / "notes"), "--json")
    assert out.returncode == 0, out.stderr
    written = json.loads(out.stdout)["written"]
    names = sorted(Path(p).name for p in written)
    assert names == ["diagram.svg", "notes.en.md"] + [f"paths-w{k}.svg" for k in (11, 12, 21, 22, 31, 32, 41, 42)]
    assert all(Path(p).is_file() and Path(p).is_relative_to(tmp_path) for p in written)
    out = run("export", "seed002", "-o", str(tmp_path / "grad.py"), "--json")
    assert out.returncode == 0 and json.loads(out.stdout) == {"written": str(tmp_path / "grad.py"), "params": 8}
    assert (tmp_path / "grad.py").is_file()


def test_errors_as_json(tmp_path):
    out = run("verify", "no-such-example", "--json")
    assert out.returncode == 2 and json.loads(out.stdout)["error"].startswith("no spec file or bundled example")
    assert out.stderr.startswith("derive: error: ") and out.stderr.count("\n") == 1
