"""Array-likes read a selection at a time (h5py datasets, zarr arrays): streamed by fit, predict and score.

The reference is the same values as a NumPy array in memory: training on the
array-like must give the very parameters and history (to the bit), and the
same outputs and scores. A small array-like written here records every read,
so the tests that the data is never read whole, and that fit reads one batch
per read with increasing indices (h5py's rule), run without h5py. Memory is
measured in a subprocess, under ``resource.setrlimit`` where the limit is the
point, and with tracemalloc.
"""

from __future__ import annotations

import copy
import sys

import numpy as np
import pytest
from _memory import LIMIT_MEMORY, network_state, run_python, same_bits

from npnet_core import NeuralNetwork, ValidationError
from npnet_core import _validation as validation_module

LINUX = sys.platform.startswith("linux")


class Recording:
    """A 2-D array-like over an array that records its reads, and refuses what h5py refuses.

    It selects rows with ``data[start:stop]`` or ``data[indices]`` (indices
    increasing, as h5py requires), records the rows of each read, and fails
    the test if it is ever converted whole (``__array__``).
    """

    def __init__(self, array, *, dtype=None):
        self._array = np.asarray(array)
        self.shape = self._array.shape
        self.dtype = self._array.dtype if dtype is None else np.dtype(dtype)
        self.reads = []  # one array of row numbers per read
        self.sliced = []  # whether each read was a slice

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, slice):
            rows = np.arange(self.shape[0])[key]
            self.sliced.append(True)
        else:
            rows = np.asarray(key)
            assert rows.ndim == 1 and rows.dtype.kind in "iu", f"not a row selection: {key!r}"
            assert np.all(np.diff(rows) > 0), "h5py needs increasing indices"
            self.sliced.append(False)
        self.reads.append(rows)
        return self._array[key].copy()

    def __array__(self, dtype=None, copy=None):
        raise AssertionError("the array-like was converted whole")


class _WithoutLen(Recording):
    """As a zarr 3 array: no ``__len__``."""

    __len__ = None


def _data(n, seed=1, width=6):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, width)), rng.integers(0, 3, n)


def _classifier(seed=0, **options):
    return NeuralNetwork([6, 5, 3], "relu", "softmax", "categorical_crossentropy", "adam", seed=seed, **options)


def _without_times(history):
    return {key: value for key, value in history.items() if key != "epoch_time"}


def _train(x, labels, x_val, labels_val, dtype):
    net = _classifier(dtype=dtype)
    losses = net.fit(x, labels, 16, 3, categorical=True, verbose=0, validation_data=(x_val, labels_val), metrics=["f1"])
    return net, losses


def _h5py_dataset(tmp_path, array, name="x", **options):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / f"{name}.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset("x", data=array, **options)
    file = h5py.File(path, "r")
    return file["x"]


def _lazy(kind, array, tmp_path, name="x"):
    if kind == "recording":
        return Recording(array)
    if kind == "without_len":
        return _WithoutLen(array)
    if kind == "h5py":
        return _h5py_dataset(tmp_path, array, name)
    if kind == "h5py_chunked":
        return _h5py_dataset(tmp_path, array, name, chunks=(8, array.shape[1]), compression="gzip")
    zarr = pytest.importorskip("zarr")
    return zarr.array(array, chunks=(16, array.shape[1]))


# -- the same training, outputs and scores as from the array ------------------------------------------------------


@pytest.mark.parametrize("kind", ["recording", "without_len", "h5py", "h5py_chunked", "zarr"])
@pytest.mark.parametrize(
    ("data_dtype", "net_dtype"), [("float32", "float64"), ("float64", "float64"), ("float64", "float32")]
)
def test_training_on_an_array_like_gives_the_parameters_and_history_of_the_array_to_the_bit(
    tmp_path, kind, data_dtype, net_dtype
):
    x, labels = _data(150)
    x = x.astype(data_dtype)
    x_val, labels_val = _data(40, seed=2)
    x_val = x_val.astype(data_dtype)
    expected, expected_losses = _train(x, labels, x_val, labels_val, net_dtype)
    lazy, lazy_val = _lazy(kind, x, tmp_path), _lazy(kind, x_val, tmp_path, "x_val")
    trained, losses = _train(lazy, labels, lazy_val, labels_val, net_dtype)
    assert losses.tobytes() == expected_losses.tobytes()
    assert trained.params.tobytes() == expected.params.tobytes()
    assert _without_times(trained.history) == _without_times(expected.history)
    assert trained.predict(lazy).tobytes() == expected.predict(x).tobytes()
    np.testing.assert_array_equal(trained.predict(lazy, labels=True), expected.predict(x, labels=True))
    assert trained.score(lazy, labels) == expected.score(x, labels)
    assert trained.score(lazy, labels, accuracy=True) == expected.score(x, labels, accuracy=True)
    assert trained.score(lazy, labels, metric="f1") == expected.score(x, labels, metric="f1")


@pytest.mark.parametrize("kind", ["recording", "h5py"])
def test_validation_split_of_an_array_like_holds_out_the_same_rows_as_of_the_array(tmp_path, kind):
    x, labels = _data(100)
    expected = _classifier()
    expected.fit(x, labels, 16, 3, categorical=True, verbose=0, validation_split=0.25)
    trained = _classifier()
    trained.fit(_lazy(kind, x, tmp_path), labels, 16, 3, categorical=True, verbose=0, validation_split=0.25)
    assert trained.params.tobytes() == expected.params.tobytes()
    assert _without_times(trained.history) == _without_times(expected.history)


# -- read a batch or a chunk at a time, never whole ----------------------------------------------------------------


def test_fit_reads_each_batch_with_one_increasing_selection_and_every_row_once_an_epoch():
    x, labels = _data(100)
    lazy = Recording(x)
    net = _classifier()
    net.fit(lazy, labels, 16, 2, categorical=True, verbose=0)
    assert not any(lazy.sliced)  # Recording asserted each selection increasing
    probe, *reads = lazy.reads
    assert probe.tolist() == [0]  # the check, before training, that the array-like selects rows by indices
    assert [len(rows) for rows in reads] == [16] * 6 + [4] + [16] * 6 + [4]  # one read per batch, 7 an epoch
    for epoch in (reads[:7], reads[7:]):
        assert sorted(np.concatenate(epoch).tolist()) == list(range(100))


def test_fit_reads_the_rows_of_the_epochs_permutation_in_each_batch():
    x, labels = _data(60)
    lazy = Recording(x)
    net = _classifier()
    permutation = copy.deepcopy(net.rng).permutation(60)  # fit's first epoch draws it first
    net.fit(lazy, labels, 16, 1, categorical=True, verbose=0)
    for batch, rows in enumerate(lazy.reads[1:]):  # after the check of the first row
        np.testing.assert_array_equal(rows, np.sort(permutation[batch * 16 : (batch + 1) * 16]))


def test_predict_and_score_read_contiguous_chunks_of_at_most_a_chunk_of_rows(monkeypatch):
    monkeypatch.setattr(validation_module, "CHUNK_BYTES", 2000)
    x, labels = _data(500)
    net = _classifier()
    chunk = validation_module.rows_per_chunk(net.dtype.itemsize * (6 + 2 * (5 + 3)))
    assert chunk < 100  # several chunks
    for use in (lambda data: net.predict(data), lambda data: net.score(data, labels, accuracy=True)):
        lazy = Recording(x)
        use(lazy)
        assert all(lazy.sliced)
        assert [len(rows) for rows in lazy.reads[:-1]] == [chunk] * (len(lazy.reads) - 1)
        np.testing.assert_array_equal(np.concatenate(lazy.reads), np.arange(500))


def test_validation_data_is_read_by_chunks_once_an_epoch(monkeypatch):
    monkeypatch.setattr(validation_module, "CHUNK_BYTES", 2000)
    x, labels = _data(100)
    x_val = Recording(_data(300, seed=2)[0])
    net = _classifier()
    chunk = validation_module.rows_per_chunk(net.dtype.itemsize * (6 + 2 * (5 + 3)))
    net.fit(x, labels, 16, 2, categorical=True, verbose=0, validation_data=(x_val, _data(300, seed=2)[1]))
    assert all(x_val.sliced)
    assert max(len(rows) for rows in x_val.reads) == chunk
    assert sum(len(rows) for rows in x_val.reads) == 2 * 300  # once an epoch


# -- values checked as they are read, as for a memory-mapped file -------------------------------------------------


def _nan_message(name, row, column):
    """What fit says of a NaN in a memory-mapped file (tests/test_resources.py checks it for np.load(mmap_mode))."""
    return (
        rf"{name} contains NaN or infinite values \((first )?at row {row}, column {column}\); remove or impute them before training\. "
        r"Note: the data is "
        r"memory-mapped or read a selection at a time, so its values are checked as they are read; the network is as it was before fit"
    )


@pytest.mark.parametrize("kind", ["recording", "h5py"])
@pytest.mark.parametrize("trained_before", [False, True])
def test_a_nan_in_an_array_like_is_refused_as_its_batch_is_read_and_the_network_put_back(
    tmp_path, kind, trained_before
):
    x, labels = _data(200)
    net = _classifier()
    if trained_before:
        net.fit(x[:100], labels[:100], 10, 1, categorical=True, verbose=0)
    row = int(copy.deepcopy(net.rng).permutation(200)[-1])  # fit's first epoch reads it in its last batch
    x[row, 2] = np.nan
    lazy = _lazy(kind, x, tmp_path)
    before = network_state(net)
    with pytest.raises(ValidationError, match=_nan_message("x", row, 2)):
        net.fit(lazy, labels, 10, 3, categorical=True, verbose=0)
    assert same_bits(network_state(net), before)
    if kind == "recording":
        assert len(lazy.reads) == 21  # the first row, then 20 batches: no pass over the data first


def test_the_same_nan_in_a_memory_mapped_file_gives_the_same_message(tmp_path):
    x, labels = _data(200)
    net = _classifier()
    row = int(copy.deepcopy(net.rng).permutation(200)[-1])
    x[row, 2] = np.nan
    np.save(tmp_path / "x.npy", x)
    messages = []
    for data in (np.load(tmp_path / "x.npy", mmap_mode="r"), Recording(x)):
        with pytest.raises(ValidationError) as raised:
            _classifier().fit(data, labels, 10, 1, categorical=True, verbose=0)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("how", ["validation_data", "validation_split"])
def test_a_nan_in_array_like_validation_data_is_named_and_the_network_put_back(how):
    x, labels = _data(200)
    x[187, 1] = np.inf
    net = _classifier()
    before = network_state(net)
    if how == "validation_data":
        data, options = (x[:180], labels[:180]), {"validation_data": (Recording(x[180:]), labels[180:])}
        message = _nan_message("x_val", 7, 1)
    else:
        data, options = (Recording(x), labels), {"validation_split": 0.1}
        message = _nan_message("x", 187, 1)
    with pytest.raises(ValidationError, match=message):
        net.fit(*data, 10, 2, categorical=True, verbose=0, **options)
    assert same_bits(network_state(net), before)


def test_a_nan_read_by_predict_names_its_row(monkeypatch):
    monkeypatch.setattr(validation_module, "CHUNK_BYTES", 2000)
    x, _ = _data(300)
    x[250, 4] = np.nan
    with pytest.raises(ValidationError, match=r"x contains NaN or infinite values \(first at row 250, column 4\)"):
        _classifier().predict(Recording(x))


# -- bad array-likes: the errors of arrays, nothing read ----------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "dtype"),
    [
        (np.zeros((5, 6, 2)), None),  # 3-D
        (np.zeros((5, 6)), object),
        (np.zeros((5, 6)), "U3"),
        (np.zeros((5, 6)), complex),
        (np.zeros((0, 6)), None),  # no rows
        (np.zeros((5, 4)), None),  # 4 columns for a network of 6 inputs
    ],
    ids=["3-D", "object", "strings", "complex", "empty", "wrong-width"],
)
def test_a_bad_array_like_gets_the_error_of_the_same_array_before_anything_is_read(array, dtype):
    as_array = array if dtype is None else array.astype(dtype)
    labels = np.zeros(len(array), dtype=int)
    uses = {
        "fit": lambda net, data: net.fit(data, labels, 4, 1, categorical=True, verbose=0),
        "predict": lambda net, data: net.predict(data),
        "score": lambda net, data: net.score(data, labels),
        "validation": lambda net, data: net.fit(
            np.zeros((5, 6)), np.zeros(5, dtype=int), 4, 1, categorical=True, verbose=0, validation_data=(data, labels)
        ),
    }
    for use, call in uses.items():
        with pytest.raises(ValidationError) as expected:
            call(_classifier(), as_array)
        lazy = Recording(array, dtype=dtype)
        net = _classifier()
        before = network_state(net)
        with pytest.raises(ValidationError) as raised:
            call(net, lazy)
        assert str(raised.value) == str(expected.value), use
        assert type(raised.value) is type(expected.value)
        assert lazy.reads == []
        assert same_bits(network_state(net), before)


class _Stubborn:
    """An array-like whose reads ignore the selection: every read gives the same two rows."""

    shape, dtype = (50, 6), np.dtype(np.float64)

    def __getitem__(self, key):
        return np.zeros((2, 6))

    def __array__(self, dtype=None, copy=None):
        raise AssertionError("converted whole")


def test_an_array_like_whose_reads_give_the_wrong_rows_is_refused_with_what_it_gave():
    net = _classifier()
    before = network_state(net)
    with pytest.raises(ValidationError, match=r"reading rows of _Stubborn of shape \(50, 6\) gave an array of shape"):
        net.fit(_Stubborn(), np.zeros(50, dtype=int), 10, 1, categorical=True, verbose=0)
    assert same_bits(network_state(net), before)
    with pytest.raises(ValidationError, match=r"gave an array of shape \(2, 6\), not \(50, 6\)"):
        net.predict(_Stubborn())


class _SlicesOnly(Recording):
    """An array-like that reads slices but not index arrays (as zarr 2's ``__getitem__``)."""

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise IndexError("only slices are supported")
        return super().__getitem__(key)


def test_an_array_like_that_cannot_select_rows_by_index_is_refused_before_training_and_predicts():
    x, labels = _data(50)
    net = _classifier()
    before = network_state(net)
    with pytest.raises(
        ValidationError,
        match=r"x \(_SlicesOnly\) cannot select rows by their indices: data\[np.array\(\[0\]\)\] raised "
        r"IndexError: only slices are supported",
    ):
        net.fit(_SlicesOnly(x), labels, 10, 1, categorical=True, verbose=0)
    assert same_bits(network_state(net), before)
    np.testing.assert_array_equal(net.predict(_SlicesOnly(x)), net.predict(x))


def test_what_is_not_an_array_like_is_converted_as_before():
    x, labels = _data(40)
    net = _classifier()
    assert not validation_module.is_lazy(x.tolist())
    assert not validation_module.is_lazy(x)
    assert not validation_module.is_lazy(x[0])  # one sample of an array
    assert not validation_module.is_lazy(Recording(x[0]))  # a one-dimensional array-like: one sample
    assert validation_module.is_lazy(Recording(x))
    np.testing.assert_array_equal(net.predict(x.tolist()), net.predict(x))
    np.testing.assert_array_equal(net.predict(x[3]), net.predict(x[3:4]))


# -- memory ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="reads /proc/self/status")
def test_fit_predict_and_score_on_an_h5py_file_stay_within_a_small_memory_limit(tmp_path):
    """60000 x 784 float32 in an HDF5 file (179 MiB), a float64 network: fit, predict and score run with 120 MiB
    of address space beyond what the process holds once the file is open; reading x whole needs 179 MiB, and
    converting it to float64 359 MiB more. The peak NumPy allocations are measured too."""
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as file:
        file["x"] = np.random.default_rng(0).random((60000, 784), dtype=np.float32)
    result = run_python(
        LIMIT_MEMORY
        + f"""
    import tracemalloc
    import h5py
    import numpy as np
    from npnet_core import NeuralNetwork
    x = h5py.File({str(path)!r}, "r")["x"]
    labels = np.arange(len(x)) % 10
    net = NeuralNetwork([784, 100, 10], "relu", "softmax", "categorical_crossentropy", "sgd", seed=0)
    net.fit(x[:500], labels[:500], 50, 1, categorical=True, verbose=0)  # BLAS threads and buffers start up
    limit_memory(120)
    tracemalloc.start()
    net.fit(x, labels, 256, 1, categorical=True, verbose=0)
    print(tracemalloc.get_traced_memory()[1] // 2**20)
    tracemalloc.reset_peak()
    outputs = net.predict(x)
    print(tracemalloc.get_traced_memory()[1] // 2**20)
    tracemalloc.reset_peak()
    net.score(x, labels, accuracy=True)
    print(tracemalloc.get_traced_memory()[1] // 2**20)
    print(outputs.shape)
    """
    )
    assert result.returncode == 0, result.stderr
    fit_peak, predict_peak, score_peak, shape = result.stdout.splitlines()
    assert shape == "(60000, 10)"
    # MiB: a batch, the labels one-hot (4.6 MiB); the outputs (4.6 MiB) and one chunk's values
    assert int(fit_peak) < 30 and int(predict_peak) < 60 and int(score_peak) < 60


# -- the scikit-learn estimators ------------------------------------------------------------------------------------


def test_an_estimator_does_not_copy_a_float32_memmap_whole_for_a_float64_network(tmp_path, monkeypatch):
    """scikit-learn's check_array would convert the 10000 x 784 float32 memmap (30 MiB) to float64 (60 MiB)."""
    pytest.importorskip("sklearn")
    import tracemalloc

    from npnet_core.sklearn import NPNetClassifier

    monkeypatch.setattr(validation_module, "CHUNK_BYTES", 2**21)  # predict's temporaries: not what is measured
    rows = 10000
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((rows, 784), dtype=np.float32))
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    labels = np.arange(rows) % 10
    copy_mib = rows * 784 * 8 / 2**20
    options = {"hidden_layer_sizes": (32,), "max_iter": 1, "batch_size": 256, "random_state": 0}
    # imports, and compiling a fast optimizer's kernels, happen now: they are not what is measured
    NPNetClassifier(**options).fit(mapped[:600], labels[:600]).predict(mapped[:600])

    def increase(call, *args):
        """The peak of the NumPy and Python allocations ``call(*args)`` makes, in MiB."""
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        call(*args)
        return (tracemalloc.get_traced_memory()[1] - before) / 2**20

    peaks = []
    tracemalloc.start()
    try:
        for early_stopping in (False, True):  # early stopping's split: views of the rows, not copies
            estimator = NPNetClassifier(**options, early_stopping=early_stopping)
            peaks.append(increase(estimator.fit, mapped, labels))
            peaks.append(increase(estimator.predict_proba, mapped))
    finally:
        tracemalloc.stop()
    assert max(peaks) < copy_mib / 4, peaks  # batches, chunks, outputs (1.5 MiB), one-hot labels (1.5 MiB)


@pytest.mark.parametrize("kind", ["recording", "h5py"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_an_estimator_trains_on_an_array_like_as_on_the_array(tmp_path, kind, early_stopping):
    pytest.importorskip("sklearn")
    from npnet_core.sklearn import NPNetClassifier, NPNetRegressor

    x, labels = _data(200)
    x = x.astype(np.float32)
    lazy = _lazy(kind, x, tmp_path)
    options = {"hidden_layer_sizes": (8,), "max_iter": 3, "batch_size": 16, "random_state": 0}
    options["early_stopping"] = early_stopping
    expected = NPNetClassifier(**options).fit(x, labels)
    trained = NPNetClassifier(**options).fit(lazy, labels)
    assert trained.network_.params.tobytes() == expected.network_.params.tobytes()
    assert trained.n_features_in_ == 6
    assert trained.predict_proba(lazy).tobytes() == expected.predict_proba(x).tobytes()
    assert trained.score(lazy, labels) == expected.score(x, labels)
    expected = NPNetRegressor(**options).fit(x, x[:, 0] * 2)
    trained = NPNetRegressor(**options).fit(lazy, x[:, 0] * 2)
    assert trained.predict(lazy).tobytes() == expected.predict(x).tobytes()
    if kind == "recording":
        assert max(len(rows) for rows in lazy.reads) <= 200  # chunks of predict; batches of fit: 16


def test_an_estimator_gives_scikit_learns_errors_for_a_bad_array_like():
    pytest.importorskip("sklearn")
    from npnet_core.sklearn import NPNetClassifier

    x, labels = _data(50)
    estimator = NPNetClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(Recording(x), labels)
    with pytest.raises(ValueError, match="X has 4 features, but NPNetClassifier is expecting 6 features as input"):
        estimator.predict(Recording(x[:, :4]))
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[50, 49\]"):
        NPNetClassifier().fit(Recording(x), labels[:49])
    with pytest.raises(ValueError, match=r"X must be 2-D \(n_samples, n_features\) \(got shape \(50, 6, 1\)\)"):
        NPNetClassifier().fit(Recording(x[:, :, None]), labels)
    with pytest.raises(ValueError, match="requires y to be passed"):
        NPNetClassifier().fit(Recording(x), None)


class _FailingAfter(Recording):
    """An array-like whose reads fail with an I/O error after ``reads`` of them (a file gone, a network down)."""

    def __init__(self, array, reads):
        super().__init__(array)
        self.left = reads

    def __getitem__(self, key):
        self.left -= 1
        if self.left < 0:
            raise OSError("Can't read data (file read failed)")
        return super().__getitem__(key)


@pytest.mark.parametrize("trained_before", [False, True])
def test_a_read_failing_in_the_middle_of_fit_puts_the_network_back(trained_before):
    x, labels = _data(200)
    net = _classifier()
    if trained_before:
        net.fit(x[:100], labels[:100], 10, 1, categorical=True, verbose=0)
    before = network_state(net)
    with pytest.raises(ValidationError) as error:
        net.fit(_FailingAfter(x, reads=16), labels, 10, 3, categorical=True, verbose=0)  # 1 check, 15 batches
    message = str(error.value)
    assert message.startswith("reading the rows of a batch of x failed (OSError: Can't read data (file read failed))")
    assert message.endswith("the network is as it was before fit")
    assert isinstance(error.value.__cause__, OSError) or error.value.__cause__ is None
    assert same_bits(network_state(net), before)


def test_a_selection_of_rows_takes_negative_positions_and_masks_as_numpy_does():
    x = np.arange(40.0).reshape(20, 2)
    rows = validation_module.check_matrix("x", Recording(x), 2).select(slice(10, 20))
    np.testing.assert_array_equal(rows.select(np.array([-1, 0]))[:], x[10:20][[-1, 0]])
    mask = np.zeros(10, dtype=bool)
    mask[[2, 7]] = True
    np.testing.assert_array_equal(rows.select(mask)[:], x[10:20][mask])
    np.testing.assert_array_equal(rows.take(np.array([-2, 3])), x[10:20][[-2, 3]])
    with pytest.raises(IndexError, match="row positions out of range for 10 rows"):
        rows.select(np.array([10]))
    with pytest.raises(IndexError, match="a row mask must have 10 values"):
        rows.select(np.ones(3, dtype=bool))
