"""Spec text, read safely: YAML (no aliases or anchors, the pure-Python safe loader) or JSON, at most
MAX_BYTES, from a file or a bundled example.  Gives the parsed mapping; ``spec.from_dict`` validates it."""
from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import yaml

from .. import safeio
from ..errors import SpecError, nearest

MAX_BYTES = 1_000_000


class _NoAliasLoader(yaml.SafeLoader):
    """The pure-Python safe loader, refusing anchors and aliases (alias bombs)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            ev = self.peek_event()
            raise SpecError("", f"YAML aliases (*{ev.anchor}) are not allowed (line {ev.start_mark.line + 1})")
        ev = self.peek_event()
        if getattr(ev, "anchor", None):
            raise SpecError("", f"YAML anchors (&{ev.anchor}) are not allowed (line {ev.start_mark.line + 1})")
        return super().compose_node(parent, index)


def parse_text(text: str, source: str = "spec") -> dict:
    """Parse YAML or JSON text into a mapping, refusing aliases, deep nesting and huge input."""
    if len(text) > MAX_BYTES:
        raise SpecError("", f"{source} is larger than {MAX_BYTES} bytes")
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_NoAliasLoader)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError("", f"{source} is nested too deeply") from None
    except (yaml.YAMLError, json.JSONDecodeError, ValueError) as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpecError("", f"{source} is not valid YAML/JSON{line}: {problem}") from None
    if not isinstance(data, dict):
        raise SpecError("", f"{source} must be a mapping with 'inputs' and 'layers' or 'graph'")
    return data


def bundled_examples() -> list[str]:
    """Names of the bundled example specs (``derive verify seed002``)."""
    return sorted(p.name[:-5] for p in resources.files("derive").joinpath("examples").iterdir()
                  if p.name.endswith(".yaml"))


def bundled_tensor_examples() -> list[str]:
    """Names of the bundled tensor programs (``derive verify cs231n``); listed here, below the tensor stage,
    so that deciding a name's form does not import it."""
    return sorted(p.name[:-5] for p in resources.files("derive").joinpath("examples", "tensor").iterdir()
                  if p.name.endswith(".yaml"))


def read_source(path_or_name: str | Path) -> tuple[str, str]:
    """Return (text, stem) for a spec path or a bundled example name."""
    p = Path(path_or_name)
    name = str(path_or_name)
    if not safeio.exists(p) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        ex = resources.files("derive").joinpath("examples", name + ".yaml")
        if ex.is_file():
            return ex.read_text(encoding="utf-8"), name
        tensor = resources.files("derive").joinpath("examples", "tensor")
        programs = sorted(p.name[:-5] for p in tensor.iterdir() if p.name.endswith(".yaml")) if tensor.is_dir() else []
        near = nearest(name, bundled_examples() + programs)
        raise SpecError("", f"no spec file or bundled example named {name!r}; "
                            + (f"did you mean {' or '.join(near)}? " if near else "")
                            + f"(networks: {', '.join(bundled_examples())}; tensor programs: {', '.join(programs)})")
    return safeio.read_text(p, MAX_BYTES, str(p)), p.stem
