"""The gallery's index: one page (HTML, and Markdown for browsing the repository) linking every example's notes."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from .render import write_atomic

KIND = {"network": "network (chain rule per parameter, matrix form)",
        "tensor": "tensor program (vectorised backward pass)"}
STYLE = """body { font-family: "Noto Sans", "Noto Sans CJK KR", sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #222; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f5f7; } td.links { white-space: nowrap; } .muted { color: #555; font-size: 0.9em; }
code { background: #f4f4f4; padding: 0.1em 0.3em; }"""


@dataclass(frozen=True)
class Entry:
    folder: str        # output/<folder>/notes.<lang>.<fmt>
    title: str
    kind: str          # "network" | "tensor"
    size: str          # "8 parameters", "26 gradient tensors"


def _links(e: Entry, lang: str, formats, html: bool) -> str:
    parts = []
    for fmt in formats:
        href = f"{e.folder}/notes.{lang}.{fmt}"
        parts.append(f'<a href="{escape(href)}">{fmt}</a>' if html else f"[{fmt}]({href})")
    return " ".join(parts) if html else " · ".join(parts)


def index_html(entries, langs, formats) -> str:
    head = "".join(f"<th>{escape(lang)}</th>" for lang in langs)
    rows = []
    for e in entries:
        cells = "".join(f"<td class=\"links\">{_links(e, lang, formats, True)}</td>" for lang in langs)
        rows.append(f"<tr><td><strong>{escape(e.title)}</strong><br><code>{escape(e.folder)}</code></td>"
                    f"<td>{escape(KIND[e.kind])}<br><span class=\"muted\">{escape(e.size)}</span></td>{cells}</tr>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>derive: notes gallery</title>\n"
            f"<style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1>Notes gallery</h1>\n"
            "<p>Lecture notes derive writes for its bundled examples, every equation proven. Regenerate with "
            "<code>derive notes --gallery --out output</code>.</p>\n"
            f"<table>\n<tr><th>example</th><th>kind</th>{head}</tr>\n" + "\n".join(rows)
            + "\n</table>\n</body>\n</html>\n")


def index_md(entries, langs, formats) -> str:
    out = ["# Notes gallery", "",
           "Lecture notes derive writes for its bundled examples, every equation proven. Regenerate with "
           "`derive notes --gallery --out output`.", "",
           "| example | kind | " + " | ".join(langs) + " |", "|---|---|" + "---|" * len(langs)]
    for e in entries:
        cells = " | ".join(_links(e, lang, formats, False) for lang in langs)
        out.append(f"| **{e.title.replace('|', '/')}** (`{e.folder}`) | {KIND[e.kind]}, {e.size} | {cells} |")
    return "\n".join(out) + "\n"


def write_index(out: Path, entries, langs, formats) -> list[Path]:
    """Write ``out/index.html`` and ``out/index.md``; returns the paths."""
    return [write_atomic(out, "index.html", index_html(entries, langs, formats)),
            write_atomic(out, "index.md", index_md(entries, langs, formats))]
