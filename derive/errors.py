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


def choices(name: str, known, what: str = "names") -> str:
    """The end of an "unknown NAME" line: close matches, then the known names, or a count and a few.

    ``choices("theta2_11", params, "parameters")`` is ``did you mean w2_11? (2,410 parameters: w1_11,
    w1_12, w1_13, ..., b2_10)``; at most SHOWN names are listed, so the message stays one line.
    """
    import difflib
    import re
    known = [str(k) for k in known]
    near = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5) if len(str(name)) <= 100 else []
    swapped = re.fullmatch(r"([A-Za-z]+\d*_?)(\d)(\d)", str(name))     # w13 for w31: indices swapped
    if swapped and swapped.expand(r"\1\3\2") in known:
        near = [swapped.expand(r"\1\3\2")] + [n for n in near if n != swapped.expand(r"\1\3\2")][:2]
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    if not known:
        return f"{hint}(no {what})".strip()
    listing = f"{what}: {', '.join(known)}" if len(known) <= SHOWN else \
        f"{len(known):,} {what}: {', '.join(known[:3])}, ..., {known[-1]}"
    return f"{hint}({listing})" if hint else listing
