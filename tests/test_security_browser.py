"""A hostile derivation pasted into the student page, in real Chromium: every element in every result
area is one the page makes itself or MathML of the allowlist; no image, no link, no handler, no style.

The derivation mixes a right step with the \\text/\\mbox/\\fbox/\\verb/\\href/\\style/\\class family; its
steps are shown through /api/mathml and the page's DOM walk (no innerHTML of server strings)."""
from __future__ import annotations

import pytest

from derive.notes.sanitize import ATTRIBUTES, ELEMENTS
from serving import Served
from test_serve_browser import ARGS, CHROMIUM, TIMEOUT

HOSTILE = "\n\n".join([
    r"$$\frac{\partial E}{\partial w_{11}} = \delta_{z_1} x_1$$",
    r'$$\frac{\partial E}{\partial w_{11}} = \text{<img/src="x"/onerror="window.pwned=1"><a/href="https://evil.example/">click</a>}$$',
    r"$$\frac{\partial E}{\partial w_{12}} = \mbox{<img src=x onerror=window.pwned=2>} + \fbox{<a href=https://evil.example/>y</a>}$$",
    r"$$\frac{\partial E}{\partial w_{21}} = \href{javascript:window.pwned=3}{x_1} \style{position:fixed;top:0}{x_2}$$",
    r'$$\frac{\partial E}{\partial w_{22}} = \class{ok}{x_1} \color{red" onmouseover="window.pwned=4}{x_2} \verb|<b>x</b>|$$',
    r"$$\frac{\partial E}{\partial b_1} = \text{&lt;img src=x onerror=window.pwned=5&gt;} \text{</mtext></math><img src=x>}$$",
])
# the page's own markup in a result area (tables, verdicts, code for unreadable LaTeX)
PAGE_TAGS = {"div", "span", "p", "table", "tr", "td", "th", "code", "ul", "ol", "li", "strong", "b", "em", "details",
             "summary", "pre", "button", "h3", "h4", "small", "tbody", "thead"}
AREAS = ["#preview", "#verdict", "#steps", "#lines", "#derivation-error", "#answer-error"]

SCAN = """([areas, mathml, mathAttrs, pageTags]) => {
  const bad = [];
  for (const sel of areas) {
    const area = document.querySelector(sel);
    if (!area) continue;
    for (const e of area.querySelectorAll("*")) {
      const isMath = e.namespaceURI === "http://www.w3.org/1998/Math/MathML";
      if (isMath ? !mathml.includes(e.localName) : !pageTags.includes(e.localName)) bad.push(`${sel}: <${e.localName}>`);
      for (const a of e.attributes) {
        const ok = isMath ? mathAttrs.includes(a.name) || (e.localName === "math" && a.name === "xmlns")
                          : ["class", "id", "data-kind", "colspan", "title"].includes(a.name);
        if (!ok || /^on/i.test(a.name) || /javascript:/i.test(a.value)) bad.push(`${sel}: <${e.localName} ${a.name}>`);
      }
    }
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Served(tmp_path_factory.mktemp("serve-security"))
    yield s
    assert "Traceback" not in s.stop()


@pytest.fixture(scope="module")
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(TIMEOUT)
        requests = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.goto(server.url + "/")
        pg.wait_for_selector("#param option[value=w11]", state="attached")
        yield pg, requests
        browser.close()


def scan(pg) -> list[str]:
    return pg.evaluate(SCAN, [AREAS, sorted(ELEMENTS), sorted(ATTRIBUTES), sorted(PAGE_TAGS)])


def test_hostile_derivation_shows_text_not_markup(page, server):
    pg, requests = page
    pg.fill("#derivation", HOSTILE)
    pg.click("#check-derivation")
    pg.wait_for_selector("#steps-table")
    rows = pg.locator("#steps-table td.step-maths")
    assert rows.count() == 6
    assert pg.locator("#steps-table td.step-maths math").count() >= 5      # the maths drawn, as MathML
    assert scan(pg) == []
    assert pg.locator("#steps img, #steps a, #steps [style]").count() == 0
    shown = pg.inner_text("#steps-table")
    assert '<img/src="x"/onerror=' in shown and "click</a>" in shown      # what was typed, as text
    assert pg.evaluate("window.pwned") is None
    assert not [u for u in requests if not u.startswith(server.url)]     # nothing fetched from elsewhere
    assert not [u for u in requests if u.startswith(server.url + "/x")]  # no image requested


def test_hostile_answer_preview(page):
    pg, _ = page
    pg.select_option("#param", "w11")
    pg.get_by_label("Answer", exact=True).fill(r'\text{<img src=x onerror="window.pwned=6">} + x_1')
    pg.click("#check")
    pg.wait_for_selector("#verdict *, #answer-error:not(:empty)")
    assert scan(pg) == []
    assert pg.evaluate("window.pwned") is None
