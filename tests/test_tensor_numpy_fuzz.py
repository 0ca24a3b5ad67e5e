"""Fuzzing the NumPy grammar of issue 20 (the harness of tests/test_fuzz.py: exit 0, 1 or 2, never 3; one
line on stderr; nothing run): forward expressions built from the new functions, spellings and axes, and
backward files built from the program forms (loops, helpers, +=, masked and tuple assignment)."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from test_fuzz import PAYLOADS, SMALL, run

PROGRAM = (Path(__file__).parent / "data" / "tensor_programs" / "attention_batched.yaml").read_text()
NAMES = ["X", "q", "k", "v", "s", "a", "o", "Wq", "D", "B", "T", "2", "0.5", "-1", "np.pi"]
UNARY = ["np.abs({})", "np.square({})", "{}.var(axis=-1, ddof=1)", "{}.std(0)", "np.clip({}, -1, 1)",
         "np.maximum({}, 0)", "np.minimum({}, {})", "np.where({} > 0, {}, 0)", "{}.min(axis=-2)",
         "{}.max(axis=(0, 1))", "{}.transpose(0, 2, 1)", "{}.permute(2, 1, 0)", "np.swapaxes({}, 1, 2)",
         "{}.mT", "{}[:, ::2]", "{}[..., None]", "{}[:, 1:3:2]", "np.pad({}, ((0, 0), (1, 1), (0, 0)))",
         "F.pad({}, (1, 2))", "np.concatenate([{}, {}], axis=-1)", "np.stack([{}, {}], axis=-1)",
         "log_softmax({}, dim=-1)", "softmax({}, axis=-3)", "{} ** (1/2)", "{} ** (-3/2)", "{} @ {}",
         "np.einsum('btd,bsd->bts', {}, {})", "{}.sum(axis=-1, keepdims=True)", "torch.max({}, {})",
         "{}.astype(float)", "np.heaviside({}, 0.5)", "{}.reshape(B, -1)", "np.dot({}, {})", "{}.T"]


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(NAMES))
    form = draw(st.sampled_from(UNARY))
    return form.format(*[draw(expressions(depth - 1)) for _ in range(form.count("{}"))])


@st.composite
def numpy_programs(draw) -> bytes:
    text = PROGRAM
    for name in draw(st.lists(st.sampled_from(["s", "a", "o", "J", "new"]), max_size=3)):
        expr = draw(st.one_of(expressions(), st.sampled_from(PAYLOADS)))
        line = f"    {name}: {expr!r}\n" if "'" not in expr else f"    {name}: \"{expr}\"\n"
        if f"    {name}:" in text:
            start = text.index(f"    {name}:")
            end = text.index("\n", start) + 1
            text = text[:start] + line + text[end:]
        else:
            text = text.replace("    J:", line + "    J:")
    return text.encode()


BACKWARD = ["do = 2 * (o - Y) / (B * T * D)", "dv = a.transpose(0, 2, 1) @ do", "da = do @ v.transpose(0, 2, 1)",
            "ds = a * (da - (da * a).sum(axis=-1, keepdims=True))", "dq = ds @ k / np.sqrt(D)",
            "dWq = np.zeros_like(Wq)", "for b in range(B):", "    dWq += X[b].T @ dq[b]", "def f(x, y):",
            "    return x * y", "dk = f(ds.mT, q)", "dk, dv = dk, dv", "ds = da.copy()", "ds[a <= 0] = 0",
            "dq /= 2", "for t in reversed(range(T)):", "n, t, d = X.shape", "dq = dq * X.shape[0]",
            "dWq[0] = 1", "return 1", "    dWk = 0", "dWk = X.reshape(-1, D).T @ dk.reshape(-1, D)"]


@st.composite
def program_files(draw) -> bytes:
    lines = draw(st.lists(st.one_of(st.sampled_from(BACKWARD), st.sampled_from(PAYLOADS),
                                    expressions().map(lambda e: f"dq = {e}")), min_size=1, max_size=8))
    return "\n".join(lines).encode()


@SMALL
@given(numpy_programs(), st.sampled_from(["verify", "notes", "check"]))
def test_fuzz_numpy_tensor_programs(doc, command):
    argv = {"verify": ["verify", "t.yaml", "--timeout", "30"],
            "notes": ["notes", "t.yaml", "--format", "md,tex", "--out", "out", "--timeout", "30"],
            "check": ["check", "t.yaml", "--backward", "b.py", "--timeout", "10"]}[command]
    run(argv, {"t.yaml": doc, "b.py": b"ds = a * (da - (da * a).sum(axis=-1, keepdims=True))\n"})


@SMALL
@given(program_files())
def test_fuzz_backward_programs(text):
    run(["check", "t.yaml", "--backward", "b.py", "--timeout", "10"], {"t.yaml": PROGRAM.encode(), "b.py": text})
