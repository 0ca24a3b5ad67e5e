"""Load a model once, deciding its form: the one door every front-end (CLI, web page, Python) goes through.

A model is a ``model.graph.Network`` (the layered and graph forms) or a ``tensor.program.Program`` (the
tensor form).  ``load`` takes a bundled example's name, a spec path (YAML/JSON), a spec mapping or an
already loaded model; ``from_text`` takes what the web page sends (a bundled name or spec text, never a
path).  Every use case in ``derive.api`` takes what these return and never asks the form again.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from ..errors import DeriveError

FORMS = ("layered", "graph", "tensor")

# Where models of other frameworks come in (derive.frameworks, issue 25): a path with one of these
# suffixes, or an object that is neither a derive model nor a spec, is handed to ``_imported``.
FRAMEWORK_SUFFIXES = (".keras", ".h5", ".pt", ".pth")
FACTORY = re.compile(r".+\.py:[A-Za-z_][A-Za-z0-9_]{0,63}")   # path/to/model.py:factory (command line only)


NETWORK, PROGRAM = "derive.model.graph:Network", "derive.tensor.program:Program"
DERIVATION, BACKWARD = "derive.derivation.derivation:Derivation", "derive.tensor.backward:Backward"


def _classes(*paths: str) -> tuple:
    """The classes named ``module:Class`` whose modules are already imported.  An object can only be an
    instance of a class whose module was imported, so the type tests below need not import the tensor and
    derivation stages (about 0.05 s of every layered ``verify`` and ``check``)."""
    out = []
    for path in paths:
        module, cls = path.split(":")
        if module in sys.modules:
            out.append(getattr(sys.modules[module], cls))
    return tuple(out)


def load(source="seed002", *, notation: str | None = None, **framework):
    """The model of ``source``: a Network (layered or graph spec) or a Program (tensor spec).

    ``source``: a bundled example's name (``"seed002"``, ``"cs231n"``), a spec file (YAML/JSON), a spec
    mapping, or a model loaded before (returned as it is).  ``notation``: a preset (theta, w-delta,
    graph, ihv, ng) the network is renamed into; a tensor program has one notation and ignores it.
    """
    if isinstance(source, _classes(NETWORK, PROGRAM)):
        return source
    if isinstance(source, dict):
        return _from_data(source, None, notation, "network")
    if isinstance(source, (str, Path)):
        if Path(str(source)).suffix.lower() in FRAMEWORK_SUFFIXES or FACTORY.fullmatch(str(source)):
            return _imported(source, notation, **framework)
        return _from_source(source, notation)
    return _imported(source, notation, **framework)


def from_text(spec: str, notation: str | None = None):
    """The model of a bundled example's name or of a spec's YAML/JSON text (the web page's input).

    Text is never taken as a path: a request cannot make the server read a file."""
    from importlib import resources

    from ..model.source import bundled_tensor_examples
    from ..model.spec import bundled_examples, parse_text, read_source
    if spec in bundled_tensor_examples():
        text = resources.files("derive").joinpath("examples", "tensor", spec + ".yaml").read_text("utf-8")
        return _from_data(parse_text(text, spec), spec, notation, spec)
    if spec in bundled_examples():
        text, stem = read_source(spec)
        return _from_data(parse_text(text, spec), stem, notation, stem)
    line = spec.strip()
    if "\n" not in line and (FACTORY.fullmatch(line) or Path(line).suffix.lower() in FRAMEWORK_SUFFIXES):
        raise DeriveError(f"{line[:80]}: a file path or model.py:factory; here a spec is its text or a bundled "
                          "example's name (the command line reads .keras files and factories)")
    return _from_data(parse_text(spec, "the spec"), "spec", notation, "spec")


def form(model) -> str:
    """"layered", "graph" or "tensor": the form ``load`` decided (a model imported from Keras or PyTorch is
    one of these too; ``origin`` says where it came from)."""
    if isinstance(model, _classes(PROGRAM)):
        return "tensor"
    return "layered" if model.spec.layered else "graph"


def origin(model) -> str:
    """"spec" for derive's own models, else the framework the model was imported from ("keras", "torch")."""
    imported = getattr(model, "framework", None)
    return getattr(imported, "framework", None) or "spec"


def is_tensor(model) -> bool:
    """Whether a loaded model (or its derivation) is a tensor program."""
    return isinstance(model, _classes(PROGRAM, BACKWARD))


def derive(source):
    """Derive a model of any form: a ``Derivation`` (chain rule and direct, provable) of a network, a
    ``Backward`` (the backward pass, tensor by tensor) of a tensor program.  ``source`` is anything
    ``load`` takes, or a derivation made before (returned as it is)."""
    if isinstance(source, _classes(DERIVATION, BACKWARD)):
        return source
    model = load(source)
    if is_tensor(model):
        from ..tensor.backward import derive_backward
        return derive_backward(model)
    from ..derivation.derivation import Derivation
    return Derivation(model)


def loaded(source):
    """``source`` itself when it is a model or a derivation of one, else ``load(source)``."""
    return source if isinstance(source, _classes(NETWORK, PROGRAM, DERIVATION, BACKWARD)) else load(source)


def name(model) -> str:
    """The name a loaded model's (or derivation's) reports print."""
    for attr in ("program", "net"):          # a Backward, a Derivation
        model = getattr(model, attr, model)
    return model.name if is_tensor(model) else model.spec.name


def _from_source(source, notation):
    """A bundled name or a spec path: read once, then the form is decided by the text."""
    from importlib import resources

    from .. import safeio
    from ..model.source import bundled_tensor_examples
    from ..model.spec import parse_text, read_source
    text_name = str(source)
    if not safeio.exists(text_name) and text_name in bundled_tensor_examples():
        text = resources.files("derive").joinpath("examples", "tensor", text_name + ".yaml").read_text("utf-8")
        return _from_data(parse_text(text, text_name), text_name, notation, text_name)
    text, stem = read_source(source)
    kept = _KEPT.get((text_name, text, stem, notation))
    if kept is not None:
        return kept
    return _from_data(parse_text(text, text_name), stem, notation, stem)


# Networks loaded once and handed out again for the same name, text and notation: filled only by ``keep``,
# which only the warm checker's server calls (its forked workers each get their own copy of these).
_KEPT: dict = {}


def keep(source: str, notation: str | None = None):
    """Load ``source`` (a bundled network's name) and make every later ``load`` of the same name, text and
    notation in this process return that same object, derived checks and all: for ``derive warm``'s server,
    whose workers are forked from it, never for a process that checks more than one command."""
    from ..model.spec import read_source
    text, stem = read_source(source)
    model = _from_source(source, notation)
    if not is_tensor(model):
        _KEPT[(str(source), text, stem, notation)] = model
    return model


def _from_data(data: dict, stem: str | None, notation: str | None, notation_stem: str):
    """The form is decided here, once: ``tensor:`` at the top is a tensor program, anything else a network.
    ``stem`` (None: each form's default) names the files written for the model."""
    if "tensor" in data:
        from ..tensor.program import from_dict
        return from_dict(data, stem or "program")
    from ..model.graph import Network
    from ..model.spec import from_dict, in_notation
    if notation:
        data = in_notation(data, notation, notation_stem)
    return Network(from_dict(data, stem or "network"))


def _imported(source, notation=None, **framework):
    """The dispatch point for models of other frameworks (issue 25: a ``.keras`` file, a Keras model, a
    torch module with ``example_input=``, ``model.py:factory`` on the command line): derive.frameworks
    turns them into a Network or a Program here (api/frameworks.py); anything else is refused in one line."""
    from .frameworks import imported, model_of
    return model_of(imported(source, **framework), notation)
