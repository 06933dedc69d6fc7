"""Which line an indicator stands against: its current and next tier cut-offs, the profile's 飞鸽 service
lines, and the next one not yet reached — the target of the inverse what-if ("how many more good
orders until …").

>>> tier_cutoffs(rep.scorecard, "product.negative_review_rate")           # doctest: +SKIP
[{'tier': 'current', 'score': 4.5, 'value': 0.01}, {'tier': 'next', 'score': 4.8, 'value': 0.005}]
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .whatif import InverseResult, Target, least_n


def _card_row(card, key: str) -> dict | None:
    ind = getattr(card, "indicators", None)
    if ind is None or ind.empty:
        return None
    rows = ind[ind["key"] == key]
    return None if rows.empty else rows.iloc[0].to_dict()


def tier_cutoffs(card, key: str) -> list[dict]:
    """The cut-off of the indicator's current tier and of the next better one, with their tier scores."""
    row = _card_row(card, key)
    rules = getattr(card, "rules", None)
    cutoffs = row.get("cutoffs") if row else None
    score = row.get("score") if row else None
    if rules is None or not isinstance(cutoffs, (list, tuple)) or not cutoffs or score is None or pd.isna(score):
        return []
    scores = list(rules.tier_scores)
    if score not in scores:
        return []
    j = scores.index(score)
    out = []
    if j >= 1:
        out.append({"tier": "current", "score": scores[j], "value": float(cutoffs[j - 1])})
    if j < len(cutoffs):
        out.append({"tier": "next", "score": scores[j + 1], "value": float(cutoffs[j])})
    return out


def service_lines(profile, key: str) -> list[dict]:
    """The profile's 飞鸽 service threshold lines on this indicator (weekly lines, not the per-day ¥1000 line)."""
    return [ln for ln in profile.get("im_service_thresholds") or [] if ln.get("metric") == key and not ln.get("per")]


@dataclass(frozen=True)
class InverseQuestion:
    key: str  # the indicator to move
    label: str  # what is reached: "next" tier or a service line's name
    target: Target
    kind: str  # good_orders | good_rounds
    tier_score: float | None = None  # the score of the tier reached, when the target is a tier cut-off


def next_target(ctx, results: dict, card, key: str, direction: str, kind: str) -> InverseQuestion | None:
    """The next tier cut-off (else the first 飞鸽 line) the indicator has not reached, or None."""
    r = results.get(key)
    if r is None or r.value is None:
        return None
    lines = [("next", c["value"], c["score"]) for c in tier_cutoffs(card, key) if c["tier"] == "next"]
    lines += [(str(ln.get("zh", ln.get("id"))), float(ln["value"]), None) for ln in service_lines(ctx.profile, key)]
    if not lines:
        return None
    label, value, score = lines[0]
    op = ">=" if direction == "higher" else "<="
    if (r.value >= value) if op == ">=" else (r.value <= value):
        return None
    return InverseQuestion(key, label, Target(key, op, value), kind, score)


def inverse_plan(ctx, results: dict, card, questions: list[tuple[str, str]], direction_of) -> list[tuple[InverseQuestion, InverseResult]]:
    """For each (indicator key, kind of good rows) whose next line is not reached: the least N that reaches it.
    ``direction_of(key)`` gives "higher" or "lower"."""
    plan = []
    for key, kind in questions:
        q = next_target(ctx, results, card, key, direction_of(key), kind)
        if q is not None:
            plan.append((q, least_n(ctx, results, q.target, kind=kind)))
    return plan
