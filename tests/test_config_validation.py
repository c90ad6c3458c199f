"""The config validation table: every numeric field of every paper's config has a declared range, and a wrong type,
a value just outside the range, NaN and +-inf are each refused by `resolve` with one line naming the field and what
is allowed, before any work (resolve only builds the dataclass)."""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing

import pytest

from reprolab.catalog import NOTEBOOKS
from reprolab.core.profiles import RANGE_RULE, ProfileError, resolve

CONFIGS = {nb.id: nb.load() for nb in NOTEBOOKS.values()}


def numeric_kind(annotation) -> tuple[type, bool] | None:
    """(int or float, is_tuple) for int/float fields, optional or tuple-valued ones too; None otherwise."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return numeric_kind(args[0]) if len(args) == 1 else None
    if origin in (tuple, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        inner = numeric_kind(args[0]) if args else None
        return (inner[0], True) if inner else None
    return (annotation, False) if annotation in (int, float) else None


def numeric_fields(config_cls) -> dict[str, tuple[type, bool]]:
    hints = typing.get_type_hints(config_cls)
    return {f.name: kind for f in dataclasses.fields(config_cls) if (kind := numeric_kind(hints[f.name]))}


def outside(rule: str, kind: type):
    """A value just outside `rule` (None for 'any')."""
    op, bound, left, low, high, right = RANGE_RULE.match(rule).groups()
    step = 1 if kind is int else 1e-9
    if rule == "any":
        return None
    if op:
        b = float(bound)
        value = {">=": b - step, ">": b, "<=": b + step, "<": b}[op]
    else:
        value = float(low) - step if left == "[" else float(low)
    return int(value) if kind is int else value


CASES = [(nb, name, kind, seq) for nb, (cls, _) in CONFIGS.items() for name, (kind, seq) in numeric_fields(cls).items()]


@pytest.mark.parametrize("nb", sorted(CONFIGS))
def test_every_numeric_field_declares_its_range(nb):
    cls, _ = CONFIGS[nb]
    missing = sorted(set(numeric_fields(cls)) - set(cls.RANGES))
    assert not missing, f"{cls.__name__}: numeric fields without a RANGES entry: {missing}"
    assert all(RANGE_RULE.match(r) for r in cls.RANGES.values())


@pytest.mark.parametrize("nb, name, kind, seq", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_bad_values_fail_at_once_naming_the_field(nb, name, kind, seq):
    cls, profiles = CONFIGS[nb]
    wrap = (lambda v: (v,)) if seq else (lambda v: v)  # noqa: E731
    bad_values = [wrap("not a number")]
    if kind is float:
        bad_values += [wrap(math.nan), wrap(math.inf), wrap(-math.inf)]
    below = outside(cls.RANGES[name], kind)
    if below is not None:
        bad_values.append(wrap(below))
    for bad in bad_values:
        with pytest.raises(ProfileError) as err:
            resolve(cls, profiles, "default", **{name: bad})
        message = str(err.value)
        assert re.search(rf"'{name}(\[\d+\])?'", message) and "\n" not in message, message
        if bad is not bad_values[0]:
            assert "allowed" in message or "finite" in message, message


@pytest.mark.parametrize("nb", sorted(CONFIGS))
def test_every_profile_value_is_inside_its_range(nb):
    cls, profiles = CONFIGS[nb]
    for profile in profiles:
        try:
            resolve(cls, profiles, profile)
        except ProfileError as err:  # a paper profile may need a local file; never a range violation
            assert "allowed:" not in str(err) and "needs" in str(err), str(err)
