"""C kernels for the elementwise work of a layered network's gradients, generated from the rules table.

Between the products (``np.dot``) backprop does, per layer, a few passes over batch-sized arrays that
NumPy makes one ufunc at a time (16 passes for a 2-layer sigmoid net).  Here each step is one loop in
C over the whole array, generated from the same rules the NumPy code prints:

* ``fwd``: a = f(z + b) (z kept when f' reads it);
* ``out``: a = f(z + b), delta = dJ/da * f'(z) / n (the output delta, as ``matrix._output_delta``
  forms it), the bias sum of delta and the sum of the loss's terms, in one pass;
* ``bwd``: delta *= f'(z) (delta came from ``np.dot``) and its bias sum, in one pass.

Each loop runs over the array flat, the bias tiled k rows at a time (k x units about 512), so gcc
vectorises it whatever the width; bias sums accumulate in float64 per tile slot.  Expressions are
printed to C from sympy (``c_expr``): numbers, + - * /, integer powers and the functions of
``cmath``; anything else gives None and the network keeps its NumPy code.  Every function exists for
float64 and float32 and checks its buffers (C-contiguous, one dtype, lengths).  The text is made only
of numbers and identifiers generated here.
"""
from __future__ import annotations

import sympy as sp

from ..model import rules
from ..model.graph import Network
from ..model.naming import symbol
from .forward import keeps_z
from .cmath import TAKE
from .layers import bias_kind, matrix_names

_FUNCS = {sp.exp: "exp", sp.tanh: "tanh", sp.log: "log", rules.sigmoid: "sigmoid", rules.relu: "relu",
          rules.step: "step"}
TILE = 512              # about this many elements of a tiled bias per loop


def c_expr(e: sp.Expr, names: dict) -> str | None:
    """``e`` as a C expression of type ``real`` (functions ``exp_S`` etc.), or None if it cannot be."""
    if e.is_Symbol:
        return names.get(e)
    if e.is_Number:
        if not e.is_finite:
            return None
        return f"((real){float(e)!r})"
    args = [c_expr(a, names) for a in e.args]
    if any(a is None for a in args):
        return None
    if isinstance(e, sp.Add):
        return "(" + " + ".join(args) + ")"
    if isinstance(e, sp.Mul):
        num = [c_expr(a, names) for a in e.args if not (isinstance(a, sp.Pow) and a.exp.is_negative)]
        den = [c_expr(1 / a, names) for a in e.args if isinstance(a, sp.Pow) and a.exp.is_negative]
        if any(x is None for x in num + den):
            return None
        top = "*".join(num) or "((real)1)"
        return f"({top})" if not den else f"({top}/({'*'.join(den)}))"
    if isinstance(e, sp.Pow):
        base, k = args[0], e.exp
        if k.is_Integer and 1 <= k <= 4:
            return "(" + "*".join([base] * int(k)) + ")"
        if k.is_Integer and -4 <= k <= -1:
            return "(((real)1)/(" + "*".join([base] * int(-k)) + "))"
        return None
    if isinstance(e, sp.Function) and len(args) == 1 and e.func in _FUNCS:
        return f"{_FUNCS[e.func]}_S({args[0]})"
    return None


def _act(net: Network, li: int):
    """(value e(z), f'(a, z)) of layer li's activation in the symbols a, z."""
    act = rules.activation(net.spec.layers[li - 1].activation)
    a, z = sp.Symbol("a"), sp.Symbol("z")
    return act.value([z], 0), act.local(a, z)


NAMES = {sp.Symbol("a"): "a", sp.Symbol("z"): "z", sp.Symbol("t"): "t"}


def plan(net: Network):
    """The kernels of ``net`` as [(layer, kind, C text of its loop body parts)], or None (NumPy only)."""
    spec = net.spec
    Ln = len(spec.layers)
    if any(not rules.activation(L.activation).unitwise for L in spec.layers[:-1]) or \
            any(bias_kind(L) == "shared" for L in spec.layers):
        return None
    out = []
    for li in range(1, Ln + 1):
        if li == Ln and not rules.activation(spec.layers[-1].activation).unitwise:
            step = _softmax(net)
            if step is None:
                return None
            out.append((li, "smax", step))
            break
        value, fp = _act(net, li)
        f = c_expr(value, NAMES)
        if f is None:
            return None
        if li < Ln:
            out.append((li, "fwd", {"f": f, "keepz": keeps_z(net, li)}))
            continue
        m = matrix_names(li)
        A, Z, T = symbol(m["A"]), symbol(m["Z"]), symbol("T")
        loss = rules.loss(spec.loss)
        e = loss.local(A, T, len(spec.outputs)) * rules.activation(spec.layers[-1].activation).local(A, Z)
        swap = {A: sp.Symbol("a"), Z: sp.Symbol("z"), T: sp.Symbol("t")}
        d = c_expr(sp.factor(sp.cancel(e)).xreplace(swap), NAMES)
        ell = loss_term(net)
        j = None if ell is None else c_expr(ell, NAMES)
        if d is None:
            return None
        t = sp.Symbol("t")
        out.append((li, "out", {"f": f, "d": d, "loss": j, "t": e.has(T) or (j is not None and ell.has(t))}))
    for li in range(Ln - 1, 0, -1):
        value, fp = _act(net, li)
        g = c_expr(fp, NAMES)
        if g is None:
            return None
        out.append((li, "bwd", {"g": None if fp == 1 else g, "a": fp.has(sp.Symbol("a")),
                                "z": fp.has(sp.Symbol("z"))}))
    return out


def _softmax(net: Network) -> dict | None:
    """A softmax output layer's step: g = dJ/da * a per unit (the table's loss rule), then
    delta_j = g_j - a_j sum_k g_k, as ``matrix._output_delta`` forms it; None if not printable."""
    a, t = sp.Symbol("a"), sp.Symbol("t")
    g = sp.cancel(rules.loss(net.spec.loss).local(a, t, len(net.spec.outputs)) * a)
    gc = c_expr(g, NAMES)
    ell = loss_term(net)
    j = None if ell is None else c_expr(ell, NAMES)
    if gc is None:
        return None
    return {"g": gc, "loss": j, "t": g.has(t) or (j is not None and ell.has(t))}


_SOFTMAX = """static int k{k}_S(const real *Z, const real *b, const real *T, real *D, real *db, Py_ssize_t n,
                  Py_ssize_t U, double *loss)
{{
    /* row by row: a = softmax(z + b) (the row maximum taken off first), g = dJ/da * a,
       delta_j = (g_j - a_j sum_k g_k) / n, its bias sum and the loss's terms */
    const real inv_n = (real)1 / (real)n;
    double *acc = (double *)calloc(U, sizeof(double));
    real *av = (real *)malloc(sizeof(real) * 2 * U), *gv = av + U;
    if (!acc || !av) {{ free(acc); free(av); return -1; }}
    double l = 0;
    for (Py_ssize_t r = 0; r < n; r++) {{
        const real *zr = Z + r * U, *tr = T ? T + r * U : NULL;
        real *dr = D + r * U, mx = zr[0] + (b ? b[0] : (real)0), s = 0, gs = 0;
        for (Py_ssize_t j = 0; j < U; j++) {{ real z = zr[j] + (b ? b[j] : (real)0); av[j] = z; mx = z > mx ? z : mx; }}
        for (Py_ssize_t j = 0; j < U; j++) {{ av[j] = exp_S(av[j] - mx); s += av[j]; }}
        const real is = (real)1 / s;
        for (Py_ssize_t j = 0; j < U; j++) {{
            real a = av[j] * is, t = tr ? tr[j] : (real)0; (void)t;
            av[j] = a; gv[j] = {g}; gs += gv[j];
            {loss}
        }}
        for (Py_ssize_t j = 0; j < U; j++) {{ real d = (gv[j] - av[j] * gs) * inv_n; dr[j] = d; acc[j] += d; }}
    }}
    if (db) for (Py_ssize_t u = 0; u < U; u++) db[u] = (real)acc[u];
    *loss = l;
    free(acc); free(av);
    return 0;
}}
"""


def loss_term(net: Network) -> sp.Expr | None:
    """One output's term of the loss in a, t (the loss is its sum over outputs and the batch mean), or
    None when the loss is not such a sum."""
    loss = rules.loss(net.spec.loss)
    if not loss.needs_targets:
        return None
    k = len(net.spec.outputs)
    ys, ts = sp.symbols(f"y0:{k}"), sp.symbols(f"t0:{k}")
    y, t = sp.Symbol("a"), sp.Symbol("t")
    elem = loss.value([y], [t])
    total = sp.Add(*[elem.xreplace({y: a, t: b}) for a, b in zip(ys, ts)])
    ratio = sp.cancel(loss.value(list(ys), list(ts)) / total) if total != 0 else None
    return sp.Mul(ratio, elem) if ratio is not None and ratio.is_Number else None


# -- C text -------------------------------------------------------------------------------------

_LOOP_HEAD = """    Py_ssize_t K = {tile} / U > 0 ? {tile} / U : 1, total = n * U;
    if (K > n) K = n;
    Py_ssize_t M = K * U;
    real *bt = (real *)malloc(sizeof(real) * M);
    double *acc = (double *)calloc(2 * M, sizeof(double)), *lacc = acc + M;
    if (!bt || !acc) {{ free(bt); free(acc); return -1; }}
    for (Py_ssize_t i = 0; i < M; i++) bt[i] = b ? b[i % U] : (real)0;
    for (Py_ssize_t s = 0; s < total; s += M) {{
        Py_ssize_t m = total - s < M ? total - s : M;
        for (Py_ssize_t j = 0; j < m; j++) {{
"""
_LOOP_TAIL = """        }}
    }}
    if (db) for (Py_ssize_t u = 0; u < U; u++) {{
        double x = 0;
        for (Py_ssize_t k = 0; k < K; k++) x += acc[k * U + u];
        db[u] = (real)x;
    }}
    double l = 0;
    for (Py_ssize_t i = 0; i < M; i++) l += lacc[i];
    *loss = l;
    free(bt); free(acc);
    return 0;
"""

# (argument names, which are batch-sized, which are written, which may be None)
ARGS = {"fwd": ("Z b A", "Z A", "Z A", "b"),
        "out": ("Z b T D db", "Z T D", "D db", "b T db"),
        "smax": ("Z b T D db", "Z T D", "D db", "b T db"),
        "bwd": ("D A Z db", "D A Z", "D db", "A Z db")}


def _body(kind: str, c: dict) -> str:
    if kind == "fwd":
        inner = "            real z = Z[s + j] + bt[j];\n"
        inner += ("            Z[s + j] = z;\n" if c["keepz"] else "") + f"            A[s + j] = {c['f']};\n"
    elif kind == "out":
        inner = "            real z = Z[s + j] + bt[j];\n            real a = " + c["f"] + ";\n"
        inner += "            real t = T ? T[s + j] : (real)0;\n" if c["t"] else ""
        inner += f"            real d = ({c['d']}) * inv_n;\n            D[s + j] = d;\n            acc[j] += d;\n"
        inner += f"            lacc[j] += (double)({c['loss']});\n" if c["loss"] else ""
    else:
        inner = "            real a = A ? A[s + j] : (real)0;\n" if c["a"] else ""
        inner += "            real z = Z[s + j];\n" if c["z"] else ""
        inner += f"            real d = D[s + j] * ({c['g']});\n            D[s + j] = d;\n" if c["g"] else \
            "            real d = D[s + j];\n"
        inner += "            acc[j] += d;\n"
    return inner


def _typed(k: int, kind: str, c: dict, real: str, s: str) -> str:
    if kind == "smax":
        loss = f"l += (double)({c['loss']});" if c["loss"] else ""
        return _SOFTMAX.format(k=k, g=c["g"], loss=loss).replace("real", real).replace("_S(", f"_{s}(")
    names, batch, written, _ = (x.split() for x in ARGS[kind])
    names += [x for x in ("b", "db") if x not in names]             # unused ones are NULL
    params = ", ".join(("" if a in written or a == "db" else "const ") + f"{real} *{a}" for a in names)
    head = f"static int k{k}_{s}({params}, Py_ssize_t n, Py_ssize_t U, double *loss)\n{{\n"
    head += f"    const real inv_n = (real)1 / (real)n; (void)inv_n;\n"
    text = head + _LOOP_HEAD.format(tile=TILE) + _body(kind, c) + _LOOP_TAIL.format() + "}\n"
    return text.replace("real", real).replace("_S(", f"_{s}(")


def _wrapper(k: int, kind: str) -> str:
    names, batch, written, optional = (x.split() for x in ARGS[kind])
    na = len(names)
    lines = [f"static PyObject *py_k{k}(PyObject *self, PyObject *const *args, Py_ssize_t nargs)", "{",
             f"    Py_buffer v[{na}]; int got[{na}] = {{0}}; int size = 0; PyObject *res = NULL;",
             f"    if (nargs != {na + 1}) {{ PyErr_SetString(PyExc_TypeError, \"k{k}: {na + 1} arguments\"); return NULL; }}",
             "    Py_ssize_t U = PyLong_AsSsize_t(args[0]), n = -1;",
             "    if (U <= 0) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, \"units\"); return NULL; }"]
    for i, a in enumerate(names):
        lines.append(f"    if (take(args[{i + 1}], &v[{i}], &got[{i}], {int(a in written)}, {int(a in optional)}, &size) < 0) goto done;")
    for i, a in enumerate(names):
        want = "n" if a in batch else "U"
        if a in batch:
            lines.append(f"    if (got[{i}] && n < 0) n = v[{i}].len / size;")
        lines.append(f"    if (got[{i}] && (v[{i}].len / size != {want} || {want} < 0)) "
                     f"{{ PyErr_SetString(PyExc_ValueError, \"k{k}: {a} has the wrong size\"); goto done; }}")
    lines += ["    if (n % U) { PyErr_SetString(PyExc_ValueError, \"rows\"); goto done; }",
              "    n /= U;", "    double loss = 0; int rc;", "    Py_BEGIN_ALLOW_THREADS"]
    for real, s, sz in (("double", "d", 8), ("float", "f", 4)):
        ptrs = ", ".join([f"got[{i}] ? ({real} *)v[{i}].buf : NULL" for i in range(na)]
                         + ["NULL" for x in ("b", "db") if x not in names])
        lines.append(f"    {'if' if s == 'd' else 'else if'} (size == {sz}) rc = k{k}_{s}({ptrs}, n, U, &loss);")
    lines += ["    else rc = -2;", "    Py_END_ALLOW_THREADS",
              "    if (rc == -1) PyErr_NoMemory();",
              "    else if (rc == -2) PyErr_SetString(PyExc_BufferError, \"no float array\");",
              "    else res = PyFloat_FromDouble(loss);",
              "done:", f"    for (int i = 0; i < {na}; i++) if (got[i]) PyBuffer_Release(&v[i]);",
              "    return res;", "}"]
    return "\n".join(lines) + "\n"




def unique(kernels) -> list:
    """The distinct (kind, C parts) of a plan, in first-use order: k<i> in the module is entry i, so
    networks made of the same steps (a 2- and a 3-layer sigmoid net) share one module and one build."""
    out: list = []
    for _, kind, c in kernels:
        if (kind, c) not in out:
            out.append((kind, c))
    return out


def c_source(kernels, whole: str = "") -> str:
    """The module's C text after the prelude: the kernels, their Python wrappers, the module table;
    ``whole``: a whole-network kernel's C text (``knet``), whose wrapper ``py_net`` becomes "net"."""
    parts = ["#define PY_SSIZE_T_CLEAN", "#include <Python.h>", "#include <stdlib.h>", "@PRELUDE@", TAKE]
    table = []
    for k, (kind, c) in enumerate(unique(kernels)):
        parts += [_typed(k, kind, c, "double", "d"), _typed(k, kind, c, "float", "f"), _wrapper(k, kind)]
        table.append(f'    {{"k{k}", (PyCFunction)(void (*)(void))py_k{k}, METH_FASTCALL, NULL}},')
    if whole:
        parts.append(whole)
        table.append('    {"net", (PyCFunction)(void (*)(void))py_net, METH_FASTCALL, NULL},')
    parts += ["static PyMethodDef methods[] = {", *table, "    {NULL, NULL, 0, NULL}", "};",
              'static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "@NAME@", NULL, -1, methods};',
              "PyMODINIT_FUNC PyInit_@NAME@(void) { return PyModule_Create(&mod); }", ""]
    return "\n".join(parts)
