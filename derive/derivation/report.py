"""What ``derive verify`` reports: every parameter's verdict, and its expressions only where they are read.

A deep network's direct gradient is a DAG whose printed tree is exponential in the depth: a 2-wide,
10-layer network's direct gradients print as 20.6 million characters (8.7 s of ``str`` against a
0.5 s proof).  So an expression becomes text only when it is small (at most ``MAX_NODES`` nodes
as a printed tree, counted over the DAG without printing it) or when asked for with ``full``;
otherwise its entry is null and ``omitted`` says what it would have been and how large.  The
chain rule's delta form (what the table shows) and every delta's definition are always given: they
are small by construction (one layer's worth each).
"""
from __future__ import annotations

MAX_NODES = 2000      # an expression larger than this (as a printed tree) is given by its size only
MAX_CHAIN_PATHS = 8   # a path sum over more paths than this is not built unless asked for (a 32-wide
#                       network has 32 paths per first-layer weight: 1,000 sums of 32 products took 8 s)


def fold(e, memo: dict, combine):
    """``combine(x, [values of x's arguments])`` for ``e``, post-order over the DAG: each node once, memoised."""
    stack = [e]
    while stack:
        x = stack[-1]
        if x in memo:
            stack.pop()
            continue
        todo = [a for a in x.args if a not in memo]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        memo[x] = combine(x, [memo[a] for a in x.args])
    return memo[e]


def tree_size(e, memo: dict | None = None) -> int:
    """Nodes of ``e`` printed as a tree (shared subexpressions counted every time), in time linear in the DAG."""
    return fold(e, {} if memo is None else memo, lambda x, sizes: 1 + sum(sizes))


def row(d, p: str, proof, full: bool, memo: dict, text=str) -> dict:
    """One parameter's row of the ``--json`` object."""
    g = d.gradient(p)
    out = {"name": p, "paths": g.path_count}
    omitted = {}
    if g.path_count > 256 or (not full and g.path_count > MAX_CHAIN_PATHS):
        if g.path_count <= 256:
            omitted["chain"] = f"the sum of {g.path_count} path products (--full gives it)"
            out["chain"] = None
        else:                                        # never enumerated: the delta form is the chain rule
            out["chain"] = text(g.delta_form)
    else:
        chain = g.path_sum if g.path_sum is not None else g.delta_form
        _text(out, omitted, "chain", chain, full, memo)
    out["delta_form"] = text(g.delta_form)
    if full or proof.method != "layer":      # a layer proof never builds the per-parameter derivative
        _text(out, omitted, "direct", d.direct.gradient(p), full, memo)
    else:
        out["direct"] = None
        omitted["direct"] = ("not built: the layer proof differentiates the loss along random directions "
                             "(--full builds it)")
    out.update({"proven": proof.proven, "method": proof.method,
                # log2 of the certified chance that "proven" is wrong (null: exact, no chance)
                "error_bound_log2": None if proof.method == "exact" else round(proof.bound_log2, 1),
                "numeric_max_error": proof.numeric_max_error, "numeric_points": proof.points})
    if omitted:
        out["omitted"] = omitted
    return out


def _text(out: dict, omitted: dict, key: str, e, full: bool, memo: dict) -> None:
    size = tree_size(e, memo)
    if full or size <= MAX_NODES:
        out[key] = str(e)
    else:
        out[key] = None
        omitted[key] = f"{size:,} nodes as a tree (--full gives it)"


def printer(d):
    """How a Derivation's expressions become text.

    A network proven a layer at a time prints its expressions with SymPy's terms in their stored order
    (``y - t`` rather than ``-t + y``): sorting them for print took 0.4 s of a 16-wide 10-layer network's
    1.1 s proof.  Its sums and products of symbols (every delta's definition, every delta * activation)
    are printed directly, as that printer prints them (``_plain``): SymPy's printer took 0.4 s for a
    32-wide 10-layer network's 288 deltas.  Smaller networks print as ``str`` does."""
    if not getattr(d, "layer_form", False):
        return str
    import sympy as sp
    doprint = sp.StrPrinter({"order": "none"}).doprint
    kinds = {sp.Symbol: "symbol", sp.Add: "add", sp.Mul: "mul", sp.Integer: "integer",
             type(sp.S.One): "integer", type(sp.S.NegativeOne): "integer", type(sp.S.Zero): "integer"}
    minus_one = sp.S.NegativeOne

    def text(e):
        out = _plain(e, kinds, minus_one)
        return doprint(e) if out is None else out
    return text


def _plain(e, kinds: dict, minus_one, top: bool = True):
    """``StrPrinter(order="none")``'s text of sums and products of symbols and integers, or None for
    anything else (a power, a fraction, a function: the caller prints those with SymPy)."""
    kind = kinds.get(type(e))
    if kind == "symbol":
        return e.name
    if kind == "integer":
        return str(e.p)
    if kind == "mul":
        args = e.args
        sign = ""
        if args[0] is minus_one and len(args) > 1:
            sign, args = "-", args[1:]
        parts = []
        for a in args:
            k = kinds.get(type(a))
            if k == "symbol":
                parts.append(a.name)
            elif k == "add":
                inner = _plain(a, kinds, minus_one, False)
                if inner is None:
                    return None
                parts.append(f"({inner})")
            else:                   # a number, a power or a nested product: SymPy decides
                return None
        return sign + "*".join(parts)
    if kind == "add":
        out = []
        for term in e.args:
            k = kinds.get(type(term))
            if k not in ("symbol", "integer", "mul"):
                return None
            t = _plain(term, kinds, minus_one, False)
            if t is None:
                return None
            if t.startswith("-"):
                out += ["-", t[1:]]
            else:
                out += ["+", t]
        return ("" if out[0] == "+" else "-") + " ".join(out[1:])
    return None


def report(d, full: bool = False) -> dict:
    """The ``derive verify --json`` object of a Derivation (proving what is not proven yet)."""
    proofs = d.prove()
    memo: dict = {}
    text = printer(d)
    rows = [row(d, p, proofs[p], full, memo, text) for p in d.params]
    deltas = {str(x.symbol): text(x.expr) for x in d.deltas.values()}
    return {"spec": d.net.spec.name, "params": rows, "deltas": deltas,
            "all_proven": all(r["proven"] for r in rows)}


def table(d) -> dict:
    """What ``derive verify``'s table shows, and nothing else (proving what is not proven yet): each
    parameter's path count, delta form as text and proof, and every delta's definition.  The ``--json``
    object's other expressions (path sums, direct gradients, their sizes) are never built or printed:
    for a 32-wide 10-layer network they were 1.0 s of a 4.5 s process."""
    proofs = d.prove()
    text = printer(d)
    rows = [{"name": p, "paths": g.path_count, "delta_form": text(g.delta_form), "proof": proofs[p]}
            for p, g in ((p, d.gradient(p)) for p in d.params)]
    return {"spec": d.net.spec.name, "params": rows,
            "deltas": {str(x.symbol): text(x.expr) for x in d.deltas.values()},
            "all_proven": all(r["proof"].proven for r in rows)}


def summary(proofs: list) -> list[str]:
    """The lines under the table: how many were proven, by which method, with the worst bound."""
    import math
    n = sum(q.proven for q in proofs)
    lines = [f"{n} of {len(proofs)} gradients proven equal (chain rule == direct differentiation)"]
    counts = {m: sum(q.method == m for q in proofs) for m in ("exact", "randomized", "layer")}
    bounds = [q.bound_log2 for q in proofs if q.method != "exact"]
    if bounds:
        how = [f"{counts['exact']} by exact expansion"]
        if counts["randomized"]:
            how.append(f"{counts['randomized']} by a randomized identity test over random prime fields")
        if counts["layer"]:
            how.append(f"{counts['layer']} a layer at a time (every entry of a layer at once, along random "
                       "directions, over random prime fields)")
        lines.append(", ".join(how) + f" (each: P(wrong) < 2^{math.floor(max(bounds))})")
    return lines
