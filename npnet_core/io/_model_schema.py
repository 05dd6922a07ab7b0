"""A model file's configuration: its JSON parsed with bounds, and checked completely against one schema.

:func:`parse_config` parses the JSON text with bounded numbers (no NaN or
infinity, no integer of more than 50 digits, no duplicate keys) and bounded
nesting (a ``RecursionError`` is refused, and so is any depth beyond
:data:`MAX_DEPTH`). :func:`config_problems` then checks every key: which
keys may appear, the type of each value, the ranges of numbers (layer sizes,
counts), the names, the shape of each component, the optimizer's plain
scalars and array names, the generator's state (through
:mod:`._rng_state`) and the history (finite numbers or null). Nothing is
built or allocated from a configuration before it passes.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any, Callable, Dict, List, Tuple

from ..kinds import ROLES
from ._rng_state import rng_state_problems, show

__all__ = ["DTYPES", "MAX_DEPTH", "MAX_LAYERS", "MAX_LAYER_SIZE", "config_problems", "count_params", "parse_config"]

#: The deepest nesting of JSON arrays and objects a configuration may have.
MAX_DEPTH = 16
#: The most layer sizes a configuration may list, and the largest size.
MAX_LAYERS = 10_000
MAX_LAYER_SIZE = 2**31 - 1
DTYPES = ("float32", "float64")
_MAX_INT = 2**63
_MAX_DIGITS = 50
_MAX_STRING = 10_000
#: optimizer state arrays: names that make a plain archive member name
_ARRAY_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}")
_NONE = type(None)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a model file holds")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:30]} overflows to infinity")
    return value


def _unique_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        repeated = sorted(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        raise ValueError(f"a JSON object repeats the keys {show(repeated)}")
    return found


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            level += 1
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            stack.extend((child, level) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_config(text: str) -> Any:
    """The JSON value of ``text``, bounded as the module says; raises ValueError saying what is wrong."""
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except RecursionError:
        raise ValueError(f"it nests arrays or objects deeper than {MAX_DEPTH} levels") from None
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"it nests arrays or objects deeper than {MAX_DEPTH} levels")
    return value


def count_params(layers: List[int]) -> int:
    """The number of parameters of ``layers``, in Python ints (no overflow)."""
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(layers[:-1], layers[1:]))


# -- the schema ------------------------------------------------------------------------


def _name(where: str) -> str:
    """A key's name in messages: ``'updates'`` at the top level, ``components['loss']['name']`` below."""
    return where if "[" in where else repr(where)


Check = Callable[[Any, str], List[str]]


def _typed(types: Tuple[type, ...], meaning: str) -> Check:
    """A value of one of ``types`` exactly (JSON true is not an integer here)."""
    names = {dict: "an object", list: "an array", str: "a string", int: "an integer", float: "a number", _NONE: "null"}
    expected = " or ".join(names[t] for t in types)

    def check(value: Any, where: str) -> List[str]:
        if type(value) not in types:
            return [f"{_name(where)} must be {expected}, {meaning} (got {show(value)})"]
        if isinstance(value, str) and len(value) > _MAX_STRING:
            return [f"{_name(where)} is a string of {len(value)} characters, more than {_MAX_STRING}"]
        return []

    return check


def _text(nullable: bool, meaning: str) -> Check:
    """A string without control characters (printed in tables and messages as it is), or null if ``nullable``."""
    typed = _typed((str, _NONE) if nullable else (str,), meaning)

    def check(value: Any, where: str) -> List[str]:
        problems = typed(value, where)
        if not problems and isinstance(value, str) and not value.isprintable():
            return [f"{_name(where)} must be printable text, {meaning} (got {show(value)}, with control characters)"]
        return problems

    return check


def _count(meaning: str, low: int = 0) -> Check:
    def check(value: Any, where: str) -> List[str]:
        if type(value) is not int:
            return [f"{_name(where)} must be an integer, {meaning} (got {show(value)})"]
        if value < low:
            return [f"{_name(where)} must be a count >= {low}, {meaning} (got {value})"]
        if value >= _MAX_INT:
            return [f"{_name(where)} must be below 2**63, {meaning} (got {show(value)})"]
        return []

    return check


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _is_scalar(value: Any) -> bool:
    """A plain JSON scalar: null, true/false, a finite number of at most 64 bits, a short string."""
    if type(value) is int:
        return -_MAX_INT <= value < _MAX_INT
    if type(value) is str:
        return len(value) <= _MAX_STRING
    return value is None or type(value) is bool or _is_number(value)


def _layers(value: Any, where: str) -> List[str]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_LAYERS:
        return [f"{_name(where)} must be an array of 2 to {MAX_LAYERS} layer sizes (got {show(value)})"]
    wrong = [v for v in value if type(v) is not int or not 1 <= v <= MAX_LAYER_SIZE]
    if wrong:
        return [
            f"each item of {_name(where)} must be an integer in [1, {MAX_LAYER_SIZE}], a layer size (got {show(wrong[0])})"
        ]
    return []


def _dtype(value: Any, where: str) -> List[str]:
    return (
        []
        if value in DTYPES and type(value) is str
        else [f"{_name(where)} must be one of {list(DTYPES)} (got {show(value)})"]
    )


def _component(value: Any, where: str) -> List[str]:
    """``{"name": ..., "params": {...}, "distribution": ..., "version": ...}``"""
    return _object(value, _COMPONENT, where)


def _role(role: str) -> Check:
    spec = ROLES[role]

    def check(value: Any, where: str) -> List[str]:
        if spec.many or (spec.per_layer and isinstance(value, list)):
            if not isinstance(value, list):
                return [f"{_name(where)} must be an array of components (got {show(value)})"]
            return [p for index, item in enumerate(value) for p in _component(item, f"{where}[{index}]")]
        return _component(value, where)

    return check


def _components(value: Any, where: str) -> List[str]:
    if not isinstance(value, dict):
        return [f"{_name(where)} must be an object, each role's component (got {show(value)})"]
    problems = [f"{_name(where)} has an unknown role {show(key)}" for key in value if key not in ROLES]
    for role, spec in ROLES.items():
        if role not in value:
            if not spec.optional:
                problems.append(f"{where}[{role!r}] is missing (the {spec.kind})")
            continue
        problems += _role(role)(value[role], f"{where}[{role!r}]")
    return problems


def _scalars(meaning: str) -> Check:
    def check(value: Any, where: str) -> List[str]:
        if not isinstance(value, dict):
            return [f"{_name(where)} must be an object, {meaning} (got {show(value)})"]
        return [
            f"{where}[{key!r}] must be a plain value (null, true/false, a finite number, a string), not {show(item)}"
            for key, item in value.items()
            if not _is_scalar(item)
        ]

    return check


def _array_names(value: Any, where: str) -> List[str]:
    if not isinstance(value, list) or len(value) > 100:
        return [
            f"{_name(where)} must be an array of at most 100 names, the optimizer's state arrays (got {show(value)})"
        ]
    problems = [
        f"each item of {_name(where)} must be a string of letters, digits, '_', '.' or '-', an array's name (got {show(v)})"
        for v in value
        if not isinstance(v, str) or not _ARRAY_KEY.fullmatch(v)
    ]
    if not problems and len(set(value)) != len(value):
        problems.append(f"{_name(where)} names an array more than once (got {show(value)})")
    return problems


def _history(value: Any, where: str) -> List[str]:
    if not isinstance(value, dict):
        return [f"{_name(where)} must be an object, the metrics per epoch (got {show(value)})"]
    problems = []
    for key, values in value.items():
        at = f"{where}[{key!r}]"
        if not isinstance(values, list):
            problems.append(f"{at} must be an array of numbers, one per epoch (got {show(values)})")
            continue
        nullable = key != "epoch_time"
        wrong = [v for v in values if not (_is_number(v) or (nullable and v is None))]
        if wrong:
            meaning = "finite numbers or null (an epoch without it)" if nullable else "finite numbers"
            problems.append(f"each item of {at} must be one of {meaning} (got {show(wrong[0])})")
    return problems


def _json(meaning: str) -> Check:
    """Any JSON object (its depth is bounded by :func:`parse_config`); its owner checks its content."""
    return _typed((dict,), meaning)


def _rng(value: Any, where: str) -> List[str]:
    return rng_state_problems(value)


#: Each key of an object: (required, check).
Schema = Dict[str, Tuple[bool, Check]]

_COMPONENT: Schema = {
    "name": (True, _text(False, "its registered name")),
    "params": (False, _json("its parameters")),
    "distribution": (False, _text(True, "the distribution that provided it")),
    "version": (False, _text(True, "that distribution's version")),
}

#: The configuration of a model file, beyond ``format`` and ``format_version`` (checked first).
_CONFIG: Schema = {
    "format": (True, _typed((str,), "the file format")),
    "format_version": (True, _count("the format version")),
    "npnet_core_version": (False, _text(False, "the npnet-core version that wrote it")),
    "layers": (True, _layers),
    "dtype": (True, _dtype),
    "n_params": (False, _count("the number of parameters")),
    "components": (True, _components),
    "optimizer_state": (False, _scalars("the optimizer's scalar state")),
    "optimizer_arrays": (False, _array_names),
    "rng": (True, _rng),
    "updates": (False, _count("the number of updates made (the schedule's step)")),
    "schedule_state": (False, _json("the schedule's state")),
    "history": (False, _history),
}


def _object(value: Any, schema: Schema, where: str) -> List[str]:
    """What ``value``, a JSON object found at ``where``, lacks, has too much or has of the wrong type."""
    if not isinstance(value, dict):
        return [f"{_name(where)} must be a JSON object (got {show(value)})"]
    problems = [f"{where or 'the configuration'} has an unknown key {show(key)}" for key in value if key not in schema]
    for key, (required, check) in schema.items():
        name = f"{where}[{key!r}]" if where else key
        if key in value:
            problems += check(value[key], name)
        elif required:
            problems.append(f"{_name(name)} is missing")
    return problems


def config_problems(config: Dict[str, Any]) -> List[str]:
    """Everything missing, unknown, of the wrong type or out of range in a configuration of the right format."""
    problems = _object(config, _CONFIG, "")
    if problems:
        return problems
    layers = config["layers"]
    n_params = count_params(layers)
    if "n_params" in config and config["n_params"] != n_params:
        problems.append(f"'n_params' is {config['n_params']}, but layers {show(layers)} have {n_params} parameters")
    hidden = config["components"]["hidden_activation"]
    if isinstance(hidden, list) and len(hidden) != len(layers) - 2:
        problems.append(
            f"components['hidden_activation'] lists {len(hidden)} activations for {len(layers) - 2} hidden layers"
        )
    clash = set(config.get("optimizer_arrays", [])) & set(config.get("optimizer_state", {}))
    if clash:
        problems.append(f"the optimizer's state names {sorted(clash)} both as arrays and as scalars")
    return problems
