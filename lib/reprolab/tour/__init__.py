"""Notebook 00, the tour: a tiny LM on English text plus arithmetic, end to end."""

from .config import PROFILES, TourConfig

__all__ = ["PROFILES", "TourConfig"]
