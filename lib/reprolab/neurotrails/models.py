"""Multi-head networks: a shared trunk and M heads, the heads packed into grouped layers so that one call runs all.

Vision: a 1-D ResNet (stem + stages of residual blocks + pooling + linear) for mnist1d-like signals (B, 1, L). The
last `blocks_in_head` of its units (units = the stem and every residual block) belong to each head; a head's layers
are grouped convolutions with `groups = M` over M copies of the trunk's output, which computes exactly M independent
heads (each independently initialised) in one call. `blocks_in_head = 0` shares everything but the classifier;
`blocks_in_head = n_units` gives M fully independent networks (a deep ensemble). Output logits: (B, M, classes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ResNet1dConfig:
    """Shape of the 1-D ResNet (defaults: 3 stages x 2 blocks, widths 32/64/128, kernel 5)."""

    channels: tuple[int, ...] = (32, 64, 128)
    blocks_per_stage: int = 2
    kernel: int = 5
    n_classes: int = 10

    @property
    def n_units(self) -> int:
        """The stem plus every residual block: the positions where the trunk can end."""
        return 1 + len(self.channels) * self.blocks_per_stage


class PackedBlock1d(nn.Module):
    """A residual block (conv-BN-ReLU-conv-BN + shortcut) for `groups` independent networks at once."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int, groups: int) -> None:
        super().__init__()
        g = groups
        self.conv1 = nn.Conv1d(g * c_in, g * c_out, kernel, stride, kernel // 2, groups=g, bias=False)
        self.bn1 = nn.BatchNorm1d(g * c_out)
        self.conv2 = nn.Conv1d(g * c_out, g * c_out, kernel, 1, kernel // 2, groups=g, bias=False)
        self.bn2 = nn.BatchNorm1d(g * c_out)
        self.shortcut = (nn.Sequential(nn.Conv1d(g * c_in, g * c_out, 1, stride, groups=g, bias=False),
                                       nn.BatchNorm1d(g * c_out)) if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class PackedStem1d(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, groups: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(groups * c_in, groups * c_out, kernel, 1, kernel // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm1d(groups * c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class PackedClassifier(nn.Module):
    """Global average pooling and one linear layer per group, as a grouped 1x1 convolution: (B, g c, L) -> (B, g, k)."""

    def __init__(self, c_in: int, n_classes: int, groups: int) -> None:
        super().__init__()
        self.groups = groups
        self.fc = nn.Conv1d(groups * c_in, groups * n_classes, 1, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.mean(-1, keepdim=True)).view(x.shape[0], self.groups, -1)


def _units(cfg: ResNet1dConfig, groups: int) -> list[tuple[nn.Module, int]]:
    """Every unit of the network in order with its output width."""
    units: list[tuple[nn.Module, int]] = [(PackedStem1d(1, cfg.channels[0], cfg.kernel, groups), cfg.channels[0])]
    c_in = cfg.channels[0]
    for s, c in enumerate(cfg.channels):
        for b in range(cfg.blocks_per_stage):
            stride = 2 if s > 0 and b == 0 else 1
            units.append((PackedBlock1d(c_in, c, stride, cfg.kernel, groups), c))
            c_in = c
    return units


@dataclass
class ModelOutput:
    """What `reprolab.lm.train` reads: the loss (mean of the heads' cross-entropies) and the logits (B, M, k)."""

    logits: torch.Tensor
    loss: torch.Tensor | None = None
    extra: dict = field(default_factory=dict)


class MultiHeadResNet1d(nn.Module):
    """Trunk (the first n_units - blocks_in_head units, shared) and M packed heads (the rest + a classifier)."""

    def __init__(self, cfg: ResNet1dConfig, n_heads: int = 3, blocks_in_head: int = 4) -> None:
        super().__init__()
        if n_heads < 1:
            raise ValueError(f"the number of heads M must be at least 1, got {n_heads}")
        if not 0 <= blocks_in_head <= cfg.n_units:
            raise ValueError(f"blocks_in_head must be in [0, {cfg.n_units}] (the stem and {cfg.n_units - 1} residual "
                             f"blocks), got {blocks_in_head}")
        self.cfg, self.n_heads, self.blocks_in_head = cfg, n_heads, blocks_in_head
        shared = cfg.n_units - blocks_in_head
        self.trunk = nn.Sequential(*[u for u, _ in _units(cfg, 1)[:shared]])
        head_units = _units(cfg, n_heads)[shared:]
        self.heads = nn.Sequential(*[u for u, _ in head_units],
                                   PackedClassifier(cfg.channels[-1], cfg.n_classes, n_heads))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> ModelOutput:
        """x: (B, 1, L) or (B, L); labels: (B,). Heads see M copies of the trunk's features."""
        if x.ndim == 2:
            x = x[:, None, :]
        h = self.trunk(x)
        logits = self.heads(h.repeat(1, self.n_heads, 1))  # (B, M, k)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.repeat_interleave(self.n_heads))
        return ModelOutput(logits, loss)

    def masked_weights(self) -> tuple[dict[str, nn.Parameter], dict[str, int]]:
        """Every conv/linear weight (trunk and heads) by name, with the number of packed heads in each."""
        weights, groups = {}, {}
        for prefix, part, g in (("trunk", self.trunk, 1), ("heads", self.heads, self.n_heads)):
            for name, p in part.named_parameters():
                if p.ndim >= 2:
                    weights[f"{prefix}.{name}"], groups[f"{prefix}.{name}"] = p, g
        return weights, groups


def _slice(module: nn.Module, h: int, g: int) -> nn.Module:
    """A copy of packed `module` holding only head h of its g groups (groups=1 convolutions, sliced norms)."""
    import copy

    out = copy.deepcopy(module)
    for name, child in list(out.named_modules()):
        if isinstance(child, nn.Conv1d):
            c_out = child.out_channels // g
            new = nn.Conv1d(child.in_channels // g, c_out, child.kernel_size, child.stride, child.padding,
                            bias=child.bias is not None)
            new.weight.data.copy_(child.weight.data[h * c_out:(h + 1) * c_out])
            if child.bias is not None:
                new.bias.data.copy_(child.bias.data[h * c_out:(h + 1) * c_out])
        elif isinstance(child, nn.BatchNorm1d):
            c = child.num_features // g
            new = nn.BatchNorm1d(c)
            for key in ("weight", "bias", "running_mean", "running_var"):
                getattr(new, key).data.copy_(getattr(child, key).data[h * c:(h + 1) * c])
            new.train(child.training)
        else:
            if isinstance(child, PackedClassifier):
                child.groups = 1
            continue
        parent = out.get_submodule(name.rsplit(".", 1)[0]) if "." in name else out
        setattr(parent, name.rsplit(".", 1)[-1], new)
    return out


def unpack_heads(model: MultiHeadResNet1d) -> list[nn.Module]:
    """The M heads as separate ordinary modules (copies) mapping trunk features (B, c, L) to logits (B, 1, k):
    the loop-over-heads form of the same network, for checks and the benchmark."""
    return [_slice(model.heads, h, model.n_heads) for h in range(model.n_heads)]
