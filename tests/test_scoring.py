"""Scoring pipeline against the worked examples of domain-rules.md: W1, W3, W4, W5, W6; stages and bonuses."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import make_shop

from shopscore_nb.metrics import Context, IndicatorResult
from shopscore_nb.profile import load_profile
from shopscore_nb.scoring import score_shop
from shopscore_nb.scoring.adjustments import apply_bonuses, apply_deductions, total_bonus
from shopscore_nb.scoring.display import display_value, star_band
from shopscore_nb.scoring.floors import floor_applies, order_limit
from shopscore_nb.scoring.tiers import tier_score, tier_scores

D = "2026-10-01"
P26 = load_profile("douyin_2026")
SCORES = P26["tiers"]["scores"]


def paid_orders(n: int, paid="2026-09-10 10:00:00") -> pd.DataFrame:
    return pd.DataFrame({"order_id": [f"O{i:05d}" for i in range(n)], "paid_at": pd.Timestamp(paid)})


def result(key, value, num=None, den=None, unit="ratio", **extra) -> IndicatorResult:
    return IndicatorResult(key, value, num, den, unit, pd.DataFrame(), None if value is not None else "no data", extra)


def ctx26(n_orders=1000, config=None, **tables) -> Context:
    return Context.build(make_shop(config=config, orders=paid_orders(n_orders), **tables), as_of=D, profile="douyin_2026")


# ---------------------------------------------------------------- tiers
def test_tier_boundaries_are_inclusive_in_the_good_direction():
    cut = [4.568, 4.640, 4.690, 4.741, 4.791]
    assert tier_score(4.791, cut, "higher", SCORES) == 100 and tier_score(4.7909, cut, "higher", SCORES) == 90
    assert tier_score(4.5679, cut, "higher", SCORES) == 50 and tier_score(4.568, cut, "higher", SCORES) == 60
    low = [180, 120, 85, 50, 15]
    assert tier_score(15, low, "lower", SCORES) == 100 and tier_score(15.001, low, "lower", SCORES) == 90
    assert tier_score(180.5, low, "lower", SCORES) == 50 and tier_score(None, low, "lower", SCORES) is None
    v = tier_scores([4.0, 4.65, 4.8, float("nan")], cut, "higher", SCORES)
    assert v[:3].tolist() == [50, 70, 100] and math.isnan(v[3])


W3 = {
    # key: (numerator, denominator, shown value, scale)
    "product.avg_rating": (750, 154, 4.8702, 1),
    "product.quality_return_rate": (6, 3067, 0.195, 100),
    "logistics.pickup_sla_rate": (3196, 3196, 100.0, 100),
    "logistics.waybill_on_time_rate": (2889, 3016, 95.790, 100),
    "logistics.quality_return_rate": (1, 4212, 0.0237, 100),
    "service.im_avg_response_seconds": (106823, 10063, 10.615, 1),
    "service.aftersale_deal_rate": (1563, 1635, 95.597, 100),
}


@pytest.mark.parametrize("key", list(W3))
def test_w3_values_and_tiers(key):
    num, den, shown, scale = W3[key]
    value = num / den
    assert abs(value * scale - shown) <= 0.001
    cut = P26["tiers"]["industries"]["W3样例行业"]["cutoffs"][key]
    direction = (P26["indicators"].get(key) or P26["reference_indicators"][key])["direction"]
    assert tier_score(value, cut, direction, SCORES) == 100


# ---------------------------------------------------------------- W1
def test_w1_medical_service_dimension_is_95():
    # 医疗健康(通用) service weights 25/25/25/25; default tiers: 13.872 s → 100, 1.7712 h → 100,
    # 11.1111 % (1 of 9 rated) → 90, 0.3937 % (5 of 1270) → 90 → 25 + 25 + 22.5 + 22.5 = 95.
    ctx = ctx26(config={"industry": "医疗健康", "shop_type": "通用"})
    results = {
        "service.im_avg_response_seconds": result("service.im_avg_response_seconds", 13.872, unit="seconds"),
        "service.aftersale_review_hours_avg": result("service.aftersale_review_hours_avg", 1.7712, unit="hours"),
        "service.im_dissatisfaction_rate": result("service.im_dissatisfaction_rate", 1 / 9, 1, 9),
        "service.platform_help_rate": result("service.platform_help_rate", 5 / 1270, 5, 1270),
    }
    card = score_shop(ctx, results)
    scores = card.indicators.set_index("key")["score"]
    assert scores[list(results)].tolist() == [100, 100, 90, 90]
    assert card.dimensions["service"] == 95
    assert "service weights: row 医疗健康(通用) of the per-industry table" in card.assumptions


def test_service_weights_follow_industry_and_shop_type():
    ctx = ctx26(config={"industry": "彩妆/仪器", "shop_type": "旗舰"})
    from shopscore_nb.scoring.rules import resolve_rules

    w = {k: v["weight"] for k, v in resolve_rules(ctx).indicators.items() if v["dimension"] == "service"}
    # 彩妆/仪器(旗舰): 不满意率 20 / 平均响应 40 / 审核时长 20 / 求助率 20
    assert w == pytest.approx({"service.aftersale_review_hours_avg": 0.2, "service.im_avg_response_seconds": 0.4, "service.im_dissatisfaction_rate": 0.2, "service.platform_help_rate": 0.2})


# ---------------------------------------------------------------- W4
def expected_display(s: int) -> float:
    return round(4.0 + 0.1 * math.ceil((s - 60) / 4), 1) if s >= 61 else round(3.0 + 0.1 * (s - 50), 1)


@pytest.mark.parametrize("s", range(50, 101))
def test_w4_display_mapping_whole_range(s):
    assert display_value(s, P26["display"]) == pytest.approx(expected_display(s))


def test_w4_spot_values_and_stars():
    spots = {100: 5.0, 97: 5.0, 96: 4.9, 82: 4.6, 77: 4.5, 76: 4.4, 61: 4.1, 60: 4.0, 55: 3.5, 50: 3.0}
    assert {s: display_value(s, P26["display"]) for s in spots} == spots
    stars = {5.0: "5星", 4.8: "5星", 4.7: "4.5星", 4.5: "4.5星", 4.4: "4星", 4.0: "4星", 3.9: "3.5星", 3.5: "3.5星", 3.4: "3星", 3.0: "3星"}
    assert {v: star_band(v, P26["display"]) for v in stars} == stars


# ---------------------------------------------------------------- W5
@pytest.mark.parametrize(("orders", "bad", "floored"), [(420, 2, True), (420, 3, True), (420, 4, False), (500, 2, False), (499, 0, True)])
def test_w5_floor_rule(orders, bad, floored):
    limit = order_limit(P26["floor"], "女装", "非旗舰")
    assert limit == 500
    assert floor_applies(orders, bad, limit, P26["floor"]["max_bad"]) is floored


def test_floor_limit_is_300_for_listed_industries_and_flagships():
    assert order_limit(P26["floor"], "家电", "非旗舰") == 300
    assert order_limit(P26["floor"], "女装", "旗舰") == 300


@pytest.mark.parametrize(("orders", "bad", "score"), [(420, 2, 80), (420, 3, 80), (420, 4, 50), (500, 2, 50)])
def test_w5_floor_through_the_scorecard(orders, bad, score):
    # 女装 non-flagship, 商品综合评分 4.0 (tier 50 whatever the cut-offs nearby) with `bad` 差评订单
    ctx = ctx26(orders, config={"industry": "女装", "shop_type": "非旗舰"})
    results = {"product.avg_rating": result("product.avg_rating", 4.0, 400.0, 100, unit="score", bad_count=bad)}
    card = score_shop(ctx, results)
    row = card.indicators.set_index("key").loc["product.avg_rating"]
    assert card.effective_orders == orders and row["score"] == score
    assert row["method"] == ("floor" if score == 80 else "tiers")


def test_dissatisfaction_floor_needs_only_few_rated_sessions():
    ctx = ctx26(5000)
    results = {"service.im_dissatisfaction_rate": result("service.im_dissatisfaction_rate", 2 / 3, 2, 3)}
    assert score_shop(ctx, results).indicators.set_index("key").loc["service.im_dissatisfaction_rate", "score"] == 80


# ---------------------------------------------------------------- W6
def test_w6_caps_2026_07():
    t = apply_deductions({"拒开发票": 6}, P26["deductions"]).set_index("group")
    assert t.loc["影响消费者体验扣分", "raw"] == 18 and t.loc["影响消费者体验扣分", "applied"] == 15
    assert t.loc["虚假交易刷体验分扣分", "applied"] == 0


def test_w6_caps_2026_09_plan():
    plan = [
        {"group": "异常售后地址/拒开发票", "kinds": ["异常售后地址", "拒开发票"], "points": 2, "cap": 10},
        {"group": "虚假宣传", "kinds": ["虚假宣传"], "points": 10, "cap": 10},
    ]
    t = apply_deductions({"拒开发票": 6, "虚假宣传": 1}, plan)
    assert t["raw"].tolist() == [12, 10] and t["applied"].tolist() == [10, 10] and t["applied"].sum() == 20
    bonus = [{"id": "next_day", "zh": "明日达", "shop_flag": "next_day_20pct", "dimension": "total", "points": 5, "cap": 100}]
    assert total_bonus(bonus, {"next_day_20pct": True})["points"].sum() == 5
    assert total_bonus(bonus, {})["points"].sum() == 0


def test_w6_deduction_through_the_scorecard():
    # every indicator null: no dimension, so only the deduction table is checked here
    penalties = [{"occurred_at": f"2026-09-{10 + i} 10:00:00", "kind": "拒开发票"} for i in range(6)]
    penalties.append({"occurred_at": "2026-08-01 10:00:00", "kind": "拒开发票"})  # before the window
    card = score_shop(ctx26(penalties=penalties), {})
    row = card.deductions.set_index("group").loc["影响消费者体验扣分"]
    assert (row["events"], row["raw"], row["applied"]) == (6, 18, 15)


# ---------------------------------------------------------------- stage and bonus
def test_growth_stage_is_flat_70_or_60_with_a_violation():
    card = score_shop(ctx26(12), {})
    assert (card.stage, card.total, card.display) == ("成长阶段", 70, None)
    bad = score_shop(ctx26(12, penalties=[{"occurred_at": "2026-09-20 10:00:00", "kind": "刷单刷评"}]), {})
    assert (bad.stage, bad.total) == ("成长阶段", 60)
    assert score_shop(ctx26(30), {}).stage == "正式阶段"


def test_seed_profile_has_no_score_below_30_orders():
    ctx = Context.build(make_shop(orders=paid_orders(29, "2026-09-10 10:00:00")), as_of=D, profile="douyin_2022")
    card = score_shop(ctx, {})
    assert card.stage == "未出分" and card.total is None


def test_remote_area_bonus_adds_3_to_logistics_capped_at_100():
    dims, table = apply_bonuses({"logistics": 82.0}, P26["bonuses"], {"remote_area_bonus": True})
    assert dims["logistics"] == 85.0 and table["enabled"].all()
    dims, _ = apply_bonuses({"logistics": 99.0}, P26["bonuses"], {"remote_area_bonus": True})
    assert dims["logistics"] == 100.0
    dims, _ = apply_bonuses({"logistics": 82.0}, P26["bonuses"], {})
    assert dims["logistics"] == 82.0


def test_bonus_through_the_scorecard():
    results = {"logistics.waybill_on_time_rate": result("logistics.waybill_on_time_rate", 0.9, 90, 100)}
    plain = score_shop(ctx26(), dict(results))
    bonus = score_shop(ctx26(config={"remote_area_bonus": True}), dict(results))
    assert plain.dimensions["logistics"] == 80 and bonus.dimensions["logistics"] == 83


def test_missing_indicator_weight_is_spread_and_reported():
    # only 商品综合评分 scored in the product dimension: its effective weight becomes 1
    card = score_shop(ctx26(), {"product.avg_rating": result("product.avg_rating", 4.8, 480.0, 100, unit="score", bad_count=9)})
    row = card.indicators.set_index("key").loc["product.avg_rating"]
    assert row["effective_weight"] == 1.0 and card.dimensions["product"] == 100
    assert card.total == 100  # the only dimension with a score
    assert any(a.startswith("no score for product.quality_return_rate") for a in card.assumptions)
