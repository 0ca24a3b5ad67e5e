"""The folder tree is the architecture: no import cycles, and no stage imports a stage above it."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "derive"
# Pipeline order: a module may import its own stage and any stage to its left, never one to its right.
STAGES = ["errors|version|safeio", "sandbox", "model", "derivation", "tensor", "frameworks", "notes|codegen|checking",
          "api", "cli|serve", "__init__", "__main__"]


def _rank(module: str) -> int:
    first = module.split(".")[1] if "." in module else "__init__"
    for i, group in enumerate(STAGES):
        if first in group.split("|"):
            return i
    raise AssertionError(f"{module}: not in any stage; add it to STAGES")


def _module_name(path: Path) -> str:
    parts = ("derive",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


DISPLAY = "derive.notes.display"   # the one upward import allowed, and only inside a ``_repr_*`` method


def _imports(path: Path) -> list[str]:
    """Modules of derive imported at run time (``if TYPE_CHECKING:`` blocks are skipped).

    A ``_repr_*`` method (Jupyter's display protocol) may import DISPLAY when it runs: an object
    of a lower stage is drawn by the notes stage without loading it with the object's module.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
            and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
    shown = {id(n) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
             and node.name.startswith("_repr_") for n in ast.walk(node)}
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
            if target == DISPLAY and id(node) in shown:
                continue
            if target.startswith("derive"):
                for alias in node.names:   # "from . import x" imports the module x
                    sub = f"{target}.{alias.name}"
                    out.append(sub if (ROOT.parent / (sub.replace(".", "/") + ".py")).exists()
                               or (ROOT.parent / sub.replace(".", "/")).is_dir() else target)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("derive")]
    return out


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_stage_imports_a_higher_stage(module):
    if module == "derive" or module == "derive.__main__":
        return   # the public surface and the entry point sit on top
    for target in _imports(MODULES[module]):
        assert _rank(target) <= _rank(module), f"{module} imports {target}, a higher stage"


def test_no_import_cycles():
    graph = {m: {t for t in _imports(p) if t in MODULES and t != m} for m, p in MODULES.items()}
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(t):] + [t]))
            if t not in state:
                visit(t, stack + [t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_every_stage_says_what_it_takes_and_gives():
    for pkg in ROOT.iterdir():
        if (pkg / "__init__.py").exists() and pkg.name not in ("examples", "__pycache__"):
            doc = ast.get_docstring(ast.parse((pkg / "__init__.py").read_text(encoding="utf-8")))
            assert doc and "ake" in doc and "give" in doc, f"derive/{pkg.name}/__init__.py needs a docstring"


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
