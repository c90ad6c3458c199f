"""Parameters of notebook 08 (NeuroTrails) and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..core.profiles import check_ranges
from .models import ResNetConfig, resnet_preset

VARIANTS = ("single", "full_ensemble", "treenet", "neurotrails", "static_heads")


@dataclass
class NeuroTrailsConfig:
    """Vision (mnist1d and a 1-D ResNet, Fashion-MNIST and a small 2-D ResNet, or an image folder and ResNet-18/50)
    and language (a LLaMA on a Markov source or local text) comparisons at M heads."""

    seed: int = 0  # first seed (initialisation, masks, batch order); seeds seed .. seed + n_seeds - 1
    n_seeds: int = 2
    # vision
    dataset: Literal["mnist1d", "fashion_mnist", "image_folder"] = "mnist1d"
    n_samples: int = 2000  # mnist1d signals (80 % train, 20 % test), generated offline
    corr_noise: float = 0.4  # mnist1d noise scales (package defaults 0.25, 0.02 make it too easy for a ResNet)
    iid_noise: float = 0.06
    fashion_mnist_dir: str = ""  # folder of Fashion-MNIST's IDX files (empty: $REPROLAB_FASHION_MNIST or Debian's package)
    train_images: int = 0  # fashion_mnist: training images used, a class-balanced subset fixed by seed 0 (0: all 60,000)
    channels: tuple[int, ...] = (16, 32, 64)  # resnet1d / resnet2d widths per stage
    blocks_per_stage: int = 2
    # resnet1d: mnist1d; resnet2d: a small 2-D ResNet (3x3 stem, `channels`) for 28 x 28 grey images;
    # resnet18/50: torchvision's 2-D layouts for an image folder
    arch: Literal["resnet1d", "resnet2d", "resnet18", "resnet50"] = "resnet1d"
    image_root: str = ""  # for resnet18/50: an image folder with train/<class>/ and val/<class>/ (paper: ImageNet)
    image_size: int = 224  # crop side in pixels for image folders
    num_workers: int = 0  # data-loading processes (image decoding)
    n_heads: int = 3  # M
    blocks_in_head: int = 4  # b: units (stem + residual blocks) per head; the trunk keeps the rest
    density: float = 0.4  # NeuroTrails' live share of all conv/linear weights (ERK), about one dense model's count
    match_single: bool = False  # the paper's rule instead: density so that NeuroTrails' non-zeros equal one dense model's
    epochs: int = 8
    batch_size: int = 64
    lr: float = 0.05  # SGD (paper: 0.1 on CIFAR, 0.256 on ImageNet), one warm-up epoch
    momentum: float = 0.9
    nesterov: bool = True
    lr_schedule: Literal["cosine", "multistep"] = "cosine"  # multistep: 10x drops at 25/50/75 % (the paper's)
    weight_decay: float = 5e-4
    update_every: int = 0  # steps between topology updates (0: half an epoch; paper: 1000 of ~176k)
    drop_rate: float = 0.5  # cosine-annealed to 0.005 (paper)
    variants: tuple[str, ...] = VARIANTS
    sweep_blocks: tuple[int, ...] = (0, 2, 4, 7)  # the backbone/head split sweep for NeuroTrails (empty: skip)
    # language
    lm_variants: tuple[str, ...] = ("single", "full_ensemble", "treenet", "neurotrails")
    lm_vocab: int = 32  # Markov source of known entropy rate (with lm_text_path: the tokenizer's vocabulary size)
    lm_text_path: str = ""  # local text data instead of the Markov source (paper: a C4 shard as jsonl)
    lm_tokenizer: str = ""  # local HF tokenizer for lm_text_path (paper: t5-base)
    lm_n_seeds: int = 1
    lm_layers: int = 3
    lm_hidden: int = 48
    lm_blocks_in_head: int = 2
    lm_density: float = 0.6  # paper: 0.9 at 130M-350M
    lm_train_sequences: int = 800  # limited data, so that variance reduction matters
    lm_seq_len: int = 64
    lm_steps: int = 100
    lm_batch_size: int = 16
    lm_lr: float = 3e-3
    lm_update_every: int = 20  # paper: 50
    lm_prune: Literal["soft_magnitude", "magnitude"] = "soft_magnitude"  # official language default: keep ~ |w|^3
    lm_head_loss: Literal["sum", "mean"] = "sum"  # official: the heads' losses summed
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"  # autocast in training (paper: bf16 for LLaMA)
    threads: int | None = 2

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_seeds": ">=1",
        "n_samples": ">=1",
        "train_images": ">=0",
        "corr_noise": ">=0",
        "iid_noise": ">=0",
        "channels": ">=1",
        "blocks_per_stage": ">=1",
        "image_size": ">=1",
        "num_workers": ">=0",
        "n_heads": ">=2",  # an ensemble needs M >= 2 heads
        "blocks_in_head": ">=1",
        "density": "(0,1]",
        "epochs": ">=1",
        "batch_size": ">=1",
        "lr": ">0",
        "momentum": "[0,1)",
        "weight_decay": ">=0",
        "update_every": ">=0",
        "drop_rate": "[0,1]",
        "sweep_blocks": ">=0",
        "lm_vocab": ">=1",
        "lm_n_seeds": ">=1",
        "lm_layers": ">=1",
        "lm_hidden": ">=1",
        "lm_blocks_in_head": ">=1",
        "lm_density": "(0,1]",
        "lm_train_sequences": ">=1",
        "lm_seq_len": ">=2",
        "lm_steps": ">=1",
        "lm_batch_size": ">=1",
        "lm_lr": ">0",
        "lm_update_every": ">=1",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        archs = {"mnist1d": ("resnet1d",), "fashion_mnist": ("resnet2d",), "image_folder": ("resnet18", "resnet50")}
        if self.dataset not in archs:
            raise ValueError(f"unknown dataset {self.dataset!r}; allowed: {', '.join(archs)}")
        if self.arch not in archs[self.dataset]:
            raise ValueError(f"dataset={self.dataset!r} runs on arch {' or '.join(archs[self.dataset])}, got "
                             f"{self.arch!r} (mnist1d: resnet1d; fashion_mnist: resnet2d; image_folder: resnet18, resnet50)")
        if (self.dataset == "image_folder") != bool(self.image_root):
            raise ValueError("image_root (an image folder) goes with dataset='image_folder' and only with it; got "
                             f"dataset={self.dataset!r}, image_root={self.image_root!r}")
        if self.lr_schedule not in ("cosine", "multistep") or self.mixed_precision not in ("no", "bf16", "fp16"):
            raise ValueError(f"lr_schedule must be cosine or multistep and mixed_precision no, bf16 or fp16; got "
                             f"{self.lr_schedule!r}, {self.mixed_precision!r}")
        units = self.n_units
        bad = [v for v in (*self.variants, *self.lm_variants) if v not in VARIANTS]
        if bad:
            raise ValueError(f"unknown variants {bad}; allowed: {', '.join(VARIANTS)}")
        if bool(self.lm_text_path) != bool(self.lm_tokenizer):
            raise ValueError("lm_text_path and lm_tokenizer go together (local text needs its tokenizer)")
        if not 0 <= self.blocks_in_head <= units or any(not 0 <= b <= units for b in self.sweep_blocks):
            raise ValueError(f"blocks_in_head and sweep_blocks must lie in [0, {units}] (stem + residual blocks)")
        if not 1 <= self.lm_blocks_in_head <= self.lm_layers:
            raise ValueError(f"lm_blocks_in_head must be in [1, {self.lm_layers}], got {self.lm_blocks_in_head}")

    def resnet(self, n_classes: int = 10) -> ResNetConfig:
        """The vision network's shape for `n_classes` classes."""
        if self.arch == "resnet1d":
            return ResNetConfig(self.channels, self.blocks_per_stage, n_classes=n_classes)
        if self.arch == "resnet2d":
            return ResNetConfig(self.channels, self.blocks_per_stage, 3, n_classes, dims=2, in_channels=1)
        return resnet_preset(self.arch, n_classes)

    @property
    def n_units(self) -> int:
        """The stem plus every residual block of the vision network."""
        return self.resnet().n_units


PROFILES: dict[str, dict] = {
    "default": {},  # about 3 minutes on 2 CPU cores
    "cpu_long": {"n_seeds": 4, "n_samples": 6000, "channels": (32, 64, 128), "epochs": 20,
                 "sweep_blocks": (0, 1, 2, 3, 4, 5, 6, 7), "lm_n_seeds": 3, "lm_layers": 4, "lm_hidden": 64,
                 "lm_steps": 600, "lm_batch_size": 32, "lm_train_sequences": 2000},
    # ResNet-50 on ImageNet (M = 3, b = 10 of 16 blocks, ERK density 0.3, 200 epochs, batch 256 per process, SGD
    # 0.256 / 0.875 / 3.05e-5, 10x drops at 25/50/75 %, dT = 1000) and LLaMA-350M on a C4 shard; local paths
    # Fashion-MNIST (Debian's dataset-fashion-mnist): a 2-D ResNet of 1 stem + 3 blocks, 2 in each head, density
    # matched to one dense model (the paper's rule); 52 minutes on 2 CPU cores (measured)
    "fashion_mnist": {"dataset": "fashion_mnist", "arch": "resnet2d", "train_images": 15000, "channels": (16, 32, 64),
                      "blocks_per_stage": 1, "blocks_in_head": 2, "match_single": True, "epochs": 6,
                      "variants": ("single", "full_ensemble", "neurotrails", "static_heads"), "sweep_blocks": (0, 4)},
    "paper": {"n_seeds": 1, "lm_n_seeds": 1, "dataset": "image_folder", "arch": "resnet50", "image_root": "imagenet", "num_workers": 8,
              "blocks_in_head": 10, "density": 0.3, "epochs": 200, "batch_size": 256, "lr": 0.256, "momentum": 0.875,
              "nesterov": False, "weight_decay": 3.0517578125e-5, "lr_schedule": "multistep", "update_every": 1000,
              "sweep_blocks": (), "mixed_precision": "bf16", "lm_layers": 24, "lm_hidden": 1024, "lm_blocks_in_head": 16,
              "lm_density": 0.9, "lm_text_path": "c4/en/c4-train.00000-of-01024.json", "lm_tokenizer": "t5-base",
              "lm_vocab": 32100, "lm_seq_len": 256, "lm_batch_size": 512, "lm_steps": 11111, "lm_update_every": 50, "lm_lr": 1.5e-3, "device": "cuda",
              "threads": None},
}
