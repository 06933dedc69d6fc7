"""差行为扣分 (deductions, capped per group) and bonuses (e.g. +3 偏远地区物流 to the logistics dimension).

>>> from shopscore_nb.scoring.adjustments import apply_deductions
>>> groups = [{"group": "影响消费者体验扣分", "kinds": ["异常售后地址", "拒开发票"], "points": 3, "cap": 15}]
>>> float(apply_deductions({"拒开发票": 6}, groups)["applied"].sum())   # W6: 6 × 3 = 18, capped at 15
15.0
"""
from __future__ import annotations

import pandas as pd

DEDUCTION_COLUMNS = ["group", "kinds", "events", "points_each", "raw", "cap", "applied"]


def apply_deductions(counts, groups: list[dict]) -> pd.DataFrame:
    """``counts`` (kind → events in the window) through the profile's groups: points × events, capped per group."""
    counts = pd.Series(counts, dtype="float64") if not isinstance(counts, pd.Series) else counts.astype("float64")
    rows = []
    for g in groups:
        events = float(counts.reindex(g["kinds"]).fillna(0).sum())
        raw = events * g["points"]
        rows.append({"group": g["group"], "kinds": "、".join(g["kinds"]), "events": events, "points_each": float(g["points"]), "raw": raw, "cap": float(g["cap"]), "applied": min(raw, float(g["cap"]))})
    return pd.DataFrame(rows, columns=DEDUCTION_COLUMNS)


def deductions(ctx) -> pd.DataFrame:
    """The shop's deductions: penalty events in the window counted by kind."""
    groups = ctx.profile.get("deductions") or []
    if not ctx.shop.has("penalties"):
        return apply_deductions({}, groups)
    p = ctx.table("penalties")
    return apply_deductions(p[ctx.in_window(p["occurred_at"])]["kind"].value_counts(), groups)


def apply_bonuses(dimensions: dict[str, float | None], bonuses: list[dict], flags: dict) -> tuple[dict, pd.DataFrame]:
    """Add each bonus whose shop flag is set to its dimension, capped; returns (new dimensions, table).

    Bonuses on ``total`` (the 2026-09 plan's 明日达 +5) are left to :func:`total_bonus`.
    """
    out, rows = dict(dimensions), []
    for b in (b for b in bonuses if b["dimension"] != "total"):
        on = bool(flags.get(b["shop_flag"]))
        before = out.get(b["dimension"])
        after = min(before + b["points"], b["cap"]) if on and before is not None else before
        out[b["dimension"]] = after
        rows.append({"bonus": b["id"], "zh": b.get("zh", b["id"]), "dimension": b["dimension"], "enabled": on, "points": float(b["points"]), "before": before, "after": after})
    return out, pd.DataFrame(rows, columns=["bonus", "zh", "dimension", "enabled", "points", "before", "after"])


def total_bonus(bonuses: list[dict], flags: dict) -> pd.DataFrame:
    """Bonuses added to the total (dimension ``total``) whose shop flag is set."""
    rows = [{"bonus": b["id"], "zh": b.get("zh", b["id"]), "points": float(b["points"]) if flags.get(b["shop_flag"]) else 0.0, "enabled": bool(flags.get(b["shop_flag"]))} for b in bonuses if b["dimension"] == "total"]
    return pd.DataFrame(rows, columns=["bonus", "zh", "points", "enabled"])
