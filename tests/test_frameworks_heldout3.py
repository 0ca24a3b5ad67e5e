"""A third set of held-out models, each a file written as courses, tutorials and repos write them
(tests/data/frameworks3/): PyTorch modules read through their ``make()`` factory, Keras models built by
their ``build()`` and saved with ``model.save`` (a subclassed model is read as the object).  Each is read and
its gradients equal the framework's own autograd on the same weights and inputs, or it is refused in one
line naming what derive does not read.  None of these styles is in the other framework tests."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import derive  # noqa: E402
from derive.errors import DeriveError  # noqa: E402

DATA = Path(__file__).parent / "data" / "frameworks3"


def _load(kind: str, name: str):
    """The held-out file as a module (our own test data: trusted, imported as a test file is)."""
    spec = importlib.util.spec_from_file_location(f"heldout3_{kind}_{name}", DATA / kind / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "derive", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "KERAS_BACKEND": "torch", "DERIVE_WARM": "off"})


# ---------------------------------------------------------------------------------------------
# PyTorch: make() returns (module, example_input, loss) as `derive verify file.py:make` takes it

def _torch_targets(loss, out):
    n = len(out)
    if isinstance(loss, (nn.CrossEntropyLoss, nn.NLLLoss)) or loss is F.nll_loss:
        return torch.arange(n) % out.shape[1]
    if isinstance(loss, (nn.BCELoss, nn.BCEWithLogitsLoss)):
        return (torch.arange(out.numel()).reshape(out.shape) % 3 == 0).double()
    return 3 * torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))


TORCH = {   # file: derive's form; before this round: R read right, W read wrongly, X refused
    "ordered_dict": "layered",                 # R  nn.Sequential(OrderedDict([...]))
    "activation_modules": "tensor",            # R  nn.LeakyReLU(0.1), nn.ELU(alpha=0.5), nn.Softplus()
    "functional_oneliners": "tensor",          # R  F.gelu, F.silu, F.softplus, F.elu
    "vgg_classifier": "tensor",                # R  nn.ReLU(True), F.relu(inplace=True), dropout in eval
    "mnist_flatten": "layered",                # R  x.flatten(1), log_softmax, F.nll_loss
    "regression_one_feature": "layered",       # R  nn.Linear(1, 1)
    "bert_output": "tensor",                   # R  erf GELU written out, LayerNorm(h + x)
    "mingpt_block": "tensor",                  # R  NewGELU with torch.pow, pre-norm residual
    "module_list_zip": "tensor",               # R  zip over two nn.ModuleLists
    "load_state_dict": "layered",              # R  load_state_dict(torch.load(..., weights_only=True))
    "softmax_then_cross_entropy": "tensor",    # R  nn.Softmax before nn.CrossEntropyLoss
    "sigmoid_shared_activation": "layered",    # R  one nn.Sigmoid() object after every layer
    "tied_layer": "tensor",                    # W  one nn.Linear applied twice (was read as two layers)
    "from_scratch_parameters": "tensor",       # X  nn.Parameter W1, b1; torch.matmul(X, W1) + b1
    "f_linear_parameters": "tensor",           # X  F.linear(x, self.weight, self.bias)
    "learnable_swish": "tensor",               # X  x * sigmoid(self.beta * x), a scalar parameter
    "polynomial_scalars": "tensor",            # X  a + b x + c x^2 + d x^3, four scalar parameters
    "clamp_two_layer": "tensor",               # X  self.linear1(x).clamp(min=0)
    "rmsnorm_mlp": "tensor",                   # X  x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    "dqn_smooth_l1": "tensor",                 # X  nn.SmoothL1Loss() (Huber, delta 1)
}
# LLaMA's RMSNorm computes in float32 (self._norm(x.float())) whatever the module's type, so PyTorch's own
# gradients carry float32 rounding there; derive reads x.float() as the value it is, in float64.
ROUNDED_BY_PYTORCH = {"rmsnorm_mlp": 1e-7}


@pytest.mark.parametrize("name", list(TORCH))
def test_torch_file_read_with_autograds_gradients(name):
    module, x, loss = _load("torch", name).make()
    out = module(x)
    y = _torch_targets(loss, out)
    m = derive.from_torch(module, x, loss=loss)
    assert m.form == TORCH[name]
    params = dict(module.named_parameters())
    theirs = torch.autograd.grad(loss(out, y), list(params.values()))
    ours = derive.gradients(module, x.numpy(), y.numpy(), loss=loss)
    assert list(ours) == list(params)
    for k, g in zip(params, theirs):
        np.testing.assert_allclose(ours[k], g.numpy(), rtol=0, atol=ROUNDED_BY_PYTORCH.get(name, 1e-10))
    if m.form == "tensor":       # (a layered proof takes 5 to 15 s; test_torch_import proves that form)
        assert derive.verify(m)["all_proven"]


def test_a_tied_layer_sums_its_gradient_over_both_uses():
    """Read before as two layers of one name, the last one's gradient kept (0.165 from autograd's)."""
    module, x, loss = _load("torch", "tied_layer").make()
    m = derive.from_torch(module, x, loss=loss)
    assert list(m.program["tensor"]["params"]) == ["inp_weight", "inp_bias", "hidden_weight", "hidden_bias",
                                                   "out_weight", "out_bias"]
    assert m.why_tensor == "hidden.weight is used twice (shared weights)"


@pytest.mark.parametrize("loss", [nn.HuberLoss(delta=0.5), nn.HuberLoss(reduction="sum", delta=2.0), F.huber_loss])
def test_torch_huber_loss_with_its_delta(loss):
    torch.manual_seed(22)
    module, x = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)).double(), torch.randn(8, 4).double()
    y = 2 * torch.randn(8, 2, dtype=torch.float64)
    theirs = torch.autograd.grad(loss(module(x), y), list(module.parameters()))
    ours = derive.gradients(module, x.numpy(), y.numpy(), loss=loss)
    for g, k in zip(theirs, ours):
        np.testing.assert_allclose(ours[k], g.numpy(), rtol=0, atol=1e-12)


def test_torch_refuses_a_forward_returning_two_tensors():
    module, x, loss = _load("torch", "two_outputs").make()
    with pytest.raises(DeriveError, match="the module must return one tensor") as e:
        derive.from_torch(module, x, loss=loss)
    assert "\n" not in str(e.value)


class Broadcasts(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.a, self.how = nn.Linear(4, 3), how
        self.register_buffer("rows", torch.ones(7, 3))
        self.scale = nn.Parameter(torch.ones(7, 1))

    def forward(self, x):
        h = self.a(x)
        return h * self.scale if self.how == "parameter" else h + h.mean(dim=0, keepdim=True)


@pytest.mark.parametrize("how,message", [
    ("parameter", "* of tensors of shapes (7, 3) and (7, 1) (broadcasting) is not supported"),   # per example
    ("examples", "mean over dim 0 of a 2-dimensional tensor is not supported"),
])
def test_torch_broadcasting_across_examples_is_refused(how, message):
    with pytest.raises(DeriveError) as e:
        derive.from_torch(Broadcasts(how).double(), torch.randn(7, 4, dtype=torch.float64), loss="mse")
    assert message in str(e.value) and "\n" not in str(e.value)


def test_torch_files_on_the_command_line():
    r = _cli("verify", f"{DATA / 'torch' / 'from_scratch_parameters.py'}:make")
    assert r.returncode == 0 and "r1 = X @ W1 " in r.stdout and "r2 = r1 + b1 " in r.stdout, r.stdout + r.stderr
    assert "10 of 10 gradient tensors proven" in r.stdout


# ---------------------------------------------------------------------------------------------
# Keras: build() returns the compiled model; saved once with model.save in float64

keras = pytest.importorskip("keras")

KERAS = {   # file: (derive's form, read from "file" or the model "object"); before: R, X as above
    "input_shape_vs_input": ("tensor", "file"),       # R  Activation("sigmoid"), ReLU(), LeakyReLU(negative_slope=)
    "add_method": ("layered", "file"),                # R  model.add, model.build, initializers, use_bias=False
    "activation_strings": ("tensor", "file"),         # R  "swish", "elu", "selu", ..., "leaky_relu"
    "binary_logits_object": ("tensor", "file"),       # R  BinaryCrossentropy(from_logits=True), keras.activations.gelu
    "residual_add_helper": ("tensor", "file"),        # R  layers.add([shortcut, x]), BatchNormalization
    "shared_layer": ("tensor", "file"),               # X  one Dense layer called twice
    "rescaling_first": ("tensor", "file"),            # X  Rescaling(1/255) then Flatten of images
    "rescaling_offset": ("tensor", "file"),           # X  Rescaling(scale=1/127.5, offset=-1)
    "identity_and_dropout": ("layered", "file"),      # X  layers.Identity(), Dropout after the input
    "hard_silu": ("tensor", "file"),                  # X  activation="hard_silu" / "hard_swish"
    "functional_operators": ("tensor", "file"),       # X  ops.tanh(h) * gate + inputs, keras.activations.gelu(...)
    "subclassed_call": ("layered", "object"),         # X  a subclassed keras.Model, read as the object
    "subclassed_residual": ("tensor", "object"),      # X  h + self.block(h) in call()
    "nested_sequential": ("layered", "file"),         # X  a Sequential encoder used as a layer
    "huber_regression": ("tensor", "file"),           # X  keras.losses.Huber()
    "normalization_adapted": ("tensor", "file"),      # X  layers.Normalization() after adapt()
}
KERAS_REFUSED = {   # file: the one line's words (each refused before too)
    "log_softmax_output": "activation 'log_softmax' is not supported",
    "two_outputs": "a model with several outputs is not supported",
}
AS_LOSS = {"huber": "Huber", "mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError",
           "binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
           "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy"}
RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 4))
IMAGES = RNG.normal(size=(6, 2, 2, 1)) * 100


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Every Keras file's model, built in float64 and saved with model.save: {name: (model, path)}."""
    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    out, folder = {}, tmp_path_factory.mktemp("keras3")
    for name in [*KERAS, *KERAS_REFUSED]:
        keras.backend.clear_session()
        keras.utils.set_random_seed(1)
        model = _load("keras", name).build()
        model.save(folder / f"{name}.keras")
        out[name] = (model, folder / f"{name}.keras")
    yield out
    keras.config.set_floatx(before)
    keras.backend.clear_session()


def _keras_targets(loss: str, k: int):
    n = len(X)
    if "sparse" in loss.lower():
        return np.arange(n) % k
    if "categorical" in loss.lower():
        return np.eye(k)[np.arange(n) % k]
    if "binary" in loss.lower():
        return (np.arange(n) % 2).reshape(-1, 1).astype(float)
    return 3 * np.random.default_rng(1).normal(size=(n, k))        # (errors on both sides of Huber's delta)


def _keras_autograd(model, x, y) -> dict:
    """Keras's per-example loss (loss.call) in float64, its mean over the batch; Dropout as predict runs it
    (training=False) when the model has one, BatchNormalization as fit runs it otherwise."""
    loss = model.loss
    loss = getattr(keras.losses, AS_LOSS[loss])() if isinstance(loss, str) else loss
    training = not any(type(layer).__name__ == "Dropout" and layer.rate > 0 for layer in model.layers)
    value = loss.call(torch.tensor(y if y.ndim == 2 else y[:, None]), model(torch.tensor(x), training=training))
    grads = torch.autograd.grad(value.mean(), [w.value for w in model.trainable_weights])
    return {"/".join(w.path.split("/")[-2:]): g.numpy() for w, g in zip(model.trainable_weights, grads)}


@pytest.mark.parametrize("name", list(KERAS))
def test_keras_model_read_with_keras_autograds_gradients(saved, name):
    form, source = KERAS[name]
    model, path = saved[name]
    x = IMAGES if name == "rescaling_first" else X
    loss = model.loss if isinstance(model.loss, str) else type(model.loss).__name__
    y = _keras_targets(loss, int(model(torch.tensor(x[:1])).shape[-1]))
    m = derive.from_keras(path if source == "file" else model)
    assert m.form == form
    ours = derive.gradients(str(path) if source == "file" else model, x, y)
    theirs = _keras_autograd(model, x, y)
    assert sorted(ours) == sorted(theirs)
    scale = max(1.0, *(np.abs(g).max() for g in theirs.values()))
    for k in theirs:     # Keras's torch backend gives float32 gradients even at floatx float64 (heldout2): its
        np.testing.assert_allclose(ours[k], theirs[k], rtol=0, atol=1e-6 * scale)     # rounding, the largest's size
    if m.form == "tensor":       # (test_keras proves the layered form)
        assert derive.verify(m)["all_proven"]


@pytest.mark.parametrize("name", ["subclassed_call", "subclassed_residual"])
def test_a_subclassed_models_file_is_still_refused_as_data(saved, name):
    """The .keras file holds no call(): read as data it is refused; the object's call() is the user's own code."""
    with pytest.raises(DeriveError, match="is a subclassed keras.Model: its call"):
        derive.from_keras(saved[name][1])


@pytest.mark.parametrize("name", list(KERAS_REFUSED))
def test_keras_models_derive_does_not_read_are_refused_in_one_line(saved, name):
    model, path = saved[name]
    for source in (path, model):
        with pytest.raises(DeriveError) as e:
            derive.from_keras(source)
        assert KERAS_REFUSED[name] in str(e.value) and "\n" not in str(e.value)


def test_a_keras_model_from_a_factory_with_keras_autograds_gradients(saved):
    """factory_model.py's make() returns a Keras model (read on the command line below)."""
    keras.backend.clear_session()
    model, x = _load("keras", "factory_model").make()
    y = _keras_targets("mse", 2)
    ours, theirs = derive.gradients(model, x, y), _keras_autograd(model, x, y)
    assert sorted(ours) == sorted(theirs)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=0, atol=1e-6 * max(1.0, np.abs(theirs[k]).max()))


def test_a_keras_model_from_a_factory_on_the_command_line():
    r = _cli("verify", f"{DATA / 'keras' / 'factory_model.py'}:make")     # was a torch.fx error: read as torch
    assert r.returncode == 0 and "37 of 37 gradients proven" in r.stdout, r.stdout + r.stderr


def test_a_shared_keras_layers_gradient_sums_its_calls(saved):
    m = derive.from_keras(saved["shared_layer"][1])
    report = derive.verify(m)
    assert report["all_proven"] and m.why_tensor == "shared/kernel is used twice (shared weights)"
    forward = m.program["tensor"]["forward"]        # one kernel and bias, read by both calls
    assert forward["z3"] == "a2 @ shared_kernel + shared_bias" and forward["z5"] == "a4 @ shared_kernel + shared_bias"
    assert sorted(m.program["tensor"]["params"]) == sorted(["embed_kernel", "embed_bias", "shared_kernel",
                                                            "shared_bias", "out_kernel", "out_bias"])


def test_training_with_kerass_huber_loss_replays_fit(tmp_path):
    """derive train's loss per epoch against Keras's own fit, Huber with delta 0.7 (both branches taken)."""
    from derive.api.frameworks import fit
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.Huber(delta=0.7))
    model.save(tmp_path / "huber.keras")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 4)), 3 * rng.normal(size=(20, 2))
    np.savetxt(tmp_path / "d.csv", np.hstack([x, y]), delimiter=",", header="x1,x2,x3,x4,y1,y2", comments="")
    ours = fit(tmp_path / "huber.keras", tmp_path / "d.csv", epochs=3, batch=8)["history"]["loss"]
    theirs = keras.saving.load_model(tmp_path / "huber.keras").fit(x, y, epochs=3, batch_size=8, shuffle=False,
                                                                    verbose=0).history["loss"]
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)       # Keras's float32 losses
