"""Notebook 08's experiments: each variant trained with paired seeds on mnist1d and on a Markov language source."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import lm
from ..sparsity import DSTConfig, DynamicSparsity
from .config import NeuroTrailsConfig
from .ensemble import scores
from .lm_heads import MultiHeadCausalLM
from .models import MultiHeadResNet1d, ResNet1dConfig


@dataclass
class Variant:
    """One model family: heads M, units per head b, and its sparsity (None: dense; fix: static masks)."""

    name: str
    n_heads: int
    blocks_in_head: int
    density: float | None = None
    fix: bool = False


def vision_variants(cfg: NeuroTrailsConfig) -> dict[str, Variant]:
    m, b = cfg.n_heads, cfg.blocks_in_head
    return {"single": Variant("single", 1, 0), "full_ensemble": Variant("full_ensemble", m, cfg.n_units),
            "treenet": Variant("treenet", m, b), "neurotrails": Variant("neurotrails", m, b, cfg.density),
            "static_heads": Variant("static_heads", m, b, cfg.density, fix=True)}


def _masked_and_dense(cfg: NeuroTrailsConfig, blocks_in_head: int) -> tuple[int, int]:
    """(masked conv/linear weights, parameters that stay dense) of the M-head net with `blocks_in_head` units per head."""
    model = MultiHeadResNet1d(ResNet1dConfig(cfg.channels, cfg.blocks_per_stage), cfg.n_heads, blocks_in_head)
    masked = sum(w.numel() for w in model.masked_weights()[0].values())
    return masked, sum(p.numel() for p in model.parameters()) - masked


def nonzero_budget(cfg: NeuroTrailsConfig, blocks_in_head: int, density: float) -> int:
    """Parameters that can be non-zero in that net at `density` (norms and biases stay dense)."""
    masked, dense = _masked_and_dense(cfg, blocks_in_head)
    return round(dense + density * masked)


def matching_density(cfg: NeuroTrailsConfig, blocks_in_head: int, nonzero: int) -> float:
    """The density at which the net with `blocks_in_head` units per head has about `nonzero` parameters that can
    be non-zero; capped at 1."""
    masked, dense = _masked_and_dense(cfg, blocks_in_head)
    return min(1.0, max(1e-3, (nonzero - dense) / masked))


def mnist1d(n_samples: int, seed: int = 42, corr_noise: float = 0.25, iid_noise: float = 0.02) -> dict[str, torch.Tensor]:
    """The mnist1d benchmark generated offline by its package (length-40 signals of 10 digit templates); the noise
    scales default to the package's (raise them for a harder task)."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed, args.corr_noise_scale, args.iid_noise_scale = n_samples, seed, corr_noise, iid_noise
    data = make_dataset(args)
    return {"x": torch.tensor(data["x"], dtype=torch.float32)[:, None, :], "labels": torch.tensor(data["y"]).long(),
            "x_test": torch.tensor(data["x_test"], dtype=torch.float32)[:, None, :],
            "labels_test": torch.tensor(data["y_test"]).long()}


@dataclass
class RunResult:
    """Scores of one trained variant (see `ensemble.scores`), its parameter counts and time."""

    variant: str
    seed: int
    blocks_in_head: int
    scores: dict[str, float]
    parameters: int  # dense parameter count of the multi-head network
    nonzero: int  # parameters that can be non-zero (masked weights count their live entries only)
    seconds: float
    density_exact: bool | None = None  # every group of every masked tensor at its live count after every update
    topology_changed: int = 0  # weights regrown over training
    history: list[dict] = field(default_factory=list)

    def row(self) -> dict:
        return {"variant": self.variant, "seed": self.seed, "b": self.blocks_in_head, **self.scores,
                "parameters": self.parameters, "nonzero": self.nonzero, "seconds": self.seconds}


def nonzero_count(model: torch.nn.Module, dst: DynamicSparsity | None) -> int:
    """All parameters, with each masked tensor counted by its live entries."""
    total = sum(p.numel() for p in model.parameters())
    if dst is None:
        return total
    return total - sum(w.numel() for w in dst.weights.values()) + dst.nonzeros()


def _check_counts(dst: DynamicSparsity) -> bool:
    return all(all(c == dst.live_per_group[n] for c in counts) for n, counts in dst.live_counts().items()) and all(
        bool((w.detach()[~dst.masks[n]] == 0).all()) for n, w in dst.weights.items())


def _train(model, data, train_cfg, variant: Variant, dst_cfg: DSTConfig | None, weights_groups, optimizer, seed: int):
    """Train with DST hooks where the variant is sparse; the count check runs after every topology update."""
    dst = None
    checks: list[bool] = []
    if variant.density is not None:
        weights, groups = weights_groups
        dst = DynamicSparsity(weights, dst_cfg, train_cfg.steps, groups, seed=seed)
        n_updates = [0]

        def after_step(step, m, opt):
            dst.after_step(step, m, opt)
            if len(dst.updates) != n_updates[0]:
                n_updates[0] = len(dst.updates)
                checks.append(_check_counts(dst))
        result = lm.train(model, data, train_cfg, optimizer=optimizer, after_backward=dst.after_backward, after_step=after_step)
        checks.append(_check_counts(dst))
    else:
        result = lm.train(model, data, train_cfg, optimizer=optimizer)
    return result, dst, (all(checks) if dst is not None else None)


def run_vision(cfg: NeuroTrailsConfig, data: dict[str, torch.Tensor], variant: Variant, seed: int) -> RunResult:
    """Train one variant on mnist1d (SGD with Nesterov momentum, mean head cross-entropy) and score it on the test set."""
    torch.manual_seed(seed)
    shape = ResNet1dConfig(cfg.channels, cfg.blocks_per_stage)
    model = MultiHeadResNet1d(shape, variant.n_heads, variant.blocks_in_head)
    train = {"x": data["x"], "labels": data["labels"]}
    steps_per_epoch = len(train["x"]) // cfg.batch_size
    steps = cfg.epochs * steps_per_epoch
    train_cfg = lm.TrainConfig(steps=steps, batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=steps_per_epoch,
                               min_lr_ratio=0.0, grad_clip=None, seed=seed, device=cfg.device, progress=False,
                               log_every=steps_per_epoch)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay)
    dst_cfg = DSTConfig(variant.density or 1.0, "erk", cfg.update_every or max(1, steps_per_epoch // 2), cfg.drop_rate,
                        fix=variant.fix)
    result, dst, exact = _train(model, train, train_cfg, variant, dst_cfg, model.masked_weights(), optimizer, seed)
    model = result.model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x).logits for x in data["x_test"].split(512)])
    return RunResult(variant.name, seed, variant.blocks_in_head, scores(logits, data["labels_test"]),
                     sum(p.numel() for p in model.parameters()), nonzero_count(model, dst), result.seconds, exact,
                     sum(u["changed"] for u in dst.updates) if dst else 0, result.history)


def language_data(cfg: NeuroTrailsConfig) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], float]:
    """Train and validation token blocks and the entropy floor (nats per token): from the Markov source, or from a
    local text dataset (`lm_text_path`, e.g. a C4 shard, tokenized with `lm_tokenizer`; no floor: nan)."""
    if cfg.lm_text_path:
        tok = lm.load_tokenizer(cfg.lm_tokenizer)
        blocks = lm.pack_text(tok, lm.load_texts(cfg.lm_text_path), cfg.lm_seq_len)["input_ids"]
        n_val = max(1, len(blocks) // 50)
        train, val = blocks[n_val:], blocks[:n_val]
        return {"input_ids": train, "labels": train.clone()}, {"input_ids": val, "labels": val.clone()}, float("nan")
    source = lm.MarkovSource(cfg.lm_vocab, 0.1, seed=0)
    train = source.sample(cfg.lm_train_sequences, cfg.lm_seq_len, seed=1)
    val = source.sample(400, cfg.lm_seq_len, seed=2)
    return {"input_ids": train, "labels": train.clone()}, {"input_ids": val, "labels": val.clone()}, source.entropy_rate


def lm_variants(cfg: NeuroTrailsConfig) -> dict[str, Variant]:
    m, b = cfg.n_heads, cfg.lm_blocks_in_head
    return {"single": Variant("single", 1, cfg.lm_layers), "full_ensemble": Variant("full_ensemble", m, cfg.lm_layers),
            "treenet": Variant("treenet", m, b), "neurotrails": Variant("neurotrails", m, b, cfg.lm_density),
            "static_heads": Variant("static_heads", m, b, cfg.lm_density, fix=True)}


def run_language(cfg: NeuroTrailsConfig, train: dict, val: dict, variant: Variant, seed: int) -> RunResult:
    """Train one variant on the Markov source (AdamW, warm-up + cosine) and score the ensemble's next-token loss."""
    from transformers import LlamaConfig

    config = LlamaConfig(vocab_size=cfg.lm_vocab, hidden_size=cfg.lm_hidden, intermediate_size=int(cfg.lm_hidden * 8 / 3),
                         num_hidden_layers=cfg.lm_layers, num_attention_heads=max(4, cfg.lm_hidden // 64),
                         num_key_value_heads=max(4, cfg.lm_hidden // 64),
                         max_position_embeddings=2 * cfg.lm_seq_len)
    model = MultiHeadCausalLM(config, variant.n_heads, variant.blocks_in_head, seed=seed)
    train_cfg = lm.TrainConfig(steps=cfg.lm_steps, batch_size=cfg.lm_batch_size, lr=cfg.lm_lr,
                               warmup_steps=max(1, cfg.lm_steps // 10), seed=seed, device=cfg.device, progress=False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lm_lr, betas=(0.9, 0.95), weight_decay=0.0)
    dst_cfg = DSTConfig(variant.density or 1.0, "erk", cfg.lm_update_every, 0.5, fix=variant.fix)
    result, dst, exact = _train(model, train, train_cfg, variant, dst_cfg, model.masked_weights(), optimizer, seed)
    model = result.model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x).logits for x in val["input_ids"].split(100)])  # (N, M, T, V)
    targets = val["input_ids"][:, 1:]
    flat = logits[:, :, :-1].permute(0, 2, 1, 3).reshape(-1, variant.n_heads, logits.shape[-1])  # (N T, M, V)
    s = scores(flat, targets.reshape(-1))
    s["ensemble_loss"] = s.pop("nll")
    s["member_loss"] = float(torch.stack([torch.nn.functional.cross_entropy(flat[:, h], targets.reshape(-1))
                                          for h in range(variant.n_heads)]).mean())
    return RunResult(variant.name, seed, variant.blocks_in_head, s, sum(p.numel() for p in model.parameters()),
                     nonzero_count(model, dst), result.seconds, exact, sum(u["changed"] for u in dst.updates) if dst else 0)


def run_all(jobs, run, out_dir: Path | None = None, desc: str = "runs") -> list[RunResult]:
    """Run `run(variant, seed)` for every job with a progress bar, appending each result to out_dir/results.jsonl."""
    from tqdm import tqdm

    results = []
    for variant, seed in tqdm(jobs, desc=desc, mininterval=10):
        results.append(run(variant, seed))
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            with open(out_dir / "results.jsonl", "a") as f:
                f.write(json.dumps({"task": desc, **results[-1].row()}) + "\n")
    return results
