"""Model files: whole models (``.npz`` + JSON config) and the article's flat ``.npy``.

A whole-model file is an uncompressed NumPy ``.npz`` archive holding

- ``config``: a 0-d unicode array with the JSON configuration (format version,
  layer sizes, dtype, each component's name, parameters, distribution and
  version, the random generator's state, the optimizer's scalar state, the
  training history);
- ``params``: the flat parameter vector;
- ``optimizer.<key>``: each array of the optimizer's state.

Loading never unpickles (``allow_pickle=False``) and resolves components by
name through the registry. Writes go to a temporary file in the same folder,
then replace the target, so a failed write leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Type, Union

import numpy as np

from ._version import __version__
from .errors import ComponentNotFoundError, ModelFileError, NpnetError
from .registry import ComponentSpec, Registry

if TYPE_CHECKING:  # pragma: no cover
    from .network import NeuralNetwork

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "load_params", "save_model", "save_params"]

FORMAT = "npnet-model"
FORMAT_VERSION = 1
_OPTIMIZER_PREFIX = "optimizer."
_BIT_GENERATORS = {"PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"}

PathLike = Union[str, "os.PathLike[str]"]


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then move it into place."""
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise


# -- the article's flat parameter files ------------------------------------------------


def save_params(net: "NeuralNetwork", filename: PathLike) -> Path:
    """Write the flat parameter vector with ``np.save`` semantics (``.npy`` appended if missing)."""
    path = Path(filename)
    if path.suffix != ".npy":
        path = path.with_name(path.name + ".npy")
    _atomic_write(path, lambda handle: np.save(handle, net.params, allow_pickle=False))
    return path


def load_params(net: "NeuralNetwork", filename: PathLike) -> None:
    """Read a flat parameter vector written by :func:`save_params` into ``net``."""
    path = Path(filename)
    if not path.exists() and path.with_name(path.name + ".npy").exists():
        path = path.with_name(path.name + ".npy")  # np.save appended the suffix
    try:
        params = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"{path} is not a readable .npy parameter file: {exc}") from exc
    if not isinstance(params, np.ndarray) or params.ndim != 1 or params.size != net.n_params:
        shape = getattr(params, "shape", None)
        raise ModelFileError(
            f"{path} holds an array of shape {shape}, but layers {net.layers} need a flat vector of "
            f"{net.n_params} parameters; it was saved from a network with other layer sizes"
        )
    net.set_params(params)


# -- whole models ---------------------------------------------------------------------


def _spec_json(role: str, spec: Any) -> Any:
    if isinstance(spec, list):
        return [_spec_json(role, s) for s in spec]
    if spec is None:
        raise ModelFileError(
            f"cannot save the model: its {role} was given as an object or the article's "
            "(function, derivative) tuple, which cannot be made again by name. Give it by name "
            "(from an installed plugin), or save only the parameters with save_params()"
        )
    return spec.to_json()


def _model_config(net: "NeuralNetwork") -> Dict[str, Any]:
    components = {role: _spec_json(role, spec) for role, spec in net.component_specs.items()}
    state = net.optimizer.state_dict()
    rng_state = net.rng.bit_generator.state
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "npnet_core_version": __version__,
        "layers": net.layers,
        "dtype": net.dtype.name,
        "initializer": net.initializer,
        "n_params": net.n_params,
        "components": components,
        "optimizer_state": {k: v for k, v in state.items() if not isinstance(v, np.ndarray)},
        "optimizer_arrays": sorted(k for k, v in state.items() if isinstance(v, np.ndarray)),
        "rng": rng_state,
        "history": net.history,
    }


def save_model(net: "NeuralNetwork", path: PathLike) -> Path:
    """Write ``net`` as one ``.npz`` file at exactly ``path``; return the path."""
    path = Path(path)
    config = _model_config(net)
    try:
        text = json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"cannot save the model: its configuration is not plain JSON ({exc})") from exc
    arrays = {"config": np.array(text), "params": net.params}
    for key, value in net.optimizer.state_dict().items():
        if isinstance(value, np.ndarray):
            arrays[_OPTIMIZER_PREFIX + key] = value
    _atomic_write(path, lambda handle: np.savez(handle, **arrays))
    return path


def _read_archive(path: Path) -> Dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ModelFileError(f"{path} is a single .npy array, not an npnet model (.npz)")
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except ModelFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ModelFileError(
                f"{path} contains pickled Python objects; npnet never unpickles model files"
            ) from exc
        raise ModelFileError(f"{path} is not a readable npnet model file: {exc}") from exc
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ModelFileError(f"{path} is not a readable npnet model file (truncated or corrupt?): {exc}") from exc


def _read_config(path: Path, arrays: Dict[str, np.ndarray]) -> Dict[str, Any]:
    if "config" not in arrays or "params" not in arrays:
        raise ModelFileError(
            f"{path} is an .npz archive but not an npnet model: it lacks 'config' or 'params' "
            f"(found {sorted(arrays)})"
        )
    try:
        config = json.loads(str(arrays["config"]))
    except ValueError as exc:
        raise ModelFileError(f"{path}: the model configuration is not valid JSON ({exc})") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an npnet model file (format {config.get('format')!r})")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model format version {version!r}; this npnet-core {__version__} reads "
            f"version {FORMAT_VERSION}. Install the npnet-core release that wrote it"
        )
    return config


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
    except NpnetError:  # several providers: take the one the model was saved with
        if distribution:
            return (f"{distribution}:{name}", params)
        raise
    return (name, params)


def _restore_rng(net: "NeuralNetwork", state: Dict[str, Any], path: Path) -> None:
    name = state.get("bit_generator")
    if name not in _BIT_GENERATORS:
        raise ModelFileError(f"{path}: unknown random bit generator {name!r}")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    net.rng = np.random.Generator(bit_generator)


def load_model(
    cls: Type["NeuralNetwork"], path: PathLike, *, registry: Optional[Registry] = None
) -> "NeuralNetwork":
    """Read a model written by :func:`save_model`."""
    from .registry import get_registry

    path = Path(path)
    registry = get_registry() if registry is None else registry
    arrays = _read_archive(path)
    config = _read_config(path, arrays)
    components = config["components"]
    args = [
        _component_arg(role, components[role], registry)
        for role in ("hidden_activation", "output_activation", "loss", "optimizer")
    ]
    net = cls(config["layers"], *args, dtype=config["dtype"], registry=registry)
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
    net.history = {k: list(v) for k, v in config.get("history", {}).items()}
    return net
