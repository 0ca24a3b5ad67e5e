"""Hostile ``.keras`` files and ``model.py:factory`` paths: each is refused in one line (exit 2, JSON
``{"error"}`` with --json), never a traceback, never code run, never a file read through the model file.

Each file is seed004.keras with one thing made hostile: its zip, its config.json or its HDF5 weights.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import derive  # noqa: E402
import derive.frameworks.keras  # noqa: E402,F401  (loaded before the CLI's forks)
from derive.cli import main  # noqa: E402
from derive.errors import DeriveError  # noqa: E402
from derive.frameworks import keras_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED004 = ROOT / "derive" / "examples" / "seed004.keras"
with zipfile.ZipFile(SEED004) as _z:
    CONFIG, WEIGHTS = json.loads(_z.read("config.json")), _z.read("model.weights.h5")


def _zip(members, method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return out.getvalue()


def _keras(config=None, weights=None, extra=()) -> bytes:
    text = config if isinstance(config, (str, bytes)) else json.dumps(CONFIG if config is None else config)
    return _zip([("config.json", text), ("model.weights.h5", WEIGHTS if weights is None else weights), *extra])


def _config(change) -> bytes:
    config = json.loads(json.dumps(CONFIG))
    change(config)
    return _keras(config)


def _weights(change, config=None) -> bytes:
    """seed004's weights, with ``change(file)`` applied to a copy (an h5py.File open for writing)."""
    out = io.BytesIO()
    with h5py.File(out, "w") as f, h5py.File(io.BytesIO(WEIGHTS), "r") as src:
        for layer in ("dense", "dense_1"):
            for k in ("0", "1"):
                f[f"layers/{layer}/vars/{k}"] = src[f"layers/{layer}/vars/{k}"][()]
        change(f)
    return _keras(config, out.getvalue())


def _replace(path: str, make):
    """A weights change: the dataset at ``path`` replaced by what ``make(group, name)`` puts there."""
    def change(f):
        group, name = path.rsplit("/", 1)
        del f[path]
        make(f[group], name)
    return change


def _refused(data: bytes, *words) -> str:
    """The one-line refusal of a .keras file's bytes; it must name each of ``words``."""
    with pytest.raises(DeriveError) as e:
        derive.frameworks.keras.from_bytes(data, "hostile")
    text = str(e.value)
    assert "\n" not in text and text.startswith("hostile.keras"), text
    assert all(w in text for w in words), text
    return text


def _layer(k):
    return lambda c: c["config"]["layers"][k]["config"]


# -- the zip -----------------------------------------------------------------------------------------

def test_a_zip_listing_many_members_is_refused_before_its_list_is_parsed():
    members = [(f"m{i}", b"") for i in range(25_000)]          # 1.3 MB of member list
    _refused(_zip(members + [("config.json", json.dumps(CONFIG)), ("model.weights.h5", WEIGHTS)],
                  zipfile.ZIP_STORED), "members")


def test_zip_bombs_stop_at_the_declared_sizes(monkeypatch):
    _refused(_zip([("config.json", b" " * 3_000_000), ("model.weights.h5", WEIGHTS)]), "config.json is larger")
    monkeypatch.setattr(keras_file, "MAX_FILE", 1_000_000)
    _refused(_zip([("config.json", json.dumps(CONFIG)), ("model.weights.h5", b"\0" * 5_000_000)]),
             "model.weights.h5 is larger")
    # a header that lies (declares 100 bytes, inflates to 3 MB): zipfile stops at 100 and the CRC fails
    data = bytearray(_zip([("config.json", b" " * 3_000_000), ("model.weights.h5", WEIGHTS)]))
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(sig)
        data[at + offset:at + offset + 4] = (100).to_bytes(4, "little")
    _refused(bytes(data), "not a readable Keras file")


def _encrypted() -> bytes:
    data = bytearray(_keras())
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        while at >= 0:
            data[at + offset] |= 1
            at = data.find(sig, at + 4)
    return bytes(data)


def _corrupt() -> bytes:
    data = bytearray(_keras())
    start = data.find(b"config.json") + len("config.json") + 4
    data[start:start + 40] = bytes(b ^ 0x55 for b in data[start:start + 40])
    return bytes(data)


@pytest.mark.parametrize("make", [_encrypted, _corrupt, lambda: b"", lambda: b"PK\x05\x06" + b"\0" * 18,
                                  lambda: _zip([("model.weights.h5", WEIGHTS)])],
                         ids=["encrypted", "corrupt-deflate", "empty", "empty-zip", "no-config"])
def test_broken_zips_are_one_line(make):
    _refused(make())


def test_member_names_outside_the_folder_are_never_extracted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    extra = [("../../escaped", b"x"), ("/tmp/absolute-h26", b"x"), ("a/../../b", b"x")]
    m = derive.frameworks.keras.from_bytes(_keras(extra=extra), "names")
    assert m.size == 13 and list(tmp_path.iterdir()) == [] and not Path("/tmp/absolute-h26").exists()


# -- config.json ------------------------------------------------------------------------------------

CONFIGS = {     # each: config.json text or a change to seed004's, and a word the refusal must have
    "NaN": ('{"class_name": "Sequential", "config": {"layers": [], "x": NaN}}', "NaN"),
    "Infinity units": (json.dumps(CONFIG).replace('"units": 3', '"units": Infinity'), "Infinity"),
    "digits": (json.dumps(CONFIG).replace('"units": 3', '"units": ' + "9" * 5000), "Keras file"),
    "deep": ("[" * 100_000 + "]" * 100_000, "Recursion"),
    "not an object": ("[1, 2]", "not a model config"),
    "units 3.7": (lambda c: _layer(1)(c).update(units=3.7), "units"),
    "units true": (lambda c: _layer(1)(c).update(units=True), "units"),
    "units 10**9": (lambda c: _layer(1)(c).update(units=10**9), "1000000000"),
    "units 0": (lambda c: _layer(1)(c).update(units=0), "units"),
    "use_bias text": (lambda c: _layer(1)(c).update(use_bias="no"), "use_bias"),
    "name a list": (lambda c: _layer(1)(c).update(name=["x"]), "name"),
    "input shape 10**9": (lambda c: _layer(0)(c).update(batch_shape=[None, 10**9]), "input shape"),
    "input shape -2": (lambda c: _layer(0)(c).update(batch_shape=[None, -2]), "input shape"),
    "input shape long": (lambda c: _layer(0)(c).update(batch_shape=[None] + [2] * 100_000), "input shape"),
    "wrapped flatten": (lambda c: [_layer(0)(c).update(batch_shape=[None, 2**62 + 1, 4]), c["config"]["layers"]
                                   .insert(1, {"class_name": "Flatten", "config": {"name": "f"}})], "input shape"),
    "300 layers": (lambda c: c["config"]["layers"].extend(
        {"class_name": "Dropout", "config": {"name": f"d{i}", "rate": 0.0}} for i in range(300)), "256"),
    "dropout rate text": (lambda c: c["config"]["layers"].append(
        {"class_name": "Dropout", "config": {"name": "d", "rate": "x"}}), "rate"),
    "loss config a list": (lambda c: c["compile_config"].update(loss={"class_name": "MeanSquaredError",
                                                                     "config": [1]}), "loss"),
    "from_logits text": (lambda c: c["compile_config"].update(loss={"class_name": "BinaryCrossentropy",
                                                                    "config": {"from_logits": "false"}}), "from_logits"),
    "optimizer a list": (lambda c: c["compile_config"]["optimizer"].update(class_name=[1]), "optimizer"),
    "optimizer config a list": (lambda c: c["compile_config"]["optimizer"].update(config=[1]), "optimizer"),
    "momentum -5": (lambda c: c["compile_config"]["optimizer"]["config"].update(momentum=-5), "momentum"),
    "layernorm epsilon -1": (lambda c: c["config"]["layers"].insert(2, {
        "class_name": "LayerNormalization", "config": {"name": "ln", "epsilon": -1, "scale": False,
                                                       "center": False}}), "epsilon"),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_config_of_wrong_types_and_sizes_is_one_line(case):
    config, word = CONFIGS[case]
    _refused(_config(config) if callable(config) else _keras(config), word)


# -- model.weights.h5 -------------------------------------------------------------------------------

def _with_layer(cls: str, weights: dict, **config):
    """seed004 with a layer of ``cls`` after its first Dense; ``weights``: that layer's vars."""
    layers = json.loads(json.dumps(CONFIG))
    layers["config"]["layers"].insert(1 + (cls != "Embedding"),
                                      {"class_name": cls, "config": {"name": "extra", **config}})
    if cls == "Embedding":
        layers["config"]["layers"].insert(2, {"class_name": "Flatten", "config": {"name": "flat"}})
    group = {"LayerNormalization": "layer_normalization", "BatchNormalization": "batch_normalization",
             "Embedding": "embedding", "Normalization": "normalization"}[cls]
    return _weights(lambda f: [f.create_dataset(f"layers/{group}/vars/{k}", data=v) for k, v in weights.items()],
                    layers)


def test_weights_of_the_wrong_shape_are_refused_for_every_layer_kind():
    _refused(_weights(_replace("layers/dense/vars/0", lambda g, k: g.create_dataset(k, data=np.zeros((3, 3))))),
             "weight 0", "2 x 3")
    _refused(_with_layer("LayerNormalization", {"0": np.zeros((7, 5)), "1": np.zeros(3)}), "7 x 5")
    _refused(_with_layer("BatchNormalization", {"0": np.ones(3), "1": np.zeros(2)}), "weight 1")
    _refused(_with_layer("Embedding", {"0": np.zeros(5)}, input_dim=5, output_dim=2), "5 x 2")
    _refused(_with_layer("Embedding", {"0": np.zeros((0, 2))}), "input_dim")
    _refused(_with_layer("Normalization", {"0": np.zeros(2), "1": np.ones(3), "2": np.zeros(())}), "weight 0")
    _refused(_with_layer("Normalization", {"0": np.zeros(3), "1": -np.ones(3), "2": np.zeros(())}), "variance below 0")
    _refused(_with_layer("Normalization", {"0": np.zeros(3), "1": np.ones(3)}, invert=True), "not inverted")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused(value):
    bad = lambda g, k: g.create_dataset(k, data=np.full((3, 1), value, "f4"))     # noqa: E731
    _refused(_weights(_replace("layers/dense_1/vars/0", bad)), "NaN or infinite")


@pytest.mark.parametrize("data", [np.array([b"ab", b"cd"]), np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]),
                                  np.ones((2, 3), bool), np.ones((2, 3), "c8"), np.float32(1)],
                         ids=["strings", "compound", "bool", "complex", "scalar"])
def test_weights_that_are_not_arrays_of_numbers_are_one_line(data):
    _refused(_weights(_replace("layers/dense/vars/0", lambda g, k: g.create_dataset(k, data=data))), "weight 0")


def test_a_dataset_where_a_group_belongs_is_one_line():
    _refused(_keras(weights=_h5(lambda f: f.create_dataset("layers", data=[1]))), "weight 0 is missing")
    _refused(_keras(weights=_h5(lambda f: f.create_dataset("layers/dense/vars", data=[1]))), "weight 0 is missing")


def _h5(build) -> bytes:
    out = io.BytesIO()
    with h5py.File(out, "w") as f:
        build(f)
    return out.getvalue()


def test_a_torch_module_with_non_finite_weights_or_epsilon_is_one_line():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LayerNorm(3), torch.nn.Linear(3, 1))
    with torch.no_grad():
        net[2].weight[0, 1] = float("nan")
    with pytest.raises(DeriveError, match="2.weight: NaN or infinite"):
        derive.from_torch(net, torch.zeros(4, 2))
    with torch.no_grad():
        net[2].weight[0, 1] = 0.5
    net[1].eps = -1.0
    with pytest.raises(DeriveError, match="epsilon must be a finite number"):
        derive.from_torch(net, torch.zeros(4, 2))


def test_a_huge_dataset_is_refused_from_its_shape_before_it_is_allocated():
    config = json.loads(json.dumps(CONFIG))
    _layer(1)(config).update(units=10**9, use_bias=False)
    never_written = lambda g, k: g.create_dataset(k, shape=(2, 10**9), dtype="f8", chunks=(1, 4096),  # noqa: E731
                                                  compression="gzip")
    text = _refused(_weights(_replace("layers/dense/vars/0", never_written), config), "10,000,000")
    assert "2 x 1000000000" in text


def test_links_and_outside_storage_never_read_another_file(tmp_path):
    secret = np.arange(1, 7, dtype="<f4") * 1111          # a file on disk the weights point at
    (tmp_path / "secret.bin").write_bytes(secret.tobytes())
    (tmp_path / "other.h5").write_bytes(_h5(lambda f: f.create_dataset("d", data=secret.reshape(2, 3))))
    layout = h5py.VirtualLayout(shape=(2, 3), dtype="f4")
    layout[:] = h5py.VirtualSource(str(tmp_path / "other.h5"), "d", shape=(2, 3))
    makers = {
        "external link": lambda g, k: g.__setitem__(k, h5py.ExternalLink(str(tmp_path / "other.h5"), "d")),
        "soft link loop": lambda g, k: g.__setitem__(k, h5py.SoftLink(g.name + "/" + k)),
        "external storage": lambda g, k: g.create_dataset(k, shape=(2, 3), dtype="<f4",
                                                          external=[(str(tmp_path / "secret.bin"), 0, 24)]),
        "passwd-like": lambda g, k: g.create_dataset(k, shape=(2, 3), dtype="u1", external=[("/etc/hostname", 0, 6)]),
        "virtual dataset": lambda g, k: g.create_virtual_dataset(k, layout),
    }
    for what, make in makers.items():
        text = _refused(_weights(_replace("layers/dense/vars/0", make)), "the file itself" if "link" in what
                        else "outside the file")
        assert "1111" not in text, what
    whole_group = _h5(lambda f: f.__setitem__("layers", h5py.ExternalLink(str(tmp_path / "other.h5"), "/")))
    _refused(_keras(weights=whole_group), "link")


def test_a_filter_plugin_is_never_loaded():
    from h5py import h5d, h5p, h5s, h5t, h5z

    def plugin(g, k):      # an optional filter id no HDF5 has built in: reading it would search for a plugin
        plist = h5p.create(h5p.DATASET_CREATE)
        plist.set_chunk((2, 3))
        plist.set_filter(32004, h5z.FLAG_OPTIONAL, (0,))
        h5d.create(g.id, k.encode(), h5t.IEEE_F32LE, h5s.create_simple((2, 3)), dcpl=plist).write(
            h5s.ALL, h5s.ALL, np.zeros((2, 3), "<f4"))
    _refused(_weights(_replace("layers/dense/vars/0", plugin)), "32004", "plugin")


# -- the file itself, the command line and the web door ---------------------------------------------

def _cli(capsys, *args) -> tuple[int, dict]:
    code = main([*map(str, args), "--json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err and len(out.err.strip().splitlines()) <= 1, out.err
    return code, json.loads(out.out)


def test_cli_json_for_hostile_files_fifos_devices_and_folders(tmp_path, capsys):
    files = {"passwd": _weights(_replace("layers/dense/vars/0", lambda g, k: g.create_dataset(
        k, shape=(2, 3), dtype="u1", external=[("/etc/hostname", 0, 6)]))), "hdf5-not-zip": _h5(lambda f: None),
        "lambda": _config(lambda c: c["config"]["layers"][1].update(class_name="Lambda")), "nan": _keras("NaN")}
    for name, data in files.items():
        (tmp_path / f"{name}.keras").write_bytes(data)
    (tmp_path / "zero.keras").symlink_to("/dev/zero")
    (tmp_path / "folder.keras").mkdir()
    for name in [*files, "zero", "folder"]:
        code, out = _cli(capsys, "verify", tmp_path / f"{name}.keras", "--timeout", 120)
        assert code == 2 and set(out) == {"error"}, (name, out)
    os.mkfifo(tmp_path / "fifo.keras")                  # nobody writes to it: the time limit ends the wait
    code, out = _cli(capsys, "verify", tmp_path / "fifo.keras", "--timeout", 3)
    assert code == 2 and ("time limit" in out["error"] or "did not finish" in out["error"])


FACTORIES = {
    "raises": ('def factory():\n    raise ValueError("boom")\n', "ValueError: boom"),
    "syntax": ("def factory(:\n", "SyntaxError"),
    "not a module": ("def factory():\n    return 1, 2\n", "torch.nn.Module"),
    "text input": ("import torch\ndef factory():\n    return torch.nn.Linear(2, 1), 'abc'\n", "example_input"),
    "wrong width": ("import torch\ndef factory():\n    return torch.nn.Linear(2, 1), torch.zeros(4, 3)\n",
                    "fails on example_input of shape (4, 3)"),
}


@pytest.mark.parametrize("case", sorted(FACTORIES))
def test_a_broken_factory_is_one_line_not_a_traceback(tmp_path, capsys, case):
    pytest.importorskip("torch")
    text, word = FACTORIES[case]
    (tmp_path / "model.py").write_text(text)
    code, out = _cli(capsys, "verify", f"{tmp_path / 'model.py'}:factory", "--timeout", 300)
    assert code == 2 and word in out["error"], out


def test_the_web_door_and_the_library_never_run_a_factory(tmp_path):
    from derive.api import frameworks
    from derive.serve import work
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef factory():\n    return None\n")
    spec = f"{tmp_path / 'evil.py'}:factory"
    assert frameworks.TRUST_USER_CODE is False          # only derive.cli.main sets it (never for serve)
    for door in (derive.api.from_text, derive.load, work.spec_info, work.verify):
        with pytest.raises(DeriveError, match="file path|command line only"):
            door(spec)
    assert not marker.exists()


def test_the_web_server_answers_a_factory_or_a_keras_path_with_a_4xx(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from serving import Served
    finally:
        sys.path.remove(str(Path(__file__).parent))
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef factory():\n    return None\n")
    server = Served(tmp_path / "serve")
    try:
        for spec in (f"{tmp_path / 'evil.py'}:factory", str(SEED004)):
            for endpoint in ("/api/verify", "/api/spec", "/api/notes"):
                status, body, _ = server.post(endpoint, {"spec": spec})
                assert 400 <= status < 500 and "file path" in body["error"], (endpoint, status, body)
    finally:
        err = server.stop()
    assert "Traceback" not in err and not marker.exists()


AUDIT = r"""
import glob, sys
import derive.frameworks, derive.frameworks.keras, derive.errors
derive.frameworks.from_keras(sys.argv[2])          # a harmless file first: every lazy import is done
def hook(event, args):
    if event in ("exec", "compile", "marshal.loads", "pickle.find_class", "ctypes.dlopen", "os.system",
                 "subprocess.Popen", "os.posix_spawn", "os.exec", "os.fork") or event == "import":
        raise SystemExit("ran: " + event + " " + str(args[0])[:60])
    if event == "open" and len(args) > 1 and isinstance(args[1], str) and any(c in args[1] for c in "wax+"):
        raise SystemExit("wrote: " + str(args[0]))
sys.addaudithook(hook)
for path in sorted(glob.glob(sys.argv[1] + "/*.keras")):
    try:
        derive.frameworks.from_keras(path)
        print("read", path)
    except derive.errors.DeriveError as e:
        print("refused", str(e).split(":")[0])
if any(m.split(".")[0] in ("keras", "tensorflow") for m in sys.modules):
    raise SystemExit("keras was imported")
"""


def test_nothing_in_a_hostile_file_is_run_imported_or_written(tmp_path):
    lam = lambda c: c["config"]["layers"].insert(1, {"class_name": "Lambda", "config": {  # noqa: E731
        "name": "lam", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}})
    custom = lambda c: c["config"]["layers"][1].update(module="evil", registered_name="evil>Dense")  # noqa: E731
    loss = lambda c: c["compile_config"].update(loss={"module": "os", "class_name": "system",  # noqa: E731
                                                      "config": {"command": "touch ran"}})
    files = {"lambda": _config(lam), "custom": _config(custom), "loss": _config(loss),
             "activation": _config(lambda c: _layer(1)(c).update(activation={"module": "builtins",
                                                                                "class_name": "eval"})),
             "names": _keras(extra=[("../../escaped.py", b"import os"), ("/tmp/h26-abs.py", b"x")])}
    for name, data in files.items():
        (tmp_path / f"{name}.keras").write_bytes(data)
    r = subprocess.run([sys.executable, "-c", AUDIT, str(tmp_path), str(SEED004)], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 5 and sum(x.startswith("refused") for x in lines) == 4, lines
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.keras" for n in files)


# -- a Functional model's graph (shared layers, operations, nested Sequential models) -----------------

def _node(*history):
    return {"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": list(h)}} for h in history],
            "kwargs": {}}


def _functional(*layers, outputs=("out", 0, 0)):
    """A Functional config: an input 'x', ``layers`` (class, name, [inbound nodes], extra), an output Dense."""
    made = [{"class_name": "InputLayer", "module": "keras.layers", "config": {"name": "x", "batch_shape": [None, 2]},
             "inbound_nodes": []}]
    for cls, name, nodes, *extra in layers:
        module = extra[0] if extra else "keras.layers"
        made.append({"class_name": cls, "module": module, "registered_name": (
            cls if module.startswith("keras.src") else None), "config": {"name": name, "units": 2, **(extra[1] if len(extra) > 1 else {})},
            "inbound_nodes": nodes})
    return _keras({"class_name": "Functional", "config": {"name": "f", "layers": made, "output_layers": list(outputs)},
                   "compile_config": {"loss": "mse"}})


GRAPHS = {   # each: the config and a word its one-line refusal must have
    "a cycle": (_functional(("Dense", "a", [_node(("out", 0, 0))]), ("Dense", "out", [_node(("a", 0, 0))])), "cycle"),
    "a ghost layer": (_functional(("Dense", "out", [_node(("ghost", 0, 0))])), "cannot follow"),
    "a call never made": (_functional(("Dense", "a", [_node(("x", 0, 0))]), ("Dense", "out", [_node(("a", 5, 0))])),
                          "cannot follow"),
    "a call index that is text": (_functional(("Dense", "out", [_node(("x", "0", 0))])), "cannot follow"),
    "2000 calls": (_functional(("Dense", "out", [_node(("x", 0, 0))] * 2000)), "layer calls"),
    "an operation with options": (_functional(("Gelu", "g", [_node(("x", 0, 0))], "keras.src.ops.nn", {"eval": 1}),
                                              ("Dense", "out", [_node(("g", 0, 0))])), "options"),
    "an operation derive does not read": (_functional(("Exp", "e", [_node(("x", 0, 0))], "keras.src.ops.numpy"),
                                                      ("Dense", "out", [_node(("e", 0, 0))])), "operation Exp"),
    "a nested Sequential called twice": (_functional(("Sequential", "s", [_node(("x", 0, 0))] * 2, "keras", {
        "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}]}),
        ("Dense", "out", [_node(("s", 0, 0))])), "called once"),
    "a nested name clash": (_functional(("Sequential", "s", [_node(("x", 0, 0))], "keras", {
        "layers": [{"class_name": "Dense", "config": {"name": "out", "units": 2}}]}),
        ("Dense", "out", [_node(("s", 0, 0))])), "clash"),
    "a Sequential in a nested Sequential": (_functional(("Sequential", "s", [_node(("x", 0, 0))], "keras", {
        "layers": [{"class_name": "Sequential", "config": {"name": "t", "layers": []}}]}),
        ("Dense", "out", [_node(("s", 0, 0))])), "nested Sequential"),
}


@pytest.mark.parametrize("case", sorted(GRAPHS))
def test_a_functional_graph_derive_cannot_follow_is_one_line(case):
    data, word = GRAPHS[case]
    _refused(data, word)
