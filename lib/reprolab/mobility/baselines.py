"""Baselines: skip-gram location embeddings (the paper's trajectory-pretrained baseline) and three rules
(persistent forecast, the user's most frequent location, first-order Markov), scored with the same metrics.

Skip-gram (word2vec with negative sampling, as the official ``embed/w2v.py``): sentences are history + target
ids, context window 1, 5 negatives from the unigram distribution to the power 3/4. Rows of ids never seen in the
corpus keep their small uniform(±0.5/d) initial values, as in the official code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import rank_metrics, target_ranks
from .sequences import MobilityData, Samples


@dataclass(frozen=True)
class SkipGramConfig:
    """SGNS settings (official: window 1, 5 negatives, 10 epochs, batch 64, lr 1e-3)."""

    window: int = 1
    negatives: int = 5
    epochs: int = 5
    batch_size: int = 1024
    lr: float = 0.01


def skipgram_pairs(sentences: list[np.ndarray], window: int) -> np.ndarray:
    """(centre, context) pairs (n, 2) of every two ids at most `window` apart in a sentence, both directions; ids
    0 and 1 (padding, unknown) are skipped."""
    ids = np.concatenate(sentences)
    sentence = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
    pairs = []
    for shift in range(1, window + 1):
        same = sentence[shift:] == sentence[:-shift]
        a, b = ids[:-shift][same], ids[shift:][same]
        pairs += [np.stack([a, b], 1), np.stack([b, a], 1)]
    pairs = np.concatenate(pairs)
    return pairs[(pairs >= 2).all(1)]


def skipgram_embeddings(sentences: list[np.ndarray], n_locations: int, dim: int, cfg: SkipGramConfig = SkipGramConfig(),
                        seed: int = 0) -> np.ndarray:
    """Train SGNS on the sentences; return the input embedding matrix (n_locations, dim) float32."""
    gen = torch.Generator().manual_seed(seed)
    pairs = torch.from_numpy(skipgram_pairs(sentences, cfg.window))
    if len(pairs) == 0:
        raise ValueError("no skip-gram pairs: the sentences hold no two neighbouring known locations")
    counts = torch.bincount(pairs[:, 0], minlength=n_locations).double()
    noise = counts.pow(0.75) / counts.pow(0.75).sum()
    centre = (torch.rand(n_locations, dim, generator=gen) - 0.5) / dim
    centre.requires_grad_(True)
    context = torch.zeros(n_locations, dim, requires_grad=True)
    opt = torch.optim.Adam([centre, context], lr=cfg.lr)
    for _ in range(cfg.epochs):
        for rows in torch.randperm(len(pairs), generator=gen).split(cfg.batch_size):
            c, o = pairs[rows, 0], pairs[rows, 1]
            neg = torch.multinomial(noise, len(rows) * cfg.negatives, replacement=True, generator=gen)
            u = centre[c]  # (b, d)
            pos = (u * context[o]).sum(-1)
            negs = torch.einsum("bd,bkd->bk", u, context[neg.view(len(rows), cfg.negatives)])
            loss = -(F.logsigmoid(pos).mean() + F.logsigmoid(-negs).sum(-1).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
    return centre.detach().numpy().astype(np.float32)


def _train_counts(data: MobilityData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From the training samples' histories + targets: per-user visit counts (n_users, n_loc), first-order
    transition counts (n_loc, n_loc) and global counts (n_loc,)."""
    s = data.splits["train"]
    rec = data.records
    cover = np.zeros(len(rec.loc) + 1, int)  # records inside any sample's history + target (difference array)
    np.add.at(cover, s.start, 1)
    np.add.at(cover, s.end + 1, -1)
    rows = np.flatnonzero(np.cumsum(cover)[:-1] > 0)
    loc, user = rec.loc[rows], rec.user[rows]
    visits = np.zeros((data.n_users, data.n_locations))
    np.add.at(visits, (user, loc), 1.0)
    consecutive = rows[:-1][(np.diff(rows) == 1) & (user[1:] == user[:-1])]
    transitions = np.zeros((data.n_locations, data.n_locations))
    np.add.at(transitions, (rec.loc[consecutive], rec.loc[consecutive + 1]), 1.0)
    return visits, transitions, np.bincount(loc, minlength=data.n_locations).astype(float)


def rule_scores(data: MobilityData, samples: Samples) -> dict[str, np.ndarray]:
    """Scores (n, n_locations) of the three rules; ties are broken by global popularity (tiny weight)."""
    visits, transitions, popular = _train_counts(data)
    tie = 1e-6 * popular / max(popular.max(), 1.0)
    last = data.records.loc[samples.end - 1]
    user = data.records.user[samples.end]
    own = visits[user]  # (n, n_loc)
    persistent = np.zeros((len(samples), data.n_locations))
    persistent[np.arange(len(samples)), last] = 1.0
    markov = transitions[last] + 1e-3 * own / np.maximum(own.sum(1, keepdims=True), 1.0)
    return {"persistent": persistent + tie, "most frequent": own + tie, "markov": markov + tie}


def rule_metrics(data: MobilityData, samples: Samples, masks: dict[str, np.ndarray] | None = None
                 ) -> dict[str, dict[str, dict[str, float]]]:
    """`evaluate`-shaped metrics of each rule: {rule: {"all" | mask name: metrics}}."""
    target = torch.from_numpy(data.records.loc[samples.end])
    out = {}
    for name, scores in rule_scores(data, samples).items():
        ranks = target_ranks(torch.from_numpy(scores), target).numpy()
        out[name] = {"all": rank_metrics(ranks) | {"n": len(ranks)}}
        for mask_name, mask in (masks or {}).items():
            out[name][mask_name] = rank_metrics(ranks[mask]) | {"n": int(mask.sum())}
    return out
