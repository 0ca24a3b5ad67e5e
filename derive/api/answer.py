"""One typed answer for one gradient tensor of a tensor program, judged as one line of a backward pass.

What ``check --param dW2 --answer ...``, the web page's answer box and ``grade`` share for tensor programs.
"""
from __future__ import annotations

from ..errors import DeriveError


def answer_text(bw, param: str | None, answer: str) -> tuple[str, str]:
    """(the dNAME checked, the backward text) for a typed answer to "what is dNAME?".

    The answer is a formula (``h.T @ dlogits``, for the tensor ``param`` names: ``dW2`` or ``W2``), a line
    ``dW2 = formula``, or several lines (helpers, other dNAMEs) one of which assigns the tensor checked.
    Without ``param`` the answer's last left side names it."""
    from ..checking.backward import _LINE
    targets = [x.target for x in bw.lines]
    target = None
    if param is not None and param.strip():
        p = param.strip()
        target = p if p in targets else "d" + p if "d" + p in targets else None
        if target is None:
            raise DeriveError(f"{param!r} is not a gradient tensor of this program; tensors: " + ", ".join(targets))
    lines = [x for x in (line.split("#", 1)[0].strip() for line in answer.splitlines()) if x]
    if not lines:
        raise DeriveError("the answer is empty")
    found = [m.group(1) for m in map(_LINE.fullmatch, lines) if m]
    if not found:
        if len(lines) > 1:
            raise DeriveError("several lines without 'dNAME =': type one formula, or one 'dNAME = expression' per line")
        if target is None:
            raise DeriveError("which tensor? write 'dNAME = formula' or choose the tensor")
        return target, f"{target} = {lines[0]}"
    if target is None:
        target = next((n for n in reversed(found) if n in targets), found[-1])
    elif target not in found:
        raise DeriveError(f"the left side is {found[-1]}, but the tensor checked is {target}" if len(found) == 1
                          else f"no line assigns {target} (the answer assigns {', '.join(dict.fromkeys(found))})")
    return target, "\n".join(lines)


def check_answer(program, param: str | None, answer: str, seed: int = 0):
    """Check one typed answer for one gradient tensor: (BackwardReport of that line, the line as code)."""
    from ..checking.backward import BackwardReport, check_backward, read_lines
    from ..tensor.backward import Backward, derive_backward
    from ..tensor.printer import to_code
    bw = program if isinstance(program, Backward) else derive_backward(program)
    target, text = answer_text(bw, param, answer)
    parsed = [f"{n} = {to_code(t)}" for _, n, t in read_lines(text) if n == target]
    report = check_backward(bw, text, seed)
    line = [x for x in report.lines if x.name == target][-1]
    return BackwardReport([line]), parsed[-1]


def grade_row(bw, param: str, answer: str):
    """One row of ``grade`` for a tensor program: (correct, messages, kinds, the line as code)."""
    report, parsed = check_answer(bw, param, answer)
    line = report.lines[0]
    return line.correct, tuple(d["message"] for d in line.diagnosis), tuple(d["kind"] for d in line.diagnosis), parsed
