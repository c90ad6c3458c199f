import numpy as np
import pytest
import torch

from reprolab.lm import MarkovSource


def test_the_entropy_rate_matches_the_empirical_conditional_entropy():
    source = MarkovSource(vocab=8, alpha=0.3, seed=0)
    assert np.allclose(source.transition.sum(1), 1) and np.allclose(source.stationary @ source.transition, source.stationary)
    tokens = source.sample(2000, 50, seed=1)
    assert tokens.shape == (2000, 50) and int(tokens.max()) < 8
    counts = torch.zeros(8, 8)
    counts.index_put_((tokens[:, :-1].reshape(-1), tokens[:, 1:].reshape(-1)), torch.ones(2000 * 49), accumulate=True)
    p = counts / counts.sum(1, keepdim=True)
    empirical = float(-(counts.sum(1, keepdim=True) / counts.sum() * p * p.clamp_min(1e-12).log()).sum())
    assert empirical == pytest.approx(source.entropy_rate, abs=0.01)
    with pytest.raises(ValueError, match="vocab >= 2"):
        MarkovSource(vocab=1)
