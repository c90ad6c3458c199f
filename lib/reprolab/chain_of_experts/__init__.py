"""Notebook 02: Chain-of-Experts (arXiv:2506.18945), iterative routing inside an MoE layer."""

from . import experiment, plots
from .accounting import combinations, expert_ffn_calls, expert_flops_per_token, mebi, parameter_counts, static_memory_bytes
from .config import PROFILES, CoEConfig
from .data import metamathqa_texts, query_response, split_held_out
from .experiment import RunResult, Variant, run_all, run_variant, variants
from .experts import ExpertBank
from .hf import (CoEForCausalLM, CoEModelConfig, CoEQwen2MoeConfig, CoEQwen2MoeForCausalLM, coe_model_config, convert,
                 qwen2_moe_coe_config, qwen2_moe_spec)
from .layer import ChainOfExpertsMoE, CoESpec, SwiGLU
from .model import (OfficialResidualLayer, WithAuxLoss, build_coe_model, deepseek_config, from_deepseek_state_dict,
                    load_coe_model, moe_layers,
                    paper_config, save_coe_model, spec_from_config)
from .routing import Routing, TopKRouter, sequence_balance_loss
from .routing_stats import co_selection, js_divergence, reselection_rate, usage_entropy

__all__ = [
    "experiment", "plots",
    "combinations", "expert_ffn_calls", "expert_flops_per_token", "mebi", "parameter_counts", "static_memory_bytes",
    "PROFILES", "CoEConfig", "metamathqa_texts", "query_response", "split_held_out", "RunResult", "Variant", "run_all", "run_variant", "variants",
    "ExpertBank", "CoEForCausalLM", "CoEModelConfig", "CoEQwen2MoeConfig", "CoEQwen2MoeForCausalLM", "coe_model_config",
    "convert", "qwen2_moe_coe_config", "qwen2_moe_spec", "ChainOfExpertsMoE", "CoESpec", "SwiGLU", "OfficialResidualLayer", "WithAuxLoss", "build_coe_model",
    "deepseek_config", "from_deepseek_state_dict", "load_coe_model", "moe_layers", "paper_config", "save_coe_model", "spec_from_config",
    "Routing", "TopKRouter", "sequence_balance_loss", "co_selection", "js_divergence", "reselection_rate", "usage_entropy",
]
