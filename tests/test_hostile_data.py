"""Hostile data files (issue 12): every loader answers a crafted file with a typed npnet error naming it.

Each crafted file below is written byte by byte here, with the error it must
give; the same catalogue goes through ``load_data`` and through
``npnet train --data`` (one line on stderr, exit 1). Files that could hang a
reader (a FIFO, ``/dev/zero``) and files whose point is memory (a zip bomb, a
size declared larger than the archive) run in a subprocess, under a timeout
and an address-space limit (``resource.setrlimit``).
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import pytest

from npnet_core import ValidationError
from npnet_core.cli import main
from npnet_core.datasets import (
    DataFileError,
    load_array,
    load_csv,
    load_data,
    load_mnist,
    load_npz,
    read_csv,
    read_idx,
)

IDX_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D, "float64": 0x0E}
READERS = {
    "load_data": load_data,
    "load_array": load_array,
    "load_npz": load_npz,
    "load_csv": load_csv,
    "read_csv": read_csv,
    "read_idx": read_idx,
}
#: the csv module's limit on one cell, which the first crafted CSV files exceed
FIELD_LIMIT = 131072


# -- writing crafted files -----------------------------------------------------------------------


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def idx_bytes(dtype: str, shape: Tuple[int, ...], payload: bytes = b"") -> bytes:
    """An IDX header declaring ``shape`` of ``dtype`` (whatever the payload), then ``payload``."""
    return bytes([0, 0, IDX_CODES[dtype], len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


def idx_array(array: np.ndarray) -> bytes:
    """A well-formed IDX file of ``array``."""
    return idx_bytes(array.dtype.name, array.shape, array.astype(array.dtype.newbyteorder(">")).tobytes())


def npy_bytes(header: str, payload: bytes = b"") -> bytes:
    """A version 1.0 ``.npy`` whose header dictionary is the text ``header`` (padded as NumPy pads it)."""
    text = header.encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + payload


def npy_of(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def zip_of(members: Dict[str, bytes], deflated: Tuple[str, ...] = ()) -> bytes:
    """A zip archive of ``members`` (name -> bytes), the ``deflated`` ones compressed, the others stored."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED if name in deflated else zipfile.ZIP_STORED)
    return buffer.getvalue()


#: (offset in a local file header, offset in a central directory entry, struct format) of the fields patched
ZIP_FIELDS = {"flags": (6, 8, "<H"), "method": (8, 10, "<H"), "size": (22, 24, "<I")}


def patch_member(data: bytes, name: str, field: str, value: int) -> bytes:
    """``data`` (a zip) with ``field`` of member ``name`` set to ``value``, in its local header and its directory entry."""
    patched = bytearray(data)
    local, central, form = ZIP_FIELDS[field]
    found = 0
    for signature, name_at, offset in ((b"PK\x03\x04", 30, local), (b"PK\x01\x02", 46, central)):
        start = patched.find(signature)
        while start >= 0:
            if patched[start + name_at : start + name_at + len(name)] == name.encode():
                struct.pack_into(form, patched, start + offset, value)
                found += 1
            start = patched.find(signature, start + 1)
    assert found == 2, f"member {name} not found in both headers"
    return bytes(patched)


class Marker:
    """Unpickling this creates the file at ``path``: proof that a pickle ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


XY = {"x.npy": npy_of(np.arange(6.0).reshape(3, 2)), "y.npy": npy_of(np.array([0, 1, 0]))}
DOUBLES = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }"
#: a header announcing 3 GB of doubles, and the size a zip member holding them declares (which a crafted one fakes)
BIG_HEADER = npy_bytes(DOUBLES % "(375000000,)")
BIG_SIZE = len(BIG_HEADER) + 8 * 375000000

#: name -> (bytes of the file, what the error says); each goes through load_data and npnet train --data
CRAFTED: Dict[str, Tuple[bytes, str]] = {
    # IDX: sizes computed in Python integers; the np.int64 product of (65536,) * 4 wraps to 0, so a bare header
    # looked like a complete empty file
    "idx-product-overflows-uint32s": (
        idx_bytes("uint8", (2**32 - 1,) * 4, b"\0" * 10),
        f"is truncated: its header announces shape {(2**32 - 1,) * 4} of uint8, {20 + (2**32 - 1) ** 4} bytes",
    ),
    "idx-product-wraps-int64-to-zero": (
        idx_bytes("float64", (65536,) * 4),
        f"is truncated: its header announces shape {(65536,) * 4} of float64, {20 + 8 * 2**64} bytes in all, "
        "but it holds 20 bytes",
    ),
    "idx-truncated": (idx_bytes("uint8", (3, 2), b"\1" * 5), "is truncated: its header announces shape (3, 2)"),
    "idx-extra-data": (idx_bytes("uint8", (3, 2), b"\1" * 7), "has 1 bytes too many"),
    "idx-zero-samples": (idx_bytes("uint8", (0, 28, 28)), "holds no samples (the inputs: shape (0, 28, 28))"),
    "idx-zero-width": (idx_bytes("uint8", (5, 0)), "every sample of the inputs is empty (shape (5, 0))"),
    "idx-nan": (idx_array(np.array([[1, np.nan]], dtype=np.float32)), "holds NaN or infinity (first at sample 0"),
    # a wrong magic number or element type is not IDX, so it is read as a table: binary, not text
    "idx-wrong-magic": (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "is not a CSV text file: line 1 holds a NUL byte"),
    "idx-unknown-type": (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "is not a CSV text file: line 1 holds a NUL byte"),
    # .npy: the header's shape against the bytes that are there, before anything is allocated
    "npy-declares-10**11-doubles": (
        npy_bytes(DOUBLES % "(100000000000,)", b"\0" * 8),
        "the file is truncated: its header announces shape (100000000000,) of float64, 800000000128 bytes",
    ),
    "npy-extra-data": (npy_of(np.ones(2)) + b"\0", "the file has 1 bytes too many"),
    "npy-zero-samples": (npy_of(np.zeros((0, 3))), "holds no samples (the inputs: shape (0, 3))"),
    "npy-negative-shape": (npy_bytes(DOUBLES % "(-1,)"), "declares shape (-1,) of float64, which holds no numbers"),
    "npy-object-array": (
        npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", pickle.dumps([1])),
        "holds Python objects (pickled); npnet never unpickles files",
    ),
    "npy-header-unterminated-string": (
        npy_bytes("{'descr: '<f8', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
        "the file is not a readable .npy array (its header is damaged",
    ),
    "npy-header-nested-deeply": (
        npy_bytes("{'descr': " + "[" * 3000 + "]" * 3000 + ", 'fortran_order': False, 'shape': (1,), }"),
        "the file is not a readable .npy array (its header is damaged",
    ),
    "npy-format-version-9": (
        npy_of(np.ones(2))[:6] + b"\x09" + npy_of(np.ones(2))[7:],
        "the file is a .npy array of format version 9.0; npnet reads versions 1.0 and 2.0",
    ),
    "npy-inf": (npy_of(np.array([[1.0, 2.0], [3.0, np.inf]])), "holds NaN or infinity (first at sample 1, value 1"),
    # .npz: members checked from the zip's directory before one is decompressed
    "npz-zero-samples": (
        zip_of({"x.npy": npy_of(np.zeros((0, 3))), "y.npy": npy_of(np.zeros(0))}),
        "holds no samples ('x': shape (0, 3))",
    ),
    "npz-compression-method-99": (
        patch_member(zip_of(XY), "x.npy", "method", 99),
        "the array 'x' is compressed with zip method 99",
    ),
    "npz-encrypted": (patch_member(zip_of(XY), "x.npy", "flags", 1), "the array 'x' is encrypted"),
    "npz-declares-more-than-deflate-gives": (
        patch_member(zip_of({"x.npy": BIG_HEADER + b"\0" * 64}, deflated=("x.npy",)), "x.npy", "size", BIG_SIZE),
        f"the array 'x' declares {BIG_SIZE} bytes from",
    ),
    "npz-stored-size-differs": (
        patch_member(zip_of(XY), "y.npy", "size", 10**6),
        "the array 'y' declares 1000000 bytes from",
    ),
    "npz-member-declares-10**11-doubles": (
        zip_of({"x.npy": npy_bytes(DOUBLES % "(100000000000,)", b"\0" * 8)}),
        "the array 'x' is truncated: its header announces shape (100000000000,) of float64",
    ),
    "npz-member-without-npy-magic": (
        zip_of({"x.npy": b"PK not an array at all"}),
        "the array 'x' is not a readable .npy array (its header is damaged",
    ),
    "npz-member-header-flipped-byte": (
        zip_of({"x.npy": npy_bytes("{'descr: '<f8', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8)}),
        "the array 'x' is not a readable .npy array (its header is damaged",
    ),
    "npz-member-twice": (zip_of({**XY, "y": npy_of(np.zeros(3))}), "holds the array 'y' more than once"),
    "npz-object-array": (
        zip_of({"x.npy": npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", pickle.dumps([1]))}),
        "holds Python objects (pickled); npnet never unpickles files",
    ),
    "npz-nan": (
        zip_of({"x.npy": npy_of(np.array([[0.0, np.nan]])), "y.npy": npy_of(np.array([1]))}),
        "'x' holds NaN or infinity (first at sample 0, value 1",
    ),
    "npz-truncated": (zip_of(XY)[:200], "is not a readable .npz archive (truncated or corrupt?)"),
    # CSV: the file and the line named
    "csv-cell-over-the-field-limit": (
        b"a,b\n1,2\n3," + b"7" * (FIELD_LIMIT + 10) + b"\n",
        f"line 3: a cell is longer than {FIELD_LIMIT} characters, the csv module's limit",
    ),
    "csv-quoted-cell-over-the-field-limit": (
        b'a,b\n1,"' + b"1" * (FIELD_LIMIT + 10) + b'"\n',
        f"line 2: a cell is longer than {FIELD_LIMIT} characters",
    ),
    "csv-header-over-the-field-limit": (b"a" * (FIELD_LIMIT + 10) + b",b\n1,2\n", "line 1: a cell is longer than"),
    "csv-ragged": (b"a,b,c\n1,2,3\n4,5\n", "line 3 has 2 columns where the header has 3"),
    "csv-ragged-wider": (b"1,2\n3,4,5\n", "line 2 has 3 columns where the first row has 2"),
    "csv-quote-left-open": (b'a,b\n1,2\n"3,4\n5,6\n', "lines 3-4 (one quoted cell: a quote left open?)"),
    "csv-nul-byte": (b"a,b\n1,2\n3,\x004\n", "is not a CSV text file: line 3 holds a NUL byte"),
    "csv-not-utf8": (b"a,b\n1,2\n\xff\xfe,3\n", "line 3 holds bytes that are not UTF-8 text (byte 9 of the file)"),
    "csv-latin1-header": ("café,b\n1,2\n".encode("latin1"), "line 1 holds bytes that are not UTF-8 text"),
    "csv-overflowing-number": (b"a,b\n1e999,2\n", "line 2, column 1 ('a'): '1e999' is beyond the range of float64"),
    "csv-400-digits": (b"a,b\n1,2\n" + b"9" * 400 + b",0\n", "line 3, column 1 ('a'): '99999999999999999999'..."),
    "csv-nan": (b"a,b\n1,2\nnan,0\n", "line 3, column 1 ('a') is 'nan', not a finite number"),
    "csv-minus-infinity": (b"1,2\n3,-Infinity\n", "line 2, column 2 is '-Infinity', not a finite number"),
    "csv-empty": (b"", "is empty"),
    "csv-blank-lines-only": (b"\n \n\t\n", "is empty"),
    "csv-byte-order-mark-only": (b"\xef\xbb\xbf", "is empty"),
    "csv-header-only": (b"a,b\n", "has a header row but no data rows"),
    "csv-single-column": (b"a\n1\n2\n", "has a single column: there would be no input left beside the labels"),
    "csv-gzip-truncated": (gzip.compress(b"a,b\n1,2\n" * 100)[:30], "is a damaged or truncated gzip file"),
    "pickle": (pickle.dumps({"x": 1}), "is a Python pickle; npnet never unpickles data files"),
}


def write_crafted(folder: Path) -> Dict[str, Tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (data, message) in CRAFTED.items():
        path = folder / name
        path.write_bytes(data)
        written[name] = (path, message)
    return written


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Dict[str, Tuple[Path, str]]:
    return write_crafted(tmp_path_factory.mktemp("crafted"))


def one_line(error: BaseException, path: Path) -> str:
    """The message, checked to be one line naming ``path``."""
    message = str(error)
    assert "\n" not in message and str(path) in message, message
    return message


# -- every crafted file through the loaders --------------------------------------------------------


@pytest.mark.parametrize("name", CRAFTED)
def test_every_crafted_file_is_a_data_file_error_naming_it(crafted, name):
    """load_data on each crafted file: a DataFileError naming the file, saying what is wrong, in one line."""
    path, expected = crafted[name]
    with pytest.raises(DataFileError) as error:
        load_data(path)
    assert expected in one_line(error.value, path)


@pytest.mark.parametrize("name", [name for name in CRAFTED if name.startswith(("idx", "npy", "csv"))])
def test_every_crafted_labels_file_is_a_data_file_error_naming_it(crafted, name, tmp_path):
    """The same files given as the labels of good inputs: a DataFileError naming the labels file."""
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.ones((3, 2)))
    path, _ = crafted[name]
    with pytest.raises(DataFileError) as error:
        load_data(inputs, labels=path)
    one_line(error.value, path)


def test_the_crafted_files_are_what_they_claim(tmp_path):
    """The catalogue's controls: the archive before patching loads, the patches touch only the fields named,
    NumPy's own product of the IDX sizes wraps to 0, and NumPy itself ignores bytes after an array."""
    x, y = load_npz(write_bytes(tmp_path / "control.npz", zip_of(XY)))
    assert x.tolist() == [[0, 1], [2, 3], [4, 5]] and y.tolist() == [0, 1, 0]
    for field, value in (("method", 99), ("flags", 1), ("size", 10**6)):
        patched = patch_member(zip_of(XY), "x.npy", field, value)
        with zipfile.ZipFile(io.BytesIO(patched)) as archive:
            info = archive.getinfo("x.npy")
            attribute = {"method": "compress_type", "flags": "flag_bits", "size": "file_size"}[field]
            assert getattr(info, attribute) == value
    assert int(np.prod((65536,) * 4, dtype=np.int64)) == 0
    assert np.load(io.BytesIO(npy_of(np.ones(2)) + b"\0")).tolist() == [1, 1]


# -- IDX -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape",
    [(2**32 - 1,) * 4, (65536,) * 4, (2**31, 2**31, 4), (2**32 - 1,) * 255],
    ids=["u32^4", "2^64", "2^64b", "255"],
)
def test_idx_sizes_are_computed_without_overflow(tmp_path, shape):
    """The byte count in the message is the exact Python product, whatever the dimensions (255 of them too)."""
    path = write_bytes(tmp_path / "big-idx", idx_bytes("int32", shape, b"\0" * 16))
    expected = 4 + 4 * len(shape) + 4 * math.prod(shape)
    with pytest.raises(DataFileError, match=f"of int32, {expected} bytes in all, but it holds {path.stat().st_size}"):
        read_idx(path)


def test_an_idx_file_with_a_zero_dimension_is_read_but_holds_no_samples(tmp_path):
    """read_idx returns what the file holds (no elements); the loaders refuse it as data."""
    path = write_bytes(tmp_path / "empty-idx", idx_bytes("uint8", (0, 28, 28)))
    assert read_idx(path).shape == (0, 28, 28)
    with pytest.raises(DataFileError, match=r"holds no samples"):
        load_data(path)


# -- MNIST -----------------------------------------------------------------------------------------


def write_mnist_folder(folder: Path, images: bytes, labels: bytes) -> Path:
    folder.mkdir()
    for prefix in ("train", "t10k"):
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(images)
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(labels)
    return folder


GOOD_IMAGES = idx_array(np.zeros((2, 28, 28), dtype=np.uint8))
GOOD_LABELS = idx_array(np.array([3, 1], dtype=np.uint8))
MNIST_CRAFTED = {
    "images-overflow": (idx_bytes("uint8", (2**32 - 1,) * 3), GOOD_LABELS, "images", "is truncated"),
    "images-2^64": (idx_bytes("float64", (65536, 65536, 65536, 65536)), GOOD_LABELS, "images", "is truncated"),
    "images-truncated": (GOOD_IMAGES[:-1], GOOD_LABELS, "images", "is truncated"),
    "images-extra": (GOOD_IMAGES + b"\0", GOOD_LABELS, "images", "has 1 bytes too many"),
    "images-wrong-magic": (b"\1" + GOOD_IMAGES[1:], GOOD_LABELS, "images", "is not an IDX file"),
    "images-unknown-type": (GOOD_IMAGES[:2] + b"\x07" + GOOD_IMAGES[3:], GOOD_LABELS, "images", "unknown element"),
    "images-no-dimensions": (GOOD_IMAGES[:3] + b"\0", GOOD_LABELS, "images", "with no dimensions"),
    "no-images": (idx_bytes("uint8", (0, 28, 28)), idx_bytes("uint8", (0,)), "images", "holds no images"),
    "images-of-no-pixels": (idx_bytes("uint8", (2, 0, 28)), GOOD_LABELS, "images", "holds no images"),
    "nan-pixels": (idx_array(np.full((2, 28, 28), np.nan, np.float32)), GOOD_LABELS, "images", "NaN or infinite"),
    "float-labels": (GOOD_IMAGES, idx_array(np.array([0.5, 1e30], np.float32)), "labels", "not class labels"),
    "labels-overflow": (GOOD_IMAGES, idx_bytes("int32", (2**32 - 1,) * 2), "labels", "is truncated"),
}


@pytest.mark.parametrize("case", MNIST_CRAFTED)
def test_load_mnist_refuses_crafted_idx_files(tmp_path, case):
    """load_mnist: each crafted images or labels file is a DataFileError naming that file."""
    images, labels, culprit, expected = MNIST_CRAFTED[case]
    folder = write_mnist_folder(tmp_path / "mnist", images, labels)
    with pytest.raises(DataFileError) as error:
        load_mnist(folder)
    assert expected in one_line(error.value, folder / f"train-{culprit}-idx{3 if culprit == 'images' else 1}-ubyte")


def test_load_mnist_reads_the_control_folder(tmp_path):
    """The well-formed images and labels the crafted cases start from load."""
    x, y = load_mnist(write_mnist_folder(tmp_path / "mnist", GOOD_IMAGES, GOOD_LABELS))
    assert x.shape == (2, 784) and y.tolist() == [3, 1]


# -- zero samples ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arrays",
    [
        {"x": np.zeros((0, 3))},
        {"x": np.zeros(0)},
        {"x": np.zeros((0, 3)), "y": np.zeros(0)},
        {"x": np.zeros((0, 2, 2))},
    ],
    ids=["x(0,3)", "x(0,)", "x(0,3)-y(0,)", "x(0,2,2)"],
)
@pytest.mark.parametrize("container", ["npz", "npy+npy"])
def test_zero_sample_arrays_say_the_file_holds_no_samples(tmp_path, arrays, container):
    """x with no rows, with or without an empty y: a DataFileError saying the file holds no samples."""
    if container == "npz":
        path = tmp_path / "data.npz"
        np.savez(path, **arrays)
        call = lambda: load_data(path)  # noqa: E731
    else:
        path = tmp_path / "x.npy"
        np.save(path, arrays["x"])
        np.save(tmp_path / "y.npy", arrays.get("y", np.zeros(0)))
        call = lambda: load_data(path, labels=tmp_path / "y.npy")  # noqa: E731
    with pytest.raises(DataFileError, match=r"holds no samples \(") as error:
        call()
    one_line(error.value, path)


# -- CSV, through every reader of tables -------------------------------------------------------------

CSV_CASES = [name for name in CRAFTED if name.startswith("csv-") and name != "csv-single-column"]


@pytest.mark.parametrize("reader", [read_csv, load_csv, load_data], ids=["read_csv", "load_csv", "load_data"])
@pytest.mark.parametrize("name", CSV_CASES)
def test_hostile_csv_names_the_file_and_the_line(crafted, reader, name):
    """read_csv, load_csv and load_data give the same DataFileError for each crafted table."""
    path, expected = crafted[name]
    with pytest.raises(DataFileError) as error:
        reader(path)
    assert expected in one_line(error.value, path)


def test_csv_numbers_that_are_finite_still_read(tmp_path):
    """The control: large but finite numbers, signs and exponents are read as float64."""
    path = write_bytes(tmp_path / "ok.csv", b"a,b\n1.7e308,-2\n+3,4e-320\n")
    assert read_csv(path).values.tolist() == [[1.7e308, -2], [3, 4e-320]]


# -- label_column ----------------------------------------------------------------------------------


@pytest.mark.parametrize("column", [1.5, 1.0, True, False, np.bool_(True), np.float64(1), [1.5], 1j])
@pytest.mark.parametrize("reader", [load_csv, load_data], ids=["load_csv", "load_data"])
def test_label_column_of_the_wrong_type_is_refused(tmp_path, reader, column):
    """label_column=1.5 (or a bool, a list...) is a ValidationError, not column 1, before the file is read."""
    path = write_bytes(tmp_path / "t.csv", b"a,b,c\n1,2,3\n4,5,6\n")
    with pytest.raises(ValidationError, match=r"label_column must be a column name \(str\) or a column index \(int"):
        reader(path, label_column=column)
    with pytest.raises(ValidationError, match="label_column must be"):  # before the file is read: a missing file
        reader(tmp_path / "missing.csv", label_column=column)


@pytest.mark.parametrize(
    ("column", "labels"),
    [(1, [2, 5]), (np.int64(-1), [3, 6]), ("1", [2, 5]), (" -3 ", [1, 4]), ("b", [2, 5])],
)
def test_label_column_as_int_or_text_is_taken(tmp_path, column, labels):
    """The control: an int (NumPy's too), an index written as text, a name."""
    path = write_bytes(tmp_path / "t.csv", b"a,b,c\n1,2,3\n4,5,6\n")
    assert load_data(path, label_column=column)[1].tolist() == labels


@pytest.mark.parametrize("column", ["1.5", "1_0", "\uff11", "9" * 40])
def test_label_column_text_that_int_would_bend_is_a_name(tmp_path, column):
    """'1.5', '1_0' (int() says 10) and a full-width digit are names, not indices: no such column."""
    path = write_bytes(tmp_path / "t.csv", b"a,b,c\n1,2,3\n4,5,6\n")
    with pytest.raises(DataFileError, match="has no column named"):
        load_data(path, label_column=column)


# -- paths and the OS errors behind them -------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_too_long_file_name_is_a_data_file_error_naming_it(tmp_path, reader):
    """ENAMETOOLONG (a 300-character name, or a path of 5000 characters): a DataFileError naming the path."""
    for path in (tmp_path / ("a" * 300), tmp_path.joinpath(*["b" * 200] * 25)):
        with pytest.raises(DataFileError) as error:
            reader(path)
        one_line(error.value, path)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_loop_of_symbolic_links_is_a_data_file_error_naming_it(tmp_path, reader):
    """ELOOP: a DataFileError naming the link."""
    os.symlink(tmp_path / "two", tmp_path / "one")
    os.symlink(tmp_path / "one", tmp_path / "two")
    with pytest.raises(DataFileError) as error:
        reader(tmp_path / "one")
    assert os.strerror(errno.ELOOP) in one_line(error.value, tmp_path / "one")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a file of mode 000")
@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_file_without_read_permission_is_a_data_file_error_naming_it(tmp_path, reader):
    """EACCES for real (chmod 000): a DataFileError saying permission denied."""
    path = write_bytes(tmp_path / "locked.csv", b"a,b\n1,2\n")
    path.chmod(0)
    try:
        with pytest.raises(DataFileError, match="permission denied") as error:
            reader(path)
    finally:
        path.chmod(0o600)
    one_line(error.value, path)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_paths_that_cannot_name_a_file_are_refused(reader):
    """A NUL character: a DataFileError; not a path at all (None, bytes, a number): a ValidationError."""
    with pytest.raises(DataFileError, match=r"a path cannot hold the character NUL"):
        reader("data\0.csv")
    for value in (None, b"data.csv", 3):
        with pytest.raises(ValidationError, match=r"must be a path \(a str or a pathlib.Path\)"):
            reader(value)


def test_load_data_checks_the_labels_path_too(tmp_path):
    """The labels path is checked the same way, named as the labels file."""
    path = write_bytes(tmp_path / "x.npy", npy_of(np.ones((2, 2))))
    with pytest.raises(ValidationError, match="the labels file must be a path"):
        load_data(path, labels=3)
    with pytest.raises(DataFileError, match=f"cannot read the labels file {tmp_path / ('a' * 300)}"):
        load_data(path, labels=tmp_path / ("a" * 300))


def test_load_mnist_folder_errors_are_typed(tmp_path):
    """The MNIST folder: too long a name, a loop of links, NUL: typed errors naming the folder."""
    for folder in (tmp_path / ("m" * 300), tmp_path / "loop"):
        if folder.name == "loop":
            os.symlink(folder, folder)
        with pytest.raises(DataFileError) as error:
            load_mnist(folder)
        one_line(error.value, folder)
    with pytest.raises(DataFileError, match="NUL"):
        load_mnist("mnist\0")


# -- files that could hang a reader: a FIFO, /dev/zero (in a subprocess, under a timeout) -----------

HANG_CHILD = textwrap.dedent(
    """
    import json, sys, time
    from npnet_core import datasets
    for name, function, args, kwargs in json.loads(sys.argv[1]):
        start = time.monotonic()
        try:
            getattr(datasets, function)(*args, **kwargs)
            outcome = "returned"
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        print(json.dumps([name, outcome, time.monotonic() - start]), flush=True)
    """
)


def run_child(script: str, argument: str, timeout: float, env: Optional[Dict[str, str]] = None) -> List[list]:
    """Run ``script`` in a fresh interpreter; its JSON lines, or a failure naming the case it hung on."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, argument],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        done = [json.loads(line)[0] for line in out.splitlines()]
        pytest.fail(f"the reader hung ({timeout} s) after {done}; stderr: {err[-2000:]}")
    assert process.returncode == 0, err[-3000:]
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_or_dev_zero_given_as_data_is_refused_at_once(tmp_path):
    """A FIFO nobody writes to, /dev/zero, as data, labels, CSV, IDX or an MNIST file: a DataFileError within 1 s."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    mnist = write_mnist_folder(tmp_path / "mnist", GOOD_IMAGES, GOOD_LABELS)
    (mnist / "train-images-idx3-ubyte").unlink()
    os.mkfifo(mnist / "train-images-idx3-ubyte")
    inputs = write_bytes(tmp_path / "x.npy", npy_of(np.ones((2, 2))))
    cases = [
        ("load_data FIFO", "load_data", [str(fifo)], {}),
        ("labels FIFO", "load_data", [str(inputs)], {"labels": str(fifo)}),
        ("read_csv FIFO", "read_csv", [str(fifo)], {}),
        ("read_idx FIFO", "read_idx", [str(fifo)], {}),
        ("load_npz FIFO", "load_npz", [str(fifo)], {}),
        ("MNIST images FIFO", "load_mnist", [str(mnist)], {}),
    ]
    if os.path.exists("/dev/zero"):
        cases += [
            ("load_data /dev/zero", "load_data", ["/dev/zero"], {}),
            ("read_csv /dev/zero", "read_csv", ["/dev/zero"], {}),
        ]
    results = run_child(HANG_CHILD, json.dumps(cases), timeout=60)
    assert [name for name, _, _ in results] == [name for name, _, _, _ in cases]
    for name, outcome, seconds in results:
        assert outcome.startswith("DataFileError: ") and "not a regular file" in outcome, (name, outcome)
        assert seconds < 1, (name, seconds)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_npnet_train_with_a_fifo_as_data_says_so_in_one_line(tmp_path):
    """npnet train --data FIFO: exit 1 and one line, not a hang (the command in its own process)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "npnet_core", "train", "--data", str(fifo), "--epochs", "1"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("npnet train --data FIFO hung")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"npnet: error: {fifo} is a named pipe (FIFO), not a regular file")


# -- .npz memory: members never decompressed, sizes checked before allocation (address space limited) --

MEMORY_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from npnet_core.datasets import load_data
    paths = json.loads(sys.argv[1])
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    limit = size + 96 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    for name, path in paths.items():
        try:
            x, y = load_data(path)
            outcome = f"loaded {x.shape} {None if y is None else y.shape}"
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        print(json.dumps([name, outcome, 0]), flush=True)
    """
)


def write_bomb(path: Path, members: Dict[str, bytes], bomb_bytes: int) -> Path:
    """An .npz of ``members`` (stored) and junk.npy: ``bomb_bytes`` zeros as uint8, deflated (about 1/1000)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data, zipfile.ZIP_STORED)
        with archive.open("junk.npy", "w", force_zip64=True) as junk:
            junk.write(npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }" % bomb_bytes))
            block = bytes(2**20)
            for _ in range(bomb_bytes // len(block)):
                junk.write(block)
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_npz_memory_is_bounded_by_what_is_read(tmp_path):
    """Under an address-space limit of 96 MiB beyond the imports: a 256 MiB zip-bomb member beside x and y is never
    decompressed (the data loads), and members declaring 3 GB or 800 GB are refused before any allocation."""
    bomb = write_bomb(tmp_path / "bomb.npz", XY, 256 * 2**20)
    assert bomb.stat().st_size < 2 * 2**20
    with zipfile.ZipFile(bomb) as archive:  # the control: the junk member really is that big
        assert archive.getinfo("junk.npy").file_size > 256 * 2**20
    crafted = write_crafted(tmp_path / "crafted")
    paths = {"bomb": str(bomb)}
    for name in (
        "npz-declares-more-than-deflate-gives",
        "npz-member-declares-10**11-doubles",
        "npy-declares-10**11-doubles",
    ):
        paths[name] = str(crafted[name][0])
    results = {
        name: outcome
        for name, outcome, _ in run_child(MEMORY_CHILD, json.dumps(paths), 120, {"OPENBLAS_NUM_THREADS": "1"})
    }
    assert results.pop("bomb") == "loaded (3, 2) (3,)"
    for name, outcome in results.items():
        assert outcome.startswith("DataFileError: ") and crafted[name][1] in outcome, (name, outcome)


# -- pickles never run -------------------------------------------------------------------------------


@pytest.mark.parametrize("container", ["npy", "npz", "labels"])
def test_a_pickled_payload_in_a_data_file_never_runs(tmp_path, container):
    """An object array whose pickle would create a file: refused, and the file is not created."""
    marker = tmp_path / "ran"
    payload = npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", pickle.dumps([Marker(str(marker))]))
    good = write_bytes(tmp_path / "x.npy", npy_of(np.ones((1, 2))))
    if container == "npz":
        path = write_bytes(tmp_path / "d.npz", zip_of({"x.npy": payload}))
        call: Callable[[], object] = lambda: load_data(path)  # noqa: E731
    else:
        path = write_bytes(tmp_path / "d.npy", payload)
        call = (lambda: load_data(path)) if container == "npy" else (lambda: load_data(good, labels=path))  # noqa: E731
    with pytest.raises(DataFileError, match="holds Python objects"):
        call()
    assert not marker.exists()
    pickle.loads(pickle.dumps(Marker(str(marker)))).close()  # the control: unpickling it does create the file
    assert marker.exists()


# -- the command line: one line, exit 1, for each crafted file ------------------------------------------


def run_cli(capsys, *argv: str) -> Tuple[int, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_info:
        status = exit_info.code
    return status, capsys.readouterr().err


@pytest.mark.parametrize("name", CRAFTED)
def test_npnet_train_on_each_crafted_file_prints_one_line(crafted, capsys, name):
    """npnet train --data FILE: exit 1, one line 'npnet: error: ...' naming the file, no traceback."""
    path, expected = crafted[name]
    status, err = run_cli(capsys, "train", "--data", str(path), "--epochs", "1")
    assert status == 1 and err.count("\n") == 1 and err.startswith("npnet: error: "), err
    assert str(path) in err and expected in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--data", "{tmp}/" + "a" * 300],
        ["--data", "{tmp}"],
        ["--data", "{tmp}/loop"],
        ["--data", "{tmp}/t.csv", "--label-column", "1.5"],
        ["--data", "{tmp}/x.npy", "--labels", "{tmp}/" + "a" * 300],
        ["--data-dir", "{tmp}/" + "m" * 300],
        ["--data-dir", "{tmp}/mnist"],
    ],
    ids=["long-name", "folder", "loop", "label-column-1.5", "long-labels-name", "long-mnist-folder", "mnist-crafted"],
)
def test_npnet_train_on_bad_paths_prints_one_line(tmp_path, capsys, argv):
    """Paths that the OS refuses, a label column that is not one, a crafted MNIST folder: one line, exit 1."""
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    write_bytes(tmp_path / "t.csv", b"a,b\n1,2\n")
    write_bytes(tmp_path / "x.npy", npy_of(np.ones((2, 2))))
    write_mnist_folder(tmp_path / "mnist", MNIST_CRAFTED["images-2^64"][0], GOOD_LABELS)
    status, err = run_cli(capsys, "train", *[a.replace("{tmp}", str(tmp_path)) for a in argv], "--epochs", "1")
    assert status == 1 and err.count("\n") == 1 and err.startswith("npnet: error: "), err
    assert "Traceback" not in err
