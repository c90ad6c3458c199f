"""Parameters of notebook 05 (LIFT) and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..core.profiles import check_ranges
from ..lm.real_tasks import ARITHMETIC
from .finetune import METHODS


@dataclass
class LiftConfig:
    """Pre-train a tiny LM on a source domain, then fine-tune it on a target task with each method, paired seeds."""

    seed: int = 0  # first fine-tuning seed (data order, LoRA init); the base model always uses seed 0
    n_seeds: int = 3  # paired seeds: 3 gives a t quantile of 4.3 where 2 gives 12.7
    model_path: str = ""  # pretrained model: a registry name (reprolab.lm.pretrained), local HF folder or cached hub id; empty: pre-train the tiny base here
    target_path: str = ""  # local instruction data (paper: LLM-Adapters math_10k.json); empty: target_tasks (pretrained) or generated addition
    target_tasks: tuple[str, ...] = ("2_digit_addition", "2_digit_subtraction")  # BIG-bench arithmetic, pretrained model without target_path
    n_source_choices: int = 250  # pretrained model: BIG-bench multiple-choice items scored for retention (general knowledge first)
    n_text_blocks: int = 32  # pretrained model: held-out English blocks scored for retention
    text_block_size: int = 128  # tokens per held-out English block
    answer_tokens: int = 48  # new tokens generated per scored answer
    d_model: int = 64  # tiny base width
    n_layers: int = 2
    d_ff: int = 176
    block_size: int = 64  # tokens (characters) per sequence
    n_people: int = 30  # source domain: facts about generated people (3 each) ...
    n_small_add: int = 1500  # ... and single-digit additions, the skill the target builds on
    pretrain_steps: int = 1000
    pretrain_lr: float = 3e-3
    target_max: int = 40  # target domain: a + b with a, b in [0, target_max]
    n_target_train: int = 2000
    n_eval: int = 120  # target problems and source fact questions scored by exact match
    methods: tuple[str, ...] = ("full", "lora", "dora", "lift", "magnitude")
    steps: int = 200  # fine-tuning optimizer steps (same for every method)
    batch_size: int = 32
    lr_full: float = 3e-4  # full fine-tuning (paper: 5e-5 at 7B)
    lr_adapter: float = 3e-3  # LoRA, DoRA and the sparse methods (paper: 2e-4 at 7B)
    budget_rank: int = 4  # r_b: every method but full FT trains (m + n) r_b parameters per matrix (paper: 128)
    filter_rank: int = 4  # rank of LIFT's approximation (paper: 32-128)
    update_interval: int = 0  # steps between mask refreshes (0: steps // 4; paper: 400 of ~1900)
    svd: Literal["exact", "randomized"] = "exact"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = 2

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_seeds": ">=1",
        "n_source_choices": ">=1",
        "n_text_blocks": ">=1",
        "text_block_size": ">=2",
        "answer_tokens": ">=1",
        "d_model": ">=1",
        "n_layers": ">=1",
        "d_ff": ">=1",
        "block_size": ">=2",
        "n_people": ">=1",
        "n_small_add": ">=1",
        "pretrain_steps": ">=1",
        "pretrain_lr": ">0",
        "target_max": ">=1",
        "n_target_train": ">=1",
        "n_eval": ">=1",
        "steps": ">=10",
        "batch_size": ">=1",
        "lr_full": ">0",
        "lr_adapter": ">0",
        "budget_rank": ">=1",
        "filter_rank": ">=1",
        "update_interval": ">=0",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ValueError(f"unknown methods {unknown}; allowed: {', '.join(METHODS)}")
        if not self.model_path and self.filter_rank > self.d_model:
            raise ValueError(f"filter_rank ({self.filter_rank}) cannot exceed the tiny base's d_model ({self.d_model})")
        if self.target_path and not self.model_path:
            raise ValueError("target_path needs model_path: the generated source domain only fits the tiny base model")
        unknown = [t for t in self.target_tasks if t not in ARITHMETIC]
        if unknown:
            raise ValueError(f"unknown target_tasks {unknown}; allowed: {', '.join(ARITHMETIC)}")

    @property
    def interval(self) -> int:
        return self.update_interval or max(1, self.steps // 4)


PROFILES: dict[str, dict] = {
    "default": {},  # about 3 minutes on 2 CPU cores
    "cpu_long": {"n_seeds": 4, "d_model": 128, "n_layers": 4, "d_ff": 352, "pretrain_steps": 2500, "steps": 1000, "n_eval": 300,
                 "methods": ("full", "lora", "dora", "lift", "lift_smallest", "magnitude")},
    # Evidence run on a real pretrained model (notebooks/evidence/05_lift.smollm2.ipynb, about 40 minutes on 2 cores):
    # a Q4 copy of SmolLM2-135M-Instruct fine-tuned on BIG-bench 2-digit addition and subtraction.
    "smollm2": {"model_path": "smollm2-135m-instruct", "n_seeds": 2, "methods": ("full", "lora", "lift", "magnitude"),
                "steps": 60, "batch_size": 16, "block_size": 32, "lr_full": 5e-5, "lr_adapter": 1e-3, "budget_rank": 8,
                "filter_rank": 8, "svd": "randomized", "n_eval": 200, "n_target_train": 2000, "answer_tokens": 10},
    "paper": {"model_path": "meta-llama/Llama-2-7b-hf", "target_path": "LLM-Adapters/ft-training_set/math_10k.json",
              "n_seeds": 1, "steps": 1875, "batch_size": 16, "lr_full": 5e-5, "lr_adapter": 2e-4, "budget_rank": 128,
              "filter_rank": 64, "update_interval": 400, "block_size": 2048, "device": "cuda", "threads": None},
}
