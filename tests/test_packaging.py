"""The wheel ships the package, its examples and the templates, and works outside the repo."""
import json
import site
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_in_a_fresh_venv_and_verifies(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = (tmp_path / "dist").glob("derive-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # Dependencies come from the test venv (no network); derive itself only from the wheel.
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    deps = [p for p in site.getsitepackages() if "site-packages" in p]
    Path(purelib, "deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    r = subprocess.run([str(env_dir / "bin" / "derive"), "verify", "seed001", "--json"], cwd=work,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["all_proven"] is True
    where = subprocess.run([str(py), "-c", "import derive, pathlib; p = pathlib.Path(derive.__file__).parent;"
                            "print(p); print((p / 'templates').is_dir())"],
                           cwd=work, capture_output=True, text=True, check=True).stdout.split()
    assert str(env_dir) in where[0] and where[1] == "True"
