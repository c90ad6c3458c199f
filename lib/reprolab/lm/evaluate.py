"""Evaluation of causal LMs: mean token loss and perplexity, greedy generation, exact match."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import torch

from .tasks import Example, exact_match


@torch.no_grad()
def sequence_losses(model: torch.nn.Module, data: Mapping[str, torch.Tensor],
                    batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Per-sequence summed next-token cross-entropy (nats) and labelled-token counts, each (N,) float64.

    The per-item scores the evidence engine pairs across arms; `mean_loss` is their token-weighted mean.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    sums, counts = [], []
    with torch.no_grad():
        for i in range(0, data["input_ids"].shape[0], batch_size):
            batch = {k: v[i : i + batch_size].to(device) for k, v in data.items()}
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits[:, :-1]  # (B, T-1, V)
            labels = batch["labels"][:, 1:]  # (B, T-1)
            losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2).float(), labels, ignore_index=-100,
                                                       reduction="none")  # (B, T-1)
            sums.append(losses.double().sum(dim=1).cpu())
            counts.append((labels != -100).sum(dim=1).cpu())
    model.train(was_training)
    return torch.cat(sums).numpy(), torch.cat(counts).double().numpy()


def mean_loss(model: torch.nn.Module, data: Mapping[str, torch.Tensor], batch_size: int = 32) -> float:
    """Mean next-token cross-entropy in nats over all labelled tokens of `data` ((N, T) tensors)."""
    sums, counts = sequence_losses(model, data, batch_size)
    if counts.sum() == 0:
        raise ValueError("no labelled tokens to evaluate (all labels are -100)")
    return float(sums.sum() / counts.sum())


def perplexity(model: torch.nn.Module, data: Mapping[str, torch.Tensor], batch_size: int = 32) -> float:
    """exp(mean token loss) over the labelled tokens of `data`."""
    return math.exp(mean_loss(model, data, batch_size))


@torch.no_grad()
def generate(model, tokenizer, prompts: Sequence[str], max_new_tokens: int = 32, batch_size: int = 64,
             stop: str | None = "####", stop_strings: Sequence[str] | None = None) -> list[str]:
    """Greedy continuations of `prompts` (the new text only), batched with left padding.

    stop: cut each continuation after the line that follows the first occurrence of `stop`
    (default: just after the answer line); None keeps all `max_new_tokens`. stop_strings: a sequence ends as soon
    as it has written one of these (transformers' `stop_strings`; the string stays in the text), so a batch
    finishes when its longest answer does instead of after `max_new_tokens`.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    outputs: list[str] = []
    try:
        for i in range(0, len(prompts), batch_size):
            enc = tokenizer(list(prompts[i : i + batch_size]), return_tensors="pt", padding=True,
                            add_special_tokens=False).to(device)
            stops = dict(stop_strings=list(stop_strings), tokenizer=tokenizer) if stop_strings else {}
            ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, **stops)
            new = ids[:, enc["input_ids"].shape[1]:]  # (B, new tokens)
            outputs.extend(tokenizer.batch_decode(new, skip_special_tokens=True))
    finally:
        tokenizer.padding_side = side
        model.train(was_training)
    return [_cut(o, stop) for o in outputs]


def _cut(text: str, stop: str | None) -> str:
    if stop is None or stop not in text:
        return text
    head, tail = text.split(stop, 1)
    return head + stop + tail.split("\n", 1)[0] + "\n"


def exact_match_accuracy(model, tokenizer, examples: Sequence[Example], max_new_tokens: int = 48,
                         batch_size: int = 64) -> tuple[float, list[str]]:
    """Share of `examples` whose generated answer line equals the answer, and the generations."""
    predictions = generate(model, tokenizer, [e.prompt for e in examples], max_new_tokens, batch_size)
    return float(np.mean(exact_match(predictions, list(examples)))), predictions


def unigram_log_probs(train_ids: torch.Tensor, vocab_size: int, smoothing: float = 1.0) -> torch.Tensor:
    """(vocab_size,) float64 log-probabilities of the add-`smoothing` unigram model of `train_ids`."""
    counts = torch.bincount(train_ids.reshape(-1), minlength=vocab_size).double() + smoothing
    return torch.log(counts / counts.sum())


def unigram_cross_entropy(train_ids: torch.Tensor, eval_ids: torch.Tensor, vocab_size: int, smoothing: float = 1.0) -> float:
    """Cross-entropy in nats/token of `eval_ids` under the add-`smoothing` unigram model of `train_ids`.

    The loss of the best context-free predictor: a language model that beats it uses context.
    """
    return float(-unigram_log_probs(train_ids, vocab_size, smoothing)[eval_ids.reshape(-1)].mean())
