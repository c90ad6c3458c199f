"""CoE layer forward + backward: padded batched-matmul dispatch vs the official per-expert mask loop (the baseline),
and vs the ideal: only the expert GEMMs (dense matmuls of T k routed rows plus T rows per shared expert, forward and
backward, for each of the layer's iterations), whose FLOPs also give the share of the measured fp32 GEMM peak (bench_peak.py).

Same layer, weights and inputs, at three shapes: a mid-size layer, the notebook's tiny layer and a
fine-grained one (63 narrow experts, the paper's expert count).
Run: .venv/bin/python benchmarks/bench_coe.py   (about 30 s on 2 cores)
"""

from __future__ import annotations

import os
import platform
import time

import torch

from measure import gemm_share
from reprolab.chain_of_experts import ChainOfExpertsMoE, CoESpec


def step_seconds(layer: ChainOfExpertsMoE, u: torch.Tensor, repeat: int = 5) -> float:
    """Best time of one forward + backward, in seconds."""
    best = float("inf")
    for _ in range(repeat + 1):
        start = time.perf_counter()
        layer(u).sum().backward()
        best = min(best, time.perf_counter() - start)
        layer.zero_grad()
    return best


def main() -> None:
    torch.manual_seed(0)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads")
    for hidden, n_routed, intermediate, k, tokens in [(128, 32, 96, 4, 4096), (64, 15, 48, 2, 2048), (32, 63, 16, 4, 2048)]:
        layer = ChainOfExpertsMoE(CoESpec(hidden=hidden, n_routed=n_routed, intermediate=intermediate, k=k, n_iter=2))
        compare(layer, torch.randn(tokens // 128, 128, hidden), f"H={hidden}, {n_routed} experts, I={intermediate}, k={k}, {tokens} tokens")


def ideal_seconds(spec: CoESpec, tokens: int) -> tuple[float, float]:
    """(seconds, FLOPs) of the expert GEMMs alone: per iteration (n, H) @ (H, 2I) and (n, I) @ (I, H) forward with
    n = T (k + shared experts) rows, twice that backward (input and weight gradients)."""
    n = tokens * (spec.k + spec.n_shared)
    h, act = torch.randn(n, spec.hidden), torch.randn(n, spec.intermediate)
    w1, w2 = torch.randn(spec.hidden, 2 * spec.intermediate), torch.randn(spec.intermediate, spec.hidden)
    best = float("inf")
    for _ in range(6):
        start = time.perf_counter()
        h @ w1, act @ w2
        best = min(best, time.perf_counter() - start)
    return 3 * spec.n_iter * best, 3 * spec.n_iter * 6 * n * spec.hidden * spec.intermediate


def compare(layer: ChainOfExpertsMoE, u: torch.Tensor, label: str) -> None:
    padded = step_seconds(layer, u)
    bank = layer.experts
    bank.forward = bank.forward_naive  # the baseline: the official loop over all experts with boolean masks
    naive = step_seconds(layer, u)
    bank.forward = type(bank).forward.__get__(bank)
    ideal, flops = ideal_seconds(layer.spec, u.shape[0] * u.shape[1])
    print(f"CoE-2 layer, {label}, forward + backward: padded dispatch {padded * 1e3:.1f} ms, "
          f"mask loop {naive * 1e3:.1f} ms, ratio {naive / padded:.1f}x; ideal (the expert GEMMs alone) "
          f"{ideal * 1e3:.1f} ms, padded = {padded / ideal:.1f}x the ideal, {gemm_share(flops, padded):.0%} of the "
          f"fp32 GEMM peak in expert FLOPs")


if __name__ == "__main__":
    main()
