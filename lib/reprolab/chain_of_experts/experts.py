"""A bank of SwiGLU experts with vectorised top-k dispatch (no Python loop over experts while routing is balanced)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import kernels


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

        Dispatch: sort the T*k (token, slot) pairs by expert. While routing is balanced enough that padding
        every expert to the largest count costs at most `PADDING_LIMIT` times the routed pairs, the pairs
        go into a padded (E, capacity, H) buffer and two batched matmuls (a fixed handful of ops whatever E is;
        benchmarks/bench_coe.py); beyond that (collapsed routing) each expert that received tokens runs on its
        own slice of the sorted pairs, so memory stays O(T k H) instead of approaching O(E T H). Dropless
        either way. Outputs accumulate in x's dtype (fp32 master activations under bf16 autocast). On CUDA with
        triton (`reprolab.kernels.use_triton`), the sorted pairs go through the grouped expert GEMM kernels instead:
        no padding at any routing, autograd through the kernels.
        """
        t, k = indices.shape
        flat = indices.reshape(-1)  # (T*k,)
        order = torch.argsort(flat, stable=True)
        expert = flat[order]  # (T*k,) sorted expert ids
        token = order // k  # token of each sorted slot
        counts = torch.bincount(flat, minlength=self.n_experts)  # (E,)
        gate_weight = weights.reshape(-1)[order, None]  # (T*k, 1)
        if kernels.use_triton(x):
            out = self._grouped(x[token], counts)
        elif int(counts.max()) * self.n_experts <= self.PADDING_LIMIT * t * k:
            starts = torch.cumsum(counts, 0) - counts
            position = torch.arange(t * k, device=x.device) - starts[expert]  # slot within its expert
            buffer = x.new_zeros(self.n_experts, int(counts.max()), x.shape[-1])  # (E, C, H)
            buffer[expert, position] = x[token]
            gate, up = torch.bmm(buffer, self.gate_up_proj.transpose(1, 2)).split(self.intermediate, dim=-1)  # (E, C, I)
            out = torch.bmm(F.silu(gate) * up, self.down_proj.transpose(1, 2))[expert, position]  # (T*k, H)
        else:
            out = torch.cat([self._expert(e, x[rows]) for e, rows in self._groups(counts, token)])  # (T*k, H)
        contrib = (out * gate_weight.to(out.dtype)).to(x.dtype)
        return x.new_zeros(x.shape).index_add_(0, token, contrib)

    def _grouped(self, x_sorted: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        """The experts on tokens sorted by expert through `kernels.expert_mlp` (in the autocast dtype where on)."""
        gate_up, down = self.gate_up_proj, self.down_proj
        if torch.is_autocast_enabled(x_sorted.device.type):
            dtype = torch.get_autocast_dtype(x_sorted.device.type)
            x_sorted, gate_up, down = x_sorted.to(dtype), gate_up.to(dtype), down.to(dtype)
        with torch.autocast(x_sorted.device.type, enabled=False):
            return kernels.expert_mlp(x_sorted, gate_up, down, counts)

    PADDING_LIMIT = 2.0  # padded dispatch while E * capacity <= this x T * k

    @staticmethod
    def _groups(counts: torch.Tensor, token: torch.Tensor):
        """(expert, its tokens in sorted order) for each expert that received tokens (collapsed routing: few)."""
        live = torch.nonzero(counts).flatten().tolist()
        sizes = counts[live].tolist()
        return zip(live, torch.split(token, sizes))

    def _expert(self, e: int, x: torch.Tensor) -> torch.Tensor:
        """E_e(x) for x (n, H) -> (n, H)."""
        gate, up = F.linear(x, self.gate_up_proj[e]).split(self.intermediate, dim=-1)
        return F.linear(F.silu(gate) * up, self.down_proj[e])

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
