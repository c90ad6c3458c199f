"""Dynamic sparse training (RigL / SET) of a set of weight tensors, with ERK or uniform layer densities.

Each masked tensor is split into `groups` equal rows (e.g. the M heads packed in one grouped convolution); every
group of a tensor keeps exactly the same number of live weights, from the start and after every update. Every
`update_every` steps, in each group, the `ceil(rate * live)` live weights of smallest |w| are removed and as many
dead positions with the largest |gradient| (RigL; or random, SET) are regrown at value 0; the rate follows a cosine
from `drop_rate` to `final_drop_rate` (the NeuroTrails / sparselearning defaults 0.5 -> 0.005). `fix=True` keeps
the initial masks (static sparse training). Hooks for `reprolab.lm.train`: `after_backward` (topology update from the
dense gradient, then gradients masked) and `after_step` (weights and optimizer moments re-masked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Mapping

import torch

from .evolve import drop_and_grow_rows


def erk_densities(shapes: Mapping[str, tuple[int, ...]], density: float,
                  copies: Mapping[str, int] | None = None) -> dict[str, float]:
    """Erdos-Renyi-Kernel densities: d_l = min(1, eps * sum(shape_l) / prod(shape_l)), eps solved so that the
    live count is `density` of all entries; layers that would exceed 1 are made dense and eps is solved again.

    copies: how many identical layers of that shape a name stands for (the M heads packed into one tensor are M
    layers of the per-head shape, as the official NeuroTrails code allocates them), default 1.
    """
    if not 0 < density <= 1:
        raise ValueError(f"density must be in (0, 1], got {density}")
    sizes = {n: math.prod(s) * (copies or {}).get(n, 1) for n, s in shapes.items()}
    raw = {n: sum(s) / math.prod(s) for n, s in shapes.items()}  # per layer, whatever its copies
    dense: set[str] = set()
    while True:
        budget = density * sum(sizes.values()) - sum(sizes[n] for n in dense)
        eps = budget / sum(raw[n] * sizes[n] for n in shapes if n not in dense)
        over = {n for n in shapes if n not in dense and eps * raw[n] > 1}
        if not over:
            return {n: 1.0 if n in dense else eps * raw[n] for n in shapes}
        dense |= over


@dataclass
class DSTConfig:
    """How the masks are allocated and evolve."""

    density: float = 0.2  # live fraction of all masked entries (paper: 0.2 vision, 0.9 language)
    distribution: Literal["erk", "uniform"] = "erk"
    update_every: int = 100  # optimizer steps between topology updates (paper: 1000 vision, 50 language)
    drop_rate: float = 0.5  # share of live weights replaced at the first update
    final_drop_rate: float = 0.005  # cosine-annealed to this by the last step
    regrow: Literal["gradient", "random"] = "gradient"  # RigL or SET
    fix: bool = False  # static sparse training: never update the masks
    prune: Literal["magnitude", "soft_magnitude"] = "magnitude"  # drop the smallest |w|, or keep live weights sampled
    # with probability proportional to |w|^3 (NeuroTrails' language default)

    def __post_init__(self) -> None:
        if not 0 < self.density <= 1:
            raise ValueError(f"density must be in (0, 1], got {self.density}")
        if self.distribution not in ("erk", "uniform") or self.regrow not in ("gradient", "random"):
            raise ValueError(f"distribution must be erk or uniform and regrow gradient or random, got "
                             f"{self.distribution!r}, {self.regrow!r}")
        if self.prune not in ("magnitude", "soft_magnitude"):
            raise ValueError(f"prune must be magnitude or soft_magnitude, got {self.prune!r}")
        if self.update_every < 1 or not 0 <= self.final_drop_rate <= self.drop_rate <= 1:
            raise ValueError(f"need update_every >= 1 and 0 <= final_drop_rate <= drop_rate <= 1, got "
                             f"{self.update_every}, {self.final_drop_rate}, {self.drop_rate}")


class DynamicSparsity:
    """Masks over named weights; `groups[name]` splits a tensor's leading dimension into equal groups."""

    def __init__(self, weights: Mapping[str, torch.nn.Parameter], cfg: DSTConfig, total_steps: int,
                 groups: Mapping[str, int] | None = None, seed: int = 0) -> None:
        self.cfg, self.total_steps = cfg, total_steps
        self.weights = dict(weights)
        self.groups = {n: (groups or {}).get(n, 1) for n in self.weights}
        for name, w in self.weights.items():
            if w.shape[0] % self.groups[name]:
                raise ValueError(f"{name}: leading size {w.shape[0]} is not divisible into {self.groups[name]} groups")
        # ERK per group: a packed tensor of g heads is g layers of shape (rows / g, ...), as separate heads would be
        shapes = {n: (w.shape[0] // self.groups[n], *w.shape[1:]) for n, w in self.weights.items()}
        densities = (erk_densities(shapes, cfg.density, self.groups) if cfg.distribution == "erk"
                     else {n: cfg.density for n in shapes})
        self.live_per_group = {n: max(1, round(densities[n] * w.numel() / self.groups[n])) for n, w in self.weights.items()}
        gen = torch.Generator().manual_seed(seed)
        self.masks: dict[str, torch.Tensor] = {}
        for name, w in self.weights.items():
            rows = torch.rand(self.groups[name], w.numel() // self.groups[name], generator=gen)
            keep = rows.topk(self.live_per_group[name], dim=1).indices
            self.masks[name] = torch.zeros_like(rows, dtype=torch.bool).scatter_(1, keep, True).view_as(w).to(w.device)
        self._gen = gen
        self.updates: list[dict] = []
        self.apply()

    @torch.no_grad()
    def apply(self, optimizer: torch.optim.Optimizer | None = None) -> None:
        """Zero every dead weight and, given the optimizer, its moment / momentum buffers."""
        for name, w in self.weights.items():
            w.mul_(self.masks[name])
            if optimizer is not None:
                for value in optimizer.state.get(w, {}).values():
                    if torch.is_tensor(value) and value.shape == w.shape:
                        value.mul_(self.masks[name])

    def drop_rate(self, step: int) -> float:
        cfg = self.cfg
        progress = min(1.0, step / max(1, self.total_steps))
        return cfg.final_drop_rate + (cfg.drop_rate - cfg.final_drop_rate) * 0.5 * (1 + math.cos(math.pi * progress))

    @torch.no_grad()
    def update(self, step: int) -> None:
        """Prune and regrow in every group of every tensor (needs the weights' gradients)."""
        rate = self.drop_rate(step)
        record = {"step": step, "rate": rate, "changed": 0}
        for name, w in self.weights.items():
            g = self.groups[name]
            mask = self.masks[name].view(g, -1)
            n = math.ceil(rate * self.live_per_group[name])
            if self.cfg.regrow == "gradient":
                if w.grad is None:
                    raise RuntimeError(f"{name} has no gradient; call update after backward")
                grow = w.grad.detach().abs().view(g, -1)
            else:
                grow = torch.rand(mask.shape, generator=self._gen).to(w.device)
            new = drop_and_grow_rows(mask, self._drop_score(w.detach().view(g, -1)), grow, n)
            w.view(g, -1)[new & ~mask] = 0.0  # regrown weights start at zero
            record["changed"] += int((new & ~mask).sum())
            self.masks[name] = new.view_as(w)
        self.updates.append(record)
        self.apply()

    def _drop_score(self, w: torch.Tensor) -> torch.Tensor:
        """(G, N) scores whose n smallest live entries are dropped: |w|, or for soft magnitude 3 log|w| plus Gumbel
        noise (keeping the largest scores is sampling without replacement with probability proportional to |w|^3)."""
        if self.cfg.prune == "magnitude":
            return w.abs()
        uniform = torch.rand(w.shape, generator=self._gen).clamp_(1e-12, 1 - 1e-12).to(w.device)
        return 3 * torch.log(w.abs().float() + 1e-30) - torch.log(-torch.log(uniform))

    def after_backward(self, step: int, _model: torch.nn.Module) -> None:
        """Hook for `reprolab.lm.train`: update the topology on schedule, then mask the gradients."""
        if not self.cfg.fix and step > 0 and step % self.cfg.update_every == 0 and step < self.total_steps - 1:
            self.update(step)
        for name, w in self.weights.items():
            if w.grad is not None:
                w.grad.mul_(self.masks[name])

    def after_step(self, _step: int, _model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        """Hook for `reprolab.lm.train`: re-mask weights and optimizer buffers after the optimizer step."""
        self.apply(optimizer)

    def state_dict(self) -> dict:
        """Masks, the random stream (random regrowth, soft-magnitude noise) and the update log, so that a checkpoint
        (`lm.train(..., checkpointed=[dst])`) resumes the same topology exactly."""
        return {"masks": {n: m.cpu() for n, m in self.masks.items()}, "generator": self._gen.get_state(),
                "updates": list(self.updates)}

    def load_state_dict(self, state: dict) -> None:
        missing = set(self.weights) - set(state["masks"])
        if missing:
            raise ValueError(f"the saved sparsity state lacks masks for {sorted(missing)[:3]}")
        self.masks = {n: state["masks"][n].to(w.device) for n, w in self.weights.items()}
        self._gen.set_state(state["generator"])
        self.updates = list(state["updates"])

    def live_counts(self) -> dict[str, list[int]]:
        """Live (mask) count per group of every tensor."""
        return {n: (self.masks[n].view(self.groups[n], -1).sum(1)).tolist() for n in self.weights}

    def nonzeros(self) -> int:
        return sum(int(m.sum()) for m in self.masks.values())
