import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

import reprolab.holography as holo
from reprolab.holography import background as hb


def test_closed_form_blackening_solves_the_einstein_maxwell_equations_symbolically():
    z, zh, mu, c, k, c1 = sp.symbols("z z_h mu c k C1", positive=True)
    A = sp.Function("A")(z)
    B = 2 * c * mu**2 * sp.exp(k) / (1 - sp.exp(-c * zh**2)) ** 2
    g_prime = z**3 * sp.exp(-3 * A) * (c1 + B * (1 - sp.exp(-c * z**2)))
    h = sp.exp(c * z**2 - A + k)
    at = mu * (sp.exp(-c * z**2) - sp.exp(-c * zh**2)) / (1 - sp.exp(-c * zh**2))
    einstein = sp.diff(g_prime, z) + (3 * sp.diff(A, z) - 3 / z) * g_prime - z**2 * sp.exp(-2 * A) * h * sp.diff(at, z) ** 2
    maxwell = sp.diff(sp.exp(A) * h * sp.diff(at, z) / z, z)
    assert sp.simplify(einstein) == 0
    assert sp.simplify(maxwell) == 0
    assert at.subs(z, 0) == mu and sp.simplify(at.subs(z, zh)) == 0


@pytest.mark.parametrize("name,zh,mu", [("0", 1.5, 0.0), ("2", 2.5, 0.3), ("2+1", 3.0, 0.6), ("2", 4.5, 0.8)])
def test_an_independent_ode_integration_from_the_horizon_reaches_g_equal_one_at_the_boundary(name, zh, mu):
    """Start at g(z_h) = 0 with g'(z_h) = -4 pi T from our temperature and integrate the field equation to z -> 0."""
    assert holo.integrate_from_horizon(holo.Background(holo.emd_model(name), zh, mu)) < 1e-7


def test_the_horizon_check_detects_a_wrong_temperature():
    bg = holo.Background(holo.emd_model("2"), 2.5, 0.3)
    object.__setattr__(bg, "c1", bg.c1 * 1.001)  # a 0.1 % error in the integration constant
    assert holo.integrate_from_horizon(bg) > 1e-4


def test_quadrature_matches_scipy_quad():
    m = holo.emd_model("2+1")
    for upper in (0.3, 2.0, 9.0):
        ref = quad(lambda y: y**3 * np.exp(-3 * hb.warp(m, y)), 0, upper, epsrel=1e-13)[0]
        assert hb.integrate(lambda y: y**3 * np.exp(-3 * hb.warp(m, y)), 0.0, upper) == pytest.approx(ref, rel=1e-11)
        ref_phi = quad(lambda y: hb.dilaton_prime(m, np.array(y)), 0, upper, epsrel=1e-12)[0]
        assert holo.dilaton(m, upper) == pytest.approx(ref_phi, rel=1e-9)


def test_field_equation_residuals_are_small_and_boundary_conditions_hold():
    for name, mu in (("0", 0.0), ("2", 0.4), ("2+1", 0.9)):
        res = holo.field_equation_residuals(holo.Background(holo.emd_model(name), 2.0, mu), np.linspace(0.02, 1.98, 60))
        assert max(res.values()) < 1e-7, res


def test_ads_schwarzschild_temperature_and_conformal_entropy_limit():
    zh = np.array([0.3, 1.0, 4.0])
    np.testing.assert_allclose(holo.temperature(holo.emd_model("ads"), zh) * np.pi * zh, 1.0, rtol=1e-13)
    for name in ("0", "2", "2+1"):
        m = holo.emd_model(name)
        ratio = holo.entropy_density(m, 0.02) / holo.temperature(m, 0.02) ** 3
        assert ratio == pytest.approx(np.pi**3 / (4 * m.G5), rel=1e-3)


def test_near_boundary_dilaton_is_linear_when_a_is_nonzero_and_quadratic_when_a_is_zero():
    m2, m0 = holo.emd_model("2"), holo.emd_model("0")
    assert hb.dilaton_prime(m2, np.array(1e-6)) == pytest.approx(6 * np.sqrt(-m2.a * m2.d), rel=1e-6)
    assert hb.dilaton_prime(m0, np.array(1e-3)) / 1e-3 == pytest.approx(np.sqrt(-120 * m0.b * m0.d), rel=1e-4)


def test_temperature_falls_with_mu():
    m = holo.emd_model("2")
    t = [float(holo.temperature(m, 2.0, mu)) for mu in (0.0, 0.2, 0.4)]
    assert t[0] > t[1] > t[2]


def test_invalid_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"mu = 0.2 GeV is outside its range; allowed: only mu = 0"):
        holo.Background(holo.emd_model("0"), 1.0, 0.2)
    with pytest.raises(ValueError, match=r"0 <= mu <= 1.0 GeV"):
        holo.temperature(holo.emd_model("2"), 1.0, 1.5)
    with pytest.raises(ValueError, match="positive number"):
        holo.Background(holo.emd_model("2"), -1.0)
    with pytest.raises(KeyError, match="available: 0, 2, 2\\+1, ads"):
        holo.emd_model("3")
    with pytest.raises(ValueError, match="frame must be"):
        holo.Background(holo.emd_model("2"), 1.0).metric_factor(0.5, "jordan")
    with pytest.raises(ValueError, match="d must be <= 0"):
        holo.emd_model("2", d=0.1)
