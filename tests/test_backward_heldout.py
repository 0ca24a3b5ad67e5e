"""Held-out backward files, written as people write them (zeros_like and +=, .copy() then a mask,
np.dot / np.matmul / np.outer, np.add.at, tuple unpacking, a running temporary, an if in a loop), and
one-slip variants of them: derive must call every right file right and name each slip's line.

The oracle is independent of derive: each file is run as the NumPy program it is (here, in the test,
never inside derive) on values from a forward pass written in PyTorch, and its gradients are compared
with torch autograd's."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from derive.checking.backward import check_backward
from derive.cli import main

DATA = Path(__file__).parent / "data" / "backward"
PROGRAMS = Path(__file__).parent / "data" / "tensor_programs"
SIZES = {"N": 7, "D": 3, "H": 5, "C": 4, "T": 3, "V": 6, "E": 2}

# (file, program): every gradient right
RIGHT = [
    ("cs231n_accumulate.py", "cs231n"),
    ("cs231n_matmul_where.py", "cs231n"),
    ("cs231n_temporaries.py", "cs231n"),          # one running g, divided by len(X)
    ("cs231n_outer_loop.py", "cs231n"),
    ("batchnorm_staged.py", "batchnorm"),
    ("batchnorm_keepdims.py", "batchnorm"),
    ("ninja_numpy.py", "ninja"),
    ("ninja_numpy_fused.py", "ninja"),
    ("rnn_reversed_loop.py", "rnn"),
    ("residual_where.py", "residual"),
    ("cs231n_inplace_relu.py", "cs231n"),     # dh = ... then dh[h <= 0] = 0: the name goes on as dJ/dhpre
    ("cs231n_labels_from_onehot.py", "cs231n"),   # dlogits[range(N), y] -= 1 with y = Y.argmax(axis=1)
    ("cs231n_with_dx.py", "cs231n"),              # dX too, the input's gradient, as a layer's backward returns
    ("layernorm_compact.py", "layernorm"),        # axis=-1, keepdims=True, NumPy's out.size
    ("layernorm_staged.py", "layernorm"),         # dvar, dmu, np.size(out)
    ("rnn_range_step.py", "rnn"),                 # for t in range(2, -1, -1), if t >= 1, ';' between statements
    ("ninja_embedding_flat.py", "ninja"),         # np.add.at(dC, Xb.ravel(), demb.reshape(-1, E))
    ("ninja_numpy_eye.py", "ninja"),              # np.eye(V)[Yb], NumPy's one-hot rows
    ("ninja_numpy_zeros.py", "ninja"),            # np.zeros((n, V)), np.zeros(probs.shape), np.ones((n, H))
    ("attention_numpy.py", "attention"),          # softmax's backward with keepdims, a scale temporary, dX
]
# (file, program, the slip's line, the gradient it makes wrong, the diagnosis kind derive gives)
WRONG = [
    ("cs231n_accumulate_no_mean.py", "cs231n", 7, "dlogits", "scale"),              # dlogits /= num_train left out
    ("cs231n_accumulate_wrong_mask.py", "cs231n", 18, "dhpre", "mask"),            # dhpre[dh <= 0] = 0
    ("cs231n_matmul_no_transpose.py", "cs231n", 4, "dh", "matmul"),                # dlogits @ W2
    ("cs231n_matmul_wrong_axis.py", "cs231n", 7, "db1", "axis"),                   # sum(axis=-1)
    ("cs231n_outer_loop_swapped.py", "cs231n", 6, "dW2", "shape"),                 # np.outer(dlogits[i], h[i])
    ("batchnorm_staged_no_mean.py", "batchnorm", 10, "dzc", "placed"),            # 2 * zc * dvar, no / N
    ("ninja_numpy_no_keepdims.py", "ninja", 6, "dcounts_sum_inv", "keepdims"),     # np.sum(..., axis=1)
    ("ninja_numpy_no_bessel.py", "ninja", 26, "dbndiff2", "n_minus_1"),               # / n for / (n - 1)
    ("rnn_reversed_loop_wrong_step.py", "rnn", 11, "da2", "value"),                # 1 - h3 ** 2 at step 2
    ("rnn_reversed_loop_off_by_one.py", "rnn", 23, "dWh", "branch"),
    ("cs231n_with_dx_no_transpose.py", "cs231n", 9, "dX", "matmul"),              # dhpre @ W1
    ("layernorm_compact_no_keepdims.py", "layernorm", 8, "dX", "keepdims"),       # dxhat.sum(axis=-1)         # if t > 1: drops a step
]


def _forward(program: str, rng) -> dict:
    """The program's forward pass in PyTorch (float64), every value keeping its gradient."""
    n = SIZES
    r = lambda *s: torch.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    hot = lambda rows, k: torch.nn.functional.one_hot(torch.tensor(rng.integers(0, k, rows)), k).double()  # noqa: E731
    v = {}
    if program == "cs231n":
        v.update(X=r(n["N"], n["D"]), Y=hot(n["N"], n["C"]), W1=r(n["D"], n["H"]), b1=r(n["H"]),
                 W2=r(n["H"], n["C"]), b2=r(n["C"]))
        v["hpre"] = v["X"] @ v["W1"] + v["b1"]
        v["h"] = torch.relu(v["hpre"])
        v["logits"] = v["h"] @ v["W2"] + v["b2"]
        v["probs"] = torch.softmax(v["logits"], 1)
        v["J"] = -(v["Y"] * torch.log(v["probs"])).sum() / n["N"]
    elif program == "residual":
        H = n["H"]
        v.update(X=r(n["N"], n["D"]), Y=hot(n["N"], n["C"]), Win=r(n["D"], H), W1=r(H, H), b1=r(H),
                 W2=r(H, H), b2=r(H), Wout=r(H, n["C"]), bout=r(n["C"]))
        v["x"] = v["X"] @ v["Win"]
        v["u"] = torch.relu(v["x"] @ v["W1"] + v["b1"])
        v["f"] = v["u"] @ v["W2"] + v["b2"]
        v["r"] = torch.relu(v["x"] + v["f"])
        v["logits"] = v["r"] @ v["Wout"] + v["bout"]
        v["probs"] = torch.softmax(v["logits"], 1)
        v["J"] = -(v["Y"] * torch.log(v["probs"])).sum() / n["N"]
    elif program == "batchnorm":
        v.update(X=r(n["N"], n["D"]), Y=r(n["N"], n["H"]), W=r(n["D"], n["H"]), gamma=r(n["H"]), beta=r(n["H"]))
        v["z"] = v["X"] @ v["W"]
        v["mu"] = v["z"].mean(0)
        v["zc"] = v["z"] - v["mu"]
        v["var"] = (v["zc"] ** 2).mean(0)
        v["std"] = torch.sqrt(v["var"] + 1e-5)
        v["zhat"] = v["zc"] / v["std"]
        v["out"] = v["gamma"] * v["zhat"] + v["beta"]
        v["J"] = ((v["out"] - v["Y"]) ** 2).sum() / (2 * n["N"])
    elif program == "layernorm":
        v.update(X=r(n["N"], n["D"]), Y=r(n["N"], n["D"]), gamma=r(n["D"]), beta=r(n["D"]))
        v["mu"] = v["X"].mean(-1, keepdim=True)
        v["var"] = v["X"].var(-1, keepdim=True, unbiased=False)
        v["xhat"] = (v["X"] - v["mu"]) / torch.sqrt(v["var"] + 1e-5)
        v["out"] = v["gamma"] * v["xhat"] + v["beta"]
        v["J"] = ((v["out"] - v["Y"]) ** 2).mean()
    elif program == "attention":
        T, D, H = n["T"], n["D"], n["H"]
        v.update(X=r(T, D), Y=r(T, H), Wq=r(D, H), Wk=r(D, H), Wv=r(D, H))
        v["Q"], v["K"], v["V"] = v["X"] @ v["Wq"], v["X"] @ v["Wk"], v["X"] @ v["Wv"]
        v["S"] = v["Q"] @ v["K"].T / H ** 0.5
        v["A"] = torch.softmax(v["S"], -1)
        v["O"] = v["A"] @ v["V"]
        v["J"] = 0.5 * ((v["O"] - v["Y"]) ** 2).sum()
    elif program == "rnn":
        v.update({f"X{t}": r(n["N"], n["D"]) for t in (1, 2, 3)}, Y=hot(n["N"], n["C"]), Wx=r(n["D"], n["H"]),
                 Wh=r(n["H"], n["H"]), bh=r(n["H"]), Wy=r(n["H"], n["C"]), by=r(n["C"]))
        h = torch.zeros(n["N"], n["H"], dtype=torch.float64)
        for t in (1, 2, 3):
            v[f"a{t}"] = v[f"X{t}"] @ v["Wx"] + h @ v["Wh"] + v["bh"]
            h = v[f"h{t}"] = torch.tanh(v[f"a{t}"])
        v["logits"] = h @ v["Wy"] + v["by"]
        v["J"] = -(v["Y"] * torch.log_softmax(v["logits"], 1)).sum() / n["N"]
    else:      # makemore's backprop ninja, its forward pass as written in the exercise
        N, K = n["N"], n["T"] * n["E"]
        v.update(Xb=torch.tensor(rng.integers(0, n["V"], (N, n["T"]))), Yb=torch.tensor(rng.integers(0, n["V"], N)),
                 C=r(n["V"], n["E"]), W1=r(K, n["H"]), b1=r(n["H"]), bngain=r(1, n["H"]), bnbias=r(1, n["H"]),
                 W2=r(n["H"], n["V"]), b2=r(n["V"]))
        v["emb"] = v["C"][v["Xb"]]
        v["embcat"] = v["emb"].view(N, K)
        v["hprebn"] = v["embcat"] @ v["W1"] + v["b1"]
        v["bnmeani"] = 1 / N * v["hprebn"].sum(0, keepdim=True)
        v["bndiff"] = v["hprebn"] - v["bnmeani"]
        v["bndiff2"] = v["bndiff"] ** 2
        v["bnvar"] = 1 / (N - 1) * v["bndiff2"].sum(0, keepdim=True)
        v["bnvar_inv"] = (v["bnvar"] + 1e-5) ** -0.5
        v["bnraw"] = v["bndiff"] * v["bnvar_inv"]
        v["hpreact"] = v["bngain"] * v["bnraw"] + v["bnbias"]
        v["h"] = torch.tanh(v["hpreact"])
        v["logits"] = v["h"] @ v["W2"] + v["b2"]
        v["logit_maxes"] = v["logits"].max(1, keepdim=True).values
        v["norm_logits"] = v["logits"] - v["logit_maxes"]
        v["counts"] = v["norm_logits"].exp()
        v["counts_sum"] = v["counts"].sum(1, keepdim=True)
        v["counts_sum_inv"] = v["counts_sum"] ** -1
        v["probs"] = v["counts"] * v["counts_sum_inv"]
        v["logprobs"] = v["probs"].log()
        v["J"] = -v["logprobs"][range(N), v["Yb"]].mean()
    for t in v.values():
        if t.requires_grad and not t.is_leaf:
            t.retain_grad()
    v["J"].backward()
    return v


def oracle(name: str, program: str, seed: int = 0) -> tuple[dict, dict, object]:
    """Run the file as NumPy on PyTorch's forward values (and autograd's gradients for the dNAMEs it reads
    without computing them). Gives autograd's gradients (dNAME -> array), the file's own dNAME values
    after each line (the last time it ran) and the line a NumPy error stopped it at."""
    v = _forward(program, np.random.default_rng(seed))
    truth = {"d" + k: t.grad.numpy() for k, t in v.items() if t.grad is not None}
    given = {d: g.copy() for d, g in truth.items()}      # a gradient the file reads but does not compute
    scope = {"np": np, **SIZES, **{k: t.detach().numpy() for k, t in v.items()}, **given}
    after, last = {}, [None]

    def snapshot(frame, event, arg):
        if frame.f_code.co_filename == name and event in ("line", "return"):
            if last[0] is not None:
                after[last[0]] = {d: np.array(x) for d, x in frame.f_globals.items() if d.startswith("d")}
            last[0] = frame.f_lineno
        return snapshot
    stopped = None
    sys.settrace(snapshot)
    try:
        exec(compile((DATA / name).read_text(), name, "exec"), scope)     # our own test file, in the test
    except ValueError as e:
        tb = e.__traceback__
        while tb.tb_next:
            tb = tb.tb_next
        stopped = tb.tb_lineno
    finally:
        sys.settrace(None)
    assigned = {d for d in scope if d.startswith("d") and scope[d] is not given.get(d)}
    return truth, {k: {d: x for d, x in a.items() if d in assigned} for k, a in after.items()}, stopped


def spec(program: str) -> str:
    """A bundled program's name, or the path of one in tests/data/tensor_programs."""
    return str(PROGRAMS / f"{program}.yaml") if (PROGRAMS / f"{program}.yaml").exists() else program


def _same(a, b) -> bool:
    """Equal, in b's shape (or without b's leading axes of size 1, as NumPy broadcasts it back)."""
    lead = b.ndim - a.ndim
    fits = lead >= 0 and b.shape[lead:] == a.shape and all(k == 1 for k in b.shape[:lead])
    return fits and np.allclose(a.reshape(b.shape), b, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name, program", RIGHT)
def test_a_right_file_is_right_by_autograd_and_by_derive(name, program):
    truth, after, stopped = oracle(name, program)
    report = check_backward(spec(program), (DATA / name).read_text())
    assert report.correct, str(report)
    assert stopped is None
    left = {d for d in after[max(after)] if d in truth}
    assert left and left <= {x.name for x in report.lines}
    for x in report.lines:       # each value where derive judged it, by autograd
        assert _same(after[x.line][x.name], truth[x.name]), (name, x.line, x.name)


@pytest.mark.parametrize("name, program, line, target, kind", WRONG)
def test_a_slip_is_wrong_by_autograd_and_named_at_its_line_by_derive(name, program, line, target, kind):
    truth, after, stopped = oracle(name, program)
    assert stopped == line or not _same(after[line][target], truth[target])
    report = check_backward(spec(program), (DATA / name).read_text())
    wrong = [x for x in report.lines if not x.correct]
    assert [(x.line, x.name) for x in wrong] == [(line, target)], str(report)
    assert kind in wrong[0].diagnosis[0].get("kinds", [wrong[0].diagnosis[0]["kind"]])


def test_a_gradient_masked_in_place_is_judged_before_the_mask_and_read_after_it():
    """CS231n's dh = dlogits @ W2.T; dh[h <= 0] = 0: dh is right at its line, dW1 and db1 read the masked
    value; the same mask on the wrong array (dh <= 0) is named at its line (dW1, db1 are then wrong by
    autograd, and right as formulas of dh)."""
    text = (DATA / "cs231n_inplace_relu.py").read_text()
    report = check_backward("cs231n", text)
    assert [(x.line, x.name) for x in report.lines if x.name in ("dh", "dW1", "db1")] == [(6, "dh"), (8, "dW1"), (9, "db1")]
    wrong = check_backward("cs231n", text.replace("dh[h <= 0] = 0", "dh[dh <= 0] = 0"))
    assert [(x.line, x.diagnosis[0]["message"]) for x in wrong.lines if not x.correct] == \
        [(7, "the mask compares dh, not a forward value: hpre <= 0 is right")]
    # nothing reads the masked dh: it is left as dJ/dhpre under dh's name, and said so
    alone = check_backward("cs231n", "dlogits = (probs - Y) / N\ndh = dlogits @ W2.T\ndh[h <= 0] = 0\n")
    assert [(x.line, x.diagnosis[0]["message"]) for x in alone.lines if not x.correct] == \
        [(3, "this is dhpre, the gradient of hpre, not of h")]


def test_a_line_that_makes_up_for_a_line_it_reads_is_right():
    """dlogits = probs - Y, then dW2 = h.T @ dlogits / N: the file's dW2 is dJ/dW2 (autograd says so).
    Every value's gradient in this file is N times dJ/dNAME, the gradient of the sum of the N losses, and
    every parameter's gradient applies the 1/N: deeplearning.ai's convention (dA = m dJ/dA, dW = 1/m dZ
    A_prev.T), read so because it makes fewer lines wrong.  (Before 2026-12-03 dlogits was called wrong.)
    A value's gradient out of step with the others is still wrong: with dh = dlogits @ W2.T / N the file's
    dW1 is N times too small (autograd), and dh is the line named."""
    truth, after, _ = oracle("cs231n_mean_late.py", "cs231n")
    report = check_backward("cs231n", (DATA / "cs231n_mean_late.py").read_text())
    assert report.correct, str(report)
    assert not _same(after[2]["dlogits"], truth["dlogits"]) and _same(after[2]["dlogits"] / SIZES["N"], truth["dlogits"])
    mixed = (DATA / "cs231n_mean_late.py").read_text().replace("dh = dlogits @ W2.T", "dh = dlogits @ W2.T / N")
    assert [x.name for x in check_backward("cs231n", mixed).lines if not x.correct] == ["dh"]
    for line, name in ((3, "dW2"), (4, "db2"), (7, "dW1"), (8, "db1")):
        assert _same(after[line][name], truth[name]) and (line, name, True) in [(x.line, x.name, x.correct) for x in report.lines]


def test_the_json_verdicts_agree_with_the_exit_codes(capsys):
    for name, program in RIGHT[:2]:
        assert main(["check", program, "--backward", str(DATA / name), "--json"]) == 0
        assert all(x["correct"] for x in json.loads(capsys.readouterr().out)["lines"])
    name, program, line, target, _ = WRONG[0]
    assert main(["check", program, "--backward", str(DATA / name), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)["lines"]
    assert [(x["line"], x["name"]) for x in out if not x["correct"]] == [(line, target)]


@pytest.mark.parametrize("text, message", [
    ("for t in range(3):\n    if t > dW2:\n        dW2 = h.T @ dlogits\n", "line 2: an if's condition must compare"),
    ("dW2 = h.T @ dlogits\nelse:\n    dW2 = 0\n", "line 2: 'else' without an 'if'"),
    ("np.add.at(dW2, 0)\n", "line 1: read as np.add.at(dNAME, indices, values)"),
    ("for t in range(3, 0, 0):\n    dW2 = h.T @ dlogits\n", "line 1: a loop's range step must not be 0"),
    ("dlogits = np.eye(C) * probs\n", "line 1: np.eye is read only as a one-hot table: np.eye(V)[ids]"),
    ("dlogits = (probs - (np.arange(C) == Y.argmax(axis=1)[:, None])) / N\n",     # right, but not read
     "line 1: dlogits: arange/range is only allowed as an index; derive does not read this spelling"),
    ("def f(x):\n    if N > 1:\n        return x\n    return x\n", "line 3: a 'return' inside a loop or an 'if' is not"),
])
def test_what_is_not_read_is_refused_in_one_line(text, message, tmp_path, capsys):
    f = tmp_path / "bad.py"
    f.write_text(text)
    assert main(["check", "cs231n", "--backward", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
