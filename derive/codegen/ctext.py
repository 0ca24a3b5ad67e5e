"""The C text of the kernels ``kernels.plan`` describes: typed loops (float64 and float32), their
CPython wrappers (METH_FASTCALL, buffers checked by ``cmath.TAKE``) and the module table.

Each unit-wise loop runs over the array flat, the bias tiled k rows at a time (k x units about ``TILE``),
so gcc vectorises it whatever the width; bias sums and loss terms accumulate in float64 per tile slot.
A softmax output is one row-wise loop.  The text holds only numbers and identifiers made here.
"""
from __future__ import annotations

from .cmath import TAKE

TILE = 512              # about this many elements of a tiled bias per loop

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
