"""Make the README's pictures of ``derive serve`` and of the tour notebook (run: python docs/screenshots.py).

Starts ``derive serve`` on 127.0.0.1 (a free port), drives the Debian Chromium with Playwright as a
student and a lecturer would, executes examples/tour.ipynb with nbclient and lays its cells and outputs
out as one HTML page in two columns (code, then what Jupyter shows), and writes docs/serve-student.png,
docs/serve-derivation.png, docs/serve-lecturer.png, docs/serve-tensor.png and docs/notebook-tour.png.
"""
from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DATA = ROOT / "tests" / "data"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def serve():
    proc = subprocess.Popen([sys.executable, "-m", "derive", "serve", "--port", "0", "--json"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    return proc, json.loads(proc.stdout.readline())["url"].rstrip("/")


def pages(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1050})
    page.set_default_timeout(120_000)
    page.goto(url + "/")
    page.wait_for_selector("#param option[value=w11]", state="attached")
    page.frame_locator("#notes").locator("svg circle").first.wait_for()
    page.fill("#answer", "delta_y1*w31*z1*(1-z1)*x1")
    page.wait_for_selector("#preview-math math")
    page.click("#check")
    page.wait_for_selector("#verdict-status")
    page.screenshot(path=str(DOCS / "serve-student.png"))
    page.fill("#derivation", (DATA / "seed002_wrong.md").read_text())
    page.click("#check-derivation")
    page.wait_for_selector("#steps-table")
    page.locator("#derivation-section").screenshot(path=str(DOCS / "serve-derivation.png"))
    page.goto(url + "/lecturer")
    page.wait_for_selector("#spec-name:has-text('trainable parameters')")
    page.set_input_files("#csv-file", str(DATA / "class_seed002.csv"))
    page.click("#grade")
    page.wait_for_selector("#summary-table")
    page.screenshot(path=str(DOCS / "serve-lecturer.png"))
    page.close()


def tensor_page(browser, url: str):
    """The student page with a tensor program: one wrong formula for dW2, and a backward pass marked."""
    page = browser.new_page(viewport={"width": 1400, "height": 1050})
    page.set_default_timeout(120_000)
    page.goto(url + "/")
    page.wait_for_selector("#param option[value=w11]", state="attached")
    page.select_option("#example", "cs231n")
    page.wait_for_selector("#param option[value=dW2]", state="attached")
    page.select_option("#param", "dW2")
    page.fill("#answer", "dlogits.T @ h")
    page.wait_for_selector("#preview-math math")
    page.click("#check")
    page.wait_for_selector("#verdict-table")
    lines = (DATA / "backward" / "cs231n_right.py").read_text()
    page.fill("#backward", lines.replace("db2 = dlogits.sum(axis=0)", "db2 = dlogits"))
    page.click("#check-backward")
    page.wait_for_selector("#lines-table")
    page.frame_locator("#notes").locator("math").first.wait_for()
    page.screenshot(path=str(DOCS / "serve-tensor.png"), full_page=True)
    page.close()


def markdown_html(source: str) -> str:
    """A markdown cell as Jupyter shows it: headings, paragraphs, `code` and $maths$ (MathML)."""
    from latex2mathml.converter import convert

    def inline(text: str) -> str:
        parts = re.split(r"(`[^`]+`|\$[^$]+\$)", text)
        return "".join(f"<code>{html.escape(p[1:-1])}</code>" if p.startswith("`") else
                       convert(p[1:-1]) if p.startswith("$") else html.escape(p) for p in parts)
    out = []
    for block in source.split("\n\n"):
        m = re.match(r"(#{1,6})\s+(.*)", block.strip())
        out.append(f"<h{len(m.group(1))}>{inline(m.group(2))}</h{len(m.group(1))}>" if m
                   else f"<p>{inline(block.strip())}</p>")
    return '<div class="md">' + "\n".join(out) + "</div>"


def notebook_html() -> str:
    import nbclient
    import nbformat
    nb = nbformat.read(ROOT / "examples" / "tour.ipynb", as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
    out = ['<html><head><meta charset="utf-8"><style>body{font-family:"Noto Sans",sans-serif;margin:1rem 2rem;'
           'color:#222;display:flex;gap:3rem} body>div{flex:1 1 0;min-width:0} pre.in{background:#f5f7fa;border:1px solid #d6dbe1;padding:.5em;'
           'border-radius:4px} .md{margin:1em 0} math{font-size:1.1em}</style></head><body>']
    count, columns = 0, [[], []]
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
        side = columns[0 if count <= 2 else 1]     # the network and a gradient | the rest
        if cell.cell_type == "markdown":
            side.append(markdown_html(cell.source))
            continue
        side.append(f'<p style="color:#888;margin:.2em 0">In [{count}]:</p><pre class="in">{html.escape(cell.source)}</pre>')
        for o in cell.outputs:
            data = o.get("data", {})
            if "text/html" in data:
                side.append(data["text/html"])
            elif "image/png" in data:
                side.append(f'<img src="data:image/png;base64,{data["image/png"].strip()}">')
            elif o.get("text"):
                side.append(f"<pre>{html.escape(o['text'])}</pre>")
    out += ["<div>" + "\n".join(c) + "</div>" for c in columns]
    out.append("</body></html>")
    return "\n".join(out)


def main():
    from playwright.sync_api import sync_playwright
    DOCS.mkdir(exist_ok=True)
    proc, url = serve()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            pages(browser, url)
            tensor_page(browser, url)
            page = browser.new_page(viewport={"width": 1800, "height": 1200})
            page.set_content(notebook_html())
            page.screenshot(path=str(DOCS / "notebook-tour.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    for name in ("serve-student", "serve-derivation", "serve-lecturer", "serve-tensor", "notebook-tour"):
        png = DOCS / f"{name}.png"
        print(png, f"{png.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
