"""Parameters of notebook 02 (Chain-of-Experts) and its named profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..core.profiles import check_ranges


@dataclass
class CoEConfig:
    """MoE(K, N) vs CoE-2(K/2, N) vs CoE-2(K/2, 0.75 N) at equal routed-expert compute, several seeds."""

    seed: int = 0  # first seed; runs use seed, seed + 1, ...
    n_seeds: int = 3  # seeds per configuration
    data: Literal["generated", "metamathqa"] = "generated"  # paper profile: the MetaMathQA file
    metamathqa_path: str = ""  # local MetaMathQA-395K.json / parquet (paper profile)
    tokenizer_path: str = ""  # local tokenizer directory (paper: DeepSeek-V2's); empty: a character tokenizer
    train_examples: int = 6000  # generated word problems for training
    val_examples: int = 100  # fresh validation problems (same phrasings, other draws, as the paper's random split)
    arithmetic_steps: int = 3  # operations per problem
    max_value: int = 20  # largest number drawn
    block_size: int = 128  # tokens per sequence (characters by default)
    batch_size: int = 16  # sequences per step (paper: 64 x 512)
    steps: int = 140  # optimizer steps per run (paper: 1000)
    lr: float = 2e-3  # AdamW, constant after 10 % warm-up (paper: 3e-4 at width 1024)
    weight_decay: float = 0.01
    eval_every: int = 35  # steps between validation losses
    hidden: int = 64  # model width (paper: 1024)
    n_layers: int = 2  # decoder blocks (paper: 4)
    n_heads: int = 2  # MLA heads (paper: 8)
    kv_lora_rank: int = 16  # MLA latent size (paper: 512)
    qk_nope_head_dim: int = 16  # (paper: 128)
    qk_rope_head_dim: int = 8  # (paper: 64)
    v_head_dim: int = 16  # (paper: 128)
    n_experts: int = 16  # N, including the one shared expert (paper: 64)
    n_experts_small: int = 12  # the memory-saving CoE variant, 0.75 N (paper: 48)
    expert_intermediate: int = 48  # expert FFN width (paper: 704)
    k_moe: int = 4  # routed experts per token in the MoE baseline (paper: 8); CoE-2 uses k_moe / 2 per iteration
    residual_mode: Literal["official", "prenorm"] = "official"
    shared_each_iter: bool = True  # shared expert on every iteration (official)
    ablations: bool = False  # also run the paper's ablations: shared router; outer instead of inner residual
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"  # paper: bf16 autocast, fp32 master weights and routers
    threads: int | None = 2  # 2 threads measured 1.25-1.4x faster than 1 for this model on 2 cores

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_seeds": ">=1",
        "train_examples": ">=1",
        "val_examples": ">=1",
        "arithmetic_steps": ">=1",
        "max_value": ">=1",
        "block_size": ">=2",
        "batch_size": ">=1",
        "steps": ">=1",
        "lr": ">0",
        "weight_decay": ">=0",
        "eval_every": ">=1",
        "hidden": ">=1",
        "n_layers": ">=1",
        "n_heads": ">=1",
        "kv_lora_rank": ">=1",
        "qk_nope_head_dim": ">=1",
        "qk_rope_head_dim": ">=1",
        "v_head_dim": ">=1",
        "n_experts": ">=1",
        "n_experts_small": ">=1",
        "expert_intermediate": ">=1",
        "k_moe": ">=1",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.k_moe % 2:
            raise ValueError(f"k_moe must be even (CoE-2 runs k_moe / 2 per iteration), got {self.k_moe}")
        if not self.k_moe < self.n_experts_small <= self.n_experts:
            raise ValueError(f"need k_moe < n_experts_small <= n_experts, got {self.k_moe}, {self.n_experts_small}, {self.n_experts}")
        if self.data == "metamathqa" and not self.metamathqa_path:
            raise ValueError("data='metamathqa' needs metamathqa_path: a local MetaMathQA-395K.json or parquet file")
        if self.ablations and self.residual_mode != "official":
            raise ValueError("ablations include the outer-residual variant, which needs residual_mode='official'")


PROFILES: dict[str, dict] = {
    "default": {},  # about 3 minutes on 2 CPU cores: 3 configurations x 3 seeds x 140 steps
    "cpu_long": {"n_seeds": 5, "steps": 600, "hidden": 128, "n_layers": 4, "n_heads": 4, "n_experts": 32,
                 "n_experts_small": 24, "expert_intermediate": 96, "kv_lora_rank": 32, "qk_rope_head_dim": 16,
                 "v_head_dim": 32, "batch_size": 32, "train_examples": 30_000, "ablations": True},
    "paper": {"data": "metamathqa", "n_seeds": 1, "block_size": 512, "batch_size": 64, "steps": 1000, "lr": 3e-4,
              "eval_every": 10, "hidden": 1024, "n_layers": 4, "n_heads": 8, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
              "qk_rope_head_dim": 64, "v_head_dim": 128, "n_experts": 64, "n_experts_small": 48,
              "expert_intermediate": 704, "k_moe": 8, "device": "cuda", "mixed_precision": "bf16", "threads": None},
}
