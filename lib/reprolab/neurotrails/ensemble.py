"""Ensemble predictions and the diversity of its members, from logits of shape (N, M, classes)."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import torch
import torch.nn.functional as F


def ensemble_logits(logits: torch.Tensor, combine: str = "logits") -> torch.Tensor:
    """(N, M, k) -> (N, k) log-scores of the ensemble: mean of the heads' logits (NeuroTrails' code) or the log of
    the mean of their probabilities ('probs')."""
    if combine == "logits":
        return logits.mean(1)
    if combine == "probs":
        return torch.logsumexp(F.log_softmax(logits, -1), dim=1) - math.log(logits.shape[1])
    raise ValueError(f"unknown combination {combine!r}; allowed: logits, probs")


def calibration_error(confidence: torch.Tensor, correct: torch.Tensor, bins: int = 15) -> float:
    """Expected calibration error: the mean over `bins` equal-width confidence bins of |accuracy - confidence|,
    weighted by the bin's share of items. confidence: (N,) top-1 probability; correct: (N,) 0/1."""
    which = (confidence * bins).long().clamp(max=bins - 1)  # bin of each item, (N,)
    count = torch.bincount(which, minlength=bins).double()
    gap = torch.bincount(which, weights=(correct.double() - confidence.double()), minlength=bins)
    return float(gap.abs().sum() / count.sum())


def scores(logits: torch.Tensor, labels: torch.Tensor, combine: str = "logits") -> dict[str, float]:
    """Ensemble accuracy and NLL, mean member accuracy, ensemble gain and diversity for (N, M, k) logits.

    disagreement: mean over ordered pairs i != j of the share of inputs where heads i and j predict differently
    (the official script also averages the zero diagonal, i.e. (M - 1) / M of this: `disagreement_with_diagonal`);
    kl: mean over ordered pairs of KL(p_i || p_j) in nats; member_nll: the heads' mean cross-entropy; ece: the
    ensemble's expected calibration error over 15 confidence bins (`calibration_error`).
    """
    n, m, _ = logits.shape
    ens = ensemble_logits(logits, combine)
    member_acc = (logits.argmax(-1) == labels[:, None]).float().mean(0)  # (M,)
    acc = float((ens.argmax(-1) == labels).float().mean())
    out = {"accuracy": acc, "nll": float(F.cross_entropy(ens, labels)),  # log_softmax of normalised log-probs is a no-op
           "member_accuracy": float(member_acc.mean()), "best_member_accuracy": float(member_acc.max()),
           "gain": acc - float(member_acc.mean()),
           "member_nll": float(F.cross_entropy(logits.flatten(0, 1), labels.repeat_interleave(m))),
           "ece": calibration_error(F.softmax(ens, -1).max(-1).values, ens.argmax(-1) == labels)}
    if m > 1:
        pred = logits.argmax(-1)  # (N, M)
        differ = (pred[:, :, None] != pred[:, None, :]).float().mean(0)  # (M, M), zero diagonal
        log_p = F.log_softmax(logits, -1)
        kl = (log_p.exp()[:, :, None, :] * (log_p[:, :, None, :] - log_p[:, None, :, :])).sum(-1).mean(0)  # (M, M)
        off = ~torch.eye(m, dtype=torch.bool)
        out |= {"disagreement": float(differ[off].mean()), "disagreement_with_diagonal": float(differ.mean()),
                "kl": float(kl[off].mean())}
    else:
        out |= {"disagreement": 0.0, "disagreement_with_diagonal": 0.0, "kl": 0.0}
    return out


def batched_scores(batches: Iterable[tuple[torch.Tensor, torch.Tensor]], combine: str = "logits",
                   per_item: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """`scores` over (logits (n, M, k), labels (n,)) batches without holding every logit at once: each score is a
    mean over items, so batch values are averaged with weights n; the best member and the calibration error come from
    pooled items.
    per_item: a dict to fill with the ensemble's `correct` and `nll` per item ((N,) float64 each)."""
    totals: dict[str, float] = {}
    hits, n = None, 0
    correct, nll, confidence = [], [], []
    for logits, labels in batches:
        ens = ensemble_logits(logits, combine)
        correct.append((ens.argmax(-1) == labels).double().cpu())
        confidence.append(F.softmax(ens, -1).max(-1).values.double().cpu())
        if per_item is not None:
            nll.append(F.cross_entropy(ens, labels, reduction="none").double().cpu())
        for key, value in scores(logits, labels, combine).items():
            totals[key] = totals.get(key, 0.0) + value * len(labels)
        batch_hits = (logits.argmax(-1) == labels[:, None]).sum(0)
        hits = batch_hits if hits is None else hits + batch_hits
        n += len(labels)
    if n == 0:
        raise ValueError("no batches to score")
    out = {key: value / n for key, value in totals.items()}
    out["best_member_accuracy"] = float(hits.max()) / n
    out["ece"] = calibration_error(torch.cat(confidence), torch.cat(correct))
    if per_item is not None:
        per_item["correct"], per_item["nll"] = torch.cat(correct).numpy(), torch.cat(nll).numpy()
    return out
