"""The component kinds: one row per kind, and the only place a kind is declared.

Everything that treats kinds alike reads :data:`KINDS`: the register hooks
(:mod:`npnet_core.hookspecs` makes one per row), the registry and its error
messages, resolution and model files (through the roles), ``npnet plugins``,
``npnet check`` and the contract suite (through ``checks``), and
``npnet new-plugin`` (through ``scaffold`` and the templates in
``npnet_core/scaffold/templates/<kind>/``). A new kind is a row here, a
protocol in :mod:`npnet_core.protocols`, its checks in :mod:`npnet_core.testing`
and its templates; ``docs/design.md`` lists the files.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .protocols import Activation, Initializer, Loss, Metric, Optimizer, Regularizer, Schedule

__all__ = ["KINDS", "ROLES", "Kind", "Role", "kind_of"]


class Role(NamedTuple):
    """A place a component takes in a network: a ``NeuralNetwork`` argument and its CLI option."""

    name: str
    kind: str
    option: str
    #: what may be given, for error messages
    accepts: str
    #: the adapter (in :mod:`npnet_core.components`) that accepts the article's form of this role:
    #: a ``(function, derivative)`` tuple, or any object with ``update`` for the optimizer (None: none)
    article_adapter: Optional[str] = None
    #: one component per hidden layer may be given, as a list
    per_layer: bool = False
    #: a keyword-only argument of ``NeuralNetwork`` (the article's four are positional)
    keyword: bool = False
    #: a list of any length, applied in order (an empty list: none)
    many: bool = False
    #: may be absent: None (or an empty list for ``many``), and then not saved
    optional: bool = False
    #: the first use of a made network that needs it: "predict", "score" (the loss) or "fit"; None for
    #: one used only while the network is made (the initializer). A loaded model whose component of a
    #: role other than "predict" comes from a plugin that is not installed loads without it.
    needed_for: Optional[str] = "fit"


class Kind(NamedTuple):
    """Everything npnet needs to know about one kind of component."""

    name: str
    plural: str
    #: the Protocol a component of this kind satisfies; its methods identify the kind
    protocol: type
    #: a typical name, for messages: "a loss name such as 'mse'"
    example: str
    #: the names, in :mod:`npnet_core.testing`, of the checks that apply, in the order they run
    checks: Tuple[str, ...]
    #: what ``npnet new-plugin --kind`` writes, for its help
    scaffold: str
    #: the constructor arguments the generated contract test checks the example with
    scaffold_configs: Tuple[str, ...]
    #: the official components (names and aliases) and their distributions, for install hints
    official: Mapping[str, str]

    @property
    def hook(self) -> str:
        """The register hook: ``npnet_register_<plural>``."""
        return f"npnet_register_{self.plural}"

    @property
    def methods(self) -> Tuple[str, ...]:
        """The protocol's methods, which a component must have."""
        return tuple(n for n, v in vars(self.protocol).items() if callable(v) and not n.startswith("_"))

    @property
    def attributes(self) -> Dict[str, str]:
        """The protocol's attributes and their types (``name: str``, and a metric's ``greater_is_better: bool``)."""
        return dict(vars(self.protocol).get("__annotations__", {}))

    def problems(self, obj: object) -> List[str]:
        """What ``obj`` lacks to be a component of this kind (empty if nothing)."""
        problems = []
        for attribute, annotation in self.attributes.items():
            value = getattr(obj, attribute, None)
            if annotation == "str" and not (isinstance(value, str) and value):
                problems.append(f"a non-empty string attribute {attribute!r}")
            elif annotation == "bool" and not isinstance(value, bool):
                problems.append(f"a bool attribute {attribute!r}")
        problems.extend(f"a method '{m}'" for m in self.methods if not callable(getattr(obj, m, None)))
        return problems


_ARRAY_CHECKS = (
    "check_output_shapes",
    "check_dtype_preserved",
    "check_inputs_not_mutated",
    "check_rows_independent",
    "check_backward_matches_finite_differences",
    "check_finite_at_extreme_inputs",
    "check_deterministic",
    "check_declarations_hold",
)

#: The kinds, by name.
KINDS: Dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="activation",
            plural="activations",
            protocol=Activation,
            example="relu",
            checks=(*_ARRAY_CHECKS, "check_onnx_export", "check_registered_name_resolves"),
            scaffold="tanh",
            scaffold_configs=("",),
            official={
                **dict.fromkeys(("relu", "identity", "softmax"), "npnet-relu-softmax"),
                **dict.fromkeys(("sigmoid", "logistic", "tanh"), "npnet-sigmoid-tanh"),
                **dict.fromkeys(("leaky_relu", "elu", "gelu", "silu", "softplus"), "npnet-modern-activations"),
            },
        ),
        Kind(
            name="loss",
            plural="losses",
            protocol=Loss,
            example="mse",
            checks=(*_ARRAY_CHECKS, "check_finite_at_boundary_predictions", "check_registered_name_resolves"),
            scaffold="log-cosh",
            scaffold_configs=("",),
            official={
                **dict.fromkeys(("mean_squared_error", "mse", "categorical_crossentropy"), "npnet-relu-softmax"),
                "binary_crossentropy": "npnet-sigmoid-tanh",
                **dict.fromkeys(("mean_absolute_error", "mae", "huber", "log_cosh"), "npnet-regression-losses"),
            },
        ),
        Kind(
            name="optimizer",
            plural="optimizers",
            protocol=Optimizer,
            example="adam",
            checks=(
                "check_update_shape_and_dtype",
                "check_gradient_not_mutated",
                "check_zero_gradient_keeps_parameters",
                "check_converges_on_quadratic",
                "check_converges_on_ill_conditioned_quadratic",
                "check_loss_decreases_on_small_network",
                "check_state_dict_round_trip",
                "check_load_state_dict_refuses_bad_arrays",
                "check_get_config_rebuilds_equivalent",
                "check_registered_name_resolves",
            ),
            scaffold="RMSprop",
            scaffold_configs=("", "learning_rate=0.01, rho=0.99"),
            official={
                "sgd": "npnet-sgd-momentum",
                **dict.fromkeys(("adam", "adamw", "adamax"), "npnet-adam"),
                **dict.fromkeys(("rmsprop", "adagrad"), "npnet-rmsprop"),
            },
        ),
        Kind(
            name="initializer",
            plural="initializers",
            protocol=Initializer,
            example="he_normal",
            checks=(
                "check_initializer_fills_in_place",
                "check_initializer_deterministic",
                "check_initializer_scale_bounded",
                "check_registered_name_resolves",
            ),
            scaffold="lecun_uniform",
            scaffold_configs=("",),
            official=dict.fromkeys(
                ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal", "article", "zeros"),
                "npnet-initializers",
            ),
        ),
        Kind(
            name="schedule",
            plural="schedules",
            protocol=Schedule,
            example="cosine",
            checks=(
                "check_schedule_rates_finite_positive",
                "check_schedule_pure",
                "check_schedule_config_round_trip",
                "check_registered_name_resolves",
            ),
            scaffold="linear decay",
            scaffold_configs=("total_steps=100", "total_steps=10, final_fraction=0.5"),
            official=dict.fromkeys(
                ("constant", "step", "exponential", "cosine", "inverse_scaling", "reduce_on_plateau"),
                "npnet-schedules",
            ),
        ),
        Kind(
            name="regularizer",
            plural="regularizers",
            protocol=Regularizer,
            example="l2",
            checks=(
                "check_penalty_gradient_matches_finite_differences",
                "check_regularizer_inputs_not_mutated",
                "check_perturb_backward_consistent",
                "check_perturb_preserves_expectation",
                "check_perturb_deterministic",
                "check_regularizer_inactive_at_inference",
                "check_registered_name_resolves",
            ),
            scaffold="gaussian dropout",
            scaffold_configs=("rate=0.2",),
            official=dict.fromkeys(("l2", "l1", "l1_l2", "dropout", "gaussian_noise"), "npnet-regularizers"),
        ),
        Kind(
            name="metric",
            plural="metrics",
            protocol=Metric,
            example="f1",
            checks=(
                "check_metric_finite_on_edge_cases",
                "check_metric_labels_and_one_hot_agree",
                "check_metric_row_order_invariant",
                "check_metric_inputs_not_mutated",
                "check_metric_perfect_prediction_best",
                "check_registered_name_resolves",
            ),
            scaffold="balanced accuracy",
            scaffold_configs=("",),
            official=dict.fromkeys(
                (
                    "accuracy",
                    "top_k_accuracy",
                    "precision",
                    "recall",
                    "f1",
                    "log_loss",
                    "mean_absolute_error",
                    "mae",
                    "mean_squared_error",
                    "mse",
                    "r2",
                ),
                "npnet-metrics",
            ),
        ),
    )
}

#: The roles of a network's components, in the order ``NeuralNetwork`` takes them.
ROLES: Dict[str, Role] = {
    role.name: role
    for role in (
        Role(
            "hidden_activation",
            "activation",
            "--activation",
            "'relu', ('relu', {}), an Activation object, or the article's (relu, d_relu)",
            article_adapter="ArticleElementwiseActivation",
            per_layer=True,
            needed_for="predict",
        ),
        Role(
            "output_activation",
            "activation",
            "--output-activation",
            "'softmax', ('softmax', {}), an Activation object, or the article's (softmax, d_softmax)",
            article_adapter="ArticleJacobianActivation",
            needed_for="predict",
        ),
        Role(
            "loss",
            "loss",
            "--loss",
            "'categorical_crossentropy', a (name, params) pair, a Loss object, or the article's (loss, d_loss)",
            article_adapter="ArticleLoss",
            needed_for="score",
        ),
        Role(
            "optimizer",
            "optimizer",
            "--optimizer",
            "'adam', ('adam', {'learning_rate': 1e-3}), an Optimizer object, or any object with update(params, gradient)",
            article_adapter="ArticleOptimizer",
        ),
        Role(
            "initializer",
            "initializer",
            "--initializer",
            "'he_normal', ('he_normal', {}), or an Initializer object",
            keyword=True,
            needed_for=None,
        ),
        Role(
            "regularizers",
            "regularizer",
            "--regularizer",
            "a list of 'l2', ('dropout', {'rate': 0.2}) or Regularizer objects",
            keyword=True,
            many=True,
            optional=True,
        ),
        Role(
            "schedule",
            "schedule",
            "--schedule",
            "None, 'cosine:total_steps=1000', ('cosine', {'total_steps': 1000}), or a Schedule object",
            keyword=True,
            optional=True,
        ),
    )
}


def _required_positional(function: Any, *, bound: bool) -> Optional[int]:
    """How many positional arguments ``function`` requires (without ``self``); None if unknown or variadic."""
    import inspect  # here: `npnet --help` reads the table without it

    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    if not bound and parameters:
        parameters = parameters[1:]  # the protocol's function, read from the class: drop self
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in parameters)


def _signatures_match(kind: Kind, component: Any) -> bool:
    """Whether each protocol method ``component`` has requires as many positional arguments as the protocol's."""
    for method in kind.methods:
        found = getattr(component, method, None)
        wanted = _required_positional(getattr(kind.protocol, method), bound=False)
        if callable(found) and _required_positional(found, bound=True) not in (wanted, None):
            return False
    return True


def kind_of(component: Any) -> str:
    """Return the kind whose protocol's methods ``component`` has most of; their number, then their arguments decide a tie.

    An activation and a loss both have ``forward`` and ``backward``; the
    arguments their protocols require tell them apart: ``backward(z, a, grad_a)``
    and ``backward(y_pred, y_true)``. A component that lacks a method, or takes
    other arguments, is still given its kind, so that the contract checks say
    what is wrong.
    """
    # the share of the protocol's methods present, then their number: update and get_config make
    # half an optimizer and half a schedule, but two of the optimizer's methods against one
    present = {name: sum(callable(getattr(component, m, None)) for m in k.methods) for name, k in KINDS.items()}
    scores = {name: (n / len(KINDS[name].methods), n) for name, n in present.items() if n}
    chosen = [name for name, score in scores.items() if score == max(scores.values())]
    if len(chosen) > 1:
        chosen = [name for name in chosen if _signatures_match(KINDS[name], component)]
    if len(chosen) == 1:
        return chosen[0]
    described = "; ".join(
        f"{'an' if name[0] in 'aeiou' else 'a'} {name} has "
        + ", ".join(f"{m}{_arguments(getattr(kind.protocol, m))}" for m in kind.methods)
        for name, kind in KINDS.items()
    )
    raise TypeError(f"cannot tell what kind of component {component!r} is: {described}")


def _arguments(function: Any) -> str:
    import inspect

    parameters = list(inspect.signature(function).parameters)[1:]
    return f"({', '.join(parameters)})"
