import numpy as np
import pytest

import reprolab.cosmology as c


def test_chi2_by_hand():
    dr2 = c.load_bao("DR2")
    post = c.Posterior("lcdm_bao", dr2, c.desi_prior())
    theta = np.array([0.3, 101.0])
    pred = c.bao_distances(dr2.z, dr2.kind, 101.0, 0.3, grid=post.grid)[0]
    r = pred - dr2.value
    assert post.chi2(theta[None])[0] == pytest.approx(r @ np.linalg.solve(dr2.cov, r), rel=1e-10)
    assert post(theta)[0] == pytest.approx(-0.5 * r @ np.linalg.solve(dr2.cov, r), rel=1e-10)


def test_lcdm_best_fit_reproduces_desi_dr2():
    post = c.Posterior("lcdm_bao", c.load_bao("DR2"), c.desi_prior())
    (om, hrd), chi2 = c.best_fit(post, [0.3, 101.0])
    assert om == pytest.approx(0.2975, abs=0.0005) and hrd == pytest.approx(101.54, abs=0.1)
    assert chi2 == pytest.approx(10.27, abs=0.02)


def test_priors():
    prior = c.desi_prior()
    names = ("omega_m", "hrd", "w0", "wa")
    theta = np.array([[0.3, 100, -1, 0], [0.3, 100, 0.5, 0.0], [0.3, 100, -4, 0], [0.3, 100, -0.5, 0.6]])
    assert np.isfinite(prior.log_prior(names, theta)).tolist() == [True, False, False, False]  # w0 + wa < 0, w0 >= -3
    relaxed = c.relaxed_prior()
    assert np.isfinite(relaxed.log_prior(names, theta)).tolist() == [True, True, True, True]
    with pytest.raises(ValueError, match="low < high"):
        c.relaxed_prior(w0_range=(1.0, -1.0))


def test_posterior_argument_errors():
    dr2 = c.load_bao("DR2")
    with pytest.raises(ValueError, match="allowed: lcdm_bao, w0wa_bao, w0wa_bao_cmb"):
        c.Posterior("wcdm", dr2, c.desi_prior())
    with pytest.raises(ValueError, match="compressed CMB goes with model 'w0wa_bao_cmb'"):
        c.Posterior("w0wa_bao_cmb", dr2, c.desi_prior())


def test_cmb_posterior_derives_omega_m_and_rd():
    post = c.Posterior("w0wa_bao_cmb", c.load_bao("DR2"), c.desi_prior(), c.load_cmb_compressed())
    theta = np.array([[0.6736, 0.02237, 0.12, -1.0, 0.0]])
    d = post.derived(theta)
    assert d["omega_m"][0] == pytest.approx((0.02237 + 0.12 + 0.000645) / 0.6736**2, rel=1e-4)
    assert d["hrd"][0] == pytest.approx(0.6736 * c.r_drag(0.02237, 0.12), rel=1e-12)
    assert np.isfinite(post(theta)).all()


def test_emcee_recovers_a_gaussian():
    mean, cov = np.array([1.0, -2.0]), np.array([[1.0, 0.6], [0.6, 2.0]])
    inv = np.linalg.inv(cov)

    def log_prob(x):
        r = x - mean
        return -0.5 * np.einsum("bi,ij,bj->b", r, inv, r)

    chain = c.run_emcee(log_prob, np.zeros(2), np.ones(2), ("a", "b"), n_walkers=16, n_steps=3000, seed=1)
    np.testing.assert_allclose(chain.samples.mean(axis=0), mean, atol=0.1)
    np.testing.assert_allclose(np.cov(chain.samples.T), cov, atol=0.15)
    again = c.run_emcee(log_prob, np.zeros(2), np.ones(2), ("a", "b"), n_walkers=16, n_steps=3000, seed=1)
    np.testing.assert_array_equal(chain.samples, again.samples)
    assert chain.converged and 0.3 < chain.acceptance < 0.9
    assert chain.probability("a", 1.0) == pytest.approx(0.5, abs=0.05)


def test_emcee_argument_errors():
    f = lambda x: np.zeros(len(x))  # noqa: E731
    with pytest.raises(ValueError, match="at least 2 x 2 walkers"):
        c.run_emcee(f, np.zeros(2), np.ones(2), ("a", "b"), n_walkers=3)
    with pytest.raises(ValueError, match="zero posterior"):
        c.run_emcee(lambda x: np.full(len(x), -np.inf), np.zeros(2), np.ones(2), ("a", "b"))


def test_grid_posterior_and_pull():
    g = c.lcdm_grid_posterior(c.load_bao("DR2"))
    assert g.mean == pytest.approx(0.2975, abs=0.0009) and g.sd == pytest.approx(0.0086, abs=0.0005)
    assert g.hrd_mean == pytest.approx(101.54, abs=0.1)
    assert c.pull(0.5, 0.3, 0.2, 0.4) == pytest.approx(0.6)


def test_getdist_conversion():
    chain = c.Chain(("w0", "wa"), np.random.default_rng(0).normal(size=(500, 2)), np.zeros(500), np.ones(2), 0.3, 1000)
    samples = c.to_mcsamples(chain, c.LABELS, {"w0": (-3, 1)})
    assert samples.getMeans().shape == (2,) and samples.getParamNames().list() == ["w0", "wa"]


def test_emcee_with_a_process_pool():
    """The pool path maps single points; the log-probability (a Posterior) must pickle."""
    from multiprocessing import get_context

    post = c.Posterior("lcdm_bao", c.load_bao("DR2"), c.desi_prior())
    with get_context("spawn").Pool(2) as pool:
        chain = c.run_emcee(post, np.array([0.3, 101.0]), np.array([0.01, 0.5]), post.names, n_walkers=8,
                            n_steps=30, seed=0, pool=pool)
    assert chain.samples.shape[1] == 2 and np.isfinite(chain.log_prob).all()


def test_compressed_cmb_needs_the_w0_plus_wa_cut():
    dr2, cmb = c.load_bao("DR2"), c.load_cmb_compressed()
    with pytest.raises(ValueError, match="valid only for w0 \\+ wa < 0"):
        c.Posterior("w0wa_bao_cmb", dr2, c.relaxed_prior(), cmb)
    c.Posterior("w0wa_bao_cmb", dr2, c.relaxed_prior(w0_plus_wa_negative=True), cmb)
    c.Posterior("w0wa_bao_cmb", dr2, c.relaxed_prior(), cmb, allow_early_dark_energy=True)  # asked for on purpose
