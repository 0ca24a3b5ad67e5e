"""A class's answers file as records: its encoding and delimiter found, each record a list of cells.

Exports from an LMS, a form tool or a spreadsheet come as UTF-8 (with or without a BOM), UTF-16 (Excel's
"Unicode text", with a BOM or recognisable by its NUL bytes), or a legacy code page: Windows-1252 for a
European locale, CP949 (EUC-KR) for a Korean sheet, Shift_JIS (CP932) for a Japanese one.  A legacy code
page is taken only when the bytes decode under it without error and, for the Korean and Japanese ones, when
they read as words of that script (two syllables or kana/kanji in a row); anything else is refused in one line.  The delimiter (comma, semicolon, tab or bar)
is the one that splits the header into most fields and the first rows into as many (or the one an Excel
``sep=;`` first line names).
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re

from ..errors import DeriveError

DELIMITERS = (",", ";", "\t", "|")
SAMPLE = 50                                  # records read to choose the delimiter
HANGUL = re.compile(r"[\uac00-\ud7a3]{2}")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]{2}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# EUC-KR (KS X 1001's common syllables) before Shift_JIS before CP949: CP949's extension decodes most
# Shift_JIS text into rare syllables, while Shift_JIS's common kanji are outside EUC-KR.
LEGACY = (("euc_kr", HANGUL), ("cp932", JAPANESE), ("cp949", HANGUL), ("cp1252", None))


def decode(raw: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding name) of a file's bytes; a DeriveError in one line when it is not text."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise DeriveError(f"--encoding {encoding}: not an encoding Python knows") from None
        return _strict(raw, encoding, source), encoding
    if raw.startswith(codecs.BOM_UTF8):
        return _strict(raw[3:], "utf-8", source), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(raw, "utf-16", source), "utf-16"
    head = raw[:4096]
    if head.count(0) * 4 >= len(head) > 0:   # UTF-16 without a BOM: a NUL beside every ASCII character
        enc = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        return _strict(raw, enc, source), enc
    try:
        return _text(raw.decode("utf-8"), source), "utf-8"
    except UnicodeDecodeError as e:
        first = e.start
    for enc, script in LEGACY:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if (script is None or script.search(text)) and not CONTROL.search(text):
            return text, enc
    raise DeriveError(f"{source} is not text in UTF-8, UTF-16, Windows-1252, CP949 or Shift_JIS (byte {first}); "
                      "save it as 'CSV UTF-8' or give --encoding")


def _strict(raw: bytes, encoding: str, source: str) -> str:
    try:
        return _text(raw.decode(encoding), source)
    except UnicodeDecodeError as e:
        raise DeriveError(f"{source} is not {encoding} text (byte {e.start}); save it as 'CSV UTF-8' "
                          "or give --encoding") from None
    except ValueError as e:                # a codec that refuses its input another way
        raise DeriveError(f"{source}: cannot decode as {encoding} ({e})") from None


def _text(text: str, source: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise DeriveError(f"{source} is not a text file (it has NUL characters); export it as CSV")
    return text


def separator_line(text: str) -> tuple[str | None, str]:
    """Excel's ``sep=;`` first line: (its delimiter, the text after it); (None, text) without one."""
    m = re.match(r"sep=([^\r\n])(\r\n|\r|\n)", text)
    return (m.group(1), text[m.end():]) if m else (None, text)


def delimiter(text: str) -> str:
    """The delimiter that splits the header into most fields with the first rows split alike."""
    best, score = ",", None
    for d in DELIMITERS:
        try:
            sample = [r for r in itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=d), SAMPLE)
                      if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not sample or len(sample[0]) < 2:
            continue
        rows = sample[1:]
        alike = sum(len(r) == len(sample[0]) for r in rows) / len(rows) if rows else 1.0
        s = (alike >= 0.9, alike, len(sample[0]))
        if score is None or s > score:
            best, score = d, s
    return best


def records(text: str, delim: str, source: str, first_line: int = 1):
    """(line number, cells) of each record that has a non-blank cell; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    line = first_line
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                yield line, cells
            line = reader.line_num + first_line
    except csv.Error as e:
        raise DeriveError(f"{source}: line {reader.line_num + first_line - 1}: bad CSV ({e})") from None


__all__ = ["decode", "delimiter", "records", "separator_line"]
