"""Consequences: which threshold lines of the profile the shop is above or below, and by how much.

Lines come from the profile's ``consequences`` (精选联盟, clearance, 福袋 … or the seed era's 4.0 / 3.2 /
4.4) and ``im_service_thresholds`` (the seeds' 飞鸽 lines). Each line is a requirement
``metric op value``: ``met`` says whether it holds, ``gap`` = value − threshold. A line may carry
``window_days`` (evaluated on its own window, e.g. weekly), ``per: day`` with a ``when`` condition
(the ¥1000 line: any day with > 100 consultations and a rate < 50 %), or ``days`` (judged over a
daily history when one is given, else on today's value).

>>> from shopscore_nb.scoring.consequences import consequences
>>> consequences(ctx, results, card)[["id", "value", "op", "threshold", "met", "gap"]]    # doctest: +SKIP
"""
from __future__ import annotations

import pandas as pd

from ..metrics.base import compute
from .contexts import holds, sibling

COLUMNS = ["id", "zh", "group", "metric", "op", "threshold", "window_days", "value", "met", "side", "gap", "effect", "basis", "assumption", "note"]


def metric_value(ctx, results: dict, card, metric: str, window_days: int | None = None):
    """A line's metric today: a scorecard metric, or an indicator value (on its own window when given)."""
    if metric in ("total", "display") or metric.startswith(("dimension.", "score.")):
        return card.metric(metric)
    if window_days and window_days != ctx.window_days:
        return compute(metric, sibling(ctx, window_days=window_days)).value
    result = results.get(metric) or compute(metric, ctx)
    return result.value


def _per_day(ctx, line: dict) -> tuple[float | None, bool | None, str]:
    """Evaluate a ``per: day`` line over the last ``window_days`` days; returns (worst value, met, note)."""
    days = int(line.get("window_days", 7))
    when = line.get("when")
    rows = []
    for i in range(days):  # one short context per day of the line's window (≤ 7), not per data row
        day = sibling(ctx, as_of=ctx.as_of - pd.Timedelta(days=i), window_days=1)
        value = compute(line["metric"], day).value
        gate = True if not when else holds(compute(when["metric"], day).value, when["op"], when["value"])
        rows.append({"day": (day.as_of - pd.Timedelta(days=1)).date(), "value": value, "gate": bool(gate)})
    t = pd.DataFrame(rows)
    gated = t[t["gate"] & t["value"].notna()]
    if gated.empty:
        return None, True, "no day met the condition"
    bad = gated[[not holds(v, line["op"], line["value"]) for v in gated["value"]]]  # ≤ 7 days
    note = "days below: " + ", ".join(str(d) for d in bad["day"]) if len(bad) else "no day below"
    return float(gated["value"].min() if line["op"] in (">=", ">") else gated["value"].max()), bad.empty, note


def _with_history(line: dict, history: pd.DataFrame | None, today) -> tuple[float | None, bool | None, str]:
    days = int(line["days"])
    if history is None or line["metric"] not in history:
        return today, holds(today, line["op"], line["value"]), f"today only (the rule looks at {days} days; pass a history)"
    values = history[line["metric"]].tail(days).dropna()
    if line.get("aggregate", "all_days") == "mean":
        mean = float(values.mean())
        return mean, holds(mean, line["op"], line["value"]), f"mean of {len(values)} days"
    failing = [not holds(v, line["op"], line["value"]) for v in values]
    met = not (len(values) >= days and all(failing))
    return today, met, f"{sum(failing)} of the last {len(values)} days below"


def evaluate_line(ctx, results: dict, card, line: dict, group: str, history=None) -> dict:
    window = line.get("window_days")
    if line.get("per") == "day":
        value, met, note = _per_day(ctx, line)
    else:
        value = metric_value(ctx, results, card, line["metric"], window)
        value, met, note = _with_history(line, history, value) if line.get("days") else (value, holds(value, line["op"], line["value"]), "")
    gap = None if value is None else float(value) - float(line["value"])
    side = None if gap is None else ("above" if gap > 0 else "below" if gap < 0 else "at")
    return {
        "id": line["id"], "zh": line.get("zh", line["id"]), "group": group, "metric": line["metric"], "op": line["op"],
        "threshold": float(line["value"]), "window_days": window or ctx.window_days, "value": value, "met": met, "side": side,
        "gap": gap, "effect": line.get("effect", ""), "basis": note or "today", "assumption": bool(line.get("assumption", False)), "note": line.get("note", ""),
    }


def consequences(ctx, results: dict, card, history: pd.DataFrame | None = None, sections=("consequences", "im_service_thresholds")) -> pd.DataFrame:
    """One row per threshold line: value, met, side (above/below/at), gap = value − threshold."""
    rows = [evaluate_line(ctx, results, card, line, section, history) for section in sections for line in ctx.profile.get(section) or []]
    return pd.DataFrame(rows, columns=COLUMNS)
