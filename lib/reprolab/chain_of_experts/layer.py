"""The Chain-of-Experts MoE layer: one expert bank, C routed iterations inside a layer.

x(0) = u;  x(t) = sum_{i in TopK_t} g_{t,i} E_i(x(t-1)) [+ shared(x(t-1))] + I_r x(t-1);  output x(C)
(arXiv:2506.18945, the iteration formula of the official report; C = 1 is the DeepSeek MoE).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .experts import ExpertBank
from .routing import TopKRouter, sequence_balance_loss


@dataclass
class CoESpec:
    """Shape and variant of one CoE/MoE layer."""

    hidden: int  # model width H
    n_routed: int  # routed experts (N minus the shared ones; the paper's N=64 is 63 + 1)
    intermediate: int  # expert FFN inner size I
    k: int  # routed experts per iteration (MoE: total K; CoE-C: K / C)
    n_iter: int = 1  # C, iterations per layer (1 = plain MoE)
    n_shared: int = 1  # shared experts (one SwiGLU of width I * n_shared); 0 for none
    shared_intermediate: int = 0  # the shared SwiGLU's width when it is not I * n_shared (Qwen2-MoE); 0: I * n_shared
    shared_gate: bool = False  # shared output x sigmoid(w . x), one learned scalar gate per token (Qwen2-MoE)
    independent_gates: bool = True  # one router per iteration (False: the shared-router ablation)
    inner_residual: bool = True  # x(t) = x(t-1) + delta(t); False: x(t) = delta(t)
    shared_each_iter: bool = True  # shared expert on every iteration (official) or only the first (FLOP-matched)
    norm_topk_prob: bool = False  # renormalise the chosen gate weights (the paper: off)
    routed_scaling: float = 1.0  # gate weights x this (DeepSeek-V2: 16; V2-Lite and the paper: 1)
    n_group: int = 1  # > 1: group-limited greedy top-k over n_group expert groups (DeepSeek-V2)
    topk_group: int = 1  # groups a token may route into when n_group > 1
    aux_alpha: float = 0.001  # sequence-level balance loss weight per router and iteration

    def __post_init__(self) -> None:
        if self.n_iter < 1 or self.n_shared < 0 or self.shared_intermediate < 0:
            raise ValueError(f"need n_iter >= 1, n_shared >= 0 and shared_intermediate >= 0, got {self.n_iter}, "
                             f"{self.n_shared}, {self.shared_intermediate}")
        if self.shared_gate and not self.n_shared:
            raise ValueError("shared_gate needs a shared expert (n_shared >= 1)")
        if not 1 <= self.k <= self.n_routed:
            raise ValueError(f"k must be in [1, n_routed={self.n_routed}], got {self.k}")


class SwiGLU(nn.Module):
    """Dense SwiGLU FFN with the parameter names of transformers' DeepseekV2MLP (the shared expert)."""

    def __init__(self, hidden: int, intermediate: int) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class ChainOfExpertsMoE(nn.Module):
    """CoE layer on (B, T, H) inputs; returns x(C) (or x(C) - u with `return_delta`, for h + mlp(norm h) blocks).

    After each training forward, `aux_loss` holds the summed balance loss of all routers and
    iterations (to be added to the LM loss, not reported in it); `last_indices` holds each
    iteration's chosen experts, (B, T, k) per iteration, for routing analysis.
    """

    def __init__(self, spec: CoESpec, return_delta: bool = False) -> None:
        super().__init__()
        self.spec, self.return_delta = spec, return_delta
        self.experts = ExpertBank(spec.n_routed, spec.hidden, spec.intermediate)
        n_gates = spec.n_iter if spec.independent_gates else 1
        self.gates = nn.ModuleList(TopKRouter(spec.hidden, spec.n_routed, spec.k, spec.norm_topk_prob, spec.routed_scaling,
                                              spec.n_group, spec.topk_group) for _ in range(n_gates))
        shared_width = spec.shared_intermediate or spec.intermediate * spec.n_shared
        self.shared_experts = SwiGLU(spec.hidden, shared_width) if spec.n_shared else None
        self.shared_expert_gate = nn.Linear(spec.hidden, 1, bias=False) if spec.shared_gate else None
        self.aux_loss = torch.zeros(())
        self.last_indices: list[torch.Tensor] = []

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        b, t, h = u.shape
        x = u.reshape(b * t, h)  # (N, H) with N = B*T tokens
        aux, indices, delta_sum = u.new_zeros((), dtype=torch.float32), [], None
        for it in range(self.spec.n_iter):
            routing = self.gates[it if self.spec.independent_gates else 0](x)
            delta = self.experts(x, routing.indices, routing.weights)
            if self.shared_experts is not None and (self.spec.shared_each_iter or it == 0):
                shared = self.shared_experts(x)
                if self.shared_expert_gate is not None:
                    shared = torch.sigmoid(self.shared_expert_gate(x)) * shared
                delta = delta + shared
            if self.training and self.spec.aux_alpha > 0:
                aux = aux + sequence_balance_loss(routing.probs.view(b, t, -1), routing.indices.view(b, t, -1), self.spec.aux_alpha)
            indices.append(routing.indices.detach().view(b, t, -1))
            delta_sum = delta if delta_sum is None else delta_sum + delta
            x = x + delta if self.spec.inner_residual else delta
        self.aux_loss, self.last_indices = aux, indices
        if self.return_delta:  # x(C) - u, summed directly so C = 1 gives exactly experts + shared
            return (delta_sum if self.spec.inner_residual else x - u.reshape(b * t, h)).view(b, t, h)
        return x.view(b, t, h)
