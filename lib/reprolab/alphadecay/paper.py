"""The paper's C4 validation perplexities (README / project page of arXiv:2506.14562), for "paper vs this run"."""

from __future__ import annotations

import pandas as pd

# optimizer -> model size -> base decay -> method -> perplexity
PERPLEXITY: dict[str, dict[str, dict[float, dict[str, float]]]] = {
    "adam": {
        "60M": {1e-5: {"uniform": 32.39, "awd": 33.78, "adadecay": 32.24, "alphadecay": 31.56},
                5e-6: {"uniform": 32.56, "awd": 33.74, "adadecay": 32.52, "alphadecay": 31.58},
                1e-6: {"uniform": 33.03, "awd": 33.74, "adadecay": 33.03, "alphadecay": 32.61}},
        "135M": {1e-5: {"uniform": 22.99, "awd": 24.25, "adadecay": 23.20, "alphadecay": 22.76},
                 5e-6: {"uniform": 23.14, "awd": 24.45, "adadecay": 23.08, "alphadecay": 22.55},
                 1e-6: {"uniform": 24.14, "awd": 24.53, "adadecay": 23.96, "alphadecay": 23.49}},
        "350M": {1e-5: {"uniform": 17.12, "awd": 18.32, "adadecay": 18.21, "alphadecay": 17.00},
                 5e-6: {"uniform": 16.74, "awd": 18.55, "adadecay": 17.42, "alphadecay": 16.66},
                 1e-6: {"uniform": 17.50, "awd": 18.79, "adadecay": 17.91, "alphadecay": 16.88}},
        "1B": {1e-5: {"uniform": 15.36, "awd": 16.03, "adadecay": 17.23, "alphadecay": 15.13},
               5e-6: {"uniform": 14.66, "awd": 16.22, "adadecay": 18.14, "alphadecay": 14.55},
               1e-6: {"uniform": 15.03, "awd": 16.38, "adadecay": 15.35, "alphadecay": 14.63}},
    },
    "adamw": {
        "60M": {0.1: {"uniform": 31.95, "awd": 32.58, "adadecay": 31.88, "alphadecay": 31.20},
                0.05: {"uniform": 32.31, "awd": 32.67, "adadecay": 32.25, "alphadecay": 31.65},
                0.01: {"uniform": 32.66, "awd": 32.67, "adadecay": 32.58, "alphadecay": 32.45}},
        "135M": {0.1: {"uniform": 23.32, "awd": 24.30, "adadecay": 23.18, "alphadecay": 22.66},
                 0.05: {"uniform": 23.81, "awd": 24.35, "adadecay": 23.62, "alphadecay": 23.04},
                 0.01: {"uniform": 24.28, "awd": 24.41, "adadecay": 24.21, "alphadecay": 23.98}},
    },
}


def relative_gains() -> pd.DataFrame:
    """AlphaDecay's perplexity relative to uniform at the same base decay, per optimizer, size and decay."""
    rows = [{"optimizer": opt, "size": size, "base decay": wd, "uniform": r["uniform"], "alphadecay": r["alphadecay"],
             "relative change": r["alphadecay"] / r["uniform"] - 1}
            for opt, sizes in PERPLEXITY.items() for size, decays in sizes.items() for wd, r in decays.items()]
    return pd.DataFrame(rows)
