"""A ``.keras`` file opened as untrusted data: its zip, ``config.json`` and ``model.weights.h5``.

Everything in the file is checked before it costs time or memory, and nothing in it reaches outside it:

* the zip: at most MAX_DIRECTORY bytes of member list (a list of a million empty members would take a
  minute to parse), ``config.json`` at most MAX_CONFIG bytes and the weights at most MAX_FILE bytes
  uncompressed (zipfile stops at the declared size, so a bomb cannot lie its way past it); members are
  read by name, never extracted, so ``../`` or absolute names write nothing;
* ``config.json``: strict JSON (``NaN`` and ``Infinity`` refused), its depth bounded by the parser;
* the HDF5 weights: only hard links are followed (an external link would open another file on disk, a
  soft link can loop); a dataset stored outside the file (external storage, a virtual dataset) is
  refused, since HDF5 would read whatever file it names; only the filters HDF5 has built in (a
  filter plugin is a shared library HDF5 would load); numbers only, at most MAX_ENTRIES in all,
  counted from the shapes before anything is read (a chunked dataset never written is all fill value
  and would otherwise allocate its full size).
"""
from __future__ import annotations

import io
import json
import math
import zipfile
import zlib

import numpy as np

from ..errors import DeriveError

MAX_FILE = 200_000_000
MAX_CONFIG = 2_000_000
MAX_DIRECTORY = 1_000_000       # bytes of the zip's member list (a Keras file has three members)
MAX_ENTRIES = 10_000_000        # numbers in all weights together (80 MB as float64)
MAX_DATASETS = 10_000
LZF = 32000                     # h5py's own filter (compiled into h5py, not a plugin)


def read_archive(data: bytes, stem: str) -> tuple[object, dict]:
    """``(config, weights)`` of a ``.keras`` file's bytes: the parsed ``config.json`` (any JSON value;
    the caller checks its shape) and ``{layer group: [array or None, ...]}`` (see :func:`read_weights`)."""
    try:
        _check_directory(data, stem)
        z = zipfile.ZipFile(io.BytesIO(data))
        sizes = {i.filename: i.file_size for i in z.infolist()}
        if "config.json" not in sizes or "model.weights.h5" not in sizes:
            raise DeriveError(f"{stem}.keras: expected a Keras 3 file (config.json and model.weights.h5 in a zip)")
        if sizes["config.json"] > MAX_CONFIG:
            raise DeriveError(f"{stem}.keras: config.json is larger than {MAX_CONFIG} bytes")
        if sizes["model.weights.h5"] > MAX_FILE:
            raise DeriveError(f"{stem}.keras: model.weights.h5 is larger than {MAX_FILE} bytes")
        config = json.loads(z.read("config.json").decode("utf-8"), parse_constant=_no_constant)
        blob = z.read("model.weights.h5")
    except (zipfile.BadZipFile, zlib.error, UnicodeDecodeError, ValueError, RecursionError, EOFError,
            NotImplementedError, RuntimeError, OSError) as e:   # RuntimeError: an encrypted member
        raise DeriveError(f"{stem}.keras: not a readable Keras file ({type(e).__name__}: {str(e)[:80]})") from None
    return config, read_weights(blob, stem)


def _check_directory(data: bytes, stem: str) -> None:
    """Refuse a zip whose member list (as zipfile will read it, Zip64 records included) is too long."""
    end = zipfile._EndRecData(io.BytesIO(data))      # the very record ZipFile itself reads
    if end is not None and end[zipfile._ECD_SIZE] > MAX_DIRECTORY:
        raise DeriveError(f"{stem}.keras: the zip lists more members than a Keras file has "
                          f"({end[zipfile._ECD_ENTRIES_TOTAL]} members, {end[zipfile._ECD_SIZE]} bytes of names)")


def _no_constant(name: str):
    raise ValueError(f"config.json has {name}, which JSON does not allow")


def read_weights(blob: bytes, stem: str) -> dict:
    """layer group -> [arrays in the order Keras created them]; a non-numeric dataset is None (so the
    others keep their places).  Refuses links, outside storage, plugins and sizes as the module says."""
    try:
        import h5py
    except ImportError:
        raise DeriveError(f"{stem}.keras: reading a Keras file's weights needs h5py (pip install h5py)") from None
    where = f"{stem}.keras: model.weights.h5"
    out, budget = {}, {"entries": MAX_ENTRIES, "datasets": MAX_DATASETS}
    try:
        with h5py.File(io.BytesIO(blob), "r") as f:
            _groups(_member(f, "layers", h5py.Group, where), "", out, budget, where)
    except DeriveError:
        raise
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as e:
        raise DeriveError(f"{where} is not readable ({str(e)[:80]})") from None
    return out


def _groups(layers, prefix: str, out: dict, budget: dict, where: str) -> None:
    """Each layer group's arrays into ``out``; a nested model's (``layers/sequential/layers/dense``) as
    ``sequential/dense``, one level deep."""
    import h5py
    for name in (layers.keys() if layers is not None else ()):
        group = _member(layers, name, h5py.Group, where)
        if group is None:
            continue
        if not prefix:
            _groups(_member(group, "layers", h5py.Group, where), f"{name}/", out, budget, where)
        group = _member(group, "vars", h5py.Group, where)
        if group is None:
            continue
        keys = sorted(group.keys(), key=lambda k: (len(k), k) if k.isdigit() else (10**9, k))
        out[prefix + name] = [_dataset(_member(group, k, h5py.Dataset, where),
                                       f"{where}: {prefix}{name}/vars/{k}"[:200], budget) for k in keys]


def _member(group, key: str, kind, where: str):
    """``group[key]`` when it is a hard link to a ``kind`` (Group or Dataset), else None; any other link
    is refused before it is followed."""
    import h5py
    link = group.get(key, getlink=True)
    if link is None:
        return None
    if not isinstance(link, h5py.HardLink):
        raise DeriveError(f"{where}: {str(key)[:60]!r} is a link ({type(link).__name__}); derive reads only what "
                          "is stored in the file itself (links to other objects or files are refused)")
    obj = group[key]
    return obj if isinstance(obj, kind) else None


def _dataset(ds, where: str, budget: dict):
    """The dataset's numbers as float64, or None when it holds no numbers; refused when it lives outside
    the file, needs a filter plugin, or would pass the file's budget of entries."""
    from h5py import h5d, h5z
    if ds is None:
        return None
    budget["datasets"] -= 1
    if budget["datasets"] < 0:
        raise DeriveError(f"{where}: more than {MAX_DATASETS} weight arrays")
    plist = ds.id.get_create_plist()
    if plist.get_layout() not in (h5d.COMPACT, h5d.CONTIGUOUS, h5d.CHUNKED) or plist.get_external_count():
        raise DeriveError(f"{where}: stored outside the file (external or virtual storage); derive reads only "
                          "the file's own bytes")
    builtin = {h5z.FILTER_DEFLATE, h5z.FILTER_SHUFFLE, h5z.FILTER_FLETCHER32, h5z.FILTER_SCALEOFFSET,
               h5z.FILTER_NBIT, LZF}
    for i in range(plist.get_nfilters()):
        if plist.get_filter(i)[0] not in builtin:
            raise DeriveError(f"{where}: compressed with filter {plist.get_filter(i)[0]}, which HDF5 would load "
                              "as a plugin; derive reads gzip, lzf, shuffle and the built-in filters only")
    if ds.shape is None or ds.dtype.kind not in "fiu":
        return None
    entries = math.prod(ds.shape)
    budget["entries"] -= entries
    if budget["entries"] < 0:
        raise DeriveError(f"{where}: the weights have more than {MAX_ENTRIES:,} numbers in all "
                          f"(this array alone is {' x '.join(map(str, ds.shape))})")
    return np.asarray(ds[()], dtype=np.float64)
