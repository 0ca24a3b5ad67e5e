"""Each distinct answer of a class graded once: grouping, the verdict store, and the runner.

A class CSV holds a few distinct answers many times over.  Rows are grouped by (parameter,
normalised answer); each group is checked once, in a sandboxed worker on this machine or on a Dask
cluster (``cluster.py``), and its verdict is copied to every row of the group.  The normalised text
is what is checked, so a group's verdict is exactly the verdict every member would get alone; an
unusable answer whose text was changed by the normalisation is checked again as typed, so the
error's column numbers point into the student's own text.  A cell that says no answer was given (empty,
Moodle's "-", "(no answer)") is "unanswered", never checked.  Verdicts are kept in the store
(``store.py``) as they arrive: a regrade reads them back, a killed run resumes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from .. import sandbox

_SPACE_RUN = re.compile(r"(?<!\\)\s+")              # whitespace not escaped by a backslash (``\ `` is a command)
_VERBATIM = ("\\math", "color")                     # regexes with bounded lengths read these (tokens.py)
MAX_NORMALISED = 1000                               # longer answers: only exact duplicates share a verdict
# what an export writes for a question left blank (Moodle "-", others "(no answer)", a dash): never checked
NO_ANSWER = frozenset({"", "-", "\u2013", "\u2014", "no answer", "(no answer)", "[no answer]", "no response",
                       "(no response)", "not answered", "(not answered)"})
_UNESCAPED = r"(?<!\\)((?:\\\\)*)\\"                # a command's backslash, not the second half of ``\\``
_DELIM = re.compile(_UNESCAPED + r"(?:left|right)\s*(?=[()\[\]])")
_SAME_AS = [(re.compile(_UNESCAPED + r"[dt]frac(?![A-Za-z])"), r"\1\\frac"),           # the tokenizer reads
            (re.compile(_UNESCAPED + r"(?:times|ast)(?![A-Za-z])"), r"\1\\cdot")]     # these alike
_OPS = frozenset("+-*/=()[]{},")
_LATEX_MARKS = ("\\", "_{", "^{", "$")               # model.formula.looks_like_latex


def _strip(text: str) -> str:
    """``text.strip()``, keeping one space after a final backslash (``\\ `` is a command)."""
    s = text.lstrip()
    t = s.rstrip()
    return s[:len(t) + 1] if t.endswith("\\") and len(t) < len(s) else t


def _tight(text: str) -> str:
    """Single spaces beside an operator or bracket, or before a command, dropped; except where the two
    sides would join into another token (``* *`` is not ``**``), the space is a command (``\\ ``) or
    joining would make the text LaTeX (``_ {``)."""
    out = []
    for i, c in enumerate(text):
        if c == " " and 0 < i < len(text) - 1:
            a, b = text[i - 1], text[i + 1]
            if ((a in _OPS or b in _OPS or b == "\\") and a != "\\" and not (a == "*" and b == "*")
                    and not (a in "_^" and b == "{")):
                continue
        out.append(c)
    return "".join(out)


def normalise_formula(text: str) -> str:
    """A typed formula in one spelling: whitespace runs as one space, ``\\left(`` as ``(``, ``\\dfrac`` as
    ``\\frac``, ``\\times`` as ``\\cdot``.  Every rewrite is one the formula reader makes itself, and none
    changes whether the text is read as LaTeX, so the normalised text reads as the same formula.  Long
    texts and texts whose reading counts characters (an indicator's bracket, a colour name) keep their
    inner spelling.  Idempotent: a normalised text normalises to itself."""
    out = _strip(text)
    if len(out) > MAX_NORMALISED or any(m in out for m in _VERBATIM):
        return out
    out = _tight(_SPACE_RUN.sub(" ", out))
    if "\\" not in out:
        return out
    for _ in range(len(out)):
        before = out
        for pattern, repl in _SAME_AS:
            out = pattern.sub(repl, out)
        bare = _tight(_strip(_SPACE_RUN.sub(" ", _DELIM.sub(r"\1", out))))
        out = bare if any(m in bare for m in _LATEX_MARKS) else out
        if out == before:
            break
    return out


def unanswered(text: str) -> bool:
    """Whether an answer cell says the student gave no answer (empty, Moodle's "-", "(no answer)", a dash)."""
    return " ".join(text.split()).casefold() in NO_ANSWER


def normalise_lines(text: str) -> str:
    """Backward-pass lines as the tensor checker reads them: comments, indentation and blank lines gone."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return "\n".join(x for x in lines if x)


@dataclass(frozen=True)
class Recipe:
    """How to check answers anywhere: ``check(build(*payload), param, text)`` returns
    (correct, diagnosis messages, diagnosis kinds, parsed).  ``build`` and ``check`` are module-level
    functions and ``payload`` plain data, so a Dask worker can rebuild the checker from it."""
    build: Callable
    check: Callable
    payload: tuple
    key: str                                         # the spec's canonical hash
    normalise: Callable[[str], str] = normalise_formula
    built: Any = field(default=None, compare=False)  # the checker, when it is already built here

    def checker(self):
        return self.built if self.built is not None else self.build(*self.payload)

    def run(self, obj, param: str, text: str):
        return self.check(obj, param, text)


def verdict(outcome: tuple, seconds: float) -> dict:
    """A sandbox outcome as a verdict: status, diagnosis, kinds, parsed, error, seconds."""
    v = {"status": "", "diagnosis": [], "kinds": [], "parsed": "", "error": "", "seconds": round(seconds, 4)}
    if outcome[0] == "ok":
        correct, messages, kinds, parsed = outcome[1]
        v.update(status="correct" if correct else "incorrect", diagnosis=list(messages), kinds=list(kinds),
                 parsed=parsed)
    elif outcome[0] == "error":
        v.update(status="unusable", error=outcome[2])
    else:
        v.update(status="timeout" if outcome[0] == "timeout" else "error", error=outcome[1])
    return v


def _keepable(v: dict) -> bool:
    """Whether a verdict belongs in the store: a crash or the memory cap says nothing about the answer."""
    return v["status"] in ("correct", "incorrect", "timeout") or (
        v["status"] == "unusable" and not v["error"].startswith(("out of memory", "the check killed")))


@dataclass
class Tally:
    distinct: int = 0        # distinct (parameter, normalised answer) pairs
    graded: int = 0          # checks run now (each distinct answer at most once, plus unusable retyped ones)
    from_store: int = 0      # verdicts read back from the store


def local_runner(recipe: Recipe, workers: int | None, timeout: float):
    """Run tasks in forked sandbox workers on this machine (``sandbox.Pool``)."""
    import functools
    obj = recipe.checker()
    pool = sandbox.Pool(functools.partial(recipe.check, obj), workers, timeout)

    def run(tasks: list[tuple]) -> Iterator[tuple[int, tuple, float]]:
        return pool.run(tasks)
    run.size = pool.size
    return run


def grade_rows(rows: list[dict], recipe: Recipe, runner, *, timeout: float, store=None,
               on_verdict: Callable[[list[int], dict], None] = lambda idx, v: None) -> tuple[list[dict], Tally]:
    """A verdict for every row (same order), each distinct answer checked once.

    ``runner(tasks)`` yields (task index, outcome, seconds); ``on_verdict(row indices, verdict)`` is
    called as verdicts arrive (a progress bar, a web page's counter)."""
    exact: dict[tuple[str, str], list[int]] = {}
    blank: list[int] = []
    for i, r in enumerate(rows):                    # exact duplicates first: cheap
        if unanswered(r["answer"]):
            blank.append(i)
        else:
            exact.setdefault((r["param"], r["answer"]), []).append(i)
    groups: dict[tuple[str, str], list[int]] = {}
    for (param, answer), idx in exact.items():      # then each distinct text normalised once
        groups.setdefault((param, recipe.normalise(answer)), []).extend(idx)
    tally = Tally(distinct=len(groups))
    out: list[dict | None] = [None] * len(rows)
    retyped: dict[tuple[str, str], list[int]] = {}
    if blank:                                       # no answer given: nothing to check, never "incorrect"
        v = {"status": "unanswered", "diagnosis": [], "kinds": [], "parsed": "", "error": "", "seconds": 0.0}
        for i in blank:
            out[i] = v
        on_verdict(blank, v)

    def settle(key: tuple[str, str], v: dict, idx: list[int]):
        if v["status"] == "unusable":     # its message may quote columns: rows typed otherwise get their own
            typed = [i for i in idx if rows[i]["answer"] != key[1]]
            for i in typed:
                retyped.setdefault((key[0], rows[i]["answer"]), []).append(i)
            idx = [i for i in idx if rows[i]["answer"] == key[1]]
        for i in idx:
            out[i] = v
        if idx:
            on_verdict(idx, v)

    for todo_groups in (groups, retyped):
        todo = _from_store(todo_groups, recipe, store, timeout, tally, settle)
        for j, outcome, seconds in (runner(todo) if todo else ()):
            k, v = todo[j], verdict(outcome, seconds)
            tally.graded += 1
            if store is not None and _keepable(v):
                store.put(recipe.key, k, v, timeout)
            settle(k, v, todo_groups[k])
    return out, tally


def _from_store(groups: dict, recipe: Recipe, store, timeout: float, tally: Tally, settle) -> list:
    """Settle the groups whose verdict the store has; the keys still to check."""
    keys = list(groups)
    known = store.get_many(recipe.key, keys, timeout) if store is not None and keys else {}
    for k in keys:
        if k in known:
            tally.from_store += 1
            settle(k, known[k], groups[k])
    return [k for k in keys if k not in known]


def distinct_count(rows: Iterable[dict], normalise: Callable[[str], str] = normalise_formula) -> int:
    """How many answers grading will check (for a job's time limit)."""
    return len({(p, normalise(a)) for p, a in {(r["param"], r["answer"]) for r in rows} if not unanswered(a)})


def part_of(rows: list[dict], k: int, n: int) -> list[dict]:
    """The rows of the k-th of n slices of the distinct (param, answer) pairs, in order of first appearance."""
    keys = list(dict.fromkeys((r["param"], r["answer"]) for r in rows))
    size = -(-len(keys) // n)
    mine = set(keys[k * size:(k + 1) * size])
    return [r for r in rows if (r["param"], r["answer"]) in mine]
