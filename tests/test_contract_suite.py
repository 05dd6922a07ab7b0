"""The contract suite tests itself.

A gallery of deliberately broken components, each a minimal variation of a
correct one defined here, must be caught by the check meant for it, with a
message naming the component, the rule and the numbers; and it must pass the
checks that have nothing to do with its fault, so that each check is specific.
The correct components (the official ones, the reference ones and this
module's own) must pass every check. Then the machinery around the checks:
``kind_of``, ``checks_for``, ``parametrize_with_checks`` (run by pytester),
the runner, ``npnet check`` and the pytest fixtures plugin.
"""

from __future__ import annotations

import ast
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Tuple, Union

import npnet_adam
import npnet_metrics
import npnet_modern_activations
import npnet_regression_losses
import npnet_regularizers
import npnet_rmsprop
import npnet_schedules
import npnet_sigmoid_tanh
import numpy as np
import pytest
from npnet_adam import Adam, AdamW
from npnet_relu_softmax import CategoricalCrossentropy, Identity, MeanSquaredError, ReLU, Softmax
from npnet_sgd_momentum import SGD

from npnet_core import NeuralNetwork, ValidationError, get_registry, hookimpl
from npnet_core.cli import main
from npnet_core.components import PluginFailure
from npnet_core.testing import (
    ComponentReport,
    ContractViolation,
    check_backward_matches_finite_differences,
    check_converges_on_ill_conditioned_quadratic,
    check_converges_on_quadratic,
    check_deterministic,
    check_dtype_preserved,
    check_finite_at_boundary_predictions,
    check_finite_at_extreme_inputs,
    check_get_config_rebuilds_equivalent,
    check_gradient_not_mutated,
    check_initializer_deterministic,
    check_initializer_fills_in_place,
    check_initializer_scale_bounded,
    check_inputs_not_mutated,
    check_installed,
    check_load_state_dict_refuses_bad_arrays,
    check_loss_decreases_on_small_network,
    check_metric_finite_on_edge_cases,
    check_metric_inputs_not_mutated,
    check_metric_labels_and_one_hot_agree,
    check_metric_perfect_prediction_best,
    check_metric_row_order_invariant,
    check_onnx_export,
    check_output_shapes,
    check_penalty_gradient_matches_finite_differences,
    check_perturb_backward_consistent,
    check_perturb_deterministic,
    check_perturb_preserves_expectation,
    check_registered_name_resolves,
    check_regularizer_inactive_at_inference,
    check_regularizer_inputs_not_mutated,
    check_rows_independent,
    check_schedule_config_round_trip,
    check_schedule_pure,
    check_schedule_rates_finite_positive,
    check_state_dict_round_trip,
    check_update_shape_and_dtype,
    check_zero_gradient_keeps_parameters,
    checks_for,
    expected_failures_of,
    kind_of,
    parametrize_with_checks,
    run_checks,
)
from npnet_core.testing._reference import GlorotUniform, GradientDescent, SoftmaxCrossEntropy, Tanh

pytest_plugins = ["pytester"]

# ---------------------------------------------------------------------------
# correct components, the bases of the gallery


class GoodTanh:
    """tanh: a correct elementwise activation."""

    name = "good_tanh"

    def forward(self, z):
        return np.tanh(z)

    def backward(self, z, a, grad_a):
        return grad_a * (1 - a * a)


class GoodSoftmax:
    """Row-wise softmax with the row maximum subtracted: a correct coupled activation."""

    name = "good_softmax"

    def forward(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def backward(self, z, a, grad_a):
        return a * (grad_a - np.sum(grad_a * a, axis=1, keepdims=True))


class GoodCrossEntropy:
    """-sum(y log p) per row with p clipped at the dtype's tiny: a correct loss."""

    name = "good_crossentropy"

    @staticmethod
    def _clipped(y_pred):
        return np.maximum(y_pred, np.finfo(y_pred.dtype).tiny)

    def forward(self, y_pred, y_true):
        return -np.sum(y_true * np.log(self._clipped(y_pred)), axis=1)

    def backward(self, y_pred, y_true):
        return -y_true / self._clipped(y_pred)


class GoodMomentum:
    """SGD with classical momentum, a new array per step: a correct optimizer."""

    name = "good_momentum"

    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self._velocity = None

    def _step(self, params, gradient):
        if self._velocity is None:
            self._velocity = np.zeros_like(params)
        self._velocity = self.momentum * self._velocity - self.learning_rate * gradient
        return params + self._velocity

    def update(self, params, gradient):
        return self._step(params, gradient)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "momentum": self.momentum}

    def state_dict(self):
        return {} if self._velocity is None else {"velocity": self._velocity.copy()}

    def load_state_dict(self, state):
        velocity = state.get("velocity")
        if velocity is not None:
            velocity = np.array(velocity)
            if velocity.ndim != 1 or velocity.dtype.kind != "f" or not np.isfinite(velocity).all():
                raise ValidationError(
                    f"good_momentum: state['velocity'] must be a 1-D floating array of finite values "
                    f"(got shape {velocity.shape} and dtype {velocity.dtype})"
                )
        self._velocity = velocity


class GoodGlorotUniform:
    """W ~ U(-r, r) with r = sqrt(6 / (fan_in + fan_out)), b = 0, written into the views: a correct initializer."""

    name = "good_glorot_uniform"

    @staticmethod
    def _limit(weights):
        return np.sqrt(6 / sum(weights.shape))

    def initialize(self, weights, biases, rng):
        weights[...] = rng.uniform(-self._limit(weights), self._limit(weights), size=weights.shape)
        biases[...] = 0


class GoodWarmupDecay:
    """Linear warmup to the base over warmup_steps, then linear decay to 0 at total_steps, then 0: a correct schedule.

    rate = base * min((step + 1) / warmup_steps, max((total_steps - step) / (total_steps - warmup_steps), 0))
    """

    name = "good_warmup_decay"

    def __init__(self, warmup_steps=10, total_steps=1000):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps

    def _warmup(self, step):
        return (step + 1) / self.warmup_steps

    def _decay(self, step):
        return (self.total_steps - step) / (self.total_steps - self.warmup_steps)

    def rate(self, step, base):
        return base * min(self._warmup(step), max(self._decay(step), 0.0))

    def get_config(self):
        return {"warmup_steps": self.warmup_steps, "total_steps": self.total_steps}


class GoodHalvingOnPlateau:
    """Halves the rate after `patience` epochs without a lower loss, keeping its state: a correct reacting schedule."""

    name = "good_halving_on_plateau"

    def __init__(self, patience=2):
        self.patience = patience
        self._factor, self._best, self._waited = 1.0, math.inf, 0

    def rate(self, step, base):
        return base * self._factor

    def get_config(self):
        return {"patience": self.patience}

    def state_dict(self):
        return {"factor": self._factor, "best": self._best, "waited": self._waited}

    def load_state_dict(self, state):
        self._factor, self._best, self._waited = state["factor"], state["best"], state["waited"]

    @hookimpl
    def npnet_on_epoch_end(self, network, epoch, logs):
        if logs["loss"] < self._best:
            self._best, self._waited = logs["loss"], 0
            return
        self._waited += 1
        if self._waited >= self.patience:
            self._factor, self._waited = self._factor / 2, 0


class GoodL2:
    """l2 * sum(W^2), its gradient 2 * l2 * W added into grad; no perturbation: a correct penalty."""

    name = "good_l2"

    def __init__(self, l2=0.01):
        self.l2 = l2

    def penalty(self, weights, grad):
        grad += 2 * self.l2 * weights
        return float(self.l2 * np.sum(weights * weights))

    def perturb(self, a, layer, rng):
        return a, None


class GoodDropout:
    """Inverted dropout: keep each output with probability 1 - rate and divide it by that; no penalty: correct."""

    name = "good_dropout"

    def __init__(self, rate=0.5):
        self.rate = rate

    def penalty(self, weights, grad):
        return 0.0

    def _mask(self, a, rng):
        return (rng.random(a.shape) >= self.rate).astype(a.dtype)

    def perturb(self, a, layer, rng):
        scale = self._mask(a, rng) / (1 - self.rate)
        return a * scale, scale


class GoodGaussianNoise:
    """Adds N(0, stddev^2) noise drawn in a's dtype; the gradient passes unchanged: a correct additive perturbation."""

    name = "good_gaussian_noise"

    def __init__(self, stddev=0.1):
        self.stddev = stddev

    def penalty(self, weights, grad):
        return 0.0

    def perturb(self, a, layer, rng):
        return a + self.stddev * rng.standard_normal(a.shape, dtype=a.dtype), None


def class_labels(y_true):
    """Integer labels from labels or one-hot rows."""
    y_true = np.asarray(y_true)
    return y_true if y_true.ndim == 1 else np.argmax(y_true, axis=1)


class GoodAccuracy:
    """The fraction of rows whose largest probability is at the true class: a correct metric."""

    name = "good_accuracy"
    greater_is_better = True

    def compute(self, y_pred, y_true):
        return float(np.mean(np.argmax(y_pred, axis=1) == class_labels(y_true)))


class GoodBalancedAccuracy:
    """The mean over the classes present in y_true of the fraction of their rows predicted right: a correct metric."""

    name = "good_balanced_accuracy"
    greater_is_better = True

    @staticmethod
    def _per_class(y_pred, y_true):
        labels, k = class_labels(y_true), y_pred.shape[1]
        hits = np.bincount(labels[np.argmax(y_pred, axis=1) == labels], minlength=k)
        return hits, np.bincount(labels, minlength=k)

    def compute(self, y_pred, y_true):
        hits, counts = self._per_class(y_pred, y_true)
        present = counts > 0
        return float(np.mean(hits[present] / counts[present]))


class GoodLogLoss:
    """The mean of -log p[true class], p clipped at 1e-15: a correct metric where lower is better."""

    name = "good_log_loss"
    greater_is_better = False

    def compute(self, y_pred, y_true):
        labels = class_labels(y_true)
        p = np.clip(y_pred[np.arange(len(labels)), labels], 1e-15, 1.0)
        return float(-np.mean(np.log(p)))


# ---------------------------------------------------------------------------
# the gallery: each a one-method variation of a correct component


class WrongSignTanh(GoodTanh):
    name = "wrong_sign_tanh"

    def backward(self, z, a, grad_a):
        return -grad_a * (1 - a * a)


class DoubledGradientTanh(GoodTanh):
    name = "doubled_gradient_tanh"

    def backward(self, z, a, grad_a):
        return 2 * grad_a * (1 - a * a)


class InPlaceForwardTanh(GoodTanh):
    """Writes tanh(z) over z."""

    name = "in_place_forward_tanh"

    def forward(self, z):
        return np.tanh(z, out=z)


class InPlaceBackwardTanh(GoodTanh):
    """Multiplies grad_a in place and returns it."""

    name = "in_place_backward_tanh"

    def backward(self, z, a, grad_a):
        grad_a *= 1 - a * a
        return grad_a


class UpcastingTanh(GoodTanh):
    name = "upcasting_tanh"

    def forward(self, z):
        return np.tanh(z.astype(np.float64))


class BatchCentredTanh(GoodTanh):
    """tanh(z - mean of z over the batch), with its exact gradient: rows are coupled."""

    name = "batch_centred_tanh"

    def forward(self, z):
        return np.tanh(z - z.mean(axis=0, keepdims=True))

    def backward(self, z, a, grad_a):
        g = grad_a * (1 - a * a)
        return g - g.mean(axis=0, keepdims=True)


class NoisyTanh(GoodTanh):
    """tanh times (1 + scale * noise): at scale 1e-15, noise at the level of rounding."""

    name = "noisy_tanh"

    def __init__(self, scale):
        self.scale = scale
        self._rng = np.random.default_rng(0)  # reproducible, but a new draw each call

    def forward(self, z):
        a = np.tanh(z)
        return a * (1 + self.scale * self._rng.standard_normal(a.shape)).astype(a.dtype)


class ColumnFlatteningTanh(GoodTanh):
    """Returns a single column as a 1-D array: the (n, 1) -> (n,) slip."""

    name = "column_flattening_tanh"

    def forward(self, z):
        a = np.tanh(z)
        return a[:, 0] if a.shape[1] == 1 else a


class SigmoidExportedTanh(GoodTanh):
    """Exports to ONNX with the wrong operator: Sigmoid for its tanh."""

    name = "sigmoid_exported_tanh"

    def to_onnx(self, graph, x):
        return graph.node("Sigmoid", [x])


class OverflowingSoftmax(GoodSoftmax):
    """exp(z) without subtracting the row maximum."""

    name = "overflowing_softmax"

    def forward(self, z):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


class ColumnLoss(GoodCrossEntropy):
    """Returns the losses as a column, shape (n, 1)."""

    name = "column_loss"

    def forward(self, y_pred, y_true):
        return -np.sum(y_true * np.log(self._clipped(y_pred)), axis=1, keepdims=True)


class UnclippedCrossEntropy(GoodCrossEntropy):
    name = "unclipped_crossentropy"

    def forward(self, y_pred, y_true):
        return -np.sum(y_true * np.log(y_pred), axis=1)

    def backward(self, y_pred, y_true):
        return -y_true / y_pred


class BatchMeanGradientLoss(GoodCrossEntropy):
    """Divides the gradient by the number of samples, which the network does itself."""

    name = "batch_mean_gradient_loss"

    def backward(self, y_pred, y_true):
        return super().backward(y_pred, y_true) / y_pred.shape[0]


class AscendingOptimizer(GoodMomentum):
    name = "ascending_optimizer"

    def update(self, params, gradient):
        return self._step(params, -gradient)


class ForgetfulOptimizer(GoodMomentum):
    """Keeps its velocity but does not report it."""

    name = "forgetful_optimizer"

    def state_dict(self):
        return {}


class GradientMutatingOptimizer(GoodMomentum):
    """Scales the gradient in place to save an allocation."""

    name = "gradient_mutating_optimizer"

    def update(self, params, gradient):
        gradient *= self.learning_rate
        if self._velocity is None:
            self._velocity = np.zeros_like(params)
        self._velocity = self.momentum * self._velocity - gradient
        return params + self._velocity


class UpcastingOptimizer(GoodMomentum):
    name = "upcasting_optimizer"

    def update(self, params, gradient):
        return self._step(params, gradient).astype(np.float64)


class WeightDecayOptimizer(GoodMomentum):
    """Adds weight_decay * params to the gradient: moves parameters on a zero gradient."""

    name = "weight_decay_optimizer"

    def __init__(self, learning_rate=0.01, momentum=0.9, weight_decay=1e-3):
        super().__init__(learning_rate, momentum)
        self.weight_decay = weight_decay

    def update(self, params, gradient):
        return self._step(params, gradient + self.weight_decay * params)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


class ForgetfulConfigOptimizer(GoodMomentum):
    """get_config omits the momentum."""

    name = "forgetful_config_optimizer"

    def get_config(self):
        return {"learning_rate": self.learning_rate}


class TrustingOptimizer(GoodMomentum):
    """Keeps whatever state it is given: a moment of shape (10, 1) would broadcast the next update."""

    name = "trusting_optimizer"

    def load_state_dict(self, state):
        velocity = state.get("velocity")
        self._velocity = None if velocity is None else np.array(velocity)


class FinitenessBlindOptimizer(GoodMomentum):
    """Checks the velocity's shape and dtype, not its values: a NaN from a diverged run is kept."""

    name = "finiteness_blind_optimizer"

    def load_state_dict(self, state):
        velocity = state.get("velocity")
        if velocity is not None and (np.ndim(velocity) != 1 or np.asarray(velocity).dtype.kind != "f"):
            raise ValidationError("finiteness_blind_optimizer: state['velocity'] must be a 1-D floating array")
        self._velocity = None if velocity is None else np.array(velocity)


class UntypedRefusalOptimizer(GoodMomentum):
    """Refuses a bad state with a bare ValueError, not npnet's ValidationError, which says it is about the input."""

    name = "untyped_refusal_optimizer"

    def load_state_dict(self, state):
        velocity = np.asarray(state["velocity"])
        if velocity.ndim != 1 or velocity.dtype.kind != "f" or not np.isfinite(velocity).all():
            raise ValueError("bad velocity")
        self._velocity = velocity.copy()


class HalfLoadingOptimizer(GoodMomentum):
    """Keeps the new velocity, then checks it: refused, but the state has changed."""

    name = "half_loading_optimizer"

    def load_state_dict(self, state):
        self._velocity = np.array(state["velocity"])
        GoodMomentum.load_state_dict(self, state)


class StallingOptimizer(GoodMomentum):
    """Reads its learning rate in the wrong unit: says 0.01, steps with 1e-7, far too small to get anywhere."""

    name = "stalling_optimizer"

    def update(self, params, gradient):
        return self._step(params, 1e-5 * gradient)


class IdleAtSmallRateOptimizer(GoodMomentum):
    """Takes a learning rate below 1e-3 for "frozen" and leaves the parameters alone: at 1e-4 it does nothing."""

    name = "idle_at_small_rate_optimizer"

    def __init__(self, learning_rate=1e-4, momentum=0.9):
        super().__init__(learning_rate, momentum)

    def update(self, params, gradient):
        return params if self.learning_rate < 1e-3 else self._step(params, gradient)


class GoodDecoupledDecay(GoodMomentum):
    """Momentum SGD with decoupled weight decay, p *= 1 - lr * weight_decay before each step: correct, and declared."""

    name = "good_decoupled_decay"
    decays_parameters = True

    def __init__(self, learning_rate=0.01, momentum=0.9, weight_decay=0.1):
        super().__init__(learning_rate, momentum)
        self.weight_decay = weight_decay

    def _decay(self, params):
        return params * (1 - self.learning_rate * self.weight_decay)

    def update(self, params, gradient):
        return self._step(self._decay(params), gradient)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


class GrowingDecayOptimizer(GoodDecoupledDecay):
    """Declares decays_parameters, but its "decay" has the wrong sign: p *= 1 + lr * weight_decay."""

    name = "growing_decay_optimizer"

    def _decay(self, params):
        return params * (1 + self.learning_rate * self.weight_decay)


class OvershootingDecayOptimizer(GoodDecoupledDecay):
    """Declares decays_parameters, and decays by a fixed lr * weight_decay * sign(p), as an L1 decay would, without
    stopping at 0: a parameter smaller than that step is carried past zero."""

    name = "overshooting_decay_optimizer"

    def _decay(self, params):
        return params - self.learning_rate * self.weight_decay * np.sign(params)


class WordyDecayOptimizer(GoodDecoupledDecay):
    """Declares its decay with the string "yes", not a bool."""

    name = "wordy_decay_optimizer"
    decays_parameters = "yes"


class RebindingGlorotUniform(GoodGlorotUniform):
    """Binds a new array to the name weights: the view, and so the network, never sees it."""

    name = "rebinding_glorot_uniform"

    def initialize(self, weights, biases, rng):
        weights = rng.uniform(-self._limit(weights), self._limit(weights), size=weights.shape)
        biases[...] = 0


class BiasSkippingGlorotUniform(GoodGlorotUniform):
    """Fills the weights and leaves the biases as they were."""

    name = "bias_skipping_glorot_uniform"

    def initialize(self, weights, biases, rng):
        weights[...] = rng.uniform(-self._limit(weights), self._limit(weights), size=weights.shape)


class GlobalStateGlorotUniform(GoodGlorotUniform):
    """Draws from np.random's global state instead of the generator it is given."""

    name = "global_state_glorot_uniform"

    def initialize(self, weights, biases, rng):
        weights[...] = np.random.uniform(-self._limit(weights), self._limit(weights), size=weights.shape)
        biases[...] = 0


class TenfoldNormal(GoodGlorotUniform):
    """W ~ N(0, 1) times 10, whatever the layer's size: a standard deviation of 10."""

    name = "tenfold_normal"

    def initialize(self, weights, biases, rng):
        weights[...] = 10 * rng.standard_normal(weights.shape)
        biases[...] = 0


class CallCountingWarmupDecay(GoodWarmupDecay):
    """Counts its own calls as the step, ignoring the step it is given."""

    name = "call_counting_warmup_decay"

    def rate(self, step, base):
        self.calls = getattr(self, "calls", 0) + 1
        return super().rate(self.calls - 1, base)


class GlobalJitterWarmupDecay(GoodWarmupDecay):
    """Jitters each rate by 0.1 %, drawn from np.random's global state."""

    name = "global_jitter_warmup_decay"

    def rate(self, step, base):
        return super().rate(step, base) * (1 + 1e-3 * np.random.standard_normal())


class ZeroStartWarmupDecay(GoodWarmupDecay):
    """Warms up from step / warmup_steps, as transformers' linear schedule does: a rate of 0 at step 0."""

    name = "zero_start_warmup_decay"

    def _warmup(self, step):
        return step / self.warmup_steps


class UnclampedWarmupDecay(GoodWarmupDecay):
    """Decays without stopping at 0: negative rates after total_steps."""

    name = "unclamped_warmup_decay"

    def rate(self, step, base):
        return base * min(self._warmup(step), self._decay(step))


class ArrayRateWarmupDecay(GoodWarmupDecay):
    """Clamps with np.clip on a one-element list: returns an array of shape (1,)."""

    name = "array_rate_warmup_decay"

    def rate(self, step, base):
        return base * np.minimum(self._warmup(step), np.clip([self._decay(step)], 0.0, None))


class ForgetfulConfigWarmupDecay(GoodWarmupDecay):
    """get_config omits total_steps."""

    name = "forgetful_config_warmup_decay"

    def get_config(self):
        return {"warmup_steps": self.warmup_steps}


class NumpyConfigWarmupDecay(GoodWarmupDecay):
    """get_config returns NumPy integers, which JSON cannot hold."""

    name = "numpy_config_warmup_decay"

    def get_config(self):
        return {"warmup_steps": np.int64(self.warmup_steps), "total_steps": np.int64(self.total_steps)}


class HalfGradientL2(GoodL2):
    """Adds l2 * W to grad, the gradient of half the penalty it returns (PyTorch's weight_decay convention)."""

    name = "half_gradient_l2"

    def penalty(self, weights, grad):
        grad += self.l2 * weights
        return float(self.l2 * np.sum(weights * weights))


class RebindingL2(GoodL2):
    """Binds a new array to the name grad: the network's gradient never sees it."""

    name = "rebinding_l2"

    def penalty(self, weights, grad):
        grad = grad + 2 * self.l2 * weights
        return float(self.l2 * np.sum(weights * weights))


class OverwritingL2(GoodL2):
    """Writes the penalty's gradient over grad, losing the loss's gradient."""

    name = "overwriting_l2"

    def penalty(self, weights, grad):
        grad[...] = 2 * self.l2 * weights
        return float(self.l2 * np.sum(weights * weights))


class InPlaceDropout(GoodDropout):
    """Multiplies a by the scale in place and returns it."""

    name = "in_place_dropout"

    def perturb(self, a, layer, rng):
        scale = self._mask(a, rng) / (1 - self.rate)
        a *= scale
        return a, scale


class UpcastingGaussianNoise(GoodGaussianNoise):
    """Draws the noise in float64, which makes a float32 output float64."""

    name = "upcasting_gaussian_noise"

    def perturb(self, a, layer, rng):
        return a + self.stddev * rng.standard_normal(a.shape), None


class MaskForgettingDropout(GoodDropout):
    """Returns the bare mask as the scale, not the mask divided by the keep probability that out was made with."""

    name = "mask_forgetting_dropout"

    def perturb(self, a, layer, rng):
        mask = self._mask(a, rng)
        return a * mask / (1 - self.rate), mask


class ScalelessGaussianDropout(GoodGaussianNoise):
    """Multiplies by 1 + noise (Gaussian dropout) but returns no scale, as if the noise were added."""

    name = "scaleless_gaussian_dropout"

    def perturb(self, a, layer, rng):
        return a * (1 + self.stddev * rng.standard_normal(a.shape, dtype=a.dtype)), None


class UninvertedDropout(GoodDropout):
    """Drops outputs without dividing the kept ones by the keep probability: the mean shrinks to (1 - rate) a."""

    name = "uninverted_dropout"

    def perturb(self, a, layer, rng):
        mask = self._mask(a, rng)
        return a * mask, mask


class GlobalStateDropout(GoodDropout):
    """Draws the mask from np.random's global state instead of the generator it is given."""

    name = "global_state_dropout"

    def _mask(self, a, rng):
        return (np.random.random(a.shape) >= self.rate).astype(a.dtype)


class NumpyFloatAccuracy(GoodAccuracy):
    """Returns np.mean's NumPy float."""

    name = "numpy_float_accuracy"

    def compute(self, y_pred, y_true):
        return np.mean(np.argmax(y_pred, axis=1) == class_labels(y_true))


class UnguardedBalancedAccuracy(GoodBalancedAccuracy):
    """Averages over every class, so that a class absent from y_true gives 0 / 0."""

    name = "unguarded_balanced_accuracy"

    def compute(self, y_pred, y_true):
        hits, counts = self._per_class(y_pred, y_true)
        return float(np.mean(hits / counts))


class ColumnLabelsAccuracy(GoodAccuracy):
    """Makes y_true 2-D by reshaping it to (n, -1): labels become one column, whose argmax is always 0."""

    name = "column_labels_accuracy"

    def compute(self, y_pred, y_true):
        y_true = np.asarray(y_true)
        return float(np.mean(np.argmax(y_pred, axis=1) == np.argmax(y_true.reshape(len(y_true), -1), axis=1)))


class SmoothedAccuracy(GoodAccuracy):
    """An exponential moving average of each row's correctness, as a progress bar shows: later rows weigh more."""

    name = "smoothed_accuracy"

    def compute(self, y_pred, y_true):
        smoothed = 0.0
        for correct in np.argmax(y_pred, axis=1) == class_labels(y_true):
            smoothed = 0.9 * smoothed + 0.1 * float(correct)
        return smoothed


class EpsilonAddingLogLoss(GoodLogLoss):
    """Adds 1e-15 to y_pred in place to keep the logarithm away from 0."""

    name = "epsilon_adding_log_loss"

    def compute(self, y_pred, y_true):
        y_pred += 1e-15
        labels = class_labels(y_true)
        return float(-np.mean(np.log(y_pred[np.arange(len(labels)), labels])))


class WrongDirectionLogLoss(GoodLogLoss):
    """Declares that a higher log loss is better."""

    name = "wrong_direction_log_loss"
    greater_is_better = True


def number(name: str) -> str:
    """A regex capturing as ``name`` a number printed bare or as ``np.float64(...)`` (NumPy 2), nan and inf too."""
    return rf"(?:np\.float\d+\()?(?P<{name}>[-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|nan|inf))\)?"


def numbers(name: str) -> str:
    """A regex capturing as ``name`` a list of numbers printed as ``[1.0, -2.5]``."""
    return rf"(?P<{name}>\[[^\]]*\])"


class Message(NamedTuple):
    """A ContractViolation message: its words as a regex, and the value of each number it captures by name."""

    pattern: str
    values: Dict[str, Any]


def message(pattern: str, **values: Any) -> Message:
    """Numbers, lists and dicts of them are compared within rel=1e-3 (messages print at least 4 digits)."""
    near = (int, float, list, dict)
    return Message(
        pattern, {k: pytest.approx(v, rel=1e-3, nan_ok=True) if isinstance(v, near) else v for k, v in values.items()}
    )


def printed(text: str) -> Any:
    """``"0.5"``, ``"nan"``, ``"[1.0, 2.0]"`` or ``"{'learning_rate': 0.01}"`` as the value it shows."""
    try:
        return float(text)
    except ValueError:
        return ast.literal_eval(text)


@dataclass
class Case:
    """A broken component, the checks that catch it (with the message), and known side failures."""

    make: Callable[[], Any]
    caught_by: Dict[Callable[..., None], Union[str, Message]]
    #: checks it also fails though they are not about its fault: {check: why}
    also_fails: Dict[Callable[..., None], str] = field(default_factory=dict)
    #: the modules without which its checks have nothing to check (they pass as not applicable)
    needs: Tuple[str, ...] = ()


GALLERY: Dict[str, Case] = {
    "wrong_sign_tanh": Case(
        WrongSignTanh,
        {
            check_backward_matches_finite_differences: message(
                r"^wrong_sign_tanh fails check_backward_matches_finite_differences: "
                rf"backward on shape \(1, 1\) differs at \(0, 0\): expected {number('expected')}, "
                rf"got {number('got')} \(tolerance rtol={number('rtol')}, atol={number('atol')}; "
                r"1 of 1 entries outside it\)",
                expected=-0.1255958,
                got=0.1255958,
                rtol=1e-5,
                atol=1e-7,
            )
        },
    ),
    "doubled_gradient_tanh": Case(
        DoubledGradientTanh,
        {
            check_backward_matches_finite_differences: message(
                r"^doubled_gradient_tanh fails check_backward_matches_finite_differences: "
                rf"backward on shape \(1, 1\) differs at \(0, 0\): expected {number('expected')}, "
                rf"got {number('got')}",
                expected=-0.1255958,
                got=-0.2511916,
            )
        },
    ),
    "in_place_forward_tanh": Case(
        InPlaceForwardTanh,
        {
            check_inputs_not_mutated: r"^in_place_forward_tanh fails check_inputs_not_mutated: "
            r"the argument z was modified in place \(12 entries changed\)$"
        },
    ),
    "in_place_backward_tanh": Case(
        InPlaceBackwardTanh,
        {
            check_inputs_not_mutated: r"^in_place_backward_tanh fails check_inputs_not_mutated: "
            r"the argument grad_a was modified in place \(12 entries changed\)$"
        },
    ),
    "upcasting_tanh": Case(
        UpcastingTanh,
        {
            check_dtype_preserved: r"^upcasting_tanh fails check_dtype_preserved: "
            r"forward on float32 inputs returned float64$"
        },
    ),
    "sigmoid_exported_tanh": Case(
        SigmoidExportedTanh,
        {
            check_onnx_export: message(
                r"^sigmoid_exported_tanh fails check_onnx_export: ONNX Runtime's output on float32 inputs of shape "
                rf"\(1, 1\) differs at \(0, 0\): expected {number('expected')}, got {number('got')} \(tolerance "
                rf"rtol={number('rtol')}, atol={number('atol')}; 1 of 1 entries outside it\); compared with forward; "
                rf"the input there: {number('z')}$",
                expected=math.tanh(0.22573022544384003),
                got=1 / (1 + math.exp(-0.22573022544384003)),
                rtol=1e-5,
                atol=1e-5,
                z=0.22573022544384003,
            )
        },
        needs=("onnx", "onnxruntime"),
    ),
    "overflowing_softmax": Case(
        OverflowingSoftmax,
        {
            check_finite_at_extreme_inputs: message(
                r"^overflowing_softmax fails check_finite_at_extreme_inputs: "
                rf"forward returned {number('returned')} at \(0, 5\) for float32 inputs of magnitude up to "
                rf"{number('magnitude')} \(input there: {numbers('row')}\)$",
                returned=float("nan"),
                magnitude=1e4,
                row=[-1e4, -100.0, -1.0, 1e-3, 1.0, 100.0, 1e4],
            )
        },
    ),
    "batch_centred_tanh": Case(
        BatchCentredTanh,
        {
            check_rows_independent: message(
                r"^batch_centred_tanh fails check_rows_independent: "
                rf"forward of row 0 computed alone differs at \(0, 0\): expected {number('expected')}, "
                rf"got {number('got')}.*3 of 3 entries outside it\); compared with the same row computed in a batch of 5$",
                expected=0.69260943,
                got=0.0,
            )
        },
    ),
    "noisy_tanh_at_rounding_level": Case(
        lambda: NoisyTanh(1e-15),
        {
            check_deterministic: r"^noisy_tanh fails check_deterministic: the second call of forward on the same inputs "
            r"differs at \(\d+, \d+\): expected .*, got .* \(tolerance rtol=0, atol=0; \d+ of 12 entries outside it\); "
            r"compared with the first call$"
        },
    ),
    "noisy_tanh": Case(
        lambda: NoisyTanh(1e-3),
        {
            check_deterministic: r"^noisy_tanh fails check_deterministic: the second call of forward on the same inputs "
            r"differs at \(\d+, \d+\): expected .*, got .* \(tolerance rtol=0, atol=0; \d+ of 12 entries outside it\); "
            r"compared with the first call$"
        },
        also_fails={
            check_rows_independent: "noise of 1e-3 is far above its tolerance of 1e-12",
            check_backward_matches_finite_differences: "noise of 1e-3 swamps a difference quotient with eps=1e-6",
        },
    ),
    "column_flattening_tanh": Case(
        ColumnFlatteningTanh,
        {
            check_output_shapes: r"^column_flattening_tanh fails check_output_shapes: "
            r"forward on inputs of shape \(1, 1\) returned shape \(1,\), expected \(1, 1\)$"
        },
        also_fails={check_backward_matches_finite_differences: "it runs on a single column too, shape (4, 1)"},
    ),
    "column_loss": Case(
        ColumnLoss,
        {
            check_output_shapes: r"^column_loss fails check_output_shapes: "
            r"forward on inputs of shape \(1, 1\) returned shape \(1, 1\), expected \(1,\)$"
        },
    ),
    "unclipped_crossentropy": Case(
        UnclippedCrossEntropy,
        {
            check_finite_at_boundary_predictions: message(
                r"^unclipped_crossentropy fails check_finite_at_boundary_predictions: "
                rf"forward returned {number('returned')} at \(0,\) for float32 predictions of exactly 0 and 1 "
                rf"\(input there: {numbers('row')}\)$",
                returned=float("nan"),
                row=[1.0, 0.0, 0.0],
            )
        },
        also_fails={check_finite_at_extreme_inputs: "the log of the negative 'probabilities' it is given is nan"},
    ),
    "batch_mean_gradient_loss": Case(
        BatchMeanGradientLoss,
        {
            check_backward_matches_finite_differences: message(
                r"^batch_mean_gradient_loss fails check_backward_matches_finite_differences: "
                rf"backward on shape \(4, 1\) differs at \(0, 0\): expected {number('expected')}, "
                rf"got {number('got')} .*4 of 4 entries outside it",
                expected=-1.0,
                got=-0.25,
            ),
            check_rows_independent: message(
                r"^batch_mean_gradient_loss fails check_rows_independent: "
                rf"backward of row 0 computed alone differs at \(0, 0\): expected {number('expected')}, "
                rf"got {number('got')}",
                expected=-0.71892893,
                got=-3.59464469,
            ),
        },
    ),
    "ascending_optimizer": Case(
        # learning_rate 0.01: the quadratics run at x* + 0.2 u with Hessian A / 0.2, so f starts at 0.2 times
        # its unscaled 3.059 (condition 10) and 1.699 (condition 1000)
        AscendingOptimizer,
        {
            check_converges_on_quadratic: message(
                r"^ascending_optimizer fails check_converges_on_quadratic: after 5000 updates "
                rf"on a convex quadratic of condition number 10 in coordinates scaled by learning_rate / "
                rf"{number('reference')} = {number('rate')} / (?P=reference) = {number('scale')} "
                rf"\(start x\* \+ (?P=scale) u, Hessian A / (?P=scale)\), f fell from {number('start')} to \S+; "
                rf"expected at most {number('reduction')} x (?P=start) = {number('bound')}",
                reference=0.05,
                rate=0.01,
                scale=0.2,
                start=0.2 * 3.059,
                reduction=0.01,
                bound=0.01 * 0.2 * 3.059,
            ),
            check_converges_on_ill_conditioned_quadratic: message(
                r"^ascending_optimizer fails check_converges_on_ill_conditioned_quadratic: after 5000 updates "
                rf"on a convex quadratic of condition number 1000 in coordinates scaled by .*, f fell from "
                rf"{number('start')} to \S+; expected at most {number('reduction')} x (?P=start) = {number('bound')}",
                start=0.2 * 1.699,
                reduction=0.02,
                bound=0.02 * 0.2 * 1.699,
            ),
            check_loss_decreases_on_small_network: message(
                r"^ascending_optimizer fails check_loss_decreases_on_small_network: "
                rf"30 epochs on a \[4, 8, 3\] tanh/softmax network took the loss from {number('start')} to "
                rf"{number('end')}; expected it to fall by at least {number('fraction')} of it, to {number('bound')} "
                r"or less$",
                start=1.434,
                end=pytest.approx(370, rel=0.01),
                fraction=0.25,
                bound=0.75 * 1.434,
            ),
        },
    ),
    "forgetful_optimizer": Case(
        ForgetfulOptimizer,
        {
            check_state_dict_round_trip: r"^forgetful_optimizer fails check_state_dict_round_trip: "
            r"the parameters 3 updates after load_state_dict differs at \(\d+,\): expected .*, got .* "
            r"\(tolerance rtol=0, atol=0; 10 of 10 entries outside it\); state_dict\(\) must hold everything"
        },
    ),
    "gradient_mutating_optimizer": Case(
        GradientMutatingOptimizer,
        {
            check_gradient_not_mutated: r"^gradient_mutating_optimizer fails check_gradient_not_mutated: "
            r"update 1 modified the gradient in place \(10 entries changed\)$"
        },
    ),
    "upcasting_optimizer": Case(
        UpcastingOptimizer,
        {
            check_update_shape_and_dtype: r"^upcasting_optimizer fails check_update_shape_and_dtype: "
            r"update 1 on float32 parameters of shape \(10,\) returned shape \(10,\) and dtype float64$"
        },
    ),
    "weight_decay_optimizer": Case(
        WeightDecayOptimizer,
        {
            # the parameter at 0 stays there: 9 of the 10 move
            check_zero_gradient_keeps_parameters: r"^weight_decay_optimizer fails check_zero_gradient_keeps_parameters: "
            r"the parameters after 3 updates with a zero gradient differs at \(\d+,\): expected \S+, got \S+ "
            r"\(tolerance rtol=0, atol=0; 9 of 10 entries outside it\); an optimizer whose updates shrink the "
            r"parameters toward zero by design \(decoupled weight decay\) declares decays_parameters = True$"
        },
    ),
    "growing_decay_optimizer": Case(
        GrowingDecayOptimizer,
        {
            # 1e-12 * (1 + 0.01 * 0.1); every parameter but the one at 0 grows
            check_zero_gradient_keeps_parameters: message(
                r"^growing_decay_optimizer fails check_zero_gradient_keeps_parameters: it declares decays_parameters "
                rf"= True, but update 1 with a zero gradient took parameter 1 from {number('before')} to "
                rf"{number('after')} \(9 of 10 parameters grew or changed sign\); a decay may only shrink each "
                r"parameter toward zero, keeping its sign, and leave 0 at 0$",
                before=1e-12,
                after=1e-12 * (1 + 0.01 * 0.1),
            )
        },
        also_fails={
            check_converges_on_ill_conditioned_quadratic: "growing by 0.1 x the rate outweighs the flattest curvature, "
            "1e-3 / 0.2: the quadratic with the 'decay' is not convex along it"
        },
    ),
    "overshooting_decay_optimizer": Case(
        OvershootingDecayOptimizer,
        {
            # 1e-12 - 0.01 * 0.1: the two parameters of magnitude 1e-12 cross zero, the others shrink
            check_zero_gradient_keeps_parameters: message(
                r"^overshooting_decay_optimizer fails check_zero_gradient_keeps_parameters: it declares "
                rf"decays_parameters = True, but update 1 with a zero gradient took parameter 1 from "
                rf"{number('before')} to {number('after')} \(2 of 10 parameters grew or changed sign\)",
                before=1e-12,
                after=1e-12 - 0.01 * 0.1,
            )
        },
    ),
    "wordy_decay_optimizer": Case(
        WordyDecayOptimizer,
        {
            check_zero_gradient_keeps_parameters: r"^wordy_decay_optimizer fails check_zero_gradient_keeps_parameters: "
            r"decays_parameters is 'yes' of type str; expected True \(updates shrink the parameters toward zero "
            r"whatever the gradient\) or False$"
        },
    ),
    "forgetful_config_optimizer": Case(
        lambda: ForgetfulConfigOptimizer(momentum=0.5),
        {
            check_get_config_rebuilds_equivalent: message(
                r"^forgetful_config_optimizer fails "
                r"check_get_config_rebuilds_equivalent: the parameters after 5 updates by the rebuilt optimizer "
                r"differs at \(\d+,\): .*10 of 10 entries outside it\); rebuilt from get_config\(\) = "
                r"(?P<config>\{.*\})$",
                config={"learning_rate": 0.01},  # the momentum=0.5 it was made with is forgotten
            )
        },
    ),
    "trusting_optimizer": Case(
        TrustingOptimizer,
        {
            check_load_state_dict_refuses_bad_arrays: r"^trusting_optimizer fails "
            r"check_load_state_dict_refuses_bad_arrays: load_state_dict accepted a state whose 'velocity' has shape "
            r"\(10, 1\); it must refuse it with ValidationError before keeping any of it "
            r"\(optimizer_tools\.check_state checks a state so\)$"
        },
    ),
    "finiteness_blind_optimizer": Case(
        FinitenessBlindOptimizer,
        {
            check_load_state_dict_refuses_bad_arrays: r"^finiteness_blind_optimizer fails "
            r"check_load_state_dict_refuses_bad_arrays: load_state_dict accepted a state whose 'velocity' holds nan "
            r"at index 0; it must refuse it with ValidationError"
        },
    ),
    "untyped_refusal_optimizer": Case(
        UntypedRefusalOptimizer,
        {
            check_load_state_dict_refuses_bad_arrays: r"^untyped_refusal_optimizer fails "
            r"check_load_state_dict_refuses_bad_arrays: load_state_dict given a state whose 'velocity' has shape "
            r"\(10, 1\) raised ValueError: bad velocity; it must raise npnet_core\.errors\.ValidationError saying "
            r"what is wrong \(optimizer_tools\.check_state checks a state so\)$"
        },
    ),
    "half_loading_optimizer": Case(
        HalfLoadingOptimizer,
        {
            check_load_state_dict_refuses_bad_arrays: r"^half_loading_optimizer fails "
            r"check_load_state_dict_refuses_bad_arrays: load_state_dict refused a state whose 'velocity' has shape "
            r"\(10, 1\) but changed the state; check all of it first$"
        },
    ),
    "stalling_optimizer": Case(
        StallingOptimizer,
        {
            check_converges_on_quadratic: message(
                r"^stalling_optimizer fails check_converges_on_quadratic: after 5000 updates "
                rf"on a convex quadratic of condition number 10 in coordinates scaled by learning_rate / 0\.05 = "
                rf"0\.01 / 0\.05 = 0\.2 .*, f fell from {number('start')} to {number('end')}; "
                rf"expected at most {number('reduction')} x (?P=start) = {number('bound')} "
                r"\(an optimizer that ascends or stalls fails here\)$",
                start=0.2 * 3.059,
                end=pytest.approx(0.6, abs=0.02),
                reduction=0.01,
                bound=0.01 * 0.2 * 3.059,
            ),
            check_converges_on_ill_conditioned_quadratic: message(
                r"^stalling_optimizer fails "
                rf"check_converges_on_ill_conditioned_quadratic: .* f fell from {number('start')} to {number('end')}; ",
                start=0.2 * 1.699,
                end=pytest.approx(0.33, abs=0.01),
            ),
            check_loss_decreases_on_small_network: message(
                r"^stalling_optimizer fails check_loss_decreases_on_small_network: "
                rf"30 epochs .* took the loss from {number('start')} to {number('end')}; "
                rf"expected it to fall by at least {number('fraction')} of it, to {number('bound')} or less$",
                start=1.434,
                end=pytest.approx(1.433, abs=0.002),
                fraction=0.25,
                bound=0.75 * 1.434,
            ),
        },
    ),
    "idle_at_small_rate_optimizer": Case(
        # learning_rate 1e-4: the quadratics are scaled by 1e-4 / 0.05 = 0.002, and f starts at 0.002 times its
        # unscaled value; the network must lose 0.25 * 1e-4 / 0.01 = 0.0025 of its loss
        IdleAtSmallRateOptimizer,
        {
            check_converges_on_quadratic: message(
                r"^idle_at_small_rate_optimizer fails check_converges_on_quadratic: after 5000 updates on a convex "
                rf"quadratic of condition number 10 in coordinates scaled by learning_rate / 0\.05 = 0\.0001 / 0\.05 "
                rf"= {number('scale')} .*, f fell from {number('start')} to (?P=start); expected at most "
                rf"{number('reduction')} x (?P=start) = {number('bound')} ",
                scale=0.002,
                start=0.002 * 3.059,
                reduction=0.01,
                bound=0.01 * 0.002 * 3.059,
            ),
            check_converges_on_ill_conditioned_quadratic: message(
                r"^idle_at_small_rate_optimizer fails check_converges_on_ill_conditioned_quadratic: .* f fell from "
                rf"{number('start')} to (?P=start); expected at most {number('reduction')} x (?P=start) = "
                rf"{number('bound')} ",
                start=0.002 * 1.699,
                reduction=0.02,
                bound=0.02 * 0.002 * 1.699,
            ),
            check_loss_decreases_on_small_network: message(
                r"^idle_at_small_rate_optimizer fails check_loss_decreases_on_small_network: 30 epochs on a "
                rf"\[4, 8, 3\] tanh/softmax network took the loss from {number('start')} to {number('end')}; "
                rf"expected it to fall by at least {number('fraction')} of it \(0\.25 x learning_rate 0\.0001 / "
                rf"0\.01\), to {number('bound')} or less$",
                start=1.434,
                end=pytest.approx(1.434, abs=1e-3),
                fraction=0.0025,
                bound=(1 - 0.0025) * 1.434,
            ),
        },
    ),
    "rebinding_glorot_uniform": Case(
        RebindingGlorotUniform,
        {
            check_initializer_fills_in_place: r"^rebinding_glorot_uniform fails check_initializer_fills_in_place: "
            r"on a 1 x 1 float32 layer, 1 of 2 weights and biases are NaN or infinite afterwards: "
            r"fill the views in place \(weights\[\.\.\.\] = \.\.\.\), do not rebind them$"
        },
        also_fails={check_initializer_scale_bounded: "the weights it never writes stay NaN, of standard deviation NaN"},
    ),
    "bias_skipping_glorot_uniform": Case(
        BiasSkippingGlorotUniform,
        {
            check_initializer_fills_in_place: r"^bias_skipping_glorot_uniform fails check_initializer_fills_in_place: "
            r"on a 1 x 1 float32 layer, 1 of 2 weights and biases are NaN or infinite afterwards"
        },
    ),
    "global_state_glorot_uniform": Case(
        GlobalStateGlorotUniform,
        {
            check_initializer_deterministic: r"^global_state_glorot_uniform fails check_initializer_deterministic: "
            r"two generators in the same state gave different values; draw only from the rng given, "
            r"never from np\.random's global state$"
        },
    ),
    "tenfold_normal": Case(
        TenfoldNormal,
        {
            check_initializer_scale_bounded: message(
                r"^tenfold_normal fails check_initializer_scale_bounded: the weights of a 256 x 256 layer have "
                rf"standard deviation {number('std')}; expected at most {number('bound')} ",
                std=9.976,
                bound=1.0,
            )
        },
    ),
    "call_counting_warmup_decay": Case(
        CallCountingWarmupDecay,
        {
            # asked again, step 36 is its call 538, which it takes for step 537
            check_schedule_pure: message(
                r"^call_counting_warmup_decay fails check_schedule_pure: the rates of steps 0\.\.500 asked a second "
                rf"time differs at \({number('step')},\): expected {number('expected')}, got {number('got')} "
                r"\(tolerance rtol=0, atol=0; 500 of 501 entries outside it\); rate must be a function of the step "
                r"\(and of state changed only by epoch events\), not of earlier calls$",
                step=36,
                expected=0.1 * (1000 - 36) / 990,
                got=0.1 * (1000 - 537) / 990,
            )
        },
    ),
    "global_jitter_warmup_decay": Case(
        GlobalJitterWarmupDecay,
        {
            check_schedule_pure: r"^global_jitter_warmup_decay fails check_schedule_pure: two copies gave different "
            r"rates for steps 0\.\.500 after different np\.random\.seed calls; a rate must not draw from np\.random's "
            r"global state$"
        },
        also_fails={check_schedule_config_round_trip: "the rebuilt schedule draws other jitter than the original"},
    ),
    "zero_start_warmup_decay": Case(
        ZeroStartWarmupDecay,
        {
            check_schedule_rates_finite_positive: message(
                r"^zero_start_warmup_decay fails check_schedule_rates_finite_positive: "
                rf"rate\(0, 0\.001\) returned {number('rate')}; expected a finite rate > 0, as a zero first rate "
                r"makes no training \(a warmup counts from step \+ 1\)$",
                rate=0.0,
            )
        },
    ),
    "unclamped_warmup_decay": Case(
        UnclampedWarmupDecay,
        {
            check_schedule_rates_finite_positive: message(
                r"^unclamped_warmup_decay fails check_schedule_rates_finite_positive: "
                rf"rate\(1001, 0\.001\) returned {number('rate')}; expected a finite rate >= 0 \(clamp the formula "
                r"for steps past the end of the schedule\)$",
                rate=0.001 * (1000 - 1001) / (1000 - 10),
            )
        },
    ),
    "array_rate_warmup_decay": Case(
        ArrayRateWarmupDecay,
        {
            # 0.001 * min(1 / 10, 1000 / 990)
            check_schedule_rates_finite_positive: r"^array_rate_warmup_decay fails "
            r"check_schedule_rates_finite_positive: rate\(0, 0\.001\) returned array\(\[0\.0001\]\) of type ndarray; "
            r"expected a real number \(return float\(\.\.\.\), not an array\)$"
        },
    ),
    "forgetful_config_warmup_decay": Case(
        lambda: ForgetfulConfigWarmupDecay(total_steps=500),
        {
            # rebuilt with the default total_steps=1000, it decays from step 11 on as 1000 steps would
            check_schedule_config_round_trip: message(
                r"^forgetful_config_warmup_decay fails check_schedule_config_round_trip: the rates of steps 0\.\.500 "
                rf"of the rebuilt schedule differs at \(500,\): expected {number('expected')}, got {number('got')} "
                r"\(tolerance rtol=0, atol=0; 490 of 501 entries outside it\); rebuilt from get_config\(\) = "
                r"(?P<config>\{.*\})$",
                expected=0.0,
                got=0.1 * (1000 - 500) / (1000 - 10),
                config={"warmup_steps": 10},
            )
        },
    ),
    "numpy_config_warmup_decay": Case(
        NumpyConfigWarmupDecay,
        {
            check_schedule_config_round_trip: r"^numpy_config_warmup_decay fails check_schedule_config_round_trip: "
            r"get_config\(\) returned \{'warmup_steps': (np\.int64\()?10\)?, 'total_steps': (np\.int64\()?1000\)?\}, "
            r"which json\.dumps refuses \(Object of type int64 is not JSON serializable\); model files save it as "
            r"JSON: return plain int, float, str, bool, list and dict values$"
        },
    ),
    "half_gradient_l2": Case(
        HalfGradientL2,
        {
            # the worst entry is the largest weight, W[1, 2] = 1.404: 2 * 0.01 * W expected, 0.01 * W added
            check_penalty_gradient_matches_finite_differences: message(
                r"^half_gradient_l2 fails check_penalty_gradient_matches_finite_differences: what penalty added to "
                rf"grad on shape \(3, 4\) differs at \(1, 2\): expected {number('expected')}, got {number('got')} "
                r"\(tolerance rtol=1e-05, atol=1e-07; 12 of 12 entries outside it\); compared with central "
                r"differences of the penalty it returns$",
                expected=2 * 0.01 * 1.404,
                got=0.01 * 1.404,
            )
        },
    ),
    "rebinding_l2": Case(
        RebindingL2,
        {
            check_penalty_gradient_matches_finite_differences: message(
                r"^rebinding_l2 fails check_penalty_gradient_matches_finite_differences: what penalty added to grad "
                rf"on shape \(3, 4\) differs at \(1, 2\): expected {number('expected')}, got {number('got')} .*; "
                r"grad was left unchanged: add the gradient into it in place \(grad \+= \.\.\.\), do not rebind it$",
                expected=2 * 0.01 * 1.404,
                got=0.0,
            )
        },
    ),
    "overwriting_l2": Case(
        OverwritingL2,
        {
            # what it "added" is 2 * 0.01 * W minus the loss's gradient it overwrote, here -1.1033 at (0, 0)
            check_penalty_gradient_matches_finite_differences: message(
                r"^overwriting_l2 fails check_penalty_gradient_matches_finite_differences: what penalty added to grad "
                rf"on shape \(3, 4\) differs at \(0, 0\): expected {number('expected')}, got {number('got')} "
                r".*12 of 12 entries outside it\); grad holds the penalty's gradient alone: add it to the loss's "
                r"gradient there \(grad \+= \.\.\.\)$",
                expected=2 * 0.01 * 0.22573,
                got=2 * 0.01 * 0.22573 + 1.10334,
            )
        },
    ),
    "in_place_dropout": Case(
        InPlaceDropout,
        {
            # rate 0.5 makes every entry 0 or 2a: all 6 x 5 change
            check_regularizer_inputs_not_mutated: r"^in_place_dropout fails check_regularizer_inputs_not_mutated: "
            r"perturb modified the float32 argument a in place \(30 entries changed\); return a new array$"
        },
    ),
    "upcasting_gaussian_noise": Case(
        UpcastingGaussianNoise,
        {
            check_regularizer_inputs_not_mutated: r"^upcasting_gaussian_noise fails "
            r"check_regularizer_inputs_not_mutated: perturb on float32 a of shape \(6, 5\) returned shape \(6, 5\) "
            r"and dtype float64; expected those of a \(draw noise in a's dtype: "
            r"rng\.standard_normal\(a\.shape, dtype=a\.dtype\)\)$"
        },
    ),
    "mask_forgetting_dropout": Case(
        MaskForgettingDropout,
        {
            # out is a * mask / 0.5 but scale the bare mask: every kept entry is twice a * scale
            check_perturb_backward_consistent: message(
                r"^mask_forgetting_dropout fails check_perturb_backward_consistent: out, compared with a \* scale, "
                rf"differs at \(\d+, \d+\): expected {number('expected')}, got {number('got')} \(tolerance rtol=1e-12, "
                r"atol=0; 17 of 30 entries outside it\); the backward pass multiplies the gradient by scale: return "
                r"the factor out was made with \(dropout: the mask divided by the keep probability\)$",
                expected=-1.82941,
                got=2 * -1.82941,
            )
        },
    ),
    "scaleless_gaussian_dropout": Case(
        ScalelessGaussianDropout,
        {
            # a * (1 + noise) - a = a * noise: twice as much on 2a
            check_perturb_backward_consistent: message(
                r"^scaleless_gaussian_dropout fails check_perturb_backward_consistent: the noise added to 2a "
                rf"differs at \(\d+, \d+\): expected {number('expected')}, got {number('got')} \(tolerance "
                r"rtol=1e-09, atol=1e-12; 30 of 30 entries outside it\); compared with that added to a by a "
                r"generator in the same state; with scale None the gradient passes unchanged, so out - a must not "
                r"depend on a: return a multiplicative perturbation's factor as scale$",
                expected=-0.54279,
                got=2 * -0.54279,
            )
        },
    ),
    "uninverted_dropout": Case(
        UninvertedDropout,
        {
            # keeping half the outputs undivided halves the mean: about -1 for a = -2
            check_perturb_preserves_expectation: message(
                r"^uninverted_dropout fails check_perturb_preserves_expectation: over 2000 draws, unit 49 with "
                rf"a = {number('a')} averaged {number('mean')} \({number('errors')} standard errors away; 50 of 50 "
                r"units beyond 5\); expected mean a: divide dropout's mask by the keep probability, draw zero-mean "
                r"noise$",
                a=-2.0,
                mean=-0.991,
                errors=45.1,
            )
        },
    ),
    "global_state_dropout": Case(
        GlobalStateDropout,
        {
            check_perturb_deterministic: r"^global_state_dropout fails check_perturb_deterministic: two generators "
            r"in the same state gave different scale; draw only from the rng given, never from np\.random's global "
            r"state or a generator of its own$"
        },
    ),
    "numpy_float_accuracy": Case(
        NumpyFloatAccuracy,
        {
            check_metric_finite_on_edge_cases: message(
                r"^numpy_float_accuracy fails check_metric_finite_on_edge_cases: compute with 2 classes, random "
                rf"labels and random predictions returned {number('value')} of type float64; expected a Python "
                r"float \(return float\(\.\.\.\)\)$",
                value=0.55,
            )
        },
    ),
    "unguarded_balanced_accuracy": Case(
        UnguardedBalancedAccuracy,
        {
            check_metric_finite_on_edge_cases: r"^unguarded_balanced_accuracy fails "
            r"check_metric_finite_on_edge_cases: compute with 2 classes, class 0 absent from y_true and random "
            r"predictions returned nan; expected a finite float \(guard the divisions that an absent class makes "
            r"0 / 0, clip probabilities before taking logarithms\)$"
        },
    ),
    "column_labels_accuracy": Case(
        ColumnLabelsAccuracy,
        {
            # with labels it counts the rows predicted as class 0
            check_metric_labels_and_one_hot_agree: message(
                rf"^column_labels_accuracy fails check_metric_labels_and_one_hot_agree: compute with 2 classes gave "
                rf"{number('labels')} for integer labels and {number('one_hot')} for the same targets as one-hot "
                r"rows; expected the same value \(within 1e-12 relative\): labels of shape \(n,\) with y_pred of "
                r"shape \(n, 2\) are classes$",
                labels=13 / 30,
                one_hot=18 / 30,
            )
        },
    ),
    "smoothed_accuracy": Case(
        SmoothedAccuracy,
        {
            check_metric_row_order_invariant: message(
                rf"^smoothed_accuracy fails check_metric_row_order_invariant: compute on 40 samples of 2 classes "
                rf"gave {number('value')}, and {number('permuted')} with the rows of both arrays in another order; "
                r"expected the same value \(within 1e-12 relative\): a score must not depend on the order of the "
                r"samples$",
                value=0.57584,
                permuted=0.49451,
            )
        },
    ),
    "epsilon_adding_log_loss": Case(
        EpsilonAddingLogLoss,
        {
            # 1e-15 is more than half the spacing of float64 numbers below 1: all 30 x 3 entries change
            check_metric_inputs_not_mutated: r"^epsilon_adding_log_loss fails check_metric_inputs_not_mutated: "
            r"compute modified the float64 argument y_pred in place \(90 entries changed\); work on a copy$"
        },
    ),
    "wrong_direction_log_loss": Case(
        WrongDirectionLogLoss,
        {
            check_metric_perfect_prediction_best: message(
                r"^wrong_direction_log_loss fails check_metric_perfect_prediction_best: with 2 classes, perfect "
                rf"one-hot predictions scored {number('perfect')} and random probabilities {number('random')}; "
                r"with greater_is_better=True the perfect score must be higher or equal: say which way is better "
                r"in greater_is_better$",
                perfect=0.0,
                random=0.9758,
            )
        },
    ),
}

CAUGHT = [
    pytest.param(case, check, expected, id=f"{name}-{check.__name__}")
    for name, case in GALLERY.items()
    for check, expected in case.caught_by.items()
]


@pytest.mark.parametrize("case, check, expected", CAUGHT)
def test_broken_component_is_caught_by_its_check(case, check, expected):
    """The check meant for the fault raises ContractViolation naming component, rule and numbers."""
    pattern, values = (expected, {}) if isinstance(expected, str) else expected
    for module in case.needs:
        pytest.importorskip(module)
    component = case.make()
    with pytest.raises(ContractViolation, match=pattern) as caught:
        check(component)
    found = re.search(pattern, str(caught.value))
    assert {name: printed(found[name]) for name in values} == values
    assert caught.value.component == component.name
    assert caught.value.check == check.__name__
    assert check in checks_for(component)  # and the suite would run it


@pytest.mark.parametrize("case", list(GALLERY.values()), ids=list(GALLERY))
def test_broken_component_passes_the_checks_unrelated_to_its_fault(case):
    """Every other check passes: a check is specific to its rule, not a blanket failure.

    ``check_registered_name_resolves`` is left out: the gallery is registered nowhere.
    """
    component = case.make()
    skipped = {*case.caught_by, *case.also_fails, check_registered_name_resolves}
    unrelated = [check for check in checks_for(component) if check not in skipped]
    assert unrelated  # an initializer has three checks besides the name: one may be left
    for check in unrelated:
        check(component)


class ExportedTanh(GoodTanh):
    """tanh exported as ONNX's Tanh, recording the dtype of each graph it is asked for."""

    name = "exported_tanh"

    def __init__(self):
        self.graphs = []

    def to_onnx(self, graph, x):
        self.graphs.append(np.dtype(graph.dtype).name)
        return graph.node("Tanh", [x])


def test_onnx_export_check_runs_a_correct_export_in_both_dtypes():
    """A tanh exported as Tanh passes, after its float32 and float64 graphs were built (and run)."""
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    component = ExportedTanh()
    check_onnx_export(component)
    assert component.graphs == ["float32", "float64"]


def test_onnx_export_check_does_not_apply_without_to_onnx_or_onnxruntime(monkeypatch):
    """No to_onnx: nothing to check. No onnxruntime: a wrong export passes untried, as not applicable."""
    check_onnx_export(GoodTanh())
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime raises ImportError
    component = ExportedTanh()
    component.to_onnx = lambda graph, x: graph.node("Sigmoid", [x])
    check_onnx_export(component)


class TinyZeroTanh(GoodTanh):
    """Exports tanh, but 0 for |z| < 1e-6: only the check's sweep of magnitudes reaches the fault."""

    name = "tiny_zero_tanh"

    def to_onnx(self, graph, x):
        tiny = graph.node("Less", [graph.node("Abs", [x]), graph.constant(1e-6)])
        return graph.node("Where", [tiny, graph.constant(0.0), graph.node("Tanh", [x])])


class ErfActivation:
    """erf, computed by math.erf and exported as ONNX's Erf, which ONNX Runtime runs in float32 only."""

    name = "erf"

    def forward(self, z):
        return np.frompyfunc(math.erf, 1, 1)(z).astype(z.dtype)

    def backward(self, z, a, grad_a):
        return grad_a * (2 / math.sqrt(math.pi)) * np.exp(-z * z)

    def to_onnx(self, graph, x):
        return graph.node("Erf", [x])


def _exporting(name, to_onnx):
    return type(name, (GoodTanh,), {"name": name, "to_onnx": lambda self, graph, x: to_onnx(graph, x)})()


@pytest.mark.parametrize(
    "component, pattern",
    [
        (
            TinyZeroTanh(),
            # the sweep's magnitudes below 1e-6 are 1e-8 to 10**-6.25 = 5.6e-7, 8 of each sign: tanh(z) = z there
            r"^tiny_zero_tanh fails check_onnx_export: ONNX Runtime's output on float64 inputs of shape \(1, 99\) "
            r"differs at \(0, 41\): expected (np\.float64\()?-5\.6234\d*e-07\)?, got (np\.float64\()?0\.0\)? "
            r"\(tolerance rtol=1e-12, atol=1e-12; 16 of 99 entries outside it\); compared with forward; the input "
            r"there: -5\.6234\d*e-07$",
        ),
        (
            ErfActivation(),
            r"^erf fails check_onnx_export: ONNX Runtime \(CPUExecutionProvider\) cannot run the float64 graph of "
            r"to_onnx: .*NOT_IMPLEMENTED.*Erf.*; it has no float64 kernel for some operators",
        ),
        (
            _exporting("misspelt_tanh", lambda graph, x: graph.node("Tanhh", [x])),
            r"^misspelt_tanh fails check_onnx_export: to_onnx on a float32 graph \(opset \d+\) failed: ONNX has no "
            r"operator 'Tanhh' at opset \d+",
        ),
        (
            _exporting("unnamed_tanh", lambda graph, x: graph.node("Tanh", [x]) and None),
            r"^unnamed_tanh fails check_onnx_export: to_onnx on a float32 graph returned None, not the name of its "
            r"output tensor$",
        ),
        (
            _exporting("lost_tanh", lambda graph, x: "tanh_output"),
            r"^lost_tanh fails check_onnx_export: to_onnx on a float32 graph \(opset \d+\) failed: the Identity "
            r"node's inputs \['tanh_output'\] are not tensors of this graph",
        ),
        (
            _exporting("float32_tanh", lambda graph, x: graph.node("Cast", [graph.node("Tanh", [x])], to=1)),
            r"^float32_tanh fails check_onnx_export: the float64 graph of to_onnx is not valid ONNX: ",
        ),
    ],
    ids=["fault-reached-by-the-sweep", "no-float64-kernel", "unknown-operator", "no-name", "unknown-name", "cast"],
)
def test_onnx_export_check_reports_what_failed(component, pattern):
    """Each way an export fails is a violation saying what: a value, a runtime, an operator, a name, a type."""
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    with pytest.raises(ContractViolation, match=pattern):
        check_onnx_export(component)
    for check in checks_for(component):  # the rest of the suite has nothing against it
        if check not in (check_onnx_export, check_registered_name_resolves):
            check(component)


def test_regularizer_called_at_inference_is_caught(monkeypatch):
    """A network that perturbs its predictions or adds the penalty to its score is caught, with the numbers.

    No correct network calls a regularizer at inference, so the fault is put in
    the network: predict applies each regularizer's perturb to the outputs, and
    score adds each penalty, as a network that forgot it was not training would.
    """
    predict, score = NeuralNetwork.predict, NeuralNetwork.score

    def perturbing_predict(self, x, labels=False):
        out = predict(self, x, labels)
        for regularizer in self.regularizers:
            out, _ = regularizer.perturb(out, 0, self.rng)
        return out

    def penalised_score(self, x, y, *args, **kwargs):
        penalties = [r.penalty(w, np.zeros_like(w)) for r in self.regularizers for w in self.weights]
        return score(self, x, y, *args, **kwargs) + sum(penalties)

    monkeypatch.setattr(NeuralNetwork, "predict", perturbing_predict)
    monkeypatch.setattr(NeuralNetwork, "score", penalised_score)
    with pytest.raises(
        ContractViolation,
        match=r"^good_dropout fails check_regularizer_inactive_at_inference: the first predict of a network trained "
        r"with it differs at \(\d+, \d+\): .* \(tolerance rtol=0, atol=0; \d+ of 288 entries outside it\); compared "
        r"with the same network and parameters without it: predict must not call a regularizer$",
    ):
        check_regularizer_inactive_at_inference(GoodDropout())
    with pytest.raises(ContractViolation) as caught:
        check_regularizer_inactive_at_inference(GoodL2())  # its perturb does nothing: predict is right
    found = re.fullmatch(
        rf"good_l2 fails check_regularizer_inactive_at_inference: score of a network trained with it is "
        rf"{number('score')}, and {number('plain')} without it \(same parameters\); score must not call a "
        r"regularizer nor add its penalty",
        str(caught.value),
    )
    assert found, str(caught.value)
    assert float(found["score"]) > float(found["plain"])  # the L2 penalty is positive


# ---------------------------------------------------------------------------
# the optimizer checks at the settings an optimizer is meant for


class RatelessAscendingOptimizer(AscendingOptimizer):
    """Ascends with a rate kept under another name: no learning_rate attribute for the suite to scale to."""

    name = "rateless_ascending_optimizer"

    def __init__(self, rate=0.01, momentum=0.9):
        super().__init__(rate, momentum)
        self.rate = self.__dict__.pop("learning_rate")

    def update(self, params, gradient):
        self.learning_rate = self.rate
        try:
            return super().update(params, gradient)
        finally:
            del self.learning_rate


def test_an_optimizer_without_a_learning_rate_runs_the_unscaled_quadratics():
    """Without a learning_rate attribute the quadratics are not scaled: f starts at its unscaled 3.059 and 1.699,
    and the network must lose a quarter of its loss."""
    for check, start in ((check_converges_on_quadratic, 3.059), (check_converges_on_ill_conditioned_quadratic, 1.699)):
        with pytest.raises(ContractViolation) as caught:
            check(RatelessAscendingOptimizer())
        found = re.search(rf"of condition number \d+, f fell from {number('start')} to ", str(caught.value))
        assert found and float(found["start"]) == pytest.approx(start, rel=1e-3), str(caught.value)
        assert "scaled" not in str(caught.value)
    with pytest.raises(ContractViolation, match=r"expected it to fall by at least 0\.25 of it, to "):
        check_loss_decreases_on_small_network(RatelessAscendingOptimizer())


class _Recording:
    """Records every gradient an optimizer's copies are given, in a list shared by the copies (a class attribute)."""

    def __init__(self, cls: type, **config: Any) -> None:
        self.optimizer = type(f"Recording{cls.__name__}", (cls,), {"seen": [], "update": self._update})(**config)

    @staticmethod
    def _update(optimizer: Any, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        type(optimizer).seen.append(gradient.copy())
        return super(type(optimizer), optimizer).update(params, gradient)

    @property
    def gradients(self) -> np.ndarray:
        return np.array(type(self.optimizer).seen)


@pytest.mark.parametrize(
    "cls, config",
    [
        (GradientDescent, {}),
        (GoodMomentum, {}),
        (SGD, {"momentum": 0.9, "nesterov": True}),
        (Adam, {}),
        (Adam, {"amsgrad": True}),
    ],
    ids=["gradient_descent", "momentum", "nesterov", "adam", "amsgrad"],
)
@pytest.mark.parametrize("check", [check_converges_on_quadratic, check_converges_on_ill_conditioned_quadratic])
def test_the_convergence_checks_give_every_learning_rate_the_same_problem(cls, config, check):
    """At learning rates 1e-5, 1e-3 and 0.05 an optimizer is given the same gradients, update after update: the
    gradient at x = x* + s y is A y, and the update moves y by 0.05 times the same function of them, whatever s.
    Each passes; the first 1000 gradients agree within 1e-7 of the first (later, near the optimum, Adam's steps
    normalise rounding errors, and the paths part at that level)."""
    runs = {}
    for rate in (1e-5, 1e-3, 0.05):
        recording = _Recording(cls, learning_rate=rate, **config)
        check(recording.optimizer)
        runs[rate] = recording.gradients
    reference = runs[0.05]
    assert reference.shape == (5000, 10)
    for rate, gradients in runs.items():
        np.testing.assert_allclose(
            gradients[:1000], reference[:1000], rtol=0, atol=1e-7 * np.abs(reference[0]).max(), err_msg=str(rate)
        )


@pytest.mark.parametrize("rate", [1e-7, 1e-4, 0.5, 5.0])
def test_a_correct_optimizer_passes_the_convergence_checks_at_any_learning_rate(rate):
    """Momentum SGD at 5.0 would diverge on the unscaled quadratics (5 x 1 > 2 (1 + 0.9)), and at 1e-7 stall: scaled
    to its rate, it converges at each; doing nothing at those rates is still caught."""

    class Idle(GoodMomentum):
        name = "idle"

        def update(self, params, gradient):
            return params

    for check in (check_converges_on_quadratic, check_converges_on_ill_conditioned_quadratic):
        check(GoodMomentum(learning_rate=rate))
        with pytest.raises(ContractViolation, match=r"f fell from (\S+) to \1;"):
            check(Idle(learning_rate=rate))


def test_small_learning_rates_pass_the_network_check_with_a_proportional_budget():
    """At 1e-5 the network must lose 0.25 * 1e-5 / 0.01 of its loss: gradient descent does; a descent that steps a
    hundred times less than its learning rate says does not."""

    class Timid(GradientDescent):
        name = "timid"

        def update(self, params, gradient):
            return params - 0.01 * self.learning_rate * gradient

    check_loss_decreases_on_small_network(GradientDescent(learning_rate=1e-5))
    check_loss_decreases_on_small_network(GoodMomentum(learning_rate=1e-5))
    with pytest.raises(
        ContractViolation, match=r"fall by at least 0\.00025 of it \(0\.25 x learning_rate 1e-05 / 0\.01\), to "
    ):
        check_loss_decreases_on_small_network(Timid(learning_rate=1e-5))


def test_an_undeclared_decay_is_held_to_unchanged_parameters():
    """The decoupled decay that passes declared fails undeclared, with the hint to declare it."""

    class Undeclared(GoodDecoupledDecay):
        decays_parameters = False

    check_zero_gradient_keeps_parameters(GoodDecoupledDecay())
    with pytest.raises(ContractViolation, match=r"9 of 10 entries outside it\); .* declares decays_parameters = True$"):
        check_zero_gradient_keeps_parameters(Undeclared())


# ---------------------------------------------------------------------------
# correct components pass everything


class _Plugin:
    """A throwaway plugin registering ``{kind: {name: factory}}``."""

    def __init__(self, **by_kind: Dict[str, Callable[..., Any]]) -> None:
        self.by_kind = by_kind

    def _register(self, kind: str, register: Callable[..., None]) -> None:
        for name, factory in self.by_kind.get(kind, {}).items():
            register(name, factory)

    @hookimpl
    def npnet_register_activations(self, register):
        self._register("activation", register)

    @hookimpl
    def npnet_register_losses(self, register):
        self._register("loss", register)

    @hookimpl
    def npnet_register_optimizers(self, register):
        self._register("optimizer", register)

    @hookimpl
    def npnet_register_initializers(self, register):
        self._register("initializer", register)

    @hookimpl
    def npnet_register_schedules(self, register):
        self._register("schedule", register)

    @hookimpl
    def npnet_register_regularizers(self, register):
        self._register("regularizer", register)

    @hookimpl
    def npnet_register_metrics(self, register):
        self._register("metric", register)


def failures(component: Any, registry: Any = None) -> List[str]:
    """Run every check of ``checks_for`` and return the messages of those that fail."""
    found = []
    for check in checks_for(component):
        try:
            if check is check_registered_name_resolves:
                check(component, registry=registry)
            else:
                check(component)
        except ContractViolation as exc:
            found.append(str(exc))
    return found


OFFICIAL = [
    ("activation", "relu", ReLU),
    ("activation", "identity", Identity),
    ("activation", "softmax", Softmax),
    ("loss", "mean_squared_error", MeanSquaredError),
    ("loss", "categorical_crossentropy", CategoricalCrossentropy),
    ("optimizer", "sgd", SGD),
    ("optimizer", "adam", Adam),
    ("optimizer", "adamw", AdamW),
    ("schedule", "constant", npnet_schedules.Constant),
    ("schedule", "inverse_scaling", npnet_schedules.InverseScaling),
    ("schedule", "reduce_on_plateau", npnet_schedules.ReduceOnPlateau),
    ("regularizer", "l2", npnet_regularizers.L2),
    ("regularizer", "l1", npnet_regularizers.L1),
    ("regularizer", "l1_l2", npnet_regularizers.L1L2),
    ("regularizer", "dropout", npnet_regularizers.Dropout),
    ("regularizer", "gaussian_noise", npnet_regularizers.GaussianNoise),
    *[("metric", cls.name, cls) for cls in (npnet_metrics.Accuracy, npnet_metrics.F1, npnet_metrics.R2)],
    *[("metric", cls.name, cls) for cls in (npnet_metrics.Precision, npnet_metrics.Recall, npnet_metrics.LogLoss)],
    ("metric", "top_k_accuracy", npnet_metrics.TopKAccuracy),
    ("metric", "mean_absolute_error", npnet_metrics.MeanAbsoluteError),
    ("metric", "mean_squared_error", npnet_metrics.MeanSquaredError),
    ("activation", "sigmoid", npnet_sigmoid_tanh.Sigmoid),
    ("activation", "tanh", npnet_sigmoid_tanh.Tanh),
    ("loss", "binary_crossentropy", npnet_sigmoid_tanh.BinaryCrossentropy),
    ("activation", "leaky_relu", npnet_modern_activations.LeakyReLU),
    ("activation", "elu", npnet_modern_activations.ELU),
    ("activation", "gelu", npnet_modern_activations.GELU),
    ("activation", "silu", npnet_modern_activations.SiLU),
    ("activation", "softplus", npnet_modern_activations.Softplus),
    ("loss", "mean_absolute_error", npnet_regression_losses.MeanAbsoluteError),
    ("loss", "huber", npnet_regression_losses.Huber),
    ("loss", "log_cosh", npnet_regression_losses.LogCosh),
    ("optimizer", "adamax", npnet_adam.Adamax),
    ("optimizer", "rmsprop", npnet_rmsprop.RMSprop),
    ("optimizer", "adagrad", npnet_rmsprop.Adagrad),
]


@pytest.mark.parametrize("kind, name, cls", OFFICIAL, ids=[name for _, name, _ in OFFICIAL])
def test_official_component_from_the_default_registry_passes_every_check(kind, name, cls):
    """Each official component, built by name from the default registry, passes every check it does not declare
    as an expected failure, and fails those it declares (adamw declares decays_parameters, not a failure)."""
    component, _ = get_registry().create(kind, name)
    assert type(component) is cls and kind_of(component) == kind
    declared = expected_failures_of(component)
    failed = failures(component)
    assert len(failed) == len(declared) and all(any(check in f for f in failed) for check in declared), failed


def test_reference_and_gallery_bases_pass_every_check(empty_registry):
    """The reference components and the gallery's correct bases pass every check once registered."""
    softmax = SoftmaxCrossEntropy.activation()
    empty_registry.register_plugin(
        _Plugin(
            activation={
                "reference_tanh": Tanh,
                "reference_softmax": type(softmax),
                "good_tanh": GoodTanh,
                "good_softmax": GoodSoftmax,
            },
            loss={"reference_crossentropy": SoftmaxCrossEntropy, "good_crossentropy": GoodCrossEntropy},
            optimizer={
                "good_momentum": GoodMomentum,
                "reference_gradient_descent": GradientDescent,
                "good_decoupled_decay": GoodDecoupledDecay,
            },
            initializer={"reference_glorot_uniform": GlorotUniform, "good_glorot_uniform": GoodGlorotUniform},
            schedule={"good_warmup_decay": GoodWarmupDecay, "good_halving_on_plateau": GoodHalvingOnPlateau},
            regularizer={"good_l2": GoodL2, "good_dropout": GoodDropout, "good_gaussian_noise": GoodGaussianNoise},
            metric={
                "good_accuracy": GoodAccuracy,
                "good_balanced_accuracy": GoodBalancedAccuracy,
                "good_log_loss": GoodLogLoss,
            },
        ),
        "gallery",
    )
    for component in [
        Tanh(),
        softmax,
        SoftmaxCrossEntropy(),
        GlorotUniform(),
        GradientDescent(),
        GoodTanh(),
        GoodSoftmax(),
        GoodCrossEntropy(),
        GoodMomentum(),
        GoodMomentum(learning_rate=1e-6),  # the convergence checks scale to its learning rate
        GoodDecoupledDecay(),
        GoodDecoupledDecay(learning_rate=1e-4, weight_decay=0.01),
        GoodGlorotUniform(),
        GoodWarmupDecay(),
        GoodWarmupDecay(warmup_steps=1, total_steps=2),  # the rate is 0 from step 2 on: allowed
        GoodHalvingOnPlateau(),
        GoodL2(),
        GoodL2(l2=0.0),  # a penalty of 0.0 that leaves grad as it is
        GoodDropout(),
        GoodDropout(rate=0.1),
        GoodGaussianNoise(),
        GoodAccuracy(),
        GoodBalancedAccuracy(),
        GoodLogLoss(),
    ]:
        assert failures(component, registry=empty_registry) == [], component.name


# ---------------------------------------------------------------------------
# check_registered_name_resolves


def test_registered_name_resolving_to_another_class_is_caught(empty_registry):
    """A name registered for another class: the message gives both classes and the provider."""
    empty_registry.register_plugin(_Plugin(activation={"good_tanh": GoodSoftmax}), "impostor")
    with pytest.raises(
        ContractViolation,
        match=r"^good_tanh fails check_registered_name_resolves: the activation name 'good_tanh' resolves to "
        r"\S+\.GoodSoftmax \(plugin 'impostor'\), not to \S+\.GoodTanh$",
    ):
        check_registered_name_resolves(GoodTanh(), registry=empty_registry)


def test_registered_name_of_a_subclass_is_caught(empty_registry):
    """A subclass that keeps its parent's name is not what the name builds."""
    empty_registry.register_plugin(_Plugin(activation={"good_tanh": GoodTanh}), "gallery")
    check_registered_name_resolves(GoodTanh(), registry=empty_registry)

    class Subclass(GoodTanh):
        pass

    with pytest.raises(ContractViolation, match=r"resolves to \S+\.GoodTanh .*not to \S+Subclass$"):
        check_registered_name_resolves(Subclass(), registry=empty_registry)


def test_registered_name_with_a_factory_function_builds_and_compares(empty_registry):
    """A factory that is a function is called with the component's get_config()."""
    empty_registry.register_plugin(
        _Plugin(optimizer={"good_momentum": lambda **config: GoodMomentum(**config)}), "gallery"
    )
    check_registered_name_resolves(GoodMomentum(learning_rate=0.5), registry=empty_registry)
    empty_registry.unregister_plugin("gallery")
    empty_registry.register_plugin(_Plugin(optimizer={"good_momentum": lambda **config: SGD()}), "other")
    with pytest.raises(ContractViolation, match=r"'good_momentum' resolves to npnet_sgd_momentum\.sgd\.SGD"):
        check_registered_name_resolves(GoodMomentum(), registry=empty_registry)


def test_unregistered_name_is_caught(empty_registry):
    """A name no plugin registers fails with the registry's own message."""
    with pytest.raises(
        ContractViolation,
        match=r"^good_tanh fails check_registered_name_resolves: looking up its name failed: "
        r"no activation named 'good_tanh'",
    ):
        check_registered_name_resolves(GoodTanh(), registry=empty_registry)


# ---------------------------------------------------------------------------
# kind_of and checks_for


class _NoKind:
    name = "no_kind"

    def forward(self, x):
        return x

    def backward(self, x):
        return x


class _LossWithOptionalWeight(GoodCrossEntropy):
    def backward(self, y_pred, y_true, sample_weight=None):
        return super().backward(y_pred, y_true)


@pytest.mark.parametrize(
    "component, kind",
    [
        (ReLU(), "activation"),
        (Softmax(), "activation"),
        (Tanh(), "activation"),
        (MeanSquaredError(), "loss"),
        (_LossWithOptionalWeight(), "loss"),
        (Adam(), "optimizer"),
        (GoodMomentum(), "optimizer"),
        (GlorotUniform(), "initializer"),
        (GoodGlorotUniform(), "initializer"),
        (GoodWarmupDecay(), "schedule"),
        (GoodHalvingOnPlateau(), "schedule"),  # get_config, state_dict and load_state_dict, as an optimizer has
        (GoodL2(), "regularizer"),
        (GoodDropout(), "regularizer"),
        (GoodAccuracy(), "metric"),
        (GoodLogLoss(), "metric"),
    ],
    ids=lambda x: x if isinstance(x, str) else type(x).__name__,
)
def test_kind_of(component, kind):
    """The kind whose protocol's methods it has, with the protocol's arguments: backward(z, a, grad_a) or (y_pred, y_true)."""
    assert kind_of(component) == kind


def test_kind_of_names_the_kind_of_a_component_with_a_wrong_signature():
    """An optimizer whose update takes one argument is still an optimizer, so that its checks say what is wrong."""

    class OneArgumentUpdate(GoodMomentum):
        def update(self, params):
            return params

    component = OneArgumentUpdate()
    assert kind_of(component) == "optimizer"
    assert [check.__name__ for check in checks_for(component)] == documented_checks("optimizer")


@pytest.mark.parametrize("thing", [object(), _NoKind(), np.tanh], ids=["object", "backward-of-one", "function"])
def test_kind_of_an_object_of_no_kind_raises_type_error(thing):
    """No kind's methods with its protocol's arguments: a TypeError that says what each kind has."""
    with pytest.raises(TypeError, match=r"cannot tell what kind of component .* is: an activation has forward\(z\), "):
        kind_of(thing)


DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugins"


def documented_checks(kind: str) -> List[str]:
    """The checks that the plugin author's page of ``kind`` lists in its table, in order."""
    return re.findall(r"^\| `(check_\w+)` \|", (DOCS / f"{kind}.md").read_text(encoding="utf-8"), flags=re.M)


@pytest.mark.parametrize(
    "component, kind",
    [
        (Tanh(), "activation"),
        (CategoricalCrossentropy(), "loss"),
        (Adam(), "optimizer"),
        (GoodGlorotUniform(), "initializer"),
        (GoodWarmupDecay(), "schedule"),
        (GoodDropout(), "regularizer"),
        (GoodAccuracy(), "metric"),
    ],
    ids=["activation", "loss", "optimizer", "initializer", "schedule", "regularizer", "metric"],
)
def test_checks_for_lists_the_checks_of_each_kind(component, kind):
    """checks_for gives each kind the checks its docs page lists, in order; each is exported by npnet_core.testing."""
    import npnet_core.testing as testing

    checks = checks_for(component)
    assert [check.__name__ for check in checks] == documented_checks(kind)
    assert all(getattr(testing, check.__name__) is check for check in checks)
    assert checks_for(component) is not checks_for(component)  # a fresh list each time


def test_checks_for_an_incomplete_component_raises_type_error():
    """An optimizer without get_config, load_state_dict or a name is not checked but refused, saying what it lacks."""

    class Incomplete:
        def update(self, params, gradient):
            return params

        def state_dict(self):
            return {}

    with pytest.raises(
        TypeError,
        match=r"is not a valid optimizer: it lacks a non-empty string attribute 'name', a method 'get_config', "
        r"a method 'load_state_dict'$",
    ):
        checks_for(Incomplete())


@pytest.mark.parametrize("direction", [None, "True", np.True_], ids=["missing", "string", "numpy-bool"])
def test_checks_for_a_metric_without_a_bool_direction_raises_type_error(direction):
    """A metric's greater_is_better must be a bool: absent, a string or a NumPy bool is refused."""

    class Directionless(GoodAccuracy):
        greater_is_better = direction

    with pytest.raises(TypeError, match=r"is not a valid metric: it lacks a bool attribute 'greater_is_better'$"):
        checks_for(Directionless())


# ---------------------------------------------------------------------------
# expected failures and parametrize_with_checks


class DeclaringWrongSignTanh(WrongSignTanh):
    """Declares its broken gradient, and that it is registered nowhere."""

    name = "declaring_wrong_sign_tanh"
    npnet_expected_failures = {
        "check_backward_matches_finite_differences": "the sign of the gradient is flipped",
        "check_registered_name_resolves": "registered nowhere",
    }


def test_expected_failures_merge_the_attribute_and_the_argument_by_check_name():
    """Keys may be checks or names; the argument overrides the class attribute's reason."""
    assert expected_failures_of(DeclaringWrongSignTanh()) == DeclaringWrongSignTanh.npnet_expected_failures
    merged = expected_failures_of(
        DeclaringWrongSignTanh(), {check_backward_matches_finite_differences: "overridden", "check_deterministic": "x"}
    )
    assert merged == {
        "check_backward_matches_finite_differences": "overridden",
        "check_registered_name_resolves": "registered nowhere",
        "check_deterministic": "x",
    }


def test_unknown_expected_failure_raises_value_error():
    """A name that is no check of the component's kind is refused at decoration time, with the list."""
    with pytest.raises(ValueError, match=r"expected failure 'check_rows_independent' .* names no check of its kind"):
        parametrize_with_checks([Adam()], expected_failures={"check_rows_independent": "an optimizer has no rows"})
    with pytest.raises(ValueError, match=r"'check_typo' .*the checks are: check_backward_matches_finite_differences"):
        parametrize_with_checks([Tanh()], expected_failures={"check_typo": "misspelt"})

    class BadAttribute(GoodTanh):
        npnet_expected_failures = {"check_converges_on_quadratic": "an activation does not converge"}

    with pytest.raises(ValueError, match=r"'check_converges_on_quadratic' .* names no check of its kind"):
        parametrize_with_checks([BadAttribute()])


def test_expected_failure_without_reason_raises_value_error():
    """Every expected failure needs a non-empty reason."""
    with pytest.raises(ValueError, match=r"'check_deterministic' needs a reason"):
        parametrize_with_checks([Tanh()], expected_failures={check_deterministic: "  "})


def strong_decay(optimizer):
    """A function of expected failures: GoodDecoupledDecay's decay outweighs its steps from weight_decay 1 on."""
    if optimizer.weight_decay < 1:
        return None
    reason = "a decay as strong as the steps holds the parameters away from the minimum, toward 0"
    return {check_converges_on_quadratic: reason, "check_converges_on_ill_conditioned_quadratic": reason}


def test_expected_failures_may_be_a_function_of_the_component():
    """A function gives each configured component its own expected failures (None: none), merged with the
    component's own; only the configurations it names become xfails."""
    assert expected_failures_of(GoodDecoupledDecay(), strong_decay) == {}
    strong = GoodDecoupledDecay(weight_decay=10.0)
    assert set(expected_failures_of(strong, strong_decay)) == {
        "check_converges_on_quadratic",
        "check_converges_on_ill_conditioned_quadratic",
    }
    declaring = DeclaringWrongSignTanh()
    assert expected_failures_of(declaring, lambda c: {"check_deterministic": "x"}) == {
        **DeclaringWrongSignTanh.npnet_expected_failures,
        "check_deterministic": "x",
    }
    params = parametrize_with_checks([GoodDecoupledDecay(), strong], expected_failures=strong_decay).mark.args[1]
    xfails = sorted(p.id for p in params if p.marks)
    assert xfails == [
        "good_decoupled_decay(weight_decay=10.0)-check_converges_on_ill_conditioned_quadratic",
        "good_decoupled_decay(weight_decay=10.0)-check_converges_on_quadratic",
    ]
    for check in (check_converges_on_quadratic, check_converges_on_ill_conditioned_quadratic):  # declared truly
        with pytest.raises(ContractViolation):
            check(strong)
        check(GoodDecoupledDecay())


def test_a_function_of_expected_failures_is_checked_as_a_mapping():
    """What the function returns must be a mapping (or None) of checks of the kind, each with a reason."""
    with pytest.raises(TypeError, match=r"returned \['check_deterministic'\] for .*; a function of expected failures "):
        parametrize_with_checks([Tanh()], expected_failures=lambda component: ["check_deterministic"])
    with pytest.raises(ValueError, match=r"'check_typo' .* names no check of its kind"):
        parametrize_with_checks([Tanh()], expected_failures=lambda component: {"check_typo": "misspelt"})
    with pytest.raises(ValueError, match=r"'check_deterministic' needs a reason"):
        parametrize_with_checks([Tanh()], expected_failures=lambda component: {"check_deterministic": ""})


def test_parametrize_with_checks_ids_and_marks():
    """One parameter per (component, check), id COMPONENT-CHECK; declared failures are strict xfails."""
    mark = parametrize_with_checks(
        [Adam(), WrongSignTanh()], expected_failures={"check_registered_name_resolves": "registered nowhere"}
    ).mark
    assert mark.name == "parametrize" and mark.args[0] == "component, check"
    params = mark.args[1]
    assert [p.id for p in params[:4]] == [
        "adam-check_update_shape_and_dtype",
        "adam-check_gradient_not_mutated",
        "adam-check_zero_gradient_keeps_parameters",
        "adam-check_converges_on_quadratic",
    ]
    assert len(params) == 10 + 10
    xfails = {p.id: p.marks[0] for p in params if p.marks}
    assert set(xfails) == {"adam-check_registered_name_resolves", "wrong_sign_tanh-check_registered_name_resolves"}
    assert all(
        m.name == "xfail" and m.kwargs == {"strict": True, "reason": "registered nowhere"} for m in xfails.values()
    )
    component, check = params[3].values
    assert isinstance(component, Adam) and check is check_converges_on_quadratic


def test_parametrize_with_checks_covers_schedules_regularizers_and_metrics():
    """Each new kind gets its own checks, in the kinds table's order, with COMPONENT-CHECK ids."""
    components = [GoodWarmupDecay(total_steps=500), GoodDropout(), GoodAccuracy()]
    params = parametrize_with_checks(components).mark.args[1]
    assert [p.id for p in params] == [
        f"{label}-{check.__name__}"
        for label, component in zip(["good_warmup_decay(total_steps=500)", "good_dropout", "good_accuracy"], components)
        for check in checks_for(component)
    ]
    assert len(params) == 4 + 7 + 6
    assert [p.id for p in params[:3]] == [
        "good_warmup_decay(total_steps=500)-check_schedule_rates_finite_positive",
        "good_warmup_decay(total_steps=500)-check_schedule_pure",
        "good_warmup_decay(total_steps=500)-check_schedule_config_round_trip",
    ]


INNER_ARGS = ("-p", "no:cacheprovider", "--import-mode=importlib", "-W", "error", "-v", "-rxX")

INNER_HEADER = """
import numpy as np
from npnet_adam import Adam
from npnet_core.testing import check_backward_matches_finite_differences, parametrize_with_checks
from npnet_core.testing._reference import Tanh


class WrongSignTanh:
    name = "wrong_sign_tanh"

    def forward(self, z):
        return np.tanh(z)

    def backward(self, z, a, grad_a):
        return -grad_a * (1 - a * a)
"""


def test_parametrize_with_checks_under_pytest(pytester):
    """Under pytest: readable ids, passes, and declared failures (argument or attribute) xfail."""
    pytester.makepyfile(
        test_inner=INNER_HEADER
        + """

class DeclaringWrongSignTanh(WrongSignTanh):
    name = "declaring_wrong_sign_tanh"
    npnet_expected_failures = {
        "check_backward_matches_finite_differences": "the sign is flipped",
        "check_registered_name_resolves": "registered nowhere",
    }


@parametrize_with_checks([Adam()])
def test_adam(component, check):
    check(component)


@parametrize_with_checks(
    [WrongSignTanh()],
    expected_failures={
        check_backward_matches_finite_differences: "the sign is flipped",
        "check_registered_name_resolves": "registered nowhere",
    },
)
def test_declared_by_argument(component, check):
    check(component)


@parametrize_with_checks([DeclaringWrongSignTanh()])
def test_declared_by_attribute(component, check):
    check(component)
"""
    )
    result = pytester.runpytest(*INNER_ARGS)
    result.assert_outcomes(passed=10 + 8 + 8, xfailed=4)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*::test_adam[[]adam-check_converges_on_quadratic[]] PASSED*",
            "*::test_declared_by_argument[[]wrong_sign_tanh-check_backward_matches_finite_differences[]] XFAIL*",
            "*::test_declared_by_attribute[[]declaring_wrong_sign_tanh-check_deterministic[]] PASSED*",
            "XFAIL *declaring_wrong_sign_tanh-check_backward_matches_finite_differences* - the sign is flipped",
        ],
        consecutive=False,
    )


def test_expected_failure_that_passes_fails_the_run(pytester):
    """An expected failure that passes is a strict XPASS: the test fails, so does the run."""
    pytester.makepyfile(
        test_inner=INNER_HEADER
        + """

class OverDeclaringTanh(Tanh):
    npnet_expected_failures = {
        "check_rows_independent": "claimed, but false",
        "check_registered_name_resolves": "registered nowhere",
    }


@parametrize_with_checks(
    [Tanh()],
    expected_failures={
        "check_deterministic": "claimed, but false",
        "check_registered_name_resolves": "registered nowhere",
    },
)
def test_by_argument(component, check):
    check(component)


@parametrize_with_checks([OverDeclaringTanh()])
def test_by_attribute(component, check):
    check(component)
"""
    )
    result = pytester.runpytest(*INNER_ARGS)
    result.assert_outcomes(passed=8 + 8, xfailed=2, failed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*::test_by_argument[[]reference_tanh-check_deterministic[]] FAILED*",
            "*::test_by_attribute[[]reference_tanh-check_rows_independent[]] FAILED*",
            "*[[]XPASS(strict)[]] claimed, but false*",
        ],
        consecutive=False,
    )


def test_expected_failures_function_under_pytest(pytester):
    """Under pytest, a function of expected failures xfails the configurations it names, and only those."""
    pytester.makepyfile(
        test_inner=INNER_HEADER
        + """

def flipped(component):
    if isinstance(component, WrongSignTanh):
        return {
            "check_backward_matches_finite_differences": "the sign is flipped",
            "check_registered_name_resolves": "registered nowhere",
        }
    return {"check_registered_name_resolves": "registered nowhere"}


@parametrize_with_checks([Tanh(), WrongSignTanh()], expected_failures=flipped)
def test_by_function(component, check):
    check(component)
"""
    )
    result = pytester.runpytest(*INNER_ARGS)
    result.assert_outcomes(passed=9 + 8, xfailed=1 + 2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*::test_by_function[[]reference_tanh-check_backward_matches_finite_differences[]] PASSED*",
            "*::test_by_function[[]wrong_sign_tanh-check_backward_matches_finite_differences[]] XFAIL*",
        ],
        consecutive=False,
    )


# ---------------------------------------------------------------------------
# the runner and npnet check


def report_of(component: Any) -> ComponentReport:
    return run_checks(component, kind_of(component), ComponentReport(component.name, kind_of(component), None, None))


def test_runner_reports_passed_failed_xfailed_and_xpassed():
    """Each outcome is recorded with its status, and the report is ok only without failed or xpassed."""

    class Mixed(WrongSignTanh):
        name = "mixed"
        npnet_expected_failures = {
            "check_backward_matches_finite_differences": "the sign is flipped",  # fails: xfailed
            "check_deterministic": "claimed, but false",  # passes: xpassed
        }

    report = report_of(Mixed())
    status = {outcome.check: outcome.status for outcome in report.outcomes}
    assert list(status) == [check.__name__ for check in checks_for(Mixed())]
    assert status["check_backward_matches_finite_differences"] == "xfailed"
    assert status["check_deterministic"] == "xpassed"
    assert status["check_registered_name_resolves"] == "failed"  # "mixed" is registered nowhere
    assert [report.count(s) for s in ("passed", "failed", "xfailed", "xpassed")] == [7, 1, 1, 1]
    assert not report.ok
    messages = {outcome.check: outcome.message for outcome in report.outcomes}
    assert messages["check_deterministic"] == "declared as an expected failure (claimed, but false) but passed"
    assert messages["check_backward_matches_finite_differences"].startswith(
        "mixed fails check_backward_matches_finite_differences: backward on shape (1, 1) differs"
    )
    assert messages["check_output_shapes"] == ""
    as_json = report.to_json()
    assert (as_json["passed"], as_json["failed"], as_json["xfailed"], as_json["xpassed"]) == (7, 1, 1, 1)
    json.dumps(as_json)  # serialisable as it stands


def test_runner_report_is_ok_when_only_declared_checks_fail():
    """xfailed outcomes alone keep the report ok."""

    class Declared(DeclaringWrongSignTanh):
        pass

    report = report_of(Declared())
    assert report.ok
    assert (report.count("passed"), report.count("xfailed")) == (8, 2)


def test_runner_records_a_crash_as_a_failure():
    """A check that raises something other than a violation is a failure with the exception's type."""

    class Crashing(GoodTanh):
        name = "crashing"
        npnet_expected_failures = {"check_registered_name_resolves": "registered nowhere"}

        def backward(self, z, a, grad_a):
            raise ValueError("backward is not implemented")

    report = report_of(Crashing())
    crashed = [o for o in report.outcomes if o.status == "failed"]
    assert crashed and all(o.message == "ValueError: backward is not implemented" for o in crashed)


def test_npnet_check_prints_a_table_of_every_installed_component(capsys):
    """npnet check: one row per component with its counts, a summary line, exit status 0."""
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["component", "kind", "provider", "version", "passed", "failed", "xfailed"]
    table_lines = lines[1 : lines.index("")]
    rows = {(line.split()[1], line.split()[0]): line.split() for line in table_lines}  # mse: a loss and a metric
    for kind, name, _ in OFFICIAL:
        component = get_registry().create(kind, name)[0]
        declared = len(expected_failures_of(component))
        assert rows[kind, name][-3:] == [str(len(checks_for(component)) - declared), "0", str(declared)]
    assert rows["optimizer", "adam"][2:4] == ["npnet-adam", "0.1.0"]
    needing = {"cosine", "exponential", "step"}  # schedules with a required parameter: shown, not checked
    assert {name for (_, name), row in rows.items() if row[-3:] == ["-", "-", "-"]} == needing
    assert re.search(
        r"^SKIPPED cosine \(schedule\): cosine needs the parameter total_steps; .*cosine:total_steps=VALUE$", out, re.M
    )
    summary = (
        rf"^{len(rows) - 3} of {len(rows) - 3} components pass the contract suite; 3 need parameters to be checked"
    )
    assert re.search(summary, out, re.MULTILINE)
    assert "FAILED" not in out


def test_npnet_check_of_a_named_component_that_needs_parameters_fails_and_says_how(capsys):
    """npnet check cosine checks nothing: exit status 1, with the command that would check it."""
    assert main(["check", "cosine"]) == 1
    assert "npnet check cosine:total_steps=VALUE" in capsys.readouterr().out


def test_npnet_check_takes_parameters_for_components_that_need_them(capsys):
    """npnet check cosine:total_steps=100 builds the schedule with them and runs its checks."""
    assert main(["check", "cosine:total_steps=100,warmup_steps=10", "step:step_size=5"]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"^cosine\(total_steps=100, warmup_steps=10\) +schedule +npnet-schedules +0\.1\.0 +4 +0 +0$", out, re.MULTILINE
    )
    assert re.search(r"^step\(step_size=5\) +schedule ", out, re.MULTILINE)
    assert "2 of 2 components pass the contract suite" in out and "SKIPPED" not in out


def test_npnet_check_one_component_as_json(capsys):
    """npnet check adam --json: a JSON object with adam's report and each check's outcome."""
    assert main(["check", "adam", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["plugin_failures"] == []
    reports = printed["components"]
    assert [r["name"] for r in reports] == ["adam"]
    (adam,) = reports
    assert adam["kind"] == "optimizer" and adam["provider"] == "npnet-adam" and adam["version"] == "0.1.0"
    assert (adam["passed"], adam["failed"], adam["xfailed"], adam["xpassed"]) == (10, 0, 0, 0)
    assert [c["check"] for c in adam["checks"]] == [check.__name__ for check in checks_for(Adam())]
    assert {c["status"] for c in adam["checks"]} == {"passed"}


def test_npnet_check_unknown_name_is_a_one_line_error(capsys):
    """npnet check nonexistent: exit status 1 and npnet's message on stderr, nothing on stdout."""
    assert main(["check", "nonexistent"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("npnet: error: no installed component is named 'nonexistent'")
    assert "Traceback" not in captured.err
    assert main(["check", "adma"]) == 1
    suggested = capsys.readouterr().err.partition("installed:")[0]
    assert re.search(r"did you mean 'adam\w*'( or 'adam\w*')*\?", suggested) and "'adam'" in suggested


def test_npnet_check_reports_a_broken_component_and_exits_1(monkeypatch, empty_registry, capsys):
    """A failing check: its row counts it, a FAILED paragraph gives the message, exit status 1."""
    empty_registry.register_plugin(
        _Plugin(activation={"good_tanh": GoodTanh, "wrong_sign_tanh": WrongSignTanh}),
        "gallery",
        distribution="npnet-gallery",
        version="9.9",
    )
    # stand in for the installed plugins: the default registry
    monkeypatch.setattr("npnet_core.components._registry._default", empty_registry)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^good_tanh +activation +npnet-gallery +9\.9 +10 +0 +0$", out, re.MULTILINE)
    assert re.search(r"^wrong_sign_tanh +activation +npnet-gallery +9\.9 +9 +1 +0$", out, re.MULTILINE)
    assert (
        "FAILED wrong_sign_tanh (activation) check_backward_matches_finite_differences:\n"
        "  wrong_sign_tanh fails check_backward_matches_finite_differences: backward on shape (1, 1)"
    ) in out
    assert "1 of 2 components pass the contract suite" in out


def test_npnet_check_runs_the_checks_of_schedules_regularizers_and_metrics(monkeypatch, empty_registry, capsys):
    """npnet check: one row per component of the new kinds, each with its kind's checks; a broken one fails."""
    empty_registry.register_plugin(
        _Plugin(
            schedule={"good_warmup_decay": GoodWarmupDecay},
            regularizer={"good_dropout": GoodDropout, "good_l2": GoodL2},
            metric={"good_accuracy": GoodAccuracy, "wrong_direction_log_loss": WrongDirectionLogLoss},
        ),
        "gallery",
        distribution="npnet-gallery",
        version="9.9",
    )
    monkeypatch.setattr("npnet_core.components._registry._default", empty_registry)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    for name, kind, passed, failed in [
        ("good_warmup_decay", "schedule", 4, 0),
        ("good_dropout", "regularizer", 7, 0),
        ("good_l2", "regularizer", 7, 0),
        ("good_accuracy", "metric", 6, 0),
        ("wrong_direction_log_loss", "metric", 5, 1),
    ]:
        assert re.search(rf"^{name} +{kind} +npnet-gallery +9\.9 +{passed} +{failed} +0$", out, re.MULTILINE), name
    assert (
        "FAILED wrong_direction_log_loss (metric) check_metric_perfect_prediction_best:\n"
        "  wrong_direction_log_loss fails check_metric_perfect_prediction_best: with 2 classes"
    ) in out
    assert "4 of 5 components pass the contract suite" in out


def test_npnet_check_fails_when_a_plugin_failed_to_load(monkeypatch, empty_registry, capsys):
    """A plugin that failed to load makes npnet check report it and exit 1, in text and JSON."""
    empty_registry.register_plugin(_Plugin(activation={"good_tanh": GoodTanh}), "gallery")
    failure = PluginFailure("broken", "npnet-broken", "1.0", ImportError("no module named 'gone'"))
    monkeypatch.setitem(empty_registry._failures, "broken", failure)
    monkeypatch.setattr("npnet_core.components._registry._default", empty_registry)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "FAILED plugin 'broken' from npnet-broken 1.0 failed to load: ImportError: no module named 'gone'" in out
    assert "1 of 1 components pass the contract suite\n1 plugin(s) failed to load" in out
    assert main(["check", "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["plugin_failures"] == [
        {
            "plugin": "broken",
            "distribution": "npnet-broken",
            "version": "1.0",
            "error": "ImportError: no module named 'gone'",
        }
    ]


def test_check_installed_looks_names_up_in_the_registry_it_is_given(empty_registry):
    """Components of the registry given to check_installed resolve their names in that registry."""
    empty_registry.register_plugin(_Plugin(activation={"good_tanh": GoodTanh}), "gallery")
    (report,) = check_installed(registry=empty_registry)
    assert report.ok, [o.message for o in report.outcomes if o.status == "failed"]


# ---------------------------------------------------------------------------
# the pytest11 fixtures


def test_pytest_plugin_fixtures_hold_the_official_components(npnet_registry, npnet_installed_components):
    """npnet_registry is the default registry; npnet_installed_components builds each entry."""
    assert npnet_registry is get_registry()
    built: Dict[Tuple[str, str], Any] = {(e.kind, e.name): c for e, c in npnet_installed_components}
    for kind, name, cls in OFFICIAL:
        assert type(built[(kind, name)]) is cls
    for entry, component in npnet_installed_components:
        assert kind_of(component) == entry.kind
