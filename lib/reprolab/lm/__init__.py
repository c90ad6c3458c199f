"""The small-LM toolkit shared by the LLM papers: tokenizers, corpus, tasks, models, training, evaluation."""

from . import pretrained, real_tasks
from .adapters import add_lora
from .corpus import TextCorpus, english_corpus
from .data import IGNORE_INDEX, concat, pack_text, sft_tensors
from .datasets_local import instruction_examples, load_records, load_texts
from .evaluate import (continuation_log_likelihoods, exact_match_accuracy, generate, mean_loss, perplexity, sequence_losses, unigram_cross_entropy,
                       unigram_log_probs)
from .markov import MarkovSource
from .models import TinyLMConfig, count_parameters, load_causal_lm, tiny_lm
from .pretrained import load_pretrained
from .tasks import TASKS, Example, exact_match, extract_answer
from .tasks import generate as generate_task
from .tokenizers import char_tokenizer, load_tokenizer, train_bpe
from .train import TrainConfig, TrainResult, train

__all__ = [
    "add_lora", "TextCorpus", "english_corpus", "instruction_examples", "load_records", "load_texts", "IGNORE_INDEX", "concat", "pack_text", "sft_tensors",
    "continuation_log_likelihoods", "exact_match_accuracy", "generate", "mean_loss", "perplexity", "sequence_losses", "unigram_cross_entropy",
    "unigram_log_probs",
    "MarkovSource", "TinyLMConfig", "count_parameters", "load_causal_lm", "load_pretrained", "tiny_lm", "pretrained",
    "real_tasks",
    "TASKS", "Example", "exact_match", "extract_answer", "generate_task",
    "char_tokenizer", "load_tokenizer", "train_bpe", "TrainConfig", "TrainResult", "train",
]
