"""One training run of an MoE/CoE configuration, and the set of runs the notebook compares."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..lm import TrainConfig, mean_loss, sequence_losses, train
from .config import CoEConfig
from .model import WithAuxLoss, build_coe_model, deepseek_config, moe_layers, spec_from_config


@dataclass
class Variant:
    """A named model variant: experts N (incl. shared), routed experts per iteration k, iterations C,
    and the paper's ablation switches."""

    name: str
    n_experts: int
    k: int
    n_iter: int
    independent_gates: bool = True  # False: one router shared by the iterations
    inner_residual: bool = True  # False with outer_residual: the paper's "outer residual" ablation
    outer_residual: bool = False


@dataclass
class RunResult:
    variant: str
    seed: int
    steps: list[int]
    val_loss: list[float]
    history: list[dict] = field(default_factory=list)
    routing: list[list[torch.Tensor]] = field(default_factory=list)  # per layer, per iteration: (B, T, k)
    seconds: float = 0.0
    item_losses: np.ndarray | None = None  # (N,) final validation loss per sequence, nats/token

    @property
    def final(self) -> float:
        """Validation loss after the last step."""
        return float(self.val_loss[-1])


def variants(cfg: CoEConfig) -> list[Variant]:
    """MoE(K, N), CoE-2(K/2, N) and CoE-2(K/2, 0.75 N): equal routed-expert calls per token."""
    k, n = cfg.k_moe, cfg.n_experts
    main = [Variant(f"MoE({k}/{n})", n, k, 1), Variant(f"CoE-2({k // 2}/{n})", n, k // 2, 2),
            Variant(f"CoE-2({k // 2}/{cfg.n_experts_small})", cfg.n_experts_small, k // 2, 2)]
    if not cfg.ablations:
        return main
    return main + [Variant(f"CoE-2({k // 2}/{n}) shared router", n, k // 2, 2, independent_gates=False),
                   Variant(f"CoE-2({k // 2}/{n}) outer residual", n, k // 2, 2, inner_residual=False, outer_residual=True)]


def model_config(cfg: CoEConfig, vocab_size: int, variant: Variant):
    """DeepseekV2Config and CoESpec of one variant (N - 1 routed experts + 1 shared)."""
    config = deepseek_config(vocab_size, cfg.hidden, cfg.n_layers, cfg.n_heads, variant.n_experts - 1, 1,
                             cfg.expert_intermediate, variant.k * variant.n_iter, cfg.kv_lora_rank, cfg.qk_nope_head_dim,
                             cfg.qk_rope_head_dim, cfg.v_head_dim, max_len=cfg.block_size)
    spec = spec_from_config(config, variant.n_iter, k=variant.k, shared_each_iter=cfg.shared_each_iter,
                            independent_gates=variant.independent_gates, inner_residual=variant.inner_residual)
    return config, spec


def run_variant(cfg: CoEConfig, variant: Variant, vocab_size: int, train_data: dict, val_data: dict, seed: int) -> RunResult:
    """Train one variant from a seeded initialisation; validation LM loss (no aux term) every eval_every steps."""
    config, spec = model_config(cfg, vocab_size, variant)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_coe_model(config, spec, cfg.residual_mode, variant.outer_residual)
    train_cfg = TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=max(1, cfg.steps // 10),
                            schedule="constant", weight_decay=cfg.weight_decay, betas=(0.9, 0.95), grad_clip=1.0,
                            eval_every=cfg.eval_every, log_every=cfg.eval_every, seed=seed, device=cfg.device,
                            mixed_precision=cfg.mixed_precision, progress=False)
    result = train(WithAuxLoss(model), train_data, train_cfg, eval_fn=lambda m: {"val_loss": mean_loss(m, val_data)})
    steps, losses = result.column("val_loss")
    sums, counts = sequence_losses(result.model, val_data)
    return RunResult(variant.name, seed, steps, losses, result.history, routing_of(model, val_data), result.seconds,
                     sums / counts)


@torch.no_grad()
def routing_of(model, val_data: dict, n_rows: int = 32) -> list[list[torch.Tensor]]:
    """Each layer's chosen experts per iteration on the first validation rows."""
    model.eval()
    device = next(model.parameters()).device
    model(input_ids=val_data["input_ids"][:n_rows].to(device))
    return [[idx.cpu() for idx in layer.last_indices] for layer in moe_layers(model)]


def run_all(cfg: CoEConfig, vocab_size: int, train_data: dict, val_data: dict) -> dict[str, list[RunResult]]:
    """Every variant for seeds seed .. seed + n_seeds - 1, with a progress bar over runs."""
    from ..core.progress import progress_bar

    jobs = [(v, cfg.seed + s) for v in variants(cfg) for s in range(cfg.n_seeds)]
    results: dict[str, list[RunResult]] = {}
    for variant, seed in progress_bar(jobs, desc="runs", mininterval=10):
        results.setdefault(variant.name, []).append(run_variant(cfg, variant, vocab_size, train_data, val_data, seed))
    return results
