"""A spec's text never runs as code: hostile names are trained, exported and imported with nothing executed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from derive.cli import main

# Each payload tries to escape whatever string literal or comment it lands in and touch MARKER.
PAYLOADS = [
    'a""" if __import__("os").system("touch {m}") else """b',
    "a''' if __import__('os').system('touch {m}') else '''b",
    'x" + __import__("os").system("touch {m}") + "',
    "x' + __import__('os').system('touch {m}') + '",
    'back\\\\slash\\" + __import__("os").system("touch {m}") #',
    '\\N{{LATIN SMALL LETTER A}}""" + open("{m}", "w").write("x") and """',
    '{{}} %s %(x)s # """; open("{m}", "w")',
    'f"{{__import__(\'os\').system(\'touch {m}\')}}"',
]

# Runs the generated module under an audit hook that fails on any process, shell or file write.
IMPORTER = r"""
import sys
def hook(event, args):
    if event in ("os.system", "subprocess.Popen", "os.posix_spawn", "os.exec", "os.fork"):
        raise SystemExit("ran: " + event)
    if event == "open" and len(args) > 1 and isinstance(args[1], str) and any(c in args[1] for c in "wax+"):
        raise SystemExit("wrote: " + str(args[0]))
sys.path.insert(0, sys.argv[1])
sys.addaudithook(hook)
import importlib
m = importlib.import_module(sys.argv[2])
print(m.NAME)
"""


def _spec(tmp_path: Path, name: str, graph: bool) -> Path:
    doc = {"name": name}
    if graph:
        doc |= {"graph": {"inputs": ["A"], "params": ["W1"], "nodes": {"P": "W1*A"}, "output": ["P"]},
                "loss": "half_sse", "targets": ["C"],
                "values": {"inputs": {"A": 1}, "params": {"W1": 2}, "targets": {"C": 5}}}
    else:
        doc |= {"inputs": ["x1", "x2"], "layers": [{"units": ["h1", "h2"], "activation": "sigmoid"},
                                                   {"units": ["o1"], "activation": "sigmoid"}],
                "loss": "half_sse", "targets": ["t1"],
                "values": {"inputs": {"x1": 0.1, "x2": 0.2}, "targets": {"t1": 1}}}
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("graph", [False, True], ids=["layered", "graph"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_name_is_data_in_train_export_and_import(tmp_path, monkeypatch, payload, graph):
    marker = tmp_path / "pwned"
    name = payload.format(m=marker)
    spec = _spec(tmp_path, name, graph)
    monkeypatch.chdir(tmp_path)
    c = derive.compile(derive.load(spec))
    assert c.module.NAME == name
    assert main(["train", str(spec), "--steps", "1", "--json"]) == 0
    out = tmp_path / "exported.py"
    assert main(["export", str(spec), "-o", str(out)]) == 0
    run = subprocess.run([sys.executable, "-c", IMPORTER, str(tmp_path), "exported"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip("\n") == name
    assert not marker.exists()


@pytest.mark.parametrize("bad", ["line\nbreak", "nul\x00byte", "bidi\u202eevil", "tab\tname", "zero\u200bwidth"])
def test_control_and_bidi_characters_refused_in_name(tmp_path, capsys, bad):
    spec = _spec(tmp_path, bad, graph=False)
    assert main(["verify", str(spec)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("derive: error: name:") and "\n" not in err
