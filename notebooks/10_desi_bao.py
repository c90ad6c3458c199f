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
# # 10 · How much has DESI dark energy evolved since DR1? (arXiv:2504.04417)
#
# Ó Colgáin, Pourojaghi, Sheikh-Jabbari and Yin follow the redshift-bin "fluctuations" of DESI's
# first-year (DR1) baryon acoustic oscillation (BAO) data into the three-year release (DR2).
#
# > Neither DR1 BAO, DR2 BAO, nor DR2 BAO+CMB, fitted with w0waCDM under relaxed priors, confirms
# > accelerated expansion today (q0 < 0). LRG1 remains the most prominent high-Ωm outlier, a
# > distinction now shared with ELG1 (low Ωm); LRG2 moves from below to above Planck-ΛCDM.
# > Removing LRG1, ELG1 or LRG2 does not restore w0 = −1 within 1σ in DR2; LRG2 now has the
# > greatest bearing on w0 > −1. *(abstract, paraphrased)*
#
# **This notebook** re-derives every one of these statements from the public DESI likelihood files
# (shipped in `data/desi_bao/`), with an analytic background (checked against astropy and CAMB),
# exact grids for ΛCDM and emcee for w0waCDM, and first checks that the same code reproduces
# DESI's own published numbers. The paper's body (its exact "relaxed" prior ranges and tables) was
# not available to us: the ranges are parameters here, and the comparison uses DESI's numbers and
# the paper's qualitative claims.

# %% tags=["hide-input"]
import numpy as np
import pandas as pd

import reprolab.cosmology as cosmo
from reprolab.core import ClaimTable, comparison_table, evidence, resolve, save_figure, setup, use_style, versions

use_style()
print(versions("numpy", "scipy", "emcee", "getdist", "astropy"))

# %% tags=["parameters"]
profile = "default"  # one of: default, paper
seed = 0  # chain k of the notebook is seeded with seed + k
steps_desi = None  # steps of BAO-only chains with DESI priors (None: the profile's value)
steps_relaxed = None  # steps of BAO-only chains with relaxed priors
steps_cmb = None  # steps of BAO + compressed-CMB chains
w0_range = None  # relaxed prior on w0, e.g. [-10, 10]
wa_range = None  # relaxed prior on wa, e.g. [-20, 20]

# %%
cfg = resolve(cosmo.DesiConfig, cosmo.PROFILES, profile, seed=seed, steps_desi=steps_desi, steps_relaxed=steps_relaxed,
              steps_cmb=steps_cmb, w0_range=w0_range, wa_range=wa_range)
rt = setup(cfg.seed, device="cpu", threads=1)
print(cfg)

# %% [markdown]
# ## Data
# Each row is one measured distance over the sound horizon r_d at an effective redshift:
# $D_M/r_d$ (transverse), $D_H/r_d = c/(H r_d)$ (radial) or $D_V/r_d = (z D_M^2 D_H)^{1/3}/r_d$
# (isotropic). Rows are selected by name; DR2's LRG3 and ELG1 are also available separately
# (DESI DR2 Table IV) to study ELG1 on its own.

# %%
dr1, dr2 = cosmo.load_bao("DR1"), cosmo.load_bao("DR2")
dr2_split = cosmo.load_bao("DR2", split_lrg3_elg1=True)
cmb = cosmo.load_cmb_compressed()
pd.DataFrame({"bin": dr2.bins, "z_eff": dr2.z, "quantity": dr2.kind, "DR2 value": dr2.value,
              "DR2 sigma": np.sqrt(np.diag(dr2.cov))})

# %% [markdown]
# ## Flat ΛCDM: DESI's own numbers first
# With $h r_d$ free, $D_X/r_d = (c/100)/(h r_d)\,f_X(z;\Omega_m)$. The posterior on a uniform
# $(\Omega_m, h r_d)$ grid is exact, so these numbers carry no Monte Carlo noise.

# %%
lcdm = {"DR1": cosmo.lcdm_grid_posterior(dr1), "DR2": cosmo.lcdm_grid_posterior(dr2)}
best = {r: cosmo.best_fit(cosmo.Posterior("lcdm_bao", d, cosmo.desi_prior()), [0.3, 101.0]) for r, d in [("DR1", dr1), ("DR2", dr2)]}
for release, grid in lcdm.items():
    print(f"{release}: Ωm = {grid.mean:.4f} ± {grid.sd:.4f}, h r_d = {grid.hrd_mean:.2f} ± {grid.hrd_sd:.2f} Mpc, "
          f"χ²_min = {best[release][1]:.2f}")

# %% [markdown]
# DESI reports Ωm = 0.2975 ± 0.0086, h r_d = 101.54 ± 0.73 Mpc and χ² = 10.27 for DR2 and
# Ωm = 0.295 ± 0.015 for DR1: the implementation is the one DESI's numbers come from.
#
# ## Ωm bin by bin
# One bin alone constrains Ωm only through $D_M/D_H$ (the Alcock–Paczynski ratio); bins that
# measure only $D_V$ leave Ωm at its prior and are drawn hollow. Pulls are against Planck 2018 ΛCDM.

# %%
planck = (cfg.planck_omega_m, cfg.planck_omega_m_sigma)
per_bin = cosmo.per_bin_omega_m({"DR1": dr1, "DR2": dr2}, *planck)
split_rows = cosmo.per_bin_omega_m({"DR2": dr2_split.select(["LRG3", "ELG1"])}, *planck)
per_bin = pd.concat([per_bin, split_rows[split_rows["bin"] != "ALL"]], ignore_index=True)
per_bin.pivot(index="bin", columns="release", values=["omega_m", "sd", "pull"]).round(3)

# %%
# Per-bin Omega_m, DR1 vs DR2
fig = cosmo.plots.plot_omega_m_per_bin(per_bin, *planck)
save_figure("10", "omega_m_per_bin", fig)

# %% [markdown]
# LRG1 sits high in both releases; in DR2 the ELG1 half of the 0.8 < z < 1.1 bin is the low outlier,
# and LRG2 crosses the Planck band from below (DR1) to above (DR2).
#
# ## w0waCDM with DESI's priors, BAO alone and with the CMB
# $w(a) = w_0 + w_a(1-a)$. DESI's priors: $w_0 \in [-3, 1]$, $w_a \in [-3, 2]$, $w_0 + w_a < 0$.
# With the CMB, $r_d$ follows from $(\omega_b, \omega_c)$ (Aubourg et al. 2015) and the compressed
# Planck PR4 likelihood constrains $(\theta_*, \omega_b, \omega_b + \omega_c)$; our analytic
# $\theta_*$ agrees with CAMB to 3e-5 (tests).

# %%
desi_chains = cosmo.sample_all({
    "DR2 BAO+CMB": cosmo.Posterior("w0wa_bao_cmb", dr2, cosmo.desi_prior(), cmb)}, cfg.steps_cmb, cfg.n_walkers,
    cfg.burn_fraction, cfg.seed)
desi_chains |= cosmo.sample_all({
    "DR1": cosmo.Posterior("w0wa_bao", dr1, cosmo.desi_prior()),
    "DR1 − LRG1": cosmo.Posterior("w0wa_bao", dr1.select(drop=["LRG1"]), cosmo.desi_prior()),
    "DR2": cosmo.Posterior("w0wa_bao", dr2, cosmo.desi_prior()),
    "DR2 − LRG1": cosmo.Posterior("w0wa_bao", dr2.select(drop=["LRG1"]), cosmo.desi_prior()),
    "DR2 − LRG2": cosmo.Posterior("w0wa_bao", dr2.select(drop=["LRG2"]), cosmo.desi_prior()),
    "DR2 − ELG1": cosmo.Posterior("w0wa_bao", dr2_split.select(drop=["ELG1"]), cosmo.desi_prior()),
}, cfg.steps_desi, cfg.n_walkers, cfg.burn_fraction, cfg.seed + 1)
cosmo.chain_table(desi_chains)

# %% [markdown]
# DR2 BAO+CMB gives DESI's w0 ≈ −0.43 ± 0.22, wa ≈ −1.72 ± 0.64; BAO alone gives w0 ≈ −0.48 with
# wa piling up against the prior edge (DESI: wa < −1.34 at 68 %).
#
# ## Relaxed priors and the deceleration parameter
# $q_0 = \tfrac12 + \tfrac32 w_0 (1-\Omega_m)$: acceleration today needs $w_0 < -1/[3(1-\Omega_m)]$.
# The paper's relaxed ranges are not public; ours are parameters (below), with no $w_0 + w_a < 0$ cut for BAO
# alone. With the CMB the cut stays: the compressed CMB likelihood assumes matter domination at early times,
# which fails for $w_0 + w_a \ge 0$ (the paper note's pitfall 11). The chain without the cut is run as well, only
# to show what the invalid region would do to $P(q_0 < 0)$.

# %%
relaxed = cosmo.relaxed_prior(cfg.w0_range, cfg.wa_range, cfg.relaxed_w0_plus_wa_negative)
relaxed_cut = cosmo.relaxed_prior(cfg.w0_range, cfg.wa_range, True)
print("relaxed prior:", {k: relaxed.ranges[k] for k in ("omega_m", "hrd", "w0", "wa")}, "w0 + wa < 0:",
      relaxed.w0_plus_wa_negative, "(BAO alone); True with the CMB")
relaxed_chains = cosmo.sample_all({"DR1 BAO": cosmo.Posterior("w0wa_bao", dr1, relaxed),
                                   "DR2 BAO": cosmo.Posterior("w0wa_bao", dr2, relaxed)},
                                  cfg.steps_relaxed, cfg.n_walkers, cfg.burn_fraction, cfg.seed + 10)
relaxed_chains |= cosmo.sample_all({"DR2 BAO+CMB": cosmo.Posterior("w0wa_bao_cmb", dr2, relaxed_cut, cmb)},
                                   cfg.steps_cmb, cfg.n_walkers, cfg.burn_fraction, cfg.seed + 20)
uncut = cosmo.sample_all({"DR2 BAO+CMB, no cut (invalid)": cosmo.Posterior("w0wa_bao_cmb", dr2, relaxed, cmb,
                                                                           allow_early_dark_energy=True)},
                         cfg.steps_cmb, cfg.n_walkers, cfg.burn_fraction, cfg.seed + 20)
cosmo.chain_table(relaxed_chains | uncut)

# %%
pd.DataFrame({k: {"P(q0 < 0)": c.probability("q0", 0.0), "MC error": cosmo.probability_error(c, "q0", 0.0),
                  "share with w0 + wa >= 0": float(np.mean(c.column("w0") + c.column("wa") >= 0))}
              for k, c in {"DR2 BAO+CMB (cut)": relaxed_chains["DR2 BAO+CMB"], **uncut}.items()}).T

# %%
# q0 posteriors with relaxed priors
fig = cosmo.plots.plot_q0(relaxed_chains)
save_figure("10", "q0_posteriors", fig)

# %% [markdown]
# Under relaxed priors BAO alone drifts to large w0 (DR1 to w0 ≈ +1 with Ωm ≈ 0.5): q0 < 0 is far
# from established. The steps/τ column shows that the default profile's chains are 30–45
# autocorrelation times long, short of emcee's 50τ rule of thumb; the Monte Carlo error of each
# mean (below) stays far under the margins the claims need, and the `paper` profile runs every
# chain past 50τ.

# %%
# w0-wa contours
fig = cosmo.plots.plot_w0_wa({"DR2 BAO (relaxed)": relaxed_chains["DR2 BAO"],
                              "DR2 BAO+CMB (relaxed)": relaxed_chains["DR2 BAO+CMB"],
                              "DR2 − LRG1 (DESI)": desi_chains["DR2 − LRG1"],
                              "DR2 − LRG2 (DESI)": desi_chains["DR2 − LRG2"]}, relaxed.ranges)
save_figure("10", "w0_wa_contours", fig)

# %% [markdown]
# ## Removing one bin at a time
# Drop-one fits use DESI's priors (with relaxed priors the BAO-only w0 posterior is too wide for a
# 1σ statement to mean much). "DR2 − ELG1" keeps LRG3 on its own in place of LRG3+ELG1.

# %%
# w0 after dropping one bin
fig = cosmo.plots.plot_w0_shifts(desi_chains, {"DR1": ["DR1", "DR1 − LRG1"],
                                               "DR2": ["DR2", "DR2 − LRG1", "DR2 − ELG1", "DR2 − LRG2"]})
save_figure("10", "w0_drop_one", fig)

# %%
w0 = {k: c.summary("w0") for k, c in desi_chains.items()}
sigma_from_lcdm = {k: (s["mean"] + 1) / s["sd"] for k, s in w0.items()}
shift = {k: w0[k]["mean"] - w0["DR2"]["mean"] for k in ("DR2 − LRG1", "DR2 − LRG2", "DR2 − ELG1")}
mc = {k: cosmo.mc_error(c, "w0") for k, c in desi_chains.items()}
pd.DataFrame({"w0 mean": {k: s["mean"] for k, s in w0.items()}, "w0 sd": {k: s["sd"] for k, s in w0.items()},
              "(w0 + 1) / sd": sigma_from_lcdm, "MC error of mean": mc, "shift vs full DR2": shift}).round(3)

# %% [markdown]
# ## Paper vs this run
# The paper's tables were not readable; the reference column holds DESI's published numbers
# (DR1: arXiv:2404.03002, DR2: arXiv:2503.14738) and the paper's abstract.

# %%
pb = per_bin.set_index(["release", "bin"])
dr2_cmb = desi_chains["DR2 BAO+CMB"]
comparison_table([
    {"quantity": "DR2 BAO ΛCDM Ωm", "paper": "0.2975 ± 0.0086 (DESI)", "this run": f"{lcdm['DR2'].mean:.4f} ± {lcdm['DR2'].sd:.4f}"},
    {"quantity": "DR2 BAO ΛCDM h r_d [Mpc]", "paper": "101.54 ± 0.73 (DESI)", "this run": f"{lcdm['DR2'].hrd_mean:.2f} ± {lcdm['DR2'].hrd_sd:.2f}"},
    {"quantity": "DR2 BAO ΛCDM χ²_min", "paper": "10.27 (DESI)", "this run": f"{best['DR2'][1]:.2f}"},
    {"quantity": "DR1 BAO ΛCDM Ωm", "paper": "0.295 ± 0.015 (DESI)", "this run": f"{lcdm['DR1'].mean:.4f} ± {lcdm['DR1'].sd:.4f}"},
    {"quantity": "DR2 BAO+CMB w0", "paper": "−0.43 ± 0.22 (DESI)", "this run": f"{dr2_cmb.summary('w0')['mean']:.3f} ± {dr2_cmb.summary('w0')['sd']:.3f}"},
    {"quantity": "DR2 BAO+CMB wa", "paper": "−1.72 ± 0.64 (DESI)", "this run": f"{dr2_cmb.summary('wa')['mean']:.2f} ± {dr2_cmb.summary('wa')['sd']:.2f}"},
    {"quantity": "DR2 BAO w0 / wa (68 % upper)", "paper": "−0.48 / < −1.34 (DESI)",
     "this run": f"{w0['DR2']['mean']:.3f} / < {desi_chains['DR2'].summary('wa')['upper68']:.2f}"},
    {"quantity": "DR1 LRG1 Ωm", "paper": "0.668 +0.180 −0.169 (arXiv:2404.08633)", "this run": f"{pb.loc[('DR1', 'LRG1'), 'median']:.3f} (median)"},
    {"quantity": "P(q0 < 0), relaxed: DR1 / DR2 / DR2+CMB", "paper": "q0 < 0 not confirmed in any",
     "this run": " / ".join(f"{c.probability('q0', 0):.2f}" for c in relaxed_chains.values())},
])

# %% [markdown]
# ## Claims
# The posterior claims are Monte Carlo estimates: each goes through the evidence engine with its Monte Carlo
# standard error (from the autocorrelation time), so a shorter chain gives `inconclusive`, never a failed
# assertion. Claim 2 asks our DR2 BAO+CMB posterior means to agree with DESI's within 0.2 σ (equivalence);
# claim 4 asks P(q0 < 0) to stay below the 1 σ level 0.84 by a margin of 0.02; claim 5 compares (w0 + 1)/sd with
# 1 (margin 0.25) and the LRG2 shift with the next largest (margin 0.02). Claim 3 reads the per-bin fits, which
# have no sampling noise. Reproducing DESI's ΛCDM numbers is an implementation check of the likelihood.

# %%
claims = ClaimTable("10")
s_w0, s_wa = dr2_cmb.summary("w0"), dr2_cmb.summary("wa")
for tag, name, value, ref, sd in (("a", "w0", s_w0, -0.43, 0.22), ("b", "wa", s_wa, -1.72, 0.64)):
    claims.claim(f"2{tag}", f"DESI DR2 BAO+CMB w0waCDM: {name} = {ref} +- {sd}", f"posterior mean of {name} against DESI's",
                 evidence.from_estimate(value["mean"] - ref, cosmo.mc_error(dr2_cmb, name), kind="equivalence",
                                        delta=0.2 * sd, metric=f"{name} mean"))
pull_of = lambda release, name: pb.loc[(release, name), "pull"]  # noqa: E731
constrained = {r: pb.loc[r][pb.loc[r]["constrained"] & (pb.loc[r].index != "ALL")]["pull"] for r in ("DR1", "DR2")}
claims.claim("3", "LRG1 is the high-Omega_m outlier, ELG1 the low one in DR2, LRG2 moves from below to above Planck",
             "largest pull LRG1 in both releases, most negative DR2 pull ELG1, LRG2 pull negative in DR1 and positive in DR2",
             evidence.deterministic(bool(constrained["DR1"].idxmax() == "LRG1" and constrained["DR2"].idxmax() == "LRG1"
                                         and constrained["DR2"].idxmin() == "ELG1"
                                         and pull_of("DR1", "LRG2") < 0 < pull_of("DR2", "LRG2")),
                                    metric="per-bin pulls", value={r: p.round(3).to_dict() for r, p in constrained.items()}))
p_q0 = {k: c.probability("q0", 0.0) for k, c in relaxed_chains.items()}
for tag, (k, c) in zip("abc", relaxed_chains.items()):
    claims.claim(f"4{tag}", f"with relaxed priors, {k} does not establish q0 < 0",
                 f"{cfg.q0_probability_limit} minus P(q0 < 0) of the relaxed-prior {k} posterior",
                 evidence.from_estimate(cfg.q0_probability_limit - p_q0[k], cosmo.probability_error(c, "q0", 0.0),
                                        kind="directional", delta=0.02, metric="P(q0 < 0)"))
z_se = {k: mc[k] / w0[k]["sd"] for k in w0}  # Monte Carlo error of (w0 + 1) / sd (the sd's own error is smaller)
closest = min(shift, key=lambda k: sigma_from_lcdm[k])
claims.claim("5a", "in DR2 no single removal of LRG1, ELG1 or LRG2 restores w0 = -1 within 1 sigma",
             "(w0 + 1)/sd minus 1 for the DR2 drop closest to w0 = -1",
             evidence.from_estimate(sigma_from_lcdm[closest] - 1, z_se[closest], kind="directional", delta=0.25,
                                    metric="(w0 + 1)/sd - 1"))
claims.claim("5b", "in DR1 removing LRG1 did", "1 minus (w0 + 1)/sd for DR1 without LRG1",
             evidence.from_estimate(1 - sigma_from_lcdm["DR1 − LRG1"], z_se["DR1 − LRG1"], kind="directional", delta=0.25,
                                    metric="1 - (w0 + 1)/sd"))
runner_up = max((k for k in shift if k != "DR2 − LRG2"), key=lambda k: abs(shift[k]))
claims.claim("5c", "LRG2 shifts w0 most", f"|w0 shift| of DR2 without LRG2 minus that without the next ({runner_up})",
             evidence.from_estimate(abs(shift["DR2 − LRG2"]) - abs(shift[runner_up]),
                                    float(np.hypot(mc["DR2 − LRG2"], mc[runner_up])), kind="directional", delta=0.02,
                                    metric="|w0 shift|"))
anchors = {"DR2 Ωm": (lcdm["DR2"].mean, 0.2975, 0.0086), "DR2 h r_d": (lcdm["DR2"].hrd_mean, 101.54, 0.73),
           "DR1 Ωm": (lcdm["DR1"].mean, 0.295, 0.015)}
claims.check("1", "our BAO likelihood gives DESI's own LCDM results for DR1 and DR2",
             "Omega_m and h r_d within 0.1 sigma, DR2 chi2_min within 0.1",
             all(abs(v - ref) < 0.1 * s for v, ref, s in anchors.values()) and abs(best["DR2"][1] - 10.27) < 0.1,
             {k: v[0] for k, v in anchors.items()} | {"DR2 chi2_min": best["DR2"][1]})
claims.evidence_frame()

# %%
# NBVAL_CHECK_OUTPUT
claims.finish({"lcdm": {r: {"omega_m": g.mean, "sd": g.sd, "hrd": g.hrd_mean, "hrd_sd": g.hrd_sd, "chi2_min": best[r][1]}
                        for r, g in lcdm.items()},
               "per_bin": per_bin.to_dict("records"),
               "chains": {k: {p: c.summary(p) for p in ("omega_m", "w0", "wa", "q0")} | {"tau": c.tau, "converged": c.converged}
                          for k, c in (desi_chains | {f"relaxed {k}": v for k, v in (relaxed_chains | uncut).items()}).items()}},
              cfg)
