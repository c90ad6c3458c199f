"""Depth-pruning baselines on one model at the same number of removed layers.

- ShortGPT (Men et al. 2024): Block Influence BI_j = 1 - mean over tokens of cos(x_j, x_{j+1}), the cosine between
  the hidden states entering and leaving layer j on calibration text; remove the r layers of lowest BI.
- Last layers: remove the r layers just below the head.
- LaCo (Yang et al. 2024): collapse m + 1 consecutive layers into the first, theta_l + sum_k (theta_{l+k} - theta_l)
  ("reserving differences while seeking common"), choosing, collapse by collapse, the position whose model's final
  hidden states stay most similar (cosine) to the original's on calibration text, until r layers are gone. LaCo
  accepts collapses from the top down against a threshold; best-first is the variant without a threshold to tune.
"""

from __future__ import annotations

import copy
from typing import Sequence

import torch
from transformers import PreTrainedModel

from ..sparsity import decoder_layers, decoder_layers_path
from .plan import LayerOp, MergePlan


@torch.no_grad()
def block_influence(model: PreTrainedModel, input_ids: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """(L,) BI of every decoder layer on (N, T) calibration tokens (no padding)."""
    layers = decoder_layers(model)
    device = next(model.parameters()).device
    sums = torch.zeros(len(layers), dtype=torch.float64)
    count = 0
    inputs: dict[int, torch.Tensor] = {}

    def pre_hook(j):
        def hook(_module, args, kwargs):
            inputs[j] = (args[0] if args else kwargs["hidden_states"]).detach()
        return hook

    def post_hook(j):
        def hook(_module, _args, output):
            out = output[0] if isinstance(output, tuple) else output
            cos = torch.nn.functional.cosine_similarity(inputs[j].float(), out.float(), dim=-1)  # (B, T)
            sums[j] += float(cos.sum())
        return hook

    handles = [m.register_forward_pre_hook(pre_hook(j), with_kwargs=True) for j, m in enumerate(layers)]
    handles += [m.register_forward_hook(post_hook(j)) for j, m in enumerate(layers)]
    try:
        model.eval()
        for ids in input_ids.split(batch_size):
            model(input_ids=ids.to(device), use_cache=False)
            count += ids.numel()
    finally:
        for h in handles:
            h.remove()
    return (1 - sums / count).float()


def shortgpt_plan(model: PreTrainedModel, input_ids: torch.Tensor, n_remove: int) -> MergePlan:
    """Remove the `n_remove` layers of lowest Block Influence."""
    bi = block_influence(model, input_ids)
    removed = tuple(sorted(int(j) for j in bi.argsort()[:n_remove]))
    return MergePlan(MergePlan.removal(len(bi), removed).layers,
                     notes={"name": "ShortGPT", "block_influence": [round(float(b), 5) for b in bi]})


def last_layers_plan(n_layers: int, n_remove: int) -> MergePlan:
    """Remove the `n_remove` layers just below the head."""
    return MergePlan.removal(n_layers, tuple(range(n_layers - n_remove, n_layers)), "last layers")


def merged_plan(n_layers: int, n_candidates: int, weight: float = 0.5, removed: Sequence[int] = (),
                name: str = "") -> MergePlan:
    """Every kept layer merged from all candidates by task arithmetic at `weight` (no search)."""
    gone = set(removed)
    op = LayerOp("merge", tuple(range(n_candidates)), weight) if n_candidates > 1 else LayerOp("take", (0,))
    return MergePlan(tuple(LayerOp("remove") if j in gone else op for j in range(n_layers)),
                     notes={"name": name} if name else {})


@torch.no_grad()
def _final_hidden(model: PreTrainedModel, input_ids: torch.Tensor) -> torch.Tensor:
    device = next(model.parameters()).device
    return model(input_ids=input_ids.to(device), output_hidden_states=True, use_cache=False).hidden_states[-1].float()


def _collapse(model: PreTrainedModel, at: int, m: int) -> PreTrainedModel:
    """A copy of `model` with layers at+1..at+m folded into layer `at` (RDSC) and removed."""
    out = copy.deepcopy(model)
    layers = decoder_layers(out)
    with torch.no_grad():
        for name, p in layers[at].named_parameters():
            others = [dict(layers[at + k].named_parameters())[name] for k in range(1, m + 1)]
            p.add_(sum(o - p for o in others))
    keep = [j for j in range(len(layers)) if not at < j <= at + m]
    kept = [layers[j] for j in keep]
    for t, layer in enumerate(kept):  # renumber, so that KV caches index the new positions
        for module in layer.modules():
            if hasattr(module, "layer_idx"):
                module.layer_idx = t
    out.set_submodule(decoder_layers_path(out), torch.nn.ModuleList(kept))
    out.config.num_hidden_layers = len(kept)
    if isinstance(getattr(out.config, "layer_types", None), list):
        out.config.layer_types = [out.config.layer_types[j] for j in keep]
    return out


@torch.no_grad()
def laco(model: PreTrainedModel, input_ids: torch.Tensor, n_remove: int, m: int = 2) -> tuple[PreTrainedModel, list[dict]]:
    """LaCo collapses (best-first, see the module docstring) until `n_remove` layers are gone; returns the model
    and the chosen collapses [{"at": position in the current model, "m": layers folded, "similarity": cos}]."""
    if m < 1:
        raise ValueError(f"m (layers folded per collapse) must be at least 1, got {m}")
    reference = _final_hidden(model, input_ids)
    current, log = model, []
    while sum(c["m"] for c in log) < n_remove:
        k = min(m, n_remove - sum(c["m"] for c in log))
        best = None
        for at in range(len(decoder_layers(current)) - k):
            candidate = _collapse(current, at, k)
            sim = float(torch.nn.functional.cosine_similarity(_final_hidden(candidate, input_ids), reference, dim=-1).mean())
            if best is None or sim > best[0]:
                best = (sim, at, candidate)
        log.append({"at": best[1], "m": k, "similarity": best[0]})
        current = best[2]
    return current.eval(), log
