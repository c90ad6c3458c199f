"""Training runs of notebook 03: one tiny LLaMA per (method, seed), paired by seed, results written as they finish."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import lm
from .config import AlphaDecayConfig
from .decay import DecaySpec, ModuleWiseDecay, module_type


@dataclass
class LMData:
    """Tokenizer and packed (N, seq_len) train / validation tensors."""

    tokenizer: object
    train: dict[str, torch.Tensor]
    validation: dict[str, torch.Tensor]
    source: str


@dataclass
class RunResult:
    """One finished run: final validation loss and perplexity, the decay log, the mean tuned decay."""

    label: str  # e.g. 'uniform', 'alphadecay', 'matched', 'uniform 0.25'
    method: str
    seed: int
    val_loss: float
    tuned_decay: float  # mean decay of the tuned weights over the run (weighted by entries and steps)
    names: list[str]
    log: list[dict] = field(default_factory=list)  # per refresh: step, alpha, decay (per tuned matrix)
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    model: torch.nn.Module | None = field(default=None, repr=False)  # the trained model (kept for inspection)
    item_losses: np.ndarray | None = field(default=None, repr=False)  # (N,) validation loss per sequence, nats/token

    def summary(self) -> dict:
        """JSON-ready record without the model and the training history."""
        return {"label": self.label, "method": self.method, "seed": self.seed, "val_loss": self.val_loss,
                "perplexity": self.perplexity, "tuned_decay": self.tuned_decay, "names": self.names, "log": self.log,
                "seconds": self.seconds}

    @property
    def perplexity(self) -> float:
        return float(np.exp(self.val_loss))

    def alpha_by_type(self, step_index: int = -1) -> dict[str, float]:
        """Mean alpha per module type (Q, K, ..., down) at one logged refresh."""
        alphas = np.array(self.log[step_index]["alpha"])
        types = [module_type(n) for n in self.names]
        return {t: float(alphas[[k for k, u in enumerate(types) if u == t]].mean()) for t in dict.fromkeys(types)}


def prepare_data(cfg: AlphaDecayConfig) -> LMData:
    """The offline KJV corpus with a BPE trained on its train split, or a local dataset and tokenizer."""
    if cfg.dataset_path:
        texts = lm.load_texts(cfg.dataset_path, cfg.text_column, cfg.max_documents or None)
        val_texts = lm.load_texts(cfg.dataset_path, cfg.text_column, cfg.max_documents or None, split="validation")
        train_texts, source = texts, cfg.dataset_path
    else:
        corpus = lm.english_corpus(max_chars=cfg.corpus_chars or None)
        train_texts, val_texts, source = corpus.train, corpus.validation, corpus.source
    tokenizer = lm.load_tokenizer(cfg.tokenizer_path) if cfg.tokenizer_path else lm.train_bpe(train_texts, cfg.vocab_size)
    return LMData(tokenizer, lm.pack_text(tokenizer, train_texts, cfg.seq_len), lm.pack_text(tokenizer, val_texts, cfg.seq_len),
                  source)


def build_model(cfg: AlphaDecayConfig, tokenizer, seed: int) -> torch.nn.Module:
    """An untied LLaMA of the configured shape, initialised from `seed`."""
    shape = lm.TinyLMConfig(d_model=cfg.hidden, n_layers=cfg.n_layers, n_heads=cfg.n_heads, d_ff=cfg.intermediate,
                            max_len=cfg.seq_len, tie_embeddings=False)
    return lm.tiny_lm(shape, tokenizer, seed=seed)


def decay_spec(cfg: AlphaDecayConfig, method: str, tuned_decay: float | None = None) -> DecaySpec:
    """The DecaySpec of one method ('matched' and sweep points are 'uniform' with a tuned_decay)."""
    return DecaySpec(method="uniform" if method == "matched" else method, base=cfg.base_decay, s1=cfg.s1, s2=cfg.s2,
                     every=cfg.every, fit=cfg.fit, tuned_decay=tuned_decay)


def run(cfg: AlphaDecayConfig, data: LMData, label: str, spec: DecaySpec, seed: int, out: Path | None = None) -> RunResult:
    """Train one model; with `out`, history.jsonl (and checkpoints if configured) go to out/<label>/seed<seed>."""
    model = build_model(cfg, data.tokenizer, seed)
    decay = ModuleWiseDecay(model, spec)
    optimizer = decay.optimizer(cfg.optimizer, cfg.lr, betas=(0.9, 0.999))
    folder = out / label.replace(" ", "_") / f"seed{seed}" if out is not None else None
    train_cfg = lm.TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=max(1, cfg.steps // 10),
                               min_lr_ratio=0.1, betas=(0.9, 0.999), grad_clip=cfg.grad_clip, log_every=max(1, cfg.steps // 20),
                               seed=seed, device=cfg.device, mixed_precision=cfg.mixed_precision, progress=False,
                               output_dir=str(folder) if folder else None, checkpoint_every=cfg.checkpoint_every)
    result = lm.train(model, data.train, train_cfg, optimizer=optimizer, after_backward=decay.before_step,
                      checkpointed=[decay])
    sums, counts = lm.sequence_losses(result.model, data.validation)
    val_loss = float(sums.sum() / counts.sum())
    return RunResult(label, spec.method, seed, val_loss, decay.mean_tuned_decay(cfg.steps), decay.names, decay.log,
                     result.history, result.seconds, result.model, sums / counts)


def _logged_runs(path: Path) -> set[tuple[str, int]]:
    """(label, seed) of the runs already in a results.jsonl (an interrupted run's folder); empty if none. A last line
    that a kill cut short is dropped from the file."""
    if not path.is_file():
        return set()
    rows, lines = [], path.read_text().splitlines()
    for line in lines:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    if len(rows) < len(lines):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {(r["label"], r["seed"]) for r in rows}


def run_all(cfg: AlphaDecayConfig, data: LMData, out: Path | None = None) -> list[RunResult]:
    """Every method (and sweep point) for each seed; 'matched' uses the same seed's AlphaDecay mean decay.

    Each finished run is appended to out/results.jsonl, so an interrupted session keeps what it finished; a resumed
    one (`core.paths.resuming()`, with checkpoints) reloads the finished runs from their last checkpoints, continues
    the interrupted one and appends only the runs results.jsonl lacks.
    """
    from ..core.progress import progress_bar

    jobs = [(m, None) for m in cfg.methods] + [("uniform", d) for d in cfg.sweep]
    results: list[RunResult] = []
    logged = _logged_runs(out / "results.jsonl") if out is not None else set()
    bar = progress_bar(total=len(jobs) * cfg.n_seeds, desc="runs", mininterval=10)
    for k in range(cfg.n_seeds):
        seed = cfg.seed + k
        done: dict[str, RunResult] = {}
        for method, value in jobs:
            if method == "matched":
                value = done["alphadecay"].tuned_decay
            label = f"uniform {value:g}" if method == "uniform" and value is not None else method
            res = run(cfg, data, label, decay_spec(cfg, method, value), seed, out)
            done[label] = res
            results.append(res)
            if out is not None and (label, seed) not in logged:
                with open(out / "results.jsonl", "a") as f:
                    f.write(json.dumps(res.summary()) + "\n")
            bar.update()
    bar.close()
    return results
