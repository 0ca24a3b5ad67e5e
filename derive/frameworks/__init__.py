"""The frameworks stage: models people already have, read as derive models.

Takes a Keras 3 ``.keras`` file or model object, or a PyTorch module with an example input; gives an
:class:`~derive.frameworks.imported.Imported`.  Stage ``frameworks`` (after ``tensor``): it reads a framework's model as data (Keras: JSON and HDF5, never
importing Keras; PyTorch: a ``torch.fx`` trace of the user's own module) and returns an
:class:`~derive.frameworks.imported.Imported`, which holds derive's layered spec (when the model is dense
layers and activations), its tensor program (always), the start values and the framework's names.

May import ``model``, ``derivation``, ``tensor`` and the bottom modules; imported by ``notes``,
``codegen``, ``checking``, ``api`` and the stages above.
"""
from __future__ import annotations

from .imported import Imported


def from_keras(model_or_path, loss: str | None = None) -> Imported:
    """A Keras model: a ``.keras`` path (read as data; nothing in it runs) or a model object."""
    from . import keras
    if keras.is_keras_path(model_or_path):
        return keras.read_keras(model_or_path, loss)
    return keras.from_model(model_or_path, loss)


def from_torch(module, example_input, loss: str = "mse", optimizer: dict | None = None) -> Imported:
    """A PyTorch module traced with torch.fx at ``example_input`` (see :mod:`derive.frameworks.torch`)."""
    from . import torch as _torch
    return _torch.from_module(module, example_input, loss, optimizer)


__all__ = ["Imported", "from_keras", "from_torch"]
