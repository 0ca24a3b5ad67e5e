"""How the notes look: every gallery page in real Chromium at 1000 px, PDFs turned into PNG pages,
the diagram's lit paths in their terms' colours, labels that never overlap, nodes that hold their text."""
from __future__ import annotations

import re
import shutil
import subprocess
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

import derive
from derive.cli import main
from derive.model.build import mlp
from derive.notes import content as notes_mod
from derive.notes import diagram, render
from derive.notes.eqs import COLOUR_HEX

ROOT = Path(__file__).resolve().parent.parent
GALLERY_PAGES = sorted((ROOT / "output").glob("*/notes.*.html")) + [ROOT / "output" / "index.html"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def ink(img) -> float:
    """Share of pixels that are not near-white."""
    return float((np.asarray(img)[..., :3] < 0.85).any(axis=-1).mean())


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_the_gallery_has_pages():
    assert len(GALLERY_PAGES) >= 12


@pytest.mark.parametrize("page", GALLERY_PAGES, ids=lambda p: str(p.relative_to(ROOT / "output")))
def test_gallery_page_fits_1000px_without_sideways_scrolling(browser, page, tmp_path):
    tab = browser.new_page(viewport={"width": 1000, "height": 900})
    tab.goto(page.as_uri())
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 1000, f"{page}: {width} px wide at a 1000 px window"
    # nothing outside a closed <details> (the folded direct derivative) scrolls inside its own box
    # by more than a few pixels: long equations arrive broken into lines
    boxes = tab.evaluate("""() => [...document.querySelectorAll('.eq')]
        .filter(e => !e.closest('details') && e.scrollWidth > e.clientWidth + 40)
        .map(e => e.textContent.slice(0, 60))""")
    assert len(boxes) <= 2, boxes
    shot = tmp_path / "shot.png"
    tab.screenshot(path=str(shot))
    tab.close()
    assert ink(mpimg.imread(shot)) > 0.02


def test_lit_paths_are_drawn_in_their_terms_colours():
    d = derive.derive("seed000")
    n = notes_mod.build(d, ["theta1_11"])
    block = n.params[0]
    assert [pb.colour for pb in block.paths] == ["blue", "orange"]          # seed 000's two paths
    svg = diagram.svg(d.net, block)
    strokes = re.findall(r'<line [^>]*stroke="(#[0-9a-f]{6})"[^>]*class="path" data-colour="([a-z]+)"', svg)
    assert {s for s, _ in strokes} == {COLOUR_HEX["blue"], COLOUR_HEX["orange"]}
    assert all(COLOUR_HEX[name] == s for s, name in strokes)
    # the blue path runs through a^(3)_1, the orange through a^(3)_2 (the seed's picture), both from x_1
    lit = diagram.lit_edges(d.net, block)
    assert lit[("a2_1", "a3_1")] == ["blue"] and lit[("a3_1", "J")] == ["blue"]
    assert lit[("a2_1", "a3_2")] == ["orange"] and lit[("a3_2", "J")] == ["orange"]
    assert lit[("x1", "a2_1")] == ["blue", "orange"] and ("x2", "a2_1") not in lit
    # the equations colour each path's terms with the same hex (MathML) and the same name (LaTeX)
    html = render.render(n, d.net, "html", "en")
    section = html.split('data-param="theta1_11"')[1]
    colours = re.findall(r'mathcolor="(#[0-9a-f]{6})"', section)
    assert set(colours) == {COLOUR_HEX["blue"], COLOUR_HEX["orange"]}
    tex = render.render(n, d.net, "tex", "en")
    assert r"\definecolor{blue}{HTML}{%s}" % COLOUR_HEX["blue"][1:] in tex
    md = render.render(n, d.net, "md", "en")
    assert r"{\color{blue} \frac{\partial J(\theta)}{\partial a^{(3)}_{1}}" in md
    assert r"{\color{orange} \frac{\partial J(\theta)}{\partial a^{(3)}_{2}}" in md
    # faded: every other edge is grey
    others = re.findall(r'<line [^>]*stroke="([^"]+)"[^>]*marker-end="[^"]+"/>', svg)
    assert diagram.FADED in others


NETWORKS = {
    "2-wide": lambda: mlp([2, 2, 2], bias="per-unit"),
    "3-wide": lambda: mlp([3, 3, 3, 1], bias="per-unit", notation="theta"),
    "5-wide": lambda: mlp([5, 5, 2], bias="per-unit", notation="ng"),
    "seed002": lambda: derive.load("seed002"),
    "seed003": lambda: derive.load("seed003"),
    "seed001": lambda: derive.load("seed001"),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_labels_never_overlap_each_other_or_a_node(name):
    net = NETWORKS[name]()
    lay = diagram.layout(net)
    labels = [e for e in lay.edges if e.label]
    if net.spec.layered:
        assert len(labels) == sum(len(r) for L in net.spec.layers for r in L.weights) + \
            sum(1 for L in net.spec.layers for b in L.biases if b)        # every weight and bias labelled
    for a, b in combinations(labels, 2):
        assert not a.box.overlaps(b.box), (a.label, b.label)
    for e in labels:
        for node in lay.pos:
            assert not e.box.overlaps(lay.node_box(node)), (e.label, node)
    for a, b in combinations(lay.pos, 2):
        assert not lay.node_box(a).overlaps(lay.node_box(b)), (a, b)


@pytest.mark.parametrize("name", ["seed002", "seed001", "classic", "seed000"])
def test_no_label_sits_where_another_edge_crosses(name):
    """A label on a crossing could belong to either line: on the seeds' small networks, no other edge
    passes within a few pixels of a label (checked by walking along every other edge)."""
    net = derive.load(name)
    lay = diagram.layout(net)
    for e in (e for e in lay.edges if e.label):
        x0, y0, x1, y1 = e.box.x0 - 2, e.box.y0 - 2, e.box.x1 + 2, e.box.y1 + 2
        for o in lay.edges:
            if (o.src, o.dst) == (e.src, e.dst):
                continue
            (ax, ay), (bx, by) = lay.pos[o.src], lay.pos[o.dst]
            hits = [k for k in range(201) if x0 <= ax + (bx - ax) * k / 200 <= x1
                    and y0 <= ay + (by - ay) * k / 200 <= y1]
            assert not hits, f"{e.label}'s label sits on the edge {o.src} -> {o.dst}"


@pytest.mark.parametrize("name", NETWORKS)
def test_every_node_holds_its_text(name):
    net = NETWORKS[name]()
    lay = diagram.layout(net)
    for node, r in lay.radius.items():
        assert 2 * r >= diagram.text_width(diagram.node_latex(net, node)) + 8, node
    if name == "seed002":   # "error" (seed 002's loss) is wider than a one-letter node
        assert lay.radius["error"] > diagram.R


def test_readme_screenshot_of_seed000s_two_lit_paths_is_not_blank():
    img = mpimg.imread(ROOT / "output" / "seed000" / "paths.png")
    assert ink(img) > 0.02
    blue = np.array([int(COLOUR_HEX["blue"][k:k + 2], 16) / 255 for k in (1, 3, 5)])
    orange = np.array([int(COLOUR_HEX["orange"][k:k + 2], 16) / 255 for k in (1, 3, 5)])
    px = np.asarray(img)[..., :3]
    for colour in (blue, orange):                  # both paths are lit in the picture
        assert (np.abs(px - colour).max(axis=-1) < 0.08).mean() > 0.002


def test_bias_nodes_are_drawn_when_there_are_biases():
    svg = diagram.svg(derive.load("seed003"))
    assert svg.count(">1</text>") == 2                       # one bias node per layer
    assert "marker-end" in svg
    assert ">1</text>" not in diagram.svg(derive.load("seed000"))


# ---------------------------------------------------------------------------------------------
# PDFs: compiled by `derive notes --format pdf`, turned into PNG pages by pdftoppm

@pytest.mark.parametrize("name, lang, most", [("seed000", "en", 10), ("seed000", "ko", 10), ("seed003", "en", 16),
                                              ("seed001", "ja", 6)])
def test_pdf_compiles_into_a_compact_document(tmp_path, name, lang, most):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    assert main(["notes", name, "--format", "pdf", "--lang", lang, "--out", str(tmp_path)]) == 0
    pdf = tmp_path / name / f"notes.{lang}.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(pages) == int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 2 <= len(pages) <= most, f"{name} {lang}: {len(pages)} pages"
    for p in pages[:-1]:
        assert ink(mpimg.imread(p)) > 0.01, p


def test_pdf_without_a_latex_engine_is_one_clear_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["notes", "seed001", "--format", "pdf", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pdflatex" in err[0] and "--format tex" in err[0]
    assert not (tmp_path / "seed001").exists()
