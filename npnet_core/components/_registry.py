"""Plugin loading, per-kind component registries, and resolution by name.

A :class:`Registry` owns a pluggy plugin manager. Plugins come from entry
points in the group ``npnet`` (loaded lazily, on the first look-up, each in
isolation) or are registered by hand with :meth:`~npnet_core.Registry.register_plugin`.
Each plugin's ``npnet_register_*`` hooks are called with a ``register``
callback; what they register is recorded per kind with the distribution and
version that provide it.

Names resolve as ``"adam"`` (the one provider of that name or alias) or
``"npnet-adam:adam"`` (a pinned provider).
"""

from __future__ import annotations

import re
import threading
import warnings
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, NamedTuple, Optional, Set, Tuple

import pluggy

from .. import hookspecs
from ..errors import (
    AmbiguousComponentError,
    ComponentNotFoundError,
    InvalidComponentError,
    InvalidParameterError,
    NpnetError,
    PluginLoadError,
    PluginLoadWarning,
)
from ..kinds import KINDS
from . import _discovery

__all__ = [
    "UNREADABLE_ENTRY_POINTS",
    "ComponentEntry",
    "ComponentSpec",
    "PluginFailure",
    "PluginInfo",
    "Registry",
    "check_component",
    "get_registry",
    "make_registry",
]

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")

# The records below are NamedTuples rather than frozen dataclasses: as immutable, and
# several milliseconds cheaper to create, which every first look-up of a name pays.


class ComponentEntry(NamedTuple):
    """A registered component factory and who provides it."""

    kind: str
    name: str
    factory: Callable[..., Any]
    aliases: Tuple[str, ...] = ()
    plugin: str = ""
    distribution: Optional[str] = None
    version: Optional[str] = None

    @property
    def provider(self) -> str:
        """``"npnet-adam 0.1.0"``, or the plugin's name when no distribution declares it."""
        if self.distribution:
            return f"{self.distribution} {self.version}" if self.version else self.distribution
        return f"plugin {self.plugin!r}"


class ComponentSpec(NamedTuple):
    """How a component was made: enough to make it again by name."""

    kind: str
    name: str
    params: Dict[str, Any]
    distribution: Optional[str] = None
    version: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        """Return a JSON-ready dict: name, params, distribution, version."""
        return {
            key: dict(value) if key == "params" else value for key, value in self._asdict().items() if key != "kind"
        }


class PluginInfo(NamedTuple):
    """A plugin that loaded, and the components it registered."""

    name: str
    distribution: Optional[str]
    version: Optional[str]
    components: Tuple[ComponentEntry, ...]


#: the name of the failure recorded when the entry points themselves cannot be read
UNREADABLE_ENTRY_POINTS = "(entry points)"


class PluginFailure(NamedTuple):
    """A plugin that failed to load, with its error."""

    name: str
    distribution: Optional[str]
    version: Optional[str]
    error: BaseException

    @property
    def message(self) -> str:
        """``"ImportError: no module named ..."``."""
        return f"{type(self.error).__name__}: {self.error}"

    def to_json(self) -> Dict[str, Any]:
        """Return a JSON-ready dict: plugin, distribution, version, error."""
        return {"plugin": self.name, "distribution": self.distribution, "version": self.version, "error": self.message}

    def describe(self) -> str:
        """One line naming the plugin, its distribution and its error."""
        if self.name == UNREADABLE_ENTRY_POINTS:
            return (
                f"the installed distributions' entry points could not be read, so no plugin was loaded: {self.message}"
            )
        where = f" from {self.distribution} {self.version or ''}".rstrip() if self.distribution else ""
        return f"plugin {self.name!r}{where} failed to load: {self.message}"


def _check_name(what: str, name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidComponentError(
            f"{what} must be a non-empty string of letters, digits, '_', '-' or '.' "
            f"(got {name!r}); ':' is reserved for pinning a distribution"
        )
    return name


class Registry:
    """Plugins and the components they provide, per kind.

    Parameters
    ----------
    autoload : bool, optional
        Load the entry points of the group ``npnet`` on first use. Default:
        true unless ``NPNET_DISABLE_PLUGIN_AUTOLOAD`` is set.
    blocked : iterable of str, optional
        Entry-point or distribution names never to load. Default: the names in
        ``NPNET_BLOCK_PLUGINS``.
    strict : bool, optional
        Raise :class:`PluginLoadError` when a plugin fails to load, instead of
        warning. Default: whether ``NPNET_STRICT_PLUGINS`` is set.
    """

    def __init__(
        self,
        *,
        autoload: Optional[bool] = None,
        blocked: Optional[Iterable[str]] = None,
        strict: Optional[bool] = None,
    ) -> None:
        self.autoload = not _discovery.env_flag(_discovery.ENV_DISABLE_AUTOLOAD) if autoload is None else autoload
        self.blocked: FrozenSet[str] = (
            _discovery.env_blocked() if blocked is None else frozenset(_discovery.normalize_name(b) for b in blocked)
        )
        self.strict = _discovery.env_flag(_discovery.ENV_STRICT) if strict is None else strict
        self.plugin_manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.plugin_manager.add_hookspecs(hookspecs)
        self._plugins: Dict[str, PluginInfo] = {}
        self._failures: Dict[str, PluginFailure] = {}
        self._index: Optional[Dict[str, Dict[str, List[ComponentEntry]]]] = None
        #: held while plugins load or the index is built: another thread's first look-up waits for them
        self._lock = threading.RLock()
        self._autoloaded = (
            False  # set as loading starts: a plugin that looks names up while it loads must not load them again
        )
        self._loaded = False  # set as loading ends
        self._strict_error: Optional[PluginLoadError] = None
        self._blocked_from_env = blocked is None
        #: the entry points not loaded because they are blocked, for not-found messages
        self._blocked_sources: List[_discovery.PluginSource] = []

    # -- plugins ------------------------------------------------------------------

    def load_entry_points(self) -> None:
        """Load every entry point of the group ``npnet`` that is not blocked (once).

        Each entry point loads in isolation; in strict mode the first failure is
        raised once the others have loaded. An entry point whose name another
        plugin already holds is registered as ``"DISTRIBUTION:NAME"``, not dropped.
        A plugin that calls ``sys.exit()`` while loading is a failure like any
        other. Loading interrupted (Ctrl-C during a slow import) is undone: the
        registry is as before the call, the next look-up loads again, and the
        ``KeyboardInterrupt`` propagates.
        """
        with self._lock:
            if self._autoloaded:
                return
            self._autoloaded = True
            plugins, failures = dict(self._plugins), dict(self._failures)
            registered = {name for name, _ in self.plugin_manager.list_name_plugin()}
            try:
                strict_error = self._load_sources()
            except BaseException:
                self._roll_back(plugins, failures, registered)
                raise
            self._loaded = True
        if strict_error is not None:
            self._strict_error = strict_error
            self._raise_strict()

    def _load_sources(self) -> Optional[PluginLoadError]:
        """Load the entry points; return the first strict-mode error."""
        strict_error: Optional[PluginLoadError] = None
        try:
            sources = _discovery.discover()
        except Exception as exc:  # one damaged entry_points.txt anywhere makes importlib.metadata raise
            sources = []
            try:
                self._record_failure(
                    PluginFailure(UNREADABLE_ENTRY_POINTS, None, None, exc),
                    "look for a damaged entry_points.txt in site-packages; only plugins registered by hand work",
                )
            except PluginLoadError as error:
                strict_error = error
        for source in sources:
            if source.matches(self.blocked):
                self._blocked_sources.append(source)
                continue
            name = source.name
            if name in self._plugins or name in self._failures:
                name = f"{source.distribution or source.value}:{source.name}"
            try:
                try:
                    plugin = source.load()
                except (Exception, SystemExit) as exc:  # a broken plugin never takes the others down
                    self._record_failure(PluginFailure(name, source.distribution, source.version, _loading_error(exc)))
                    continue
                if self.plugin_manager.is_registered(plugin):
                    continue  # the same object was registered by hand
                self._register(plugin, name, source.distribution, source.version)
            except PluginLoadError as exc:  # strict mode: finish loading, then raise
                strict_error = strict_error or exc
        return strict_error

    def _roll_back(
        self, plugins: Dict[str, PluginInfo], failures: Dict[str, PluginFailure], registered: Set[str]
    ) -> None:
        """Forget what an interrupted :meth:`load_entry_points` did, so that the next look-up loads again."""
        for name, plugin in self.plugin_manager.list_name_plugin():
            if name not in registered:
                self.plugin_manager.unregister(plugin)
        self._plugins, self._failures = plugins, failures
        self._blocked_sources = []
        self._index = None
        self._autoloaded = self._loaded = False

    def _raise_strict(self) -> None:
        """Raise a fresh copy of the strict-mode error (a shared one would pile up tracebacks)."""
        error = self._strict_error
        if error is not None:
            raise PluginLoadError(str(error)) from error.__cause__

    def register_plugin(
        self,
        plugin: object,
        name: Optional[str] = None,
        *,
        distribution: Optional[str] = None,
        version: Optional[str] = None,
    ) -> str:
        """Register a plugin object by hand (tests, notebooks) and return its name.

        Unlike entry-point loading, errors raise at once.
        """
        name = _check_name("a plugin name", name or getattr(plugin, "__name__", None) or type(plugin).__name__)
        with self._lock:
            if name in self._plugins:
                raise ValueError(f"a plugin named {name!r} is already registered; unregister it first")
            failure = self._register(plugin, name, distribution, version, record=False)
        if failure is not None:
            raise failure.error
        return name

    def unregister_plugin(self, name: str) -> None:
        """Remove a plugin and the components it registered."""
        self._ensure_loaded()
        with self._lock:
            if name not in self._plugins:
                raise KeyError(f"no plugin named {name!r} is registered; registered: {sorted(self._plugins)}")
            self.plugin_manager.unregister(name=name)
            del self._plugins[name]
            self._index = None

    @property
    def plugins(self) -> List[PluginInfo]:
        """The plugins that loaded, sorted by name."""
        self._ensure_loaded(for_lookup=False)
        return [self._plugins[k] for k in sorted(self._plugins)]

    @property
    def failures(self) -> List[PluginFailure]:
        """The plugins that failed to load, sorted by name."""
        self._ensure_loaded(for_lookup=False)
        return [self._failures[k] for k in sorted(self._failures)]

    def _ensure_loaded(self, *, for_lookup: bool = True) -> None:
        """Load the entry points once; in strict mode, make every look-up fail after a failure.

        Listing ``plugins`` and ``failures`` never raises, so what failed can be shown.
        """
        if self.autoload and not self._loaded:
            try:
                self.load_entry_points()
            except PluginLoadError:
                if for_lookup:
                    raise
        if for_lookup:
            self._raise_strict()

    def _record_failure(self, failure: PluginFailure, outcome: str = "the other plugins are loaded") -> None:
        self._failures[failure.name] = failure  # recorded in strict mode too, for later look-ups
        if self.strict:
            raise PluginLoadError(
                f"{failure.describe()} (strict mode, as {_discovery.ENV_STRICT}=1 or Registry(strict=True) asks)"
            ) from failure.error
        warnings.warn(PluginLoadWarning(f"{failure.describe()}; {outcome}"), stacklevel=4)

    def _register(
        self,
        plugin: object,
        name: str,
        distribution: Optional[str],
        version: Optional[str],
        *,
        record: bool = True,
    ) -> Optional[PluginFailure]:
        """Register ``plugin`` and collect its components, all or nothing."""
        pm = self.plugin_manager
        try:
            if pm.is_registered(plugin):
                other = pm.get_name(plugin)
                raise ValueError(f"the same plugin object is already registered as {other!r}")
            pm.register(plugin, name=name)
            pm.check_pending()
            components = tuple(self._collect(plugin, name, distribution, version))
        except BaseException as exc:  # Ctrl-C in a register hook too: never leave half a plugin registered
            if pm.get_plugin(name) is plugin:  # pluggy < 1.7 keeps a plugin that fails validation
                pm.unregister(plugin)
            if not isinstance(exc, (Exception, SystemExit)):
                raise
            failure = PluginFailure(name, distribution, version, _loading_error(exc))
            if record:
                self._record_failure(failure)
            return failure
        self._plugins[name] = PluginInfo(name, distribution, version, components)
        self._index = None
        return None

    def _collect(
        self, plugin: object, name: str, distribution: Optional[str], version: Optional[str]
    ) -> Iterable[ComponentEntry]:
        entries: List[ComponentEntry] = []
        for kind in KINDS.values():
            seen: Dict[str, str] = {}

            def register(
                component_name: str,
                factory: Callable[..., Any],
                aliases: Iterable[str] = (),
                *,
                _kind: str = kind.name,
                _seen: Dict[str, str] = seen,
            ) -> None:
                _check_name(f"the {_kind} name", component_name)
                if not callable(factory):
                    raise InvalidComponentError(
                        f"the factory of {_kind} {component_name!r} must be callable "
                        f"(a class or a function returning a {_kind}), got {factory!r}"
                    )
                if isinstance(aliases, str):
                    raise InvalidComponentError(
                        f"the aliases of {_kind} {component_name!r} must be a tuple of names, "
                        f"not the string {aliases!r}; write aliases=({aliases!r},)"
                    )
                alias_tuple = tuple(_check_name(f"an alias of {_kind} {component_name!r}", a) for a in aliases)
                for key in (component_name, *alias_tuple):
                    if key in _seen:
                        raise InvalidComponentError(
                            f"plugin {name!r} registers the {_kind} name {key!r} twice "
                            f"(for {_seen[key]!r} and {component_name!r}); each name must be registered once"
                        )
                    _seen[key] = component_name
                entries.append(ComponentEntry(_kind, component_name, factory, alias_tuple, name, distribution, version))

            for impl in getattr(self.plugin_manager.hook, kind.hook).get_hookimpls():
                if impl.plugin is plugin:  # pass only the arguments the implementation declares
                    impl.function(**{arg: register for arg in impl.argnames if arg == "register"})
        return entries

    # -- look-up ------------------------------------------------------------------

    def _table(self, kind: str) -> Dict[str, List[ComponentEntry]]:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
        self._ensure_loaded()
        with self._lock:
            if self._index is None:
                index: Dict[str, Dict[str, List[ComponentEntry]]] = {k: {} for k in KINDS}
                for plugin_name in sorted(self._plugins):
                    for entry in self._plugins[plugin_name].components:
                        for key in (entry.name, *entry.aliases):
                            index[entry.kind].setdefault(key, []).append(entry)
                self._index = index
            return self._index[kind]

    def entries(self, kind: str) -> List[ComponentEntry]:
        """Every registered component of ``kind``, sorted by name then provider."""
        unique = {id(e): e for providers in self._table(kind).values() for e in providers}
        return sorted(unique.values(), key=lambda e: (e.name, e.distribution or "", e.plugin))

    def names(self, kind: str) -> List[str]:
        """The names and aliases that resolve for ``kind``, sorted."""
        return sorted(self._table(kind))

    def lookup(self, kind: str, name: str) -> ComponentEntry:
        """Return the entry that ``name`` (``"adam"`` or ``"npnet-adam:adam"``) resolves to."""
        if not isinstance(name, str):
            example = KINDS[kind].example if kind in KINDS else ""
            raise InvalidComponentError(f"a {kind} name must be a string such as {example!r} (got {name!r})")
        pinned, _, bare = name.rpartition(":")
        providers = self._table(kind).get(bare, [])
        if pinned:
            wanted = _discovery.normalize_name(pinned)
            providers = [
                e
                for e in providers
                if wanted in {_discovery.normalize_name(e.distribution or ""), _discovery.normalize_name(e.plugin)}
            ]
        if len(providers) == 1:
            return providers[0]
        if not providers:
            raise ComponentNotFoundError(self._not_found_message(kind, bare, pinned))
        listed = "\n".join(f"  - {e.provider} (pin it as {self._pin(e)!r})" for e in providers)
        raise AmbiguousComponentError(
            f"the {kind} name {bare!r} is provided by {len(providers)} plugins:\n{listed}\n"
            f"pin one by writing 'DISTRIBUTION:NAME', or uninstall or block "
            f"({_discovery.ENV_BLOCK}) the one you do not want"
        )

    @staticmethod
    def _pin(entry: ComponentEntry) -> str:
        return f"{entry.distribution or entry.plugin}:{entry.name}"

    def _not_found_message(self, kind: str, name: str, pinned: str) -> str:
        known = self._table(kind)
        if pinned and name in known:
            where = ", ".join(sorted(self._pin(e) for e in known[name]))
            return f"no {kind} named {name!r} is provided by {pinned!r}; it is provided as: {where}"
        import difflib  # here, not at import time: only error messages suggest names

        lines = [f"no {kind} named {name!r}"]
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        if close:
            lines[0] += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
        for failure in self._failures.values():
            lines.append(f"note: {failure.describe()}")
        official = KINDS[kind].official.get(name)
        blocking = _discovery.ENV_BLOCK if self._blocked_from_env else "the registry's blocked= list"
        wanted = frozenset({_discovery.normalize_name(official)} if official else ())
        blocked = [s for s in self._blocked_sources if s.matches(wanted)]
        if blocked:
            lines.append(
                f"{name!r} is provided by the distribution {official}, which is installed but blocked by {blocking} "
                f"(it lists {official} or its entry point {blocked[0].name!r}): take it out to use {name!r}"
            )
        elif official and _discovery.normalize_name(official) in self.blocked:
            lines.append(
                f"{name!r} is provided by the distribution {official}: pip install {official}, and remove it "
                f"from {blocking}, which blocks it"
            )
        elif official:
            lines.append(f"{name!r} is provided by the distribution {official}: pip install {official}")
        others = sorted({s.distribution or s.name for s in self._blocked_sources if s not in blocked})
        if others:
            lines.append(f"note: {blocking} blocks {', '.join(others)}, which may provide it")
        installed = ", ".join(f"{e.name} ({e.provider})" for e in self.entries(kind)) or "none"
        lines.append(f"installed {KINDS[kind].plural}: {installed}")
        return "\n".join(lines)

    def create(self, kind: str, name: str, params: Optional[Mapping[str, Any]] = None) -> Tuple[Any, ComponentSpec]:
        """Build the component ``name`` of ``kind`` with ``params``; return it and its spec."""
        entry = self.lookup(kind, name)
        params = dict(params or {})
        if params:  # given keys are checked before the call
            _check_params(entry, params)
        try:
            component = entry.factory(**params)
        except NpnetError:  # the component's own words (an out-of-range hyperparameter)
            raise
        except (Exception, SystemExit) as exc:
            # With no parameters only a missing required one can be wrong: the signature is
            # read when the call fails, as inspect.signature costs milliseconds on first use.
            if isinstance(exc, TypeError) and not params:
                _check_params(entry, params)
            raise _factory_error(entry, params, exc) from exc
        check_component(component, kind, origin=f"{entry.provider}'s {kind} {entry.name!r}")
        spec = ComponentSpec(kind, entry.name, params, entry.distribution, entry.version)
        return component, spec

    def output_gradient(self, activation: Any, loss: Any) -> Optional[Callable[[Any, Any], Any]]:
        """Return the fused output gradient a plugin provides for this pair, or None.

        Implementations are asked in pluggy's calling order; the first that
        returns something wins. An implementation that raises, or returns
        something that is not callable, is reported with its plugin's name.
        """
        self._ensure_loaded()
        arguments = {"activation": activation, "loss": loss}
        for impl in reversed(self.plugin_manager.hook.npnet_output_gradient.get_hookimpls()):
            if impl.hookwrapper or getattr(impl, "wrapper", False):
                continue  # wrappers wrap a hook call; this hook is asked implementation by implementation
            try:
                fused = impl.function(**{name: arguments[name] for name in impl.argnames})
            except Exception as exc:
                raise InvalidComponentError(
                    f"plugin {impl.plugin_name!r} failed in npnet_output_gradient for "
                    f"({activation!r}, {loss!r}): {type(exc).__name__}: {exc}"
                ) from exc
            if fused is not None:
                if not callable(fused):
                    raise InvalidComponentError(
                        f"plugin {impl.plugin_name!r} returned {fused!r} from npnet_output_gradient; "
                        "it must return a function (y_pred, y_true) -> grad_z, or None"
                    )
                return fused
        return None


def _loading_error(exc: BaseException) -> BaseException:
    """The error recorded for a plugin that failed to load: its own, or for ``sys.exit()`` a
    :class:`PluginLoadError` saying so (a recorded ``SystemExit`` raised again would end the program)."""
    if not isinstance(exc, SystemExit):
        return exc
    error = PluginLoadError(
        f"sys.exit({exc.code!r}) was called while loading it (a plugin must raise an exception, not exit the program)"
    )
    error.__cause__ = exc
    return error


def _factory_error(entry: ComponentEntry, params: Mapping[str, Any], exc: BaseException) -> NpnetError:
    """The typed error for a factory that raised: :class:`InvalidParameterError` for a ValueError when
    parameters were given, :class:`InvalidComponentError` otherwise, naming the component and its provider."""
    made = f"{entry.kind} {entry.name!r} ({entry.provider})"
    given = f" with {dict(params)!r}" if params else ""
    raised = (
        f"SystemExit (it called sys.exit({exc.code!r}))"
        if isinstance(exc, SystemExit)
        else f"{type(exc).__name__}: {exc}"
    )
    if isinstance(exc, ValueError) and params:
        return InvalidParameterError(
            f"{made} could not be made{given}: {raised}; check the parameters (npnet plugins --params lists them)"
        )
    who = entry.distribution or f"the plugin {entry.plugin!r}"
    return InvalidComponentError(
        f"{made} could not be made{given}: its factory raised {raised}; this is a fault of {who}: report it to "
        f"its authors, or use another {entry.kind}"
    )


def _check_params(entry: ComponentEntry, params: Mapping[str, Any]) -> None:
    import inspect  # here, not at import time: inspect alone costs about 10 ms to import

    try:
        signature = inspect.signature(entry.factory)
    except (TypeError, ValueError):  # builtins without a signature: let the call speak
        return
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    accepted = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    if not accepts_any:
        for key in params:
            if key not in accepted:
                import difflib  # only an error message needs it

                close = difflib.get_close_matches(key, accepted, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ";"
                raise InvalidParameterError(
                    f"{entry.kind} {entry.name!r} ({entry.provider}) has no parameter {key!r}{hint} "
                    f"accepted: {', '.join(accepted) or 'none'}"
                )
    try:
        signature.bind(**params)
    except TypeError as exc:
        raise InvalidParameterError(f"{entry.kind} {entry.name!r} ({entry.provider}): {exc}") from None


def check_component(component: object, kind: str, origin: str = "the object") -> None:
    """Raise :class:`InvalidComponentError` if ``component`` does not satisfy the ``kind`` protocol."""
    problems = KINDS[kind].problems(component)
    if problems:
        raise InvalidComponentError(
            f"{origin} is not a valid {kind}: {type(component).__name__} lacks "
            + ", ".join(problems)
            + f"; see npnet_core.protocols.{KINDS[kind].protocol.__name__}"
        )


def make_registry(**options: Any) -> Registry:
    """Return a new :class:`Registry` (options as in its constructor)."""
    return Registry(**options)


_default: Optional[Registry] = None
_default_lock = threading.Lock()


def get_registry() -> Registry:
    """Return the process-wide default registry, made on first use (once, whatever the threads)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Registry()
    return _default
