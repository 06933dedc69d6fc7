"""A small hand-made shop scored under both profiles, every step checked against hand arithmetic.

The shop (as of D = 2026-10-01; 2026 window [09-01, 10-01), seed window [07-03, 10-01)):

- 40 orders O01…O40, all paid 2026-09-10 10:00 (有效支付订单 = 40: formal stage in both profiles,
  below the 2026 floor's 500).
- Waybills: O01–O04 picked up 09-12 10:00 (48 h) and signed 09-14 10:00, due 09-15 00:00;
  O05–O40 picked up 09-10 14:00 (4 h) and signed 09-12 14:00; O05–O08 due 09-12 12:00 (late),
  the others due 09-13 00:00.
- Reviews (09-15 10:00): O01, O02 → 1★; O03–O05 → 4★; O06–O20 → 5★.
- Tickets: T1 O03 退货退款 质量问题 applied 09-16 10:00, agreed 12:00, return signed 09-18 10:00,
  refunded/completed 09-18 16:00. T2 O04 已发货仅退款 少件/漏发 applied 09-16 23:30, refunded
  09-17 09:00. T3 O05 已发货仅退款 7天无理由 applied 09-17 10:00, refunded 14:00, arbitrated, 商家责任.
- Complaint on O06 (09-12 10:00). One 拒开发票 penalty (09-20).
- 飞鸽 (09-20): S1 10:00 two rounds answered in 30 s and 240 s, rated 5★; S2 11:00 one round never
  answered, rated 2★; S3 23:30 (outside 08:00–23:00) answered in 60 s, rated 1★.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import im_messages, make_shop, session_row

from shopscore_nb.metrics import Context, compute_all
from shopscore_nb.scoring import score_shop

D = "2026-10-01"


def _orders() -> list[dict]:
    return [{"order_id": f"O{i:02d}", "sub_order_id": f"O{i:02d}-1", "paid_at": "2026-09-10 10:00:00", "is_presale": False, "is_virtual": False, "amount": 100.0} for i in range(1, 41)]


def _shipments() -> list[dict]:
    rows = []
    for i in range(1, 41):
        slow = i <= 4
        due = "2026-09-15 00:00:00" if slow else ("2026-09-12 12:00:00" if i <= 8 else "2026-09-13 00:00:00")
        rows.append({
            "order_id": f"O{i:02d}", "waybill_no": f"W{i:02d}",
            "picked_up_at": "2026-09-12 10:00:00" if slow else "2026-09-10 14:00:00",
            "signed_at": "2026-09-14 10:00:00" if slow else "2026-09-12 14:00:00",
            "promised_delivery_at": due,
        })
    return rows


def _reviews() -> list[dict]:
    score = {1: 1, 2: 1, 3: 4, 4: 4, 5: 4}
    return [{"review_id": f"R{i:02d}", "order_id": f"O{i:02d}", "created_at": "2026-09-15 10:00:00", "product_score": score.get(i, 5)} for i in range(1, 21)]


def _tickets() -> list[dict]:
    base = {"return_shipped_at": None, "return_signed_at": None, "agreed_at": None, "arbitration_status": None, "liable_party": None}
    return [
        {**base, "after_sale_id": "T1", "order_id": "O03", "type": "return_refund", "shipped_before_apply": True, "reason": "质量问题",
         "applied_at": "2026-09-16 10:00:00", "agreed_at": "2026-09-16 12:00:00", "return_shipped_at": "2026-09-17 10:00:00",
         "return_signed_at": "2026-09-18 10:00:00", "refunded_at": "2026-09-18 16:00:00", "completed_at": "2026-09-18 16:00:00"},
        {**base, "after_sale_id": "T2", "order_id": "O04", "type": "refund_only", "shipped_before_apply": True, "reason": "少件/漏发",
         "applied_at": "2026-09-16 23:30:00", "refunded_at": "2026-09-17 09:00:00", "completed_at": "2026-09-17 09:00:00"},
        {**base, "after_sale_id": "T3", "order_id": "O05", "type": "refund_only", "shipped_before_apply": True, "reason": "7天无理由",
         "applied_at": "2026-09-17 10:00:00", "refunded_at": "2026-09-17 14:00:00", "completed_at": "2026-09-17 14:00:00",
         "arbitration_status": "仲裁完成", "liable_party": "商家"},
    ]


def _im() -> tuple[list[dict], list[dict]]:
    day = "2026-09-20"
    msgs = (
        im_messages("S1", day, [("10:00:00", "buyer"), ("10:00:30", "agent"), ("10:05:00", "buyer"), ("10:09:00", "agent")], buyer_id="B1", agent_id="A1")
        + im_messages("S2", day, [("11:00:00", "buyer")], buyer_id="B2")
        + im_messages("S3", day, [("23:30:00", "buyer"), ("23:31:00", "agent")], buyer_id="B3", agent_id="A1")
    )
    sessions = [
        session_row("S1", buyer_id="B1", started_at=f"{day} 10:00:00", transferred_at=f"{day} 10:00:00", assigned_at=f"{day} 10:00:10", agent_id="A1", rating=5),
        session_row("S2", buyer_id="B2", started_at=f"{day} 11:00:00", transferred_at=f"{day} 11:00:00", rating=2),
        session_row("S3", buyer_id="B3", started_at=f"{day} 23:30:00", transferred_at=f"{day} 23:30:00", assigned_at=f"{day} 23:30:05", agent_id="A1", rating=1),
    ]
    return msgs, sessions


def hand_shop(config: dict | None = None, penalties: bool = True):
    msgs, sessions = _im()
    return make_shop(
        "hand", config=config, orders=_orders(), shipments=_shipments(), reviews=_reviews(), after_sales=_tickets(),
        complaints=[{"complaint_id": "C1", "order_id": "O06", "created_at": "2026-09-12 10:00:00"}],
        im_messages=msgs, im_sessions=sessions,
        penalties=[{"occurred_at": "2026-09-20 10:00:00", "kind": "拒开发票"}] if penalties else None,
    )


def scored(profile: str, shop=None):
    ctx = Context.build(shop or hand_shop(), as_of=D, profile=profile)
    results = compute_all(ctx)
    return ctx, results, score_shop(ctx, results)


def step(card, name: str, item: str = "total") -> pd.Series:
    rows = card.steps[(card.steps["step"] == name) & (card.steps["item"] == item)]
    assert len(rows) == 1, (name, item, card.steps)
    return rows.iloc[0]


@pytest.fixture(scope="module")
def card26():
    return scored("douyin_2026")


@pytest.fixture(scope="module")
def card22():
    return scored("douyin_2022")


# ---------------------------------------------------------------- 2026 profile
EXPECTED_2026 = {
    # key: (value, method, score)
    "product.avg_rating": (89 / 20, "floor", 80.0),  # (2×1 + 3×4 + 15×5) / 20 = 4.45 → tier 50, but 2 差评 ≤ 3 and 40 < 500 orders → 80
    "product.quality_return_rate": (1 / 40, "floor", 80.0),  # O03 first reason 质量问题; 0.025 > 1.31 % → 50; 1 ≤ 3 → floor 80
    "logistics.pickup_score_avg": (97.0, "direct", 97.0),  # (36 × 100 [4 h] + 4 × 70 [48 h]) / 40
    "logistics.waybill_on_time_rate": (36 / 40, "tiers", 80.0),  # O05–O08 late; 0.9 ≥ 0.8882 (80) but < 0.9108 (90)
    "logistics.quality_return_rate": (1 / 40, "floor", 80.0),  # O04 first reason 少件/漏发 (logistics); floor
    "service.aftersale_review_hours_avg": (7 / 3, "tiers", 90.0),  # T1 2 h; T2 23:30 → clock 08:00 → 09:00 = 1 h; T3 4 h → 2.33 h ≤ 6 (90), > 2
    "service.im_avg_response_seconds": (290.0, "tiers", 50.0),  # (30 + 240 + 600 unanswered) / 3; S3 started 23:30 excluded; > 180 s → 50
    "service.im_dissatisfaction_rate": (0.5, "floor", 80.0),  # S1 5★, S2 2★ → 1/2; only 2 rated sessions ≤ 3 → 80
    "service.platform_help_rate": (1 / 3, "floor", 80.0),  # O03, O04, O05 sought (tickets); O05 arbitrated → 1/3; floor
}


@pytest.mark.parametrize("key", list(EXPECTED_2026))
def test_2026_indicator_values_and_scores(card26, key):
    _, results, card = card26
    value, method, score = EXPECTED_2026[key]
    row = card.indicators.set_index("key").loc[key]
    assert results[key].value == pytest.approx(value)
    assert row["method"] == method
    assert row["score"] == pytest.approx(score)
    assert results[key].score == pytest.approx(score)


def test_2026_dimensions_total_and_display(card26):
    ctx, _, card = card26
    # 商品 = 80 × 0.9 + 80 × 0.1 = 80
    # 物流 = 97 × 0.15 + 80 × 0.7 + 80 × 0.15 = 14.55 + 56 + 12 = 82.55
    # 服务 (no industry → 其他(通用) 25/25/25/25) = (90 + 50 + 80 + 80) / 4 = 75
    assert card.dimensions == pytest.approx({"product": 80.0, "logistics": 82.55, "service": 75.0})
    # Σ = 80 × 0.5 + 82.55 × 0.2 + 75 × 0.3 = 40 + 16.51 + 22.5 = 79.01
    assert step(card, "weighted_total")["score"] == pytest.approx(79.01)
    # 拒开发票 × 1 → −3 (cap 15); 刷单 group 0
    assert card.deductions.set_index("group")["applied"].to_dict() == {"影响消费者体验扣分": 3.0, "虚假交易刷体验分扣分": 0.0}
    assert step(card, "range")["score"] == pytest.approx(76.01)  # 79.01 − 3, inside [50, 100]
    assert step(card, "rounding")["score"] == 76.0
    assert card.total == 76.0 and card.stage == "正式阶段" and card.effective_orders == 40
    assert card.display == 4.4 and card.stars == "4星"  # 73–76 → 4.4; 4.0–4.4 → 4星
    assert step(card, "display")["score"] == 4.4


def test_2026_steps_table_is_tidy_and_complete(card26):
    _, _, card = card26
    assert list(card.steps.columns) == ["step", "item", "zh", "value", "score", "weight", "contribution", "note"]
    counts = card.steps["step"].value_counts()
    assert counts["indicator_value"] == 9 and counts["indicator_score"] == 9 and counts["dimension_score"] == 3
    s = step(card, "indicator_score", "product.avg_rating")
    assert s["score"] == 80 and s["note"].startswith("floor")
    assert step(card, "indicator_score", "service.im_avg_response_seconds")["contribution"] == pytest.approx(12.5)  # 50 × 0.25


# ---------------------------------------------------------------- seed profile
EXPECTED_2022 = {
    "product.negative_review_rate": (2 / 40, 3.5),  # O01, O02 1★ of 40 signed; 0.05 ≤ 5 % (3.5), > 3 %
    "product.quality_return_rate": (2 / 40, 4.0),  # O03 quality + O04 logistics of 40 paid; ≤ 5 % (4.0), > 3 %
    "logistics.pickup_on_time_rate": (1.0, 5.0),  # 48 h exactly is on time
    "logistics.delivery_hours_avg": (48.0, 5.0),  # every order 48 h pickup → signed; ≤ 72 h
    "service.complaint_rate": (1 / 40, 4.0),  # O06 complained within 14 d; 2.5 % ≤ 3 % (4.0), > 2 %
    "service.dispute_merchant_rate": (1 / 3, 3.0),  # T3 arbitrated, 商家责任, of 3 completed; > 10 %
    "service.return_refund_wait_hours": (8.0, 5.0),  # T1: (12:00 − 10:00) + (16:00 − 10:00) = 2 + 6
    "service.refund_only_wait_hours": (6.75, 5.0),  # T2 9.5 h, T3 4 h → 6.75 ≤ 12
    "service.im_3min_reply_rate": (0.0, 3.0),  # S1 has a 240 s round, S2 unanswered; S3 outside hours
}


@pytest.mark.parametrize("key", list(EXPECTED_2022))
def test_seed_indicator_values_and_scores(card22, key):
    _, results, card = card22
    value, score = EXPECTED_2022[key]
    assert results[key].value == pytest.approx(value)
    assert card.indicators.set_index("key").loc[key, "score"] == pytest.approx(score)


def test_seed_dimensions_and_total(card22):
    _, _, card = card22
    # 商品 = (3.5 + 4.0) / 2 = 3.75; 物流 = (5 + 5) / 2 = 5; 服务 = (4 + 3 + 5 + 5 + 3) / 5 = 4.0
    assert card.dimensions == pytest.approx({"product": 3.75, "logistics": 5.0, "service": 4.0})
    # 3.75 × 0.4 + 5 × 0.2 + 4.0 × 0.4 = 1.5 + 1.0 + 1.6 = 4.1 (no deductions in the seed era)
    assert step(card, "weighted_total")["score"] == pytest.approx(4.1)
    assert card.total == 4.1 and card.stage == "已出分" and card.display == 4.1 and card.stars is None
    assert card.deductions.empty


def test_report_json_fills_score_fields():
    from shopscore_nb.report import build_report

    for profile, total in (("douyin_2022", 4.1), ("douyin_2026", 76.0)):  # the totals worked out by hand above
        j = build_report(hand_shop(), as_of=D, profile=profile).to_json()
        assert j["total"] == pytest.approx(total) and j["stage"] and set(j["dimensions"]) == {"product", "logistics", "service"}
        assert j["assumptions"] and all(isinstance(a, str) for a in j["assumptions"])
        scored_keys = [k for k, v in j["indicators"].items() if v["score"] is not None]
        assert len(scored_keys) == 9
