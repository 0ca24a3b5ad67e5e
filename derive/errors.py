"""Error types: every user-facing failure is one of these, printed as one line."""


class DeriveError(Exception):
    """Base class of every error derive reports to a user (CLI exit code 2)."""


class SpecError(DeriveError):
    """An unusable spec; the message starts with the field's path."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class FormulaError(DeriveError):
    """A formula (node expression or student answer) that cannot be read."""


class NotRead(FormulaError):
    """A construct the tensor evaluator does not read, though NumPy would compute it (a tensor exponent,
    ``np.arange`` as a value, a string or a tuple as a tensor): a line needing it is refused, never judged."""


class ProofError(DeriveError):
    """Chain rule and direct differentiation disagree: a bug in derive, never hidden."""


SHOWN = 12          # a list of names longer than this is summarised, never printed whole


def named(text) -> str:
    """``text`` quoted if it looks like a name someone typed (letters, digits, ``_.-[]``, at most 40),
    else a description: a message never quotes a file's contents (``derive verify /etc/shadow``)."""
    import re
    if isinstance(text, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-\[\]]{0,39}", text):
        return repr(text)
    return "(not a name; its text is not shown)"


def _distance(a: str, b: str) -> float:
    """Edit distance (insert, delete, substitute, swap two neighbours), a look-alike (l/1, O/0) half a step."""
    alike = {frozenset("l1"), frozenset("I1"), frozenset("O0"), frozenset("o0"), frozenset("-_")}
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [float(i)] + [0.0] * len(b)
        for j, cb in enumerate(b, 1):
            sub = 0 if ca == cb else (0.5 if frozenset((ca, cb)) in alike else 1)
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + sub)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def nearest(name: str, known, n: int = 3) -> list[str]:
    """The known names closest to ``name`` by edit distance (``w1l``: w11, w12), at most ``n``; ignoring
    case and underscores counts as closer than any other edit (``w11`` finds ``w1_11``)."""
    name = str(name)
    if not name or len(name) > 100:
        return []
    flat = lambda t: t.lower().replace("_", "").replace("-", "")  # noqa: E731
    scored = []
    for k, cand in enumerate(dict.fromkeys(str(c) for c in known)):
        d = min(_distance(name, cand), _distance(flat(name), flat(cand)) + 0.25) \
            + (0.5 if name[:1].lower() != cand[:1].lower() else 0)      # another kind of name (b for w)
        if d <= max(1.5, len(name) / 3):     # ties: the nearer index (w9_99: w2_99 before w1_99), then order
            gap = sum(abs(int(x) - int(y)) for x, y in zip(name, cand) if x.isdigit() and y.isdigit()) \
                if len(name) == len(cand) else 0
            scored.append((d, gap, k, cand))
    near = [c for *_, c in sorted(scored)[:n]]
    import difflib                   # then similar-looking names of another shape (theta2_11: w2_11)
    near += [c for c in difflib.get_close_matches(name, list(known), n=n, cutoff=0.5) if c not in near]
    return near[:n]


def choices(name: str, known, what: str = "names") -> str:
    """The end of an "unknown NAME" line: close matches, then the known names, or a count and a few.

    ``choices("theta2_11", params, "parameters")`` is ``did you mean w2_11? (2,410 parameters: w1_11,
    w1_12, w1_13, ..., b2_10)``; at most SHOWN names are listed, so the message stays one line.
    """
    import re
    known = [str(k) for k in known]
    near = nearest(str(name), known)
    swapped = re.fullmatch(r"([A-Za-z]+\d*_?)(\d)(\d)", str(name))     # w13 for w31: indices swapped
    if swapped and swapped.expand(r"\1\3\2") in known:
        near = [swapped.expand(r"\1\3\2")] + [n for n in near if n != swapped.expand(r"\1\3\2")][:2]
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    if not known:
        return f"{hint}(no {what})".strip()
    listing = f"{what}: {', '.join(known)}" if len(known) <= SHOWN else \
        f"{len(known):,} {what}: {', '.join(known[:3])}, ..., {known[-1]}"
    return f"{hint}({listing})" if hint else listing
