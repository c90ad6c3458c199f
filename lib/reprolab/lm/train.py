"""One training loop for every LM experiment, on HF Accelerate.

The same code runs on the CPU here and on many GPUs under `accelerate launch`. It logs a
metrics history (written to `output_dir/history.jsonl` as it goes), evaluates every
`eval_every` steps, and can save and resume checkpoints. Papers hook in through
`after_backward` (e.g. mask gradients) and `after_step` (e.g. update a sparse topology),
or pass their own optimizer (e.g. per-module weight decay).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from ..core.paths import resuming
from ..core.runtime import DEVICE_CHOICES


@dataclass
class TrainConfig:
    """Optimisation settings (AdamW, warm-up then cosine, constant or step-wise learning rate)."""

    steps: int = 300  # optimizer steps
    batch_size: int = 16  # sequences per step (per process under accelerate launch)
    lr: float = 3e-3  # peak learning rate
    warmup_steps: int = 20  # linear warm-up from 0 to lr
    schedule: Literal["cosine", "constant", "multistep"] = "cosine"  # after warm-up
    min_lr_ratio: float = 0.1  # cosine floor as a fraction of lr
    milestones: tuple[float, ...] = (0.25, 0.5, 0.75)  # multistep: shares of `steps` where the lr drops 10x
    weight_decay: float = 0.0  # AdamW decay on matrices (not on biases, norms)
    betas: tuple[float, float] = (0.9, 0.95)  # AdamW betas
    grad_clip: float | None = 1.0  # max global grad norm (None: no clipping)
    eval_every: int = 0  # steps between evaluations (0: only at the end)
    log_every: int = 10  # steps between history records
    checkpoint_every: int = 0  # steps between checkpoints in output_dir (0: none)
    output_dir: str | None = None  # where history.jsonl and checkpoints go (None: nowhere)
    resume: bool = False  # continue from the latest checkpoint in output_dir (also when `core.paths.resuming()`)
    seed: int = 0  # data order
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    progress: bool = True  # tqdm progress bar
    num_workers: int = 0  # DataLoader worker processes (datasets that decode files, e.g. images)
    trim_padding: bool = False  # cut each batch after the last token any of its rows attends to (right-padded SFT
    # rows, `sft_tensors`): the same loss on fewer tokens (math items of 19 tokens padded to 56 train 2.8x faster)
    fused_adamw: bool = False  # torch's fused AdamW kernel instead of its per-parameter loop: the same update up to
    # rounding (whose differences grow with training: 5e-4 of SmolLM2-135M's loss after 50 steps); its step over
    # SmolLM2-135M's parameters takes 0.08 s against 0.36 s (benchmarks/bench_finetune.py); off by default so that
    # committed runs keep their numbers

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"steps and batch_size must be positive, got {self.steps}, {self.batch_size}")
        if self.lr <= 0 or not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"need lr > 0 and 0 <= min_lr_ratio <= 1, got {self.lr}, {self.min_lr_ratio}")
        if self.schedule not in ("cosine", "constant", "multistep"):
            raise ValueError(f"unknown schedule {self.schedule!r}; allowed: cosine, constant, multistep")
        if any(not 0 < m < 1 for m in self.milestones) or self.num_workers < 0:
            raise ValueError(f"milestones must lie in (0, 1) and num_workers >= 0, got {self.milestones}, "
                             f"{self.num_workers}")
        if self.device not in DEVICE_CHOICES:
            raise ValueError(f"unknown device {self.device!r}; allowed: {', '.join(DEVICE_CHOICES)}")
        if (self.checkpoint_every or self.resume) and not self.output_dir:
            raise ValueError("checkpoint_every and resume need an output_dir")


@dataclass
class TrainResult:
    """The trained (unwrapped) model, the history records and the wall time in seconds."""

    model: torch.nn.Module
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def column(self, key: str) -> tuple[list[int], list[float]]:
        """(steps, values) of one metric over the records that have it."""
        rows = [r for r in self.history if key in r]
        return [r["step"] for r in rows], [r[key] for r in rows]


class TensorDictDataset(Dataset):
    """Rows of a dict of tensors that share their first dimension."""

    def __init__(self, tensors: Mapping[str, torch.Tensor]) -> None:
        sizes = {k: v.shape[0] for k, v in tensors.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"tensors must share their first dimension, got {sizes}")
        self.tensors = dict(tensors)
        self.n = next(iter(sizes.values()))

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {k: v[i] for k, v in self.tensors.items()}


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: decay on parameters with 2+ dims (matrices, embeddings), none on the rest."""
    params = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Learning-rate multiplier at `step` (0-based): linear warm-up, then cosine to min_lr_ratio, flat, or 10x
    lower after each milestone."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule == "multistep":
        return 0.1 ** sum(step >= m * cfg.steps for m in cfg.milestones)
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def trim_right_padding(rows: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Collate rows of (T,) tensors into (B, T') ones, T' the end of the longest `attention_mask` run: the columns
    cut are padding in every row, which no causal position attends to and no label scores."""
    batch = torch.utils.data.default_collate(rows)
    width = int(batch["attention_mask"].any(0).nonzero().max()) + 1 if batch["attention_mask"].any() else 1
    return {k: v[:, :width] if v.ndim == 2 else v for k, v in batch.items()}


def _batches(loader: DataLoader):
    while True:
        yield from loader


def _resumed_batches(accelerator, loader: DataLoader, done: int):
    """The batches an uninterrupted run would see after `done` steps: each finished epoch's draws from the loader's
    generator are made again (its iterator's base seed and its shuffle; indices only, no data loaded), then the current epoch goes on after its first
    `done % len(loader)` batches (accelerate's `skip_first_batches`), then the next epochs as usual."""
    epochs, offset = divmod(done, len(loader))
    generator = getattr(loader, "generator", None)
    for _ in range(epochs):
        if generator is not None:  # each epoch's iterator first draws its workers' base seed from the generator
            torch.empty((), dtype=torch.int64).random_(generator=generator)
        for _ in loader.batch_sampler:
            pass
    if offset:
        yield from accelerator.skip_first_batches(loader, offset)
    yield from _batches(loader)


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` beside `path` and rename it over: a reader (or a kill) never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


def _save_checkpoint(accelerator, out: Path, state: dict) -> None:
    """accelerate's `save_state` into checkpoint.partial/, the trainer state written last, then swapped in for
    checkpoint/ by renames: a run killed at any moment leaves one complete checkpoint (see `_complete_checkpoint`)."""
    partial, current, old = out / "checkpoint.partial", out / "checkpoint", out / "checkpoint.old"
    if accelerator.is_main_process and partial.exists():
        shutil.rmtree(partial)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(partial))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (partial / "trainer_state.json").write_text(json.dumps(state))
        if current.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(current, old)
        os.replace(partial, current)
        shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def _complete_checkpoint(out: Path) -> Path | None:
    """The newest complete checkpoint folder under `out` (checkpoint/, or checkpoint.old/ when a run was killed
    between the two renames of `_save_checkpoint`); None when there is none."""
    for name in ("checkpoint", "checkpoint.old"):
        if (out / name / "trainer_state.json").is_file():
            return out / name
    return None


def train(
    model: torch.nn.Module,
    data: Mapping[str, torch.Tensor] | Dataset,
    cfg: TrainConfig,
    eval_fn: Callable[[torch.nn.Module], dict[str, float]] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    after_backward: Callable[[int, torch.nn.Module], None] | None = None,
    after_step: Callable[[int, torch.nn.Module, torch.optim.Optimizer], None] | None = None,
    checkpointed: Sequence[Any] = (),
) -> TrainResult:
    """Train `model` (an HF causal LM, or any module whose forward(**batch) returns `.loss`).

    data: dict of tensors (input_ids, labels, optional attention_mask; (N, T) each) or a Dataset.
    eval_fn: called on the model in eval mode every `eval_every` steps and after the last step.
    Returns the unwrapped model with its history: step, loss (mean since last record), lr,
    grad_norm, seconds, and whatever eval_fn returned. Models whose output also carries an
    `aux_loss` (optimised as part of `.loss`) get `aux_loss` logged beside it.
    checkpointed: objects with `state_dict()` / `load_state_dict()` that the hooks keep state in (sparse masks, a
    topology controller); they are saved with every checkpoint and restored on resume, so a resumed run continues
    exactly.
    """
    import time

    from accelerate import Accelerator
    from ..core.progress import progress_bar

    from accelerate.state import AcceleratorState

    if AcceleratorState._shared_state and AcceleratorState().mixed_precision != cfg.mixed_precision:
        AcceleratorState._reset_state()  # another precision in the same process (keeps the distributed set-up)
    launched_on_cpus = int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available()
    # accelerate forms a multi-process CPU group (gloo) only when told cpu=True; without it each process would train alone
    # step_scheduler_with_optimizer=False: the schedule is in optimizer steps (accelerate would otherwise step it once
    # per process at every step, so N processes would run through warm-up and decay N times faster)
    accelerator = Accelerator(cpu=cfg.device == "cpu" or (cfg.device == "auto" and launched_on_cpus),
                              mixed_precision=cfg.mixed_precision, step_scheduler_with_optimizer=False)
    if cfg.device == "cuda" and accelerator.device.type != "cuda":
        raise RuntimeError("TrainConfig.device is 'cuda' but no CUDA GPU is visible; use 'auto' or 'cpu'")
    dataset = data if isinstance(data, Dataset) else TensorDictDataset(data)
    if len(dataset) < cfg.batch_size:
        raise ValueError(f"{len(dataset)} training rows are fewer than batch_size={cfg.batch_size}")
    if cfg.trim_padding and "attention_mask" not in dataset[0]:
        raise ValueError("trim_padding needs an attention_mask in the data (right-padded rows, as sft_tensors makes)")
    loader = DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(cfg.seed), num_workers=cfg.num_workers,
                        persistent_workers=cfg.num_workers > 0, collate_fn=trim_right_padding if cfg.trim_padding else None)
    optimizer = optimizer or torch.optim.AdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=cfg.betas,
                                               fused=cfg.fused_adamw or None)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, cfg))
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    for obj in checkpointed:
        accelerator.register_for_checkpointing(obj)

    out = Path(cfg.output_dir) if cfg.output_dir else None
    history: list[dict[str, Any]] = []
    start_step = 0
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        found = _complete_checkpoint(out) if cfg.resume or resuming() else None
        if found is not None:
            accelerator.load_state(str(found))
            state = json.loads((found / "trainer_state.json").read_text())
            start_step, history = state["step"], state["history"]
            if accelerator.is_main_process:  # the steps logged after that checkpoint are run again: drop them
                _write_atomically(out / "history.jsonl", "".join(json.dumps(r) + "\n" for r in history))
                shutil.rmtree(out / "checkpoint.partial", ignore_errors=True)  # a save the kill interrupted
        (out / "train_config.json").write_text(json.dumps(asdict(cfg), indent=2))

    def evaluate(step: int) -> dict[str, float]:
        model.eval()
        with torch.no_grad():
            metrics = eval_fn(accelerator.unwrap_model(model)) if eval_fn else {}
        model.train()
        return {k: float(v) for k, v in metrics.items()}

    def record(row: dict[str, Any]) -> None:
        history.append(row)
        if out is not None and accelerator.is_main_process:
            with open(out / "history.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")

    model.train()
    t0, loss_sum, aux_sum, loss_n, grad_norm = time.perf_counter(), 0.0, 0.0, 0, float("nan")
    batches = _batches(loader) if start_step == 0 else _resumed_batches(accelerator, loader, start_step)
    bar = progress_bar(range(start_step, cfg.steps), desc="train",
                       disable=not (cfg.progress and accelerator.is_main_process),
                       mininterval=5.0, initial=start_step, total=cfg.steps)
    for step in bar:
        batch = next(batches)
        output = model(**batch)
        loss, aux = output.loss, getattr(output, "aux_loss", None)
        accelerator.backward(loss)
        if after_backward is not None:
            after_backward(step, accelerator.unwrap_model(model))
        if cfg.grad_clip is not None:
            grad_norm = float(accelerator.clip_grad_norm_(model.parameters(), cfg.grad_clip))
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if after_step is not None:
            after_step(step, accelerator.unwrap_model(model), optimizer)
        loss_sum, loss_n = loss_sum + float(loss.detach()), loss_n + 1
        aux_sum += float(aux.detach()) if aux is not None else 0.0
        last = step == cfg.steps - 1
        do_eval = last or (cfg.eval_every and (step + 1) % cfg.eval_every == 0)
        if last or do_eval or (step + 1) % cfg.log_every == 0:
            row = {"step": step + 1, "loss": loss_sum / loss_n, "lr": scheduler.get_last_lr()[0],
                   "grad_norm": grad_norm, "seconds": time.perf_counter() - t0}
            if aux is not None:
                row["aux_loss"] = aux_sum / loss_n
            if do_eval:
                row.update(evaluate(step + 1))
            record(row)
            bar.set_postfix(loss=f"{row['loss']:.3f}", refresh=False)
            loss_sum, aux_sum, loss_n = 0.0, 0.0, 0
        if out is not None and cfg.checkpoint_every and ((step + 1) % cfg.checkpoint_every == 0 or last):
            _save_checkpoint(accelerator, out, {"step": step + 1, "history": history})
    bar.close()
    return TrainResult(accelerator.unwrap_model(model), history, time.perf_counter() - t0)
