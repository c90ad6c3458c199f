"""Notebook 08's experiments: each variant trained with paired seeds on mnist1d (or an image folder such as
ImageNet) and on a Markov language source (or local text such as C4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .. import lm
from ..core.images import ImageFolder, fashion_mnist
from ..lm.train import TensorDictDataset
from ..sparsity import DSTConfig, DynamicSparsity
from .config import NeuroTrailsConfig
from .ensemble import batched_scores
from .lm_heads import MultiHeadCausalLM
from .models import MultiHeadResNet


@dataclass
class Variant:
    """One model family: heads M, units per head b, and its sparsity (None: dense; fix: static masks)."""

    name: str
    n_heads: int
    blocks_in_head: int
    density: float | None = None
    fix: bool = False


def vision_variants(cfg: NeuroTrailsConfig) -> dict[str, Variant]:
    m, b, density = cfg.n_heads, cfg.blocks_in_head, main_density(cfg)
    return {"single": Variant("single", 1, 0), "full_ensemble": Variant("full_ensemble", m, cfg.n_units),
            "treenet": Variant("treenet", m, b), "neurotrails": Variant("neurotrails", m, b, density),
            "static_heads": Variant("static_heads", m, b, density, fix=True)}


def main_density(cfg: NeuroTrailsConfig) -> float:
    """NeuroTrails' density at the main split: `cfg.density`, or with `match_single` the density at which its
    non-zero parameters equal one dense single model's (the paper's rule)."""
    if not cfg.match_single:
        return cfg.density
    single = MultiHeadResNet(cfg.resnet(), 1, 0)
    return matching_density(cfg, cfg.blocks_in_head, sum(p.numel() for p in single.parameters()))


def _masked_and_dense(cfg: NeuroTrailsConfig, blocks_in_head: int) -> tuple[int, int]:
    """(masked conv/linear weights, parameters that stay dense) of the M-head net with `blocks_in_head` units per head."""
    model = MultiHeadResNet(cfg.resnet(), cfg.n_heads, blocks_in_head)
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


def balanced_subset(labels: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """Indices (sorted) of n items with the classes as equal as n allows, drawn without replacement by `seed`."""
    classes = labels.unique()
    if n > len(labels):
        raise ValueError(f"asked for {n} items of {len(labels)}")
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=g)
    rank = torch.empty_like(order)  # each item's position among its class in the shuffled order
    for c in classes:
        members = order[labels[order] == c]
        rank[members] = torch.arange(len(members))
    keys = rank * len(classes) + torch.searchsorted(classes, labels)  # round-robin over classes
    return order[torch.argsort(keys[order])[:n]].sort().values


def vision_data(cfg: NeuroTrailsConfig) -> dict:
    """Train and test sets for `cfg`: mnist1d signals (generated offline) for the 1-D ResNet, Fashion-MNIST's IDX
    files (a class-balanced subset of `train_images` training images; pixels standardised with the training
    images' mean and standard deviation) for the 2-D one, or the image folder's train/ and val/ splits (ImageNet
    layout; val uses train's class indices). Keys: train, test (Datasets of {"x", "labels"} items), n_classes,
    description."""
    if cfg.dataset == "fashion_mnist":
        d = fashion_mnist(cfg.fashion_mnist_dir or None)
        keep = (balanced_subset(d["labels"], cfg.train_images) if cfg.train_images else torch.arange(len(d["labels"])))
        x, labels = d["x"][keep], d["labels"][keep]
        mean, std = x.mean(), x.std()
        train = TensorDictDataset({"x": (x - mean) / std, "labels": labels})
        test = TensorDictDataset({"x": (d["x_test"] - mean) / std, "labels": d["labels_test"]})
        return {"train": train, "test": test, "n_classes": 10, "description":
                f"Fashion-MNIST: {len(train)} of {len(d['labels'])} train images (class-balanced) / {len(test)} test "
                "images, 28 x 28 grey, 10 classes"}
    if cfg.dataset == "mnist1d":
        d = mnist1d(cfg.n_samples, corr_noise=cfg.corr_noise, iid_noise=cfg.iid_noise)
        train, test = TensorDictDataset({"x": d["x"], "labels": d["labels"]}), TensorDictDataset(
            {"x": d["x_test"], "labels": d["labels_test"]})
        return {"train": train, "test": test, "n_classes": 10, "description":
                f"mnist1d: {len(train)} train / {len(test)} test signals of length {d['x'].shape[-1]}, 10 classes"}
    root = Path(cfg.image_root)
    missing = [str(root / split) for split in ("train", "val") if not (root / split).is_dir()]
    if missing:
        raise FileNotFoundError(f"image_root needs train/ and val/ class folders; missing: {', '.join(missing)}")
    train = ImageFolder(root / "train", cfg.image_size, train=True)
    test = ImageFolder(root / "val", cfg.image_size, train=False, classes=train.classes)
    return {"train": train, "test": test, "n_classes": len(train.classes), "description":
            f"{root.name}: {len(train)} train / {len(test)} val images, {len(train.classes)} classes, "
            f"{cfg.image_size}px crops"}


def evaluate_vision(model: torch.nn.Module, data: Dataset, batch_size: int = 512, num_workers: int = 0,
                    per_item: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """`ensemble.scores` of `model` (eval mode, on its own device) over every item of `data`, batch by batch;
    `per_item` (a dict) receives the ensemble's per-item `correct` and `nll`."""
    device = next(model.parameters()).device
    loader = DataLoader(data, batch_size=batch_size, num_workers=num_workers)
    with torch.no_grad():
        return batched_scores(((model(batch["x"].to(device)).logits.float(), batch["labels"].to(device))
                               for batch in loader), per_item=per_item)


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
    items: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # per test item: correct, nll (ensemble)

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
        result = lm.train(model, data, train_cfg, optimizer=optimizer, after_backward=dst.after_backward,
                          after_step=after_step, checkpointed=[dst])
        checks.append(_check_counts(dst))
    else:
        result = lm.train(model, data, train_cfg, optimizer=optimizer)
    return result, dst, (all(checks) if dst is not None else None)


def run_vision(cfg: NeuroTrailsConfig, data: dict, variant: Variant, seed: int,
               log_dir: Path | None = None) -> RunResult:
    """Train one variant on `vision_data(cfg)` (SGD, mean head cross-entropy) and score it on the test set.
    log_dir: where the per-epoch history of this run is written as it trains (None: nowhere)."""
    torch.manual_seed(seed)
    model = MultiHeadResNet(cfg.resnet(data["n_classes"]), variant.n_heads, variant.blocks_in_head)
    steps_per_epoch = len(data["train"]) // cfg.batch_size
    if steps_per_epoch < 1:
        raise ValueError(f"{len(data['train'])} training items are fewer than batch_size={cfg.batch_size}")
    steps = cfg.epochs * steps_per_epoch
    output_dir = str(log_dir / f"{variant.name}-b{variant.blocks_in_head}-seed{seed}") if log_dir else None
    train_cfg = lm.TrainConfig(steps=steps, batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=steps_per_epoch,
                               schedule=cfg.lr_schedule, min_lr_ratio=0.0, grad_clip=None, seed=seed, device=cfg.device,
                               progress=False, log_every=steps_per_epoch, num_workers=cfg.num_workers,
                               mixed_precision=cfg.mixed_precision, output_dir=output_dir)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                                weight_decay=cfg.weight_decay)
    dst_cfg = DSTConfig(variant.density or 1.0, "erk", cfg.update_every or max(1, steps_per_epoch // 2), cfg.drop_rate,
                        fix=variant.fix)
    result, dst, exact = _train(model, data["train"], train_cfg, variant, dst_cfg, model.masked_weights(), optimizer,
                                seed)
    model = result.model.eval()
    items: dict[str, np.ndarray] = {}
    scores = evaluate_vision(model, data["test"], num_workers=cfg.num_workers, per_item=items)
    return RunResult(variant.name, seed, variant.blocks_in_head, scores,
                     sum(p.numel() for p in model.parameters()), nonzero_count(model, dst), result.seconds, exact,
                     sum(u["changed"] for u in dst.updates) if dst else 0, result.history, items)


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
    """Train one variant on `language_data(cfg)` (AdamW, warm-up + cosine) and score the ensemble's next-token loss."""
    from transformers import LlamaConfig

    config = LlamaConfig(vocab_size=cfg.lm_vocab, hidden_size=cfg.lm_hidden, intermediate_size=int(cfg.lm_hidden * 8 / 3),
                         num_hidden_layers=cfg.lm_layers, num_attention_heads=max(4, cfg.lm_hidden // 64),
                         num_key_value_heads=max(4, cfg.lm_hidden // 64),
                         max_position_embeddings=2 * cfg.lm_seq_len)
    model = MultiHeadCausalLM(config, variant.n_heads, variant.blocks_in_head, seed=seed, head_loss=cfg.lm_head_loss)
    train_cfg = lm.TrainConfig(steps=cfg.lm_steps, batch_size=cfg.lm_batch_size, lr=cfg.lm_lr,
                               warmup_steps=max(1, cfg.lm_steps // 10), seed=seed, device=cfg.device, progress=False,
                               mixed_precision=cfg.mixed_precision)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lm_lr, betas=(0.9, 0.95), weight_decay=0.0)
    dst_cfg = DSTConfig(variant.density or 1.0, "erk", cfg.lm_update_every, 0.5, fix=variant.fix, prune=cfg.lm_prune)
    result, dst, exact = _train(model, train, train_cfg, variant, dst_cfg, model.masked_weights(), optimizer, seed)
    model = result.model.eval()
    tokens: dict[str, np.ndarray] = {}
    s = evaluate_language(model, val["input_ids"], per_item=tokens)
    s["ensemble_loss"], s["member_loss"] = s.pop("nll"), s.pop("member_nll")
    n = len(val["input_ids"])
    items = {"sequence_loss": tokens["nll"].reshape(n, -1).mean(axis=1)}  # (N,) ensemble loss per held-out sequence
    return RunResult(variant.name, seed, variant.blocks_in_head, s, sum(p.numel() for p in model.parameters()),
                     nonzero_count(model, dst), result.seconds, exact, sum(u["changed"] for u in dst.updates) if dst else 0,
                     items=items)


def evaluate_language(model: torch.nn.Module, input_ids: torch.Tensor, batch_size: int = 32,
                      per_item: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """`ensemble.scores` of the next-token predictions of a multi-head LM (eval mode, on its own device) over
    (N, T) token blocks, every position but the last of each block; batch by batch, so that logits (b, M, T, V)
    of one batch are the most held at once. `per_item` receives per-token `correct` and `nll` ((N (T-1),))."""
    device = next(model.parameters()).device

    def batches():
        for ids in input_ids.split(batch_size):
            logits = model(ids.to(device)).logits.float()  # (b, M, T, V)
            flat = logits[:, :, :-1].permute(0, 2, 1, 3).reshape(-1, logits.shape[1], logits.shape[-1])  # (b T, M, V)
            yield flat, ids[:, 1:].reshape(-1).to(device)

    with torch.no_grad():
        return batched_scores(batches(), per_item=per_item)


def run_all(jobs, run, out_dir: Path | None = None, desc: str = "runs") -> list[RunResult]:
    """Run `run(variant, seed)` for every job with a progress bar, appending each result to out_dir/results.jsonl."""
    from ..core.progress import progress_bar

    results = []
    for variant, seed in progress_bar(jobs, desc=desc, mininterval=10):
        results.append(run(variant, seed))
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            with open(out_dir / "results.jsonl", "a") as f:
                f.write(json.dumps({"task": desc, **results[-1].row()}) + "\n")
    return results
