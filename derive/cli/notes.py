"""``derive notes``: lecture notes (Markdown, LaTeX, HTML) in the spec's notation and a language."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..api.notes import GALLERY_LANGS, GALLERY_MAX_PARAMS, gallery_examples, write_gallery  # noqa: F401
from ..errors import DeriveError
from ..notes.prose import FORMATS, LANGUAGES
from .options import add_budget


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


def run(args) -> int:
    from .. import api
    formats = _list(args.format, FORMATS + ("pdf",), "format")
    langs = _list(args.lang, LANGUAGES, "language")
    out = Path(args.out)
    from ..safeio import exists, is_dir
    if exists(out) and not is_dir(out):
        raise DeriveError(f"--out {args.out}: not a folder (notes are written into a folder)")
    written = []

    def told(path):
        written.append(str(path))
        if not args.json:
            print(path, file=sys.stdout)
    if args.gallery:
        write_gallery(out, on_path=told)
    else:
        from ..model.spec import bundled_examples
        if "pdf" in formats:
            from ..notes.pdf import engine_for
            for lang in langs:
                engine_for(lang)      # one clear line before any work when no engine is installed
        for spec in (bundled_examples() if args.all else [args.spec]):
            for path in api.write_notes(api.load(spec, notation=args.notation), out, formats, langs, args.param):
                told(path)
    if args.json:
        print(json.dumps({"written": written}, ensure_ascii=False))
    return 0
