"""Limits on untrusted formula text, checked while tokenizing and while building maths."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_length: int = 20_000
    max_depth: int = 100
    max_exponent: int = 64
    max_digits: int = 30
    max_nodes: int = 20_000
