"""Module-wise weight decay: AlphaDecay, its controls and the AWD / AdaDecay baselines, as optimizer groups.

Every tuned matrix (each nn.Linear except the first and the last in module order and those with fewer than
`min_eigs` eigenvalues, as the official code does) gets its own parameter group; everything else (embeddings,
norms, the excluded matrices) shares one group at the base decay. `before_step` is called after backward and
before optimizer.step (the `after_backward` hook of `reprolab.lm.train`) and rewrites the groups' decay:

- 'alphadecay': every `every` steps, alpha of each tuned matrix -> decay linearly from [alpha_min, alpha_max] to
  [s1, s2] x base (heavier tail, smaller alpha -> less decay);
- 'inverted': the same map reversed; 'frozen': the map of the alphas at initialisation, never refreshed;
- 'uniform': every tuned matrix at `tuned_decay` (default: base) - the sweep and the matched-mean control;
- 'awd': one global decay base x awd_scale x |grad| / |w|, smoothed 0.1 old + 0.9 new, every step (Ghiasi et al.);
- 'adadecay': per-matrix gradient norm z-scored within its block, decay base x 2 sigmoid(4 z) (Nakamura & Hong).
Works for Adam (coupled L2) and AdamW (decoupled) alike: both read `weight_decay` per group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import torch

from .spectra import module_alphas

METHODS = ("uniform", "alphadecay", "inverted", "frozen", "awd", "adadecay")
MODULE_TYPES = {"q_proj": "Q", "k_proj": "K", "v_proj": "V", "o_proj": "O", "gate_proj": "gate", "up_proj": "up",
                "down_proj": "down", "c_attn": "QKV", "c_proj": "proj", "c_fc": "fc"}
ATTENTION_TYPES = ("Q", "K", "V", "O", "QKV")


@dataclass
class DecaySpec:
    """Which decay rule, its base value and its knobs."""

    method: str = "alphadecay"
    base: float = 0.1  # base decay lambda_0 (AdamW: decoupled; Adam: L2 coefficient)
    s1: float = 0.6666  # lowest decay multiple (heaviest-tailed matrix)
    s2: float = 5.0  # highest decay multiple (lightest-tailed matrix)
    every: int = 500  # optimizer steps between alpha (or gradient-norm) refreshes
    fit: str = "hill"  # 'hill' (median x_min, the paper's) or 'ks' (KS-selected x_min, WeightWatcher's)
    tuned_decay: float | None = None  # 'uniform' only: decay of the tuned matrices (None: base)
    awd_scale: float = 100.0  # 'awd': the official code multiplies the base by 100
    exclude_first: bool = True  # skip the first Linear (layers.0.self_attn.q_proj in LLaMA), as the paper's code
    exclude_last: bool = True  # skip the last Linear (lm_head)
    min_eigs: int = 50  # skip matrices with fewer eigenvalues

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown decay method {self.method!r}; allowed: {', '.join(METHODS)}")
        if self.base < 0 or (self.tuned_decay is not None and self.tuned_decay < 0):
            raise ValueError(f"weight decay must be >= 0, got base={self.base}, tuned_decay={self.tuned_decay}")
        if not 0 <= self.s1 <= self.s2:
            raise ValueError(f"need 0 <= s1 <= s2, got s1={self.s1}, s2={self.s2}")
        if self.every < 1:
            raise ValueError(f"every must be a positive number of steps, got {self.every}")
        if self.fit not in ("hill", "ks"):
            raise ValueError(f"fit must be 'hill' or 'ks', got {self.fit!r}")


# BERT's names by suffix, longest first: its FFN's input and output matrices count as 'up' and 'down'
BERT_TYPES = {"attention.self.query": "Q", "attention.self.key": "K", "attention.self.value": "V",
              "attention.output.dense": "O", "intermediate.dense": "up", "output.dense": "down"}


def module_type(name: str) -> str:
    """'Q', 'K', 'V', 'O', 'gate', 'up', 'down' (or GPT-2's 'QKV', 'proj', 'fc') from a LLaMA-, GPT-2- or BERT-style
    module name; 'other' for anything else."""
    short = MODULE_TYPES.get(name.rsplit(".", 1)[-1])
    if short:
        return short
    return next((t for suffix, t in BERT_TYPES.items() if name.endswith(suffix)), "other")


def block_index(name: str) -> int:
    """The transformer block a module sits in (-1 outside any block)."""
    found = re.search(r"\.(?:layers|layer|h)\.(\d+)\.", f".{name}")
    return int(found.group(1)) if found else -1


def tuned_modules(model: torch.nn.Module, spec: DecaySpec) -> dict[str, torch.nn.Linear]:
    """The Linear modules whose decay is tuned, by name, in module order."""
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    if spec.exclude_first:
        linears = linears[1:]
    if spec.exclude_last:
        linears = linears[:-1]
    return {n: m for n, m in linears if min(m.weight.shape) >= spec.min_eigs}


def linear_map(alphas: np.ndarray, base: float, s1: float, s2: float) -> np.ndarray:
    """Decay of each matrix: alpha_min -> s1 base, alpha_max -> s2 base, linear between; base if all alphas equal.
    (s1 > s2 gives the inverted map.)"""
    lo, hi = float(alphas.min()), float(alphas.max())
    if hi - lo < 1e-12:
        return np.full(alphas.shape, base)
    return base * (s1 + (s2 - s1) * (alphas - lo) / (hi - lo))


@dataclass
class ModuleWiseDecay:
    """Parameter groups for one model and the rule that keeps their decay up to date (see the module docstring)."""

    model: torch.nn.Module
    spec: DecaySpec
    log: list[dict] = field(default_factory=list)  # one record per refresh: step, alpha and decay per tuned matrix

    def __post_init__(self) -> None:
        self.tuned = tuned_modules(self.model, self.spec)
        if not self.tuned and self.spec.method not in ("uniform", "awd"):
            raise ValueError(f"no Linear module has >= {self.spec.min_eigs} eigenvalues: {self.spec.method} has nothing "
                             "to tune (lower min_eigs or use a wider model)")
        self.names = list(self.tuned)
        self.types = [module_type(n) for n in self.names]
        self._awd: float | None = None
        self._optimizer: torch.optim.Optimizer | None = None
        alphas = self.alphas() if self.names else np.zeros(0)
        self._initial = self._initial_decays(alphas)
        self.log.append({"step": 0, "alpha": alphas.tolist(), "decay": self._initial.tolist()})

    def param_groups(self) -> list[dict]:
        """One group per tuned matrix (with 'name') then one group with every other trainable parameter."""
        tuned_ids = {id(m.weight) for m in self.tuned.values()}
        groups = [{"params": [m.weight], "weight_decay": float(d), "name": n}
                  for (n, m), d in zip(self.tuned.items(), self._initial)]
        rest = [p for p in self.model.parameters() if p.requires_grad and id(p) not in tuned_ids]
        return groups + [{"params": rest, "weight_decay": self.spec.base, "name": "rest"}]

    def optimizer(self, kind: str = "adamw", lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Optimizer:
        """Adam (coupled L2, the paper's main table) or AdamW (decoupled) over `param_groups`."""
        if kind not in ("adam", "adamw"):
            raise ValueError(f"optimizer must be 'adam' or 'adamw', got {kind!r}")
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        self._optimizer = cls(self.param_groups(), lr=lr, betas=betas)
        return self._optimizer

    def alphas(self) -> np.ndarray:
        """Current alpha of every tuned matrix, shape (n_tuned,)."""
        return module_alphas([m.weight for m in self.tuned.values()], self.spec.fit).cpu().numpy()

    def decays(self) -> np.ndarray:
        """Current decay of every tuned matrix (from the optimizer once built)."""
        if self._optimizer is None:
            return self._initial.copy()
        return np.array([g["weight_decay"] for g in self._optimizer.param_groups[: len(self.names)]])

    def mean_tuned_decay(self, total_steps: int) -> float:
        """Mean decay of the tuned weights over a run of `total_steps`: weighted by each matrix's entry count and by
        the number of steps each logged assignment was in force (the matched-mean control's value)."""
        sizes = np.array([m.weight.numel() for m in self.tuned.values()], dtype=float)
        starts = [r["step"] for r in self.log] + [total_steps]
        durations = np.diff(starts).clip(min=0)
        per_record = np.array([np.average(r["decay"], weights=sizes) for r in self.log])
        return float(np.average(per_record, weights=durations)) if durations.sum() else float(per_record[-1])

    def state_dict(self) -> dict:
        """The refresh log and AWD's smoothed decay (the groups' decays are saved with the optimizer), so a checkpoint
        (`lm.train(..., checkpointed=[decay])`) resumes exactly."""
        return {"log": self.log, "awd": self._awd}

    def load_state_dict(self, state: dict) -> None:
        self.log, self._awd = list(state["log"]), state["awd"]

    def before_step(self, step: int, _model: torch.nn.Module | None = None) -> None:
        """Refresh the groups' decay; `step` is 0-based (the `after_backward(step, model)` hook signature)."""
        method, groups = self.spec.method, self._optimizer.param_groups if self._optimizer else None
        if groups is None:
            raise RuntimeError("call optimizer() before training so the decay rule can reach the groups")
        if method == "awd":
            self._awd_step(groups)
        refresh = (step + 1) % self.spec.every == 0
        if not refresh:
            return
        alphas = self.alphas() if self.names else np.zeros(0)
        if method in ("alphadecay", "inverted"):
            new = self._map(alphas)
        elif method == "adadecay":
            new = self._adadecay()
        else:
            new = None
        if new is not None:
            for g, d in zip(groups, new):
                g["weight_decay"] = float(d)
        self.log.append({"step": step + 1, "alpha": alphas.tolist(), "decay": self.decays().tolist()})

    def _map(self, alphas: np.ndarray) -> np.ndarray:
        """The linear map; 'inverted' swaps its ends (both fall back to base when all alphas are equal)."""
        if self.spec.method == "inverted":
            return linear_map(alphas, self.spec.base, self.spec.s2, self.spec.s1)
        return linear_map(alphas, self.spec.base, self.spec.s1, self.spec.s2)

    def _initial_decays(self, alphas: np.ndarray) -> np.ndarray:
        if self.spec.method in ("alphadecay", "inverted", "frozen"):
            return self._map(alphas)
        if self.spec.method == "uniform" and self.spec.tuned_decay is not None:
            return np.full(len(self.names), self.spec.tuned_decay)
        return np.full(len(self.names), self.spec.base)

    def _awd_step(self, groups: list[dict]) -> None:
        params = [p for g in groups for p in g["params"] if p.grad is not None]
        grad = torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in params))
        weight = torch.sqrt(sum((p.detach() ** 2).sum() for p in params))
        value = float(self.spec.base * self.spec.awd_scale * grad / weight.clamp_min(1e-12))
        self._awd = value if self._awd is None else 0.1 * self._awd + 0.9 * value
        for g in groups:
            g["weight_decay"] = self._awd

    def _adadecay(self) -> np.ndarray:
        norms = np.array([float(m.weight.grad.norm()) if m.weight.grad is not None else 0.0 for m in self.tuned.values()])
        blocks = np.array([block_index(n) for n in self.names])
        z = np.zeros_like(norms)
        for b in np.unique(blocks):
            sel = blocks == b
            sd = norms[sel].std()
            z[sel] = (norms[sel] - norms[sel].mean()) / sd if sd > 0 else 0.0
        return self.spec.base * 2 / (1 + np.exp(-4 * z))
