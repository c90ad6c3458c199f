"""One-shot pruning of a causal LM's linear layers: magnitude, Wanda and SparseGPT, unstructured or N:M.

Wanda (Sun et al. 2024) scores W_ij by |W_ij| * ||X_j||_2 and removes the lowest scores of every output row;
SparseGPT (Frantar & Alistarh 2023) removes by w^2 / [H^-1]_jj block by block and updates the remaining weights
of the row to compensate (H = X^T X). Both prune decoder layer by layer: the calibration inputs of layer l are the
outputs of the already-pruned layers < l. Layers are called with the keyword arguments the model itself passes to
them (captured by a pre-hook), so rotary embeddings and masks follow the installed transformers version.
Masks are bool tensors (True = kept) with an exact count: floor(s * n_in) removed per row (per_row), floor(s *
numel) per matrix, or m - n per group of m consecutive inputs (N:M keeps n of every m).
"""

from __future__ import annotations

import math
from typing import Iterable, Literal, Mapping

import torch

PRUNERS = ("magnitude", "wanda", "sparsegpt")


def target_modules(model: torch.nn.Module) -> dict[str, torch.nn.Linear]:
    """Every nn.Linear except the output head (LLaMA: q, k, v, o, gate, up, down of each block), by name."""
    return {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and "lm_head" not in n}


def check_sparsity(sparsity: float, nm: tuple[int, int] | None = None) -> None:
    """Raise a ValueError naming the allowed values unless 0 <= sparsity < 1 (or nm = (n, m) with 0 < n < m)."""
    if nm is not None:
        n, m = nm
        if not 0 < n < m:
            raise ValueError(f"N:M sparsity keeps n of every m inputs and needs 0 < n < m, got {nm}")
    elif not 0 <= sparsity < 1:
        raise ValueError(f"sparsity is the fraction of weights removed and must be in [0, 1), got {sparsity}")


def keep_mask(score: torch.Tensor, sparsity: float, per_row: bool = True, nm: tuple[int, int] | None = None) -> torch.Tensor:
    """Bool mask (True = kept) of a (rows, n_in) score that removes the lowest scores with an exact count."""
    check_sparsity(sparsity, nm)
    rows, n_in = score.shape
    if nm is not None:
        n, m = nm
        if n_in % m:
            raise ValueError(f"N:M sparsity needs the input size ({n_in}) to be a multiple of m = {m}")
        groups = score.reshape(rows, n_in // m, m)
        mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(2, groups.topk(n, dim=2).indices, True)
        return mask.view(rows, n_in)
    if per_row:
        keep = n_in - math.floor(sparsity * n_in)
        return torch.zeros_like(score, dtype=torch.bool).scatter_(1, score.topk(keep, dim=1).indices, True)
    keep = score.numel() - math.floor(sparsity * score.numel())
    flat = torch.zeros(score.numel(), dtype=torch.bool, device=score.device)
    flat[score.reshape(-1).topk(keep).indices] = True
    return flat.view_as(score)


def wanda_score(weight: torch.Tensor, input_sq_norm: torch.Tensor) -> torch.Tensor:
    """|W_ij| * ||X_j||_2 for W (rows, n_in) and the summed squared inputs per input channel (n_in,)."""
    return weight.detach().abs().float() * input_sq_norm.float().sqrt()[None, :]


@torch.no_grad()
def sparsegpt_prune(weight: torch.Tensor, hessian: torch.Tensor, sparsity: float, nm: tuple[int, int] | None = None,
                    block_size: int = 128, damping: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
    """SparseGPT on one matrix: (pruned and compensated weight, kept mask).

    weight: (rows, n_in); hessian: X^T X (n_in, n_in) summed over calibration tokens. Within each block of
    `block_size` columns the removed entries are those with the smallest w^2 / [H^-1]_jj (the count per block is
    the exact cumulative share, so the matrix loses exactly floor(s * numel) entries); each removed weight's error
    is spread over the later columns of its row through the Cholesky factor of H^-1.
    """
    check_sparsity(sparsity, nm)
    w = weight.detach().clone().float()
    rows, n_in = w.shape
    if nm is not None and (n_in % nm[1] or block_size % nm[1]):
        raise ValueError(f"N:M sparsity needs the input size ({n_in}) and block_size ({block_size}) to be multiples of m = {nm[1]}")
    h = hessian.detach().clone().float()
    dead = torch.diag(h) == 0
    h[dead, dead] = 1.0
    w[:, dead] = 0.0
    h.diagonal().add_(damping * torch.diag(h).mean())
    hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(h)), upper=True)
    removed = torch.zeros_like(w, dtype=torch.bool)
    total = math.floor(sparsity * w.numel())
    for start in range(0, n_in, block_size):
        end = min(start + block_size, n_in)
        w1, hinv1 = w[:, start:end].clone(), hinv[start:end, start:end]
        err1 = torch.zeros_like(w1)
        d = torch.diag(hinv1)
        if nm is None:
            count = math.floor(total * end / n_in) - math.floor(total * start / n_in)
            score = (w1 ** 2 / d[None, :] ** 2).reshape(-1)
            block_removed = torch.zeros(score.numel(), dtype=torch.bool, device=w1.device)
            if count:
                block_removed[score.topk(count, largest=False).indices] = True
            block_removed = block_removed.view_as(w1)
        else:
            block_removed = torch.zeros_like(w1, dtype=torch.bool)
        for i in range(end - start):
            if nm is not None and i % nm[1] == 0:
                group = w1[:, i:i + nm[1]] ** 2 / d[None, i:i + nm[1]] ** 2
                block_removed[:, i:i + nm[1]].scatter_(1, group.topk(nm[1] - nm[0], dim=1, largest=False).indices, True)
            col = w1[:, i]
            q = torch.where(block_removed[:, i], torch.zeros_like(col), col)
            err = (col - q) / hinv1[i, i]
            w1[:, i:] -= err[:, None] * hinv1[i, i:][None, :]
            w1[:, i] = q
            err1[:, i] = err
        w[:, start:end] = w1
        w[:, end:] -= err1 @ hinv[start:end, end:]
        removed[:, start:end] = block_removed
    w[removed] = 0.0
    return w.to(weight.dtype), ~removed


def decoder_layers_path(model: torch.nn.Module) -> str:
    """Where the decoder blocks of an HF causal LM live, e.g. 'model.layers' (LLaMA/Mistral/Qwen), 'transformer.h'
    (GPT-2), 'model.decoder.layers' (OPT) or 'gpt_neox.layers'."""
    for path in ("model.layers", "transformer.h", "model.decoder.layers", "gpt_neox.layers"):
        obj = model
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, torch.nn.ModuleList):
            return path
    raise ValueError(f"cannot find the decoder layers of {type(model).__name__}; "
                     "supported layouts: model.layers, transformer.h, model.decoder.layers, gpt_neox.layers")


def decoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The list of decoder blocks of an HF causal LM (see `decoder_layers_path`)."""
    return model.get_submodule(decoder_layers_path(model))


class _StopForward(Exception):
    pass


@torch.no_grad()
def _first_layer_inputs(model: torch.nn.Module, batches: Iterable[Mapping[str, torch.Tensor]]) -> list[tuple[tuple, dict]]:
    """(args, kwargs) with which the model calls its first decoder layer, one pair per calibration batch."""
    captured = []

    def grab(_module, args, kwargs):
        captured.append((args, kwargs))
        raise _StopForward

    handle = decoder_layers(model)[0].register_forward_pre_hook(grab, with_kwargs=True)
    device = next(model.parameters()).device
    try:
        for batch in batches:
            inputs = {k: v.to(device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
            try:
                model(**inputs, use_cache=False)
            except _StopForward:
                pass
    finally:
        handle.remove()
    if not captured:
        raise ValueError("no calibration batches were given")
    return captured


def _with_hidden(args: tuple, kwargs: dict, hidden: torch.Tensor) -> tuple[tuple, dict]:
    if args:
        return (hidden,) + tuple(args[1:]), kwargs
    return args, {**kwargs, "hidden_states": hidden}


@torch.no_grad()
def prune_model(model: torch.nn.Module, method: Literal["magnitude", "wanda", "sparsegpt"], sparsity: float,
                batches: Iterable[Mapping[str, torch.Tensor]] | None = None, nm: tuple[int, int] | None = None,
                per_row: bool | None = None) -> dict[str, torch.Tensor]:
    """Prune every target linear (see `target_modules`) of `model` in place; returns the kept masks by name.

    batches: calibration batches (dicts with input_ids, optional attention_mask), needed by wanda and sparsegpt.
    per_row: compare scores within each output row (None: True for wanda, False for magnitude, as in the Wanda
    repository; SparseGPT chooses per block). Layers are processed in order, each calibrated on the outputs of the
    already-pruned layers before it.
    """
    if method not in PRUNERS:
        raise ValueError(f"unknown pruner {method!r}; allowed: {', '.join(PRUNERS)}")
    check_sparsity(sparsity, nm)
    modules = target_modules(model)
    if not modules:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layers to prune (GPT-2's Conv1D layers are not supported)")
    if method == "magnitude":
        masks = {}
        for name, module in modules.items():
            masks[name] = keep_mask(module.weight.abs(), sparsity, bool(per_row), nm)
            module.weight.mul_(masks[name])
        return masks
    if batches is None:
        raise ValueError(f"the {method} pruner needs calibration batches")
    was_training = model.training
    model.eval()
    inputs = _first_layer_inputs(model, batches)
    masks = {}
    for layer in decoder_layers(model):
        linears = {n: m for n, m in modules.items() if any(m is x for x in layer.modules())}
        stats: dict[str, torch.Tensor] = {}

        def collect(name: str):
            def hook(_module, args, _output):
                x = args[0].detach().reshape(-1, args[0].shape[-1]).float()
                add = x.T @ x if method == "sparsegpt" else (x ** 2).sum(0)
                stats[name] = stats[name] + add if name in stats else add
            return hook

        handles = [m.register_forward_hook(collect(n)) for n, m in linears.items()]
        try:
            for args, kwargs in inputs:
                layer(*args, **kwargs)
        finally:
            for h in handles:
                h.remove()
        for name, module in linears.items():
            if method == "wanda":
                masks[name] = keep_mask(wanda_score(module.weight, stats[name]), sparsity, per_row is not False, nm)
                module.weight.mul_(masks[name])
            else:
                pruned, masks[name] = sparsegpt_prune(module.weight, stats[name], sparsity, nm)
                module.weight.copy_(pruned)
        outputs = []
        for args, kwargs in inputs:
            out = layer(*args, **kwargs)
            outputs.append(_with_hidden(args, kwargs, out[0] if isinstance(out, tuple) else out))
        inputs = outputs
    model.train(was_training)
    return masks


def sparsity_of(masks: Mapping[str, torch.Tensor]) -> float:
    """Fraction of removed entries over all masks (True = kept)."""
    kept = sum(int(m.sum()) for m in masks.values())
    return 1.0 - kept / sum(m.numel() for m in masks.values())
