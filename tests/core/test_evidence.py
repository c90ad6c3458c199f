"""The evidence engine: verdict rules, edge cases, and calibration on simulated experiments.

The calibration tests simulate paired experiments with the shapes the notebooks use (2–5 seeds, 100–2000
evaluation items, seed-to-seed variance comparable to the item noise) as d_si = effect + u_s + v_i + e_si, and
measure how often each verdict comes out: under no effect `reproduced` at most about 5 %; under a true effect of
twice the design's expected (mean reported) minimal detectable effect `reproduced` at least 80 %; under a true effect of δ `contradicted` at
most about 5 %. The measured rates are printed (`pytest -s` shows them).
"""

from __future__ import annotations

import numpy as np
import pytest

from reprolab.core import evidence

SIMS = 1000
# (seeds, items, seed sd, item sd, residual sd): accuracy-like per-item differences and loss-like ones
DESIGNS = [(2, 2000, 0.01, 0.3, 0.3), (3, 500, 0.02, 0.3, 0.4), (3, 100, 0.005, 0.2, 0.2), (4, 1000, 0.03, 0.2, 0.2),
           (5, 200, 0.01, 0.5, 0.5), (2, 100, 0.0, 0.3, 0.3)]


def simulate(rng, design, effect, sims=SIMS):
    s, n, sd_seed, sd_item, sd_res = design
    return (effect + sd_seed * rng.standard_normal((sims, s, 1)) + sd_item * rng.standard_normal((sims, 1, n))
            + sd_res * rng.standard_normal((sims, s, n)))


def rates(d, delta):
    iv = evidence.interval_batch(d)
    low, high = iv["mean"] - iv["half"], iv["mean"] + iv["half"]
    return {"reproduced": float(np.mean(low > 0)), "contradicted": float(np.mean((low <= 0) & (high < delta))),
            "mean_mde": float(np.mean(iv["half"]))}


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: f"S{d[0]}-N{d[1]}-seed{d[2]}")
def test_calibration_false_positives_power_and_false_contradictions(design):
    rng = np.random.default_rng(0)
    null = rates(simulate(rng, design, 0.0), delta=1.0)
    mde = null["mean_mde"]  # the design's expected minimal detectable effect
    powered = rates(simulate(rng, design, 2 * mde), delta=1.0)
    delta = mde  # a minimal effect of interest the size of this design's MDE
    at_delta = rates(simulate(rng, design, delta), delta=delta)
    print(f"\n{design}: no effect -> reproduced {null['reproduced']:.3f}; effect 2 x MDE ({2 * mde:.4f}) -> reproduced "
          f"{powered['reproduced']:.3f}; effect = delta -> contradicted {at_delta['contradicted']:.3f}")
    assert null["reproduced"] <= 0.05 + 0.02  # 5 % plus Monte Carlo error of 1000 simulations
    assert powered["reproduced"] >= 0.80
    assert at_delta["contradicted"] <= 0.05 + 0.02


def test_batch_and_single_interval_agree():
    d = simulate(np.random.default_rng(1), DESIGNS[1], 0.1, sims=3)
    batch = evidence.interval_batch(d)
    for k in range(3):
        one = evidence.effect_interval(d[k])
        assert one["half"] == pytest.approx(batch["half"][k]) and one["mean"] == pytest.approx(batch["mean"][k])


def test_directional_verdicts_and_orientation():
    rng = np.random.default_rng(2)
    better = 0.6 + 0.01 * rng.standard_normal((4, 300))
    worse = better - 0.1 + 0.01 * rng.standard_normal((4, 300))
    assert evidence.directional(better, worse, delta=0.05, metric="acc").verdict == "reproduced"
    # the same numbers as a loss (lower is better): A is higher, so the claim "A lower" is contradicted
    assert evidence.directional(better, worse, delta=0.05, metric="loss", higher_is_better=False).verdict == "contradicted"
    tied = evidence.directional(better, better + 0.001 * rng.standard_normal((4, 300)), delta=0.05, metric="acc")
    assert tied.verdict == "contradicted"  # a precise tie rules out an effect of 0.05
    noisy = evidence.directional(rng.random((2, 20)), rng.random((2, 20)), delta=0.05, metric="acc")
    assert noisy.verdict == "inconclusive" and noisy.mde > 0.05


def test_small_real_effect_is_reproduced_and_flagged_below_delta():
    a = np.full((3, 1), 0.51) + np.array([[0.0], [0.001], [-0.001]])
    ev = evidence.directional(a, np.full((3, 1), 0.50), delta=0.05, metric="acc")
    assert ev.verdict == "reproduced" and ev.numbers()["below_delta"] is True


def test_equivalence_verdicts():
    rng = np.random.default_rng(3)
    a = rng.normal(0.68, 0.01, (4, 1))
    assert evidence.equivalence(a, a + 0.001 * rng.standard_normal((4, 1)), delta=0.05, metric="loss").verdict == "reproduced"
    far = a + 0.3 + 0.001 * rng.standard_normal((4, 1))
    assert evidence.equivalence(a, far, delta=0.05, metric="loss").verdict == "contradicted"
    wide = evidence.equivalence(np.array([0.5, 0.9]), np.array([0.7, 0.5]), delta=0.05, metric="loss")
    assert wide.verdict == "inconclusive" and wide.numbers()["needed_delta"] > 0.05  # absence of evidence is not equivalence


def test_not_tested_cases():
    assert evidence.directional(None, [1.0, 2.0], delta=0.1, metric="m").verdict == "not tested at this profile"
    one_seed = evidence.directional([[0.5, 0.6, 0.7]], [[0.4, 0.5, 0.5]], delta=0.1, metric="m")
    assert one_seed.verdict == "not tested at this profile" and "one seed" in one_seed.reason
    item_level = evidence.directional(np.ones((1, 50)), np.r_[np.zeros(25), np.ones(25)][None], delta=0.1, metric="m",
                                      seed_noise=False)
    assert item_level.verdict == "reproduced" and item_level.noise == "items"
    zero = evidence.directional([0.525, 0.525], [0.5, 0.5], delta=0.01, metric="m")
    assert zero.verdict == "not tested at this profile" and "zero spread" in zero.reason


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="delta"):
        evidence.directional([1.0, 2.0], [1.0, 2.0], delta=0, metric="m")
    with pytest.raises(ValueError, match="same shape"):
        evidence.directional([1.0, 2.0], [1.0, 2.0, 3.0], delta=0.1, metric="m")
    with pytest.raises(ValueError, match="NaN"):
        evidence.directional([1.0, float("nan")], [1.0, 2.0], delta=0.1, metric="m")


def test_paired_binary_scores_that_never_differ_still_give_an_interval():
    """0 of 200 against 0 of 200: the pseudo-pairs give a narrow interval that rules out a 5-point effect."""
    zeros = np.zeros((1, 200))
    ev = evidence.directional(zeros, zeros, delta=0.05, metric="exact match", seed_noise=False)
    assert ev.verdict == "contradicted" and 0 < ev.mde < 0.05
    assert evidence.directional(zeros, zeros, delta=0.005, metric="exact match", seed_noise=False).verdict == "inconclusive"


def test_monte_carlo_estimates_and_deterministic_claims():
    close = evidence.from_estimate(0.01, 0.005, kind="equivalence", delta=0.044, metric="w0 mean")
    assert close.verdict == "reproduced" and close.noise == "Monte Carlo"
    assert evidence.from_estimate(0.3, 0.01, kind="equivalence", delta=0.044, metric="w0").verdict == "contradicted"
    assert evidence.from_estimate(0.05, 0.1, kind="directional", delta=0.02, metric="p").verdict == "inconclusive"
    assert evidence.from_estimate(0.05, 0.0, kind="directional", delta=0.02, metric="p").verdict == "not tested at this profile"
    with pytest.raises(ValueError, match="finite"):
        evidence.from_estimate(float("nan"), 0.1, kind="directional", delta=0.02, metric="p")
    assert evidence.deterministic(True, metric="count").verdict == "reproduced"
    assert evidence.deterministic(False, metric="count").kind == "check"
    with pytest.raises(TypeError, match="bool"):
        evidence.deterministic(1, metric="count")
