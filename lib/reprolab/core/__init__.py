"""Shared by every notebook, nothing paper-specific: run-time set-up, profiles, claims, plotting."""

from . import evidence
from .claims import Check, ClaimFailed, ClaimTable, PaperClaim, comparison_table, write_metrics
from .evidence import VERDICTS, Evidence, directional, equivalence
from .paths import cache_dir, figures_dir, project_root, run_dir
from .plotting import save_figure, use_style
from .progress import progress_bar
from .profiles import ProfileError, describe, parse_cli_value, resolve
from .stats import seed_summary, wilson_interval
from .runtime import Runtime, Timer, seed_everything, select_device, set_threads, setup, time_call, versions

__all__ = [
    "Check", "ClaimFailed", "ClaimTable", "PaperClaim", "comparison_table", "write_metrics",
    "evidence", "VERDICTS", "Evidence", "directional", "equivalence",
    "cache_dir", "figures_dir", "project_root", "run_dir", "save_figure", "use_style", "progress_bar",
    "ProfileError", "describe", "parse_cli_value", "resolve",
    "seed_summary", "wilson_interval",
    "Runtime", "Timer", "seed_everything", "select_device", "set_threads", "setup", "time_call", "versions",
]
