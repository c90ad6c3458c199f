"""Notebook 01's model family and its evaluation: a base LM pre-trained here on offline English text and the
generated skills, K finetunes of it (one skill each, with replay), or local HF checkpoints; test scores per skill,
English perplexity and parameter share for any model."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .. import lm
from ..dispatch import dispatch_key
from .config import LayerMergeConfig
from .evaluate import choice_correct
from .skills import SKILLS, Item, fact_sentences, generate, knowledge_base, load_items

CANDIDATE_NAMES = {"coref": "chat", "arith": "math", "vartrack": "code", "facts": "facts"}


@dataclass
class Family:
    """The tokenizer, base model, candidates (finetunes) with their names, and the evaluation data."""

    tokenizer: object
    base: torch.nn.Module
    candidates: list[torch.nn.Module]
    names: list[str]
    calibration: dict[str, list[Item]]
    test: dict[str, list[Item]]
    english: dict[str, torch.Tensor] | None = None  # held-out English blocks for perplexity (None: not measured)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_layers(self) -> int:
        return self.base.config.num_hidden_layers


def _task_name(path: str) -> str:
    return Path(path).stem


def _load_local(cfg: LayerMergeConfig) -> Family:
    """Local models and tasks; each task's items are shuffled (seed 0) before the first n are kept, so that a
    low search budget is not one subject of a file sorted by subject (lm-eval takes a file's first rows)."""
    tokenizer = lm.load_tokenizer(cfg.base_path)
    base = lm.load_causal_lm(cfg.base_path)
    candidates = [lm.load_causal_lm(p) for p in cfg.candidate_paths]

    def items(path: str, n: int) -> list[Item]:
        rows = load_items(path, _task_name(path))
        return [rows[i] for i in np.random.default_rng(0).permutation(len(rows))[:n]]

    calibration = {_task_name(p): items(p, cfg.n_calibration) for p in cfg.calibration_paths}
    test = {_task_name(p): items(p, cfg.n_test) for p in cfg.test_paths}
    return Family(tokenizer, base, candidates, [Path(p).name for p in cfg.candidate_paths], calibration, test)


def content_hash(paths: Sequence[str | Path | None]) -> str:
    """sha256 over the bytes of every file under `paths` (folders walked in sorted order; None skipped): a model
    folder replaced in place changes the key, not only a renamed one."""
    digest = hashlib.sha256()
    for root in (Path(p) for p in paths if p):
        files = sorted(f for f in root.rglob("*") if f.is_file()) if root.is_dir() else [root] if root.is_file() else []
        for f in files:
            digest.update(str(f.relative_to(root.parent)).encode())
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def code_version() -> str:
    """A hash of this package's source files: scores cached by other code are not replayed."""
    digest = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def family_key(cfg: LayerMergeConfig) -> str:
    """A short hash of what determines the model family: the local models' content (when given) or the training
    settings, the CPU dispatch and this package's code."""
    fields = {k: v for k, v in asdict(cfg).items() if k in (
        "base_path", "candidate_paths", "d_model", "n_layers", "n_heads", "d_ff", "block_size", "corpus_chars", "pretrain_steps", "pretrain_lr",
        "finetune_steps", "finetune_lr", "replay", "batch_size", "finetune_skills", "pretrain_items",
        "finetune_items", "pretrained")}
    fields["cpu_dispatch"] = dispatch_key()  # trained under other kernels, the family is other numbers
    fields["code"] = code_version()
    if cfg.base_path:
        fields["content"] = content_hash([cfg.base_path, *cfg.candidate_paths])
    if cfg.pretrained:
        fields["content"] = content_hash([lm.pretrained.model_folder(cfg.pretrained)])
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


def evaluation_key(cfg: LayerMergeConfig) -> str:
    """`family_key` plus what determines a plan's calibration scores (calibration files by content): logs of
    evaluations are kept under it."""
    fields = [family_key(cfg), cfg.calibration_tasks, cfg.calibration_paths, cfg.n_calibration,
              content_hash(list(cfg.calibration_paths or ()))]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:12]


def build_family(cfg: LayerMergeConfig, cache_dir: Path | None = None) -> Family:
    """Load the local family (paper profile) or train base + finetunes here, reusing a copy cached in
    `cache_dir/family-<hash of the training settings>` when present."""
    if cfg.base_path:
        return _load_local(cfg)
    if cfg.pretrained:
        from .real_family import build_real_family

        return build_real_family(cfg, cache_dir, family_key(cfg))
    import time

    kb = knowledge_base()
    corpus = lm.english_corpus(max_chars=cfg.corpus_chars)
    train_items = {s: generate(s, cfg.pretrain_items if s != "facts" else 0, "train", seed=0, kb=kb) for s in SKILLS}
    calibration = {s: generate(s, cfg.n_calibration, "calibration", kb=kb) for s in cfg.calibration_tasks}
    test = {s: generate(s, cfg.n_test, "test", kb=kb, exclude={it.prompt for it in calibration.get(s, [])}) for s in SKILLS}
    skill_text = [it.text for items in train_items.values() for it in items] + fact_sentences(kb, repeats=40)
    every_char = [it.text for s in SKILLS for it in generate(s, 200, "train", seed=9, kb=kb)]
    tokenizer = lm.char_tokenizer(corpus.train + corpus.validation + skill_text + every_char)
    english = lm.pack_text(tokenizer, corpus.train, cfg.block_size)
    rng = np.random.default_rng(0)
    skills = lm.pack_text(tokenizer, list(rng.permutation(skill_text)), cfg.block_size)
    pretrain = lm.concat(english, skills)
    held_out = lm.pack_text(tokenizer, corpus.validation, cfg.block_size)
    names = [CANDIDATE_NAMES[s] for s in cfg.finetune_skills]
    folder = cache_dir / f"family-{family_key(cfg)}" if cache_dir else None
    if folder is not None and (folder / "base" / "config.json").is_file():
        base = lm.load_causal_lm(folder / "base")
        candidates = [lm.load_causal_lm(folder / n) for n in names]
        seconds = json.loads((folder / "seconds.json").read_text())
        return Family(tokenizer, base.eval(), [c.eval() for c in candidates], names, calibration, test, held_out, seconds)
    shape = lm.TinyLMConfig(d_model=cfg.d_model, n_layers=cfg.n_layers, n_heads=cfg.n_heads, d_ff=cfg.d_ff,
                            max_len=cfg.block_size, tie_embeddings=False)
    t0 = time.perf_counter()
    base = lm.train(lm.tiny_lm(shape, tokenizer, seed=0), pretrain,
                    lm.TrainConfig(steps=cfg.pretrain_steps, batch_size=cfg.batch_size, lr=cfg.pretrain_lr,
                                   warmup_steps=100, weight_decay=0.01, seed=0, device=cfg.device, progress=False)).model
    seconds = {"pretrain": time.perf_counter() - t0}
    candidates = []
    for i, skill in enumerate(cfg.finetune_skills):
        t0 = time.perf_counter()
        items = generate(skill, cfg.finetune_items, "train", seed=1, kb=kb)
        own = lm.sft_tensors(tokenizer, [lm.Example(it.prompt, it.answer, it.answer, skill) for it in items],
                             cfg.block_size)  # the loss on answers only
        n_replay = int(len(own["input_ids"]) * cfg.replay / (1 - cfg.replay))
        pick = torch.randperm(len(pretrain["input_ids"]), generator=torch.Generator().manual_seed(i))[:n_replay]
        data = lm.concat(own, {k: v[pick] for k, v in pretrain.items()})
        model = type(base)(base.config)
        model.load_state_dict(base.state_dict())
        candidates.append(lm.train(model, data, lm.TrainConfig(
            steps=cfg.finetune_steps, batch_size=cfg.batch_size, lr=cfg.finetune_lr, warmup_steps=20,
            weight_decay=0.01, seed=1 + i, device=cfg.device, progress=False)).model.eval())
        seconds[names[i]] = time.perf_counter() - t0
    if folder is not None:
        for name, model in [("base", base), *zip(names, candidates)]:
            model.save_pretrained(folder / name)
        (folder / "seconds.json").write_text(json.dumps(seconds))
    return Family(tokenizer, base.eval(), candidates, names, calibration, test, held_out, seconds)


def evaluate_model(family: Family, model: torch.nn.Module, name: str, parameters: int | None = None) -> dict:
    """One results row: test accuracy per task, their mean, English perplexity, the share of the base's
    parameters, and `item_scores`: (N,) float64 per test item (all tasks in order), each correct item worth
    N / (tasks x its task's items), so their mean is the task-averaged score (the evidence engine pairs them)."""
    total = sum(p.numel() for p in family.base.parameters())
    correct = {t: choice_correct(model, family.tokenizer, list(items)) for t, items in family.test.items()}
    row: dict = {"model": name, **{t: float(c.mean()) for t, c in correct.items()}}
    row["average"] = float(np.mean([row[t] for t in family.test]))
    n_items = sum(len(c) for c in correct.values())
    row["item_scores"] = np.concatenate([c * n_items / (len(correct) * len(c)) for c in correct.values()])
    row["perplexity"] = lm.perplexity(model, family.english) if family.english is not None else float("nan")
    row["parameter_share"] = (parameters if parameters is not None else sum(p.numel() for p in model.parameters())) / total
    return row


def n_remove_for(family: Family, fraction: float) -> int:
    """Whole layers whose removal takes away about `fraction` of all parameters (embeddings included)."""
    total = sum(p.numel() for p in family.base.parameters())
    from ..sparsity import decoder_layers

    per_layer = sum(p.numel() for p in decoder_layers(family.base)[0].parameters())
    return max(1, min(family.n_layers - 1, round(fraction * total / per_layer)))


def calibration_ids(family: Family, n_sequences: int = 64, block_size: int = 32) -> torch.Tensor:
    """(n, block_size) tokens of the calibration items packed together: the text ShortGPT and LaCo score on."""
    texts = [it.prompt + it.answer for items in family.calibration.values() for it in items]
    ids = lm.pack_text(family.tokenizer, list(np.random.default_rng(0).permutation(texts)), block_size)["input_ids"]
    return ids[:n_sequences]
