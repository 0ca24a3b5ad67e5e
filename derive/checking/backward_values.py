"""Python values a backward file builds around its tensors: a dict keyed by strings, and the strings.

deeplearning.ai's ``L_model_backward`` keeps its gradients in ``grads = {}`` under keys built from the layer
(``grads["dW" + str(l + 1)] = dW_temp``) and reads them back (``grads["dA" + str(l + 1)]``).  Each key is a
string known before anything runs (a loop's step, a size or a number put in), so a dict is a table from
strings to trees: setting a key whose string names a gradient (``"dW2"``) assigns that gradient there, as
``dW2 = ...`` would, and reading one reads it.  ``str(n)`` of a whole number and ``"a" + "b"`` are folded;
``len`` of a list (a tuple of caches) is its length.  Anything else about a dict or a string is refused.
CS231n's ``grads['W1']`` (a parameter's name as the key of a dict whose name says grad) is dW1.

Lists (Nielsen's network.py): ``[]``, ``xs + [x]`` (``xs.append(x)``), ``[None] * n``, ``zip`` of lists, a
slice ``sizes[1:]``, an item read or set at a number or a loop's step (``nabla_w[-l] = ...``) and a loop over
a list (``for b, w in zip(self.biases, self.weights):``, ``Lists.each``).
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import DeriveError, FormulaError
from ..tensor.tree import Bin, Call, Const, Index, Name, Num, Tuple
from .backward_parse import Loop, Stmt

MAX_STEPS = 1000         # loop iterations over a whole file


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
    if name == "list" and not args:
        return Tuple(())
    if name == "zip" and args and all(isinstance(x, Tuple) for x in args):
        return Tuple(tuple(Tuple(items) for items in zip(*(x.items for x in args))))
    raise DeriveError(f"line {line}: {name}() is read only as str(n) of a loop step or a number, dict(), list() "
                      "and zip() of lists")


def fold(t):
    """'dW' + '1' -> 'dW1'; a number + a number; len() of a list (Index(shape(tuple), 0))."""
    if isinstance(t, Bin) and t.op == "+" and all(isinstance(x, Const) and isinstance(x.value, str) for x in (t.a, t.b)):
        return Const(t.a.value + t.b.value)
    if isinstance(t, Bin) and t.op == "+" and isinstance(t.a, Tuple) and isinstance(t.b, Tuple):
        return Tuple(t.a.items + t.b.items)         # xs + [x]: a list grown (xs.append(x))
    if isinstance(t, Bin) and t.op == "*" and isinstance(t.a, Tuple) and isinstance(t.b, Num) \
            and t.b.value.denominator == 1 and 0 <= t.b.value <= 1000:
        return Tuple(t.a.items * int(t.b.value))    # [None] * len(Ws): a list of that many items
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
        if (grad := gradient_key(own, key, self.gradients)) is not None:
            self.store(grad, value, ids, st.line, None)
        elif key[:1] == "d" and (base := key.rstrip("0123456789-")) != key and \
                any(g.rstrip("0123456789") == base for g in self.gradients):
            self.strays.append((st.line, key, sorted(g for g in self.gradients if g.rstrip("0123456789") == base)))

    def literal(self, value, ids, line: int):
        """grads = {"dW1": dW1, ...} in a helper: a key naming a gradient assigns it here (a name read as
        itself, ``{"dW1": dW1}`` at the top level, is left as it is)."""
        for key, (tree, _) in value.entries.items():
            if key in self.gradients and tree != Name(key):
                self.store(key, tree, ids, line, None)

    def lookup(self, d, key: str, own, used: set, name=None):
        if key not in d.entries:
            raise DeriveError(f"line {self.at}: the dict has no key {key!r} here")
        grad = gradient_key(name, key, self.gradients) or key
        if grad in self.gradients and grad != own and grad in self.cur:
            self.finish(grad)               # read by another line: complete here, read as itself
            if not self.inline:
                return Name(grad)
        used.update(d.entries[key][1])
        return d.entries[key][0]


class Lists:
    """The runner's side of Python's lists (mixed into ``backward_program.Runner``): a loop over one, an item
    set, the shape of a helper's parameter."""

    def each(self, b: Loop, consts: dict, local) -> list:
        """The names a loop over a list binds at each step (for b, w in zip(bs, ws): each pair)."""
        over = self.subst(b.over, consts, None, set(), local)[0]
        if not isinstance(over, Tuple):
            raise DeriveError(f"line {b.line}: a for loop is read over range(...), a list, or zip() of lists")
        out = []
        for item in over.items:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise DeriveError(f"line {b.line}: more than {MAX_STEPS} loop steps")
            if len(b.var) == 1:
                out.append({b.var[0]: item})
            elif isinstance(item, Tuple) and len(item.items) == len(b.var):
                out.append(dict(zip(b.var, item.items)))
            else:
                raise DeriveError(f"line {b.line}: cannot unpack a list's item into {len(b.var)} names")
        return out

    def item(self, prev: Tuple, mask, value, st) -> Tuple:
        from ..tensor.axes import const_int
        try:
            k = range(len(prev.items))[const_int(mask, self.sizes)]
        except (FormulaError, IndexError):
            raise DeriveError(f"line {st.line}: a list's item is set at a loop step or a number within "
                              f"its {len(prev.items)} items") from None
        value = Bin("+", prev.items[k], value) if st.add else value
        return Tuple(prev.items[:k] + (value,) + prev.items[k + 1:])

    def shape_of(self, tree):
        """A tree's shape at the checked sizes (x.shape[0] of a helper's parameter), None if not known."""
        if isinstance(tree, Name):
            return self.shapes.get(tree.id)
        from ..tensor.shapes import Info, infer
        try:
            return tuple(infer(tree, {k: Info(v, False) for k, v in self.shapes.items()}, self.sizes).shape)
        except (FormulaError, ValueError, IndexError, TypeError, KeyError):
            return None


def gradient_key(name, key: str, gradients: set):
    """The gradient a dict's key names: the key itself (grads["dW1"]), or a parameter's name in a dict of
    gradients (CS231n's grads['W1'], a dict whose name says grad); None for any other key."""
    if key in gradients:
        return key
    if isinstance(name, str) and ("grad" in name.lower() or "nabla" in name.lower()) and "d" + key in gradients:
        return "d" + key
    return None


def top_level(blocks):
    """The ids of the statements in these blocks, in their loops and ifs too (not in helper functions)."""
    for b in blocks:
        if isinstance(b, Stmt):
            yield b.id
        else:
            yield from top_level(b.body + getattr(b, "orelse", []))
