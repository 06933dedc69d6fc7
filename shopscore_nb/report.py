"""One shop's full result as the CLI, notebooks and batch summary see it (SPEC §8 JSON contract).

>>> from shopscore_nb.report import shop_report
>>> rep = shop_report("data/demo", "flagship", as_of="2026-10-01")     # doctest: +SKIP
>>> rep.to_json()["indicators"]["logistics.pickup_on_time_rate"]        # doctest: +SKIP
{'value': 0.93, 'numerator': 930, 'denominator': 1000, 'unit': 'ratio', 'score': 4.8}
"""
from __future__ import annotations

from dataclasses import dataclass

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
        }

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


def build_report(shop: ShopData, as_of=None, profile=None, window_days: int | None = None) -> ShopReport:
    ctx = Context.build(shop, as_of=as_of, profile=profile, window_days=window_days)
    results = compute_all(ctx)
    return ShopReport(ctx, results, score_shop(ctx, results))


def shop_report(data_root, shop_id: str, as_of=None, profile=None, window_days: int | None = None) -> ShopReport:
    """Load a shop and compute every indicator and the score under a profile."""
    return build_report(open_shop(data_root, shop_id), as_of=as_of, profile=profile, window_days=window_days)
