"""Maths is MathML of an allowlist wherever derive shows it: hostile LaTeX (\\text, \\mbox, \\fbox, \\verb,
\\href, \\style, \\class, attribute injection, entity tricks) through every web answer that holds maths, the
notebook displays and the HTML notes.  The oracle is two independent parsers (XML and the HTML tokenizer a
browser's is modelled on): every element and attribute either sees must be on the allowlist, and the
text a student typed comes back as text, character for character."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from latex2mathml.converter import convert

from derive.notes import display
from derive.notes.sanitize import ATTRIBUTES, ELEMENTS, NAMESPACE, to_mathml

IMG = '<img/src="x"/onerror="alert(1)">'
LINK = '<a/href="https://evil.example/">click</a>'
HOSTILE = [
    r"\text{%s}" % IMG, r"\text{%s%s}" % (IMG, LINK), r"\mbox{<b>bold</b>}", r"\fbox{%s}" % LINK,
    r"\hbox{<u>x</u>}", r"\verb|<script>alert(1)</script>|", r"\verb+<iframe src=x>+",
    r"\href{javascript:alert(1)}{x}", r"\href{https://evil.example/}{\text{click}}",
    r"\style{position:fixed;top:0;left:0;width:100%;height:100%}{x}", r"\class{derive-ok}{x}",
    r'\color{red" onload="alert(1)}{y}', r'\textcolor{#f00" style="x}{a}', r'\colorbox{red" onclick="x}{a}',
    r"\mathcolor{javascript:x}{a}", r"\text{&lt;img src=x onerror=alert(1)&gt;}", r"\text{&#60;svg onload=alert(1)&#62;}",
    r"\text{&#x3C;a href=x&#x3E;y&#x3C;/a&#x3E;}", r"\text{&amp;lt;b&amp;gt;}", r"\text{</mtext></math><img src=x>}",
    r"\text{<![CDATA[<img src=x>]]>}", r"\text{<!-- x --><img src=x>}", r"\text{<svg><script>alert(1)</script></svg>}",
    r"\operatorname{<script>}", r"\mathrm{<img src=x>}", r"\text{x\" onmouseover=\"alert(1)}",
    "\\text{nul\x00<img src=x>}", r"\text{\u202e<img>}", r"\unicode{60}img\unicode{62}",
    r"\frac{\text{<a href=x>}}{\mbox{<img src=y>}}", r"x^{\text{<math><mi>z</mi></math>}}",
    r"\begin{array}{c}\text{<img src=x>}\end{array}", r"\style{color:red}{\class{x}{\href{y}{z}}}",
]
LIVE = {"img", "a", "script", "iframe", "object", "embed", "form", "input", "link", "base", "button"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.tags.append(("<!--", []))

    def unknown_decl(self, data):
        self.tags.append(("<![", []))


def _live_tags(markup: str, allowed) -> list:
    """Tags (as an HTML parser sees them) that could act: LIVE ones, event handlers, links; with
    ``allowed``, also every tag outside it."""
    p = _Tags()
    p.feed(markup)
    p.close()
    bad = []
    for tag, attrs in p.tags:
        if tag in LIVE or (allowed is not None and tag not in allowed):
            bad.append(tag)
        bad += [f"{tag} {k}" for k, v in attrs if k.startswith("on") or k in ("href", "src", "xlink:href")
                or "javascript:" in (v or "").lower()]
    return bad


def assert_allowlisted(markup: str) -> str:
    """``markup`` is one <math> element of the allowlist, seen the same by an XML and an HTML parser;
    its text is returned."""
    root = ET.fromstring(markup)                                  # well-formed XML, one element
    assert root.tag == f"{{{NAMESPACE}}}math"
    for node in root.iter():
        ns, _, tag = node.tag[1:].partition("}")
        assert ns == NAMESPACE and tag in ELEMENTS, node.tag
        for name, value in node.attrib.items():
            assert name in ATTRIBUTES and ATTRIBUTES[name].fullmatch(value), (tag, name, value)
    p = _Tags()
    p.feed(markup)
    p.close()
    for tag, attrs in p.tags:
        assert tag in ELEMENTS, tag
        for name, value in attrs:
            assert name in ATTRIBUTES or (tag, name) == ("math", "xmlns"), (tag, name, value)
    text = "".join(root.itertext())
    assert text == "".join(p.text)                                # both parsers read the same text
    return text


def test_latex2mathml_alone_lets_html_through():
    """The finding this guards against: the converter's own string holds a live tag."""
    assert "<img/src=" in convert(r"\text{%s}" % IMG)


@pytest.mark.parametrize("latex", HOSTILE)
def test_hostile_latex_becomes_allowlisted_mathml(latex):
    try:
        out = to_mathml(latex)
    except Exception as e:              # unreadable LaTeX is a DeriveError, shown as the LaTeX in <code>
        from derive.errors import DeriveError
        assert isinstance(e, DeriveError)
        return
    assert_allowlisted(out)


def test_text_is_kept_as_text():
    """What was typed inside \\text{} is shown, character for character, as text (not dropped)."""
    assert assert_allowlisted(to_mathml(r"\text{%s%s}" % (IMG, LINK))) == IMG + LINK
    assert assert_allowlisted(to_mathml(r"\text{&lt;b&gt;}")) == "<b>"       # an entity is one character, once
    assert assert_allowlisted(to_mathml(r"\text{&amp;lt;}")) == "&lt;"


BENIGN = [r"\frac{\partial E}{\partial w_{11}} = \delta_{z_1} x_1", r"\sum_{k=1}^{n} \hat{y}_k \log y_k",
          r"\sigma'(z) = \sigma(z)(1 - \sigma(z))", r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
          r"\mathbf{W}^{(1)} \odot \boldsymbol{\delta}^{[2]}", r"\textcolor{blue}{x_1} + \color{red}{y}",
          r"\left( \frac{a}{b} \right)^{2}", r"\sqrt[3]{x} \le \infty", r"\text{if } x > 0"]


@pytest.mark.parametrize("latex", BENIGN)
def test_ordinary_maths_is_unchanged(latex):
    """For the maths derive prints, the sanitised tree is the converter's tree (same elements, attributes
    and characters)."""
    import html

    from latex2mathml.converter import convert_to_element
    ours = [(n.tag.split("}")[-1], dict(n.attrib), n.text or "") for n in ET.fromstring(to_mathml(latex)).iter()]
    theirs = [(n.tag, {k: v for k, v in n.attrib.items() if k != "xmlns"}, html.unescape(n.text or ""))
              for n in convert_to_element(latex).iter()]
    assert ours == theirs


def test_notebook_displays_use_the_allowlist():
    for latex in HOSTILE[:12]:
        for markup in re.findall(r"<math.*?</math>", display.prose(f"see ${latex}$ here"), re.S):
            assert_allowlisted(markup)
        assert not _live_tags(display.prose(f"see ${latex}$ here"), allowed=ELEMENTS | {"code"})


# -- through the web API, in process ----------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    testclient = pytest.importorskip("starlette.testclient")
    from derive.serve.app import create_app
    with testclient.TestClient(create_app(), base_url="http://127.0.0.1") as c:
        yield c


def test_api_mathml(client):
    r = client.post("/api/mathml", json={"latex": HOSTILE})
    assert r.status_code == 200
    out = r.json()["mathml"]
    assert len(out) == len(HOSTILE)
    for markup in out:
        if markup is not None:
            assert_allowlisted(markup)
    assert assert_allowlisted(out[0]) == IMG                      # shown as the text typed


@pytest.mark.parametrize("spec, answer", [("seed002", r"\text{%s} + x_1" % IMG), ("seed002", r"\delta_{z_1} x_1"),
                                          ("seed002", r"\href{javascript:x}{x_1}"), ("seed000", "x1 * " + IMG),
                                          ("cs231n", "dW2 = h.T @ dscores"), ("cs231n", r"\text{%s}" % LINK)])
def test_api_parse_preview(client, spec, answer):
    r = client.post("/api/parse", json={"spec": spec, "answer": answer})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert_allowlisted(r.json()["mathml"])
    else:
        assert isinstance(r.json()["error"], str)


def test_api_notes_html(client):
    spec = ("name: 'x<img src=x onerror=alert(1)>'\ndescription: '<a href=https://evil.example/>click</a>'\n"
            "inputs: [x1]\nlayers:\n  - {units: [y1], activation: sigmoid}\nloss: half_sse\ntargets: [t1]\n")
    for fmt in ("html",):
        r = client.post("/api/notes", json={"spec": spec, "format": fmt})
        assert r.status_code == 200, r.text
        page = r.json()["text"]
        blocks = re.findall(r"<math.*?</math>", page, re.S)
        assert blocks
        for markup in blocks:
            assert_allowlisted(markup)
        assert not _live_tags(page, allowed=None)


def test_api_derivation_steps_are_latex_not_markup(client):
    """A derivation's steps come back as LaTeX for the page to convert through /api/mathml."""
    doc = "$$\\frac{\\partial E}{\\partial w_{11}} = \\text{%s%s}$$\n" % (IMG, LINK)
    r = client.post("/api/check", json={"spec": "seed002", "derivation": doc})
    assert r.status_code in (200, 422)
    for step in r.json().get("steps", []):
        for side in ("left", "right"):
            if step.get(side):
                r2 = client.post("/api/mathml", json={"latex": [step[side]]})
                m = r2.json()["mathml"][0]
                if m is not None:
                    assert_allowlisted(m)


def test_the_page_uses_the_same_allowlist():
    """common.js walks parsed MathML with the server's allowlist: the two lists are the same."""
    from pathlib import Path
    js = (Path(__file__).resolve().parents[1] / "templates" / "serve" / "static" / "common.js").read_text()

    def words(name):
        body = re.search(name + r" = new Set\(\((.*?)\)\.split", js, re.S).group(1)
        return set(" ".join(re.findall(r'"([^"]*)"', body)).split())
    assert words("MATHML_ELEMENTS") == set(ELEMENTS)
    assert words("MATHML_ATTRIBUTES") == set(ATTRIBUTES)
    for script in (Path(__file__).resolve().parents[1] / "templates" / "serve" / "static").glob("*.js"):
        text = script.read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", text), script.name
