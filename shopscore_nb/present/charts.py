"""Figures built from a report (drawn by :mod:`shopscore_nb.plots`): an indicator's window value as it was
scored on each day against its labelled tier and service lines, the overview's small multiples, the 飞鸽
heat maps and per-agent bars. The numbers come from :mod:`shopscore_nb.metrics.daily`; this module only
chooses labels, units and which lines to draw.

>>> trend_figure(rep, "logistics.pickup_on_time_rate")    # doctest: +SKIP
<Figure ...>
"""
from __future__ import annotations

import pandas as pd

from .. import plots
from ..metrics.daily import daily_series as _daily_series
from ..metrics.daily import detail_frame, rolling_series
from ..metrics.descriptions import describe
from ..report import ShopReport
from ..scoring.targets import service_lines, tier_cutoffs
from .tables import hour_weekday
from .text import lag, ruleset_of, thresholds

# As-of days a trend shows (the last month of scoring days, whatever the window length).
CHART_DAYS = 30
# A rate or mean whose window holds fewer rows than this is not drawn as a value (a gap over a grey
# band, with a note): below 20 rows one row moves a rate by 5 percentage points or more, so the line
# would swing with single orders or ratings (34 ratings made 满意率 swing 0–100 % day to day). Counts
# and sums are always drawn.
MIN_DENOMINATOR = 20
# What one detail row is, by its first id column (``message_id`` first: message rows also carry the session).
ROW_NOUNS = {"message_id": "消息", "round_id": "轮次", "after_sale_id": "售后单", "waybill_no": "包裹", "session_id": "会话", "order_id": "订单"}
OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def daily_series(rep: ShopReport, key: str) -> pd.DataFrame:
    """The indicator per day of its window (:func:`shopscore_nb.metrics.daily.daily_series`)."""
    return _daily_series(rep.ctx, key, rep.results[key])


def _fmt(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value:.1%}"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    return text + {"hours": "小时", "seconds": "秒", "minutes": "分钟", "score": "分", "yuan": "元"}.get(unit, "")


def row_noun(rep: ShopReport, key: str) -> str:
    """What the indicator counts, one word: 订单, 会话, 轮次, 售后单, 评价 …"""
    if key.startswith("reviews."):
        return "评价"
    cols = list(detail_frame(rep.results[key]).columns)
    if "message_id" in cols:
        return ROW_NOUNS["message_id"]
    return next((ROW_NOUNS[c] for c in cols if c in ROW_NOUNS), "条")


def chart_lines(rep: ShopReport, key: str) -> tuple[list[dict], int | None]:
    """The lines of :func:`shopscore_nb.present.text.thresholds`, each labelled on the chart with its
    comparison (``下一档 … ≤ 5.0%``) and its style; a service line judged on a shorter window than the
    report's says so, and that window is returned (drawn as a thin line)."""
    unit = rep.results[key].unit
    direction = describe(key, ruleset_of(rep)).direction
    tiers = {round(float(c["value"]), 12): c["tier"] for c in tier_cutoffs(rep.scorecard, key)}
    services = service_lines(rep.ctx.profile, key)
    short = None
    out = []
    for label, value in thresholds(rep, key):
        svc = next((ln for ln in services if str(ln.get("zh", ln.get("id"))) == label), None)
        if svc is None and round(float(value), 12) not in tiers:
            svc = next((ln for ln in services if float(ln["value"]) == float(value)), None)
        if svc is not None:
            op = OPS.get(svc.get("op"), svc.get("op", ""))
            text = label if any(ch in label for ch in "≤≥<>") else f"{label} {op} {_fmt(value, unit)}"
            window = int(svc.get("window_days") or rep.ctx.window_days)
            if window != rep.ctx.window_days:
                text += f"（比近{window}日值）"
                short = window
            out.append({"label": text, "value": float(value), "style": "service"})
        else:
            op = "≤" if direction == "lower" else "≥"
            text = label if any(ch in label for ch in "≤≥<>") else f"{label} {op} {_fmt(value, unit)}"
            out.append({"label": text, "value": float(value), "style": tiers.get(round(float(value), 12), "next")})
    return out, short


def _panel(rep: ShopReport, key: str) -> dict:
    """:func:`shopscore_nb.plots.trend` keyword arguments for one indicator."""
    r = rep.results[key]
    desc = describe(key, ruleset_of(rep))
    lines, short = chart_lines(rep, key)
    n = rep.ctx.window_days
    lag_d = lag(rep.ctx, {"lag": desc.lag})
    window = f"近{n}日" + (f"（滞后{lag_d}天）" if lag_d else "")
    series = rolling_series(rep.ctx, key, CHART_DAYS, windows=(short,) if short else ())
    noun = row_noun(rep, key)
    return {"series": series, "title": desc.zh, "unit": r.unit, "kind": desc.trend.kind, "lines": lines, "direction": desc.direction,
            "value_label": f"{window}值（当日评分口径）", "bar_label": f"每日新计入{noun}", "short_window": short,
            "min_denominator": MIN_DENOMINATOR, "unit_label": plots.UNIT_LABEL.get(r.unit, r.unit) if r.unit != "count" else noun}


def trend_figure(rep: ShopReport, key: str):
    """One indicator's window value as scored on each of the last :data:`CHART_DAYS` days, the rows
    entering the window each day (bars) and its labelled tier / service lines."""
    panel = _panel(rep, key)
    panel["title"] = f"{panel['title']} · {panel['value_label'].split('（')[0]}走势"
    return plots.trend(**panel)


def overview_trends(rep: ShopReport, keys: list[str]):
    """Small multiples of :func:`trend_figure` for each indicator of ``keys``."""
    return plots.trend_grid([_panel(rep, key) for key in keys])


def heatmaps(rep: ShopReport):
    """3-minute rate and round volume, hour of day × weekday."""
    rate, volume = hour_weekday(rep)
    return plots.hour_weekday_heatmaps(rate, volume, threshold_s=int(rep.ctx.profile.get("im.reply_within_seconds", 180)))


def agent_bars(rep: ShopReport, agents: pd.DataFrame, line_id: str | None):
    """Per-agent 3-minute rate bars with the profile's 飞鸽 line ``line_id`` (its value, never a number in code)."""
    line = next((ln for ln in rep.ctx.profile.get("im_service_thresholds") or [] if ln.get("id") == line_id), None)
    label = str(line.get("zh", line.get("id"))) if line else None
    return plots.agent_bars(agents, threshold=float(line["value"]) if line else None, threshold_label=label)
