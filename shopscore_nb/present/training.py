"""The training notebook's helpers: a definition with a tiny example's window, the package's value beside
the hand calculation, the rows behind it. The tiny shops themselves come from :mod:`shopscore_nb.tiny`.

>>> check(tiny_result(shop, "product.negative_review_rate", "2026-03-08", 7), 2 / 5, "2 ÷ 5")   # doctest: +SKIP
product.negative_review_rate: package = 0.4 (40.00%), numerator=2, denominator=5; by hand = 0.4 = 2 ÷ 5 -> agrees ✓
"""
from __future__ import annotations

import math

import pandas as pd

from ..metrics import Context, IndicatorResult
from ..metrics.daily import detail_frame
from ..shop import ShopData
from .formatting import fmt_value, num
from .tables import HIDDEN_COLUMNS
from .text import explain


def tiny_explain(key: str, as_of: str, window_days: int, profile: str = "douyin_2022") -> None:
    """The bilingual definition of ``key`` with the window of a tiny example."""
    empty = ShopData("tiny", {}, pd.DataFrame(), pd.DataFrame())
    explain(Context.build(empty, as_of=as_of, profile=profile, window_days=window_days), key)


def check(result: IndicatorResult, expected: float, by_hand: str = "") -> None:
    """Print the package's value next to the hand calculation; raise if they disagree."""
    got = result.value
    ok = got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    unit = result.unit
    print(f"{result.key}: package = {num(got)} ({fmt_value(got, unit)}), numerator={num(result.numerator)}, "
          f"denominator={num(result.denominator)}; by hand = {num(expected)}{(' = ' + by_hand) if by_hand else ''} -> "
          + ("agrees ✓" if ok else "DIFFERS ✗"))
    if not ok:
        raise AssertionError(f"{result.key}: package gives {got}, the hand calculation {expected}")


def rows_of(result: IndicatorResult, columns: list[str] | None = None) -> pd.DataFrame:
    """The detail rows of a tiny example with their pass/fail and reason (for the reader to compare)."""
    d = detail_frame(result)
    if d.empty:
        return d
    cols = [c for c in (columns or d.columns) if c in d and not str(c).startswith("_") and c not in HIDDEN_COLUMNS]
    return d[cols]
