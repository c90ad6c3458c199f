"""What this CPU can do: dense GEMM throughput (fp32, bf16; 1 and 2 threads) and memory bandwidth.

The other benchmarks report achieved FLOP/s and bytes/s as a share of these measured peaks (as nanoGPT's
`estimate_mfu` reports against an A100's datasheet peak, but measured on this machine, in this run).
Writes `benchmarks/results/peak.json` with the machine description and the CPU dispatch in use (benchmarks run
on the machine's native kernels unless the pin of `reprolab.dispatch` is in the environment).

Run: .venv/bin/python benchmarks/bench_peak.py   (about half a minute on 2 cores)
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import torch

from reprolab.core.runtime import time_call
from reprolab.dispatch import dispatch_state


def best_seconds(fn) -> float:
    """Mean wall time of 5 calls after one warm-up call, in seconds."""
    return time_call(fn, repeat=5, warmup=True)[0]


def gemm_gflops(n: int, dtype: torch.dtype, threads: int) -> float:
    """2 n^3 / t for an (n, n) @ (n, n) matmul in `dtype` with `threads` intra-op threads."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n**3 / best_seconds(lambda: torch.mm(a, b)) / 1e9


def bandwidth_gbs(n_bytes: int, threads: int) -> dict[str, float]:
    """Copy (read + write) and add (2 reads + 1 write) bandwidth over float32 arrays of `n_bytes`, in GB/s."""
    torch.set_num_threads(threads)
    n = n_bytes // 4
    x, y, out = torch.randn(n), torch.randn(n), torch.empty(n)
    copy = 2 * n_bytes / best_seconds(lambda: out.copy_(x)) / 1e9
    add = 3 * n_bytes / best_seconds(lambda: torch.add(x, y, out=out)) / 1e9
    return {"copy": copy, "add": add}


def main() -> None:
    machine = {"machine": platform.machine(), "cores": os.cpu_count(), "torch": torch.__version__,
               "dispatch": dispatch_state()}
    print(f"machine: {machine['machine']}, {machine['cores']} cores, torch {machine['torch']}, "
          f"{'pinned' if machine['dispatch']['pinned'] else 'native'} dispatch "
          f"({machine['dispatch'].get('torch_cpu_capability')}), CPU {machine['dispatch']['cpu']}")
    gemm = {f"{name} {t} thread{'s' * (t > 1)}": gemm_gflops(2048, dtype, t)
            for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)) for t in (1, 2)}
    for key, value in gemm.items():
        print(f"GEMM 2048^2 {key}: {value:7.1f} GFLOP/s")
    memory = {f"{t} thread{'s' * (t > 1)}": bandwidth_gbs(256 << 20, t) for t in (1, 2)}
    for key, value in memory.items():
        print(f"memory, 256 MiB arrays, {key}: copy {value['copy']:5.1f} GB/s, add {value['add']:5.1f} GB/s")
    out = Path(__file__).parent / "results" / "peak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "gemm_gflops": gemm, "bandwidth_gbs": memory}, indent=1))
    print(f"written to {out.relative_to(Path(__file__).parent.parent)}")


if __name__ == "__main__":
    main()
