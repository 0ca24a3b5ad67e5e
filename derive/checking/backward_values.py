"""Python values a backward file builds around its tensors: a dict keyed by strings, and the strings.

deeplearning.ai's ``L_model_backward`` keeps its gradients in ``grads = {}`` under keys built from the layer
(``grads["dW" + str(l + 1)] = dW_temp``) and reads them back (``grads["dA" + str(l + 1)]``).  Each key is a
string known before anything runs (a loop's step, a size or a number put in), so a dict is a table from
strings to trees: setting a key whose string names a gradient (``"dW2"``) assigns that gradient there, as
``dW2 = ...`` would, and reading one reads it.  ``str(n)`` of a whole number and ``"a" + "b"`` are folded;
``len`` of a list (a tuple of caches) is its length.  Anything else about a dict or a string is refused.
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import DeriveError
from ..tensor.tree import Bin, Call, Const, Index, Name, Num, Tuple
from .backward_parse import Stmt


class Dict:
    """A dict's entries: key -> (tree, statement ids); a new Dict for each change (values are never shared)."""

    def __init__(self, entries: dict | None = None):
        self.entries = dict(entries or {})

    def set(self, key: str, tree, ids) -> "Dict":
        return Dict({**self.entries, key: (tree, set(ids))})

    def __repr__(self):
        return f"Dict({sorted(self.entries)})"


def builtin(name: str, args: list, line: int):
    """str(n) and dict() (``{}``) in a backward file."""
    if name == "dict" and len(args) % 2 == 0 and all(isinstance(x, Const) and isinstance(x.value, str)
                                                     for x in args[::2]):
        return Dict({x.value: (v, set()) for x, v in zip(args[::2], args[1::2])})
    if name == "str" and len(args) == 1 and isinstance(args[0], Num) and args[0].value.denominator == 1:
        return Const(str(int(args[0].value)))
    if name == "str" and len(args) == 1 and isinstance(args[0], Const) and isinstance(args[0].value, str):
        return args[0]
    raise DeriveError(f"line {line}: {name}() is read only as str(n) of a loop step or a number, and dict()")


def fold(t):
    """'dW' + '1' -> 'dW1'; a number + a number; len() of a list (Index(shape(tuple), 0))."""
    if isinstance(t, Bin) and t.op == "+" and all(isinstance(x, Const) and isinstance(x.value, str) for x in (t.a, t.b)):
        return Const(t.a.value + t.b.value)
    if isinstance(t, Bin) and t.op in "+-" and isinstance(t.a, Num) and isinstance(t.b, Num):
        return Num(t.a.value + t.b.value if t.op == "+" else t.a.value - t.b.value)
    if isinstance(t, Index) and isinstance(t.x, Call) and t.x.fn == "shape" and isinstance(t.x.args[0], Tuple) \
            and t.items == (Num(Fraction(0)),):
        return Num(Fraction(len(t.x.args[0].items)))
    return t


def key_of(tree, line: int) -> str:
    items = tree.items if isinstance(tree, Tuple) else (tree,)
    if len(items) == 1 and isinstance(items[0], Const) and isinstance(items[0].value, str):
        return items[0].value
    raise DeriveError(f"line {line}: a dict's key must be a string known before anything runs "
                      "(\"dW\" + str(l), with l a loop's step)")


def same_strings(test, line: int):
    """``activation == "relu"`` with both sides strings: its truth; None when it is not that."""
    if isinstance(test, Bin) and test.op in ("==", "!=") and all(isinstance(x, Const) and isinstance(x.value, str)
                                                                  for x in (test.a, test.b)):
        return (test.a.value == test.b.value) == (test.op == "==")
    return None


class Dicts:
    """The runner's side (mixed into ``backward_program.Runner``): a dict's entry set and read."""

    def entry(self, own, prev, key: str, value, ids, st, local):
        """d[key] = value on a dict: a key naming a gradient assigns it here (``grads["dW" + str(l)] = dW``)."""
        if st.add and key not in prev.entries:
            raise DeriveError(f"line {st.line}: {own}[{key!r}] is updated before it is set")
        if st.add:                          # self.W1 -= lr * dW1: the entry as it was, plus the value
            value, ids = Bin("+", prev.entries[key][0], value), set(ids) | prev.entries[key][1]
        self.store(own, prev.set(key, value, ids), ids, st.line, local)
        self.in_place(own, local, st.line, ids)      # a method's self is its caller's object
        if key in self.gradients:
            self.store(key, value, ids, st.line, None)

    def literal(self, value, ids, line: int):
        """grads = {"dW1": dW1, ...} in a helper: a key naming a gradient assigns it here (a name read as
        itself, ``{"dW1": dW1}`` at the top level, is left as it is)."""
        for key, (tree, _) in value.entries.items():
            if key in self.gradients and tree != Name(key):
                self.store(key, tree, ids, line, None)

    def lookup(self, d, key: str, own, used: set):
        if key not in d.entries:
            raise DeriveError(f"line {self.at}: the dict has no key {key!r} here")
        if key in self.gradients and key != own and key in self.cur:
            self.finish(key)                # read by another line: complete here, read as itself
            if not self.inline:
                return Name(key)
        used.update(d.entries[key][1])
        return d.entries[key][0]


def top_level(blocks):
    """The ids of the statements in these blocks, in their loops and ifs too (not in helper functions)."""
    for b in blocks:
        if isinstance(b, Stmt):
            yield b.id
        else:
            yield from top_level(b.body + getattr(b, "orelse", []))
