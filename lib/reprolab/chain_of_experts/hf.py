"""Chain-of-Experts as a Hugging Face model type: `CoEModelConfig` (model_type "reprolab_coe", a DeepseekV2Config
plus the CoE settings) and `CoEForCausalLM`, registered with the Auto classes when `reprolab.chain_of_experts` is
imported, so that

    import reprolab.chain_of_experts
    model = AutoModelForCausalLM.from_pretrained(folder)       # no trust_remote_code

round-trips what `model.save_pretrained(folder)` wrote. `convert(model, n_iter=2)` upcycles a DeepSeek-V2(-Lite) or a
Qwen2-MoE (Qwen1.5-MoE, Qwen2-57B-A14B) model into its CoE form: the same weights, every MoE made a chain of `n_iter`
routed passes with k / n_iter experts each (later routers start as copies of the model's router, as in the authors'
upcycling). Qwen2-MoE models become `CoEQwen2MoeForCausalLM` (model_type "reprolab_coe_qwen2_moe"): Qwen's
attention and dense layers as they are, its gated shared expert kept on every pass.
"""

from __future__ import annotations

from dataclasses import asdict, fields

from transformers import (AutoConfig, AutoModelForCausalLM, DeepseekV2Config, DeepseekV2ForCausalLM, Qwen2MoeConfig,
                          Qwen2MoeForCausalLM)
from transformers.models.qwen2_moe.modeling_qwen2_moe import Qwen2MoeSparseMoeBlock

from .layer import ChainOfExpertsMoE, CoESpec
from .model import RESIDUAL_MODES, OfficialResidualLayer, from_deepseek_state_dict, spec_from_config


class CoEModelConfig(DeepseekV2Config):
    """A DeepSeek-V2 configuration whose MoE layers are Chain-of-Experts: `chain_of_experts` holds the CoESpec
    fields plus residual_mode ("official" or "prenorm") and outer_residual."""

    model_type = "reprolab_coe"

    def __init__(self, chain_of_experts: dict | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chain_of_experts = dict(chain_of_experts or {})


class CoEForCausalLM(DeepseekV2ForCausalLM):
    """DeepseekV2ForCausalLM with every MoE a `ChainOfExpertsMoE` built from `config.chain_of_experts`."""

    config_class = CoEModelConfig

    def __init__(self, config: CoEModelConfig) -> None:
        settings = dict(config.chain_of_experts)
        if not settings:
            raise ValueError("CoEModelConfig.chain_of_experts is empty: make the config with coe_model_config(...)")
        mode, outer = settings.pop("residual_mode", "official"), settings.pop("outer_residual", False)
        if mode not in RESIDUAL_MODES:
            raise ValueError(f"unknown residual_mode {mode!r}; allowed: {', '.join(RESIDUAL_MODES)}")
        spec = CoESpec(**{f.name: settings[f.name] for f in fields(CoESpec) if f.name in settings})
        super().__init__(config)
        for layer in self.model.layers:
            layer.mlp = ChainOfExpertsMoE(spec, return_delta=mode == "prenorm")
            if mode == "official":
                layer.__class__ = OfficialResidualLayer
                layer.outer_residual = outer


def coe_model_config(config: DeepseekV2Config, spec: CoESpec, residual_mode: str = "prenorm",
                     outer_residual: bool = False) -> CoEModelConfig:
    """The CoE model type's config from a DeepseekV2Config and a CoESpec."""
    base = {k: v for k, v in config.to_dict().items() if k not in ("model_type", "architectures", "chain_of_experts")}
    return CoEModelConfig(chain_of_experts={**asdict(spec), "residual_mode": residual_mode,
                                            "outer_residual": outer_residual}, **base)


class CoEQwen2MoeConfig(Qwen2MoeConfig):
    """A Qwen2-MoE configuration whose sparse MoE layers are Chain-of-Experts (`chain_of_experts`: CoESpec fields)."""

    model_type = "reprolab_coe_qwen2_moe"

    def __init__(self, chain_of_experts: dict | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chain_of_experts = dict(chain_of_experts or {})


class CoEQwen2MoeForCausalLM(Qwen2MoeForCausalLM):
    """Qwen2MoeForCausalLM with every sparse MoE block a `ChainOfExpertsMoE` (pre-norm, h + mlp(norm h), as Qwen wires
    it); the dense layers (`mlp_only_layers`, `decoder_sparse_step`) stay Qwen's MLPs. Balance losses: `WithAuxLoss`
    (Qwen's router-logit loss is off: `output_router_logits` is False)."""

    config_class = CoEQwen2MoeConfig

    def __init__(self, config: CoEQwen2MoeConfig) -> None:
        if not config.chain_of_experts:
            raise ValueError("CoEQwen2MoeConfig.chain_of_experts is empty: make the config with qwen2_moe_coe_config(...)")
        spec = CoESpec(**{f.name: config.chain_of_experts[f.name] for f in fields(CoESpec)
                          if f.name in config.chain_of_experts})
        super().__init__(config)
        for layer in self.model.layers:
            if isinstance(layer.mlp, Qwen2MoeSparseMoeBlock):
                layer.mlp = ChainOfExpertsMoE(spec, return_delta=True)


def qwen2_moe_spec(config: Qwen2MoeConfig, n_iter: int = 1, k: int | None = None, **variant) -> CoESpec:
    """CoESpec of a Qwen2MoeConfig's sparse block: greedy top-k over `num_experts` (k = experts per token / n_iter),
    `norm_topk_prob` as configured, one shared SwiGLU of `shared_expert_intermediate_size` behind its sigmoid gate."""
    k = k if k is not None else config.num_experts_per_tok // n_iter
    shared = int(config.shared_expert_intermediate_size or 0)
    return CoESpec(config.hidden_size, config.num_experts, config.moe_intermediate_size, k, n_iter,
                   n_shared=1 if shared else 0, shared_intermediate=shared, shared_gate=bool(shared),
                   norm_topk_prob=bool(config.norm_topk_prob), **variant)


def qwen2_moe_coe_config(config: Qwen2MoeConfig, spec: CoESpec) -> CoEQwen2MoeConfig:
    """The Qwen2-MoE CoE model type's config from a Qwen2MoeConfig and a CoESpec."""
    base = {k: v for k, v in config.to_dict().items() if k not in ("model_type", "architectures", "chain_of_experts")}
    return CoEQwen2MoeConfig(chain_of_experts=asdict(spec), **{**base, "output_router_logits": False})


def _convert_qwen2_moe(model: Qwen2MoeForCausalLM, n_iter: int, **variant) -> CoEQwen2MoeForCausalLM:
    spec = qwen2_moe_spec(model.config, n_iter=n_iter, **variant)
    out = CoEQwen2MoeForCausalLM(qwen2_moe_coe_config(model.config, spec))
    state = {key.replace(".mlp.shared_expert.", ".mlp.shared_experts."): value
             for key, value in model.state_dict().items()}
    out.load_state_dict(from_deepseek_state_dict(state, n_gates=n_iter if spec.independent_gates else 1), strict=True)
    return out.to(next(model.parameters()).dtype)


def convert(model: DeepseekV2ForCausalLM | Qwen2MoeForCausalLM, n_iter: int = 2, residual_mode: str = "prenorm",
            **variant) -> CoEForCausalLM | CoEQwen2MoeForCausalLM:
    """Upcycle a DeepSeek-V2 or Qwen2-MoE model into its CoE form with the same weights: `n_iter` routed passes of
    k / n_iter experts, routers copied from the model's, pre-norm residual (the block's own wiring: with
    n_iter = 1 the result computes what the model does). `variant`: other CoESpec fields. residual_mode "official"
    (the paper's wiring) exists for DeepSeek-V2 only."""
    if isinstance(model, Qwen2MoeForCausalLM) and not isinstance(model, CoEQwen2MoeForCausalLM):
        if residual_mode != "prenorm":
            raise ValueError(f"residual_mode {residual_mode!r}: a Qwen2-MoE converts with 'prenorm' only")
        return _convert_qwen2_moe(model, n_iter, **variant)
    if not isinstance(model, DeepseekV2ForCausalLM) or isinstance(model, CoEForCausalLM):
        raise TypeError(f"convert takes a DeepseekV2ForCausalLM or a Qwen2MoeForCausalLM, got {type(model).__name__} "
                        "(another h + mlp(norm h) block takes ChainOfExpertsMoE(spec, return_delta=True) as its mlp)")
    if model.config.first_k_dense_replace:
        raise ValueError(f"the first {model.config.first_k_dense_replace} layers are dense MLPs; convert expects an MoE "
                         "in every layer (first_k_dense_replace = 0)")
    spec = spec_from_config(model.config, n_iter=n_iter, **variant)
    out = CoEForCausalLM(coe_model_config(model.config, spec, residual_mode))
    state = from_deepseek_state_dict(model.state_dict(), n_gates=n_iter)
    out.load_state_dict(state, strict=True)
    return out.to(next(model.parameters()).dtype)


AutoConfig.register(CoEModelConfig.model_type, CoEModelConfig, exist_ok=True)
AutoModelForCausalLM.register(CoEModelConfig, CoEForCausalLM, exist_ok=True)
AutoConfig.register(CoEQwen2MoeConfig.model_type, CoEQwen2MoeConfig, exist_ok=True)
AutoModelForCausalLM.register(CoEQwen2MoeConfig, CoEQwen2MoeForCausalLM, exist_ok=True)
