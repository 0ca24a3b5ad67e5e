"""Fuzzing the command line: argument lists, spec documents and CSVs (hypothesis).

For every input: exit 0, 1 or 2 (3 is a bug), at most one line on stderr with exit 2, no file written
outside the output folder, and nothing the input asks for run (no marker file appears).  CI runs the
bounded profile; ``./dev fuzz`` runs the long one (DERIVE_FUZZ=long, DERIVE_FUZZ_EXAMPLES per test)
and writes the counts to DERIVE_FUZZ_REPORT.  Every exit 3 found becomes a case in
tests/test_bad_input_cli.py.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.checking import checker, derivation, grade  # noqa: F401  (imported once, not in every run's child)
from derive.cli import main
from derive.codegen import compile, export, train  # noqa: F401
from derive.notes import content, render  # noqa: F401

LONG = os.environ.get("DERIVE_FUZZ") == "long"
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=int(os.environ.get("DERIVE_FUZZ_EXAMPLES", "4000")), deadline=None,
                          database=None, suppress_health_check=list(HealthCheck))
PROFILE = settings.get_profile("long" if LONG else "ci")

EXAMPLES = ["seed000", "seed001", "seed002", "seed003", "seed004", "classic", "xor"]
XOR_CSV = str(Path(__file__).resolve().parents[1] / "derive" / "examples" / "xor.csv")
MARKER = "pwned"                       # a relative name: created in the run's folder if anything ran
PAYLOADS = [f'__import__("os").system("touch {MARKER}")', f"a\"\"\" + open('{MARKER}','w') + \"\"\"b",
            "x\u202ey", "nul\x00", "line\nbreak", "=HYPERLINK(\"x\")", "\\input{/etc/passwd}", "\ufeff", "${x}",
            "{{ 7*7 }}", "../../../x", "%s%n", "x" * 300]
OUTPUTS = ("--out", "-o", "--json-out", "--plot")
COUNTS: Counter = Counter()


def run(argv: list[str], files: dict[str, bytes] | None = None) -> tuple[int, str]:
    """Run ``derive argv`` in a fresh folder holding ``files``; check the invariants; return (code, stderr)."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="derive-fuzz-") as tmp:
        root = Path(tmp)
        (root / "out").mkdir()
        for name, data in (files or {}).items():
            (root / name).write_bytes(data)
        before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
        err, out = io.StringIO(), io.StringIO()
        os.chdir(root)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                code = main(argv)
        finally:
            os.chdir(here)
        after = {p for p in root.rglob("*") if p.is_file()}
        COUNTS[code] += 1
        log = os.environ.get("DERIVE_FUZZ_FAILURES")
        if log and (code not in (0, 1, 2) or (code == 2 and err.getvalue().count("\n") > 1)):
            with open(log, "a", encoding="utf-8") as f:          # seen at once, before hypothesis shrinks
                f.write(json.dumps({"argv": argv, "files": {k: v.decode("utf-8", "replace") for k, v in
                                                            (files or {}).items()}, "code": code,
                                    "stderr": err.getvalue()}) + "\n")
        if sum(COUNTS.values()) % 100 == 0:
            _write_report()
        text = err.getvalue()
        assert code in (0, 1, 2), f"exit {code} for {argv!r}: {text}"
        if code == 2:
            assert text.count("\n") <= 1 and text.startswith("derive: error: "), f"{argv!r}: {text!r}"
        assert "Traceback" not in text
        assert not (root / MARKER).exists(), f"{argv!r} ran code"
        chosen = [root / "out", root / "output"]          # the output folders (notes' default: ./output)
        for flag, value in zip(argv, argv[1:]):           # and the files the arguments name as outputs
            if flag in OUTPUTS and "\x00" not in value:
                target = (root / value).resolve()
                chosen += [target, target.with_suffix(".json") if target.name else target]
        stray = [p for p in after - set(before) if not any(p.resolve().is_relative_to(c) for c in chosen)]
        assert not stray, f"{argv!r} wrote outside the output folder: {stray}"
        changed = [p for p, data in before.items() if not p.exists() or p.read_bytes() != data]
        assert not changed, f"{argv!r} changed an input: {changed}"
    return code, text


# ---------------------------------------------------------------------------------------------
# Strategies

def _numbers():
    return st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e300", "1e-300", "0.5", "1", "2", "3", "x", "",
                            "99999999999999999999", "1_0", "0x10", "-0", "4294967296", "3600", "3600.1", "٣"])


def _paths():
    return st.sampled_from(["out/r.csv", "out/r.json", "out/m.py", "out/p.png", "out/p.svg", "out", "out/", ".",
                            "..", "/dev/null", "/dev/zero", "/proc/self/status", "spec.json", "a.csv", "x.txt",
                            "out/../x.csv", "out/x", "-", "out/\x00", "out/" + "a" * 300 + ".csv", "/", "nonexistent/x"])


OPTIONS = {
    "--timeout": _numbers(), "--max-memory": _numbers(), "--seed": _numbers(), "--steps": _numbers(),
    "--lr": _numbers(), "--batch": _numbers(), "--workers": _numbers(),
    "--plot": _paths(), "--out": _paths(), "-o": _paths(), "--json-out": _paths(), "--data": _paths(),
    "--test": _paths(), "--answer-file": _paths(), "--derivation": _paths(),
    "--format": st.sampled_from(["md", "tex", "html", "md,html", "pdf", "", ",", "md,md"]),
    "--lang": st.sampled_from(["en", "ko", "ja", "xx", "", "en,ko"]),
    "--notation": st.sampled_from(["theta", "w-delta", "graph", "ihv", "ng", "nope", ""]),
    "--param": st.sampled_from(["w11", "w31", "W1", "theta1_11", "nope", "", "w11 "]),
    "--answer": st.one_of(st.sampled_from(["delta_z1*x1", "x1", "", "(", r"\frac{1}{0}", "1/0", "x1**x1**x1"]
                                          + PAYLOADS), st.text(max_size=40)),
    "--optimizer": st.sampled_from(["sgd", "adam", "momentum", "lbfgs"]),
    "--json": st.none(), "--no-progress": st.none(), "--all": st.none(), "--gallery": st.none(),
    "--version": st.none(), "--help": st.none(),
}
# options that make a run slow without making it more hostile are kept out (--all, --gallery run minutes)
SLOW = {"--all", "--gallery"}


@st.composite
def argv_lists(draw):
    command = draw(st.sampled_from(["verify", "check", "grade", "train", "export", "notes", "bogus", ""]))
    argv = [command] if command else []
    if draw(st.booleans()):
        argv.append(draw(st.sampled_from(EXAMPLES + ["spec.json", "nonexistent", "/dev/zero", "a.csv", "."]
                                         + PAYLOADS)))
    if command == "grade" and draw(st.booleans()):
        argv.append(draw(st.sampled_from(["a.csv", "spec.json", "/dev/null", "nonexistent.csv"])))
    for name in draw(st.lists(st.sampled_from(sorted(set(OPTIONS) - SLOW)), max_size=4)):
        value = draw(OPTIONS[name])
        argv += [name] if value is None else [name, value]
    if command in ("verify", "notes", "train", "export") and "--timeout" not in argv:
        argv += ["--timeout", "30"]
    if command == "train" and "--steps" not in argv:
        argv += ["--steps", "3"]
    return argv


BASE_LAYERED = {"name": "fuzz", "inputs": ["x1", "x2"],
                "layers": [{"units": ["h1", "h2"], "activation": "sigmoid"},
                           {"units": ["y1"], "activation": "sigmoid"}],
                "loss": "half_sse", "targets": ["t1"],
                "values": {"inputs": {"x1": 0.5, "x2": -1}, "targets": {"t1": 1}, "learning_rate": 0.5}}
BASE_GRAPH = {"name": "fuzz graph", "graph": {"inputs": ["A", "B"], "params": ["W1", "W2"],
                                              "nodes": {"P": "W1*A + W2*B", "Q": "sigmoid(P)*P"}, "output": ["Q"]},
              "loss": "half_sse", "targets": ["C"],
              "values": {"inputs": {"A": 1, "B": 2}, "params": {"W1": 2, "W2": 1}, "targets": {"C": 5}}}

_leaf = st.one_of(st.none(), st.booleans(), st.integers(-3, 6), st.sampled_from([10**13, -10**13, 2**64]),
                  st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(PAYLOADS),
                  st.sampled_from(["sigmoid", "tanh", "relu", "linear", "softmax", "none", "per-unit", "shared",
                                   "half_sse", "bce", "ce", "mse", "sse", "theta", "ng", "x1", "W1", "P", "1/0",
                                   "exp(exp(exp(W1*A)))", "log(0*A)", "A**-1", "P/0", "relu(P)**0.5"]),
                  st.text(max_size=12))
JSON_VALUES = st.recursive(_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=6) | st.sampled_from(
                                                              ["units", "activation", "weights", "bias", "name"]),
                                                              inner, max_size=4)), max_leaves=12)
PATHS_LAYERED = [("name",), ("notation",), ("inputs",), ("layers",), ("layers", 0), ("layers", 0, "units"),
                 ("layers", 0, "activation"), ("layers", 1, "activation"), ("layers", 0, "bias"),
                 ("layers", 0, "weights"), ("loss",), ("targets",), ("fixed",), ("values",),
                 ("values", "inputs"), ("values", "inputs", "x1"), ("values", "params"), ("values", "learning_rate"),
                 ("description",), ("extra",), ("graph",)]
PATHS_GRAPH = [("name",), ("graph",), ("graph", "inputs"), ("graph", "params"), ("graph", "nodes"),
               ("graph", "nodes", "P"), ("graph", "nodes", "Q"), ("graph", "nodes", "R"), ("graph", "output"),
               ("loss",), ("targets",), ("values", "inputs", "A"), ("values", "params", "W1"), ("notation",),
               ("layers",)]


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(key, {})
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return
    if isinstance(node, dict):
        node[path[-1]] = value
    elif isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node):
        node[path[-1]] = value


@st.composite
def spec_documents(draw) -> bytes:
    graph = draw(st.booleans())
    doc = json.loads(json.dumps(BASE_GRAPH if graph else BASE_LAYERED))
    for _ in range(draw(st.integers(0, 3))):
        _set(doc, draw(st.sampled_from(PATHS_GRAPH if graph else PATHS_LAYERED)), draw(JSON_VALUES))
    form = draw(st.sampled_from(["json", "yaml", "raw"]))
    if form == "raw":               # text that is not quite YAML: anchors, tags, tabs, deep nesting, BOM
        return draw(st.sampled_from(["a: &x [1]\nb: *x\n", "!!python/object:os.system [ls]\n", "[" * 2000,
                                     "\ufeffname: x\n", "name: !!binary aGk=\n", "{", "- 1\n", "\t:", "",
                                     "name: x\ninputs: 1\nlayers: [{units: 1}]\n" * 2])).encode("utf-8")
    if form == "yaml":
        import yaml
        try:
            return yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass")
        except yaml.YAMLError:
            pass
    return json.dumps(doc, allow_nan=True).encode("utf-8", "surrogatepass")


def _csv_cells():
    return st.one_of(st.sampled_from(["w11", "w31", "delta_z1*x1", "x1", "", "=1+1", "-x1", "@x", "\tx", "nope",
                                      "0", "1", "0.5", "nan", "inf", "1e999", '"', '""', "\r", "\n", "a,b"]
                                     + PAYLOADS), st.text(max_size=10))


@st.composite
def csv_files(draw, header: list[str]) -> bytes:
    nl = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    head = draw(st.sampled_from([header, header[::-1], header[:-1], header + ["extra"], [h.upper() for h in header],
                                 []]))
    rows = draw(st.lists(st.lists(_csv_cells(), min_size=0, max_size=len(header) + 1), max_size=5))

    def cell(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\r\n') else c

    text = nl.join(",".join(cell(c) for c in r) for r in [head] + rows) + draw(st.sampled_from([nl, ""]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    enc = draw(st.sampled_from(["utf-8", "utf-8", "latin-1"]))
    return (bom + text).encode(enc, "replace")


# ---------------------------------------------------------------------------------------------
# The fuzz tests

@PROFILE
@given(argv_lists())
def test_fuzz_command_lines(argv):
    files = {"spec.json": json.dumps(BASE_LAYERED).encode(), "a.csv": b"id,param,answer\ns1,w11,delta_z1*x1\n",
             "x.txt": b"$$\\frac{\\partial E}{\\partial w_{11}} = \\delta_{z_1} x_1$$\n"}
    run(argv, files)


@PROFILE
@given(spec_documents(), st.sampled_from(["verify", "notes", "train", "export", "check", "grade"]))
def test_fuzz_spec_documents(doc, command):
    argv = {"verify": ["verify", "spec.json"],
            "notes": ["notes", "spec.json", "--format", "md", "--out", "out"],
            "train": ["train", "spec.json", "--steps", "2"],
            "export": ["export", "spec.json", "-o", "out/m.py"],
            "check": ["check", "spec.json", "--param", "w11", "--answer", "x1", "--timeout", "5"],
            "grade": ["grade", "spec.json", "a.csv", "--workers", "1", "--no-progress", "--out", "out/r.csv"]}[command]
    if command in ("verify", "notes", "train", "export"):
        argv += ["--timeout", "30"]
    run(argv, {"spec.json": doc, "a.csv": b"id,param,answer\ns1,w11,x1\n"})


@PROFILE
@given(st.data())
def test_fuzz_csv_files(data):
    if data.draw(st.booleans(), label="grade"):
        csv = data.draw(csv_files(["id", "param", "answer"]), label="answers")
        run(["grade", "seed002", "a.csv", "--workers", "1", "--timeout", "5", "--no-progress", "--out", "out/r.csv"],
            {"a.csv": csv})
    else:
        csv = data.draw(csv_files(["x1", "x2", "t"]), label="data")
        run(["train", "xor", "--data", "a.csv", "--test", "a.csv", "--steps", "3", "--timeout", "30"], {"a.csv": csv})


def _write_report():
    path = os.environ.get("DERIVE_FUZZ_REPORT")
    if path:
        Path(path).write_text(json.dumps({"profile": "long" if LONG else "ci", "inputs": sum(COUNTS.values()),
                                          "exit_codes": {str(k): v for k, v in sorted(COUNTS.items())}}) + "\n")


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    _write_report()
