"""``export`` and ``compile``: a model's forward pass, loss and gradients as generated NumPy code, written to
a standalone, readable module or imported for use."""
from __future__ import annotations

from .load import derive, is_tensor, loaded


def export(model, path, *, seed: int = 0) -> dict:
    """Write the module to ``path`` (a .py file); the ``derive export --json`` object.  A network's module
    has forward, loss, gradients and START (starting values, drawn with ``seed`` where the spec gives
    none); a tensor program's has forward({...}) and gradients({...})."""
    model = loaded(model)
    if is_tensor(model):
        from ..codegen.tensor import export_tensor
        return {"written": str(export_tensor(derive(model), path))}
    from ..codegen.export import export as write
    net = getattr(model, "net", model)        # a Derivation: its network
    return {"written": str(write(net, path, seed=seed)), "params": len(net.trainable)}


def compile(model, **options):
    """The model's generated code, imported: a ``Compiled`` network (``options`` as ``codegen.compile.compile``
    takes them) or a ``TensorCompiled`` program (forward, gradients, start values)."""
    model = loaded(model)
    if is_tensor(model):
        from ..codegen.tensor import compile_tensor
        return compile_tensor(derive(model), **options)
    from ..codegen.compile import compile as compile_network
    return compile_network(getattr(model, "net", model), **options)
