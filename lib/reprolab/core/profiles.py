"""Named parameter sets on a typed config dataclass, and validation of explicit overrides.

A paper package declares one config dataclass and a dict of named profiles, each a dict of
overrides on the dataclass defaults::

    @dataclass
    class TourConfig:
        steps: int = 300  # optimizer steps

    PROFILES = {"default": {}, "paper": {"steps": 20_000}}

`resolve(TourConfig, PROFILES, "paper", steps=500)` applies the profile, then the explicit
overrides, checks every name and type, and returns the config instance. Overrides whose value
is None are skipped: a notebook's knobs default to None, meaning "the profile's value".
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import types
import typing
from typing import Any, Literal, Mapping, TypeVar, Union

C = TypeVar("C")


class ProfileError(ValueError):
    """A profile name, parameter name or parameter value that the config does not allow."""


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return "None"
    if origin in (tuple, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        inner = _type_name(args[0]) if args else "any"
        return f"{origin.__name__} of {inner}"
    return getattr(annotation, "__name__", str(annotation))


def check_value(name: str, value: Any, annotation: Any) -> Any:
    """Return `value` if it fits `annotation` (ints widen to float, lists to tuples), else raise.

    Handles bool, int, float, str, None, `Literal[...]`, unions/Optional, `tuple[T, ...]`,
    `list[T]`; any other annotation accepts any value.
    """
    origin = typing.get_origin(annotation)
    if origin is Literal:
        allowed = typing.get_args(annotation)
        if value in allowed and type(value) in {type(a) for a in allowed}:
            return value
        raise ProfileError(
            f"parameter {name!r} got {value!r}; allowed: {', '.join(repr(a) for a in allowed)}"
        )
    if origin in (Union, types.UnionType):
        if isinstance(value, float) and not math.isfinite(value):
            raise ProfileError(f"parameter {name!r} must be a finite number, got {value!r}")
        for option in typing.get_args(annotation):
            try:
                return check_value(name, value, option)
            except ProfileError:
                continue
        raise ProfileError(f"parameter {name!r} expects {_type_name(annotation)}, got {value!r}")
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ProfileError(f"parameter {name!r} expects {_type_name(annotation)}, got {value!r}")
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        items = [check_value(f"{name}[{i}]", v, args[0]) if args else v for i, v in enumerate(value)]
        return origin(items)
    if annotation is type(None):
        if value is None:
            return None
    elif annotation is bool:
        if isinstance(value, bool):
            return value
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ProfileError(f"parameter {name!r} must be a finite number, got {value!r}")
            return float(value)
    elif annotation is str:
        if isinstance(value, str):
            return value
    else:
        return value
    raise ProfileError(f"parameter {name!r} expects {_type_name(annotation)}, got {value!r}")


RANGE_RULE = re.compile(r"^(?:(>=|>|<=|<)\s*(-?[\d.e+-]+)|([\[(])\s*(-?[\d.e+-]+)\s*,\s*(-?[\d.e+-]+)\s*([\])])|any)$")


def in_range(value: float, rule: str) -> bool:
    """Is the finite number `value` allowed by `rule`: '>=1', '>0', '<=5', '[0,1)', '(0,1]', ... or 'any'?"""
    match = RANGE_RULE.match(rule.replace(" ", ""))
    if match is None:
        raise ValueError(f"malformed range rule {rule!r}; write e.g. '>=1', '>0', '[0,1)' or 'any'")
    if not math.isfinite(value):
        return False
    op, bound, left, low, high, right = match.groups()
    if rule == "any":
        return True
    if op:
        bound = float(bound)
        return {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound}[op]
    low, high = float(low), float(high)
    return (value >= low if left == "[" else value > low) and (value <= high if right == "]" else value < high)


def check_ranges(config: Any) -> None:
    """Raise `ProfileError` naming the first field of the dataclass `config` whose value (or any element of a
    tuple value) lies outside its rule in the class's `RANGES` dict (field name -> rule, see `in_range`);
    None values and fields without a rule are skipped. Config classes call it first in `__post_init__`."""
    for name, rule in getattr(type(config), "RANGES", {}).items():
        value = getattr(config, name)
        items = value if isinstance(value, (tuple, list)) else (value,)
        for item in items:
            if item is None or isinstance(item, bool) or not isinstance(item, (int, float)):
                continue
            if not in_range(item, rule):
                shown = "a non-finite number" if not math.isfinite(item) else repr(value)
                raise ProfileError(f"parameter {name!r} got {shown}; allowed: {rule}")


def fields_of(config_cls: type) -> dict[str, Any]:
    """Field name -> resolved type annotation of a config dataclass."""
    if not dataclasses.is_dataclass(config_cls):
        raise TypeError(f"{config_cls!r} is not a dataclass")
    hints = typing.get_type_hints(config_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(config_cls) if f.init}


def check_overrides(config_cls: type, overrides: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check names and types of `overrides` against `config_cls`; return the checked values."""
    known = fields_of(config_cls)
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ProfileError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"in {where}; allowed: {', '.join(known)}"
        )
    return {k: check_value(k, v, known[k]) for k, v in overrides.items()}


OVERRIDES_ENV = "REPROLAB_OVERRIDES"  # JSON {field: value} applied last by every `resolve` (`reprolab run --set`)


def field_overrides(config_cls: type) -> dict[str, Any]:
    """The entries of `$REPROLAB_OVERRIDES` (a JSON object) that are fields of `config_cls`, None values included:
    how `reprolab run --set FIELD VALUE` (or a papermill user) reaches any config field, also those outside a
    notebook's parameters cell."""
    text = os.environ.get(OVERRIDES_ENV, "")
    if not text:
        return {}
    try:
        values = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProfileError(f"${OVERRIDES_ENV} must be a JSON object of field values, got {text[:60]!r}") from err
    if not isinstance(values, dict):
        raise ProfileError(f"${OVERRIDES_ENV} must be a JSON object of field values, got {text[:60]!r}")
    known = fields_of(config_cls)
    return {k: v for k, v in values.items() if k in known}


def resolve(
    config_cls: type[C], profiles: Mapping[str, Mapping[str, Any]], profile: str = "default", **overrides: Any
) -> C:
    """Build `config_cls` from the named profile, then the explicit `overrides` (None = keep), then the fields set
    in `$REPROLAB_OVERRIDES` (`field_overrides`; there None sets None)."""
    if profile not in profiles:
        raise ProfileError(f"unknown profile {profile!r}; allowed: {', '.join(profiles)}")
    values = check_overrides(config_cls, profiles[profile], f"profile {profile!r}")
    explicit = {k: v for k, v in overrides.items() if v is not None}
    values.update(check_overrides(config_cls, explicit, "the explicit parameters"))
    values.update(check_overrides(config_cls, field_overrides(config_cls), f"${OVERRIDES_ENV}"))
    try:
        return config_cls(**values)
    except ProfileError:  # a field outside its range: the message names it and what is allowed
        raise
    except (ValueError, TypeError) as err:  # __post_init__ checks of combinations
        raise ProfileError(f"{config_cls.__name__} rejected profile {profile!r} with {explicit}: {err}") from err


def parse_cli_value(text: str) -> Any:
    """Turn a command-line string into a Python value: JSON (numbers, true/false, null, lists) or str.

    `none`/`None` map to None, `True`/`False` to bools; anything that is not JSON stays a string.
    """
    aliases = {"none": None, "None": None, "True": True, "False": False}
    if text in aliases:
        return aliases[text]
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    if any(isinstance(v, float) and not math.isfinite(v) for v in (value if isinstance(value, list) else [value])):
        raise ProfileError(f"{text!r} is not a finite number; NaN, Infinity and overflowing values are refused")
    return value


def describe(config_cls: type, profiles: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per field: name, type, dataclass default and each profile's value."""
    rows = []
    for f in dataclasses.fields(config_cls):
        default = f.default if f.default is not dataclasses.MISSING else None
        row = {"name": f.name, "type": _type_name(fields_of(config_cls)[f.name]), "default": default}
        row.update({p: profiles[p].get(f.name, default) for p in profiles})
        rows.append(row)
    return rows
