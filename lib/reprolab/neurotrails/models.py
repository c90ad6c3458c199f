"""Multi-head networks: a shared trunk and M heads, the heads' layers packed into one tensor per layer.

Vision: a ResNet (stem + stages of residual blocks + pooling + linear), 1-D for mnist1d-like signals (B, 1, L) or
2-D for images (B, 3, H, W), with basic or bottleneck blocks (ResNet-18/50 in `resnet_preset`). The last
`blocks_in_head` of its units (units = the stem and every residual block) belong to each head; a head's layers
are grouped convolutions with `groups = M` (each head independently initialised): on a GPU one grouped call over M
copies of the trunk's output runs all M heads; on the CPU the heads run one after another on their rows of the same
packed tensors (views: gradients and BatchNorm statistics land in the packed tensors), 1-D features in the
channels-last layout (B, C, 1, L), which oneDNN's convolutions run fastest there: 1.3x a loop over separate modules
and faster than the grouped call on 2 CPU cores (`benchmarks/bench_neurotrails.py`). `blocks_in_head = 0` shares
everything but the classifier; `blocks_in_head = n_units` gives M fully independent networks (a deep ensemble).
Output logits: (B, M, classes).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput as HFModelOutput

@dataclass
class ResNetConfig:
    """Shape of the ResNet (defaults: the 1-D net of notebook 08, 3 stages x 2 basic blocks, widths 32/64/128).

    channels: stage widths (bottleneck blocks: the inner width; their output is 4x). blocks_per_stage: one count for
    every stage or one per stage. imagenet_stem: a 7-wide stride-2 convolution and a stride-2 max-pool (torchvision's
    ResNet) instead of one stride-1 convolution; kernel: the stem's and blocks' width where the stem is plain.
    """

    channels: tuple[int, ...] = (32, 64, 128)
    blocks_per_stage: int | tuple[int, ...] = 2
    kernel: int = 5
    n_classes: int = 10
    dims: int = 1  # 1: Conv1d on (B, C, L); 2: Conv2d on (B, C, H, W)
    bottleneck: bool = False
    in_channels: int = 1
    imagenet_stem: bool = False

    def __post_init__(self) -> None:
        if self.dims not in (1, 2):
            raise ValueError(f"dims must be 1 or 2, got {self.dims}")
        if isinstance(self.blocks_per_stage, int):
            self.blocks_per_stage = (self.blocks_per_stage,) * len(self.channels)
        self.blocks_per_stage = tuple(self.blocks_per_stage)
        if len(self.blocks_per_stage) != len(self.channels) or min(self.blocks_per_stage, default=0) < 1:
            raise ValueError(f"blocks_per_stage needs one positive count per stage ({len(self.channels)} stages), "
                             f"got {self.blocks_per_stage}")

    @property
    def n_units(self) -> int:
        """The stem plus every residual block: the positions where the trunk can end."""
        return 1 + sum(self.blocks_per_stage)

    @property
    def expansion(self) -> int:
        return 4 if self.bottleneck else 1


def resnet_preset(name: str, n_classes: int = 1000) -> ResNetConfig:
    """torchvision's ResNet-18 or ResNet-50 layout (v1.5: the stride on the 3x3 convolution) for RGB images."""
    layouts = {"resnet18": ((2, 2, 2, 2), False), "resnet50": ((3, 4, 6, 3), True)}
    if name not in layouts:
        raise ValueError(f"unknown ResNet preset {name!r}; allowed: {', '.join(layouts)}")
    blocks, bottleneck = layouts[name]
    return ResNetConfig((64, 128, 256, 512), blocks, 3, n_classes, dims=2, bottleneck=bottleneck, in_channels=3,
                        imagenet_stem=True)


def _conv(dims: int, c_in: int, c_out: int, kernel: int, stride: int, groups: int) -> nn.Module:
    """`groups` independent convolutions c_in -> c_out packed into one grouped convolution (no bias, 'same' padding)."""
    cls = nn.Conv1d if dims == 1 else nn.Conv2d
    return cls(groups * c_in, groups * c_out, kernel, stride, kernel // 2, groups=groups, bias=False)


def _norm(dims: int, channels: int, groups: int) -> nn.Module:
    return (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(groups * channels)


def _conv_rows(conv: nn.modules.conv._ConvNd, x: torch.Tensor, head: int | None) -> torch.Tensor:
    """A packed convolution on all heads (head None: one grouped call) or on head `head` alone (its output rows)."""
    if head is None:
        return conv(x)
    rows = slice(head * conv.out_channels // conv.groups, (head + 1) * conv.out_channels // conv.groups)
    bias = None if conv.bias is None else conv.bias[rows]
    weight = conv.weight[rows]
    if isinstance(conv, nn.Conv1d) and x.ndim == 4:  # a 1-D convolution on (B, C, 1, L) channels-last features
        (stride,), (padding,), (dilation,) = conv.stride, conv.padding, conv.dilation
        if conv.kernel_size == (1,) and stride > 1:  # as a stride-1 one on every stride-th position: the same numbers,
            x, stride = x[..., ::stride], 1  # and oneDNN's channels-last strided 1x1 backward can hang under AVX2
        return F.conv2d(x, weight.unsqueeze(2), bias, (1, stride), (0, padding), (1, dilation))
    run = F.conv1d if isinstance(conv, nn.Conv1d) else F.conv2d
    return run(x, weight, bias, conv.stride, conv.padding, conv.dilation)


def _norm_rows(norm: nn.modules.batchnorm._BatchNorm, x: torch.Tensor, head: int | None, groups: int) -> torch.Tensor:
    """A packed BatchNorm on all heads or on head `head`'s channels, updating that head's running statistics
    in place (the batch counter once per forward, at head 0), as `norm(x)` does for every channel."""
    if head is None:
        return norm(x)
    rows = slice(head * norm.num_features // groups, (head + 1) * norm.num_features // groups)
    if norm.training and head == 0:
        norm.num_batches_tracked.add_(1)
    momentum = norm.momentum if norm.momentum is not None else 1.0 / float(norm.num_batches_tracked)
    return F.batch_norm(x, norm.running_mean[rows], norm.running_var[rows], norm.weight[rows], norm.bias[rows],
                        norm.training, momentum, norm.eps)


def _shortcut(shortcut: nn.Module, x: torch.Tensor, head: int | None, groups: int) -> torch.Tensor:
    if isinstance(shortcut, nn.Identity):
        return x
    return _norm_rows(shortcut[1], _conv_rows(shortcut[0], x, head), head, groups)


class PackedBlock(nn.Module):
    """A basic residual block (conv-BN-ReLU-conv-BN + shortcut) for `groups` independent networks at once."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int, groups: int, dims: int = 1) -> None:
        super().__init__()
        self.groups = groups
        self.conv1 = _conv(dims, c_in, c_out, kernel, stride, groups)
        self.bn1 = _norm(dims, c_out, groups)
        self.conv2 = _conv(dims, c_out, c_out, kernel, 1, groups)
        self.bn2 = _norm(dims, c_out, groups)
        self.shortcut = (nn.Sequential(_conv(dims, c_in, c_out, 1, stride, groups), _norm(dims, c_out, groups))
                         if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: torch.Tensor, head: int | None = None) -> torch.Tensor:
        """x: (B, groups c_in, ...) for all heads, or (B, c_in, ...) for head `head` alone."""
        g = self.groups
        out = F.relu(_norm_rows(self.bn1, _conv_rows(self.conv1, x, head), head, g))
        out = _norm_rows(self.bn2, _conv_rows(self.conv2, out, head), head, g)
        return F.relu(out + _shortcut(self.shortcut, x, head, g))


class PackedBottleneck(nn.Module):
    """A bottleneck block (1x1 down to `width`, kxk with the stride, 1x1 up to 4 width; BN after each) + shortcut."""

    def __init__(self, c_in: int, width: int, stride: int, kernel: int, groups: int, dims: int = 2) -> None:
        super().__init__()
        self.groups = groups
        c_out = 4 * width
        self.conv1, self.bn1 = _conv(dims, c_in, width, 1, 1, groups), _norm(dims, width, groups)
        self.conv2, self.bn2 = _conv(dims, width, width, kernel, stride, groups), _norm(dims, width, groups)
        self.conv3, self.bn3 = _conv(dims, width, c_out, 1, 1, groups), _norm(dims, c_out, groups)
        self.shortcut = (nn.Sequential(_conv(dims, c_in, c_out, 1, stride, groups), _norm(dims, c_out, groups))
                         if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: torch.Tensor, head: int | None = None) -> torch.Tensor:
        """x: (B, groups c_in, ...) for all heads, or (B, c_in, ...) for head `head` alone."""
        g = self.groups
        out = F.relu(_norm_rows(self.bn1, _conv_rows(self.conv1, x, head), head, g))
        out = F.relu(_norm_rows(self.bn2, _conv_rows(self.conv2, out, head), head, g))
        out = _norm_rows(self.bn3, _conv_rows(self.conv3, out, head), head, g)
        return F.relu(out + _shortcut(self.shortcut, x, head, g))


class PackedStem(nn.Module):
    """conv-BN-ReLU (plain: kernel k, stride 1; ImageNet: 7x7 stride 2, then a 3x3 stride-2 max-pool)."""

    def __init__(self, cfg: ResNetConfig, groups: int) -> None:
        super().__init__()
        self.groups = groups
        c_in, c_out = cfg.in_channels, cfg.channels[0]
        if cfg.imagenet_stem:
            cls = nn.Conv1d if cfg.dims == 1 else nn.Conv2d
            self.conv = cls(groups * c_in, groups * c_out, 7, 2, 3, groups=groups, bias=False)
            self.pool = (nn.MaxPool1d if cfg.dims == 1 else nn.MaxPool2d)(3, 2, 1)
        else:
            self.conv, self.pool = _conv(cfg.dims, c_in, c_out, cfg.kernel, 1, groups), nn.Identity()
        self.bn = _norm(cfg.dims, c_out, groups)

    def forward(self, x: torch.Tensor, head: int | None = None) -> torch.Tensor:
        out = F.relu(_norm_rows(self.bn, _conv_rows(self.conv, x, head), head, self.groups))
        if isinstance(self.pool, nn.MaxPool1d) and out.ndim == 4:  # 1-D features held as (B, C, 1, L)
            return F.max_pool2d(out, (1, self.pool.kernel_size), (1, self.pool.stride), (0, self.pool.padding))
        return self.pool(out)


class PackedClassifier(nn.Module):
    """Global average pooling and one linear layer per group, as a grouped 1x1 convolution: (B, g c, ...) -> (B, g, k)."""

    def __init__(self, c_in: int, n_classes: int, groups: int) -> None:
        super().__init__()
        self.groups = groups
        self.fc = nn.Conv1d(groups * c_in, groups * n_classes, 1, groups=groups)

    def forward(self, x: torch.Tensor, head: int | None = None) -> torch.Tensor:
        """(B, groups c, ...) -> (B, groups, k) for all heads; (B, c, ...) -> (B, 1, k) for head `head`."""
        logits = _conv_rows(self.fc, x.flatten(2).mean(-1, keepdim=True), head)
        return logits.view(x.shape[0], 1 if head is not None else self.groups, -1)


def _units(cfg: ResNetConfig, groups: int) -> list[nn.Module]:
    """Every unit of the network in order (the stem, then the residual blocks stage by stage)."""
    units: list[nn.Module] = [PackedStem(cfg, groups)]
    c_in = cfg.channels[0]
    for s, (c, n_blocks) in enumerate(zip(cfg.channels, cfg.blocks_per_stage)):
        for b in range(n_blocks):
            stride = 2 if s > 0 and b == 0 else 1
            block = PackedBottleneck if cfg.bottleneck else PackedBlock
            units.append(block(c_in, c, stride, cfg.kernel, groups, cfg.dims))
            c_in = c * cfg.expansion
    return units


@dataclass
class ModelOutput(HFModelOutput):
    """The loss (mean of the heads' cross-entropies; None without labels) and the logits (B, M, k), as transformers'
    outputs hold them: `.loss` / `.logits`, or `out["loss"]` as `transformers.Trainer` reads it."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None


HEAD_LAYOUTS = ("auto", "grouped", "per_head")


class MultiHeadResNet(nn.Module):
    """Trunk (the first n_units - blocks_in_head units, shared) and M packed heads (the rest + a classifier).

    head_layout: how the packed heads run: "grouped" (one grouped call over M copies of the trunk's output),
    "per_head" (one head after another on its rows of the packed tensors; 1-D features channels last) or "auto"
    (per_head on the CPU, grouped elsewhere). All three compute the same function, gradients and BatchNorm statistics.
    """

    def __init__(self, cfg: ResNetConfig, n_heads: int = 3, blocks_in_head: int = 4, head_layout: str = "auto") -> None:
        super().__init__()
        if head_layout not in HEAD_LAYOUTS:
            raise ValueError(f"head_layout must be one of {', '.join(HEAD_LAYOUTS)}, got {head_layout!r}")
        if n_heads < 1:
            raise ValueError(f"the number of heads M must be at least 1, got {n_heads}")
        if not 0 <= blocks_in_head <= cfg.n_units:
            raise ValueError(f"blocks_in_head must be in [0, {cfg.n_units}] (the stem and {cfg.n_units - 1} residual "
                             f"blocks), got {blocks_in_head}")
        self.cfg, self.n_heads, self.blocks_in_head, self.head_layout = cfg, n_heads, blocks_in_head, head_layout
        shared = cfg.n_units - blocks_in_head
        self.trunk = nn.Sequential(*_units(cfg, 1)[:shared])
        self.heads = nn.Sequential(*_units(cfg, n_heads)[shared:],
                                   PackedClassifier(cfg.channels[-1] * cfg.expansion, cfg.n_classes, n_heads))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> ModelOutput:
        """x: (B, C, L) or (B, L) (1-D), (B, C, H, W) (2-D); labels: (B,). Every head sees the trunk's features."""
        if x.ndim == 2 and self.cfg.dims == 1:
            x = x[:, None, :]
        h = self.trunk(x)
        if self.head_layout == "per_head" or (self.head_layout == "auto" and h.device.type == "cpu"):
            if h.ndim == 3:  # 1-D features as (B, c, 1, L), channels last
                h = h.unsqueeze(2).contiguous(memory_format=torch.channels_last)
            logits = torch.cat([self._one_head(h, head) for head in range(self.n_heads)], 1)  # (B, M, k)
        else:
            logits = self.heads(h.repeat(1, self.n_heads, *[1] * (h.ndim - 2)))  # (B, M, k)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.repeat_interleave(self.n_heads))
        return ModelOutput(loss=loss, logits=logits)

    def _one_head(self, h: torch.Tensor, head: int) -> torch.Tensor:
        """Head `head`'s logits (B, 1, k) from the trunk's features h ((B, c, 1, L) channels last, or (B, c, H, W))."""
        for unit in self.heads:
            h = unit(h, head)
        return h

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
    out = copy.deepcopy(module)
    for name, child in list(out.named_modules()):
        if isinstance(child, nn.modules.conv._ConvNd):
            c_out = child.out_channels // g
            new = type(child)(child.in_channels // g, c_out, child.kernel_size, child.stride, child.padding,
                              bias=child.bias is not None)
            new.weight.data.copy_(child.weight.data[h * c_out:(h + 1) * c_out])
            if child.bias is not None:
                new.bias.data.copy_(child.bias.data[h * c_out:(h + 1) * c_out])
        elif isinstance(child, nn.modules.batchnorm._BatchNorm):
            c = child.num_features // g
            new = type(child)(c)
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


def unpack_heads(model: MultiHeadResNet) -> list[nn.Module]:
    """The M heads as separate ordinary modules (copies) mapping trunk features (B, c, ...) to logits (B, 1, k):
    the loop-over-heads form of the same network, for checks and the benchmark."""
    return [_slice(model.heads, h, model.n_heads) for h in range(model.n_heads)]
