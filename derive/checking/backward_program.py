"""A backward file read as a small program (parsed by our grammar, never executed).

Statements run in order: ``d = ...`` then ``d = d / N`` (or ``d /= N``) is one gradient built in two
steps; ``+= -= *= /=`` accumulate; ``d = g.copy()`` then ``d[h <= 0] = 0`` is ``where(h <= 0, 0, g)``;
``for t in range(T):`` (``range(a, b, step)``) runs its body once per step (the step a constant in each copy),
``for b, w in zip(bs, ws):`` once per item of a list, ``if t > 0:``
(``elif``, ``else``) the branch its steps and sizes choose; ``def f(a, b):``
defines a helper whose ``return`` is put in place of each call; ``a, b = expr`` and ``n, d = X.shape``
assign by position.  ``run`` computes every assignment symbolically: a value read while it is being
built (``d = d / N``) is its tree so far, a helper value is its tree, and a gradient read by another
line is complete there (it is judged at its last assignment) and read as itself.  Each judged
gradient comes with the statements it was built from, so a mistake can be placed on its own line.
With ``inline`` a gradient read by another line is read as the file computed it instead (to see
whether a line's value in the file is right although it reads a wrong-named one: ``dlogits = probs - Y``
then ``dW2 = h.T @ dlogits / N``).

For a statement in ``prog.reuse`` a complete gradient changed in place by a mask (``dh = dlogits @ W2.T`` then
``dh[h <= 0] = 0``, CS231n's spelling) is judged before the change, and the name then carries the next
gradient back: later lines read its value as computed, and it is not judged as dJ/dh again.

Names that share NumPy memory (``b = a``, slices, ``.T``, a helper's parameter) are followed by
``backward_alias.Views``; dicts keyed by strings (``grads["dW" + str(l)]``) and ``str()`` by
``backward_values``; a class is rewritten into helpers by ``backward_classes`` before parsing.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ..errors import DeriveError, FormulaError
from ..tensor.tree import Bin, Call, Const, Index, Name, Num, Scatter, Slice, Tuple, names
from .backward_alias import Aliases, Views
from .backward_parse import Cond, Helper, Judged, Loop, Program, Stmt, parse_program  # noqa: F401
from .backward_values import MAX_STEPS, Dict, Dicts, Lists, builtin, fold, key_of, same_strings, top_level  # noqa: F401



class Runner(Views, Dicts, Lists):
    """Runs a parsed program symbolically; ``override`` replaces a statement's tree (to place a mistake)."""

    def __init__(self, prog: Program, sizes: dict, gradients: set, override: dict | None = None,
                 shapes: dict | None = None, inline: bool = False):
        self.prog, self.sizes, self.gradients = prog, sizes, gradients
        self.inline = inline          # a gradient read by another line is read as the file computed it
        self.shapes = shapes or {}    # name -> shape at the checked sizes (for range(X.shape[0]))
        self.override = override or {}
        self.cur: dict = {}           # name -> (tree, statement ids)
        self.line: dict = {}          # gradient -> line of its last assignment
        self.done: list = []          # Judged
        self.steps = 0
        self.reused: set = set()      # gradients whose name now carries the next gradient back
        self.read_reused = False      # ... and some other line read one
        self.carries: set = set()     # views of a reused gradient (read as reading it)
        self.aliases = Aliases()      # b = a, views: one NumPy array (backward_alias)
        self.scopes: dict = {}        # id(a helper call's locals) -> those locals
        self.returns: list = []       # the last helper call's returned views
        self.at, self.stmt = 0, None  # the line and statement being run
        self.strays: list = []        # (line, key, gradients): grads["dW0"], a layer's key one off

    def run(self) -> list:
        self.blocks(self.prog.blocks, {})
        for n in list(self.cur):
            self.finish(n)
        return self.done

    def finish(self, n: str):
        if n in self.gradients and n in self.line:
            tree, ids = self.cur[n]       # kept: a later d += ... goes on from here (and is judged again)
            self.done.append(Judged(self.line.pop(n), n, tree, tuple(ids)))

    def blocks(self, blocks: list, consts: dict, local: dict | None = None):
        for b in blocks:
            if isinstance(b, Loop) and b.over is not None:
                for item in self.each(b, consts, local):
                    self.blocks(b.body, {**consts, **item}, local)
            elif isinstance(b, Loop):
                lo = self.const(b.start, consts, b.line, local)
                hi = self.const(b.stop, consts, b.line, local)
                step = 1 if b.step is None else self.const(b.step, consts, b.line, local)
                if step == 0:
                    raise DeriveError(f"line {b.line}: a loop's range step must not be 0")
                steps = list(range(lo, hi, step))
                for t in reversed(steps) if b.reverse else steps:
                    self.steps += 1
                    if self.steps > MAX_STEPS:
                        raise DeriveError(f"line {b.line}: more than {MAX_STEPS} loop steps")
                    self.blocks(b.body, {**consts, b.var: Num(Fraction(t))}, local)
            elif isinstance(b, Cond):
                self.blocks(b.body if self.test(b, consts, local) else b.orelse, consts, local)
            else:
                self.assign(b, consts, local)

    def const(self, tree, consts: dict, line: int, local=None) -> int:
        from ..tensor.axes import const_int
        def fold(t):
            if isinstance(t, Index) and isinstance(t.x, Call) and t.x.fn == "shape" and isinstance(t.x.args[0], Name) \
                    and t.x.args[0].id in self.shapes and len(t.items) == 1:
                return Num(Fraction(self.shapes[t.x.args[0].id][const_int(t.items[0], self.sizes)]))
            return _map(t, fold)
        try:
            return const_int(fold(self.subst(tree, consts, None, set(), local)[0]), self.sizes)
        except (FormulaError, IndexError):
            raise DeriveError(f"line {line}: a loop's range must be a size or a number") from None

    def test(self, b: Cond, consts: dict, local=None) -> bool:
        """An if's condition: a comparison of loop steps, sizes, numbers or strings, known before anything runs."""
        from ..tensor.tree import COMPARISONS
        strings = same_strings(self.subst(b.test, consts, None, set(), local)[0], b.line)
        if strings is not None:
            return strings
        if isinstance(b.test, Bin) and b.test.op in COMPARISONS:
            try:
                lo, hi = (self.const(x, consts, b.line, local) for x in (b.test.a, b.test.b))
            except DeriveError:
                pass
            else:
                return {">": lo > hi, "<": lo < hi, ">=": lo >= hi, "<=": lo <= hi, "==": lo == hi, "!=": lo != hi}[b.test.op]
        raise DeriveError(f"line {b.line}: an if's condition must compare loop steps, sizes, numbers or strings "
                          "(if t > 0:, if activation == \"relu\":)")

    def assign(self, st: Stmt, consts: dict, local: dict | None = None):
        tree = self.override.get(st.id, st.tree)
        ids: set = {st.id}
        self.at, self.stmt = st.line, st.id
        own = st.targets[0] if len(st.targets) == 1 else None
        if local is None and st.op == "=":
            self.reused.difference_update(st.targets)
            self.carries.difference_update(st.targets)
        elif local is None and st.id in self.prog.reuse and own in self.gradients and own in self.cur \
                and own not in self.reused:
            self.finish(own)              # complete before the mask; the name goes on as the next gradient
            self.cur[own] = (Name(own), set())
            self.reused.add(own)
        value, used = self.subst(tree, consts, own if st.op != "=" or own in names(tree) else
                                 self.source(st, tree, consts, local), ids, local)
        ids |= used
        if st.op in ("+=", "-=", "*=", "/=", "mask"):
            prev, pids = self.read(own, local, st.line)
            ids |= set(pids)
            if st.op == "mask":
                mask, mused = self.subst(self.override.get(("mask", st.id), st.mask), consts, None, ids, local)
                ids |= mused
                if isinstance(prev, Dict):
                    return self.entry(own, prev, key_of(mask, st.line), value, ids, st, local)
                if isinstance(prev, Tuple):         # nabla_b[-l] = delta: one item of a list set
                    return self.store(own, self.item(prev, mask, value, st), ids, st.line, local)
                items = _positions(mask, self.sizes)
                like = Name(own[1:]) if own in self.gradients else prev    # the shape only (never evaluated twice)
                if items is None:          # d[h <= 0] = 0: a boolean mask
                    value = Call("where", (mask, Bin("+", prev, value) if st.add else value, prev))
                elif st.add:               # dw[k] += value: added at that position (np.add.at)
                    value = Bin("+", prev, Scatter(value, like, items))
                else:                      # dw[k] = value: that position set
                    hit = Scatter(Call("ones_like", (value,)), like, items)
                    value = Bin("+", Bin("*", prev, Bin("-", Num(Fraction(1)), hit)), Scatter(value, like, items))
            else:
                value = Bin(st.op[0], prev, value)
        if isinstance(value, Dict) and isinstance(tree, Call) and tree.fn == "call" and tree.args[0].value == "dict":
            self.literal(value, ids, st.line)
        if len(st.targets) > 1:
            parts = self.unpack(value, len(st.targets), st.line)
            for t, v in zip(st.targets, parts):
                self.store(t, v, ids, st.line, local)
        else:
            self.store(own, value, ids, st.line, local)
        if st.op == "=":
            self.bind(st.targets, tree, consts, local, st.line)
        else:
            self.in_place(own, local, st.line, ids)

    def read(self, name: str, local, line: int):
        where = local if local is not None and name in local else self.cur
        if name not in where:
            raise DeriveError(f"line {line}: {name} is updated before it is assigned")
        self.aliases.read(self.key(name, local), line)
        return where[name]

    def store(self, name: str, tree, ids, line: int, local):
        if local is not None:
            local[name] = (tree, set(ids))
            return
        if tree == Name(name) and name in self.gradients and name in self.cur and name not in self.reused:
            return                      # dW1, db1 = net.backward(X): a gradient given back as itself
        self.cur[name] = (tree, set(ids))
        if name in self.gradients and name not in self.reused:
            self.line[name] = line

    def unpack(self, value, n: int, line: int) -> tuple:
        if isinstance(value, Tuple) and len(value.items) == n:
            return value.items
        if isinstance(value, Call) and value.fn == "shape":
            x = value.args[0]          # N, D = X.shape: the numbers at the checked sizes when X's shape is known
            if isinstance(x, Name) and len(self.shapes.get(x.id, ())) == n:
                return tuple(Num(Fraction(k)) for k in self.shapes[x.id])
            return tuple(Index(value, (Num(Fraction(i)),)) for i in range(n))
        raise DeriveError(f"line {line}: cannot unpack this into {n} names (a tuple of {n} or X.shape)")

    def subst(self, tree, consts: dict, own, ids: set, local: dict | None = None):
        """The tree with loop steps, helper values, helper calls and a value being built put in."""
        used: set = set()

        def go(t):
            if isinstance(t, Name):
                if t.id in consts:
                    return consts[t.id]
                self.aliases.read(self.key(t.id, local), self.at)
                if local is not None and t.id in local:
                    used.update(local[t.id][1])
                    return local[t.id][0]
                if t.id in self.cur:
                    if (t.id in self.reused or t.id in self.carries) and t.id != own:
                        self.read_reused = True
                    elif t.id in self.gradients and t.id != own:
                        self.finish(t.id)      # read by another line: complete here, read as itself
                        if not self.inline:
                            return t
                    used.update(self.cur[t.id][1])
                    return self.cur[t.id][0]
                return t
            if isinstance(t, Call) and t.fn == "call" and t.args[0].value not in self.prog.helpers:
                return builtin(t.args[0].value, [go(a) for a in t.args[1:]], self.at)
            if isinstance(t, Call) and t.fn == "call":
                return self.call(t.args[0].value, [go(a) for a in t.args[1:]], used, t.args[1:], consts, local)
            out = fold(_map(t, go))
            if isinstance(out, Index) and isinstance(out.x, Dict):
                return self.lookup(out.x, key_of(Tuple(out.items), self.at), own, used,
                                   t.x.id if isinstance(t, Index) and isinstance(t.x, Name) else None)
            if isinstance(out, Index) and isinstance(out.x, Call) and out.x.fn == "shape" and len(out.items) == 1 \
                    and (shape := self.shape_of(out.x.args[0])) is not None:
                from ..tensor.axes import const_int      # n = X.shape[0]: the number at the checked sizes
                try:
                    return Num(Fraction(shape[const_int(out.items[0], self.sizes)]))
                except (FormulaError, IndexError):
                    return out
            if isinstance(out, Index) and isinstance(out.x, Tuple) and len(out.items) == 1:
                from ..tensor.axes import const_int      # a list indexed by a loop's step: das[t], zs[-l], sizes[1:]
                try:
                    if isinstance(out.items[0], Slice):
                        lo, hi, step = (None if v is None else const_int(v, self.sizes) for v in
                                        (out.items[0].lo, out.items[0].hi, out.items[0].step))
                        return Tuple(out.x.items[lo:hi:step])
                    return out.x.items[const_int(out.items[0], self.sizes)]
                except (FormulaError, IndexError):
                    from ..tensor.printer import to_code
                    raise DeriveError(f"line {self.at}: {to_code(t)}: {to_code(out.items[0])} is not an index of a "
                                      f"list of {len(out.x.items)} items (Python raises IndexError)") from None
            return out
        return go(tree), used

    def call(self, name: str, args: list, used: set, raw=(), consts=None, caller=None):
        from ..tensor.printer import to_code
        h = self.prog.helpers[name]
        args = list(args) + [h.defaults[p] for p in h.params[len(args):] if p in h.defaults]
        if len(args) != len(h.params):
            raise DeriveError(f"line {h.line}: {name}() takes {len(h.params)} argument(s), got {len(args)}")
        local = {p: (a, set()) for p, a in zip(h.params, args)}
        self.scopes[id(local)] = local
        at = self.at
        for p, a in zip(h.params, raw):      # a parameter is the caller's array, not a copy
            self.aliases.bound((id(local), p), self.view(a, consts or {}, caller), at,
                               (f"passing {to_code(a)} to {name}()'s {p}", f"{name}({to_code(a)}.copy(), ...)"))
        self.blocks(h.body, {}, local)
        self.at = at
        tree = self.override.get(("return", name), h.result)
        out, u = self.subst(tree, {}, None, set(), local)
        items = h.result.items if isinstance(h.result, Tuple) else (h.result,)
        self.returns = [self.view(x, {}, local) for x in items]
        used |= u | set(top_level(h.body)) | {("return", name)}
        return out


def _positions(mask, sizes: dict):
    """The index items of d[k], d[:, 0:4], d[range(N), Yb], d[ids]; None for a boolean mask d[h <= 0]."""
    from ..tensor.tree import COMPARISONS
    if isinstance(mask, Bin) and mask.op in COMPARISONS:
        return None
    items = mask.items if isinstance(mask, Tuple) else (mask,)
    return tuple(items)


def _map(t, fn):
    """The node with fn applied to each child (the grammar's nodes are frozen)."""
    if isinstance(t, (Num, Name, Const)):
        return t
    if isinstance(t, Bin):
        return Bin(t.op, fn(t.a), fn(t.b))
    if isinstance(t, Call):
        return Call(t.fn, tuple(fn(a) for a in t.args), tuple((k, fn(v)) for k, v in t.kw))
    if isinstance(t, Tuple):
        return Tuple(tuple(fn(x) for x in t.items))
    if isinstance(t, Slice):
        return Slice(*(None if v is None else fn(v) for v in (t.lo, t.hi, t.step)))
    if isinstance(t, Index):
        return Index(fn(t.x), tuple(fn(x) for x in t.items))
    if isinstance(t, Scatter):
        return Scatter(fn(t.g), fn(t.x), tuple(fn(x) for x in t.items))
    if hasattr(t, "x"):
        return replace(t, x=fn(t.x))
    return t
