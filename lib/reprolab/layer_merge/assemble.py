"""Build the model a `MergePlan` describes, from a base HF causal LM and K finetunes of it.

`PlanModels` is the search's fast path: the assembled model is a shell whose layer list, embeddings, final norm
and head are the base's and candidates' own modules, shared and never copied; only merged layers are computed,
once per (layer, operation), and kept in a bounded cache. `apply` is the export path: a fresh model with
renumbered layers (so `layer_idx` and KV caches are right) that `save_pretrained` writes and `from_pretrained`
reads back; it loads exactly the tensors the fast path uses.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Sequence

import torch
from torch import nn
from transformers import PreTrainedModel

from ..sparsity import decoder_layers, decoder_layers_path
from .plan import LayerOp, MergePlan


def merge_tensors(base: torch.Tensor, candidates: Sequence[torch.Tensor], op: LayerOp,
                  method: str = "task_arithmetic", density: float = 0.5) -> torch.Tensor:
    """One tensor of a layer under `op`: the base's, candidate i's (`take`), or the candidates' merge onto the base.

    task_arithmetic: base + w * sum_k (theta_k - base); linear: base + w * mean_k (theta_k - base) (w = 1: the
    plain average of the candidates); ties / dare_ties: peft's merges of the task vectors theta_k - base with
    weights w and `density` (dare_ties draws its drop mask from torch's global generator)."""
    if op.op == "base":
        return base
    if op.op == "take":
        return candidates[op.sources[0]]
    if op.op != "merge":
        raise ValueError(f"cannot merge a tensor for op {op.op!r}")
    deltas = [candidates[i].float() - base.float() for i in op.sources]
    if method == "task_arithmetic":
        merged = op.weight * torch.stack(deltas).sum(0)
    elif method == "linear":
        merged = op.weight * torch.stack(deltas).mean(0)
    else:
        from peft.utils import merge_utils

        weights = torch.full((len(deltas),), op.weight)
        merged = (merge_utils.ties if method == "ties" else merge_utils.dare_ties)(deltas, weights, density)
    return (base.float() + merged).to(base.dtype)


def end_modules(model: PreTrainedModel) -> dict[str, str]:
    """Modules with their own parameters outside the decoder layers, each with the kept layer whose operation it
    follows: 'first' for embeddings (and a head tied to them), 'last' for the final norm and the output head."""
    layers = decoder_layers_path(model)
    tied = bool(getattr(model.config, "tie_word_embeddings", False))
    out = {}
    for name, module in model.named_modules():
        if not name or name == layers or name.startswith(layers + ".") or not list(module.parameters(recurse=False)):
            continue
        first = isinstance(module, nn.Embedding) or (tied and module is model.get_output_embeddings())
        out[name] = "first" if first else "last"
    return out


def _same_shapes(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(sa[k].shape == sb[k].shape for k in sa)


class PlanModels:
    """Models of plans over one base and its candidates, sharing their modules (see the module docstring)."""

    def __init__(self, base: PreTrainedModel, candidates: Sequence[PreTrainedModel], cache_size: int = 256) -> None:
        if not candidates:
            raise ValueError("need at least one candidate (finetune of the base)")
        for i, c in enumerate(candidates):
            if type(c) is not type(base) or not _same_shapes(c, base):
                raise ValueError(f"candidate {i} ({type(c).__name__}) does not have the base's architecture and "
                                 "tensor shapes; candidates must be finetunes of the base (a finetune with an added "
                                 "token needs its embeddings aligned to the base's vocabulary first)")
        self.base, self.candidates = base.eval(), [c.eval() for c in candidates]
        self.n_layers, self.path = len(decoder_layers(base)), decoder_layers_path(base)
        self.ends = end_modules(base)
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, nn.Module] = OrderedDict()
        config = copy.deepcopy(base.config)
        config.num_hidden_layers = 0
        config.use_cache = False  # shared layers keep their original layer_idx, which a KV cache would index by
        self.shell = type(base)(config).eval()  # a frame whose modules are swapped per plan
        self.layer_parameters = sum(p.numel() for p in decoder_layers(base)[0].parameters())

    def _sources(self, name: str | int) -> tuple[nn.Module, list[nn.Module]]:
        if isinstance(name, int):
            return decoder_layers(self.base)[name], [decoder_layers(c)[name] for c in self.candidates]
        return self.base.get_submodule(name), [c.get_submodule(name) for c in self.candidates]

    def module(self, name: str | int, op: LayerOp, method: str, density: float) -> nn.Module:
        """Decoder layer `name` (int) or end module `name` (str) under `op`: a shared module, or a cached merge."""
        base, cands = self._sources(name)
        if op.op == "base":
            return base
        if op.op == "take":
            return cands[op.sources[0]]
        key = (name, op.key(), method, density)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        merged = copy.deepcopy(base)
        params = {n: [dict(c.named_parameters())[n] for c in cands] for n, _ in base.named_parameters()}
        with torch.no_grad():
            for n, p in merged.named_parameters():
                p.copy_(merge_tensors(p, [t.detach() for t in params[n]], op, method, density))
        self._cache[key] = merged
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return merged

    def model(self, plan: MergePlan) -> PreTrainedModel:
        """The shell set up for `plan` (valid until the next call; use `apply` for a model of its own)."""
        plan.validate(self.n_layers, len(self.candidates))
        layers = [self.module(j, plan.layers[j], plan.method, plan.density) for j in plan.kept]
        self.shell.set_submodule(self.path, nn.ModuleList(layers))
        self.shell.config.num_hidden_layers = len(layers)
        first, last = plan.layers[plan.kept[0]], plan.layers[plan.kept[-1]]
        for name, role in self.ends.items():
            self.shell.set_submodule(name, self.module(name, first if role == "first" else last, plan.method,
                                                       plan.density))
        return self.shell

    def parameter_count(self, plan: MergePlan) -> int:
        """Parameters of the assembled model: the base's minus those of the removed layers."""
        return sum(p.numel() for p in self.base.parameters()) - len(plan.removed) * self.layer_parameters


def apply(plan: MergePlan, base: PreTrainedModel, candidates: Sequence[PreTrainedModel]) -> PreTrainedModel:
    """A new model (own tensors, layers renumbered 0..kept-1) built from `plan`; `save_pretrained` ready."""
    view = PlanModels(base, candidates, cache_size=0).model(plan)
    config = copy.deepcopy(base.config)
    config.num_hidden_layers = len(plan.kept)
    if isinstance(getattr(config, "layer_types", None), list):
        config.layer_types = [config.layer_types[j] for j in plan.kept]
    model = type(base)(config)
    model.load_state_dict({k: v.detach().clone() for k, v in view.state_dict().items()}, strict=True)
    return model.eval()
