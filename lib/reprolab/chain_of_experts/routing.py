"""Top-k routing and the DeepSeek sequence-level balance loss (arXiv:2506.18945, Sec. 2; DeepSeek-V2)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Routing:
    """Per token: chosen experts (T, k) int64, their gate weights (T, k), all probabilities (T, E) fp32."""

    indices: torch.Tensor
    weights: torch.Tensor
    probs: torch.Tensor


class TopKRouter(nn.Module):
    """Linear router H -> E without bias; logits and softmax in fp32, greedy or group-limited greedy top-k.

    The weight has the layout of transformers' DeepseekV2TopkRouter (`weight`: (E, H) fp32), so
    pretrained DeepSeek-V2 router weights load as they are. Gate weights are the softmax scores of
    the chosen experts, not renormalised unless `norm_topk_prob` (the paper keeps it off), times
    `scaling` (DeepSeek-V2's `routed_scaling_factor`: 16 for the full model, 1 for V2-Lite). With
    `n_group` > 1 the experts form n_group equal groups, each scored by its best expert, and top-k
    runs only inside the `topk_group` best groups (DeepSeek-V2's `group_limited_greedy`).
    """

    def __init__(self, hidden: int, n_experts: int, k: int, norm_topk_prob: bool = False,
                 scaling: float = 1.0, n_group: int = 1, topk_group: int = 1) -> None:
        super().__init__()
        if not 1 <= k <= n_experts:
            raise ValueError(f"top-k must be in [1, n_experts={n_experts}], got {k}")
        if n_group < 1 or n_experts % n_group or not 1 <= topk_group <= n_group:
            raise ValueError(f"group-limited routing needs n_group dividing n_experts={n_experts} and "
                             f"1 <= topk_group <= n_group, got n_group={n_group}, topk_group={topk_group}")
        if n_group > 1 and k > topk_group * (n_experts // n_group):
            raise ValueError(f"top-k {k} exceeds the {topk_group * (n_experts // n_group)} experts of the "
                             f"{topk_group} groups routing may use")
        if not math.isfinite(scaling) or scaling <= 0:
            raise ValueError(f"scaling (routed_scaling_factor) must be a finite number > 0, got {scaling}")
        self.k, self.norm_topk_prob, self.scaling = k, norm_topk_prob, scaling
        self.n_group, self.topk_group = n_group, topk_group
        self.weight = nn.Parameter(torch.empty(n_experts, hidden, dtype=torch.float32))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # the official routers keep nn.Linear's init

    def forward(self, x: torch.Tensor) -> Routing:
        """x: (T, H) -> Routing over the E experts."""
        probs = torch.softmax(x.float() @ self.weight.float().t(), dim=-1)  # (T, E) fp32
        scores = probs
        if self.n_group > 1:
            grouped = probs.view(probs.shape[0], self.n_group, -1)  # (T, G, E/G)
            best = torch.topk(grouped.max(dim=-1).values, self.topk_group, dim=-1, sorted=False).indices  # (T, g)
            keep = torch.zeros_like(grouped[..., 0], dtype=torch.bool).scatter_(1, best, True)  # (T, G)
            scores = grouped.masked_fill(~keep[..., None], 0.0).view_as(probs)
        weights, indices = torch.topk(scores, self.k, dim=-1, sorted=False)  # (T, k)
        if self.norm_topk_prob:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        return Routing(indices, (weights * self.scaling).to(x.dtype), probs)


def sequence_balance_loss(probs: torch.Tensor, indices: torch.Tensor, alpha: float = 0.001) -> torch.Tensor:
    """DeepSeek's sequence-level auxiliary loss: alpha * mean_b sum_i f_{b,i} P_{b,i}.

    probs: (B, T, E) router probabilities; indices: (B, T, k) chosen experts.
    f_{b,i} = E / (k T) * (slots of sequence b routed to i); P_{b,i} = mean_t probs[b, t, i].
    Uniform routing gives alpha; collapse onto k experts gives alpha * E / k.
    """
    b, t, e = probs.shape
    k = indices.shape[-1]
    counts = torch.zeros(b, e, device=probs.device, dtype=probs.dtype)
    counts.scatter_add_(1, indices.reshape(b, t * k), torch.ones(b, t * k, device=probs.device, dtype=probs.dtype))
    f = counts * e / (k * t)  # (B, E)
    return alpha * (f * probs.mean(dim=1)).sum(dim=1).mean()
