"""Build a generated C source into a CPython extension module, once per user, and import it.

The source is ours (numbers and identifiers derive generates; no user text).  It is compiled with the
system C compiler (``$CC``, else ``cc``) against the running Python's headers into a per-user cache
directory (``$XDG_CACHE_HOME/derive/kernels``, else ``~/.cache/derive/kernels``; owned by the user and
not writable by others, or nothing is built), named by a hash of the source, the compiler's version,
the flags, the CPU and the Python ABI.  The shared object is written to a temporary file in the same
folder and moved into place (``os.replace``), with a ``.sha256`` of its bytes beside it: a cached
file whose bytes do not match is rebuilt, never loaded.  Anything that goes wrong (no compiler, a
compile error, ``DERIVE_KERNELS=off``, an unsupported platform) gives None: the caller keeps its NumPy
code.  One line at logging's debug level says why.

Why an extension module and not ctypes: a call taking two NumPy arrays by the buffer protocol
(METH_FASTCALL) costs 0.37 µs; the same C through ctypes with ``arr.ctypes.data`` 4.6 µs, 0.7 µs with the
pointers computed in advance, which the reused work arrays do not allow safely (measured 2026-12-03 on
the shared 2-core machine).
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import logging
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("derive.kernels")
# -fno-trapping-math lets gcc turn the selects of cmath into vector blends (NaN compares do not trap);
# gnu11 keeps fused multiply-adds; 512-bit vectors where the CPU has them (x86: AVX-512)
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-shared", "-fPIC", "-std=gnu11", "-w") \
    + (("-mprefer-vector-width=512",) if platform.machine() in ("x86_64", "AMD64") else ())
TIMEOUT = 120           # seconds a compile may take
_LOADED: dict = {}      # module name -> module (one import per process)


def enabled() -> bool:
    """False when ``DERIVE_KERNELS`` says off (off, 0, no, false) or the platform has no ELF builds."""
    if os.environ.get("DERIVE_KERNELS", "").strip().lower() in ("off", "0", "no", "false"):
        return False
    return sys.platform.startswith("linux") and platform.python_implementation() == "CPython"


def cache_dir() -> Path | None:
    """The per-user kernel folder, made if needed; None if it is not safely ours."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    d = Path(base) / "derive" / "kernels"
    try:
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = d.stat()
    except OSError:
        return None
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        return None
    return d


@lru_cache(maxsize=4)
def _compiler(cc: str) -> tuple[str, str] | None:
    """(path, version line) of the C compiler ``cc``, or None."""
    path = shutil.which(cc)
    if path is None:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return path, (out.stdout.splitlines() or [""])[0]


@lru_cache(maxsize=1)
def _cpu() -> str:
    """The CPU's model and flags (-march=native code runs only where they match)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine()
    keep = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags"))][:2]
    return platform.machine() + "\n" + "\n".join(keep)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(body: str, compile: bool = True) -> object | None:
    """The extension module of ``body`` (C text whose module init function is ``PyInit_`` + the name
    given here, written as ``@NAME@`` inside ``body``), taken from the cache or (``compile``) built;
    None if not."""
    if not enabled():
        return None
    cc = _compiler(os.environ.get("CC") or "cc")
    if cc is None:
        log.debug("derive kernels: no C compiler (%s); NumPy code is used", os.environ.get("CC") or "cc")
        return None
    include = sysconfig.get_paths().get("include") or ""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    key = "\0".join([body, cc[1], " ".join(FLAGS), _cpu(), suffix, sys.version])
    name = "derive_kernel_" + hashlib.sha256(key.encode()).hexdigest()[:20]
    if name in _LOADED:
        return _LOADED[name]
    d = cache_dir()
    if d is None or not (Path(include) / "Python.h").is_file():
        log.debug("derive kernels: no cache folder or no Python headers; NumPy code is used")
        return None
    so, sums = d / (name + suffix), d / (name + ".sha256")
    try:
        ok = so.is_file() and sums.read_text().strip() == _digest(so)
    except OSError:
        ok = False
    if not ok and (not compile or not _compile(cc[0], body.replace("@NAME@", name), include, so, sums)):
        return None
    try:
        spec = importlib.util.spec_from_file_location(name, so)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except (ImportError, OSError) as e:
        log.debug("derive kernels: %s did not load (%s); NumPy code is used", so.name, e)
        return None
    _LOADED[name] = module
    return module


def load_kernels(text: str, compile: bool = True) -> object | None:
    """The kernel module of ``text`` (``ctext.c_source``: ``@PRELUDE@`` stands for ``cmath.PRELUDE``);
    with ``compile`` False only one already in the cache."""
    from .cmath import PRELUDE
    try:
        return build(text.replace("@PRELUDE@", PRELUDE), compile)
    except Exception as e:          # never a traceback from an optional speed-up: NumPy code runs
        log.debug("derive kernels: %s; NumPy code is used", e)
        return None


def _compile(cc: str, source: str, include: str, so: Path, sums: Path) -> bool:
    """Compile ``source`` into ``so`` atomically (temporary files in the same folder); True if built."""
    d = so.parent
    fd, tmp_c = tempfile.mkstemp(suffix=".c", dir=d)
    tmp_so = tmp_c[:-2] + ".so.tmp"
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(source)
        out = subprocess.run([cc, *FLAGS, "-I", include, tmp_c, "-o", tmp_so], capture_output=True,
                             text=True, timeout=TIMEOUT, cwd=d)
        if out.returncode != 0:
            log.debug("derive kernels: the C compiler failed (%s); NumPy code is used",
                      (out.stderr.strip().splitlines() or ["no message"])[0][:200])
            return False
        digest = _digest(Path(tmp_so))
        os.replace(tmp_so, so)
        fd2, tmp_sum = tempfile.mkstemp(suffix=".tmp", dir=d)
        with os.fdopen(fd2, "w", encoding="ascii") as f:
            f.write(digest + "\n")
        os.replace(tmp_sum, sums)
        return True
    except (OSError, subprocess.SubprocessError, UnicodeError) as e:
        log.debug("derive kernels: could not build (%s); NumPy code is used", e)
        return False
    finally:
        for p in (tmp_c, tmp_so):
            try:
                os.unlink(p)
            except OSError:
                pass
