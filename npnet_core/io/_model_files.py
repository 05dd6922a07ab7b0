"""Whole-model files: one ``.npz`` with the arrays and a JSON configuration.

The archive holds

- ``config``: a 0-d unicode array with the JSON configuration (format version,
  layer sizes, dtype, each component's name, parameters, distribution and
  version, the random generator's state, the optimizer's scalar state, the
  training history);
- ``params``: the flat parameter vector;
- ``optimizer.<key>``: each array of the optimizer's state.

Loading never unpickles and resolves components by name through the registry,
so a missing plugin is reported with the distribution to install. Writes are
atomic (see :func:`npnet_core.io.atomic_write`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional, Tuple, Type

import numpy as np

from .._files import (
    NPY_MAGIC,
    ZIP_MAGIC,
    PathLike,
    atomic_write,
    is_pickle,
    numpy_load_errors,
    open_existing,
    read_head,
)
from .._version import __version__
from ..components import ComponentSpec, Registry
from ..errors import AmbiguousComponentError, ComponentNotFoundError, ModelFileError, NpnetError
from ..kinds import ROLES

if TYPE_CHECKING:  # pragma: no cover
    from ..network import NeuralNetwork

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "read_model_config", "save_model"]

FORMAT = "npnet-model"
FORMAT_VERSION = 3
#: Format versions this release reads: 1 (before initializers were components) is upgraded on reading;
#: 2 (before regularizers and schedules) has neither, and its update count starts at 0.
_READABLE_VERSIONS = (1, 2, 3)
_OPTIMIZER_PREFIX = "optimizer."
_BIT_GENERATORS = {"PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"}


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
    arrays = {"config": np.array(text), "params": net.params}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            arrays[_OPTIMIZER_PREFIX + key] = value
    # numpy's stub types **kwds as if it could fill allow_pickle: a false alarm
    atomic_write(path, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]
    return path


def _read_archive(path: Path) -> Dict[str, np.ndarray]:
    # np.load is given an open file: given a name, it leaks the file when the zip is unreadable
    with numpy_load_errors(path, ModelFileError, "npnet model file"), open_existing(path, "model file") as handle:
        return _read_npz(path, handle)


def read_model_config(path: PathLike) -> Dict[str, Any]:
    """Return the checked configuration of the model file at ``path``, without building the network."""
    path = Path(path)
    return _read_config(path, _read_archive(path))


def _read_npz(path: Path, handle: Any) -> Dict[str, np.ndarray]:
    """Read every array of the open .npz ``handle``, refusing anything that is not one."""
    head = read_head(handle)
    if head.startswith(NPY_MAGIC):
        raise ModelFileError(
            f"{path} is a single .npy array, not an npnet model (.npz); an article-style "
            "parameter file is read into a network of the same layers with net.load_params()"
        )
    if is_pickle(head):
        raise ModelFileError(f"{path} is a Python pickle, not an npnet model file; npnet never unpickles model files")
    if not head.startswith(ZIP_MAGIC):
        what = "is empty" if not head else "is not a NumPy .npz archive"
        raise ModelFileError(f"{path} is not an npnet model file: it {what}")
    archive = np.load(handle, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):  # pragma: no cover - ruled out above
        raise ModelFileError(f"{path} is not an npnet model file (.npz)")
    with archive:
        return {name: archive[name] for name in archive.files}


def _read_config(path: Path, arrays: Dict[str, np.ndarray]) -> Dict[str, Any]:
    if "config" not in arrays or "params" not in arrays:
        raise ModelFileError(
            f"{path} is an .npz archive but not an npnet model: it lacks 'config' or 'params' (found {sorted(arrays)})"
        )
    text = arrays["config"]
    if text.shape != () or text.dtype.kind != "U":
        raise ModelFileError(
            f"{path} is not an npnet model file: its 'config' is an array of shape {text.shape} and "
            f"dtype {text.dtype}, not a JSON text"
        )
    try:
        config = json.loads(str(text))
    except ValueError as exc:
        raise ModelFileError(f"{path} is not an npnet model file: its 'config' is not valid JSON ({exc})") from exc
    if not isinstance(config, dict):
        raise ModelFileError(
            f"{path} is not an npnet model file: its 'config' is a JSON {type(config).__name__}, not an object"
        )
    if config.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an npnet model file (format {config.get('format')!r})")
    version = config.get("format_version")
    if type(version) is not int or version not in _READABLE_VERSIONS:
        raise ModelFileError(
            f"{path} has model format version {version!r}; this npnet-core {__version__} reads "
            f"versions {', '.join(map(str, _READABLE_VERSIONS))}. Install the npnet-core release that wrote it"
        )
    if version == 1:
        _upgrade_from_version_1(config)
    problems = _config_problems(config)
    if problems:
        raise ModelFileError(f"{path}: the npnet model configuration is incomplete or damaged: " + "; ".join(problems))
    return config


def _upgrade_from_version_1(config: Dict[str, Any]) -> None:
    """Version 1 named the initializer at the top level (``"initializer": "he_normal"``); version 2
    saves it as a component, as the other roles. Done in place, before the schema is checked;
    ``format_version`` still says what the file is."""
    name = config.pop("initializer", "glorot_uniform")
    if isinstance(config.get("components"), dict) and "initializer" not in config["components"]:
        config["components"]["initializer"] = {"name": name, "params": {}, "distribution": None, "version": None}


class _Field(NamedTuple):
    """One entry of a JSON object: the types its value may have, and of what it holds."""

    types: Tuple[type, ...]
    meaning: str
    required: bool = True
    #: the type of each item of a list, or of each value of an object
    items: Optional[type] = None


_NONE = type(None)

#: What a saved component is: ``{"name": ..., "params": {...}, "distribution": ..., "version": ...}``.
_COMPONENT_SCHEMA = {
    "name": _Field((str,), "its registered name"),
    "params": _Field((dict,), "its parameters", required=False),
    "distribution": _Field((str, _NONE), "the distribution that provided it", required=False),
    "version": _Field((str, _NONE), "that distribution's version", required=False),
}

#: The configuration of a model file, beyond ``format`` and ``format_version`` (checked first).
_CONFIG_SCHEMA = {
    "npnet_core_version": _Field((str,), "the npnet-core version that wrote it", required=False),
    "layers": _Field((list,), "the layer sizes", items=int),
    "dtype": _Field((str,), "a dtype name"),
    "n_params": _Field((int,), "the number of parameters", required=False),
    "components": _Field((dict,), "each role's component"),
    "optimizer_state": _Field((dict,), "the optimizer's scalar state", required=False),
    "optimizer_arrays": _Field((list,), "the names of the optimizer's state arrays", required=False, items=str),
    "rng": _Field((dict,), "the random generator's state"),
    "updates": _Field((int,), "the number of updates made (the schedule's step)", required=False),
    "schedule_state": _Field((dict,), "the schedule's state", required=False),
    "history": _Field((dict,), "the metrics per epoch", required=False, items=list),
}


def _json_name(types: Tuple[type, ...]) -> str:
    names = {dict: "an object", list: "an array", str: "a string", int: "an integer", _NONE: "null"}
    return " or ".join(names[t] for t in types)


def _schema_problems(value: Any, schema: Dict[str, _Field], where: str) -> List[str]:
    """What ``value``, a JSON object found at ``where``, lacks or has of the wrong type."""
    if not isinstance(value, dict):
        return [f"{where} must be a JSON object (got {value!r})"]
    problems = []
    for key, field in schema.items():
        name = f"{where}[{key!r}]" if where else repr(key)
        if key not in value:
            if field.required:
                problems.append(f"{name} is missing ({field.meaning})")
            continue
        item = value[key]
        if type(item) not in field.types:  # exact types: JSON true is not an integer here
            problems.append(f"{name} must be {_json_name(field.types)}, {field.meaning} (got {item!r})")
        elif field.items is not None:
            items = item.values() if isinstance(item, dict) else item
            if any(type(i) is not field.items for i in items):
                problems.append(f"each item of {name} must be {_json_name((field.items,))} (got {item!r})")
    return problems


def _config_problems(config: Dict[str, Any]) -> List[str]:
    """What is missing or of the wrong type in a configuration of the right format."""
    problems = _schema_problems(config, _CONFIG_SCHEMA, "")
    components = config.get("components")
    if isinstance(components, dict):
        for role in ROLES.values():
            saved = components.get(role.name)
            where = f"components[{role.name!r}]"
            if role.optional and role.name not in components:
                continue
            if role.many and not isinstance(saved, list):
                problems.append(f"{where} must be an array of components (got {saved!r})")
            elif (role.per_layer or role.many) and isinstance(saved, list):
                for index, item in enumerate(saved):
                    problems += _schema_problems(item, _COMPONENT_SCHEMA, f"{where}[{index}]")
            else:
                problems += _schema_problems(saved, _COMPONENT_SCHEMA, where)
    return problems


def _component_arg(role: str, saved: Any, registry: Registry) -> Any:
    """The name (pinned when needed) and params to resolve a saved component with."""
    if isinstance(saved, list):
        return [_component_arg(role, s, registry) for s in saved]
    name, params, distribution = saved["name"], saved.get("params", {}), saved.get("distribution")
    kind = ROLES[role].kind
    try:
        registry.lookup(kind, name)
    except ComponentNotFoundError as exc:
        if distribution:
            raise ComponentNotFoundError(
                f"{exc}\nthis model was saved with the {kind} {name!r} from {distribution} "
                f"{saved.get('version') or ''}: pip install {distribution}".rstrip()
            ) from None
        raise
    except AmbiguousComponentError:  # several providers: take the one the model was saved with
        if distribution:
            return (f"{distribution}:{name}", params)
        raise
    return (name, params)


def _restore_rng(net: "NeuralNetwork", state: Dict[str, Any], path: Path) -> None:
    name = state.get("bit_generator")
    if name not in _BIT_GENERATORS:
        raise ModelFileError(f"{path}: unknown random bit generator {name!r}")
    bit_generator = getattr(np.random, name)()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
        raise ModelFileError(f"{path}: the saved state of the random generator {name} is damaged ({exc!r})") from exc
    net.rng = np.random.Generator(bit_generator)


def _restore_schedule(net: "NeuralNetwork", config: Dict[str, Any], path: Path) -> None:
    """The update count, and the state of a schedule that keeps one."""
    updates = config.get("updates", 0)
    if updates < 0:
        raise ModelFileError(f"{path}: 'updates' must be a count >= 0 (got {updates})")
    net.updates = updates
    if "schedule_state" not in config:
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


def load_model(cls: Type["NeuralNetwork"], path: PathLike, *, registry: Optional[Registry] = None) -> "NeuralNetwork":
    """Read a model written by :func:`save_model`."""
    from ..components import get_registry

    path = Path(path)
    registry = get_registry() if registry is None else registry
    arrays = _read_archive(path)
    config = _read_config(path, arrays)
    components = config["components"]
    given = {role: _component_arg(role, components[role], registry) for role in ROLES if role in components}
    # seed=0: the generator is replaced by the saved one below; seed=None would draw from
    # (and so change) NumPy's global random state
    net = cls(config["layers"], **given, seed=0, dtype=config["dtype"], registry=registry)
    params = arrays["params"]
    if params.shape != (net.n_params,) or params.dtype != net.dtype:
        raise ModelFileError(
            f"{path}: 'params' has shape {params.shape} and dtype {params.dtype}, but the saved "
            f"configuration needs ({net.n_params},) {net.dtype}; the file is inconsistent"
        )
    net.set_params(params)
    state = dict(config.get("optimizer_state", {}))
    for key in config.get("optimizer_arrays", []):
        if _OPTIMIZER_PREFIX + key not in arrays:
            raise ModelFileError(f"{path}: the optimizer state array {key!r} is missing")
        state[key] = arrays[_OPTIMIZER_PREFIX + key]
    net.optimizer.load_state_dict(state)
    _restore_schedule(net, config, path)
    _restore_rng(net, config["rng"], path)
    net.history = {k: [math.nan if v is None else v for v in values] for k, values in config.get("history", {}).items()}
    return net
