"""The consumer display of a 100-point score (official table, domain-rules §1.5) and its star band.

>>> from shopscore_nb.profile import load_profile
>>> from shopscore_nb.scoring.display import display_value, star_band
>>> p = load_profile("douyin_2026")
>>> display_value(82, p["display"]), star_band(4.6, p["display"])
(4.6, '4.5星')
"""
from __future__ import annotations

import math


def display_value(total: float | None, display: dict) -> float | None:
    """The 5-point value shown to consumers: the highest table row whose minimum is <= total."""
    if total is None or (isinstance(total, float) and math.isnan(total)):
        return None
    if display.get("kind", "identity") == "identity":
        return float(total)
    rows = sorted(display["rows"], key=lambda r: r[0], reverse=True)
    for minimum, shown in rows:
        if total >= minimum:
            return float(shown)
    return float(rows[-1][1])


def star_band(shown: float | None, display: dict) -> str | None:
    """Star band of a display value (bands from the profile), ``None`` when the profile has none."""
    if shown is None or not display.get("stars"):
        return None
    for minimum, label in sorted(display["stars"], key=lambda r: r[0], reverse=True):
        if shown >= minimum - 1e-9:
            return label
    return None
