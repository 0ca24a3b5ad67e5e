"""Notes of a real-sized network (past ~30 parameters) stay readable and small: a direct derivative is printed
only when short, otherwise its size and the proof line; a parameter with many paths is worked in delta form
with its paths lit on the diagram; the list of parameters left out wraps."""
import re

import derive
from derive.notes import content as notes_mod
from derive.notes import render
from derive.notes.content import DIRECT_LIMIT, PATHS_SHOWN, size

SPEC = {"name": "4-5-5-3 tanh softmax", "notation": "ng", "inputs": 4, "loss": "ce", "targets": 3,
        "layers": [{"units": 5, "activation": "tanh", "bias": "per-unit"},
                   {"units": 5, "activation": "tanh", "bias": "per-unit"},
                   {"units": 3, "activation": "softmax", "bias": "per-unit"}]}


def notes():
    net = derive.load(SPEC) if hasattr(derive, "load") else derive.from_dict(SPEC)
    d = derive.derive(net)
    params = notes_mod.default_params(d.net)
    d.prove(params)
    return notes_mod.build(d, params), d


def test_size_counts_operations_up_to_a_limit():
    import sympy as sp
    x, y = sp.symbols("x y")
    assert size(x) == 1 and size(x * y + 1) == 5        # Add(1, Mul(x, y)): 5 nodes
    assert size((x + y) ** 40 * sp.exp(x) + sum(sp.Symbol(f"a{i}") for i in range(900)), limit=50) == 51


def test_long_direct_derivatives_are_sized_not_printed_and_still_proven():
    n, d = notes()
    assert len(d.net.trainable) > 30 and 0 < len(n.params) < len(d.net.trainable)
    first = n.params[0]                                  # the first layer's weight: the longest derivative
    assert first.direct is None and first.direct_size > DIRECT_LIMIT and first.proven
    assert size(d.direct.gradient(first.name), limit=10**6) > DIRECT_LIMIT     # the count is honest
    small = notes_mod.build(derive.derive(derive.load("seed002")))     # a seed's: every one printed in full
    assert all(p.direct is not None and p.direct_size <= DIRECT_LIMIT for p in small.params)
    html = render.render(n, d.net, "html", "en")
    assert html.count("too long to print") == sum(p.direct is None for p in n.params)
    assert html.count('class="proven"') == len(n.params)
    assert len(html) < 600_000


def test_many_paths_are_worked_in_delta_form_and_lit_together():
    n, d = notes()
    first = n.params[0]
    assert first.path_count > PATHS_SHOWN and first.paths_folded and first.path_sum is None
    assert all(pb.colour == "" for pb in first.paths)    # one colour on the diagram, the rest faded
    md = render.render(n, d.net, "md", "en")
    assert f"by {first.path_count} paths, too many to list" in md


def test_the_list_left_out_wraps():
    n, d = notes()
    html = render.render(n, d.net, "html", "en")
    listing = re.search(r'<p class="names">(.*?)</p>', html, re.S).group(1)
    assert listing.count("<math") == len(n.omitted)      # one maths element a name: the line can wrap
    md = render.render(n, d.net, "md", "en")
    line = md.split("left out:")[1].split("\n")[0]
    assert line.count("$") == 2 * len(n.omitted)


def test_a_wide_network_is_drawn_as_blocks_with_the_paths_taken_lit():
    import xml.etree.ElementTree as ET
    from derive.notes import diagram
    from derive.notes.eqs import COLOUR_HEX
    ns = {"s": "http://www.w3.org/2000/svg"}
    digits = derive.load("digits")                       # 64-32-10: a layer past blocks.WIDE units

    class Param:                                         # what diagram.svg reads of a ParamBlock
        def __init__(self, name):
            self.name, self.paths = name, ()

    whole = ET.fromstring(diagram.svg(digits))
    assert "blocks" in whole.get("class") and len(whole.findall("s:rect", ns)) == 3   # inputs, 2 layers
    lit = lambda name: sum(line.get("stroke") == COLOUR_HEX["blue"]                     # noqa: E731
                           for line in ET.fromstring(diagram.svg(digits, Param(name))).findall("s:line", ns))
    assert lit("w1_11") == 3 and lit("w2_11") == 2 and lit("b2_3") == 1 and lit("b1_1") == 2
    assert "unit 3" in diagram.svg(digits, Param("b2_3"))
    small = ET.fromstring(diagram.svg(derive.load("seed002")))             # narrow: a node a unit
    assert "blocks" not in small.get("class") and small.findall("s:circle", ns)


def test_a_large_network_leads_with_the_layer_form():
    n, d = notes()
    assert n.large
    for fmt in ("md", "html", "tex"):
        text = render.render(n, d.net, fmt, "en")
        assert text.index("Layer-level (matrix) form") < text.index("Gradients and updates, parameter by parameter")
        assert text.count("Layer-level (matrix) form") == 1 and "worked in full as representatives" in text
    small = notes_mod.build(derive.derive(derive.load("seed002")))
    md = render.render(small, derive.load("seed002"), "md", "en")
    assert not small.large and md.index("## Gradients and updates") < md.index("## Layer-level (matrix) form")


def test_the_latex_diagram_of_a_wide_network_is_blocks_too():
    from derive.notes import diagram
    digits = derive.load("digits")

    class Param:
        def __init__(self, name):
            self.name, self.paths = name, ()

    tex = diagram.tikz(digits, Param("w2_11"))
    assert "64 inputs" in tex and "32 units" in tex and r"10$\times$32 weights" in tex
    assert tex.count("blue") == 2 and r"\node[draw, circle]" in tex      # into the output layer, then to J
    assert r"\draw[->, blue" not in diagram.tikz(digits)                  # nothing lit without a parameter
