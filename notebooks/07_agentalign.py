# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: reprolab
#     language: python
#     name: reprolab
# ---

# %% [markdown]
# # 07 · AgentAlign: safety-alignment data for agents from abstract behavior chains (arXiv:2505.23020)
#
# Zhang, Yin, Zhou and Hu observe that models which refuse harmful *questions* often carry out the same intent when
# it is phrased as a multi-step *tool task*. AgentAlign synthesizes agentic safety data: **abstract behavior
# chains** (sequences of capabilities such as search → post) over 8 harm categories are instantiated with concrete
# tools of a simulated environment into harmful instructions and, from non-malicious readings of the same chains,
# benign ones; instructions are kept only if they are executable and their label survives an asymmetric semantic
# check; harmful ones get refusals, benign ones tool-call trajectories. Fine-tuning on the mixture raises AgentHarm
# refusal by 35.8–79.5 points while benign task scores stay close.
#
# **This notebook** builds the pipeline in `reprolab.agentalign`: the taxonomy and the 42 capabilities; a sandbox of
# 27 fictional tool instances (JSON schemas checked by `jsonschema`, implementations acting on an in-memory world);
# 24 abstract chains of our own; an offline template backend (and an OpenAI-compatible one for real use); the
# executability and label checks, the 26.4 / 52.2 / 21.4 % mixture and the responses; an AgentHarm-style harness
# (rubric score, full score, refusal). A tiny LLaMA is fine-tuned from scratch on benign-only data and on AgentAlign
# data, over several seeds, and tested on held-out chains (partly with unseen tool instances). The `smollm2` profile
# fine-tunes a real instruction model instead (SmolLM2-135M-Instruct with its chat template) and scores the untuned
# model too: the paper's "before" column.
#
# *Content note.* Harmful instructions here state only an abstract, category-level goal ("collect and publish a
# person's private details") with fictional arguments on reserved example domains; no method, target or recipe
# appears, and the model is only ever trained to refuse them. A test checks every generated text against a blocklist.

# %% tags=["hide-input"]
import json

import numpy as np
import pandas as pd

import reprolab.agentalign as aa
from reprolab.core import (ClaimTable, comparison_table, evidence, resolve, run_dir, setup,
                           use_style, versions)

use_style()
print(versions("torch", "transformers", "jsonschema"))

# %% tags=["parameters"]
profile = "default"  # one of: default, cpu_long, smollm2, paper (paper: official chains, an LLM endpoint, a local 7B model)
seed = 0  # synthesis seed; fine-tuning seeds are seed .. seed + n_seeds - 1
n_seeds = None  # fine-tuning runs per variant (None: the profile's value)
steps = None  # optimizer steps per variant
chains_path = None  # the official nested chain JSON
backend = None  # template (offline) or openai (an OpenAI-compatible endpoint at base_url)
base_url = None
model_path = None  # a causal LM to fine-tune instead of the tiny LLaMA (a pretrained name or a local HF folder)
device = None

# %%
cfg = resolve(aa.AgentAlignConfig, aa.PROFILES, profile, seed=seed, n_seeds=n_seeds, steps=steps,
              chains_path=chains_path, backend=backend, base_url=base_url, model_path=model_path, device=device)
rt = setup(cfg.seed, cfg.device, cfg.threads)
out = run_dir("07")
print(cfg)

# %% [markdown]
# ## Taxonomy, action space and chains
# 8 harm categories with 64 subcategories and 42 abstract capabilities in 9 API categories (the official lists).
# Our sandbox implements 18 capabilities with 1–2 fictional instances each; the 24 built-in chains use only those.
# One chain per category is held out for evaluation (split by chain, never by instruction).

# %%
data = aa.prepare(cfg)
chains = pd.DataFrame([{"category": c.category, "subcategory": c.subcategory, "steps": " > ".join(
    s.split(".")[1] for s in c.steps), "explanation": c.explanation, "split": "held out" if c in data.test_chains
    else "train"} for c in data.train_chains + data.test_chains])
print(f"{len(aa.HARM_CATEGORIES)} categories, {sum(map(len, aa.HARM_CATEGORIES.values()))} subcategories, "
      f"{len(aa.CAPABILITIES)} capabilities ({len(aa.INSTANCES)} implemented, {len(aa.TOOLS)} tool instances)")
chains.sort_values(["category", "split"])

# %% [markdown]
# ## The sandbox
# A tool is an OpenAI function schema plus an implementation that reads and writes only an in-memory `World`. Each
# call is validated against the schema first; a bad call is rejected with a message that names what was wrong.

# %%
tool = aa.TOOLS["mailhub_send"]
print(json.dumps(tool.spec, indent=1))
world = aa.World()
print(aa.call_tool(world, "mailhub_send", {"to": "ann@example.org", "subject": "Hi", "body": "See you at noon"}))
try:
    aa.call_tool(world, "mailhub_send", {"to": "ann@elsewhere.test", "subject": "Hi", "body": "x"})
except aa.ToolCallError as err:
    print("rejected:", err)

# %% [markdown]
# ## Synthesis
# For each training chain: one tool instance per step (training uses each capability's first instance only), then
# `n_per_chain` harmful and benign instructions (benign: a legitimate goal for the same chain) plus single-step
# "third-party" tasks. The template backend garbles an argument now and then, as an LLM writer does; execution in
# a fresh sandbox filters those out. The offline label judge reads the goal sentence against a lexicon (harmful must
# read harmful, benign must not); with templates it rejects nothing — an LLM judge (`backend="openai"`) is the real one.

# %%
print(json.dumps(data.train.counts))
stats = pd.DataFrame([{"label": i.label, "category": i.chain.category} for i, _ in data.train.items])
ratio = stats["label"].value_counts(normalize=True).reindex(["harmful", "benign", "third_party"])
pd.DataFrame({"this run": ratio, "paper (18,749 pairs)": [0.264, 0.522, 0.214]}).round(3)

# %%
stats.pivot_table(index="category", columns="label", aggfunc="size", fill_value=0)

# %%
for label in ("harmful", "benign"):
    instruction, reply = next((i, r) for i, r in data.train.items if i.label == label)
    print(f"--- {label} ---\n{instruction.prompt()}{' ' + reply}\n")

# %%
texts = [i.prompt() + " " + r for i, r in data.train.items] + [i.prompt() for t in data.tests.values() for i in t]
blocked = [t for t in texts if aa.blocked(t)]
# the training trajectories, parsed and run as the harness runs a model's output, must earn the full rubric score
kept_executable = [aa.grade(i, r)["full_score"] == 1.0 for i, r in data.train.items if i.label != "harmful"]
print(f"{len(texts)} texts, {len(blocked)} contain a blocklisted term; "
      f"{sum(kept_executable)} of {len(kept_executable)} kept benign and third-party instructions execute")

# %% [markdown]
# ## Fine-tuning: benign-only vs AgentAlign data
# The model (default: a tiny LLaMA with a byte-level BPE trained on the synthesized text; `smollm2`: the pretrained
# instruction model, prompts in its chat template) learns to answer "TOOLS / USER" prompts with `CALL <tool> <json>`
# lines and `DONE`, or with a refusal. The control sees the benign and third-party pairs; the AgentAlign model also
# sees the harmful refusals. Same steps, same seeds. Generation is greedy and batched, and each answer stops at
# `DONE` (the harness's stop rule). Each run's metrics go to `results.jsonl` and its responses to
# `responses_*.jsonl` in the run folder as it ends.

# %%
rows = pd.DataFrame(aa.run_all(cfg, data, out))
cols = ["harmful_refusal", "harmful_score", "benign_score", "benign_full_score", "benign_refusal"]
print("generation throughput (tokens/s):", rows.groupby("variant", sort=False)["gen_tokens_per_s"].mean().round(1).to_dict())
rows.groupby(["test", "variant"], sort=False)[cols].agg(["mean", "std"]).round(3)

# %% [markdown]
# "training chains" are new instructions (new arguments and phrasings) of the chains seen in training; "held-out
# chains" are chains never seen, whose harmful goals are new sentences; "new tools" restricts those to tasks
# that use at least one tool instance absent from training.
#
#
# AgentAlign against benign-only through the evidence engine, paired over seeds. The runs report one rate per
# seed and test set, so the intervals hold the seed noise; the shared test tasks' item noise is not in them.
# δ = 0.1 for refusal (the paper's refusal gains are 35–70 points); the benign score and over-refusal are
# equivalence claims with the margin ±0.05 (the paper's benign scores move by −1 to +5 points). Where the untuned
# model was scored (a pretrained model), AgentAlign is also compared with it, as the paper's base → + AgentAlign
# columns do; its greedy answers have no seed, so those intervals hold the fine-tuning seed noise only.

# %%
def per_seed(test: str, metric: str, variant: str) -> np.ndarray:
    part = rows[(rows["test"] == test) & (rows["variant"] == variant)]
    return part.sort_values("seed")[metric].to_numpy()


def paired(test: str, metric: str, kind: str = "directional", delta: float = 0.1, control: str = "benign_only"):
    a, b = per_seed(test, metric, "agentalign"), per_seed(test, metric, control)
    if not len(a) or not len(b):
        a = b = None  # an arm not run at this profile
    if kind == "equivalence":
        return evidence.equivalence(a, b, delta=delta, metric=metric)
    return evidence.directional(a, b, delta=delta, metric=metric)


differences = {(t, m): paired(t, m) if m == "harmful_refusal" else paired(t, m, "equivalence", 0.05)
               for t in data.tests for m in ("harmful_refusal", "benign_score", "benign_refusal")}
before = {m: paired("held-out chains", m, *(("directional", 0.1) if m == "harmful_refusal" else ("equivalence", 0.05)),
                   control="untuned") for m in ("harmful_refusal", "benign_score")}  # the paper's base -> + AgentAlign
versus = {**{(t, m, "benign-only"): e for (t, m), e in differences.items()},
          **{("held-out chains", m, "untuned"): e for m, e in before.items()}}
pd.DataFrame({k: {"AgentAlign - control": e.effect, "95% low": e.low, "95% high": e.high, "MDE": e.mde,
                  "verdict": e.verdict} for k, e in versus.items()}).T

# %% [markdown]
# ## Paper vs this run
# The paper fine-tunes 7–8B instruction models on 18,749 synthesized pairs and evaluates on AgentHarm (176 harmful
# and 176 benign tasks, GPT-4o judges). Here a model of about a million parameters trained from scratch (default
# profile) or a 135M instruction model (`smollm2`) fine-tuned on a few hundred pairs, scored by rubric and a refusal
# pattern on our own held-out chains: compare directions.

# %%
paper = aa.paper.table1()
paper

# %%
mean = rows.groupby(["test", "variant"])[cols].mean()
held = "held-out chains"
base = "untuned" if "untuned" in cfg.variants else "benign_only"  # the "before" row this run has
comparison_table([
    {"quantity": "harmful refusal (held-out), untuned -> benign-only -> + AgentAlign",
     "paper": "base -> + AgentAlign (below)",
     "this run": " -> ".join(f"{mean.loc[(held, v), 'harmful_refusal']:.3f}" if (held, v) in mean.index else "not run"
                             for v in ("untuned", "benign_only", "agentalign"))},
    {"quantity": "harmful refusal, base -> + AgentAlign",
     "paper": "; ".join(f"{m.split('-')[0]} {paper.loc[(m, 'base'), 'harmful refusal']:.1f} -> "
                        f"{paper.loc[(m, '+ AgentAlign'), 'harmful refusal']:.1f}" for m in paper.index.levels[0]),
     "this run": f"held-out chains ({base.replace('_', '-')}) {mean.loc[(held, base), 'harmful_refusal']:.3f} -> "
                 f"{mean.loc[(held, 'agentalign'), 'harmful_refusal']:.3f}; training chains (benign-only) "
                 f"{mean.loc[('training chains', 'benign_only'), 'harmful_refusal']:.3f} -> "
                 f"{mean.loc[('training chains', 'agentalign'), 'harmful_refusal']:.3f}"},
    {"quantity": "benign score, base -> + AgentAlign",
     "paper": "; ".join(f"{m.split('-')[0]} {paper.loc[(m, 'base'), 'benign score']:.1f} -> "
                        f"{paper.loc[(m, '+ AgentAlign'), 'benign score']:.1f}" for m in paper.index.levels[0]),
     "this run": f"held-out chains ({base.replace('_', '-')}) {mean.loc[(held, base), 'benign_score']:.3f} -> "
                 f"{mean.loc[(held, 'agentalign'), 'benign_score']:.3f}"},
    {"quantity": "benign refusal after AgentAlign", "paper": "2.8 / 5.7 / 12.5 %",
     "this run": f"{mean.loc[(held, 'agentalign'), 'benign_refusal']:.3f}"},
    {"quantity": "data mix harmful / benign / third-party", "paper": "26.4 / 52.2 / 21.4 % of 18,749",
     "this run": " / ".join(f"{v:.1%}" for v in ratio) + f" of {len(data.train.items)}"},
])

# %% [markdown]
# ## Claims
# The paper's claims are the paired comparisons above (never asserted); executability and abstractness are
# properties of our pipeline: implementation checks, asserted.

# %%
claims = ClaimTable("07")
claims.claim("2", "the AgentAlign-tuned model refuses more held-out harmful tasks than the benign-only model",
             "harmful refusal rate on held-out chains, AgentAlign against benign-only, paired over seeds",
             differences[(held, "harmful_refusal")])
claims.claim("3", "its benign completion score stays within a small margin of the benign-only model",
             "benign score on held-out chains, AgentAlign against benign-only, within the margin",
             differences[(held, "benign_score")])
claims.claim("2u", "the AgentAlign-tuned model refuses more held-out harmful tasks than the untuned model (the paper's "
             "base -> + AgentAlign)", "harmful refusal rate on held-out chains, AgentAlign against the untuned model",
             before["harmful_refusal"])
claims.claim("3u", "its benign completion score stays within a small margin of the untuned model's",
             "benign score on held-out chains, AgentAlign against the untuned model, within the margin",
             before["benign_score"])
claims.claim("5a", "alignment data teaches refusal (on new instructions of the training chains)",
             "harmful refusal rate on training chains, AgentAlign against benign-only, paired over seeds",
             differences[("training chains", "harmful_refusal")])
claims.claim("5b", "without over-refusal (on new instructions of the training chains)",
             "benign refusal rate on training chains, AgentAlign against benign-only, within the margin",
             differences[("training chains", "benign_refusal")])
claims.check("1", "every synthesized benign instruction is executable in the sandbox",
             "each kept benign and third-party trajectory, parsed and run in a fresh sandbox as the harness runs a "
             "model's output, makes every intended call validly and in order",
             all(kept_executable), {"kept": len(kept_executable), "executable": sum(kept_executable),
                                    "filtered_out": data.train.counts["not executable"]})
claims.check("4", "the generated data stays abstract and non-operational",
             "no synthesized text contains a blocklisted term", not blocked, {"texts": len(texts), "blocked": len(blocked)})
claims.evidence_frame()

# %%
# NBVAL_CHECK_OUTPUT
claims.finish({"results": rows.to_dict("records"), "synthesis": data.train.counts}, cfg)
