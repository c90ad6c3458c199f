"""Tokenizers that work offline and behave as Hugging Face tokenizers.

Both builders return a `transformers.PreTrainedTokenizerFast`, so `save_pretrained`,
`from_pretrained`, padding and batching work as with any hub tokenizer:

- `char_tokenizer`: one token per character seen in the training text (plus specials);
- `train_bpe`: a byte-level BPE trained locally with the `tokenizers` library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from transformers import AutoTokenizer, PreTrainedTokenizerFast

SPECIAL_TOKENS = {"pad_token": "<pad>", "bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>"}


def _wrap(tokenizer) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, padding_side="right", **SPECIAL_TOKENS)


def char_tokenizer(texts: Iterable[str]) -> PreTrainedTokenizerFast:
    """A character-level tokenizer over every character in `texts`; unseen characters map to <unk>."""
    from tokenizers import Tokenizer, decoders, models

    chars = sorted(set().union(*(set(t) for t in texts)))
    if not chars:
        raise ValueError("char_tokenizer needs at least one non-empty text")
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS.values())}
    vocab.update({c: len(vocab) + i for i, c in enumerate(chars)})
    # A BPE model with no merges splits text into single characters; Fuse joins them back.
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token=SPECIAL_TOKENS["unk_token"]))
    tok.decoder = decoders.Fuse()
    return _wrap(tok)


def train_bpe(texts: Iterable[str], vocab_size: int = 2048, min_frequency: int = 2) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on `texts` (no download); every byte string round-trips."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be at least {256 + len(SPECIAL_TOKENS)} (bytes + specials), got {vocab_size}")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return _wrap(tok)


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load a tokenizer from a local directory (`save_pretrained` output or a downloaded hub copy).

    Never downloads: a path that does not exist is an error naming it.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"tokenizer directory {str(path)!r} does not exist (no download is attempted)")
    return AutoTokenizer.from_pretrained(path, local_files_only=True)
