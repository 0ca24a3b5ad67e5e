"""The generated ``gradients``' fused branch: np.dot for the products, one C kernel call per elementwise step.

``derive.compile`` modules (not ``derive export``'s, which stay plain NumPy) carry the C text of their
kernels (``ctext.c_source``) as ``KERNEL_C``; the first call loads it from the user's cache, or, once
``KERNEL_BUILD_ROWS`` rows have been computed, builds it (``cbuild``: once per user and machine).  When it cannot (no compiler,
``DERIVE_KERNELS=off``, ...) or an array does not suit it (not C-contiguous: a BufferError before
anything is returned), the NumPy lines below the branch run, as they always did.  A tiny network (every
width at most 8, ``knet``) makes the whole call one kernel, products included.
"""
from __future__ import annotations

from ..model.graph import Network
from . import ctext, knet
from .layers import bias_kind, matrix_names

# Batches from this size use the kernels.  Measured (2026-12-03, one core): the kernel path is faster
# from batch 1 (0.3-0.8x the NumPy path's time at 1, 2, 4, 8, 16 ... 4096 rows), so no crossover.
KERNEL_ROWS = 1
# Kernels already in the user's cache are used from the first call; new ones are compiled (a few seconds of CPU: 5.2 s for seed002's) once
# a process has computed this many rows: a build pays for itself only over many calls (training, a
# benchmark), not in a script or a test that calls gradients a few times (nor in compile's own check).
KERNEL_BUILD_ROWS = 200_000


def c_text(net: Network, plan) -> str:
    """The C text of ``net``'s kernels: per step, and for a tiny network (``knet``) the whole call too."""
    return ctext.c_source(plan, knet.c_function(net, plan) if knet.eligible(net, plan) else "")


def module_lines(c_text: str) -> list[str]:
    """Module-level lines: the C text, the loader and its state."""
    return ["# Fused kernels (derive.codegen.kernels): the elementwise steps of gradients() as one C loop each,",
            "# built on first use by derive.codegen.cbuild (per user, cached); None: not tried yet, False: unavailable.",
            f"KERNEL_ROWS = {KERNEL_ROWS}",
            f"KERNEL_BUILD_ROWS = {KERNEL_BUILD_ROWS}".ljust(32) + "# rows computed before a kernel not in the cache is built",
            "_KERNELS, _ROWS = None, 0", 'KERNEL_C = r"""', *c_text.splitlines(), '"""',
            "", "",
            "def _load_kernels(n):",
            '    """The kernel module: from the cache at the first call, built once KERNEL_BUILD_ROWS rows have been',
            '    computed; False (not yet, or for good when it cannot be): the NumPy code runs."""',
            "    global _KERNELS, _ROWS",
            "    first, _ROWS = _ROWS == 0, _ROWS + n",
            "    if not first and _ROWS < KERNEL_BUILD_ROWS:",
            "        return False",
            "    try:",
            "        from derive.codegen.cbuild import load_kernels",
            "        found = load_kernels(KERNEL_C, compile=_ROWS >= KERNEL_BUILD_ROWS)",
            "    except ImportError:",
            "        found, _ROWS = None, KERNEL_BUILD_ROWS",
            "    _KERNELS = found or (False if _ROWS >= KERNEL_BUILD_ROWS else None)",
            "    return _KERNELS",
            "", ""]


def branch(net: Network, plan, loss: bool, done: list[str], ret: str) -> list[str]:
    """Lines of the fused branch of ``gradients`` (``loss``: also J, for ``loss_gradients``)."""
    head = ["if n >= KERNEL_ROWS and (_KERNELS or (_KERNELS is None and _load_kernels(n))):",
            "    try:"]
    tail = ["    except BufferError:".ljust(48) + "# an array the kernels cannot take (not C-contiguous):",
            "        pass".ljust(48) + "# the NumPy lines below"]
    if knet.eligible(net, plan):
        return head + ["        " + line for line in knet.branch(net, plan, loss, done, ret)] + tail
    spec = net.spec
    Ln = len(spec.layers)
    distinct = ctext.unique(plan)
    k = {(li, kind): distinct.index((kind, c)) for li, kind, c in plan}
    info = {(li, kind): c for li, kind, c in plan}
    body, prev = [], "X"
    for li, L in enumerate(spec.layers, 1):
        m, u = matrix_names(li), len(L.units)
        b = m["b"] if bias_kind(L) == "vector" else "None"
        body.append(f"np.dot({prev}, {m['W']}.T, {m['Z']})".ljust(44) + f"# z^({li}) = W^({li}) a^({li - 1})")
        if li < Ln:
            A = m["A"] if info[(li, "fwd")]["keepz"] else m["Z"]
            body.append(f"_KERNELS.k{k[(li, 'fwd')]}({u}, {m['Z']}, {b}, {A})".ljust(44)
                        + f"# a^({li}) = {L.activation}(z^({li}) + b^({li})), one pass")
            if A != m["A"]:
                body.append(f"{m['A']} = {m['Z']}")
            prev = m["A"]
            continue
        db = f"{m['db']}" if b != "None" else "None"
        if db != "None":
            body.append(f"{db} = np.empty({u}, dtype)")
        kind = "out" if (li, "out") in info else "smax"
        T = "T" if info[(li, kind)]["t"] else "None"
        call = f"_KERNELS.k{k[(li, kind)]}({u}, {m['Z']}, {b}, {T}, {m['D']}, {db})"
        body.append((f"J = {call} / n" if loss else call).ljust(44)
                    + f"# delta^({li}) = dJ/dz^({li}) / n, its bias sum{', the loss' if loss else ''}: one pass")
    for li in range(Ln, 0, -1):
        m = matrix_names(li)
        prev = "X" if li == 1 else matrix_names(li - 1)["A"]
        body.append(f"{m['dW']} = np.dot({m['D']}.T, {prev})".ljust(44) + f"# dJ/dW^({li}) = delta^({li}) a^({li - 1})^T")
        if li == 1:
            break
        below, L = matrix_names(li - 1), spec.layers[li - 2]
        body.append(f"np.dot({m['D']}, {m['W']}, {below['D']})".ljust(44)
                    + f"# delta^({li - 1}) = (W^({li})^T delta^({li})) * f'(z^({li - 1})):")
        c = info[(li - 1, "bwd")]
        vector = bias_kind(L) == "vector"
        if c["g"] is None and not vector:
            continue
        if vector:
            body.append(f"{below['db']} = np.empty({len(L.units)}, dtype)")
        A = below["A"] if c["a"] else "None"
        Z = below["Z"] if c["z"] else "None"
        body.append(f"_KERNELS.k{k[(li - 1, 'bwd')]}({len(L.units)}, {below['D']}, {A}, {Z}, "
                    f"{below['db'] if vector else 'None'})".ljust(44) + "#   and its bias sum, one pass")
    return head + ["        " + line for line in body + done + [ret]] + tail
