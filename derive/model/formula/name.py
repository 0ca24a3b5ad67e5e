"""A name as a formula writes it (``Name``): what every grammar reads and every resolver is given."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Name:
    """A name as written: base, subscript and superscript text (``\\delta^{(2)}_1``), and the source."""
    base: str
    sub: str = ""
    sup: str = ""
    text: str = ""
    accent: str = ""      # hat | tilde | bar (``\\hat{y}``)
    time: str = ""        # "t" or "t+1": ``w_{11}(t+1)``, the value after one update
    example: str = ""     # "2": example 2's copy (``x^{(i)}_1`` inside a sum over examples, ``{y_1}^{(2)}``)
    index: str = ""       # the sum indices written into sub (``x_j`` read as x_2 while j = 2)

    def key(self) -> str:
        """base + sup + sub without ``_ { } ( ) \\ ^`` and spaces, for loose matching."""
        return re.sub(r"[_{}()\\^\s]", "", self.base + self.sup + self.sub)
