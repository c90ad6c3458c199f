# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: reprolab
#     language: python
#     name: reprolab
# ---

# %% [markdown]
# # 09 · Light-quark energy loss in flavour-dependent holographic plasmas (arXiv:2504.04979)
#
# The paper models a light quark in the quark-gluon plasma as a **shooting string**: an open string
# whose endpoint carries finite momentum and falls along a null geodesic of a 5-d black hole
# (Ficnar, Gubser & Gyulassy). The black holes are Einstein–Maxwell–dilaton (EMD) solutions whose
# parameters Chen & Huang fitted to lattice QCD separately for pure glue ($N_f=0$), two flavours
# ($N_f=2$) and 2+1 flavours.
#
# > dE/dx is smallest for $N_f=0$ and grows as u/d and then s quarks are added; it is minimal near
# > $T_c$ and increases as the system moves away from the critical endpoint by raising T or μ.
# > *(abstract, paraphrased)*
#
# **This notebook** rebuilds the three backgrounds in closed form, checks them against the field
# equations and against the model papers' $T_c$ and critical endpoints, checks the string against
# exact AdS results, and then recomputes the paper's comparisons. Only the abstract of the paper
# was available: its coupling $\sqrt\lambda$, launch depth $z_*$ and exact comparison protocol are
# unknown, so they are parameters, and both natural protocols are shown: **fixed $z_*$** (every
# string launched at the same depth) and **fixed $E_0$** (every string carries the same energy).
# Units: GeV, depths $z$ in GeV⁻¹, distances in fm, dE/dx in GeV/fm per unit $\sqrt\lambda$.

# %% tags=["hide-input"]
import time

import numpy as np
import pandas as pd

import reprolab.holography as holo
from reprolab.core import ClaimTable, comparison_table, evidence, resolve, save_figure, setup, use_style, versions

use_style()
print(versions("numpy", "scipy"))

# %% tags=["parameters"]
profile = "default"  # one of: default, paper, lambda_6pi
sqrt_lambda = None  # 't Hooft coupling sqrt(lambda) (None: the profile's value, 1)
z_star = None  # launch depth [GeV^-1] of the fixed-z_* protocol
energy = None  # total string energy E0 [GeV] of the fixed-E0 protocol
frame = None  # 'string' or 'einstein' metric factor in dE/dx
temperature = None  # T [GeV] of the flavour comparison

# %%
cfg = resolve(holo.HoloConfig, holo.PROFILES, profile, sqrt_lambda=sqrt_lambda, z_star=z_star, energy=energy,
              frame=frame, temperature=temperature)
rt = setup(0, device="cpu", threads=1)
started = time.perf_counter()
models = {name: holo.emd_model(name) for name in ("0", "2", "2+1")}
string = dict(sqrt_lambda=cfg.sqrt_lambda, launch_slope=cfg.launch_slope, frame=cfg.frame, n=cfg.n_points)
print(cfg)
pd.DataFrame([vars(m) for m in models.values()]).set_index("name")

# %% [markdown]
# ## 1 · The backgrounds, and a check that they solve the field equations
# Einstein frame $ds^2 = \frac{e^{2A}}{z^2}\left[-g\,dt^2 + dz^2/g + d\vec x^2\right]$ with
# $A = d\ln(1+az^2) + d\ln(1+bz^4)$ and gauge kinetic function $h = e^{cz^2-A+k}$. The field
# equations then give everything in closed form up to two integrals from the boundary:
# $\phi'^2 = 6(A'^2 - A'' - 2A'/z)$, $A_t = \mu\frac{e^{-cz^2}-e^{-cz_h^2}}{1-e^{-cz_h^2}}$ and
# $g' = z^3e^{-3A}\left[C_1 + \frac{2c\mu^2e^k(1-e^{-cz^2})}{(1-e^{-cz_h^2})^2}\right]$ with $g(0)=1$,
# $g(z_h)=0$; $T=-g'(z_h)/4\pi$. The string feels the string-frame warp $A_s = A+\phi/\sqrt6$.
# We use these closed forms with Gauss–Legendre quadrature (vectorised over depths and horizons)
# rather than solving the equations as an ODE system on a grid: the result is exact up to
# quadrature error and a whole scan costs a few numpy calls. The unit tests verify the closed forms
# symbolically (sympy); here each state is also checked **independently** by integrating the
# Einstein equation with `solve_ivp` (DOP853, rtol 1e-11) from $g(z_h)=0$, $g'(z_h)=-4\pi T$ to the
# boundary, where $g$ must return to 1 (column `horizon ODE`), besides consistency residuals of the
# closed forms at 200 depths.

# %%
residuals = []
for name, m in models.items():
    for zh in (0.8, 2.0, 4.0):
        for mu in ({0.0} | ({0.3, m.mu_max} if m.mu_max else set())):
            bg = holo.Background(m, zh, mu)
            residuals.append({"model": name, "z_h": zh, "mu": mu, "T": bg.temperature}
                             | holo.field_equation_residuals(bg, np.linspace(0.01, 0.99, 200) * zh)
                             | {"horizon ODE": holo.integrate_from_horizon(bg)})
residuals = pd.DataFrame(residuals)
worst_residual = residuals[["gauge_metric", "maxwell", "dilaton", "boundary", "horizon ODE"]].to_numpy().max()
print(f"largest relative residual over all equations and states: {worst_residual:.1e}")
residuals.round(4).head(9)

# %%
at_fixed_t = [holo.Background(m, holo.zh_from_temperature(m, cfg.temperature)) for m in models.values()]
fig = holo.plots.plot_background(at_fixed_t)
save_figure("09", "backgrounds", fig)

# %% [markdown]
# ## 2 · Thermodynamics and phase structure
# Pure glue has a first-order transition (three black-hole branches; $T_c$ where the free energies
# of the stable branches cross); the flavoured models are crossovers at μ = 0 (we take the minimum of
# $c_s^2$ as $T_c$) that turn first order beyond a critical endpoint, located where $T(z_h)$ first
# becomes non-monotonic as μ grows. The model papers' values: $T_c(N_f{=}0) = 0.265$ GeV,
# crossovers at 0.189 and 0.128 GeV, CEPs at $(\mu_B, T) = (0.46, 0.147)$ and $(0.74, 0.094)$ GeV.

# %%
transitions = {"0": holo.first_order_transition(models["0"])}
transitions |= {n: holo.crossover_temperature(models[n]) for n in ("2", "2+1")}
ceps = {n: holo.critical_endpoint(models[n]) for n in ("2", "2+1")}
lines = {}
for n, cep in ceps.items():
    lines[n] = [cep]
    for mu in cep.mu + np.linspace(0.01, 0.25, 8):
        try:
            lines[n].append(holo.first_order_transition(models[n], mu))
        except ValueError as err:  # the small-black-hole branch leaves the z_h grid: stop the line there
            if "do not cross" not in str(err):
                raise
            break
published = {"tc": {"0": 0.265, "2": 0.189, "2+1": 0.128}, "cep": {"2": (0.46, 0.147), "2+1": (0.74, 0.094)}}
phase_table = pd.DataFrame(
    [{"model": n, "kind": t.kind, "T [GeV]": t.T, "mu_B [GeV]": t.mu, "published T": published["tc"][n]} for n, t in transitions.items()]
    + [{"model": n, "kind": c.kind, "T [GeV]": c.T, "mu_B [GeV]": c.mu, "published T": published["cep"][n][1],
        "published mu_B": published["cep"][n][0]} for n, c in ceps.items()])
phase_table.round(4)

# %%
fig = holo.plots.plot_thermodynamics(list(models.values()), transitions)
save_figure("09", "thermodynamics", fig)
fig = holo.plots.plot_phase_diagram(lines, ceps, transitions, {n: published["cep"][n] for n in ceps})
save_figure("09", "phase_diagram", fig)

# %% [markdown]
# ## 3 · The string in the AdS₅-Schwarzschild limit
# With $a=b=c=d=0$ the background is AdS₅-Schwarzschild, $g = 1 - z^4/z_h^4$, and the shooting string is
# known exactly: $x(z) = \frac{z_h^2}{\sqrt2 z_*}F\!\left(\arccos\frac{z_*}{z}\,\middle|\,\tfrac12\right)$ and
# $dE/dx = -\frac{\sqrt\lambda}{2\pi}\sqrt{1-z_*^4/z_h^4}/z^2$. For $z_* \ll z_h$ the stopping distance
# obeys $x_{stop}T = C\,(E/T\sqrt\lambda)^{1/3}$ with $C = (2\pi c_1^3/c_2)^{1/3}/\pi^{4/3}$ = 0.6237.

# %%
ads_bg = holo.Background(holo.emd_model("ads"), 1.0)
ads_errors = []
for ratio in (0.5, 0.1, 0.01):
    tr = holo.trajectory(ads_bg, ratio * ads_bg.zh, **string)
    exact_x = holo.ads.distance(tr.z[1:], tr.z_star, ads_bg.zh)
    exact_dedx = holo.ads.energy_loss(tr.z, tr.z_star, ads_bg.zh, cfg.sqrt_lambda)
    ads_errors.append({"z_*/z_h": ratio, "x_stop [fm]": tr.x_stop, "max rel. error x": np.max(np.abs(tr.x[1:] / exact_x - 1)),
                       "max rel. error dE/dx": np.max(np.abs(tr.dedx / exact_dedx - 1))})
ads_errors = pd.DataFrame(ads_errors)
law_paths = [holo.trajectory(ads_bg, r * ads_bg.zh, **string) for r in np.geomspace(1e-4, 1e-3, 5)]
law_energy = np.array([tr.total_loss for tr in law_paths])
law_x = np.array([tr.x_stop for tr in law_paths])
law_slope = np.polyfit(np.log(law_energy), np.log(law_x), 1)[0]
law_ratio = law_x / holo.ads.stopping_distance_law(law_energy, ads_bg.temperature, cfg.sqrt_lambda)
print(f"log-log slope of x_stop against E: {law_slope:.5f} (1/3 = 0.33333); x_stop / law: {law_ratio.round(5)}")
small = holo.trajectory(ads_bg, 0.01 * ads_bg.zh, **(string | {"launch_slope": 0.0}))  # x_stop = z_h^2 (c1/z* - 1/z_h) + ...
c1_fit = (small.x_stop / holo.HBARC / ads_bg.zh**2 + 1 / ads_bg.zh) * small.z_star
c2_fit = (small.total_loss * 2 * np.pi / (cfg.sqrt_lambda * small.e_over_p * ads_bg.zh**2) + 1 / (3 * ads_bg.zh**3)) * small.z_star**3
print(f"c1 = {c1_fit:.5f} (exact {holo.ads.C1_STOP:.5f}), c2 = {c2_fit:.5f} (exact {holo.ads.C2_ENERGY:.5f})")
ads_errors

# %%
fig = holo.plots.plot_stopping_law(law_energy, law_x, holo.ads.stopping_distance_law(law_energy, ads_bg.temperature,
                                                                                      cfg.sqrt_lambda), ads_bg.temperature)
save_figure("09", "stopping_law", fig)

# %% [markdown]
# ## 4 · Shooting strings in the EMD plasmas
# The endpoint starts parallel to the boundary at depth $z_*$ and falls, with
# $dz/dx = \sqrt{g(z_*) - g(z)}$, losing energy at the rate
# $dE/dx = -\frac{\sqrt\lambda}{2\pi}\sqrt{g(z_*)}\,e^{2A_s(z)}/z^2$: largest at launch, smaller as it sinks.
# Paths at the flavour-comparison temperature, with AdS₅-Schwarzschild at the same T dashed:

# %%
bg2 = at_fixed_t[1]
ads_same_t = holo.Background(holo.emd_model("ads"), 1 / (np.pi * cfg.temperature))
depths = (0.2, 0.3, 0.5)
fig = holo.plots.plot_paths({f"z* = {zs}": holo.trajectory(bg2, zs, **string) for zs in depths},
                            {f"z* = {zs}": holo.trajectory(ads_same_t, zs, **string) for zs in depths})
save_figure("09", "endpoint_paths", fig)

# %% [markdown]
# **Fig. A**: dE/dx along the path for the three flavour contents at T = `temperature`, μ = 0, in both
# protocols.

# %%
def both_protocols(bg: holo.Background) -> tuple[holo.Trajectory, holo.Trajectory]:
    """The fixed-z_* path and the fixed-E0 path in one background."""
    zs = holo.z_star_for_energy(bg, cfg.energy, cfg.sqrt_lambda, cfg.launch_slope, cfg.frame)
    return holo.trajectory(bg, cfg.z_star, **string), holo.trajectory(bg, zs, **string)


flavour_paths = {m.name: both_protocols(bg) for m, bg in zip(models.values(), at_fixed_t)}
fig = holo.plots.plot_energy_loss({f"fixed z* = {cfg.z_star} GeV⁻¹": {n: p[0] for n, p in flavour_paths.items()},
                                   f"fixed E0 = {cfg.energy} GeV": {n: p[1] for n, p in flavour_paths.items()}})
save_figure("09", "energy_loss_by_flavour", fig)
flavour = pd.DataFrame([{"model": n, "protocol": proto, "z_*": tr.z_star, "x_stop [fm]": tr.x_stop, "launch": tr.launch,
                         "path mean": tr.path_mean, "horizon": tr.horizon, "E0 [GeV]": tr.total_loss}
                        for n, pair in flavour_paths.items() for proto, tr in zip(("fixed z*", "fixed E0"), pair)])
flavour.round(3)

# %% [markdown]
# **Figs. B and C**: dE/dx along the path at several $T/T_c$ (μ = 0, fixed $z_*$), and at several μ
# for the flavoured models at T = `mu_temperature` (fixed $E_0$).

# %%
t_curves = {f"$N_f$={n}": {f"{r:g} $T_c$": holo.trajectory(holo.Background(m, holo.zh_from_temperature(m, r * transitions[n].T * (1 + 1e-4))),
                                                            cfg.z_star, **string) for r in cfg.t_ratios}
            for n, m in models.items()}
fig = holo.plots.plot_energy_loss(t_curves, x_max=6.0)
save_figure("09", "energy_loss_vs_temperature", fig)
mu_curves = {}
for n in ("2", "2+1"):
    mu_curves[f"$N_f$={n}, T = {cfg.mu_temperature} GeV"] = {}
    for mu in cfg.mu_values:
        bg = holo.Background(models[n], holo.zh_from_temperature(models[n], cfg.mu_temperature, mu), mu)
        mu_curves[f"$N_f$={n}, T = {cfg.mu_temperature} GeV"][f"μ = {mu:g}"] = both_protocols(bg)[1]
fig = holo.plots.plot_energy_loss(mu_curves)
save_figure("09", "energy_loss_vs_mu", fig)

# %% [markdown]
# **Fig. D**: scalar summaries against T (μ = 0) and against μ. "Near $T_c$" needs care: at fixed
# $z_*$, dE/dx *at a fixed distance* falls with T because a hotter string sinks faster and stops
# sooner, while the path average (total loss over stopping distance) and, at fixed $E_0$, every
# measure rise with T. Both are shown; the crossover models are also followed below $T_c$.

# %%
summary_kw = dict(z_star=cfg.z_star, energy=cfg.energy, x_probe=cfg.x_probe, sqrt_lambda=cfg.sqrt_lambda,
                  launch_slope=cfg.launch_slope, frame=cfg.frame, n=cfg.n_points)
t_scan = []
for n, m in models.items():
    low = 1 + 1e-4 if n == "0" else cfg.t_below_ratio  # pure glue: deconfined only above T_c
    ratios = np.linspace(low, cfg.t_max_ratio, cfg.n_temperatures + (0 if n == "0" else 3))
    t_scan.append(holo.scan(m, ratios * transitions[n].T, 0.0, **summary_kw).assign(t_ratio=ratios))
t_scan = pd.concat(t_scan, ignore_index=True)
mu_scan = pd.concat([holo.scan(models[n], cfg.mu_temperature, np.array(cfg.mu_values), **summary_kw) for n in ("2", "2+1")],
                    ignore_index=True)
columns = {"at_x": f"fixed z*: at x = {cfg.x_probe} fm", "path_mean": "fixed z*: path mean",
           "launch_E0": "fixed E0: at launch", "path_mean_E0": "fixed E0: path mean"}
fig = holo.plots.plot_summaries(t_scan, "t_ratio", columns, "$T/T_c$")
save_figure("09", "summaries_vs_temperature", fig)
fig = holo.plots.plot_summaries(mu_scan, "mu", columns, r"$\mu_B$ [GeV]")
save_figure("09", "summaries_vs_mu", fig)
print(f"{time.perf_counter() - started:.0f} s since the set-up cell")
t_scan.round(3)[["model", "t_ratio", "T", "x_stop", "at_x", "path_mean", "launch_E0", "path_mean_E0"]]

# %% [markdown]
# ## Paper vs this run
# The paper's body was not available; its stated results are the abstract's qualitative claims and
# the background models' published phase structure.

# %%
above = t_scan[t_scan["t_ratio"] >= 1]
rising_t = {n: {c: holo.increasing(rows[c]) for c in columns} for n, rows in above.groupby("model", sort=False)}
rising_mu = {n: {c: holo.increasing(rows[c]) for c in columns} for n, rows in mu_scan.groupby("model", sort=False)}
falling_at_x = {n: holo.decreasing(rows["at_x"]) for n, rows in above.groupby("model", sort=False)}
below_min = {n: float(rows.loc[rows["path_mean"].abs().idxmin(), "t_ratio"])
             for n, rows in t_scan[t_scan["model"] != "0"].groupby("model", sort=False)}
fz, fe = (flavour[flavour["protocol"] == p].set_index("model") for p in ("fixed z*", "fixed E0"))
comparison_table([
    {"quantity": "T_c, N_f = 0 [GeV]", "paper": "0.265 (first order; model paper)", "this run": f"{transitions['0'].T:.4f}"},
    {"quantity": "crossover T, N_f = 2 / 2+1 [GeV]", "paper": "0.189 / 0.128 (model paper)",
     "this run": f"{transitions['2'].T:.4f} / {transitions['2+1'].T:.4f}"},
    {"quantity": "CEP N_f = 2 (mu_B, T) [GeV]", "paper": "(0.46, 0.147)", "this run": f"({ceps['2'].mu:.3f}, {ceps['2'].T:.4f})"},
    {"quantity": "CEP N_f = 2+1 (mu_B, T) [GeV]", "paper": "(0.74, 0.094)", "this run": f"({ceps['2+1'].mu:.3f}, {ceps['2+1'].T:.4f})"},
    {"quantity": f"dE/dx ordering at T = {cfg.temperature} GeV (path mean, fixed z*)", "paper": "N_f=0 < 2 < 2+1",
     "this run": " < ".join(f"{-fz.loc[n, 'path mean']:.2f}" for n in models)},
    {"quantity": f"dE/dx ordering at T = {cfg.temperature} GeV (launch, fixed E0)", "paper": "N_f=0 < 2 < 2+1",
     "this run": " < ".join(f"{-fe.loc[n, 'launch']:.2f}" for n in models)},
    {"quantity": "dE/dx vs T above T_c", "paper": "increases away from T_c",
     "this run": "; ".join(f"N_f={n}: " + ", ".join(k for k, v in r.items() if v) + " rise" for n, r in rising_t.items())},
    {"quantity": "dE/dx vs mu", "paper": "increases with mu",
     "this run": "; ".join(f"N_f={n}: " + ", ".join(k for k, v in r.items() if v) + " rise" for n, r in rising_mu.items())},
    {"quantity": f"dE/dx at x = {cfg.x_probe} fm (fixed z*) vs T above T_c", "paper": "—",
     "this run": ", ".join(f"N_f={n}: {'falls' if v else 'does not fall'}" for n, v in falling_at_x.items())},
    {"quantity": "T/T_c of the smallest path-mean loss (crossover models, scan from 0.8 T_c)", "paper": "near T_c",
     "this run": ", ".join(f"N_f={n}: {v:.2f}" for n, v in below_min.items())},
])

# %% [markdown]
# ## Claims
# Every quantity here is a deterministic solution (no sampling), so the paper's claims are of kind *check* in
# the evidence engine: `reproduced` when the stated ordering or trend holds on our grid, `contradicted` when it
# does not; they are reported, never asserted. Claim 2 compares the plasmas at the same temperature in GeV, as
# the abstract does; claim 2b asks whether the ordering survives at the same $T/T_c$ (the three $T_c$ differ by
# a factor of two). Claim 3 takes the comparisons the abstract's wording supports ("increases as the system
# moves away by raising T or μ"): the path-mean loss at fixed $z_*$ and every measure at fixed $E_0$, over
# $T_c \ldots 2.5T_c$ and over μ at fixed $T$ above both critical endpoints (so this μ scan tests "rises with
# μ", not the distance to the CEP); claim 3c asks the stronger question, whether $T_c$ is a turning point (the
# loss rising again below $T_c$) in the crossover models. The opposite trend of dE/dx at a fixed distance from
# the launch point is our observation, not the paper's, and is printed here instead. The AdS limit, the
# published $T_c$ and endpoints, and the field equations are implementation checks, asserted.

# %%
print("our observation: |dE/dx| at a fixed distance falls with T (fixed z*) for",
      ", ".join(f"N_f = {m}: {'yes' if v else 'no'}" for m, v in falling_at_x.items()))
claims = ClaimTable("09")
order_ok = {f"{p} {c}": bool(np.all(np.diff(-t.loc[list(models), c].to_numpy()) > 0))
            for p, t in (("fixed z*", fz), ("fixed E0", fe)) for c in ("launch", "path mean")}
claims.claim("2", "dE/dx is smallest for N_f = 0 and grows with u/d, then s quarks",
             f"|dE/dx| ordered 0 < 2 < 2+1 at T = {cfg.temperature} GeV for launch and path mean, both protocols",
             evidence.deterministic(all(order_ok.values()), metric="ordering of |dE/dx|",
                                    value=order_ok | {"path_mean_fixed_z": fz["path mean"], "launch_fixed_E0": fe["launch"]}))
rising_cols = ("path_mean", "launch_E0", "path_mean_E0")
same_ratio = {r: [t_curves[f"$N_f$={n}"][f"{r:g} $T_c$"].path_mean for n in models] for r in cfg.t_ratios}
claims.claim("2b", "the flavour ordering also holds at equal T / T_c",
             "path-mean |dE/dx| (fixed z*) ordered 0 < 2 < 2+1 at every T/T_c of Fig. B",
             evidence.deterministic(all(holo.increasing(v) for v in same_ratio.values()), metric="ordering of |dE/dx|",
                                    value=same_ratio))
claims.claim("3", "dE/dx rises away from T_c with T (mu = 0) and with mu (N_f = 2, 2+1)",
             "path mean (fixed z*) and launch/path mean (fixed E0) strictly increase over T_c..2.5 T_c and over mu",
             evidence.deterministic(all(r[c] for r in (*rising_t.values(), *rising_mu.values()) for c in rising_cols),
                                    metric="monotonic rise", value={"rising_with_T": rising_t, "rising_with_mu": rising_mu}))
claims.claim("3c", "T_c is a turning point: the loss rises again below T_c (crossover models)",
             "smallest path-mean |dE/dx| of the scan from 0.8 T_c lies at T/T_c >= 0.95",
             evidence.deterministic(all(v >= 0.95 for v in below_min.values()), metric="T/T_c of the minimum",
                                    value=below_min))
ads_max = float(ads_errors[["max rel. error x", "max rel. error dE/dx"]].to_numpy().max())
claims.check("1", "AdS5-Schwarzschild limit: exact trajectory and dE/dx; stopping distance ~ E^(1/3)",
             "max relative error <= 1e-6; |slope - 1/3| < 1e-3; x_stop within 1e-3 of the law at z_*/z_h = 1e-4; "
             "c1, c2 within 1e-3 at z_*/z_h = 0.01",
             ads_max <= 1e-6 and abs(law_slope - 1 / 3) < 1e-3 and abs(law_ratio[0] - 1) < 1e-3
             and abs(c1_fit / holo.ads.C1_STOP - 1) < 1e-3 and abs(c2_fit / holo.ads.C2_ENERGY - 1) < 1e-3,
             {"max_rel_error": ads_max, "slope": law_slope, "x_stop_over_law": law_ratio, "c1": c1_fit, "c2": c2_fit})
tc_ok = 0.263 <= transitions["0"].T <= 0.268
cep_ok = all(abs(ceps[n].mu - published["cep"][n][0]) <= 0.01 and abs(ceps[n].T - published["cep"][n][1]) <= 0.005 for n in ceps)
cross_ok = all(abs(transitions[n].T - published["tc"][n]) <= 0.003 for n in ("2", "2+1"))
claims.check("4", "the backgrounds give the model papers' T_c and critical endpoints",
             "T_c(0) in [0.263, 0.268]; CEP mu within 0.01 GeV, T within 0.005 GeV; crossover T within 0.003 GeV",
             tc_ok and cep_ok and cross_ok, {"tc": {n: t.T for n, t in transitions.items()},
                                             "cep": {n: (c.mu, c.T) for n, c in ceps.items()}})
claims.check("5", "the closed-form backgrounds solve the EMD field equations",
             "independent horizon-to-boundary ODE integration and every residual < 1e-6 over 3 models x 3 horizons x "
             "their mu range", worst_residual < 1e-6, {"worst_residual": worst_residual})

# %%
# NBVAL_CHECK_OUTPUT
claims.finish({"phase": phase_table.to_dict("records"), "ads": ads_errors.to_dict("records"),
               "flavour": flavour.to_dict("records"), "t_scan": t_scan.to_dict("records"),
               "mu_scan": mu_scan.to_dict("records"), "residuals": residuals.to_dict("records"),
               "falling_at_fixed_distance": falling_at_x}, cfg)
