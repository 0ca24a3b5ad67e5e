"""Names that are one NumPy array, or views of one: what an in-place change does to the other names.

NumPy copies nothing for ``b = a``, a basic slice (``a[:, :3]``, ``a[1:]``, ``a[0]``, ``a[...]``), ``.T``,
``reshape``/``view``/``ravel``, ``swapaxes`` or a helper's parameter: the new name is a view of a's memory,
and an in-place change (``+=``, ``d[mask] = 0``, ``np.add.at``) through one name changes the others.  Each
name is bound to an array; a view's array records its base and how it was made (the path).  After a
change, every array sharing that memory gets its new value when it can be computed exactly: up the chain
(a slice's base gets the slice put back in place, ``.T``'s base the transpose, ``b = a`` the same value),
then down to every view of those (siblings included).  A ``reshape`` (a view or a copy, as the memory
lies) or an array no name holds any more stops that: the names beyond it are stale, and reading one is
refused in one line with the fix (``write first = dhpre[:, :3].copy()``).  Which names take a computed
value and which go stale is the runner's choice (``backward_program``: a gradient's name goes stale).
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import DeriveError
from ..tensor.tree import Bin, Call, Const, Index, Name, Neg, Num, Scatter, Slice, Tuple

EXACT = ("same", "T", "index")
MAX_NODES = 4000         # a value computed through views, its shared parts counted each time


def view_of(tree, consts: dict, sizes: dict):
    """(source name, [paths, base first]) when ``tree`` is a view of a name in NumPy; None for a new array."""
    paths = []
    while True:
        if isinstance(tree, Name):
            return (tree.id, paths[::-1]) if tree.id not in consts else None
        if isinstance(tree, Call) and tree.fn == "transpose" and len(tree.args) == 1 and not tree.kw:
            paths.append(("T",))
        elif isinstance(tree, Call) and tree.fn in ("reshape", "swapaxes", "transpose", "expand_dims",
                                                    "unsqueeze", "broadcast_to") and tree.args:
            paths.append(("opaque",))         # a view or a copy as the memory lies, or not writable back
        elif isinstance(tree, Index) and all(_basic(x, consts, sizes) for x in tree.items):
            items = tuple(_fold(x, consts) for x in tree.items)
            paths.append(("opaque",) if any(isinstance(x, Const) and x.value is None for x in items)
                         else ("index", items))
        else:
            return None
        tree = tree.args[0] if isinstance(tree, Call) else tree.x


def _basic(item, consts, sizes) -> bool:
    """A basic index (a view): a slice, ..., None or a whole number made of numbers, sizes and loop steps."""
    if isinstance(item, Slice):
        return all(v is None or _basic(v, consts, sizes) for v in (item.lo, item.hi, item.step))
    if isinstance(item, Const):
        return item.value is Ellipsis or item.value is None
    if isinstance(item, Num):
        return True
    if isinstance(item, Name):
        return item.id in consts or item.id in sizes
    if isinstance(item, Bin) and item.op in "+-*":
        return _basic(item.a, consts, sizes) and _basic(item.b, consts, sizes)
    return isinstance(item, Neg) and _basic(item.x, consts, sizes)


def _fold(item, consts):
    if isinstance(item, Name) and item.id in consts:
        return consts[item.id]
    if isinstance(item, Slice):
        return Slice(*(None if v is None else _fold(v, consts) for v in (item.lo, item.hi, item.step)))
    if isinstance(item, Bin):
        return Bin(item.op, _fold(item.a, consts), _fold(item.b, consts))
    return item


def put(prev, value, items, like=None):
    """``prev`` with ``value`` set at ``prev[items]`` (NumPy's ``prev[items] = value``)."""
    like = prev if like is None else like
    hit = Scatter(Call("ones_like", (value,)), like, items)
    return Bin("+", Bin("*", prev, Bin("-", Num(Fraction(1)), hit)), Scatter(value, like, items))


def _apply(path, base):
    return base if path[0] == "same" else Call("transpose", (base,)) if path[0] == "T" else Index(base, path[1])


def _inverse(path, old_base, new_view):
    return new_view if path[0] == "same" else Call("transpose", (new_view,)) if path[0] == "T" \
        else put(old_base, new_view, path[1])


class Aliases:
    """Which names hold one array or views of it; keys are (scope, name), scope None for the file's top level."""

    def __init__(self):
        self.array: dict = {}     # key -> array id
        self.parent: dict = {}    # array id -> (base array id, path)
        self.made: dict = {}      # array id -> (line, text of what made it a view: 'dhpre = dh', the fix)
        self.stale: dict = {}     # key -> message to refuse a read with
        self.n = 0

    def _new(self) -> int:
        self.n += 1
        return self.n

    def bound(self, key, view, line: int, made: tuple | None = None) -> None:
        """key = a new value, or ``view`` = (source key, paths) of it; ``made`` = (what made it, the fix)."""
        self.stale.pop(key, None)
        if view is None:
            self.array.pop(key, None)
            return
        src, paths = view
        arr = self.array.setdefault(src, self._new())
        for p in paths:
            if p[0] != "same":
                child = self._new()
                self.parent[child] = (arr, p)
                arr = child
        self.array[key] = arr
        if made is not None:
            self.made[(arr, key)] = (line,) + made

    def changed(self, key, value_of) -> list:
        """[(other key, its new value or None when it cannot be computed)] after key's array changed in place;
        ``value_of(key)`` gives a key's value now (key's own already changed)."""
        a0 = self.array.get(key)
        if a0 is None:
            return []
        root = self._root(a0)
        group = {a for a in set(self.array.values()) | set(self.parent) if self._root(a) == root}
        new = {a0: value_of(key)}
        a = a0
        while a in self.parent:
            p, path = self.parent[a]
            old = self._value(p, value_of)
            if path[0] not in EXACT or old is None:
                break
            new[p] = _inverse(path, old, new[a])
            a = p
        todo = list(new)
        while todo:
            a = todo.pop()
            for c, (p, path) in self.parent.items():
                if p == a and c not in new and path[0] in EXACT:
                    new[c] = _apply(path, new[a])
                    todo.append(c)
        new = {a: v for a, v in new.items() if small_tree(v, [MAX_NODES])}     # a row view in a loop: refused
        return [(k, new.get(arr)) for k, arr in self.array.items() if k != key and arr in group]

    def went_stale(self, key, changed_key, line: int) -> str:
        """Mark key stale (its array changed through changed_key at line); the message a read is refused with."""
        name, other = key[1], changed_key[1]
        made = self._made(changed_key) or self._made(key)
        how, fix = (f"{made[1]} (line {made[0]}) made them share one NumPy array", made[2]) if made else \
            ("they share one NumPy array", f"{other} = ....copy()")
        self.stale[key] = (f"{name} is read after line {line} changed {other} in place, and {how}, so {name} "
                           f"changed too; derive reads every name as its own value: write {fix}")
        return f"line {line} changes it in place through {other} ({how}); derive judges every name as its " \
               f"own value and cannot tell which {name} is meant: write {fix}"

    def read(self, key, line: int) -> None:
        if key in self.stale:
            raise DeriveError(f"line {line}: {self.stale[key]}")

    def _made(self, key):
        arr = self.array.get(key)
        while arr is not None:
            hit = next((v for (a, _), v in self.made.items() if a == arr), None)
            if hit is not None:
                return hit
            arr = self.parent.get(arr, (None,))[0]
        return None

    def _root(self, a):
        while a in self.parent:
            a = self.parent[a][0]
        return a

    def _value(self, arr, value_of):
        """An array's value now: a name's that holds it, or made from its base (an unnamed view in a chain)."""
        key = next((k for k, a in self.array.items() if a == arr), None)
        if key is not None:
            return value_of(key)
        if arr in self.parent and self.parent[arr][1][0] in EXACT:
            base = self._value(self.parent[arr][0], value_of)
            return None if base is None else _apply(self.parent[arr][1], base)
        return None


def small_tree(tree, budget: list) -> bool:
    """``tree`` has at most budget[0] nodes, a shared subtree counted each time it is read (as evaluating
    reads it)."""
    budget[0] -= 1
    if budget[0] < 0:
        return False
    kids = [getattr(tree, f) for f in ("a", "b", "x", "g") if hasattr(tree, f)]
    kids += list(getattr(tree, "args", ())) + list(getattr(tree, "items", ())) + [v for _, v in getattr(tree, "kw", ())]
    return all(small_tree(k, budget) for k in kids if k is not None and not isinstance(k, (str, int)))


class Views:
    """The runner's side (mixed into ``backward_program.Runner``): binding names, and an in-place change's
    effect on the names sharing its memory (a computed value, or stale; a gradient's name always stale)."""

    def key(self, name: str, local):
        return (id(local), name) if local is not None and name in local else (None, name)

    def bind(self, targets, tree, consts, local, line: int, made=None) -> None:
        """``targets = tree`` (a tuple of targets from a tuple of values, or a helper's returned views)."""
        if isinstance(tree, Call) and tree.fn == "call" and len(self.returns) == len(targets):
            views = self.returns
        else:
            items = [tree] if len(targets) == 1 else \
                tree.items if isinstance(tree, Tuple) and len(tree.items) == len(targets) else [None] * len(targets)
            views = [self.view(x, consts, local) for x in items]
        for t, v, x in zip(targets, views, [tree] * len(targets)):
            from ..tensor.printer import to_code
            why = made or ((f"{t} = {to_code(x)}", f"{t} = {to_code(x)}.copy()") if v is not None and not
                           (isinstance(x, Call) and x.fn == "call") else None)
            self.aliases.bound((id(local) if local is not None else None, t), v, line, why)

    def source(self, st, tree, consts, local):
        """The gradient a temporary view is made of (``first = dhpre[:, :3]``, not ``g = dh``): read as the file
        computes it so far, not complete there (changing the view goes on building it)."""
        v = self.view(tree, consts, local) if st.op == "=" and len(st.targets) == 1 else None
        if v is not None and v[1] and v[0][0] is None and v[0][1] in self.gradients \
                and st.targets[0] not in self.gradients and local is None and v[0][1] in self.cur:
            return v[0][1]
        return None

    def view(self, tree, consts, local):
        v = None if tree is None else view_of(tree, consts, self.sizes)
        if v is None or v[0] in self.sizes:
            return None
        return self.key(v[0], local), v[1]

    def in_place(self, own: str, local, line: int, ids) -> None:
        """own was changed in place at line: the names sharing its memory take their new values, or go stale."""
        def where(k):
            return self.cur if k[0] is None else self.scopes[k[0]]

        def value_of(k):
            w = where(k)
            return w[k[1]][0] if k[1] in w else Name(k[1])
        key = self.key(own, local)
        temporary = key[0] is None and own not in self.gradients    # a view made to change part of a gradient
        for k, tree in self.aliases.changed(key, value_of):
            gradient = k[0] is None and k[1] in self.gradients
            if tree is None or gradient and not temporary:
                msg = self.aliases.went_stale(k, key, line)
                if gradient and tree is None:    # a reshape or a large value: NumPy's is not followed
                    if k[1] in self.line:
                        self.finish(k[1])
                    judged = [j for j in self.done if j.target == k[1]]
                    if judged:        # judged as it was before; refused if that is wrong (NumPy's is not that)
                        judged[-1].later = f"line {judged[-1].line}: {k[1]} is not right as this line computes " \
                                           f"it, and {msg}"
            else:
                w = where(k)
                if gradient and self.stmt in self.prog.reuse:
                    self.finish(k[1])
                w[k[1]] = (tree, set(ids) | (w[k[1]][1] if k[1] in w else set()))
                if own in self.reused and k[0] is None:
                    self.carries.add(k[1])
                if gradient and self.stmt in self.prog.reuse:
                    self.reused.add(k[1])         # CS231n's in-place ReLU through a view: complete before it
                elif gradient and k[1] not in self.reused:
                    self.line[k[1]] = line        # judged where it is complete, as if changed by name
