"""`reprolab tailor CONFIG.yaml OUT/`: GPTailor on your own model family, in the spirit of mergekit's YAML.

    base: models/llama-base                 # local HF causal LM folders (relative paths: from the YAML's folder)
    candidates: [models/chat, models/math]  # its finetunes: same architecture, depth, width and vocabulary
    calibration: [data/wsc.jsonl]           # JSON-lines multiple choice: {"prompt", "choices", "answer" (index)},
                                            # or built-in BIG-bench tasks: bigbench:general_knowledge,
                                            # bigbench:subject_verb_agreement (the calibration split of data/)
    remove_fraction: 0.25                   # share of parameters removed, rounded to whole layers
    optimizer: smac                         # or optuna
    trials: 120

writes OUT/model/ (an ordinary HF folder with the tokenizer), OUT/plan.json, OUT/trials.jsonl (every evaluation as it
finishes; a rerun into the same OUT replays it, so an interrupted search resumes) and OUT/summary.json (the pick and
the best initial-design plan, their calibration scores, parameter share, counts). A bad config fails before any
model is loaded, naming the field.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from ..core.profiles import check_overrides, check_ranges

ARCH_KEYS = ("model_type", "num_hidden_layers", "hidden_size", "intermediate_size", "vocab_size",
             "num_attention_heads", "num_key_value_heads")


@dataclass
class TailorConfig:
    """One tailoring run (see the module docstring)."""

    base: str
    candidates: tuple[str, ...]
    calibration: tuple[str, ...]
    remove_fraction: float = 0.25
    n_calibration: int = 100  # items per task at the largest budget (shuffled with seed 0 first)
    optimizer: Literal["smac", "optuna"] = "smac"
    trials: int = 120
    min_budget: int = 11  # smac: Hyperband's smallest number of items per task
    eta: int = 3
    seed: int = 0
    initial_weights: tuple[float, ...] = (0.5,)
    n_heuristics: int = 2
    merge_cache: int = 64  # merged layers kept for reuse

    RANGES: ClassVar[dict[str, str]] = {"remove_fraction": "(0,1)", "n_calibration": ">=1", "trials": ">=1",
                                        "min_budget": ">=1", "eta": ">=2", "seed": ">=0", "initial_weights": "[0,1]",
                                        "n_heuristics": ">=1", "merge_cache": ">=0"}

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.optimizer not in ("smac", "optuna"):
            raise ValueError(f"optimizer must be smac or optuna, got {self.optimizer!r}")
        if not self.candidates or not self.calibration:
            raise ValueError("candidates and calibration each need at least one entry")
        if self.optimizer == "smac" and self.min_budget > self.n_calibration:
            raise ValueError(f"need min_budget <= n_calibration, got {self.min_budget} > {self.n_calibration}")


def load_config(path: str | Path) -> TailorConfig:
    """Read and check a tailor YAML: field names and types, ranges, the model folders (config.json present, the
    candidates' architecture equal to the base's) and the calibration files (parsed); nothing is loaded."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no tailor config at {str(path)!r}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ValueError(f"{path.name}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: expected a mapping of fields, got {type(raw).__name__}")
    missing = [name for name in ("base", "candidates", "calibration") if name not in raw]
    if missing:
        raise ValueError(f"{path.name}: missing {', '.join(missing)} (base, candidates and calibration are required)")
    values = check_overrides(TailorConfig, raw, path.name)
    here = path.parent
    values["base"] = str((here / values["base"]).resolve())
    values["candidates"] = tuple(str((here / p).resolve()) for p in values["candidates"])
    values["calibration"] = tuple(p if p.startswith(BUILTIN) else str((here / p).resolve()) for p in values["calibration"])
    cfg = TailorConfig(**values)
    check_inputs(cfg)
    return cfg


BUILTIN = "bigbench:"  # calibration entries naming a shipped BIG-bench multiple-choice task


def calibration_items(entry: str) -> tuple[str, list]:
    """(task name, items) of one calibration entry: a JSON-lines file, or `bigbench:<task>` (its train split by the
    hash of each item's text; `reprolab.lm.real_tasks.CHOICE_TASKS`)."""
    from .skills import load_items

    if entry.startswith(BUILTIN):
        from ..lm.real_tasks import choice_items
        from .real_family import as_items

        task = entry[len(BUILTIN):]
        return task, as_items(choice_items([task], "train"), task)
    return Path(entry).stem, load_items(entry, Path(entry).stem)


def _model_config(folder: str, field: str) -> dict:
    config = Path(folder) / "config.json"
    if not config.is_file():
        raise FileNotFoundError(f"{field}: no HF model at {folder!r} (expected config.json)")
    return json.loads(config.read_text())


def check_inputs(cfg: TailorConfig) -> None:
    """Every model folder exists with the base's architecture; every calibration file parses."""
    from .skills import load_items

    base = _model_config(cfg.base, "base")
    for k, folder in enumerate(cfg.candidates):
        other = _model_config(folder, f"candidates[{k}]")
        differ = [key for key in ARCH_KEYS if other.get(key) != base.get(key)]
        if differ:
            raise ValueError(f"candidates[{k}] ({Path(folder).name}) differs from the base in "
                             + ", ".join(f"{key} ({other.get(key)} vs {base.get(key)})" for key in differ))
    from ..lm.real_tasks import CHOICE_TASKS

    names = {}
    for k, file in enumerate(cfg.calibration):
        name = file[len(BUILTIN):] if file.startswith(BUILTIN) else Path(file).stem
        if name in names:
            raise ValueError(f"calibration[{k}] and calibration[{names[name]}] are both task {name!r}: one would hide "
                             "the other in the search's objectives; rename a file")
        names[name] = k
        if file.startswith(BUILTIN):
            if file[len(BUILTIN):] not in CHOICE_TASKS:
                raise ValueError(f"calibration[{k}]: unknown built-in task {file!r}; allowed: "
                                 + ", ".join(BUILTIN + t for t in CHOICE_TASKS))
            continue
        if not Path(file).is_file():
            raise FileNotFoundError(f"calibration[{k}]: no file {file!r}")
        load_items(file, Path(file).stem)  # every line parsed here, before any model is loaded


def check_output(cfg: TailorConfig, out: str | Path) -> None:
    """OUT/trials.jsonl replays scores only for the models and calibration tasks that made them: their content hash
    goes to OUT/log_key.json, and a rerun into the same OUT with other inputs fails in one line."""
    from .experiment import content_hash

    key = {"inputs": content_hash([cfg.base, *cfg.candidates, *(c for c in cfg.calibration if not c.startswith(BUILTIN))]),
           "calibration": list(cfg.calibration), "n_calibration": cfg.n_calibration}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "log_key.json"
    if path.is_file() and json.loads(path.read_text()) != key:
        raise ValueError(f"{out}: its trials.jsonl was scored with other models or calibration tasks; use a new "
                         "output folder")
    path.write_text(json.dumps(key))


def tailor(cfg: TailorConfig, out: str | Path, progress: bool = True) -> dict:
    """Search a compressed model for `cfg` and write it under `out` (module docstring); returns the summary."""
    from .. import lm
    from ..sparsity import decoder_layers
    from .assemble import PlanModels, apply
    from .evaluate import skill_accuracy
    from .search import PlanEvaluator, SearchSpace, best_initial_design, initial_design, search_optuna, search_smac

    out = Path(out)
    check_output(cfg, out)
    tokenizer = lm.load_tokenizer(cfg.base)
    base = lm.load_causal_lm(cfg.base).eval()
    candidates = [lm.load_causal_lm(p).eval() for p in cfg.candidates]
    tasks = {}
    for entry in cfg.calibration:
        name, rows = calibration_items(entry)
        tasks[name] = [rows[i] for i in np.random.default_rng(0).permutation(len(rows))[:cfg.n_calibration]]
    n_layers = base.config.num_hidden_layers
    total = sum(p.numel() for p in base.parameters())
    per_layer = sum(p.numel() for p in decoder_layers(base)[0].parameters())
    n_remove = max(1, min(n_layers - 1, round(cfg.remove_fraction * total / per_layer)))
    models = PlanModels(base, candidates, cfg.merge_cache)
    evaluator = PlanEvaluator(lambda plan, budget: skill_accuracy(models.model(plan), tokenizer, tasks, budget),
                              out / "trials.jsonl")
    space = SearchSpace(n_layers, len(candidates), n_remove)
    start = initial_design(space, cfg.initial_weights, cfg.n_heuristics)
    budget = min(cfg.n_calibration, min(len(v) for v in tasks.values()))
    t0 = time.perf_counter()
    if cfg.optimizer == "smac":
        result = search_smac(space, evaluator, cfg.trials, min(cfg.min_budget, budget), budget, seed=cfg.seed,
                             eta=cfg.eta, initial=start, output_dir=out, progress=progress)
    else:
        result = search_optuna(space, evaluator, cfg.trials, budget, seed=cfg.seed, initial=start, progress=progress)
    baseline, baseline_scores = best_initial_design(space, evaluator, start, budget)
    model = apply(result.plan, base, candidates)
    model.save_pretrained(out / "model")
    tokenizer.save_pretrained(out / "model")
    result.plan.save(out / "plan.json")
    summary = {"removed_layers": list(result.plan.removed), "n_layers": n_layers,
               "parameter_share": sum(p.numel() for p in model.parameters()) / total,
               "calibration": result.scores, "best_initial_design": {"plan": json.loads(baseline.to_json()),
                                                                    "calibration": baseline_scores},
               "trials": len(result.trials), "evaluations_computed": evaluator.computed,
               "evaluations_replayed": evaluator.calls - evaluator.computed, "seconds": time.perf_counter() - t0,
               "config": asdict(cfg)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary
