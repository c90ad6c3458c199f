"""`reprolab agentalign synthesize OUT` and `reprolab agentalign evaluate MODEL`: the pipeline and the harness for
your own models.

synthesize writes the AgentAlign training mix (and the held-out test tasks) in the Hugging Face chat format, one
record per pair: {"messages": [{"role": "user", ...}, {"role": "assistant", ...}], "label", "category", "tools"},
as JSON lines or a `datasets` folder. evaluate greedily answers the held-out tasks with a local chat model (its
chat template, stopping at DONE) and prints the harness's refusal and benign scores per test subset.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from .experiment import AgentAlignConfig, format_prompt, prepare
from .harness import evaluate as harness_scores
from .synthesis import Instruction

FORMATS = ("jsonl", "datasets")


def chat_record(instruction: Instruction, reply: str | None = None) -> dict:
    """One pair in the HF chat format (`messages`), with its label, harm category and tools; without `reply` the
    record holds only the user turn (a test task)."""
    messages = [{"role": "user", "content": instruction.prompt()}]
    if reply is not None:
        messages.append({"role": "assistant", "content": reply})
    return {"messages": messages, "label": instruction.label, "category": instruction.chain.category,
            "tools": list(instruction.tools)}


def write_records(records: list[dict], path: Path, fmt: str) -> Path:
    """`records` as `path`.jsonl or a `datasets` folder at `path` (save_to_disk); returns what was written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    if fmt == "jsonl":
        target = path.with_suffix(".jsonl")
        target.write_text("".join(json.dumps(r) + "\n" for r in records))
        return target
    from datasets import Dataset

    Dataset.from_list(records).save_to_disk(str(path))
    return path


def synthesize_command(cfg: AgentAlignConfig, out: Path, fmt: str = "jsonl") -> dict[str, Path]:
    """Synthesize with `cfg` (backend, chains, n_per_chain, seed) and write train (the AgentAlign mix) and test
    (held-out chains, user turns only) under `out`, plus the synthesis counts in counts.json."""
    out.mkdir(parents=True, exist_ok=True)
    data = prepare(cfg)
    written = {"train": write_records([chat_record(i, r) for i, r in data.train.items], out / "train", fmt),
               "test": write_records([chat_record(i) for i in data.tests["held-out chains"]], out / "test", fmt)}
    (out / "counts.json").write_text(json.dumps(data.train.counts, indent=1))
    return written


def evaluate_command(cfg: AgentAlignConfig, model_path: str, chat_template: bool = True) -> dict[str, dict]:
    """Scores (harmful refusal and score, benign score, full score and refusal, per label) of the local model at
    `model_path` on the held-out tasks `cfg` synthesizes, per test subset; generated tokens per second under
    "throughput"."""
    import time

    from .. import lm

    if not Path(model_path).is_dir() and model_path not in lm.pretrained.REGISTRY:
        raise FileNotFoundError(f"no model folder {model_path!r} (a local HF folder or a reprolab.lm.pretrained name)")
    data = prepare(cfg)
    model, tokenizer = lm.pretrained.load_pretrained(model_path)
    if chat_template and not tokenizer.chat_template:
        raise ValueError(f"{model_path!r} has no chat template; pass --no-chat-template to give it raw prompts")
    results = {}
    start, generated = time.perf_counter(), 0
    for subset, tasks in data.tests.items():
        prompts = [format_prompt(t.prompt(), tokenizer if chat_template else None) for t in tasks]
        answers = lm.generate(model, tokenizer, prompts, cfg.max_new_tokens, batch_size=cfg.gen_batch_size, stop=None,
                              stop_strings=["DONE"])
        generated += sum(len(ids) for ids in tokenizer(answers, add_special_tokens=False)["input_ids"])
        answers = [a.split("DONE")[0] + "DONE" if "DONE" in a else a for a in answers]
        results[subset] = harness_scores(tasks, answers)
    results["throughput"] = {"generated_tokens_per_s": generated / (time.perf_counter() - start)}
    return results


def run(args: argparse.Namespace) -> int:
    """Run a parsed `reprolab agentalign ...` command; configuration errors surface as ValueError before any work."""
    cfg = AgentAlignConfig(seed=args.seed, n_per_chain=args.n_per_chain, chains_path=args.chains, backend=args.backend,
                           base_url=args.base_url, backend_model=args.backend_model)
    if args.agentalign_command == "synthesize":
        for split, path in synthesize_command(cfg, Path(args.out), args.format).items():
            print(f"{split}: {path}")
        return 0
    cfg = replace(cfg, max_new_tokens=args.max_new_tokens, gen_batch_size=args.batch_size)
    results = evaluate_command(cfg, args.model, chat_template=not args.no_chat_template)
    throughput = results.pop("throughput")
    print(f"{'test tasks':<28}{'harmful refusal':>17}{'harmful score':>15}{'benign score':>14}{'benign refusal':>16}")
    for subset, scores in results.items():
        harmful, benign = scores.get("harmful", {}), scores.get("benign", {})
        print(f"{subset:<28}{harmful.get('refusal', float('nan')):>17.3f}{harmful.get('score', float('nan')):>15.3f}"
              f"{benign.get('score', float('nan')):>14.3f}{benign.get('refusal', float('nan')):>16.3f}")
    print(f"generation: {throughput['generated_tokens_per_s']:.0f} tokens/s")
    return 0
