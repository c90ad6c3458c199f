"""Shared by the benchmarks: the machine's measured peak (written by bench_peak.py), the shares of it that the other
benchmarks report, and fair timing of alternatives (interleaved, medians).

FLOPs are counted by `torch.utils.flop_counter.FlopCounterMode` (matmuls and convolutions, forward and backward),
so a share of the GEMM peak is the share of the machine's dense-GEMM rate the counted work achieved.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

PEAK_FILE = Path(__file__).parent / "results" / "peak.json"


def measured_peak() -> dict:
    """The committed peak measurement: {"gemm_gflops": {"fp32 2 threads": ...}, "bandwidth_gbs": {...}, ...}."""
    if not PEAK_FILE.exists():
        raise FileNotFoundError(f"{PEAK_FILE.name} is missing: run benchmarks/bench_peak.py first")
    return json.loads(PEAK_FILE.read_text())


def counted_flops(fn: Callable[[], object]) -> int:
    """The matmul and convolution FLOPs of one call of `fn` (forward and, if it runs one, backward)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def gemm_share(flops: float, seconds: float, dtype: str = "fp32") -> float:
    """Achieved FLOP/s as a share of the measured `dtype` GEMM peak at the current torch thread count."""
    threads = torch.get_num_threads()
    key = f"{dtype} {threads} thread{'s' * (threads > 1)}"
    return flops / seconds / 1e9 / measured_peak()["gemm_gflops"][key]


def bandwidth_share(n_bytes: float, seconds: float) -> float:
    """Achieved bytes/s as a share of the measured copy bandwidth at the current torch thread count."""
    threads = torch.get_num_threads()
    return n_bytes / seconds / 1e9 / measured_peak()["bandwidth_gbs"][f"{threads} thread{'s' * (threads > 1)}"]["copy"]


def interleaved_medians(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time in seconds of each of `fns`, timed in turn (one warm-up call each, then `repeat` rounds of
    one call of every function), so that slow phases of a shared machine hit all alternatives alike."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}
