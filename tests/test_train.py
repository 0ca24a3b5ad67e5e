"""derive train: steps checked against gradient descent computed independently (PyTorch)."""
from __future__ import annotations

import json

import pytest
import torch

from derive.cli import main
from derive.model.spec import load_spec
from oracles import torch_gradients, torch_loss

XOR = "derive/examples/xor.csv"


def _run(capsys, *argv) -> dict:
    assert main(["train", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def _loss(spec, params: dict, example: dict) -> float:
    values = {k: torch.tensor(float(v), dtype=torch.float64) for k, v in {**params, **example}.items()}
    return torch_loss(spec, values).item()


def _example(spec) -> dict:
    v = spec.values
    return {k: float(x) for k, x in {**v.inputs, **v.targets}.items()}


@pytest.mark.parametrize("name", ["seed002", "seed000", "classic"])
def test_steps_0_and_1_match_an_independent_gradient_descent_step(capsys, name):
    spec = load_spec(name)
    p0 = {k: float(v) for k, v in spec.values.params.items()}
    ex = _example(spec)
    lr = float(spec.values.learning_rate)
    g = torch_gradients(spec, {**p0, **ex})
    start = _run(capsys, name, "--steps", "0", "--json")
    assert set(start) == {"loss", "loss_steps", "batch_loss", "gradients", "params"}
    assert start["loss"] == [pytest.approx(_loss(spec, p0, ex), rel=1e-12)]
    assert start["gradients"] == pytest.approx(g, rel=1e-10)
    assert start["params"] == pytest.approx(p0, rel=1e-15)
    one = _run(capsys, name, "--steps", "1", "--json")
    p1 = {k: v - lr * g[k] if k in g else v for k, v in p0.items()}   # fixed ones stay
    assert one["params"] == pytest.approx(p1, rel=1e-12)
    assert one["loss"][1] == pytest.approx(_loss(spec, p1, ex), rel=1e-12)
    assert one["gradients"] == start["gradients"]


@pytest.mark.parametrize("method, torch_opt", [
    ("sgd", lambda ps, lr: torch.optim.SGD(ps, lr=lr)),
    ("momentum", lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9)),
    ("adam", lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8)),
])
def test_optimizers_match_torch_optim_on_a_csv_batch(capsys, tmp_path, method, torch_opt):
    spec = load_spec("classic")          # its biases are fixed: they must not move
    rows = [(0.1, 0.9, 0.0, 1.0), (0.8, 0.2, 1.0, 0.0), (0.5, 0.5, 1.0, 1.0)]
    csv = tmp_path / "data.csv"
    csv.write_text("t1,x1,x2,t2\n" + "".join(f"{t1},{x1},{x2},{t2}\n" for x1, x2, t1, t2 in rows))
    out = _run(capsys, "classic", "--data", str(csv), "--optimizer", method, "--lr", "0.3",
               "--steps", "3", "--json")
    params = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=k in spec.trainable)
              for k, v in spec.values.params.items()}
    opt = torch_opt([params[k] for k in spec.trainable], 0.3)

    def batch_loss():
        return sum(torch_loss(spec, {**params, "x1": torch.tensor(x1, dtype=torch.float64),
                                     "x2": torch.tensor(x2, dtype=torch.float64),
                                     "t1": t1, "t2": t2}) for x1, x2, t1, t2 in rows) / len(rows)
    losses = [batch_loss().item()]
    for _ in range(3):
        opt.zero_grad()
        batch_loss().backward()
        opt.step()
        losses.append(batch_loss().item())
    assert out["loss"] == pytest.approx(losses, rel=1e-10)
    assert out["params"] == pytest.approx({k: v.item() for k, v in params.items()}, rel=1e-10)
    assert out["params"]["b1"] == 0.35 and out["params"]["b2"] == 0.60


def test_xor_reaches_full_accuracy_with_a_fixed_seed(capsys):
    out = _run(capsys, "xor", "--data", XOR, "--optimizer", "adam", "--lr", "0.1", "--steps", "1000",
               "--seed", "1", "--json")
    p = {k: torch.tensor(v, dtype=torch.float64) for k, v in out["params"].items()}
    for x1, x2, t in [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]:
        h = [torch.sigmoid(p[f"w1_{j}1"] * x1 + p[f"w1_{j}2"] * x2 + p[f"b1_{j}"]) for j in (1, 2)]
        y = torch.sigmoid(p["w2_11"] * h[0] + p["w2_12"] * h[1] + p["b2_1"])
        assert (y.item() > 0.5) == bool(t)
    assert out["loss"][-1] < 0.01 < out["loss"][0]


def test_text_output_and_plot(capsys, tmp_path):
    png = tmp_path / "loss.png"
    assert main(["train", "xor", "--data", XOR, "--optimizer", "adam", "--lr", "0.1", "--steps", "1000",
                 "--seed", "1", "--plot", str(png), "--test", XOR]) == 0
    text = capsys.readouterr().out
    assert "training accuracy 100.00%" in text and "test accuracy 100.00%" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("content, message", [
    ("x1,x2\n0,1\n", "missing column 't'"),
    ("x1,x2,t,z\n0,1,1,0\n", "column 'z' is not an input or target"),
    ("x1,x2,t\n0,1,1\n0,abc,1\n", "row 3, column x2: expected a number, got 'abc'"),
    ("x1,x2,t\n0,nan,1\n", "row 2, column x2: expected a finite number"),
    ("x1,x2,t\n0,1\n", "row 2 has 2 cells, expected 3"),
    ("x1,x2,t\n", "no data rows"),
    ("", "empty file"),
])
def test_bad_csv_is_one_clear_line(capsys, tmp_path, content, message):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    assert main(["train", "xor", "--data", str(f), "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_spec_without_values_asks_for_data(capsys):
    assert main(["train", "xor", "--steps", "1"]) == 2
    assert "--data" in capsys.readouterr().err


def test_bad_learning_rate_and_steps(capsys):
    assert main(["train", "seed002", "--lr", "-1"]) == 2
    assert main(["train", "seed002", "--steps", "-1"]) == 2
    assert main(["train", "seed002", "--batch", "0"]) == 2


@pytest.mark.parametrize("log_every, logged", [(None, [0, 3, 6, 7]), ("2", [0, 2, 4, 6, 7])])
def test_minibatch_and_full_data_losses_agree_with_an_independent_computation(capsys, tmp_path, log_every,
                                                                               logged):
    import numpy as np
    spec = load_spec("classic")
    rows = [(0.1, 0.9, 0.0, 1.0), (0.8, 0.2, 1.0, 0.0), (0.5, 0.5, 1.0, 1.0), (0.3, 0.6, 0.0, 0.0),
            (0.9, 0.4, 1.0, 1.0)]
    csv = tmp_path / "data.csv"
    csv.write_text("x1,x2,t1,t2\n" + "".join(f"{x1},{x2},{t1},{t2}\n" for x1, x2, t1, t2 in rows))
    extra = ["--log-every", log_every] if log_every else []
    out = _run(capsys, "classic", "--data", str(csv), "--optimizer", "adam", "--lr", "0.2", "--batch", "2",
               "--steps", "7", "--seed", "3", "--json", *extra)
    # the same minibatches as documented: a seeded permutation, a fresh one when the rest is too short
    rng = np.random.default_rng(3)
    order, pos, batches = rng.permutation(len(rows)), 0, []
    for _ in range(7):
        if pos + 2 > len(rows):
            order, pos = rng.permutation(len(rows)), 0
        batches.append([rows[i] for i in order[pos:pos + 2]])
        pos += 2
    params = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=k in spec.trainable)
              for k, v in spec.values.params.items()}
    opt = torch.optim.Adam([params[k] for k in spec.trainable], lr=0.2, betas=(0.9, 0.999), eps=1e-8)

    def mean_loss(data):
        return sum(torch_loss(spec, {**params, "x1": torch.tensor(x1, dtype=torch.float64),
                                     "x2": torch.tensor(x2, dtype=torch.float64),
                                     "t1": t1, "t2": t2}) for x1, x2, t1, t2 in data) / len(data)
    full, batch_losses = {0: mean_loss(rows).item()}, []
    for step, data in enumerate(batches, 1):
        opt.zero_grad()
        loss = mean_loss(data)
        batch_losses.append(loss.item())
        loss.backward()
        opt.step()
        full[step] = mean_loss(rows).item()
    assert out["batch_loss"] == pytest.approx(batch_losses, rel=1e-10)
    assert out["loss_steps"] == logged
    assert out["loss"] == pytest.approx([full[s] for s in logged], rel=1e-10)


def test_a_second_run_uses_the_compiled_cache_without_sympy(tmp_path):
    import os
    import subprocess
    import sys
    spec = tmp_path / "net.yaml"
    spec.write_text("name: cached\ninputs: 2\nlayers:\n  - {units: 2, activation: sigmoid, bias: per-unit}\n"
                    "  - {units: 1, activation: sigmoid}\nloss: bce\ntargets: [t]\n", encoding="utf-8")
    code = ("import json, sys\nfrom derive.cli import main\n"
            f"assert main(['train', {str(spec)!r}, '--data', {XOR!r}, '--steps', '5', '--json']) == 0\n"
            "print(json.dumps('sympy' in sys.modules))\n")
    # DERIVE_DEBUG runs the command in this process, not in the budget's child, so sys.modules shows its imports
    env = {**os.environ, "TMPDIR": str(tmp_path), "DERIVE_DEBUG": "1"}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            for _ in range(3)]
    outs = [r.stdout.rsplit("\n", 2) for r in runs]
    assert [o[1] for o in outs] == ["true", "false", "false"]          # cold, then warm
    assert outs[0][0] == outs[1][0] == outs[2][0]                      # the same training, bit for bit
    spec.write_text(spec.read_text().replace("loss: bce", "loss: half_sse"), encoding="utf-8")
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert again.stdout.rsplit("\n", 2)[1] == "true"                   # a changed spec is compiled anew


def test_float32_training_follows_float64(capsys):
    import numpy as np
    from derive.codegen import train as training
    from derive.codegen.compile import compile
    from derive.model.build import load
    c = compile(load("xor"))
    X, T = training.read_csv(XOR, c)
    h64 = training.train(c, c.start(1), X, T, steps=200, lr=0.1, method="adam", progress=False)
    h32 = training.train(c, c.start(1), X, T, steps=200, lr=0.1, method="adam", progress=False, dtype="float32")
    assert all(np.asarray(v).dtype == np.float32 for v in h32.params.values() if np.ndim(v))
    assert h32.losses == pytest.approx(h64.losses, rel=1e-3, abs=1e-5)


@pytest.mark.parametrize("name", ["digits", "classic", "seed001"])
def test_the_cached_start_is_the_shared_seeded_start(name):
    from derive.codegen.compile import Meta, start_values
    from derive.model.build import load
    net = load(name)
    for seed in (0, 7):
        assert start_values(Meta.of(net), seed) == start_values(net, seed)


SOFTMAX = ("name: softmax\ninputs: 4\nlayers:\n  - {units: 5, activation: tanh, bias: per-unit}\n"
           "  - {units: 3, activation: softmax, bias: per-unit}\nloss: ce\ntargets: 3\n")


def test_softmax_minibatch_and_epoch_losses_agree_with_pytorch(capsys, tmp_path):
    """A tanh-softmax-cross-entropy network (the digits benchmark's shape): every logged minibatch loss,
    every per-epoch full-data loss and the final parameters against PyTorch, matrices and torch.optim.Adam."""
    import numpy as np
    spec_file = tmp_path / "softmax.yaml"
    spec_file.write_text(SOFTMAX, encoding="utf-8")
    spec = load_spec(str(spec_file))
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (13, 4))
    T = np.eye(3)[rng.integers(0, 3, 13)]
    csv = tmp_path / "data.csv"
    csv.write_text(",".join(list(spec.inputs) + list(spec.targets)) + "\n"
                   + "".join(",".join(repr(float(v)) for v in row) + "\n" for row in np.hstack([X, T])))
    start = _run(capsys, str(spec_file), "--data", str(csv), "--steps", "0", "--seed", "4", "--json")["params"]
    out = _run(capsys, str(spec_file), "--data", str(csv), "--optimizer", "adam", "--lr", "0.05",
               "--batch", "4", "--steps", "11", "--seed", "4", "--json")
    # the documented minibatches: a seeded permutation, a fresh one when fewer than a batch are left
    perm, order, pos, batches = np.random.default_rng(4), None, 13, []
    for _ in range(11):
        if pos + 4 > 13:
            order, pos = perm.permutation(13), 0
        batches.append(order[pos:pos + 4])
        pos += 4
    t64 = {"dtype": torch.float64}
    W = [torch.tensor([[start[w] for w in row] for row in L.weights], **t64, requires_grad=True) for L in spec.layers]
    b = [torch.tensor([start[n] for n in L.biases], **t64, requires_grad=True) for L in spec.layers]
    Xt, Tt = torch.tensor(X, **t64), torch.tensor(T, **t64)

    def loss(rows):
        Y = torch.softmax(torch.tanh(Xt[rows] @ W[0].T + b[0]) @ W[1].T + b[1], dim=1)
        return -(Tt[rows] * torch.log(Y)).sum(dim=1).mean()
    every = torch.arange(13)
    opt = torch.optim.Adam(W + b, lr=0.05, betas=(0.9, 0.999), eps=1e-8)
    full, batch_losses = {0: loss(every).item()}, []
    for step, rows in enumerate(batches, 1):
        opt.zero_grad()
        J = loss(torch.as_tensor(rows))
        batch_losses.append(J.item())
        J.backward()
        opt.step()
        full[step] = loss(every).item()
    assert out["batch_loss"] == pytest.approx(batch_losses, rel=1e-10)
    assert out["loss_steps"] == [0, 4, 8, 11]                   # once per epoch of 4 steps, and the last
    assert out["loss"] == pytest.approx([full[s] for s in out["loss_steps"]], rel=1e-10)
    final = {n: W[i][j, k].item() for i, L in enumerate(spec.layers) for j, row in enumerate(L.weights)
             for k, n in enumerate(row)}
    final.update({n: b[i][j].item() for i, L in enumerate(spec.layers) for j, n in enumerate(L.biases)})
    assert out["params"] == pytest.approx(final, rel=1e-9)


@pytest.mark.parametrize("text", [
    "x1,x2,t\n0,1,1\n0.5,1e-3,0\n",                       # plain: NumPy's reader
    "x1,x2,t\r\n0,1,1\r\n0.5,1e-3,0\r\n",                 # Windows line ends
    "t, x2 ,x1\n1,1,0\n\n0,1e-3,0.5\n",                   # columns in another order, a blank line
    "x1,x2,t\n 0 , 1 ,1\n,,\n0.5,1e-3,0\n",               # spaces, an empty row
    'x1,x2,"t"\n"0",1,1\n0.5,"1e-3",0\n',                 # quoted: the careful reader
    "x1,x2,t\n0,1,1\n0.5,1_0e-4,0\n",                     # what only Python's float reads
])
def test_csv_fast_and_careful_readers_agree_with_python_csv(tmp_path, text):
    import csv as pycsv
    import io

    import numpy as np
    from derive.codegen import train as training
    from derive.codegen.compile import compile
    from derive.model.build import load
    f = tmp_path / "d.csv"
    f.write_bytes(text.encode())
    rows = [r for r in pycsv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    head = [h.strip() for h in rows[0]]
    want = np.array([[float(r[head.index(c)]) for c in ("x1", "x2", "t")] for r in rows[1:]])
    X, T = training.read_csv(f, compile(load("xor")))
    assert np.array_equal(np.hstack([X, T]), want)
