"""Matrix-form notes of tensor programs: every example, format and language; code that checks right."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from derive.checking.backward import check_backward
from derive.cli import main
from derive.notes.tensor import build, render
from derive.tensor.program import bundled_tensor_examples

EXAMPLES = bundled_tensor_examples()


@pytest.mark.parametrize("name", EXAMPLES)
def test_notes_show_every_line_proven_with_code_that_checks_right(name):
    notes = build(name, "en")
    assert notes.backward and all(r.note.startswith("proven: all") for r in notes.backward)
    code = "\n".join(r.code for r in notes.backward)
    assert check_backward(name, code).correct
    assert all(r.shape for r in notes.forward + notes.backward)


@pytest.mark.parametrize("lang", ["en", "ko", "ja"])
@pytest.mark.parametrize("fmt", ["md", "tex", "html"])
def test_every_format_and_language_carries_every_equation(fmt, lang):
    notes = build("cs231n", lang)
    page = render(notes, fmt, lang)
    for r in notes.backward:
        code = r.code if fmt != "tex" else r.code.replace("_", "\\_")
        assert code in page or r.code.replace(">", "&gt;") in page, (fmt, r.code)
    if fmt == "html":
        assert page.count("<math") >= len(notes.backward) + len(notes.forward)
    if fmt == "md":
        assert "$$\n\\mathrm{d}W_{2} = {h}^{\\top}\\, \\mathrm{d}\\mathrm{logits}\n$$" in page
    assert "1/N" in page


def test_mean_over_the_batch_is_made_explicit():
    notes = build("cs231n", "en")
    assert "1/N enters the backward pass at dprobs" in notes.mean


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex not installed")
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_tex_compiles(lang, tmp_path):
    assert main(["notes", "ninja", "--format", "tex", "--lang", lang, "--out", str(tmp_path)]) == 0
    tex = tmp_path / "ninja" / f"notes.{lang}.tex"
    run = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=tex.parent, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tex.parent / f"notes.{lang}.pdf").stat().st_size > 10_000


def test_html_notes_fit_1000px_in_chromium_and_are_not_blank(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    import numpy as np
    from matplotlib import image as mpimg
    assert main(["notes", "ninja", "--format", "html", "--lang", "en,ko", "--out", str(tmp_path)]) == 0
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update"]
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        for lang in ("en", "ko"):
            tab = b.new_page(viewport={"width": 1000, "height": 900})
            tab.goto((tmp_path / "ninja" / f"notes.{lang}.html").as_uri())
            assert tab.evaluate("document.documentElement.scrollWidth") <= 1000
            assert tab.evaluate("document.querySelectorAll('.line').length") == 26
            shot = tmp_path / f"{lang}.png"
            tab.screenshot(path=str(shot), full_page=True)
            tab.close()
            img = np.asarray(mpimg.imread(shot))[..., :3]
            assert float((img < 0.85).any(axis=-1).mean()) > 0.02
        b.close()
