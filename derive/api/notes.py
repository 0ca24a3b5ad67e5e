"""``notes``: lecture notes of a model of any form, rendered in memory (the web page) or written to files.

A network's notes come in its spec's notation, or another one chosen at load (``load(..., notation=)``).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import DeriveError
from .load import derive, is_tensor, load, loaded

GALLERY_LANGS = ("en", "ko")
GALLERY_MAX_PARAMS = 64     # larger bundled examples (digits: 2410 parameters) stay out of the gallery
TENSOR_FORMATS = ("html", "md", "tex")


def prepare(model, params=None, progress=None):
    """Derive a network and prove what its notes show: (Notes, Network).  ``params``: the parameters
    shown (``["all"]``: every one; default: all, or a named sample of a large network)."""
    from ..notes import content as notes_mod
    d = derive(model)
    chosen = list(d.net.trainable) if params and "all" in params else (params or notes_mod.default_params(d.net))
    d.prove(chosen, progress=progress)
    return notes_mod.build(d, chosen), d.net


def notes(model, lang: str = "en", fmt: str = "html", params=None) -> dict:
    """The notes as one document: ``{"spec", "lang", "format", "notation", "params", "text"}``."""
    model = loaded(model)
    if is_tensor(model):
        from ..notes.tensor import build, render
        if fmt not in TENSOR_FORMATS:
            raise DeriveError(f"unknown format {fmt!r}; expected html, md or tex")
        bw = derive(model)
        n = build(bw, lang)
        return {"spec": bw.program.name, "lang": lang, "format": fmt, "notation": "tensor",
                "params": [x.target for x in bw.lines], "text": render(n, fmt, lang)}
    from ..notes.render import render
    n, net = prepare(model, params)
    return {"spec": net.spec.name, "lang": lang, "format": fmt, "notation": net.notation.preset,
            "params": [p.name for p in n.params], "text": render(n, net, fmt, lang)}


def write(model, out: Path, formats, langs, params=None, progress=None) -> list[Path]:
    """Write a model's notes into the folder ``out`` (one file per format and language); the paths."""
    model = loaded(model)
    if is_tensor(model):
        from ..notes.tensor import write as write_tensor
        return write_tensor(derive(model), out, formats, langs)
    from ..notes.render import write_notes
    n, net = prepare(model, params, progress)
    return write_notes(n, net, out, formats, langs)


def gallery_examples() -> list[str]:
    """The gallery's examples: every bundled network of at most GALLERY_MAX_PARAMS parameters, then every
    bundled tensor program."""
    from ..model.spec import bundled_examples, load_spec
    from ..tensor.program import bundled_tensor_examples
    return [e for e in bundled_examples() if len(load_spec(e).trainable) <= GALLERY_MAX_PARAMS] \
        + bundled_tensor_examples()


def write_gallery(out: Path, on_path=None) -> list[Path]:
    """The notes gallery: every gallery example in every format, en and ko, and an index.
    ``on_path`` is called with each path as it is written."""
    from ..notes.gallery import Entry, write_index
    from ..notes.prose import FORMATS
    written, entries = [], []
    for spec in gallery_examples():
        model = load(spec)
        if is_tensor(model):
            model = derive(model)               # the backward pass, derived once for the notes and the index
        paths = write(model, out, FORMATS, GALLERY_LANGS)
        if is_tensor(model):
            entry = (model.program.name, "tensor", f"{len(model.lines)} gradient tensors")
        else:
            entry = (model.spec.name, "network", f"{len(model.spec.trainable)} parameters")
        entries.append(Entry(Path(paths[0]).parent.name, *entry))
        written += _told(paths, on_path)
    return written + _told(write_index(out, entries, GALLERY_LANGS, FORMATS), on_path)


def _told(paths, on_path) -> list[Path]:
    for p in paths:
        if on_path is not None:
            on_path(p)
    return list(paths)
