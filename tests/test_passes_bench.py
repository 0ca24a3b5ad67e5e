"""benchmarks/passes.py counts derive's elementwise passes by tracing a real call: the count agrees with the
generated source read line by line, and tracing changes no result."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import derive
from benchmarks import passes
from benchmarks.peers import _data, derive_net


def _taken(stmts):
    """The statements that run at batch 64 (the float32 tanh form's branches do not: ``else`` does)."""
    for st in stmts:
        if isinstance(st, ast.If) and "tanh_form" in ast.unparse(st.test):
            yield from _taken(st.orelse)
        else:
            yield st


def _source_count(source: str) -> tuple[int, int]:
    """(ufunc calls and augmented assignments, np.dot/np.vdot calls) in the source of ``gradients``."""
    fn = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "gradients")
    ufuncs = dots = 0
    for node in (n for st in _taken(fn.body) for n in ast.walk(st)):
        if isinstance(node, ast.AugAssign):
            ufuncs += 1
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "np"):
            if node.func.attr in ("dot", "vdot"):
                dots += 1
            elif isinstance(getattr(np, node.func.attr), np.ufunc):
                ufuncs += 1
    return ufuncs, dots


@pytest.mark.parametrize("sizes", [(2, 2, 2), (3, 5, 4)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_traced_passes_are_the_source_lines_and_change_nothing(sizes, dtype):
    c = derive.compile(derive_net(sizes), fused=False)     # the NumPy code (passes traces its ufuncs)
    P, X, T = _data(sizes, 64, dtype)
    want = c.module.gradients(P, X, T)
    calls = passes.traced_calls(c.module, P, X, T)
    ufuncs = sum(k == "ufunc" for k, *_ in calls)
    dots = sum(k == "dot" for k, *_ in calls)
    # every line runs once at batch 64 (the 1/n scaling too); the source has no other ufunc spelled
    assert (ufuncs, dots) == _source_count(c.source)
    assert sum(name == "exp" for _, name, *_ in calls) == len(sizes) - 1       # one per sigmoid layer
    assert c.module.np is np
    got = c.module.gradients(P, X, T)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])
