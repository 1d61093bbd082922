"""Records to JSON and back, checked on the way in: what names a wrong key names it."""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Callable
from typing import Any, Literal


def to_json(value: Any) -> Any:
    """``value`` as JSON-serialisable dicts, lists and numbers: records become dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def from_json(kind: Any, value: Any, where: str) -> Any:
    """Convert ``value`` (parsed JSON) to the type ``kind``, checking it on the way."""
    origin = typing.get_origin(kind)
    if kind is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        (option,) = [o for o in options if o is not type(None)]
        return from_json(option, value, where)
    if origin is Literal:
        if value not in typing.get_args(kind):
            raise ValueError(f"{where} must be one of {typing.get_args(kind)}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list, got {value!r}")
        item = typing.get_args(kind)[0]
        return origin(from_json(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"{where} must be a dict with str keys, got {value!r}")
        item = typing.get_args(kind)[1]
        return {k: from_json(item, v, f"{where}[{k!r}]") for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return record_from_json(kind, value, where)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{where} must be one of {[m.value for m in kind]}, "
                             f"got {value!r}") from None
    checks: dict[Any, Callable[[Any], bool]] = {
        bool: lambda v: isinstance(v, bool),
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
        and math.isfinite(v),
        str: lambda v: isinstance(v, str),
    }
    if kind not in checks:  # pragma: no cover - a field of a type the report does not use
        raise TypeError(f"{where}: cannot read a {kind!r}")
    if not checks[kind](value):
        raise ValueError(f"{where} must be a {kind.__name__}, got {value!r}")
    return float(value) if kind is float else value


def record_from_json(kind: Any, value: Any, where: str) -> Any:
    """Build the record (dataclass) ``kind`` from a dict, checking every key."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a dict, got {type(value).__name__}")
    hints = typing.get_type_hints(kind)
    names = [f.name for f in dataclasses.fields(kind)]
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}")
    missing = [n for n in names if n not in value]
    if missing:
        raise ValueError(f"{where} lacks the key {missing[0]!r}")
    fields = {n: from_json(hints[n], value[n], f"{where}[{n!r}]") for n in names}
    return kind(**fields)


# --------------------------------------------------------------------------- measuring
