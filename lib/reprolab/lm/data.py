"""Turn text and task examples into fixed-shape token tensors for training and evaluation."""

from __future__ import annotations

from typing import Sequence

import torch

from .tasks import Example

IGNORE_INDEX = -100  # label value that the HF causal-LM loss skips


def pack_text(tokenizer, texts: Sequence[str], block_size: int) -> dict[str, torch.Tensor]:
    """Concatenate `texts` (each followed by EOS) and cut into blocks; the tail that does not fill
    a block is dropped. Returns input_ids and labels, each (N, block_size) int64."""
    if block_size < 2:
        raise ValueError(f"block_size must be at least 2, got {block_size}")
    ids: list[int] = []
    for ids_one in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        ids.extend(ids_one)
        ids.append(tokenizer.eos_token_id)
    n = len(ids) // block_size
    if n == 0:
        raise ValueError(f"{len(ids)} tokens do not fill one block of {block_size}")
    blocks = torch.tensor(ids[: n * block_size], dtype=torch.long).view(n, block_size)  # (N, T)
    return {"input_ids": blocks, "labels": blocks.clone()}


def sft_tensors(tokenizer, examples: Sequence[Example], block_size: int, train_on_prompt: bool = False) -> dict[str, torch.Tensor]:
    """Right-padded prompt+completion+EOS sequences, (N, block_size) each: input_ids,
    attention_mask, and labels with padding (and, unless `train_on_prompt`, the prompt) masked."""
    prompts = tokenizer([e.prompt for e in examples], add_special_tokens=False)["input_ids"]
    completions = tokenizer([e.completion for e in examples], add_special_tokens=False)["input_ids"]
    input_ids = torch.full((len(examples), block_size), tokenizer.pad_token_id, dtype=torch.long)
    labels = torch.full((len(examples), block_size), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), block_size), dtype=torch.long)
    for i, (p, c) in enumerate(zip(prompts, completions)):
        seq = p + c + [tokenizer.eos_token_id]
        if len(seq) > block_size:
            raise ValueError(f"example {i} is {len(seq)} tokens long, more than block_size={block_size}")
        input_ids[i, : len(seq)] = torch.tensor(seq)
        mask[i, : len(seq)] = 1
        start = 0 if train_on_prompt else len(p)
        labels[i, start : len(seq)] = torch.tensor(seq[start:])
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}


def concat(*parts: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Stack several tensor dicts of the same block size into one (missing attention masks = ones)."""
    keys = ("input_ids", "attention_mask", "labels")
    out = {}
    for key in keys:
        tensors = []
        for part in parts:
            if key in part:
                tensors.append(part[key])
            elif key == "attention_mask":
                tensors.append(torch.ones_like(part["input_ids"]))
            else:
                raise ValueError(f"a part lacks {key!r}; each part needs input_ids and labels")
        out[key] = torch.cat(tensors)
    return out
