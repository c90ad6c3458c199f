"""A multi-head causal LM on Hugging Face LLaMA blocks: a shared trunk of L - b layers and M heads of b layers.

As in the official code, each head is its own `LlamaForCausalLM` (b layers, final RMSNorm, lm_head) fed the trunk's
hidden states as `inputs_embeds`; the trunk is a `LlamaModel` whose final norm is an identity. Heads are independently
initialised. With b = L every head is a complete model reading the token ids itself (a deep ensemble). The loss is the
sum of the heads' next-token cross-entropies, as in the official code (`head_loss="mean"`: their mean); the ensemble
predicts with the mean of their logits.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn
from transformers import LlamaConfig, LlamaForCausalLM, LlamaModel

from .models import ModelOutput


class MultiHeadCausalLM(nn.Module):
    def __init__(self, config: LlamaConfig, n_heads: int = 3, blocks_in_head: int = 2, seed: int = 0,
                 head_loss: str = "sum") -> None:
        super().__init__()
        layers = config.num_hidden_layers
        if n_heads < 1 or not 1 <= blocks_in_head <= layers:
            raise ValueError(f"need M >= 1 heads and 1 <= blocks_in_head <= {layers} layers, got {n_heads}, {blocks_in_head}")
        if head_loss not in ("sum", "mean"):
            raise ValueError(f"head_loss must be sum or mean, got {head_loss!r}")
        self.n_heads, self.blocks_in_head, self.head_loss = n_heads, blocks_in_head, head_loss
        torch.manual_seed(seed)
        self.trunk = None
        if blocks_in_head < layers:
            trunk_cfg = copy.deepcopy(config)
            trunk_cfg.num_hidden_layers = layers - blocks_in_head
            self.trunk = LlamaModel(trunk_cfg)
            self.trunk.norm = nn.Identity()
        head_cfg = copy.deepcopy(config)
        head_cfg.num_hidden_layers = blocks_in_head
        self.heads = nn.ModuleList(LlamaForCausalLM(head_cfg) for _ in range(n_heads))
        if self.trunk is not None:
            for head in self.heads:  # heads read hidden states, never token ids
                head.model.embed_tokens = nn.Embedding(1, config.hidden_size)

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None) -> ModelOutput:
        """input_ids, labels: (B, T); logits (B, M, T, V); loss: sum (or mean) over heads of the shifted cross-entropy."""
        if self.trunk is None:
            logits = torch.stack([h(input_ids=input_ids, attention_mask=attention_mask).logits for h in self.heads], 1)
        else:
            hidden = self.trunk(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            logits = torch.stack([h(inputs_embeds=hidden, attention_mask=attention_mask).logits for h in self.heads], 1)
        loss = None
        if labels is not None:
            shifted = logits[:, :, :-1].reshape(-1, logits.shape[-1])
            target = labels[:, None, 1:].expand(-1, self.n_heads, -1).reshape(-1)
            loss = F.cross_entropy(shifted, target, ignore_index=-100)  # mean over heads and tokens
            loss = loss * self.n_heads if self.head_loss == "sum" else loss
        return ModelOutput(loss=loss, logits=logits)

    def masked_weights(self, dense_embeddings: bool = True) -> tuple[dict[str, nn.Parameter], dict[str, int]]:
        """Every 2-D weight (all linears; embeddings and lm_heads too unless dense_embeddings), one group each."""
        weights = {}
        for name, p in self.named_parameters():
            if p.ndim < 2 or (dense_embeddings and ("embed_tokens" in name or "lm_head" in name)):
                continue
            if "embed_tokens" in name and p.shape[0] == 1:
                continue  # the heads' unused placeholder embedding
            weights[name] = p
        return weights, {n: 1 for n in weights}
