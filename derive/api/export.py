"""``export``: a model's forward pass, loss and gradients as a standalone, readable NumPy module."""
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
