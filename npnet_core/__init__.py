"""npnet: a NumPy neural-network framework whose components are plugins chosen by name.

>>> from npnet_core import NeuralNetwork
>>> net = NeuralNetwork([64, 64, 10], "relu", "softmax", "categorical_crossentropy", "adam")
"""

import importlib as _importlib
import typing as _typing

from ._version import __version__
from .errors import (
    AmbiguousComponentError,
    ComponentMismatchWarning,
    ComponentNotFoundError,
    ConcurrentUseError,
    DataFileError,
    DataFileNotFoundError,
    DivergenceError,
    ExportError,
    InvalidComponentError,
    InvalidParameterError,
    MissingComponentWarning,
    ModelFileError,
    ModelFileNotFoundError,
    NpnetError,
    PluginLoadError,
    PluginLoadWarning,
    UpdateOverflowError,
    ValidationError,
)

if _typing.TYPE_CHECKING:  # what the lazy names below are, for type checkers and IDEs
    from ._labels import to_categorical
    from .components import Registry, get_registry, make_registry
    from .hookspecs import hookimpl
    from .network import NeuralNetwork
    from .protocols import Activation, Loss, Optimizer

__all__ = [
    "Activation",
    "AmbiguousComponentError",
    "ComponentMismatchWarning",
    "ComponentNotFoundError",
    "ConcurrentUseError",
    "DataFileError",
    "DataFileNotFoundError",
    "DivergenceError",
    "ExportError",
    "InvalidComponentError",
    "InvalidParameterError",
    "Loss",
    "MissingComponentWarning",
    "ModelFileError",
    "ModelFileNotFoundError",
    "NeuralNetwork",
    "NpnetError",
    "Optimizer",
    "PluginLoadError",
    "PluginLoadWarning",
    "Registry",
    "UpdateOverflowError",
    "ValidationError",
    "__version__",
    "get_registry",
    "hookimpl",
    "make_registry",
    "to_categorical",
]

# The errors and the version above import nothing. Every other public name is
# imported from its module on first use (PEP 562), so that `import npnet_core`
# and the `npnet` command stay fast: the network pulls in numpy.random, the
# training loop and the file formats (zipfile, json), the registry pluggy.
_LAZY = {
    "Activation": "protocols",
    "Loss": "protocols",
    "NeuralNetwork": "network",
    "Optimizer": "protocols",
    "Registry": "components",
    "get_registry": "components",
    "hookimpl": "hookspecs",
    "make_registry": "components",
    "to_categorical": "_labels",
}

if not _typing.TYPE_CHECKING:  # hidden from type checkers, which would otherwise accept any attribute

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is not None:
            value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
        elif name.startswith("_"):  # private modules are imported explicitly, never as attributes
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        else:  # a public submodule, as `npnet_core.datasets` after `import npnet_core`
            try:
                value = _importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise  # the submodule exists but needs something missing: say so
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        globals()[name] = value  # later look-ups find it without calling __getattr__
        return value


def __dir__() -> list:
    return sorted(name for name in set(globals()) | set(_LAZY) if not name.startswith("_") or name == "__version__")
