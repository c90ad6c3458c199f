"""Notebook 05's experiment: a base model with a source skill, fine-tuned on a target task by every method."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .. import lm
from ..lm.tasks import Example
from .config import LiftConfig
from .finetune import SparseSpec, memory_bytes, prepare, target_modules

@dataclass
class Domains:
    """Tokenizer, pre-training data (source), target training data and the scored example sets."""

    tokenizer: object
    pretrain: dict[str, torch.Tensor] | None
    target_train: dict[str, torch.Tensor]
    target_eval: list[Example]
    source_eval: list[Example]
    source_eval_tensors: dict[str, torch.Tensor] | None


def generated_domains(cfg: LiftConfig) -> Domains:
    """Source: facts about generated people and single-digit additions; target: a + b up to `target_max`.

    The target builds on the source's addition skill (an unrelated target learns nothing at this scale); source
    retention is measured on questions about the memorised facts.
    """
    world = lm.tasks.make_world(cfg.n_people, seed=0)
    facts_qa = lm.generate_task("facts", 20 * cfg.n_people, 0, world=world)
    small_add = lm.generate_task("add", cfg.n_small_add, 0, max_value=9)
    target_train = lm.generate_task("add", cfg.n_target_train, 1, max_value=cfg.target_max)
    target_eval = lm.generate_task("add", cfg.n_eval, 2, max_value=cfg.target_max)
    source_eval = lm.generate_task("facts", cfg.n_eval, 3, world=world)
    facts = lm.tasks.world_text(world)
    tok = lm.char_tokenizer(facts + [e.text for e in facts_qa + small_add + target_train + target_eval + source_eval])
    pretrain = lm.concat(lm.pack_text(tok, facts * 10, cfg.block_size),
                         lm.sft_tensors(tok, facts_qa + small_add, cfg.block_size, train_on_prompt=True))
    return Domains(tok, pretrain, lm.sft_tensors(tok, target_train, cfg.block_size), target_eval, source_eval,
                   lm.sft_tensors(tok, source_eval, cfg.block_size))


def base_model(cfg: LiftConfig, domains: Domains) -> tuple[torch.nn.Module, list[dict]]:
    """The model to fine-tune: a local HF model (`model_path`), or the tiny LLaMA pre-trained on the source."""
    if cfg.model_path:
        return lm.load_causal_lm(cfg.model_path), []
    shape = lm.TinyLMConfig(d_model=cfg.d_model, n_layers=cfg.n_layers, d_ff=cfg.d_ff, max_len=2 * cfg.block_size,
                            tie_embeddings=False)
    model = lm.tiny_lm(shape, domains.tokenizer, seed=0)
    train_cfg = lm.TrainConfig(steps=cfg.pretrain_steps, batch_size=cfg.batch_size, lr=cfg.pretrain_lr,
                               warmup_steps=max(1, cfg.pretrain_steps // 20), seed=0, device=cfg.device, progress=False)
    result = lm.train(model, domains.pretrain, train_cfg)
    return result.model, result.history


@dataclass
class Scores:
    """Target exact match, source fact recall and source answer loss (nats/token) of one model, and the same per
    evaluation item in `items` ((N,) float64 arrays under the same names: the evidence engine pairs them)."""

    target: float
    source_recall: float
    source_loss: float
    items: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def means(self) -> dict[str, float]:
        return {"target": self.target, "source_recall": self.source_recall, "source_loss": self.source_loss}


def score(model: torch.nn.Module, domains: Domains) -> Scores:
    items: dict[str, np.ndarray] = {}
    predictions = lm.generate(model, domains.tokenizer, [e.prompt for e in domains.target_eval], 48)
    items["target"] = np.asarray(lm.exact_match(predictions, list(domains.target_eval)), float)
    if domains.source_eval:
        predictions = lm.generate(model, domains.tokenizer, [e.prompt for e in domains.source_eval], 48)
        items["source_recall"] = np.asarray(lm.exact_match(predictions, list(domains.source_eval)), float)
    if domains.source_eval_tensors is not None:
        sums, counts = lm.sequence_losses(model, domains.source_eval_tensors)
        items["source_loss"] = sums / counts
        loss = float(sums.sum() / counts.sum())
    else:
        loss = float("nan")
    mean = {k: float(v.mean()) for k, v in items.items()}
    return Scores(mean["target"], mean.get("source_recall", float("nan")), loss, items)


@dataclass
class FinetuneResult:
    method: str
    seed: int
    scores: Scores
    trainable: int
    memory: dict[str, int]
    changed_fraction: float  # share of target-matrix entries that differ from the base after training
    seconds: float
    history: list[dict] = field(default_factory=list)


def changed_fraction(base: torch.nn.Module, tuned: torch.nn.Module) -> float:
    """Fraction of target-matrix entries that changed (LoRA/DoRA models are merged first)."""
    if hasattr(tuned, "merge_and_unload"):
        tuned = tuned.merge_and_unload()
    before, after = target_modules(base), target_modules(tuned)
    changed = sum(int((after[n].weight != m.weight).sum()) for n, m in before.items())
    return changed / sum(m.weight.numel() for m in before.values())


def finetune(cfg: LiftConfig, base: torch.nn.Module, domains: Domains, method: str, seed: int) -> FinetuneResult:
    """One method from the base model with `seed` (batch order, adapter init); scored on target and source."""
    spec = SparseSpec(cfg.budget_rank, cfg.filter_rank, cfg.interval, cfg.svd)
    lr = cfg.lr_full if method == "full" else cfg.lr_adapter
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        prepared = prepare(base, method, lr, spec, total_steps=cfg.steps)
    train_cfg = lm.TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr=lr, warmup_steps=max(1, cfg.steps // 20),
                               min_lr_ratio=0.0, betas=(0.9, 0.95), seed=seed, device=cfg.device, progress=False)
    result = lm.train(prepared.model, domains.target_train, train_cfg, optimizer=prepared.optimizer,
                      after_step=prepared.after_step)
    scores = score(result.model, domains)
    return FinetuneResult(method, seed, scores, prepared.trainable, memory_bytes(prepared),
                          changed_fraction(base, result.model), result.seconds, result.history)


def finetune_all(cfg: LiftConfig, base: torch.nn.Module, domains: Domains) -> list[FinetuneResult]:
    """Every method for seeds seed .. seed + n_seeds - 1, with a progress bar."""
    from tqdm import tqdm

    jobs = [(m, cfg.seed + k) for k in range(cfg.n_seeds) for m in cfg.methods]
    return [finetune(cfg, base, domains, m, s) for m, s in tqdm(jobs, desc="fine-tunes", mininterval=10)]


def mask_spectra(weight: torch.Tensor, masks: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Singular values of W restricted to each mask (W * M), for comparing what LIFT and magnitude keep."""
    return {name: torch.linalg.svdvals((weight.detach() * m).float()).numpy() for name, m in masks.items()}
