"""What a front-end shows about a model before any check: its parameters and symbols (``info``), and how a
typed formula is read (``preview``: LaTeX in the model's notation, and MathML)."""
from __future__ import annotations

from ..errors import DeriveError
from .load import derive, is_tensor, loaded


def info(model) -> dict:
    """A model's name, form, the parameters (or gradient tensors) a student may be asked for, and every
    symbol's LaTeX."""
    model = loaded(model)
    if is_tensor(model):
        bw = derive(model)
        prog = bw.program
        return {"name": prog.name, "kind": "tensor", "notation": "tensor", "params": [x.target for x in bw.lines],
                "loss": prog.output, "symbols": {}, "sizes": dict(prog.sizes),
                "shapes": {x.target: list(x.shape) for x in bw.lines}}
    net = getattr(model, "net", model)
    symbols = {n.name: net.latex_names[n.symbol] for n in net.nodes.values()}
    symbols.update({str(net.delta_symbol(d)): net.latex_names[net.delta_symbol(d)] for d in net.delta_nodes})
    return {"name": net.spec.name, "notation": net.notation.preset, "params": list(net.trainable),
            "loss": net.loss, "symbols": symbols}


def preview(model, answer: str) -> dict:
    """How a typed formula is understood: ``{"latex", "mathml"}``.  For a tensor program one formula or one
    ``dNAME = ...`` line, as the notes print it."""
    from ..notes.display import mathml
    model = loaded(model)
    if is_tensor(model):
        latex = _tensor_latex(derive(model), answer)
    else:
        from ..checking.checker import checker_for
        c = checker_for(model)
        latex = c.net.latex(c.parse_answer(answer))
    return {"latex": latex, "mathml": mathml(latex)}


def _tensor_latex(bw, answer: str) -> str:
    from ..checking.backward import _LINE
    from ..notes.tensor import latex_printer
    from ..tensor import grammar
    tex, latex_name = latex_printer(bw)
    text = answer.strip()
    if "\n" in text:
        raise DeriveError("several lines: the preview reads one formula (check them as a backward pass)")
    m = _LINE.fullmatch(text)
    tree = grammar.parse(m.group(2) if m else text)
    try:
        body = tex(tree)
    except Exception:        # a formula whose shapes do not fit still previews, as code
        from ..tensor.printer import to_code
        body = "\\texttt{" + to_code(tree).replace("_", "\\_") + "}"
    return f"{latex_name(m.group(1))} = {body}" if m else body
