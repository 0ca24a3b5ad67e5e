"""The pages of ``derive serve`` in real Chromium (Playwright driving the Debian browser, no download):
a student checks an answer and a derivation, a lecturer grades a CSV; every page drawn, not blank."""
import io
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from serving import ARGS, CHROMIUM, TIMEOUT, Served, chromium  # noqa: F401  (ARGS, CHROMIUM: for other tests)

DATA = Path(__file__).parent / "data"
WRONG = "delta_y1*w31*z1*(1-z1)*x1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Served(tmp_path_factory.mktemp("serve-browser"))
    yield s
    assert "Traceback" not in s.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    yield pg
    context.close()
    assert not errors, errors


def not_blank(png: bytes) -> float:
    img = mpimg.imread(io.BytesIO(png), format="png")
    ink = (np.asarray(img)[..., :3] < 0.85).any(axis=-1)
    return ink.mean()


def open_student(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("#param option[value=w11]", state="attached")
    page.frame_locator("#notes").locator("svg circle").first.wait_for()


def test_student_checks_an_answer(page, server):
    open_student(page, server)
    assert page.get_by_label("Answer", exact=True).is_visible()
    page.select_option("#param", "w11")
    page.get_by_label("Answer", exact=True).fill(WRONG)
    page.wait_for_selector("#preview-math math")                    # the live preview of what was read
    assert "31" in page.inner_text("#preview-math")
    page.click("#check")
    page.wait_for_selector("#verdict-status")
    assert "Incorrect" in page.inner_text("#verdict-status")
    item = page.locator("#diagnosis li[data-kind=missing_path]")
    assert "the term for the path through" in item.inner_text() and "is missing" in item.inner_text()
    symbol = item.locator("math").inner_html()                       # y2, as the notation writes it
    assert "<mi>y</mi>" in symbol and "<mn>2</mn>" in symbol
    assert "your formula gives 0.00071165" in page.inner_text("#counterexample")
    assert not_blank(page.screenshot(full_page=True)) > 0.03

    page.get_by_label("Answer", exact=True).fill(r"\delta_{z_1} x_1")
    page.click("#check")
    page.wait_for_selector("#verdict-status:has-text('Correct')")


def test_student_checks_a_derivation(page, server):
    open_student(page, server)
    page.fill("#derivation", (DATA / "seed002_wrong.md").read_text())
    page.click("#check-derivation")
    page.wait_for_selector("#steps-table")
    statuses = page.locator("#steps-table td.status").all_inner_texts()
    assert statuses == ["✓ correct"] * 3 + ["✗ wrong"] * 2
    assert "first wrong step on line 19" in page.inner_text("#derivation-summary")
    assert "path through" in page.locator("#steps-table tr.wrong").first.inner_text()
    assert page.locator("#steps-table td.step-maths math").count() == 5
    assert not_blank(page.screenshot(full_page=True)) > 0.03


def test_spec_errors_next_to_the_field_and_notes_switch(page, server):
    open_student(page, server)
    page.select_option("#lang", "ko")
    page.frame_locator("#notes").locator("html[lang=ko]").wait_for(state="attached")
    page.select_option("#notation", "theta")
    page.wait_for_selector("#notes-status:has-text('theta notation')")
    page.set_input_files("#spec-file", str(DATA.parent.parent / "derive" / "examples" / "seed001.yaml"))
    page.wait_for_selector("#param option[value=W1]", state="attached")   # an uploaded spec is used at once
    page.select_option("#example", "")
    page.fill("#spec", "inputs: 2\nlayers:\n  - units: 2\n    activation: swish\n")
    page.click("#load-spec")
    page.wait_for_selector("#spec-error:not(:empty)")
    error = page.inner_text("#spec-error")
    assert error.startswith("layers[0].activation:") and "\n" not in error


def test_lecturer_grades_a_csv(page, server, tmp_path):
    page.goto(server.url + "/lecturer")
    page.wait_for_selector("#spec-name:has-text('trainable parameters')")
    page.set_input_files("#csv-file", str(DATA / "class_seed002.csv"))
    page.click("#grade")
    page.wait_for_selector("#summary-table")
    assert "20 answers graded" in page.inner_text("#summary-line")
    assert page.inner_text("#progress-text") == "done: 20 of 20 answers graded"
    assert page.locator("#rows tr").count() == 21
    common = page.locator("#common-diagnoses li").first
    assert "the term for the path through" in common.inner_text() and "is missing" in common.inner_text()
    assert "<mi>y</mi>" in common.locator("math").inner_html()         # y2 drawn as the notation writes it
    with page.expect_download() as info:
        page.click("#download-csv")
    report = Path(info.value.path()).read_text()
    assert report.startswith("id,param,answer,status") and report.count("\n") == 21
    assert not_blank(page.screenshot(full_page=True)) > 0.03


def test_student_checks_a_tensor_programs_backward_pass(page, server):
    """cs231n picked from the examples: one formula, then a pasted backward pass, marked as PyTorch marks it."""
    from derive.codegen.tensor import make_values
    from derive.tensor.program import load_program
    from tensor_oracle import torch_truth, torch_verdict
    prog = load_program("cs231n")
    sizes = prog.realistic(40)
    v = make_values(prog, sizes, 2)
    truth = torch_truth(prog, {**v["inputs"], **v["params"]}, sizes)

    open_student(page, server)
    page.select_option("#example", "cs231n")
    page.wait_for_selector("#param option[value=dW2]", state="attached")
    assert page.is_hidden("#derivation-section") and page.is_visible("#backward-section")
    assert page.inner_text("#param-label") == "tensor"
    page.select_option("#param", "dW2")
    page.get_by_label("Answer", exact=True).fill("dlogits.T @ h")
    page.wait_for_selector("#preview-math math")
    page.click("#check")
    page.wait_for_selector("#verdict-status")
    assert "Incorrect" in page.inner_text("#verdict-status")
    assert not torch_verdict(prog, truth, sizes, "dW2", "dlogits.T @ h")
    assert "its transpose is right" in page.inner_text("#verdict [data-kind=transpose]")

    lines = ["dlogits = (probs - Y) / N", "dW2 = h.T @ dlogits", "db2 = dlogits", "dh = dlogits @ W2.T",
             "dhpre = dh * (hpre > 0)", "dW1 = X.T @ dhpre", "db1 = dhpre.sum(axis=0)"]
    page.fill("#backward", "\n".join(lines))
    page.click("#check-backward")
    page.wait_for_selector("#lines-table")
    rows = page.locator("#lines-table tr.line")
    assert rows.count() == len(lines)
    for k, line in enumerate(lines):
        target, formula = (s.strip() for s in line.split("=", 1))
        status = rows.nth(k).locator("td.status").inner_text()
        assert ("correct" in status) is torch_verdict(prog, truth, sizes, target, formula), line
    assert "first wrong line: 3" in page.inner_text("#lines-summary")
    assert "not summed where broadcasting happened" in page.inner_text("#lines [data-kind=not_summed]")
    page.frame_locator("#notes").locator("math").first.wait_for()
    assert "proven" in page.frame_locator("#notes").locator("body").inner_text()
    assert not_blank(page.screenshot(full_page=True)) > 0.03

    page.select_option("#example", "seed002")                        # back to a network: the derivation again
    page.wait_for_selector("#param option[value=w11]", state="attached")
    assert page.is_visible("#derivation-section") and page.is_hidden("#backward-section")
