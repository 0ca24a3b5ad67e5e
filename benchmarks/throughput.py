"""Gradient throughput: derive.compile vs hand-written NumPy vs PyTorch autograd vs JAX jit (CPU).

Each (peer, network) is measured in its own fresh process (``benchmarks.peers``) with its threads
pinned; the peers' order rotates over the repetitions, and each figure is the median over them of
the per-process median time per call.  1 and 2 threads, float64 and float32 are separate tables.
``clock="cpu"`` reports the 1-thread tables in process CPU time (steadier on a loaded machine:
the time a process waits for a core is not counted); 2-thread tables are always wall time.
"""
from __future__ import annotations

import os

from . import runner

NETWORKS = ["2-2-2", "16-32-16", "64-128-10"]
PEERS = ["derive", "numpy_inplace", "numpy", "floor", "torch", "jax"]


def available_peers() -> list[str]:
    import importlib.util
    return [p for p in PEERS if p not in ("torch", "jax") or importlib.util.find_spec(p) is not None]


def generated(net: str) -> str:
    """derive's generated module for ``net``, written once per run (the children only import it)."""
    import tempfile
    from pathlib import Path
    path = Path(tempfile.gettempdir()) / f"derive-bench-{os.getuid()}-{net}.py"
    if net not in _WRITTEN:
        import derive
        from .peers import derive_net
        c = derive.compile(derive_net(tuple(int(s) for s in net.split("-"))))
        if hasattr(c.module, "KERNEL_C"):         # its C kernels built now, so the children find them cached
            from derive.codegen.cbuild import load_kernels
            load_kernels(c.module.KERNEL_C)
        path.write_text(c.source, encoding="utf-8")
        _WRITTEN.add(net)
    return str(path)


_WRITTEN: set = set()


def run(threads: int, reps: int = 5, dtype: str = "float64", progress=print, quick: bool = False,
        clock: str = "wall", peers: list[str] | None = None, networks: list[str] | None = None) -> dict:
    """{(network, batch): {peer: median seconds}} plus the thread reports of the children."""
    peers = peers or available_peers()
    key = "cpu_seconds" if clock == "cpu" and threads == 1 else "seconds"
    table: dict = {}
    reports: dict = {}
    extra = ["quick"] if quick else []
    for net in networks or NETWORKS:
        source = generated(net) if "derive" in peers else None
        res = runner.interleaved(peers, reps, lambda p: runner.child(
            ["gradients", p, net, str(threads), dtype, *extra, *([f"source={source}"] if p == "derive" else [])],
            threads))
        for p, outs in res.items():
            reports[p] = outs[0]["report"]
            for k, row in enumerate(outs[0]["rows"]):
                table.setdefault((net, row["batch"]), {})[p] = runner.median(o["rows"][k][key] for o in outs)
        for (n, b), v in table.items():
            if n == net:
                progress(f"  {threads} thread(s) {net:>9} batch {b:>4}: "
                         + ", ".join(f"{p} {s * 1e6:9.1f} us" for p, s in v.items()))
    return {"table": table, "reports": reports, "peers": peers, "threads": threads, "reps": reps, "dtype": dtype,
            "clock": "process CPU time" if key == "cpu_seconds" else "wall time"}


def markdown(res: dict) -> str:
    peers = res["peers"]
    others = [p for p in peers if p != "derive"]
    head = ["network", "batch"] + [f"{p} µs" for p in peers] + [f"derive/{p}" for p in others]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for (net, batch), v in res["table"].items():
        cells = [net, str(batch)] + [f"{v[p] * 1e6:.1f}" for p in peers]
        cells += [f"**{v['derive'] / v[p]:.2f}x**" if p == "numpy_inplace" else f"{v['derive'] / v[p]:.2f}x"
                  for p in others]
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
