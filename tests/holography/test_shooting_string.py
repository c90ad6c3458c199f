import numpy as np
import pytest
from scipy.integrate import solve_ivp

import reprolab.holography as holo
from reprolab.holography import ads


@pytest.mark.parametrize("ratio", [0.5, 0.1, 0.01])
def test_ads_trajectory_and_energy_loss_match_the_closed_forms(ratio):
    bg = holo.Background(holo.emd_model("ads"), 1.3)
    tr = holo.trajectory(bg, ratio * bg.zh, sqrt_lambda=2.0)
    np.testing.assert_allclose(tr.x[1:], ads.distance(tr.z[1:], tr.z_star, bg.zh), rtol=1e-8)
    np.testing.assert_allclose(tr.dedx, ads.energy_loss(tr.z, tr.z_star, bg.zh, 2.0), rtol=1e-12)
    assert tr.x[0] == 0 and tr.z[-1] == pytest.approx(bg.zh)


def test_stopping_distance_scales_as_energy_to_the_one_third():
    bg = holo.Background(holo.emd_model("ads"), 1.0)
    paths = [holo.trajectory(bg, r) for r in np.geomspace(1e-4, 1e-3, 4)]
    energy, x_stop = np.array([p.total_loss for p in paths]), np.array([p.x_stop for p in paths])
    assert np.polyfit(np.log(energy), np.log(x_stop), 1)[0] == pytest.approx(1 / 3, abs=1e-3)
    assert x_stop[0] / ads.stopping_distance_law(energy[0], bg.temperature) == pytest.approx(1.0, abs=1e-3)
    assert ads.C_SHOOT == pytest.approx(0.6237, abs=1e-4)


def test_zero_temperature_limit_gives_the_constant_flat_space_rate():
    bg = holo.Background(holo.emd_model("ads"), 1e3)
    tr = holo.trajectory(bg, 0.3)
    assert tr.launch == pytest.approx(-1 / (2 * np.pi) / 0.3**2 / holo.HBARC, rel=1e-9)


@pytest.mark.parametrize("name,zh,mu", [("0", 1.2, 0.0), ("2+1", 3.5, 0.5)])
def test_path_agrees_with_the_geodesic_equation_and_conserves_e_over_p(name, zh, mu):
    """Integrate z'' = -g'(z)/2 (the null geodesic in the x-z plane) independently; (z')^2 + g = (E/p)^2 is conserved."""
    bg = holo.Background(holo.emd_model(name), zh, mu)
    z_star, slope = 0.4, 0.2
    tr = holo.trajectory(bg, z_star, launch_slope=slope)
    reach = lambda x, y: y[0] - 0.95 * zh  # noqa: E731
    reach.terminal = True
    sol = solve_ivp(lambda x, y: [y[1], -0.5 * bg.g_prime(y[0])], (0, 1e4), [z_star, slope], events=reach,
                    rtol=1e-11, atol=1e-13, dense_output=True)
    x_fm = np.linspace(0, sol.t[-1], 50)
    z_ode, dz_ode = sol.sol(x_fm)
    np.testing.assert_allclose(np.interp(x_fm * holo.HBARC, tr.x, tr.z), z_ode, rtol=1e-6)
    np.testing.assert_allclose(dz_ode**2 + bg.g(z_ode), tr.e_over_p**2, rtol=1e-9)
    dz_dx = np.gradient(tr.z, tr.x / holo.HBARC)  # the library's own path conserves (z')^2 + g as well
    np.testing.assert_allclose(dz_dx[5:-5] ** 2 + bg.g(tr.z[5:-5]), tr.e_over_p**2, rtol=1e-4)


def test_small_launch_depth_asymptotics_give_c1_and_c2():
    bg = holo.Background(holo.emd_model("ads"), 1.0)
    zs = 0.01
    tr = holo.trajectory(bg, zs, sqrt_lambda=1.0)
    assert tr.x_stop / holo.HBARC * zs + zs == pytest.approx(ads.C1_STOP, rel=1e-3)  # x_stop = c1/z* - 1 (z_h = 1)
    energy = tr.total_loss * 2 * np.pi / np.sqrt(1 - zs**4)
    assert (energy + 1 / 3) * zs**3 == pytest.approx(ads.C2_ENERGY, rel=1e-3)


def test_launch_slope_reaches_every_protocol():
    m = holo.emd_model("2")
    flat = holo.energy_loss_summary(m, 0.3, 0.0, z_star=0.3, energy=20.0, x_probe=0.05)
    steep = holo.energy_loss_summary(m, 0.3, 0.0, z_star=0.3, energy=20.0, x_probe=0.05, launch_slope=0.5)
    assert steep["x_stop"] < flat["x_stop"] and steep["z_star_E0"] != flat["z_star_E0"]


def test_fixed_energy_protocol_hits_the_target_energy():
    m = holo.emd_model("2")
    bg = holo.Background(m, holo.zh_from_temperature(m, 0.3))
    zs = holo.z_star_for_energy(bg, 20.0)
    assert holo.trajectory(bg, zs).total_loss == pytest.approx(20.0, rel=1e-6)
    with pytest.raises(ValueError, match="lower E0"):
        holo.z_star_for_energy(bg, 1e9)


def test_energy_loss_grows_with_flavour_at_fixed_temperature():
    summaries = [holo.energy_loss_summary(holo.emd_model(n), 0.3, 0.0, z_star=0.3, energy=20.0, x_probe=0.3)
                 for n in ("0", "2", "2+1")]
    for key in ("launch", "path_mean", "launch_E0"):
        assert holo.increasing([s[key] for s in summaries]), key


def test_frames_and_trajectory_validation():
    bg = holo.Background(holo.emd_model("2"), 1.5)
    string, einstein = holo.trajectory(bg, 0.3), holo.trajectory(bg, 0.3, frame="einstein")
    np.testing.assert_allclose(string.x, einstein.x)  # the path does not depend on the frame
    assert abs(string.launch) > abs(einstein.launch)  # phi > 0 raises the string-frame factor
    for bad in (0.0, 1.5, 2.0):
        with pytest.raises(ValueError, match=r"z_star must lie in \(0, z_h\)"):
            holo.trajectory(bg, bad)
    with pytest.raises(ValueError, match="at least 101"):
        holo.trajectory(bg, 0.3, n=11)
    assert np.isnan(string.at_distance(string.x_stop + 1.0))


def test_config_validation_and_profiles():
    from reprolab.core import resolve

    assert resolve(holo.HoloConfig, holo.PROFILES, "paper").n_points == 8001
    with pytest.raises(ValueError, match="frame must be one of"):
        holo.HoloConfig(frame="jordan")
    with pytest.raises(ValueError, match="n_points must be odd"):
        holo.HoloConfig(n_points=1000)
    with pytest.raises(ValueError, match="t_ratios"):
        holo.HoloConfig(t_ratios=(0.5,))
