"""``derive notes``: lecture notes (Markdown, LaTeX, HTML) in the spec's notation and a language."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import DeriveError
from ..notes.prose import FORMATS, LANGUAGES
from .options import add_budget

GALLERY_LANGS = ("en", "ko")
GALLERY_MAX_PARAMS = 64     # larger bundled examples (digits: 2410 parameters) stay out of the gallery


def _list(text: str, allowed, what: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in items if x not in allowed]
    if bad or not items:
        raise DeriveError(f"unknown {what} {(bad or [text])[0]!r}; expected one of {', '.join(allowed)}")
    return items


def add_parser(sub):
    p = sub.add_parser("notes", help="write lecture notes: diagram, forward pass, chain rule per "
                                     "parameter, deltas, proof, matrix form, worked example")
    p.add_argument("spec", nargs="?", default="seed002",
                   help="spec file (YAML/JSON) or bundled example name (default: seed002)")
    p.add_argument("--format", default="md,tex,html",
                   help="comma-separated: md, tex, html, pdf (pdf needs pdflatex or xelatex; default: md,tex,html)")
    p.add_argument("--lang", default="en", help="comma-separated: en, ko, ja (default: en)")
    p.add_argument("--notation", help="notation preset (theta, w-delta, graph, ihv, ng); default: the spec's")
    p.add_argument("--param", action="append", metavar="NAME",
                   help="only this parameter (repeatable), or 'all'; default: all, or a named sample of "
                        "large networks")
    p.add_argument("--out", default="output", help="output directory (default: ./output)")
    add_budget(p)
    p.add_argument("--all", action="store_true", help="every bundled example (ignores SPEC; digits alone takes minutes)")
    p.add_argument("--gallery", action="store_true",
                   help="regenerate the gallery: every bundled example of at most "
                        f"{GALLERY_MAX_PARAMS} parameters, en and ko, all formats")
    p.add_argument("--json", action="store_true", help='print {"written": [paths]} instead of one path a line')
    return p


def gallery_examples() -> list[str]:
    """The gallery's examples: every bundled network of at most GALLERY_MAX_PARAMS parameters, then every
    bundled tensor program."""
    from ..model.spec import bundled_examples, load_spec
    from ..tensor.program import bundled_tensor_examples
    return [e for e in bundled_examples() if len(load_spec(e).trainable) <= GALLERY_MAX_PARAMS] \
        + bundled_tensor_examples()


def _network(spec: str, preset: str | None):
    from ..model.graph import Network
    from ..model.spec import from_dict, in_notation, parse_text, read_source
    if not preset:
        return spec
    text, source = read_source(spec)
    stem = Path(source).stem
    return Network(from_dict(in_notation(parse_text(text, source), preset, stem), stem))


def prepare(spec, params=None, preset=None, progress=None):
    """Derive ``spec`` (a Network, path or example name) and prove what the notes show: (Notes, Network)."""
    from ..notes import content as notes_mod
    from ..derivation.derivation import derive
    d = derive(_network(spec, preset))
    chosen = list(d.net.trainable) if params and "all" in params else (params or notes_mod.default_params(d.net))
    d.prove(chosen, progress=progress)
    return notes_mod.build(d, chosen), d.net


def write(spec, out: Path, formats, langs, params=None, preset=None, progress=None) -> list[Path]:
    """Derive ``spec``, prove what the notes show, and write the notes; returns the paths written."""
    from ..notes.render import write_notes
    n, net = prepare(spec, params, preset, progress)
    return write_notes(n, net, out, formats, langs)


def run(args) -> int:
    formats = _list(args.format, FORMATS + ("pdf",), "format")
    langs = _list(args.lang, LANGUAGES, "language")
    out = Path(args.out)
    from ..safeio import exists, is_dir
    if exists(out) and not is_dir(out):
        raise DeriveError(f"--out {args.out}: not a folder (notes are written into a folder)")
    if args.gallery:
        specs, formats, langs = gallery_examples(), list(FORMATS), list(GALLERY_LANGS)
    else:
        from ..model.spec import bundled_examples
        specs = bundled_examples() if args.all else [args.spec]
    written, entries = [], []
    if "pdf" in formats:
        from ..notes.pdf import engine_for
        for lang in langs:
            engine_for(lang)      # one clear line before any work when no engine is installed
    from .tensor import is_tensor
    for spec in specs:
        if is_tensor(spec):
            from ..notes.tensor import write as write_tensor
            from ..tensor.backward import derive_backward
            bw = derive_backward(spec)
            paths = write_tensor(bw, out, formats, langs)
            entry = (bw.program.name, "tensor", f"{len(bw.lines)} gradient tensors")
        else:
            paths = write(spec, out, formats, langs, args.param, args.notation)
            if args.gallery:
                from ..model.spec import load_spec
                entry = (load_spec(spec).name, "network", f"{len(load_spec(spec).trainable)} parameters")
        if args.gallery:
            from ..notes.gallery import Entry
            entries.append(Entry(Path(paths[0]).parent.name, *entry))
        for path in paths:
            written.append(str(path))
            if not args.json:
                print(path, file=sys.stdout)
    if args.gallery:
        from ..notes.gallery import write_index
        for path in write_index(out, entries, langs, formats):
            written.append(str(path))
            if not args.json:
                print(path, file=sys.stdout)
    if args.json:
        print(json.dumps({"written": written}, ensure_ascii=False))
    return 0
