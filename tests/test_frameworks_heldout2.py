"""A second set of held-out models, written as people write them (none in the other framework tests):
each is read (Python API and command line) and its gradients equal autograd's in float64, or it is
refused in one line, exit 2, naming the layer or operation and why."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import derive  # noqa: E402
from derive.codegen.fit import gradients  # noqa: E402
from derive.errors import DeriveError  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(7, 4))
VALUES = RNG.normal(size=(7, 2))
BINARY = (RNG.random((7, 1)) > 0.5).astype(float)
CLASSES = np.array([0, 1, 2, 0, 1, 2, 0])
ONE_HOT = np.eye(3)[CLASSES]
IMAGES = RNG.normal(size=(7, 1, 2, 2))
IDS = RNG.integers(0, 10, size=(7, 4))


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "derive", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, "KERAS_BACKEND": "torch"})


# ---------------------------------------------------------------------------------------------
# PyTorch

class Nested(nn.Module):
    """A body as an nn.Sequential inside the module, then a head."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 5), nn.Tanh())
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        return self.head(self.body(x))


class Named(nn.Module):
    """Layers in an nn.ModuleDict, looked up by name in forward."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({"inp": nn.Linear(4, 5), "out": nn.Linear(5, 2)})
        self.act = nn.ReLU()

    def forward(self, x):
        return self.layers["out"](self.act(self.layers["inp"](x)))


class Viewed(nn.Module):
    """An image batch flattened with x.view(x.size(0), -1), then F.relu between layers."""

    def __init__(self):
        super().__init__()
        self.fc, self.out = nn.Linear(4, 3), nn.Linear(3, 2)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.out(F.relu(self.fc(x)))


class SizedView(nn.Module):
    """x.view(-1, x.size(1) * x.size(2) * x.size(3)): arithmetic of sizes, numbers for the view."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x.view(-1, x.size(1) * x.size(2) * x.size(3)))


class Flattened(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))


class Residual(nn.Module):
    """x = x + self.fc(x), as a residual block is written."""

    def __init__(self):
        super().__init__()
        self.fc, self.out = nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x):
        x = x + F.relu(self.fc(x))
        return self.out(x)


class ResNetStyle(nn.Module):
    """identity = x; ...; out += identity, as torchvision's BasicBlock writes it."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.out = nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x):
        identity = x
        out = self.fc2(F.relu(self.fc1(x)))
        out += identity
        return self.out(F.relu(out))


class Gated(nn.Module):
    """A gated unit, a(x) * sigmoid(g(x)), then a hand-written SiLU (h.mul(sigmoid(h))) and arithmetic
    with numbers."""

    def __init__(self):
        super().__init__()
        self.a, self.g, self.out = nn.Linear(4, 3), nn.Linear(4, 3), nn.Linear(3, 2)

    def forward(self, x):
        h = 0.5 * (self.a(x) * torch.sigmoid(self.g(x))) - 1
        return -self.out(h.mul(torch.sigmoid(h))) / 2


class TwoBranches(nn.Module):
    """Two branches joined with torch.cat along the features."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(4, 3), nn.Linear(4, 2), nn.Linear(5, 3)

    def forward(self, x):
        return self.out(torch.cat([torch.tanh(self.a(x)), self.b(x)], dim=1))


class DenseSkip(nn.Module):
    """The input beside a hidden layer (a DenseNet-style skip), torch.cat((x, h), -1)."""

    def __init__(self):
        super().__init__()
        self.a, self.out = nn.Linear(4, 3), nn.Linear(7, 2)

    def forward(self, x):
        return self.out(torch.cat((x, F.relu(self.a(x))), -1))


class Tokens(nn.Module):
    """Embeddings of 4 ids flattened with .view, then a Linear."""

    def __init__(self):
        super().__init__()
        self.emb, self.fc = nn.Embedding(10, 3), nn.Linear(12, 3)

    def forward(self, x):
        return self.fc(self.emb(x).view(x.size(0), -1))


class BagOfWords(nn.Module):
    """The mean of the ids' embeddings (a bag of words), then a Linear."""

    def __init__(self, how="mean"):
        super().__init__()
        self.emb, self.fc, self.how = nn.Embedding(10, 3), nn.Linear(3, 3), how

    def forward(self, x):
        e = self.emb(x)
        return self.fc(e.mean(dim=1) if self.how == "mean" else torch.sum(e, 1))


def _batchnorm(mode):
    mlp = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    with torch.no_grad():                  # running statistics as after some training, not the start's 0 and 1
        mlp[1].running_mean.normal_(), mlp[1].running_var.uniform_(0.5, 2)
    return getattr(mlp, mode)()


def _mlp(*tail, width=3):
    return nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, width), *tail)


TORCH = {   # name: (module factory, loss as given to derive and to autograd, targets, inputs, derive's form)
    "nested_sequential": (Nested, nn.CrossEntropyLoss(), CLASSES, X, "layered"),
    "module_dict": (Named, nn.MSELoss(), VALUES, X, "layered"),
    "view_size": (Viewed, nn.MSELoss(), VALUES, IMAGES, "layered"),
    "view_sizes_multiplied": (SizedView, nn.MSELoss(), VALUES, IMAGES, "layered"),
    "torch_flatten": (Flattened, nn.MSELoss(), VALUES, IMAGES, "layered"),
    "nn_flatten": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)),
                   nn.MSELoss(), VALUES, IMAGES, "layered"),
    "residual": (Residual, nn.MSELoss(), VALUES, X, "tensor"),
    "resnet_block_iadd": (ResNetStyle, nn.MSELoss(), VALUES, X, "tensor"),
    "gated_arithmetic": (Gated, nn.MSELoss(), VALUES, X, "tensor"),
    "cat_branches": (TwoBranches, nn.CrossEntropyLoss(), CLASSES, X, "tensor"),
    "cat_input": (DenseSkip, nn.MSELoss(), VALUES, X, "tensor"),
    "dropout_eval": (lambda: _mlp(nn.Dropout(0.3), nn.Linear(3, 2)).eval(), nn.MSELoss(), VALUES, X, "layered"),
    "layer_norm": (lambda: nn.Sequential(nn.Linear(4, 5), nn.LayerNorm(5), nn.GELU(), nn.Linear(5, 3)),
                   nn.CrossEntropyLoss(), CLASSES, X, "tensor"),
    "batchnorm_train": (lambda: _batchnorm("train"), nn.MSELoss(), VALUES, X, "tensor"),
    "batchnorm_eval": (lambda: _batchnorm("eval"), nn.MSELoss(), VALUES, X, "tensor"),
    "embedding_linear": (Tokens, nn.CrossEntropyLoss(), CLASSES, IDS, "tensor"),
    "embedding_mean": (BagOfWords, nn.CrossEntropyLoss(), CLASSES, IDS, "tensor"),
    "embedding_sum": (lambda: BagOfWords("sum"), nn.CrossEntropyLoss(), CLASSES, IDS, "tensor"),
    "label_smoothing": (_mlp, nn.CrossEntropyLoss(label_smoothing=0.1), CLASSES, X, "tensor"),
    "label_smoothing_sum": (_mlp, nn.CrossEntropyLoss(label_smoothing=0.2, reduction="sum"), CLASSES, X, "tensor"),
    "bce_with_logits": (lambda: _mlp(width=1), nn.BCEWithLogitsLoss(), BINARY, X, "layered"),
    "broadcast_column": (lambda: Broadcast(), nn.MSELoss(), VALUES, X, "tensor"),    # (N, 2) * (N, 1): refused before heldout3
}


@pytest.mark.parametrize("name", list(TORCH))
def test_torch_module_read_with_autograds_gradients(name):
    factory, loss, y, inputs, form = TORCH[name]
    torch.manual_seed(1)
    module = factory().double()
    x = torch.tensor(inputs)
    m = derive.from_torch(module, x, loss=loss)
    assert m.form == form
    params = dict(module.named_parameters())
    theirs = torch.autograd.grad(loss(module(x), torch.tensor(y)), list(params.values()))
    ours = gradients(m, inputs, y)
    assert list(ours) == list(params)
    for k, g in zip(params, theirs):
        np.testing.assert_allclose(ours[k], g.numpy(), rtol=1e-10, atol=1e-12)
    assert derive.verify(m)["all_proven"]


class Squeezed(nn.Module):
    """A binary classifier whose forward returns one logit per example, (N,), for targets of shape (N,)."""

    def __init__(self, how="squeeze"):
        super().__init__()
        self.fc, self.out, self.how = nn.Linear(4, 3), nn.Linear(3, 1), how

    def forward(self, x):
        z = self.out(torch.tanh(self.fc(x)))
        return z.squeeze(1) if self.how == "squeeze" else z.view(-1)


@pytest.mark.parametrize("how", ["squeeze", "view"])
def test_one_logit_per_example_squeezed_to_a_vector(how):
    torch.manual_seed(3)
    module, y = Squeezed(how).double(), BINARY[:, 0]
    params = dict(module.named_parameters())
    theirs = torch.autograd.grad(nn.BCEWithLogitsLoss()(module(torch.tensor(X)), torch.tensor(y)),
                                 list(params.values()))
    ours = derive.gradients(module, X, y, loss=nn.BCEWithLogitsLoss())
    for k, g in zip(params, theirs):
        np.testing.assert_allclose(ours[k], g.numpy(), atol=1e-12)


class Polynomial(nn.Module):
    """Features made in forward: x.float(), x ** 2, torch.exp(-x.abs()), side by side."""

    def __init__(self):
        super().__init__()
        self.fc, self.single = nn.Linear(12, 3), True

    def double(self):
        self.single = False
        return super().double()

    def forward(self, x):
        x = x.float() if self.single else x.to(torch.float64)
        return self.fc(torch.cat([x, x ** 2, torch.exp(-x.abs())], dim=1))


@pytest.mark.parametrize("factory", [lambda: nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3)), Polynomial])
def test_a_float32_module_takes_numpy_rows(factory):
    """nn.Linear's default float32 weights, X as NumPy's float64: traced at float32, derived in float64
    from the float32 weights (autograd on a float64 copy of the same weights agrees to 1e-12)."""
    torch.manual_seed(5)
    module = factory()
    ours = derive.gradients(module, X, CLASSES, loss="cross_entropy")
    exact = module.double()
    theirs = torch.autograd.grad(F.cross_entropy(exact(torch.tensor(X)), torch.tensor(CLASSES)),
                                 list(exact.parameters()))
    for (k, _), g in zip(exact.named_parameters(), theirs):
        np.testing.assert_allclose(ours[k], g.numpy(), atol=1e-12)


class DropoutFunction(nn.Module):
    def __init__(self, training):
        super().__init__()
        self.a, self.b, self.training_arg = nn.Linear(4, 3), nn.Linear(3, 2), training

    def forward(self, x):
        h = F.relu(self.a(x))
        return self.b(F.dropout(h, 0.5) if self.training_arg is None else F.dropout(h, 0.5, self.training_arg))


class Stacked(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)

    def forward(self, x):
        return torch.cat([self.a(x), self.a(x)], dim=0)


class Regrouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 4), nn.Linear(2, 2)

    def forward(self, x):
        return self.b(self.a(x).view(-1, 2))


class Broadcast(nn.Module):
    def __init__(self, alpha=False):
        super().__init__()
        self.a, self.b, self.alpha = nn.Linear(4, 2), nn.Linear(4, 1), alpha

    def forward(self, x):
        return torch.add(self.a(x), self.a(x), alpha=2) if self.alpha else self.a(x) * self.b(x)


class Detached(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)

    def forward(self, x):       # a stop-gradient: not the identity for the gradients
        return self.a(x) + self.a(x).detach()


class SizeScaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)

    def forward(self, x):
        return self.a(x) / x.size(1)


class RowMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)

    def forward(self, x):
        return self.a(x) - self.a(x).mean(dim=0)


class ChannelMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)

    def forward(self, x):         # (N, 1, 4) -> (N, 4): a float input's axis, not an Embedding's ids
        return self.a(x.mean(dim=1))


REFUSED = [   # (module, loss, the one line's words)
    (lambda: _mlp(nn.Dropout(0.3), nn.Linear(3, 2)), "mse",
     "call_module 3: Dropout(p=0.3) in training mode drops units at random; derive reads it in eval mode"),
    (lambda: DropoutFunction(None), "mse", "F.dropout with training=True drops units at random"),
    (Stacked, "mse", "torch.cat along dim 0 is not supported; derive joins (N, features) tensors along the features"),
    (Regrouped, "mse", "a reshape of (7, 4) to (14, 2) is not supported; expected (N, features), each example"),
    (Detached, "mse", "call_method detach: operation detach is not supported"),
    (SizeScaled, "mse", "call_function truediv: a size (x.size(1), x.shape[0]) used as a tensor is not supported"),
    (RowMean, "mse", "call_method mean: mean over dim 0 of a 2-dimensional tensor is not supported"),
    (_mlp, nn.CrossEntropyLoss(weight=torch.ones(3)), "CrossEntropyLoss with class weights"),
    (lambda: Broadcast(alpha=True), "mse", "call_function add: + with alpha is not supported"),
    (ChannelMean, "mse", "mean over dim 1 of a 3-dimensional tensor is not supported; expected a mean over dim 1 "
                         "of an Embedding's (N, L, D)"),
    (_mlp, nn.SmoothL1Loss(beta=0.5), "SmoothL1Loss with beta 0.5 is not supported"),   # HuberLoss: heldout3
]


@pytest.mark.parametrize("factory,loss,message", REFUSED)
def test_torch_modules_derive_does_not_read_are_refused_in_one_line(factory, loss, message):
    inputs = torch.tensor(X[:, None, :] if factory is ChannelMean else X)
    with pytest.raises(DeriveError) as e:
        derive.from_torch(factory().double(), inputs, loss=loss)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_dropout_read_in_eval_mode_and_as_f_dropout_with_training_false():
    torch.manual_seed(2)
    for module in (DropoutFunction(False), _mlp(nn.Dropout(0.5), nn.Linear(3, 2)).eval()):
        module = module.double()
        m = derive.from_torch(module, torch.tensor(X), loss="mse")
        theirs = torch.autograd.grad(F.mse_loss(module(torch.tensor(X)), torch.tensor(VALUES)),
                                     list(module.parameters()))
        for ours, g in zip(gradients(m, X, VALUES).values(), theirs):
            np.testing.assert_allclose(ours, g.numpy(), atol=1e-12)


def test_torch_factories_on_the_command_line(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent('''
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = nn.Linear(4, 3), nn.Linear(4, 2)
                self.bn, self.drop, self.out = nn.BatchNorm1d(5), nn.Dropout(0.2), nn.Linear(5, 3)

            def forward(self, x):
                h = torch.cat([torch.relu(self.a(x)), self.b(x)], dim=1)
                return self.out(self.drop(self.bn(h)))

        def evaluated():
            torch.manual_seed(0)
            return Net().double().eval(), torch.randn(6, 4, dtype=torch.float64), \\
                nn.CrossEntropyLoss(label_smoothing=0.1)

        def training():
            return evaluated()[0].train(), torch.randn(6, 4, dtype=torch.float64), "cross_entropy"
    '''))
    r = _cli("verify", "model.py:evaluated", cwd=tmp_path)
    assert r.returncode == 0 and "15 of 15 gradient tensors proven" in r.stdout, r.stdout + r.stderr
    assert "concatenate" in r.stdout and "running_mean" in r.stdout
    r = _cli("verify", "model.py:training", "--json", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "Dropout(p=0.2) in training mode" in json.loads(r.stdout)["error"]


# ---------------------------------------------------------------------------------------------
# Keras, in float64 (keras.config.set_floatx), each saved with model.save("m.keras") and read from the file

keras = pytest.importorskip("keras")
L = keras.layers
LOSS = keras.losses


# KERAS_TOLERANCE: with floatx float64, Keras 3's torch backend still gives a Dense layer's output 7e-8 away
# from the same float64 matmul and tanh in torch, and gradients that are float32 numbers (measured), so
# Keras's gradients agree with derive's to 1e-6 (derive's own are float64: the torch tests hold them to 1e-12).


@pytest.fixture
def float64():
    """Keras builds float64 weights and losses; its default (float32) and fresh layer names after."""
    keras.backend.clear_session()
    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(before)
    keras.backend.clear_session()


def _skip(concat):
    i = keras.Input(shape=(4,))
    h = L.Dense(4, activation="relu")(i)
    joined = L.Concatenate()([i, h]) if concat else L.Add()([i, h])
    return keras.Model(inputs=i, outputs=L.Dense(2)(joined))


def _branches():
    i = keras.Input((4,))
    a, b = L.Dense(3, activation="tanh")(i), L.Dense(2)(i)
    return keras.Model(i, L.Dense(3)(L.Concatenate(axis=-1)([a, b])))


def _merged(kind):
    """Two branches merged by a Keras merge layer (Multiply: a gate; Subtract; Average)."""
    i = keras.Input((4,))
    a, b = L.Dense(3, activation="tanh")(i), L.Dense(3, activation="sigmoid")(i)
    return keras.Model(i, L.Dense(2)(getattr(L, kind)()([a, b])))


def _two_inputs():
    a, b = keras.Input((2,)), keras.Input((2,))
    return keras.Model([a, b], L.Dense(1)(L.Add()([a, b])))


def _functional_softmax():
    inputs = keras.Input(shape=(4,))
    x = L.Dense(5, activation="relu")(inputs)
    return keras.Model(inputs, L.Dense(3, activation="softmax")(x))


def _with_input(*layers):
    return keras.Sequential([keras.Input((4,)), *layers])


KERAS = {   # name: (model, loss as compiled (a factory: Keras's loss objects take floatx when made), targets,
    #              inputs, derive's form)
    "functional_softmax": (_functional_softmax, lambda: "categorical_crossentropy", ONE_HOT, X, "layered"),
    "sparse_from_logits": (lambda: _with_input(L.Dense(5, activation="relu"), L.Dense(3)),
                           lambda: LOSS.SparseCategoricalCrossentropy(from_logits=True), CLASSES, X, "layered"),
    "input_shape_one_hot_logits": (lambda: keras.Sequential([L.Dense(5, activation="tanh", input_shape=(4,)),
                                                             L.Dense(3)]),
                                   lambda: LOSS.CategoricalCrossentropy(from_logits=True), ONE_HOT, X, "layered"),
    "binary_from_logits": (lambda: _with_input(L.Dense(3, activation="relu"), L.Dense(1)),
                           lambda: LOSS.BinaryCrossentropy(from_logits=True), BINARY, X, "layered"),
    "batchnorm_activation_layer": (lambda: _with_input(L.Dense(5), L.BatchNormalization(), L.Activation("relu"),
                                                       L.Dropout(0.0), L.Dense(2)),
                                   lambda: "mse", VALUES, X, "tensor"),
    "layernorm_gelu": (lambda: _with_input(L.Dense(5), L.LayerNormalization(), L.Activation("gelu"),
                                           L.Dense(3, activation="softmax")),
                       lambda: "sparse_categorical_crossentropy", CLASSES, X, "tensor"),
    "flatten_images": (lambda: keras.Sequential([keras.Input((2, 2, 1)), L.Flatten(), L.Dense(3, activation="sigmoid"),
                                                 L.Dense(1, activation="sigmoid")]),
                       lambda: "binary_crossentropy", BINARY, IMAGES.transpose(0, 2, 3, 1), "layered"),
    "add_skip": (lambda: _skip(False), lambda: LOSS.MeanSquaredError(), VALUES, X, "tensor"),
    "concatenate_skip": (lambda: _skip(True), lambda: "mean_squared_error", VALUES, X, "tensor"),
    "concatenate_branches": (_branches, lambda: LOSS.CategoricalCrossentropy(from_logits=True), ONE_HOT, X, "tensor"),
    "multiply_gate": (lambda: _merged("Multiply"), lambda: "mse", VALUES, X, "tensor"),
    "subtract": (lambda: _merged("Subtract"), lambda: "mse", VALUES, X, "tensor"),
    "average": (lambda: _merged("Average"), lambda: "mse", VALUES, X, "tensor"),
    "embedding_bag": (lambda: keras.Sequential([keras.Input((4,), dtype="int32"), L.Embedding(10, 3),
                                                L.GlobalAveragePooling1D(), L.Dense(3)]),
                      lambda: LOSS.SparseCategoricalCrossentropy(from_logits=True), CLASSES, IDS, "tensor"),
    "relu_layer_loss_object": (lambda: _with_input(L.Dense(5), L.ReLU(), L.Dense(2)),
                               lambda: LOSS.MeanSquaredError(), VALUES, X, "layered"),
}
AS_LOSS = {"mse": LOSS.MeanSquaredError, "mean_squared_error": LOSS.MeanSquaredError,
           "binary_crossentropy": LOSS.BinaryCrossentropy, "categorical_crossentropy": LOSS.CategoricalCrossentropy,
           "sparse_categorical_crossentropy": LOSS.SparseCategoricalCrossentropy}


def _saved(tmp_path, name, build, loss, seed=1):
    keras.utils.set_random_seed(seed)
    model = build()
    model.compile(optimizer="sgd", loss=loss)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return model, path


def _keras_autograd(model, loss, X, y, training=True) -> dict:
    """Keras's own per-example loss (loss.call) in float64, its mean over the batch as compile's loss takes it
    (Loss.__call__ rounds that mean to float32 whatever the dtype)."""
    loss = AS_LOSS[loss]() if isinstance(loss, str) else loss
    y = torch.tensor(y if y.ndim == 2 else y[:, None])
    value = loss.call(y, model(torch.tensor(X), training=training)).mean()
    assert value.dtype == torch.float64
    grads = torch.autograd.grad(value, [w.value for w in model.trainable_weights])
    return {"/".join(w.path.split("/")[-2:]): g.numpy() for w, g in zip(model.trainable_weights, grads)}


@pytest.mark.parametrize("name", list(KERAS))
def test_keras_file_read_with_autograds_gradients(tmp_path, float64, name):
    build, loss, y, inputs, form = KERAS[name]
    model, path = _saved(tmp_path, name, build, loss())
    m = derive.from_keras(path)
    assert m.form == form
    ours, theirs = derive.gradients(str(path), inputs, y), _keras_autograd(model, loss(), inputs, y)
    assert sorted(ours) == sorted(theirs)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-6)   # KERAS_TOLERANCE
    assert derive.verify(m)["all_proven"]


def test_sparse_and_one_hot_cross_entropy_are_one_gradient(tmp_path, float64):
    sparse = derive.gradients(str(_saved(tmp_path, "s", _functional_softmax, "sparse_categorical_crossentropy")[1]),
                              X, CLASSES)
    keras.backend.clear_session()
    one_hot = derive.gradients(str(_saved(tmp_path, "o", _functional_softmax, LOSS.CategoricalCrossentropy())[1]),
                               X, ONE_HOT)
    for k in sparse:
        np.testing.assert_allclose(sparse[k], one_hot[k], atol=1e-15)


def test_keras_dropout_is_read_as_predict_computes_it_and_fit_is_refused(tmp_path, float64):
    model, path = _saved(tmp_path, "dropout", lambda: _with_input(L.Dense(5, activation="relu"), L.Dropout(0.5),
                                                                  L.Dense(2)), "mse")
    ours, theirs = derive.gradients(str(path), X, VALUES), _keras_autograd(model, "mse", X, VALUES, training=False)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-6)
    r = _cli("train", path, "--data", _csv(tmp_path), "--epochs", "1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "layer 'dropout' is a Dropout, random while fit" in r.stderr


def _csv(tmp_path):
    np.savetxt(tmp_path / "d.csv", np.hstack([X, VALUES]), delimiter=",", header="x1,x2,x3,x4,y1,y2", comments="")
    return tmp_path / "d.csv"


class Subclassed(keras.Model):
    """The layers made in __init__ and joined in call(): the file holds no wiring."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden, self.out = L.Dense(5, activation="relu"), L.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))


def _subclassed():
    model = Subclassed()
    model(np.zeros((1, 4)))
    return model


KERAS_REFUSED = [   # (model, loss, the one line's words)
    (_two_inputs, "mse", "a model with several inputs is not supported"),     # was read as X + X
    (_subclassed, "mse", "Subclassed is a subclassed keras.Model: its call() joins the layers in Python code"),
    (lambda: _with_input(L.Dense(5), L.BatchNormalization(), L.Dropout(0.3), L.Dense(2)), "mse",
     "layer 'dropout' is a Dropout with a rate above 0 beside a BatchNormalization ('batch_normalization')"),
    (lambda: _with_input(L.Dense(5), L.GaussianNoise(0.1), L.Dense(2)), "mse",
     "layer 'gaussian_noise' (GaussianNoise) is not supported"),
    (lambda: _with_input(L.Dense(3, activation="softmax")), lambda: LOSS.CategoricalCrossentropy(label_smoothing=0.1),
     "loss options label_smoothing and reduction are not supported"),
    (lambda: _with_input(L.Dense(2)), "mean_absolute_error", "loss 'mean_absolute_error' is not supported"),
]


@pytest.mark.parametrize("build,loss,message", KERAS_REFUSED)
def test_keras_files_derive_does_not_read_are_refused_in_one_line(tmp_path, float64, build, loss, message):
    _, path = _saved(tmp_path, "refused", build, loss() if callable(loss) else loss)
    with pytest.raises(DeriveError) as e:
        derive.from_keras(path)
    assert message in str(e.value) and "\n" not in str(e.value)
    r = _cli("verify", path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and message in r.stderr and "Traceback" not in r.stderr


def test_keras_concatenate_on_the_command_line(tmp_path, float64):
    _, path = _saved(tmp_path, "branches", _branches, LOSS.CategoricalCrossentropy(from_logits=True))
    r = _cli("verify", path)
    assert r.returncode == 0 and "concatenate([a2, z3], axis=1)" in r.stdout, r.stdout + r.stderr
    assert "gradient tensors proven" in r.stdout
