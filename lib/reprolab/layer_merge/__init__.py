"""Notebook 01: GPTailor, LLM pruning by cutting layers and stitching them from finetuned variants (arXiv:2506.20480)."""

from . import plots
from .assemble import PlanModels, apply, end_modules, merge_tensors
from .baselines import block_influence, last_layers_plan, laco, merged_plan, shortgpt_plan
from .config import PROFILES, LayerMergeConfig
from .evaluate import choice_correct, skill_accuracy
from .experiment import Family, build_family, calibration_ids, evaluate_model, evaluation_key, family_key, n_remove_for
from .plan import METHODS, OPS, LayerOp, MergePlan
from .search import (PlanEvaluator, SearchResult, SearchSpace, best_initial_design, enumerate_removals,
                     heuristic_removals, initial_design, search_optuna, search_smac, search_trace)
from .skills import SKILLS, Item, generate, knowledge_base, load_items

__all__ = [
    "plots", "PlanModels", "apply", "end_modules", "merge_tensors", "block_influence", "last_layers_plan", "laco", "merged_plan",
    "shortgpt_plan", "PROFILES", "LayerMergeConfig", "choice_correct", "skill_accuracy", "Family", "build_family", "calibration_ids", "evaluation_key", "family_key",
    "evaluate_model", "n_remove_for", "METHODS", "OPS", "LayerOp", "MergePlan", "PlanEvaluator", "SearchResult",
    "SearchSpace", "best_initial_design", "enumerate_removals", "heuristic_removals", "initial_design",
    "search_optuna", "search_smac", "search_trace",
    "SKILLS", "Item", "generate", "knowledge_base", "load_items",
]
