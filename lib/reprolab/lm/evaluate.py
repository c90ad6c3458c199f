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


def _packed_rows(prompt: list[int], options: list[list[int]]) -> tuple[list[int], list[int], list[int], list[int]]:
    """One item as one sequence: its prompt once, then every option. Returns the tokens, their positions (each option
    starts again after the prompt), each token's segment (0 the prompt, j + 1 option j) and, per option token, the
    index of the token whose next-token distribution scores it (the prompt's last token for an option's first)."""
    ids, positions, segment, source = list(prompt), list(range(len(prompt))), [0] * len(prompt), []
    for j, opt in enumerate(options):
        start = len(ids)
        ids += opt
        positions += range(len(prompt), len(prompt) + len(opt))
        segment += [j + 1] * len(opt)
        source += [len(prompt) - 1] + list(range(start, start + len(opt) - 1))
    return ids, positions, segment, source


def _packed_mask(segment: torch.Tensor, length: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, 1, T, T) additive float mask for packed rows (B, T): a token sees the prompt and the earlier tokens of
    its own option; padding (from `length` on) sees only itself, so no row of the softmax is empty."""
    T = segment.shape[1]
    idx = torch.arange(T)
    causal = idx[None, :] <= idx[:, None]  # (T, T) key <= query
    same = (segment[:, :, None] == segment[:, None, :]) | (segment[:, None, :] == 0)  # (B, T, T) same option or prompt
    real = idx[None, :] < length[:, None]  # (B, T)
    allowed = causal & same & real[:, None, :] & real[:, :, None]
    allowed |= torch.eye(T, dtype=torch.bool)[None] & ~real[:, :, None]
    return torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed, torch.finfo(dtype).min)[:, None]


@torch.no_grad()
def continuation_log_likelihoods(model: torch.nn.Module, prompts: Sequence[list[int]],
                                 options: Sequence[Sequence[list[int]]], max_tokens: int = 4096,
                                 pad_id: int = 0) -> list[np.ndarray]:
    """Per item, the summed log-probability (nats) of each option's tokens after its prompt, a list of (n_options,)
    float64 arrays, as scoring each (prompt, option) sequence alone would give, with the prompt computed once: an
    item is one packed sequence (prompt, then its options, each restarting its positions after the prompt) under a
    4-D attention mask that lets an option see only the prompt and itself. For Hugging Face causal LMs that take a
    4-D additive `attention_mask` and `position_ids` (Llama, Qwen, Mistral, GPT-2, ...). Items are sorted by
    packed length and batched up to `max_tokens` padded tokens; the output head runs on the scored positions only.

    prompts[i]: token ids (at least one); options[i][j]: token ids of option j (at least one each)."""
    if len(prompts) != len(options):
        raise ValueError(f"need one list of options per prompt, got {len(prompts)} prompts and {len(options)} lists")
    if any(not p for p in prompts) or any(not o for opts in options for o in opts):
        raise ValueError("every prompt and every option needs at least one token")
    packed = [_packed_rows(list(p), [list(o) for o in opts]) for p, opts in zip(prompts, options)]
    order = sorted(range(len(packed)), key=lambda i: len(packed[i][0]))
    device, dtype = next(model.parameters()).device, next(model.parameters()).dtype
    out: list[np.ndarray] = [np.zeros(0)] * len(packed)
    was_training = model.training
    model.eval()
    try:
        start = 0
        while start < len(order):
            stop = start + 1  # the longest item of the batch is its last (sorted): grow while it fits
            while stop < len(order) and len(packed[order[stop]][0]) * (stop - start + 1) <= max_tokens:
                stop += 1
            chunk = [packed[i] for i in order[start:stop]]
            T = len(chunk[-1][0])
            ids = torch.full((len(chunk), T), pad_id, dtype=torch.long)
            positions = torch.zeros((len(chunk), T), dtype=torch.long)
            segment = torch.zeros((len(chunk), T), dtype=torch.long)
            for b, (row, pos, seg, _) in enumerate(chunk):
                ids[b, :len(row)], positions[b, :len(row)], segment[b, :len(row)] = (
                    torch.tensor(row), torch.tensor(pos), torch.tensor(seg))
            lengths = torch.tensor([len(c[0]) for c in chunk])
            rows = torch.cat([torch.full((len(c[3]),), b) for b, c in enumerate(chunk)])
            sources = torch.cat([torch.tensor(c[3]) for c in chunk])
            targets = ids[rows, torch.cat([torch.tensor([k for k, s in enumerate(c[2]) if s > 0]) for c in chunk])]
            logp = _log_probs_at(model, ids.to(device), _packed_mask(segment, lengths, dtype).to(device),
                                 positions.to(device), rows.to(device), sources.to(device))  # (M, V)
            token_lp = logp.gather(1, targets[:, None].to(device))[:, 0].double().cpu()
            k = 0
            for i, (_, _, seg, _) in zip(order[start:stop], chunk):
                per_option = torch.tensor([s - 1 for s in seg if s > 0])  # the option of each scored token
                n = len(per_option)
                out[i] = torch.zeros(max(seg), dtype=torch.float64).index_add_(
                    0, per_option, token_lp[k:k + n]).numpy()
                k += n
            start = stop
    finally:
        model.train(was_training)
    return out


def _log_probs_at(model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor,
                  rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """log-softmax (M, V) fp32 of the next-token distribution at positions (rows[m], cols[m]). For HF causal LMs whose
    logits are the output head of the backbone's last hidden state, the head runs on those positions only (the head
    of a 49k vocabulary costs as much as 8 decoder layers of a 135M model); others compute every position's logits."""
    backbone = getattr(model, getattr(model, "base_model_prefix", ""), None)
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    config = getattr(model, "config", None)
    plain = getattr(config, "final_logit_softcapping", None) is None and not hasattr(config, "logit_scale")
    if backbone is not None and head is not None and plain and backbone is not model:
        hidden = backbone(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False).last_hidden_state
        return torch.log_softmax(head(hidden[rows, cols]).float(), -1)
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False).logits
    return torch.log_softmax(logits[rows, cols].float(), -1)
