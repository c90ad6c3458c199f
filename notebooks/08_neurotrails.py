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
# # 08 · NeuroTrails: sparse multi-head ensembles with evolving topology (arXiv:2505.17909)
#
# Grooten et al. build a cheap ensemble from one network: a **shared trunk** and **M heads**, where
# everything — trunk and heads — is **sparse** and trained with **dynamic sparse training** (RigL:
# every ΔT steps drop the smallest weights, regrow where the gradient is largest). The evolving
# topologies ("neural trails") make the heads disagree more than dense heads do (TreeNet), but not so
# much that each gets weak: a "Goldilocks zone" of diversity. They report beating a full deep ensemble
# with fewer parameters: ResNet-50/ImageNet 78.1 % vs 77.5 % (single 76.1 %), LLaMA-350M/C4 perplexity
# 20.7 vs 21.3 (single 22.8).
#
# **This notebook** implements the multi-head networks (`reprolab.neurotrails`: a 1-D ResNet whose heads
# are packed into grouped convolutions so one call runs all M, and a multi-head HF LLaMA) and the DST
# engine (`reprolab.sparsity.DynamicSparsity`: ERK densities, exact live counts per head, RigL/SET
# regrowth with a cosine drop rate 0.5 → 0.005, static-mask option). It compares, at M = 3 and with
# paired seeds, a single dense network, a full ensemble, dense multi-head TreeNet, NeuroTrails and the
# same heads with static sparse masks on **mnist1d** (generated offline, with more noise than the
# package default so that a small ResNet does not saturate), sweeps the trunk/head split, and repeats
# the comparison for a tiny LLaMA on a **Markov source of known entropy** (a perplexity floor). The
# `paper` profile runs the paper's setting instead: ResNet-50 (the same packed heads in 2-D, bottleneck
# blocks, b = 10 of 16 blocks per head) on an ImageNet folder and LLaMA-350M on a C4 shard, from local paths; the
# `fashion_mnist` profile runs the vision comparison on real images (Fashion-MNIST, 28 x 28, from Debian's
# `dataset-fashion-mnist` package) with a small 2-D ResNet, at the paper's density rule (NeuroTrails' non-zeros equal
# one dense model's).

# %% tags=["hide-input"]
import numpy as np
import pandas as pd

import reprolab.neurotrails as nt
from reprolab.core import (ClaimTable, comparison_table, evidence, resolve, run_dir, save_figure,
                           setup, use_style, versions)

use_style()
print(versions("torch", "transformers", "mnist1d"))

# %% tags=["parameters"]
profile = "default"  # one of: default, cpu_long, fashion_mnist, paper (paper: ImageNet folder and C4 shard at local paths)
seed = 0  # first seed (initialisation, masks, batch order)
n_seeds = None  # paired seeds per variant (None: the profile's value)
n_heads = None  # M
blocks_in_head = None  # b: units (stem + residual blocks) in each head
density = None  # NeuroTrails' live share of the conv/linear weights
epochs = None
device = None  # auto, cpu or cuda
image_root = None  # paper profile: folder with train/<class>/ and val/<class>/ images
fashion_mnist_dir = None  # fashion_mnist profile: folder of the IDX files (None: Debian's dataset-fashion-mnist)
lm_text_path = None  # paper profile: local C4 shard (json lines with a "text" field)

# %%
cfg = resolve(nt.NeuroTrailsConfig, nt.PROFILES, profile, seed=seed, n_seeds=n_seeds, n_heads=n_heads,
              blocks_in_head=blocks_in_head, density=density, epochs=epochs, device=device, image_root=image_root,
              fashion_mnist_dir=fashion_mnist_dir, lm_text_path=lm_text_path)
rt = setup(cfg.seed, cfg.device, cfg.threads)
print(cfg)
data = nt.vision_data(cfg)
print(data["description"])

# %% [markdown]
# ## The variants
# The ResNet has `n_units` = the stem + its residual blocks (default: the 1-D net, 1 + 6); a head holds the last b
# units and its own classifier, the trunk the rest (b = n_units: M independent networks, the full ensemble). Heads are
# independently initialised, trained on the mean of their cross-entropies and predict with the mean
# of their logits (the official code's choice). NeuroTrails and the static control keep `density` of
# all conv/linear weights (trunk and heads, ERK across layers, exactly the same live count in every
# head); ΔT is half an epoch. SGD with Nesterov momentum 0.9, weight decay 5e-4, warm-up then cosine. `ece` is
# the ensemble's expected calibration error (15 equal-width confidence bins), beside its NLL as in the paper.

# %%
variants = nt.vision_variants(cfg)
jobs = [(variants[v], cfg.seed + k) for k in range(cfg.n_seeds) for v in cfg.variants]
print(f"NeuroTrails density {nt.main_density(cfg):.3f}" + (" (matched to one dense model)" if cfg.match_single else ""))
target = nt.nonzero_budget(cfg, cfg.blocks_in_head, nt.main_density(cfg))  # the main NeuroTrails net's non-zero budget
sweep_density = {b: nt.matching_density(cfg, b, target) for b in cfg.sweep_blocks}
extra = [(nt.Variant("neurotrails", cfg.n_heads, b, sweep_density[b]), cfg.seed + k)
         for k in range(cfg.n_seeds) for b in cfg.sweep_blocks if b != cfg.blocks_in_head]
print("sweep densities at an equal non-zero budget:", {b: round(d, 3) for b, d in sweep_density.items()})
results = nt.run_all(jobs + extra, lambda v, s: nt.run_vision(cfg, data, v, s, run_dir("08") / "vision"), run_dir("08"),
                     desc="vision")
table = pd.DataFrame([r.row() for r in results])
main = table.iloc[:len(jobs)]
main.groupby("variant", sort=False)[["accuracy", "nll", "ece", "member_accuracy", "gain", "disagreement", "kl",
                                     "nonzero", "seconds"]].agg(["mean", "std"]).round(4)

# %%
fig = nt.plots.plot_accuracy_vs_parameters(main)
save_figure("08", "accuracy_vs_parameters", fig)

# %% [markdown]
# ## Paired comparisons
# NeuroTrails against each other variant through the evidence engine, paired over seeds (same seed: same data
# order) and test items: ensemble accuracy (higher is better) and NLL (lower is better). δ = 0.01 accuracy
# (one point: the paper's NeuroTrails gains over a single model and over its ablations are of 1–3 points on
# CIFAR-100 and ImageNet) and 0.02 nats of NLL.

# %%
def item_scores(runs, variant: str, b: int, key: str) -> np.ndarray:
    """(seeds, test items) of one variant at trunk/head split b, in seed order."""
    return np.stack([r.items[key] for r in sorted(runs, key=lambda r: r.seed) if r.variant == variant
                     and r.blocks_in_head == b])


b_main = cfg.blocks_in_head
main_b = {v: rows["b"].iloc[0] for v, rows in main.groupby("variant", sort=False)}
pairs = {o: {"accuracy": evidence.directional(item_scores(results, "neurotrails", b_main, "correct"),
                                              item_scores(results, o, main_b[o], "correct"), delta=0.01, metric="accuracy"),
             "nll": evidence.directional(item_scores(results, "neurotrails", b_main, "nll"),
                                         item_scores(results, o, main_b[o], "nll"), delta=0.02, metric="NLL (nats)",
                                         higher_is_better=False)}
         for o in main_b if o != "neurotrails"}
pd.DataFrame({(o, k): {"effect": e.effect, "95% low": e.low, "95% high": e.high, "MDE": e.mde, "verdict": e.verdict}
              for o, p in pairs.items() for k, e in p.items()}).T

# %% [markdown]
# ## The trunk/head split: is there a Goldilocks zone?
# NeuroTrails for several b at the same number of parameters that can be non-zero (the density is
# adjusted per b; ERK's live count is the masked count times the density). Diversity is the mean over ordered pairs of heads of
# the share of test inputs on which they disagree (the official script also averages the zero
# diagonal, which gives (M−1)/M of this; both are in the results) and the mean pairwise KL.

# %%
sweep = table[table["variant"] == "neurotrails"]
fig = nt.plots.plot_split_sweep(sweep, cfg.n_units)
save_figure("08", "split_sweep", fig)
curve = sweep.groupby("b")[["accuracy", "member_accuracy", "gain", "disagreement", "kl", "nonzero"]].mean()
curve["equal budget"] = (curve["nonzero"] - target).abs() <= 0.01 * target  # False where density is capped at 1
curve.round(4)

# %% [markdown]
# ## Language: a multi-head LLaMA on a source of known entropy
# Tokens come from a first-order Markov chain with Dirichlet(0.1) transition rows: its entropy rate H
# is the lowest achievable next-token loss. Few training sequences, so that variance reduction can
# matter. Trunk of L − b LLaMA layers, M heads of b layers each with their own norm and `lm_head`
# (the official layout); NeuroTrails keeps `lm_density` of the linear weights (embeddings and output
# heads dense), ΔT = `lm_update_every`.

# %%
lm_train, lm_val, entropy_rate = nt.language_data(cfg)
lm_vars = nt.lm_variants(cfg)
lm_jobs = [(lm_vars[v], cfg.seed + k) for k in range(cfg.lm_n_seeds) for v in cfg.lm_variants]
lm_results = nt.run_all(lm_jobs, lambda v, s: nt.run_language(cfg, lm_train, lm_val, v, s), run_dir("08"), desc="language")
lm_table = pd.DataFrame([r.row() for r in lm_results])
lm_table["excess_loss"] = lm_table["ensemble_loss"] - entropy_rate
print(f"entropy rate {entropy_rate:.4f} nats/token: perplexity floor {np.exp(entropy_rate):.3f}")
lm_table.groupby("variant", sort=False)[["ensemble_loss", "member_loss", "excess_loss", "disagreement", "nonzero",
                                        "seconds"]].mean().round(4)

# %% [markdown]
# ## Paper vs this run
# The paper's numbers are ResNet-50 on ImageNet and LLaMA-350M on C4; at the default profile ours are a
# 0.1 M-parameter 1-D ResNet on mnist1d and a 0.1 M-parameter LLaMA on a Markov source (the `paper`
# profile runs the paper's models on local copies of its data). Compare directions, not values.

# %%
acc = main.groupby("variant")["accuracy"].mean()
loss = lm_table.groupby("variant")["ensemble_loss"].mean()
nonzero = main.groupby("variant")["nonzero"].mean()
fmt = lambda s, v, f="{:.3f}": f.format(s[v]) if v in s else "not run"  # noqa: E731
comparison_table([
    {"quantity": "top-1 accuracy: single / full ensemble / NeuroTrails", "paper": "76.1 / 77.5 / 78.1 (ResNet-50, ImageNet)",
     "this run": " / ".join(fmt(acc, v) for v in ("single", "full_ensemble", "neurotrails"))},
    {"quantity": "perplexity: single / full ensemble / NeuroTrails", "paper": "22.8 / 21.3 / 20.7 (LLaMA-350M, C4)",
     "this run": " / ".join(fmt(np.exp(loss), v) for v in ("single", "full_ensemble", "neurotrails"))
     + f" (floor {np.exp(entropy_rate):.3f})"},
    {"quantity": "NeuroTrails parameters / full ensemble", "paper": "about 0.2 (ResNet-50 at density 0.3, M = 3, b = 10)",
     "this run": f"{nonzero['neurotrails'] / nonzero['full_ensemble']:.2f}" if "full_ensemble" in nonzero else "not run"},
    {"quantity": "heads more diverse than dense TreeNet heads", "paper": "yes (Goldilocks zone)",
     "this run": "disagreement " + " vs ".join(fmt(main.groupby("variant")["disagreement"].mean(), v) for v in ("neurotrails", "treenet"))},
])

# %% [markdown]
# ## Claims
# The paper's comparisons go through the evidence engine (never asserted). The split claim is tested without
# picking a winner from the noisy sweep: the paper's own inner split (b = `blocks_in_head`) against the two
# ends of the sweep's equal-budget points (a split whose density would exceed 1 cannot reach the budget and is
# left out), each paired over seeds and test items. The language claim has one seed at this profile, so it is
# not tested here (training noise cannot be measured from one run). The exact live counts are an
# implementation check.

# %%
claims = ClaimTable("08")
not_run = evidence.directional(None, None, delta=0.01, metric="accuracy")
claims.claim("1a", "NeuroTrails beats a single dense network", "NeuroTrails against single, ensemble accuracy, paired "
             "over seeds and test items", pairs["single"]["accuracy"] if "single" in pairs else not_run)
claims.claim("1b", "with fewer parameters than the full ensemble", "non-zero parameters below the full ensemble's",
             evidence.deterministic(bool(nonzero.get("neurotrails", np.inf) < nonzero.get("full_ensemble", 0)),
                                    metric="non-zero parameters", value=nonzero.to_dict()))
equal = curve.index[curve["equal budget"]]  # the split claim compares points at the same non-zero budget only
ends = [int(equal.min()), int(equal.max())]
for tag, b in zip("ab", ends):
    other = (item_scores(results, "neurotrails", b, "correct") if b != b_main and len(curve) >= 3 else None)
    claims.claim(f"2{tag}", f"accuracy peaks at an intermediate trunk/head split (inner b against b = {b})",
                 f"NeuroTrails at the paper's b against b = {b} at an equal non-zero budget, paired over seeds and items",
                 evidence.directional(item_scores(results, "neurotrails", b_main, "correct") if other is not None else None,
                                      other, delta=0.01, metric="accuracy"))
claims.claim("3", "dynamic sparse heads beat the same heads with static sparse masks",
             "NeuroTrails against static_heads, ensemble accuracy, paired over seeds and test items",
             pairs["static_heads"]["accuracy"] if "static_heads" in pairs else not_run)
lm_items = {v: item_scores(lm_results, v, lm_vars[v].blocks_in_head, "sequence_loss") for v in cfg.lm_variants}
for tag, other in (("a", "single"), ("b", "full_ensemble")):
    claims.claim(f"5{tag}", f"on language NeuroTrails reaches a lower loss than the {other.replace('_', ' ')} model",
                 f"NeuroTrails against {other}, held-out loss per sequence, paired over seeds and sequences",
                 evidence.directional(lm_items.get("neurotrails"), lm_items.get(other), delta=0.01,
                                      metric="loss (nats/token)", higher_is_better=False))
sparse_runs = [r for r in results + lm_results if r.density_exact is not None]
claims.check("4", "every head of every sparse layer keeps its exact live count after every topology update",
             "mask count per head equals the ERK count and dead weights are 0 after every update, in every sparse run",
             all(r.density_exact for r in sparse_runs), {"sparse_runs": len(sparse_runs),
                                                         "regrown": [r.topology_changed for r in sparse_runs]})
claims.evidence_frame()

# %%
# NBVAL_CHECK_OUTPUT
claims.finish({"vision": table.to_dict("records"), "language": lm_table.to_dict("records"), "entropy_rate": entropy_rate}, cfg)
