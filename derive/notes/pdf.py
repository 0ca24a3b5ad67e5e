"""Compile the LaTeX notes to PDF with the engine the language needs (pdflatex for en, xelatex for
ko and ja), in a private temporary folder, without shell escape, under a time limit.

The engine dies with the process that started it (``PR_SET_PDEATHSIG``) and, inside a sandboxed child,
is in that child's process group, killed with it at its time limit; the temporary folder is then inside
the child's own temporary folder, which the parent removes (tested with a kill while LaTeX runs).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import DeriveError
from ..sandbox import die_with_parent

ENGINES = {"en": ("pdflatex", "xelatex"), "ko": ("xelatex",), "ja": ("xelatex",)}
TIMEOUT = 300      # seconds per engine run


def engine_for(lang: str) -> str:
    """The first installed engine that can set ``lang``; a DeriveError saying what to install if none."""
    for name in ENGINES[lang]:
        if shutil.which(name):
            return name
    need = " or ".join(ENGINES[lang])
    raise DeriveError(f"--format pdf needs a LaTeX engine ({need} for {lang}) and none is installed; "
                      "install TeX Live (Debian: texlive-latex-recommended texlive-xetex texlive-pictures "
                      "texlive-lang-cjk) or write --format tex and compile it yourself")


def compile_pdf(tex: str, lang: str) -> bytes:
    """The PDF of the LaTeX document ``tex`` (run twice when LaTeX asks, for table widths)."""
    engine = engine_for(lang)
    with tempfile.TemporaryDirectory(prefix="derive-pdf-") as tmp:
        src = Path(tmp) / "notes.tex"
        src.write_text(tex, encoding="utf-8")
        for _ in range(2):
            try:
                run = subprocess.run([engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                                      src.name], cwd=tmp, capture_output=True, text=True, timeout=TIMEOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
            except subprocess.TimeoutExpired:
                raise DeriveError(f"{engine} took longer than {TIMEOUT} s on the notes") from None
            log = src.with_suffix(".log").read_text(errors="replace") if src.with_suffix(".log").exists() else ""
            if run.returncode != 0:
                first = next((l for l in log.splitlines() if l.startswith("!")), "see its log")
                raise DeriveError(f"{engine} failed on the notes: {first[:200]}")
            if "Rerun" not in log:
                break
        return src.with_suffix(".pdf").read_bytes()
