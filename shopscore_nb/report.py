"""One shop's full result as the CLI, notebooks and batch summary see it (SPEC §8 JSON contract).

>>> from shopscore_nb.report import shop_report
>>> rep = shop_report("data/demo", "flagship", as_of="2026-10-01")     # doctest: +SKIP
>>> rep.to_json()["indicators"]["logistics.pickup_on_time_rate"]        # doctest: +SKIP
{'value': 0.93, 'numerator': 930, 'denominator': 1000, 'unit': 'ratio', 'score': 4.8}
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .metrics import Context, IndicatorResult, compute_all
from .scoring import Scorecard, score_shop
from .shop import ShopData
from .store import open_shop


@dataclass
class ShopReport:
    ctx: Context
    results: dict[str, IndicatorResult]
    scorecard: Scorecard
    _lines: list | None = field(default=None, repr=False)

    @property
    def shop(self) -> ShopData:
        return self.ctx.shop

    def to_json(self) -> dict:
        card = self.scorecard
        return {
            "shop_id": self.shop.shop_id,
            "as_of": self.ctx.as_of.strftime("%Y-%m-%d"),
            "profile": self.ctx.profile.get("name"),
            "window": {"start": self.ctx.start.strftime("%Y-%m-%d"), "end": self.ctx.end.strftime("%Y-%m-%d")},
            "indicators": {k: r.as_dict() for k, r in self.results.items()},
            "dimensions": dict(card.dimensions),
            "total": card.total,
            "stage": card.stage,
            "assumptions": list(card.assumptions),
            "data_quality": self.shop.quality_counts(),
            # beyond SPEC §8: files not loaded (counted as data_quality.skipped_file), what the report
            # used and how a consumer sees the score
            "skipped_files": [{"file": f["file"], "reason": f["reason"]} for f in self.shop.ignored],
            "overrides": list(card.overrides),
            "profile_source": self.ctx.profile.source,
            "display": card.display,
            "stars": card.stars,
            # SPEC §8: every threshold line on its own window, and the indicators ranked by points lost
            "lines": self.lines(),
            "drag": self.drag(),
        }

    def lines(self) -> list[dict]:
        """Every consequence and 飞鸽 service threshold line: ``gap`` = value − threshold (``op`` says which side is good)."""
        from .scoring.consequences import consequences

        if self._lines is None:
            table = consequences(self.ctx, self.results, self.scorecard)
            self._lines = [
                {"key": r["id"], "name": r["zh"], "group": r["group"], "metric": r["metric"], "op": r["op"], "met": _opt(r["met"], bool),
                 "value": _opt(r["value"], _num6), "threshold": float(r["threshold"]), "gap": _opt(r["gap"], _num6),
                 "window_days": int(r["window_days"]), "basis": r["basis"], "effect": r["effect"]}
                for r in table.to_dict("records")
            ]
        return self._lines

    def drag(self) -> list[dict]:
        """Scored indicators ranked by the points they cost the total: best tier score − score, times the indicator's
        weight in its dimension and the dimension's weight in the total (both renormalised over what has a score).

        ``points_lost`` is on the total's own scale (3.0–5.0 seed, 50–100 in 2026) before deductions, bonuses,
        rounding and the stage rule; ``dimension_points_lost`` on the dimension's."""
        from .metrics.base import ruleset_of
        from .metrics.descriptions import describe

        card = self.scorecard
        ind = card.indicators
        if ind is None or ind.empty or card.rules is None:
            return []
        dims = {k: v for k, v in card.dimensions.items() if v is not None}
        dweights = {k: float(card.rules.dimensions[k]["weight"]) for k in dims}
        norm = sum(dweights.values()) or 1.0
        best_tier = max(card.rules.tier_scores)
        best_direct = float(card.rules.profile["range"]["max"])
        ruleset = ruleset_of(self.ctx)
        out = []
        for r in ind.to_dict("records"):
            if r["score"] is None or pd.isna(r["score"]):
                continue
            best = best_direct if r["method"] == "direct" else best_tier
            lost_dim = float(r["effective_weight"]) * (best - float(r["score"]))
            dim_w = dweights.get(r["dimension"], 0.0) / norm
            try:
                name = describe(r["key"], ruleset).zh
            except (KeyError, ValueError):
                name = r.get("zh") or r["key"]
            out.append({"key": r["key"], "name": name, "dimension": r["dimension"], "score": float(r["score"]), "best": float(best),
                        "weight": round(float(r["effective_weight"]) * dim_w, 6), "points_lost": round(lost_dim * dim_w, 4),
                        "dimension_points_lost": round(lost_dim, 4)})
        out.sort(key=lambda d: (-d["points_lost"], d["key"]))
        return out

    def table(self) -> pd.DataFrame:
        """Indicators as a readable table."""
        from .metrics.base import registry

        known = registry(self.ctx.profile)
        rows = []
        for key, r in self.results.items():
            rows.append(
                {
                    "indicator": key,
                    "名称": known[key].zh if key in known else "",
                    "value": r.value,
                    "numerator": r.numerator,
                    "denominator": r.denominator,
                    "unit": r.unit,
                    "score": r.score,
                    "note": r.reason or "",
                }
            )
        return pd.DataFrame(rows)


def _opt(value, kind):
    """``kind(value)``, or None for a missing value (None / NaN / NA)."""
    if value is None or (not isinstance(value, (bool, str)) and pd.isna(value)):
        return None
    return kind(value)


def _num6(value) -> float:
    return round(float(value), 6)  # value − threshold without float noise (-0.33000000000000007)


def build_report(shop: ShopData, as_of=None, profile=None, window_days: int | None = None) -> ShopReport:
    ctx = Context.build(shop, as_of=as_of, profile=profile, window_days=window_days)
    results = compute_all(ctx)
    return ShopReport(ctx, results, score_shop(ctx, results))


def shop_report(data_root, shop_id: str, as_of=None, profile=None, window_days: int | None = None) -> ShopReport:
    """Load a shop and compute every indicator and the score under a profile."""
    return build_report(open_shop(data_root, shop_id), as_of=as_of, profile=profile, window_days=window_days)
