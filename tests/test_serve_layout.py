"""The pages' layout in real Chromium at a laptop size (1000x800) and a phone size (390x844): nothing wider
than its card, the verdict brought into view and focused after Check, every table column visible, no
server path on the page, hints in the current example's names, the notes wide on demand.

Screenshots go to $DERIVE_SCREENSHOTS when it is set (to look at them), else to the test's tmp folder."""
from pathlib import Path

import pytest

from serving import SIZES, Served, chromium, open_student, shot, sized_page

DATA = Path(__file__).parent / "data"
WRONG = "delta_y1*w31*z1*(1-z1)*x1"

# Every visible element that reaches out of its card, unless a scrolling box inside the card holds it.
OVERFLOW = """() => {
  const out = [];
  const scrolls = (n) => ["auto", "scroll", "hidden"].includes(getComputedStyle(n).overflowX);
  for (const card of document.querySelectorAll('.card')) {
    if (card.offsetParent === null && getComputedStyle(card).position !== 'fixed') continue;
    const c = card.getBoundingClientRect();
    for (const e of card.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      let holder = false;
      for (let p = e.parentElement; p && p !== card; p = p.parentElement) if (scrolls(p)) { holder = true; break; }
      if (holder) continue;
      if (r.left < c.left - 1 || r.right > c.right + 1)
        out.push(`${card.id} > ${e.tagName.toLowerCase()}#${e.id}.${e.className}: ${Math.round(r.left)}..${Math.round(r.right)} in ${Math.round(c.left)}..${Math.round(c.right)}`);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    out.push(`page ${document.documentElement.scrollWidth} px wide in a ${window.innerWidth} px window`);
  return out;
}"""

# Every cell of a table drawn, inside its card and inside every clipping box around it.
HIDDEN_CELLS = """(sel) => {
  const out = [];
  const table = document.querySelector(sel);
  const card = table.closest('.card').getBoundingClientRect();
  for (const cell of table.querySelectorAll('td')) {
    const r = cell.getBoundingClientRect();
    if (getComputedStyle(cell).display === 'none' || !r.width) {
      if (cell.textContent.trim()) out.push(`hidden: ${cell.textContent.slice(0, 40)}`);
      continue;
    }
    if (r.left < card.left - 1 || r.right > card.right + 1) out.push(`outside its card: ${cell.textContent.slice(0, 40)}`);
    for (let p = cell.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX === 'visible') continue;
      const q = p.getBoundingClientRect();
      if (r.left < q.left - 1 || r.right > q.right + 1) { out.push(`clipped: ${cell.textContent.slice(0, 40)}`); break; }
    }
  }
  return out;
}"""

IN_VIEW = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
  return r.top >= -1 && r.top < window.innerHeight && r.height > 0; }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Served(tmp_path_factory.mktemp("serve-layout"))
    yield s
    assert "Traceback" not in s.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(params=list(SIZES))
def page(request, browser):
    with sized_page(browser, request.param) as pg:
        yield pg


def test_the_verdict_comes_into_view_focused_and_everything_fits(page, server, tmp_path):
    open_student(page, server)
    assert page.evaluate(OVERFLOW) == []
    folded = page.evaluate(r"foldLatex('uses 8 parameters: $\\theta^{(2)}_{11}, \\theta^{(2)}_{12}, w_{1}, w_{2}, "
                           r"w_{3}, w_{4}, f(a, b), w_{6}$ here')")
    assert folded == r"uses 8 parameters: $\theta^{(2)}_{11}, \theta^{(2)}_{12}, w_{1}, \ldots$ (8 in all) here"
    assert page.evaluate("foldLatex('the path through $y_{2}$ is missing')") is None     # short: as it is
    page.select_option("#param", "w11")
    page.fill("#answer", WRONG)
    page.click("#check")
    page.wait_for_selector("#verdict-status")
    assert page.evaluate(IN_VIEW, "#verdict-box")
    assert page.evaluate("document.activeElement.id") == "verdict"
    assert page.get_attribute("#verdict", "aria-live") == "polite"
    assert page.evaluate(OVERFLOW) == []
    shot(page, "student-verdict", tmp_path)
    page.fill("#answer", "delta_z1*")                                # a new input: the old verdict goes
    assert page.inner_text("#verdict") == ""
    page.wait_for_selector("#answer-error:not(:empty)")


def test_a_checked_derivation_fits_with_every_column(page, server, tmp_path):
    open_student(page, server)
    page.fill("#derivation", (DATA / "seed002_wrong.md").read_text())
    page.click("#check-derivation")
    page.wait_for_selector("#steps-table")
    assert page.evaluate(IN_VIEW, "#derivation-summary")
    assert page.evaluate(HIDDEN_CELLS, "#steps-table") == []
    assert page.evaluate(OVERFLOW) == []
    why = page.locator("#steps-table tr.wrong td.why").first.bounding_box()
    step = page.locator("#steps-table tr.wrong td.step-maths").first.bounding_box()
    assert why["width"] > 1.5 * step["width"] or why["width"] > 0.8 * page.viewport_size["width"] - 60
    shot(page, "student-derivation", tmp_path)


def test_hints_follow_the_example_and_notes_open_wide(page, server, tmp_path):
    open_student(page, server)
    assert page.inner_text("#hint-plain") == "delta_y2*x1"       # seed002's own names
    page.select_option("#example", "seed001")
    page.wait_for_selector("#param option[value=W1]", state="attached")
    plain, latex = page.inner_text("#hint-plain"), page.inner_text("#hint-latex")
    assert "delta_" in plain and "z1" not in plain and "x1" not in plain
    assert page.get_attribute("#answer", "placeholder") == plain
    assert page.inner_text("#hint-loss") == "L"
    page.click("#notes-wide")
    box = page.locator("#notes").bounding_box()
    assert box["width"] > 0.9 * page.viewport_size["width"] - 40 and box["height"] > 0.7 * page.viewport_size["height"]
    shot(page, "student-notes-wide", tmp_path)
    page.keyboard.press("Escape")
    assert page.locator("#notes").bounding_box()["width"] < page.viewport_size["width"] - 40


def test_the_answers_table_shows_every_column(page, server, tmp_path):
    page.goto(server.url + "/lecturer")
    page.wait_for_selector("#spec-name:has-text('trainable parameters')")
    page.set_input_files("#csv-file", str(DATA / "class_seed002.csv"))
    page.click("#grade")
    page.wait_for_selector("#summary-table")
    assert page.evaluate(IN_VIEW, "#summary")
    assert page.locator("#rows tr").count() == 21
    assert page.evaluate(HIDDEN_CELLS, "#rows") == []
    assert page.evaluate(HIDDEN_CELLS, "#by-param") == []
    assert page.evaluate(OVERFLOW) == []
    shot(page, "lecturer-report", tmp_path)


def test_a_bad_csv_header_shows_no_server_path_and_stops_the_progress(page, server, tmp_path):
    bad = tmp_path / "answers.csv"
    bad.write_text("who,param,answer\n1,w11,delta_z1*x1\n")             # no student column
    page.goto(server.url + "/lecturer")
    page.wait_for_selector("#spec-name:has-text('trainable parameters')")
    page.set_input_files("#csv-file", str(bad))
    page.click("#grade")
    page.wait_for_selector("#csv-error:not(:empty)")
    said = page.inner_text("body")
    assert "missing column" in page.inner_text("#csv-error")
    assert "derive-serve" not in said and "/tmp" not in said and str(server.tmp) not in said
    page.wait_for_selector("#grade:not([disabled])")
    assert page.get_attribute("#progress", "value") == "0"            # determinate: no longer animating
    assert page.inner_text("#progress-text") == "stopped"
