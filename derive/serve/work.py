"""What each web request does, as plain functions: the same library calls the CLI makes.

Every function here runs inside a sandboxed child process (``sandbox.call``), so a spec or an
answer that takes too long or too much memory is killed there, never in the server.  A ``spec``
is a bundled example's name or the text of a YAML/JSON spec; text is never taken as a path.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import DeriveError
from . import tensor


def network(spec: str, notation: str | None = None):
    """The Network of a bundled example's name or of spec text, optionally in another notation."""
    from ..model.graph import Network
    from ..model.spec import bundled_examples, from_dict, in_notation, parse_text, read_source
    if spec in bundled_examples():
        text, stem = read_source(spec)
        source = spec
    else:
        text, stem, source = spec, "spec", "the spec"
    data = parse_text(text, source)
    if notation:
        data = in_notation(data, notation, stem)
    return Network(from_dict(data, stem))


def spec_info(spec: str, notation: str | None = None) -> dict:
    """What a page needs to offer a spec: its name, trainable parameters and every symbol's LaTeX."""
    if tensor.is_tensor(spec):
        return tensor.spec_info(spec)
    net = network(spec, notation)
    symbols = {n.name: net.latex_names[n.symbol] for n in net.nodes.values()}
    symbols.update({str(net.delta_symbol(d)): net.latex_names[net.delta_symbol(d)] for d in net.delta_nodes})
    return {"name": net.spec.name, "notation": net.notation.preset, "params": list(net.trainable),
            "loss": net.loss, "symbols": symbols}


def verify(spec: str) -> dict:
    """The ``derive verify --json`` object."""
    if tensor.is_tensor(spec):
        return tensor.verify(spec)
    from ..cli.verify import report
    return report(network(spec))


def check(spec: str, param: str, answer: str, timeout: float) -> dict:
    """The ``derive check --json`` object for one typed formula (already in a sandbox: no second one).

    For a tensor program: the ``derive check --backward --json`` object of that formula's line."""
    if tensor.is_tensor(spec):
        return tensor.check(spec, param, answer)
    from ..checking.checker import check as check_answer, checker_for
    c = checker_for(network(spec))
    return check_answer(c.derivation, param, answer, timeout=None).to_dict()


def check_backward(spec: str, text: str) -> dict:
    """The ``derive check --backward --json`` object: every line of a tensor program's backward pass."""
    if not tensor.is_tensor(spec):
        raise DeriveError("'backward' needs a tensor program (a spec with 'tensor:'); for this spec, "
                          "check an answer or a derivation")
    return tensor.check_backward(spec, text)


def check_derivation(spec: str, text: str) -> dict:
    """The ``derive check --derivation --json`` object: every step of a pasted derivation."""
    if tensor.is_tensor(spec):
        raise DeriveError("this is a tensor program: paste its backward pass (one 'dNAME = expression' per line) "
                          "as a backward pass, not a derivation")
    from ..checking.checker import checker_for
    from ..checking.derivation import check_derivation as check_all
    report = check_all(checker_for(network(spec)), text, timeout=None)
    out = report.to_dict()
    if not report.checked:
        out["error"] = "no equation could be checked"
    return out


def preview(spec: str, answer: str) -> dict:
    """How a typed formula is understood: its LaTeX in the spec's notation, and as MathML."""
    if tensor.is_tensor(spec):
        return tensor.preview(spec, answer)
    from ..checking.checker import checker_for
    from ..notes.display import mathml
    c = checker_for(network(spec))
    latex = c.net.latex(c.parse_answer(answer))
    return {"latex": latex, "mathml": mathml(latex)}


def notes(spec: str, lang: str = "en", fmt: str = "html", notation: str | None = None) -> dict:
    """The notes as one document (what ``derive notes`` writes, rendered in memory)."""
    if tensor.is_tensor(spec):
        return tensor.notes(spec, lang, fmt)
    from ..cli.notes import prepare
    from ..notes.render import render
    n, net = prepare(network(spec, notation))
    return {"spec": net.spec.name, "lang": lang, "format": fmt, "notation": net.notation.preset,
            "params": [p.name for p in n.params], "text": render(n, net, fmt, lang)}


def mathml(latex: list[str]) -> dict:
    """LaTeX to MathML for display (an entry that cannot be converted comes back as None)."""
    from ..notes.display import mathml as convert
    out = []
    for s in latex:
        try:
            out.append(convert(s))
        except DeriveError:
            out.append(None)
    return {"mathml": out}


def grade(spec: str, csv_path: str, out_dir: str, timeout: float, progress=None) -> dict:
    """The ``derive grade --json`` object for a CSV (id,param,answer); the report written to out_dir.

    ``progress`` is shared memory (a multiprocessing array): [answers graded, answers in the CSV].
    """
    import multiprocessing

    from ..checking.grade import grade as grade_all, read_answers
    # grade() checks every answer in its own sandboxed worker; this sandbox child may start them
    # (multiprocessing refuses children of a daemon): they exit on EOF if this child is killed.
    multiprocessing.current_process().daemon = False
    rows = read_answers(csv_path)
    if not rows:
        raise DeriveError("the CSV has no answers (expected a header id,param,answer and one row per answer)")

    if progress is not None:
        progress[1] = len(rows)

    def tick(_row):
        if progress is not None:
            progress[0] += 1
    if tensor.is_tensor(spec):
        from ..cli.tensor import grade as grade_tensor
        report = grade_tensor(tensor.program(spec), rows, timeout=timeout, progress=False, on_row=tick)
    else:
        report = grade_all(network(spec), rows, timeout=timeout, progress=False, on_row=tick)
    out = Path(out_dir)
    report.write_csv(out / "report.csv")
    report.write_json(out / "report.json")
    return report.to_dict()
