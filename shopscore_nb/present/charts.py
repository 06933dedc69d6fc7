"""Figures built from a report (drawn by :mod:`shopscore_nb.plots`): an indicator's daily trend against its
tier and service lines, the overview's small multiples, the 飞鸽 heat maps and per-agent bars.

>>> trend_figure(rep, "logistics.pickup_on_time_rate")    # doctest: +SKIP
<Figure ...>
"""
from __future__ import annotations

import pandas as pd

from .. import plots
from ..metrics.daily import daily_series as _daily_series
from ..metrics.descriptions import describe
from ..report import ShopReport
from .tables import hour_weekday
from .text import lag, ruleset_of, thresholds


def daily_series(rep: ShopReport, key: str) -> pd.DataFrame:
    """The indicator per day of its window (:func:`shopscore_nb.metrics.daily.daily_series`)."""
    return _daily_series(rep.ctx, key, rep.results[key])


def trend_figure(rep: ShopReport, key: str):
    """One indicator's daily values, the 7-day pooled line, the window value and its tier / service lines."""
    r = rep.results[key]
    desc = describe(key, ruleset_of(rep))
    kind = desc.trend.kind
    label = "队列日期 cohort day" if lag(rep.ctx, {"lag": desc.lag}) else "日期 day"
    return plots.trend(daily_series(rep, key), title=f"{desc.zh} · {desc.name_en} — 每日 daily", unit=r.unit,
                       overall=r.value if kind not in ("count", "sum") else None, thresholds=thresholds(rep, key),
                       kind=kind, day_label=label)


def overview_trends(rep: ShopReport, keys: list[str]):
    """Small multiples of the daily trend of each indicator of ``keys``."""
    panels = []
    for key in keys:
        r = rep.results[key]
        desc = describe(key, ruleset_of(rep))
        kind = desc.trend.kind
        panels.append({"daily": daily_series(rep, key), "title": desc.zh, "unit": r.unit, "kind": kind,
                       "overall": r.value if kind not in ("count", "sum") else None, "thresholds": thresholds(rep, key)})
    return plots.trend_grid(panels)


def heatmaps(rep: ShopReport):
    """3-minute rate and round volume, hour of day × weekday."""
    rate, volume = hour_weekday(rep)
    return plots.hour_weekday_heatmaps(rate, volume, threshold_s=int(rep.ctx.profile.get("im.reply_within_seconds", 180)))


def agent_bars(rep: ShopReport, agents: pd.DataFrame, line_id: str | None):
    """Per-agent 3-minute rate bars with the profile's 飞鸽 line ``line_id`` (its value, never a number in code)."""
    line = next((ln for ln in rep.ctx.profile.get("im_service_thresholds") or [] if ln.get("id") == line_id), None)
    return plots.agent_bars(agents, threshold=float(line["value"]) if line else None)
