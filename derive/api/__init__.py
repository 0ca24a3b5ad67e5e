"""The api stage: the use cases, once, under every front-end (the command line, the web page, Python).

Takes a loaded model of any form (``load``: a bundled name, a spec path, a spec mapping or a model; the
form, layered / graph / tensor, is decided there, once) and gives plain data: each use case returns the
object ``derive COMMAND --json`` prints and the web API answers (``verify``, ``check``,
``check_derivation``, ``check_backward``, ``notes``, ``grade``, ``train``, ``export``; ``info`` and
``preview`` for a page's answer box).  Where a front-end also prints text, a ``*_report`` twin gives the
checking stage's report object, whose ``to_dict()`` is the same plain data.

May import every stage below it (model, derivation, tensor, frameworks, notes, codegen, checking);
imported by ``cli``, ``serve`` and the package's public surface (``derive.load``, ``derive.derive``),
never by a lower stage.  Heavy stages are imported inside the functions, so importing this package
costs nothing (``derive --help`` stays fast).
"""
from __future__ import annotations

from .check import (check, check_backward, check_backward_report, check_derivation, check_derivation_report,
                    check_report)
from .describe import info, preview
from .export import compile, export
from .grade import grade, grade_report, read_answers
from .load import derive, form, from_text, is_tensor, load, loaded, name, origin
from .notes import notes, write as write_notes
from .train import train, training
from .verify import verify

__all__ = ["check", "check_backward", "check_backward_report", "check_derivation", "check_derivation_report",
           "check_report", "compile", "derive", "export", "form", "from_text", "grade", "grade_report", "info", "is_tensor",
           "load", "loaded", "name", "notes", "origin", "preview", "read_answers", "train", "training", "verify",
           "write_notes"]
