"""A seeded mutation fuzzer for npnet's file readers and command line, run by tests/test_fuzz.py.

Run as a script in a fresh interpreter (so that its memory limit and alarms touch nothing else)::

    python tests/_fuzz.py --seed 3 --count 200 --target model --memory-mib 1024 --workdir DIR

It writes valid seed files into ``DIR`` (a trained model, an article-style
parameter file, a CSV table, an ``.npz`` and an IDX data file), then, ``count``
times, mutates one (bit flips, byte insertions and deletions, truncation,
repeated chunks; for model files also changes of the JSON configuration: a
value replaced by one of another type, a key removed, deep nesting) and hands
it to the reader. Each input must end in one of two ways: the reader returns,
or it raises an :class:`npnet_core.NpnetError`. Anything else (another
exception, ``MemoryError`` under the address-space limit, more than
``--seconds-per-input``) is a finding. The mutated file must be byte-identical
after the read, and the folder must hold nothing new (no temporary files).

It prints one JSON object: the number of inputs per outcome and the findings
(the seed, the input's index, the reader, the exception), so that a finding is
reproduced by running the same seed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import resource
import signal
import struct
import sys
import traceback
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

import npnet_core
from npnet_core import NeuralNetwork, NpnetError
from npnet_core.cli import main as cli_main
from npnet_core.datasets import load_data

TARGETS = ("model", "params", "csv", "npz", "idx", "cli")


class InputTimeout(Exception):
    """An input took longer than its time budget."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise InputTimeout()


# -- seed files -------------------------------------------------------------------------------------


def make_seeds(folder: Path) -> Dict[str, Path]:
    """Valid files of every kind the fuzzer mutates."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    net = NeuralNetwork(
        [4, 6, 3], "relu", "softmax", "categorical_crossentropy", "adam", seed=0,
        regularizers=[("dropout", {"rate": 0.1})], schedule=("cosine", {"total_steps": 20}),
    )  # fmt: skip
    net.fit(x, y, 10, 2, categorical=True, verbose=0, validation_split=0.25)
    seeds = {"model": net.save(folder / "model.npz"), "params": net.save_params(folder / "params")}
    csv = folder / "table.csv"
    csv.write_text("a,b,c,d,label\n" + "".join(",".join(f"{v:.3f}" for v in row) + f",{t}\n" for row, t in zip(x, y)))
    seeds["csv"] = csv
    np.savez(folder / "data.npz", x=x, y=y)
    seeds["npz"] = folder / "data.npz"
    images = (rng.random((5, 3, 3)) * 255).astype(np.uint8)
    idx = folder / "images.idx"
    idx.write_bytes(struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">III", 5, 3, 3) + images.tobytes())
    seeds["idx"] = idx
    return seeds


# -- mutations --------------------------------------------------------------------------------------


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """One to four random byte-level mutations."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        if not buffer:
            buffer = bytearray(rng.randbytes(rng.randint(1, 64)))
        elif choice < 0.35:  # flip bits
            at = rng.randrange(len(buffer))
            buffer[at] ^= 1 << rng.randrange(8)
        elif choice < 0.5:  # a random byte
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
        elif choice < 0.6:  # insert bytes
            at = rng.randrange(len(buffer) + 1)
            buffer[at:at] = rng.randbytes(rng.randint(1, 16))
        elif choice < 0.7:  # delete a run
            at = rng.randrange(len(buffer))
            del buffer[at : at + rng.randint(1, 32)]
        elif choice < 0.8:  # truncate
            del buffer[rng.randrange(len(buffer)) :]
        elif choice < 0.9:  # repeat a chunk
            at = rng.randrange(len(buffer))
            buffer[at:at] = buffer[at : at + rng.randint(1, 64)] * rng.randint(2, 8)
        else:  # an interesting integer at a random place
            at = rng.randrange(max(1, len(buffer) - 8))
            value = rng.choice([0, 1, 2**31 - 1, 2**32 - 1, 2**63 - 1, 2**64 - 1, -1 & 0xFFFFFFFF])
            buffer[at : at + 8] = value.to_bytes(8, "little")
    return bytes(buffer)


_ODD_VALUES: List[Any] = [
    None, True, 0, -1, 1.5, 10**30, -(10**30), "", "relu", [], [1, 2], {}, {"a": 1}, [[[[]]]], 1e308, "NaN",
]  # fmt: skip


def _walk(value: Any, path: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    paths = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:8]):
            paths += _walk(item, (*path, index))
    return paths


def mutate_config(config: Dict[str, Any], rng: random.Random) -> Any:
    """The configuration with one value replaced, one key removed, or a deep nesting put in."""
    paths = [p for p in _walk(config) if p]
    path = rng.choice(paths)
    parent: Any = config
    for key in path[:-1]:
        parent = parent[key]
    choice = rng.random()
    if choice < 0.6:
        parent[path[-1]] = rng.choice(_ODD_VALUES)
    elif choice < 0.8 and isinstance(parent, dict):
        del parent[path[-1]]
    elif choice < 0.9:
        nested: Any = 0
        for _ in range(rng.choice([50, 5000, 100000])):
            nested = [nested]
        parent[path[-1]] = nested
    else:  # a layer size or a number far out of range
        parent[path[-1]] = rng.choice([10**9, 10**12, 2**63, -(2**63), 0])
    return config


def _rewrite_config(model: bytes, rng: random.Random) -> bytes:
    """The model archive with its JSON configuration mutated (the other members kept)."""
    source = zipfile.ZipFile(io.BytesIO(model))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "config.npy":
                text = str(np.load(io.BytesIO(data), allow_pickle=False))
                try:
                    changed = json.dumps(mutate_config(json.loads(text), rng))
                except RecursionError:  # json cannot write the deepest nesting: write it by hand
                    changed = text[:-1] + ', "deep": ' + "[" * 100000 + "]" * 100000 + "}"
                array = io.BytesIO()
                np.save(array, np.array(changed))
                data = array.getvalue()
            target.writestr(name, data)
    return out.getvalue()


def _add_member(model: bytes, rng: random.Random) -> bytes:
    """The archive with an extra member: a deflated run of zeros (a small zip bomb), or an odd name."""
    out = io.BytesIO(model)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as target:
        name = rng.choice(["extra.npy", "optimizer.zz.npy", "../evil.npy", "params.npy"])
        with contextlib.suppress(Exception):
            target.writestr(name, b"\0" * rng.choice([10, 10**6, 50 * 10**6]))
    return out.getvalue()


def mutated(target: str, seed: bytes, rng: random.Random) -> bytes:
    if target == "model":
        choice = rng.random()
        if choice < 0.45:
            return _rewrite_config(seed, rng)
        if choice < 0.55:
            return _add_member(seed, rng)
    return mutate_bytes(seed, rng)


# -- readers ------------------------------------------------------------------------------------------


def _cli(path: Path, rng: random.Random) -> None:
    """A command reading the mutated model, or npnet train with a mutated data file; exit status checked."""
    command = rng.choice(
        [
            ["info", str(path)],
            ["info", str(path), "--json"],
            ["evaluate", str(path)],
            ["train", "--data", str(path), "--epochs", "1", "--hidden", "4", "--quiet"],
        ]
    )
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = cli_main(command)
    text = err.getvalue()
    while text.startswith("npnet: warning:"):  # one line each (a model loaded without a training plugin)
        text = text.partition("\n")[2]
    if status != 0 and (not text.startswith("npnet: error:") or "Traceback" in text):
        raise AssertionError(f"npnet {' '.join(command)} exited {status} with {text[:300]!r}")


def readers(seeds: Dict[str, Path]) -> Dict[str, Callable[[Path, random.Random], Any]]:
    template = NeuralNetwork.load(seeds["model"])

    def params(path: Path, rng: random.Random) -> None:
        template.load_params(path)

    return {
        "model": lambda path, rng: NeuralNetwork.load(path),
        "params": params,
        "csv": lambda path, rng: load_data(path),
        "npz": lambda path, rng: load_data(path),
        "idx": lambda path, rng: npnet_core.datasets.read_idx(path),
        "cli": _cli,
    }


# -- the loop ---------------------------------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(seed: int, count: int, targets: List[str], folder: Path, seconds: float) -> Dict[str, Any]:
    seeds = make_seeds(folder)
    read = readers(seeds)
    originals = {name: path.read_bytes() for name, path in seeds.items()}
    rng = random.Random(seed)
    outcomes = {"returned": 0, "npnet_error": 0}
    findings: List[Dict[str, Any]] = []
    signal.signal(signal.SIGALRM, _on_alarm)
    for index in range(count):
        target = targets[index % len(targets)]
        source = rng.choice(["model", "csv", "npz"]) if target == "cli" else target
        path = folder / f"input-{index}{seeds[source].suffix}"
        path.write_bytes(mutated(source, originals[source], rng))
        before, listing = _digest(path), sorted(os.listdir(folder))
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            read[target](path, rng)
            outcomes["returned"] += 1
        except NpnetError:
            outcomes["npnet_error"] += 1
        except BaseException as exc:  # noqa: BLE001 - every other outcome is the finding
            if isinstance(exc, KeyboardInterrupt):
                raise
            findings.append(
                {
                    "seed": seed, "index": index, "target": target,
                    "error": f"{type(exc).__name__}: {str(exc)[:300]}",
                    "where": traceback.format_exc().splitlines()[-3:],
                }
            )  # fmt: skip
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if path.exists() and _digest(path) != before:
            findings.append({"seed": seed, "index": index, "target": target, "error": "the input file was changed"})
        left = sorted(set(os.listdir(folder)) - set(listing))
        if left:
            findings.append({"seed": seed, "index": index, "target": target, "error": f"left behind: {left}"})
        path.unlink(missing_ok=True)
    return {"outcomes": outcomes, "findings": findings}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--target", choices=TARGETS, action="append")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--memory-mib", type=int, default=0, help="address-space limit above the baseline")
    parser.add_argument("--seconds-per-input", type=float, default=10.0)
    args = parser.parse_args()
    if args.memory_mib:
        with open("/proc/self/statm") as statm:
            baseline = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = baseline + args.memory_mib * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    result = run(args.seed, args.count, args.target or list(TARGETS), args.workdir, args.seconds_per_input)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
