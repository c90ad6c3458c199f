import numpy as np
import pytest
import torch

import reprolab.alphadecay as ad


def test_hill_recovers_the_exponent_of_pareto_samples():
    rng = np.random.default_rng(0)
    samples = torch.tensor(np.sort(rng.pareto(1.5, 4000) + 1))  # density ~ x^-2.5
    assert float(ad.hill_alpha(samples)) == pytest.approx(2.5, abs=0.15)
    alpha, xmin = ad.ks_alpha(samples)
    assert float(alpha) == pytest.approx(2.5, abs=0.15) and float(xmin) >= 1.0


def test_alpha_is_scale_invariant_and_eigenvalues_are_squared_singular_values():
    w = torch.randn(64, 150, generator=torch.Generator().manual_seed(0))
    eigs = ad.eigenvalues([w, 3 * w, w.T])
    np.testing.assert_allclose(eigs[0], torch.linalg.svdvals(w.double()).flip(0) ** 2, rtol=1e-10)
    np.testing.assert_allclose(eigs[2], eigs[0], rtol=1e-10)  # W and W^T share the spectrum of the smaller Gram
    assert float(ad.hill_alpha(eigs[1])) == pytest.approx(float(ad.hill_alpha(eigs[0])), rel=1e-7)  # float32 input


def test_batched_eigenvalues_equal_one_at_a_time():
    gen = torch.Generator().manual_seed(1)
    mats = [torch.randn(50, 80, generator=gen) for _ in range(3)] + [torch.randn(80, 50, generator=gen)]
    batched = ad.eigenvalues(mats)
    for m, e in zip(mats, batched):
        np.testing.assert_allclose(ad.eigenvalues([m])[0], e, rtol=1e-10)


def test_fits_match_weightwatcher_and_powerlaw():
    powerlaw = pytest.importorskip("powerlaw")
    from weightwatcher.WW_powerlaw import WWFit

    gen = torch.Generator().manual_seed(2)
    mats = [torch.randn(128, 344, generator=gen), torch.randn(128, 128, generator=gen) @ torch.diag(torch.rand(128, generator=gen) ** 3)]
    for eigs in ad.eigenvalues(mats):
        alpha, xmin = ad.ks_alpha(eigs)
        ref = WWFit(eigs.numpy())
        assert float(alpha) == pytest.approx(ref.alpha, rel=1e-10) and float(xmin) == pytest.approx(ref.xmin)
    eigs = ad.eigenvalues(mats[1:])[0]
    fixed = powerlaw.Fit(eigs.numpy(), xmin=float(eigs[len(eigs) // 2]), verbose=False)
    assert float(ad.hill_alpha(eigs)) == pytest.approx(fixed.power_law.alpha, rel=1e-8)


def test_bad_inputs():
    with pytest.raises(ValueError, match="2-d weights"):
        ad.eigenvalues([torch.zeros(3)])
    with pytest.raises(ValueError, match="fit must be"):
        ad.module_alphas([torch.randn(60, 60)], fit="mle")
