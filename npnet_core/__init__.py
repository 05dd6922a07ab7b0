"""npnet: a NumPy neural-network framework whose components are plugins chosen by name.

>>> from npnet_core import NeuralNetwork
>>> net = NeuralNetwork([64, 64, 10], "relu", "softmax", "categorical_crossentropy", "adam")
"""

from ._version import __version__
from .errors import (
    AmbiguousComponentError,
    ComponentNotFoundError,
    DivergenceError,
    InvalidComponentError,
    InvalidParameterError,
    ModelFileError,
    ModelFileNotFoundError,
    NpnetError,
    PluginLoadError,
    PluginLoadWarning,
    ValidationError,
)
from .hookspecs import hookimpl
from .labels import to_categorical
from .network import NeuralNetwork
from .protocols import Activation, Loss, Optimizer
from .registry import Registry, get_registry, make_registry

__all__ = [
    "Activation",
    "AmbiguousComponentError",
    "ComponentNotFoundError",
    "DivergenceError",
    "InvalidComponentError",
    "InvalidParameterError",
    "Loss",
    "ModelFileError",
    "ModelFileNotFoundError",
    "NeuralNetwork",
    "NpnetError",
    "Optimizer",
    "PluginLoadError",
    "PluginLoadWarning",
    "Registry",
    "ValidationError",
    "__version__",
    "get_registry",
    "hookimpl",
    "make_registry",
    "to_categorical",
]
