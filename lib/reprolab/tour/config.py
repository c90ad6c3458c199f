"""Parameters of the tour notebook and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..core.profiles import check_ranges


@dataclass
class TourConfig:
    """A tiny LLaMA trained on the offline English corpus mixed with arithmetic word problems."""

    seed: int = 0  # one seed for data order, initialisation and problem draws
    corpus_chars: int = 400_000  # characters of English text (0: the whole corpus, 4.1M)
    arithmetic_examples: int = 3000  # training word problems mixed into the text
    arithmetic_steps: int = 1  # operations per word problem
    max_value: int = 10  # largest number drawn in a problem
    block_size: int = 128  # tokens (characters) per training sequence
    d_model: int = 128  # hidden size of the tiny LLaMA
    n_layers: int = 4  # decoder blocks
    steps: int = 250  # optimizer steps
    batch_size: int = 16  # sequences per step
    lr: float = 3e-3  # peak AdamW learning rate (warm-up then cosine)
    eval_examples: int = 200  # fresh problems scored by exact match
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = 2  # torch CPU threads: 2 measured 1.6x faster than 1 on 2 cores

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "corpus_chars": ">=0",
        "arithmetic_examples": ">=1",
        "arithmetic_steps": ">=1",
        "max_value": ">=1",
        "block_size": ">=2",
        "d_model": ">=1",
        "n_layers": ">=1",
        "steps": ">=1",
        "batch_size": ">=1",
        "lr": ">0",
        "eval_examples": ">=1",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)


PROFILES: dict[str, dict] = {
    "default": {},  # about a minute of training on 2 CPU cores
    "cpu_long": {"corpus_chars": 0, "arithmetic_examples": 20_000, "steps": 3000},  # ~15 min
    "gpu": {"corpus_chars": 0, "arithmetic_examples": 50_000, "d_model": 384, "n_layers": 6,
            "steps": 5000, "batch_size": 64, "lr": 1e-3, "device": "cuda", "threads": None},
}
