"""A random generator's saved state, checked against the bit generator's own invariants before NumPy sees it.

NumPy's ``bit_generator.state`` setter copies what it is given into C
structures with few checks: an MT19937 position outside ``[0, 624]`` or a
Philox buffer position outside ``[0, 4]`` makes the next draw read outside
the state (a crash, or silently wrong numbers). So each bit generator's
state is described here, key by key, with the type and range of every
value, as NumPy's ``state`` getter gives them; a state that differs in any
way is refused, and the state NumPy holds afterwards must read back equal.
"""

from __future__ import annotations

import reprlib
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

__all__ = ["BIT_GENERATORS", "make_generator", "rng_state_problems", "show"]

_UINT32 = 2**32
_UINT64 = 2**64
_UINT128 = 2**128


def _int_in(low: int, high: int) -> Callable[[Any], bool]:
    """An integer in ``[low, high)`` (JSON true and false are not integers)."""
    return lambda value: type(value) is int and low <= value < high


def _ints(length: int, high: int) -> Callable[[Any], bool]:
    """A list of ``length`` integers in ``[0, high)``."""
    valid = _int_in(0, high)
    return lambda value: isinstance(value, list) and len(value) == length and all(valid(v) for v in value)


def _odd_below(high: int) -> Callable[[Any], bool]:
    valid = _int_in(0, high)
    return lambda value: valid(value) and value % 2 == 1


#: What each key holds: a check, and its description for messages.
_Spec = Dict[str, Tuple[Callable[[Any], bool], str]]

_SPARE = {  # the 32-bit half kept from a 64-bit draw
    "has_uint32": (_int_in(0, 2), "0 or 1"),
    "uinteger": (_int_in(0, _UINT32), "an integer in [0, 2**32)"),
}
_PCG: Tuple[_Spec, _Spec] = (
    _SPARE,
    {
        "state": (_int_in(0, _UINT128), "an integer in [0, 2**128)"),
        "inc": (_odd_below(_UINT128), "an odd integer in [0, 2**128)"),
    },
)

#: Each bit generator's outer keys (besides ``bit_generator`` and ``state``) and the keys of its ``state``.
BIT_GENERATORS: Dict[str, Tuple[_Spec, _Spec]] = {
    "PCG64": _PCG,
    "PCG64DXSM": _PCG,
    "MT19937": (
        {},
        {
            "key": (_ints(624, _UINT32), "a list of 624 integers in [0, 2**32)"),
            "pos": (_int_in(0, 625), "an integer in [0, 624]"),
        },
    ),
    "Philox": (
        {
            "buffer": (_ints(4, _UINT64), "a list of 4 integers in [0, 2**64)"),
            "buffer_pos": (_int_in(0, 5), "an integer in [0, 4]"),
            **_SPARE,
        },
        {
            "counter": (_ints(4, _UINT64), "a list of 4 integers in [0, 2**64)"),
            "key": (_ints(2, _UINT64), "a list of 2 integers in [0, 2**64)"),
        },
    ),
    "SFC64": (_SPARE, {"state": (_ints(4, _UINT64), "a list of 4 integers in [0, 2**64)")}),
}


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def show(value: Any) -> str:
    """``repr(value)`` cut short (a file's value may be huge): for messages."""
    return _REPR.repr(value)


def _keys_problems(value: Any, spec: _Spec, extra: Tuple[str, ...], where: str) -> List[str]:
    if not isinstance(value, dict):
        return [f"{where} must be a JSON object (got {show(value)})"]
    expected = set(spec) | set(extra)
    problems = []
    if set(value) != expected:
        problems.append(f"{where} must have exactly the keys {sorted(expected)} (got {sorted(map(str, value))[:10]})")
    for key, (valid, meaning) in spec.items():
        if key in value and not valid(value[key]):
            problems.append(f"{where}[{key!r}] must be {meaning} (got {show(value[key])})")
    return problems


def rng_state_problems(state: Any) -> List[str]:
    """What is wrong with a saved generator state (empty: NumPy may be given it)."""
    where = "rng"
    if not isinstance(state, dict):
        return [f"{where} must be a JSON object, the random generator's state (got {show(state)})"]
    name = state.get("bit_generator")
    if not isinstance(name, str) or name not in BIT_GENERATORS:
        return [
            f"{where}['bit_generator'] must be one of {sorted(BIT_GENERATORS)}: unknown random bit generator {show(name)}"
        ]
    outer, inner = BIT_GENERATORS[name]
    problems = _keys_problems(state, outer, ("bit_generator", "state"), where)
    if "state" in state:
        problems += _keys_problems(state["state"], inner, (), f"{where}['state']")
    if name == "MT19937" and not problems:
        key = state["state"]["key"]
        if not key[0] & 0x80000000 and not any(key[1:]):
            problems.append(f"{where}: an MT19937 key with only zeros in its state bits gives only zeros")
    return problems


def _array(value: Any, dtype: Any) -> Any:
    return np.array(value, dtype=dtype) if isinstance(value, list) else value


def _converted(state: Dict[str, Any], dtype: Any) -> Dict[str, Any]:
    return {
        key: {k: _array(v, dtype) for k, v in value.items()} if isinstance(value, dict) else _array(value, dtype)
        for key, value in state.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    return int(value) if isinstance(value, np.integer) else value


def make_generator(state: Dict[str, Any]) -> np.random.Generator:
    """A Generator in ``state``, which :func:`rng_state_problems` has passed; raises ValueError if NumPy disagrees."""
    name = state["bit_generator"]
    bit_generator = getattr(np.random, name)()
    bit_generator.state = _converted(state, np.uint32 if name == "MT19937" else np.uint64)
    if _plain(bit_generator.state) != state:
        raise ValueError(f"NumPy's {name} holds another state than the one given")
    return np.random.Generator(bit_generator)
