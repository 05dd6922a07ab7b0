"""One training system in its own process: JAX (jitted step, or the epoch under ``lax.scan``) or npnet.

JAX and NumPy's OpenBLAS each keep a pool of threads; in one process they
fight, and npnet was measured about ten times slower with JAX imported beside
it. So ``bench_training.py`` runs JAX here, in a child process, and npnet a
second time here too, in a child of its own, so that the two compare like with
like. The parent still takes every runner of a cell in rotating rounds: it
sends this process one command per line on its standard input and reads one
JSON line back per command:

    (argv: --serve SPEC, SPEC a JSON object: runner, folder, layers, batch, optimizer)
    -> {"ready": true, "cpu": ..., "versions": {...}}      after loading the data and building the model
    epoch    -> {"seconds": ..., "loss": ..., "update_path": ..., "cpu": ...}  one timed epoch
    accuracy -> {"accuracy": ..., "cpu": ...}              on the test arrays of the folder
    quit     -> {"cpu": ...}                               and the process ends

``cpu`` is this process's CPU time so far (all its threads), which the parent
counts as its own when it measures the load of other processes; ``update_path``
is npnet-adam's ``update_path`` after the epoch ("numba" or "numpy"), None for
the other runners. An error is
answered as ``{"error": traceback}``. The folder holds ``x.npy`` and ``y.npy``
(and ``x_test.npy``, ``y_test.npy`` for the accuracy), written by the parent.

Run by hand, it trains one warm-up and R timed epochs on synthetic data and
prints their times as JSON:

    python benchmarks/_jax_runner.py jax-scan --dtype float64 --batch 64 --n 10000 --epochs 5
    python benchmarks/_jax_runner.py npnet --layers 16 16 16 10   # tiny products: the fixed cost per step

(``--layers`` with a first width below 784 keeps that many of the synthetic
features.)

The JAX model is the same as the other peers': 784-256-128-10 dense layers
(weights uniform in +-1/sqrt(fan_in), biases 0), ReLU, softmax cross-entropy on
the logits (``optax.softmax_cross_entropy_with_integer_labels``), ``optax.adam(1e-3)``
(or ``optax.sgd(0.01, momentum=0.9)``), in the data's dtype (float64 turns on
``jax_enable_x64``). Each epoch draws a permutation of the samples with NumPy;

- **jax-step** then calls one ``jax.jit``-compiled step per batch (gathering the
  batch's rows from the device-resident data inside the step, parameters and
  optimizer state donated), Python looping over the batches;
- **jax-scan** calls one compiled function per epoch: it gathers the epoch in
  the permuted order, reshapes it into full batches, runs the steps under
  ``lax.scan``, and the last, smaller batch (when N is not a multiple of the
  batch size) as one more step in the same function.

Both see every sample once per epoch, as npnet does. The epoch's time ends when
the parameters are computed (``block_until_ready``); the warm-up epoch holds the
compilations.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

JAX_RUNNERS = ("jax-step", "jax-scan")


class JaxRunner:
    """A JAX/optax MLP trained by a jitted step per batch (``jax-step``) or a compiled epoch (``jax-scan``)."""

    def __init__(self, x, y, layers, batch, optimizer, *, name="jax-step"):
        import jax

        if x.dtype == np.float64:
            jax.config.update("jax_enable_x64", True)  # before any array is made
        import jax.numpy as jnp
        import optax

        self.jax, self.name, self.batch, self.n = jax, name, batch, len(x)
        rng = np.random.default_rng(0)
        params = []
        for fan_in, fan_out in zip(layers[:-1], layers[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            w = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(x.dtype)
            params.append((jnp.asarray(w), jnp.zeros(fan_out, dtype=x.dtype)))
        settings = c.OPTIMIZERS[optimizer]
        if optimizer == "adam":
            opt = optax.adam(settings["learning_rate"])
        else:
            opt = optax.sgd(settings["learning_rate"], momentum=settings["momentum"])
        self.params, self.state = params, opt.init(params)
        self.x, self.y = jnp.asarray(x), jnp.asarray(np.asarray(y, dtype=np.int32))
        self.order = np.random.default_rng(0)
        self.loss = math.nan

        def forward(params, xb):
            a = xb
            for w, b in params[:-1]:
                a = jax.nn.relu(a @ w + b)
            w, b = params[-1]
            return a @ w + b

        def loss_fn(params, xb, yb):
            return optax.softmax_cross_entropy_with_integer_labels(forward(params, xb), yb).mean()

        def step(params, state, xb, yb):
            loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
            updates, state = opt.update(grads, state, params)
            return optax.apply_updates(params, updates), state, loss

        def gathered_step(params, state, x, y, index):
            return step(params, state, x[index], y[index])

        full = (self.n // batch) * batch

        def whole_epoch(params, state, x, y, index):
            xs = x[index[:full]].reshape(full // batch, batch, x.shape[1])
            ys = y[index[:full]].reshape(full // batch, batch)

            def body(carry, xy):
                params, state, loss = step(*carry, *xy)
                return (params, state), loss

            (params, state), losses = jax.lax.scan(body, (params, state), (xs, ys))
            total = losses.sum() * batch
            if full < self.n:
                params, state, loss = step(params, state, x[index[full:]], y[index[full:]])
                total = total + loss * (self.n - full)
            return params, state, total / self.n

        self.step = jax.jit(gathered_step, donate_argnums=(0, 1))
        self.whole_epoch = jax.jit(whole_epoch, donate_argnums=(0, 1))
        self.forward = jax.jit(forward)

    def epoch(self) -> float:
        started = time.perf_counter()
        index = self.order.permutation(self.n).astype(np.int32)
        if self.name == "jax-scan":
            self.params, self.state, loss = self.whole_epoch(self.params, self.state, self.x, self.y, index)
        else:
            losses, sizes = [], []
            for start in range(0, self.n, self.batch):
                part = index[start : start + self.batch]
                self.params, self.state, batch_loss = self.step(self.params, self.state, self.x, self.y, part)
                losses.append(batch_loss)
                sizes.append(len(part))
            loss = np.dot(self.jax.device_get(losses), sizes) / self.n
        self.jax.block_until_ready(self.params)
        elapsed = time.perf_counter() - started
        self.loss = float(loss)
        return elapsed

    def accuracy(self, x, y) -> float:
        logits = np.asarray(self.forward(self.params, x.astype(np.dtype(self.x.dtype))))
        return float((logits.argmax(1) == y).mean())


def build(name, x, y, layers, batch, optimizer):
    """The runner called ``name``: a JAX one, or any of ``_common.RUNNERS`` (npnet among them)."""
    if name in JAX_RUNNERS:
        return JaxRunner(x, y, layers, batch, optimizer, name=name)
    return c.RUNNERS[name](x, y, layers, batch, optimizer)


def versions(name):
    out = {"numpy": np.__version__}
    if name in JAX_RUNNERS:
        import jax
        import jaxlib
        import optax

        out.update(jax=jax.__version__, jaxlib=jaxlib.__version__, optax=optax.__version__)
        out["jax_devices"] = [str(d) for d in jax.devices()]
    return out


def serve(spec):
    """Answer the parent's commands, one JSON line each, on the original standard output."""
    channel = sys.stdout
    sys.stdout = sys.stderr  # whatever the libraries print stays off the channel

    def answer(**message):
        message["cpu"] = time.process_time()
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    try:
        folder = Path(spec["folder"])
        x, y = np.load(folder / "x.npy"), np.load(folder / "y.npy")
        runner = build(spec["runner"], x, y, spec["layers"], spec["batch"], spec["optimizer"])
        answer(ready=True, versions=versions(spec["runner"]))
    except Exception:
        answer(error=traceback.format_exc())
        return
    for line in sys.stdin:
        command = line.strip()
        try:
            if command == "epoch":
                seconds = runner.epoch()
                answer(seconds=seconds, loss=runner.loss, update_path=getattr(runner, "update_path", None))
            elif command == "accuracy":
                answer(accuracy=runner.accuracy(np.load(folder / "x_test.npy"), np.load(folder / "y_test.npy")))
            elif command == "quit":
                answer()
                return
            else:
                answer(error=f"unknown command {command!r}: expected epoch, accuracy or quit")
        except Exception:
            answer(error=traceback.format_exc())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runner", nargs="?", default="jax-step", help="jax-step, jax-scan, npnet, torch, ...")
    parser.add_argument("--serve", metavar="SPEC", help="answer a parent's commands (the protocol above)")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs after one warm-up")
    parser.add_argument("--layers", type=int, nargs="+", default=c.LAYERS, help="widths, input first (at most 784)")
    args = parser.parse_args(argv)
    if args.serve:
        return serve(json.loads(args.serve))
    if not 1 <= args.layers[0] <= 784 or len(args.layers) < 2:
        parser.error(f"--layers needs an input width from 1 to 784 and at least one more width, not {args.layers}")
    x, y = c.synthetic(args.n)
    x = np.ascontiguousarray(x[:, : args.layers[0]], dtype=args.dtype)
    runner = build(args.runner, x, y, args.layers, args.batch, "adam")
    warmup = runner.epoch()
    times = [runner.epoch() for _ in range(args.epochs)]
    result = dict(runner=args.runner, layers=args.layers, dtype=args.dtype, batch=args.batch, n=args.n)
    result.update(warmup=warmup, times=times)
    result.update(median=c.summary(times)["median"], loss=runner.loss, update_path=getattr(runner, "update_path", None))
    print(json.dumps(dict(result, versions=versions(args.runner))))


if __name__ == "__main__":
    main()
