"""The 2026 official indicators of SPEC §5.3 (shopscore_nb/metrics/official.py), on hand-made shops.

As of D = 2026-10-01 under ``douyin_2026``: window [2026-09-01 00:00, 2026-10-01 00:00).
Worked examples from domain-rules.md: W3 (values through the indicators), W9 (pickup clock), W10
(after-sales review clock).
"""
from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest
from conftest import MINISHOPS, cli_command, im_messages, make_shop, session_row

from shopscore_nb.metrics import REGISTRY, Context, compute
from shopscore_nb.metrics.official import night_clock

D = "2026-10-01"
KEYS_2026 = [
    "product.avg_rating", "product.quality_return_rate", "logistics.pickup_score_avg", "logistics.waybill_on_time_rate",
    "logistics.quality_return_rate", "service.aftersale_review_hours_avg", "service.im_avg_response_seconds",
    "service.im_dissatisfaction_rate", "service.platform_help_rate",
]


def run26(key: str, shop):
    return compute(key, Context.build(shop, as_of=D, profile="douyin_2026"))


def orders(ids, paid="2026-09-10 10:00:00", **extra) -> list[dict]:
    return [{"order_id": i, "paid_at": paid, **extra} for i in ids]


def test_every_2026_key_is_registered_for_the_2026_ruleset_only_where_redefined():
    assert set(KEYS_2026) <= set(REGISTRY["2026"])
    for key in KEYS_2026:
        assert REGISTRY["2026"][key].rulesets == ("2026",)
    # the seed keeps its own 品质退货率 (paid-order denominator)
    assert REGISTRY["seed"]["product.quality_return_rate"].func is not REGISTRY["2026"]["product.quality_return_rate"].func


# ---------------------------------------------------------------- clocks (W9, W10)
def test_night_clock_w9_and_w10():
    ts = pd.Series(pd.to_datetime(["2026-09-14 23:30:00", "2026-09-14 05:59:59", "2026-09-14 06:00:00", "2026-09-14 17:59:59", "2026-09-14 18:00:00", None]))
    got = night_clock(ts, "18:00:00", "06:00:00")
    expected = pd.to_datetime(["2026-09-15 06:00:00", "2026-09-14 06:00:00", "2026-09-14 06:00:00", "2026-09-14 17:59:59", "2026-09-15 06:00:00", None])
    assert got.tolist()[:5] == list(expected[:5]) and pd.isna(got.iloc[5])
    review = night_clock(pd.Series(pd.to_datetime(["2026-09-18 23:30", "2026-09-19 07:00", "2026-09-19 08:00"])), "23:00:00", "08:00:00")
    assert review.tolist() == list(pd.to_datetime(["2026-09-19 08:00", "2026-09-19 08:00", "2026-09-19 08:00"]))


def test_pickup_score_w9_clock_starts_at_six_next_morning():
    # W9: 现货 paid Mon 2026-09-14 23:30, picked up Tue 10:00 → the clock starts Tue 06:00 → 4 h → 100 (≤ 12 h).
    # P2 paid Thu 10:00, picked up 40 h later → 36 < h ≤ 48 → 70. P3 paid 19:00, picked up 21:00 the same evening
    # → before the 06:00 clock start → 0 h → 100. P4 presale and P5 virtual are left out. P6: 欺诈发货 penalty → 50.
    shop = make_shop(
        orders=orders(["P1"], "2026-09-14 23:30:00") + orders(["P2"], "2026-09-10 10:00:00") + orders(["P3"], "2026-09-10 19:00:00")
        + orders(["P4"], "2026-09-10 10:00:00", is_presale=True) + orders(["P5"], "2026-09-10 10:00:00", is_virtual=True)
        + orders(["P6"], "2026-09-10 10:00:00"),
        shipments=[
            {"order_id": "P1", "waybill_no": "W1", "picked_up_at": "2026-09-15 10:00:00"},
            {"order_id": "P2", "waybill_no": "W2", "picked_up_at": "2026-09-12 02:00:00"},
            {"order_id": "P3", "waybill_no": "W3", "picked_up_at": "2026-09-10 21:00:00"},
            {"order_id": "P4", "waybill_no": "W4", "picked_up_at": "2026-09-20 10:00:00"},
            {"order_id": "P5", "waybill_no": "W5", "picked_up_at": "2026-09-20 10:00:00"},
            {"order_id": "P6", "waybill_no": "W6", "picked_up_at": "2026-09-10 11:00:00"},
        ],
        penalties=[{"occurred_at": "2026-09-11 10:00:00", "kind": "欺诈发货", "order_id": "P6"}],
    )
    r = run26("logistics.pickup_score_avg", shop)
    d = r.detail.set_index("order_id")
    assert d.loc["P1", "clock_start_at"] == pd.Timestamp("2026-09-15 06:00") and d.loc["P1", "pickup_hours"] == 4.0
    assert d.loc["P1", "sla_met"]  # collected by Tue 23:59:59
    assert d["pickup_score"].to_dict() == {"P1": 100.0, "P2": 70.0, "P3": 100.0, "P6": 50.0}
    assert d.loc["P6", "reason"] == "compensation_score_50" and d.loc["P1", "reason"] == "night_clock:<=12h"
    assert (r.value, r.numerator, r.denominator) == (80.0, 320.0, 4)  # (100 + 70 + 100 + 50) / 4
    assert d["passed"].to_dict() == {"P1": True, "P2": False, "P3": True, "P6": False}


def test_aftersale_review_w10_and_types():
    # W10: 退货退款 applied Fri 2026-09-18 23:30, agreed Sat 09:15 → counted from Sat 08:00 → 1.25 h.
    # A2 已发货仅退款 applied 10:00, agreed 12:00, refunded 12:30 → 2 h (apply → agree).
    # A3 已发货仅退款 with no agree time, refunded 13:00 after a 10:00 application → 3 h.
    # A4 applied 07:00, system-agreed 07:30 → clock starts 08:00 → 0 h (never negative).
    # Out: A5 未发货仅退款; A6 refunded after D; A7 退货退款 never refunded (not 退款成功).
    base = {"reason": "7天无理由", "agreed_at": None, "return_shipped_at": None, "refunded_at": None}
    tickets = [
        {**base, "after_sale_id": "A1", "order_id": "O1", "type": "return_refund", "shipped_before_apply": True, "applied_at": "2026-09-18 23:30:00", "agreed_at": "2026-09-19 09:15:00", "refunded_at": "2026-09-22 10:00:00"},
        {**base, "after_sale_id": "A2", "order_id": "O2", "type": "refund_only", "shipped_before_apply": True, "applied_at": "2026-09-10 10:00:00", "agreed_at": "2026-09-10 12:00:00", "refunded_at": "2026-09-10 12:30:00"},
        {**base, "after_sale_id": "A3", "order_id": "O3", "type": "refund_only", "shipped_before_apply": True, "applied_at": "2026-09-10 10:00:00", "refunded_at": "2026-09-10 13:00:00"},
        {**base, "after_sale_id": "A4", "order_id": "O4", "type": "refund_only", "shipped_before_apply": True, "applied_at": "2026-09-11 07:00:00", "agreed_at": "2026-09-11 07:30:00", "refunded_at": "2026-09-11 07:30:00"},
        {**base, "after_sale_id": "A5", "order_id": "O5", "type": "refund_only", "shipped_before_apply": False, "applied_at": "2026-09-10 10:00:00", "refunded_at": "2026-09-10 20:00:00"},
        {**base, "after_sale_id": "A6", "order_id": "O6", "type": "refund_only", "shipped_before_apply": True, "applied_at": "2026-09-30 10:00:00", "refunded_at": "2026-10-01 10:00:00"},
        {**base, "after_sale_id": "A7", "order_id": "O7", "type": "return_refund", "shipped_before_apply": True, "applied_at": "2026-09-10 10:00:00", "agreed_at": "2026-09-10 11:00:00"},
    ]
    r = run26("service.aftersale_review_hours_avg", make_shop(after_sales=tickets))
    hours = r.detail.set_index("after_sale_id")["review_hours"].to_dict()
    assert hours == pytest.approx({"A1": 1.25, "A2": 2.0, "A3": 3.0, "A4": 0.0})
    assert r.value == pytest.approx(6.25 / 4) and r.denominator == 4


# ---------------------------------------------------------------- product
def test_avg_rating_signed_cohort_first_review():
    ships = [
        {"order_id": f"O{i}", "waybill_no": f"W{i}", "picked_up_at": "2026-09-05 10:00:00", "signed_at": s}
        for i, s in [(1, "2026-09-07 10:00:00"), (2, "2026-09-07 10:00:00"), (3, "2026-09-07 10:00:00"), (4, "2026-09-07 10:00:00"), (5, "2026-08-20 10:00:00"), (6, None)]
    ]
    reviews = [
        {"review_id": "R1", "order_id": "O1", "created_at": "2026-09-08 10:00:00", "product_score": 5},
        {"review_id": "R1b", "order_id": "O1", "created_at": "2026-09-20 10:00:00", "product_score": 1},  # a later review: the first one counts
        {"review_id": "R2", "order_id": "O2", "created_at": "2026-09-08 10:00:00", "product_score": 2},
        {"review_id": "R3", "order_id": "O3", "created_at": "2026-10-01 00:00:00", "product_score": 1},  # created at D: not visible
        {"review_id": "R5", "order_id": "O5", "created_at": "2026-09-08 10:00:00", "product_score": 1},  # signed before the window
        {"review_id": "R6", "order_id": "O6", "created_at": "2026-09-08 10:00:00", "product_score": 1},  # never signed
    ]
    r = run26("product.avg_rating", make_shop(shipments=ships, reviews=reviews))
    # O1 5★ and O2 2★ are the signed orders with a visible score; O4 signed but unrated
    assert (r.value, r.numerator, r.denominator) == (3.5, 7.0, 2)
    assert r.extra["bad_count"] == 1 and r.extra["signed_orders"] == 4
    assert r.detail.set_index("order_id")["reason"].to_dict() == {"O1": "rated_3_5_star", "O2": "bad_review_1_2_star"}


def test_quality_return_rate_first_reason_signed_denominator():
    ships = [{"order_id": f"O{i}", "waybill_no": f"W{i}", "picked_up_at": "2026-09-02 10:00:00", "signed_at": "2026-09-04 10:00:00"} for i in range(1, 6)]
    ships.append({"order_id": "O6", "waybill_no": "W6", "picked_up_at": "2026-09-02 10:00:00"})  # paid but unsigned: not in the denominator
    tickets = [
        {"after_sale_id": "A1", "order_id": "O1", "type": "return_refund", "reason": "7天无理由", "applied_at": "2026-09-05 10:00:00"},
        {"after_sale_id": "A1b", "order_id": "O1", "type": "return_refund", "reason": "质量问题", "applied_at": "2026-09-06 10:00:00"},
        {"after_sale_id": "A2", "order_id": "O2", "type": "refund_only", "reason": "做工粗糙", "applied_at": "2026-09-05 10:00:00"},
        {"after_sale_id": "A3", "order_id": "O3", "type": "exchange", "reason": "质量问题", "applied_at": "2026-09-05 10:00:00"},
        {"after_sale_id": "A4", "order_id": "O4", "type": "refund_only", "reason": "质量问题", "applied_at": "2026-10-01 09:00:00"},  # after D
        {"after_sale_id": "A6", "order_id": "O6", "type": "refund_only", "reason": "质量问题", "applied_at": "2026-09-05 10:00:00"},
    ]
    r = run26("product.quality_return_rate", make_shop(shipments=ships, after_sales=tickets))
    # O1's first reason is 7天无理由 → not quality; O2 and O3 → quality; 5 signed orders
    assert (r.numerator, r.denominator) == (2, 5) and r.value == pytest.approx(0.4)
    hit = r.detail.set_index("order_id")["passed"]
    assert not hit["O2"] and not hit["O3"] and hit["O1"] and hit["O4"]


def test_missing_export_is_null_not_perfect():
    ships = [{"order_id": "O1", "waybill_no": "W1", "picked_up_at": "2026-09-02 10:00:00", "signed_at": "2026-09-04 10:00:00"}]
    r = run26("product.quality_return_rate", make_shop(shipments=ships))
    assert r.value is None and r.reason == "no after_sales data"
    empty = run26("product.avg_rating", make_shop(shipments=ships, reviews=[{"order_id": "X", "created_at": "2026-09-01 10:00:00", "product_score": 5}]))
    assert empty.value is None and empty.reason == "no data"


# ---------------------------------------------------------------- logistics
def test_waybill_on_time_rate_waybill_level_due_in_window():
    ships = [
        {"order_id": "O1", "waybill_no": "W1a", "picked_up_at": "2026-09-02 10:00:00", "signed_at": "2026-09-04 10:00:00", "promised_delivery_at": "2026-09-04 10:00:00"},  # exactly on time
        {"order_id": "O1", "waybill_no": "W1b", "picked_up_at": "2026-09-02 10:00:00", "signed_at": "2026-09-05 10:00:00", "promised_delivery_at": "2026-09-04 10:00:00"},  # late
        {"order_id": "O2", "waybill_no": "W2", "picked_up_at": "2026-09-20 10:00:00", "promised_delivery_at": "2026-09-25 10:00:00"},  # unsigned, overdue
        {"order_id": "O3", "waybill_no": "W3", "picked_up_at": "2026-09-28 10:00:00", "promised_delivery_at": "2026-10-02 10:00:00"},  # due after D
        {"order_id": "O4", "waybill_no": "W4", "picked_up_at": "2026-08-20 10:00:00", "signed_at": "2026-08-22 10:00:00", "promised_delivery_at": "2026-08-23 10:00:00"},  # due before the window
        {"order_id": "O5", "waybill_no": "W5", "picked_up_at": "2026-09-20 10:00:00", "signed_at": "2026-09-21 10:00:00", "promised_delivery_at": "2026-09-22 10:00:00"},
    ]
    r = run26("logistics.waybill_on_time_rate", make_shop(shipments=ships))
    assert (r.numerator, r.denominator) == (2, 4)
    assert r.detail.set_index("waybill_no")["reason"].to_dict() == {"W1a": "signed_by_deadline", "W1b": "signed_late", "W2": "unsigned_past_deadline", "W5": "signed_by_deadline"}


def test_logistics_return_rate_paid_denominator_gifts_excluded():
    o = orders(["O1", "O2", "O3", "O4"]) + orders(["G1"], is_gift=True) + orders(["OLD"], "2026-08-01 10:00:00")
    tickets = [
        {"after_sale_id": "A1", "order_id": "O1", "type": "refund_only", "reason": "少件/漏发", "applied_at": "2026-09-11 10:00:00"},
        {"after_sale_id": "A2", "order_id": "O2", "type": "return_refund", "reason": "质量问题", "applied_at": "2026-09-11 10:00:00"},
        {"after_sale_id": "A3", "order_id": "G1", "type": "refund_only", "reason": "发错货", "applied_at": "2026-09-11 10:00:00"},
        {"after_sale_id": "A4", "order_id": "OLD", "type": "refund_only", "reason": "发错货", "applied_at": "2026-09-11 10:00:00"},
    ]
    r = run26("logistics.quality_return_rate", make_shop(orders=o, after_sales=tickets))
    assert (r.numerator, r.denominator) == (1, 4) and r.value == 0.25


# ---------------------------------------------------------------- service: 飞鸽
def _im_shop():
    day = "2026-09-20"
    msgs = (
        im_messages("S1", day, [("10:00:00", "buyer"), ("10:00:30", "agent"), ("10:02:00", "buyer")], agent_id="A1")  # 30 s; unanswered → 600
        + im_messages("S2", day, [("22:58:00", "buyer"), ("22:59:00", "agent"), ("23:05:00", "buyer"), ("23:06:00", "agent")], agent_id="A1")  # 60 + 60
        + im_messages("S3", day, [("23:10:00", "buyer"), ("23:11:00", "agent")], agent_id="A1")  # initiated 23:10 → out
        + im_messages("S4", day, [("09:00:00", "buyer"), ("09:00:05", "robot")])  # pure robot → out
    )
    sessions = [
        session_row("S1", started_at=f"{day} 10:00:00", transferred_at=f"{day} 10:00:00", rating=3),
        session_row("S2", started_at=f"{day} 22:58:00", transferred_at=f"{day} 22:58:00", rating=5),
        session_row("S3", started_at=f"{day} 23:10:00", transferred_at=f"{day} 23:10:00", rating=1),
        session_row("S4", started_at=f"{day} 09:00:00", rating=1),
    ]
    return make_shop(im_messages=msgs, im_sessions=sessions)


def test_im_avg_response_counts_rounds_of_sessions_initiated_in_business_hours():
    r = run26("service.im_avg_response_seconds", _im_shop())
    # S1: 30 s + unanswered 600 s; S2 (initiated 22:58): 60 s + the 23:05 round 60 s; S3 initiated 23:10 → out
    assert (r.numerator, r.denominator) == (750.0, 4) and r.value == 187.5
    assert set(r.detail["session_id"]) == {"S1", "S2"} and r.extra["unanswered"] == 1


def test_im_dissatisfaction_rate_one_to_three_stars_of_rated_human_sessions():
    r = run26("service.im_dissatisfaction_rate", _im_shop())
    # S1 3★ (不满意) and S2 5★; S3 initiated after 23:00; S4 is a pure robot session
    assert (r.numerator, r.denominator) == (1, 2)


def test_w3_im_average_through_the_indicator():
    # W3: 106823 s / 10063 rounds = 10.615 s. 6193 rounds answered in 11 s and 3870 in 10 s: 68123 + 38700 = 106823.
    n, n11 = 10063, 6193
    at = pd.Timestamp("2026-09-20 10:00:00")
    sid = pd.Series([f"S{i:05d}" for i in range(n)])
    wait = pd.Series([11] * n11 + [10] * (n - n11))
    msgs = pd.concat([
        pd.DataFrame({"session_id": sid, "message_id": sid + "-0", "sent_at": at, "sender_role": "buyer"}),
        pd.DataFrame({"session_id": sid, "message_id": sid + "-1", "sent_at": at + pd.to_timedelta(wait, unit="s"), "sender_role": "agent"}),
    ], ignore_index=True)
    r = run26("service.im_avg_response_seconds", make_shop(im_messages=msgs))
    assert (r.numerator, r.denominator) == (106823.0, 10063)
    assert abs(r.value - 10.615) <= 0.001


# ---------------------------------------------------------------- W3 through the other indicators
def _signed(n: int) -> pd.DataFrame:
    ids = pd.Series([f"O{i:05d}" for i in range(n)])
    return pd.DataFrame({"order_id": ids, "waybill_no": "W" + ids, "picked_up_at": pd.Timestamp("2026-09-05 10:00"), "signed_at": pd.Timestamp("2026-09-07 10:00"), "promised_delivery_at": pd.Timestamp("2026-09-08 10:00")})


def test_w3_avg_rating_750_of_154():
    ships = _signed(154)
    scores = [5] * 142 + [4] * 8 + [2] * 4  # 710 + 32 + 8 = 750
    reviews = pd.DataFrame({"order_id": ships["order_id"], "created_at": pd.Timestamp("2026-09-08"), "product_score": scores})
    r = run26("product.avg_rating", make_shop(shipments=ships, reviews=reviews))
    assert (r.numerator, r.denominator) == (750.0, 154)
    assert abs(r.value - 4.8702) <= 0.001 and r.extra["bad_count"] == 4


def test_w3_quality_return_6_of_3067_and_waybills_2889_of_3016():
    ships = _signed(3067)
    tickets = pd.DataFrame({"after_sale_id": [f"A{i}" for i in range(6)], "order_id": ships["order_id"][:6], "type": "refund_only", "reason": "质量问题", "applied_at": pd.Timestamp("2026-09-09")})
    r = run26("product.quality_return_rate", make_shop(shipments=ships, after_sales=tickets))
    assert (r.numerator, r.denominator) == (6, 3067) and abs(r.value * 100 - 0.195) <= 0.001

    w = _signed(3016)
    w.loc[:126, "signed_at"] = pd.Timestamp("2026-09-09 10:00")  # 127 late → 2889 on time
    r = run26("logistics.waybill_on_time_rate", make_shop(shipments=w))
    assert (r.numerator, r.denominator) == (2889, 3016) and abs(r.value * 100 - 95.790) <= 0.001


def test_w3_logistics_return_1_of_4212():
    o = pd.DataFrame({"order_id": [f"O{i:05d}" for i in range(4212)], "paid_at": pd.Timestamp("2026-09-05 10:00")})
    tickets = [{"after_sale_id": "A1", "order_id": "O00000", "type": "refund_only", "reason": "发错货", "applied_at": "2026-09-06 10:00:00"}]
    r = run26("logistics.quality_return_rate", make_shop(orders=o, after_sales=tickets))
    assert (r.numerator, r.denominator) == (1, 4212) and abs(r.value * 100 - 0.0237) <= 0.001


# ---------------------------------------------------------------- 平台求助率
def test_platform_help_rate_escalations_are_arbitrations_or_complaints_after_a_human_session():
    o = orders(["O1", "O2", "O3", "O4"], buyer_id=None) + [{"order_id": "O5", "paid_at": "2026-09-10 10:00:00", "buyer_id": "B5"}]
    tickets = [
        {"after_sale_id": "A1", "order_id": "O1", "type": "refund_only", "reason": "质量问题", "applied_at": "2026-09-11 10:00:00", "arbitration_status": "仲裁中"},
        {"after_sale_id": "A2", "order_id": "O2", "type": "refund_only", "reason": "质量问题", "applied_at": "2026-09-11 10:00:00", "arbitration_status": None},
        {"after_sale_id": "A3", "order_id": "O3", "type": "refund_only", "reason": "质量问题", "applied_at": "2026-09-11 10:00:00", "arbitration_status": None},
    ]
    complaints = [
        {"complaint_id": "C2", "order_id": "O2", "created_at": "2026-09-12 10:00:00", "kind": "平台求助"},  # after a ticket only → not 升级
        {"complaint_id": "C3", "order_id": "O3", "created_at": "2026-09-10 12:00:00", "kind": "投诉"},  # before seeking → not 升级
        {"complaint_id": "C4", "order_id": "O4", "created_at": "2026-09-12 10:00:00", "kind": "投诉"},  # never sought the merchant
        {"complaint_id": "C5", "order_id": "O5", "created_at": "2026-09-13 10:00:00", "kind": "投诉"},  # after a human 飞鸽 session on O5 → 升级
    ]
    msgs = im_messages("S5", "2026-09-12", [("10:00:00", "buyer"), ("10:00:20", "agent")], buyer_id="B5", agent_id="A1")
    sessions = [session_row("S5", buyer_id="B5", started_at="2026-09-12 10:00:00", transferred_at="2026-09-12 10:00:00")]
    r = run26("service.platform_help_rate", make_shop(orders=o, after_sales=tickets, complaints=complaints, im_messages=msgs, im_sessions=sessions))
    d = r.detail.set_index("order_id")
    assert (r.numerator, r.denominator) == (2, 4)  # O1 arbitration, O5 complaint after its 飞鸽 session
    assert d["escalation"].fillna("-").to_dict() == {"O1": "arbitration", "O2": "-", "O3": "-", "O5": "complaint"}
    assert d.loc["O5", "via"] == "im" and d.loc["O1", "via"] == "after_sales"


# ---------------------------------------------------------------- CLI
def test_cli_metrics_json_2026_has_every_key():
    out = subprocess.run(cli_command("metrics", str(MINISHOPS / "data"), "--shop", "mini1", "--as-of", "2026-10-01", "--profile", "douyin_2026", "--json"), capture_output=True, text=True, check=True)
    j = json.loads(out.stdout)
    assert j["profile"] == "douyin_2026" and j["window"] == {"start": "2026-09-01", "end": "2026-10-01"}
    for key in KEYS_2026:
        assert key in j["indicators"] and j["indicators"][key]["score"] is not None
    assert set(j["dimensions"]) == {"product", "logistics", "service"} and j["total"] is not None and j["stage"] == "正式阶段"
    assert any("assumption" not in a and "rounding" in a for a in j["assumptions"])


def test_cli_metrics_json_2022_fills_scores():
    out = subprocess.run(cli_command("metrics", str(MINISHOPS / "data"), "--shop", "mini1", "--as-of", "2026-10-01", "--profile", "douyin_2022", "--json"), capture_output=True, text=True, check=True)
    j = json.loads(out.stdout)
    assert j["total"] is not None and 3.0 <= j["total"] <= 5.0 and j["stage"] and j["assumptions"]
    assert all(j["indicators"][k]["score"] is not None for k in ("product.negative_review_rate", "service.im_3min_reply_rate"))


# ---------------------------------------------------------------- robustness: nothing in the window
def _old_shop():
    old = "2026-01-05 10:00:00"
    return make_shop(
        orders=[{"order_id": "O1", "paid_at": old, "buyer_id": "B1", "is_gift": False}],
        shipments=[{"order_id": "O1", "waybill_no": "W", "picked_up_at": old, "signed_at": old, "promised_delivery_at": old}],
        after_sales=[{"after_sale_id": "A", "order_id": "O1", "type": "refund_only", "applied_at": old, "refunded_at": old, "arbitration_status": "仲裁中"}],
        reviews=[{"order_id": "O1", "created_at": old, "product_score": 5}], complaints=[{"order_id": "O1", "created_at": old}],
        im_messages=im_messages("S", "2026-01-05", [("10:00:00", "buyer"), ("10:00:10", "agent")], buyer_id="B1"),
        im_sessions=[session_row("S", started_at=old, rating=2, buyer_id="B1")], penalties=[{"occurred_at": old, "kind": "拒开发票", "order_id": "O1"}],
    )


def _empty_shop():
    return make_shop(orders=[], shipments=[], after_sales=[], reviews=[], complaints=[], im_messages=[], im_sessions=[], penalties=[])


@pytest.mark.parametrize("shop", [_old_shop, _empty_shop], ids=["all_before_window", "empty_tables"])
@pytest.mark.parametrize("key", KEYS_2026)
def test_nothing_in_the_window_is_null_with_a_reason(shop, key):
    r = run26(key, shop())
    assert r.value is None and r.reason


def test_an_order_with_one_free_gift_line_is_still_an_effective_order():
    """有效支付订单 exclude 赠品 orders; a paid order with an extra free gift line is not a gift order."""
    o = [{"order_id": "O1", "sub_order_id": "O1-1", "paid_at": "2026-09-10 10:00:00", "is_gift": False},
         {"order_id": "O1", "sub_order_id": "O1-2", "paid_at": "2026-09-10 10:00:00", "is_gift": True},
         {"order_id": "O2", "sub_order_id": "O2-1", "paid_at": "2026-09-10 10:00:00"}]
    tickets = [{"after_sale_id": "A1", "order_id": "O1", "type": "refund_only", "reason": "少件/漏发", "applied_at": "2026-09-11 10:00:00"}]
    r = run26("logistics.quality_return_rate", make_shop(orders=o, after_sales=tickets))
    # O1 (a logistics-reason first ticket) and O2 are both effective paid orders → 1 / 2
    assert (r.numerator, r.denominator) == (1, 2)


def test_platform_help_rate_is_null_without_a_complaints_export():
    o = orders(["O1", "O2"])
    tickets = [{"after_sale_id": f"A{i}", "order_id": f"O{i}", "type": "refund_only", "reason": "拍错", "applied_at": "2026-09-11 10:00:00"}
               for i in (1, 2)]
    r = run26("service.platform_help_rate", make_shop(orders=o, after_sales=tickets))
    assert r.value is None and r.reason == "no complaints data"
