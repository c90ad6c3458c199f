import pytest

from reprolab.core.stats import beyond_noise, paired_interval, seed_summary, wilson_interval


def test_seed_summary():
    s = seed_summary([1.0, 2.0, 3.0])
    assert s == {"mean": 2.0, "std": 1.0, "min": 1.0, "max": 3.0, "n": 3}
    assert seed_summary([5.0])["std"] == 0.0
    with pytest.raises(ValueError, match="at least one"):
        seed_summary([])


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(0, 50)
    assert lo == 0.0 and hi == pytest.approx(0.0713, abs=1e-3)
    lo, hi = wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(3, 2)


def test_paired_interval():
    from reprolab.core.stats import paired_interval

    out = paired_interval([1.0, 2.0, 3.0], [0.0, 1.0, 1.0])
    assert out["mean"] == pytest.approx(4 / 3) and out["n"] == 3
    # t(0.975, 2) = 4.303; sd of (1, 1, 2) = 0.57735
    assert out["high"] - out["mean"] == pytest.approx(4.303 * 0.57735 / 3**0.5, rel=1e-3)
    one = paired_interval([1.0], [0.5])
    assert one["low"] == float("-inf") and one["mean"] == 0.5
    with pytest.raises(ValueError, match="equally long"):
        paired_interval([1.0, 2.0], [1.0])


def test_beyond_noise_needs_a_nonzero_width_interval_on_one_side():
    assert beyond_noise({"mean": 0.2, "low": 0.1, "high": 0.3}, 1)
    assert not beyond_noise({"mean": 0.2, "low": -0.1, "high": 0.5}, 1)
    assert beyond_noise({"mean": -0.2, "low": -0.3, "high": -0.1}, -1)
    assert not beyond_noise({"mean": 0.2, "low": 0.2, "high": 0.2}, 1)  # seeds agree exactly: no noise measured
    import numpy as np
    a, b = np.float32([0.720, 0.7225]), np.float32([0.695, 0.6975])  # equal differences up to float32 rounding
    assert not beyond_noise(paired_interval(a, b), 1)
    with pytest.raises(ValueError, match="1 or -1"):
        beyond_noise({"mean": 0, "low": 0, "high": 1}, 0)
