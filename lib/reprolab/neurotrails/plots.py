"""Figures of notebook 08: accuracy against parameters, the backbone/head-split sweep, the language comparison."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

COLOUR = {"single": "tab:gray", "full_ensemble": "tab:blue", "treenet": "tab:orange", "neurotrails": "tab:green",
          "static_heads": "tab:olive"}


def plot_accuracy_vs_parameters(table: pd.DataFrame, metric: str = "accuracy", ylabel: str = "test accuracy (ensemble)"):
    """Mean and per-seed values of `metric` against the count of parameters that can be non-zero."""
    fig, ax = plt.subplots(figsize=(6.2, 3.8))
    for variant, rows in table.groupby("variant", sort=False):
        colour = COLOUR.get(variant, "k")
        ax.scatter(rows["nonzero"], rows[metric], color=colour, alpha=0.4, s=18)
        ax.errorbar(rows["nonzero"].mean(), rows[metric].mean(), yerr=rows[metric].std() if len(rows) > 1 else None,
                    fmt="o", color=colour, ms=8, capsize=3, label=variant)
    ax.set(xscale="log", xlabel="parameters that can be non-zero", ylabel=ylabel)
    ax.legend(fontsize=8)
    return fig


def plot_split_sweep(sweep: pd.DataFrame, n_units: int):
    """Ensemble and mean-member accuracy (left) and head disagreement and KL (right) against units per head."""
    mean = sweep.groupby("b")[["accuracy", "member_accuracy", "disagreement", "kl"]].agg(["mean", "std"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for key, label in (("accuracy", "ensemble"), ("member_accuracy", "mean member")):
        axes[0].errorbar(mean.index, mean[key]["mean"], yerr=mean[key]["std"].fillna(0), marker="o", capsize=3, label=label)
    axes[0].set(xlabel=f"units per head b (of {n_units}; b = {n_units}: independent networks)", ylabel="test accuracy")
    axes[0].legend(fontsize=8)
    axes[1].errorbar(mean.index, mean["disagreement"]["mean"], yerr=mean["disagreement"]["std"].fillna(0), marker="o",
                     capsize=3, color="tab:red", label="pairwise disagreement")
    twin = axes[1].twinx()
    twin.plot(mean.index, mean["kl"]["mean"], "s--", color="tab:purple", label="pairwise KL (nats)")
    axes[1].set(xlabel="units per head b", ylabel="disagreement")
    twin.set_ylabel("KL")
    axes[1].legend(loc="upper left", fontsize=8)
    twin.legend(loc="lower right", fontsize=8)
    return fig
