"""Figures of notebook 10: per-bin Omega_m whiskers, drop-one w0 shifts, q0 posteriors, w0-wa contours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .likelihood import LABELS
from .sampling import Chain, to_mcsamples

RELEASE_STYLE = {"DR1": {"color": "tab:blue", "marker": "o"}, "DR2": {"color": "tab:red", "marker": "s"}}


def plot_omega_m_per_bin(table: pd.DataFrame, reference: float, reference_sigma: float):
    """Whiskers of per-bin Omega_m (mean +- sd) for each release beside a reference band; DV-only bins hollow."""
    bins = [b for b in dict.fromkeys(table["bin"]) if b != "ALL"] + ["ALL"]
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    ax.axhspan(reference - reference_sigma, reference + reference_sigma, color="grey", alpha=0.3, label="Planck 2018 ΛCDM")
    for k, (release, rows) in enumerate(table.groupby("release", sort=True)):
        rows = rows.set_index("bin")
        x = np.array([bins.index(b) for b in rows.index]) + (k - 0.5) * 0.25
        style = RELEASE_STYLE.get(release, {})
        first = rows.index[rows["constrained"].to_numpy()][0]
        for xi, (name, row) in zip(x, rows.iterrows()):
            filled = style.get("color") if row["constrained"] else "white"
            ax.errorbar(xi, row["omega_m"], row["sd"], color=style.get("color"), marker=style.get("marker"),
                        mfc=filled, capsize=2, label=release if name == first else None)
    ax.set_xticks(range(len(bins)), bins, rotation=30)
    ax.set(ylabel=r"$\Omega_\mathrm{m}$ (flat ΛCDM, $h r_\mathrm{d}$ free)", ylim=(0, 1))
    ax.legend(loc="upper right", ncol=3)
    return fig


def plot_w0_shifts(chains: dict[str, Chain], groups: dict[str, list[str]]):
    """w0 mean +- sd for each chain label, one row of whiskers per group (e.g. release), w0 = -1 marked."""
    fig, ax = plt.subplots(figsize=(6.4, 0.5 + 0.45 * sum(len(v) for v in groups.values())))
    y, ticks = 0, []
    for group, labels in groups.items():
        style = RELEASE_STYLE.get(group, {})
        for label in labels:
            s = chains[label].summary("w0")
            ax.errorbar(s["mean"], y, xerr=s["sd"], capsize=3, **style)
            ticks.append(label)
            y -= 1
    ax.axvline(-1.0, color="k", ls="--", lw=1, label=r"$w_0=-1$")
    ax.set_yticks(range(0, y, -1), ticks)
    ax.set(xlabel=r"$w_0$ (mean ± sd)")
    ax.legend()
    return fig


def plot_q0(chains: dict[str, Chain]):
    """Histograms of the q0 posterior per chain with q0 = 0 marked."""
    fig, ax = plt.subplots()
    for label, chain in chains.items():
        ax.hist(chain.column("q0"), bins=80, density=True, histtype="step", lw=1.5,
                label=f"{label}: P(q0<0) = {chain.probability('q0', 0.0):.2f}")
    ax.axvline(0.0, color="k", ls="--", lw=1)
    ax.set(xlabel=r"$q_0 = \frac{1}{2} + \frac{3}{2} w_0 (1-\Omega_\mathrm{m})$", ylabel="posterior density")
    ax.legend(fontsize=8)
    return fig


def plot_w0_wa(chains: dict[str, Chain], ranges: dict[str, tuple[float, float]]):
    """getdist filled 2-D contours (68 %, 95 %) in the w0-wa plane, LCDM point marked."""
    from getdist import plots

    samples = [to_mcsamples(c, LABELS, ranges, label=k, params=["w0", "wa"]) for k, c in chains.items()]
    g = plots.get_single_plotter(width_inch=5.5)
    g.plot_2d(samples, "w0", "wa", filled=True)
    g.add_legend([s.label for s in samples], legend_loc="lower left")
    ax = g.subplots[0, 0]
    ax.plot(-1, 0, "k*", ms=10)
    return g.fig
