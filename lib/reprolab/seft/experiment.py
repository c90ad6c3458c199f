"""Notebook 06's experiment: a base model, pruned one-shot, then repaired by every method with paired seeds."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import lm
from ..lm import real_tasks
from ..lm.pretrained import load_pretrained, load_pretrained_tokenizer
from ..lm.real_tasks import ChoiceItem
from ..lm.tasks import Example
from ..sparsity import prune_model, target_modules
from .config import SeftConfig
from .finetune import finish, memory_bytes, prepare, weight_sparsity


@dataclass
class Domains:
    """Tokenizer, pre-training data, repair data, the scored task (generated `task_eval` examples by exact match,
    or `choice_eval` multiple-choice items by log-likelihood), held-out text and calibration batches."""

    tokenizer: object
    pretrain: dict[str, torch.Tensor] | None
    repair: dict[str, torch.Tensor]
    task_eval: list[Example]
    text_eval: dict[str, torch.Tensor]
    calibration: dict[str, torch.Tensor]
    choice_eval: list[ChoiceItem] = field(default_factory=list)

    @property
    def task_metric(self) -> str:
        return "task exact match" if self.task_eval else "multiple-choice accuracy"

    def calibration_batches(self, batch_size: int = 16) -> list[dict[str, torch.Tensor]]:
        n = len(self.calibration["input_ids"])
        return [{"input_ids": self.calibration["input_ids"][i:i + batch_size]} for i in range(0, n, batch_size)]


def generated_domains(cfg: SeftConfig) -> Domains:
    """English text plus a + b problems: the base learns both, the pruned model is repaired on both.

    Calibration is held-out-free training text (as Wanda calibrates on C4 training shards).
    """
    corpus = lm.english_corpus(max_chars=cfg.corpus_chars)
    pre_task = lm.generate_task("add", cfg.n_task_train, 0, max_value=cfg.max_value)
    repair_task = lm.generate_task("add", cfg.n_task_train, 1, max_value=cfg.max_value)
    task_eval = lm.generate_task("add", cfg.n_eval, 2, max_value=cfg.max_value)
    tok = lm.char_tokenizer(corpus.train + corpus.validation + [e.text for e in pre_task + repair_task + task_eval])
    text = lm.pack_text(tok, corpus.train, cfg.block_size)
    half = len(text["input_ids"]) // 2
    first, second = ({k: v[:half] for k, v in text.items()}, {k: v[half:] for k, v in text.items()})
    pretrain = lm.concat(first, lm.sft_tensors(tok, pre_task, cfg.block_size, train_on_prompt=True))
    repair = lm.concat(second, lm.sft_tensors(tok, repair_task, cfg.block_size))
    calibration = {"input_ids": text["input_ids"][:cfg.n_calibration]}
    return Domains(tok, pretrain, repair, task_eval, lm.pack_text(tok, corpus.validation, cfg.block_size), calibration)


def paper_domains(cfg: SeftConfig) -> Domains:
    """Local copies of the paper's data: instruction records to repair on and to score, and text for
    calibration and perplexity, tokenized with the model's own tokenizer."""
    tok = lm.load_tokenizer(cfg.model_path)
    train, evaluation = lm.instruction_examples(cfg.train_path), lm.instruction_examples(cfg.eval_path, cfg.n_eval)
    texts = lm.load_texts(cfg.text_path, limit=20 * cfg.n_calibration)
    text = lm.pack_text(tok, texts, cfg.block_size)
    n = cfg.n_calibration
    return Domains(tok, None, lm.sft_tensors(tok, train, cfg.block_size), evaluation,
                   {k: v[n:2 * n] for k, v in text.items()}, {"input_ids": text["input_ids"][:n]})


def pretrained_domains(cfg: SeftConfig) -> Domains:
    """A pretrained model with the shipped data: English text (the KJV) cut into blocks for calibration (the first
    `n_calibration` training blocks), repair (the next `n_repair_blocks`) and held-out perplexity (`n_text_blocks`
    validation blocks); the task is BIG-bench multiple choice (`n_choices` items), never trained on."""
    tok = load_pretrained_tokenizer(cfg.model_path)
    n, r = cfg.n_calibration, cfg.n_repair_blocks
    corpus = lm.english_corpus()
    text = lm.pack_text(tok, corpus.train, cfg.block_size)
    held_out = lm.pack_text(tok, corpus.validation, cfg.block_size)
    if len(text["input_ids"]) < n + r or len(held_out["input_ids"]) < cfg.n_text_blocks:
        raise ValueError(f"the English text gives {len(text['input_ids'])} training and {len(held_out['input_ids'])} held-out "
                         f"blocks; asked for n_calibration + n_repair_blocks = {n + r} and n_text_blocks = {cfg.n_text_blocks}")
    repair = {k: v[n:n + r] for k, v in text.items()}
    return Domains(tok, None, repair, [], {k: v[:cfg.n_text_blocks] for k, v in held_out.items()},
                   {"input_ids": text["input_ids"][:n]}, real_tasks.choice_items()[:cfg.n_choices])


def domains_for(cfg: SeftConfig) -> Domains:
    """The paper's local data (`train_path` ...), the shipped real data for a pretrained `model_path` alone, or the
    generated domains of the tiny base."""
    if cfg.model_path:
        return paper_domains(cfg) if cfg.train_path else pretrained_domains(cfg)
    return generated_domains(cfg)


def base_model(cfg: SeftConfig, domains: Domains) -> torch.nn.Module:
    """The dense model: a pretrained model (`model_path`: registry name, local folder or cached hub id), or the tiny
    LLaMA pre-trained here (seed 0)."""
    if cfg.model_path:
        return load_pretrained(cfg.model_path)[0]
    shape = lm.TinyLMConfig(d_model=cfg.d_model, n_layers=cfg.n_layers, d_ff=cfg.d_ff, max_len=2 * cfg.block_size,
                            tie_embeddings=False)
    model = lm.tiny_lm(shape, domains.tokenizer, seed=0)
    train_cfg = lm.TrainConfig(steps=cfg.pretrain_steps, batch_size=cfg.batch_size, lr=cfg.pretrain_lr,
                               warmup_steps=max(1, cfg.pretrain_steps // 20), seed=0, device=cfg.device, progress=False)
    return lm.train(model, domains.pretrain, train_cfg).model


def prune(cfg: SeftConfig, dense: torch.nn.Module, domains: Domains) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    """A pruned deep copy of `dense` and its kept masks (the configured pruner, sparsity and N:M pattern)."""
    import copy

    model = copy.deepcopy(dense)
    masks = prune_model(model, cfg.pruner, cfg.sparsity, domains.calibration_batches(), cfg.nm_pair)
    return model, masks


def damage_sweep(cfg: SeftConfig, dense: torch.nn.Module, domains: Domains) -> list[dict]:
    """Scores of one-shot pruned copies of `dense` for every (pruner, sparsity) of the config's sweep."""
    import copy

    rows = []
    for pruner in cfg.damage_pruners:
        for sparsity in cfg.damage_sparsities:
            model = copy.deepcopy(dense)
            prune_model(model, pruner, sparsity, domains.calibration_batches())
            scores = asdict(score(model, domains))
            rows.append({"pruner": pruner, "nominal": sparsity, "realised": scores.pop("sparsity"), **scores})
    return rows


@dataclass
class Scores:
    """Task score (exact match, or multiple-choice accuracy) and held-out text perplexity of one model, and its
    target-matrix sparsity."""

    task: float
    perplexity: float
    sparsity: float


def score(model: torch.nn.Module, domains: Domains) -> Scores:
    """Task exact match, held-out perplexity and sparsity of `model`."""
    return score_items(model, domains)[0]


def score_items(model: torch.nn.Module, domains: Domains) -> tuple[Scores, dict[str, np.ndarray]]:
    """`score` and the same per evaluation item: `task` (N,) exact match or choice accuracy and `text_loss` (M,)
    held-out loss per sequence in nats/token (the evidence engine pairs them across methods)."""
    if domains.task_eval:
        predictions = lm.generate(model, domains.tokenizer, [e.prompt for e in domains.task_eval], 48)
        task = np.asarray(lm.exact_match(predictions, list(domains.task_eval)), float)
    else:
        task = real_tasks.choice_accuracy(model, domains.tokenizer, domains.choice_eval)
    sums, counts = lm.sequence_losses(model, domains.text_eval)
    scores = Scores(float(task.mean()), math.exp(sums.sum() / counts.sum()), weight_sparsity(model))
    return scores, {"task": task, "text_loss": sums / counts}


@dataclass
class RepairResult:
    method: str
    seed: int
    scores: Scores
    trainable: int
    memory: dict[str, int]
    seconds: float  # training wall time (without scoring)
    merged_sparsity: float | None = None  # LoRA methods: sparsity after merging, before any re-pruning
    revived: int = 0  # sparse methods: non-zero weights at positions the pruner had removed
    history: list[dict] = field(default_factory=list)
    topology: list[dict] = field(default_factory=list)  # SEFT's per-update records (alive, non-zero, grown, ...)
    items: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # per-item scores (see `score_items`)

    def row(self) -> dict:
        return {"method": self.method, "seed": self.seed, **asdict(self.scores), "trainable": self.trainable,
                "seconds": self.seconds, "merged_sparsity": self.merged_sparsity, "revived": self.revived, **{f"mem_{k}": v for k, v in self.memory.items()}}


def repair(cfg: SeftConfig, pruned: torch.nn.Module, alive: dict[str, torch.Tensor], domains: Domains, method: str,
           seed: int) -> RepairResult:
    """Fine-tune the pruned model with one method and `seed` (batch order, first support, LoRA init); score it."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(domains.repair["input_ids"]), generator=generator)
    init = [{k: v[order[i:i + cfg.batch_size]] for k, v in domains.repair.items()}
            for i in range(0, cfg.accumulation_steps * cfg.batch_size, cfg.batch_size)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        prepared = prepare(pruned, alive, method, cfg.lr, cfg.evolution, cfg.steps, init)
    train_cfg = lm.TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=max(1, cfg.steps // 20),
                               min_lr_ratio=0.0, seed=seed, device=cfg.device, progress=False)
    result = lm.train(prepared.model, domains.repair, train_cfg, optimizer=prepared.optimizer,
                      after_backward=prepared.after_backward)
    memory = memory_bytes(prepared)
    final, merged_sparsity = finish(prepared, result.model, cfg.sparsity, domains.calibration_batches(), cfg.pruner,
                                    cfg.nm_pair)
    topology = prepared.evolution.records if prepared.evolution else []
    revived = 0
    if method != "lora_reprune" and method != "lora_dense":
        weights = {n: m.weight.detach() for n, m in target_modules(final).items()}
        revived = sum(int(torch.count_nonzero(weights[n][~a])) for n, a in alive.items())
    scores, items = score_items(final, domains)
    return RepairResult(method, seed, scores, prepared.trainable, memory, result.seconds, merged_sparsity,
                        revived, result.history, topology, items)


def repair_all(cfg: SeftConfig, pruned: torch.nn.Module, alive: dict[str, torch.Tensor], domains: Domains,
               out_dir: Path | None = None) -> list[RepairResult]:
    """Every method for seeds seed .. seed + n_seeds - 1 with a progress bar; each finished run is appended to
    `out_dir/results.jsonl` as it completes (nothing is lost if a long run stops)."""
    from ..core.progress import progress_bar

    jobs = [(m, cfg.seed + k) for k in range(cfg.n_seeds) for m in cfg.methods]
    results = []
    for method, seed in progress_bar(jobs, desc="repairs", mininterval=10):
        results.append(repair(cfg, pruned, alive, domains, method, seed))
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            with open(out_dir / "results.jsonl", "a") as f:
                f.write(json.dumps(results[-1].row()) + "\n")
    return results
