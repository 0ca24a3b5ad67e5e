"""Switching notation keeps a spec's numbers: values given for generated names follow them to the new preset."""
from __future__ import annotations

import pytest

from derive.cli import main
from derive.model.spec import from_dict, in_notation, parse_text, read_source

PRESETS = ["theta", "w-delta", "graph", "ihv", "ng"]


@pytest.mark.parametrize("preset", PRESETS)
def test_seed000_values_follow_generated_names(preset):
    text, stem = read_source("seed000")
    data = parse_text(text, stem)
    old, new = from_dict(data, stem), from_dict(in_notation(data, preset, stem), stem)
    assert new.notation.preset == preset
    for field in ("inputs", "params", "targets"):
        before = [getattr(old.values, field).get(n) for n in getattr(old, field)]
        after = [getattr(new.values, field).get(n) for n in getattr(new, field)]
        assert before == after and any(v is not None for v in after)


@pytest.mark.parametrize("preset", PRESETS)
def test_notes_in_any_notation(tmp_path, preset):
    assert main(["notes", "seed000", "--notation", preset, "--format", "md", "--out", str(tmp_path)]) == 0


def test_fixed_follows_too():
    doc = {"inputs": 2, "layers": [{"units": 1, "activation": "sigmoid"}], "notation": "theta",
           "targets": 1, "fixed": ["theta1_12"]}
    new = from_dict(in_notation(doc, "w-delta"))
    old = from_dict(doc)
    assert [p in new.fixed for p in new.params] == [p in old.fixed for p in old.params] == [False, True]
