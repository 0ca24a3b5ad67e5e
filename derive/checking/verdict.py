"""What a check says: a Verdict, with its diagnosis as Mistakes (plain data, no maths)."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Mistake:
    """One identified mistake: a kind (``missing_path``, ``sign_flipped`` ...) and a sentence."""
    kind: str
    message: str
    nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The result of checking one answer for one parameter."""
    param: str
    answer: str
    correct: bool
    parsed: str                       # LaTeX of what was understood
    expected: str                     # LaTeX of the chain-rule delta form
    method: str                       # exact | numeric | counterexample
    diagnosis: tuple[Mistake, ...] = ()
    counterexample: dict | None = None   # {"point": {symbol: value}, "expected": x, "given": y}
    notes: tuple[str, ...] = ()          # how the text was read where it was not plain (x² as x^2)
    symbol: str = ""                     # the parameter as the notation prints it (w_{11}, W^{(2)}_{11})

    def to_dict(self) -> dict:
        d = asdict(self)
        d["diagnosis"] = [asdict(m) | {"nodes": list(m.nodes)} for m in self.diagnosis]
        d["notes"] = list(self.notes)
        return d

    def __str__(self) -> str:
        lines = [f"{self.symbol or self.param}: {'correct' if self.correct else 'incorrect'}",
                 f"  understood: {self.parsed}" + (f"  ({'; '.join(self.notes)})" if self.notes else "")]
        if not self.correct:
            lines.append(f"  expected:   {self.expected}")
            lines += [f"  - {m.message}" for m in self.diagnosis] or ["  (no usual mistake matches)"]
            if self.counterexample:
                lines.append("  counterexample: " + counterexample_text(self.counterexample))
        return "\n".join(lines)

    def _repr_html_(self) -> str:   # Jupyter: drawn by the notes stage (derive.jupyter)
        from ..jupyter import html
        return html(self)


def counterexample_text(c: dict) -> str:
    """One line: where the two sides differ and their values there, in the notation's symbols."""
    names = c.get("symbols", {})
    values = "$" + ", ".join(f"{names.get(k, k)} = {c['point'][k]:g}" for k in c["leaves"] if k in c["point"]) + "$"
    if c.get("more"):
        values += f" (and {c['more']} more)"
    spec = c.get("at") == "spec"
    if c.get("kind") == "symbols":
        where = (f"where {values} (the symbols' values at one point of all {c['leaf_count']:,} leaves"
                 + (", the spec's values where it gives them)" if spec else ")"))
    else:
        where = f"at {values}" + (" (the spec's values)" if spec else "")
    return f"{where}: expected {c['expected']:.6g}, given {c['given']:.6g}"
