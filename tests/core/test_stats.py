import pytest

from reprolab.core.stats import seed_summary, wilson_interval


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
