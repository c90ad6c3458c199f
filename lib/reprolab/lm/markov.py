"""A first-order Markov token source with a known entropy rate: a language-modelling task with a perplexity floor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class MarkovSource:
    """Transition matrix with rows drawn from Dirichlet(alpha) over `vocab` tokens (small alpha: peaky rows)."""

    vocab: int = 32
    alpha: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.vocab < 2 or self.alpha <= 0:
            raise ValueError(f"need vocab >= 2 and alpha > 0, got {self.vocab}, {self.alpha}")
        rng = np.random.default_rng(self.seed)
        self.transition = rng.dirichlet(np.full(self.vocab, self.alpha), size=self.vocab)  # (V, V), rows sum to 1
        values, vectors = np.linalg.eig(self.transition.T)
        stationary = np.real(vectors[:, np.argmin(np.abs(values - 1))])
        self.stationary = stationary / stationary.sum()

    @property
    def entropy_rate(self) -> float:
        """H = -sum_i pi_i sum_j P_ij ln P_ij in nats per token: the best achievable next-token loss."""
        p = self.transition
        row_entropy = -(p * np.log(np.where(p > 0, p, 1.0))).sum(1)
        return float(self.stationary @ row_entropy)

    def sample(self, n_sequences: int, length: int, seed: int) -> torch.Tensor:
        """(n_sequences, length) int64 token ids; chains start from the stationary distribution, sampled in parallel."""
        rng = np.random.default_rng(seed)
        cumulative = np.cumsum(self.transition, axis=1)
        tokens = np.empty((n_sequences, length), dtype=np.int64)
        tokens[:, 0] = rng.choice(self.vocab, size=n_sequences, p=self.stationary)
        for t in range(1, length):
            u = rng.random(n_sequences)[:, None]
            tokens[:, t] = np.minimum((cumulative[tokens[:, t - 1]] < u).sum(1), self.vocab - 1)
        return torch.from_numpy(tokens)
