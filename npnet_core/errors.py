"""The npnet error hierarchy.

Every error npnet raises on purpose is a subclass of :class:`NpnetError`, and
also of the built-in exception a Python user would expect (``ValueError`` for
bad values, ``LookupError`` for unknown names, ``TypeError`` for objects of the
wrong kind), so ``except ValueError`` keeps working.

Messages say what was expected, what came, and what to do.
"""

from __future__ import annotations

__all__ = [
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
    "MissingComponentWarning",
    "ModelFileError",
    "ModelFileNotFoundError",
    "NpnetError",
    "PluginLoadError",
    "PluginLoadWarning",
    "UpdateOverflowError",
    "ValidationError",
]


class NpnetError(Exception):
    """Base class of every error raised by npnet."""


class ComponentNotFoundError(NpnetError, LookupError):
    """No installed plugin provides a component of that kind and name."""

    def __str__(self) -> str:  # LookupError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class AmbiguousComponentError(NpnetError, LookupError):
    """Two or more distributions provide a component of the same name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidComponentError(NpnetError, TypeError):
    """An object does not satisfy the protocol of its kind."""


class InvalidParameterError(NpnetError, ValueError):
    """A component or a function got a parameter it does not accept."""


class ValidationError(NpnetError, ValueError):
    """Input data or arguments have the wrong shape, type or values."""


class DataFileError(ValidationError):
    """A data file is missing something, damaged, unreadable, or not in a format npnet reads."""


class DataFileNotFoundError(DataFileError, FileNotFoundError):
    """A data or labels file, an MNIST file or the MNIST folder does not exist."""


class ModelFileError(NpnetError, ValueError):
    """A model or parameter file cannot be written or read as asked."""


class ModelFileNotFoundError(ModelFileError, FileNotFoundError):
    """A model or parameter file, or the folder to write it in, does not exist."""


class PluginLoadError(NpnetError, ImportError):
    """A plugin failed to load (raised in strict mode, recorded otherwise)."""


class PluginLoadWarning(UserWarning):
    """A plugin failed to load; the other plugins were loaded normally."""


class ComponentMismatchWarning(UserWarning):
    """The output activation does not produce what the loss expects (``relu`` before ``categorical_crossentropy``)."""


class MissingComponentWarning(UserWarning):
    """A model loaded without a component it does not need to predict, whose plugin is not installed."""


class ConcurrentUseError(NpnetError, RuntimeError):
    """A network was used from another thread, or by a callback, while ``fit`` was training it."""


class ExportError(NpnetError, ValueError):
    """A network cannot be exported: a component has no export, or wrote an invalid graph."""


class DivergenceError(NpnetError, ArithmeticError):
    """Training produced a NaN or infinite loss, gradient or parameters; the message says which."""


class UpdateOverflowError(DivergenceError):
    """The optimizer's update made the parameters non-finite.

    ``fit`` rolls the network back to its parameters and optimizer state from
    before the batch when it can, then raises this error; the message says
    what the network holds.
    """
