"""Keras models read as derive models, checked against Keras itself (torch backend): gradients against
autograd through the Keras model, ``derive``'s replay of ``fit`` against ``fit(...).history["loss"]``."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

import derive  # noqa: E402
from derive.codegen.fit import fit, gradients  # noqa: E402
from derive.derivation.derivation import Derivation  # noqa: E402
from derive.errors import DeriveError  # noqa: E402

L = keras.layers
ROOT = Path(__file__).resolve().parent.parent
SEED004 = ROOT / "derive" / "examples" / "seed004.keras"
SEED004_CSV = ROOT / "derive" / "examples" / "seed004.csv"


def _csv(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :2].astype("float32"), data[:, 2:].astype("float32")


def _save(tmp_path, layers, loss, optimizer="sgd", n_in=4, name="m", seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((n_in,))] + layers)
    model.compile(optimizer=optimizer, loss=loss)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return model, path


def _keras_gradients(model, loss, X, y) -> dict:
    """dLoss/dW by autograd through the Keras model (training mode: batch statistics for BatchNorm)."""
    out = model(torch.tensor(X), training=True)
    value = loss(torch.tensor(y), out)
    grads = torch.autograd.grad(value, [w.value for w in model.trainable_weights])
    return {"/".join(w.path.split("/")[-2:]): g.detach().numpy() for w, g in zip(model.trainable_weights, grads)}


# ---------------------------------------------------------------------------------------------
# Seed 004's model: Dense(3, input_dim=2, sigmoid), Dense(1, sigmoid), sgd, mse

def test_seed004_file_is_what_the_script_builds(tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import seed004_keras
    finally:
        sys.path.remove(str(ROOT / "examples"))
    built = derive.from_keras(seed004_keras.build(tmp_path))
    bundled = derive.from_keras(SEED004)
    assert built.spec == bundled.spec and built.optimizer == bundled.optimizer
    for k, v in bundled.params.items():
        np.testing.assert_array_equal(built.params[k], v)
    assert (tmp_path / "seed004.csv").read_text() == SEED004_CSV.read_text()


def test_seed004_has_13_parameters_all_proven_in_seed_notation():
    m = derive.from_keras(SEED004)
    assert m.form == "layered" and m.spec["notation"] == "ihv" and m.size == 13
    assert m.optimizer["name"] == "sgd" and m.optimizer["learning_rate"] == pytest.approx(0.01)
    net = m.network()
    assert sorted(net.params) == sorted(["W1", "W2", "W3", "W4", "W5", "W6", "V1", "V2", "V3",
                                         "B1_1", "B1_2", "B1_3", "B2_1"])
    assert m.entries["V1"] == ("dense_1/kernel", (0, 0)) and m.entries["W4"] == ("dense/kernel", (1, 0))
    proofs = Derivation(net).prove()
    assert len(proofs) == 13 and all(p.proven for p in proofs.values())
    # the start values are the file's weights, read back by Keras itself
    model = keras.saving.load_model(SEED004)
    kernel = model.layers[1].get_weights()[0]
    assert m.layered_values()["V3"] == pytest.approx(float(kernel[2, 0]))


def test_seed004_export_starts_at_the_files_weights(tmp_path):
    import importlib.util
    derive.api.export(derive.load(SEED004), tmp_path / "seed004_code.py")
    spec = importlib.util.spec_from_file_location("seed004_code", tmp_path / "seed004_code.py")
    code = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code)
    hidden, output = keras.saving.load_model(SEED004).layers
    np.testing.assert_allclose(code.START["W1"], hidden.get_weights()[0].T)      # derive: row = unit
    np.testing.assert_allclose(code.START["W2"], output.get_weights()[0].T)


def test_seed004_notes_have_the_seed_chain_rule_and_the_keras_code(tmp_path):
    from derive.notes.content import build
    from derive.notes.render import write_notes
    net = derive.from_keras(SEED004).network()
    notes = build(Derivation(net))
    paths = write_notes(notes, net, tmp_path, ["md", "html"], ["en"])
    md = next(p for p in paths if p.suffix == ".md").read_text()
    # the seed's chain: dError/dV1 = dError/dY1 dY1/dy1 dy1/dV1
    assert (r"\frac{\partial \mathrm{Error}}{\partial Y_{1}} \frac{\partial Y_{1}}{\partial y_{1}} "
            r"\frac{\partial y_{1}}{\partial V_{1}}") in md
    assert "model.add(Dense(3, input_dim=2, activation='sigmoid'))" in md
    assert "model.compile(optimizer=SGD(learning_rate=0.01), loss='mse')" in md
    assert r"| `dense_1/kernel[0,0]` | $V_{1}$ | $\delta_{Y_{1}} H_{1}$ |" in md
    html = next(p for p in paths if p.suffix == ".html").read_text()
    assert "dense_1/kernel[0,0]" in html and "<script" not in html.split("framework")[-1]


def test_seed004_in_another_notation_keeps_its_keras_variables():
    net = derive.load(SEED004, notation="theta")
    assert net.spec.notation.preset == "theta" and "theta2_11" in net.params
    assert net.framework.entries["theta2_11"] == ("dense_1/kernel", (0, 0))       # V1 of seed 004's notation
    rep = derive.verify(net)
    assert rep["all_proven"] and {r["name"]: r["framework_name"] for r in rep["params"]}["theta2_11"] == \
        "dense_1/kernel[0,0]"


def test_seed004_fifty_epochs_equal_keras_fit():
    X, y = _csv(SEED004_CSV)
    model = keras.saving.load_model(SEED004)
    keras_loss = model.fit(X, y, epochs=50, batch_size=32, shuffle=False, verbose=0).history["loss"]
    hist = fit(derive.from_keras(SEED004), X, y, epochs=50, batch_size=32)
    assert len(hist.loss) == 50
    np.testing.assert_allclose(hist.loss, keras_loss, atol=1e-5, rtol=0)
    for w in model.weights:
        np.testing.assert_allclose(hist.params["/".join(w.path.split("/")[-2:])], w.numpy(), atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Classifiers, normalisation layers, optimizers

X4 = np.random.default_rng(0).normal(size=(37, 4)).astype("float32")      # 37: a short last batch of 16
C = np.random.default_rng(1).integers(0, 3, 37)
Y = np.eye(3, dtype="float32")[C]

CASES = {
    "softmax + categorical cross-entropy": (
        lambda: [L.Dense(5, activation="tanh"), L.Dense(3, activation="softmax")],
        keras.losses.CategoricalCrossentropy(), Y, "layered", lambda: keras.optimizers.SGD(0.1, momentum=0.9)),
    "sparse categorical, class indices": (
        lambda: [L.Dense(5, activation="relu"), L.Dropout(0.0), L.Dense(3, activation="softmax")],
        keras.losses.SparseCategoricalCrossentropy(), C, "layered", lambda: keras.optimizers.Adam(0.02)),
    "logits": (
        lambda: [L.Dense(5, activation="sigmoid"), L.Dense(3)],
        keras.losses.CategoricalCrossentropy(from_logits=True), Y, "layered",
        lambda: keras.optimizers.RMSprop(0.01)),
    "LayerNormalization": (
        lambda: [L.Dense(5), L.LayerNormalization(), L.Activation("tanh"), L.Dense(3, activation="softmax")],
        keras.losses.CategoricalCrossentropy(), Y, "tensor", lambda: keras.optimizers.Adam(0.01)),
    "BatchNormalization": (
        lambda: [L.Dense(5, use_bias=False), L.BatchNormalization(), L.Activation("relu"),
                 L.Dense(3, activation="softmax")],
        keras.losses.CategoricalCrossentropy(), Y, "tensor",
        lambda: keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True)),
    "no biases, Activation layers, mean_squared_error": (
        lambda: [L.Dense(3, use_bias=False), L.Activation("sigmoid"), L.Dense(3, use_bias=False),
                 L.Activation("softmax")],
        keras.losses.MeanSquaredError(), Y, "layered", lambda: keras.optimizers.SGD(0.5)),
    "two sigmoid outputs, binary cross-entropy": (
        lambda: [L.Dense(4, activation="tanh"), L.Dense(2, activation="sigmoid")],
        keras.losses.BinaryCrossentropy(), Y[:, :2], "layered",
        lambda: keras.optimizers.SGD(0.1, momentum=0.5, nesterov=True)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_and_fit_equal_keras(tmp_path, case):
    layers, loss, y, form, optimizer = CASES[case]
    model, path = _save(tmp_path, layers(), loss, optimizer())
    m = derive.from_keras(path)
    assert m.form == form
    ours = gradients(m, X4, y)
    theirs = _keras_gradients(model, loss, X4, y)
    assert sorted(ours) == sorted(theirs)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-6)
    keras_loss = model.fit(X4, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(fit(m, X4, y, epochs=3, batch_size=16).loss, keras_loss, atol=1e-5, rtol=0)


@pytest.mark.parametrize("act", ["softplus", "silu", "swish", "softsign", "mish", "leaky_relu", "elu", "selu",
                                 "relu6", "hard_sigmoid", "exponential"])
def test_other_keras_activations_in_the_tensor_form(tmp_path, act):
    model, path = _save(tmp_path, [L.Dense(5, activation=act), L.Dense(2)], "mse")
    m = derive.from_keras(path)
    assert m.form == "tensor" and "activation" in m.why_tensor
    y = X4[:, :2] * 0.5
    ours, theirs = gradients(m, X4 * 2, y), _keras_gradients(model, keras.losses.MeanSquaredError(), X4 * 2, y)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=2e-6, rtol=1e-5, err_msg=act)


def test_a_keras_model_object(tmp_path):
    """derive.load and derive.gradients take the model object itself (Keras saves it; derive reads the file)."""
    model, _ = _save(tmp_path, [L.Dense(3, activation="tanh"), L.Dense(3, activation="softmax")],
                     "sparse_categorical_crossentropy")
    net = derive.load(model)
    assert net.spec.layered and len(net.params) == 4 * 3 + 3 + 3 * 3 + 3
    ours = derive.gradients(model, X4, C)
    theirs = _keras_gradients(model, keras.losses.SparseCategoricalCrossentropy(), X4, C)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-6)
        for loaded in (net, derive.derive(net)):        # what derive.load and derive.derive return
            np.testing.assert_array_equal(derive.gradients(loaded, X4, C)[k], ours[k])


def test_an_image_input_flattened_first(tmp_path):
    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((3, 4)), L.Flatten(), L.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "img.keras")
    m = derive.from_keras(tmp_path / "img.keras")
    assert m.form == "layered" and m.input_columns[-1] == "x12"
    images = X4.reshape(37, 1, 4).repeat(3, axis=1) * np.array([1, 2, 3], "float32")[:, None]
    ours = gradients(m, images, C)
    theirs = _keras_gradients(model, keras.losses.SparseCategoricalCrossentropy(), images, C)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-6)


def test_embedding_then_flatten(tmp_path):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((3,), dtype="int32"), L.Embedding(6, 2), L.Flatten(),
                              L.Dense(4, activation="tanh"), L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "emb.keras")
    ids = np.random.default_rng(2).integers(0, 6, (37, 3))
    m = derive.from_keras(tmp_path / "emb.keras")
    assert m.form == "tensor" and "embedding/embeddings" in m.params
    ours = gradients(m, ids, C)
    out = model(torch.tensor(ids), training=True)
    value = keras.losses.SparseCategoricalCrossentropy()(torch.tensor(C), out)
    grads = torch.autograd.grad(value, [w.value for w in model.trainable_weights])
    for w, g in zip(model.trainable_weights, grads):
        np.testing.assert_allclose(ours["/".join(w.path.split("/")[-2:])], g.numpy(), atol=1e-6)


def test_keras_epsilon_clip_where_it_changes_values(tmp_path):
    """A saturated softmax: Keras clips the probability to 1 - 1e-7, so its loss is not 0 and that
    example's gradient is 0; derive computes the loss and the gradient the same way."""
    model, path = _save(tmp_path, [L.Dense(3, activation="softmax")], "categorical_crossentropy", n_in=2)
    big = np.array([[[30.0, 0, 0], [0, 0, 0]], ], dtype="float32")[0]
    model.layers[0].set_weights([big, np.zeros(3, "float32")])
    model.save(path)
    X = np.array([[1.0, 0.0], [0.1, 0.2]], dtype="float32")
    y = np.eye(3, dtype="float32")[[0, 1]]
    m = derive.from_keras(path)
    theirs = _keras_gradients(model, keras.losses.CategoricalCrossentropy(), X, y)
    ours = gradients(m, X, y)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-6)
    keras_loss = model.fit(X, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(fit(m, X, y, epochs=2).loss, keras_loss, atol=1e-6, rtol=0)


def test_keras_clip_element_by_element_for_two_sigmoid_outputs(tmp_path):
    """One output saturated, the other not, in the same example: only the saturated term loses its gradient."""
    model, path = _save(tmp_path, [L.Dense(2, activation="sigmoid")], "binary_crossentropy", n_in=2)
    model.layers[0].set_weights([np.array([[40.0, 0.3], [0.0, -0.2]], "float32"), np.zeros(2, "float32")])
    model.save(path)
    X = np.array([[1.0, 0.5], [0.2, -0.4], [0.9, 0.1]], dtype="float32")
    y = np.array([[0, 1], [1, 0], [1, 1]], dtype="float32")
    theirs = _keras_gradients(model, keras.losses.BinaryCrossentropy(), X, y)
    ours = gradients(derive.from_keras(path), X, y)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-6)
    keras_loss = model.fit(X, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(fit(derive.from_keras(path), X, y, epochs=2).loss, keras_loss, atol=1e-6, rtol=0)


# ---------------------------------------------------------------------------------------------
# What is refused, in one line

def test_unsupported_layers_and_options_refused_in_one_line(tmp_path):
    _, conv = _save(tmp_path, [L.Reshape((4, 1)), L.Conv1D(2, 2)], "mse", name="conv")
    _, reg = _save(tmp_path, [L.Dense(2, kernel_regularizer="l2")], "mse", name="reg")
    _, hinge = _save(tmp_path, [L.Dense(2)], "hinge", name="hinge")
    for path, words in ((conv, "Reshape"), (reg, "kernel_regularizer"), (hinge, "hinge")):
        with pytest.raises(DeriveError) as e:
            derive.from_keras(path)
        assert words in str(e.value) and "\n" not in str(e.value)
    (tmp_path / "zip.keras").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DeriveError, match="not a readable Keras file"):
        derive.from_keras(tmp_path / "zip.keras")


def test_optimizer_options_that_change_the_step_are_refused(tmp_path):
    _, decay = _save(tmp_path, [L.Dense(2)], "mse", keras.optimizers.AdamW(0.01), name="adamw")
    _, clip = _save(tmp_path, [L.Dense(2)], "mse", keras.optimizers.SGD(0.01, clipnorm=1.0), name="clip")
    for path, words in ((decay, "AdamW"), (clip, "clipnorm")):
        with pytest.raises(DeriveError, match=words):
            derive.from_keras(path)


def test_functional_chain(tmp_path):
    keras.utils.set_random_seed(5)
    inp = keras.Input((4,))
    out = L.Dense(3, activation="softmax")(L.LayerNormalization()(L.Dense(5, activation="relu")(inp)))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy")
    model.save(tmp_path / "f.keras")
    m = derive.from_keras(tmp_path / "f.keras")
    assert m.form == "tensor" and list(m.params)[0] == model.layers[1].name + "/kernel"
    keras_loss = model.fit(X4, Y, epochs=2, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(fit(m, X4, Y, epochs=2, batch_size=16).loss, keras_loss, atol=1e-5, rtol=0)


def test_functional_residual_block_with_add(tmp_path):
    keras.utils.set_random_seed(8)
    inp = keras.Input((4,))
    h = L.Dense(5)(inp)
    f = L.Dense(5, activation="tanh")(L.LayerNormalization()(h))
    out = L.Dense(3, activation="softmax")(L.Activation("relu")(L.Add()([h, f])))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "res.keras")
    m = derive.from_keras(tmp_path / "res.keras")
    assert m.form == "tensor" and any("+" in e for e in m.program["tensor"]["forward"].values())
    theirs = _keras_gradients(model, keras.losses.SparseCategoricalCrossentropy(), X4, C)
    ours = gradients(m, X4, C)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-6)
    keras_loss = model.fit(X4, C, epochs=2, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(fit(m, X4, C, epochs=2, batch_size=16).loss, keras_loss, atol=1e-5, rtol=0)
    two = keras.Model(inp, [out, h])
    two.compile(optimizer="sgd", loss=["mse", "mse"])
    two.save(tmp_path / "two.keras")
    with pytest.raises(DeriveError):
        derive.from_keras(tmp_path / "two.keras")


def test_random_dropout_cannot_replay_fit(tmp_path):
    _, path = _save(tmp_path, [L.Dense(3), L.Dropout(0.5), L.Dense(1)], "mse", n_in=2)
    m = derive.from_keras(path)
    assert m.form == "layered"          # derived as the identity
    with pytest.raises(DeriveError, match="Dropout"):
        fit(m, X4[:, :2], X4[:, :1], epochs=1)


AUDIT = r"""
import sys
import derive.frameworks, derive.frameworks.keras, derive.frameworks.build, derive.errors
import h5py, numpy, zipfile, json, io, re
BAD = ("exec", "compile", "marshal.loads", "os.system", "subprocess.Popen", "os.posix_spawn", "os.exec",
       "os.fork", "pickle.find_class", "ctypes.dlopen")
def hook(event, args):
    if event in BAD or (event == "import" and str(args[0]).split(".")[0] in ("keras", "tensorflow", "dill")):
        raise SystemExit("ran: " + event + " " + str(args[0])[:60])
    if event == "open" and len(args) > 1 and isinstance(args[1], str) and any(c in args[1] for c in "wax+"):
        raise SystemExit("wrote: " + str(args[0]))
derive.frameworks.from_keras(sys.argv[2])       # a harmless file first: every lazy import is done
sys.addaudithook(hook)
try:
    derive.frameworks.from_keras(sys.argv[1])
except derive.errors.DeriveError as e:
    print("refused:", e)
    sys.exit(2)
print("read")
"""


def test_lambda_layer_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    code = f"lambda x: (__import__('os').system('touch {marker}'), x)[1]"
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), L.Dense(2), L.Lambda(eval(code)), L.Dense(1)])   # noqa: S307 (the test's own payload)
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "evil.keras")
    marker.unlink(missing_ok=True)                   # Keras itself ran the lambda while building
    r = subprocess.run([sys.executable, "-c", AUDIT, str(tmp_path / "evil.keras"), str(SEED004)], capture_output=True,
                       text=True, timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Lambda" in r.stdout and len(r.stdout.strip().splitlines()) == 1
    assert not marker.exists()


def _derive(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "derive", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_cli_train_replays_fit_and_verify_names_keras_variables():
    import json
    r = _derive("train", SEED004, "--data", SEED004_CSV, "--epochs", 50, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    X, y = _csv(SEED004_CSV)
    model = keras.saving.load_model(SEED004)
    keras_loss = model.fit(X, y, epochs=50, batch_size=32, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(rep["history"]["loss"], keras_loss, atol=1e-5, rtol=0)
    kernel = model.layers[1].get_weights()[0]
    assert rep["params"]["dense_1/kernel[2,0]"] == pytest.approx(float(kernel[2, 0]), abs=1e-5)
    r = _derive("verify", SEED004, "--json")
    rows = json.loads(r.stdout)["params"]
    assert r.returncode == 0 and {x["name"]: x["framework_name"] for x in rows}["V1"] == "dense_1/kernel[0,0]"


def test_cli_refuses_a_lambda_file_in_one_line_and_the_web_door_takes_no_path(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), L.Dense(2), L.Lambda(lambda x: x * 2), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "lam.keras")
    for command in ("verify", "train"):
        r = _derive(command, tmp_path / "lam.keras")
        assert r.returncode == 2 and "Lambda" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    with pytest.raises(DeriveError):
        derive.api.from_text(str(SEED004))          # the web page's input: spec text or a bundled name


def _with_config(tmp_path, name, change):
    """seed004.keras with its config.json changed by ``change`` (a hostile or broken file)."""
    import json
    import zipfile
    with zipfile.ZipFile(SEED004) as z:
        config, weights = json.loads(z.read("config.json")), z.read("model.weights.h5")
    change(config)
    path = tmp_path / f"{name}.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", weights)
    return path


def _layer(k):
    return lambda c: c["config"]["layers"][k]["config"]


BROKEN = {
    "units not a number": lambda c: _layer(1)(c).update(units="three"),
    "units that do not fit the weights": lambda c: _layer(1)(c).update(units=4),
    "activation as code": lambda c: _layer(1)(c).update(activation={"class_name": "function", "config": "x"}),
    "unknown activation": lambda c: _layer(2)(c).update(activation="sigmoidd"),
    "layers missing": lambda c: c["config"].pop("layers"),
    "a custom layer": lambda c: c["config"]["layers"][1].update(registered_name="my>Dense", module="my"),
    "a Lambda inside": lambda c: c["config"]["layers"][1].update(class_name="Lambda"),
    "no compile config": lambda c: c.pop("compile_config"),
    "a loss of code": lambda c: c["compile_config"].update(loss={"module": "builtins", "class_name": "eval"}),
    "not a model": lambda c: c.update(class_name="Functional", config=[1, 2]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_or_hostile_config_is_one_line(tmp_path, case):
    with pytest.raises(DeriveError) as e:
        derive.from_keras(_with_config(tmp_path, case.replace(" ", "_"), BROKEN[case]))
    assert "\n" not in str(e.value) and str(e.value).startswith(case.replace(" ", "_") + ".keras: ")
