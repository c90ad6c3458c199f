"""A bank of SwiGLU experts with vectorised top-k dispatch (no Python loop over experts)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ExpertBank(nn.Module):
    """E SwiGLU experts E_i(x) = W_down (SiLU(W_gate x) * (W_up x)), stored as 3-D tensors.

    Layout of transformers' DeepseekV2Experts: `gate_up_proj` (E, 2I, H) with gate rows first,
    `down_proj` (E, H, I); real DeepSeek-V2(-Lite) expert weights load unchanged.
    """

    def __init__(self, n_experts: int, hidden: int, intermediate: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.n_experts, self.intermediate = n_experts, intermediate
        self.gate_up_proj = nn.Parameter(torch.empty(n_experts, 2 * intermediate, hidden).normal_(0, init_std))
        self.down_proj = nn.Parameter(torch.empty(n_experts, hidden, intermediate).normal_(0, init_std))

    def forward(self, x: torch.Tensor, indices: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """sum_j weights[t, j] * E_{indices[t, j]}(x[t]); x (T, H), indices/weights (T, k) -> (T, H).

        Dispatch: sort the T*k (token, slot) pairs by expert, place them in a padded
        (E, capacity, H) buffer, run two batched matmuls, and scatter-add back. Dropless; a fixed
        handful of ops whatever E is (benchmarks/bench_coe.py: 1.5-4.8x faster than a mask loop on 2 CPU cores).
        """
        t, k = indices.shape
        flat = indices.reshape(-1)  # (T*k,)
        order = torch.argsort(flat, stable=True)
        expert = flat[order]  # (T*k,) sorted expert ids
        token = order // k  # token of each sorted slot
        counts = torch.bincount(flat, minlength=self.n_experts)  # (E,)
        starts = torch.cumsum(counts, 0) - counts
        position = torch.arange(t * k, device=x.device) - starts[expert]  # slot within its expert
        capacity = int(counts.max())
        buffer = x.new_zeros(self.n_experts, capacity, x.shape[-1])  # (E, C, H)
        buffer[expert, position] = x[token]
        gate, up = torch.bmm(buffer, self.gate_up_proj.transpose(1, 2)).split(self.intermediate, dim=-1)  # (E, C, I) x2
        out = torch.bmm(F.silu(gate) * up, self.down_proj.transpose(1, 2))  # (E, C, H)
        contrib = out[expert, position] * weights.reshape(-1)[order, None].to(out.dtype)  # (T*k, H)
        return x.new_zeros(x.shape).index_add_(0, token, contrib)

    def forward_naive(self, x: torch.Tensor, indices: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Reference: a loop over all experts with boolean masks (the official training path). Tests and benchmark only."""
        out = torch.zeros_like(x)
        for e in range(self.n_experts):
            mask = indices == e  # (T, k)
            rows = mask.any(dim=-1)
            if not rows.any():
                continue
            gate, up = F.linear(x[rows], self.gate_up_proj[e]).split(self.intermediate, dim=-1)
            y = F.linear(F.silu(gate) * up, self.down_proj[e])
            out[rows] += y * (weights * mask).sum(dim=-1)[rows, None]
        return out
