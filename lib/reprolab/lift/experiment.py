"""Notebook 05's experiment: a base model with a source skill, fine-tuned on a target task by every method."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .. import lm
from ..lm import real_tasks
from ..lm.pretrained import load_pretrained, load_pretrained_tokenizer
from ..lm.real_tasks import ChoiceItem
from ..lm.tasks import Example
from .config import LiftConfig
from .finetune import SparseSpec, memory_bytes, prepare, target_modules

@dataclass
class Domains:
    """Tokenizer, pre-training data (source), target training data and the scored sets.

    Source retention is measured by what exists: generated fact questions (`source_eval`, exact match) and their
    answer loss (`source_eval_tensors`) for the tiny base; for a pretrained model, multiple-choice items it does
    above chance (`source_choices`) and held-out English text (`source_eval_tensors`, loss per block).
    """

    tokenizer: object
    pretrain: dict[str, torch.Tensor] | None
    target_train: dict[str, torch.Tensor]
    target_eval: list[Example]
    source_eval: list[Example]
    source_eval_tensors: dict[str, torch.Tensor] | None
    source_choices: list[ChoiceItem] = field(default_factory=list)

    @property
    def source_metric(self) -> str:
        """The per-item source score that claim 2 is decided on."""
        return "source_choice" if self.source_choices else "source_recall"


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


def pretrained_domains(cfg: LiftConfig) -> Domains:
    """A pretrained model's tokenizer; target: BIG-bench arithmetic (`target_tasks`, train / test split) or local
    instruction data (`target_path`, split the same way); source: BIG-bench multiple choice the model does above
    chance and held-out English text, neither ever trained on."""
    tok = load_pretrained_tokenizer(cfg.model_path)
    if cfg.target_path:
        examples = lm.instruction_examples(cfg.target_path)
        train = [e for e in examples if real_tasks.split_of(e.prompt) == "train"]
        test = [e for e in examples if real_tasks.split_of(e.prompt) == "test"]
    else:
        train, test = (real_tasks.arithmetic_examples(cfg.target_tasks, s) for s in ("train", "test"))
    text = lm.pack_text(tok, lm.english_corpus().validation, cfg.text_block_size)
    if len(text["input_ids"]) < cfg.n_text_blocks:
        raise ValueError(f"the held-out English text gives {len(text['input_ids'])} blocks, fewer than n_text_blocks = {cfg.n_text_blocks}")
    return Domains(tok, None, lm.sft_tensors(tok, train[:cfg.n_target_train], cfg.block_size), test[:cfg.n_eval], [],
                   {k: v[:cfg.n_text_blocks] for k, v in text.items()}, real_tasks.choice_items()[:cfg.n_source_choices])


def domains_for(cfg: LiftConfig) -> Domains:
    """`pretrained_domains` when the config names a model, else `generated_domains`."""
    return pretrained_domains(cfg) if cfg.model_path else generated_domains(cfg)


def base_model(cfg: LiftConfig, domains: Domains) -> tuple[torch.nn.Module, list[dict]]:
    """The model to fine-tune: a pretrained model (`model_path`: registry name, local folder or cached hub id), or
    the tiny LLaMA pre-trained here on the source domain."""
    if cfg.model_path:
        return load_pretrained(cfg.model_path)[0], []
    shape = lm.TinyLMConfig(d_model=cfg.d_model, n_layers=cfg.n_layers, d_ff=cfg.d_ff, max_len=2 * cfg.block_size,
                            tie_embeddings=False)
    model = lm.tiny_lm(shape, domains.tokenizer, seed=0)
    train_cfg = lm.TrainConfig(steps=cfg.pretrain_steps, batch_size=cfg.batch_size, lr=cfg.pretrain_lr,
                               warmup_steps=max(1, cfg.pretrain_steps // 20), seed=0, device=cfg.device, progress=False)
    result = lm.train(model, domains.pretrain, train_cfg)
    return result.model, result.history


@dataclass
class Scores:
    """Target exact match, source fact recall, source multiple-choice accuracy and source loss (nats/token) of one
    model (NaN where the domains have no such set), and the same per evaluation item in `items` ((N,) float64
    arrays under the same names: the evidence engine pairs them)."""

    target: float
    source_recall: float
    source_loss: float
    source_choice: float = float("nan")
    items: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def means(self) -> dict[str, float]:
        return {"target": self.target, "source_recall": self.source_recall, "source_loss": self.source_loss,
                "source_choice": self.source_choice}


def score(model: torch.nn.Module, domains: Domains, answer_tokens: int = 48) -> Scores:
    """Every score of `model` on `domains`; generations are cut after `answer_tokens` new tokens."""
    items: dict[str, np.ndarray] = {}
    predictions = lm.generate(model, domains.tokenizer, [e.prompt for e in domains.target_eval], answer_tokens)
    items["target"] = np.asarray(lm.exact_match(predictions, list(domains.target_eval)), float)
    if domains.source_eval:
        predictions = lm.generate(model, domains.tokenizer, [e.prompt for e in domains.source_eval], answer_tokens)
        items["source_recall"] = np.asarray(lm.exact_match(predictions, list(domains.source_eval)), float)
    if domains.source_choices:
        items["source_choice"] = real_tasks.choice_accuracy(model, domains.tokenizer, domains.source_choices)
    if domains.source_eval_tensors is not None:
        sums, counts = lm.sequence_losses(model, domains.source_eval_tensors)
        items["source_loss"] = sums / counts
        loss = float(sums.sum() / counts.sum())
    else:
        loss = float("nan")
    mean = {k: float(v.mean()) for k, v in items.items()}
    return Scores(mean["target"], mean.get("source_recall", float("nan")), loss, mean.get("source_choice", float("nan")),
                  items)


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
    scores = score(result.model, domains, cfg.answer_tokens)
    return FinetuneResult(method, seed, scores, prepared.trainable, memory_bytes(prepared),
                          changed_fraction(base, result.model), result.seconds, result.history)


def finetune_all(cfg: LiftConfig, base: torch.nn.Module, domains: Domains) -> list[FinetuneResult]:
    """Every method for seeds seed .. seed + n_seeds - 1, with a progress bar."""
    from ..core.progress import progress_bar

    jobs = [(m, cfg.seed + k) for k in range(cfg.n_seeds) for m in cfg.methods]
    return [finetune(cfg, base, domains, m, s) for m, s in progress_bar(jobs, desc="fine-tunes", mininterval=10)]


def mask_spectra(weight: torch.Tensor, masks: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Singular values of W restricted to each mask (W * M), for comparing what LIFT and magnitude keep."""
    return {name: torch.linalg.svdvals((weight.detach() * m).float()).numpy() for name, m in masks.items()}
