"""Routing diagnostics: co-selection between iterations, re-selection rate, usage entropy."""

from __future__ import annotations

import numpy as np
import torch


def co_selection(first: torch.Tensor, second: torch.Tensor, n_experts: int) -> np.ndarray:
    """(E, E) counts: how often expert i in iteration 0 and expert j in iteration 1 serve the same token.
    first: (..., k0), second: (..., k1) expert indices of the same tokens."""
    a, b = first.reshape(-1, first.shape[-1]), second.reshape(-1, second.shape[-1])
    one_a = torch.nn.functional.one_hot(a, n_experts).sum(1).double()  # (T, E)
    one_b = torch.nn.functional.one_hot(b, n_experts).sum(1).double()
    return (one_a.t() @ one_b).numpy()


def reselection_rate(first: torch.Tensor, second: torch.Tensor) -> float:
    """Share of iteration-1 slots that pick an expert the same token already used in iteration 0."""
    a, b = first.reshape(-1, first.shape[-1]), second.reshape(-1, second.shape[-1])
    return float((b[:, :, None] == a[:, None, :]).any(-1).double().mean())


def usage_entropy(indices: torch.Tensor, n_experts: int) -> float:
    """Entropy (nats) of the expert-usage distribution; log(E) is perfectly balanced."""
    p = torch.bincount(indices.reshape(-1), minlength=n_experts).double()
    p = p / p.sum()
    return float(-(p[p > 0] * p[p > 0].log()).sum())


def js_divergence(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Jensen-Shannon divergence (nats) between two usage histograms."""
    p, q = p_counts / p_counts.sum(), q_counts / q_counts.sum()
    m = 0.5 * (p + q)

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log(x[mask] / m[mask])))

    return 0.5 * kl(p) + 0.5 * kl(q)
