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
