"""``verify``: every gradient derived both ways and proven equal, as the ``derive verify --json`` object."""
from __future__ import annotations

from .load import derive, is_tensor


def verify(model) -> dict:
    """The ``derive verify --json`` object of a model of any form (or of its derivation, whose proofs
    are then reused: ``d.proofs`` holds them afterwards)."""
    d = derive(model)
    return _tensor(d) if is_tensor(d) else _layered(d)


def _layered(d) -> dict:
    """A network: every parameter derived both ways, proven, and every delta."""
    proofs = d.prove()
    rows = []
    for p in d.params:
        g = d.gradient(p)
        chain = g.path_sum if g.path_sum is not None else g.delta_form
        rows.append({"name": p, "paths": g.path_count, "chain": str(chain),
                     "delta_form": str(g.delta_form), "direct": str(d.direct.gradient(p)),
                     "proven": proofs[p].proven, "method": proofs[p].method,
                     # log2 of the certified chance that "proven" is wrong (null: exact, no chance)
                     "error_bound_log2": (None if proofs[p].method == "exact"
                                          else round(proofs[p].bound_log2, 1)),
                     "numeric_max_error": proofs[p].numeric_max_error, "numeric_points": proofs[p].points})
    deltas = {str(x.symbol): str(x.expr) for x in d.deltas.values()}
    return {"spec": d.net.spec.name, "params": rows, "deltas": deltas,
            "all_proven": all(r["proven"] for r in rows)}


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
             "entries": proofs[x.name].entries, "proven": proofs[x.name].proven} for x in bw.lines]
    return {"spec": prog.name, "sizes": dict(prog.sizes), "lines": rows, "all_proven": all(r["proven"] for r in rows),
            "forward": [{"name": n, "code": to_code(t), "shape": shape(n)} for n, t, _ in prog.forward]}
