"""The spec's fields, one validator each: names (a list or a count), free text, exact numbers, and the
``values`` block (inputs, params, targets, learning rate, a batch of examples).  Each error names the
field (``values.examples[2].inputs``)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from ..errors import SpecError, choices
from .naming import check_identifier

MAX_UNITS = 4096
MAX_EXAMPLES = 64          # a worked example over more than this is not a lecture's example


@dataclass(frozen=True)
class Values:
    inputs: dict
    params: dict
    targets: dict
    learning_rate: object = None
    examples: tuple = ()        # ((inputs, targets), ...): the batch of m examples; inputs/targets = the first

    @property
    def batch(self) -> tuple:
        """Every example as (inputs, targets): ``examples``, or the one of ``inputs``/``targets``."""
        return self.examples or ((self.inputs, self.targets),)



def names(value, field_: str, default) -> tuple[str, ...]:
    """A list of identifiers, or a count turned into names by ``default(i)`` (1-based)."""
    if isinstance(value, bool):
        raise SpecError(field_, "expected a list of names or a count")
    if isinstance(value, int):
        if not 0 <= value <= MAX_UNITS:
            raise SpecError(field_, f"count must be between 0 and {MAX_UNITS}, got {value}")
        return tuple(default(i) for i in range(1, value + 1))
    if not isinstance(value, list):
        raise SpecError(field_, "expected a list of names or a count")
    return tuple(check_identifier(v, f"{field_}[{k}]") for k, v in enumerate(value))


def free_text(value, field_: str, most: int, keep: str = "") -> str:
    """Free text (a title, a description): a non-empty string of at most ``most`` characters, with no
    control, format (bidi, zero-width), surrogate, private-use or line/paragraph separator characters
    other than those in ``keep``: they break SVG and LaTeX, reverse text or inject Markdown."""
    if not isinstance(value, str) or not value.strip() or len(value) > most:
        raise SpecError(field_, f"expected a non-empty string of at most {most} characters")
    bad = next((c for c in value if c not in keep
                and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")), None)
    if bad is not None:
        raise SpecError(field_, f"control or bidi character U+{ord(bad):04X} is not allowed in the {field_}")
    return value


def slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    return s[:60] or "network"


def number(v, field_: str):
    """An exact number (int, 'p/q', decimal string) as Fraction, or a float as float."""
    if isinstance(v, bool):
        raise SpecError(field_, "expected a number")
    if isinstance(v, int):
        if abs(v) > 10**12:
            raise SpecError(field_, "number out of range")
        return Fraction(v)
    if isinstance(v, float):
        if v != v or abs(v) > 1e12:
            raise SpecError(field_, "number out of range")
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d{1,12}\s*(/\s*\d{1,12}\s*)?", v):
        try:
            return Fraction(v.replace(" ", ""))
        except ZeroDivisionError:
            raise SpecError(field_, "division by zero") from None
    raise SpecError(field_, f"expected a number, got {v!r}")


def named_numbers(m, allowed, required: bool, field_: str) -> dict:
    if not isinstance(m, dict):
        raise SpecError(field_, "expected a mapping of name: number")
    for k in m:
        if k not in allowed:
            raise SpecError(f"{field_}.{k}", "unknown name; " + choices(str(k), allowed, "names"))
    if required:
        missing = [n for n in allowed if n not in m]
        if missing:
            raise SpecError(field_, f"missing value for {missing[0]}")
    return {k: number(v, f"{field_}.{k}") for k, v in m.items()}


def read_examples(raw, spec_inputs, targets) -> tuple:
    if not isinstance(raw, list) or not raw:
        raise SpecError("values.examples", "expected a non-empty list of {inputs: ..., targets: ...}")
    if len(raw) > MAX_EXAMPLES:
        raise SpecError("values.examples", f"at most {MAX_EXAMPLES} examples, got {len(raw)}")
    out = []
    for i, ex in enumerate(raw):
        f = f"values.examples[{i}]"
        if not isinstance(ex, dict):
            raise SpecError(f, "expected a mapping with inputs and targets")
        extra = set(ex) - {"inputs", "targets"}
        if extra:
            raise SpecError(f"{f}.{sorted(extra)[0]}", "unknown field; expected inputs, targets")
        out.append((named_numbers(ex.get("inputs") or {}, spec_inputs, True, f"{f}.inputs"),
                    named_numbers(ex.get("targets") or {}, targets, True, f"{f}.targets")))
    return tuple(out)


def read_values(data, spec_inputs, params, targets) -> Values | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SpecError("values", "expected a mapping with inputs, params, targets")
    unknown = set(data) - {"inputs", "params", "targets", "learning_rate", "examples"}
    if unknown:
        raise SpecError(f"values.{sorted(unknown)[0]}",
                        "unknown field; expected inputs, params, targets, learning_rate, examples")
    examples = ()
    if "examples" in data:
        for key in ("inputs", "targets"):
            if key in data:
                raise SpecError(f"values.{key}", "give the inputs and targets either here or in "
                                                 "values.examples, not both")
        examples = read_examples(data["examples"], spec_inputs, targets)
    out = {"params": named_numbers(data.get("params") or {}, params, False, "values.params")}
    for key, allowed in (("inputs", spec_inputs), ("targets", targets)):
        out[key] = examples[0][key == "targets"] if examples else \
            named_numbers(data.get(key) or {}, allowed, True, f"values.{key}")
    lr = data.get("learning_rate")
    return Values(out["inputs"], out["params"], out["targets"],
                  None if lr is None else number(lr, "values.learning_rate"), examples)
