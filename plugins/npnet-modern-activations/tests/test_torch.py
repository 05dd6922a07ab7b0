"""The activations against torch.nn.functional with the same parameters: values, and gradients by autograd.

Skipped when PyTorch is not installed.
"""

from __future__ import annotations

from typing import Any, Callable, List, Tuple

import numpy as np
import pytest
from npnet_modern_activations import ELU, GELU, LeakyReLU, SiLU, Softplus

torch = pytest.importorskip("torch")
F = torch.nn.functional

#: (our activation, the same function in torch.nn.functional)
PAIRS: List[Tuple[Any, Callable[[Any], Any]]] = [
    (LeakyReLU(), lambda t: F.leaky_relu(t)),
    (LeakyReLU(negative_slope=0.2), lambda t: F.leaky_relu(t, negative_slope=0.2)),
    (ELU(), lambda t: F.elu(t)),
    (ELU(alpha=0.5), lambda t: F.elu(t, alpha=0.5)),
    (GELU(), lambda t: F.gelu(t)),
    (GELU(approximate="tanh"), lambda t: F.gelu(t, approximate="tanh")),
    (SiLU(), lambda t: F.silu(t)),
    (Softplus(), lambda t: F.softplus(t)),
    (Softplus(beta=2.0, threshold=10.0), lambda t: F.softplus(t, beta=2.0, threshold=10.0)),
]
IDS = [repr(act) for act, _ in PAIRS]


def points(dtype: Any) -> np.ndarray:
    """Inputs in [-30, 30] (tails, both kinks, both softplus thresholds) as a (n, 4) batch."""
    rng = np.random.default_rng(7)
    z = np.concatenate(
        [
            rng.normal(size=400) * 3,
            rng.uniform(-30, 30, 400),
            np.linspace(-12, 12, 401)[:-1],  # includes 0 (the kinks), and 5, 10 (beta * z = threshold)
            [0.0, -0.0, 5.0, 5.0000001, 20.0, 20.000001, 10.0, -1000.0, 1000.0, 1e-30, -1e-30, 1e-9],
        ]
    )
    return z.astype(dtype).reshape(-1, 4)


def with_torch(function: Callable[[Any], Any], z: np.ndarray, g: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """torch's value at z, and the vector-Jacobian product with g from autograd."""
    tz = torch.tensor(z, requires_grad=True)
    out = function(tz)
    (grad,) = torch.autograd.grad(out, tz, grad_outputs=torch.tensor(g))
    return out.detach().numpy(), grad.numpy()


#: differences allowed, in units of the dtype's eps times max(1, |z|) for values, times |g| max(1, |z|) for
#: gradients (measured at most 1.3 and 3.1: rounding, and the ulps in which libm's exp, tanh, erf differ)
ALLOWED_EPS = {"value": 4.0, "gradient": 8.0}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act, function", PAIRS, ids=IDS)
def test_forward_and_backward_equal_torch(act, function, dtype) -> None:
    """forward equals torch's value, and backward(z, a, g) torch autograd's vector-Jacobian product with g."""
    z = points(dtype)
    g = np.random.default_rng(8).normal(size=z.shape).astype(dtype)
    expected, expected_grad = with_torch(function, z, g)
    a = act.forward(z)
    grad = act.backward(z, a, g)
    assert a.dtype == expected.dtype == dtype and grad.dtype == expected_grad.dtype == dtype
    eps = float(np.finfo(dtype).eps)
    scale = np.maximum(1.0, np.abs(z.astype(np.float64)))
    np.testing.assert_array_less(
        np.abs(a.astype(np.float64) - expected), ALLOWED_EPS["value"] * eps * scale + 1e-300, err_msg="forward"
    )
    np.testing.assert_array_less(
        np.abs(grad.astype(np.float64) - expected_grad),
        ALLOWED_EPS["gradient"] * eps * scale * np.abs(g) + 1e-300,
        err_msg="backward",
    )


def test_exact_gelu_equals_torch_to_float64_precision() -> None:
    """GELU(): within 2 eps * max(1, |z|) of torch's exact GELU, and the gradient within 4 eps * |g|.

    Where torch computes ``z * 0.5 * (1 + erf(z / sqrt 2))``, the left tail cancels
    (torch gives -0.0 at z = -10, where z * Phi(z) = -7.6e-23): those differences are
    below eps * |z| too.
    """
    z = np.concatenate([np.linspace(-40, 40, 8001), np.random.default_rng(9).normal(size=4000)])[:, None]
    g = np.random.default_rng(10).normal(size=z.shape)
    expected, expected_grad = with_torch(F.gelu, z, g)
    eps = np.finfo(np.float64).eps
    value_error = np.abs(GELU().forward(z) - expected) / (eps * np.maximum(1.0, np.abs(z)))
    grad_error = np.abs(GELU().backward(z, None, g) - expected_grad) / (eps * np.abs(g))
    assert value_error.max() <= 2.0 and grad_error.max() <= 4.0, (value_error.max(), grad_error.max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_default_is_the_exact_one_not_the_tanh_approximation(dtype) -> None:
    """At z = -1.5 the exact and tanh GELU of torch differ by 2e-4: ours match each, not the other."""
    z = np.array([[-1.5, 1.5]], dtype=dtype)
    exact = F.gelu(torch.tensor(z)).numpy()
    approximate = F.gelu(torch.tensor(z), approximate="tanh").numpy()
    assert np.abs(exact - approximate).max() > 1e-4
    np.testing.assert_allclose(GELU().forward(z), exact, rtol=1e-6)
    np.testing.assert_allclose(GELU(approximate="tanh").forward(z), approximate, rtol=1e-6)
