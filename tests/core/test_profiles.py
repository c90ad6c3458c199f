from dataclasses import dataclass
from typing import Literal

import pytest

from reprolab.core.profiles import ProfileError, check_value, describe, parse_cli_value, resolve


@dataclass
class Cfg:
    steps: int = 10  # steps
    lr: float = 1e-3  # learning rate
    mode: Literal["a", "b"] = "a"  # a choice
    clip: float | None = None  # optional
    sizes: tuple[int, ...] = (1, 2)  # a tuple
    verbose: bool = False

    def __post_init__(self):
        if self.steps < 1:
            raise ValueError("steps must be positive")


PROFILES = {"default": {}, "paper": {"steps": 1000, "mode": "b"}}


def test_profile_then_overrides():
    cfg = resolve(Cfg, PROFILES, "paper", lr=1, sizes=[3, 4])
    assert (cfg.steps, cfg.mode, cfg.lr, cfg.sizes) == (1000, "b", 1.0, (3, 4))
    assert isinstance(cfg.lr, float)


def test_none_override_keeps_profile_value():
    assert resolve(Cfg, PROFILES, "paper", steps=None).steps == 1000


def test_unknown_profile_lists_allowed():
    with pytest.raises(ProfileError, match=r"unknown profile 'papr'; allowed: default, paper"):
        resolve(Cfg, PROFILES, "papr")


def test_unknown_key_lists_allowed():
    with pytest.raises(ProfileError, match=r"unknown parameter 'stepz'.*allowed: steps, lr, mode"):
        resolve(Cfg, PROFILES, stepz=3)


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("steps", "banana", r"'steps' expects int, got 'banana'"),
        ("steps", 2.5, r"'steps' expects int"),
        ("steps", True, r"'steps' expects int"),
        ("mode", "c", r"'mode' got 'c'; allowed: 'a', 'b'"),
        ("verbose", 1, r"'verbose' expects bool"),
        ("sizes", [1, "x"], r"'sizes\[1\]' expects int"),
        ("clip", "x", r"'clip' expects float or None"),
    ],
)
def test_wrong_types_fail_clearly(key, value, message):
    with pytest.raises(ProfileError, match=message):
        resolve(Cfg, PROFILES, **{key: value})


def test_post_init_rejection_is_a_profile_error():
    with pytest.raises(ProfileError, match="steps must be positive"):
        resolve(Cfg, PROFILES, steps=0)


def test_bad_profile_entry_is_caught():
    with pytest.raises(ProfileError, match="in profile 'bad'"):
        resolve(Cfg, {"bad": {"nope": 1}}, "bad")


def test_check_value_widens_int_to_float():
    assert check_value("x", 3, float) == 3.0


@pytest.mark.parametrize(
    "text,value", [("3", 3), ("2.5", 2.5), ("true", True), ("False", False), ("none", None), ("[1, 2]", [1, 2]), ("cosine", "cosine")]
)
def test_parse_cli_value(text, value):
    assert parse_cli_value(text) == value


def test_describe_lists_profiles():
    rows = {r["name"]: r for r in describe(Cfg, PROFILES)}
    assert rows["steps"]["paper"] == 1000 and rows["steps"]["default"] == 10
    assert rows["mode"]["type"] == "one of 'a', 'b'"
