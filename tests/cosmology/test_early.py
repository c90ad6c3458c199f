import numpy as np
import pandas as pd
import pytest

from reprolab.core.data_files import data_file
from reprolab.cosmology import early


@pytest.fixture(scope="module")
def camb_table():
    return pd.read_csv(data_file("desi_bao/camb_reference.csv"), comment="#")


def test_theta_star_matches_camb(camb_table):
    t = camb_table
    ours = early.theta_star(t.h, t.omega_b, t.omega_c, t.w0, t.wa)
    np.testing.assert_allclose(ours, t.theta_star, rtol=3e-5)  # 0.12 sigma of the compressed CMB


def test_calibration_factor_is_the_measured_offset(camb_table):
    t = camb_table
    raw = early.theta_star(t.h, t.omega_b, t.omega_c, t.w0, t.wa, calibrated=False)
    ratio = t.theta_star.to_numpy() / raw
    assert ratio.mean() == pytest.approx(early.THETA_STAR_CALIBRATION, abs=2e-5)
    assert np.ptp(ratio) < 4e-5  # the offset is a constant, not cosmology dependent


def test_r_drag_matches_camb(camb_table):
    t = camb_table
    np.testing.assert_allclose(early.r_drag(t.omega_b, t.omega_c), t.r_drag_mpc, rtol=5e-4)


def test_z_star_close_to_camb(camb_table):
    t = camb_table
    zs = early.z_star(t.omega_b, t.omega_b + t.omega_c + early.omega_nu_today())
    np.testing.assert_allclose(zs, t.z_star, rtol=3e-3)


def test_densities():
    assert early.omega_gamma() == pytest.approx(2.4728e-5, rel=2e-4)
    assert early.omega_nu_today() == pytest.approx(0.06 / 93.14, rel=0.01)
    # relativistic at early times: the massive state carries N_eff/3 of one massless species
    ratio = early.massive_nu_density(np.array(1e-7)) / (early.NU_REL_PER_SPECIES * early.omega_gamma() * 1e28)
    assert ratio == pytest.approx(early.N_EFF / 3, rel=1e-4)


def test_theta_star_converges_with_grid():
    fine = early.theta_star(0.67, 0.0224, 0.12, n_grid=20_000)
    assert early.theta_star(0.67, 0.0224, 0.12) == pytest.approx(fine, rel=1e-5)
