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
# # 06 · SEFT: repairing pruned LLMs with an evolving sparse topology (arXiv:2505.24037)
#
# Xiao, Ansell, Wu, Yin, Pechenizkiy, Liu and Mocanu (CPAL 2026) fine-tune a one-shot pruned LLM
# (Wanda or SparseGPT, 50–80 % sparsity) **without losing its sparsity**. Full fine-tuning and LoRA
# make the weights dense; re-pruning afterwards ("LoRA\*") throws much of the repair away; fixed-mask
# methods (SPP, SQFT) never change which weights live. SEFT trains a sparse **delta** of a fixed size
# whose support **evolves**: every few steps it drops the smallest updates and grows new entries where
# the gradient is largest — *including weights the pruner removed* — and then re-prunes the lowest-
# **sensitivity** weights $|\theta \cdot \partial L/\partial\theta|$ so that the model stays at the target
# sparsity.
#
# **This notebook** implements the pruners (magnitude, Wanda, SparseGPT; unstructured and N:M) and the
# drop-and-grow machinery in `reprolab.sparsity`, and SEFT with its baselines in `reprolab.seft`, for any
# HF causal LM. A tiny LLaMA is pre-trained on English text and two-number addition, pruned to 70 %
# with Wanda, and repaired on the same mixture by each method at the **same trainable budget** and
# steps, with paired seeds. The `smollm2` profile runs the same cells on a real pretrained model (a Q4
# copy of SmolLM2-135M-Instruct, `reprolab.lm.pretrained`): Wanda at 50 % (the damage also at 70 % and by
# SparseGPT), repaired on English text, scored by held-out perplexity and BIG-bench multiple choice; its
# executed run is `notebooks/evidence/06_seft.smollm2.ipynb`.
#
# **About fidelity.** The official repository (QiaoXiao7282/SEFT) could not be read from here, and the
# paper's tables were not available; the method follows the paper's text as reviewers quote it, and the
# SpIEL code it builds on (Ansell et al.). Our choices where the text is silent are listed in the
# method section and are parameters.

# %% tags=["hide-input"]
import numpy as np
import pandas as pd

import reprolab.lm as lm
import reprolab.seft as seft
from reprolab.core import (ClaimTable, comparison_table, evidence, resolve, run_dir, save_figure,
                           seed_summary, setup, use_style, versions)
from reprolab.sparsity import sparsity_of

use_style()
print(versions("torch", "transformers", "peft"))

# %% tags=["parameters"]
profile = "default"  # one of: default, cpu_long, smollm2, paper
seed = 0  # first fine-tuning seed (batch order, first support, LoRA initialisation)
n_seeds = None  # paired seeds per method (None: the profile's value)
sparsity = None  # fraction of each matrix's weights removed by the pruner
pruner = None  # magnitude, wanda or sparsegpt
steps = None  # fine-tuning steps, equal for every method
budget_rank = None  # r_b: sparse deltas train (m + n) r_b entries per matrix, LoRA has rank r_b
update_every = None  # steps between SEFT topology updates
drop_fraction = None  # rho_0 of the cosine drop-fraction schedule
device = None  # auto, cpu or cuda

# %%
cfg = resolve(seft.SeftConfig, seft.PROFILES, profile, seed=seed, n_seeds=n_seeds, sparsity=sparsity, pruner=pruner,
              steps=steps, budget_rank=budget_rank, update_every=update_every, drop_fraction=drop_fraction, device=device)
rt = setup(0, cfg.device, cfg.threads)
print(cfg)
domains = seft.domains_for(cfg)
print(f"repair data: {len(domains.repair['input_ids'])} sequences; scored: {len(domains.task_eval or domains.choice_eval)} task items, "
      f"{len(domains.text_eval['input_ids'])} held-out text blocks; calibration: {len(domains.calibration['input_ids'])} sequences")
if cfg.model_path:
    print(f"model: {lm.pretrained.describe(cfg.model_path)}; task: BIG-bench multiple choice (chance "
          f"{lm.real_tasks.chance_accuracy(domains.choice_eval):.3f})" if domains.choice_eval else cfg.model_path)
print(domains.task_eval[0].text if domains.task_eval else domains.choice_eval[0])

# %% [markdown]
# ## The dense model, and what one-shot pruning does to it
# Wanda scores $W_{ij}$ by $|W_{ij}|\,\lVert X_j\rVert_2$ and removes the lowest scores of every output
# row; SparseGPT removes by $w^2/[H^{-1}]_{jj}$ and updates the rest of the row to compensate
# ($H = X^\top X$); magnitude removes the smallest $|W_{ij}|$ of each matrix. Wanda and SparseGPT prune
# layer by layer, each layer calibrated on the outputs of the already-pruned layers before it.

# %%
dense = seft.base_model(cfg, domains)
dense_scores = seft.score(dense, domains)
TASK = domains.task_metric  # exact match of generated problems, or BIG-bench multiple-choice accuracy (pretrained model)
print(f"dense model: {TASK} {dense_scores.task:.3f}, held-out perplexity {dense_scores.perplexity:.3f}")
sweep = pd.DataFrame(seft.damage_sweep(cfg, dense, domains))
if len(sweep):
    fig = seft.plots.plot_pruning_damage(sweep, dense_scores.task, dense_scores.perplexity)
    save_figure("06", "pruning_damage", fig)
sweep.pivot(index="nominal", columns="pruner", values=["realised", "task", "perplexity"]).round(3) if len(sweep) else sweep

# %%
pruned, alive = seft.prune(cfg, dense, domains)
pruned_scores = seft.score(pruned, domains)
target_sparsity = sparsity_of(alive)
print(f"{cfg.pruner} at {cfg.sparsity:.0%} ({cfg.nm or 'unstructured'}): realised sparsity {target_sparsity:.4f} "
      f"({'floor(s n_in) per row' if cfg.pruner == 'wanda' else 'exact per matrix'}); task {pruned_scores.task:.3f}, perplexity {pruned_scores.perplexity:.3f}")

# %% [markdown]
# ## SEFT's update, step by step
# Per matrix the library keeps an explicit **alive mask** $A$ with exactly $K$ entries (the pruned
# count) and the **delta support** $D$ with exactly $k=(m+n)\,r_b$ entries (a rank-$r_b$ LoRA's
# parameter count). Only $D$ is trained (Adam moments only there). Every `update_every` steps, with
# the gradient $G$ averaged over the last `accumulation_steps` steps:
#
# 1. **drop** the $\rho_t k$ entries of $D$ with the smallest $|\delta|$ and reset them to the pruned
#    value (SpIEL's rule), $\rho_t = \rho_0 (1+\cos \pi t/T)/2$;
# 2. **grow** as many entries outside $D$ with the largest $|G|$, pruned positions included
#    (reactivation); a just-dropped entry is never regrown in the same update;
# 3. **adapt**: the $g$ grown entries that were pruned join $A$, and the $g$ entries of $A\setminus D$
#    with the lowest sensitivity $|\theta\, G|$ are pruned (zero-valued alive weights go first).
#
# So $|A| = K$ exactly after every update and the weights outside $A$ stay zero; the first $D$ is the
# top-$k$ $|G|$ among alive weights over the first few batches, so SEFT starts where the static baseline
# starts and reactivates only by evolving. (SpIEL chooses its first support among all positions; here that
# re-prunes thousands of alive weights at once from a few batches, and in our trial runs it cost
# perplexity; `initial_support="all"` selects it.)
# **Our choices where the paper is silent:** grow before adapt; the delta's own entries are exempt from
# the sensitivity pruning; new entries start with zero Adam moments (SpIEL seeds them from the
# accumulated gradient); gradients outside $D$ are zeroed before clipping. Baselines at the same $k$:
# `seft_no_reactivation` (growth only among alive weights, the paper's ablation), `static_delta` (the
# first support kept throughout: SPP/SQFT-like fixed topology), `lora_reprune` (LoRA\*: peft LoRA of
# rank $r_b$, merged, then Wanda re-pruned), and in other profiles `all_alive` (every surviving weight
# trainable, about $(1-s)/\text{density}$ times the budget) and `lora_dense` (merged, not re-pruned).

# %%
results = seft.repair_all(cfg, pruned, alive, domains, out_dir=run_dir("06"))
table = pd.DataFrame([r.row() for r in results])
summary = table.groupby("method", sort=False)[["task", "perplexity", "sparsity", "trainable", "seconds"]].agg(["mean", "std"])
summary.round(4)

# %%
fig = seft.plots.plot_repair(table, vars(dense_scores), vars(pruned_scores))
save_figure("06", "repair_by_method", fig)

# %% [markdown]
# ## Sparsity over training and where the topology moved
# Left: summed over all matrices, the alive-mask count stays at the target at every update, and the
# non-zero count sits at or just below it (a dropped reactivated weight goes back to zero until the
# sensitivity step removes it). Right: the share of each matrix's alive weights that the pruner had
# removed and SEFT brought back (first seed).

# %%
first_seft = next(r for r in results if r.method == "seft")
records = pd.DataFrame(first_seft.topology)
fig = seft.plots.plot_topology(records)
save_figure("06", "topology", fig)
final = records[records["step"] == records["step"].max()].set_index("matrix")
per_layer = (final["reactivated_alive"] / final["target"]).rename("reactivated share of alive")
per_layer.index = [n.replace("model.layers.", "L").replace(".self_attn", "").replace(".mlp", "") for n in per_layer.index]
per_layer.round(4).to_frame().T

# %% [markdown]
# ## Memory and time per method (measured)
# Gradient bytes are those of every tensor with `requires_grad` (our SEFT computes dense gradients of
# the target matrices, as SEFT does during its evolution phase; SpIEL's `linear-sd` kernel avoids them
# between updates); optimizer state counts the measured moment tensors, plus for the sparse deltas the
# int64 indices and the reference values $\theta_p$ on $D$; the alive masks (one byte per entry) are
# listed apart, since any sparse storage of the pruned model holds its mask. Time is the training
# wall time per step on this machine.

# %%
memory = pd.DataFrame({r.method: {**r.memory, "seconds_per_step": r.seconds / cfg.steps} for r in results
                       if r.seed == cfg.seed}).T
memory["training_bytes"] = memory["gradients"] + memory["optimizer_state"]  # masks apart: the sparse model's own
fig = seft.plots.plot_memory(memory)
save_figure("06", "memory", fig)
memory

# %% [markdown]
# ## Paired comparisons
# SEFT against each other method through the evidence engine, paired over seeds (same batch order and first
# batches) and evaluation items: the task score (exact match, or multiple-choice accuracy; higher is better) and
# held-out loss per sequence (lower is better; log perplexity). δ = 0.005, the middle of the paper's reported +0.2 to +1 point gains of
# SEFT over sparsity-preserving baselines; δ = 0.01 nats/token (a 1 % perplexity change) for the text.

# %%
items = {m: {k: np.stack([r.items[k] for r in sorted(results, key=lambda r: r.seed) if r.method == m])
             for k in ("task", "text_loss")} for m in dict.fromkeys(r.method for r in results)}
pairs = {o: {"task": evidence.directional(items["seft"]["task"], items[o]["task"], delta=0.005, metric=TASK),
             "text_loss": evidence.directional(items["seft"]["text_loss"], items[o]["text_loss"], delta=0.01,
                                               metric="held-out loss (nats/token)", higher_is_better=False)}
         for o in items if o != "seft"}
pd.DataFrame({(o, k): {"effect": e.effect, "95% low": e.low, "95% high": e.high, "MDE": e.mde, "verdict": e.verdict}
              for o, p in pairs.items() for k, e in p.items()}).T

# %% [markdown]
# ## Paper vs this run
# The paper's tables could not be read here; what reviewers and the abstract state is quoted, with our
# 0.1 M-parameter analogue (default profile) or the Q4 copy of SmolLM2-135M-Instruct (`smollm2`) beside it.
# Compare directions, not values.

# %%
mean = table.groupby("method", sort=False)[["task", "perplexity"]].mean().to_dict("index")
fmt = lambda m, k: f"{mean[m][k]:.3f}" if m in mean else "not run"  # noqa: E731
comparison_table([
    {"quantity": "SEFT vs best sparsity-preserving baseline", "paper": "+0.2 to +1 point commonsense avg (reviews; LLaMA, 70-80 %)",
     "this run": f"task {fmt('seft', 'task')} vs static delta {fmt('static_delta', 'task')}"},
    {"quantity": "LoRA then re-prune (LoRA*)", "paper": "below SEFT; re-pruning loses the repair (reviews)",
     "this run": f"task {fmt('lora_reprune', 'task')}, perplexity {fmt('lora_reprune', 'perplexity')}"},
    {"quantity": "reactivating pruned weights", "paper": "needed (App. E.1 / Table 7 ablation)",
     "this run": f"task {fmt('seft', 'task')} vs {fmt('seft_no_reactivation', 'task')} without"},
    {"quantity": "training memory vs sparse baselines", "paper": "up to ~2x lower than SPP / SQFT (reviews)",
     "this run": "see the memory table (LoRA and sparse deltas measured)"},
    {"quantity": "update interval", "paper": "10 steps (commonsense), 60 (C4)", "this run": f"{cfg.update_every} of {cfg.steps} steps"},
    {"quantity": "pruned model before repair", "paper": "large drop at 70-80 % (Wanda, SparseGPT)",
     "this run": f"task {dense_scores.task:.3f} -> {pruned_scores.task:.3f}, perplexity {dense_scores.perplexity:.2f} -> {pruned_scores.perplexity:.2f}"},
])

# %% [markdown]
# ## Reading the results
# Wanda at 70 % removes most of the addition skill and raises perplexity; the repair table above shows how much
# of it each sparse delta (about 5 % of the entries: 4.3–6.25 % per matrix) wins back with the alive count held
# exactly at the pruned count (for SEFT a few alive weights sit at zero, so its measured sparsity is a little
# above the target), and how much LoRA\* loses to re-pruning. Whether evolving the topology beats keeping the
# first support, and whether reactivation helps, is what the paper-claim rows decide, with the intervals and
# minimal detectable effects in the table under them. The paper compares memory and time with SPP and SQFT,
# LoRA-like adapters on the pruned model; our implementation computes dense weight gradients at every step (as
# SEFT's evolution phase does), so against our LoRA the memory comparison reflects that choice; SpIEL-style
# sparse-gradient kernels would be needed between updates. Per-step times are in the memory table; they are not
# turned into a verdict, because wall times vary between machines.
#
# ## Claims
# The sparsity, reactivation and re-pruning properties are implementation checks (asserted). The paper's
# comparisons are decided by the evidence engine; the memory claim is a deterministic measurement (bytes).

# %%
claims = ClaimTable("06")
not_run = evidence.directional(None, None, delta=0.005, metric=TASK)
get = lambda other, k: pairs[other][k] if other in pairs else not_run  # noqa: E731
claims.claim("2a", "SEFT beats a static sparse delta (fixed topology) at equal steps and trainable budget",
             f"SEFT against static_delta, {TASK}, paired over seeds and items", get("static_delta", "task"))
claims.claim("2b", "SEFT beats LoRA then Wanda re-pruning (LoRA*) at equal steps and trainable budget",
             f"SEFT against lora_reprune, {TASK}, paired over seeds and items", get("lora_reprune", "task"))
claims.claim("2c", "SEFT repairs held-out perplexity better than a static sparse delta",
             "SEFT against static_delta, held-out loss per sequence, paired over seeds and sequences",
             get("static_delta", "text_loss"))
if "lora_reprune" in memory.index:
    ours, theirs = memory.loc["seft"], memory.loc["lora_reprune"]
    claims.claim("3", "SEFT needs less training memory than LoRA on the pruned model (paper: than SPP / SQFT)",
                 "measured gradient + optimizer-state bytes below LoRA's",
                 evidence.deterministic(bool(ours["training_bytes"] < theirs["training_bytes"]), metric="training bytes",
                                        value={"seft": float(ours["training_bytes"]), "lora": float(theirs["training_bytes"])}))
else:
    claims.claim("3", "SEFT needs less training memory than LoRA on the pruned model (paper: than SPP / SQFT)",
                 "needs lora_reprune", evidence.directional(None, None, delta=1.0, metric="training bytes"))
claims.claim("6", "reactivating pruned weights improves the repair (the paper's growth ablation)",
             f"SEFT against seft_no_reactivation, {TASK}, paired over seeds and items",
             get("seft_no_reactivation", "task"))
seft_records = pd.DataFrame([t for r in results if r.method == "seft" for t in r.topology])
exact = bool((seft_records["alive"] == seft_records["target"]).all() and seft_records["zero_outside_alive"].all())
seft_rows = table[table["method"] == "seft"]
claims.check("1", "SEFT keeps the model at the target sparsity after every topology update",
             "alive-mask count equals the pruned count for every matrix at every update, weights outside it are 0, "
             "and the final weight sparsity is at least the target",
             exact and bool((seft_rows["sparsity"] >= target_sparsity - 1e-12).all()),
             {"updates": int(seft_records["step"].nunique()), "target": target_sparsity,
              "final_sparsity": seed_summary(seft_rows["sparsity"])})
revived = table.groupby("method")["revived"].max().to_dict()  # non-zero weights at positions the pruner removed
restricted = [m for m in ("static_delta", "seft_no_reactivation") if m in revived]
if not cfg.nm:  # N:M patterns are re-imposed on the whole matrix, so nothing stays reactivated there
    claims.check("4", "SEFT reactivates pruned weights; the static and restricted baselines never do",
                 "final SEFT weights are non-zero at some originally pruned positions; static_delta / seft_no_reactivation "
                 "at none", revived.get("seft", 0) > 0 and not any(revived[m] for m in restricted), {"revived": revived})
lora = table[table["method"] == "lora_reprune"]
if len(lora):
    claims.check("5", "merging LoRA destroys the sparsity and re-pruning restores it exactly",
                 "merged LoRA model has < 1% zeros; after re-pruning with the same pruner its sparsity equals the pruned model's",
                 bool((lora["merged_sparsity"] < 0.01).all() and np.allclose(lora["sparsity"], target_sparsity, atol=1e-6)),
                 {"merged": lora["merged_sparsity"].tolist(), "after": lora["sparsity"].tolist()})
claims.evidence_frame()

# %%
# NBVAL_CHECK_OUTPUT
claims.finish({"dense": vars(dense_scores), "pruned": vars(pruned_scores), "target_sparsity": target_sparsity,
               "damage": sweep.to_dict("records"), "runs": table.to_dict("records"), "memory": memory.to_dict("index")}, cfg)
