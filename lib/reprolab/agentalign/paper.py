"""AgentAlign's Table 1 (AgentHarm public test, 176 harmful + 176 benign tasks; %), as printed in the paper's
figure ``figs/main_result.png``: each open model before and after AgentAlign fine-tuning."""

from __future__ import annotations

import pandas as pd

COLUMNS = ("harmful score", "harmful full score", "harmful refusal", "benign score", "benign full score",
           "benign refusal")
TABLE1 = {
    ("Ministral-8B-Instruct", "base"): (67.4, 27.8, 0.0, 69.1, 35.8, 0.0),
    ("Ministral-8B-Instruct", "+ AgentAlign"): (10.5, 4.0, 79.5, 63.3, 35.8, 2.8),
    ("Qwen-2.5-7B-Instruct", "base"): (41.9, 14.2, 21.6, 53.4, 16.5, 0.0),
    ("Qwen-2.5-7B-Instruct", "+ AgentAlign"): (6.7, 1.7, 85.8, 64.2, 36.4, 5.7),
    ("Functionary-Small-v3.2", "base"): (21.7, 6.8, 52.8, 45.9, 21.0, 0.6),
    ("Functionary-Small-v3.2", "+ AgentAlign"): (5.5, 4.0, 88.6, 53.5, 27.3, 12.5),
}


def table1() -> pd.DataFrame:
    """Table 1's open-model rows (model, base / + AgentAlign) x `COLUMNS`, in %."""
    return pd.DataFrame(TABLE1.values(), index=pd.MultiIndex.from_tuples(TABLE1, names=["model", "training"]),
                        columns=COLUMNS)
