"""``verify``: every gradient derived both ways and proven equal, as the ``derive verify --json`` object."""
from __future__ import annotations

from .load import derive, is_tensor


def verify(model, full: bool = False) -> dict:
    """The ``derive verify --json`` object of a model of any form (or of its derivation, whose proofs
    are then reused: ``d.proofs`` holds them afterwards).  ``full``: every expression as text, however
    large (otherwise large ones are given by their size: ``derivation.report``)."""
    d = derive(model)
    rep = _tensor(d) if is_tensor(d) else _layered(d, full)
    from .frameworks import annotate      # a Keras/PyTorch model: each row names its framework variable
    return annotate(d, rep)


def _layered(d, full: bool = False) -> dict:
    """A network: every parameter derived both ways, proven, and every delta."""
    from ..derivation.report import report
    return report(d, full)


def _tensor(bw) -> dict:
    """A tensor program: every gradient tensor's formula and code, proven entry by entry."""
    from ..tensor.backward import builder
    from ..tensor.grammar import Name
    from ..tensor.printer import to_code
    from ..tensor.proof import prove_backward
    proofs = prove_backward(bw)
    prog = bw.program
    c = builder(prog)

    def shape(name: str) -> str:
        return "(" + ", ".join(to_code(d) for d in c.dims(Name(name)).items) + ")"
    rows = [{"name": x.target, "shape": shape(x.name), "formula": bw.text(x), "code": x.code,
             "entries": proofs[x.name].entries, "proven": proofs[x.name].proven,
             # log2 of the certified chance that "proven" is wrong (Schwartz-Zippel, degree tracked)
             "error_bound_log2": round(proofs[x.name].bound_log2, 1), "points": proofs[x.name].points}
            for x in bw.lines]
    return {"spec": prog.name, "sizes": dict(prog.sizes), "lines": rows, "all_proven": all(r["proven"] for r in rows),
            "forward": [{"name": n, "code": to_code(t), "shape": shape(n)} for n, t, _ in prog.forward]}
