"""One-line slips made in the held-out right backward files, and where derive blames each.

Each right file in tests/data/backward is changed one line at a time in the ways people slip (a sign
flipped, a transpose dropped, the other axis, a 1/m left out, the wrong activation derivative, a layer
index one off).  The oracle is NumPy running the changed file on a forward pass written in PyTorch
(never derive): a change that leaves every gradient the file computes as it was is no slip and is left
out.  Each slip is then checked by derive and counted: blamed at its own line only, reported elsewhere
(or at other lines too), called right, or refused.

    .venv/bin/python tests/backward_mutants.py [FILE ...]     prints the counts and each miss
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

DATA = Path(__file__).parent / "data" / "backward"

# A slip: (kind, pattern, replacement), applied at one match in one line at a time.
SLIPS = [
    ("sign", r"(?<=[\w\)\]]) - (?=[\w\(np])", " + "),
    ("sign", r"(?<=[\w\)\]]) \+ (?=[\w\(np])", " - "),
    ("sign", r"-=", "+="),
    ("sign", r"= -\s*(?=[\w\(])", "= "),
    ("transpose", r"\.T\b", ""),
    ("transpose", r"np\.transpose\(([\w\.]+)\)", r"\1"),
    ("axis", r"axis\s*=\s*0", "axis=1"),
    ("axis", r"axis\s*=\s*1", "axis=0"),
    ("axis", r"axis\s*=\s*-1", "axis=0"),
    ("axis", r"\.sum\(0", ".sum(1"),
    ("axis", r"\.sum\(1", ".sum(0"),
    ("scale", r"\s*/\s*(?:m|N|n|num_train|num_examples|batch_size|len\(\w+\)|self\.N)\b(?!\s*[\*\-\(])", ""),
    ("scale", r"\(?1\.?0?\s*/\s*(?:m|N|n|num_train|batch_size)\)?\s*\*\s*", ""),
    ("scale", r"/=\s*\w+(?:\.shape\[0\])?$", "/= 1"),
    ("activation", r"\(1 - ([\w\.]+) \*\* 2\)", r"\1 * (1 - \1)"),
    ("activation", r"\(1 - np\.power\(([\w\.]+), 2\)\)", r"\1 * (1 - \1)"),
    ("activation", r"(\w+) \* \(1 - \1\)", r"(1 - \1 ** 2)"),
    ("activation", r"<= 0", "> 0"),
    ("activation", r"(?<![<>=!])> 0", "<= 0"),
    ("layer", r"str\(l \+ 1\)", "str(l)"),
    ("layer", r"\[l\]", "[l - 1]"),
    ("layer", r"\[-l\]", "[-l + 1]"),
    ("layer", r"\[l - 1\]", "[l]"),
    ("layer", r"\{l \+ 1\}", "{l}"),
]


def slips(text: str):
    """(line number, kind, changed text) for each one-line slip of a right file."""
    lines = text.splitlines()
    for k, line in enumerate(lines, 1):
        code, hash_, _ = line.partition("#")
        if not code.strip() or code.lstrip().startswith(("def ", "class ", "import ", "for ", "if ", "elif ", '"""')):
            continue
        for kind, pat, rep in SLIPS:
            for m in re.finditer(pat, code):
                new = code[:m.start()] + m.expand(rep) + code[m.end():]
                yield k, kind, "\n".join(lines[:k - 1] + [new.rstrip()] + lines[k:]) + "\n"


def _forward(fam: str) -> dict:
    import test_backward_heldout as held
    import test_backward_ng as ng
    import test_backward_sources as sources
    if fam in sources.SOURCES:
        return sources.SOURCES[fam][1]()["scope"]
    if fam.startswith("ng_"):
        v = ng.forward(fam)
        return {k: t.detach().numpy() for k, t in v.items()}
    v = held._forward(fam, np.random.default_rng(0))
    scope = {"np": np, **held.SIZES, **{k: t.detach().numpy() for k, t in v.items()}}
    scope.update({"d" + k: t.grad.numpy() for k, t in v.items() if t.grad is not None})
    return scope


def computed(text: str, fam: str) -> dict | str:
    """The gradients the file computes, run as NumPy (our own fixtures and their slips, in the test only),
    or the error that stopped it."""
    scope = {"np": np, **_forward(fam)}
    given = {k: v for k, v in scope.items() if k.startswith("d")}
    try:
        with np.errstate(all="ignore"):
            exec(compile(text, "<slip>", "exec"), scope)      # noqa: S102 - our fixture, never a user's file
    except Exception as e:        # a slip NumPy refuses (shapes that do not match) is a slip too
        return type(e).__name__
    out = {k: v for k, v in scope.items() if k.startswith("d") and isinstance(v, np.ndarray) and v is not given.get(k)}
    for obj in list(scope.values()):
        if isinstance(obj, dict) and obj is not scope:      # grads["dW1"], CS231n's grads["W1"]
            out.update({f"[{k}]": v for k, v in obj.items() if isinstance(v, np.ndarray) and not k.startswith("_")})
        elif "dW1" in getattr(obj, "__dict__", {}):
            out.update({k: v for k, v in vars(obj).items() if k.startswith("d")})
    return out


def differs(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a != b
    return a.keys() != b.keys() or any(np.shape(a[k]) != np.shape(b[k]) or not np.allclose(a[k], b[k], rtol=1e-9, atol=1e-12)
                                       for k in a)


def verdict(spec: str, text: str, line: int) -> str:
    """'own' (wrong at its line only, or refused naming its line), 'also' (its line and others), 'elsewhere',
    'right' or 'refused'."""
    from derive.checking.backward import check_backward
    from derive.errors import DeriveError
    try:
        report = check_backward(spec, text)
    except DeriveError as e:       # a slip NumPy cannot run either (an index past a list's end), said at its line
        return "own" if str(e).startswith(f"line {line}:") else "refused"
    wrong = {x.line for x in report.lines if not x.correct}
    return "right" if not wrong else "own" if wrong == {line} else "also" if line in wrong else "elsewhere"


def files() -> list:
    """(file, spec, forward family) for every right file the tests hold with an oracle."""
    import test_backward_heldout as held
    import test_backward_ng as ng
    out = [(n, held.spec(p), p) for n, p in held.RIGHT]
    out += [(n, ng.spec(n), n) for n, _ in ng.RIGHT]
    out += [(n, "cs231n", "cs231n") for n in ng.SCRATCH_RIGHT]
    import test_backward_sources as sources
    out += [(n, sources.spec_of(n), n) for n in sources.SOURCES]
    return out


SAMPLE = ["ng_L_model.py", "ng_planar.py", "ng_L_model_loop.py", "cs231n_accumulate.py", "cs231n_inplace_relu.py",
          "blog_class.py", "d2l_mlp.py", "rnn_reversed_loop.py", "batchnorm_staged.py", "cs231n_twolayer_loss.py",
          "nielsen_backprop.py", "cs231n_layers.py", "blog_layers_loop.py"]     # the files measured by default (all: 'all')


def measure(only=()) -> dict:
    counts: dict = {}
    misses = []
    for name, spec, fam in files():
        if only and name not in only:
            continue
        text = (DATA / name).read_text()
        base = computed(text, fam)
        seen = set()
        for line, kind, changed in slips(text):      # one slip of each kind a line
            if (line, kind) in seen or not differs(base, computed(changed, fam)):
                continue
            seen.add((line, kind))
            v = verdict(spec, changed, line)
            counts[v] = counts.get(v, 0) + 1
            per = counts.setdefault(name, [0, 0])
            per[0], per[1] = per[0] + (v == "own"), per[1] + 1
            if v != "own":
                misses.append((name, line, kind, v, changed.splitlines()[line - 1].strip()))
                print(*misses[-1], sep="  ", flush=True)
    return counts, misses


if __name__ == "__main__":
    counts, misses = measure(() if sys.argv[1:] == ["all"] else sys.argv[1:] or SAMPLE)
    for name in [k for k in counts if k.endswith(".py")]:
        print(name, "own line: %d of %d" % tuple(counts.pop(name)))
    print(counts, "own-line rate:", counts.get("own", 0), "of", sum(counts.values()))
