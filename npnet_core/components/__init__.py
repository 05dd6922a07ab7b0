"""How a name becomes a component: plugin discovery, the registry and resolution.

- :class:`Registry`: the plugins (entry points in the group ``npnet``, or
  registered by hand) and the components they register, per kind, with the
  distribution and version that provide each; :func:`get_registry` is the
  process-wide one.
- :func:`resolve`: what a user passes for a role (a name, ``(name, params)``,
  an object, or the article's tuples) becomes a component.
- :func:`parse_component` and :func:`format_component`: components written as
  text, as on the command line (``adam:learning_rate=0.003``).
- :class:`MissingComponent`: stands in for a loaded model's training
  component whose plugin is not installed.
- :func:`warn_if_mismatched`: an output activation that does not produce
  what the loss expects (from what each declares) gets a warning.
- :func:`call_hook`: a training hook called so that an installed plugin that
  raises is named; :func:`check_update_result` and its siblings: what a
  component returned on a ``fit``'s first batch, checked.
"""

from ._adapters import (
    ArticleElementwiseActivation,
    ArticleJacobianActivation,
    ArticleLoss,
    ArticleOptimizer,
    is_function_pair,
)
from ._discovery import ENTRY_POINT_GROUP, ENV_BLOCK, ENV_DISABLE_AUTOLOAD, ENV_STRICT
from ._hooks import call_hook
from ._missing import MissingComponent
from ._pairing import produces, warn_if_mismatched
from ._registry import (
    ComponentEntry,
    ComponentSpec,
    PluginFailure,
    PluginInfo,
    Registry,
    check_component,
    get_registry,
    make_registry,
)
from ._resolution import resolve
from ._results import (
    check_activation_result,
    check_loss_result,
    check_output_gradient_result,
    check_update_result,
)
from ._text import ComponentSpecError, format_component, parse_component, parse_value

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_BLOCK",
    "ENV_DISABLE_AUTOLOAD",
    "ENV_STRICT",
    "ArticleElementwiseActivation",
    "ArticleJacobianActivation",
    "ArticleLoss",
    "ArticleOptimizer",
    "ComponentEntry",
    "ComponentSpec",
    "ComponentSpecError",
    "MissingComponent",
    "PluginFailure",
    "PluginInfo",
    "Registry",
    "call_hook",
    "check_activation_result",
    "check_component",
    "check_loss_result",
    "check_output_gradient_result",
    "check_update_result",
    "format_component",
    "get_registry",
    "is_function_pair",
    "make_registry",
    "parse_component",
    "parse_value",
    "produces",
    "resolve",
    "warn_if_mismatched",
]
