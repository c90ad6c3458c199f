"""Multiple-choice accuracy as lm-eval's `acc`: the choice whose continuation has the highest summed
log-probability after the prompt. When every continuation is one token (the generated skills), one forward pass
per prompt scores all its choices at once."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

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
    # general path: one sequence per (item, choice), summed log-probabilities of the continuation tokens; sequences
    # sorted by length (little padding), the output head applied only where a continuation token is predicted
    rows, spans = [], []
    for it, p in zip(items, prompts):
        for c in it.choices:
            rows.append(p + vocab[c])
            spans.append((len(p), len(p) + len(vocab[c])))
    order = sorted(range(len(rows)), key=lambda j: len(rows[j]))
    totals = torch.empty(len(rows))
    step = max(1, batch_size // 8)  # multi-token rows are long: fewer per batch
    for start in range(0, len(rows), step):
        chunk = order[start : start + step]
        ids, lengths = _padded([rows[j] for j in chunk], pad)
        scored = torch.zeros(ids.shape, dtype=torch.bool)  # positions whose next token is a continuation token
        for b, j in enumerate(chunk):
            s, e = spans[j]
            scored[b, s - 1 : e - 1] = True
        logp = _scored_log_probs(model, ids.to(device), scored.to(device)).cpu()  # (M, V) over the scored positions
        targets = ids[:, 1:][scored[:, :-1]]  # (M,) the token each scored position predicts
        token_lp = logp.gather(1, targets[:, None])[:, 0]
        owner = torch.arange(len(chunk))[:, None].expand_as(scored)[scored]
        totals[torch.tensor(chunk)] = torch.zeros(len(chunk)).index_add_(0, owner, token_lp)
    correct, k = [], 0
    for it in items:
        n = len(it.choices)
        correct.append(int(totals[k : k + n].argmax()) == it.choices.index(it.answer))
        k += n
    return np.array(correct, dtype=bool)


def _scored_log_probs(model: torch.nn.Module, ids: torch.Tensor, scored: torch.Tensor) -> torch.Tensor:
    """log-softmax (M, V) fp32 of the next-token distribution at the M positions where `scored` (B, T) is True. For
    HF causal LMs whose logits are the output head of the backbone's last hidden state (Llama, Qwen, Mistral, ...),
    the head runs on those positions only (the head of a 49k vocabulary costs as much as 8 decoder layers of a
    135M model); other models compute every position's logits and keep the scored ones."""
    backbone = getattr(model, getattr(model, "base_model_prefix", ""), None)
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    config = getattr(model, "config", None)
    plain = getattr(config, "final_logit_softcapping", None) is None and not hasattr(config, "logit_scale")
    if backbone is not None and head is not None and plain and backbone is not model:
        hidden = backbone(input_ids=ids, use_cache=False).last_hidden_state  # (B, T, H)
        return torch.log_softmax(head(hidden[scored]).float(), -1)
    return torch.log_softmax(model(input_ids=ids, use_cache=False).logits[scored].float(), -1)


def skill_accuracy(model: torch.nn.Module, tokenizer, items_by_skill: dict[str, Sequence[Item]],
                   limit: int | None = None) -> dict[str, float]:
    """Accuracy per skill on its first `limit` items (None: all), as lm-eval's `limit` takes a prefix."""
    return {skill: float(choice_correct(model, tokenizer, list(items)[:limit]).mean())
            for skill, items in items_by_skill.items()}
