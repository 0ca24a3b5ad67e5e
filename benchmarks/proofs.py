"""Proof cost: derive + prove every parameter, today's method against the exact expansion alone.

"auto" is derive's method: the exact expansion for gradients of at most 8 paths, the certified
randomized identity test over random prime fields beyond (and as a cross-check everywhere).
"exact" is the expansion alone, as derive proved before 2026-11-25.  Each run is a fresh process
(``benchmarks.peers proof``), the two methods interleaved; a run past its time limit is reported
as such.  Seconds count building the network from its spec, the chain rule, the direct
derivatives and every proof; they exclude the interpreter's start and imports.
"""
from __future__ import annotations

from . import runner

# (network, activation, bias, target seconds)
TARGETS = [("3-3-3-3-3-3", "sigmoid", "per-unit", 1.0), ("2-2-2-2-2-2-2-2-2-2-2", "sigmoid", "none", 2.0),
           ("8-8-8-8-8", "tanh", "per-unit", 5.0), ("digits", "", "", 60.0)]
# scaling curve: widths x depths (layers of units, inputs included), sigmoid, no biases
WIDTHS = [2, 3, 4, 8]
DEPTHS = [3, 4, 5, 6, 7, 8, 9, 10]
EXACT_LIMIT = 60.0


def _run(net, act, bias, method, limit):
    out = runner.child(["proof", net, act or "-", bias or "-", method], 1, timeout=limit)
    return out


def targets(reps: int = 3, progress=print) -> list[dict]:
    rows = []
    for net, act, bias, target in TARGETS:
        first = _run(net, act, bias, "exact", EXACT_LIMIT)      # once: it may run past the limit
        methods = ["auto", "exact"] if first is not None else ["auto"]
        res = runner.interleaved(methods, reps if net != "digits" else 1,
                                 lambda m: _run(net, act, bias, m, 900 if m == "auto" else EXACT_LIMIT))
        auto = res["auto"]
        exact = [first] + res.get("exact", []) if first is not None else []
        row = {"network": net if net == "digits" else f"{net} {act}" + (" with biases" if bias != "none" else ""),
               "params": auto[0]["params"], "target": target,
               "auto": runner.median(r["seconds"] for r in auto), "proven": auto[0]["proven"],
               "methods": auto[0]["methods"], "bound": auto[0]["worst_bound_log2"],
               "exact": runner.median(r["seconds"] for r in exact) if exact and all(exact) else None,
               "exact_limit": EXACT_LIMIT}
        rows.append(row)
        progress(f"  {row['network']:>40}: {row['params']} params, derive+prove {row['auto']:.2f} s "
                 f"(exact alone: {'%.2f s' % row['exact'] if row['exact'] else 'over the limit'})")
    return rows


def scaling(progress=print) -> list[dict]:
    rows = []
    for w in WIDTHS:
        exact_alive = True
        for depth in DEPTHS:
            net = "-".join([str(w)] * depth)
            auto = _run(net, "sigmoid", "none", "auto", 900)
            exact = _run(net, "sigmoid", "none", "exact", EXACT_LIMIT) if exact_alive else None
            exact_alive = exact is not None
            rows.append({"width": w, "depth": depth, "params": auto["params"], "auto": auto["seconds"],
                         "exact": exact["seconds"] if exact else None})
            progress(f"  {net:>30}: {auto['params']:5d} params, {auto['seconds']:7.2f} s "
                     f"(exact alone: {'%.2f s' % exact['seconds'] if exact else '-'})")
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| network | trainable params | derive + prove s | target | met | all proven | exact / randomized "
             "| worst bound | exact expansion alone s |",
             "|---|---:|---:|---:|---|---|---:|---|---:|"]
    for r in rows:
        bound = f"< 2^{int(r['bound'])}" if r["bound"] is not None else "exact"
        old = f"{r['exact']:.2f}" if r["exact"] is not None else f"> {r['exact_limit']:.0f}"
        lines.append(f"| {r['network']} | {r['params']:,} | {r['auto']:.2f} | < {r['target']:g} s | "
                     f"{'yes' if r['auto'] < r['target'] else 'NO'} | {'yes' if r['proven'] == r['params'] else 'NO'} | "
                     f"{r['methods']['exact']} / {r['methods']['randomized']} | {bound} | {old} |")
    return "\n".join(lines)


def plot(rows: list[dict], path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for w in WIDTHS:
        rs = [r for r in rows if r["width"] == w]
        line, = ax1.plot([r["depth"] for r in rs], [r["auto"] for r in rs], marker="o", label=f"width {w}")
        ex = [r for r in rs if r["exact"] is not None]
        ax1.plot([r["depth"] for r in ex], [r["exact"] for r in ex], marker="x", linestyle="--",
                 color=line.get_color(), label=f"width {w}, exact expansion alone")
        ax2.plot([r["params"] for r in rs], [r["auto"] for r in rs], marker="o", label=f"width {w}")
    ax1.set_yscale("log")
    ax1.set_xlabel("layers (inputs included)")
    ax1.set_ylabel("seconds, derive + prove all")
    ax1.set_title(f"Proof time vs depth (sigmoid; exact alone cut at {EXACT_LIMIT:.0f} s)")
    ax1.legend(fontsize=6)
    for ax in (ax2,):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("trainable parameters")
        ax.set_ylabel("seconds")
        ax.set_title("derive's proof: time vs parameters")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
