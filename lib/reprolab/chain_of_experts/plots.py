"""Figures of notebook 02: validation curves with seed spread, co-selection heat map."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .experiment import RunResult


def plot_curves(results: dict[str, list[RunResult]]):
    """Validation loss vs step per variant: mean over seeds with a min-max band."""
    fig, ax = plt.subplots()
    for name, runs in results.items():
        steps = runs[0].steps
        losses = np.array([r.val_loss for r in runs])  # (seeds, evals)
        ax.plot(steps, losses.mean(0), marker="o", label=f"{name} ({len(runs)} seeds)")
        ax.fill_between(steps, losses.min(0), losses.max(0), alpha=0.2)
    ax.set(xlabel="optimizer step", ylabel="validation loss (nats / character)", yscale="log")
    ax.legend()
    return fig


def plot_co_selection(counts: np.ndarray, title: str):
    """Log-scale heat map of expert i (iteration 0) x expert j (iteration 1) co-selections."""
    fig, ax = plt.subplots(figsize=(5, 4.2))
    image = ax.imshow(np.log10(counts + 1), cmap="viridis", origin="lower")
    ax.set(xlabel="expert chosen in iteration 1", ylabel="expert chosen in iteration 0", title=title)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="log10(count + 1)")
    return fig
