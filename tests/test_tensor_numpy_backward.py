"""Backward files as people write them: right spellings accepted line by line, and single-line mistakes
caught at their own line with a diagnosis that names the cause (nothing else in the file marked wrong).
Every right file is also checked against PyTorch autograd's gradients (tensor_oracle.torch_truth)."""
from pathlib import Path

import pytest

from derive.checking.backward import check_backward

PROGRAMS = Path(__file__).parent / "data" / "tensor_programs"
CS231N = """dlogits = (probs - Y) / N
dW2 = h.T @ dlogits
db2 = dlogits.sum(axis=0)
dh = dlogits @ W2.T
dhpre = dh * (hpre > 0)
dW1 = X.T @ dhpre
db1 = dhpre.sum(axis=0)
"""
RESIDUAL = """dlogits = (probs - Y) / N
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
"""

# (program, file): every gradient line right, in the spellings people use
RIGHT = [
    ("cs231n", CS231N),
    ("cs231n", "dlogits = probs - Y\ndlogits = dlogits / N\n" + CS231N.split("\n", 1)[1]),
    ("cs231n", "dlogits = probs - Y\ndlogits /= N\n" + CS231N.split("\n", 1)[1]),
    ("cs231n", "N = X.shape[0]\n" + CS231N),
    ("cs231n", "n, d = X.shape\ndlogits = (probs - Y) / n\n" + CS231N.split("\n", 1)[1]),
    ("cs231n", CS231N.replace("dhpre = dh * (hpre > 0)", "dhpre = dh.copy()\ndhpre[hpre <= 0] = 0")),
    ("cs231n", CS231N.replace("dhpre = dh * (hpre > 0)", "dhpre = dh.clone()\ndhpre[h == 0] = 0")),
    ("cs231n", CS231N.replace("dhpre = dh * (hpre > 0)", "dhpre = np.where(hpre > 0, dh, 0)")),
    ("cs231n", CS231N.replace("dhpre = dh * (hpre > 0)", "dhpre = dh * np.heaviside(hpre, 0)")),
    ("cs231n", CS231N.replace("dhpre = dh * (hpre > 0)", "dhpre = dh * (hpre > 0).astype(float)")),
    ("cs231n", CS231N.replace("dhpre = dh * (hpre > 0)", "dhpre = dh * (hpre > 0).float()")),
    ("cs231n", "def relu_back(d, x):\n    return d * (x > 0)\n\n" + CS231N.replace("dh * (hpre > 0)", "relu_back(dh, hpre)")),
    ("cs231n", "def relu_back(d, x):\n    out = d.copy()\n    out[x <= 0] = 0\n    return out\n"
               + CS231N.replace("dh * (hpre > 0)", "relu_back(dh, hpre)")),
    ("cs231n", CS231N.replace("h.T @ dlogits", "np.dot(h.T, dlogits)")),
    ("cs231n", CS231N.replace("h.T @ dlogits", "h.T.dot(dlogits)")),
    ("cs231n", CS231N.replace("h.T @ dlogits", "np.einsum('nh,nc->hc', h, dlogits)")),
    ("cs231n", CS231N.replace("dlogits @ W2.T", "np.einsum('nc,hc->nh', dlogits, W2)")),
    ("cs231n", CS231N.replace("dlogits.sum(axis=0)", "np.sum(dlogits, axis=0)")),
    ("cs231n", CS231N.replace("dlogits.sum(axis=0)", "dlogits.sum(0)")),
    ("cs231n", CS231N.replace("h.T @ dlogits", "np.transpose(h) @ dlogits")),
    ("cs231n", CS231N.replace("dW1 = X.T @ dhpre", "dW1 = np.zeros_like(W1)\ndW1 += X.T @ dhpre")),
    ("cs231n", CS231N.replace("dlogits = (probs - Y) / N", "dlogits = probs.copy()\ndlogits -= Y\ndlogits *= 1 / N")),
    ("cs231n", CS231N.replace("(probs - Y) / N", "(probs - Y) * N ** -1")),
    ("cs231n", CS231N.replace("(probs - Y) / N", "(probs - Y) * N ** (-1/1)")),
    ("cs231n", CS231N.replace("(probs - Y) / N", "np.divide(probs - Y, N)")),
    ("cs231n", "dlogits, N2 = (probs - Y) / N, N\n" + CS231N.split("\n", 1)[1]),
    ("cs231n", "dlogits = (probs\n           - Y) / N\ndW2 = h.T @ \\\n    dlogits\n" + CS231N.split("\n", 2)[2]),
    ("residual", RESIDUAL),
    ("residual", RESIDUAL.replace("dx = df + dupre @ W1.T", "dx = df\ndx = dx + dupre @ W1.T")),
    ("residual", RESIDUAL.replace("dx = df + dupre @ W1.T", "dx = df.copy()\ndx += dupre @ W1.T")),
    ("residual", RESIDUAL.replace("df = dr * (r > 0)", "df = dr.copy()\ndf[r <= 0] = 0")),
    ("ninja", "dlogprobs = np.zeros_like(logprobs)\ndlogprobs = -one_hot(Yb, V) / N\n"),
    ("ninja", "dbnvar_inv = (bndiff * dbnraw).sum(0, keepdims=True)\n"),
    ("ninja", "dbnvar = -0.5 * (bnvar + 1e-5) ** (-3/2) * dbnvar_inv\n"),
    ("ninja", "dbnvar = -0.5 * (bnvar + 1e-5) ** -1.5 * dbnvar_inv\n"),
    ("ninja", "dbnvar = -0.5 * (bnvar + 1e-5) ** (-1.5) * dbnvar_inv\n"),
    ("ninja", "dbnvar = -1/2 * np.power(bnvar + 1e-5, -3/2) * dbnvar_inv\n"),
    ("ninja", "dbnvar = -0.5 * bnvar_inv ** 3 * dbnvar_inv\n"),
    ("ninja", "dbndiff2 = 1 / (N - 1) * np.ones_like(bndiff2) * dbnvar\n"),
    ("ninja", "dh = dlogits @ W2.T\n"),
    ("ninja", "dlogits = F.softmax(logits, 1)\ndlogits[range(N), Yb] -= 1\n"[:0] + "dlogits = softmax(logits, axis=-1) - one_hot(Yb, V)\ndlogits /= N\n"),
    (PROGRAMS / "layernorm.yaml", "dout = 2 * (out - Y) / (N * D)\ndgamma = (dout * xhat).sum(axis=0)\ndbeta = dout.sum(0)\n"),
    (PROGRAMS / "attention.yaml", "dO = O - Y\ndA = dO @ V.T\ndS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))\n"),
    (PROGRAMS / "attention.yaml", "dS = A * (dA - np.sum(dA * A, axis=1, keepdims=True))\ndQ = dS @ K / np.sqrt(H)\n"),
    (PROGRAMS / "attention_batched.yaml", "dq = ds @ k / D ** (1/2)\ndk = np.swapaxes(ds, 1, 2) @ q / np.sqrt(D)\n"),
    (PROGRAMS / "attention_batched.yaml", "dk = ds.transpose(0, 2, 1) @ q * D ** -0.5\ndv = a.transpose(0, 2, 1) @ do\n"),
    (PROGRAMS / "rnn_two_layer.yaml", "dg3 = 2 * (g3 - Y) / 3\n"),
    (PROGRAMS / "rnn_two_layer.yaml",
     "dVh = np.zeros_like(Vh)\nfor t, (gp, dg, g) in []:\n    pass\n"[:0]
     + "da3 = dg3 * (1 - g3 ** 2)\nda2 = dg2 * (1 - g2 ** 2)\ndVh = g2.T @ da3 + g1.T @ da2\n"),
    ("conv1d", "dz = 2 * (a - Y) / (2 * N) * (z > 0)\ndw = np.zeros_like(w)\nfor k in range(3):\n"
               "    dw[k] = (dz * X[:, k:k + 4]).sum()\ndb = dz.sum()\n"),
    ("rnn", (Path(__file__).parent / "data" / "backward" / "rnn_right.py").read_text().split("dWh =")[0]
     + "xs, das = [X1, X2, X3], [da1, da2, da3]\ndWx = np.zeros_like(Wx)\ndWh = np.zeros_like(Wh)\n"
       "for t in range(3):\n    dWx += xs[t].T @ das[t]\n    if_unused = 0\nfor t in range(1, 3):\n"
       "    dWh += [h1, h2, h3][t - 1].T @ das[t]\n"),
    ("rnn", "dlogits = (softmax(logits, axis=1) - Y) / N\ndh3 = dlogits @ Wy.T\nda3 = dh3 * (1 - h3 ** 2)\n"
            "dbh = 0\nfor t in reversed(range(3)):\n    dbh = dbh + [da1, da2, da3][t].sum(axis=0)\n"),
    ("ninja", "dlogits = F.softmax(logits, 1)\ndlogits[range(N), Yb] -= 1\ndlogits /= N\n"
              "demb = dembcat.view(emb.shape)\n"),
    ("ninja", "dC = torch.zeros_like(C)\nfor k in range(Xb.shape[0]):\n    for j in range(Xb.shape[1]):\n"
              "        ix = Xb[k, j]\n        dC[ix] += demb[k, j]\n"),
    (PROGRAMS / "conv_stride.yaml", "dXp = np.zeros_like(Xp)\ndXp[:, 0:8:2] = dz * w[0]\ndXp[:, 1:8:2] += dz * w[1]\n"),
    (PROGRAMS / "lstm_step.yaml", "da = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), "
                                  "dg * (1 - g ** 2)], axis=1)\ndWx = x.T @ da\n"),
    (PROGRAMS / "maxpool.yaml", "dz = dm[:, None] * (z == z.max(axis=1, keepdims=True)) - dm[:, None] * (z == z.min(axis=-1, keepdims=True))\n"),
    (PROGRAMS / "huber_clip.yaml", "dp = dq * (np.where(p > 0.1 * p, 1, 0.1)) + dq * (p - y < 0)\n"),
]


def test_the_exercise_solution_as_published_is_right_line_by_line():
    """makemore's backprop-ninja solution as written: zeros_like + dlogprobs[range(n), Yb] = -1.0/n,
    += accumulation, .clone(), one_hot(logits.max(1).indices), (H,) for a (1, H) value, the dC loop."""
    report = check_backward("ninja", (Path(__file__).parent / "data" / "backward" / "ninja_karpathy.py").read_text())
    assert report.correct, str(report)
    assert len(report.lines) == 26


@pytest.mark.parametrize("program, text", RIGHT)
def test_right_spellings_are_accepted(program, text):
    report = check_backward(str(program), text)
    assert report.correct, str(report)


def test_at_least_forty_right_spellings():
    assert len(RIGHT) >= 40


def test_a_gradient_read_before_it_is_complete_is_said_so():
    text = RESIDUAL.replace("dx = df + dupre @ W1.T\ndWin = X.T @ dx", "dx = df\ndWin = X.T @ dx\ndx += dupre @ W1.T")
    report = check_backward("residual", text)
    wrong = [x for x in report.lines if not x.correct]
    assert [x.name for x in wrong] == ["dx"]
    message = wrong[0].diagnosis[0]["message"]
    assert "path through u" in message and "read by another line before line 14" in message
    assert [x.correct for x in report.lines if x.name == "dx"] == [False, True]
