"""Figures of notebook 03: the shape confound, alpha per module type over training, decay heat maps, ESDs, perplexities."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from .decay import ATTENTION_TYPES, block_index, module_type
from .experiment import RunResult
from .spectra import eigenvalues, hill_alpha

TYPE_ORDER = ("Q", "K", "V", "O", "gate", "up", "down")


def random_matrix_alphas(rows: int, aspect_ratios: tuple[float, ...], draws: int = 8, seed: int = 0) -> pd.DataFrame:
    """Hill alpha of Gaussian (round(Q rows) x rows) matrices: what alpha says about shape alone."""
    gen = torch.Generator().manual_seed(seed)
    records = []
    for q in aspect_ratios:
        mats = [torch.randn(int(round(q * rows)), rows, generator=gen) for _ in range(draws)]
        for a in torch.stack([hill_alpha(e) for e in eigenvalues(mats)]).tolist():
            records.append({"aspect_ratio": q, "alpha": a})
    return pd.DataFrame(records)


def plot_shape_confound(random: pd.DataFrame, init: RunResult):
    """alpha vs aspect ratio of random matrices, beside the alpha of the model's matrices at initialisation."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
    stats = random.groupby("aspect_ratio")["alpha"].agg(["mean", "std"])
    axes[0].errorbar(stats.index, stats["mean"], stats["std"], marker="o", capsize=3)
    axes[0].set(xlabel="aspect ratio out/in of a Gaussian matrix", ylabel="Hill alpha (median x_min)",
                title="shape alone moves alpha")
    by_type = init.alpha_by_type(0)
    types = [t for t in TYPE_ORDER if t in by_type]
    axes[1].bar(types, [by_type[t] for t in types], color=["tab:blue" if t in ATTENTION_TYPES else "tab:orange" for t in types])
    axes[1].set(ylabel="mean alpha at initialisation", title="model at init: attention (blue) vs MLP")
    return fig


def plot_alpha_over_training(runs: dict[str, RunResult]):
    """Mean alpha per module type at each refresh, one panel per run (e.g. uniform vs AlphaDecay)."""
    fig, axes = plt.subplots(1, len(runs), figsize=(4.6 * len(runs), 3.4), sharey=True)
    for ax, (title, res) in zip(np.atleast_1d(axes), runs.items()):
        steps = [r["step"] for r in res.log]
        per_type = [res.alpha_by_type(i) for i in range(len(res.log))]
        for t in TYPE_ORDER:
            if t in per_type[0]:
                ax.plot(steps, [p[t] for p in per_type], ls="-" if t in ATTENTION_TYPES else "--", label=t)
        ax.set(xlabel="optimizer step", title=title)
    np.atleast_1d(axes)[0].set(ylabel="mean alpha")
    np.atleast_1d(axes)[0].legend(ncol=2, fontsize=8)
    return fig


def plot_decay_heatmap(res: RunResult, base: float, top: float, snapshots: int = 3):
    """Decay / base of each tuned matrix (block x module type) at the first, a middle and the last refresh;
    colours span [0, top]."""
    picks = np.unique(np.linspace(0, len(res.log) - 1, snapshots).round().astype(int))
    blocks = sorted({block_index(n) for n in res.names})
    fig, axes = plt.subplots(1, len(picks), figsize=(3.6 * len(picks), 3.2), squeeze=False)
    for ax, i in zip(axes[0], picks):
        grid = np.full((len(blocks), len(TYPE_ORDER)), np.nan)
        for name, d in zip(res.names, res.log[i]["decay"]):
            grid[blocks.index(block_index(name)), TYPE_ORDER.index(module_type(name))] = d / base
        im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=top, aspect="auto")
        ax.set(xticks=range(len(TYPE_ORDER)), xticklabels=TYPE_ORDER, yticks=range(len(blocks)), yticklabels=blocks,
               title=f"step {res.log[i]['step']}", ylabel="block")
        ax.grid(False)
    fig.colorbar(im, ax=axes[0].tolist(), label="decay / base")
    return fig


def plot_esd(model: torch.nn.Module, names: tuple[str, str]):
    """Log-log histogram of the ESD with the Hill power-law tail for two matrices (e.g. one attention, one MLP)."""
    modules = dict(model.named_modules())
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.3))
    for ax, name in zip(axes, names):
        eigs = eigenvalues([modules[name].weight])[0].cpu().numpy()
        alpha = float(hill_alpha(torch.from_numpy(eigs)))
        bins = np.geomspace(eigs.min(), eigs.max(), 30)
        density, edges = np.histogram(eigs, bins=bins, density=True)
        centres = np.sqrt(edges[1:] * edges[:-1])
        ax.loglog(centres[density > 0], density[density > 0], "o", ms=3)
        xmin = eigs[len(eigs) // 2]
        tail = centres[centres >= xmin]
        share = 1 - len(eigs) // 2 / len(eigs)
        ax.loglog(tail, share * (alpha - 1) / xmin * (tail / xmin) ** -alpha, "r-", label=f"Hill alpha = {alpha:.2f}")
        ax.axvline(xmin, color="grey", ls=":")
        ax.set(xlabel="eigenvalue of $W^TW$", title=name.replace("model.", ""))
        ax.legend()
    axes[0].set(ylabel="density")
    return fig


def plot_perplexity(table: pd.DataFrame):
    """Validation perplexity per method, one line per seed (paired comparisons)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    labels = list(dict.fromkeys(table["label"]))
    for seed, rows in table.groupby("seed"):
        rows = rows.set_index("label").loc[labels]
        ax.plot(range(len(labels)), rows["perplexity"], "o-", alpha=0.7, label=f"seed {seed}")
    ax.set_xticks(range(len(labels)), labels, rotation=20)
    ax.set(ylabel="validation perplexity")
    ax.legend()
    return fig


def plot_real_spectra(spectra: dict[str, pd.DataFrame]):
    """Hill alpha against depth per module type for each pretrained model (solid), beside the mean alpha of
    Gaussian matrices of the same shapes per type (dashed): how much of the pattern shape alone gives."""
    fig, axes = plt.subplots(1, len(spectra), figsize=(5.2 * len(spectra), 3.6), squeeze=False)
    for ax, (name, df) in zip(axes[0], spectra.items()):
        for k, t in enumerate(t for t in TYPE_ORDER if t in set(df["type"])):
            rows = df[df["type"] == t].sort_values("block")
            colour = f"C{k}"
            ax.plot(rows["block"], rows["alpha_hill"], color=colour, ls="-" if t in ATTENTION_TYPES else "--",
                    marker="o", ms=2.5, label=t)
            ax.axhline(rows["random_hill"].mean(), color=colour, ls=":", lw=0.9)
        ax.set(xlabel="block", ylabel="Hill alpha", title=f"{name} (dotted: Gaussian, same shapes)")
    axes[0][0].legend(ncol=2, fontsize=8)
    return fig
