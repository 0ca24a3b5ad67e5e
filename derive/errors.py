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
