"""Gradient throughput: derive.compile vs hand-written NumPy vs PyTorch autograd vs JAX jit (CPU).

Each (peer, network) is measured in its own fresh process (``benchmarks.peers``) with its threads
pinned; the peers' order rotates over the repetitions, and each figure is the median over them of
the per-process median time per call.  1 and 2 threads are separate tables.
"""
from __future__ import annotations

from . import runner

NETWORKS = ["2-2-2", "16-32-16", "64-128-10"]
PEERS = ["derive", "numpy", "torch", "jax"]


def available_peers() -> list[str]:
    import importlib.util
    return [p for p in PEERS if p in ("derive", "numpy") or importlib.util.find_spec(p) is not None]


def run(threads: int, reps: int = 5, dtype: str = "float64", progress=print) -> dict:
    """{(network, batch): {peer: median seconds}} plus the thread reports of the children."""
    peers = available_peers()
    table: dict = {}
    reports: dict = {}
    for net in NETWORKS:
        res = runner.interleaved(peers, reps, lambda p: runner.child(["gradients", p, net, str(threads), dtype],
                                                                      threads))
        for p, outs in res.items():
            reports[p] = outs[0]["report"]
            for k, row in enumerate(outs[0]["rows"]):
                table.setdefault((net, row["batch"]), {})[p] = runner.median(o["rows"][k]["seconds"] for o in outs)
        for (n, b), v in table.items():
            if n == net:
                progress(f"  {threads} thread(s) {net:>9} batch {b:>4}: "
                         + ", ".join(f"{p} {s * 1e6:9.1f} us" for p, s in v.items()))
    return {"table": table, "reports": reports, "peers": peers, "threads": threads, "reps": reps, "dtype": dtype}


def markdown(res: dict) -> str:
    peers = res["peers"]
    others = [p for p in peers if p != "derive"]
    head = ["network", "batch"] + [f"{p} µs" for p in peers] + [f"derive/{p}" for p in others]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for (net, batch), v in res["table"].items():
        cells = [net, str(batch)] + [f"{v[p] * 1e6:.1f}" for p in peers]
        cells += [f"**{v['derive'] / v[p]:.2f}x**" if p == "numpy" else f"{v['derive'] / v[p]:.2f}x" for p in others]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def thread_note(res: dict) -> str:
    parts = []
    for p, rep in res["reports"].items():
        blas = ", ".join(f"{api} {n}" for api, n in rep["blas"]) or "none loaded"
        extra = f"; torch.get_num_threads() {rep['torch']}" if "torch" in rep else ""
        extra += f"; XLA_FLAGS {rep['xla_flags']!r}" if "xla_flags" in rep else ""
        parts.append(f"{p}: BLAS threads {blas}{extra}")
    return "Threads as measured inside each child process: " + "; ".join(parts) + "."
