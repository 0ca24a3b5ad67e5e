"""Matrix-form notes for a tensor program: forward pass, backward pass as equations and code, proofs.

Python computes every string (LaTeX from the tensor LaTeX printer, code from the code printer, the
proof verdicts from ``derive.tensor.proof``); the templates ``tensor.md/tex/html`` only lay them out.
Prose per language sits in one table, ``TEXT``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import DeriveError
from ..model.naming import latex_of_name
from ..tensor.backward import Backward, builder, derive_backward
from ..tensor.grammar import Name, walk
from ..tensor.latex import LatexPrinter
from ..tensor.printer import to_code
from ..tensor.proof import prove_backward
from ..tensor.shapes import infer

TEXT = {
    "en": {
        "notes": "Matrix-form notes", "sizes": "Sizes and shapes",
        "sizes_intro": "Every tensor's shape, in the size names; the proof instantiates the program at the sizes given.",
        "tensor": "tensor", "kind": "kind", "shape": "shape", "input": "input (data)", "param": "parameter",
        "forward": "Forward pass", "backward": "Backward pass",
        "backward_intro": "dNAME is the gradient of the output with respect to NAME and has NAME's shape. Each line is "
                          "derived from the rules table (one vector-Jacobian product per operation; broadcasting in the "
                          "forward pass becomes a sum in the backward pass) and shown as an equation and as NumPy code.",
        "equation": "equation", "code": "NumPy", "proof": "proof",
        "mean": "The mean over the examples",
        "mean_text": "The output is an average over the {N} examples of the batch, so the factor 1/{N} enters the "
                     "backward pass at {first} and every gradient computed from it carries that 1/{N}.",
        "no_mean": "The output is not divided by a batch size; no 1/N appears in the backward pass.",
        "subgradient": "Where a function has a corner ({fns}), the backward pass takes PyTorch's convention: relu'(0) = 0, "
                       "|x|'(0) = 0, maximum/minimum split the gradient in half at a tie, clip passes it at the bounds, "
                       "a max or min sends it to the extreme entry.",
        "proven": "proven: all {k} entries equal the direct derivative of {out} (exact arithmetic, {p} random points of GF(2^61-1))",
        "unproven": "NOT PROVEN: entry {idx} differs from the direct derivative of {out}",
        "proof_intro": "Each line is proven entry by entry: the program is instantiated at the sizes above with one "
                       "variable per entry, and the derived formula is compared with the derivative of the output "
                       "taken directly (forward mode, never the rules table), exactly, at random points of a large "
                       "prime field.",
    },
    "ko": {
        "notes": "행렬 형태 강의 노트", "sizes": "크기와 모양",
        "sizes_intro": "모든 텐서의 모양을 크기 이름으로 적었습니다. 증명은 주어진 크기에서 프로그램을 구체화합니다.",
        "tensor": "텐서", "kind": "종류", "shape": "모양", "input": "입력 (데이터)", "param": "파라미터",
        "forward": "순전파", "backward": "역전파",
        "backward_intro": "dNAME은 출력의 NAME에 대한 기울기이며 NAME과 같은 모양입니다. 각 줄은 규칙 표(연산마다 하나의 "
                          "벡터-야코비안 곱; 순전파의 브로드캐스팅은 역전파에서 합이 됩니다)에서 유도되며 수식과 NumPy "
                          "코드로 나란히 보입니다.",
        "equation": "수식", "code": "NumPy", "proof": "증명",
        "mean": "예제에 대한 평균",
        "mean_text": "출력은 배치의 {N}개 예제에 대한 평균이므로 1/{N} 인자가 {first}에서 역전파에 들어오고, 그로부터 "
                     "계산되는 모든 기울기가 1/{N}을 가집니다.",
        "no_mean": "출력이 배치 크기로 나누어지지 않으므로 역전파에 1/N이 나타나지 않습니다.",
        "subgradient": "함수에 꺾인 점이 있는 곳({fns})에서 역전파는 PyTorch의 약속을 따릅니다: relu'(0) = 0, |x|'(0) = 0, "
                       "maximum/minimum은 같은 값일 때 기울기를 반씩 나누고, clip은 경계에서 기울기를 통과시키며, max/min은 "
                       "극값 항목으로 보냅니다.",
        "proven": "증명됨: {k}개 항목 모두 {out}의 직접 미분과 같음 (정확, GF(2^61-1)의 {p}개 점)",
        "unproven": "증명되지 않음: 항목 {idx}이(가) {out}의 직접 미분과 다름",
        "proof_intro": "각 줄은 항목별로 증명됩니다. 위의 크기에서 항목마다 변수 하나로 프로그램을 구체화하고, 유도된 공식을 "
                       "출력을 직접 미분한 값(전방 모드, 규칙 표를 쓰지 않음)과 큰 소수체의 임의의 점에서 정확히 비교합니다.",
    },
    "ja": {
        "notes": "行列形式の講義ノート", "sizes": "サイズと形",
        "sizes_intro": "すべてのテンソルの形をサイズ名で示します。証明は与えられたサイズでプログラムを具体化します。",
        "tensor": "テンソル", "kind": "種類", "shape": "形", "input": "入力 (データ)", "param": "パラメータ",
        "forward": "順伝播", "backward": "逆伝播",
        "backward_intro": "dNAME は出力の NAME に関する勾配で、NAME と同じ形です。各行は規則表（演算ごとに一つの"
                          "ベクトル・ヤコビアン積。順伝播のブロードキャストは逆伝播では和になる）から導かれ、数式と NumPy "
                          "コードで並べて示します。",
        "equation": "数式", "code": "NumPy", "proof": "証明",
        "mean": "例についての平均",
        "mean_text": "出力はバッチの {N} 個の例についての平均なので、因子 1/{N} は {first} で逆伝播に入り、そこから"
                     "計算されるすべての勾配が 1/{N} を持ちます。",
        "no_mean": "出力はバッチサイズで割られていないので、逆伝播に 1/N は現れません。",
        "subgradient": "関数に角がある所（{fns}）では、逆伝播は PyTorch の約束に従います: relu'(0) = 0、|x|'(0) = 0、"
                       "maximum/minimum は同値のとき勾配を半分ずつ分け、clip は境界で勾配を通し、max/min は極値の成分へ送ります。",
        "proven": "証明済み: {k} 個の成分すべてが {out} の直接微分に等しい（厳密、GF(2^61-1) の {p} 点）",
        "unproven": "未証明: 成分 {idx} が {out} の直接微分と異なる",
        "proof_intro": "各行は成分ごとに証明されます。上のサイズで成分ごとに一つの変数を置いてプログラムを具体化し、"
                       "導いた式を出力の直接微分（前進モード、規則表は使わない）と大きな素数体のランダムな点で厳密に比べます。",
    },
}


@dataclass(frozen=True)
class Row:
    name: str
    latex: str
    code: str
    shape: str        # LaTeX, in size names
    note: str         # kind or proof line


@dataclass(frozen=True)
class TensorNotes:
    title: str
    slug: str
    description: str
    sizes: tuple      # ((name, value), ...)
    leaves: tuple     # Row per input/param (note: kind)
    forward: tuple    # Row per assignment
    backward: tuple   # Row per dNAME (note: proof line)
    mean: str
    output: str


def latex_printer(bw: Backward):
    """(LatexPrinter, latex_name) for a program's trees: dNAME as d NAME, the batch's sums over n."""
    prog = bw.program
    c = builder(prog)
    tensors = {t.name for t in prog.leaves} | {n for n, _, _ in prog.forward}

    def latex_name(n: str) -> str:
        if n.startswith("d") and n[1:] in tensors:
            return "\\mathrm{d}" + latex_of_name(n[1:])
        return latex_of_name(n)

    def axis_index(t, axis):
        shape = infer(t, c.sym_env, c.sym_sizes, limit=False).shape
        axis %= max(len(shape), 1)
        dim = c.dim_tree(shape[axis])
        if isinstance(dim, Name):
            if shape.index(shape[axis]) != axis:      # a second axis of the same size (attention's keys)
                return dim.id.lower() + "'"
            return "n" if dim.id == prog.batch else dim.id.lower()
        return f"a_{{{axis}}}"

    def scalar(t) -> bool:
        try:
            return c.shape(t) == ()
        except DeriveError:
            return False
        except Exception:     # a tree the shape rules cannot read is printed as elementwise
            return False

    tex = LatexPrinter(latex_name, scalar, axis_index)
    return tex, latex_name


def build(program, lang: str = "en") -> TensorNotes:
    """Derive, prove and lay out the notes' content for one language."""
    if lang not in TEXT:
        raise DeriveError(f"unknown language {lang!r}; expected one of {', '.join(TEXT)}")
    T = TEXT[lang]
    bw = program if isinstance(program, Backward) else derive_backward(program)
    prog = bw.program
    proofs = prove_backward(bw)
    c = builder(prog)
    tex, latex_name = latex_printer(bw)

    def shape_tex(t) -> str:
        dims = c.dims(t).items
        return " \\times ".join(tex(d) for d in dims) if dims else "1"

    leaves = tuple(Row(t.name, latex_name(t.name), t.name, shape_tex(Name(t.name)),
                       T["input"] if t.kind == "input" else T["param"]) for t in prog.leaves)
    forward = tuple(Row(n, f"{latex_name(n)} = {tex(tree)}", f"{n} = {to_code(tree)}", shape_tex(Name(n)), "")
                    for n, tree, _ in prog.forward)
    rows = []
    for x in bw.lines:
        pr = proofs[x.name]
        note = (T["proven"].format(k=pr.entries, out=prog.output, p=pr.points) if pr.proven
                else T["unproven"].format(idx=pr.first_failure, out=prog.output))
        rows.append(Row(x.target, f"{latex_name(x.target)} = {tex(x.tree)}", x.code, shape_tex(Name(x.name)), note))
    first = next((x.target for x in bw.lines if prog.batch and any(
        isinstance(n, Name) and n.id == prog.batch for n in walk(x.tree))), None)
    mean = T["mean_text"].format(N=prog.batch, first=first) if first else T["no_mean"]
    corners = sorted({n.fn for _, tree, _ in prog.forward for n in walk(tree)
                      if getattr(n, "fn", None) in ("relu", "abs", "maximum", "minimum", "clip", "max", "min", "where")})
    if corners:
        mean += " " + T["subgradient"].format(fns=", ".join(corners))
    return TensorNotes(prog.name, prog.slug, "", tuple(prog.sizes), leaves, forward, tuple(rows), mean, prog.output)


def write(program, out: Path, formats, langs) -> list[Path]:
    """Write ``out/<slug>/notes.<lang>.<fmt>`` for a tensor program; returns the paths."""
    from .render import write_atomic
    written = []
    bw = program if isinstance(program, Backward) else derive_backward(program)
    for lang in langs:
        notes = build(bw, lang)
        for fmt in formats:
            if fmt == "pdf":
                from .pdf import compile_pdf
                data = compile_pdf(render(notes, "tex", lang), lang)
                written.append(write_atomic(out, f"{notes.slug}/notes.{lang}.pdf", data))
                continue
            written.append(write_atomic(out, f"{notes.slug}/notes.{lang}.{fmt}", render(notes, fmt, lang)))
    return written


def render(notes: TensorNotes, fmt: str, lang: str) -> str:
    from markupsafe import Markup

    from .render import CJK_FONTS, _mathml, environment, md_escape, tex_escape
    T = TEXT[lang]
    if fmt == "html":
        m = lambda s: Markup(_mathml(s, "inline"))      # noqa: E731
        dm = lambda s: Markup(_mathml(s, "block"))      # noqa: E731
        text = str
    elif fmt == "tex":
        m = lambda s: f"\\({s}\\)"                       # noqa: E731
        dm = lambda s: f"\\[ {s} \\]"                    # noqa: E731
        text = tex_escape
    else:
        m = lambda s: f"${s}$"                           # noqa: E731
        dm = lambda s: f"$$\n{s}\n$$"                    # noqa: E731
        text = md_escape
    return environment(fmt).get_template("tensor." + fmt).render(
        n=notes, t=T, m=m, dm=dm, text=text, lang=lang, cjk_font=CJK_FONTS.get(lang))
