"""The registry: plugin loading, resolution by name, errors, environment switches.

Throwaway plugins are small namespaces of ``hookimpl`` functions, registered by
hand or served by a monkeypatched ``_discovery.discover`` as fake entry points.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np
import pluggy
import pytest

import npnet_core
import npnet_core.components._registry as registry_module
from npnet_core import (
    AmbiguousComponentError,
    ComponentNotFoundError,
    InvalidComponentError,
    InvalidParameterError,
    NpnetError,
    PluginLoadError,
    PluginLoadWarning,
    Registry,
    hookimpl,
)
from npnet_core.components import ComponentSpec, _discovery
from npnet_core.kinds import KINDS

ENV_VARS = (_discovery.ENV_DISABLE_AUTOLOAD, _discovery.ENV_BLOCK, _discovery.ENV_STRICT)
ROOT = Path(__file__).resolve().parent.parent
#: the folders of the official plugin distributions, plugins/<distribution>/
OFFICIAL_FOLDERS = sorted(path.parent for path in (ROOT / "plugins").glob("*/pyproject.toml"))


# -- throwaway components and plugins ------------------------------------------------


class FakeActivation:
    name = "fake_activation"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        return grad_a


class FakeLoss:
    name = "fake_loss"

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        return ((y_pred - y_true) ** 2).sum(axis=1)

    def backward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        return 2 * (y_pred - y_true)


class FakeOptimizer:
    name = "fake_optimizer"

    def __init__(self, learning_rate: float = 0.1, momentum: float = 0.0) -> None:
        self.learning_rate = learning_rate
        self.momentum = momentum

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        return params - self.learning_rate * gradient

    def get_config(self) -> Dict[str, Any]:
        return {"learning_rate": self.learning_rate, "momentum": self.momentum}

    def state_dict(self) -> Dict[str, Any]:
        return {}

    def load_state_dict(self, state: Any) -> None:
        pass


def make_plugin(
    activations: Iterable[tuple] = (),
    losses: Iterable[tuple] = (),
    optimizers: Iterable[tuple] = (),
) -> types.SimpleNamespace:
    """A plugin calling ``register(*args)`` for each tuple, per kind."""
    plugin = types.SimpleNamespace()

    def hook(calls: List[tuple]) -> Callable[..., None]:
        def implementation(register: Callable[..., None]) -> None:
            for call in calls:
                register(*call)

        return implementation

    for hook_name, calls in (
        ("npnet_register_activations", list(activations)),
        ("npnet_register_losses", list(losses)),
        ("npnet_register_optimizers", list(optimizers)),
    ):
        if calls:
            setattr(plugin, hook_name, hookimpl(hook(calls)))
    return plugin


class FakeEntryPoint:
    """Stands for an importlib.metadata entry point: ``load()`` returns or raises."""

    def __init__(self, result: object) -> None:
        self.result = result
        self.loads = 0

    def load(self) -> object:
        self.loads += 1
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


def source(name: str, plugin: object, distribution: Optional[str] = "fake-dist", version: str = "1.0"):
    return _discovery.PluginSource(name, f"fake_{name}.plugin", distribution, version, FakeEntryPoint(plugin))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No NPNET_* plugin switches in the environment."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.fixture
def fake_entry_points(clean_env: pytest.MonkeyPatch) -> Callable[..., Dict[str, int]]:
    """Make ``_discovery.discover`` return the given sources; returns a call counter."""

    def install(*sources: _discovery.PluginSource) -> Dict[str, int]:
        calls = {"discover": 0}

        def discover() -> List[_discovery.PluginSource]:
            calls["discover"] += 1
            return list(sources)

        clean_env.setattr(_discovery, "discover", discover)
        return calls

    return install


@pytest.fixture
def installed_registry(clean_env: pytest.MonkeyPatch) -> Registry:
    """A default registry that loads the real entry points of the venv."""
    return Registry()


def dist_version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


BROKEN = ImportError("No module named 'missing_dependency'")


def good_and_broken_sources() -> List[_discovery.PluginSource]:
    good = make_plugin(optimizers=[("good_opt", FakeOptimizer)])
    return [source("broken", BROKEN, "npnet-broken", "0.3"), source("good", good, "npnet-good", "1.0")]


# -- 1. the default registry and the installed plugins --------------------------------


def test_default_registry_loads_the_installed_plugins_with_distribution_and_version(installed_registry):
    """Registry() loads the official entry points, each with its distribution and version."""
    loaded = {p.name: (p.distribution, p.version) for p in installed_registry.plugins}
    assert loaded == {
        "relu-softmax": ("npnet-relu-softmax", dist_version("npnet-relu-softmax")),
        "sgd-momentum": ("npnet-sgd-momentum", dist_version("npnet-sgd-momentum")),
        "adam": ("npnet-adam", dist_version("npnet-adam")),
        "initializers": ("npnet-initializers", dist_version("npnet-initializers")),
        "schedules": ("npnet-schedules", dist_version("npnet-schedules")),
        "regularizers": ("npnet-regularizers", dist_version("npnet-regularizers")),
        "metrics": ("npnet-metrics", dist_version("npnet-metrics")),
        "sigmoid-tanh": ("npnet-sigmoid-tanh", dist_version("npnet-sigmoid-tanh")),
        "modern-activations": ("npnet-modern-activations", dist_version("npnet-modern-activations")),
        "regression-losses": ("npnet-regression-losses", dist_version("npnet-regression-losses")),
        "rmsprop": ("npnet-rmsprop", dist_version("npnet-rmsprop")),
    }
    assert installed_registry.failures == []


def tomllib_module() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    return pytest.importorskip(  # pragma: no cover - Python 3.9 and 3.10
        "tomli", reason="reading the plugins' pyproject.toml needs tomllib (Python 3.11+) or tomli"
    )


def registered_by(folder: Path) -> Dict[Tuple[str, str], str]:
    """``(kind, name or alias) -> distribution`` for what the official plugin in ``folder`` registers.

    Each module its ``pyproject.toml`` announces as an ``npnet`` entry point is
    registered by hand, in a registry without autoloading, with the file's
    ``[project] name`` as its distribution.
    """
    with open(folder / "pyproject.toml", "rb") as handle:
        project = tomllib_module().load(handle)["project"]
    registry = Registry(autoload=False, blocked=(), strict=False)
    for plugin_name, module in project["entry-points"]["npnet"].items():
        registry.register_plugin(importlib.import_module(module), plugin_name, distribution=project["name"])
    return {
        (entry.kind, name): project["name"]
        for info in registry.plugins
        for entry in info.components
        for name in (entry.name, *entry.aliases)
    }


def test_official_table_is_what_the_official_plugins_register():
    """Per kind, KINDS[kind].official maps exactly the names and aliases the official plugins register to their distribution."""
    registered: Dict[str, Dict[str, str]] = {kind: {} for kind in KINDS}
    for folder in OFFICIAL_FOLDERS:
        for (kind, name), distribution in registered_by(folder).items():
            registered[kind][name] = distribution
    assert registered == {kind: dict(KINDS[kind].official) for kind in KINDS}


@pytest.mark.parametrize("folder", OFFICIAL_FOLDERS, ids=lambda folder: folder.name)
def test_official_names_resolve_to_their_distribution(installed_registry, folder):
    """Each name an official plugin registers resolves to an entry recording the distribution and version providing it."""
    for (kind, name), distribution in registered_by(folder).items():
        entry = installed_registry.lookup(kind, name)
        assert (entry.kind, entry.distribution, entry.version) == (kind, distribution, dist_version(distribution))
        assert entry.provider == f"{distribution} {dist_version(distribution)}"


@pytest.mark.parametrize("folder", OFFICIAL_FOLDERS, ids=lambda folder: folder.name)
def test_every_missing_official_name_says_pip_install_its_distribution(empty_registry, folder):
    """In an empty registry, each name an official plugin registers is not found with `pip install` its distribution."""
    for (kind, name), distribution in registered_by(folder).items():
        with pytest.raises(ComponentNotFoundError) as excinfo:
            empty_registry.lookup(kind, name)
        assert f"pip install {distribution}" in str(excinfo.value), (kind, name)


def test_alias_resolves_to_the_same_entry_as_the_name(installed_registry):
    """An alias ("mse") resolves to the very entry of its canonical name."""
    mse = installed_registry.lookup("loss", "mse")
    assert mse is installed_registry.lookup("loss", "mean_squared_error")
    assert mse.name == "mean_squared_error" and mse.aliases == ("mse",)


def test_get_registry_returns_one_process_wide_entry_point_registry(clean_env):
    """get_registry() makes one Registry on first use, loading entry points, and returns it again."""
    clean_env.setattr(registry_module, "_default", None)
    registry = npnet_core.get_registry()
    assert isinstance(registry, Registry)
    assert npnet_core.get_registry() is registry
    assert registry.lookup("optimizer", "adam").distribution == "npnet-adam"


# -- 2. pinned resolution ------------------------------------------------------------


def test_pinned_name_resolves_to_that_distribution(installed_registry):
    """ "npnet-adam:adam" resolves to the adam of the distribution npnet-adam."""
    entry = installed_registry.lookup("optimizer", "npnet-adam:adam")
    assert (entry.name, entry.distribution) == ("adam", "npnet-adam")


def test_pins_compare_normalised_distribution_names(installed_registry):
    """A pin is compared after PEP 503 normalisation ("NPNet_Adam:adam")."""
    assert installed_registry.lookup("optimizer", "NPNet_Adam:adam").distribution == "npnet-adam"


def test_pin_to_a_distribution_lacking_the_name_says_who_provides_it(installed_registry):
    """A pin naming a distribution that does not provide the name raises ComponentNotFoundError naming the real provider."""
    with pytest.raises(ComponentNotFoundError) as excinfo:
        installed_registry.lookup("optimizer", "npnet-sgd-momentum:adam")
    message = str(excinfo.value)
    assert "no optimizer named 'adam' is provided by 'npnet-sgd-momentum'" in message
    assert "npnet-adam:adam" in message


# -- 3. unknown names ----------------------------------------------------------------


def test_unknown_name_is_a_lookup_error_listing_installed_components(official_registry):
    """An unknown name raises ComponentNotFoundError (a LookupError) listing that kind's components with providers."""
    with pytest.raises(ComponentNotFoundError) as excinfo:
        official_registry.lookup("optimizer", "lion")
    assert isinstance(excinfo.value, LookupError) and isinstance(excinfo.value, NpnetError)
    message = str(excinfo.value)
    assert message.startswith("no optimizer named 'lion'")
    assert (
        "installed optimizers: adagrad (npnet-rmsprop 0.1.0), adam (npnet-adam 0.1.0), adamax (npnet-adam 0.1.0), "
        "adamw (npnet-adam 0.1.0), rmsprop (npnet-rmsprop 0.1.0), sgd (npnet-sgd-momentum 0.1.0)" in message
    )
    assert "relu" not in message  # only components of the kind asked for
    assert "pip install" not in message  # not an official name


def test_unknown_name_suggests_close_matches(official_registry):
    """A misspelt name suggests the close installed names ("rmsporp" -> "rmsprop")."""
    with pytest.raises(ComponentNotFoundError, match=r"did you mean 'rmsprop'\?"):
        official_registry.lookup("optimizer", "rmsporp")


def test_missing_official_name_says_which_distribution_to_install(empty_registry):
    """An official name missing from the registry says `pip install` its distribution."""
    import npnet_relu_softmax.plugin

    empty_registry.register_plugin(npnet_relu_softmax.plugin, "relu-softmax", distribution="npnet-relu-softmax")
    with pytest.raises(ComponentNotFoundError) as excinfo:
        empty_registry.lookup("optimizer", "adam")
    message = str(excinfo.value)
    assert "pip install npnet-adam" in message
    assert "installed optimizers: none" in message


def test_unknown_kind_is_rejected(official_registry):
    """A kind not in the kinds table raises ValueError naming the kinds."""
    with pytest.raises(ValueError, match=", ".join(KINDS)):
        official_registry.lookup("layer", "dense")


# -- 4. two providers of one name -----------------------------------------------------


@pytest.fixture
def two_providers(empty_registry: Registry) -> Registry:
    """Two throwaway distributions both registering the optimizer "fast"."""

    class FastA(FakeOptimizer):
        pass

    class FastB(FakeOptimizer):
        pass

    empty_registry.register_plugin(
        make_plugin(optimizers=[("fast", FastA)]), "fast-a", distribution="npnet-fast-a", version="1.0"
    )
    empty_registry.register_plugin(
        make_plugin(optimizers=[("fast", FastB)]), "fast-b", distribution="npnet-fast-b", version="2.0"
    )
    empty_registry.classes = {"npnet-fast-a": FastA, "npnet-fast-b": FastB}  # type: ignore[attr-defined]
    return empty_registry


def test_two_providers_of_a_name_make_an_unpinned_lookup_ambiguous(two_providers):
    """An unpinned name with two providers raises AmbiguousComponentError naming both and how to pin."""
    with pytest.raises(AmbiguousComponentError) as excinfo:
        two_providers.lookup("optimizer", "fast")
    assert isinstance(excinfo.value, LookupError)
    message = str(excinfo.value)
    assert "npnet-fast-a 1.0 (pin it as 'npnet-fast-a:fast')" in message
    assert "npnet-fast-b 2.0 (pin it as 'npnet-fast-b:fast')" in message
    assert "DISTRIBUTION:NAME" in message and "NPNET_BLOCK_PLUGINS" in message


def test_pinned_lookup_picks_each_of_two_providers(two_providers):
    """With two providers, each pin resolves to its own distribution's factory."""
    for distribution, cls in two_providers.classes.items():
        entry = two_providers.lookup("optimizer", f"{distribution}:fast")
        assert (entry.distribution, entry.factory) == (distribution, cls)


# -- 5. a plugin that fails to import ------------------------------------------------


def test_broken_plugin_warns_naming_the_plugin_and_its_error(fake_entry_points):
    """A plugin whose entry point raises emits a PluginLoadWarning naming it and its error."""
    fake_entry_points(*good_and_broken_sources())
    registry = Registry()
    with pytest.warns(PluginLoadWarning) as record:
        registry.lookup("optimizer", "good_opt")
    assert len(record) == 1
    message = str(record[0].message)
    assert "plugin 'broken' from npnet-broken 0.3 failed to load" in message
    assert "ImportError: No module named 'missing_dependency'" in message


def test_broken_plugin_is_listed_in_failures_with_its_error(fake_entry_points):
    """The failed plugin is listed in `failures` with its own exception; it is not among `plugins`."""
    fake_entry_points(*good_and_broken_sources())
    registry = Registry()
    with pytest.warns(PluginLoadWarning):
        failures = registry.failures
    assert [(f.name, f.distribution, f.version) for f in failures] == [("broken", "npnet-broken", "0.3")]
    assert failures[0].error is BROKEN
    assert failures[0].message == "ImportError: No module named 'missing_dependency'"
    assert [p.name for p in registry.plugins] == ["good"]


def test_broken_plugin_does_not_take_the_others_down(fake_entry_points):
    """Plugins after a broken one still load and their components resolve."""
    fake_entry_points(*good_and_broken_sources())
    registry = Registry()
    with pytest.warns(PluginLoadWarning):
        entry = registry.lookup("optimizer", "good_opt")
    assert entry.distribution == "npnet-good"


def test_name_from_a_failed_plugin_carries_its_error(fake_entry_points):
    """Looking up a name the failed plugin would have provided gives an error carrying that plugin's error."""
    fake_entry_points(*good_and_broken_sources())
    registry = Registry()
    with pytest.warns(PluginLoadWarning):
        registry.plugins
    with pytest.raises(ComponentNotFoundError) as excinfo:
        registry.lookup("optimizer", "broken_opt")
    message = str(excinfo.value)
    assert "plugin 'broken' from npnet-broken 0.3 failed to load" in message
    assert "ImportError: No module named 'missing_dependency'" in message


# -- 6. strict mode -------------------------------------------------------------------


def test_strict_registry_raises_plugin_load_error_chained_to_the_plugin_error(fake_entry_points):
    """Registry(strict=True) raises PluginLoadError from the broken plugin's own error instead of warning."""
    fake_entry_points(*good_and_broken_sources())
    registry = Registry(strict=True)
    with pytest.raises(PluginLoadError) as excinfo:
        registry.lookup("optimizer", "good_opt")
    assert excinfo.value.__cause__ is BROKEN
    assert isinstance(excinfo.value, ImportError)
    assert "plugin 'broken' from npnet-broken 0.3 failed to load" in str(excinfo.value)
    assert "NPNET_STRICT_PLUGINS" in str(excinfo.value)


@pytest.mark.parametrize("value", ["1", "true", "YES"])
def test_strict_env_var_turns_on_strict_mode(fake_entry_points, clean_env, value):
    """NPNET_STRICT_PLUGINS=1 (or true/yes) makes a new Registry() strict."""
    fake_entry_points(*good_and_broken_sources())
    clean_env.setenv(_discovery.ENV_STRICT, value)
    registry = Registry()
    assert registry.strict is True
    with pytest.raises(PluginLoadError) as excinfo:
        registry.lookup("optimizer", "good_opt")
    assert excinfo.value.__cause__ is BROKEN


def test_strict_registry_keeps_failing_and_still_records_everything(fake_entry_points):
    """After strict mode raises, every look-up raises again; plugins and failures stay inspectable."""
    broken = source("a-broken", BROKEN, "npnet-broken", "0.3")
    good = source("z-good", make_plugin(optimizers=[("good_opt", FakeOptimizer)]), "npnet-good", "1.0")
    fake_entry_points(broken, good)
    registry = Registry(strict=True)
    assert [p.name for p in registry.plugins] == ["z-good"]  # listing never raises: it shows what failed
    for _ in range(2):
        with pytest.raises(PluginLoadError, match="No module named 'missing_dependency'"):
            registry.lookup("optimizer", "good_opt")
    assert [p.name for p in registry.plugins] == ["z-good"]
    assert [f.name for f in registry.failures] == ["a-broken"]


@pytest.fixture
def unreadable_entry_points(clean_env: pytest.MonkeyPatch) -> TypeError:
    """Make ``_discovery.discover`` raise as importlib.metadata does on a damaged entry_points.txt."""
    error = TypeError("cannot unpack non-iterable NoneType object")

    def discover() -> List[_discovery.PluginSource]:
        raise error

    clean_env.setattr(_discovery, "discover", discover)
    return error


def test_unreadable_entry_points_are_a_recorded_failure_not_a_crash(unreadable_entry_points):
    """A damaged entry_points.txt anywhere: a warning, the failure in notes, hand-registered plugins still work."""
    registry = Registry()
    with pytest.warns(PluginLoadWarning, match="entry points could not be read, so no plugin was loaded: TypeError"):
        assert registry.plugins == []
    assert [f.error for f in registry.failures] == [unreadable_entry_points]
    with pytest.raises(
        ComponentNotFoundError, match="note: the installed distributions' entry points could not be read"
    ):
        registry.lookup("optimizer", "adam")
    registry.register_plugin(make_plugin(optimizers=[("good_opt", FakeOptimizer)]), "by-hand")
    assert registry.lookup("optimizer", "good_opt").name == "good_opt"


def test_unreadable_entry_points_fail_every_look_up_in_strict_mode(unreadable_entry_points):
    registry = Registry(strict=True)
    for _ in range(2):
        with pytest.raises(PluginLoadError, match="entry points could not be read.*strict mode") as excinfo:
            registry.lookup("optimizer", "adam")
        assert excinfo.value.__cause__ is unreadable_entry_points


# -- 7. environment switches ----------------------------------------------------------


def test_disable_autoload_env_var_loads_no_entry_points(clean_env):
    """NPNET_DISABLE_PLUGIN_AUTOLOAD=1: a new Registry() never reads entry points; "adam" fails with the pip hint."""
    calls = {"discover": 0}
    real_discover = _discovery.discover

    def spy() -> List[_discovery.PluginSource]:
        calls["discover"] += 1
        return real_discover()

    clean_env.setattr(_discovery, "discover", spy)
    clean_env.setenv(_discovery.ENV_DISABLE_AUTOLOAD, "1")
    registry = Registry()
    with pytest.raises(ComponentNotFoundError, match="pip install npnet-adam"):
        registry.lookup("optimizer", "adam")
    assert registry.plugins == [] and registry.failures == []
    assert calls["discover"] == 0


@pytest.mark.parametrize("blocked", ["npnet-adam", "adam", " NPNet_Adam "])
def test_block_env_var_blocks_just_that_plugin(clean_env, blocked):
    """NPNET_BLOCK_PLUGINS with a distribution or entry-point name blocks that plugin only; its names say so."""
    clean_env.setenv(_discovery.ENV_BLOCK, blocked)
    registry = Registry()
    with pytest.raises(ComponentNotFoundError) as excinfo:
        registry.lookup("optimizer", "adam")
    message = str(excinfo.value)
    assert (
        "'adam' is provided by the distribution npnet-adam, which is installed but blocked by NPNET_BLOCK_PLUGINS "
        "(it lists npnet-adam or its entry point 'adam'): take it out to use 'adam'"
    ) in message
    assert "pip install" not in message
    assert registry.lookup("optimizer", "sgd").distribution == "npnet-sgd-momentum"
    assert registry.lookup("activation", "relu").distribution == "npnet-relu-softmax"
    assert sorted(p.name for p in registry.plugins) == [
        "initializers",
        "metrics",
        "modern-activations",
        "regression-losses",
        "regularizers",
        "relu-softmax",
        "rmsprop",
        "schedules",
        "sgd-momentum",
        "sigmoid-tanh",
    ]
    assert registry.failures == []


def test_block_env_var_takes_a_comma_separated_list(clean_env):
    """NPNET_BLOCK_PLUGINS="adam, npnet-sgd-momentum" blocks both plugins."""
    clean_env.setenv(_discovery.ENV_BLOCK, "adam, npnet-sgd-momentum")
    registry = Registry()
    assert [p.name for p in registry.plugins] == [
        "initializers",
        "metrics",
        "modern-activations",
        "regression-losses",
        "regularizers",
        "relu-softmax",
        "rmsprop",
        "schedules",
        "sigmoid-tanh",
    ]


def test_blocked_broken_plugin_is_never_imported(fake_entry_points):
    """A blocked entry point is not loaded at all, so its import error never shows."""
    broken, good = good_and_broken_sources()
    fake_entry_points(broken, good)
    registry = Registry(blocked=["npnet-broken"])
    assert [p.name for p in registry.plugins] == ["good"]
    assert registry.failures == [] and broken.entry_point.loads == 0


# -- 8. plugins refused as a whole ----------------------------------------------------


def test_plugin_registering_a_name_twice_is_refused_as_a_whole(fake_entry_points):
    """A plugin registering one name twice is recorded as failed, naming the name, and none of its components load."""
    twice = make_plugin(
        activations=[("fine_act", FakeActivation)],
        optimizers=[("dup", FakeOptimizer), ("other", FakeOptimizer), ("dup", FakeOptimizer)],
    )
    fake_entry_points(source("twice", twice), source("good", make_plugin(optimizers=[("good_opt", FakeOptimizer)])))
    registry = Registry()
    with pytest.warns(PluginLoadWarning, match="registers the optimizer name 'dup' twice"):
        registry.plugins
    [failure] = registry.failures
    assert failure.name == "twice" and isinstance(failure.error, InvalidComponentError)
    assert registry.names("optimizer") == ["good_opt"]
    assert registry.names("activation") == []
    assert registry.plugin_manager.get_plugin("twice") is None


def test_alias_clashing_with_a_name_of_the_same_plugin_is_refused(empty_registry):
    """An alias equal to another name of the same plugin and kind counts as registering it twice."""
    plugin = make_plugin(losses=[("sq", FakeLoss), ("abs", FakeLoss, ("sq",))])
    with pytest.raises(InvalidComponentError, match="registers the loss name 'sq' twice"):
        empty_registry.register_plugin(plugin, "clash")
    assert empty_registry.plugins == []


def test_one_name_in_two_kinds_is_allowed(empty_registry):
    """The same name may be registered once per kind by one plugin."""
    plugin = make_plugin(activations=[("same", FakeActivation)], losses=[("same", FakeLoss)])
    empty_registry.register_plugin(plugin, "both")
    assert empty_registry.lookup("activation", "same").factory is FakeActivation
    assert empty_registry.lookup("loss", "same").factory is FakeLoss


def test_plugin_whose_hook_raises_is_recorded_as_failed_while_others_load(fake_entry_points):
    """A plugin whose register hook raises is recorded as failed and fully unregistered; the others load."""
    raising = types.SimpleNamespace()

    @hookimpl
    def npnet_register_optimizers(register):
        register("half_opt", FakeOptimizer)
        raise RuntimeError("boom in hook")

    @hookimpl
    def npnet_output_gradient(activation, loss):
        return lambda y_pred, y_true: y_pred

    raising.npnet_register_optimizers = npnet_register_optimizers
    raising.npnet_output_gradient = npnet_output_gradient
    fake_entry_points(source("raising", raising), source("good", make_plugin(optimizers=[("good_opt", FakeOptimizer)])))
    registry = Registry()
    with pytest.warns(PluginLoadWarning, match="plugin 'raising' .*RuntimeError: boom in hook"):
        assert registry.lookup("optimizer", "good_opt").plugin == "good"
    assert [(f.name, type(f.error)) for f in registry.failures] == [("raising", RuntimeError)]
    assert registry.names("optimizer") == ["good_opt"]
    assert registry.output_gradient(FakeActivation(), FakeLoss()) is None  # its other hooks are gone too


def test_hand_registered_plugin_whose_hook_raises_raises_at_once(empty_registry):
    """register_plugin re-raises a hook's own error and registers nothing."""

    class Raising:
        @hookimpl
        def npnet_register_losses(self, register):
            raise RuntimeError("boom in hook")

    with pytest.raises(RuntimeError, match="boom in hook"):
        empty_registry.register_plugin(Raising(), "raising")
    assert empty_registry.plugins == [] and empty_registry.failures == []
    assert empty_registry.plugin_manager.get_plugin("raising") is None


def test_registering_the_same_plugin_object_twice_fails_clearly(empty_registry):
    """The same plugin object registered under a second name raises ValueError naming the first name."""
    plugin = make_plugin(optimizers=[("once", FakeOptimizer)])
    empty_registry.register_plugin(plugin, "first")
    with pytest.raises(ValueError, match="already registered as 'first'"):
        empty_registry.register_plugin(plugin, "second")
    assert [p.name for p in empty_registry.plugins] == ["first"]
    assert empty_registry.lookup("optimizer", "once").plugin == "first"


def test_registering_two_plugins_under_one_name_fails_clearly(empty_registry):
    """A second plugin under a taken name raises ValueError saying to unregister the first."""
    empty_registry.register_plugin(make_plugin(optimizers=[("one", FakeOptimizer)]), "taken")
    with pytest.raises(ValueError, match="'taken' is already registered; unregister it first"):
        empty_registry.register_plugin(make_plugin(optimizers=[("two", FakeOptimizer)]), "taken")
    assert empty_registry.names("optimizer") == ["one"]


def misspelled_plugin() -> types.SimpleNamespace:
    plugin = make_plugin(activations=[("would_be", FakeActivation)])

    @hookimpl
    def npnet_register_optimiser(register):
        register("misspelled_opt", FakeOptimizer)

    plugin.npnet_register_optimiser = npnet_register_optimiser
    return plugin


def test_misspelled_hook_is_refused_as_a_failure(fake_entry_points):
    """A plugin with an unknown hook name (npnet_register_optimiser) fails pluggy validation and is recorded as failed."""
    fake_entry_points(source("misspelled", misspelled_plugin()))
    registry = Registry()
    with pytest.warns(PluginLoadWarning, match="npnet_register_optimiser"):
        registry.plugins
    [failure] = registry.failures
    assert isinstance(failure.error, pluggy.PluginValidationError)
    assert registry.names("activation") == [] and registry.names("optimizer") == []


def test_misspelled_hook_registered_by_hand_raises_and_leaves_the_registry_usable(empty_registry):
    """register_plugin raises PluginValidationError for an unknown hook; later plugins still register."""
    with pytest.raises(pluggy.PluginValidationError, match="npnet_register_optimiser"):
        empty_registry.register_plugin(misspelled_plugin(), "misspelled")
    empty_registry.register_plugin(make_plugin(optimizers=[("good_opt", FakeOptimizer)]), "good")
    assert empty_registry.names("optimizer") == ["good_opt"]


def test_hook_with_wrong_arguments_is_refused_without_leaving_hooks_behind(empty_registry):
    """A hook whose arguments do not match the spec fails validation; none of the plugin's hooks stay registered."""

    class WrongArguments:
        @hookimpl
        def npnet_output_gradient(self, activation, loss):
            return lambda y_pred, y_true: y_pred

        @hookimpl
        def npnet_register_optimizers(self, reg):
            reg("wrong_opt", FakeOptimizer)

    with pytest.raises(pluggy.PluginValidationError, match="reg"):
        empty_registry.register_plugin(WrongArguments(), "wrong")
    assert empty_registry.plugin_manager.get_plugin("wrong") is None
    assert empty_registry.output_gradient(FakeActivation(), FakeLoss()) is None


def test_plugin_left_in_the_manager_by_a_failed_pluggy_registration_is_removed(empty_registry, monkeypatch):
    """If pluggy's register fails after adding the plugin (as pluggy < 1.7 does), the registry removes it again."""
    manager = empty_registry.plugin_manager
    real_register = manager.register

    def register_then_fail(plugin, name=None):
        real_register(plugin, name=name)
        raise pluggy.PluginValidationError(plugin, "simulated late validation failure")

    monkeypatch.setattr(manager, "register", register_then_fail)

    class Fused:
        @hookimpl
        def npnet_output_gradient(self, activation, loss):
            return lambda y_pred, y_true: y_pred

    with pytest.raises(pluggy.PluginValidationError, match="simulated"):
        empty_registry.register_plugin(Fused(), "half")
    assert manager.get_plugin("half") is None
    assert empty_registry.output_gradient(FakeActivation(), FakeLoss()) is None


# -- 9. bad registrations -------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (("adam2", 42), "must be callable"),
        (("npnet:adam", FakeOptimizer), "':' is reserved"),
        (("my adam", FakeOptimizer), "'my adam'"),
        (("", FakeOptimizer), "non-empty string"),
        ((None, FakeOptimizer), "non-empty string"),
        (("ok_name", FakeOptimizer, ("bad alias",)), "an alias of optimizer 'ok_name'"),
        (("ok_name", FakeOptimizer, "ok"), "aliases"),
    ],
    ids=["non-callable", "colon", "space", "empty", "not-a-string", "bad-alias", "aliases-as-a-string"],
)
def test_bad_registration_raises_invalid_component_error_at_once(empty_registry, call, message):
    """A bad name, alias or non-callable factory makes register_plugin raise InvalidComponentError and register nothing."""
    plugin = make_plugin(optimizers=[("fine_opt", FakeOptimizer), call])
    with pytest.raises(InvalidComponentError, match=message) as excinfo:
        empty_registry.register_plugin(plugin, "bad")
    assert isinstance(excinfo.value, TypeError)
    assert empty_registry.plugins == [] and empty_registry.names("optimizer") == []


@pytest.mark.parametrize("name", ["bad:name", "bad name", "-leading-dash"])
def test_bad_plugin_name_is_refused(empty_registry, name):
    """register_plugin refuses a plugin name with ':', spaces or a leading punctuation mark."""
    with pytest.raises(InvalidComponentError, match="plugin name"):
        empty_registry.register_plugin(make_plugin(optimizers=[("x", FakeOptimizer)]), name)
    assert empty_registry.plugins == []


# -- 10. create() ---------------------------------------------------------------------


@pytest.fixture
def fake_registry(empty_registry: Registry) -> Registry:
    """A registry holding one throwaway plugin of distribution npnet-fake 1.2."""
    made: List[Dict[str, Any]] = []

    def make_optimizer(learning_rate: float = 0.1, momentum: float = 0.0) -> FakeOptimizer:
        made.append({"learning_rate": learning_rate, "momentum": momentum})
        return FakeOptimizer(learning_rate, momentum)

    class NoBackward:
        name = "no_backward"

        def forward(self, y_pred, y_true):
            return y_pred

    def sized(size: int) -> FakeActivation:
        return FakeActivation()

    plugin = make_plugin(
        activations=[("sized", sized)],
        losses=[("no_backward", NoBackward), ("fake_loss", FakeLoss, ("fl",))],
        optimizers=[("fake_opt", make_optimizer)],
    )
    empty_registry.register_plugin(plugin, "fake", distribution="npnet-fake", version="1.2")
    empty_registry.made = made  # type: ignore[attr-defined]
    return empty_registry


def test_create_rejects_an_unknown_parameter_listing_the_accepted_ones(fake_registry):
    """An unknown hyperparameter raises InvalidParameterError naming it and the accepted ones, without a far-off guess."""
    with pytest.raises(InvalidParameterError) as excinfo:
        fake_registry.create("optimizer", "fake_opt", {"lr": 0.5})
    assert isinstance(excinfo.value, ValueError)
    message = str(excinfo.value)
    assert "optimizer 'fake_opt' (npnet-fake 1.2) has no parameter 'lr'" in message
    assert "accepted: learning_rate, momentum" in message
    assert "did you mean" not in message
    assert fake_registry.made == []


def test_create_suggests_the_close_parameter_name(fake_registry):
    """A misspelt hyperparameter ("learning_rat") suggests the close one ("learning_rate")."""
    with pytest.raises(InvalidParameterError, match=r"'learning_rat'; did you mean 'learning_rate'\?"):
        fake_registry.create("optimizer", "fake_opt", {"learning_rat": 0.5})


def test_create_reports_a_missing_required_parameter(fake_registry):
    """A factory's required parameter left out raises InvalidParameterError naming it."""
    with pytest.raises(InvalidParameterError, match="'size'"):
        fake_registry.create("activation", "sized")


def test_create_lets_a_factorys_own_type_error_through(empty_registry):
    """Without parameters the signature is read only when the call fails: a TypeError from inside is not a parameter problem."""

    def broken() -> FakeActivation:
        raise TypeError("broken inside")

    empty_registry.register_plugin(make_plugin(activations=[("broken", broken)]), "broken")
    with pytest.raises(TypeError, match="broken inside") as excinfo:
        empty_registry.create("activation", "broken")
    assert not isinstance(excinfo.value, InvalidParameterError)


def test_create_passes_the_params_to_the_factory(fake_registry):
    """create() calls the factory with the params as keyword arguments."""
    optimizer, _ = fake_registry.create("optimizer", "fake_opt", {"momentum": 0.9})
    assert fake_registry.made == [{"learning_rate": 0.1, "momentum": 0.9}]
    assert (optimizer.learning_rate, optimizer.momentum) == (0.1, 0.9)


def test_create_rejects_a_component_lacking_the_protocol(fake_registry):
    """A factory returning an object without `backward` raises InvalidComponentError naming the provider and what is missing."""
    with pytest.raises(InvalidComponentError) as excinfo:
        fake_registry.create("loss", "no_backward")
    message = str(excinfo.value)
    assert "npnet-fake 1.2's loss 'no_backward' is not a valid loss" in message
    assert "NoBackward lacks a method 'backward'" in message


def test_create_returns_a_spec_with_canonical_name_params_distribution_version(installed_registry):
    """The ComponentSpec of create() records the canonical name (not the alias), params, distribution and version."""
    loss, spec = installed_registry.create("loss", "mse")
    assert spec == ComponentSpec(
        "loss", "mean_squared_error", {}, "npnet-relu-softmax", dist_version("npnet-relu-softmax")
    )
    assert loss.name == "mean_squared_error"
    optimizer, spec = installed_registry.create("optimizer", "npnet-adam:adam", {"learning_rate": 0.01})
    assert spec == ComponentSpec("optimizer", "adam", {"learning_rate": 0.01}, "npnet-adam", dist_version("npnet-adam"))
    assert optimizer.get_config()["learning_rate"] == 0.01
    assert spec.to_json() == {
        "name": "adam",
        "params": {"learning_rate": 0.01},
        "distribution": "npnet-adam",
        "version": dist_version("npnet-adam"),
    }


# -- 11. unregistering, listing -------------------------------------------------------


def test_unregister_plugin_removes_its_components(fake_registry):
    """After unregister_plugin, the plugin's components no longer resolve and the name is free again."""
    assert fake_registry.lookup("loss", "fl").name == "fake_loss"
    fake_registry.unregister_plugin("fake")
    assert fake_registry.plugins == []
    for kind, name in [("loss", "fake_loss"), ("loss", "fl"), ("optimizer", "fake_opt")]:
        with pytest.raises(ComponentNotFoundError):
            fake_registry.lookup(kind, name)
    fake_registry.register_plugin(make_plugin(optimizers=[("again", FakeOptimizer)]), "fake")
    assert fake_registry.names("optimizer") == ["again"]


def test_unregister_unknown_plugin_raises_key_error(empty_registry):
    """unregister_plugin of a name never registered raises KeyError."""
    with pytest.raises(KeyError, match="no plugin named 'ghost'"):
        empty_registry.unregister_plugin("ghost")


def test_unregister_entry_point_plugin_before_first_lookup(clean_env):
    """unregister_plugin works on an entry-point plugin of a fresh registry (it loads entry points first)."""
    registry = Registry()
    registry.unregister_plugin("adam")
    with pytest.raises(ComponentNotFoundError):
        registry.lookup("optimizer", "adam")
    assert registry.lookup("optimizer", "sgd").distribution == "npnet-sgd-momentum"


def test_entries_and_names_are_sorted_and_names_include_aliases(empty_registry):
    """entries() is sorted by name then provider; names() is sorted and includes aliases."""
    empty_registry.register_plugin(
        make_plugin(losses=[("zeta", FakeLoss), ("alpha", FakeLoss, ("a_alias", "omega")), ("mid", FakeLoss)]),
        "one",
        distribution="npnet-z",
    )
    empty_registry.register_plugin(make_plugin(losses=[("mid", FakeLoss)]), "two", distribution="npnet-a")
    entries = empty_registry.entries("loss")
    assert [(e.name, e.distribution) for e in entries] == [
        ("alpha", "npnet-z"),
        ("mid", "npnet-a"),
        ("mid", "npnet-z"),
        ("zeta", "npnet-z"),
    ]
    assert empty_registry.names("loss") == ["a_alias", "alpha", "mid", "omega", "zeta"]
    assert empty_registry.names("optimizer") == []


# -- 12. lazy loading -----------------------------------------------------------------


def test_constructing_a_registry_imports_no_entry_points(fake_entry_points):
    """Registry() reads no entry points until the first look-up, and loads them once."""
    plugin_source = source("lazy", make_plugin(optimizers=[("lazy_opt", FakeOptimizer)]))
    calls = fake_entry_points(plugin_source)
    registry = Registry()
    assert calls["discover"] == 0 and plugin_source.entry_point.loads == 0
    assert registry.lookup("optimizer", "lazy_opt").plugin == "lazy"
    registry.lookup("optimizer", "lazy_opt")
    registry.names("activation")
    assert calls["discover"] == 1 and plugin_source.entry_point.loads == 1


def test_hand_registration_does_not_trigger_autoload(fake_entry_points):
    """register_plugin on a fresh registry does not read entry points; the first look-up does."""
    calls = fake_entry_points(source("lazy", make_plugin(optimizers=[("lazy_opt", FakeOptimizer)])))
    registry = Registry()
    registry.register_plugin(make_plugin(optimizers=[("hand_opt", FakeOptimizer)]), "hand")
    assert calls["discover"] == 0
    assert registry.names("optimizer") == ["hand_opt", "lazy_opt"]


def test_a_second_thread_waits_for_the_plugins_the_first_is_loading(fake_entry_points):
    """Two threads' first look-ups at once: the second waits for loading to end, never sees a partial table."""
    loading = threading.Event()

    class SlowEntryPoint(FakeEntryPoint):
        def load(self) -> object:
            loading.set()
            time.sleep(0.3)  # the main thread looks up meanwhile
            return super().load()

    plugin = make_plugin(optimizers=[("slow_opt", FakeOptimizer)])
    fake_entry_points(_discovery.PluginSource("slow", "fake_slow.plugin", "fake-dist", "1.0", SlowEntryPoint(plugin)))
    registry = Registry()
    found: Dict[str, List[str]] = {}
    first = threading.Thread(target=lambda: found.setdefault("first", registry.names("optimizer")))
    first.start()
    assert loading.wait(10)
    found["second"] = registry.names("optimizer")
    first.join()
    assert found == {"first": ["slow_opt"], "second": ["slow_opt"]}


# -- duplicate entry-point names ------------------------------------------------------


def test_two_distributions_with_one_entry_point_name_both_load(fake_entry_points):
    """Two distributions declaring the same entry-point name are both loaded, not one silently dropped."""

    class OtherAdam(FakeOptimizer):
        pass

    fake_entry_points(
        source("adam", make_plugin(optimizers=[("adam", FakeOptimizer)]), "npnet-adam", "0.1.0"),
        source("adam", make_plugin(optimizers=[("adam", OtherAdam)]), "npnet-other-adam", "9.0"),
    )
    registry = Registry()
    assert [(p.name, p.distribution) for p in registry.plugins] == [
        ("adam", "npnet-adam"),
        ("npnet-other-adam:adam", "npnet-other-adam"),
    ]
    with pytest.raises(AmbiguousComponentError, match="npnet-other-adam:adam"):
        registry.lookup("optimizer", "adam")
    assert registry.lookup("optimizer", "npnet-other-adam:adam").factory is OtherAdam
    assert registry.lookup("optimizer", "npnet-adam:adam").factory is FakeOptimizer


def test_entry_point_of_a_plugin_already_registered_by_hand_is_skipped(fake_entry_points):
    """An entry point whose plugin object was already registered by hand is skipped without a warning."""
    plugin = make_plugin(optimizers=[("hand_opt", FakeOptimizer)])
    fake_entry_points(source("hand", plugin))
    registry = Registry()
    registry.register_plugin(plugin, "hand")
    assert [p.name for p in registry.plugins] == ["hand"]
    assert registry.failures == []


def test_one_plugin_under_two_entry_points_is_registered_once(fake_entry_points):
    """Two entry points naming the same plugin module register it once: its names stay unambiguous."""
    plugin = make_plugin(optimizers=[("twice_opt", FakeOptimizer)])
    fake_entry_points(
        source("first", plugin, "npnet-twice", "1.0"),
        source("second", plugin, "npnet-twice", "1.0"),
    )
    registry = Registry()
    assert [p.name for p in registry.plugins] == ["first"]
    assert registry.failures == []
    assert registry.lookup("optimizer", "twice_opt").factory is FakeOptimizer


# -- 13. the fused output gradient ----------------------------------------------------


def test_output_gradient_hook_returns_the_plugin_function_for_its_pair(empty_registry):
    """registry.output_gradient returns the function a plugin gives for its (activation, loss) pair, None otherwise."""
    act, loss = FakeActivation(), FakeLoss()

    def fused(y_pred, y_true):
        return y_pred - y_true

    class Fused:
        @hookimpl
        def npnet_output_gradient(self, activation, loss):
            return fused if (activation is act and loss is expected_loss) else None

    expected_loss = loss
    empty_registry.register_plugin(Fused(), "fused")
    assert empty_registry.output_gradient(act, loss) is fused
    assert empty_registry.output_gradient(FakeActivation(), loss) is None
    assert empty_registry.output_gradient(act, FakeLoss()) is None


def test_output_gradient_hook_may_declare_only_the_arguments_it_uses(empty_registry):
    """A hook implementation taking only `loss` (allowed by pluggy) is called with just that argument."""
    loss = FakeLoss()

    def fused(y_pred, y_true):
        return y_pred - y_true

    class LossOnly:
        @hookimpl
        def npnet_output_gradient(self, loss):
            return fused if loss is expected else None

    expected = loss
    empty_registry.register_plugin(LossOnly(), "loss-only")
    assert empty_registry.output_gradient(FakeActivation(), loss) is fused


def test_official_registry_returns_the_fused_softmax_crossentropy_gradient(installed_registry):
    """For the official Softmax and CategoricalCrossentropy the registry returns the plugin's fused gradient."""
    from npnet_relu_softmax.fused import softmax_crossentropy_gradient

    softmax, _ = installed_registry.create("activation", "softmax")
    crossentropy, _ = installed_registry.create("loss", "categorical_crossentropy")
    relu, _ = installed_registry.create("activation", "relu")
    assert installed_registry.output_gradient(softmax, crossentropy) is softmax_crossentropy_gradient
    assert installed_registry.output_gradient(relu, crossentropy) is None
