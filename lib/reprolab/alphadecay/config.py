"""Parameters of notebook 03 (AlphaDecay) and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..core.profiles import check_ranges
from .decay import METHODS


@dataclass
class AlphaDecayConfig:
    """Tiny LLaMA pre-training with uniform vs module-wise weight decay, paired seeds."""

    seed: int = 0  # first seed; run k uses seed + k for initialisation and batch order (paired across methods)
    n_seeds: int = 3
    dataset_path: str = ""  # local text dataset (save_to_disk folder or jsonl/parquet/txt); empty: offline KJV Bible
    text_column: str = "text"
    tokenizer_path: str = ""  # local tokenizer directory (paper: t5-base); empty: a BPE trained on the corpus
    corpus_chars: int = 1_500_000  # characters of the offline corpus used (0: all 4.1 M)
    max_documents: int = 0  # documents read from dataset_path (0: all)
    vocab_size: int = 2048  # BPE vocabulary when no tokenizer_path is given
    seq_len: int = 128  # tokens per sequence (paper: 256)
    hidden: int = 96  # model width; >= min_eigs so that matrices are tuned (paper 60M: 512)
    n_layers: int = 4  # (paper 60M: 8)
    n_heads: int = 4  # (paper 60M: 8)
    intermediate: int = 256  # MLP width (paper 60M: 1376)
    optimizer: Literal["adamw", "adam"] = "adamw"  # adam = coupled L2 (paper's main table), adamw = decoupled
    base_decay: float = 1.0  # lambda_0; with AdamW keep lr * lambda_0 * steps of order 0.3-1 (paper 60M: 1e-3 * 0.1 * 1e4)
    s1: float = 0.6666  # AlphaDecay's lowest decay multiple (paper scripts)
    s2: float = 5.0  # highest decay multiple (paper: 5; 3 for Adam at 1e-5)
    refresh_every: int = 0  # steps between alpha refreshes (0: steps // 20, the paper's 500 of 10k)
    fit: Literal["hill", "ks"] = "hill"
    methods: tuple[str, ...] = ("uniform", "alphadecay", "matched")  # 'matched': uniform at AlphaDecay's mean decay
    sweep: tuple[float, ...] = ()  # uniform decays on the tuned matrices to bracket the optimum (rest at base)
    batch_size: int = 16  # sequences per step (paper: 512)
    steps: int = 80  # optimizer steps per run (paper 60M: 10k)
    lr: float = 3e-3  # peak lr, 10 % warm-up then cosine to 10 % (paper: 1e-3)
    grad_clip: float | None = 1.0  # paper: none
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"  # paper: bf16
    checkpoint_every: int = 0  # steps between checkpoints of each run (0: none; results.jsonl is always written)
    # pretrained models whose weight spectra are analysed (real_spectra.load_model names or local HF folders;
    # those not installed are reported as such; empty: skip)
    real_models: tuple[str, ...] = ("smollm2-135m-instruct", "gemma3-270m", "all-minilm-l6-v2")
    threads: int | None = 2

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_seeds": ">=1",
        "corpus_chars": ">=0",
        "max_documents": ">=0",
        "vocab_size": ">=1",
        "seq_len": ">=2",
        "hidden": ">=1",
        "n_layers": ">=1",
        "n_heads": ">=1",
        "intermediate": ">=1",
        "base_decay": ">=0",
        "s1": ">=0",
        "s2": ">0",
        "refresh_every": ">=0",
        "sweep": ">=0",
        "batch_size": ">=1",
        "steps": ">=20",
        "lr": ">0",
        "grad_clip": ">0",
        "checkpoint_every": ">=0",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        allowed = METHODS + ("matched",)
        unknown = [m for m in self.methods if m not in allowed]
        if unknown:
            raise ValueError(f"unknown methods {unknown}; allowed: {', '.join(allowed)}")
        if "matched" in self.methods and ("alphadecay" not in self.methods
                                          or self.methods.index("matched") < self.methods.index("alphadecay")):
            raise ValueError("'matched' needs 'alphadecay' earlier in methods (it copies AlphaDecay's mean decay)")
        if self.s1 > self.s2:
            raise ValueError(f"need s1 <= s2, got s1={self.s1}, s2={self.s2}")
        if self.hidden % self.n_heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by n_heads ({self.n_heads})")

    @property
    def every(self) -> int:
        return self.refresh_every or max(1, self.steps // 20)


PROFILES: dict[str, dict] = {
    "default": {},  # about 3 minutes on 2 CPU cores: 3 methods x 3 seeds x 80 steps
    "cpu_long": {"n_seeds": 3, "steps": 400, "hidden": 128, "intermediate": 344, "corpus_chars": 0, "vocab_size": 4096,
                 "batch_size": 32, "lr": 2e-3, "base_decay": 0.5,
                 "methods": ("uniform", "alphadecay", "matched", "frozen", "inverted", "awd", "adadecay"),
                 "sweep": (0.25, 1.0, 2.0)},  # the paper note's pilot scale; about 1.5 hours
    "paper": {"dataset_path": "c4/en", "tokenizer_path": "t5-base", "max_documents": 0, "seq_len": 256, "hidden": 512,
              "n_layers": 8, "n_heads": 8, "intermediate": 1376, "optimizer": "adam", "base_decay": 5e-6, "s2": 5.0,
              "refresh_every": 500, "methods": ("uniform", "alphadecay", "matched", "awd", "adadecay"), "batch_size": 512,
              "steps": 10_000, "lr": 1e-3, "grad_clip": None, "device": "cuda", "mixed_precision": "bf16",
              "checkpoint_every": 1000, "n_seeds": 1, "threads": None},  # LLaMA-60M on C4; local copies needed
}
