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

from .base import Context, IndicatorResult, compute, ruleset_of
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


# ---------------------------------------------------------------- the window value as scored on each day
# Context cache entries that read no date (built by metrics.facts / metrics.im_model); the stretched
# context below shares them with the report's context. Same list as scoring.contexts.SHARED_CACHE_KEYS
# (metrics cannot import from scoring, the layer above).
DATE_FREE_CACHE_KEYS = ("orders", "deliveries", "tickets", "im_frames")


def _window_sums(offsets: np.ndarray, weights: np.ndarray, first: int, width: int, days: int) -> np.ndarray:
    """Σ weights of rows whose day offset lies in [first + k, first + k + width) for k = 0 … days − 1."""
    size = first + width + days
    keep = (offsets >= 0) & (offsets < size)
    per_day = np.bincount(offsets[keep], weights=weights[keep], minlength=size)
    c = np.concatenate([[0.0], np.cumsum(per_day)])
    k = np.arange(days)
    return c[first + k + width] - c[first + k]


def stretched_context(ctx: Context, chart_days: int) -> Context:
    """``ctx`` with its window stretched back by ``chart_days − 1`` days (same as-of, same visible data):
    the one context from which every as-of of the chart is read (cached on ``ctx``)."""
    days = ctx.window_days + int(chart_days) - 1
    shared = {k: v for k, v in ctx.cache.items() if k in DATE_FREE_CACHE_KEYS}
    return ctx.cached(f"daily.stretched:{days}", lambda: Context(ctx.shop, ctx.as_of, ctx.profile, days, shared))


def rolling_series(ctx: Context, key: str, chart_days: int = 30, windows: tuple[int, ...] = ()) -> pd.DataFrame:
    """The indicator's window value **as it was scored on each day** of the last ``chart_days`` as-of
    dates (the report's as-of last): for as-of d, the rows over ``[d − lag − N, d − lag)``.

    Computed once per indicator on a context whose window is stretched back by ``chart_days − 1`` days;
    each detail row is placed on the day of its window anchor (the description's ``anchor``; lagged
    cohorts by their cohort day) and N-day sums are rolled. Rows keep the state known at the report's
    as-of: a row whose outcome became known after d (a pickup, a reply, a refund completed later) counts
    with that outcome on d too, where a recomputation as of d would not know it yet.

    Columns (index ``as_of``): ``numerator``, ``denominator`` and ``value`` of the N-day window (for counts
    and sums ``value`` is the window total, ``denominator`` the rows); ``new_numerator`` and
    ``new_denominator`` of the rows entering the window that day (anchor day = as-of − lag − 1); and for
    each extra window ``w`` of ``windows`` (a 7-day service line) ``value_{w}d`` and ``denominator_{w}d``.
    """
    chart_days = int(chart_days)
    if chart_days < 1:
        raise ValueError(f"chart_days must be at least 1, not {chart_days}")
    cache_key = f"daily.rolling:{key}:{chart_days}:{','.join(map(str, sorted(set(windows))))}"
    return ctx.cached(cache_key, lambda: _rolling(ctx, key, chart_days, tuple(sorted(set(int(w) for w in windows)))))


def _rolling(ctx: Context, key: str, chart_days: int, windows: tuple[int, ...]) -> pd.DataFrame:
    desc = describe(key, ruleset_of(ctx))
    trend = desc.trend
    n = ctx.window_days
    wide = stretched_context(ctx, chart_days)
    start, _ = wide.window(lag_days=desc.lag_days(ctx.profile))
    as_of = pd.date_range(ctx.as_of - pd.Timedelta(days=chart_days - 1), ctx.as_of, freq="D", name="as_of")
    d = detail_frame(compute(key, wide))
    if d.empty or not desc.anchor:
        offsets, num, den = np.zeros(0, dtype=int), np.zeros(0), np.zeros(0)
    else:
        anchor = pd.to_datetime(row_times(wide, d, desc.anchor))
        offsets = (anchor.dt.normalize() - start).dt.days.to_numpy(dtype=float, na_value=-1).astype(int)
        num_s, den_s = _parts(d, trend)
        num, den = num_s.to_numpy(dtype=float), den_s.to_numpy(dtype=float)

    def value(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        if trend.kind in ("count", "sum"):
            return numerator
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)

    out = pd.DataFrame(index=as_of)
    out["numerator"] = _window_sums(offsets, num, 0, n, chart_days)
    out["denominator"] = _window_sums(offsets, den, 0, n, chart_days)
    out["value"] = value(out["numerator"].to_numpy(), out["denominator"].to_numpy())
    out["new_numerator"] = _window_sums(offsets, num, n - 1, 1, chart_days)
    out["new_denominator"] = _window_sums(offsets, den, n - 1, 1, chart_days)
    for w in windows:
        w = min(w, n)
        wn, wd = _window_sums(offsets, num, n - w, w, chart_days), _window_sums(offsets, den, n - w, w, chart_days)
        out[f"value_{w}d"] = value(wn, wd)
        out[f"denominator_{w}d"] = wd
    return out
