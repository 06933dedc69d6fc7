"""The what-if plan of a report, computed once: each fix on its own (answer the late 飞鸽 rounds, pick up the
late orders in time, handle the slow tickets faster) and all of them together, ranked by the points of the
total they gain. Every page shows these same numbers ("先改这3件事").

>>> plan = fix_plan(rep.ctx, rep.results, ["AnswerRounds", "PickupInTime", "FasterTickets"])   # doctest: +SKIP
>>> plan.ranked[0].name, round(plan.ranked[0].gained, 2)                                        # doctest: +SKIP
('AnswerRounds', 0.12)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import whatif as wi

ALL = "all"


@dataclass
class PlannedFix:
    name: str  # a fix class of scoring.whatif, or "all"
    size: int  # rows the fix changes (rounds, orders, tickets)
    total_before: float | None
    total_after: float | None
    table: pd.DataFrame = field(repr=False)  # scoring.whatif.WhatIf.table: every indicator, dimension and the total

    @property
    def gained(self) -> float:
        """Points of the total gained (0 when the total is not scored, e.g. 未出分)."""
        if self.total_before is None or self.total_after is None:
            return 0.0
        return float(self.total_after) - float(self.total_before)

    @property
    def score_gain(self) -> float:
        """Σ of indicator-score gains: ranks fixes when the total cannot move (成长阶段, floors)."""
        t = self.table.dropna(subset=["score_before", "score_after"])
        return float((pd.to_numeric(t["score_after"]) - pd.to_numeric(t["score_before"])).sum())

    def moved(self) -> pd.DataFrame:
        """The indicators, dimensions and total this fix changes."""
        return self.table[self.table["delta"].fillna(0).abs() > 0]


@dataclass
class Plan:
    fixes: list[PlannedFix]  # each fix alone, in the order asked
    combined: PlannedFix | None  # all of them together

    @property
    def ranked(self) -> list[PlannedFix]:
        """Fixes that change something, most points first (then most indicator-score gain)."""
        useful = [f for f in self.fixes if f.size > 0 and (f.gained > 0 or f.score_gain > 0 or not f.moved().empty)]
        return sorted(useful, key=lambda f: (f.gained, f.score_gain), reverse=True)

    def get(self, name: str) -> PlannedFix | None:
        return next((f for f in self.fixes if f.name == name), None)


def _planned(ctx, results, name: str, fixes: list) -> PlannedFix:
    size = sum(f.size(ctx, results) for f in fixes)
    w = wi.what_if(ctx, results, fixes)
    return PlannedFix(name, size, w.card_before.total, w.card_after.total, w.table)


def fix_plan(ctx, results: dict, names: list[str]) -> Plan:
    """Each fix of ``names`` (classes of :mod:`shopscore_nb.scoring.whatif` with the profile's defaults) applied
    alone, and all together."""
    fixes = [getattr(wi, n)() for n in names]
    each = [_planned(ctx, results, n, [f]) for n, f in zip(names, fixes, strict=True)]
    combined = _planned(ctx, results, ALL, fixes) if len(fixes) > 1 else None
    return Plan(each, combined)
