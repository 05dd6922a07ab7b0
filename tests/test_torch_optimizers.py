"""PyTorch's optimizers, bridged into npnet's Optimizer protocol, pass the contract suite: a test of the suite.

Each ``torch.optim`` optimizer runs at torch's default settings (SGD, which has
no usual rate, at 0.01), as does a Lion written here in NumPy at the paper's
1e-4: correct optimizers, each at a setting it is meant for. A check one of them
fails is a check that is wrong, not an optimizer. The bridge presents a
``torch.optim`` optimizer as an npnet one:

- ``update(params, gradient)`` copies ``params`` into a torch tensor of its
  dtype, sets the tensor's ``.grad`` to ``gradient``, calls ``step()`` and
  copies the result back into ``params`` (in place);
- ``learning_rate`` reads and writes ``param_groups[0]["lr"]``;
- ``state_dict()`` maps torch's per-parameter state to arrays (the tensors
  shaped like the parameters) and Python numbers (the 0-d tensors: ``step``,
  ASGD's ``eta`` and ``mu``...); ``load_state_dict`` checks a state against the
  layout torch makes for those parameters (its keys, shapes and dtypes), then
  puts back tensors of torch's dtypes, so that a run resumes bit for bit;
- ``decays_parameters`` is declared where torch decays the parameters whatever
  the gradient: AdamW (``weight_decay``, 0.01 by default) and ASGD (``lambd``,
  1e-4).
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any, Callable, ClassVar, Dict, Mapping, Optional, Tuple

import numpy as np
import pytest

from npnet_core import Registry, ValidationError, hookimpl
from npnet_core import optimizer_tools as tools
from npnet_core.testing import check_registered_name_resolves, checks_for, kind_of, parametrize_with_checks

torch = pytest.importorskip("torch")


class TorchOptimizer:
    """A ``torch.optim`` optimizer (:attr:`algorithm`) as an npnet Optimizer; ``options`` are its keyword arguments.

    The torch optimizer is made on the first update, for a tensor of the
    parameters' shape and dtype (an instance belongs to one network).
    """

    name: ClassVar[str] = "torch_optimizer"
    #: the class of torch.optim
    algorithm: ClassVar[str] = ""
    #: the option of ``algorithm`` that shrinks the parameters whatever the gradient, if any
    decay_option: ClassVar[Optional[str]] = None

    def __init__(self, **options: Any) -> None:
        self._class = getattr(torch.optim, self.algorithm)
        signature = inspect.signature(self._class).parameters
        self._defaults = {key: p.default for key, p in signature.items() if key != "params"}
        unknown = set(options) - set(self._defaults)
        if unknown:
            raise TypeError(f"{self.name}: torch.optim.{self.algorithm} has no option {sorted(unknown)}")
        self.options = dict(options)
        self._rate = float(self.options.get("lr", self._defaults["lr"]))
        self._param: Any = None  # the torch tensor the parameters are copied into
        self._torch: Any = None  # the torch optimizer, made on the first update

    @property
    def learning_rate(self) -> float:
        """``param_groups[0]["lr"]`` of the torch optimizer (before it is made, the rate it will be made with)."""
        return self._torch.param_groups[0]["lr"] if self._torch is not None else self._rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._rate = value
        if self._torch is not None:
            self._torch.param_groups[0]["lr"] = value

    @property
    def decays_parameters(self) -> bool:
        """True when torch shrinks the parameters whatever the gradient: AdamW's weight_decay, ASGD's lambd > 0."""
        return (
            self.decay_option is not None and self.options.get(self.decay_option, self._defaults[self.decay_option]) > 0
        )

    def get_config(self) -> Dict[str, Any]:
        """The torch options given: ``type(opt)(**opt.get_config())`` is the same optimizer, fresh."""
        return dict(self.options)

    def _make(self, shape: Tuple[int, ...], dtype: Any) -> None:
        self._param = torch.zeros(shape, dtype=torch.from_numpy(np.zeros(0, dtype)).dtype)
        self._torch = self._class([self._param], **{**self.options, "lr": self._rate})

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """One ``step()`` of the torch optimizer on ``params`` (updated in place and returned)."""
        tools.check_update_arrays(self.name, params, gradient)
        if self._torch is None:
            self._make(params.shape, params.dtype)
        fresh = f"{type(self).__name__}(**opt.get_config())"
        tools.check_state_matches(self.name, "tensor", self._param.numpy(), params, fresh)
        with torch.no_grad():
            self._param.copy_(torch.from_numpy(params))
        self._param.grad = torch.from_numpy(np.array(gradient, dtype=params.dtype))  # a copy: torch may scale it
        self._torch.step()
        params[...] = self._param.numpy()
        return params

    def state_dict(self) -> Dict[str, Any]:
        """Torch's state of the parameters: tensors shaped like them as arrays, 0-d tensors as Python numbers."""
        if self._torch is None:
            return {}
        return {key: _exported(value) for key, value in self._torch.state[self._param].items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state of :meth:`state_dict`, after checking it against the layout torch makes for it."""
        if not isinstance(state, Mapping):
            raise ValidationError(f"{self.name}: state must be a dict (got {type(state).__name__})")
        if not state:  # a fresh optimizer's
            self._param = self._torch = None
            return
        arrays = {key: value for key, value in state.items() if isinstance(value, np.ndarray) and value.ndim}
        if not arrays or len({(a.shape, a.dtype) for a in arrays.values()}) != 1:
            found = {key: (a.shape, str(a.dtype)) for key, a in arrays.items()}
            raise ValidationError(f"{self.name}: the state's arrays must share one shape and dtype (got {found})")
        shape, dtype = next((a.shape, a.dtype) for a in arrays.values())
        if len(shape) != 1 or dtype.kind != "f":
            raise ValidationError(
                f"{self.name}: the state's arrays must be 1-D floating arrays, shaped like the parameters "
                f"(got shape {shape} and dtype {dtype})"
            )
        layout = self._layout(shape, dtype)
        if set(state) != set(layout):
            raise ValidationError(f"{self.name}: state keys should be {sorted(layout)} (got {sorted(state)})")
        tensors = {key: _imported(self.name, key, state[key], layout[key]) for key in layout}
        self._make(shape, dtype)
        self._torch.state[self._param] = tensors

    def _layout(self, shape: Tuple[int, ...], dtype: Any) -> Dict[str, Any]:
        """What torch keeps for parameters of this shape and dtype: ``{key: tensor}`` after one step from zeros."""
        probe = type(self)(**self.options)
        probe.update(np.zeros(shape, dtype), np.zeros(shape, dtype))
        return dict(probe._torch.state[probe._param])


def _exported(value: Any) -> Any:
    if not torch.is_tensor(value):
        return value
    if value.ndim:
        return value.detach().numpy().copy()
    return value.item()  # a float32 0-d tensor is exact as a Python float


def _imported(owner: str, key: str, value: Any, like: Any) -> Any:
    """``value`` as a tensor of the dtype and shape of ``like`` (torch's own), refused unless it fits."""
    if not torch.is_tensor(like):
        return value
    if like.ndim:
        if not isinstance(value, np.ndarray) or value.shape != tuple(like.shape):
            raise ValidationError(f"{owner}: state[{key!r}] must be an array of shape {tuple(like.shape)}")
        if value.dtype != like.numpy().dtype or not np.isfinite(value).all():
            raise ValidationError(
                f"{owner}: state[{key!r}] must hold finite values of dtype {like.numpy().dtype} (got {value.dtype})"
            )
        return torch.from_numpy(value.copy())
    if isinstance(value, np.ndarray) and value.ndim == 0:  # from an .npz file
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValidationError(f"{owner}: state[{key!r}] must be a finite number (got {value!r})")
    return torch.tensor(value, dtype=like.dtype)


def _bridge(algorithm: str, decay_option: Optional[str] = None) -> type:
    """The bridge class of ``torch.optim.<algorithm>``, named ``torch_<algorithm>``."""
    attributes = {"algorithm": algorithm, "name": f"torch_{algorithm.lower()}", "decay_option": decay_option}
    return type(f"Torch{algorithm}", (TorchOptimizer,), attributes)


ALGORITHMS = ("SGD", "Adam", "AdamW", "ASGD", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam", "Adadelta", "Rprop")
BRIDGES: Dict[str, type] = {
    algorithm: _bridge(algorithm, {"AdamW": "weight_decay", "ASGD": "lambd"}.get(algorithm)) for algorithm in ALGORITHMS
}


class Lion:
    """Lion (Chen et al., 2023, Algorithm 2 without weight decay), in NumPy.

    ``c = beta_1 m + (1 - beta_1) g``; ``p -= learning_rate sign(c)``;
    ``m = beta_2 m + (1 - beta_2) g``. Its steps are of the size of the rate
    whatever the gradient, hence the paper's small rates (1e-4).
    """

    name = "lion"
    state_layout = tools.StateLayout(arrays=("m",), source="Lion.state_dict()")

    def __init__(self, learning_rate: float = 1e-4, beta_1: float = 0.9, beta_2: float = 0.99) -> None:
        self.learning_rate, self.beta_1, self.beta_2 = float(learning_rate), float(beta_1), float(beta_2)
        self._m: Optional[np.ndarray] = None

    def get_config(self) -> Dict[str, Any]:
        return {"learning_rate": self.learning_rate, "beta_1": self.beta_1, "beta_2": self.beta_2}

    def update(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        tools.check_update_arrays(self.name, params, gradient)
        if self._m is None:
            self._m = np.zeros_like(params)
        tools.check_state_matches(self.name, "moment", self._m, params, "Lion(**opt.get_config())")
        c = self.beta_1 * self._m + (1.0 - self.beta_1) * gradient
        params -= self.learning_rate * np.sign(c)
        self._m *= self.beta_2
        self._m += (1.0 - self.beta_2) * gradient
        return params

    def state_dict(self) -> Dict[str, Any]:
        return {} if self._m is None else {"m": self._m.copy()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._m = tools.check_state(self.name, self.state_layout, state).get("m")


#: every torch.optim optimizer at torch's defaults (SGD's lr is 0.001 by default since torch 2.2, "usual" nowhere:
#: 0.01), a few at other rates, and Lion at the paper's rate
OPTIMIZERS = [
    BRIDGES["SGD"](lr=0.01),
    *(BRIDGES[algorithm]() for algorithm in BRIDGES if algorithm != "SGD"),
    BRIDGES["SGD"](lr=1e-4, momentum=0.9),
    BRIDGES["Adam"](lr=1e-5),
    Lion(),
]


class _Bridges:
    """A plugin registering every bridge and Lion under their names."""

    @hookimpl
    def npnet_register_optimizers(self, register: Callable[..., None]) -> None:
        for cls in (*BRIDGES.values(), Lion):
            register(cls.name, cls)


@pytest.fixture
def bridges_registry(empty_registry: Registry) -> Registry:
    empty_registry.register_plugin(_Bridges(), "torch-bridges")
    return empty_registry


@parametrize_with_checks(OPTIMIZERS)
def test_torch_optimizer_at_its_usual_settings_passes_the_contract_suite(component, check, bridges_registry):
    """Every check passes: a correct optimizer at a setting it is meant for is no failure of the contract."""
    if check is check_registered_name_resolves:
        check(component, bridges_registry)
    else:
        check(component)


def test_every_torch_optimizer_is_bridged():
    """The bridges cover each optimizer the suite is run over, and all run the optimizer kind's checks."""
    assert {type(o).__name__ for o in OPTIMIZERS} >= {f"Torch{a}" for a in BRIDGES} | {"Lion"}
    assert all(kind_of(o) == "optimizer" and check_registered_name_resolves in checks_for(o) for o in OPTIMIZERS)
    declared = {type(o).__name__ for o in OPTIMIZERS if getattr(o, "decays_parameters", False)}
    assert declared == {"TorchAdamW", "TorchASGD"}
    assert not BRIDGES["AdamW"](weight_decay=0).decays_parameters


def test_the_bridge_updates_as_torch_and_reads_its_rate_at_each_update():
    """One SGD step moves p by -lr g (hand-worked); setting learning_rate changes torch's lr for the next one."""
    sgd = BRIDGES["SGD"](lr=0.5)
    params = np.array([1.0, -2.0, 3.0])
    out = sgd.update(params, np.array([0.5, 1.0, -1.0]))
    assert out is params and params.tolist() == [0.75, -2.5, 3.5]
    sgd.learning_rate = 0.25
    assert sgd._torch.param_groups[0]["lr"] == 0.25 and sgd.learning_rate == 0.25
    sgd.update(params, np.array([1.0, 1.0, 1.0]))
    assert params.tolist() == [0.5, -2.75, 3.25]
    assert sgd.state_dict() == {}  # torch keeps no state for plain SGD


def test_the_bridged_state_maps_to_arrays_and_numbers_and_is_checked():
    """ASGD's state: the average as an array, the step, eta and mu as Python numbers; a state that does not fit the
    layout torch makes is refused with ValidationError."""
    asgd = BRIDGES["ASGD"]()
    params = np.ones(4)
    for _ in range(2):
        asgd.update(params, np.full(4, 0.5))
    state = asgd.state_dict()
    assert set(state) == {"step", "eta", "mu", "ax"}
    assert isinstance(state["ax"], np.ndarray) and state["ax"].shape == (4,)
    assert state["step"] == 2.0 and all(type(state[key]) is float for key in ("step", "eta", "mu"))
    bad_states = [
        {**state, "extra": 1.0},
        {key: value for key, value in state.items() if key != "mu"},
        {**state, "eta": float("nan")},
        {**state, "step": "2"},
        {**state, "ax": state["ax"].reshape(2, 2)},
        {**state, "ax": state["ax"].astype(np.int64)},
    ]
    for bad in bad_states:
        with pytest.raises(ValidationError, match=r"^torch_asgd: "):
            BRIDGES["ASGD"]().load_state_dict(bad)


def test_lion_steps_by_the_sign_of_the_interpolated_moment():
    """From m = 0: c = 0.1 g, so p moves by -lr sign(g), and m becomes 0.01 g (hand-worked); then c = 0.9 m + 0.1 g."""
    lion = Lion(learning_rate=0.1)
    params = np.array([1.0, 1.0, 1.0])
    lion.update(params, np.array([2.0, -3.0, 0.0]))
    np.testing.assert_allclose(params, [0.9, 1.1, 1.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(lion.state_dict()["m"], [0.02, -0.03, 0.0], rtol=1e-15)
    lion.update(params, np.array([-0.1, 0.1, 1.0]))  # c = [0.018 - 0.01, -0.027 + 0.01, 0.1]: signs +, -, +
    np.testing.assert_allclose(params, [0.8, 1.2, 0.9], rtol=0, atol=1e-15)
