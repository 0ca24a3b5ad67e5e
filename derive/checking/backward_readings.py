"""Other readings of a backward file, each still judging only values the file computes.

``with_input_gradients``: dX for a real-valued input X (a layer's backward returns dx) gets its true
gradient.  ``as_computed``: every gradient a line reads put in as the file computed it, to see whether a
line wrong as a formula of the true gradients is right in the file (``dlogits = probs - Y`` then
``dW2 = h.T @ dlogits / N``).  ``reused``: CS231n's in-place ReLU, ``dh[h <= 0] = 0`` after a complete dh.
"""
from __future__ import annotations

from dataclasses import replace

from ..errors import DeriveError, FormulaError
from ..tensor.backward import Backward, derive_backward
from .backward_alias import small_tree
from .backward_program import Runner

MAX_NODES = 2000         # a line read with the gradients it reads put in, as the file computed them


def with_input_gradients(bw: Backward, targets: set) -> Backward:
    """The backward pass with dX for each real-valued input X the file computes (CS231n's layers return
    dx): the same gradient a parameter would have, so it is judged, not called 'not a gradient'."""
    prog = bw.program
    wanted = {t.name for t in prog.leaves if t.kind == "input" and t.data == "normal"
              and t.name not in prog.integer_inputs and "d" + t.name in targets}
    if not wanted:
        return bw
    return derive_backward(replace(prog, leaves=tuple(replace(t, kind="param") if t.name in wanted else t
                                                       for t in prog.leaves)))


def run(parsed, truths: list, grads: dict, keep: list | None = None) -> list:
    """The judged gradients of the file as read (keep gets whether a line read a reused name)."""
    try:
        runner = Runner(parsed, truths[0].sizes, set(grads), None, truths[0].shapes)
        judged = runner.run()
    except FormulaError as e:
        raise DeriveError(str(e)) from None
    if keep is not None:
        keep.append(runner.read_reused)
    return judged


def as_computed(parsed, truths: list, grads: dict) -> dict:
    """(line, gradient) -> its tree with every gradient it reads put in as the file computed it (trees
    that grow past MAX_NODES left out)."""
    try:
        judged = Runner(parsed, truths[0].sizes, set(grads), None, truths[0].shapes, inline=True).run()
    except (DeriveError, FormulaError):
        return {}
    return {(j.line, j.target): j.tree for j in judged if small_tree(j.tree, [MAX_NODES])}


def reused(parsed, judged: list, right, truths: list, grads: dict):
    """CS231n's ``dh = dlogits @ W2.T`` then ``dh[h <= 0] = 0``: a complete gradient masked in place, its
    name then carrying the next gradient back.  Each such mask is read that way when this makes fewer
    lines wrong and a later line reads the masked value (every judged value is still the one the file
    computes; the masked value itself is judged through the lines that read it)."""

    def wrong(js):
        return sum(not right(j, j.tree) for j in js)
    best = wrong(judged)
    for st in parsed.stmts.values():
        if best and isinstance(st.id, int) and st.op in ("mask", "*="):      # by name or through a view
            trial, read = replace(parsed, reuse=parsed.reuse | {st.id}), []
            try:
                again = run(trial, truths, grads, read)
            except DeriveError:
                continue
            if read[0] and (n := wrong(again)) < best:
                parsed, judged, best = trial, again, n
    return parsed, judged



def loss_sizes(bw: Backward, truth) -> list:
    """The sizes the output divides by (m in J = -np.sum(...) / m), at the checked sizes: deeplearning.ai's
    gradients of values are those of the SUM of the m losses, m * dJ/dA (``dAL = -(Y / AL - ...)``), and each
    dW applies the 1/m (``dW = 1/m * dZ @ A_prev.T``); ``Truth(bw, seed, n)`` is that reading."""
    from ..tensor.tree import names
    prog = bw.program
    out = next((tree for name, tree, _ in prog.forward if name == prog.output), None)
    return sorted({truth.sizes[s] for s in (names(out) if out is not None else ()) if truth.sizes.get(s, 0) > 1})
