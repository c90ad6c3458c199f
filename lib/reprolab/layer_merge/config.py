"""Parameters of notebook 01 (GPTailor: layer removal, selection and merging across finetunes) and its profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..core.profiles import check_ranges
from .real_family import REAL_SKILLS, REAL_TASKS
from .skills import SKILLS


@dataclass
class LayerMergeConfig:
    """A base LM and K finetunes (trained here, or local HF checkpoints), searched plans at r removed layers."""

    seed: int = 0  # first search seed; seeds seed .. seed + n_seeds - 1 (the model family always uses seed 0)
    n_seeds: int = 3
    # the model family: trained here unless base_path or pretrained is given
    pretrained: str = ""  # a pretrained base (reprolab.lm.pretrained name or local folder) fine-tuned here on real skills
    base_path: str = ""  # local HF causal LM (paper: Llama-2-13b-hf)
    candidate_paths: tuple[str, ...] = ()  # its finetunes (paper: WizardLM-13B, WizardMath-13B, code-alpaca-13B)
    calibration_paths: tuple[str, ...] = ()  # JSON-lines multiple-choice tasks to search on (paper: MMLU val, WSC train)
    test_paths: tuple[str, ...] = ()  # JSON-lines multiple-choice tasks to report (paper: its benchmark suite)
    d_model: int = 48
    n_layers: int = 8
    n_heads: int = 4
    d_ff: int = 128
    block_size: int = 32  # characters per training sequence
    corpus_chars: int = 60_000  # offline English text in pre-training
    pretrain_steps: int = 450
    pretrain_lr: float = 3e-3
    finetune_steps: int = 180
    finetune_lr: float = 2e-3  # loss on the answers only
    replay: float = 0.2  # share of pre-training data in each finetune's mixture
    pretrain_items: int = 300  # items per generated skill in pre-training (few: the base is weak at the skills)
    finetune_items: int = 3000  # items of its skill in each finetune
    batch_size: int = 32
    finetune_skills: tuple[str, ...] = ("coref", "arith", "vartrack")  # one finetune each: chat, math, code
    calibration_tasks: tuple[str, ...] = ("coref", "facts")  # the search's objectives (paper: WSC and MMLU)
    n_calibration: int = 150  # items per task to search on (the largest budget)
    n_test: int = 300  # held-out items per task to report
    # the search
    remove_fraction: float = 0.25  # share of parameters to remove, rounded to whole layers
    n_trials: int = 120  # evaluations per search (every budget counts; the paper note: about 120)
    min_budget: int = 16  # lowest Hyperband fidelity: items per task 17 / 50 / 150 at eta 3 (paper: 111 / 333 / 1000)
    eta: int = 3
    initial_weights: tuple[float, ...] = (0.5,)  # lambda grid of the initial design (paper: 0.3 ... 1.0)
    n_heuristics: int = 2  # removal heuristics in the initial design (paper: 3)
    smac_challengers: int = 1000  # points the acquisition function scores per suggestion (SMAC default: 10000)
    alternative_trials: int = 36  # Optuna TPE trials per seed (0: skip the alternative optimizer)
    alternative_seeds: int = 1
    laco_m: int = 2  # layers folded per LaCo collapse
    run_laco: bool = True  # LaCo copies the model once per candidate position (off for 13B models)
    removal_search_max: int = 5000  # run the exhaustive removal search only up to this many removal sets
    merge_cache: int = 256  # merged layers kept for reuse (each is one layer's size)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = 2

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_seeds": ">=1",
        "d_model": ">=1",
        "n_layers": ">=1",
        "n_heads": ">=1",
        "d_ff": ">=1",
        "block_size": ">=2",
        "corpus_chars": ">=1",
        "pretrain_steps": ">=1",
        "pretrain_lr": ">0",
        "finetune_steps": ">=1",
        "finetune_lr": ">0",
        "replay": "[0,1)",
        "pretrain_items": ">=1",
        "finetune_items": ">=1",
        "batch_size": ">=1",
        "n_calibration": ">=1",
        "n_test": ">=1",
        "remove_fraction": "(0,1)",
        "n_trials": ">=1",
        "min_budget": ">=1",
        "eta": ">=2",
        "initial_weights": "[0,1]",
        "n_heuristics": ">=1",
        "smac_challengers": ">=1",
        "alternative_trials": ">=0",
        "alternative_seeds": ">=1",
        "laco_m": ">=1",
        "removal_search_max": ">=1",
        "merge_cache": ">=1",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        skills, tasks = (REAL_SKILLS, REAL_TASKS) if self.pretrained else (SKILLS, SKILLS)
        bad = [s for s in self.finetune_skills if s not in skills]
        if bad or not self.finetune_skills:
            raise ValueError(f"finetune_skills must be a non-empty subset of {', '.join(skills)}"
                             f"{' (with pretrained)' if self.pretrained else ''}, got {self.finetune_skills}")
        if self.pretrained and self.base_path:
            raise ValueError("pretrained (a base fine-tuned here) and base_path (local finetunes) exclude each other")
        if bool(self.base_path) != bool(self.candidate_paths):
            raise ValueError("base_path and candidate_paths go together (a local base and its local finetunes)")
        if self.base_path and not (self.calibration_paths and self.test_paths):
            raise ValueError("local models need calibration_paths and test_paths (JSON-lines multiple-choice tasks to "
                             "search on and to report; different tasks or splits)")
        bad = [t for t in self.calibration_tasks if t not in tasks]
        if bad or not self.calibration_tasks:
            raise ValueError(f"calibration_tasks must be a non-empty subset of {', '.join(tasks)}, got {self.calibration_tasks}")
        if self.min_budget > self.n_calibration:
            raise ValueError(f"need min_budget <= n_calibration, got {self.min_budget}, {self.n_calibration}")
        if not self.initial_weights:
            raise ValueError("initial_weights must be a non-empty list of values in [0, 1]")


PROFILES: dict[str, dict] = {
    "default": {},  # about 3.5 minutes on 2 CPU cores
    "cpu_long": {"n_seeds": 5, "d_model": 64, "d_ff": 192, "n_layers": 12, "pretrain_steps": 1500,
                 "finetune_steps": 400, "corpus_chars": 150_000, "n_calibration": 450, "min_budget": 50, "n_test": 1000,
                 "n_trials": 150, "alternative_trials": 150, "alternative_seeds": 5, "n_heuristics": 3,
                 "smac_challengers": 10000},
    # SmolLM2-135M-Instruct (the Q4 copy here) and three full fine-tunes of it on real skills (math, grammar,
    # reasoning: layer_merge.real_family), 8 of 30 layers removed (27 % of the decoder, 21 % of all parameters);
    # SMAC with Hyperband over 3 / 10 / 30 calibration items per task (the removal-only search: SMAC too, its space
    # is too large to enumerate), 120 trials per search (the paper note: about 120); 80 test items per task (general
    # knowledge: its 70); about 50 minutes on 2 CPU cores
    "smollm2": {"pretrained": "smollm2-135m-instruct", "finetune_skills": ("math", "grammar", "reasoning"),
                "calibration_tasks": ("arithmetic", "subject_verb_agreement"), "finetune_steps": 60, "finetune_lr": 5e-5,
                "batch_size": 8, "block_size": 56, "replay": 0.0, "remove_fraction": 0.21, "n_calibration": 30,
                "min_budget": 3, "n_test": 80, "n_seeds": 2, "n_trials": 120, "alternative_trials": 0,
                "n_heuristics": 2, "merge_cache": 64, "device": "cpu"},
    # Llama-2-13B and the paper's three finetunes from local copies; 10 of 40 layers removed; SMAC with 500 trials
    # at 111 / 333 / 1000 examples per task; the official initial design's lambda grid
    "paper": {"n_seeds": 1, "base_path": "Llama-2-13b-hf",
              "candidate_paths": ("WizardLM-13B-V1.2", "WizardMath-13B-V1.0", "llama-2-13b-code-alpaca"),
              "calibration_paths": ("mmlu_validation.jsonl", "wsc_train.jsonl"),
              "test_paths": ("mmlu_test.jsonl", "wsc_validation.jsonl", "piqa_validation.jsonl", "boolq_validation.jsonl"),
              "n_calibration": 1000, "min_budget": 100, "run_laco": False, "merge_cache": 8, "n_trials": 500, "alternative_trials": 0, "n_heuristics": 3,
              "initial_weights": (0.3, 0.5, 0.6, 0.7, 0.8, 1.0), "smac_challengers": 10000, "device": "cuda",
              "threads": None},
}
