"""Parameters, static memory, expert FLOPs and routing combinations, from configs alone (meta device)."""

from __future__ import annotations

from math import comb

import torch
from transformers import DeepseekV2Config

from .layer import CoESpec
from .model import build_coe_model

BYTES_PER_PARAM_ADAM_FP32 = 16  # fp32 weight + gradient + two Adam moments


def parameter_counts(config: DeepseekV2Config, spec: CoESpec) -> dict[str, int]:
    """Non-embedding parameters (over the decoder layers, as the paper counts) and the total,
    from a model built on the meta device (no memory is allocated)."""
    with torch.device("meta"):
        model = build_coe_model(config, spec)
    layers = sum(p.numel() for p in model.model.layers.parameters())
    return {"non_embedding": layers, "total": sum(p.numel() for p in model.parameters())}


def mebi(n: int) -> float:
    """A parameter count in units of 2^20, the paper's unit."""
    return n / 2**20


def static_memory_bytes(total_params: int) -> int:
    """Training memory that does not depend on the batch: 16 bytes per parameter (fp32 + Adam)."""
    return BYTES_PER_PARAM_ADAM_FP32 * total_params


def expert_ffn_calls(spec: CoESpec) -> dict[str, int]:
    """Expert FFN evaluations per token: routed (C * k) and shared (per iteration or once)."""
    shared = spec.n_shared * (spec.n_iter if spec.shared_each_iter else 1) if spec.n_shared else 0
    return {"routed": spec.n_iter * spec.k, "shared": shared}


def expert_flops_per_token(spec: CoESpec) -> int:
    """Forward multiply-adds x 2 of the expert FFNs for one token: 2 * 3 * H * width per call (the shared expert at
    its own width, I * n_shared unless `shared_intermediate` says otherwise)."""
    calls = expert_ffn_calls(spec)
    passes = calls["shared"] // spec.n_shared if spec.n_shared else 0
    shared_width = spec.shared_intermediate or spec.intermediate * spec.n_shared
    return 2 * 3 * spec.hidden * (spec.intermediate * calls["routed"] + shared_width * passes)


def combinations(n_routed: int, k_total: int, n_iter: int) -> dict[str, float]:
    """Expert combinations a token can take: MoE C(N, K) vs CoE-C C(N, K/C)^C, and their ratio."""
    if k_total % n_iter:
        raise ValueError(f"k_total ({k_total}) must be divisible by n_iter ({n_iter})")
    moe, coe = comb(n_routed, k_total), comb(n_routed, k_total // n_iter) ** n_iter
    return {"moe": float(moe), "coe": float(coe), "ratio": coe / moe}
