"""Fuzzing what people touch: argument lists, spec documents and CSVs on the command line, tensor
programs and backward files, notes rendering, special files (FIFOs, devices, sockets, links, folders),
and the HTTP API in process through Starlette's test client (hypothesis).

For every command line: exit 0, 1 or 2 (3 is a bug), at most one line on stderr with exit 2, no file
written outside the output folder, and nothing the input asks for run (no marker file appears).  For
every request: a 2xx or 4xx (a 5xx is a bug), JSON with one-line errors, and any maths in the answer
MathML of the allowlist.  CI runs the
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
# the newer surfaces (tensor programs, backward files, notes, special files) in CI: fewer inputs each,
# so the suite stays fast; the long profile runs DERIVE_FUZZ_EXAMPLES of every test
settings.register_profile("ci-small", parent=settings.get_profile("ci"), max_examples=12)
SMALL = PROFILE if LONG else settings.get_profile("ci-small")

EXAMPLES = ["seed000", "seed001", "seed002", "seed003", "seed004", "classic", "xor"]
XOR_CSV = str(Path(__file__).resolve().parents[1] / "derive" / "examples" / "xor.csv")
MARKER = "pwned"                       # a relative name: created in the run's folder if anything ran
PAYLOADS = [f'__import__("os").system("touch {MARKER}")', f"a\"\"\" + open('{MARKER}','w') + \"\"\"b",
            "x\u202ey", "nul\x00", "line\nbreak", "=HYPERLINK(\"x\")", "\\input{/etc/passwd}", "\ufeff", "${x}",
            "{{ 7*7 }}", "../../../x", "%s%n", "x" * 300]
OUTPUTS = ("--out", "-o", "--json-out", "--plot")
COUNTS: Counter = Counter()            # command lines by exit code
HTTP: Counter = Counter()              # requests by status class
TESTS: Counter = Counter()             # inputs by fuzz test


def run(argv: list[str], files: dict[str, bytes] | None = None, setup=None) -> tuple[int, str]:
    """Run ``derive argv`` in a fresh folder holding ``files`` (and whatever ``setup(folder)`` makes: FIFOs,
    sockets, links); check the invariants; return (code, stderr)."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="derive-fuzz-") as tmp:
        root = Path(tmp)
        (root / "out").mkdir()
        for name, data in (files or {}).items():
            (root / name).write_bytes(data)
        if setup:
            setup(root)
        before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
        err, out = io.StringIO(), io.StringIO()
        os.chdir(root)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                code = main(argv)
        finally:
            os.chdir(here)
        after = {p for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
        COUNTS[code] += 1
        TESTS[os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0].split("[")[0]] += 1
        log = os.environ.get("DERIVE_FUZZ_FAILURES")
        if log and (code not in (0, 1, 2) or (code == 2 and err.getvalue().count("\n") > 1)):
            with open(log, "a", encoding="utf-8") as f:          # seen at once, before hypothesis shrinks
                f.write(json.dumps({"argv": argv, "files": {k: v.decode("utf-8", "replace") for k, v in
                                                            (files or {}).items()}, "code": code,
                                    "stderr": err.getvalue()}) + "\n")
        if (sum(COUNTS.values()) + sum(HTTP.values())) % 100 == 0:
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


# ---------------------------------------------------------------------------------------------
# Tensor programs and backward files

TENSOR = "cs231n"
CS231N = (Path(__file__).resolve().parents[1] / "derive" / "examples" / "tensor" / "cs231n.yaml").read_text()
RIGHT = (Path(__file__).parent / "data" / "backward" / "cs231n_right.py").read_text()
_TENSOR_EXPRS = ["X @ W1 + b1", "relu(hpre)", "h @ W2 + b2", "softmax(logits, axis=1)", "-sum(Y * log(probs)) / N",
                 "W1.T", "X @ X", "exp(exp(exp(hpre)))", "log(0 * hpre)", "hpre ** 64", "sum(h, axis=7)", "h[0]",
                 "np.load('x')", "__import__('os')", "open('pwned', 'w')", "lambda: 1", "h.__class__", "1/0",
                 "reshape(h, [-1])", "max(h, axis=1)", "tanh(sigmoid(hpre))", "hpre @", "(((", "X" * 200]


@st.composite
def tensor_documents(draw) -> bytes:
    import yaml
    doc = yaml.safe_load(CS231N)
    t = doc["tensor"]
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["forward", "sizes", "inputs", "params", "output", "tensor", "top"]))
        if where in ("forward", "sizes", "inputs", "params") and not isinstance(t.get(where), dict):
            continue                                   # replaced wholesale by an earlier draw
        if where == "forward":
            t["forward"][draw(st.sampled_from(list(t["forward"]) + ["new", "J2", "__x"]))] = draw(
                st.one_of(st.sampled_from(_TENSOR_EXPRS + PAYLOADS), st.text(max_size=20), JSON_VALUES))
        elif where == "sizes":
            t["sizes"][draw(st.sampled_from(["N", "D", "H", "C", "Z"]))] = draw(
                st.sampled_from([0, -1, 1, 2, 10**6, 2**40, "N", None, 1.5, True]))
        elif where in ("inputs", "params"):
            t[where][draw(st.sampled_from(["X", "Y", "W1", "b1", "W2", "Q"]))] = draw(
                st.sampled_from([["N", "D"], ["D"], [], ["N"] * 5, "x", None, {"shape": ["N"], "data": "nope"},
                                 {"shape": ["N", "C"], "data": "one_hot"}, [10**9, 10**9]]))
        elif where == "output":
            t["output"] = draw(st.sampled_from(["J", "h", "nope", "", None, ["J"]]))
        elif where == "tensor":
            t[draw(st.sampled_from(["extra", "forward", "sizes"]))] = draw(JSON_VALUES)
        else:
            doc[draw(st.sampled_from(["name", "description", "inputs", "layers", "x"]))] = draw(JSON_VALUES)
    try:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8", "surrogatepass")
    except yaml.YAMLError:
        return CS231N.encode()


@st.composite
def backward_files(draw) -> bytes:
    lines = RIGHT.splitlines()
    for _ in range(draw(st.integers(0, 4))):
        k = draw(st.integers(0, len(lines)))
        what = draw(st.sampled_from(["replace", "insert", "delete", "mangle"]))
        new = draw(st.one_of(st.sampled_from([f"d{n} = {e}" for n in ("W1", "b1", "W2", "b2", "h", "Q", "")
                                              for e in _TENSOR_EXPRS[:8]] + PAYLOADS + _TENSOR_EXPRS
                                             + ["import os", "exec('1')", "dW1 = X.T @ dhpre  # ok", "dW1 ="]),
                             st.text(max_size=30)))
        if what == "insert" or not lines:
            lines.insert(k, new)
        elif what == "delete":
            lines.pop(min(k, len(lines) - 1))
        elif what == "replace":
            lines[min(k, len(lines) - 1)] = new
        else:
            i = min(k, len(lines) - 1)
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]))))]
    nl = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return nl.join(lines).encode("utf-8", "surrogatepass")


@SMALL
@given(tensor_documents(), st.sampled_from(["verify", "notes", "export", "check", "train", "grade"]))
def test_fuzz_tensor_specs(doc, command):
    argv = {"verify": ["verify", "t.yaml", "--timeout", "30"],
            "notes": ["notes", "t.yaml", "--format", "md,html", "--out", "out", "--timeout", "30"],
            "export": ["export", "t.yaml", "-o", "out/m.py", "--timeout", "30"],
            "check": ["check", "t.yaml", "--backward", "b.py", "--timeout", "5"],
            "train": ["train", "t.yaml", "--steps", "2", "--timeout", "30"],
            "grade": ["grade", "t.yaml", "a.csv", "--workers", "1", "--timeout", "5", "--no-progress", "--out",
                      "out/r.csv"]}[command]
    run(argv, {"t.yaml": doc, "b.py": RIGHT.encode(), "a.csv": b"id,param,answer\ns1,dW2,h.T @ dlogits\n"})


@SMALL
@given(backward_files(), st.sampled_from(["check", "grade", "check-json"]))
def test_fuzz_backward_files(text, how):
    if how == "grade":
        import csv as csvmod
        buf = io.StringIO()
        w = csvmod.writer(buf)
        w.writerow(["id", "param", "answer"])
        for i, line in enumerate(text.decode("utf-8", "replace").splitlines()[:6]):
            name, _, expr = line.partition("=")
            w.writerow([f"s{i}", name.strip() or "dW2", expr.strip()])
        run(["grade", TENSOR, "a.csv", "--workers", "1", "--timeout", "5", "--no-progress", "--out", "out/r.csv"],
            {"a.csv": buf.getvalue().encode("utf-8", "surrogatepass")})
    else:
        run(["check", TENSOR, "--backward", "b.py", "--timeout", "5"] + (["--json"] if how == "check-json" else []),
            {"b.py": text})


# ---------------------------------------------------------------------------------------------
# Notes rendering

@SMALL
@given(spec_documents(), st.sampled_from(["md", "tex", "html", "md,tex,html"]), st.sampled_from(["en", "ko", "ja"]),
       st.sampled_from([None, "theta", "w-delta", "graph", "ng", "nope"]))
def test_fuzz_notes_rendering(doc, fmt, lang, notation):
    argv = ["notes", "spec.json", "--format", fmt, "--lang", lang, "--out", "out", "--timeout", "30"]
    if notation:
        argv += ["--notation", notation]
    run(argv, {"spec.json": doc})


# ---------------------------------------------------------------------------------------------
# Special files where a file is expected

def _special(kind: str):
    def make(root: Path):
        target = root / "special"
        if kind == "fifo":
            os.mkfifo(target)
        elif kind == "socket":
            import socket
            s = socket.socket(socket.AF_UNIX)
            s.bind(str(target))
            s.close()
        elif kind == "loop":
            os.symlink("special", target)
        elif kind == "dangling":
            os.symlink("nowhere/x", target)
        elif kind == "folder":
            target.mkdir()
        elif kind == "sparse":
            with open(target, "wb") as f:
                f.truncate(3_000_000)          # larger than every limit but the CSVs', all zero bytes
        elif kind == "unreadable":
            target.write_text("x")
            target.chmod(0)
        else:                                   # a link to a device or /proc file
            os.symlink(kind, target)
    return make


SPECIALS = ["fifo", "socket", "loop", "dangling", "folder", "sparse", "unreadable", "/dev/zero", "/dev/null",
            "/dev/urandom", "/proc/self/status", "/proc/self/environ", "/dev/stdin", "/dev/full"]


@SMALL
@given(st.sampled_from(SPECIALS), st.sampled_from([
    ["verify", "special"], ["notes", "special", "--format", "md", "--out", "out"], ["export", "special", "-o", "out/m.py"],
    ["check", "special", "--param", "w11", "--answer", "x1"], ["check", "seed002", "--param", "w11", "--answer-file",
                                                                "special"],
    ["check", "seed002", "--derivation", "special"], ["check", TENSOR, "--backward", "special"],
    ["grade", "seed002", "special", "--workers", "1", "--no-progress"], ["train", "xor", "--data", "special",
                                                                         "--steps", "2"],
    ["train", "xor", "--test", "special", "--steps", "2"], ["grade", "special", "a.csv", "--workers", "1"]]))
def test_fuzz_special_files(kind, argv):
    run(argv + ["--timeout", "1"], {"a.csv": b"id,param,answer\ns1,w11,x1\n"}, setup=_special(kind))


# ---------------------------------------------------------------------------------------------
# The HTTP API, in process

_CLIENT: list = []


def _client():
    """One app for the whole run (its lifespan entered once), with short limits."""
    if not _CLIENT:
        testclient = pytest.importorskip("starlette.testclient")
        from derive.serve.app import create_app
        from derive.serve.http import Settings
        c = testclient.TestClient(create_app(Settings(timeout=2, work_timeout=10, workers=2)),
                                  base_url="http://127.0.0.1", raise_server_exceptions=True)
        c.__enter__()
        _CLIENT.append(c)
    return _CLIENT[0]


HOSTILE_LATEX = [r"\text{<img src=x onerror=alert(1)>}", r"\href{javascript:x}{y}", r"\style{x}{y}",
                 r'\color{red" onload="x}{y}', r"\verb|<b>|", r"\mbox{&lt;a&gt;}", r"\frac{\partial E}{\partial w_{11}}"]
_field = st.one_of(st.sampled_from(EXAMPLES + ["cs231n", "ninja", "nope", ""] + PAYLOADS + HOSTILE_LATEX),
                   st.text(max_size=30), st.integers(), st.none(), st.lists(st.text(max_size=5), max_size=3),
                   st.floats(allow_nan=True))


@st.composite
def api_requests(draw):
    path = draw(st.sampled_from(["/api/spec", "/api/verify", "/api/check", "/api/parse", "/api/notes", "/api/mathml",
                                 "/api/grade", "/api/grade/jobs", "/api/examples", "/api/examples/seed002",
                                 "/api/examples/..%2F..%2Fetc%2Fpasswd", "/api/grade/jobs/nope", "/", "/lecturer",
                                 "/static/common.js", "/static/../../x", "/nope"]))
    body: dict = {}
    spec = draw(st.one_of(st.sampled_from(EXAMPLES + ["cs231n", "ninja"]), spec_documents().map(
        lambda b: b.decode("utf-8", "replace")), tensor_documents().map(lambda b: b.decode("utf-8", "replace")),
        _field))
    body["spec"] = spec
    for name in draw(st.lists(st.sampled_from(["param", "answer", "derivation", "backward", "latex", "csv", "lang",
                                               "format", "notation", "extra"]), max_size=4, unique=True)):
        if name == "latex":
            body[name] = draw(st.one_of(st.lists(st.one_of(st.sampled_from(HOSTILE_LATEX), st.text(max_size=20)),
                                                 max_size=6), _field))
        elif name == "backward":
            body[name] = draw(st.one_of(backward_files().map(lambda b: b.decode("utf-8", "replace")), _field))
        elif name == "derivation":
            body[name] = draw(st.one_of(st.sampled_from(["$$" + x + "$$" for x in HOSTILE_LATEX]), _field))
        elif name == "csv":
            body[name] = draw(st.one_of(csv_files(["id", "param", "answer"]).map(lambda b: b.decode("latin-1")),
                                        _field))
        elif name == "lang":
            body[name] = draw(st.sampled_from(["en", "ko", "ja", "xx", ""]))
        elif name == "format":
            body[name] = draw(st.sampled_from(["html", "md", "tex", "pdf", ""]))
        elif name == "notation":
            body[name] = draw(st.sampled_from(["theta", "ng", "nope", ""]))
        else:
            body[name] = draw(_field)
    kind = draw(st.sampled_from(["json", "json", "json", "raw", "form", "empty"]))
    method = "GET" if path in ("/api/examples", "/", "/lecturer", "/nope") or path.startswith(
        ("/api/examples/", "/api/grade/jobs/", "/static")) else "POST"
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(["GET", "PUT", "DELETE", "POST"]))
    raw = draw(st.sampled_from([b"", b"{", b"[1]", b'"x"', b"null", b"{" * 5000, b'{"spec": "seed002"' + b" " * 10,
                                "\ufeff{}".encode()]))
    return method, path, body, kind, raw


@PROFILE
@given(api_requests())
def test_fuzz_http_api(request):
    method, path, body, kind, raw = request
    c = _client()
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="derive-fuzz-api-") as tmp:
        os.chdir(tmp)
        try:
            if method == "GET":
                r = c.get(path)
            elif kind == "json":
                r = c.request(method, path, content=json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass"),
                              headers={"Content-Type": "application/json"})
            elif kind == "raw":
                r = c.request(method, path, content=raw, headers={"Content-Type": "application/json"})
            elif kind == "form":
                r = c.request(method, path, content=b"spec=seed002", headers={"Content-Type": "application/x-www-form-urlencoded"})
            else:
                r = c.request(method, path)
        finally:
            os.chdir(here)
        assert not (Path(tmp) / MARKER).exists(), f"{path} ran code"
        assert list(Path(tmp).iterdir()) == [], f"{path} wrote into the working folder"
    HTTP[f"{r.status_code // 100}xx"] += 1
    TESTS["test_fuzz_http_api"] += 1
    if (sum(COUNTS.values()) + sum(HTTP.values())) % 100 == 0:
        _write_report()
    assert r.status_code < 500, f"{method} {path} {body!r}: {r.status_code} {r.text[:300]}"
    if r.headers.get("content-type", "").startswith("application/json"):
        data = r.json()
        if r.status_code >= 400:
            assert isinstance(data.get("error"), str) and "\n" not in data["error"] and "Traceback" not in data["error"]
        from test_security_mathml import assert_allowlisted
        for markup in _mathml_in(data):
            assert_allowlisted(markup)
    elif path == "/api/notes":
        raise AssertionError("notes answered without JSON")


def _mathml_in(data):
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "mathml" and isinstance(v, str):
                yield v
            elif k == "mathml" and isinstance(v, list):
                yield from (m for m in v if isinstance(m, str))
            elif k == "text" and isinstance(v, str) and "<math" in v:
                import re
                yield from re.findall(r"<math.*?</math>", v, re.S)
            else:
                yield from _mathml_in(v)
    elif isinstance(data, list):
        for v in data:
            yield from _mathml_in(v)


def _write_report():
    path = os.environ.get("DERIVE_FUZZ_REPORT")
    if path:
        Path(path).write_text(json.dumps({"profile": "long" if LONG else "ci",
                                          "inputs": sum(COUNTS.values()) + sum(HTTP.values()),
                                          "exit_codes": {str(k): v for k, v in sorted(COUNTS.items())},
                                          "http": dict(sorted(HTTP.items())), "by_test": dict(sorted(TESTS.items()))})
                              + "\n")


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    _write_report()
    if _CLIENT:
        _CLIENT.pop().__exit__(None, None, None)
