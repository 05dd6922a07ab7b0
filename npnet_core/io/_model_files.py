"""Whole-model files: one ``.npz`` with the arrays and a JSON configuration.

The archive holds

- ``config``: a 0-d unicode array with the JSON configuration (format version,
  layer sizes, dtype, each component's name, parameters, distribution and
  version, the random generator's state, the optimizer's scalar state, the
  training history);
- ``params``: the flat parameter vector;
- ``optimizer.<key>``: each array of the optimizer's state.

Loading never unpickles and resolves components by name through the registry,
so a missing plugin is reported with the distribution to install. A file is
checked before anything is built from it (:func:`load_model` says in which
order), with the model archive of :mod:`._archive` over the bounded readers
of :mod:`npnet_core._npy`, the schema of :mod:`._model_schema` and the
generator-state checks of :mod:`._rng_state`; every problem is a
:class:`~npnet_core.errors.ModelFileError` naming the file (and the member).
Saving refuses a model that would not load back. Writes are atomic (see
:func:`npnet_core.io.atomic_write`).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional, Type

import numpy as np

from .._files import PathLike, atomic_write
from .._validation import all_finite
from .._version import __version__
from ..components import ComponentSpec, MissingComponent, Registry
from ..errors import (
    AmbiguousComponentError,
    ComponentNotFoundError,
    MissingComponentWarning,
    ModelFileError,
    NpnetError,
)
from ..kinds import ROLES
from ._archive import CONFIG, PARAMS, ModelArchive, open_archive, optimizer_member
from ._model_schema import config_problems, count_params, parse_config
from ._rng_state import make_generator, show

if TYPE_CHECKING:  # pragma: no cover
    from ..network import NeuralNetwork

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "read_model_config", "save_model"]

FORMAT = "npnet-model"
FORMAT_VERSION = 3
#: Format versions this release reads: 1 (before initializers were components) is upgraded on reading;
#: 2 (before regularizers and schedules) has neither, and its update count starts at 0.
_READABLE_VERSIONS = (1, 2, 3)
#: The most bytes the configuration member may declare (its JSON text, as UTF-32, and the .npy header):
#: room for a history of about a million epochs; ``save_model`` refuses a larger one, so it never
#: writes a file ``load_model`` would refuse.
CONFIG_LIMIT = 256 * 2**20
#: Room for a .npy header besides the data, in an array member's declared size.
_HEADER_SLACK = 2**16


def _spec_json(role: str, spec: Any, component: Any, registry: Registry) -> Any:
    """The saved form of one component: its name, provider and full configuration.

    The parameters are those given, completed by the component's own
    ``get_config()``, so a model keeps its hyperparameters even if a plugin's
    defaults change later.
    """
    if isinstance(spec, list):
        return [_spec_json(role, s, c, registry) for s, c in zip(spec, component)]
    if spec is None:
        raise ModelFileError(
            f"cannot save the model: its {role} was given as an object or the article's "
            "(function, derivative) tuple, which cannot be made again by name. Give it by name "
            "(from an installed plugin), or save only the parameters with save_params()"
        )
    saved = spec.to_json()
    get_config = getattr(component, "get_config", None)
    if callable(get_config) and _made_by_class(spec, component, registry):
        saved["params"] = {**saved["params"], **get_config()}
    return saved


def _made_by_class(spec: ComponentSpec, component: Any, registry: Registry) -> bool:
    """Whether ``component``'s class is the registered factory, so its config is the factory's arguments."""
    pinned = f"{spec.distribution}:{spec.name}" if spec.distribution else spec.name
    try:
        entry = registry.lookup(spec.kind, pinned)
    except NpnetError:
        return False
    return isinstance(entry.factory, type) and type(component) is entry.factory


def _plain(value: Any) -> Any:
    """``value`` as plain JSON types: arrays become lists, NumPy scalars Python numbers."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


def _model_config(net: "NeuralNetwork", state: Dict[str, Any]) -> Dict[str, Any]:
    components = net.components
    saved = {
        role: _plain(_spec_json(role, spec, components[role], net.registry))
        for role, spec in net.component_specs.items()
    }
    rng_state = _plain(net.rng.bit_generator.state)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "npnet_core_version": __version__,
        "layers": net.layers,
        "dtype": net.dtype.name,
        "n_params": net.n_params,
        "components": saved,
        "optimizer_state": _plain({k: v for k, v in state.items() if not isinstance(v, np.ndarray)}),
        "optimizer_arrays": sorted(k for k, v in state.items() if isinstance(v, np.ndarray)),
        "rng": rng_state,
        "updates": net.updates,
        **({"schedule_state": _plain(net.schedule.state_dict())} if _has_state(net.schedule) else {}),
        # JSON has no NaN: a metric missing from an epoch is written as null
        "history": {k: [None if v != v else v for v in values] for k, values in net.history.items()},
    }


def _has_state(schedule: Any) -> bool:
    """Whether a schedule keeps state of its own (reduce on plateau), which the model saves."""
    if isinstance(schedule, MissingComponent):
        return schedule.state is not None
    return callable(getattr(schedule, "state_dict", None))


def save_model(net: "NeuralNetwork", path: PathLike) -> Path:
    """Write ``net`` as one ``.npz`` file at exactly ``path``; return the path."""
    path = Path(path)
    if not np.isfinite(net.params).all():
        raise ModelFileError(
            "cannot save the model: its parameters contain NaN or inf (training diverged); "
            "there is nothing useful to save"
        )
    state = net.optimizer.state_dict()
    config = _model_config(net, state)
    try:
        text = json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"cannot save the model: its configuration is not plain JSON ({exc})") from exc
    try:
        problems = config_problems(parse_config(text))
    except ValueError as exc:  # beyond the reader's bounds: integers of 50 digits, nesting, repeated keys
        problems = [str(exc)]
    if 4 * len(text) + _HEADER_SLACK > CONFIG_LIMIT:  # stored as UTF-32
        problems.append(
            f"its configuration takes {4 * len(text):,} bytes, more than the {CONFIG_LIMIT:,} a model file may "
            "hold (is net.history very long? keep what matters of it and save again)"
        )
    arrays = {"config": np.array(text), "params": net.params}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            arrays[optimizer_member(key)] = value  # np.savez adds .npy
            if value.shape != (net.n_params,) or value.dtype != net.dtype:
                problems.append(
                    f"the optimizer's state array {key!r} has shape {value.shape} and dtype {value.dtype}, "
                    f"not ({net.n_params},) {net.dtype} as the parameters"
                )
    if problems:
        raise ModelFileError(
            "cannot save the model: it would not load back, as " + "; ".join(problems[:5]) + ". Is a "
            "component's configuration or state (from a plugin) more than plain JSON values?"
        )
    # numpy's stub types **kwds as if it could fill allow_pickle: a false alarm
    atomic_write(path, lambda handle: np.savez(handle, **arrays), "model file")  # type: ignore[arg-type]
    return path


class _Contents(NamedTuple):
    """What a model file holds, each part checked: its configuration and arrays."""

    config: Dict[str, Any]
    n_params: int
    dtype: np.dtype


def _decode_config(archive: ModelArchive) -> Dict[str, Any]:
    """The configuration JSON of ``archive``, read within its bound and checked against the schema."""
    path = archive.path
    archive.check_size(CONFIG, CONFIG_LIMIT, "a model configuration")
    with archive.open(CONFIG) as reader:
        header = reader.header()
        if header.shape != () or header.dtype.kind != "U":
            raise ModelFileError(
                f"{path} is not an npnet model file: its 'config' is an array of shape {header.shape} and "
                f"dtype {header.dtype}, not a JSON text"
            )
        raw = reader.data(header).tobytes()
    try:
        text = raw.decode("utf-32-be" if header.dtype.byteorder == ">" else "utf-32-le").rstrip("\x00")
        config = parse_config(text)
    except ValueError as exc:  # UnicodeDecodeError too
        raise ModelFileError(f"{path} is not an npnet model file: its 'config' is not valid JSON ({exc})") from exc
    if not isinstance(config, dict):
        raise ModelFileError(
            f"{path} is not an npnet model file: its 'config' is a JSON {type(config).__name__}, not an object"
        )
    if config.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an npnet model file (format {show(config.get('format'))})")
    version = config.get("format_version")
    if type(version) is not int or version not in _READABLE_VERSIONS:
        raise ModelFileError(
            f"{path} has model format version {show(version)}; this npnet-core {__version__} reads "
            f"versions {', '.join(map(str, _READABLE_VERSIONS))}. Install the npnet-core release that wrote it"
        )
    if version == 1:
        _upgrade_from_version_1(config)
    problems = config_problems(config)
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise ModelFileError(f"{path}: the npnet model configuration is incomplete or damaged: {shown}")
    return config


def _read_contents(archive: ModelArchive) -> _Contents:
    """The checked configuration, and the array members checked against it by name and declared size."""
    path = archive.path
    config = _decode_config(archive)
    keys = sorted(config.get("optimizer_arrays", []))
    if archive.optimizer_keys() != keys:
        raise ModelFileError(
            f"{path}: the configuration names the optimizer state arrays {keys}, but the file holds "
            f"{archive.optimizer_keys()}; the file is inconsistent"
        )
    n_params, dtype = count_params(config["layers"]), np.dtype(config["dtype"])
    limit = n_params * dtype.itemsize + _HEADER_SLACK
    meaning = f"a vector of {n_params} {dtype} values (layers {config['layers']})"
    for name in (PARAMS, *map(optimizer_member, keys)):
        archive.check_size(name, limit, meaning)
    return _Contents(config, n_params, dtype)


def _read_vector(archive: ModelArchive, name: str, what: str, contents: _Contents) -> np.ndarray:
    """The finite vector of ``n_params`` values of the model's dtype in array ``name``, checked before it is read."""
    where = archive.where(name)
    with archive.open(name) as reader:
        header = reader.header()
        if header.shape != (contents.n_params,) or header.dtype != contents.dtype:
            raise ModelFileError(
                f"{where}: {what} has shape {header.shape} and dtype {header.dtype}, but the saved "
                f"configuration needs ({contents.n_params},) {contents.dtype}; the file is inconsistent"
            )
        vector = reader.data(header)
    if not all_finite(vector):
        raise ModelFileError(f"{where}: {what} holds NaN or infinite values; the file is damaged")
    return vector


def read_model_config(path: PathLike) -> Dict[str, Any]:
    """Return the checked configuration of the model file at ``path``, without building the network.

    The archive's members are checked against it by name and declared size;
    the arrays are not read.
    """
    with open_archive(Path(path)) as archive:
        return _read_contents(archive).config


def _upgrade_from_version_1(config: Dict[str, Any]) -> None:
    """Version 1 named the initializer at the top level (``"initializer": "he_normal"``); version 2
    saves it as a component, as the other roles. Done in place, before the schema is checked;
    ``format_version`` still says what the file is."""
    name = config.pop("initializer", "glorot_uniform")
    if isinstance(config.get("components"), dict) and "initializer" not in config["components"]:
        config["components"]["initializer"] = {"name": name, "params": {}, "distribution": None, "version": None}


def _component_arg(role: str, saved: Any, registry: Registry, missing: List[MissingComponent]) -> Any:
    """The name (pinned when needed) and params to resolve a saved component with.

    A component the model does not need to predict, whose plugin is not
    installed, becomes a :class:`MissingComponent`, also appended to ``missing``.
    """
    if isinstance(saved, list):
        return [_component_arg(role, s, registry, missing) for s in saved]
    name, params, distribution = saved["name"], saved.get("params", {}), saved.get("distribution")
    kind = ROLES[role].kind
    try:
        registry.lookup(kind, name)
    except ComponentNotFoundError as exc:
        message = str(exc)
        if distribution:
            message = (
                f"{exc}\nthis model was saved with the {kind} {name!r} from {distribution} "
                f"{saved.get('version') or ''}: pip install {distribution}".rstrip()
            )
        if ROLES[role].needed_for == "predict":
            raise ComponentNotFoundError(message) from None
        spec = ComponentSpec(kind, name, dict(params), distribution, saved.get("version"))
        missing.append(MissingComponent(role, spec, message))
        return missing[-1]
    except AmbiguousComponentError:  # several providers: take the one the model was saved with
        if distribution:
            return (f"{distribution}:{name}", params)
        raise
    return (name, params)


def _warn_missing(path: Path, missing: List[MissingComponent]) -> None:
    """One warning naming each component the model was loaded without, and what still works."""
    if not missing:
        return
    listed = " and ".join(
        f"the {component.role.replace('_', ' ')} {component.name!r}"
        + (f" (pip install {component.spec.distribution})" if component.spec.distribution else "")
        for component in missing
    )
    uses = {ROLES[component.role].needed_for for component in missing}
    if "score" in uses:
        works = "predict works; score and evaluate need the loss, and fit needs every one of them"
    elif "fit" in uses:
        works = f"predict, score and evaluate work; fit needs {'it' if len(missing) == 1 else 'them'}"
    else:  # the initializer only: it filled the weights when the model was first made
        works = "everything works, as the initializer is used only when a network is made"
    warnings.warn(
        f"{path}: loaded without {listed}, as no installed plugin provides {'it' if len(missing) == 1 else 'them'}: "
        f"{works}",
        MissingComponentWarning,
        stacklevel=5,  # _build, load_model, NeuralNetwork.load, its caller
    )


def _restore_rng(net: "NeuralNetwork", state: Dict[str, Any], path: Path) -> None:
    """The saved generator, which the schema has checked against the bit generator's invariants."""
    try:
        net.rng = make_generator(state)
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
        raise ModelFileError(f"{path}: the saved state of the random generator is damaged ({exc})") from exc


def _restore_schedule(net: "NeuralNetwork", config: Dict[str, Any], path: Path) -> None:
    """The update count, and the state of a schedule that keeps one."""
    net.updates = config.get("updates", 0)
    if "schedule_state" not in config:
        return
    if isinstance(net.schedule, MissingComponent):  # kept as saved, to be saved again
        net.schedule.state = config["schedule_state"]
        return
    if not _has_state(net.schedule):
        raise ModelFileError(
            f"{path}: the file holds a schedule state, but its schedule ({net.schedule!r}) keeps none; "
            "the file is inconsistent"
        )
    try:
        net.schedule.load_state_dict(config["schedule_state"])
    except NpnetError as exc:
        raise ModelFileError(f"{path}: the schedule's saved state is refused: {exc}") from exc


def _restore_optimizer(net: "NeuralNetwork", state: Dict[str, Any], path: Path) -> None:
    """Give the optimizer its saved state (arrays already checked against the network); its refusal names the file."""
    if isinstance(net.optimizer, MissingComponent):  # kept as saved, to be saved again
        net.optimizer.state = state
        return
    try:
        net.optimizer.load_state_dict(state)
    except (NpnetError, TypeError, ValueError, KeyError, IndexError) as exc:
        spec = net.component_specs["optimizer"]
        provider = f" (from {spec.distribution})" if spec.distribution else ""
        raise ModelFileError(
            f"{path}: the optimizer {spec.name!r}{provider} refuses the saved state: {exc}; the file is "
            "damaged or was written by another version of it"
        ) from exc


def _build(cls: Type["NeuralNetwork"], config: Dict[str, Any], registry: Registry, path: Path) -> "NeuralNetwork":
    """The network the configuration describes; a component refusing its saved parameters names the file."""
    components = config["components"]
    missing: List[MissingComponent] = []
    given = {role: _component_arg(role, components[role], registry, missing) for role in ROLES if role in components}
    _warn_missing(path, missing)
    try:
        # seed=0: the generator is replaced by the saved one; seed=None would draw from
        # (and so change) NumPy's global random state
        return cls(config["layers"], **given, seed=0, dtype=config["dtype"], registry=registry)
    except (ComponentNotFoundError, AmbiguousComponentError):
        raise
    except NpnetError as exc:
        raise ModelFileError(f"{path}: the saved configuration is refused: {exc}") from exc


def load_model(cls: Type["NeuralNetwork"], path: PathLike, *, registry: Optional[Registry] = None) -> "NeuralNetwork":
    """Read a model written by :func:`save_model`.

    Everything is checked before it is used: the archive's members by name,
    method and declared size before any is decompressed; the configuration
    completely (the generator's state included) before anything is built;
    each array's header against the configuration before it is read, and its
    values for finiteness before the network is made.
    """
    from ..components import get_registry

    path = Path(path)
    registry = get_registry() if registry is None else registry
    with open_archive(path) as archive:
        contents = _read_contents(archive)
        config = contents.config
        params = _read_vector(archive, PARAMS, "'params'", contents)
        state: Dict[str, Any] = dict(config.get("optimizer_state", {}))
        for key in config.get("optimizer_arrays", []):
            state[key] = _read_vector(archive, optimizer_member(key), f"the optimizer state array {key!r}", contents)
    net = _build(cls, config, registry, path)
    net.set_params(params)
    _restore_optimizer(net, state, path)
    _restore_schedule(net, config, path)
    _restore_rng(net, config["rng"], path)
    net.history = {k: [math.nan if v is None else v for v in values] for k, values in config.get("history", {}).items()}
    return net
