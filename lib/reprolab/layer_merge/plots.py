"""Figures of notebook 01: a plan as a layer-by-source picture, and scores against parameter share."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .plan import MergePlan


def plot_plan(plan: MergePlan, names: list[str], title: str = ""):
    """Layers (columns) x sources (rows: base, then each candidate); a filled cell is a source a kept layer uses,
    annotated with the merge weight lambda; removed layers are hatched."""
    rows = ["base", *names]
    grid = np.zeros((len(rows), len(plan.layers)))
    fig, ax = plt.subplots(figsize=(0.55 * len(plan.layers) + 2, 0.5 * len(rows) + 1.2))
    for j, op in enumerate(plan.layers):
        if op.op == "remove":
            ax.add_patch(plt.Rectangle((j - 0.5, -0.5), 1, len(rows), hatch="///", fill=False, color="0.5", lw=0))
            continue
        used = [0] if op.op == "base" else [1 + k for k in op.sources]
        for r in used:
            grid[r, j] = 1.0 if op.op != "merge" else 0.6
            if op.op == "merge":
                ax.text(j, r, f"{op.weight:.2f}", ha="center", va="center", fontsize=7)
    ax.imshow(np.ma.masked_equal(grid, 0), cmap="Blues", vmin=0, vmax=1.2, aspect="auto")
    ax.set(xticks=range(len(plan.layers)), yticks=range(len(rows)), yticklabels=rows, xlabel="layer of the base",
           title=title or "plan: sources per layer (numbers: merge weight; hatched: removed)")
    ax.set_xlim(-0.5, len(plan.layers) - 0.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    fig.tight_layout()
    return fig


def plot_scores(table: pd.DataFrame, reference: float):
    """Average test score per model (mean and spread over seeds) against the share of parameters kept, with the
    original models' mean average as a line."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    groups = table.groupby("model", sort=False)
    for name, rows in groups:
        x, y = rows["parameter_share"].mean(), rows["average"]
        ax.errorbar(x, y.mean(), yerr=y.std() if len(y) > 1 else None, fmt="o", capsize=3, label=name)
    ax.axhline(reference, color="0.4", ls="--", lw=1, label="original models (mean)")
    ax.set(xlabel="share of the base's parameters", ylabel="average test accuracy over tasks")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def plot_search_trace(traces: dict[str, pd.DataFrame], baseline: float):
    """Best-so-far mean calibration score over each search's full-budget trials (initial-design points hollow),
    against the best initial-design plan's score (dashed)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name, trace in traces.items():
        line, = ax.plot(range(len(trace)), trace["best_so_far"], label=name)
        own = trace["own"].to_numpy()
        ax.scatter(np.flatnonzero(own), trace["calibration"][own], s=12, color=line.get_color())
        ax.scatter(np.flatnonzero(~own), trace["calibration"][~own], s=12, facecolors="none", edgecolors=line.get_color())
    ax.axhline(baseline, color="grey", ls="--", label="best initial-design plan")
    ax.set(xlabel="full-budget trial", ylabel="mean calibration accuracy", title="Search progress (filled: optimizer's own)")
    ax.legend(fontsize=8)
    return fig
