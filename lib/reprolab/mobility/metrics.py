"""Ranking metrics of next-location prediction: Acc@k, MRR and NDCG@10 (as fractions, not %).

The rank of the target is 1 + the number of candidates scored strictly higher. Ids 0 (padding) and 1 (unseen in
training) are never candidates; a target with id 1 cannot be ranked (rank = inf: a miss for every metric, which
is what an ID softmax scores on a location it has never seen).
"""

from __future__ import annotations

import numpy as np
import torch

KS = (1, 5, 10)


def target_ranks(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """scores: (B, n_locations), target: (B,) encoded ids -> (B,) float ranks (1 = best, inf = unrankable)."""
    scores = scores.clone()
    scores[:, :2] = -torch.inf
    own = scores.gather(1, target[:, None])  # (B, 1)
    rank = (scores > own).sum(1).to(torch.float64) + 1
    return torch.where(target >= 2, rank, torch.full_like(rank, torch.inf))


def rank_metrics(ranks: np.ndarray | torch.Tensor, ks: tuple[int, ...] = KS) -> dict[str, float]:
    """Acc@k, MRR and NDCG@10 of an array of ranks (n,); empty input gives NaN."""
    r = np.asarray(ranks, dtype=np.float64)
    if r.size == 0:
        return {**{f"acc@{k}": float("nan") for k in ks}, "mrr": float("nan"), "ndcg@10": float("nan")}
    out = {f"acc@{k}": float(np.mean(r <= k)) for k in ks}
    out["mrr"] = float(np.mean(1.0 / r))
    with np.errstate(divide="ignore"):
        out["ndcg@10"] = float(np.mean(np.where(r <= 10, 1.0 / np.log2(r + 1.0), 0.0)))
    return out


def rank_metrics_loop(scores: np.ndarray, target: np.ndarray, ks: tuple[int, ...] = KS) -> dict[str, float]:
    """The same metrics one sample at a time, by sorting (the reference the tests and the benchmark use)."""
    totals = {f"acc@{k}": 0.0 for k in ks} | {"mrr": 0.0, "ndcg@10": 0.0}
    for row, t in zip(scores, target):
        if t < 2:
            continue
        candidates = row.copy()
        candidates[:2] = -np.inf
        ranked = candidates[np.argsort(-candidates, kind="stable")]
        rank = int(np.flatnonzero(ranked == candidates[t])[0]) + 1  # ties resolved in the target's favour
        for k in ks:
            totals[f"acc@{k}"] += rank <= k
        totals["mrr"] += 1.0 / rank
        totals["ndcg@10"] += 1.0 / np.log2(rank + 1) if rank <= 10 else 0.0
    return {k: v / len(target) for k, v in totals.items()}
