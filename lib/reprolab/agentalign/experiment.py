"""Notebook 07's experiment: synthesize training data from the training chains, fine-tune a language model on
benign-only data (the control) and on AgentAlign data (harmful refusals + benign trajectories + third-party tasks),
and evaluate both on tasks from held-out chains, partly with tool instances never seen in training."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from .. import lm
from ..core.profiles import check_ranges
from .chains import BUILTIN_CHAINS, BehaviorChain, load_chains
from .harness import evaluate
from .sandbox import INSTANCES
from .synthesis import Instruction, OpenAICompatibleBackend, Synthesis, TemplateBackend, synthesize

VARIANTS = ("untuned", "benign_only", "agentalign")  # untuned: the model as loaded (a pretrained model's "before")


@dataclass
class AgentAlignConfig:
    """Synthesis, fine-tuning and evaluation settings (paper values in comments)."""

    seed: int = 0  # synthesis seed; fine-tuning seeds are seed .. seed + n_seeds - 1
    n_seeds: int = 3
    chains_path: str = ""  # the official nested chain JSON (paper: 240 chains); empty: our 24 built-in chains
    held_out_per_category: int = 1  # chains per harm category kept for evaluation only
    n_per_chain: int = 10  # instructions per chain and label (paper: 5 per generator call, several rounds)
    p_defect: float = 0.1  # template backend: share of calls with a garbled argument (filtered by execution)
    backend: Literal["template", "openai"] = "template"
    base_url: str = ""  # openai backend: e.g. a local vLLM server's /v1 address
    backend_model: str = ""  # openai backend: model name at that endpoint
    api_key_env: str = "OPENAI_API_KEY"  # environment variable holding the endpoint's key
    model_path: str = ""  # causal LM to fine-tune: a reprolab.lm.pretrained name or local HF folder (paper:
    # Qwen2.5-7B-Instruct etc.); empty: a tiny LLaMA trained from scratch
    chat_template: bool = False  # wrap prompts in the tokenizer's chat template (instruction models)
    variants: tuple[str, ...] = ("benign_only", "agentalign")  # add "untuned" for a pretrained model's "before" row
    vocab_size: int = 768  # tiny model: byte-level BPE trained on the synthesized text
    d_model: int = 64
    n_layers: int = 2
    max_len: int = 256  # tokens per prompt + response
    steps: int = 200  # optimizer steps per variant (paper: 1-3 epochs of 18,749 pairs)
    batch_size: int = 16
    lr: float = 3e-3  # paper: 3e-5 to 1e-4 for 7-8B models
    max_new_tokens: int = 90
    gen_batch_size: int = 64  # prompts per generation batch
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = 2

    RANGES: ClassVar[dict[str, str]] = {  # allowed values of every numeric field (core.profiles.in_range)
        "seed": ">=0",
        "n_seeds": ">=1",
        "held_out_per_category": ">=1",
        "n_per_chain": ">=1",
        "p_defect": "[0,1]",
        "vocab_size": ">=1",
        "d_model": ">=1",
        "n_layers": ">=1",
        "max_len": ">=1",
        "steps": ">=1",
        "batch_size": ">=1",
        "lr": ">0",
        "max_new_tokens": ">=1",
        "gen_batch_size": ">=1",
        "threads": ">=1",
    }

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.backend == "openai" and not (self.base_url and self.backend_model):
            raise ValueError("backend 'openai' needs base_url and backend_model (an OpenAI-compatible endpoint)")
        if self.backend not in ("template", "openai"):
            raise ValueError(f"unknown backend {self.backend!r}; allowed: template, openai")
        bad = [v for v in self.variants if v not in VARIANTS]
        if bad or not self.variants:
            raise ValueError(f"variants must be a non-empty subset of {', '.join(VARIANTS)}; got {list(self.variants)}")
        if "untuned" in self.variants and not self.model_path:
            raise ValueError("variant 'untuned' needs model_path (a pretrained model): the tiny LLaMA starts untrained")
        if self.chat_template and not self.model_path:
            raise ValueError("chat_template needs model_path (the tiny LLaMA's tokenizer has no chat template)")


PROFILES: dict[str, dict] = {
    "default": {},  # about 3 minutes on 2 CPU cores
    "cpu_long": {"n_seeds": 5, "n_per_chain": 16, "steps": 800, "d_model": 128, "n_layers": 4},
    # the official chains, an LLM endpoint for synthesis, a local 7B model fine-tuned on one GPU
    # Evidence run on a real instruction model (notebooks/evidence/07_agentalign.smollm2.ipynb): a Q4 copy of
    # SmolLM2-135M-Instruct with its chat template, fully fine-tuned (40 steps of 8, about 1.4 epochs: 13 s a step
    # here); the untuned model is the "before" row
    "smollm2": {"model_path": "smollm2-135m-instruct", "chat_template": True,
                "variants": ("untuned", "benign_only", "agentalign"), "n_seeds": 2, "steps": 40, "batch_size": 8,
                "lr": 1e-4, "max_new_tokens": 96, "gen_batch_size": 32},
    "paper": {"n_seeds": 1, "chains_path": "agentalign/merged_tool_chains_cleaned.json", "backend": "openai",
              "base_url": "http://localhost:8000/v1", "backend_model": "mistral-large", "model_path": "Qwen2.5-7B-Instruct",
              "n_per_chain": 5, "steps": 1200, "batch_size": 16, "lr": 3e-5, "max_len": 2048, "max_new_tokens": 512,
              "device": "cuda", "threads": None},
}


@dataclass
class Data:
    """Training pairs, evaluation tasks and the synthesis bookkeeping."""

    train: Synthesis
    tests: dict[str, list[Instruction]]  # "held-out chains" and "training chains" (new instructions)
    train_chains: list[BehaviorChain]
    test_chains: list[BehaviorChain]
    unseen_tools: set[str]


def split_chains(chains: list[BehaviorChain], per_category: int, seed: int) -> tuple[list, list]:
    """Hold out `per_category` chains of every harm category (by chain, never by instruction)."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for category in sorted({c.category for c in chains}):
        members = [c for c in chains if c.category == category]
        held = set(rng.permutation(len(members))[:per_category].tolist()) if len(members) > per_category else set()
        for i, c in enumerate(members):
            (test if i in held else train).append(c)
    return train, test


def prepare(cfg: AgentAlignConfig) -> Data:
    """Chains, backend and synthesis: training data with the first tool instance of each capability only; test
    tasks from held-out chains with any instance (so some tools are new to the model)."""
    chains = load_chains(cfg.chains_path) if cfg.chains_path else list(BUILTIN_CHAINS)
    chains = [c for c in chains if c.implemented()]
    if not chains:
        raise ValueError("no chain uses only capabilities the sandbox implements")
    backend = (TemplateBackend(cfg.p_defect) if cfg.backend == "template"
               else OpenAICompatibleBackend(cfg.base_url, cfg.backend_model, os.environ.get(cfg.api_key_env, "")))
    train_chains, test_chains = split_chains(chains, cfg.held_out_per_category, cfg.seed)
    first = {c: names[:1] for c, names in INSTANCES.items()}
    train = synthesize(train_chains, backend, cfg.n_per_chain, cfg.seed, instances=first)
    held_out = synthesize(test_chains, backend, cfg.n_per_chain, cfg.seed + 1000, ratio=(0.5, 0.5, 0.0))
    seen = synthesize(train_chains, backend, max(1, cfg.n_per_chain // 2), cfg.seed + 2000, instances=first,
                      ratio=(0.5, 0.5, 0.0))
    trained = {i.text for i, _ in train.items}
    fresh = [i for i, _ in seen.items if i.text not in trained]  # new instructions only
    unseen = {name for names in INSTANCES.values() for name in names[1:]}
    return Data(train, {"held-out chains": [i for i, _ in held_out.items], "training chains": fresh},
                train_chains, test_chains, unseen)


def format_prompt(text: str, tokenizer=None) -> str:
    """The prompt as the model reads it: `text` itself, or with a tokenizer, `text` as the user turn of its chat
    template followed by the assistant's header."""
    if tokenizer is None:
        return text
    return tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True, tokenize=False)


def examples(items: list[tuple[Instruction, str]], variant: str, chat_tokenizer=None) -> list[lm.Example]:
    """SFT examples of a variant: benign_only drops the harmful refusals; agentalign keeps everything.
    chat_tokenizer: wrap each prompt in that tokenizer's chat template (the reply follows the assistant header)."""
    if variant not in ("benign_only", "agentalign"):
        raise ValueError(f"variant {variant!r} has no training data; allowed: benign_only, agentalign")
    keep = [(i, r) for i, r in items if variant == "agentalign" or i.label != "harmful"]
    space = "" if chat_tokenizer is not None else " "
    return [lm.Example(format_prompt(i.prompt(), chat_tokenizer), space + r, r, i.label) for i, r in keep]


def _tokenizer(cfg: AgentAlignConfig, texts: list[str]):
    """The pretrained model's tokenizer (cfg.model_path), or a byte-level BPE trained on `texts` for the tiny LLaMA."""
    return lm.pretrained.load_pretrained_tokenizer(cfg.model_path) if cfg.model_path else lm.train_bpe(texts, cfg.vocab_size)


def _model(cfg: AgentAlignConfig, tokenizer, seed: int):
    """A fresh copy of the pretrained model, or a tiny LLaMA initialised from `seed`."""
    if cfg.model_path:
        return lm.pretrained.load_pretrained(cfg.model_path)[0]
    return lm.tiny_lm(lm.TinyLMConfig(d_model=cfg.d_model, n_layers=cfg.n_layers, n_heads=4, d_ff=int(8 / 3 * cfg.d_model),
                                      max_len=cfg.max_len), tokenizer, seed)


def run_all(cfg: AgentAlignConfig, data: Data, out: Path) -> list[dict]:
    """Fine-tune every variant for every seed (the untuned model is scored once and its rows repeated for every
    seed: greedy decoding of an untrained model has no seed) and evaluate on the held-out tasks; rows are appended
    to ``results.jsonl`` and the responses to ``responses_<variant>_<seed>.jsonl`` as each run ends."""
    tests = [(name, i) for name, items in data.tests.items() for i in items]
    texts = [i.prompt() + " " + r for i, r in data.train.items] + [i.prompt() for _, i in tests]
    tokenizer = _tokenizer(cfg, texts)
    chat = tokenizer if cfg.chat_template else None
    prompts = [format_prompt(i.prompt(), chat) for _, i in tests]
    pairs = examples(data.train.items, "agentalign", chat)
    encode = lambda texts: tokenizer(texts, add_special_tokens=False)["input_ids"]  # noqa: E731 (as sft_tensors)
    longest = max(len(p) + len(c) + 1 for p, c in zip(encode([e.prompt for e in pairs]), encode([e.completion for e in pairs])))
    if longest > cfg.max_len:
        raise ValueError(f"the longest training pair has {longest} tokens with EOS; max_len={cfg.max_len} is shorter")
    block = min(cfg.max_len, 8 * ((longest + 7) // 8))  # pad to what the data needs, not to max_len
    subsets = {name: [k for k, (n, _) in enumerate(tests) if n == name] for name in data.tests}
    subsets["held-out chains, new tools"] = [k for k in subsets["held-out chains"]
                                             if any(t in data.unseen_tools for t in tests[k][1].tools)]
    rows = []
    untuned: tuple[list[str], float, float] | None = None
    for seed in range(cfg.seed, cfg.seed + cfg.n_seeds):
        for variant in (v for v in VARIANTS if v in cfg.variants):
            if variant == "untuned" and untuned is not None:
                responses, seconds, tokens_per_s = untuned
            else:
                model, seconds = _model(cfg, tokenizer, seed), 0.0
                if variant != "untuned":
                    tensors = lm.sft_tensors(tokenizer, examples(data.train.items, variant, chat), block)
                    result = lm.train(model, tensors, lm.TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                                                                     warmup_steps=cfg.steps // 10, seed=seed,
                                                                     device=cfg.device, progress=False))
                    model, seconds = result.model, result.seconds
                start = time.perf_counter()
                responses = lm.generate(model, tokenizer, prompts, cfg.max_new_tokens, batch_size=cfg.gen_batch_size,
                                        stop=None, stop_strings=["DONE"])
                generated = sum(len(ids) for ids in encode(responses))
                tokens_per_s = generated / (time.perf_counter() - start)
                responses = [r.split("DONE")[0] + "DONE" if "DONE" in r else r for r in responses]
                if variant == "untuned":
                    untuned = (responses, seconds, tokens_per_s)
            train_pairs = 0 if variant == "untuned" else len(examples(data.train.items, variant))
            for name, idx in subsets.items():
                metrics = evaluate([tests[k][1] for k in idx], [responses[k] for k in idx])
                row = {"variant": variant, "seed": seed, "test": name, "train_pairs": train_pairs, "seconds": seconds,
                       "gen_tokens_per_s": tokens_per_s,
                       **{f"{label}_{k}": v for label, m in metrics.items() for k, v in m.items()}}
                rows.append(row)
                with open(out / "results.jsonl", "a") as fh:
                    fh.write(json.dumps(row) + "\n")
            with open(out / f"responses_{variant}_{seed}.jsonl", "w") as fh:
                fh.writelines(json.dumps({"test": n, "label": i.label, "prompt": p, "response": r}) + "\n"
                              for (n, i), p, r in zip(tests, prompts, responses))
    return rows
