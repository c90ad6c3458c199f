"""Figures of notebook 06: pruning damage, repair per method, sparsity over training, topology change, memory."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

METHOD_COLOUR = {"seft": "tab:green", "seft_no_reactivation": "tab:olive", "static_delta": "tab:blue",
                 "all_alive": "tab:purple", "lora_reprune": "tab:red", "lora_dense": "tab:orange"}


def plot_pruning_damage(sweep: pd.DataFrame, dense_task: float, dense_ppl: float):
    """Task exact match and held-out perplexity of one-shot pruned models against sparsity, one line per pruner."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
    for pruner, rows in sweep.groupby("pruner", sort=False):
        axes[0].plot(rows["realised"], rows["task"], "o-", label=pruner)
        axes[1].plot(rows["realised"], rows["perplexity"], "o-", label=pruner)
    axes[0].axhline(dense_task, color="k", ls="--", lw=1, label="dense")
    axes[1].axhline(dense_ppl, color="k", ls="--", lw=1, label="dense")
    axes[0].set(xlabel="sparsity", ylabel="task exact match", title="before any fine-tuning")
    axes[1].set(xlabel="sparsity", ylabel="held-out perplexity", yscale="log")
    axes[0].legend()
    return fig


def plot_repair(table: pd.DataFrame, dense: dict, pruned: dict):
    """Task exact match and perplexity per method: one dot per seed, a bar for the mean; dense and pruned as lines."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    methods = list(dict.fromkeys(table["method"]))
    for ax, key in zip(axes, ("task", "perplexity")):
        means = table.groupby("method", sort=False)[key].mean().reindex(methods)
        ax.bar(range(len(methods)), means, color=[METHOD_COLOUR.get(m, "grey") for m in methods], alpha=0.5)
        for i, m in enumerate(methods):
            values = table.loc[table["method"] == m, key]
            ax.plot([i] * len(values), values, "k.", ms=6)
        ax.axhline(dense[key], color="k", ls="--", lw=1, label="dense (before pruning)")
        ax.axhline(pruned[key], color="tab:red", ls=":", lw=1, label="pruned, no fine-tuning")
        ax.set_xticks(range(len(methods)), methods, rotation=20)
    axes[0].set(ylabel="task exact match")
    axes[1].set(ylabel="held-out perplexity")
    axes[0].legend(fontsize=8)
    return fig


def plot_topology(records: pd.DataFrame):
    """SEFT over training: alive count / target and non-zero count / target (left); reactivated weights alive,
    per matrix, as a share of its alive count (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    total = records.groupby("step")[["alive", "target", "nonzero"]].sum()
    axes[0].plot(total.index, total["alive"] / total["target"], "o-", label="|alive mask| / target")
    axes[0].plot(total.index, total["nonzero"] / total["target"], "s-", label="non-zero weights / target")
    axes[0].set(xlabel="optimizer step (topology updates)", ylabel="ratio", title="sparsity kept exact by the mask")
    axes[0].legend(fontsize=8)
    for matrix, rows in records.groupby("matrix", sort=False):
        short = matrix.replace("model.layers.", "L").replace(".self_attn", "").replace(".mlp", "")
        axes[1].plot(rows["step"], rows["reactivated_alive"] / rows["target"], label=short)
    axes[1].set(xlabel="optimizer step", ylabel="reactivated weights / alive", title="pruned weights brought back")
    axes[1].legend(fontsize=6, ncol=2)
    return fig


def plot_memory(memory: pd.DataFrame):
    """Measured gradient and optimizer-state bytes per method."""
    fig, ax = plt.subplots(figsize=(6.5, 3.3))
    x = range(len(memory))
    ax.bar([i - 0.2 for i in x], memory["gradients"], width=0.4, label="gradients")
    ax.bar([i + 0.2 for i in x], memory["optimizer_state"], width=0.4, label="optimizer state (+ masks)")
    ax.set_xticks(list(x), memory.index, rotation=20)
    ax.set(yscale="log", ylabel="bytes")
    ax.legend(fontsize=8)
    return fig
