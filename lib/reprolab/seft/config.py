"""Parameters of notebook 06 (SEFT) and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..core.profiles import check_ranges
from ..sparsity import PRUNERS, check_sparsity
from .evolution import EvolutionConfig
from .finetune import METHODS


@dataclass
class SeftConfig:
    """Pre-train a tiny LM (or load one), prune it one-shot, then repair it with each method, paired seeds."""

    seed: int = 0  # first fine-tuning seed (batch order, LoRA init); the base model always uses seed 0
    n_seeds: int = 3
    model_path: str = ""  # pretrained model: registry name (reprolab.lm.pretrained), local HF folder or cached hub id; empty: pre-train the tiny base here
    train_path: str = ""  # local instruction data to repair on (paper: LLM-Adapters commonsense_170k.json)
    eval_path: str = ""  # local instruction data to score (paper: one of the 8 commonsense test sets)
    text_path: str = ""  # local text for calibration and perplexity (paper: a C4 shard)
    d_model: int = 64  # tiny base width
    n_layers: int = 2
    d_ff: int = 176
    block_size: int = 64  # tokens (characters) per sequence
    corpus_chars: int = 120_000  # English text in the pre-training and repair data
    max_value: int = 20  # the task: a + b with a, b in [0, max_value]
    n_task_train: int = 3000
    n_eval: int = 300  # task problems scored by exact match
    pretrain_steps: int = 600
    pretrain_lr: float = 4e-3
    pruner: Literal["magnitude", "wanda", "sparsegpt"] = "wanda"
    sparsity: float = 0.7  # fraction of every target matrix's weights removed
    nm: tuple[int, ...] = ()  # (n, m): keep n of every m inputs instead of unstructured sparsity
    n_calibration: int = 64  # calibration sequences for the pruner and LoRA* re-pruning (paper: 128 x 2048 tokens)
    n_repair_blocks: int = 2000  # pretrained model without train_path: English blocks to repair on
    n_text_blocks: int = 48  # pretrained model without train_path: held-out English blocks for perplexity
    n_choices: int = 250  # pretrained model without train_path: BIG-bench multiple-choice items scored (general knowledge first)
    damage_sparsities: tuple[float, ...] = (0.5, 0.7, 0.8)  # pruning-damage sweep before fine-tuning (empty: skip)
    damage_pruners: tuple[str, ...] = ("magnitude", "wanda", "sparsegpt")
    methods: tuple[str, ...] = ("seft", "seft_no_reactivation", "static_delta", "lora_reprune")
    steps: int = 160  # fine-tuning optimizer steps (same for every method)
    batch_size: int = 32
    lr: float = 3e-3  # every method (paper: 2e-4 at 7B)
    budget_rank: int = 2  # r_b: sparse deltas train (m + n) r_b entries per matrix, LoRA has rank r_b
    update_every: int = 16  # steps between topology updates (paper: 10 commonsense, 60 C4)
    drop_fraction: float = 0.2  # rho_0, decayed by a cosine
    accumulation_steps: int = 4  # steps whose mean gradient drives growth and sensitivity (SpIEL: 5)
    adapt: Literal["sensitivity", "magnitude"] = "sensitivity"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = 2

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_seeds": ">=1",
        "d_model": ">=1",
        "n_layers": ">=1",
        "d_ff": ">=1",
        "block_size": ">=2",
        "corpus_chars": ">=1",
        "max_value": ">=1",
        "n_task_train": ">=1",
        "n_eval": ">=1",
        "pretrain_steps": ">=1",
        "pretrain_lr": ">0",
        "sparsity": "[0,1)",
        "nm": ">=1",
        "n_calibration": ">=1",
        "n_repair_blocks": ">=1",
        "n_text_blocks": ">=1",
        "n_choices": ">=1",
        "damage_sparsities": "[0,1)",
        "steps": ">=10",
        "batch_size": ">=1",
        "lr": ">0",
        "budget_rank": ">=1",
        "update_every": ">=1",
        "drop_fraction": "[0,1]",
        "accumulation_steps": ">=1",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ValueError(f"unknown methods {unknown}; allowed: {', '.join(METHODS)}")
        bad = [p for p in (self.pruner, *self.damage_pruners) if p not in PRUNERS]
        if bad:
            raise ValueError(f"unknown pruners {bad}; allowed: {', '.join(PRUNERS)}")
        if self.nm and len(self.nm) != 2:
            raise ValueError(f"nm must be empty or (n, m), got {self.nm}")
        check_sparsity(self.sparsity, self.nm_pair)
        paths = [bool(self.train_path), bool(self.eval_path), bool(self.text_path)]
        if any(paths) and not (all(paths) and self.model_path):
            raise ValueError("train_path, eval_path and text_path go together, with model_path (paper profile); "
                             "a model_path alone uses the shipped English text and BIG-bench items")
        self.evolution  # validates the evolution settings

    @property
    def nm_pair(self) -> tuple[int, int] | None:
        return (int(self.nm[0]), int(self.nm[1])) if self.nm else None

    @property
    def evolution(self) -> EvolutionConfig:
        return EvolutionConfig(self.budget_rank, self.update_every, self.drop_fraction, "cosine", self.accumulation_steps,
                               grow_into_pruned=not self.nm, adapt=self.adapt)  # N:M: growth stays inside the pattern


PROFILES: dict[str, dict] = {
    "default": {},  # about 3 minutes on 2 CPU cores
    "cpu_long": {"n_seeds": 5, "update_every": 20, "accumulation_steps": 5, "d_model": 128, "n_layers": 4, "d_ff": 352, "pretrain_steps": 3000, "steps": 1000,
                 "damage_sparsities": (0.5, 0.6, 0.7, 0.8, 0.9), "methods": METHODS},
    # Evidence run on a real pretrained model (notebooks/evidence/06_seft.smollm2.ipynb, about 30 minutes on 2 cores): a Q4
    # copy of SmolLM2-135M-Instruct, Wanda-pruned to 50 % (damage also at 70 % and by SparseGPT), repaired on English text.
    "smollm2": {"model_path": "smollm2-135m-instruct", "n_seeds": 2, "sparsity": 0.5, "damage_sparsities": (0.5, 0.7),
                "damage_pruners": ("wanda", "sparsegpt"), "methods": ("seft", "static_delta", "lora_reprune"),
                "block_size": 64, "n_calibration": 64, "steps": 40, "batch_size": 8, "lr": 2e-4, "budget_rank": 8,
                "update_every": 10, "accumulation_steps": 2, "n_choices": 200, "n_text_blocks": 32},
    "paper": {"model_path": "huggyllama/llama-7b", "train_path": "LLM-Adapters/ft-training_set/commonsense_170k.json",
              "eval_path": "LLM-Adapters/dataset/boolq/test.json", "text_path": "c4/en/c4-train.00000-of-01024.json",
              "n_seeds": 1, "sparsity": 0.7, "damage_sparsities": (), "methods": ("seft", "static_delta", "lora_reprune"), "n_calibration": 128, "block_size": 2048, "steps": 3000, "batch_size": 16,
              "lr": 2e-4, "budget_rank": 32, "update_every": 10, "device": "cuda", "threads": None},
}
