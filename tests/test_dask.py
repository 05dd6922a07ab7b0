"""Sweeps on other processes: what a pickled estimator holds, and searches on a Dask cluster equal serial ones.

A search sends estimators to its workers and, with ``return_estimator``, fitted ones
back: they pickle through npnet's model format (``_SavedNetwork``: components by
name, parameters, states), never referencing a plugin's classes, which each worker
resolves by name from its own installed plugins. The cluster tests start a real
``distributed.LocalCluster`` of worker processes (skipped without
``pip install "dask[distributed]"``), and also hold the premise of docs/scaling.md's
thread limits: joblib's loky workers and Dask's worker processes run with their share
of BLAS threads without npnet doing anything.
"""

from __future__ import annotations

import os
import pickle
import pickletools
import sys
from typing import Any, Dict, List, Set

import numpy as np
import pytest

pytest.importorskip("sklearn")

if sys.version_info >= (3, 10):
    from importlib.metadata import entry_points
else:  # entry_points(group=...) is the backport's before 3.10
    from importlib_metadata import entry_points

import joblib  # noqa: E402  (scikit-learn's own dependency)
import threadpoolctl  # noqa: E402  (scikit-learn's own dependency)
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate  # noqa: E402

from npnet_core import ComponentNotFoundError, NeuralNetwork  # noqa: E402
from npnet_core.datasets import load_digits  # noqa: E402
from npnet_core.sklearn import NPNetClassifier, NPNetRegressor  # noqa: E402

#: the top-level modules of the installed npnet plugins, read from their entry points (group "npnet")
PLUGIN_MODULES = sorted({entry.value.split(":")[0].split(".")[0] for entry in entry_points(group="npnet")})


@pytest.fixture(scope="module")
def data():
    x, y = load_digits()
    return x[:240] / 16.0, y[:240]


# -- what a pickle references --------------------------------------------------------------


def _globals_read_by_pickletools(data: bytes) -> Set[str]:
    """``module.name`` of every GLOBAL, INST and STACK_GLOBAL opcode of the pickle, read with pickletools.

    STACK_GLOBAL takes its module and name from the two strings pushed just before it,
    as literals or through the memo (MEMOIZE / PUT, then GET), so both are followed.
    """
    found: Set[str] = set()
    memo: Dict[int, Any] = {}
    pushed: List[Any] = []  # what each opcode pushed: a string, or None for anything else
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name in ("PROTO", "FRAME", "STOP"):
            continue
        if opcode.name in ("GLOBAL", "INST"):
            module, name = str(arg).split(" ", 1)
            found.add(f"{module}.{name}")
            pushed.append(None)
        elif opcode.name == "STACK_GLOBAL":
            module, name = pushed[-2], pushed[-1]
            assert isinstance(module, str) and isinstance(name, str), "STACK_GLOBAL without two strings before it"
            found.add(f"{module}.{name}")
            pushed.append(None)
        elif opcode.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1]
        elif opcode.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[int(arg)] = pushed[-1]  # type: ignore[arg-type]
        elif opcode.name in ("GET", "BINGET", "LONG_BINGET"):
            pushed.append(memo[int(arg)])  # type: ignore[arg-type]
        else:
            pushed.append(arg if isinstance(arg, str) else None)
    return found


class _RecordingUnpickler(pickle.Unpickler):
    """An unpickler that records each global the pickle asks for (the other way of reading them)."""

    def __init__(self, data: bytes) -> None:
        import io

        super().__init__(io.BytesIO(data))
        self.asked: Set[str] = set()

    def find_class(self, module: str, name: str) -> Any:
        self.asked.add(f"{module}.{name}")
        return super().find_class(module, name)


def _plugin_globals(data: bytes) -> List[str]:
    """The globals of the pickle that belong to an npnet plugin's modules (checked two ways)."""
    by_pickletools = _globals_read_by_pickletools(data)
    unpickler = _RecordingUnpickler(data)
    unpickler.load()
    assert by_pickletools == unpickler.asked  # the opcode reading above is right
    return sorted(g for g in by_pickletools if g.split(".")[0] in PLUGIN_MODULES)


def _dumps_every_way(obj: Any) -> Dict[str, bytes]:
    """The pickles of ``obj`` as pickle (protocols 2 and 5), cloudpickle and Dask's own serializer make them."""
    made = {f"pickle {protocol}": pickle.dumps(obj, protocol=protocol) for protocol in (2, 5)}
    try:
        import cloudpickle  # joblib's loky workers and Dask use it
    except ImportError:  # pragma: no cover - it comes with joblib (vendored) and dask
        from joblib.externals import cloudpickle
    made["cloudpickle"] = cloudpickle.dumps(obj)
    try:
        from distributed.protocol.pickle import dumps as dask_dumps
    except ImportError:
        pass
    else:
        made["distributed"] = dask_dumps(obj)
    return made


def test_the_plugins_are_known():
    assert {"npnet_adam", "npnet_relu_softmax"} <= set(PLUGIN_MODULES)


@pytest.mark.parametrize("estimator", [NPNetClassifier, NPNetRegressor])
def test_a_fitted_estimator_pickles_without_referencing_plugin_code(data, estimator):
    """The network travels as its model file's bytes: no pickle of it names a plugin's module."""
    x, y = data
    fitted = estimator(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(x, y)
    for way, dumped in _dumps_every_way(fitted).items():
        assert _plugin_globals(dumped) == [], way
        restored = pickle.loads(dumped)
        assert isinstance(restored.network_, NeuralNetwork)
        np.testing.assert_array_equal(restored.predict(x), fitted.predict(x))
    # what an unfitted one sends (a search's clones): the parameters, components by name
    assert _plugin_globals(pickle.dumps(estimator(optimizer="adam", activation="relu"))) == []


def test_the_check_finds_plugin_code_where_there_is_some(data):
    """The same check flags the pickle of a component itself, and of an estimator given a component object:
    those reference the plugin's class, which a worker without that plugin cannot unpickle."""
    x, y = data
    fitted = NPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(x, y)
    optimizer = fitted.network_.optimizer
    assert [g.split(".")[0] for g in _plugin_globals(pickle.dumps(optimizer))] == ["npnet_adam"]
    activation = fitted.network_.hidden_activations[0]
    assert [g.split(".")[0] for g in _plugin_globals(pickle.dumps(activation))] == ["npnet_relu_softmax"]
    by_object = NPNetClassifier(optimizer=type(optimizer)())
    assert [g.split(".")[0] for g in _plugin_globals(pickle.dumps(by_object))] == ["npnet_adam"]


# -- thread limits: what joblib and Dask do by themselves -----------------------------------


def _blas_threads(info: List[Dict[str, Any]]) -> Set[int]:
    return {pool["num_threads"] for pool in info if pool["user_api"] in ("blas", "openmp")}


@pytest.mark.slow
def test_joblibs_loky_workers_get_their_share_of_blas_threads():
    """joblib gives each loky worker cores // n_jobs BLAS threads (so npnet sets no limit of its own; joblib's
    inner_max_num_threads changes the share)."""
    with joblib.parallel_backend("loky"):
        infos = joblib.Parallel(n_jobs=2)(joblib.delayed(threadpoolctl.threadpool_info)() for _ in range(4))
    share = max(joblib.cpu_count() // 2, 1)
    assert set().union(*(_blas_threads(info) for info in infos)) == {share}


# -- on a Dask cluster -----------------------------------------------------------------------


def _cluster(**options: Any):
    distributed = pytest.importorskip("distributed")
    # ":0": the HTTP server on any free port (None still takes 8787, and warns if another cluster holds it)
    return distributed.LocalCluster(processes=True, dashboard_address=":0", **options)


def _load_plugins(client: Any) -> None:
    """Load npnet's plugins in every worker before the first task, as docs/scaling.md does.

    A lambda, not a function of this module: cloudpickle sends it by value, and workers
    cannot import test modules by name.
    """
    loaded = client.run(lambda: len(__import__("npnet_core").get_registry().plugins))
    assert all(count > 0 for count in loaded.values()), loaded


@pytest.mark.slow
def test_searches_on_a_dask_cluster_of_processes_equal_the_serial_searches(data):
    """GridSearchCV and RandomizedSearchCV through joblib's dask backend: the same scores, best parameters and
    refitted model as run serially; fitted estimators come back from the workers through the model format."""
    from distributed import Client, get_task_stream

    x, y = data
    classifier = NPNetClassifier(max_iter=3, batch_size=32, random_state=0)
    grid = {"hidden_layer_sizes": [(8,), (16,)], "learning_rate_init": [1e-3, 1e-2]}
    regressor = NPNetRegressor(max_iter=3, batch_size=32, random_state=0)
    distributions = {"hidden_layer_sizes": [(4,), (8,), (16,)], "alpha": [0.0, 1e-3, 1e-2]}
    target = x[:, :8].sum(axis=1)

    def run_all() -> Dict[str, Any]:
        return {
            "grid": GridSearchCV(classifier, grid, cv=3, error_score="raise").fit(x, y),
            "random": RandomizedSearchCV(
                regressor, distributions, n_iter=3, cv=3, random_state=0, error_score="raise"
            ).fit(x, target),
            "cross": cross_validate(classifier, x, y, cv=3, return_estimator=True),
        }

    serial = run_all()
    with _cluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        assert os.getpid() not in client.run(os.getpid).values()
        # the premise of no limit in npnet: Dask's nanny starts each worker process with one BLAS thread
        assert [_blas_threads(info) for info in client.run(threadpoolctl.threadpool_info).values()] == [{1}, {1}]
        _load_plugins(client)
        with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
            on_dask = run_all()
        assert {task["worker"] for task in tasks.data} == set(client.scheduler_info()["workers"])

    for name in ("grid", "random"):
        expected, found = serial[name], on_dask[name]
        assert found.best_params_ == expected.best_params_, name
        assert found.cv_results_["params"] == expected.cv_results_["params"], name
        for key in ("mean_test_score", *(f"split{k}_test_score" for k in range(3))):
            np.testing.assert_array_equal(found.cv_results_[key], expected.cv_results_[key], err_msg=f"{name} {key}")
        np.testing.assert_array_equal(found.best_estimator_.network_.params, expected.best_estimator_.network_.params)
    np.testing.assert_array_equal(on_dask["grid"].predict_proba(x), serial["grid"].predict_proba(x))
    np.testing.assert_array_equal(on_dask["random"].predict(x), serial["random"].predict(x))
    np.testing.assert_array_equal(on_dask["cross"]["test_score"], serial["cross"]["test_score"])
    for came_back, expected in zip(on_dask["cross"]["estimator"], serial["cross"]["estimator"]):
        assert isinstance(came_back.network_, NeuralNetwork)  # trained on a worker, restored from its model file
        np.testing.assert_array_equal(came_back.network_.params, expected.network_.params)
        history = {key: values for key, values in came_back.network_.history.items() if key != "epoch_time"}
        assert history == {key: values for key, values in expected.network_.history.items() if key != "epoch_time"}
        assert set(history) == {"loss", "accuracy"}


@pytest.mark.slow
def test_a_worker_without_a_plugin_still_predicts_and_fails_a_search_with_npnets_error(data):
    """On a worker lacking npnet-adam (blocked there by NPNET_BLOCK_PLUGINS), a fitted model sent there loads from its
    model file without the optimizer, with npnet's warning, and predicts as here; a search cannot train with adam
    there, and stops with npnet's ComponentNotFoundError naming the distribution (error_score="raise")."""
    from distributed import Client

    x, y = data
    fitted = NPNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(x, y)

    def predict_there(pickled: bytes, x: np.ndarray) -> Any:
        # unpickled inside the task (not as its argument) to see the warning loading it gives
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = pickle.loads(pickled)
        return model.predict(x), [str(warning.message) for warning in caught]

    with _cluster(n_workers=1, threads_per_worker=2, env={"NPNET_BLOCK_PLUGINS": "npnet-adam"}) as cluster:
        with Client(cluster) as client:
            _load_plugins(client)
            predicted, warned = client.submit(predict_there, pickle.dumps(fitted), x).result()
            np.testing.assert_array_equal(predicted, fitted.predict(x))
            assert any("loaded without the optimizer 'adam' (pip install npnet-adam)" in text for text in warned), (
                warned
            )
            search = GridSearchCV(
                NPNetClassifier(max_iter=2, random_state=0), {"hidden_layer_sizes": [(4,), (8,)]}, cv=2
            )
            with joblib.parallel_backend("dask"), pytest.raises(ComponentNotFoundError, match=r"npnet-adam"):
                search.set_params(error_score="raise").fit(x, y)
