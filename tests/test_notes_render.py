"""Lecture notes through real tools: LaTeX engines compile them, headless Chromium renders them,
and the committed gallery in output/ is what the documented command produces today."""
from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

import derive
from derive.notes import content as notes_mod
from derive.notes import render
from derive.cli import main
from derive.cli.notes import GALLERY_LANGS, gallery_examples
from derive.tensor.program import bundled_tensor_examples

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def write(name: str, tmp_path: Path, fmt: str, lang: str) -> Path:
    d = derive.derive(name)
    n = notes_mod.build(d)
    return render.write_atomic(tmp_path, f"{name}/notes.{lang}.{fmt}", render.render(n, d.net, fmt, lang))


@pytest.mark.parametrize("name, lang, engine", [("seed002", "en", "pdflatex"), ("seed000", "ko", "xelatex"),
                                                ("seed001", "en", "xelatex")])
def test_tex_compiles_with_a_real_engine(tmp_path, name, lang, engine):
    tex = write(name, tmp_path, "tex", lang)
    run = subprocess.run([engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=tex.parent, capture_output=True, text=True, timeout=300)
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    pdf = tex.with_suffix(".pdf")
    assert pdf.stat().st_size > 10_000
    assert "Missing character" not in log        # every Hangul/kana glyph found in the font


def screenshot(html: Path, png: Path, profile: Path, size="1200,2000"):
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={size}",
                    html.as_uri()], capture_output=True, timeout=120, check=True)
    return mpimg.imread(png)


def test_html_renders_in_headless_chromium_without_math_errors(tmp_path):
    html = write("seed000", tmp_path, "html", "ko")
    text = html.read_text()
    assert "<merror" not in text and "http://" not in text.replace("http://www.w3.org/", "")
    assert "<math" in text and "<svg" in text and "$$" not in text
    img = screenshot(html, tmp_path / "shot.png", tmp_path / "profile")
    ink = (img[..., :3] < 0.85).any(axis=-1)
    assert img.shape[0] >= 1900 and ink.mean() > 0.02        # text, maths and diagram drawn
    assert ink[: img.shape[0] // 2].mean() > 0.02 and ink[img.shape[0] // 2:].mean() > 0.01


def test_gallery_is_up_to_date(tmp_path):
    """Regenerate with the documented command and compare byte for byte with output/."""
    assert main(["notes", "--gallery", "--out", str(tmp_path)]) == 0
    examples = gallery_examples()
    assert {"seed000", "seed001", "seed002", "seed003", "seed004", "classic"} <= set(examples)
    assert set(bundled_tensor_examples()) <= set(examples)
    for name in examples:
        fresh = sorted(p.name for p in (tmp_path / name).iterdir())
        notes = {f"notes.{lang}.{fmt}" for lang in GALLERY_LANGS for fmt in render.FORMATS}
        assert notes | ({"diagram.svg"} if name not in bundled_tensor_examples() else set()) <= set(fresh)
        assert all(f.startswith("paths-") and f.endswith(".svg") for f in fresh
                   if f != "diagram.svg" and not f.startswith("notes."))
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / name, ROOT / "output" / name, fresh, shallow=False)
        assert not mismatch and not errors, (
            f"output/{name} is stale ({mismatch + errors}); run: derive notes --gallery --out output")
    for index in ("index.html", "index.md"):           # the gallery's index links every example's notes
        text = (tmp_path / index).read_text(encoding="utf-8")
        assert text == (ROOT / "output" / index).read_text(encoding="utf-8"), f"output/{index} is stale"
        assert all(f"{name}/notes.{lang}.{fmt}" in text for name in examples for lang in GALLERY_LANGS
                   for fmt in render.FORMATS)


def test_gallery_screenshot_for_the_readme_is_not_blank():
    img = mpimg.imread(ROOT / "output" / "seed002" / "notes.en.png")
    ink = (np.asarray(img)[..., :3] < 0.85).any(axis=-1)
    assert ink.mean() > 0.02
