"""Multiple-choice accuracy as lm-eval's `acc`: the choice whose continuation has the highest summed
log-probability after the prompt. When every continuation is one token (the generated skills), one forward pass
per prompt scores all its choices at once; otherwise each item is one packed sequence, its prompt computed once."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..lm.evaluate import continuation_log_likelihoods
from .skills import Item


def _padded(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded (N, T) ids and their lengths (N,)."""
    lengths = torch.tensor([len(r) for r in rows])
    ids = torch.full((len(rows), int(lengths.max())), pad, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return ids, lengths


@torch.no_grad()
def choice_correct(model: torch.nn.Module, tokenizer, items: Sequence[Item], batch_size: int = 512) -> np.ndarray:
    """(N,) bool: is each item's highest-scoring choice its answer. Right padding is safe for causal models: a
    position never attends to the padding after it."""
    if not items:
        return np.zeros(0, dtype=bool)
    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    prompts = tokenizer([it.prompt for it in items], add_special_tokens=False)["input_ids"]
    vocab = {c: tokenizer(c, add_special_tokens=False)["input_ids"] for it in items for c in it.choices}
    if all(len(ids) == 1 for ids in vocab.values()):
        width = max(len(it.choices) for it in items)
        choice_ids = torch.zeros(len(items), width, dtype=torch.long)
        valid = torch.zeros(len(items), width, dtype=torch.bool)
        for i, it in enumerate(items):
            choice_ids[i, : len(it.choices)] = torch.tensor([vocab[c][0] for c in it.choices])
            valid[i, : len(it.choices)] = True
        answers = torch.tensor([it.choices.index(it.answer) for it in items])
        correct = []
        for start in range(0, len(items), batch_size):
            ids, lengths = _padded(prompts[start : start + batch_size], pad)
            logits = model(input_ids=ids.to(device), use_cache=False).logits  # (B, T, V)
            last = logits[torch.arange(len(ids)), (lengths - 1).to(device)].float().cpu()  # (B, V)
            scores = last.gather(1, choice_ids[start : start + batch_size])
            scores[~valid[start : start + batch_size]] = -torch.inf
            correct.append(scores.argmax(1) == answers[start : start + batch_size])
        return torch.cat(correct).numpy()
    # general path: each item's prompt once with all its choices (lm.continuation_log_likelihoods), summed
    # log-probabilities of each choice's tokens
    totals = continuation_log_likelihoods(model, prompts, [[vocab[c] for c in it.choices] for it in items],
                                          max_tokens=batch_size * 8, pad_id=pad)
    return np.array([int(np.argmax(t)) == it.choices.index(it.answer) for t, it in zip(totals, items)], dtype=bool)


def skill_accuracy(model: torch.nn.Module, tokenizer, items_by_skill: dict[str, Sequence[Item]],
                   limit: int | None = None) -> dict[str, float]:
    """Accuracy per skill on its first `limit` items (None: all), as lm-eval's `limit` takes a prefix."""
    return {skill: float(choice_correct(model, tokenizer, list(items)[:limit]).mean())
            for skill, items in items_by_skill.items()}
