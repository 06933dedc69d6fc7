"""An indicator per day of its window, rebuilt from its own detail rows (vectorised group-by-day).

The daily numerators and denominators add up exactly to the indicator's, so a chart drawn from them
can never disagree with the number. How each row counts is the indicator's description
(:func:`shopscore_nb.metrics.descriptions.describe`: ``trend`` kind, date, failed/passed, value column;
``lag`` for lagged cohorts, whose days are the cohort's).

>>> daily_series(rep.ctx, "product.negative_review_rate", rep.results["product.negative_review_rate"])   # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .base import Context, IndicatorResult, ruleset_of
from .descriptions import Trend, describe, row_times


def detail_frame(result: IndicatorResult) -> pd.DataFrame:
    """The result's detail rows with its index (if named) as a column."""
    d = result.detail
    if d is None or d.empty:
        return pd.DataFrame()
    if d.index.name is not None and d.index.name not in d.columns:
        d = d.reset_index()
    return d


def _parts(d: pd.DataFrame, trend: Trend) -> tuple[pd.Series, pd.Series]:
    """(numerator, denominator) contribution of each detail row."""
    ones = pd.Series(1.0, index=d.index)
    if trend.kind == "rate":
        passed = d["passed"].astype(bool)
        return (~passed if trend.count == "failed" else passed).astype(float), ones
    if trend.kind == "mean":
        values = pd.to_numeric(d[trend.value], errors="coerce") if trend.value in d else pd.Series(np.nan, index=d.index)
        return values.fillna(0.0), values.notna().astype(float)
    if trend.kind == "sum":
        return (pd.to_numeric(d[trend.value], errors="coerce").fillna(0.0) if trend.value in d else ones * 0.0), ones
    return ones, ones  # count


def daily_series(ctx: Context, key: str, result: IndicatorResult) -> pd.DataFrame:
    """Per day of the window (of the cohort, for lagged indicators): ``numerator``, ``denominator``,
    ``value`` (that day's rows alone) and ``rolling7`` (the last 7 days' rows pooled)."""
    desc = describe(key, ruleset_of(ctx))
    trend = desc.trend
    start, end = ctx.window(lag_days=desc.lag_days(ctx.profile))
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D", name="day")
    out = pd.DataFrame(index=days, data={"numerator": 0.0, "denominator": 0.0})
    d = detail_frame(result)
    if not d.empty and trend.date:
        day = pd.to_datetime(row_times(ctx, d, trend.date)).dt.normalize()
        num, den = _parts(d, trend)
        g = pd.DataFrame({"day": day, "numerator": num, "denominator": den}).groupby("day").sum()
        out = out.add(g.reindex(days, fill_value=0.0), fill_value=0.0)
    roll = out.rolling(7, min_periods=1).sum()
    if trend.kind in ("count", "sum"):
        out["value"] = out["numerator"]
        out["rolling7"] = out["numerator"].rolling(7, min_periods=1).mean()
    else:
        out["value"] = out["numerator"] / out["denominator"].replace(0, np.nan)
        out["rolling7"] = roll["numerator"] / roll["denominator"].replace(0, np.nan)
    return out
