"""Empirical spectral densities (ESDs) of weight matrices and their heavy-tail exponent alpha.

The ESD of W (out x in) is the eigenvalues of the correlation matrix W^T W, i.e. the squared singular values,
without a 1/N factor (alpha only depends on eigenvalue ratios). Matrices of one shape are stacked and go through
one batched `eigvalsh` of the smaller Gram matrix. Two fits of p(lambda) ~ lambda^-alpha above x_min:

- `hill_alpha`: x_min fixed at the median eigenvalue (the paper's default, 'PL_Alpha_Hill', xmin_pos = 2);
- `ks_alpha`: x_min chosen among all eigenvalues by the smallest Kolmogorov-Smirnov distance between the
  empirical and fitted tail CDFs (Clauset et al.; what WeightWatcher does). O(n^2) memory per matrix.

Both use the continuous power-law MLE alpha = 1 + k / sum_{lambda_j >= x_min} ln(lambda_j / x_min).
"""

from __future__ import annotations

from collections import defaultdict

import torch


def eigenvalues(weights: list[torch.Tensor], dtype: torch.dtype = torch.float64) -> list[torch.Tensor]:
    """Ascending eigenvalues of W^T W for each matrix (n = min(out, in) values each), one eigvalsh per shape."""
    by_shape: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, w in enumerate(weights):
        if w.ndim != 2:
            raise ValueError(f"matrix {i} has shape {tuple(w.shape)}; ESDs need 2-d weights")
        by_shape[tuple(w.shape)].append(i)
    out: list[torch.Tensor | None] = [None] * len(weights)
    for (rows, cols), idx in by_shape.items():
        stack = torch.stack([weights[i].detach() for i in idx]).to(dtype)
        gram = stack.mT @ stack if rows >= cols else stack @ stack.mT
        eigs = torch.linalg.eigvalsh(gram).clamp_min(torch.finfo(dtype).tiny)
        for k, i in enumerate(idx):
            out[i] = eigs[k]
    return out  # type: ignore[return-value]


def hill_alpha(eigs: torch.Tensor, xmin_pos: int = 2) -> torch.Tensor:
    """alpha with x_min = the eigenvalue at index n // xmin_pos of the ascending eigs (..., n); shape (...)."""
    if xmin_pos < 1:
        raise ValueError(f"xmin_pos must be >= 1, got {xmin_pos}")
    n = eigs.shape[-1]
    i = n // xmin_pos
    tail = eigs[..., i:]
    logs = torch.log(tail / tail[..., :1]).sum(-1)
    return 1 + (n - i) / logs


def ks_alpha(eigs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(alpha, x_min) of the KS-optimal power-law tail of one ascending eigenvalue vector (n,)."""
    n = eigs.shape[-1]
    logs = torch.log(eigs)
    count = n - torch.arange(n - 1, dtype=eigs.dtype, device=eigs.device)  # tail sizes for x_min = eigs[i]
    suffix = torch.flip(torch.cumsum(torch.flip(logs, [0]), 0), [0])[:-1]  # sum_{j >= i} ln lambda_j
    alphas = 1 + count / (suffix - count * logs[:-1])
    j = torch.arange(n, device=eigs.device)
    i = j[:-1, None]
    rank = (j[None, :] - i).to(eigs.dtype)  # position within the tail
    fitted = 1 - torch.exp((1 - alphas[:, None]) * (logs[None, :] - logs[:-1, None]))
    gap = torch.where(rank >= 0, (fitted - rank / count[:, None]).abs(), torch.zeros_like(fitted))
    distance = torch.where(alphas > 1, gap.amax(-1), torch.ones_like(alphas))
    best = int(torch.argmin(distance))
    return alphas[best], eigs[best]


def module_alphas(weights: list[torch.Tensor], fit: str = "hill", xmin_pos: int = 2,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """alpha of each matrix, shape (len(weights),), with fit 'hill' (median x_min) or 'ks' (KS-selected x_min).

    float32 eigenvalues are 2x faster and give the Hill alpha to ~1e-5; use float64 to compare with other tools.
    """
    if fit not in ("hill", "ks"):
        raise ValueError(f"fit must be 'hill' or 'ks', got {fit!r}")
    eigs = eigenvalues(weights, dtype)
    if fit == "hill":
        return torch.stack([hill_alpha(e, xmin_pos) for e in eigs]).float()
    return torch.stack([ks_alpha(e)[0] for e in eigs]).float()


def weightwatcher_alphas(model: torch.nn.Module) -> dict[str, float]:
    """WeightWatcher's alpha (KS-selected x_min) of every layer it analyses, by module name (needs `weightwatcher`)."""
    import weightwatcher

    table = weightwatcher.WeightWatcher(model=model).analyze()
    return dict(zip(table["longname"], table["alpha"].astype(float)))
