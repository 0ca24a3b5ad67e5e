"""One C kernel for the whole gradients call of a tiny network (every width, the inputs' too, at most 8).

For widths like 2-2-2, np.dot on a 4096 x 2 array by a 2 x 2 costs about 13 µs of call and setup for
microseconds of arithmetic, so the five products of backprop, NumPy's "floor", are mostly overhead.
Here the products run in the C loop too: examples in blocks of ``B`` rows, each layer's values held as
[unit][row] so every loop over the rows of a block vectorises; forward (z = W a + b, a = f(z)), the
output delta (as ``kernels``' out step, already / n), then per layer back: dW += delta a^T and db +=
delta accumulated per row lane in float64, delta^(l-1) = (W^T delta) * f'.  The lanes are summed once at
the end.  The widths are compile-time constants: one build per tiny architecture.
"""
from __future__ import annotations

from ..model.graph import Network
from .layers import bias_kind

MAX_WIDTH = 8           # every width (inputs included) at most this: the whole call is one kernel
B = 32                  # rows a block


def eligible(net: Network, plan) -> bool:
    spec = net.spec
    widths = [len(spec.inputs)] + [len(L.units) for L in spec.layers]
    return plan is not None and plan[len(spec.layers) - 1][1] == "out" and max(widths) <= MAX_WIDTH and all(bias_kind(L) in ("vector", "none")
                                                                  for L in spec.layers)


def _typed(net: Network, plan, real: str, s: str) -> str:
    spec = net.spec
    Ln = len(spec.layers)
    U = [len(spec.inputs)] + [len(L.units) for L in spec.layers]
    info = {(li, kind): c for li, kind, c in plan}
    out_c = info[(Ln, "out")]
    params = ["const real *X", "const real *T"]
    params += [f"const real *W{l}, const real *b{l}" for l in range(1, Ln + 1)]
    params += [f"real *dW{l}, real *db{l}" for l in range(1, Ln + 1)]
    c = [f"static int net_{s}({', '.join(params)}, Py_ssize_t n, double *loss)", "{",
         f"    enum {{ B = {B} }};", "    const real inv_n = (real)1 / (real)n;",
         f"    real a0[{U[0]}][B];", "    double lacc[B] = {0};"]
    for l in range(1, Ln + 1):
        c += [f"    real z{l}[{U[l]}][B], a{l}[{U[l]}][B], d{l}[{U[l]}][B];",
              f"    double gW{l}[{U[l]}][{U[l - 1]}][B] = {{{{{{0}}}}}}, gb{l}[{U[l]}][B] = {{{{0}}}};"]
    head, c = c, [f"        for (int i = 0; i < {U[0]}; i++) for (Py_ssize_t r = 0; r < m; r++) a0[i][r] = X[(r0 + r) * {U[0]} + i];"]
    for l in range(1, Ln + 1):
        f = info[(l, "fwd")]["f"] if l < Ln else out_c["f"]
        c += [f"        for (int j = 0; j < {U[l]}; j++) {{",
              f"            const real bj = b{l} ? b{l}[j] : (real)0;",
              f"            for (Py_ssize_t r = 0; r < m; r++) z{l}[j][r] = bj;",
              f"            for (int i = 0; i < {U[l - 1]}; i++) {{",
              f"                const real w = W{l}[j * {U[l - 1]} + i];",
              f"                for (Py_ssize_t r = 0; r < m; r++) z{l}[j][r] += w * a{l - 1}[i][r];",
              "            }"]
        if l < Ln:
            c += [f"            for (Py_ssize_t r = 0; r < m; r++) {{ real z = z{l}[j][r]; a{l}[j][r] = {f}; }}", "        }"]
            continue
        t = f"T[(r0 + r) * {U[l]} + j]" if out_c["t"] else "(real)0"
        c += ["            for (Py_ssize_t r = 0; r < m; r++) {",
              f"                real z = z{l}[j][r], a = {f}, t = {t}; (void)t;",
              f"                d{l}[j][r] = ({out_c['d']}) * inv_n;"]
        c += [f"                lacc[r] += (double)({out_c['loss']});"] if out_c["loss"] else []
        c += ["            }", "        }"]
    for l in range(Ln, 0, -1):
        c += [f"        for (int j = 0; j < {U[l]}; j++) {{",
              f"            for (Py_ssize_t r = 0; r < m; r++) gb{l}[j][r] += d{l}[j][r];",
              f"            for (int i = 0; i < {U[l - 1]}; i++) for (Py_ssize_t r = 0; r < m; r++)",
              f"                gW{l}[j][i][r] += (double)d{l}[j][r] * (double)a{l - 1}[i][r];", "        }"]
        if l == 1:
            break
        g = info[(l - 1, "bwd")]
        fp = g["g"] or "((real)1)"
        c += [f"        for (int i = 0; i < {U[l - 1]}; i++) {{",
              f"            for (Py_ssize_t r = 0; r < m; r++) d{l - 1}[i][r] = 0;",
              f"            for (int j = 0; j < {U[l]}; j++) {{",
              f"                const real w = W{l}[j * {U[l - 1]} + i];",
              f"                for (Py_ssize_t r = 0; r < m; r++) d{l - 1}[i][r] += w * d{l}[j][r];",
              "            }",
              f"            for (Py_ssize_t r = 0; r < m; r++) {{ real a = a{l - 1}[i][r], z = z{l - 1}[i][r];"
              f" (void)a; (void)z; d{l - 1}[i][r] *= {fp}; }}", "        }"]
    # the block's body twice: with m the constant B (full blocks: fixed trip counts, unrolled and
    # vectorised whole) and with m the rows left (the last block)
    body = "\n".join(c)
    c = head + ["    for (Py_ssize_t r0 = 0; r0 < n; r0 += B) {", "      if (n - r0 >= B) {",
                body.replace("< m;", "< B;"), "      } else {", "        const Py_ssize_t m = n - r0;", body,
                "      }", "    }"]
    for l in range(1, Ln + 1):
        c += [f"    for (int j = 0; j < {U[l]}; j++) {{",
              "        double sb = 0;",
              f"        for (int r = 0; r < B; r++) sb += gb{l}[j][r];",
              f"        if (db{l}) db{l}[j] = (real)sb;",
              f"        for (int i = 0; i < {U[l - 1]}; i++) {{",
              "            double s = 0;",
              f"            for (int r = 0; r < B; r++) s += gW{l}[j][i][r];",
              f"            dW{l}[j * {U[l - 1]} + i] = (real)s;", "        }", "    }"]
    c += ["    double l = 0;", "    for (int r = 0; r < B; r++) l += lacc[r];", "    *loss = l;", "    return 0;", "}"]
    return "\n".join(c).replace("real", real).replace("_S(", f"_{s}(") + "\n"


def c_function(net: Network, plan) -> str:
    """C text of ``net_d``, ``net_f`` and their wrapper ``py_net`` (added to the kernels' module as "net")."""
    spec = net.spec
    Ln = len(spec.layers)
    U = [len(spec.inputs)] + [len(L.units) for L in spec.layers]
    t_needed = {(li, kind): c for li, kind, c in plan}[(Ln, "out")]["t"]
    # (argument, elements, written, optional)
    args = [("X", f"n * {U[0]}", 0, 0), ("T", f"n * {U[-1]}", 0, 1)]
    args += [a for l in range(1, Ln + 1) for a in ((f"W{l}", str(U[l] * U[l - 1]), 0, 0), (f"b{l}", str(U[l]), 0, 1))]
    args += [a for l in range(1, Ln + 1) for a in ((f"dW{l}", str(U[l] * U[l - 1]), 1, 0), (f"db{l}", str(U[l]), 1, 1))]
    na = len(args)
    w = ["static PyObject *py_net(PyObject *self, PyObject *const *args, Py_ssize_t nargs)", "{",
         f"    Py_buffer v[{na}]; int got[{na}] = {{0}}; int size = 0; PyObject *res = NULL;",
         f"    if (nargs != {na}) {{ PyErr_SetString(PyExc_TypeError, \"net: {na} arguments\"); return NULL; }}"]
    for i, (name, _, written, optional) in enumerate(args):
        w.append(f"    if (take(args[{i}], &v[{i}], &got[{i}], {written}, {optional}, &size) < 0) goto done;")
    w += [f"    Py_ssize_t n = v[0].len / size / {U[0]};"]
    if t_needed:
        w.append('    if (!got[1]) { PyErr_SetString(PyExc_ValueError, "net: T is needed"); goto done; }')
    for i, (name, count, _, _) in enumerate(args):
        w.append(f"    if (got[{i}] && v[{i}].len / size != {count}) "
                 f"{{ PyErr_SetString(PyExc_ValueError, \"net: {name} has the wrong size\"); goto done; }}")
    w += ["    double loss = 0; int rc = -2;", "    Py_BEGIN_ALLOW_THREADS"]
    for real, s, sz in (("double", "d", 8), ("float", "f", 4)):
        ptrs = ", ".join(f"got[{i}] ? ({real} *)v[{i}].buf : NULL" for i in range(na))
        w.append(f"    if (size == {sz}) rc = net_{s}({ptrs}, n, &loss);")
    w += ["    Py_END_ALLOW_THREADS",
          "    if (rc == 0 && n > 0) res = PyFloat_FromDouble(loss);",
          "    else if (rc == 0) PyErr_SetString(PyExc_BufferError, \"no rows\");",
          "    else PyErr_SetString(PyExc_BufferError, \"no float array\");",
          "done:", f"    for (int i = 0; i < {na}; i++) if (got[i]) PyBuffer_Release(&v[i]);", "    return res;", "}"]
    return _typed(net, plan, "double", "d") + _typed(net, plan, "float", "f") + "\n".join(w) + "\n"


def branch(net: Network, plan, loss: bool, done: list[str], ret: str) -> list[str]:
    """The generated lines calling the whole-network kernel (inside ``fused.branch``'s try)."""
    spec = net.spec
    Ln = len(spec.layers)
    T = "T" if {(li, kind): c for li, kind, c in plan}[(Ln, "out")]["t"] else "None"      # no targets: none read
    names, calls = [], []
    for li, L in enumerate(spec.layers, 1):
        u, prev = len(L.units), len(spec.inputs if li == 1 else spec.layers[li - 2].units)
        calls.append(f"dW{li} = np.empty(({u}, {prev}), dtype)")
        calls.append(f"db{li} = np.empty({u}, dtype)" if bias_kind(L) == "vector" else f"db{li} = None")
        names.append((f"W{li}", f"b{li}" if bias_kind(L) == "vector" else "None"))
    ws = ", ".join(f"{w}, {b}" for w, b in names)
    ds = ", ".join(f"dW{li}, {'db' + str(li) if b != 'None' else 'None'}" for li, (_, b) in enumerate(names, 1))
    call = f"_KERNELS.net(X, {T}, {ws}, {ds})"
    note = "# the whole call in C: products, activations, deltas, sums (every width <= 8)"
    return calls + [(f"J = {call} / n" if loss else call) + "  " + note] + done + [ret]
