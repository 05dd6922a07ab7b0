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
atomic (see :mod:`npnet_core.files`).
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional, Type

import numpy as np

from ._version import __version__
from .errors import AmbiguousComponentError, ComponentNotFoundError, ModelFileError, NpnetError
from .files import NPY_MAGIC, ZIP_MAGIC, PathLike, atomic_write, is_pickle, open_existing, read_head
from .registry import ComponentSpec, Registry

if TYPE_CHECKING:  # pragma: no cover
    from .network import NeuralNetwork

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

FORMAT = "npnet-model"
FORMAT_VERSION = 1
_OPTIMIZER_PREFIX = "optimizer."
_BIT_GENERATORS = {"PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"}
_ROLES = ("hidden_activation", "output_activation", "loss", "optimizer")


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


def _components(net: "NeuralNetwork") -> Dict[str, Any]:
    hidden = net.component_specs["hidden_activation"]
    return {
        "hidden_activation": net.hidden_activations if isinstance(hidden, list) else net.hidden_activation,
        "output_activation": net.output_activation,
        "loss": net.loss,
        "optimizer": net.optimizer,
    }


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
    components = _components(net)
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
        "initializer": net.initializer,
        "n_params": net.n_params,
        "components": saved,
        "optimizer_state": _plain({k: v for k, v in state.items() if not isinstance(v, np.ndarray)}),
        "optimizer_arrays": sorted(k for k, v in state.items() if isinstance(v, np.ndarray)),
        "rng": rng_state,
        # JSON has no NaN: a metric missing from an epoch is written as null
        "history": {k: [None if v != v else v for v in values] for k, values in net.history.items()},
    }


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
    try:
        # np.load is given an open file: given a name, it leaks the file when the zip is unreadable
        with open_existing(path, "model file") as handle:
            return _read_npz(path, handle)
    except FileNotFoundError:
        raise
    except ModelFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ModelFileError(f"{path} contains pickled Python objects; npnet never unpickles model files") from exc
        raise ModelFileError(f"{path} is not a readable npnet model file: {exc}") from exc
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ModelFileError(f"{path} is not a readable npnet model file (truncated or corrupt?): {exc}") from exc


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
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model format version {version!r}; this npnet-core {__version__} reads "
            f"version {FORMAT_VERSION}. Install the npnet-core release that wrote it"
        )
    problems = _config_problems(config)
    if problems:
        raise ModelFileError(f"{path}: the npnet model configuration is incomplete or damaged: " + "; ".join(problems))
    return config


def _is_component(saved: Any) -> bool:
    return (
        isinstance(saved, dict)
        and isinstance(saved.get("name"), str)
        and isinstance(saved.get("params", {}), dict)
        and isinstance(saved.get("distribution"), (str, type(None)))
    )


def _config_problems(config: Dict[str, Any]) -> "list[str]":
    """What is missing or of the wrong type in a configuration of the right format."""
    problems = []
    layers = config.get("layers")
    if not isinstance(layers, list) or not all(type(n) is int for n in layers):
        problems.append(f"'layers' must be a list of layer sizes (got {layers!r})")
    if not isinstance(config.get("dtype"), str):
        problems.append(f"'dtype' must be a dtype name (got {config.get('dtype')!r})")
    components = config.get("components")
    if not isinstance(components, dict):
        problems.append("'components' must map each role to its name and params")
    else:
        for role in _ROLES:
            saved = components.get(role)
            items = saved if role == "hidden_activation" and isinstance(saved, list) else [saved]
            if not all(_is_component(item) for item in items):
                problems.append(f"components[{role!r}] must give a name and params (got {saved!r})")
    if not isinstance(config.get("rng"), dict):
        problems.append("'rng' must hold the random generator's state")
    for key, kind in (("optimizer_state", dict), ("optimizer_arrays", list), ("history", dict)):
        if not isinstance(config.get(key, kind()), kind):
            problems.append(f"{key!r} must be a JSON {'object' if kind is dict else 'array'}")
    if not all(isinstance(k, str) for k in config.get("optimizer_arrays", [])):
        problems.append("'optimizer_arrays' must list names")
    history = config.get("history", {})
    if isinstance(history, dict) and not all(isinstance(v, list) for v in history.values()):
        problems.append("each entry of 'history' must be a list")
    if not isinstance(config.get("initializer", ""), str):
        problems.append("'initializer' must be a name")
    return problems


def _component_arg(role: str, saved: Any, registry: Registry) -> Any:
    """The name (pinned when needed) and params to resolve a saved component with."""
    if isinstance(saved, list):
        return [_component_arg(role, s, registry) for s in saved]
    name, params, distribution = saved["name"], saved.get("params", {}), saved.get("distribution")
    kind = "loss" if role == "loss" else "optimizer" if role == "optimizer" else "activation"
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


def load_model(cls: Type["NeuralNetwork"], path: PathLike, *, registry: Optional[Registry] = None) -> "NeuralNetwork":
    """Read a model written by :func:`save_model`."""
    from .registry import get_registry

    path = Path(path)
    registry = get_registry() if registry is None else registry
    arrays = _read_archive(path)
    config = _read_config(path, arrays)
    components = config["components"]
    args = [_component_arg(role, components[role], registry) for role in _ROLES]
    # seed=0: the generator is replaced by the saved one below; seed=None would draw from
    # (and so change) NumPy's global random state
    net = cls(config["layers"], *args, seed=0, dtype=config["dtype"], registry=registry)
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
    _restore_rng(net, config["rng"], path)
    net.initializer = config.get("initializer", net.initializer)
    net.history = {k: [math.nan if v is None else v for v in values] for k, values in config.get("history", {}).items()}
    return net
