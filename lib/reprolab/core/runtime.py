"""Seeding, device and thread selection, timing: the run-time set-up every notebook does first."""

from __future__ import annotations

import os
import platform
import random
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Literal

import numpy as np
import torch

from ..dispatch import is_pinned

DeviceChoice = Literal["auto", "cpu", "cuda"]
DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def seed_everything(seed: int, deterministic: bool = True) -> np.random.Generator:
    """Seed Python's `random`, NumPy's global state and torch (CPU and CUDA) with `seed`.

    With `deterministic`, torch uses deterministic kernels where it has them (warning, not
    failing, where it has none). Returns a NumPy generator seeded with `seed`: pass it on
    explicitly instead of re-seeding later.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


def select_device(choice: str = "auto") -> torch.device:
    """`auto` -> cuda when a CUDA GPU is visible, else cpu; `cuda` without a GPU is an error."""
    if choice not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {choice!r}; allowed: {', '.join(DEVICE_CHOICES)}")
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but torch sees no CUDA GPU; use 'auto' or 'cpu'")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


def set_threads(n: int | None) -> int:
    """Set torch's intra-op CPU thread count (None keeps torch's default). Returns the count in use.

    On 2-core machines small models often run faster with 1 thread than 2 (contention);
    each notebook's profile records the faster setting, measured.
    """
    if n is not None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"threads must be a positive int or None, got {n!r}")
        torch.set_num_threads(n)
    return torch.get_num_threads()


@dataclass
class Runtime:
    """What `setup` chose: the seed, the device, the thread count and a NumPy generator."""

    seed: int
    device: torch.device
    threads: int
    rng: np.random.Generator = field(repr=False)


def setup(seed: int = 0, device: str = "auto", threads: int | None = None) -> Runtime:
    """Seed everything once, pick the device and the thread count (the first call of a notebook)."""
    rng = seed_everything(seed)
    dev = select_device(device)
    return Runtime(seed=seed, device=dev, threads=set_threads(threads), rng=rng)


class Timer:
    """Wall-clock timer in seconds: `with Timer() as t: ...; t.seconds`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> "Timer":
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def time_call(fn, repeat: int = 1, warmup: bool = False, cuda: bool = False) -> tuple[float, object]:
    """Mean wall time in seconds of `repeat` calls of `fn()` (after one untimed call if `warmup`), and the last result.
    cuda: wait for the GPU before starting and before stopping the clock (asynchronous kernel launches)."""
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if warmup:
        fn()
    sync()
    start = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    sync()
    return (time.perf_counter() - start) / repeat, out


def versions(*packages: str) -> dict[str, str]:
    """Python, platform, the CPU dispatch in use and installed versions of `packages` (`'not installed'` where
    absent). The dispatch reads `pinned AVX2` under `reprolab.dispatch`'s pin, else `native <capability>`."""
    found = {"python": platform.python_version(), "platform": platform.platform(terse=True),
             "cpu_dispatch": f"{'pinned' if is_pinned() else 'native'} {torch.backends.cpu.get_cpu_capability()}"}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
