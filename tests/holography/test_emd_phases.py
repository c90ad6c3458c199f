import numpy as np
import pytest

import reprolab.holography as holo
from reprolab.holography.phases import _segments


def test_pure_glue_has_one_swallowtail_and_the_published_first_order_tc():
    m = holo.emd_model("0")
    zh = np.linspace(1.5, 2.5, 2001)
    assert len(_segments(holo.temperature(m, zh))) == 2  # decreasing, increasing, decreasing
    tc = holo.first_order_transition(m)
    assert 0.263 <= tc.T <= 0.268
    assert tc.zh[0] < 1.80 < 2.204 < tc.zh[1]


def test_flavoured_models_are_crossovers_at_zero_mu_with_the_published_temperatures():
    for name, ref in (("2", 0.189), ("2+1", 0.128)):
        m = holo.emd_model(name)
        assert np.all(np.diff(holo.temperature(m, holo.zh_grid(2000))) < 0)
        assert holo.crossover_temperature(m).T == pytest.approx(ref, abs=0.003)
        with pytest.raises(ValueError, match="single branch"):
            holo.first_order_transition(m)


@pytest.mark.parametrize("name,mu,T", [("2", 0.46, 0.147), ("2+1", 0.74, 0.094)])
def test_critical_endpoints_match_the_model_papers(name, mu, T):
    cep = holo.critical_endpoint(holo.emd_model(name))
    assert cep.mu == pytest.approx(mu, abs=0.01) and cep.T == pytest.approx(T, abs=0.005)
    line = holo.first_order_transition(holo.emd_model(name), cep.mu + 0.05)
    assert line.T < cep.T  # the first-order line runs from the CEP to lower T


def test_zh_from_temperature_picks_branches():
    m = holo.emd_model("0")
    T = 0.267  # between the swallowtail's turning points: three black holes
    large, small = (holo.zh_from_temperature(m, T, branch=b) for b in ("large", "small"))
    assert large < 1.80 and small > 2.204
    assert holo.temperature(m, large) == pytest.approx(T, rel=1e-10)
    assert holo.zh_from_temperature(m, T) == large  # above T_c the large black hole is stable
    below_tc = 0.2662  # between the lower turning point (0.26599) and T_c (0.26653): the small black hole wins
    assert holo.zh_from_temperature(m, below_tc) == holo.zh_from_temperature(m, below_tc, branch="small")
    with pytest.raises(ValueError, match="outside the range"):
        holo.zh_from_temperature(m, 20.0)
    with pytest.raises(ValueError, match="branch must be"):
        holo.zh_from_temperature(m, 0.3, branch="middle")


def test_no_critical_endpoint_without_chemical_potential():
    with pytest.raises(ValueError, match="no chemical potential"):
        holo.critical_endpoint(holo.emd_model("0"))
