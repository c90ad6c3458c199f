"""Notebook 01 on a real pretrained model (profile `smollm2`): the base is a pretrained chat model (a registry name of
`reprolab.lm.pretrained`), its finetunes are short full fine-tunes on real skills shipped in `data/`, and the tasks
are BIG-bench multiple-choice items with disjoint finetune, calibration and test items.

Skills (finetune name: training data):
- `math`: BIG-bench 2-digit addition and subtraction, the answer after "Question: What is 80 plus 29?\\nAnswer:";
- `grammar`: BIG-bench subject-verb agreement (Linzen 2016), the grammatical continuation of a sentence start;
- `reasoning`: GSM8K worked solutions ending "#### answer" (those of the shipped test file's 1,319 that fit in
  `REASONING_BLOCK` tokens; GSM8K is not scored here, so no test item is trained on).
Tasks: `arithmetic` and `subject_verb_agreement` are calibrated on (train-split items the finetunes did not see)
and tested on their test splits (`reprolab.lm.real_tasks.split_of`); `general_knowledge` (70 items) is tested
only: what the model brought, never trained or searched on. Arithmetic is scored among BIG-bench's own choices per
item (seven for most, five or six where the file repeats a distractor; `lm.real_tasks.arithmetic_choice_items`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .. import lm
from ..lm.real_tasks import ChoiceItem, arithmetic_choice_items, choice_items, gsm8k_examples
from .skills import Item

REAL_SKILLS = ("math", "grammar", "reasoning")
REAL_TASKS = ("arithmetic", "subject_verb_agreement")  # the tasks a search may calibrate on
REASONING_BLOCK = 144  # tokens per reasoning example (worked solutions are long; about a quarter of GSM8K fits)
FINETUNE_SHARE = 0.6  # of each calibrated task's train split, the part its finetune trains on (the rest: calibration)


def as_items(rows: list[ChoiceItem], task: str) -> list[Item]:
    """`lm.real_tasks` multiple-choice items as this package's `Item`s (the answer is the correct choice)."""
    return [Item(r.prompt, r.options[r.correct], r.options, task) for r in rows]


def _shuffled(rows: list, seed: int = 0) -> list:
    return [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))]


def real_splits() -> dict[str, dict[str, list[Item]]]:
    """{"finetune": {task: items}, "calibration": {task: items}, "test": {task: items}}: each calibrated task's
    train split shuffled (seed 0) and cut into a finetune part and a calibration part; test items from the test
    split (general knowledge: all 70)."""
    train = {"arithmetic": as_items(_shuffled(arithmetic_choice_items(split="train")), "arithmetic"),
             "subject_verb_agreement": as_items(_shuffled(choice_items(["subject_verb_agreement"], "train")),
                                                 "subject_verb_agreement")}
    cut = {t: int(len(v) * FINETUNE_SHARE) for t, v in train.items()}
    test = {"arithmetic": as_items(_shuffled(arithmetic_choice_items(split="test")), "arithmetic"),
            "subject_verb_agreement": as_items(_shuffled(choice_items(["subject_verb_agreement"], "test")),
                                                "subject_verb_agreement"),
            "general_knowledge": as_items(choice_items(["general_knowledge"]), "general_knowledge")}
    return {"finetune": {t: v[:cut[t]] for t, v in train.items()},
            "calibration": {t: v[cut[t]:] for t, v in train.items()}, "test": test}


def finetune_examples(skill: str, splits: dict) -> list[lm.Example]:
    """The training examples of one finetune (prompt, completion: the loss is on the completion only)."""
    if skill == "math":
        return [lm.Example(it.prompt, it.answer, it.answer, skill) for it in splits["finetune"]["arithmetic"]]
    if skill == "grammar":
        return [lm.Example(it.prompt, it.answer, it.answer, skill)
                for it in splits["finetune"]["subject_verb_agreement"]]
    if skill == "reasoning":
        return [lm.Example(e.prompt, e.completion, e.answer, skill) for e in gsm8k_examples()]
    raise ValueError(f"unknown real skill {skill!r}; allowed: {', '.join(REAL_SKILLS)}")


def fitting(tokenizer, examples: list[lm.Example], block_size: int) -> list[lm.Example]:
    """The examples whose prompt, completion and EOS fit in `block_size` tokens (counted as `lm.sft_tensors` does)."""
    prompts = tokenizer([e.prompt for e in examples], add_special_tokens=False)["input_ids"]
    completions = tokenizer([e.completion for e in examples], add_special_tokens=False)["input_ids"]
    lengths = [len(p) + len(c) + 1 for p, c in zip(prompts, completions)]
    return [e for e, n in zip(examples, lengths) if n <= block_size]


def build_real_family(cfg, cache_dir: Path | None, key: str):
    """The pretrained base, one full fine-tune per `cfg.finetune_skills` (cached in `cache_dir/family-<key>/`), the
    calibration items (first `n_calibration` of each of `cfg.calibration_tasks`), the test items (first `n_test`
    per task) and held-out English blocks for perplexity."""
    from .experiment import Family

    base, tokenizer = lm.load_pretrained(cfg.pretrained)
    splits = real_splits()
    calibration = {t: splits["calibration"][t][:cfg.n_calibration] for t in cfg.calibration_tasks}
    test = {t: v[:cfg.n_test] for t, v in splits["test"].items()}
    corpus = lm.english_corpus(max_chars=200_000)
    english = {k: v[:32] for k, v in lm.pack_text(tokenizer, corpus.validation, 64).items()}
    folder = cache_dir / f"family-{key}" if cache_dir else None
    timings = folder / "seconds.json" if folder is not None else None
    seconds = json.loads(timings.read_text()) if timings is not None and timings.is_file() else {}
    candidates = []
    for i, skill in enumerate(cfg.finetune_skills):  # each finetune is cached as it finishes
        if folder is not None and (folder / skill / "config.json").is_file():
            candidates.append(lm.load_causal_lm(folder / skill).eval())
            continue
        t0 = time.perf_counter()
        block = REASONING_BLOCK if skill == "reasoning" else cfg.block_size
        data = lm.sft_tensors(tokenizer, fitting(tokenizer, finetune_examples(skill, splits), block), block)
        model = type(base)(base.config)
        model.load_state_dict(base.state_dict())
        candidates.append(lm.train(model, data, lm.TrainConfig(
            steps=cfg.finetune_steps, batch_size=cfg.batch_size, lr=cfg.finetune_lr,
            warmup_steps=max(1, cfg.finetune_steps // 10), weight_decay=0.0, seed=1 + i, device=cfg.device,
            progress=False, trim_padding=True)).model.eval())
        seconds[skill] = time.perf_counter() - t0
        if folder is not None:
            candidates[-1].save_pretrained(folder / skill)
            timings.write_text(json.dumps(seconds))
    return Family(tokenizer, base.eval(), candidates, list(cfg.finetune_skills), calibration, test, english, seconds)
