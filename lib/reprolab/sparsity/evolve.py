"""Drop-and-grow of a sparse support with an exact count (RigL / SET / SpIEL family), and drop-rate schedules.

Shared by SEFT (the support of a sparse fine-tuning delta) and NeuroTrails (the live weights of sparse heads).
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from .masks import top_indices

SCHEDULES = ("cosine", "linear", "constant")


def drop_fraction(step: int, total_steps: int, initial: float, schedule: Literal["cosine", "linear", "constant"] = "cosine") -> float:
    """Share of the support replaced at `step`: initial * (1 + cos(pi t / T)) / 2, initial * (1 - t / T), or flat."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown drop-fraction schedule {schedule!r}; allowed: {', '.join(SCHEDULES)}")
    if not 0 <= initial <= 1:
        raise ValueError(f"the initial drop fraction must be in [0, 1], got {initial}")
    progress = min(1.0, max(0.0, step / max(1, total_steps)))
    if schedule == "cosine":
        return initial * 0.5 * (1 + math.cos(math.pi * progress))
    return initial * (1 - progress) if schedule == "linear" else initial


@torch.no_grad()
def drop_and_grow(support: torch.Tensor, drop_score: torch.Tensor, grow_score: torch.Tensor, n: int,
                  allowed: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Replace n entries of a bool `support`: drop the n lowest `drop_score` inside it, grow the n highest
    `grow_score` outside it. An entry dropped in this call is never grown back in the same call; `allowed`
    (bool, optional) limits where growth may happen. n is cut to the number of candidates on either side, so the
    support keeps its exact size. Returns (new support, dropped, grown), bool tensors of the support's shape.
    """
    if not support.shape == drop_score.shape == grow_score.shape:
        raise ValueError(f"support and scores must share one shape, got {tuple(support.shape)}, "
                         f"{tuple(drop_score.shape)}, {tuple(grow_score.shape)}")
    if n < 0:
        raise ValueError(f"the number of entries to replace must be non-negative, got {n}")
    flat = support.reshape(-1)
    candidates = ~flat if allowed is None else ~flat & allowed.reshape(-1)
    n = min(n, int(torch.count_nonzero(flat)), int(torch.count_nonzero(candidates)))
    dropped = torch.zeros_like(flat)
    grown = torch.zeros_like(flat)
    if n:
        inside = torch.where(flat, drop_score.reshape(-1).float(), torch.tensor(math.inf))
        dropped[top_indices(inside, n, largest=False)] = True
        outside = torch.where(candidates, grow_score.reshape(-1).float(), torch.tensor(-math.inf))
        grown[top_indices(outside, n)] = True
    new = (flat & ~dropped) | grown
    return new.view_as(support), dropped.view_as(support), grown.view_as(support)


@torch.no_grad()
def drop_and_grow_rows(support: torch.Tensor, drop_score: torch.Tensor, grow_score: torch.Tensor, n: int,
                       regrow_dropped: bool = True) -> torch.Tensor:
    """`drop_and_grow` for each row of (G, N) tensors at once, n entries per row (every row keeps its count).

    regrow_dropped=True lets an entry dropped in this call be grown back at once, as RigL's and the sparselearning
    code's regrowth does (its gradient may be the largest); False excludes it. Returns the new support.
    """
    if not support.shape == drop_score.shape == grow_score.shape or support.ndim != 2:
        raise ValueError(f"need (G, N) support and scores of one shape, got {tuple(support.shape)}, "
                         f"{tuple(drop_score.shape)}, {tuple(grow_score.shape)}")
    counts = support.sum(1)
    n = min(n, int(counts.min()))
    if not regrow_dropped:
        n = min(n, int((support.shape[1] - counts).min()))
    if n <= 0:
        return support.clone()
    inside = torch.where(support, drop_score.float(), torch.tensor(math.inf))
    dropped = torch.zeros_like(support).scatter_(1, inside.topk(n, dim=1, largest=False).indices, True)
    remaining = support & ~dropped
    eligible = ~remaining if regrow_dropped else ~support
    outside = torch.where(eligible, grow_score.float(), torch.tensor(-math.inf))
    grown = torch.zeros_like(support).scatter_(1, outside.topk(n, dim=1).indices, True)
    return remaining | grown
