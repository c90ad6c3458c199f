"""CoE inside native transformers DeepSeek-V2 models (no remote code), its aux loss, save and load.

Two residual wirings of the decoder block (h' = h + Attn(norm1 h), u = norm2 h'):
- `official`: the paper's code, output = u + sum_t delta_t (+ h' with `outer_residual`). The MoE
  baseline (C = 1) uses the same wiring, so the comparison is like for like.
- `prenorm`: the standard h' + sum_t delta_t; the CoE module is then a drop-in `mlp` for any
  HF block of the form h' + mlp(norm h') (DeepSeek-V2/V3, Qwen-MoE, OLMoE, Mixtral-style).
"""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from pathlib import Path
from typing import Literal

import torch
from torch import nn
from transformers import DeepseekV2Config, DeepseekV2ForCausalLM
from transformers.models.deepseek_v2.modeling_deepseek_v2 import DeepseekV2DecoderLayer

from .layer import ChainOfExpertsMoE, CoESpec

ResidualMode = Literal["official", "prenorm"]
RESIDUAL_MODES = ("official", "prenorm")


class OfficialResidualLayer(DeepseekV2DecoderLayer):
    """DeepSeek-V2 block with the paper's wiring: norm2(h') + sum_t delta_t, plus h' if `outer_residual`."""

    outer_residual: bool = False

    def forward(self, hidden_states, attention_mask=None, position_ids=None, position_embeddings=None, **kwargs):
        attn, _ = self.self_attn(hidden_states=self.input_layernorm(hidden_states), attention_mask=attention_mask,
                                 position_ids=position_ids, position_embeddings=position_embeddings, **kwargs)
        h = hidden_states + attn
        out = self.mlp(self.post_attention_layernorm(h))  # x(C), which already contains norm2(h')
        return out + h if self.outer_residual else out


def deepseek_config(vocab_size: int, hidden: int, n_layers: int, n_heads: int, n_routed: int, n_shared: int,
                    intermediate: int, k: int, kv_lora_rank: int, qk_nope_head_dim: int, qk_rope_head_dim: int,
                    v_head_dim: int, max_len: int = 512, **extra) -> DeepseekV2Config:
    """A DeepseekV2Config with MLA attention (no q LoRA) and an MoE in every layer."""
    return DeepseekV2Config(
        vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=n_layers, num_attention_heads=n_heads,
        num_key_value_heads=n_heads, q_lora_rank=None, kv_lora_rank=kv_lora_rank, qk_nope_head_dim=qk_nope_head_dim,
        qk_rope_head_dim=qk_rope_head_dim, head_dim=qk_rope_head_dim, v_head_dim=v_head_dim, n_routed_experts=n_routed,
        n_shared_experts=n_shared, num_experts_per_tok=k, moe_intermediate_size=intermediate, first_k_dense_replace=0,
        intermediate_size=intermediate, max_position_embeddings=max_len, tie_word_embeddings=False,
        rms_norm_eps=1e-6, **extra)


def paper_config(n_experts: int = 64, n_layers: int = 4, k: int = 8) -> DeepseekV2Config:
    """The paper's base model: H 1024, MLA (8 heads, kv rank 512, nope 128, rope 64, v 128),
    N = n_experts including 1 shared, expert width 704, DeepSeek-V2 vocabulary of 102400."""
    return deepseek_config(102_400, 1024, n_layers, 8, n_experts - 1, 1, 704, k, 512, 128, 64, 128, max_len=4096)


def spec_from_config(config: DeepseekV2Config, n_iter: int = 1, k: int | None = None, **variant) -> CoESpec:
    """CoESpec of a DeepseekV2Config's MoE; k defaults to the config's experts per token divided by n_iter.

    The router follows the config: `routed_scaling_factor`, `norm_topk_prob` and `topk_method` (`greedy`, or
    `group_limited_greedy` with `n_group` / `topk_group`, as full DeepSeek-V2 uses); another method is refused.
    """
    k = k if k is not None else config.num_experts_per_tok // n_iter
    method = getattr(config, "topk_method", None) or "greedy"
    if method not in ("greedy", "group_limited_greedy"):
        raise ValueError(f"DeepseekV2Config.topk_method {method!r} is not supported; allowed: greedy, group_limited_greedy")
    router = {"routed_scaling": float(getattr(config, "routed_scaling_factor", None) or 1.0),
              "norm_topk_prob": bool(getattr(config, "norm_topk_prob", False))}
    if method == "group_limited_greedy":
        if not config.n_group or not config.topk_group:
            raise ValueError("topk_method 'group_limited_greedy' needs n_group and topk_group in the config")
        router |= {"n_group": int(config.n_group), "topk_group": int(config.topk_group)}
    return CoESpec(config.hidden_size, config.n_routed_experts, config.moe_intermediate_size, k, n_iter,
                   config.n_shared_experts or 0, **(router | variant))


def build_coe_model(config: DeepseekV2Config, spec: CoESpec, residual_mode: ResidualMode = "official",
                    outer_residual: bool = False) -> DeepseekV2ForCausalLM:
    """A DeepseekV2ForCausalLM whose every MoE is a ChainOfExpertsMoE of `spec`; the choice is
    recorded in `config.chain_of_experts` so `load_coe_model` rebuilds it."""
    if residual_mode not in RESIDUAL_MODES:
        raise ValueError(f"unknown residual_mode {residual_mode!r}; allowed: {', '.join(RESIDUAL_MODES)}")
    if outer_residual and residual_mode != "official":
        raise ValueError("outer_residual only applies to residual_mode='official'")
    config.chain_of_experts = {**asdict(spec), "residual_mode": residual_mode, "outer_residual": outer_residual}
    model = DeepseekV2ForCausalLM(config)
    for layer in model.model.layers:
        layer.mlp = ChainOfExpertsMoE(spec, return_delta=residual_mode == "prenorm")
        if residual_mode == "official":
            layer.__class__ = OfficialResidualLayer
            layer.outer_residual = outer_residual
    return model


def from_deepseek_state_dict(state: dict[str, torch.Tensor], n_gates: int | None = None) -> dict[str, torch.Tensor]:
    """Map DeepSeek-V2 weights onto a CoE model.

    Per-expert checkpoint tensors (`mlp.experts.{e}.{gate,up,down}_proj.weight`, the hub format and
    what `save_pretrained` writes) are stacked into the bank's `gate_up_proj` (E, 2I, H) and
    `down_proj` (E, H, I). With `n_gates`, each native `mlp.gate.weight` becomes
    `mlp.gates.{0..n_gates-1}.weight` (later routers start as copies, as in the authors' upcycling).
    The authors' own CoE checkpoints keep one router per iteration as `mlp.gate.{i}.weight`: those map
    to `mlp.gates.{i}.weight` as they are.
    """
    pattern = re.compile(r"^(.*\.mlp\.experts)\.(\d+)\.(gate|up|down)_proj\.weight$")
    official_gate = re.compile(r"^(.*\.mlp)\.gate\.(\d+)\.weight$")
    out: dict[str, torch.Tensor] = {}
    per_expert: dict[str, dict[int, dict[str, torch.Tensor]]] = {}
    for key, value in state.items():
        match = pattern.match(key)
        gate = official_gate.match(key)
        if match:
            per_expert.setdefault(match[1], {}).setdefault(int(match[2]), {})[match[3]] = value
        elif gate:
            out[f"{gate[1]}.gates.{gate[2]}.weight"] = value
        elif n_gates is not None and key.endswith(".mlp.gate.weight"):
            for g in range(n_gates):
                out[key.replace(".mlp.gate.weight", f".mlp.gates.{g}.weight")] = value.clone()
        else:
            out[key] = value
    for prefix, experts in per_expert.items():
        order = sorted(experts)
        if order != list(range(len(order))):
            raise ValueError(f"{prefix}: expert indices are not 0..{len(order) - 1}")
        out[f"{prefix}.gate_up_proj"] = torch.stack([torch.cat([experts[e]["gate"], experts[e]["up"]]) for e in order])
        out[f"{prefix}.down_proj"] = torch.stack([experts[e]["down"] for e in order])
    return out


def moe_layers(model: nn.Module) -> list[ChainOfExpertsMoE]:
    return [m for m in model.modules() if isinstance(m, ChainOfExpertsMoE)]


class WithAuxLoss(nn.Module):
    """Training view of a CoE causal LM: `.loss` = LM loss + the routers' balance losses,
    `.aux_loss` = the balance part (so logs can show the LM loss alone)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, **batch):
        out = self.model(**batch)
        aux = sum((m.aux_loss for m in moe_layers(self.model)), torch.zeros((), device=out.logits.device))
        if out.loss is not None:
            out["aux_loss"] = aux
            out["loss"] = out.loss + aux
        return out


def save_coe_model(model: DeepseekV2ForCausalLM, path: str | Path) -> None:
    """save_pretrained: weights (safetensors) and config.json with the CoE settings."""
    model.save_pretrained(path)


def load_coe_model(path: str | Path) -> DeepseekV2ForCausalLM:
    """Rebuild a model written by `save_coe_model` and load its weights (strict)."""
    from safetensors.torch import load_file

    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no model at {str(path)!r}: expected config.json (no download is attempted)")
    config = DeepseekV2Config.from_pretrained(path)
    settings = dict(getattr(config, "chain_of_experts", None) or {})
    if not settings:
        raise ValueError(f"{path / 'config.json'} has no chain_of_experts settings; was it saved by save_coe_model?")
    mode, outer = settings.pop("residual_mode"), settings.pop("outer_residual")
    spec = CoESpec(**{f.name: settings[f.name] for f in fields(CoESpec)})
    model = build_coe_model(config, spec, mode, outer)
    state = {}
    for file in sorted(path.glob("*.safetensors")):
        state.update(load_file(file))
    state = from_deepseek_state_dict(state)
    model.load_state_dict(state, strict=True)
    return model

