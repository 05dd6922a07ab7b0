"""Plugins and components that misbehave: each reproducer of issue 12's "Plugins that escape isolation".

A plugin that exits or is interrupted while it loads, a factory that raises, a
blocked plugin, ``npnet plugins`` in strict mode, a training hook that raises,
and a component that returns the wrong shape or dtype: each gives a typed npnet
error naming the plugin or component, never a silent exit, a half-loaded
registry, a raw exception or a silently broadcast result.

Throwaway plugins are served as fake entry points (a monkeypatched
``_discovery.discover``), registered by hand, or, for the command line, installed
as a distribution folder (``*.dist-info``) on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, Callable, List, Optional

import npnet_initializers.plugin
import npnet_relu_softmax.plugin
import numpy as np
import pytest

import npnet_core.components._registry as registry_module
from npnet_core import (
    ComponentNotFoundError,
    InvalidComponentError,
    InvalidParameterError,
    NeuralNetwork,
    PluginLoadError,
    PluginLoadWarning,
    Registry,
    hookimpl,
)
from npnet_core.cli import main
from npnet_core.components import (
    ComponentSpec,
    PluginFailure,
    _discovery,
    call_hook,
    check_activation_result,
    check_loss_result,
    check_output_gradient_result,
    check_update_result,
)
from npnet_core.testing._reference import GradientDescent

ROOT = Path(__file__).resolve().parent.parent


# -- throwaway plugins ---------------------------------------------------------------


class Sgd(GradientDescent):
    """A correct optimizer: ``params - 0.1 * gradient`` (the suite's reference, under a plugin's name)."""

    name = "throwaway_sgd"


def optimizers_plugin(*names: str) -> types.SimpleNamespace:
    """A plugin registering the optimizer :class:`Sgd` under each name."""

    @hookimpl
    def npnet_register_optimizers(register: Callable[..., None]) -> None:
        for name in names:
            register(name, Sgd)

    return types.SimpleNamespace(npnet_register_optimizers=npnet_register_optimizers)


class EntryPoint:
    """Stands for an importlib.metadata entry point: ``load()`` returns the plugin, or raises what it is given."""

    def __init__(self, result: object) -> None:
        self.result = result
        self.loads = 0

    def load(self) -> object:
        self.loads += 1
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


def source(name: str, plugin: object, distribution: Optional[str] = None) -> _discovery.PluginSource:
    distribution = distribution or f"npnet-{name}"
    return _discovery.PluginSource(name, f"{name}_plugin", distribution, "1.0", EntryPoint(plugin))


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Serve the given sources as the installed entry points, with no NPNET_* switch set."""
    for var in (_discovery.ENV_DISABLE_AUTOLOAD, _discovery.ENV_BLOCK, _discovery.ENV_STRICT):
        monkeypatch.delenv(var, raising=False)

    def install(*sources: _discovery.PluginSource) -> None:
        monkeypatch.setattr(_discovery, "discover", lambda: list(sources))

    return install


def registered_names(registry: Registry) -> List[str]:
    """The plugins in the registry's pluggy manager, whatever the registry says it loaded."""
    return sorted(name for name, _ in registry.plugin_manager.list_name_plugin())


# -- 1. a plugin interrupted or exiting while it loads ----------------------------------


def test_ctrl_c_in_a_plugin_import_propagates_and_the_next_look_up_loads_everything(entry_points):
    """KeyboardInterrupt in the second of three imports propagates; nothing stays half-loaded; the next look-up
    loads all three (the notebook interrupted during a slow plugin import)."""
    slow = source("b-slow", KeyboardInterrupt())
    first, last = source("a-first", optimizers_plugin("first_opt")), source("c-last", optimizers_plugin("last_opt"))
    entry_points(first, slow, last)
    registry = Registry()
    with pytest.raises(KeyboardInterrupt):
        registry.lookup("optimizer", "first_opt")
    assert registered_names(registry) == []  # not "loaded" with only the first plugin
    assert last.entry_point.loads == 0
    slow.entry_point.result = optimizers_plugin("slow_opt")  # the import would finish this time
    assert registry.names("optimizer") == ["first_opt", "last_opt", "slow_opt"]
    assert [p.name for p in registry.plugins] == ["a-first", "b-slow", "c-last"] and registry.failures == []
    assert (first.entry_point.loads, slow.entry_point.loads, last.entry_point.loads) == (2, 2, 1)


def test_a_plugin_import_interrupted_every_time_is_retried_every_time(entry_points):
    """While the import keeps being interrupted each look-up tries again: never "installed optimizers: none"."""
    slow = source("slow", KeyboardInterrupt())
    entry_points(source("good", optimizers_plugin("good_opt")), slow)
    registry = Registry()
    for attempt in (1, 2):
        with pytest.raises(KeyboardInterrupt):
            registry.lookup("optimizer", "good_opt")
        assert slow.entry_point.loads == attempt
        assert registered_names(registry) == []


def test_ctrl_c_in_a_register_hook_leaves_no_half_registered_plugin(entry_points):
    """KeyboardInterrupt raised inside a plugin's register hook: its hooks are unregistered too, and it loads next time."""
    interrupt = {"now": True}

    @hookimpl
    def npnet_register_optimizers(register):
        register("hooked_opt", Sgd)
        if interrupt["now"]:
            raise KeyboardInterrupt

    @hookimpl
    def npnet_output_gradient(activation, loss):
        return lambda y_pred, y_true: y_pred

    plugin = types.SimpleNamespace(
        npnet_register_optimizers=npnet_register_optimizers, npnet_output_gradient=npnet_output_gradient
    )
    entry_points(source("good", optimizers_plugin("good_opt")), source("hooked", plugin))
    registry = Registry()
    with pytest.raises(KeyboardInterrupt):
        registry.names("optimizer")
    assert registered_names(registry) == []
    interrupt["now"] = False
    assert registry.names("optimizer") == ["good_opt", "hooked_opt"]
    assert registered_names(registry) == ["good", "hooked"]


def test_ctrl_c_while_loading_keeps_the_plugins_registered_by_hand(entry_points):
    """Undoing an interrupted load removes only what it loaded: a plugin registered by hand before stays."""
    entry_points(source("slow", KeyboardInterrupt()))
    registry = Registry()
    registry.register_plugin(optimizers_plugin("hand_opt"), "by-hand")
    with pytest.raises(KeyboardInterrupt):
        registry.lookup("optimizer", "hand_opt")
    assert registered_names(registry) == ["by-hand"]


SYS_EXIT_3 = "PluginLoadError: sys.exit(3) was called while loading it (a plugin must raise an exception, not exit"


def test_sys_exit_in_a_plugin_import_is_that_plugins_failure(entry_points):
    """sys.exit(3) in an import does not exit: a warning and a recorded failure naming the plugin and the code."""
    entry_points(source("exiting", SystemExit(3)), source("good", optimizers_plugin("good_opt")))
    registry = Registry()
    with pytest.warns(PluginLoadWarning, match=r"plugin 'exiting' from npnet-exiting 1\.0 failed to load: ") as record:
        assert registry.lookup("optimizer", "good_opt").plugin == "good"
    assert SYS_EXIT_3 in str(record[0].message)
    [failure] = registry.failures
    assert isinstance(failure.error, PluginLoadError)
    assert isinstance(failure.error.__cause__, SystemExit) and failure.error.__cause__.code == 3
    with pytest.raises(ComponentNotFoundError, match=r"note: plugin 'exiting' .*sys\.exit\(3\)"):
        registry.lookup("optimizer", "exiting_opt")


def test_sys_exit_in_a_register_hook_is_that_plugins_failure(entry_points):
    """A register hook calling sys.exit("no GPU") is recorded as that plugin's failure; its hooks are gone."""

    @hookimpl
    def npnet_register_optimizers(register):
        register("half_opt", Sgd)
        sys.exit("no GPU")

    entry_points(source("exiting", types.SimpleNamespace(npnet_register_optimizers=npnet_register_optimizers)))
    registry = Registry()
    with pytest.warns(PluginLoadWarning, match=r"plugin 'exiting' .*sys\.exit\('no GPU'\) was called while loading"):
        assert registry.names("optimizer") == []
    assert registered_names(registry) == []


def test_sys_exit_in_strict_mode_raises_plugin_load_error_naming_plugin_and_code(entry_points):
    """In strict mode the exiting plugin makes every look-up raise PluginLoadError, not SystemExit."""
    entry_points(source("exiting", SystemExit(3)), source("good", optimizers_plugin("good_opt")))
    registry = Registry(strict=True)
    for _ in range(2):
        with pytest.raises(PluginLoadError, match=r"plugin 'exiting' from npnet-exiting 1\.0 failed to load: ") as info:
            registry.lookup("optimizer", "good_opt")
        assert SYS_EXIT_3 in str(info.value)


def test_sys_exit_in_a_hand_registered_plugin_raises_plugin_load_error(empty_registry):
    """register_plugin raises at once, as for any error: a PluginLoadError, never the SystemExit itself."""

    class Exiting:
        @hookimpl
        def npnet_register_losses(self, register):
            sys.exit(2)

    with pytest.raises(PluginLoadError, match=r"sys\.exit\(2\) was called while loading it"):
        empty_registry.register_plugin(Exiting(), "exiting")
    assert empty_registry.plugins == [] and registered_names(empty_registry) == []


def install_distribution(folder: Path, name: str, module_source: str) -> None:
    """Write the module ``<name>_plugin.py`` and a ``npnet-<name>`` 1.0 distribution announcing it as an entry point."""
    (folder / f"{name}_plugin.py").write_text(module_source, encoding="utf-8")
    info = folder / f"npnet_{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: npnet-{name}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[npnet]\n{name} = {name}_plugin\n", encoding="utf-8")


def npnet(folder: Path, *argv: str, strict: bool = False) -> subprocess.CompletedProcess:
    """Run the ``npnet`` command in a fresh interpreter with ``folder`` first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NPNET_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    if strict:
        env[_discovery.ENV_STRICT] = "1"
    return subprocess.run(
        [sys.executable, "-m", "npnet_core", *argv], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


def test_npnet_plugins_reports_an_installed_plugin_that_calls_sys_exit(tmp_path):
    """`npnet plugins` with a plugin that exits on import: listed as FAILED with the code, the others listed, exit 0;
    with NPNET_STRICT_PLUGINS=1, exit 1 and one line on stderr."""
    install_distribution(tmp_path, "exiting", "import sys\nsys.exit(3)\n")
    result = npnet(tmp_path, "plugins")
    assert result.returncode == 0, result.stderr
    assert f"FAILED plugin 'exiting' from npnet-exiting 1.0 failed to load: {SYS_EXIT_3}" in result.stdout
    assert "adam: npnet-adam" in result.stdout and "Traceback" not in result.stderr
    strict = npnet(tmp_path, "plugins", strict=True)
    assert strict.returncode == 1
    assert "FAILED plugin 'exiting'" in strict.stdout
    assert strict.stderr.splitlines()[-1].startswith("npnet: error: 1 plugin(s) failed to load, and ")


def test_npnet_plugins_interrupted_by_a_plugin_import_says_so(tmp_path):
    """A KeyboardInterrupt from a plugin's import reaches the command: "interrupted", exit 130, no traceback."""
    install_distribution(tmp_path, "interrupting", "raise KeyboardInterrupt\n")
    result = npnet(tmp_path, "plugins")
    assert (result.returncode, result.stderr) == (130, "npnet: error: interrupted\n")


# -- 2. a factory that raises -----------------------------------------------------------


def raising_factory(error: BaseException) -> Callable[..., Any]:
    def make(learning_rate: float = 0.1) -> Sgd:
        raise error

    return make


@pytest.fixture
def boom_registry(empty_registry: Registry) -> Callable[[BaseException], Registry]:
    """The optimizer "boom" of npnet-boom 2.0, whose factory raises the given error."""

    def make(error: BaseException) -> Registry:
        @hookimpl
        def npnet_register_optimizers(register):
            register("boom", raising_factory(error))

        plugin = types.SimpleNamespace(npnet_register_optimizers=npnet_register_optimizers)
        empty_registry.register_plugin(plugin, "boom", distribution="npnet-boom", version="2.0")
        return empty_registry

    return make


@pytest.mark.parametrize(
    "error, raised",
    [
        (RuntimeError("CUDA not found"), "RuntimeError: CUDA not found"),
        (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero"),
        (KeyError("missing"), "KeyError: 'missing'"),
        (TypeError("broken inside"), "TypeError: broken inside"),
        (ValueError("no config file"), "ValueError: no config file"),
        (SystemExit(4), r"SystemExit \(it called sys\.exit\(4\)\)"),
    ],
    ids=["RuntimeError", "ZeroDivisionError", "KeyError", "TypeError", "ValueError", "SystemExit"],
)
def test_a_factory_raising_gives_invalid_component_error_naming_component_and_distribution(
    boom_registry, error, raised
):
    """Made by name without parameters, a factory's exception becomes InvalidComponentError naming the optimizer,
    npnet-boom 2.0 and the exception, chained to it."""
    registry = boom_registry(error)
    with pytest.raises(InvalidComponentError) as info:
        registry.create("optimizer", "boom")
    assert info.value.__cause__ is error
    pattern = (
        rf"^optimizer 'boom' \(npnet-boom 2\.0\) could not be made: its factory raised {raised}; this is a fault of "
        r"npnet-boom: report it to its authors, or use another optimizer$"
    )
    assert re.fullmatch(pattern, str(info.value)), str(info.value)


def test_a_factory_raising_value_error_on_given_parameters_gives_invalid_parameter_error(boom_registry):
    """With parameters given, a ValueError is about them: InvalidParameterError naming the component and the params."""
    registry = boom_registry(ValueError("learning_rate too large for this model"))
    with pytest.raises(InvalidParameterError) as info:
        registry.create("optimizer", "boom", {"learning_rate": 5.0})
    assert str(info.value) == (
        "optimizer 'boom' (npnet-boom 2.0) could not be made with {'learning_rate': 5.0}: ValueError: learning_rate "
        "too large for this model; check the parameters (npnet plugins --params lists them)"
    )


def test_a_factorys_own_npnet_error_passes_unchanged(boom_registry):
    """A factory raising an npnet error already says what is wrong: it is not wrapped."""
    error = InvalidParameterError("boom: learning_rate must be > 0 (got -1)")
    registry = boom_registry(error)
    with pytest.raises(InvalidParameterError) as info:
        registry.create("optimizer", "boom", {"learning_rate": -1})
    assert info.value is error


def test_a_network_made_with_a_raising_factory_gets_the_typed_error(boom_registry):
    """NeuralNetwork(..., "boom", registry=...) raises the same InvalidComponentError."""
    registry = boom_registry(RuntimeError("CUDA not found"))
    registry.register_plugin(npnet_relu_softmax.plugin, "relu-softmax")
    with pytest.raises(InvalidComponentError, match=r"optimizer 'boom' \(npnet-boom 2\.0\) .*CUDA not found"):
        NeuralNetwork([2, 3, 2], "relu", "softmax", "categorical_crossentropy", "boom", registry=registry)


def test_npnet_train_with_a_raising_factory_is_a_one_line_error(boom_registry, monkeypatch, capsys):
    """The command line prints the typed error in one line and exits 1."""
    registry = boom_registry(RuntimeError("CUDA not found"))
    for module in (npnet_relu_softmax.plugin, npnet_initializers.plugin):
        registry.register_plugin(module, module.__name__.partition(".")[0])
    monkeypatch.setattr(registry_module, "_default", registry)
    status = main(["train", "--epochs", "1", "--quiet", "--optimizer", "boom"])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "optimizer 'boom' (npnet-boom 2.0) could not be made: its factory raised RuntimeError: CUDA not found" in err


# -- 3. a blocked plugin -----------------------------------------------------------------


def test_a_blocked_installed_plugin_is_named_instead_of_pip_install(entry_points, monkeypatch):
    """The official "adam" blocked through NPNET_BLOCK_PLUGINS: the message says it is blocked, not to pip install."""
    entry_points(source("adam", optimizers_plugin("adam"), "npnet-adam"), source("sgd", optimizers_plugin("sgd")))
    monkeypatch.setenv(_discovery.ENV_BLOCK, "npnet-adam")
    with pytest.raises(ComponentNotFoundError) as info:
        Registry().lookup("optimizer", "adam")
    message = str(info.value)
    assert (
        "'adam' is provided by the distribution npnet-adam, which is installed but blocked by NPNET_BLOCK_PLUGINS "
        "(it lists npnet-adam or its entry point 'adam'): take it out to use 'adam'"
    ) in message
    assert "pip install" not in message


def test_a_plugin_blocked_by_the_registry_argument_says_so(entry_points):
    """Blocked by Registry(blocked=[...]) rather than the environment: the message names that list."""
    entry_points(source("adam", optimizers_plugin("adam"), "npnet-adam"))
    with pytest.raises(ComponentNotFoundError, match=r"blocked by the registry's blocked= list"):
        Registry(blocked=["adam"]).lookup("optimizer", "adam")


def test_a_blocked_third_party_plugin_is_noted_as_a_possible_provider(entry_points, monkeypatch):
    """A name no official plugin provides, with a plugin blocked: a note names the blocked distribution."""
    entry_points(source("fancy", optimizers_plugin("lion"), "npnet-fancy"))
    monkeypatch.setenv(_discovery.ENV_BLOCK, "fancy")
    with pytest.raises(ComponentNotFoundError, match=r"note: NPNET_BLOCK_PLUGINS blocks npnet-fancy, which may"):
        Registry().lookup("optimizer", "lion")


def test_a_blocked_official_plugin_that_is_not_installed_gets_both_hints(entry_points, monkeypatch):
    """Blocked but not installed: pip install it, and take it out of the block list."""
    entry_points()
    monkeypatch.setenv(_discovery.ENV_BLOCK, "npnet-adam")
    with pytest.raises(
        ComponentNotFoundError,
        match=r"'adam' is provided by the distribution npnet-adam: pip install npnet-adam, and remove it from "
        r"NPNET_BLOCK_PLUGINS, which blocks it",
    ):
        Registry().lookup("optimizer", "adam")


# -- 4. npnet plugins in strict mode --------------------------------------------------------


@pytest.mark.parametrize("strict, failed, status", [(True, True, 1), (False, True, 0), (True, False, 0)])
@pytest.mark.parametrize("json_output", [False, True], ids=["text", "json"])
def test_npnet_plugins_exits_1_in_strict_mode_when_a_plugin_failed(
    monkeypatch, capsys, strict, failed, status, json_output
):
    """Strict mode with a failed plugin: exit 1 and one line on stderr; otherwise exit 0."""
    registry = Registry(autoload=False, blocked=(), strict=strict)
    registry.register_plugin(optimizers_plugin("good_opt"), "good", distribution="npnet-good", version="1.0")
    if failed:
        failure = PluginFailure("broken", "npnet-broken", "1.0", ImportError("no module named 'gone'"))
        monkeypatch.setitem(registry._failures, "broken", failure)
    monkeypatch.setattr(registry_module, "_default", registry)
    assert main(["plugins", *(["--json"] if json_output else [])]) == status
    out, err = capsys.readouterr()
    if json_output:
        assert [f["plugin"] for f in json.loads(out)["failures"]] == (["broken"] if failed else [])
    else:
        assert ("FAILED plugin 'broken'" in out) == failed
    expected = (
        "npnet: error: 1 plugin(s) failed to load, and NPNET_STRICT_PLUGINS=1 makes that an error (the FAILED "
        "lines say why; uninstall the plugin or block it with NPNET_BLOCK_PLUGINS)\n"
    )
    assert err == (expected if status else "")


# -- 5. a training hook that raises ------------------------------------------------------------


class EpochWatcher:
    """A plugin whose npnet_on_epoch_end raises the given error, or returns the given value."""

    def __init__(self, result: Any = None) -> None:
        self.result = result

    @hookimpl
    def npnet_on_epoch_end(self, network, epoch, logs):
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


EPOCH = {"network": None, "epoch": 3, "logs": {"loss": 0.5}}


def test_an_installed_plugins_raising_hook_is_named_with_how_to_block_it(empty_registry):
    """InvalidComponentError naming the plugin, its distribution, the hook, the epoch, the error and the remedy."""
    error = RuntimeError("disk full")
    empty_registry.register_plugin(EpochWatcher(error), "watcher", distribution="npnet-watcher", version="0.2")
    with pytest.raises(InvalidComponentError) as info:
        call_hook(empty_registry, "npnet_on_epoch_end", **EPOCH)
    assert info.value.__cause__ is error
    assert str(info.value) == (
        "plugin 'watcher' (npnet-watcher 0.2) raised in its npnet_on_epoch_end after epoch 3: RuntimeError: disk "
        "full; training stopped there. Every fit in this process calls this plugin's hook: uninstall it (pip "
        "uninstall npnet-watcher) or block it with NPNET_BLOCK_PLUGINS=npnet-watcher"
    )


def test_a_hand_registered_plugins_raising_hook_says_to_unregister_it(empty_registry):
    """A plugin registered by hand, without a distribution: the remedy is to unregister it."""

    class Beginner:
        @hookimpl
        def npnet_on_train_begin(self, network, epochs):
            raise ValueError("bad logs")

    empty_registry.register_plugin(Beginner(), "beginner")
    with pytest.raises(InvalidComponentError) as info:
        call_hook(empty_registry, "npnet_on_train_begin", network=None, epochs=5)
    assert str(info.value) == (
        "plugin 'beginner' raised in its npnet_on_train_begin: ValueError: bad logs; training stopped there. Every "
        "fit in this process calls this plugin's hook: unregister it (registry.unregister_plugin('beginner'))"
    )


def test_a_plugin_hook_calling_sys_exit_is_named_not_exiting(empty_registry):
    empty_registry.register_plugin(EpochWatcher(SystemExit(0)), "watcher", distribution="npnet-watcher")
    with pytest.raises(InvalidComponentError, match=r"SystemExit \(it called sys\.exit\(0\)\)"):
        call_hook(empty_registry, "npnet_on_epoch_end", **EPOCH)


def test_a_callback_given_to_fit_raises_its_own_exception(empty_registry):
    """An object registered only for one fit (not an installed plugin) is the caller's code: its error is unchanged."""
    error = StopIteration("my own signal")
    callback = EpochWatcher(error)
    empty_registry.plugin_manager.register(callback)  # as fit(callbacks=[...]) registers it
    with pytest.raises(StopIteration) as info:
        call_hook(empty_registry, "npnet_on_epoch_end", **EPOCH)
    assert info.value is error


def test_ctrl_c_in_a_hook_propagates_unchanged(empty_registry):
    empty_registry.register_plugin(EpochWatcher(KeyboardInterrupt()), "watcher", distribution="npnet-watcher")
    with pytest.raises(KeyboardInterrupt):
        call_hook(empty_registry, "npnet_on_epoch_end", **EPOCH)


def test_call_hook_returns_what_pluggy_returns_in_pluggys_order(empty_registry):
    """Several implementations, tryfirst and trylast among them: the same results, in the same order, as pluggy's call."""

    class First(EpochWatcher):
        @hookimpl(tryfirst=True)
        def npnet_on_epoch_end(self, network, epoch, logs):
            return "first"

    class Last(EpochWatcher):
        @hookimpl(trylast=True)
        def npnet_on_epoch_end(self, epoch):  # declares only what it uses, as pluggy allows
            return f"last {epoch}"

    for name, plugin in [("a", EpochWatcher(True)), ("b", Last()), ("c", EpochWatcher(None)), ("d", First())]:
        empty_registry.register_plugin(plugin, name)
    empty_registry.register_plugin(EpochWatcher(False), "e")
    expected = empty_registry.plugin_manager.hook.npnet_on_epoch_end(**EPOCH)
    assert expected == ["first", False, True, "last 3"]  # pluggy's own order, the reference
    assert call_hook(empty_registry, "npnet_on_epoch_end", **EPOCH) == expected


def test_call_hook_stops_at_the_first_result_of_a_firstresult_hook(empty_registry):
    """npnet_output_gradient is firstresult: the same answer as pluggy's call, in a list."""

    class Fused:
        def __init__(self, answer: Any) -> None:
            self.answer = answer

        @hookimpl
        def npnet_output_gradient(self, activation, loss):
            return self.answer

    for name, answer in [("a", "a's"), ("b", None), ("c", "c's"), ("d", None)]:
        empty_registry.register_plugin(Fused(answer), name)
    expected = empty_registry.plugin_manager.hook.npnet_output_gradient(activation=None, loss=None)
    assert expected == "c's"
    assert call_hook(empty_registry, "npnet_output_gradient", activation=None, loss=None) == [expected]


def test_with_a_hook_wrapper_the_hook_runs_through_pluggy_and_the_error_names_the_candidates(empty_registry):
    """A wrapper needs pluggy's own call: the wrapper runs, and an error names the installed plugins implementing it."""
    seen = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def npnet_on_epoch_end(self, network, epoch, logs):
            seen.append(epoch)
            return (yield)

    empty_registry.register_plugin(Wrapper(), "wrapper", distribution="npnet-wrapper")
    empty_registry.register_plugin(EpochWatcher(True), "fine", distribution="npnet-fine")
    assert call_hook(empty_registry, "npnet_on_epoch_end", **EPOCH) == [True] and seen == [3]
    empty_registry.register_plugin(EpochWatcher(RuntimeError("boom")), "failing", distribution="npnet-failing")
    with pytest.raises(InvalidComponentError, match=r"npnet_on_epoch_end raised RuntimeError: boom after epoch 3; "):
        call_hook(empty_registry, "npnet_on_epoch_end", **EPOCH)


# -- 6. component results checked on a fit's first batch ----------------------------------------

ADAM_SPEC = ComponentSpec("optimizer", "adam", {}, "npnet-adam", "0.1.0")


@pytest.mark.parametrize(
    "result, got, harm",
    [
        (np.array([0.5]), r"shape \(1,\) and dtype float64", "NumPy would broadcast it"),
        (np.arange(5, dtype=np.int64), r"shape \(5,\) and dtype int64", "its values would be truncated"),
        (np.zeros(5, dtype=np.float32), r"shape \(5,\) and dtype float32", "precision would be lost"),
        (np.zeros((5, 1)), r"shape \(5, 1\) and dtype float64", "it does not fit"),
    ],
    ids=["shape-1", "int64", "float32", "column"],
)
def test_an_update_of_the_wrong_shape_or_dtype_is_refused_naming_optimizer_and_distribution(result, got, harm):
    """What NumPy would silently broadcast or truncate into the parameters is an InvalidComponentError."""
    params = np.linspace(-1, 1, 5)
    with pytest.raises(
        InvalidComponentError,
        match=rf"^the optimizer 'adam' \(npnet-adam 0\.1\.0\): update\(\) returned an array of {got} for params of "
        rf"shape \(5,\) and dtype float64; expected an ndarray of shape \(5,\) and dtype float64 \({harm}\); it is "
        r"a fault of npnet-adam: check it with `npnet check adam`",
    ):
        check_update_result(types.SimpleNamespace(name="adam"), params, result, ADAM_SPEC)


def test_a_correct_update_passes_and_float64_for_float32_params_is_accepted():
    """The same shape and dtype passes; a more precise float (the article's functions give float64) is harmless."""
    params = np.zeros(4, dtype=np.float32)
    assert check_update_result(Sgd(), params, params) is None
    assert check_update_result(Sgd(), params, np.zeros(4)) is None


def test_an_update_that_is_not_an_array_is_refused_naming_the_objects_class():
    """A list (or None) from update: refused; an optimizer given as an object is named by its class."""
    with pytest.raises(
        InvalidComponentError,
        match=r"^the optimizer 'throwaway_sgd' \(an object of class \S*test_misbehaving_plugins\.Sgd\): update\(\) "
        r"returned list \[0\.0, 0\.0\] for params of shape \(2,\) and dtype float64; expected an ndarray of shape "
        r"\(2,\) and dtype float64; fix the optimizer",
    ):
        check_update_result(Sgd(), np.zeros(2), [0.0, 0.0])


@pytest.mark.parametrize("method", ["forward", "backward"])
def test_an_activation_result_of_another_shape_is_refused(method):
    z = np.zeros((8, 3), dtype=np.float32)
    spec = ComponentSpec("activation", "relu", {}, "npnet-relu-softmax", "0.1.0")
    with pytest.raises(
        InvalidComponentError,
        match=rf"^the activation 'relu' \(npnet-relu-softmax 0\.1\.0\): {method}\(\) returned an array of shape "
        r"\(8, 1\) and dtype float32 for z of shape \(8, 3\) and dtype float32; expected an ndarray of shape \(8, 3\) "
        r"and dtype float32 \(it does not fit\)",
    ):
        check_activation_result(types.SimpleNamespace(name="relu"), method, z, np.zeros((8, 1), np.float32), spec)
    assert check_activation_result(object(), method, z, z.copy(), spec) is None


def test_a_loss_giving_a_column_instead_of_one_value_per_sample_is_refused():
    """forward must give shape (n_samples,); backward y_pred's shape; integers are refused."""
    y_pred = np.full((6, 2), 0.5)
    loss = types.SimpleNamespace(name="my_loss")
    with pytest.raises(InvalidComponentError, match=r"forward\(\) returned an array of shape \(6, 1\) .*shape \(6,\)"):
        check_loss_result(loss, "forward", y_pred, np.zeros((6, 1)))
    with pytest.raises(
        InvalidComponentError, match=r"backward\(\) returned an array of shape \(6, 2\) and dtype int64"
    ):
        check_loss_result(loss, "backward", y_pred, np.zeros((6, 2), dtype=np.int64))
    assert check_loss_result(loss, "forward", y_pred, np.zeros(6)) is None
    assert check_loss_result(loss, "backward", y_pred, np.zeros((6, 2))) is None
    with pytest.raises(ValueError, match="method must be 'forward' or 'backward'"):
        check_loss_result(loss, "update", y_pred, np.zeros(6))


def test_a_fused_output_gradient_of_the_wrong_shape_is_refused_naming_its_function():
    def fused(y_pred, y_true):
        return np.zeros(len(y_pred))

    y_pred = np.zeros((4, 3))
    with pytest.raises(
        InvalidComponentError,
        match=r"^the fused output gradient \S*test_misbehaving_plugins\.\S*fused \(given by a plugin's "
        r"npnet_output_gradient\): it returned an array of shape \(4,\)",
    ):
        check_output_gradient_result(fused, y_pred, fused(y_pred, y_pred))
