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
# # 04 · Into the Unknown: CaLLiPer location embeddings for next-location prediction (arXiv:2506.14070)
#
# Wang, Cheng, Law et al. predict an individual's next location from the last 7 days of visits with a
# transformer (MHSA, Hong et al. 2023) and swap its usual per-ID location embedding for a **frozen CaLLiPer
# encoder**: a function of (lon, lat) — multi-scale sinusoidal features and a residual MLP — pre-trained
# contrastively so that a place's vector matches the text of the POIs there ("A place of coffee shop, a type
# of food", embedded by all-MiniLM-L6-v2). Because it is a function of the coordinates, it can embed places
# that never appeared in training. They report that it beats ID embeddings and trajectory-pretrained
# embeddings (skip-gram, POI2Vec, Geo-Teaser, TALE, CTLE) on four datasets, most clearly in an **inductive**
# setting where 10 % of the training locations are held out.
#
# **This notebook** builds every piece in `reprolab.mobility`: a generated city with POIs in districts and
# residents who follow home/work routines and explore by the exploration / preferential-return model (the
# offline default; the `paper` profile reads Foursquare TSMC2014 from a local path); the MHSA preprocessing
# (per-user 60/20/20 chronological split, 7-day histories, ids 0 = padding, 1 = unseen); CaLLiPer (grid
# encoding, FCNet, frozen MiniLM text vectors computed once per text, symmetric InfoNCE); the predictor with
# interchangeable embeddings; and the inductive split of the official code. It compares ID embeddings,
# skip-gram and CaLLiPer over several seeds in both settings, beside three rules (persistent forecast, the
# user's most frequent location, first-order Markov).

# %% tags=["hide-input"]
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the text encoder is loaded from a local package, never the Hub
import numpy as np
import pandas as pd

import reprolab.mobility as mb
from reprolab.core import ClaimTable, comparison_table, evidence, resolve, run_dir, save_figure, setup, use_style, versions

use_style()
print(versions("torch", "transformers", "folium"))

# %% tags=["parameters"]
profile = "default"  # one of: default, cpu_long, paper (paper: FSQ-NYC TSMC2014 at a local path)
seed = 0  # first seed; run k uses seed + k for the predictor and the held-out draw
n_seeds = None  # runs per method and setting (None: the profile's value)
methods = None  # e.g. ["vanilla", "skipgram", "calliper", "calliper_finetune"]
checkins_path = None  # TSMC2014 .txt, or a CSV in reprolab.mobility.tables' columns (then pois_path too)
pois_path = None  # POI CSV (lon, lat, text or category + group)
max_epochs = None  # predictor epochs (early stopping with two LR decays)
text_encoder = None  # minilm (the paper's) or hash (a degraded stand-in)
device = None  # auto, cpu or cuda

# %%
cfg = resolve(mb.CaLLiPerConfig, mb.PROFILES, profile, seed=seed, n_seeds=n_seeds, methods=methods,
              checkins_path=checkins_path, pois_path=pois_path, max_epochs=max_epochs, text_encoder=text_encoder,
              device=device)
rt = setup(cfg.seed, cfg.device, cfg.threads)
out = run_dir("04")
print(cfg)

# %% [markdown]
# ## The city and its residents
# POIs are drawn around district centres (a CBD of offices, food and nightlife; residential neighbourhoods on a
# ring; a campus; a park belt; two metro lines; 10 % uniform background). Each resident has a home, a work or
# study place (most), and a taste over categories. Outings — coffee, lunch, evening and weekend chains, night
# out — each start from the previous place: a **new** venue with probability ρS^(−γ) (S = venues visited so
# far), chosen by taste × distance, otherwise a known venue by visit count × distance. Check-ins are sparse,
# rarer at home and work, as on Foursquare.

# %%
prep = mb.prepare(cfg)
stats = prep.data.stats
print(prep.source)
pd.DataFrame({"this run": stats,
              "FSQ-NYC (official preprocessing)": {"records": 95_400, "users": 535, "locations": 4019,
                                                   "train_locations": 3816, "train_samples": 48_606,
                                                   "validation_samples": 11_510, "test_samples": 12_141,
                                                   "mean_history": 23.1, "test_unknown_targets": 0.077}}).round(3)

# %%
user = int(prep.checkins["user_id"].iloc[0])
fig = mb.plots.plot_city(prep.pois, prep.checkins, user)
save_figure("04", "city", fig)

# %% [markdown]
# The same as interactive maps (folium; open in JupyterLab — the committed notebook shows them only where
# JavaScript runs). The full POI map is written to the run folder.

# %%
# NBVAL_IGNORE_OUTPUT
mb.maps.poi_map(prep.pois).save(out / "pois_map.html")
mb.maps.trajectory_map(prep.checkins, user)

# %% [markdown]
# ## CaLLiPer pre-training
# Each POI's text is embedded once by the frozen all-MiniLM-L6-v2 (mean pooling, unit length); a linear map
# projects it to D dimensions. The location encoder is `GridPE` (S scales from λ_min to λ_max, in degrees)
# followed by FCNet. The loss is CLIP's symmetric InfoNCE with a learnable temperature starting at 0.07. The
# batch holds B = 128 POIs, many of them with the same text, so the loss stays near ln B — the paper's
# NYC checkpoints stop at 4.54 and 4.56 against ln 128 = 4.85. The inductive model never sees the POIs at
# any held-out location (the union over the run seeds, as in the official code).

# %%
text_encoder_model = mb.TextEncoder(cfg.text_encoder, cfg.text_model_path)
calliper = mb.pretrain_calliper(cfg, prep, text_encoder_model, out)
pd.DataFrame({s: {"best epoch": p.best_epoch, "best validation loss": p.best_val_loss, "ln B": p.chance_loss,
                  "POIs": len(prep.pois) if s == "conventional" else None}
              for s, p in calliper.items()}).T.round(3)

# %%
fig = mb.plots.plot_pretraining({s: p.history for s, p in calliper.items()}, calliper["conventional"].chance_loss)
save_figure("04", "pretraining", fig)

# %% [markdown]
# What did the encoder learn? Cosine similarity between a text's projected vector and the embedding of every
# cell of a 60 × 60 grid over the city (white dots: POIs with exactly that text). "Office" should light up the
# CBD, "home" the residential ring, "park" the park belt.

# %%
queries = [mb.poi_text("Office", "work"), mb.poi_text("Home (private)", "residence"),
           mb.poi_text("Park", "outdoors and recreation")]
lon = np.linspace(prep.pois["lon"].min(), prep.pois["lon"].max(), 60)
lat = np.linspace(prep.pois["lat"].min(), prep.pois["lat"].max(), 60)
grid = np.stack(np.meshgrid(lon, lat), -1).reshape(-1, 2)  # (3600, 2), row-major in lat
model = calliper["conventional"].model
similarity = {q: mb.text_location_similarity(model, text_encoder_model, q, grid).reshape(len(lat), len(lon))
              for q in queries}
fig = mb.plots.plot_similarity(lon, lat, similarity, prep.pois)
save_figure("04", "text_location_similarity", fig)


near = {q: mb.top_cells_near(grid, similarity[q].ravel(), prep.pois.loc[prep.pois["text"] == q, ["lon", "lat"]].to_numpy())
        for q in queries}  # (share of the top 1 % cells within 0.01 deg of a POI with the text, share of all cells)
semantic, baseline_share = {q: v[0] for q, v in near.items()}, {q: v[1] for q, v in near.items()}
pd.DataFrame({"top 1 % cells within 0.01 deg of such a POI": semantic, "all cells (chance)": baseline_share}).round(3)

# %% [markdown]
# The same encoder compares places with places: the similarity of every grid cell to the most visited place of
# the check-ins (interactive map; the text-to-place map of "office" is saved to the run folder).

# %%
# NBVAL_IGNORE_OUTPUT
top = prep.checkins[prep.checkins["location_id"] == prep.checkins["location_id"].mode().iloc[0]].iloc[0]
place_similarity = mb.location_similarity(model.location, top[["lon", "lat"]].to_numpy(float), grid)
mb.maps.similarity_map(lon, lat, similarity[queries[0]], queries[0]).save(out / "office_similarity_map.html")
mb.maps.similarity_map(lon, lat, place_similarity.reshape(len(lat), len(lon)), f"{top['category']} at "
                       f"{top['lat']:.4f}, {top['lon']:.4f}")

# %% [markdown]
# ## The inductive split
# For each run seed, 10 % of the training locations become "new places" (L_new): every training and validation
# sample whose history or target contains one is removed, the test set is kept whole. Held-out ids keep their
# rows in the ID table (never trained) and in the output layer, whose row only ever gets pushed down: **no
# method can predict a held-out target**, CaLLiPer included — its advantage can only come from histories that
# pass through new places. We therefore report the test set in subsets: history through L_new (target known),
# last step in L_new, target in L_new, and untouched.

# %%
masks = {s: mb.test_masks(prep, s) for s in prep.held_out}
split_rows = []
for s, new in prep.held_out.items():
    reduced, _ = mb.inductive_split(prep.data, cfg.inductive_fraction, s)
    split_rows.append({"seed": s, "held-out locations": len(new),
                       "train samples kept": len(reduced.splits["train"]) / len(prep.data.splits["train"]),
                       **{f"test: {k}": m.mean() for k, m in masks[s].items()}})
pd.DataFrame(split_rows).set_index("seed").round(3)

# %%
known = np.setdiff1d(np.arange(2, prep.data.n_locations), prep.held_out[cfg.seed])
mb.maps.held_out_map(prep.data.lonlat_of_id[known], prep.data.lonlat_of_id[prep.held_out[cfg.seed]]).save(
    out / "held_out_map.html")  # known vs held-out places of the first seed, in the run folder

# %% [markdown]
# ## Next-location prediction
# MHSA with `layers` layers of width `dim` (the paper: 6 × 128); the location embedding is the only thing that
# changes between methods: an ID table learned end to end ("vanilla"), frozen skip-gram vectors trained on the
# training sequences (re-trained per inductive draw), or the frozen CaLLiPer encoder applied to each step's
# coordinates (its dropout active in training, as in the official code). Adam with warm-up and linear decay,
# early stopping with two ×0.1 LR decays. Every run's epochs go to `history_*.jsonl` and its metrics to
# `results.jsonl` in the run folder as it ends.

# %%
results = mb.run_all(cfg, prep, calliper, out, rt.device)
learned = list(cfg.methods)
rules = ["persistent", "most frequent", "markov"]
metric_cols = ["acc@1", "acc@5", "acc@10", "mrr", "ndcg@10"]


def summary(subset: str) -> pd.DataFrame:
    """Mean ± std over seeds of each metric per setting and method on one test subset."""
    rows = results[results["subset"] == subset]
    table = rows.groupby(["setting", "method"], sort=False)[metric_cols].agg(["mean", "std"])
    return table.apply(lambda col: col.round(3))


summary("all")

# %%
fig = mb.plots.plot_results(results[results["method"].isin(learned + ["most frequent"])])
save_figure("04", "results", fig)

# %% [markdown]
# The inductive test set broken down by how each sample meets the held-out places (mean over seeds, MRR):

# %%
inductive = results[results["setting"] == "inductive"]
inductive.pivot_table(index="method", columns="subset", values="mrr", aggfunc="mean", sort=False).round(3)

# %% [markdown]
# ## Paired differences: CaLLiPer − ID embedding
# Same seed, same data, same held-out draw, through the evidence engine: the mean per-seed difference, its 95 %
# interval over seeds and the minimal detectable effect. The runs report one metric per seed and test subset, so
# these intervals hold the seed noise (in the inductive setting each seed also draws its own held-out places);
# the shared conventional test set's item noise is not in them. δ = 0.01 MRR (one point): the paper's tables
# could not be read from here, and one point is the smallest gain such embedding comparisons report.

# %%
DELTA = 0.01


def per_seed(setting: str, subset: str, metric: str, method: str) -> np.ndarray | None:
    """(seeds,) values of one method on one test subset, in seed order (None when the method was not run)."""
    rows = results[(results["setting"] == setting) & (results["subset"] == subset) & (results["method"] == method)]
    return rows.sort_values("seed")[metric].to_numpy() if len(rows) else None


def paired(setting: str, subset: str, metric: str, a: str = "calliper", b: str = "vanilla"):
    return evidence.directional(per_seed(setting, subset, metric, a), per_seed(setting, subset, metric, b),
                                delta=DELTA, metric=metric)


cases = [("conventional", "all"), ("inductive", "all"), ("inductive", "history_new"), ("inductive", "last_new")]
differences = {(s, sub, m): paired(s, sub, m) for s, sub in cases for m in ("acc@1", "mrr")}
pd.DataFrame({k: {"effect": e.effect, "95% low": e.low, "95% high": e.high, "MDE": e.mde, "verdict": e.verdict}
              for k, e in differences.items()}).T

# %% [markdown]
# The control without any location input tells how much room the embedding has: if the ID embedding does no
# better than no location at all, the histories' places carry little information the user and time do not.

# %%
control = {(s, sub, a): paired(s, sub, "mrr", a, "none") for s, sub in cases for a in ("vanilla", "calliper")
           if "none" in cfg.methods and a in cfg.methods}
pd.DataFrame({k: {"effect over no location": e.effect, "95% low": e.low, "95% high": e.high, "verdict": e.verdict}
              for k, e in control.items()}).T

# %% [markdown]
# Read together with the rules: where the no-location control matches every embedding and the user's most
# frequent location matches the learned predictors, the places in the histories carry nothing the model can
# use beyond who the user is and what time it is, and no embedding — ID, skip-gram or CaLLiPer — can make a
# difference. The predictor itself does read histories when they matter: a unit test
# (`test_predictor_reads_the_history`) trains it on visits that repeat the last place and requires it to copy.

# %% [markdown]
# ## Paper vs this run
# The paper's result tables could not be read from here (only its abstract and code were reachable), so its
# side of the comparison is qualitative; the FSQ-NYC sizes above come from the official preprocessing
# notebook's outputs. Our city is small and generated, the predictor is 2 × `dim` instead of 6 × 128, and
# training is a few minutes on a CPU: compare directions, not levels.

# %%
mean = results.groupby(["setting", "subset", "method"])[["acc@1", "mrr"]].mean()


def fmt(setting: str, subset: str, method: str) -> str:
    key = (setting, subset, method)
    return f"{mean.loc[key, 'acc@1']:.3f} / {mean.loc[key, 'mrr']:.3f}" if key in mean.index else "not run"


comparison_table([
    {"quantity": "conventional, Acc@1 / MRR: ID embedding vs CaLLiPer",
     "paper": "CaLLiPer better (Table 2, FSQ-NYC; numbers not reachable here)",
     "this run": f"{fmt('conventional', 'all', 'vanilla')} vs {fmt('conventional', 'all', 'calliper')}"},
    {"quantity": "conventional, skip-gram", "paper": "below CaLLiPer",
     "this run": fmt("conventional", "all", "skipgram")},
    {"quantity": "conventional, no location input (control) / user's most frequent (rule)", "paper": "not run",
     "this run": f"{fmt('conventional', 'all', 'none')} / {fmt('conventional', 'all', 'most frequent')}"},
    {"quantity": "inductive (full test set): ID embedding vs CaLLiPer",
     "paper": "CaLLiPer better, by more than in the conventional setting",
     "this run": f"{fmt('inductive', 'all', 'vanilla')} vs {fmt('inductive', 'all', 'calliper')}"},
    {"quantity": "inductive, histories through new places: ID vs CaLLiPer", "paper": "not broken out in the code",
     "this run": f"{fmt('inductive', 'history_new', 'vanilla')} vs {fmt('inductive', 'history_new', 'calliper')}"},
    {"quantity": "inductive, targets that are new places", "paper": "unpredictable by an ID softmax (official code)",
     "this run": f"{fmt('inductive', 'target_new', 'calliper')} (CaLLiPer)"},
    {"quantity": "CaLLiPer best validation InfoNCE vs ln B", "paper": "4.535 / 4.563 vs 4.852 (B = 128)",
     "this run": " / ".join(f"{p.best_val_loss:.3f}" for p in calliper.values())
     + f" vs {calliper['conventional'].chance_loss:.3f}"},
])

# %% [markdown]
# ## Claims
# Claims 1 to 3 are the paired comparisons above, decided by the evidence engine (claim 3 on the per-seed
# difference of the two settings' gains). The pre-training and split checks are implementation checks.

# %%
claims = ClaimTable("04")
claims.claim("1", "CaLLiPer embeddings beat the learned ID embedding in the conventional setting",
             "CaLLiPer against the ID embedding, MRR, paired over seeds", differences[("conventional", "all", "mrr")])
claims.claim("2", "in the inductive setting CaLLiPer beats ID embeddings, which cannot represent new places",
             "CaLLiPer against the ID embedding, MRR on test samples whose history passes through a held-out place",
             differences[("inductive", "history_new", "mrr")])
gains = {s: (per_seed(s, "all", "mrr", "calliper"), per_seed(s, "all", "mrr", "vanilla")) for s in ("conventional", "inductive")}
claims.claim("3", "the gain is larger in the inductive setting than in the conventional one",
             "inductive minus conventional CaLLiPer-over-ID MRR gain, paired over seeds",
             evidence.from_differences((gains["inductive"][0] - gains["inductive"][1])
                                       - (gains["conventional"][0] - gains["conventional"][1]), kind="directional",
                                       delta=DELTA, metric="MRR gain")
             if all(v is not None for pair in gains.values() for v in pair)
             else evidence.directional(None, None, delta=DELTA, metric="MRR gain"))
pre = {s: p.best_val_loss for s, p in calliper.items()}
claims.check("4", "contrastive pre-training aligns locations with POI text",
             "best validation InfoNCE below ln B - 0.1 in both settings, and the top 1% grid cells of every query lie "
             "near POIs with that text more often than cells at large",
             all(v < calliper["conventional"].chance_loss - 0.1 for v in pre.values())
             and all(semantic[q] > baseline_share[q] for q in queries),
             {"best_val_loss": pre, "top_cells_near": semantic, "chance": baseline_share})
target_new = results[(results["subset"] == "target_new") & results["method"].isin(learned)]
claims.check("5", "no ID-softmax method predicts a held-out target (the paper's caveat made explicit)",
             "Acc@10 on test samples whose target is a held-out place is at most 0.05 for every method and seed",
             bool((target_new["acc@10"] <= 0.05).all()), {"max_acc@10": float(target_new["acc@10"].max())})
claims.evidence_frame()

# %%
# NBVAL_CHECK_OUTPUT
claims.finish({"results": results.to_dict("records"), "stats": stats, "pretraining": pre,
               "semantic_top_cells": semantic}, cfg)
