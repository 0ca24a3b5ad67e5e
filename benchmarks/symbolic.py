"""Symbolic cost vs network size: derive + prove time, and operation counts of the gradients.

Operation counts are sympy ``count_ops``-style (an n-ary + or * is n-1 operations, each power or
function call one) over the expression *written out as a tree*, counted with memoisation over
shared subtrees, so the directly differentiated gradients of deep networks are counted exactly
without expanding them (``sympy.count_ops`` itself walks the tree and blows up there).

- chain rule (memoised): the forward node definitions, each delta definition once, and every
  gradient's delta form, which is what backprop evaluates;
- direct: the sum over parameters of each fully substituted derivative's tree;
- direct, shared: the same derivatives with every distinct subexpression counted once (what
  common-subexpression elimination could at best recover).
"""
from __future__ import annotations

import time

import derive

SQUARE = [(2, 2, 2), (3, 3, 3), (4, 4, 4), (4, 4, 4, 4), (6, 6, 6, 6), (8, 8, 8, 8)]
DEEP = [(2,) * k for k in range(3, 9)]          # 2-wide networks with 2 to 7 weight layers
TARGETS = {(4, 4, 4, 4): 5.0, (8, 8, 8, 8): 30.0}


def _own_ops(e) -> int:
    name = type(e).__name__
    if name in ("Add", "Mul"):
        return len(e.args) - 1
    if e.args:                     # Pow, functions
        return 1
    return 0


def tree_ops(exprs) -> int:
    """Operations of the expressions written out as trees (memoised over shared subtrees)."""
    memo: dict = {}

    def count(e) -> int:
        hit = memo.get(e)
        if hit is None:
            hit = memo[e] = _own_ops(e) + sum(count(a) for a in e.args)
        return hit
    return sum(count(e) for e in exprs)


def dag_ops(exprs) -> int:
    """Operations with every distinct subexpression counted once."""
    seen: set = set()
    total = 0
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        total += _own_ops(e)
        stack.extend(e.args)
    return total


def measure(sizes) -> dict:
    net = derive.mlp(list(sizes), activation="sigmoid", loss="half_sse")
    t0 = time.perf_counter()
    d = derive.derive(net)
    d.prove(progress=False)
    seconds = time.perf_counter() - t0
    forward = [n.expr for n in net.nodes.values() if n.kind in ("pre", "act")]
    chain = forward + [x.expr for x in d.deltas.values()] + [d.gradient(p).delta_form for p in d.params]
    direct = [d.direct.gradient(p) for p in d.params]
    return {"network": "-".join(map(str, sizes)), "params": len(d.params), "seconds": seconds,
            "proven": d.all_proven, "chain_ops": tree_ops(chain), "direct_ops": tree_ops(direct),
            "direct_shared_ops": dag_ops(direct), "target": TARGETS.get(tuple(sizes))}


def run(progress=print) -> list[dict]:
    rows = []
    for family, nets in (("square", SQUARE), ("2-wide", DEEP)):
        for sizes in nets:
            r = measure(sizes)
            r["family"] = family
            rows.append(r)
            progress(f"  {r['network']:>15}: {r['params']:4d} params, derive+prove {r['seconds']:7.2f} s, "
                     f"ops chain {r['chain_ops']:>9,} direct {r['direct_ops']:>15,} "
                     f"(shared {r['direct_shared_ops']:,})")
    return rows


def plot(rows: list[dict], path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for family, marker in (("square", "o"), ("2-wide", "s")):
        rs = [r for r in rows if r["family"] == family]
        x = [r["params"] for r in rs]
        ax1.plot(x, [r["chain_ops"] for r in rs], marker=marker, label=f"chain rule, memoised ({family})")
        ax1.plot(x, [r["direct_ops"] for r in rs], marker=marker, linestyle="--",
                 label=f"direct differentiation ({family})")
        ax2.plot(x, [r["seconds"] for r in rs], marker=marker, label=family)
        for r in rs:
            ax1.annotate(r["network"], (r["params"], r["direct_ops"]), fontsize=6, alpha=0.7)
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("trainable parameters")
    ax1.set_ylabel("operations in all gradients")
    ax1.set_title("Gradient size: backprop's reuse vs direct differentiation")
    ax1.legend(fontsize=7)
    ax2.set_xlabel("trainable parameters")
    ax2.set_ylabel("seconds")
    ax2.set_title("derive + prove every gradient")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
