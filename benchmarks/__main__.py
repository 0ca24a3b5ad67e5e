"""Run every benchmark; write benchmarks/results/*.md and *.png and print the tables.

    python -m benchmarks              # or ./dev bench: everything (see the end of results.md for how long)
    python -m benchmarks --quick      # fewer repetitions, no scaling curve, no grading (about 8 minutes)
    python -m benchmarks --only proofs|tensor-sweep|gradients|gradients-ab|passes|split-ab|startup|training|grading
    python -m benchmarks --only gradients --quick --clock cpu   # gradient tables in a few minutes
    python -m benchmarks --tensor     # tensor programs vs PyTorch only (results/tensor.md; benchmarks/tensor.py)

Every peer runs in its own fresh process with pinned threads (``benchmarks.runner``); figures are
medians of interleaved repetitions.  results.md is what the README's tables are copied from.  The
one-process scripts (``gradients_ab``, ``passes``, ``split_ab``, ``startup``) each run in a fresh process
of their own, and their output is written to results/<name>.md as well as into results.md.
"""
from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

from . import grading, proofs, throughput, training
from .machine import machine

RESULTS = Path(__file__).parent / "results"
SCRIPTS = {"gradients-ab": "gradients_ab", "passes": "passes", "split-ab": "split_ab", "startup": "startup"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions; no scaling curve, no grading")
    ap.add_argument("--only", choices=["proofs", "tensor-sweep", "gradients", *SCRIPTS, "training", "grading"])
    ap.add_argument("--tensor", action="store_true", help="tensor programs vs PyTorch only")
    ap.add_argument("--dtypes", default="float64,float32", help="gradient tables' dtypes (default: both)")
    ap.add_argument("--threads", default="1,2", help="gradient tables' thread counts (default: 1,2)")
    ap.add_argument("--reps", type=int, help="interleaved repetitions (default: 3; --quick: 2)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="cpu",
                    help="1-thread gradient tables in process CPU time (default: steadier under load) or wall time")
    args = ap.parse_args(argv)
    if args.tensor:
        from . import tensor
        return tensor.main([])
    RESULTS.mkdir(exist_ok=True)
    start = time.perf_counter()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"derive benchmarks, {when}\n{machine()}\n")
    want = (lambda k: args.only in (None, k)) if args.only else (lambda k: True)
    reps = args.reps or (2 if args.quick else 3)
    parts = [f"# derive benchmarks\n\n{when}; {machine()}.\n"]
    if want("proofs"):
        parts += [proofs.main(RESULTS, quick=args.quick), ""]
    if want("tensor-sweep"):
        from . import tensor_sweep
        print("tensor proofs by width:")
        rows = tensor_sweep.run()
        tensor_sweep.plot(rows, RESULTS / "tensor-sweep.png")
        parts += ["## Tensor proofs by width\n", tensor_sweep.__doc__.strip().split("\n\n", 1)[1] + "\n",
                  tensor_sweep.table(rows), "", "![tensor proof time vs entries](tensor-sweep.png)\n"]
    if want("gradients"):
        parts += ["## Gradient throughput\n", throughput.__doc__.strip(),
                  "\nSigmoid layers with biases, loss 1/2 SSE averaged over the batch. derive: "
                  "`derive.compile(net).gradients`; numpy_inplace: `benchmarks/hand.py` InPlace (work arrays reused, "
                  "every step in place: the peer to beat); numpy: the textbook version (allocates every step); "
                  "floor: the five matrix products alone (`hand.Floor`, no elementwise work: no backprop can be "
                  "faster); PyTorch: autograd; JAX: `jax.jit(jax.grad(loss))`. At one thread every peer's process "
                  "is bound to one core and asserts CPU time <= 1.1 x wall time. Microseconds per call; ratios "
                  "below 1 mean derive is faster.\n"]
        for dtype in args.dtypes.split(","):
            for threads in [int(t) for t in args.threads.split(",")]:
                print(f"gradients, {dtype}, {threads} thread(s):")
                res = throughput.run(threads, reps=reps, dtype=dtype, quick=args.quick, clock=args.clock)
                parts += [f"### {dtype}, {threads} thread{'s' if threads > 1 else ''} ({res['clock']}, "
                          f"medians of {reps} interleaved runs)\n",
                          throughput.markdown(res), "", throughput.thread_note(res), ""]
    for name, module in SCRIPTS.items():
        if want(name) and not (args.quick and name == "split-ab"):
            parts += [script(name, module, when), ""]
    if want("training"):
        print("training (whole processes):")
        rows = [training.run(t, reps=reps) for t in (1, 2)]
        parts += ["## Training\n", training.__doc__.strip() + "\n", training.table(rows), ""]
    if want("grading") and not args.quick:
        print("grading throughput:")
        text = (f"# derive grading benchmark\n\n{when}; {machine()}.\n\n"
                + grading.__doc__.strip() + "\n\n" + grading.table(grading.run()) + "\n")
        (RESULTS / "grading.md").write_text(text, encoding="utf-8")
        print("\n" + text)
    minutes = (time.perf_counter() - start) / 60
    parts.append(f"This run took {minutes:.1f} minutes.\n")
    text = "\n".join(parts)
    name = f"results{'-' + args.only if args.only else ''}{'-quick' if args.quick else ''}.md"
    if args.only not in SCRIPTS:            # a script's own results/<name>.md holds what it printed
        (RESULTS / name).write_text(text, encoding="utf-8")
    print("\n" + text)
    return 0


def script(name: str, module: str, when: str) -> str:
    """Run ``python -m benchmarks.MODULE`` in a fresh process (its own threads and core binding, as it sets
    them), keep what it printed in results/NAME.md (passes and split-ab write their own) and return it."""
    import subprocess
    import sys
    print(f"{name} (python -m benchmarks.{module}):", flush=True)
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{module}"], cwd=Path(__file__).parent.parent,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise SystemExit(f"benchmarks.{module} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    text = f"## {name} (`python -m benchmarks.{module}`)\n\n{when}; {machine()}.\n\n{done.stdout.strip()}\n"
    if module in ("gradients_ab", "startup"):
        tmp = RESULTS / f"{name}.md.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(RESULTS / f"{name}.md")
    print(done.stdout, flush=True)
    return text


if __name__ == "__main__":
    raise SystemExit(main())
