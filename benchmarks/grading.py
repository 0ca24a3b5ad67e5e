"""Grading throughput: derive grade (1 worker, every core) vs a plain CAS grader on the same answers.

The peer is what a generic computer-algebra grader does: read the answer (with our parser, as
no safe alternative exists), substitute every definition down to the leaves and ask
``sympy.simplify(given - expected) == 0``.  It gives no diagnosis; it is timed on the first answers
only, because each one takes seconds.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import sympy as sp

import derive
from derive.model.formula import FormulaError, parse
from derive.checking.grade import grade, read_answers
from derive.checking.lookup import SymbolTable

CLASS = Path(__file__).resolve().parents[1] / "tests" / "data" / "class_seed002.csv"


def _peer(d, table, leaf, param: str, answer: str) -> str:
    try:
        given = parse(answer, table)
    except FormulaError:
        return "unusable"
    defs = {**d.chain.delta_definitions(), **leaf}
    expected = d.gradient(param).delta_form
    for _ in range(8):
        given, expected = given.xreplace(defs), expected.xreplace(defs)
    return "correct" if sp.simplify(given - expected) == 0 else "incorrect"


def run(copies: int = 48, peer_answers: int = 6) -> list[dict]:
    net = derive.load("seed002")
    rows = read_answers(CLASS)
    batch = [{**r, "id": f"{r['id']}-{k}"} for k in range(copies) for r in rows]
    out = []
    for workers in (1, os.cpu_count() or 1):
        report = grade(net, batch, workers=workers, progress=False)
        out.append({"grader": f"derive grade, {workers} worker(s)", "answers": len(batch),
                    "seconds": report.seconds, "diagnoses": True})
        print(f"  {out[-1]['grader']}: {len(batch)} answers in {report.seconds:.2f} s", flush=True)
    d = derive.derive(net)
    table = SymbolTable(net)
    leaf = {n.symbol: n.expr for n in net.nodes.values() if not n.leaf}
    t0 = time.perf_counter()
    for r in rows[:peer_answers]:
        _peer(d, table, leaf, r["param"], r["answer"])
    secs = time.perf_counter() - t0
    out.append({"grader": "sympy.simplify on the substituted difference (peer)", "answers": peer_answers,
                "seconds": secs, "diagnoses": False})
    print(f"  peer: {peer_answers} answers in {secs:.2f} s", flush=True)
    return out


def table(rows: list[dict]) -> str:
    base = rows[-1]["answers"] / rows[-1]["seconds"]
    lines = ["| grader | answers | seconds | answers/s | vs peer | diagnosis |", "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        rate = r["answers"] / r["seconds"]
        lines.append(f"| {r['grader']} | {r['answers']} | {r['seconds']:.2f} | {rate:,.1f} | {rate / base:,.0f}x | "
                     f"{'yes' if r['diagnoses'] else 'no'} |")
    return "\n".join(lines)


# -- a class of any size: each distinct answer once, a verdict store, a Dask cluster (issue 23) -----------

FORMS = [("w11", "delta_z1*x1*{k}/{k}"), ("w11", "{k}*delta_z1*x1/{k} + 0*x2"), ("w31", "delta_y1*z1 + {k} - {k}"),
         ("w11", "delta_z1*x2*{k}/{k}"), ("w11", "(delta_y1*w31 + delta_y2*w41)*x1*{k}/{k}"),
         ("w31", "(y1 - yt1)*z1*{k}/{k}"), ("w11", "delta_z1*x1 + {k}"), ("w11", "w13*x1*{k}")]


def distinct_answers(n: int) -> list[tuple[str, str]]:
    """n distinct answers to seed002's questions: right, wrong in the usual ways, unusable."""
    return [(p, f.format(k=k // len(FORMS) + 2)) for k, (p, f) in ((k, FORMS[k % len(FORMS)]) for k in range(n))]


def class_csv(path: Path, rows: int, distinct: int, seed: int = 1) -> None:
    """A class of ``rows`` answers drawn from ``distinct`` ones (Zipf-like: a few answers are most of the
    class), a third of them typed with other spacing; every distinct answer at least once."""
    import csv
    import random
    rng = random.Random(seed)
    answers = distinct_answers(distinct)
    weights = [1 / (i + 1) for i in range(distinct)]
    picks = list(range(distinct)) + rng.choices(range(distinct), weights, k=rows - distinct)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "param", "answer"])
        for i, k in enumerate(picks):
            p, a = answers[k]
            w.writerow([f"student{i:07d}", p, a.replace("*", " * ") if i % 3 == 1 else a])


def _cpu() -> float:
    """CPU seconds of this process and every child it has waited for (sandbox workers, Dask processes)."""
    import resource
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MB (Linux: KB units)."""
    import resource
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def scale(rows: int = 1_000_000, distinct: int = 10_000, workers: int = 2) -> dict:
    """The whole ``derive grade`` path on a big class, as the command line runs it: read the CSV, grade into a
    fresh verdict store, write the report; then a regrade from the store.  Seconds of each step, peak memory,
    the load average before and after (the machine may be shared)."""
    import tempfile

    from derive.checking.store import Store
    net = derive.load("seed002")
    out: dict = {"rows": rows, "distinct": distinct, "workers": workers, "load_before": os.getloadavg()}

    def step(name, t0, cpu0):
        out[name] = round(time.perf_counter() - t0, 2)
        out[name.replace("_s", "_cpu_s")] = round(_cpu() - cpu0, 2)
        print(f"  {name}: {out[name]} s, {out[name.replace('_s', '_cpu_s')]} CPU s "
              f"(load {os.getloadavg()[0]:.1f})", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "class.csv"
        class_csv(csv_path, rows, distinct)
        t0, cpu0 = time.perf_counter(), _cpu()
        data = read_answers(csv_path)
        step("read_s", t0, cpu0)
        with Store(Path(tmp) / "v.sqlite") as store:
            t0, cpu0 = time.perf_counter(), _cpu()
            report = grade(net, data, workers=workers, progress=False, store=store)
            step("grade_s", t0, cpu0)
            out["checked"] = report.graded
            out["summary"] = {k: report.summary()[k] for k in ("answers", "distinct", "correct", "incorrect",
                                                               "unusable", "timeout", "error")}
            t0, cpu0 = time.perf_counter(), _cpu()
            report.write_csv(Path(tmp) / "report.csv")
            step("write_s", t0, cpu0)
            del report
            t0, cpu0 = time.perf_counter(), _cpu()
            again = grade(net, data, workers=workers, progress=False, store=store)
            step("regrade_s", t0, cpu0)
            out["from_store"] = again.from_store
        out["peak_parent_mb"], out["peak_child_mb"] = _peak_mb()
    out["load_after"] = os.getloadavg()
    out["total_s"] = round(out["read_s"] + out["grade_s"] + out["write_s"], 2)
    return out


def cluster(distinct: int = 2_000, workers=(1, 2)) -> list[dict]:
    """The same distinct answers on a local Dask cluster of 1 and of 2 worker processes (one thread each)."""
    from distributed import LocalCluster
    net = derive.load("seed002")
    data = [{"id": str(i), "param": p, "answer": a} for i, (p, a) in enumerate(distinct_answers(distinct))]
    out = []
    for n in workers:
        cpu0 = _cpu()
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=50) as c:
            load = os.getloadavg()
            report = grade(net, data, scheduler=c.scheduler_address, progress=False)
        out.append({"workers": n, "answers": distinct, "seconds": round(report.seconds, 2), "load": load,
                    "load_after": os.getloadavg(), "per_second": round(distinct / report.seconds, 1),
                    "cpu_s_with_startup": round(_cpu() - cpu0, 2)})
        print(f"  dask, {n} worker(s): {out[-1]}", flush=True)
    return out


if __name__ == "__main__":
    import json
    import sys
    what = sys.argv[1:] or ["scale", "cluster"]
    results = {}
    if "scale" in what:
        results["scale"] = scale()
        print(json.dumps(results["scale"], indent=1), flush=True)
    if "cluster" in what:
        results["cluster"] = cluster()
    print(json.dumps(results, indent=1))
