"""Layer-form (matrix) equations, the output's spellings and --param spellings, against PyTorch.

Each equation is also computed by hand in PyTorch (autograd gives every delta dJ/dz and every
dJ/dW) at a random point: the equation is right exactly when both sides have the same shape and
agree there.  derive's verdict must match that oracle, and a wrong one must say why (the shapes,
or the first wrong entry).
"""
import random

import pytest
import torch

import derive
from derive.checking.answer import resolve_param
from derive.checking.checker import check, checker_for
from derive.checking.derivation import check_derivation
from derive.errors import DeriveError
from tests.oracles import TORCH_ACT

D = torch.float64


class Shape(Exception):
    """The oracle's own size mismatch: the equation has no meaning as written."""


def mm(a, b):
    """A matrix product; a 1x1 matrix is a number (derive's documented convention)."""
    if a.shape == (1, 1) or b.shape == (1, 1):
        return a * b
    if a.shape[1] != b.shape[0]:
        raise Shape
    return a @ b


def had(a, b):
    if a.shape != b.shape and (1, 1) not in (a.shape, b.shape):
        raise Shape
    return a * b


def dot(a, b):
    if a.shape != b.shape:
        raise Shape
    return (a * b).sum().reshape(1, 1)


def layer_values(spec, seed=0):
    """x, y, and per layer l: W, b, z, a, d (dJ/dz), gW, gb (dJ/dW, dJ/db), from autograd."""
    rng = random.Random(seed)
    leaf = {n: torch.tensor(rng.uniform(-1, 1), dtype=D, requires_grad=True) for n in spec.params}
    x = torch.tensor([[rng.uniform(-1, 1)] for _ in spec.inputs], dtype=D)
    y = torch.tensor([[rng.uniform(0.1, 0.9)] for _ in spec.targets], dtype=D)
    T = {"x": x, "y": y, "lr": torch.tensor(0.3, dtype=D)}
    a = x
    for l, L in enumerate(spec.layers, 1):
        W = torch.stack([torch.stack([leaf[w] for w in row]) for row in L.weights])
        z = W @ a
        if any(L.biases):
            b = torch.stack([leaf[n] for n in L.biases]).reshape(-1, 1)
            z = z + b
            T[f"b{l}"] = b
        z.retain_grad()
        a = TORCH_ACT[L.activation](z) if L.activation != "softmax" else torch.softmax(z, dim=0)
        T.update({f"W{l}": W, f"z{l}": z, f"a{l}": a})
    J = {"half_sse": lambda: 0.5 * ((y - a) ** 2).sum(),
         "mse": lambda: ((y - a) ** 2).sum() / a.shape[0],
         "bce": lambda: -(y * torch.log(a) + (1 - y) * torch.log(1 - a)).sum()}[spec.loss]()
    J.backward()
    out = {}
    for k, v in T.items():
        out[k] = v.detach()
    for l, L in enumerate(spec.layers, 1):
        out[f"d{l}"] = T[f"z{l}"].grad.detach()
        out[f"gW{l}"] = torch.stack([torch.stack([leaf[w].grad for w in row]) for row in L.weights])
        if any(L.biases):
            out[f"gb{l}"] = torch.stack([leaf[n].grad for n in L.biases]).reshape(-1, 1)
            out[f"gbsum{l}"] = leaf[L.biases[0]].grad.reshape(1, 1)
    return out


def sig_prime(z):
    s = torch.sigmoid(z)
    return s * (1 - s)


# (example, the equation as a student or the notes write it, the same equation in PyTorch)
CASES = [
    ("seed003", r"\boldsymbol{\delta}^{(2)} = \mathbf{a}^{(2)} - \mathbf{y}", lambda T: (T["d2"], T["a2"] - T["y"])),
    ("seed003", r"\delta^{(2)} = \hat{y} - y", lambda T: (T["d2"], T["a2"] - T["y"])),
    ("seed003", r"\delta^{(2)} = y - \hat{y}", lambda T: (T["d2"], T["y"] - T["a2"])),
    ("seed003", r"\frac{\partial J}{\partial \mathbf{W}^{(2)}} = \boldsymbol{\delta}^{(2)} \mathbf{a}^{(1)\top}",
     lambda T: (T["gW2"], mm(T["d2"], T["a1"].T))),
    ("seed003", r"\frac{\partial J}{\partial \mathbf{W}^{(2)}} = \boldsymbol{\delta}^{(2)} \mathbf{a}^{(1)}",
     lambda T: (T["gW2"], mm(T["d2"], T["a1"]))),
    ("seed003", r"\boldsymbol{\delta}^{(1)} = \left(\mathbf{W}^{(2)\top} \boldsymbol{\delta}^{(2)}\right) "
                r"\odot \sigma'\left(\mathbf{z}^{(1)}\right)",
     lambda T: (T["d1"], had(mm(T["W2"].T, T["d2"]), sig_prime(T["z1"])))),
    ("seed003", r"\boldsymbol{\delta}^{(1)} = \left(\mathbf{W}^{(2)} \boldsymbol{\delta}^{(2)}\right) "
                r"\odot \sigma'\left(\mathbf{z}^{(1)}\right)",
     lambda T: (T["d1"], had(mm(T["W2"], T["d2"]), sig_prime(T["z1"])))),
    ("seed003", r"\delta^{(1)} = W^{(2)T} \delta^{(2)} \sigma'(z^{(1)})",
     lambda T: (T["d1"], mm(mm(T["W2"].T, T["d2"]), sig_prime(T["z1"])))),
    # u \cdot v of two vectors is their dot product, one number; beside a vector the writer means the element-wise
    # product, and it is read so (said in the note) when that makes the step right
    ("seed003", r"\delta^{(1)} = W^{(2)T} \delta^{(2)} \cdot \sigma'(z^{(1)})",
     lambda T: (T["d1"], had(mm(T["W2"].T, T["d2"]), sig_prime(T["z1"])))),
    ("seed003", r"\mathbf{x} \cdot \mathbf{x} = x_1^2 + x_2^2", lambda T: (dot(T["x"], T["x"]), (T["x"] ** 2).sum().reshape(1, 1))),
    ("seed003", r"\delta^{(1)} = W^{(2)T} \delta^{(2)} \odot \sigma'(z^{(2)})",
     lambda T: (T["d1"], had(mm(T["W2"].T, T["d2"]), sig_prime(T["z2"])))),
    ("seed003", r"\delta^{[1]} = W^{[2]T} \delta^{[2]} \odot a^{[1]} \odot (1 - a^{[1]})",
     lambda T: (T["d1"], had(had(mm(T["W2"].T, T["d2"]), T["a1"]), 1 - T["a1"]))),
    ("seed003", r"\delta^{(1)} = W^{(2)\top} \delta^{(2)} \odot g'(z^{(1)})",
     lambda T: (T["d1"], had(mm(T["W2"].T, T["d2"]), sig_prime(T["z1"])))),
    ("seed003", r"\frac{\partial J}{\partial W^{[1]}} = \delta^{[1]} x^T", lambda T: (T["gW1"], mm(T["d1"], T["x"].T))),
    ("seed003", r"\frac{\partial J}{\partial \mathbf{W}^{(1)}} = \boldsymbol{\delta}^{(1)} \mathbf{a}^{(1)\top}",
     lambda T: (T["gW1"], mm(T["d1"], T["a1"].T))),
    ("seed003", r"\frac{\partial J}{\partial \mathbf{W}^{(1)}} = (\mathbf{x} \boldsymbol{\delta}^{(1)\top})^{\top}",
     lambda T: (T["gW1"], mm(T["x"], T["d1"].T).T)),
    ("seed003", r"\frac{\partial J}{\partial \mathbf{b}^{(1)}} = \boldsymbol{\delta}^{(1)}", lambda T: (T["gb1"], T["d1"])),
    ("seed003", r"\mathbf{W}^{(1)} = \mathbf{W}^{(1)} - \alpha \boldsymbol{\delta}^{(1)} \mathbf{x}^{\top}",
     lambda T: (T["W1"] - T["lr"] * T["gW1"], T["W1"] - T["lr"] * mm(T["d1"], T["x"].T))),
    ("seed003", r"\mathbf{W}^{(1)} = \mathbf{W}^{(1)} + \alpha \boldsymbol{\delta}^{(1)} \mathbf{x}^{\top}",
     lambda T: (T["W1"] - T["lr"] * T["gW1"], T["W1"] + T["lr"] * mm(T["d1"], T["x"].T))),
    ("seed003", r"\mathbf{z}^{(1)} = \mathbf{W}^{(1)} \mathbf{x} + \mathbf{b}^{(1)}",
     lambda T: (T["z1"], mm(T["W1"], T["x"]) + T["b1"])),
    ("seed003", r"\mathbf{a}^{(2)} = \sigma(\mathbf{W}^{(2)} \mathbf{a}^{(1)} + \mathbf{b}^{(2)})",
     lambda T: (T["a2"], torch.sigmoid(mm(T["W2"], T["a1"]) + T["b2"]))),
    ("seed003", r"\mathbf{z}^{(2)} = \mathbf{W}^{(1)} \mathbf{a}^{(1)} + \mathbf{b}^{(2)}",
     lambda T: (T["z2"], mm(T["W1"], T["a1"]) + T["b2"])),
    ("seed003", r"\mathbf{z}^{(1)} = \mathbf{W}^{(1)} \mathbf{x} + \mathbf{b}^{(2)}",
     lambda T: (T["z1"], mm(T["W1"], T["x"]) + T["b2"])),
    ("classic", r"\boldsymbol{\delta}^{(2)} = (\mathbf{o} - \mathbf{t}) \odot \mathbf{o} \odot (1 - \mathbf{o})",
     lambda T: (T["d2"], had(had(T["a2"] - T["y"], T["a2"]), 1 - T["a2"]))),
    ("classic", r"\boldsymbol{\delta}^{(2)} = (\mathbf{t} - \mathbf{o}) \odot \mathbf{o} \odot (1 - \mathbf{o})",
     lambda T: (T["d2"], had(had(T["y"] - T["a2"], T["a2"]), 1 - T["a2"]))),
    ("classic", r"\frac{\partial \mathrm{error}}{\partial b_{1}} = \mathbf{1}^{\top} \boldsymbol{\delta}^{(1)}",
     lambda T: (T["gbsum1"], T["d1"].sum().reshape(1, 1))),
    ("classic", r"\frac{\partial \mathrm{error}}{\partial b_{1}} = \boldsymbol{\delta}^{(1)}",
     lambda T: (T["gbsum1"], T["d1"])),
    ("classic", r"\frac{\partial \mathrm{error}}{\partial \mathbf{W}^{(1)}} = \boldsymbol{\delta}^{(1)} \mathbf{x}^{\top}",
     lambda T: (T["gW1"], mm(T["d1"], T["x"].T))),
    ("classic", r"\frac{\partial \mathrm{error}}{\partial \mathbf{W}^{(2)}} = \boldsymbol{\delta}^{(2)} \mathbf{x}^{\top}",
     lambda T: (T["gW2"], mm(T["d2"], T["x"].T))),
    ("seed000", r"\frac{\partial J(\theta)}{\partial \boldsymbol{\Theta}^{(1)}} = \boldsymbol{\delta}^{(2)} "
                r"\mathbf{a}^{(1)\top}", lambda T: (T["gW1"], mm(T["d1"], T["x"].T))),
    ("seed000", r"\boldsymbol{\delta}^{(2)} = \boldsymbol{\Theta}^{(2)T} \boldsymbol{\delta}^{(3)} \odot "
                r"\mathbf{a}^{(2)} \odot (1 - \mathbf{a}^{(2)})",
     lambda T: (T["d1"], had(had(mm(T["W2"].T, T["d2"]), T["a1"]), 1 - T["a1"]))),
    ("seed000", r"\boldsymbol{\delta}^{(2)} = \boldsymbol{\Theta}^{(1)T} \boldsymbol{\delta}^{(3)} \odot "
                r"\mathbf{a}^{(2)} \odot (1 - \mathbf{a}^{(2)})",
     lambda T: (T["d1"], had(had(mm(T["W1"].T, T["d2"]), T["a1"]), 1 - T["a1"]))),
    ("seed004", r"\boldsymbol{\delta}^{(1)} = \mathbf{V}^{\top} \boldsymbol{\delta}^{(2)}",
     lambda T: (T["d1"], mm(T["W2"].T, T["d2"]))),
    ("seed004", r"\boldsymbol{\delta}^{(1)} = \mathbf{W}^{\top} \boldsymbol{\delta}^{(2)}",
     lambda T: (T["d1"], mm(T["W1"].T, T["d2"]))),
    ("seed004", r"\frac{\partial \mathrm{Error}}{\partial \mathbf{V}} = \boldsymbol{\delta}^{(2)} \mathbf{H}^{\top}",
     lambda T: (T["gW2"], mm(T["d2"], T["a1"].T))),
]


def _oracle(fn, T) -> bool:
    try:
        lhs, rhs = fn(T)
    except Shape:
        return False
    return lhs.shape == rhs.shape and torch.allclose(lhs, rhs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,latex,oracle", CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_layer_equations_agree_with_autograd(name, latex, oracle):
    c = checker_for(derive.load(name))
    right = _oracle(oracle, layer_values(c.net.spec, seed=len(latex)))
    steps = check_derivation(c, f"$${latex}$$", timeout=None).steps
    assert len(steps) == 1
    step = steps[0]
    assert step.status == ("correct" if right else "wrong"), (step, right)
    if not right:        # why: the shapes, or the first wrong entry in the notation's symbols
        assert "shape" in step.note or "entry" in step.note or "cannot multiply" in step.note \
            or step.counterexample, step


def test_a_wrong_entry_is_named_in_the_notation():
    c = checker_for(derive.load("seed003"))
    step = check_derivation(c, r"$$\mathbf{z}^{(1)} = \mathbf{W}^{(1)} \mathbf{x} + \mathbf{b}^{(2)}$$",
                            timeout=None).steps[0]
    assert step.status == "wrong" and step.note.startswith("entry 1:")
    assert "z^{(1)}_{1}" in step.note and "b^{(2)}_{1}" in step.note and "z1_1" not in step.note


def test_shapes_are_named():
    c = checker_for(derive.load("seed003"))
    text = r"$$\frac{\partial J}{\partial \mathbf{W}^{(2)}} = \boldsymbol{\delta}^{(2)} \mathbf{a}^{(1)}$$"
    assert check_derivation(c, text, timeout=None).steps[0].note == \
        "the shapes differ: the left side is 1×3, the right side 3×1 (a transpose?)"
    text = r"$$\mathbf{z}^{(2)} = \mathbf{W}^{(1)} \mathbf{a}^{(1)}$$"
    note = check_derivation(c, text, timeout=None).steps[0].note
    assert "cannot multiply \\mathbf{W}^{(1)} (3×2) by \\mathbf{a}^{(1)} (3×1)" in note


# -- the network's output as the seeds and textbooks write it ------------------------------------------
OUTPUT_ANSWERS = [   # seed003 (one output), dJ/dW^{(2)}_{11} = (a^{(2)}_1 - y_1) a^{(1)}_1
    (r"(h_w(x) - y) a^{(1)}_1", lambda T: (T["a2"] - T["y"]) * T["a1"][0]),
    (r"(h_\theta(x) - y) a^{(1)}_1", lambda T: (T["a2"] - T["y"]) * T["a1"][0]),
    (r"(h_{W,b}(x) - y_1) a^{(1)}_1", lambda T: (T["a2"] - T["y"]) * T["a1"][0]),
    (r"(\hat{y} - y) a^{(1)}_1", lambda T: (T["a2"] - T["y"]) * T["a1"][0]),
    (r"(\hat y_1 - y) a^{(1)}_1", lambda T: (T["a2"] - T["y"]) * T["a1"][0]),
    (r"(y - \hat{y}) a^{(1)}_1", lambda T: (T["y"] - T["a2"]) * T["a1"][0]),
    (r"(h_w(x) - y) a^{(1)}_2", lambda T: (T["a2"] - T["y"]) * T["a1"][1]),
    (r"\hat{y}(1 - \hat{y}) a^{(1)}_1", lambda T: T["a2"] * (1 - T["a2"]) * T["a1"][0]),
]


@pytest.mark.parametrize("answer,oracle", OUTPUT_ANSWERS)
def test_output_spellings_agree_with_autograd(answer, oracle):
    c = checker_for(derive.load("seed003"))
    T = layer_values(c.net.spec, seed=3)
    right = torch.allclose(oracle(T).reshape(()), T["gW2"][0, 0], rtol=1e-9)
    assert check(c.derivation, r"W^{(2)}_{11}", answer, timeout=None).correct == right


@pytest.mark.parametrize("name,text,says", [
    ("seed002", "y", ["ambiguous", "the target y_{t1}", "the output y_{1}"]),
    ("classic", r"\hat{y}", ["the network's outputs, a 2×1 vector", "like o_{1}"]),
    ("seed003", r"\delta^{(1)}", ["the deltas of layer 1, a 3×1 vector", "\\delta^{(1)}_{1}"]),
    ("seed002", r"\mathbf{w}", ["ambiguous", "the weights of layer 1 or the weights of layer 2"]),
])
def test_ambiguous_or_whole_layer_symbols_say_their_readings(name, text, says):
    c = checker_for(derive.load(name))
    with pytest.raises(DeriveError) as e:
        c.parse(text)
    msg = str(e.value)
    assert all(s in msg for s in says), msg
    assert len(msg.splitlines()) == 1


@pytest.mark.parametrize("name,spelled,param", [
    ("seed003", "W^{(1)}_{11}", "w1_11"), ("seed003", r"\mathbf{W}^{(1)}_{11}", "w1_11"),
    ("seed003", "W^{[1]}_{12}", "w1_12"), ("seed003", "b^{[2]}_{1}", "b2_1"), ("seed003", "w1_11", "w1_11"),
    ("seed000", r"\theta^{(1)}_{11}", "theta1_11"), ("seed000", r"\Theta^{(1)}_{11}", "theta1_11"),
    ("classic", "w_{5}", "w5"), ("seed004", "V_{2}", "V2"), ("seed001", "W_3", "W3"),
])
def test_param_in_every_spelling_the_notes_print(name, spelled, param):
    c = checker_for(derive.load(name))
    assert param in c.net.spec.params
    assert resolve_param(c, spelled) == param


GENERIC = [   # seed 003 writes its update rules for a generic layer l; checked at every layer
    (r"W^{(l)} = W^{(l)} - \alpha \frac{\partial J}{\partial W^{(l)}}",
     lambda T, l: (T[f"W{l}"] - T["lr"] * T[f"gW{l}"], T[f"W{l}"] - T["lr"] * T[f"gW{l}"]), [1, 2]),
    (r"b^{(l)} = b^{(l)} + \alpha \frac{\partial J}{\partial b^{(l)}}",
     lambda T, l: (T[f"b{l}"] - T["lr"] * T[f"gb{l}"], T[f"b{l}"] + T["lr"] * T[f"gb{l}"]), [1, 2]),
    (r"\delta^{[l]} = W^{[l+1]T} \delta^{[l+1]} \odot g'(z^{[l]})",
     lambda T, l: (T[f"d{l}"], had(mm(T[f"W{l + 1}"].T, T[f"d{l + 1}"]), sig_prime(T[f"z{l}"]))), [1]),
    (r"\frac{\partial J}{\partial W^{[l]}} = \delta^{[l]} a^{[l-1]T}",
     lambda T, l: (T[f"gW{l}"], mm(T[f"d{l}"], (T[f"a{l - 1}"] if l > 1 else T["x"]).T)), [1, 2]),
    (r"\frac{\partial J}{\partial W^{[l]}} = \delta^{[l]} a^{[l]T}",
     lambda T, l: (T[f"gW{l}"], mm(T[f"d{l}"], T[f"a{l}"].T)), [1, 2]),
    (r"\delta^{(L)} = a^{(L)} - y", lambda T, l: (T["d2"], T["a2"] - T["y"]), [2]),
]


@pytest.mark.parametrize("latex,oracle,layers", GENERIC)
def test_generic_layer_equations_hold_at_every_layer(latex, oracle, layers):
    c = checker_for(derive.load("seed003"))
    T = layer_values(c.net.spec, seed=7)
    wrong = [l for l in layers if not _oracle(lambda T: oracle(T, l), T)]
    step, = check_derivation(c, f"- ${latex}$", timeout=None).steps
    assert step.status == ("wrong" if wrong else "correct"), step
    assert step.note.startswith(f"for l = {wrong[0]}:" if wrong else "for ")


def test_bare_letters_that_do_not_fit_are_not_called_wrong():
    """``x`` alone is read as the input vector in the layer form, but a writer may mean a number: sizes
    that do not fit are then "not checked", never "wrong" (bold or a layer index makes them wrong)."""
    c = checker_for(derive.load("seed003"))
    step, = check_derivation(c, r"$$x \cdot x \cdot x = x^3$$", timeout=None).steps
    assert step.status == "unchecked"
    step, = check_derivation(c, r"$$y \cdot x = 3$$", timeout=None).steps
    assert step.status == "unchecked" and "bare letters" in step.note
    step, = check_derivation(c, r"$$(x + 1)^2 = x^2 + 2x + 1$$", timeout=None).steps
    assert step.status == "correct"
    step, = check_derivation(c, r"$$\mathbf{x} \mathbf{x} = 2$$", timeout=None).steps
    assert step.status == "wrong" and "cannot multiply" in step.note
