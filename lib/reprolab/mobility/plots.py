"""Static figures of notebook 04 (the committed notebook shows these; the folium maps need a browser)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .experiment import LABELS, SETTINGS


def plot_city(pois: pd.DataFrame, checkins: pd.DataFrame, user: int, days: tuple[int, int] = (0, 7)):
    """POIs coloured by group (left) and one user's check-ins over `days` drawn in time order (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharex=True, sharey=True)
    for group, rows in pois.groupby("group"):
        axes[0].scatter(rows["lon"], rows["lat"], s=4, label=group)
    axes[0].legend(fontsize=7, markerscale=3, loc="lower left")
    axes[0].set(title=f"{len(pois)} POIs by group", xlabel="lon (deg)", ylabel="lat (deg)")
    axes[1].scatter(pois["lon"], pois["lat"], s=2, color="0.85")
    rows = checkins[(checkins["user_id"] == user) & checkins["start_day"].between(days[0], days[1] - 1)]
    axes[1].plot(rows["lon"], rows["lat"], "-", color="tab:blue", alpha=0.5)
    axes[1].scatter(rows["lon"], rows["lat"], c=rows["start_day"], cmap="viridis", s=25, zorder=3)
    axes[1].set(title=f"user {user}: {len(rows)} check-ins, days {days[0]}-{days[1] - 1}", xlabel="lon (deg)")
    for ax in axes:
        ax.set_aspect("equal")
    return fig


def plot_pretraining(histories: dict[str, list[dict]], chance: float):
    """CaLLiPer's contrastive loss per epoch for each setting, against the chance level ln B."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for setting, history in histories.items():
        epochs = [h["epoch"] for h in history]
        ax.plot(epochs, [h["train_loss"] for h in history], "--", label=f"{setting}: train")
        ax.plot(epochs, [h["val_loss"] for h in history], "-o", ms=3, label=f"{setting}: validation")
    ax.axhline(chance, color="k", lw=0.8, ls=":", label="chance, ln B")
    ax.set(xlabel="epoch", ylabel="symmetric InfoNCE (nats)")
    ax.legend(fontsize=7)
    return fig


def plot_similarity(grid_lon: np.ndarray, grid_lat: np.ndarray, scores: dict[str, np.ndarray], pois: pd.DataFrame):
    """One panel per query text: cosine similarity (ny, nx) of the text to each grid cell's embedding, with the POIs
    whose text equals the query marked."""
    n = len(scores)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.6), squeeze=False)
    extent = [grid_lon.min(), grid_lon.max(), grid_lat.min(), grid_lat.max()]
    for ax, (query, s) in zip(axes[0], scores.items()):
        image = ax.imshow(s, origin="lower", extent=extent, cmap="viridis")
        match = pois[pois["text"] == query]
        ax.scatter(match["lon"], match["lat"], s=3, color="white", alpha=0.7)
        ax.set_title(query.replace("A place of ", "").replace(", a type of", " /"), fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.046)
    return fig


def plot_results(table: pd.DataFrame, metrics: tuple[str, ...] = ("acc@1", "mrr")):
    """Mean ± std over seeds (bars) and each seed (dots) per method, conventional vs inductive, full test set."""
    rows = table[table["subset"] == "all"]
    methods = list(dict.fromkeys(rows["method"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.6), squeeze=False)
    width = 0.8 / len(SETTINGS)
    for ax, metric in zip(axes[0], metrics):
        for j, setting in enumerate(SETTINGS):
            part = rows[rows["setting"] == setting]
            x = np.arange(len(methods)) + (j - (len(SETTINGS) - 1) / 2) * width
            stats = part.groupby("method")[metric].agg(["mean", "std"]).reindex(methods)
            ax.bar(x, stats["mean"], width, yerr=stats["std"].fillna(0), capsize=2, label=setting, alpha=0.8)
            for xi, m in zip(x, methods):
                values = part.loc[part["method"] == m, metric]
                ax.scatter(np.full(len(values), xi), values, s=6, color="k", zorder=3)
        ax.set_xticks(np.arange(len(methods)), [LABELS.get(m, m) for m in methods], rotation=30, ha="right",
                      fontsize=8)
        ax.set(ylabel=metric, ylim=(0, math.ceil(rows[metric].max() * 10) / 10))
        ax.legend(fontsize=8)
    return fig
