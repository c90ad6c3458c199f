"""Tiny Hugging Face causal LMs built from a few numbers, and the local loading path for real ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import torch
from transformers import AutoModelForCausalLM, PreTrainedModel

Architecture = Literal["llama", "gpt2"]


@dataclass
class TinyLMConfig:
    """Shape of a tiny decoder-only LM (defaults: about 0.8M non-embedding parameters)."""

    arch: Architecture = "llama"  # HF architecture: LlamaForCausalLM or GPT2LMHeadModel
    d_model: int = 128  # hidden size
    n_layers: int = 4  # decoder blocks
    n_heads: int = 4  # attention heads (d_model must divide evenly)
    d_ff: int = 344  # MLP inner size (LLaMA's ~8/3 * d_model, rounded)
    max_len: int = 256  # longest sequence in tokens (position limit)
    tie_embeddings: bool = True  # share input and output embeddings

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        for name in ("d_model", "n_layers", "n_heads", "d_ff", "max_len"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


def _llama(cfg: TinyLMConfig, vocab_size: int, special: dict[str, int]) -> PreTrainedModel:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=cfg.d_model, intermediate_size=cfg.d_ff,
        num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads, num_key_value_heads=cfg.n_heads,
        max_position_embeddings=cfg.max_len, tie_word_embeddings=cfg.tie_embeddings, **special,
    )
    return LlamaForCausalLM(config)


def _gpt2(cfg: TinyLMConfig, vocab_size: int, special: dict[str, int]) -> PreTrainedModel:
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=vocab_size, n_embd=cfg.d_model, n_layer=cfg.n_layers, n_head=cfg.n_heads,
        n_inner=cfg.d_ff, n_positions=cfg.max_len, tie_word_embeddings=cfg.tie_embeddings, **special,
    )
    return GPT2LMHeadModel(config)


ARCHITECTURES: dict[str, Callable[[TinyLMConfig, int, dict[str, int]], PreTrainedModel]] = {
    "llama": _llama,
    "gpt2": _gpt2,
}


def tiny_lm(cfg: TinyLMConfig, tokenizer, seed: int | None = None) -> PreTrainedModel:
    """A randomly initialised HF causal LM of shape `cfg` for `tokenizer`'s vocabulary.

    With `seed`, initialisation uses a private generator state (torch's global RNG is restored).
    """
    if cfg.arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {cfg.arch!r}; allowed: {', '.join(ARCHITECTURES)}")
    special = {
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    if seed is None:
        return ARCHITECTURES[cfg.arch](cfg, len(tokenizer), special)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ARCHITECTURES[cfg.arch](cfg, len(tokenizer), special)


def load_causal_lm(path: str | Path, dtype: torch.dtype | None = None) -> PreTrainedModel:
    """Load a causal LM from a local directory (`save_pretrained` output or a hub snapshot).

    Never downloads: a missing directory or one without `config.json` is an error naming it.
    """
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"no model at {str(path)!r}: expected a directory with config.json (no download is attempted)"
        )
    return AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=dtype)


def count_parameters(model: torch.nn.Module, non_embedding: bool = False) -> int:
    """Number of distinct parameters (tied weights once); `non_embedding` drops embedding tables."""
    seen: dict[int, int] = {}
    skip: set[int] = set()
    if non_embedding:
        for module in model.modules():
            if isinstance(module, torch.nn.Embedding):
                skip.add(id(module.weight))
        out = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
        if out is not None:
            skip.add(id(out.weight))
    for p in model.parameters():
        if id(p) not in skip:
            seen[id(p)] = p.numel()
    return sum(seen.values())
