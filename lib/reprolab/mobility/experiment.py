"""Notebook 04's experiment: data, CaLLiPer pre-training per setting, predictors per method, setting and seed.

Settings: ``conventional`` (every training sample) and ``inductive`` (a share of training locations held out,
drawn per run seed as the official runs 0-4 do; CaLLiPer is pre-trained once without the POIs of the union of the
held-out locations, so it never saw any of them). Every finished run is appended to ``results.jsonl``.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from ..core.progress import progress_bar

from .baselines import rule_metrics, skipgram_embeddings
from .calliper import Pretrained, TextEncoder, pretrain
from .city import make_city, simulate_checkins
from .config import CaLLiPerConfig
from .predictor import (CoordinateEmbedding, IDEmbedding, NextLocationModel, NoLocation, StaticEmbedding, evaluate,
                        train_predictor)
from .sequences import MobilityData, inductive_split, preprocess, touches
from .tables import read_checkins, read_pois, read_tsmc

SETTINGS = ("conventional", "inductive")
LABELS = {"none": "no location input", "vanilla": "ID embedding (vanilla)", "skipgram": "skip-gram", "calliper": "CaLLiPer (frozen)",
          "calliper_finetune": "CaLLiPer (fine-tuned)", "persistent": "persistent forecast",
          "most frequent": "user's most frequent", "markov": "first-order Markov"}


@dataclass
class Prepared:
    """Everything the runs share: POIs, check-ins, the processed data and the held-out draws per seed."""

    pois: pd.DataFrame
    checkins: pd.DataFrame
    data: MobilityData
    held_out: dict[int, np.ndarray]  # run seed -> encoded ids of L_new
    source: str


def load_data(cfg: CaLLiPerConfig) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(pois, checkins, description) from local files, or the generated city."""
    if cfg.checkins_path.endswith(".txt"):
        checkins, pois = read_tsmc(cfg.checkins_path)
        if cfg.pois_path:
            pois = read_pois(cfg.pois_path)
        return pois, checkins, f"TSMC2014 file {Path(cfg.checkins_path).name}"
    if cfg.checkins_path:
        return read_pois(cfg.pois_path), read_checkins(cfg.checkins_path), f"check-ins {Path(cfg.checkins_path).name}"
    pois = make_city(cfg.city_seed)
    checkins = simulate_checkins(pois, cfg.n_users, cfg.n_days, cfg.city_seed)
    return pois, checkins, f"generated city (seed {cfg.city_seed}: {len(pois)} POIs, {cfg.n_users} residents, {cfg.n_days} days)"


def prepare(cfg: CaLLiPerConfig) -> Prepared:
    """Load or generate the data, run the MHSA preprocessing and draw L_new for every run seed."""
    pois, checkins, source = load_data(cfg)
    data = preprocess(checkins, cfg.min_location_visits, cfg.min_user_records, cfg.history_days,
                      max_history=cfg.max_history)
    held_out = {s: inductive_split(data, cfg.inductive_fraction, s)[1] for s in range(cfg.seed, cfg.seed + cfg.n_seeds)}
    return Prepared(pois, checkins, data, held_out, source)


def corpus_mask(pois: pd.DataFrame, data: MobilityData, held_out: np.ndarray, by_id: bool = True) -> np.ndarray:
    """POIs (n_poi,) bool that CaLLiPer may see: not at the coordinates of a held-out location (to 1e-6 deg) and,
    with `by_id` (POI ids are the check-ins' location ids: the generated city, TSMC2014), not a held-out location."""
    key = lambda a: np.round(np.asarray(a, float) * 1e6).astype(np.int64)  # noqa: E731
    hidden = pd.MultiIndex.from_arrays([key(data.lonlat_of_id[held_out, 0]), key(data.lonlat_of_id[held_out, 1])])
    poi_keys = pd.MultiIndex.from_arrays([key(pois["lon"]), key(pois["lat"])])
    keep = ~poi_keys.isin(hidden)
    if by_id:
        keep &= ~pois["poi_id"].isin(data.venue_of_id[held_out]).to_numpy()
    return keep


def pretrain_calliper(cfg: CaLLiPerConfig, prep: Prepared, text_encoder: TextEncoder, out: Path
                      ) -> dict[str, Pretrained]:
    """One CaLLiPer per setting: on every POI (conventional), and without the union of L_new (inductive)."""
    union = np.unique(np.concatenate(list(prep.held_out.values())))
    keep = {"conventional": np.ones(len(prep.pois), bool),
            "inductive": corpus_mask(prep.pois, prep.data, union, by_id=not cfg.pois_path)}
    models = {}
    for setting, mask in keep.items():
        pois = prep.pois[mask]
        models[setting] = pretrain(pois[["lon", "lat"]].to_numpy(), list(pois["text"]), cfg.encoder(), text_encoder,
                                   cfg.pretraining(), seed=cfg.seed, log_path=out / f"calliper_{setting}.jsonl")
    return models


def build_model(method: str, data: MobilityData, cfg: CaLLiPerConfig, seed: int, calliper: Pretrained
                ) -> NextLocationModel:
    """The predictor with the method's location embedding, initialised with `seed`."""
    torch.manual_seed(seed)
    if method == "none":
        embedding = NoLocation(cfg.dim)
    elif method == "vanilla":
        embedding = IDEmbedding(data.n_locations, cfg.dim)
    elif method == "skipgram":
        embedding = StaticEmbedding(skipgram_embeddings(data.sentences("train"), data.n_locations, cfg.dim,
                                                        cfg.skipgram(), seed))
    else:
        embedding = CoordinateEmbedding(copy.deepcopy(calliper.model.location), freeze=method == "calliper",
                                        dropout_in_training=cfg.dropout_in_training)
    return NextLocationModel(embedding, data.n_locations, data.n_users, cfg.predictor())


def test_masks(prep: Prepared, seed: int) -> dict[str, np.ndarray]:
    """Subsets of the test set for the held-out draw of `seed`: history touches L_new (target known), the last step
    is in L_new (target known), target in L_new, and neither."""
    test = prep.data.splits["test"]
    history, target = touches(prep.data, test, prep.held_out[seed])
    last = np.isin(prep.data.records.loc[test.end - 1], prep.held_out[seed])
    return {"history_new": history & ~target, "last_new": last & ~target, "target_new": target,
            "untouched": ~history & ~target}


def _rows(setting: str, method: str, seed: int, metrics: dict, **extra) -> list[dict]:
    return [{"setting": setting, "method": method, "seed": seed, "subset": subset, **values, **extra}
            for subset, values in metrics.items()]


def run_all(cfg: CaLLiPerConfig, prep: Prepared, calliper: dict[str, Pretrained], out: Path,
            device: torch.device = torch.device("cpu")) -> pd.DataFrame:
    """Train and test every method in both settings for every seed, plus the rules; one row per
    (setting, method, seed, test subset). Rows are appended to ``out/results.jsonl`` as runs finish."""
    rows: list[dict] = []
    seeds = range(cfg.seed, cfg.seed + cfg.n_seeds)
    test = prep.data.splits["test"]
    jobs = [(s, m, seed) for seed in seeds for s in SETTINGS for m in cfg.methods]
    for setting, method, seed in progress_bar(jobs, desc="predictors", mininterval=5):
        data = prep.data if setting == "conventional" else inductive_split(prep.data, cfg.inductive_fraction, seed)[0]
        masks = test_masks(prep, seed) if setting == "inductive" else {}
        start = time.perf_counter()
        model = build_model(method, data, cfg, seed, calliper[setting])
        history = train_predictor(model, data, cfg.predictor(), seed, device,
                                  log_path=out / f"history_{setting}_{method}_{seed}.jsonl")
        metrics = evaluate(model, data, test, masks, device)
        new = _rows(setting, method, seed, metrics, epochs=len(history), train_samples=len(data.splits["train"]),
                    seconds=time.perf_counter() - start)
        rows += new
        with open(out / "results.jsonl", "a") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in new)
        if method == cfg.methods[-1]:
            rules = rule_metrics(data, test, masks)
            new = [r for name, m in rules.items() for r in _rows(setting, name, seed, m, epochs=0,
                                                                  train_samples=len(data.splits["train"]), seconds=0.0)]
            rows += new
            with open(out / "results.jsonl", "a") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in new)
    return pd.DataFrame(rows)
