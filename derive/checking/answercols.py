"""Which columns of a class's answers file hold the student, the parameter and the answers.

Two shapes are read.  Long: one row per answer, with a parameter column and an answer column (derive's own
``id,param,answer``, or headers such as Parameter / Response / 답안 / 解答).  Wide: one row per student,
one column per parameter, as an LMS or a form tool exports a quiz (Canvas "12345: Give dE/dw11", a Google
Form's "What is ∂E/∂w₁₁?"): a header is taken for a parameter when it names exactly one of the network's
parameters (or exactly one as a derivative, dw11 or ∂w11).  ``Columns`` names any of them explicitly
(``--id-column``, ``--param-column``, ``--answer-column COL[=PARAM]``); what it names is used, nothing guessed.
The student is the id column (Student ID, ID number, 학번, 学籍番号, email, ...), else the name columns
joined (Surname, First name, 이름, 氏名).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..errors import DeriveError

ID_NAMES = ("id", "student id", "studentid", "student_id", "student number", "id number", "idnumber", "sis_id",
            "sis user id", "sis login id", "login id", "username", "user", "email", "email address", "e-mail",
            "matrikelnummer", "numéro d'étudiant", "número de estudiante", "matricola", "학번", "학생 번호", "아이디", "学籍番号", "学生番号", "学生証番号", "番号")
NAME_NAMES = ("name", "student", "full name", "first name", "given name", "surname", "last name", "family name",
              "nom", "prénom", "nombre", "apellidos", "nome", "cognome", "vorname", "nachname", "이름", "성명", "氏名", "名前", "姓", "名")
PARAM_NAMES = ("param", "parameter", "weight", "파라미터", "매개변수", "변수", "パラメータ", "パラメーター", "変数")
ANSWER_NAMES = ("answer", "response", "your answer", "formula", "antwort", "réponse", "respuesta", "risposta", "resposta",
                "답안", "답", "응답", "解答", "回答", "答え")
SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+")


@dataclass(frozen=True)
class Columns:
    """Columns named by the user (header text, any case); ``answers``: (column, parameter or None)."""
    id: str | None = None
    param: str | None = None
    answers: tuple[tuple[str, str | None], ...] = ()

    @staticmethod
    def parse_answer(text: str) -> tuple[str, str | None]:
        """``Response 1=w11`` -> ("Response 1", "w11"); ``Answer`` -> ("Answer", None)."""
        col, eq, param = text.rpartition("=")
        if eq and col.strip() and re.fullmatch(r"\s*[A-Za-z_][\w{}]*\s*", param):
            return col.strip(), param.strip()
        return text.strip(), None


def key(header: str) -> str:
    """A header as compared: NFKC, case-folded, blanks collapsed, a trailing ':' or '*' dropped."""
    h = unicodedata.normalize("NFKC", header or "").casefold()
    return re.sub(r"\s+", " ", h).strip().rstrip(":*").strip()


def params_named(header: str, params) -> list[str]:
    """The parameters a header names: all it names as a derivative (dw11, ∂w_{11}), else all it names."""
    h = header.translate(SUBSCRIPTS).replace("\\partial", "∂")
    h = re.sub(r"_\{?(\d+)\}?", r"\1", re.sub(r"\{(\d+)\}", r"\1", h))
    tokens = re.findall(r"[A-Za-z∂][A-Za-z0-9]*", h)
    found = _named(tokens, {p: p for p in params})
    if not found:                         # dE/dW11 for w11: only when no two parameters differ by case alone
        folded = {p.casefold(): p for p in params}
        if len(folded) == len(set(params)):
            found = _named([t.casefold() for t in tokens], folded)
    return found


def _named(tokens: list[str], names: dict) -> list[str]:
    plain = [names[t] for t in tokens if t in names]
    as_derivative = [names[t[1:]] for t in tokens if t[:1] in ("d", "∂") and t[1:] in names]
    as_derivative += [names[t] for i, t in enumerate(tokens) if t in names and i and tokens[i - 1] == "∂"]
    return list(dict.fromkeys(as_derivative or plain))


class Layout:
    """Where each role sits in a header row; ``rows()`` turns records into {id, param, answer}."""

    def __init__(self, header: list[str], source: str, params=None, columns: Columns | None = None):
        self.header, self.source, self.columns = header, source, columns or Columns()
        self.keys = [key(h) for h in header]
        c = self.columns
        self.param = self.find(c.param, "--param-column") if c.param else self.first(PARAM_NAMES)
        if c.answers:
            self.answers = [(self.find(col, "--answer-column"), p) for col, p in c.answers]
        else:
            self.answers = self.guess_answers(params)
        if any(p is None for _, p in self.answers) and self.param is None:
            raise DeriveError(f"{source}: no parameter column for answer column(s) "
                              f"{', '.join(repr(header[i]) for i, p in self.answers if p is None)}; give "
                              "--param-column, or --answer-column 'COLUMN=PARAM' for each")
        self.id = [self.find(c.id, "--id-column")] if c.id else self.guess_id()

    def find(self, name: str, option: str) -> int:
        k = key(name)
        if k in self.keys:
            return self.keys.index(k)
        shown = ", ".join(repr(h) for h in self.header[:12]) + (", ..." if len(self.header) > 12 else "")
        raise DeriveError(f"{option} {name}: {self.source} has no such column (it has {shown})")

    def first(self, names) -> int | None:
        for n in names:
            if n in self.keys:
                return self.keys.index(n)
        return None

    def guess_answers(self, params) -> list[tuple[int, str | None]]:
        if self.param is not None:
            i = self.first(ANSWER_NAMES)
            if i is not None:
                return [(i, None)]
        wide = []
        for i, h in enumerate(self.header):
            named = params_named(h, params or ()) if i != self.param else []
            if len(named) == 1:
                wide.append((i, named[0]))
        if wide:
            return wide
        missing = [r for r in ("id", "param", "answer") if r not in self.keys]
        hint = "" if params is None else " or one column per parameter naming it (dE/dw11)"
        raise DeriveError(f"{self.source}: missing column(s) {', '.join(missing) or 'answer'}; expected a header "
                          f"id,param,answer{hint}, or name the columns (derive grade --answer-column COLUMN[=PARAM])")

    def guess_id(self) -> list[int]:
        i = self.first(ID_NAMES)
        if i is not None:
            return [i]
        names = [j for j, k in enumerate(self.keys) if k in NAME_NAMES]
        if names:
            return names
        raise DeriveError(f"{self.source}: missing column(s) id; expected a student id or name column "
                          "(id, Student ID, Email address, Name, 학번, 学籍番号, ...), or give --id-column")

    def student(self, cells: list[str]) -> str:
        if len(self.id) == 1:
            return cells[self.id[0]] if self.id[0] < len(cells) else ""
        return " ".join(cells[j].strip() for j in self.id if j < len(cells) and cells[j].strip())

    def rows(self, records, decimal_comma: bool = False) -> list[dict]:
        """One {id, param, answer} per answer cell, record by record; a record with more fields than the
        header is refused with its line.  ``decimal_comma``: 0,0722 is graded as 0.0722 (a number alone in
        its cell) unless an answer cell of the file writes a decimal point; such a row keeps the cell as
        typed under "typed" (the report shows it)."""
        out, same, width = [], {}, len(self.header)
        for line, cells in records:
            if len(cells) > width:
                raise DeriveError(f"{self.source}: line {line} has {len(cells)} fields, the header {width}; "
                                  "put an answer with a comma in double quotes")
            who = self.student(cells)
            param_cell = (cells[self.param] if self.param is not None and self.param < len(cells) else "").strip()
            for i, p in self.answers:
                param = p or param_cell
                answer = (cells[i] if i < len(cells) else "").strip()
                out.append({"id": who, "param": same.setdefault(param, param),
                            "answer": same.setdefault(answer, answer)})   # a class repeats its answers: one copy
        if decimal_comma and not any(DECIMAL_POINT.fullmatch(r["answer"]) for r in out):
            for r in out:
                if DECIMAL_COMMA.fullmatch(r["answer"]):
                    r["typed"], r["answer"] = r["answer"], r["answer"].replace(",", ".")
        return out


__all__ = ["Columns", "Layout", "key", "params_named"]
