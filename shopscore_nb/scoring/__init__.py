"""Scoring of a shop under a rule profile: score, consequences, drill-down, what-if, forecast (SPEC §6).

One concept per module: ``rules`` (profile + shop.yaml for this shop), ``tiers``, ``floors``,
``stage``, ``adjustments`` (deductions, bonuses), ``display``, ``scorecard`` (the pipeline),
``consequences``, ``drilldown``, ``whatif``, ``forecast``.

>>> from shopscore_nb import load_shop
>>> from shopscore_nb.metrics import Context, compute_all
>>> from shopscore_nb.scoring import score_shop, consequences, drilldown, what_if, AnswerRounds, forecast
>>> ctx = Context.build(load_shop("../shared/golden/data", "gshop1"), as_of="2026-10-01", profile="douyin_2026")  # doctest: +SKIP
>>> results = compute_all(ctx)                                                  # doctest: +SKIP
>>> card = score_shop(ctx, results)                      # card.total, card.dimensions, card.steps   # doctest: +SKIP
>>> consequences(ctx, results, card)                                            # doctest: +SKIP
>>> drilldown(results, "logistics.waybill_on_time_rate")                        # doctest: +SKIP
>>> what_if(ctx, results, [AnswerRounds()]).table                               # doctest: +SKIP
>>> forecast(ctx, results).warnings                                             # doctest: +SKIP
"""
from .consequences import consequences
from .drilldown import drilldown, drilldown_for, export, mask_pii
from .forecast import Forecast, forecast
from .scorecard import Scorecard, score_shop
from .whatif import AnswerRounds, FasterTickets, MoreGoodOrders, MoreGoodRounds, PickupInTime, Target, least_n, what_if

__all__ = [
    "AnswerRounds", "FasterTickets", "Forecast", "MoreGoodOrders", "MoreGoodRounds", "PickupInTime", "Scorecard", "Target",
    "consequences", "drilldown", "drilldown_for", "export", "forecast", "least_n", "mask_pii", "score_shop", "what_if",
]
