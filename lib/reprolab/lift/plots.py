"""Figures of notebook 05: the learn/forget trade-off, mask spectra and memory per method."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

METHOD_STYLE = {"full": ("tab:red", "o"), "lora": ("tab:blue", "s"), "dora": ("tab:cyan", "D"),
                "lift": ("tab:green", "^"), "lift_smallest": ("tab:olive", "v"), "magnitude": ("tab:purple", "P")}


def plot_tradeoff(table: pd.DataFrame, base_loss: float, loss_name: str = "source answer loss"):
    """Target exact match against the rise of the source loss (`loss_name`), one marker per (method, seed)."""
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for method, rows in table.groupby("method", sort=False):
        colour, marker = METHOD_STYLE.get(method, ("k", "o"))
        ax.scatter(rows["source_loss"] - base_loss, rows["target"], color=colour, marker=marker, label=method)
    ax.set(xlabel=f"{loss_name} rise over the base model (nats/token)", ylabel="target exact match",
           title="learn (up) vs forget (right)")
    ax.legend()
    return fig


def plot_mask_spectra(spectra: dict[str, np.ndarray], title: str):
    """Singular values of W and of W restricted to each mask."""
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for name, values in spectra.items():
        ax.semilogy(values, label=name)
    ax.set(xlabel="index", ylabel="singular value", title=title)
    ax.legend()
    return fig


def plot_memory(memory: pd.DataFrame):
    """Optimizer-state bytes per method (log scale), measured from the optimizers' state tensors."""
    fig, ax = plt.subplots(figsize=(6.0, 3.3))
    ax.bar(memory.index, memory["optimizer_state"], color=[METHOD_STYLE.get(m, ("k",))[0] for m in memory.index])
    ax.set(yscale="log", ylabel="optimizer state [bytes]")
    return fig
