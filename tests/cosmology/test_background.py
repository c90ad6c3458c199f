import numpy as np
import pytest
from astropy.cosmology import Flatw0waCDM, FlatLambdaCDM

from reprolab.cosmology import background as bg


@pytest.mark.parametrize("om,w0,wa", [(0.3, -1.0, 0.0), (0.35, -0.45, -1.7), (0.25, -1.2, 0.5)])
def test_comoving_distance_matches_astropy(om, w0, wa):
    z = np.array([0.1, 0.51, 0.934, 1.484, 2.33])
    ours = bg.comoving_distance(z, 68.0, om, w0, wa)[0]
    ref = Flatw0waCDM(H0=68.0, Om0=om, w0=w0, wa=wa, Tcmb0=0).comoving_distance(z).value
    np.testing.assert_allclose(ours, ref, rtol=1e-5)


def test_batched_equals_one_at_a_time():
    z = np.array([0.3, 1.0, 2.0])
    om, w0, wa = np.array([0.3, 0.4]), np.array([-1.0, -0.5]), np.array([0.0, -1.0])
    batch = bg.comoving_distance(z, np.array([70.0, 65.0]), om, w0, wa)
    for b in range(2):
        np.testing.assert_allclose(batch[b], bg.comoving_distance(z, [70.0, 65.0][b], om[b], w0[b], wa[b])[0])


def test_bao_distances_definitions():
    z = np.array([0.5, 0.5, 0.5])
    kind = np.array(["DM", "DH", "DV"])
    dm, dh, dv = bg.bao_distances(z, kind, hrd=100.0, omega_m=0.3)[0]
    cosmo = FlatLambdaCDM(H0=100.0, Om0=0.3, Tcmb0=0)  # h = 1, so h r_d = r_d = 100 Mpc
    assert dm == pytest.approx(cosmo.comoving_distance(0.5).value / 100, rel=1e-5)
    assert dh == pytest.approx(bg.C_KM_S / cosmo.H(0.5).value / 100, rel=1e-6)
    assert dv == pytest.approx((0.5 * dm**2 * dh) ** (1 / 3), rel=1e-12)


def test_e_of_z_and_q0():
    assert bg.e_of_z(np.array([0.0]), 0.3, -0.5, -1.0)[0, 0] == pytest.approx(1.0)
    assert bg.q0(0.3, -1.0) == pytest.approx(0.5 - 1.05)
    assert bg.q0(0.3, -1 / (3 * 0.7)) == pytest.approx(0.0)


def test_redshift_outside_grid():
    with pytest.raises(ValueError, match=r"redshifts must lie in \[0, 2.5\]"):
        bg.comoving_distance(np.array([3.0]), 70.0, 0.3)
