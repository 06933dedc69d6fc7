"""Tier scoring: an indicator value → one of the profile's tier scores (50/60/…/100, or the seed 3.0–5.0).

``cutoffs`` holds one value per tier above the lowest, from the lowest tier to the best. A value at or
better than a cut-off earns that tier ("better" = ``>=`` when higher is better, ``<=`` when lower is);
a value worse than every cut-off gets the lowest score. Vectorised over arrays for forecasts.

>>> from shopscore_nb.scoring.tiers import tier_score
>>> tier_score(4.8701, [4.568, 4.640, 4.690, 4.741, 4.791], "higher", [50, 60, 70, 80, 90, 100])
100.0
>>> tier_score(0.001956, [0.0131, 0.01048, 0.00785, 0.00523, 0.0026], "lower", [50, 60, 70, 80, 90, 100])
100.0
"""
from __future__ import annotations

import numpy as np


def tier_scores(values, cutoffs, direction: str, scores) -> np.ndarray:
    """Vectorised: NaN stays NaN."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(cutoffs, dtype=float)
    s = np.asarray(scores, dtype=float)
    if direction == "higher":
        idx = np.searchsorted(c, v, side="right")  # number of cut-offs <= value
    elif direction == "lower":
        idx = np.searchsorted(-c, -v, side="right")  # number of cut-offs >= value
    else:
        raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")
    out = s[np.clip(idx, 0, len(s) - 1)]
    return np.where(np.isnan(v), np.nan, out)


def tier_score(value, cutoffs, direction: str, scores) -> float | None:
    """One value's tier score, ``None`` for a null value."""
    if value is None:
        return None
    out = float(tier_scores([value], cutoffs, direction, scores)[0])
    return None if np.isnan(out) else out


def direct_score(value, lo: float, hi: float) -> float | None:
    """An indicator scored by its own value (揽收时长平均得分), kept inside the score range."""
    return None if value is None else float(min(max(value, lo), hi))
