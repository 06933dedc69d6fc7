"""成长阶段 / 正式阶段 (domain-rules §1.1): fewer than ``stage.min_orders`` 有效支付订单 in the window →
the growth stage, scored a flat ``growth_score`` (70), or ``growth_score_with_violations`` (60) when a
violation (消极服务/售后, 刷单刷评 …, from the penalties table) happened in the window. A profile whose
growth score is null (the seed era's 未出分) gives no total in that stage.

>>> from shopscore_nb.scoring.stage import stage_of
>>> stage_of(12, 0, {"min_orders": 30, "growth": "成长阶段", "formal": "正式阶段", "growth_score": 70, "growth_score_with_violations": 60})
('成长阶段', 70)
"""
from __future__ import annotations

import pandas as pd


def violations(ctx) -> pd.DataFrame:
    """Penalty events in the window whose kind is a stage violation."""
    kinds = ctx.profile["stage"].get("violation_kinds") or []
    if not kinds or not ctx.shop.has("penalties"):
        return pd.DataFrame(columns=["occurred_at", "kind"])
    p = ctx.table("penalties")
    return p[ctx.in_window(p["occurred_at"]) & p["kind"].isin(kinds)]


def stage_of(orders: int, n_violations: int, stage: dict) -> tuple[str, float | None]:
    """(stage name, fixed score or None for the formal stage)."""
    if orders >= stage["min_orders"]:
        return stage["formal"], None
    score = stage.get("growth_score_with_violations") if n_violations else stage.get("growth_score")
    return stage["growth"], score
