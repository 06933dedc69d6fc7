"""Numbers as the reader reads them (``12.34%``, ``3.50 h``, ``¥1,280.00``) and as golden cells print them.

>>> fmt_value(0.123456, "ratio")
'12.35%'
>>> num(0.1234567891)
'0.123457'
"""
from __future__ import annotations

import math


def fmt_value(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) < 1e-12:
        value = 0.0  # no "-0.00%" after subtracting equal impacts
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "hours":
        return f"{value:,.2f} h"
    if unit == "seconds":
        return f"{value:,.1f} s"
    if unit == "yuan":
        return f"¥{value:,.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def num(x) -> str:
    """A number as plain, stable text for golden cells (6 decimals at most, no trailing zeros)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "null"
    x = float(x)
    if x.is_integer():
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")
