"""Boolean masks over a weight matrix with an exact number of selected entries."""

from __future__ import annotations

import math

import torch


def lora_equivalent_budget(shape: tuple[int, int], rank: int) -> int:
    """k = min((m + n) r, m n): the trainable entries of a rank-r LoRA on an (m, n) matrix."""
    if rank < 1:
        raise ValueError(f"budget rank must be a positive integer, got {rank}")
    m, n = shape
    return min((m + n) * rank, m * n)


def top_indices(values: torch.Tensor, k: int, largest: bool = True, sample: int = 65_536) -> torch.Tensor:
    """Flat indices of the k largest (or smallest) entries of `values`, exactly as `torch.topk` would choose them
    (up to ties), but fast for k << numel on large tensors.

    A threshold is read from a fixed random sample so that (with high probability) a little more than k entries
    pass it; `topk` then runs on those candidates only. If fewer than k pass, it falls back to the full `topk`.
    """
    flat = values.reshape(-1) if largest else -values.reshape(-1)
    n = flat.numel()
    if k <= 0:
        return torch.zeros(0, dtype=torch.long, device=flat.device)
    if n < 4 * sample or 4 * k > n:
        return torch.topk(flat, k).indices
    gen = torch.Generator(device="cpu").manual_seed(0)
    picks = flat[torch.randint(n, (sample,), generator=gen).to(flat.device)]
    share = k / n
    keep = min(sample, int(sample * share * 1.2 + 6 * math.sqrt(sample * share)) + 8)  # margin of ~6 sigma
    threshold = picks.kthvalue(sample - keep + 1).values
    candidates = (flat >= threshold).nonzero().squeeze(1)
    if candidates.numel() < k:
        return torch.topk(flat, k).indices
    return candidates[torch.topk(flat[candidates], k).indices]


def topk_mask(score: torch.Tensor, k: int, largest: bool = True) -> torch.Tensor:
    """Bool mask of the shape of `score` with exactly k True entries: the k largest (or smallest) scores."""
    if not 0 < k <= score.numel():
        raise ValueError(f"k must be in [1, {score.numel()}] for a matrix of shape {tuple(score.shape)}, got {k}")
    flat = torch.zeros(score.numel(), dtype=torch.bool, device=score.device)
    flat[top_indices(score, k, largest)] = True
    return flat.view(score.shape)


def low_rank_approximation(weight: torch.Tensor, rank: int, svd: str = "exact", niter: int = 2) -> torch.Tensor:
    """The best rank-r approximation U_r S_r V_r^T of `weight` (float32, on its own device).

    svd: 'exact' (torch.linalg.svd) or 'randomized' (torch.svd_lowrank with 2r oversampling and `niter` power steps).
    """
    w = weight.detach().float()
    if not 0 < rank <= min(w.shape):
        raise ValueError(f"rank must be in [1, {min(w.shape)}] for a matrix of shape {tuple(w.shape)}, got {rank}")
    if svd == "exact":
        u, s, vh = torch.linalg.svd(w, full_matrices=False)
        return (u[:, :rank] * s[:rank]) @ vh[:rank]
    if svd == "randomized":
        u, s, v = torch.svd_lowrank(w, q=min(2 * rank, min(w.shape)), niter=niter)
        return (u[:, :rank] * s[:rank]) @ v[:, :rank].T
    raise ValueError(f"svd must be 'exact' or 'randomized', got {svd!r}")


def principal_mask(weight: torch.Tensor, filter_rank: int, budget_rank: int, largest: bool = True, svd: str = "exact",
                   niter: int = 2) -> torch.Tensor:
    """LIFT's principal weights: the k = (m+n) budget_rank largest entries of |rank-filter_rank approximation|.

    largest=False selects the smallest entries instead (what the released configs do by a string-test slip).
    """
    score = low_rank_approximation(weight, filter_rank, svd, niter).abs()
    return topk_mask(score, lora_equivalent_budget(tuple(weight.shape), budget_rank), largest)


def magnitude_mask(weight: torch.Tensor, budget_rank: int) -> torch.Tensor:
    """The same number of entries chosen by plain |W| (the baseline the paper says fails)."""
    return topk_mask(weight.detach().abs(), lora_equivalent_budget(tuple(weight.shape), budget_rank))
