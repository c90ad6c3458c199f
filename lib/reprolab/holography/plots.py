"""Figures of notebook 09: background profiles, thermodynamics, phase diagram, string paths and dE/dx."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .background import Background, dilaton, entropy_density, string_warp, temperature, warp
from .models import EMDModel
from .phases import Transition, sound_speed_squared
from .shooting import Trajectory

MODEL_STYLE = {"0": {"color": "tab:blue", "label": "$N_f=0$"}, "2": {"color": "tab:orange", "label": "$N_f=2$"},
               "2+1": {"color": "tab:green", "label": "$N_f=2+1$"}, "ads": {"color": "grey", "label": "AdS$_5$-Sch"}}


def plot_background(backgrounds: list[Background]):
    """A(z), A_s(z), phi(z) and g(z) for each background, against z / z_h."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    for bg in backgrounds:
        z = np.linspace(1e-3, bg.zh, 300)
        style = MODEL_STYLE[bg.model.name]
        axes[0].plot(z / bg.zh, warp(bg.model, z), ls="--", color=style["color"])
        axes[0].plot(z / bg.zh, string_warp(bg.model, z), **style)
        axes[1].plot(z / bg.zh, dilaton(bg.model, z), **style)
        axes[2].plot(z / bg.zh, bg.g(z), **style)
    axes[0].set(xlabel="$z/z_h$", ylabel="$A_s$ (solid), $A$ (dashed)")
    axes[1].set(xlabel="$z/z_h$", ylabel=r"dilaton $\phi$")
    axes[2].set(xlabel="$z/z_h$", ylabel="blackening $g$")
    axes[0].legend()
    fig.suptitle(f"backgrounds at T = {backgrounds[0].temperature:.2f} GeV, μ = 0")
    return fig


def plot_thermodynamics(models: list[EMDModel], transitions: dict[str, Transition]):
    """T(z_h), s/T^3 and c_s^2 against T at mu = 0, with each model's T_c marked."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    zh = np.linspace(0.3, 6.0, 600)
    for m in models:
        style = MODEL_STYLE[m.name]
        t = temperature(m, zh)
        axes[0].plot(zh, t, **style)
        axes[1].plot(t, entropy_density(m, zh) / t**3, **style)
        axes[2].plot(t, sound_speed_squared(m, zh), **style)
        for ax in axes[1:]:
            ax.axvline(transitions[m.name].T, color=style["color"], lw=0.8, ls=":")
    axes[0].set(xlabel="$z_h$ [GeV$^{-1}$]", ylabel="T [GeV]", ylim=(0, 0.6))
    axes[1].set(xlabel="T [GeV]", ylabel="$s/T^3$", xlim=(0.05, 0.6))
    axes[2].set(xlabel="T [GeV]", ylabel="$c_s^2$", xlim=(0.05, 0.6), ylim=(0, 0.4))
    axes[2].axhline(1 / 3, color="k", lw=0.6)
    axes[0].legend()
    return fig


def plot_phase_diagram(lines: dict[str, list[Transition]], ceps: dict[str, Transition], crossovers: dict[str, Transition],
                       published: dict[str, tuple[float, float]]):
    """(mu_B, T) plane: first-order lines from each CEP, our CEPs and crossover T, published CEPs as crosses."""
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for name, line in lines.items():
        style = MODEL_STYLE[name]
        ax.plot([p.mu for p in line], [p.T for p in line], **style)
        ax.plot(ceps[name].mu, ceps[name].T, "o", color=style["color"])
        ax.plot(0, crossovers[name].T, "s", mfc="white", color=style["color"])
        ax.plot(*published[name], "kx", ms=8)
    ax.plot([], [], "kx", label="published CEP")
    ax.plot([], [], "s", mfc="white", color="k", label="crossover (min $c_s^2$)")
    ax.set(xlabel=r"$\mu_B$ [GeV]", ylabel="T [GeV]", xlim=(-0.02, None), ylim=(0, None))
    ax.legend()
    return fig


def plot_paths(trajectories: dict[str, Trajectory], reference: dict[str, Trajectory] | None = None):
    """Endpoint depth z(x) [GeV^-1] against distance x [fm]; `reference` dashed (e.g. AdS at the same T)."""
    fig, ax = plt.subplots()
    for label, tr in trajectories.items():
        line, = ax.plot(tr.x, tr.z, label=label)
        if reference and label in reference:
            ax.plot(reference[label].x, reference[label].z, "--", color=line.get_color(), lw=1)
    ax.set(xlabel="x [fm]", ylabel="endpoint depth z [GeV$^{-1}$]")
    ax.invert_yaxis()
    ax.legend(title="launch depth (dashed: AdS$_5$-Sch)")
    return fig


def plot_energy_loss(panels: dict[str, dict[str, Trajectory]], x_max: float | None = None):
    """-dE/dx [GeV/fm] against x [fm]: one panel per key, one curve per inner key."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.5), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items()):
        for label, tr in curves.items():
            ax.plot(tr.x, -tr.dedx, label=label, **({"color": MODEL_STYLE[label]["color"]} if label in MODEL_STYLE else {}))
        ax.set(xlabel="x [fm]", title=title, xlim=(0, x_max))
        ax.legend(fontsize=8)
    axes[0][0].set(ylabel=r"$-dE/dx$ [GeV/fm per $\sqrt{\lambda}$]")
    return fig


def plot_summaries(table: pd.DataFrame, x: str, columns: dict[str, str], xlabel: str):
    """|summary| against x (e.g. T or mu), one panel per column, one curve per model."""
    fig, axes = plt.subplots(1, len(columns), figsize=(3.6 * len(columns), 3.3))
    for ax, (column, title) in zip(np.atleast_1d(axes), columns.items()):
        for name, rows in table.groupby("model", sort=False):
            ax.plot(rows[x], -rows[column], "o-", ms=3, color=MODEL_STYLE[name]["color"], label=MODEL_STYLE[name]["label"])
        ax.set(xlabel=xlabel, title=title)
    np.atleast_1d(axes)[0].set(ylabel="GeV/fm")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    return fig


def plot_stopping_law(energy: np.ndarray, x_stop: np.ndarray, law: np.ndarray, T: float):
    """Stopping distance against total energy (log-log) beside the E^{1/3} law."""
    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    ax.loglog(energy, x_stop, "o", label="shooting string (numerical)")
    ax.loglog(energy, law, "-", label=r"$x_{stop} T = C (E/T\sqrt{\lambda})^{1/3}$")
    ax.set(xlabel="total energy E [GeV]", ylabel="stopping distance [fm]", title=f"AdS$_5$-Sch, T = {T:.3f} GeV")
    ax.legend()
    return fig
