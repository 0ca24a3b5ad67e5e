"""The folder tree is the architecture: no import loops anywhere, and no stage imports a stage above it.

Every import counts: at the top of a module, inside a function (a lazy import is still a dependency),
and ``importlib.import_module("derive....")`` with a constant name or prefix; only ``if TYPE_CHECKING:``
blocks are skipped (they never run).  Loops are looked for between modules (inside a stage too), between
the sub-packages of one stage, and in ``benchmarks/``.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "derive"
BENCHMARKS = ROOT.parent / "benchmarks"
# Pipeline order: a module may import its own stage and any stage to its left, never one to its right.
STAGES = ["errors|version|safeio|jupyter", "sandbox", "model", "derivation", "tensor", "frameworks",
          "notes|codegen|checking", "api", "cli|serve", "__init__", "__main__"]


def _rank(module: str) -> int:
    first = module.split(".")[1] if "." in module else "__init__"
    for i, group in enumerate(STAGES):
        if first in group.split("|"):
            return i
    raise AssertionError(f"{module}: not in any stage; add it to STAGES")


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = (root.name,) + path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = ROOT.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or path.is_dir()


def _dynamic(node: ast.Call) -> str | None:
    """The module ``importlib.import_module(...)`` / ``__import__(...)`` names, when its text starts with a
    constant (an f-string's constant head: ``f"derive.cli.{name}"`` is a module of derive.cli)."""
    f = node.func
    called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
    if called not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        return str(arg.values[0].value).rstrip(".") or None
    return None


def _imports(path: Path, root: Path = ROOT) -> list[str]:
    """Modules of the tree under ``root`` that ``path`` imports (``if TYPE_CHECKING:`` blocks skipped)."""
    top = root.name
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
            and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == top or target.startswith(top + "."):
                for alias in node.names:   # "from . import x" imports the module x
                    sub = f"{target}.{alias.name}"
                    exists = (root.parent / (sub.replace(".", "/") + ".py")).exists() \
                        or (root.parent / sub.replace(".", "/")).is_dir()
                    out.append(sub if exists else target)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name == top or a.name.startswith(top + ".")]
        elif isinstance(node, ast.Call):
            target = _dynamic(node)
            if target and (target == top or target.startswith(top + ".")):
                out.append(target)
    return out


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
BENCH = {_module_name(p, BENCHMARKS): p for p in sorted(BENCHMARKS.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_stage_imports_a_higher_stage(module):
    for target in _imports(MODULES[module]):
        assert _rank(target) <= _rank(module), f"{module} imports {target}, a higher stage"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One loop of ``graph`` (a list of nodes, the first repeated at the end), or None."""
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                return stack[stack.index(t):] + [t]
            if t not in state:
                found = visit(t, stack + [t])
                if found:
                    return found
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m, [m])
            if found:
                return found
    return None


def _module_graph(modules: dict, root: Path = ROOT) -> dict[str, set[str]]:
    return {m: {t for t in _imports(p, root) if t in modules and t != m} for m, p in modules.items()}


def test_no_import_loop_between_modules():
    loop = _cycle(_module_graph(MODULES))
    assert loop is None, "import loop: " + " -> ".join(loop or [])


def test_no_import_loop_between_the_packages_of_a_stage():
    """notes, codegen and checking share a stage (as do cli and serve): they may import each other, but
    one way only."""
    graph: dict[str, set[str]] = {}
    for m, p in MODULES.items():
        a = m.split(".")[1] if "." in m else "__init__"
        for t in _imports(p):
            b = t.split(".")[1] if "." in t else "__init__"
            if a != b:
                graph.setdefault(a, set()).add(b)
    loop = _cycle(graph)
    assert loop is None, "import loop between sub-packages: " + " -> ".join(loop or [])


def test_no_import_loop_in_the_benchmarks():
    loop = _cycle(_module_graph(BENCH, BENCHMARKS))
    assert loop is None, "import loop: " + " -> ".join(loop or [])


def test_the_rules_catch_what_they_forbid(tmp_path):
    """The checks above can fail: a lazy upward import, a dynamic one, and a loop are each caught."""
    pkg = tmp_path / "derive"
    (pkg / "model").mkdir(parents=True)
    (pkg / "notes").mkdir()
    for d in (pkg, pkg / "model", pkg / "notes"):
        (d / "__init__.py").write_text("")
    (pkg / "model" / "graph.py").write_text(
        "def _repr_html_(self):\n    from ..notes.display import html\n    return html(self)\n"
        "def later():\n    import importlib\n    return importlib.import_module(f'derive.notes.{1}')\n")
    (pkg / "notes" / "display.py").write_text("from ..model import graph\n")
    found = _imports(pkg / "model" / "graph.py", pkg)
    assert found == ["derive.notes.display", "derive.notes"] or sorted(found) == sorted(
        ["derive.notes.display", "derive.notes"])
    assert all(_rank(t) > _rank("derive.model.graph") for t in found)
    modules = {_module_name(p, pkg): p for p in pkg.rglob("*.py")}
    assert _cycle(_module_graph(modules, pkg)) == ["derive.model.graph", "derive.notes.display", "derive.model.graph"]


def test_every_stage_says_what_it_takes_and_gives():
    for pkg in ROOT.iterdir():
        if (pkg / "__init__.py").exists() and pkg.name not in ("examples", "__pycache__"):
            doc = ast.get_docstring(ast.parse((pkg / "__init__.py").read_text(encoding="utf-8")))
            assert doc and "ake" in doc and "give" in doc, f"derive/{pkg.name}/__init__.py needs a docstring"
            assert "mported by" in doc, f"derive/{pkg.name}/__init__.py: say which stages may import it"


def test_cli_names_every_optimizer():
    from derive.cli.train import OPTIMIZERS
    from derive.codegen.optim import OPTIMIZERS as table
    assert sorted(OPTIMIZERS) == sorted(table)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["check", "--help"], ["verify", "--help"]])
def test_light_start_up_does_not_import_sympy(argv):
    code = ("import sys, runpy; sys.argv = ['derive'] + %r\n"
            "try:\n    runpy.run_module('derive', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('LOADED', 'sympy' in sys.modules, 'numpy' in sys.modules, file=sys.stderr)" % argv)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=ROOT.parent)
    assert "LOADED False False" in run.stderr, run.stderr


def test_every_package_ships_in_the_wheel():
    import tomllib
    listed = set(tomllib.loads((ROOT.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {_module_name(p / "__init__.py") for p in ROOT.rglob("*") if (p / "__init__.py").exists()}
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {sorted(found - listed)}"


def test_jupyter_display_reaches_the_notes_stage_only_through_the_registry():
    """A network is shown in a notebook without its stage importing notes: the registry loads the drawers
    on the first display, and an object with no drawer falls back to its plain repr (None)."""
    code = ("import sys\nfrom derive.model.build import load\nfrom derive import jupyter\n"
            "net = load('seed002')\nassert 'derive.notes.display' not in sys.modules\n"
            "html = net._repr_html_()\nassert 'derive.notes.display' in sys.modules and '<svg' in html\n"
            "class Plain: pass\nassert jupyter.html(Plain()) is None\n"
            "jupyter.register('html', 'Plain', lambda o: '<b>plain</b>')\nassert jupyter.html(Plain()) == '<b>plain</b>'\n"
            "print('OK')")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT.parent)
    assert run.stdout.strip() == "OK", run.stderr
