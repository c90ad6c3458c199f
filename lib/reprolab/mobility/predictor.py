"""The next-location predictor of the paper (MHSA, Hong et al. 2023) with interchangeable location embeddings.

Input per step: location embedding + temporal embedding (hour, quarter-hour, weekday tables), times √d, plus a
sinusoidal position code and dropout; a causal transformer encoder; the output at the last valid step plus a user
embedding, a residual FFN block with BatchNorm, and Linear(d → n_locations): an ID softmax over training
locations, so no method can name a location it never saw as a target.

Location embeddings (all map (B, L) ids and (B, L, 2) lon/lat to (B, L, d)):
* `IDEmbedding`: one learned vector per location id (the paper's "vanilla").
* `StaticEmbedding`: a frozen pre-trained matrix (skip-gram and the other trajectory baselines).
* `NoLocation`: zeros, the control that measures how much any location input matters.
* `CoordinateEmbedding`: a CaLLiPer location encoder on the coordinates, frozen (paper) or fine-tuned. The
  official code leaves the frozen encoder's Dropout(0.5) active while the predictor trains
  (``dropout_in_training``), and so do we by default.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .calliper import LocationEncoder
from .metrics import rank_metrics, target_ranks
from .sequences import Batch, MobilityData, Samples, make_batch


class IDEmbedding(nn.Module):
    """Learned lookup table (n_locations, d); id 0 (padding) stays zero."""

    def __init__(self, n_locations: int, dim: int) -> None:
        super().__init__()
        self.table = nn.Embedding(n_locations, dim, padding_idx=0)

    def forward(self, loc: torch.Tensor, lonlat: torch.Tensor) -> torch.Tensor:
        return self.table(loc)


class NoLocation(nn.Module):
    """Zeros (B, L, d): the control without any location input (time, position and user only)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, loc: torch.Tensor, lonlat: torch.Tensor) -> torch.Tensor:
        return torch.zeros(*loc.shape, self.dim, device=loc.device)


class StaticEmbedding(nn.Module):
    """Frozen pre-trained matrix (n_locations, d)."""

    def __init__(self, matrix: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("matrix", torch.as_tensor(matrix, dtype=torch.float32))

    def forward(self, loc: torch.Tensor, lonlat: torch.Tensor) -> torch.Tensor:
        return self.matrix[loc]


class CoordinateEmbedding(nn.Module):
    """A location encoder applied to each step's lon/lat; padding steps get zeros."""

    def __init__(self, encoder: LocationEncoder, freeze: bool = True, dropout_in_training: bool = True) -> None:
        super().__init__()
        self.encoder, self.freeze, self.dropout_in_training = encoder, freeze, dropout_in_training
        for p in self.encoder.parameters():
            p.requires_grad_(not freeze)

    def train(self, mode: bool = True) -> "CoordinateEmbedding":
        super().train(mode)
        self.encoder.train(mode and (self.dropout_in_training or not self.freeze))
        return self

    def forward(self, loc: torch.Tensor, lonlat: torch.Tensor) -> torch.Tensor:
        """The encoder runs once per distinct coordinate of the batch (in training, a location's occurrences in one
        batch therefore share their dropout mask)."""
        points, inverse = torch.unique(lonlat.reshape(-1, 2), dim=0, return_inverse=True)  # (P, 2), (B*L,)
        out = self.encoder(points)[inverse].view(*loc.shape, -1)  # (B, L, D)
        return out * (loc != 0)[..., None]


@dataclass(frozen=True)
class PredictorConfig:
    """MHSA sizes and training (paper: 6 layers, d 128, 8 heads, FFN 256, Adam 1e-3, decay 1e-6, batch 128,
    ≤ 100 epochs, early stopping patience 3 with two ×0.1 LR decays)."""

    dim: int = 64
    layers: int = 2
    heads: int = 4
    ffn: int = 128
    dropout: float = 0.1
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-6
    max_epochs: int = 12
    warmup_epochs: int = 2
    decay_horizon_epochs: int = 50  # linear decay, reaching 0 this many epochs after the start (HF's linear schedule)
    patience: int = 3
    lr_decays: int = 2  # stop at the (lr_decays + 1)-th early-stopping trigger
    grad_clip: float = 1.0


class NextLocationModel(nn.Module):
    """MHSA: (Batch) -> logits (B, n_locations)."""

    def __init__(self, embedding: nn.Module, n_locations: int, n_users: int, cfg: PredictorConfig) -> None:
        super().__init__()
        d = cfg.dim
        self.embedding, self.dim = embedding, d
        self.hour, self.quarter, self.weekday = nn.Embedding(24, d), nn.Embedding(4, d), nn.Embedding(7, d)
        self.dropout = nn.Dropout(cfg.dropout)
        layer = nn.TransformerEncoderLayer(d, cfg.heads, cfg.ffn, cfg.dropout, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.user = nn.Embedding(n_users, d)
        self.head_dropout = nn.Dropout(cfg.dropout)
        self.ffn = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Dropout(cfg.dropout), nn.Linear(2 * d, d),
                                 nn.Dropout(cfg.dropout))
        self.norm = nn.BatchNorm1d(d)
        self.out = nn.Linear(d, n_locations)

    def positional(self, length: int, device: torch.device) -> torch.Tensor:
        """Sinusoidal position code (length, d)."""
        pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
        freq = torch.exp(torch.arange(0, self.dim, 2, device=device) * (-math.log(10000.0) / self.dim))
        pe = torch.zeros(length, self.dim, device=device)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
        return pe

    def forward(self, b: Batch) -> torch.Tensor:
        x = self.embedding(b.loc, b.lonlat) + self.hour(b.hour) + self.quarter(b.quarter) + self.weekday(b.weekday)
        L = x.shape[1]
        x = self.dropout(x * math.sqrt(self.dim) + self.positional(L, x.device))  # (B, L, d)
        causal = torch.triu(torch.ones(L, L, dtype=torch.bool, device=x.device), diagonal=1)  # True = masked
        pad = torch.arange(L, device=x.device)[None, :] >= b.length[:, None]  # (B, L) True = padding
        h = self.encoder(x, mask=causal, src_key_padding_mask=pad)  # (B, L, d)
        last = h[torch.arange(len(h), device=h.device), b.length - 1]  # (B, d)
        z = self.head_dropout(last + self.user(b.user))
        return self.out(self.norm(z + self.ffn(z)))


def _batches(data: MobilityData, samples: Samples, batch_size: int, gen: torch.Generator | None):
    """Batches of samples in order (gen None), or shuffled with similar lengths grouped: random chunks of 32
    batches are sorted by history length, cut into batches, and the batches shuffled (less padding)."""
    if gen is None:
        batches = [np.arange(i, min(i + batch_size, len(samples))) for i in range(0, len(samples), batch_size)]
    else:
        order = torch.randperm(len(samples), generator=gen).numpy()
        length = (samples.end - samples.start)[order]
        chunk = 32 * batch_size
        order = np.concatenate([order[i:i + chunk][np.argsort(length[i:i + chunk], kind="stable")]
                                for i in range(0, len(order), chunk)])
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        batches = [batches[j] for j in torch.randperm(len(batches), generator=gen).tolist()]
    for rows in batches:
        yield make_batch(data.records, samples, rows)


@torch.no_grad()
def predict_scores(model: NextLocationModel, data: MobilityData, samples: Samples, batch_size: int = 512,
                   device: torch.device = torch.device("cpu")) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode (ranks (n,), mean cross-entropy) of `samples` in their order; the logits are never all held."""
    model.eval()
    ranks, loss, n = [], 0.0, 0
    for b in _batches(data, samples, batch_size, None):
        b = b.to(device)
        logits = model(b)
        loss += F.cross_entropy(logits, b.target, ignore_index=0, reduction="sum").item()
        n += len(b.target)
        ranks.append(target_ranks(logits, b.target).cpu())
    return torch.cat(ranks), torch.tensor(loss / max(n, 1))


def train_predictor(model: NextLocationModel, data: MobilityData, cfg: PredictorConfig, seed: int,
                    device: torch.device = torch.device("cpu"), log_path: Path | None = None) -> list[dict]:
    """Adam with linear warm-up and decay; early stopping on validation loss with `lr_decays` LR drops (×0.1,
    best state reloaded each time). Each epoch is appended to `log_path` as it ends. Returns the history."""
    gen = torch.Generator().manual_seed(seed)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(data.splits["train"]) / cfg.batch_size)
    warmup, horizon = cfg.warmup_epochs * steps_per_epoch, cfg.decay_horizon_epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (horizon - s) / max(1, horizon - warmup)))
    best_loss, best_state, waited, decays, history = math.inf, None, 0, 0, []
    for epoch in range(cfg.max_epochs):
        model.train()
        total, count = 0.0, 0
        for b in _batches(data, data.splits["train"], cfg.batch_size, gen):
            if len(b.target) < 2:  # BatchNorm needs two samples
                continue
            b = b.to(device)
            loss = F.cross_entropy(model(b), b.target, ignore_index=0)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            opt.step()
            schedule.step()
            total, count = total + loss.item() * len(b.target), count + len(b.target)
        _, val_loss = predict_scores(model, data, data.splits["validation"], device=device)
        row = {"epoch": epoch, "train_loss": total / max(count, 1), "val_loss": float(val_loss),
               "lr": opt.param_groups[0]["lr"]}
        history.append(row)
        if log_path is not None:
            with open(log_path, "a") as fh:
                fh.write(json.dumps(row) + "\n")
        if row["val_loss"] < best_loss - 1e-3:
            best_loss, waited = row["val_loss"], 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            continue
        waited += 1
        if waited >= cfg.patience:
            model.load_state_dict(best_state)
            if decays == cfg.lr_decays:
                break
            decays, waited = decays + 1, 0
            for g in opt.param_groups:
                g["lr"] *= 0.1
            schedule.base_lrs = [lr * 0.1 for lr in schedule.base_lrs]
    if best_state is None:
        raise FloatingPointError("the validation loss was never finite; lower the learning rate")
    model.load_state_dict(best_state)
    return history


def evaluate(model: NextLocationModel, data: MobilityData, samples: Samples, masks: dict[str, np.ndarray] | None = None,
             device: torch.device = torch.device("cpu")) -> dict[str, dict[str, float]]:
    """Metrics on `samples` ("all") and on each named boolean subset in `masks` (n,)."""
    ranks, _ = predict_scores(model, data, samples, device=device)
    ranks = ranks.numpy()
    out = {"all": rank_metrics(ranks) | {"n": len(ranks)}}
    for name, mask in (masks or {}).items():
        out[name] = rank_metrics(ranks[mask]) | {"n": int(mask.sum())}
    return out
