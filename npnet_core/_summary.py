"""The summary of a network, Keras style: a table of its layers, one of its components, and the totals.

:func:`summary` describes a live :class:`~npnet_core.network.NeuralNetwork`
(``net.summary()`` and ``print(net)``); ``npnet info`` draws the same table
from a model file's configuration, without loading its components, through
:func:`summary_table`. For example::

    NeuralNetwork 64 -> 16 -> 10 (float64)
    ==========================================================
    Layer      Shape     Activation  Parameters
    ----------------------------------------------------------
    1 (Dense)  64 -> 16  relu              1040
    2 (Dense)  16 -> 10  softmax            170
    ==========================================================
    Component          Name                      Provider
    ----------------------------------------------------------
    hidden activation  relu                      npnet-relu-softmax 0.1.0
    output activation  softmax                   npnet-relu-softmax 0.1.0
    loss               categorical_crossentropy  npnet-relu-softmax 0.1.0
    optimizer          adam                      npnet-adam 0.1.0
      parameters: learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08, amsgrad=False
    initializer        glorot_uniform            npnet-initializers 0.1.0
    ==========================================================
    Total parameters: 1210 (9.5 KiB of float64)
    Updates so far: 0 (no epochs trained)

A layer's parameters are its weights and biases, ``fan_in * fan_out + fan_out``.
A component given as an object (no name to make it again by) shows its
``repr`` and the provider ``(object)``; a training component whose plugin is
not installed (a model loaded without it) shows ``not installed (pip install
DISTRIBUTION)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, NamedTuple, Optional, Sequence

from ._validation import format_bytes
from .kinds import ROLES

if TYPE_CHECKING:  # pragma: no cover
    from .network import NeuralNetwork

__all__ = [
    "ComponentRow",
    "component_label",
    "layer_parameters",
    "missing_status",
    "provider_text",
    "summary",
    "summary_table",
]


class ComponentRow(NamedTuple):
    """One row of the components table."""

    #: what the component does in the network: ``optimizer``, ``regularizer``, ``hidden activation``
    label: str
    #: its registered name, or the repr of a component given as an object
    name: str
    #: ``DISTRIBUTION VERSION``, ``(object)`` or ``(no distribution)``
    provider: str
    #: empty, or a note: ``not installed (pip install npnet-adam)``, ``(installed: 0.2.0)``
    status: str = ""
    #: its hyperparameters, shown on a line of their own
    params: Mapping[str, Any] = {}


def layer_parameters(fan_in: int, fan_out: int) -> int:
    """The parameters of one dense layer: its weights and biases."""
    return fan_in * fan_out + fan_out


def component_label(role: str, position: Optional[int] = None) -> str:
    """How the table names a role: ``hidden activation`` (``hidden activation 2`` per layer), ``regularizer``."""
    if ROLES[role].many:
        return ROLES[role].kind
    label = role.replace("_", " ")
    return label if position is None else f"{label} {position + 1}"


def missing_status(distribution: Optional[str]) -> str:
    """The status of a component whose plugin is not installed, saying what to install."""
    return f"not installed (pip install {distribution})" if distribution else "not installed (no distribution recorded)"


def provider_text(distribution: Optional[str], version: Optional[str]) -> str:
    """``DISTRIBUTION VERSION``, or ``(no distribution)``."""
    if not distribution:
        return "(no distribution)"
    return f"{distribution} {version or ''}".strip()


def _table(rows: List[List[str]], right: Sequence[int] = ()) -> List[str]:
    """``rows`` as lines of columns two spaces apart; the columns ``right`` aligned right (but their heading)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.rjust(width) if i in right and number else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def summary_table(
    layers: Sequence[int],
    activations: Sequence[str],
    components: Sequence[ComponentRow],
    dtype: str,
    updates: int,
    epochs: int,
) -> str:
    """The summary of a network of ``layers`` (sizes), whose layer ``i`` is followed by ``activations[i]``.

    ``components`` are the rows of the components table, in order; ``dtype``
    is the name of the parameters' type; ``updates`` and ``epochs`` the
    training so far.
    """
    import numpy as np

    shapes = list(zip(layers[:-1], layers[1:]))
    layer_rows = [["Layer", "Shape", "Activation", "Parameters"]] + [
        [f"{i + 1} (Dense)", f"{fan_in} -> {fan_out}", activation, str(layer_parameters(fan_in, fan_out))]
        for i, ((fan_in, fan_out), activation) in enumerate(zip(shapes, activations))
    ]
    component_rows = [["Component", "Name", "Provider", ""]] + [
        [row.label, row.name, row.provider, row.status] for row in components
    ]
    layer_lines = _table(layer_rows, right=(3,))
    component_lines = _table(component_rows)
    n_params = sum(layer_parameters(fan_in, fan_out) for fan_in, fan_out in shapes)
    nbytes = n_params * np.dtype(dtype).itemsize
    trained = f"{epochs} epoch{'s' if epochs != 1 else ''} trained" if epochs else "no epochs trained"
    footer = [
        f"Total parameters: {n_params} ({format_bytes(nbytes)} of {dtype})",
        f"Updates so far: {updates} ({trained})",
    ]
    width = max(len(line) for line in layer_lines + component_lines + footer)
    lines = [f"NeuralNetwork {' -> '.join(map(str, layers))} ({dtype})", "=" * width]
    lines += [layer_lines[0], "-" * width, *layer_lines[1:], "=" * width, component_lines[0], "-" * width]
    for line, row in zip(component_lines[1:], components):
        lines.append(line)
        if row.params:
            shown = (f"{key if str(key).isidentifier() else repr(key)}={value!r}" for key, value in row.params.items())
            lines.append("  parameters: " + ", ".join(shown))  # a file's odd key is quoted, never printed raw
    lines += ["=" * width, *footer]
    return "\n".join(lines)


# -- a live network ---------------------------------------------------------------------------------


def _row(label: str, spec: Any, component: Any) -> ComponentRow:
    """The row of one component, from how it was made (``spec``, None for an object) and the object."""
    from .components import MissingComponent

    if isinstance(component, MissingComponent):
        spec = component.spec
        return ComponentRow(
            label,
            spec.name,
            provider_text(spec.distribution, spec.version),
            missing_status(spec.distribution),
            spec.params,
        )
    params: Dict[str, Any] = dict(spec.params) if spec is not None else {}
    get_config = getattr(component, "get_config", None)
    if callable(get_config):
        try:
            config = get_config()
        except Exception:  # a plugin's get_config failing: the summary still shows what it can
            config = None
        if isinstance(config, Mapping):
            params.update(config)
    if spec is None:
        return ComponentRow(label, repr(component), "(object)", "", params)
    return ComponentRow(label, spec.name, provider_text(spec.distribution, spec.version), "", params)


def _activation_name(spec: Any, component: Any) -> str:
    if spec is not None:
        return str(spec.name)
    return str(getattr(component, "name", None) or type(component).__name__)


def summary(network: "NeuralNetwork") -> str:
    """The summary of ``network``: its layers, its components with their providers, and the totals.

    One row per dense layer (its shape, the activation after it, and its
    ``fan_in * fan_out + fan_out`` parameters); one per component, in the order
    of :data:`npnet_core.kinds.ROLES`, with its name, hyperparameters,
    distribution and version; the total parameters and their bytes, the dtype,
    and the updates made so far.
    """
    specs, components = network.component_specs, network.components
    layers = list(network.layers)
    n_hidden = len(layers) - 2

    def per_layer(role: str) -> List[Any]:
        spec, component = specs[role], components[role]
        if isinstance(spec, list):
            return list(zip(spec, component))
        return [(spec, component)] * n_hidden

    hidden = per_layer("hidden_activation")
    activations = [_activation_name(*pair) for pair in hidden]
    activations.append(_activation_name(specs["output_activation"], components["output_activation"]))
    rows: List[ComponentRow] = []
    for role in ROLES:
        if role not in specs:
            continue
        spec, component = specs[role], components[role]
        if ROLES[role].per_layer and isinstance(spec, list):
            rows.extend(_row(component_label(role, i), s, c) for i, (s, c) in enumerate(zip(spec, component)))
        elif isinstance(spec, list):  # several in turn: a row each
            rows.extend(_row(component_label(role), s, c) for s, c in zip(spec, component))
        else:
            row = _row(component_label(role), spec, component)
            if ROLES[role].per_layer and not n_hidden:
                row = row._replace(status="(unused: no hidden layers)")
            rows.append(row)
    epochs = len(network.history.get("loss", []))
    return summary_table(layers, activations, rows, network.dtype.name, int(network.updates), epochs)
