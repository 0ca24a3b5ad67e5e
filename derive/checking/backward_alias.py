"""Names that are one NumPy array: ``b = a`` binds b to a's array, it copies nothing.

A backward file is read with every name its own value, which is what NumPy does until such an array is
changed in place: after ``dhpre = dh`` then ``dhpre *= mask`` (or ``dhpre[h <= 0] = 0``), NumPy's dh is
masked too.  Reading dh after that as the unmasked value would judge a program other than the one that
runs, so that read is refused with the fix (``dhpre = dh.copy()``).  Tracked: a bare name assigned to a
name at the top level of the file; a later ``=`` to either name makes it a new array again.  Not tracked
(read as copies): views made by slicing, ``.T`` or ``reshape``, and a helper that changes its argument.
"""
from __future__ import annotations

from ..errors import DeriveError


class Aliases:
    def __init__(self):
        self.group: dict[str, set] = {}    # name -> the names sharing its array (itself included)
        self.bound: dict[str, int] = {}    # name -> the line that made it share
        self.stale: dict[str, tuple] = {}  # name -> (the name changed in place, that line)

    def assigned(self, name: str, source: str | None, line: int) -> None:
        """``name = ...`` at ``line``; ``source`` when the value is that bare name (``name = source``)."""
        self._leave(name)
        self.stale.pop(name, None)
        if source is not None and source != name:
            g = self.group.setdefault(source, {source})
            g.add(name)
            self.group[name] = g
            self.bound[name] = line

    def changed(self, name: str, line: int) -> None:
        """``name += ...``, ``name[mask] = ...`` at ``line``: every other name of its array changed too."""
        for other in self.group.get(name, ()):
            if other != name:
                self.stale[other] = (name, line)

    def read(self, name: str, line: int) -> None:
        if name in self.stale:
            changed, where = self.stale[name]
            first, second = (changed, name) if changed in self.bound else (name, changed)
            raise DeriveError(
                f"line {line}: {name} is read after line {where} changed {changed} in place, and {first} = "
                f"{second} (line {self.bound.get(first, '?')}) made them one NumPy array, so {name} changed too; "
                f"derive reads every name as its own value: write {first} = {second}.copy()")

    def _leave(self, name: str) -> None:
        g = self.group.pop(name, None)
        if g is not None:
            g.discard(name)
            if len(g) == 1:
                (last,) = g
                self.group.pop(last, None)
        self.bound.pop(name, None)
