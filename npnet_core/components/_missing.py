"""A component of a loaded model whose plugin is not installed, standing in for it.

A model predicts with its activations alone: its loss, optimizer, regularizers,
schedule and initializer may come from plugins that are not installed where it
is used. :func:`npnet_core.io.load_model` then puts a :class:`MissingComponent`
in each such role. What needs the component (``fit`` for the training
components, ``score`` for the loss) raises the
:class:`~npnet_core.errors.ComponentNotFoundError` it keeps, with the install
hint; saving the model writes the component back as it was loaded, with its
saved state, so nothing the model had is lost.
"""

from __future__ import annotations

from typing import Any, Dict, NoReturn, Optional

from ..errors import ComponentNotFoundError
from ._registry import ComponentSpec

__all__ = ["MissingComponent"]


class MissingComponent:
    """Stands in for the component of ``role`` that ``spec`` describes, whose plugin is not installed.

    Parameters
    ----------
    role : str
        The network role (:data:`npnet_core.kinds.ROLES`).
    spec : ComponentSpec
        The component as the model file saved it: name, parameters, distribution and version.
    reason : str
        Why it could not be made: the registry's message, with the install hint.
    state : dict, optional
        The state the model file holds for it (an optimizer's moments, a schedule's
        plateau count), kept to be saved again.
    """

    def __init__(self, role: str, spec: ComponentSpec, reason: str, state: Optional[Dict[str, Any]] = None) -> None:
        self.role, self.spec, self.reason, self.state = role, spec, reason, state
        self.name = spec.name

    def error(self, use: str) -> ComponentNotFoundError:
        """The error for ``use`` (``"fit"``, ``"score"``...), which needs this component."""
        return ComponentNotFoundError(
            f"{use} needs the model's {self.role.replace('_', ' ')}, the {self.spec.kind} {self.name!r}, "
            f"which is not installed: {self.reason}"
        )

    def _unavailable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise self.error(f"calling the {self.spec.kind} {self.name!r}")

    # each method of every kind's protocol: calling it says what to install
    forward = backward = update = initialize = rate = penalty = perturb = compute = _unavailable

    def get_config(self) -> Dict[str, Any]:
        """The parameters the model file saved."""
        return dict(self.spec.params)

    def state_dict(self) -> Dict[str, Any]:
        """The state the model file saved (empty if none)."""
        return dict(self.state or {})

    def __repr__(self) -> str:
        provider = f" from {self.spec.distribution}" if self.spec.distribution else ""
        return f"<{self.spec.kind} {self.name!r}{provider}: not installed>"
