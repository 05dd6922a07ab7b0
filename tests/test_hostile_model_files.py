"""Hostile model and parameter files: each crafted file of issue 12 gives a ModelFileError naming it.

The files are built here, byte by byte where needed (zip entries with another
compression method or the encryption flag, flipped header bytes, a member
without the NPY magic, headers declaring huge shapes). Where the issue saw a
raw error, the test first shows the library (zipfile, NumPy) raising it on
the same file, so that the test could fail; memory is measured in a
subprocess under ``resource.setrlimit``.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import subprocess
import sys
import textwrap
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import numpy as np
import pytest

from npnet_core import ModelFileError, NeuralNetwork, Registry
from npnet_core.io import _model_files as model_files  # its CONFIG_LIMIT, lowered in one test
from npnet_core.io import read_model_config

LAYERS = [4, 3, 2]
N_PARAMS = 4 * 3 + 3 + 3 * 2 + 2  # 23


# -- building files -----------------------------------------------------------------------


def trained(registry: Registry, **kwargs: Any) -> NeuralNetwork:
    """A small adam network after a few updates: it has params, the moments m and v, a history."""
    net = NeuralNetwork(LAYERS, "relu", "softmax", "categorical_crossentropy", "adam", registry=registry, **kwargs)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)), np.eye(2)[np.arange(16) % 2]
    net.fit(x, y, 8, 2, verbose=0)
    return net


@pytest.fixture
def model(tmp_path: Path, official_registry: Registry) -> Path:
    return trained(official_registry, seed=0).save(tmp_path / "model.npz")


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def members(path: Path) -> Dict[str, bytes]:
    """The raw bytes of each member (each an .npy file)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path: Path, contents: Dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return path


def config_of(path: Path) -> Dict[str, Any]:
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(str(archive["config"]))


def with_config(source: Path, target: Path, edit: Callable[[Dict[str, Any]], Any]) -> Path:
    """``source`` with its configuration edited in place by ``edit``, written to ``target``."""
    config = config_of(source)
    edit(config)
    return with_config_text(source, target, json.dumps(config))


def with_config_text(source: Path, target: Path, text: str) -> Path:
    contents = members(source)
    contents["config.npy"] = npy(np.array(text))
    return write_zip(target, contents)


def with_member(source: Path, target: Path, name: str, data: Optional[bytes]) -> Path:
    """``source`` with member ``name`` replaced by ``data`` (or removed: None)."""
    contents = members(source)
    if data is None:
        contents.pop(name)
    else:
        contents[name] = data
    return write_zip(target, contents)


def central_entries(data: bytes) -> Dict[str, int]:
    """The offset of each member's central-directory entry, read from the end record (no archive comment)."""
    (signature, _, _, _, count, _, offset, _) = struct.unpack("<IHHHHIIH", data[-22:])
    assert signature == 0x06054B50
    entries = {}
    for _ in range(count):
        name_length, extra_length, comment_length = struct.unpack("<HHH", data[offset + 28 : offset + 34])
        entries[data[offset + 46 : offset + 46 + name_length].decode()] = offset
        offset += 46 + name_length + extra_length + comment_length
    return entries


def patch_entry(path: Path, member: str, *, method: Optional[int] = None, flags: Optional[int] = None) -> None:
    """Set the compression method or the flags of ``member``, in its central entry and its local header."""
    data = bytearray(path.read_bytes())
    central = central_entries(bytes(data))[member]
    local = struct.unpack("<I", data[central + 42 : central + 46])[0]
    if method is not None:
        data[central + 10 : central + 12] = struct.pack("<H", method)
        data[local + 8 : local + 10] = struct.pack("<H", method)
    if flags is not None:
        data[central + 8 : central + 10] = struct.pack("<H", flags)
        data[local + 6 : local + 8] = struct.pack("<H", flags)
    path.write_bytes(bytes(data))


def refused(path: Path, registry: Registry, *fragments: str) -> str:
    """Load ``path``: it must be a ModelFileError naming the file and saying each of ``fragments``."""
    with pytest.raises(ModelFileError) as excinfo:
        NeuralNetwork.load(path, registry=registry)
    text = str(excinfo.value)
    assert path.name in text, text
    for fragment in fragments:
        assert fragment in text, text
    return text


# -- 1. the archive: members checked before anything is decompressed -------------------------


def test_a_member_compressed_with_method_99_is_refused_naming_it(tmp_path, official_registry, model):
    """Compression method 99 (AES): zipfile raises NotImplementedError; npnet refuses the member by name."""
    path = write_zip(tmp_path / "aes.npz", members(model))
    patch_entry(path, "params.npy", method=99)
    with zipfile.ZipFile(path) as archive, pytest.raises(NotImplementedError):
        archive.read("params.npy")  # the raw error of the issue
    refused(path, official_registry, "'params.npy'", "method 99")
    with pytest.raises(ModelFileError, match="method 99"):
        read_model_config(path)


def test_an_encrypted_member_is_refused_naming_it(tmp_path, official_registry, model):
    """The encryption flag: zipfile raises RuntimeError (password required); npnet refuses the member by name."""
    path = write_zip(tmp_path / "locked.npz", members(model))
    patch_entry(path, "optimizer.m.npy", flags=0x1)
    with zipfile.ZipFile(path) as archive, pytest.raises(RuntimeError):
        archive.read("optimizer.m.npy")
    refused(path, official_registry, "'optimizer.m.npy'", "encrypted")


def test_a_bzip2_member_is_refused_although_zipfile_reads_it(tmp_path, official_registry, model):
    """Only stored and deflated members (what np.savez and np.savez_compressed write) are read."""
    path = write_zip(tmp_path / "bz.npz", members(model), method=zipfile.ZIP_BZIP2)
    refused(path, official_registry, "compressed with zip method 12")


def test_a_deflated_model_loads(tmp_path, official_registry, model):
    """The control: the same members deflated (as np.savez_compressed writes) load to the same network."""
    path = write_zip(tmp_path / "deflated.npz", members(model), method=zipfile.ZIP_DEFLATED)
    loaded = NeuralNetwork.load(path, registry=official_registry)
    assert np.array_equal(loaded.params, NeuralNetwork.load(model, registry=official_registry).params)


class DecompressorCount:
    """Counts the deflate streams zipfile opens (it makes one ``zlib.decompressobj`` per member read)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = zlib.decompressobj

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(zlib, "decompressobj", counting)


def test_an_extra_deflated_member_is_never_decompressed(tmp_path, official_registry, model, monkeypatch):
    """A zip bomb beside the model's members (64 MB of zeros in 64 KB) is refused by its name, before any member is decompressed."""
    contents = members(model)
    contents["bomb.npy"] = npy(np.zeros(8 * 2**20))
    path = write_zip(tmp_path / "bomb.npz", contents, method=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 2**20
    count = DecompressorCount(monkeypatch)
    refused(path, official_registry, "'bomb.npy'", "not read")
    with pytest.raises(ModelFileError, match="bomb.npy"):
        read_model_config(path)
    assert count.calls == 0
    with np.load(path, allow_pickle=False) as archive:  # the counter sees what NumPy decompresses
        archive["bomb"]
    assert count.calls >= 1  # one decompressor per member read (Python 3.9's zipfile makes two)


@pytest.mark.parametrize(
    "name", ["config.npy.npy", "../params.npy", "optimizer..npy", "params", "PARAMS.npy"], ids=lambda n: n
)
def test_a_member_an_npnet_model_does_not_have_is_refused(tmp_path, official_registry, model, name):
    """Any member besides config.npy, params.npy and optimizer.<key>.npy is refused, naming it."""
    path = with_member(model, tmp_path / "extra.npz", name, npy(np.zeros(2)))
    refused(path, official_registry, "does not have", name)


def test_a_member_twice_is_refused(tmp_path, official_registry, model):
    """Two members of one name (zipfile would read the last one) are refused."""
    path = write_zip(tmp_path / "twice.npz", members(model))
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as archive:
        archive.writestr("params.npy", npy(np.zeros(N_PARAMS)))
    refused(path, official_registry, "more than once", "params.npy")


def test_an_optimizer_member_the_configuration_does_not_name_is_refused(tmp_path, official_registry, model):
    """optimizer.<key>.npy members must be exactly those the configuration's optimizer_arrays names."""
    extra = with_member(model, tmp_path / "extra.npz", "optimizer.w.npy", npy(np.zeros(N_PARAMS)))
    refused(extra, official_registry, "optimizer state arrays ['m', 'v']", "['m', 'v', 'w']")
    missing = with_member(model, tmp_path / "missing.npz", "optimizer.v.npy", None)
    refused(missing, official_registry, "['m']")


def test_a_stored_member_declaring_more_than_the_file_holds_is_refused(tmp_path, official_registry, model):
    """A stored member whose declared size runs past the end of the file is refused before it is read."""
    path = write_zip(tmp_path / "long.npz", members(model))
    data = bytearray(path.read_bytes())
    central = central_entries(bytes(data))["params.npy"]
    data[central + 20 : central + 28] = struct.pack("<II", 10**9, 10**9)  # compressed and uncompressed sizes
    path.write_bytes(bytes(data))
    refused(path, official_registry, "'params.npy'", "past the end of the file")


def test_a_member_without_the_npy_magic_is_a_model_file_error(tmp_path, official_registry, model):
    """A member that is not an .npy: NumPy returns its bytes (then AttributeError); npnet names the member."""
    path = with_member(model, tmp_path / "nomagic.npz", "params.npy", b"just some bytes, not an array" * 10)
    with np.load(path, allow_pickle=False) as archive:
        assert isinstance(archive["params"], bytes)  # what used to reach .shape
    refused(path, official_registry, "'params.npy'")


# -- 2. the .npy headers ----------------------------------------------------------------------


def flipped_members(source: Path, member: str) -> Dict[int, Dict[str, bytes]]:
    """For each byte of ``member``'s .npy header (after the magic), the members with that byte flipped (CRC fresh)."""
    contents = members(source)
    data = contents[member]
    header_end = 10 + struct.unpack("<H", data[8:10])[0]
    flipped = {}
    for at in range(8, header_end):
        damaged = bytearray(data)
        damaged[at] ^= 0xFF
        flipped[at] = {**contents, member: bytes(damaged)}
    return flipped


@pytest.mark.parametrize("member", ["config.npy", "params.npy", "optimizer.v.npy"])
def test_a_flipped_header_byte_gives_a_model_file_error_or_the_same_model(tmp_path, official_registry, model, member):
    """Every single-byte flip of a member's .npy header: a ModelFileError naming the file, or an identical model.

    NumPy itself raises untyped errors on some of these files (tokenize.TokenError,
    SyntaxError, ValueError, ...); the test checks that it does on at least one.
    """
    original = NeuralNetwork.load(model, registry=official_registry)
    raw_errors = set()
    refusals = 0
    for at, contents in flipped_members(model, member).items():
        path = write_zip(tmp_path / f"flip{at}.npz", contents)
        try:
            with np.load(path, allow_pickle=False) as archive:
                archive[member[: -len(".npy")]]
        except Exception as exc:  # noqa: BLE001 - recording what NumPy raises
            raw_errors.add(type(exc))
        try:
            loaded = NeuralNetwork.load(path, registry=official_registry)
        except ModelFileError as exc:
            assert path.name in str(exc)
            refusals += 1
            continue
        assert np.array_equal(loaded.params, original.params)
        assert loaded.optimizer.state_dict()["v"].tobytes() == original.optimizer.state_dict()["v"].tobytes()
        path.unlink()
    assert refusals > 50
    assert raw_errors - {ModelFileError}, "NumPy raised nothing: the damage is not what the issue saw"


def test_a_header_tokenize_error_is_translated(tmp_path, official_registry, model):
    """The issue's case: one flipped byte makes NumPy's header parser raise tokenize.TokenError or SyntaxError."""
    contents = members(model)
    data = bytearray(contents["params.npy"])
    at = data.index(b"(")  # the shape's opening parenthesis: an unbalanced literal
    data[at : at + 1] = b" "
    path = write_zip(tmp_path / "token.npz", {**contents, "params.npy": bytes(data)})
    with np.load(path, allow_pickle=False) as archive, pytest.raises((tokenize.TokenError, SyntaxError, ValueError)):
        archive["params"]
    refused(path, official_registry, "'params.npy'", "damaged")


def test_a_header_nested_deeply_is_a_model_file_error(tmp_path, official_registry, model):
    """A shape nested thousands of levels deep (within NumPy's 10000-byte header limit) is refused, not a RecursionError."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * 3000 + ")" * 3000 + "}"
    data = np.lib.format.magic(1, 0) + struct.pack("<H", len(header) + 1) + header.encode() + b"\n"
    path = with_member(model, tmp_path / "deep.npz", "params.npy", data)
    refused(path, official_registry, "'params.npy'")


@pytest.mark.parametrize(
    "array, fragment",
    [
        (np.zeros(N_PARAMS + 1), f"({N_PARAMS + 1},)"),
        (np.zeros((N_PARAMS, 1)), f"({N_PARAMS}, 1)"),
        (np.zeros(N_PARAMS, dtype=np.float32), "float32"),
        (np.zeros(N_PARAMS, dtype=">f8"), ">f8"),
        (np.zeros(N_PARAMS, dtype=np.int64), "int64"),
        (np.full(N_PARAMS, np.nan), "NaN"),
        (np.full(N_PARAMS, -np.inf), "NaN or infinite"),
    ],
    ids=["longer", "2-d", "float32", "big-endian", "int64", "nan", "inf"],
)
@pytest.mark.parametrize("member", ["params.npy", "optimizer.m.npy"])
def test_arrays_that_do_not_fit_the_network_are_refused_naming_the_member(
    tmp_path, official_registry, model, member, array, fragment
):
    """params and the optimizer's moments of the wrong shape, dimension or dtype, or non-finite: refused on load."""
    path = with_member(model, tmp_path / "moments.npz", member, npy(array))
    refused(path, official_registry, repr(member), fragment)


def test_an_object_array_member_is_refused_without_unpickling(tmp_path, official_registry, model):
    """An object array in an optimizer member is refused from its header: pickled data is never read."""
    buffer = io.BytesIO()
    np.save(buffer, np.array([object()] * 2, dtype=object), allow_pickle=True)
    path = with_member(model, tmp_path / "objects.npz", "optimizer.m.npy", buffer.getvalue())
    refused(path, official_registry, "'optimizer.m.npy'", "pickled")


# -- 3. the configuration -------------------------------------------------------------------------


def _set(*keys: Any, value: Any) -> Callable[[Dict[str, Any]], None]:
    def edit(config: Dict[str, Any]) -> None:
        place = config
        for key in keys[:-1]:
            place = place[key]
        place[keys[-1]] = value

    return edit


def _drop(key: str) -> Callable[[Dict[str, Any]], None]:
    return lambda config: config.pop(key)


def _layers(layers: Any) -> Callable[[Dict[str, Any]], None]:
    def edit(config: Dict[str, Any]) -> None:
        config["layers"] = layers
        config.pop("n_params")

    return edit


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (_set("optimizer_arrays", value=0), "'optimizer_arrays' must be an array"),
        (_set("optimizer_arrays", value=["m", "m"]), "more than once"),
        (_set("optimizer_arrays", value=["../m", "v"]), "an array's name"),
        (_set("components", "hidden_activation", value=[]), "lists 0 activations for 1 hidden layers"),
        (_set("components", "hidden_activation", value=["relu"]), "components['hidden_activation'][0] must be"),
        (_set("components", "loss", "name", value=["categorical_crossentropy"]), "['name'] must be a string"),
        (_set("components", "loss", value=["categorical_crossentropy"]), "components['loss'] must be a JSON object"),
        (_set("components", "optimizer", "params", value=[0.1]), "['params'] must be an object"),
        (_set("components", "optimizer", "colour", value="red"), "unknown key 'colour'"),
        (_set("components", "extra_role", value={"name": "x"}), "unknown role 'extra_role'"),
        (_set("extra", value=1), "unknown key 'extra'"),
        (_layers([10**30, 10]), "layer size"),
        (_layers([0, 2]), "layer size"),
        (_layers([True, 2]), "layer size"),
        (_layers([4.0, 3, 2]), "layer size"),
        (_layers([4]), "2 to"),
        (_layers("4-3-2"), "2 to"),
        (_set("n_params", value=24), "'n_params' is 24, but layers [4, 3, 2] have 23"),
        (_set("dtype", value="float16"), "'dtype' must be one of"),
        (_set("updates", value=-1), "'updates' must be a count >= 0"),
        (_set("updates", value=True), "'updates' must be an integer"),
        (_set("optimizer_state", "step", value=[1]), "optimizer_state['step'] must be a plain value"),
        (_set("optimizer_state", "m", value=1), "both as arrays and as scalars"),
        (_set("history", "loss", value=["0.5", 0.4]), "history['loss'] must be one of finite numbers or null"),
        (_set("history", "loss", value=[True, 0.4]), "history['loss']"),
        (_set("history", "loss", value=0.5), "history['loss'] must be an array"),
        (_set("history", "epoch_time", value=[None, 0.1]), "history['epoch_time'] must be one of finite numbers"),
        (_set("history", value=[1.0]), "'history' must be an object"),
        (_set("schedule_state", value=[1]), "'schedule_state' must be an object"),
        (_drop("rng"), "'rng' is missing"),
        (_drop("components"), "'components' is missing"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_configuration_value_of_the_wrong_type_or_range_is_refused(
    tmp_path, official_registry, model, edit, fragment
):
    """Each damaged value is named in a ModelFileError before anything is built (no TypeError, no IndexError)."""
    path = with_config(model, tmp_path / "config.npz", edit)
    refused(path, official_registry, "configuration is incomplete or damaged", fragment)
    with pytest.raises(ModelFileError, match="incomplete or damaged"):
        read_model_config(path)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[" * 100_000 + "]" * 100_000, "deeper than"),
        ('{"history": {"loss": ' + "[" * 20 + "]" * 20 + "}}", "deeper than"),
        ('{"format": NaN}', "NaN"),
        ('{"format": -Infinity}', "Infinity"),
        ('{"format": 1e999}', "infinity"),
        ('{"format": ' + "9" * 5000 + "}", "digits"),
        ('{"format": "npnet-model", "format": "npnet-model"}', "repeats the keys ['format']"),
        ("{not json", "not valid JSON"),
    ],
    ids=["deep", "deep-history", "nan", "infinity", "overflow", "long-int", "duplicate-key", "invalid"],
)
def test_json_beyond_its_bounds_is_refused(tmp_path, official_registry, model, text, fragment):
    """Deep nesting (a RecursionError in json), NaN, huge numbers, duplicate keys: ModelFileError naming 'config'."""
    path = with_config_text(model, tmp_path / "json.npz", text)
    refused(path, official_registry, "'config'", fragment)


def test_a_config_that_is_not_utf32_text_is_refused(tmp_path, official_registry, model):
    """A unicode array holding code points beyond U+10FFFF (NumPy makes strings Python cannot hold) is refused."""
    header = {"descr": "<U1", "fortran_order": False, "shape": ()}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    buffer.write(b"\xff\xff\xff\xff")
    path = with_member(model, tmp_path / "codepoints.npz", "config.npy", buffer.getvalue())
    refused(path, official_registry, "'config' is not valid JSON")


def test_a_config_larger_than_its_bound_is_refused_before_it_is_read(tmp_path, official_registry, model, monkeypatch):
    """The config member's declared size is bounded before it is decompressed (here lowered to 16 MiB)."""
    monkeypatch.setattr(model_files, "CONFIG_LIMIT", 16 * 2**20)
    config = config_of(model)
    config["history"]["loss"] = [0.123456789012345] * 300_000  # 17 characters each: about 20 MB as UTF-32
    path = with_config_text(model, tmp_path / "huge.npz", json.dumps(config))
    count = DecompressorCount(monkeypatch)
    write_zip(path, members(path), method=zipfile.ZIP_DEFLATED)
    refused(path, official_registry, "'config.npy'", "a model configuration allows at most")
    assert count.calls == 0


def test_history_with_nulls_loads_as_nan_and_info_reads_it(tmp_path, official_registry, model):
    """The control for the history checks: null (an epoch without the metric) is accepted and read as NaN."""
    path = with_config(model, tmp_path / "nulls.npz", _set("history", "val_loss", value=[None, 0.5]))
    loaded = NeuralNetwork.load(path, registry=official_registry)
    assert math.isnan(loaded.history["val_loss"][0]) and loaded.history["val_loss"][1] == 0.5
    assert read_model_config(path)["history"]["val_loss"] == [None, 0.5]


def test_an_optimizer_refusing_its_state_is_named(tmp_path, official_registry, model):
    """The optimizer's own load_state_dict refusal (here a negative step) is a ModelFileError naming it."""
    path = with_config(model, tmp_path / "step.npz", _set("optimizer_state", "step", value=-3))
    refused(path, official_registry, "the optimizer 'adam' (from npnet-adam) refuses the saved state")


def test_a_component_refusing_its_saved_parameters_is_a_model_file_error(tmp_path, official_registry, model):
    """A saved hyperparameter out of range: the component's own message, as a ModelFileError naming the file."""
    path = with_config(model, tmp_path / "lr.npz", _set("components", "optimizer", "params", "learning_rate", value=-1))
    refused(path, official_registry, "the saved configuration is refused", "learning_rate")


# -- 4. the random generator's state ---------------------------------------------------------------


def mt19937(key: Any = None, pos: Any = 10) -> Dict[str, Any]:
    return {"bit_generator": "MT19937", "state": {"key": [1] * 624 if key is None else key, "pos": pos}}


def pcg(name: str = "PCG64", **changes: Any) -> Dict[str, Any]:
    state = {"bit_generator": name, "state": {"state": 5, "inc": 7}, "has_uint32": 0, "uinteger": 0}
    state["state"].update({k: v for k, v in changes.items() if k in ("state", "inc")})
    state.update({k: v for k, v in changes.items() if k not in ("state", "inc")})
    return state


def philox(**changes: Any) -> Dict[str, Any]:
    state = {
        "bit_generator": "Philox",
        "state": {"counter": [1, 2, 3, 4], "key": [5, 6]},
        "buffer": [0, 0, 0, 0],
        "buffer_pos": 4,
        "has_uint32": 0,
        "uinteger": 0,
    }
    state.update(changes)
    return state


def sfc64(values: Any = (1, 2, 3, 4)) -> Dict[str, Any]:
    return {"bit_generator": "SFC64", "state": {"state": list(values)}, "has_uint32": 0, "uinteger": 0}


@pytest.mark.parametrize(
    "state, fragment",
    [
        (mt19937(pos=1_000_000), "rng['state']['pos'] must be an integer in [0, 624]"),  # the issue's segfault
        (mt19937(pos=-5), "rng['state']['pos'] must be an integer in [0, 624]"),  # reads before the state
        (mt19937(pos=625), "[0, 624]"),
        (mt19937(pos=1.0), "[0, 624]"),
        (mt19937(key=[1] * 623), "624 integers"),
        (mt19937(key=[2**32] + [1] * 623), "624 integers in [0, 2**32)"),
        (mt19937(key=[-1] + [1] * 623), "624 integers"),
        (mt19937(key=[0x7FFFFFFF] + [0] * 623), "only zeros"),
        ({**mt19937(), "has_uint32": 0}, "exactly the keys"),
        (pcg(state=2**128), "[0, 2**128)"),
        (pcg(state=-1), "[0, 2**128)"),
        (pcg(state=1.5), "[0, 2**128)"),
        (pcg(inc=8), "odd integer"),
        (pcg("PCG64DXSM", inc=2**128 + 1), "odd integer"),
        (pcg(has_uint32=2), "0 or 1"),
        (pcg(uinteger=2**32), "[0, 2**32)"),
        (pcg(uinteger=-1), "[0, 2**32)"),
        (pcg(extra=1), "exactly the keys"),
        ({"bit_generator": "PCG64", "state": {"state": 5, "inc": 7}}, "exactly the keys"),
        (philox(buffer_pos=5), "[0, 4]"),
        (philox(buffer_pos=-1), "[0, 4]"),
        (philox(buffer=[0, 0, 0]), "4 integers"),
        (philox(state={"counter": [1, 2, 3], "key": [5, 6]}), "4 integers"),
        (philox(state={"counter": [1, 2, 3, 4], "key": [5, 2**64]}), "2 integers in [0, 2**64)"),
        (sfc64((1, 2, 3)), "4 integers"),
        (sfc64((1, 2, 3, "4")), "4 integers"),
        ({"bit_generator": "Xoshiro256", "state": {}}, "unknown random bit generator"),
        ({"bit_generator": ["MT19937"]}, "unknown random bit generator"),
        ([1, 2], "rng must be a JSON object"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_generator_state_breaking_its_invariants_is_refused(tmp_path, official_registry, model, state, fragment):
    """No state from a file reaches NumPy unchecked: each bit generator's invariants, key by key."""
    path = with_config(model, tmp_path / "rng.npz", _set("rng", value=state))
    refused(path, official_registry, fragment)


@pytest.mark.parametrize(
    "state",
    # Philox's buffer_pos: NumPy 2.0 accepts 0 to 4, newer NumPy 1 to 4; 4 is an edge in both
    [mt19937(pos=624), mt19937(pos=0), pcg(), pcg("PCG64DXSM", inc=2**128 - 1), philox(buffer_pos=4), sfc64()],
    ids=["mt-pos-624", "mt-pos-0", "pcg64", "pcg64dxsm", "philox-pos-4", "sfc64"],
)
def test_a_generator_state_at_the_edge_of_its_invariants_loads_and_draws_as_numpy(
    tmp_path, official_registry, model, state
):
    """The control: states at the bounds load, and draw what NumPy's own generator in that state draws."""
    path = with_config(model, tmp_path / "edge.npz", _set("rng", value=state))
    loaded = NeuralNetwork.load(path, registry=official_registry)
    reference = getattr(np.random, state["bit_generator"])()
    reference.state = state
    assert np.array_equal(loaded.rng.random(2000), np.random.Generator(reference).random(2000))


def test_the_issues_mt19937_state_never_reaches_fit(tmp_path, official_registry, model):
    """The issue's reproducer in a subprocess: load refuses the file, so fit never runs on it (no exit 139)."""
    path = with_config(model, tmp_path / "crash.npz", _set("rng", value=mt19937(pos=1_000_000)))
    child = textwrap.dedent(
        f"""
        import numpy as np
        from npnet_core import ModelFileError, NeuralNetwork
        try:
            net = NeuralNetwork.load({str(path)!r})
        except ModelFileError as exc:
            print("refused:", exc)
        else:
            net.fit(np.zeros((64, 4)), np.eye(2)[np.arange(64) % 2], 8, 3, verbose=0)
            print("trained")
        """
    )
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused:") and "[0, 624]" in result.stdout


# -- 5. memory: nothing is allocated from a declared size before it is checked ----------------------

MEMORY_CHILD = """
import os, resource, sys
import numpy as np
from npnet_core import ModelFileError, NeuralNetwork
NeuralNetwork([4, 3, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=0)  # warm up the plugins
size = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = size + int(1.5 * 2**30)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    if sys.argv[1] == "params":
        NeuralNetwork([4, 3, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=0).load_params(sys.argv[2])
    else:
        NeuralNetwork.load(sys.argv[2])
except ModelFileError as exc:
    print("ModelFileError:", exc)
except MemoryError:
    print("MemoryError")
else:
    print("loaded")
"""


def load_under_a_memory_limit(kind: str, path: Path) -> str:
    """Load ``path`` in a subprocess limited to 1.5 GiB of address space over its baseline; what it printed."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, kind, str(path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "MemoryError" not in result.stdout, result.stdout  # not even wrapped: nothing was allocated
    return result.stdout


def huge_npy_header(shape: tuple) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buffer.getvalue()


memory_tests = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="measures address space with /proc and RLIMIT_AS"
)


@memory_tests
def test_a_parameter_file_declaring_10_to_the_11_values_allocates_nothing(tmp_path, official_registry):
    """A 128-byte .npy whose header declares shape (10**11,): NumPy runs out of memory; npnet refuses it."""
    path = tmp_path / "huge.npy"
    path.write_bytes(huge_npy_header((10**11,)))
    assert path.stat().st_size == 128
    with pytest.raises(ModelFileError, match=r"shape \(100000000000,\)"):
        NeuralNetwork(LAYERS, "relu", "softmax", "mse", "sgd", seed=0, registry=official_registry).load_params(path)
    assert load_under_a_memory_limit("params", path).startswith("ModelFileError:")
    np_error = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD.split("try:")[0] + f"np.load({str(path)!r})"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "MemoryError" in np_error.stderr  # NumPy allocates 800 GB for it


@memory_tests
@pytest.mark.parametrize(
    "layers", [[20000, 20000], [10**9, 10], [200000, 20000, 10]], ids=["20000x20000", "1e9x10", "200000x20000"]
)
def test_a_model_declaring_huge_layers_is_refused_before_allocating(tmp_path, model, layers):
    """A small file declaring layers of GBs: refused under a 1.5 GiB limit with a ModelFileError, not a MemoryError."""
    path = with_config(model, tmp_path / "huge.npz", _layers(layers))
    assert path.stat().st_size < 100_000
    printed = load_under_a_memory_limit("model", path)
    assert printed.startswith("ModelFileError:") and "the file is inconsistent" in printed, printed


@memory_tests
def test_a_model_whose_params_member_declares_gigabytes_is_refused_before_allocating(tmp_path, model):
    """Layers and the params header agree on 3.2 GB, but the file holds no such data: refused, under the limit."""
    path = with_config(model, tmp_path / "liar.npz", _layers([20000, 20000]))
    write_zip(path, {**members(path), "params.npy": huge_npy_header((20000 * 20000 + 20000,))})
    printed = load_under_a_memory_limit("model", path)
    assert printed.startswith("ModelFileError:") and "'params.npy') is truncated" in printed, printed


@memory_tests
@pytest.mark.slow
def test_a_zip_bomb_member_is_refused_under_the_memory_limit(tmp_path, model):
    """An extra member of 2 GB of zeros deflated to 2 MB: NumPy would inflate it; npnet refuses it by name."""
    contents = members(model)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        with archive.open("bomb.npy", "w", force_zip64=True) as member:
            member.write(huge_npy_header((2**28,)))
            zeros = bytes(2**24)
            for _ in range(2**31 // len(zeros)):
                member.write(zeros)
    assert path.stat().st_size < 5 * 2**20
    printed = load_under_a_memory_limit("model", path)
    assert printed.startswith("ModelFileError:") and "bomb.npy" in printed, printed


@memory_tests
def test_a_valid_model_loads_under_the_memory_limit(model):
    """The control: the memory limit leaves room for an ordinary model."""
    assert load_under_a_memory_limit("model", model) == "loaded\n"


# -- 6. parameter files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, fragment",
    [
        (huge_npy_header((10**11,)), "shape (100000000000,)"),
        (huge_npy_header((N_PARAMS,)), "truncated"),
        (npy(np.zeros(N_PARAMS)) + b"extra", "bytes too many"),
        (npy(np.zeros(N_PARAMS))[:8] + b"\xff\xff" + npy(np.zeros(N_PARAMS))[10:], "damaged or truncated"),
        (npy(np.zeros(N_PARAMS)).replace(b"'shape'", b"'shap\xe9'"), "damaged or truncated"),
        (np.lib.format.magic(3, 0) + npy(np.zeros(N_PARAMS))[8:], "format version 3.0"),
        (npy(np.full(N_PARAMS, np.nan)), "NaN or infinite"),
    ],
    ids=["huge-shape", "no-data", "trailing-bytes", "huge-header-length", "latin1-header", "version-3", "nan"],
)
def test_a_damaged_parameter_file_is_refused_naming_it(tmp_path, official_registry, data, fragment):
    """load_params checks the header against the network before reading, and reads exactly what it declares."""
    path = tmp_path / "w.npy"
    path.write_bytes(data)
    net = NeuralNetwork(LAYERS, "relu", "softmax", "mse", "sgd", seed=0, registry=official_registry)
    before = net.params.tobytes()
    with pytest.raises(ModelFileError if fragment != "NaN or infinite" else ValueError) as excinfo:
        net.load_params(path)
    assert "w.npy" in str(excinfo.value) and fragment in str(excinfo.value), str(excinfo.value)
    assert net.params.tobytes() == before


def test_a_float32_parameter_file_still_loads_into_a_float64_network(tmp_path, official_registry):
    """The control: real numbers of another dtype are converted, as before."""
    net = NeuralNetwork(LAYERS, "relu", "softmax", "mse", "sgd", seed=0, registry=official_registry)
    values = np.arange(N_PARAMS, dtype=np.float32) / 10
    np.save(tmp_path / "w.npy", values)
    net.load_params(tmp_path / "w.npy")
    assert np.array_equal(net.params, values.astype(np.float64))


# -- 7. files that are not regular files -------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_given_as_a_model_or_parameter_file_is_refused_without_blocking(tmp_path):
    """A FIFO (nobody writing to it) would block open() forever: it is refused from its stat, in a subprocess with a timeout."""
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    child = textwrap.dedent(
        f"""
        from npnet_core import ModelFileError, NeuralNetwork
        from npnet_core.io import read_model_config
        net = NeuralNetwork([4, 3, 2], "relu", "softmax", "mse", "sgd", seed=0)
        for load in (NeuralNetwork.load, net.load_params, read_model_config):
            try:
                load({str(fifo)!r})
            except ModelFileError as exc:
                print(exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    lines = result.stdout.splitlines()
    assert len(lines) == 3, (result.stdout, result.stderr)
    assert all(str(fifo) in line and "named pipe (FIFO)" in line for line in lines)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_given_as_a_model_or_parameter_file_is_refused(official_registry):
    """A character device (endless zeros) is refused before it is read."""
    net = NeuralNetwork(LAYERS, "relu", "softmax", "mse", "sgd", seed=0, registry=official_registry)
    for load in (lambda p: NeuralNetwork.load(p, registry=official_registry), net.load_params, read_model_config):
        with pytest.raises(ModelFileError, match="/dev/zero is a character device, not a regular file"):
            load("/dev/zero")


def test_a_folder_given_as_a_model_file_is_refused(tmp_path, official_registry):
    with pytest.raises(ModelFileError, match="is a folder, not a model file"):
        NeuralNetwork.load(tmp_path, registry=official_registry)


@pytest.mark.parametrize("name", ["a\0b.npz", "x" * 5000 + ".npz"], ids=["nul", "too-long"])
def test_a_path_that_cannot_name_a_file_is_a_model_file_error(tmp_path, official_registry, name):
    """A NUL in the name (a ValueError from os.stat) or a name too long (ENAMETOOLONG): a ModelFileError."""
    net = NeuralNetwork(LAYERS, "relu", "softmax", "mse", "sgd", seed=0, registry=official_registry)
    for load in (lambda p: NeuralNetwork.load(p, registry=official_registry), net.load_params, read_model_config):
        with pytest.raises(ModelFileError, match="cannot read the (model|parameter) file"):
            load(str(tmp_path / name))


def test_a_generator_state_numpy_itself_refuses_is_a_model_file_error(tmp_path, official_registry, model):
    """Whatever passes npnet's checks but not this NumPy's (Philox buffer_pos 0 in NumPy > 2.0) is still typed."""
    state = philox(buffer_pos=0)
    try:
        np.random.Philox().state = state
    except ValueError:
        path = with_config(model, tmp_path / "edge.npz", _set("rng", value=state))
        refused(path, official_registry, "random generator")
    else:
        pytest.skip("this NumPy accepts buffer_pos=0")


def test_what_save_writes_load_reads_or_save_refuses(tmp_path, official_registry):
    """A long history saves and loads; a parameter beyond the reader's bounds is refused by save, typed, not written."""
    net = NeuralNetwork(
        [2, 2], "relu", "softmax", "categorical_crossentropy", "adam", seed=0, registry=official_registry
    )
    net.history = {"loss": [0.12345678901234567] * 250_000, "epoch_time": [0.0012345678901234567] * 250_000}
    loaded = NeuralNetwork.load(net.save(tmp_path / "long.npz"), registry=official_registry)
    assert loaded.history == net.history
    odd = NeuralNetwork(
        [2, 3, 2], "relu", "softmax", "categorical_crossentropy", "adam", registry=official_registry,
        schedule=("step", {"step_size": 10**60}),
    )  # fmt: skip
    with pytest.raises(ModelFileError, match="cannot save the model: it would not load back, as .*61 digits"):
        odd.save(tmp_path / "odd.npz")
    assert not (tmp_path / "odd.npz").exists()


@pytest.mark.parametrize("key", ["name", "distribution", "version"])
def test_control_characters_in_a_component_are_refused(tmp_path, official_registry, model, key):
    """Names, distributions and versions are printed in tables and messages: no escape sequences, no new lines."""

    def edit(config: Dict[str, Any]) -> None:
        config["components"]["loss"][key] = "evil\x1b[2J\nfake line"

    path = with_config(model, tmp_path / "escape.npz", edit)
    refused(path, official_registry, f"components['loss']['{key}'] must be printable text")
