"""Chain-of-Experts as a Hugging Face model type: `CoEModelConfig` (model_type "reprolab_coe", a DeepseekV2Config
plus the CoE settings) and `CoEForCausalLM`, registered with the Auto classes when `reprolab.chain_of_experts` is
imported, so that

    import reprolab.chain_of_experts
    model = AutoModelForCausalLM.from_pretrained(folder)       # no trust_remote_code

round-trips what `model.save_pretrained(folder)` wrote. `convert(deepseek_v2_model, n_iter=2)` upcycles a DeepSeek-V2
(-Lite) model into its CoE form: the same weights, every MoE made a chain of `n_iter` routed passes with k / n_iter
experts each (later routers start as copies of the model's router, as in the authors' upcycling).
"""

from __future__ import annotations

from dataclasses import asdict, fields

from transformers import AutoConfig, AutoModelForCausalLM, DeepseekV2Config, DeepseekV2ForCausalLM

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


def convert(model: DeepseekV2ForCausalLM, n_iter: int = 2, residual_mode: str = "prenorm", **variant) -> CoEForCausalLM:
    """Upcycle a DeepSeek-V2 model into its CoE form with the same weights: `n_iter` routed passes of
    k / n_iter experts, routers copied from the model's, pre-norm residual (the block's own wiring: with
    n_iter = 1 the result computes what the model does). `variant`: other CoESpec fields."""
    if not isinstance(model, DeepseekV2ForCausalLM) or isinstance(model, CoEForCausalLM):
        raise TypeError(f"convert takes a DeepseekV2ForCausalLM, got {type(model).__name__} (a Qwen2-MoE or other "
                        "block takes ChainOfExpertsMoE(spec, return_delta=True) as its mlp directly)")
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
