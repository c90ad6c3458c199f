"""The package lock: exact pins, the same in requirements-lock.txt and environment.yml, and met by this install."""

from __future__ import annotations

from importlib import metadata

from reprolab.core import project_root
from reprolab.lockfile import environment_yml, read_pins


def test_environment_yml_is_written_from_the_lock():
    root = project_root()
    pins = read_pins(root / "requirements-lock.txt")
    assert any(p.lower().startswith("transformers==") for p in pins) and any(p.startswith("torch==") for p in pins)
    assert (root / "environment.yml").read_text() == environment_yml(pins)


def test_installed_versions_are_the_locked_ones():
    pins = dict(p.split("==") for p in read_pins(project_root() / "requirements-lock.txt"))
    for name in ("transformers", "peft", "numpy", "scipy", "accelerate", "torch"):
        locked = next(v for k, v in pins.items() if k.lower() == name)
        assert metadata.version(name).split("+")[0] == locked, name
