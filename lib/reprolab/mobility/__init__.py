"""Notebook 04: CaLLiPer location embeddings for next-location prediction beyond visited places (arXiv:2506.14070)."""

from . import maps, plots
from .baselines import SkipGramConfig, rule_metrics, rule_scores, skipgram_embeddings, skipgram_pairs
from .calliper import (CaLLiPer, EncoderConfig, GridPE, LocationEncoder, PretrainConfig, Pretrained, TextEncoder,
                       embed_locations, info_nce, location_similarity, pretrain, share_near, text_location_similarity,
                       top_cells_near)
from .city import CATEGORIES, MobilityModel, make_city, simulate_checkins
from .config import METHODS, PROFILES, CaLLiPerConfig
from .experiment import LABELS, SETTINGS, Prepared, build_model, corpus_mask, prepare, pretrain_calliper, run_all, test_masks
from .metrics import rank_metrics, rank_metrics_loop, target_ranks
from .predictor import (CoordinateEmbedding, IDEmbedding, NextLocationModel, NoLocation, PredictorConfig, StaticEmbedding,
                        evaluate, train_predictor)
from .sequences import MobilityData, inductive_split, make_batch, preprocess, touches
from .tables import DataError, poi_text, read_checkins, read_pois, read_tsmc, validate_checkins, validate_pois

__all__ = [
    "maps", "plots", "SkipGramConfig", "rule_metrics", "rule_scores", "skipgram_embeddings", "skipgram_pairs",
    "CaLLiPer", "EncoderConfig", "GridPE", "LocationEncoder", "PretrainConfig", "Pretrained", "TextEncoder",
    "embed_locations", "info_nce", "location_similarity", "pretrain", "share_near", "top_cells_near", "text_location_similarity", "CATEGORIES", "MobilityModel", "make_city",
    "simulate_checkins", "METHODS", "PROFILES", "CaLLiPerConfig", "LABELS", "SETTINGS", "Prepared", "build_model",
    "corpus_mask", "prepare", "pretrain_calliper", "run_all", "test_masks", "rank_metrics", "rank_metrics_loop",
    "target_ranks", "CoordinateEmbedding", "IDEmbedding", "NextLocationModel", "NoLocation", "PredictorConfig", "StaticEmbedding",
    "evaluate", "train_predictor", "MobilityData", "inductive_split", "make_batch", "preprocess", "touches",
    "DataError", "poi_text", "read_checkins", "read_pois", "read_tsmc", "validate_checkins", "validate_pois",
]
