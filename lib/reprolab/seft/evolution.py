"""SEFT's sparse fine-tuning with an evolving topology on a pruned model, keeping the sparsity exact.

Per target matrix W (rows, n_in) the controller keeps
  * the alive mask A (bool, exactly K = the pruned model's count of kept weights; W is 0 outside A),
  * the trainable support D of the sparse delta (exactly k entries, the optimizer's mask in `MaskedAdamW`),
  * the reference values theta_p on D only (k floats), so that delta = W - theta_p on D; outside D, W equals
    theta_p by construction (never trained, or reset when dropped), so nothing dense is stored.
Every `update_every` steps, with the gradient G averaged over the last `accumulation_steps` steps:
  1. drop: the rho_t k entries of D with the smallest |delta| go back to theta_p (SpIEL's reset);
  2. grow: as many entries outside D with the largest |G| join D, pruned positions included (reactivation);
     grown entries outside A join A at value 0 and start with zero Adam moments;
  3. adapt: A is then K + g too large (g = grown entries that were pruned); the g entries of A outside D with
     the lowest sensitivity |theta * G| (or |theta|) are pruned (set to 0). Zero-valued alive
     entries (a dropped reactivated weight) score 0 and go first.
So |A| = K and |D| = k hold exactly after every update and W is 0 outside A after every step (the optimizer only
writes D, which lies inside A). The initial D is the top-k |G| over the first `accumulation_steps` batches among
alive weights (initial_support='alive', the default: SEFT starts where the static baseline starts and reactivates
only through evolution), or among all positions, then adapted ('all', SpIEL's full first reselection: at 70 %
sparsity it re-prunes thousands of alive weights at once from a few batches, which hurt in our runs). Gradients outside D are zeroed
before clipping, so the clipping norm is that of the trained entries, as with a real sparse delta.
The official SEFT code was not readable: the order grow -> adapt and the exclusion of D from the adaptation are
our choices (see the notebook).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Mapping

import torch

from ..sparsity import MaskedAdamW, drop_and_grow, drop_fraction, lora_equivalent_budget, top_indices, topk_mask


@dataclass
class EvolutionConfig:
    """How the delta's support evolves (the defaults follow the note's reading of SEFT and SpIEL)."""

    budget_rank: int = 2  # k = (m + n) r_b delta entries per matrix: the parameter count of a rank-r_b LoRA
    update_every: int = 20  # optimizer steps between topology updates (paper: 10 commonsense, 60 C4)
    drop_fraction: float = 0.2  # rho_0: share of the delta replaced at the first update
    schedule: Literal["cosine", "linear", "constant"] = "cosine"  # decay of rho_t over training
    accumulation_steps: int = 5  # steps whose gradients are averaged for growth and sensitivity (SpIEL: 5)
    evolve: bool = True  # False: the support chosen at the start is kept (static sparse delta)
    grow_into_pruned: bool = True  # growth may reactivate pruned weights (SEFT) or only alive ones
    adapt: Literal["sensitivity", "magnitude"] = "sensitivity"  # score that re-prunes to the target count
    initial_support: Literal["alive", "all"] = "alive"  # where the first support is chosen (see the module docstring)

    def __post_init__(self) -> None:
        if self.budget_rank < 1 or self.update_every < 1 or self.accumulation_steps < 1:
            raise ValueError(f"need budget_rank, update_every, accumulation_steps >= 1, got {self.budget_rank}, "
                             f"{self.update_every}, {self.accumulation_steps}")
        if self.accumulation_steps > self.update_every:
            raise ValueError(f"accumulation_steps ({self.accumulation_steps}) cannot exceed update_every ({self.update_every})")
        if self.adapt not in ("sensitivity", "magnitude"):
            raise ValueError(f"unknown adapt score {self.adapt!r}; allowed: sensitivity, magnitude")
        if self.initial_support not in ("alive", "all"):
            raise ValueError(f"unknown initial support {self.initial_support!r}; allowed: alive, all")
        drop_fraction(0, 1, self.drop_fraction, self.schedule)  # validates both


class SparsityEvolution:
    """Owns the alive masks, the delta supports and the optimizer of a pruned model's target matrices.

    modules: target linears by name; alive: their kept masks from pruning (True = alive); total_steps: the
    training length (for the drop-fraction schedule). Call `initialize` with a few batches, then pass
    `after_backward` to `reprolab.lm.train` together with `optimizer`.
    """

    def __init__(self, modules: Mapping[str, torch.nn.Linear], alive: Mapping[str, torch.Tensor], cfg: EvolutionConfig,
                 total_steps: int, lr: float, betas: tuple[float, float] = (0.9, 0.95)) -> None:
        missing = set(modules) ^ set(alive)
        if missing:
            raise ValueError(f"modules and alive masks must name the same matrices; unmatched: {sorted(missing)[:5]}")
        self.cfg, self.total_steps, self.lr, self.betas = cfg, total_steps, lr, betas
        self.modules = dict(modules)
        self.alive = {n: a.clone().bool() for n, a in alive.items()}
        self.target_count = {n: int(a.sum()) for n, a in self.alive.items()}
        self.originally_alive = {n: a.clone() for n, a in self.alive.items()}
        self.budget = {n: min(lora_equivalent_budget(tuple(m.weight.shape), cfg.budget_rank), self.target_count[n])
                       for n, m in self.modules.items()}  # D always fits inside A
        self.optimizer: MaskedAdamW | None = None
        self.support: dict[str, torch.Tensor] = {}  # D per matrix (bool), the optimizer's masks
        self.reference: dict[str, torch.Tensor] = {}  # theta_p on D, in the order of D's flat indices
        self.records: list[dict] = []
        self._grad_sum: dict[str, torch.Tensor] = {}
        self._grad_n = 0
        for name, module in self.modules.items():
            if self.alive[name].shape != module.weight.shape:
                raise ValueError(f"{name}: alive mask shape {tuple(self.alive[name].shape)} is not the weight's "
                                 f"{tuple(module.weight.shape)}")
            if (module.weight.detach()[~self.alive[name]] != 0).any():
                raise ValueError(f"{name} has non-zero weights outside its alive mask; prune the model first")

    def _allowed(self, name: str) -> torch.Tensor | None:
        return None if self.cfg.grow_into_pruned and self.cfg.evolve else self.alive[name]

    def initialize(self, model: torch.nn.Module, batches: Iterable[Mapping[str, torch.Tensor]]) -> MaskedAdamW:
        """Freeze all but the target matrices, choose the initial supports from the mean gradient over `batches`
        (adapting the alive masks where the support reaches pruned positions) and build the optimizer."""
        for p in model.parameters():
            p.requires_grad_(False)
        for module in self.modules.values():
            module.weight.requires_grad_(True)
        device = next(model.parameters()).device
        n = 0
        for batch in batches:
            model(**{k: v.to(device) for k, v in batch.items()}).loss.backward()
            n += 1
        if n == 0:
            raise ValueError("initialize needs at least one batch")
        grads = {}
        for name, module in self.modules.items():
            grads[name] = module.weight.grad / n
            module.weight.grad = None
        return self.start(grads)

    @torch.no_grad()
    def start(self, grads: Mapping[str, torch.Tensor]) -> MaskedAdamW:
        """Choose the initial supports from mean gradients `grads` (by matrix name) and build the optimizer."""
        supports = {}
        for name, module in self.modules.items():
            grad = grads[name]
            allowed = self.alive[name] if self.cfg.initial_support == "alive" else self._allowed(name)
            score = grad.abs() if allowed is None else torch.where(allowed, grad.abs(), torch.tensor(-1.0))
            supports[name] = topk_mask(score, self.budget[name])
            grown = supports[name] & ~self.alive[name]
            self._adapt(name, grad, supports[name], grown)
            self._set_support(name, supports[name], module.weight.detach())
            self._record(0, name, dropped=0, grown=int(supports[name].sum()), reactivated=int(grown.sum()))
        self.optimizer = MaskedAdamW([m.weight for m in self.modules.values()],
                                     {self.modules[n].weight: s for n, s in supports.items()}, lr=self.lr, betas=self.betas)
        return self.optimizer

    def _set_support(self, name: str, support: torch.Tensor, reference: torch.Tensor) -> None:
        """Make `support` the delta's support, with theta_p read from the dense `reference` on it."""
        self.support[name] = support
        self.reference[name] = reference.reshape(-1)[support.reshape(-1)].clone()

    @torch.no_grad()
    def _adapt(self, name: str, grad: torch.Tensor, support: torch.Tensor, grown_pruned: torch.Tensor) -> None:
        """Let grown pruned positions join A, then prune as many alive entries outside the support."""
        weight = self.modules[name].weight
        alive = self.alive[name] | grown_pruned
        excess = int(torch.count_nonzero(alive)) - self.target_count[name]
        if excess > 0:
            value = weight.detach().float()
            score = (value * grad).abs() if self.cfg.adapt == "sensitivity" else value.abs()
            score = torch.where(alive & ~support, score, torch.tensor(float("inf")))
            removed = torch.zeros(alive.numel(), dtype=torch.bool, device=alive.device)
            removed[top_indices(score, excess, largest=False)] = True
            removed = removed.view_as(alive)
            alive &= ~removed
            weight[removed] = 0.0
        self.alive[name] = alive

    def _record(self, step: int, name: str, **counts: int) -> None:
        weight = self.modules[name].weight.detach()
        alive = self.alive[name]
        self.records.append({
            "step": step, "matrix": name, "alive": int(torch.count_nonzero(alive)), "target": self.target_count[name],
            "nonzero": int(torch.count_nonzero(weight)),
            "zero_outside_alive": not bool(torch.count_nonzero(weight.masked_fill(alive, 0))),
            "reactivated_alive": int(torch.count_nonzero(alive & ~self.originally_alive[name])), **counts})

    def after_backward(self, step: int, model: torch.nn.Module) -> None:
        """Hook for `reprolab.lm.train`: accumulate gradients, update the topology on schedule, mask gradients."""
        cfg = self.cfg
        if self.optimizer is None:
            raise RuntimeError("call initialize() before training")
        phase = step % cfg.update_every
        update = cfg.evolve and step > 0 and phase == 0 and step < self.total_steps - 1
        if cfg.evolve and (phase == 0 or phase > cfg.update_every - cfg.accumulation_steps):
            for name, module in self.modules.items():
                grad = module.weight.grad.detach()
                self._grad_sum[name] = self._grad_sum[name] + grad if name in self._grad_sum else grad.clone()
            self._grad_n += 1
        if update:
            self.update(step, {n: g / self._grad_n for n, g in self._grad_sum.items()})
        if phase == 0:
            self._grad_sum, self._grad_n = {}, 0
        for name, module in self.modules.items():
            module.weight.grad.mul_(self.support[name])

    @torch.no_grad()
    def update(self, step: int, grads: Mapping[str, torch.Tensor]) -> None:
        """One drop / grow / adapt round with the mean gradients `grads` (by matrix name)."""
        rho = drop_fraction(step, self.total_steps, self.cfg.drop_fraction, self.cfg.schedule)
        for name, module in self.modules.items():
            weight, grad = module.weight, grads[name]
            support = self.support[name]
            reference = weight.detach().clone()  # theta_p: W outside D, the stored values on D
            reference.view(-1)[support.view(-1)] = self.reference[name]
            delta = (weight.detach() - reference).abs()
            n = round(rho * self.budget[name])
            new, dropped, grown = drop_and_grow(support, delta, grad.abs(), n, self._allowed(name))
            weight[dropped] = reference[dropped]
            grown_pruned = grown & ~self.alive[name]
            self._adapt(name, grad, new, grown_pruned)
            self._set_support(name, new, torch.where(self.alive[name], reference, torch.zeros_like(reference)))
            self.optimizer.set_mask(weight, new)
            self._record(step, name, dropped=int(torch.count_nonzero(dropped)), grown=int(torch.count_nonzero(grown)),
                         reactivated=int(torch.count_nonzero(grown_pruned)))

    def state_dict(self) -> dict:
        """Everything the controller holds between steps (alive masks, supports, theta_p, the gradient window, the
        records), so a checkpoint (`lm.train(..., checkpointed=[controller])`) resumes it exactly; the optimizer's
        masks and moments are saved with the optimizer."""
        return {"alive": self.alive, "support": self.support, "reference": self.reference, "grad_sum": self._grad_sum,
                "grad_n": self._grad_n, "records": self.records}

    def load_state_dict(self, state: dict) -> None:
        self.alive, self.support, self.reference = state["alive"], state["support"], state["reference"]
        self._grad_sum, self._grad_n, self.records = state["grad_sum"], int(state["grad_n"]), list(state["records"])

    def state_bytes(self) -> int:
        """What training the delta holds: optimizer moments, the support's int64 indices and theta_p on D."""
        return self.optimizer.state_bytes() + sum(r.numel() * r.element_size() for r in self.reference.values())

    def mask_bytes(self) -> int:
        """The alive masks as bool tensors (one byte per entry; any sparse storage of the model holds them)."""
        return sum(a.numel() * a.element_size() for a in self.alive.values())
