"""A quiet install: every package (data-only folders too) is declared, so setuptools ships all files and
prints no "Package would be ignored" warning."""
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def on_disk() -> set[str]:
    """Every folder that a wheel must carry, as a dotted package name (derive/ plus templates/ mapped)."""
    names = set()
    for base, dotted in ((ROOT / "derive", "derive"), (ROOT / "templates", "derive.templates")):
        for folder in [base, *base.rglob("*")]:
            if folder.is_dir() and "__pycache__" not in folder.parts and any(f.is_file() for f in folder.iterdir()):
                rel = folder.relative_to(base).parts
                names.add(".".join((dotted, *rel)))
    return names


def test_every_folder_is_a_declared_package():
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(tool["packages"]) == on_disk()
    assert tool["package-dir"] == {"derive.templates": "templates"}


def test_a_wheel_builds_without_setuptools_warnings(tmp_path):
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    said = r.stdout + r.stderr
    assert "would be ignored" not in said and "SetuptoolsDeprecationWarning" not in said
    assert "Successfully built derive-" in said
