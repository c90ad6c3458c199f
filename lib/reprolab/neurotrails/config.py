"""Parameters of notebook 08 (NeuroTrails) and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

VARIANTS = ("single", "full_ensemble", "treenet", "neurotrails", "static_heads")


@dataclass
class NeuroTrailsConfig:
    """Vision (mnist1d, 1-D ResNet) and language (tiny LLaMA on a Markov source) comparisons at M heads."""

    seed: int = 0  # first seed (initialisation, masks, batch order); seeds seed .. seed + n_seeds - 1
    n_seeds: int = 2
    # vision
    n_samples: int = 2000  # mnist1d signals (80 % train, 20 % test), generated offline
    corr_noise: float = 0.4  # mnist1d noise scales (package defaults 0.25, 0.02 make it too easy for a ResNet)
    iid_noise: float = 0.06
    channels: tuple[int, ...] = (16, 32, 64)  # 1-D ResNet widths per stage
    blocks_per_stage: int = 2
    n_heads: int = 3  # M
    blocks_in_head: int = 4  # b: units (stem + residual blocks) per head; the trunk keeps the rest
    density: float = 0.4  # NeuroTrails' live share of all conv/linear weights (ERK), about one dense model's count
    epochs: int = 8
    batch_size: int = 64
    lr: float = 0.05  # SGD, Nesterov momentum 0.9 (paper: 0.1), warm-up then cosine
    weight_decay: float = 5e-4
    update_every: int = 0  # steps between topology updates (0: half an epoch; paper: 1000 of ~176k)
    drop_rate: float = 0.5  # cosine-annealed to 0.005 (paper)
    variants: tuple[str, ...] = VARIANTS
    sweep_blocks: tuple[int, ...] = (0, 2, 4, 7)  # the backbone/head split sweep for NeuroTrails (empty: skip)
    # language
    lm_variants: tuple[str, ...] = ("single", "full_ensemble", "treenet", "neurotrails")
    lm_vocab: int = 32  # Markov source of known entropy rate (with lm_text_path: the tokenizer's vocabulary size)
    lm_text_path: str = ""  # local text data instead of the Markov source (paper: a C4 shard as jsonl)
    lm_tokenizer: str = ""  # local HF tokenizer for lm_text_path (paper: t5-base)
    lm_n_seeds: int = 1
    lm_layers: int = 3
    lm_hidden: int = 48
    lm_blocks_in_head: int = 2
    lm_density: float = 0.6  # paper: 0.9 at 130M-350M
    lm_train_sequences: int = 800  # limited data, so that variance reduction matters
    lm_seq_len: int = 64
    lm_steps: int = 100
    lm_batch_size: int = 16
    lm_lr: float = 3e-3
    lm_update_every: int = 20  # paper: 50
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = 2

    def __post_init__(self) -> None:
        units = 1 + len(self.channels) * self.blocks_per_stage
        bad = [v for v in (*self.variants, *self.lm_variants) if v not in VARIANTS]
        if bad:
            raise ValueError(f"unknown variants {bad}; allowed: {', '.join(VARIANTS)}")
        if bool(self.lm_text_path) != bool(self.lm_tokenizer):
            raise ValueError("lm_text_path and lm_tokenizer go together (local text needs its tokenizer)")
        if self.n_heads < 2:
            raise ValueError(f"an ensemble needs M >= 2 heads, got {self.n_heads}")
        if not 0 <= self.blocks_in_head <= units or any(not 0 <= b <= units for b in self.sweep_blocks):
            raise ValueError(f"blocks_in_head and sweep_blocks must lie in [0, {units}] (stem + residual blocks)")
        if not 1 <= self.lm_blocks_in_head <= self.lm_layers:
            raise ValueError(f"lm_blocks_in_head must be in [1, {self.lm_layers}], got {self.lm_blocks_in_head}")
        for name in ("density", "lm_density"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if min(self.n_seeds, self.lm_n_seeds, self.epochs, self.lm_steps) < 1:
            raise ValueError("n_seeds, lm_n_seeds, epochs and lm_steps must be positive")

    @property
    def n_units(self) -> int:
        return 1 + len(self.channels) * self.blocks_per_stage


PROFILES: dict[str, dict] = {
    "default": {},  # about 3 minutes on 2 CPU cores
    "cpu_long": {"n_seeds": 4, "n_samples": 6000, "channels": (32, 64, 128), "epochs": 20,
                 "sweep_blocks": (0, 1, 2, 3, 4, 5, 6, 7), "lm_n_seeds": 3, "lm_layers": 4, "lm_hidden": 64,
                 "lm_steps": 600, "lm_batch_size": 32, "lm_train_sequences": 2000},
    "paper": {"n_seeds": 1, "lm_n_seeds": 1, "n_samples": 10000, "channels": (64, 128, 256), "epochs": 100, "density": 0.2,
              "update_every": 1000, "lr": 0.1, "lm_layers": 24, "lm_hidden": 1024, "lm_blocks_in_head": 16,
              "lm_density": 0.9, "lm_text_path": "c4/en/c4-train.00000-of-01024.json", "lm_tokenizer": "t5-base",
              "lm_vocab": 32100, "lm_seq_len": 256, "lm_batch_size": 512, "lm_steps": 11111, "lm_update_every": 50, "lm_lr": 1.5e-3, "device": "cuda",
              "threads": None},
}
