"""Single-line mistakes in backward files: each caught at its own line, nothing else in the file marked
wrong, with a diagnosis that names its cause (at least 95% of them more specific than 'not equal')."""
from pathlib import Path

import pytest

from derive.checking.backward import check_backward

DATA = Path(__file__).parent / "data"
PROGRAMS = DATA / "tensor_programs"
FILES = {
    "cs231n": ("cs231n", (DATA / "backward" / "cs231n_right.py").read_text()),
    "rnn": ("rnn", (DATA / "backward" / "rnn_right.py").read_text()),
    "ninja": ("ninja", (DATA / "backward" / "ninja_right.py").read_text()),
    "residual": ("residual", """dlogits = (probs - Y) / N
dWout = r.T @ dlogits
dbout = dlogits.sum(axis=0)
dr = dlogits @ Wout.T
df = dr * (r > 0)
dW2 = u.T @ df
db2 = df.sum(axis=0)
du = df @ W2.T
dupre = du * (u > 0)
dW1 = x.T @ dupre
db1 = dupre.sum(axis=0)
dx = df + dupre @ W1.T
dWin = X.T @ dx
"""),
    "makemore": ("cs231n", """dlogits = probs - Y
dlogits = dlogits / N
dW2 = h.T @ dlogits
db2 = dlogits.sum(axis=0)
dh = dlogits @ W2.T
dhpre = dh * (hpre > 0)
dW1 = X.T @ dhpre
"""),
    "bessel": (PROGRAMS / "batchnorm_bessel.yaml", """dout = 2 * (out - Y) / (N * D)
dgamma = (dout * zh).sum(axis=0)
dbeta = dout.sum(axis=0)
dzh = dout * gamma
dmu = -(dzh * (v + 1e-5) ** -0.5).sum(axis=0, keepdims=True)
dv = -0.5 * (dzh * (z - mu)).sum(axis=0, keepdims=True) * (v + 1e-5) ** (-3/2)
dz = dzh * (v + 1e-5) ** -0.5 + dv * 2 * (z - mu) / (N - 1) + dmu / N
dW = X.T @ dz
"""),
    "attention": (PROGRAMS / "attention.yaml", """dO = O - Y
dA = dO @ V.T
dV = A.T @ dO
dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))
dQ = dS @ K / np.sqrt(H)
dK = dS.T @ Q / np.sqrt(H)
dWq = X.T @ dQ
"""),
    "rnn2": (PROGRAMS / "rnn_two_layer.yaml", "dg3 = 2 * (g3 - Y) / 3\ndh3 = dg3 * (1 - g3 ** 2) @ Vx.T\n"),
    "logistic": (PROGRAMS / "logistic.yaml", "dp = -y / (N * p) + (1 - y) / (N * (1 - p))\ndw = X.T @ (dp * p * (1 - p))\n"),
    "embedding": (PROGRAMS / "embedding.yaml", "demb = dbag[:, None] * np.ones_like(emb) / T\n"),
    "gelu": (PROGRAMS / "gelu_mlp.yaml", """dout = 2 * (out - Y) / N
dw2 = g.T @ dout
dg = np.outer(dout, w2)
c = np.sqrt(2 / np.pi)
u = c * (z + 0.044715 * z ** 3)
th = np.tanh(u)
dz = dg * (0.5 * (1 + th) + 0.5 * z * (1 - th ** 2) * c * (1 + 3 * 0.044715 * z ** 2))
dW1 = X.T @ dz
"""),
    "helper_def": ("cs231n", """def relu_back(d, x):
    out = d.copy()
    out[x <= 0] = 0
    return out

dlogits = (probs - Y) / N
dh = dlogits @ W2.T
dhpre = relu_back(dh, hpre)
dW1 = X.T @ dhpre
"""),
    "bn_steps": ("batchnorm", """dout = (out - Y) / N
dgamma = (dout * zhat).sum(axis=0)
dbeta = dout.sum(axis=0)
dzhat = dout * gamma
dstd = -(dzhat * zc / std ** 2).sum(axis=0)
dvar = dstd / (2 * std)
dzc = dzhat / std + dvar * 2 * zc / N
dmu = -dzc.sum(axis=0)
dz = dzc + dmu / N
dW = X.T @ dz
"""),
    "ln": (PROGRAMS / "layernorm_torch.yaml", """dout = 2 * (out - y) / (B * T)
dhn = dout * w
dh = (dhn - dhn.mean(axis=-1, keepdims=True) - hn * (dhn * hn).mean(axis=-1, keepdims=True)) / np.sqrt(var + 1e-5)
dW = x.reshape(-1, C).T @ dh.reshape(-1, C)
"""),
    "soft": (PROGRAMS / "softmax_soft_targets.yaml",
             "dz = p * Y.sum(axis=1, keepdims=True) / N - Y / N\ndW = X.T @ dz\n"),
}

# (file, target, the wrong right-hand side, kinds of which the diagnosis must name one)
MISTAKES = [
    ("cs231n", "dW2", "dlogits.T @ h", {"transpose"}),
    ("cs231n", "db2", "dlogits", {"not_summed"}),
    ("cs231n", "db1", "dhpre.sum(axis=1)", {"axis"}),
    ("cs231n", "dlogits", "probs - Y", {"scale"}),
    ("cs231n", "dhpre", "dh", {"activation"}),
    ("cs231n", "dh", "-dlogits @ W2.T", {"sign"}),
    ("cs231n", "db2", "dlogits.sum(axis=0, keepdims=True)", {"keepdims"}),
    ("cs231n", "dW1", "X @ dhpre", {"matmul", "transpose"}),
    ("makemore", "dlogits", "probs + Y", {"placed"}),
    ("residual", "dx", "dupre @ W1.T", {"branch"}),
    ("residual", "dx", "2 * df + dupre @ W1.T", {"double"}),
    ("residual", "df", "dr", {"activation"}),
    ("residual", "dW2", "df.T @ u", {"transpose"}),
    ("residual", "dupre", "du", {"placed"}),
    ("rnn", "dWh", "h2.T @ da3", {"branch"}),
    ("rnn", "dWx", "X1.T @ da1 + X2.T @ da2", {"branch"}),
    ("rnn", "da2", "dh2", {"activation"}),
    ("rnn", "dh2", "da3 @ Wh", {"matmul"}),
    ("rnn", "dbh", "da1.sum(axis=0) + da2.sum(axis=0) + 2 * da3.sum(axis=0)", {"double"}),
    ("bessel", "dz", "dzh * (v + 1e-5) ** -0.5 + dv * 2 * (z - mu) / N + dmu / N", {"n_minus_1"}),
    ("bessel", "dz", "dzh * (v + 1e-5) ** -0.5 + dv * 2 * (z - mu) / (N - 1)", {"branch"}),
    ("bessel", "dv", "-(dzh * (z - mu)).sum(axis=0, keepdims=True) * (v + 1e-5) ** (-3/2)", {"scale"}),
    ("bessel", "dgamma", "(dout * zh).sum(axis=0, keepdims=True)", {"keepdims"}),
    ("bessel", "dbeta", "dout.mean(axis=0)", {"scale"}),
    ("ninja", "dbndiff2", "(1.0 / N) * torch.ones_like(bndiff2) * dbnvar", {"n_minus_1"}),
    ("ninja", "dhpreact", "dh", {"activation"}),
    ("ninja", "dlogprobs", "-F.one_hot(Yb, num_classes=V)", {"scale"}),
    ("ninja", "dbnbias", "dhpreact.sum(0)", {"keepdims"}),
    ("attention", "dQ", "dS @ K", {"scale"}),
    ("attention", "dK", "dS.T @ Q", {"scale"}),
    ("attention", "dV", "dO @ A", {"matmul", "transpose"}),
    ("rnn2", "dg3", "2 * (g3 - Y)", {"scale"}),
    ("logistic", "dp", "-y / (N * p) - (1 - y) / (N * (1 - p))", {"sign"}),
    ("embedding", "demb", "dbag[:, None] * np.ones_like(emb)", {"scale"}),
    ("soft", "dz", "(p - Y) / N", {"assumption"}),
    ("gelu", "dz", "dg * (0.5 * (1 + th) + 0.5 * z * c * (1 + 3 * 0.044715 * z ** 2))", {"activation"}),
    ("gelu", "th", "np.tanh(u) ** 2", {"placed"}),
    ("gelu", "dg", "dout * w2", {"not_summed", "shape", "matmul", "keepdims"}),
    ("helper_def", "    out[x <= 0]", "-1", {"placed"}),
    ("bn_steps", "dzc", "dzhat / std", {"branch"}),
    ("bn_steps", "dz", "dzc", {"branch"}),
    ("bn_steps", "dzc", "dzhat / std + dvar * 2 * zc / (N - 1)", {"n_minus_1"}),
    ("bn_steps", "dvar", "dstd / std", {"scale"}),
    ("ln", "dh", "(dhn - dhn.mean(axis=-1) - hn * (dhn * hn).mean(axis=-1, keepdims=True)) / np.sqrt(var + 1e-5)",
     {"keepdims"}),
    ("ln", "dhn", "dout", {"factor"}),
]


def _with_mistake(key, target, wrong):
    program, text = FILES[key]
    lines = text.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith(target + " = "))
    lines[at] = f"{target} = {wrong}"      # "    out[x <= 0] = -1": a line inside a helper function
    return program, "\n".join(lines) + "\n", at + 1


@pytest.mark.parametrize("key", sorted(FILES))
def test_the_right_files_are_right(key):
    program, text = FILES[key]
    report = check_backward(str(program), text)
    assert report.correct, str(report)


@pytest.mark.parametrize("key, target, wrong, kinds", MISTAKES, ids=[f"{m[0]}-{m[1]}" for m in MISTAKES])
def test_mistake_is_caught_at_its_own_line_with_its_cause(key, target, wrong, kinds):
    program, text, line = _with_mistake(key, target, wrong)
    report = check_backward(str(program), text)
    wrong_lines = [x for x in report.lines if not x.correct]
    assert [x.line for x in wrong_lines] == [line], str(report)
    (d,) = wrong_lines[0].diagnosis
    assert set(d.get("kinds", [d["kind"]])) & kinds, str(report)


def test_at_least_30_mistakes_and_95_percent_named():
    assert len(MISTAKES) >= 30
    named = 0
    for key, target, wrong, _ in MISTAKES:
        program, text, _ = _with_mistake(key, target, wrong)
        d = next(x for x in check_backward(str(program), text).lines if not x.correct).diagnosis[0]
        named += d["kind"] != "value"
    assert named >= 0.95 * len(MISTAKES)
