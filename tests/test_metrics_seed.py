"""Every SPEC §5.1 indicator of the seed profile on a hand-built shop, numbers worked out by hand.

As-of D = 2026-10-01, N = 90: window [2026-07-03 00:00, 2026-10-01 00:00);
14-day lagged cohorts [2026-06-19 00:00, 2026-09-17 00:00).
"""
from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import AS_OF, im_messages, make_shop, run, session_row

from shopscore_nb.metrics import REGISTRY, compute_all
from shopscore_nb.metrics.base import Context

# ====================================================================== product
REVIEW_SHIPMENTS = [
    # order, picked, signed
    {"order_id": "O1", "waybill_no": "W1", "picked_up_at": "2026-07-30 10:00", "signed_at": "2026-08-01 10:00"},
    {"order_id": "O2", "waybill_no": "W2", "picked_up_at": "2026-07-30 10:00", "signed_at": "2026-08-02 10:00"},
    {"order_id": "O3", "waybill_no": "W3", "picked_up_at": "2026-07-30 10:00", "signed_at": "2026-08-03 10:00"},
    {"order_id": "O4", "waybill_no": "W4", "picked_up_at": "2026-07-30 10:00", "signed_at": "2026-08-04 10:00"},
    {"order_id": "O5", "waybill_no": "W5", "picked_up_at": "2026-07-30 10:00", "signed_at": "2026-08-05 10:00"},
    # signed one second before the window: out
    {"order_id": "O6", "waybill_no": "W6", "picked_up_at": "2026-06-30 10:00", "signed_at": "2026-07-02 23:59:59"},
    # two waybills, one still unsigned: the order is not signed yet → out
    {"order_id": "O7", "waybill_no": "W7a", "picked_up_at": "2026-08-01 10:00", "signed_at": "2026-08-06 10:00"},
    {"order_id": "O7", "waybill_no": "W7b", "picked_up_at": "2026-08-01 10:00", "signed_at": None},
    # two waybills, the last signed in the window (the first one before it) → in
    {"order_id": "O8", "waybill_no": "W8a", "picked_up_at": "2026-06-28 10:00", "signed_at": "2026-07-01 10:00"},
    {"order_id": "O8", "waybill_no": "W8b", "picked_up_at": "2026-06-28 10:00", "signed_at": "2026-07-03 10:00"},
]
REVIEWS_FOR_NEGATIVE = [
    {"review_id": "V1", "order_id": "O1", "created_at": "2026-08-05 10:00", "product_score": 1},  # bad
    {"review_id": "V2", "order_id": "O2", "created_at": "2026-09-30 23:59:59", "product_score": 2},  # bad, before D
    {"review_id": "V3", "order_id": "O3", "created_at": "2026-10-01 00:00:00", "product_score": 2},  # created at D: not visible
    {"review_id": "V4", "order_id": "O4", "created_at": "2026-08-05 10:00", "product_score": 3},  # not bad
    {"review_id": "V6", "order_id": "O6", "created_at": "2026-07-05 10:00", "product_score": 1},  # order signed outside
    {"review_id": "V7", "order_id": "O7", "created_at": "2026-08-07 10:00", "product_score": 1},  # order not signed
    {"review_id": "V8", "order_id": "O8", "created_at": "2026-07-05 10:00", "product_score": 5},
]


def test_negative_review_rate():
    shop = make_shop(shipments=REVIEW_SHIPMENTS, reviews=REVIEWS_FOR_NEGATIVE)
    r = run("product.negative_review_rate", shop)
    # signed in window: O1 O2 O3 O4 O5 O8 = 6 (O6 signed 07-02, O7 has an unsigned waybill)
    # bad (product_score ≤ 2, review created before D): O1 (1), O2 (2) = 2; O3's review is created at D
    assert (r.numerator, r.denominator) == (2, 6)
    assert r.value == pytest.approx(2 / 6)
    assert set(r.detail.index) == {"O1", "O2", "O3", "O4", "O5", "O8"}
    failed = set(r.detail.index[~r.detail["passed"]])
    assert failed == {"O1", "O2"}
    assert r.detail.loc["O5", "reason"] == "no_review"


def test_quality_return_rate():
    orders = [
        {"order_id": "P1", "sub_order_id": "P1-1", "paid_at": "2026-07-03 00:00:00"},  # window start: inclusive
        {"order_id": "P2", "sub_order_id": "P2-1", "paid_at": "2026-08-01 10:00"},
        {"order_id": "P2", "sub_order_id": "P2-2", "paid_at": "2026-08-01 10:00"},  # second sub-order row
        {"order_id": "P3", "sub_order_id": "P3-1", "paid_at": "2026-08-01 10:00"},
        {"order_id": "P4", "sub_order_id": "P4-1", "paid_at": "2026-08-01 10:00"},
        {"order_id": "P5", "sub_order_id": "P5-1", "paid_at": "2026-09-30 23:59:59"},
        {"order_id": "P6", "sub_order_id": "P6-1", "paid_at": "2026-08-01 10:00"},
        {"order_id": "P7", "sub_order_id": "P7-1", "paid_at": "2026-07-02 23:59:59"},  # before the window
    ]
    tickets = [
        {"after_sale_id": "A1", "order_id": "P1", "type": "refund_only", "reason": "质量问题", "applied_at": "2026-07-05 10:00"},  # quality
        {"after_sale_id": "A2", "order_id": "P2", "type": "return_refund", "reason": "少件/漏发", "applied_at": "2026-08-03 10:00"},  # logistics
        {"after_sale_id": "A2b", "order_id": "P2", "type": "refund_only", "reason": "发错货", "applied_at": "2026-08-04 10:00"},  # same order again
        {"after_sale_id": "A3", "order_id": "P3", "type": "refund_only", "reason": "7天无理由", "applied_at": "2026-08-03 10:00"},  # other
        {"after_sale_id": "A4", "order_id": "P4", "type": "exchange", "reason": "质量问题", "applied_at": "2026-08-03 10:00"},  # 换货: not counted
        {"after_sale_id": "A5", "order_id": "P5", "type": "return_refund", "reason": "质量问题", "applied_at": "2026-10-01 00:00:00"},  # applied at D
        {"after_sale_id": "A7", "order_id": "P7", "type": "refund_only", "reason": "质量问题", "applied_at": "2026-07-05 10:00"},  # order outside
    ]
    shop = make_shop(orders=orders, after_sales=tickets)
    r = run("product.quality_return_rate", shop)
    # paid in window: P1..P6 = 6 distinct orders (P2's two sub-order rows count once)
    # hit: P1 (质量问题 → quality), P2 (少件/漏发 → logistics; two tickets, one order) = 2
    assert (r.numerator, r.denominator) == (2, 6)
    assert r.value == pytest.approx(1 / 3)
    assert set(r.detail.index[~r.detail["passed"]]) == {"P1", "P2"}


# ====================================================================== logistics
PICKUP_ORDERS = [
    {"order_id": "A1", "paid_at": "2026-08-01 10:00:00"},
    {"order_id": "A2", "paid_at": "2026-08-01 10:00:00"},
    {"order_id": "A3", "paid_at": "2026-08-01 10:00:00"},
    {"order_id": "A4", "paid_at": "2026-08-01 10:00:00"},
    {"order_id": "A5", "paid_at": "2026-08-01 10:00:00"},
    {"order_id": "A6", "paid_at": "2026-08-01 10:00:00", "is_presale": True, "promised_ship_at": "2026-08-10 00:00:00"},
    {"order_id": "A7", "paid_at": "2026-08-01 10:00:00", "is_presale": True, "promised_ship_at": "2026-08-02 00:00:00"},
    {"order_id": "A8", "paid_at": "2026-08-01 10:00:00", "is_virtual": True},
    {"order_id": "A9", "paid_at": "2026-07-01 10:00:00"},
    {"order_id": "A10", "paid_at": "2026-08-04 08:00:00"},
]
PICKUP_SHIPMENTS = [
    {"order_id": "A1", "waybill_no": "X1", "picked_up_at": "2026-08-01 20:00:00"},  # 10 h
    {"order_id": "A2", "waybill_no": "X2", "picked_up_at": "2026-08-02 10:00:00"},  # 24 h exactly
    {"order_id": "A3", "waybill_no": "X3", "picked_up_at": "2026-08-02 16:00:00"},  # 30 h
    {"order_id": "A4", "waybill_no": "X4", "picked_up_at": "2026-08-03 10:00:00"},  # 48 h exactly: on time
    {"order_id": "A5", "waybill_no": "X5", "picked_up_at": "2026-08-03 10:00:01"},  # 48 h + 1 s: late
    {"order_id": "A6", "waybill_no": "X6", "picked_up_at": "2026-08-09 12:00:00"},  # presale, 194 h but before the promise
    {"order_id": "A7", "waybill_no": "X7", "picked_up_at": "2026-08-02 10:00:00"},  # presale, 24 h but after the promise
    {"order_id": "A8", "waybill_no": "X8", "picked_up_at": "2026-08-10 10:00:00"},  # virtual: excluded
    {"order_id": "A9", "waybill_no": "X9", "picked_up_at": "2026-07-02 23:00:00"},  # picked up before the window
    {"order_id": "A10", "waybill_no": "X10a", "picked_up_at": "2026-08-04 09:00:00"},  # first waybill: 1 h
    {"order_id": "A10", "waybill_no": "X10b", "picked_up_at": "2026-08-06 09:00:00"},
]


def test_pickup_on_time_rate_and_bands():
    r = run("logistics.pickup_on_time_rate", make_shop(orders=PICKUP_ORDERS, shipments=PICKUP_SHIPMENTS))
    # counted (non-virtual, picked up in window): A1 A2 A3 A4 A5 A6 A7 A10 = 8
    # on time: A1 (10 h), A2 (24 h), A3 (30 h), A4 (48 h ≤ 48), A6 (presale, before promise), A10 (1 h) = 6
    # late:    A5 (48 h + 1 s), A7 (presale: 24 h but after promised_ship_at)
    assert (r.numerator, r.denominator) == (6, 8)
    assert r.value == pytest.approx(0.75)
    assert set(r.detail.index) == {"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A10"}
    assert set(r.detail.index[~r.detail["passed"]]) == {"A5", "A7"}
    assert r.detail.loc["A6", "reason"] == "presale_before_promise"
    assert r.detail.loc["A7", "reason"] == "presale_after_promise"
    # bands on pickup − payment, right-closed: 0–24: A1 10, A2 24, A7 24, A10 1 = 4; 24–36: A3 30 = 1;
    # 36–48: A4 48 = 1; > 48: A5 48.0003, A6 194 = 2
    assert r.extra["bands"] == {"0-24h": 4, "24-36h": 1, "36-48h": 1, ">48h": 2}
    assert sum(r.extra["bands"].values()) == r.denominator


def test_delivery_hours_avg_excludes_presale_and_virtual():
    orders = [
        {"order_id": "B1", "paid_at": "2026-07-31 10:00"},
        {"order_id": "B2", "paid_at": "2026-07-31 10:00"},
        {"order_id": "B3", "paid_at": "2026-07-31 10:00", "is_presale": True},
        {"order_id": "B4", "paid_at": "2026-07-31 10:00", "is_virtual": True},
        {"order_id": "B5", "paid_at": "2026-06-30 10:00"},
    ]
    shipments = [
        {"order_id": "B1", "waybill_no": "Y1", "picked_up_at": "2026-08-01 10:00", "signed_at": "2026-08-03 10:00"},  # 48 h
        {"order_id": "B2", "waybill_no": "Y2", "picked_up_at": "2026-08-01 10:00", "signed_at": "2026-08-02 22:00"},  # 36 h
        {"order_id": "B3", "waybill_no": "Y3", "picked_up_at": "2026-08-01 10:00", "signed_at": "2026-08-05 14:00"},  # presale: out
        {"order_id": "B4", "waybill_no": "Y4", "picked_up_at": "2026-08-01 10:00", "signed_at": "2026-08-05 14:00"},  # virtual: out
        {"order_id": "B5", "waybill_no": "Y5", "picked_up_at": "2026-07-01 10:00", "signed_at": "2026-07-02 10:00"},  # signed before window
    ]
    r = run("logistics.delivery_hours_avg", make_shop(orders=orders, shipments=shipments))
    # (48 + 36) / 2 = 42 h
    assert (r.numerator, r.denominator) == (pytest.approx(84.0), 2)
    assert r.value == pytest.approx(42.0)
    assert r.unit == "hours"
    assert set(r.detail.index) == {"B1", "B2"}


def test_delivery_hours_avg_without_orders_table_uses_neutral_flags():
    # SPEC §5: absent optional columns take their neutral value (not presale, not virtual);
    # delivery needs only the shipments export.
    shipments = [{"order_id": "B1", "waybill_no": "Y1", "picked_up_at": "2026-08-01 10:00", "signed_at": "2026-08-02 16:00"}]  # 30 h
    r = run("logistics.delivery_hours_avg", make_shop(shipments=shipments))
    assert r.value == pytest.approx(30.0)


# ====================================================================== service: complaints (14-day lagged cohort)
def test_complaint_rate_cohort_and_14_day_bounds():
    orders = [
        {"order_id": "C1", "paid_at": "2026-06-19 00:00:00"},  # cohort start D−N−14: inclusive
        {"order_id": "C2", "paid_at": "2026-09-17 00:00:00"},  # cohort end D−14: exclusive
        {"order_id": "C3", "paid_at": "2026-09-16 23:59:59"},  # last second of the cohort
        {"order_id": "C4", "paid_at": "2026-06-18 23:59:59"},  # before the cohort
        {"order_id": "C5", "paid_at": "2026-08-01 10:00:00"},
        {"order_id": "C6", "paid_at": "2026-08-01 10:00:00"},
        {"order_id": "C7", "paid_at": "2026-08-01 10:00:00"},
    ]
    complaints = [
        {"complaint_id": "K1", "order_id": "C1", "created_at": "2026-07-03 00:00:00"},  # paid + 14×24 h exactly: counts
        {"complaint_id": "K2", "order_id": "C2", "created_at": "2026-09-18 00:00:00"},  # order outside the cohort
        {"complaint_id": "K3", "order_id": "C3", "created_at": "2026-10-01 00:00:00"},  # paid + 14 d + 1 s: does not count
        {"complaint_id": "K4", "order_id": "C4", "created_at": "2026-06-20 00:00:00"},  # order outside the cohort
        {"complaint_id": "K5", "order_id": "C5", "created_at": "2026-08-02 10:00:00"},  # 1 day after payment
        {"complaint_id": "K7", "order_id": "C7", "created_at": "2026-08-01 09:00:00"},  # before payment: not "after payment"
    ]
    r = run("service.complaint_rate", make_shop(orders=orders, complaints=complaints))
    # cohort [2026-06-19, 2026-09-17): C1 C3 C5 C6 C7 = 5; complained within 14×24 h: C1, C5 = 2
    assert (r.numerator, r.denominator) == (2, 5)
    assert r.value == pytest.approx(0.4)
    assert set(r.detail.index) == {"C1", "C3", "C5", "C6", "C7"}
    assert set(r.detail.index[~r.detail["passed"]]) == {"C1", "C5"}


# ====================================================================== service / after-sales dashboards
AFTER_SALES_ORDERS = [{"order_id": f"Q{i}", "paid_at": "2026-07-20 10:00"} for i in range(1, 10)]
AFTER_SALES = [
    # 仅退款: agreed after 3 h, refunded after 4 h, not shipped when applied
    {"after_sale_id": "F1", "order_id": "Q1", "type": "refund_only", "applied_at": "2026-08-01 10:00", "agreed_at": "2026-08-01 13:00",
     "refunded_at": "2026-08-01 14:00", "completed_at": "2026-08-01 14:00", "shipped_before_apply": False},
    # 仅退款: rejected after 6 h, never refunded
    {"after_sale_id": "F2", "order_id": "Q2", "type": "refund_only", "applied_at": "2026-08-02 00:00", "rejected_at": "2026-08-02 06:00",
     "completed_at": "2026-08-03 00:00", "shipped_before_apply": True},
    # 仅退款: refunded directly after 3 h, not shipped
    {"after_sale_id": "F3", "order_id": "Q3", "type": "refund_only", "applied_at": "2026-08-03 00:00", "refunded_at": "2026-08-03 03:00",
     "completed_at": "2026-08-03 03:00", "shipped_before_apply": False},
    # 退货退款: agreed after 2 h; return signed 08-03 10:00, refunded 6 h later; shipped; applied→refund = 54 h
    {"after_sale_id": "R1", "order_id": "Q4", "type": "return_refund", "applied_at": "2026-08-01 10:00", "agreed_at": "2026-08-01 12:00",
     "return_shipped_at": "2026-08-02 10:00", "return_signed_at": "2026-08-03 10:00", "refunded_at": "2026-08-03 16:00",
     "completed_at": "2026-08-03 16:00", "shipped_before_apply": True},
    # 换货: agreed after 1 h, return signed, no refund (exchange) → 1 h
    {"after_sale_id": "R2", "order_id": "Q5", "type": "exchange", "applied_at": "2026-08-01 10:00", "agreed_at": "2026-08-01 11:00",
     "return_signed_at": "2026-08-04 10:00", "completed_at": "2026-08-05 10:00", "shipped_before_apply": True},
    # 退货退款 completed at D: outside every window; refunded at D too
    {"after_sale_id": "R4", "order_id": "Q6", "type": "return_refund", "applied_at": "2026-09-30 10:00", "agreed_at": "2026-09-30 11:00",
     "return_signed_at": "2026-09-30 20:00", "refunded_at": "2026-10-01 00:00", "completed_at": "2026-10-01 00:00", "shipped_before_apply": True},
    # 仅退款 refunded and completed before the window
    {"after_sale_id": "F5", "order_id": "Q7", "type": "refund_only", "applied_at": "2026-07-01 10:00", "agreed_at": "2026-07-01 11:00",
     "refunded_at": "2026-07-02 10:00", "completed_at": "2026-07-02 10:00", "shipped_before_apply": False},
    # 其他 type completed in window: only in the dispute denominator
    {"after_sale_id": "Z1", "order_id": "Q8", "type": "other", "applied_at": "2026-08-01 10:00", "agreed_at": "2026-08-01 11:00",
     "completed_at": "2026-08-02 10:00"},
    # open ticket (not completed)
    {"after_sale_id": "Z2", "order_id": "Q9", "type": "refund_only", "applied_at": "2026-09-29 10:00"},
]


def _after_sales_shop(**extra):
    return make_shop(orders=AFTER_SALES_ORDERS, after_sales=AFTER_SALES, **extra)


def test_return_refund_wait_hours():
    r = run("service.return_refund_wait_hours", _after_sales_shop())
    # 退货退款 + 换货 completed in window: R1 = (12:00 − 10:00) + (16:00 − 10:00 on 08-03) = 2 + 6 = 8 h;
    # R2 = 1 h (no refund: second term 0). R4 completed at D: out. Mean (8 + 1) / 2 = 4.5 h
    assert (r.numerator, r.denominator) == (pytest.approx(9.0), 2)
    assert r.value == pytest.approx(4.5)


def test_refund_only_wait_hours():
    r = run("service.refund_only_wait_hours", _after_sales_shop())
    # 仅退款 completed in window: F1 first action agree after 3 h, F2 reject after 6 h, F3 refund after 3 h
    # (F5 completed before the window, Z2 open). Mean (3 + 6 + 3) / 3 = 4 h
    assert (r.numerator, r.denominator) == (pytest.approx(12.0), 3)
    assert r.value == pytest.approx(4.0)


def test_aftersales_refund_hours_avg():
    r = run("aftersales.refund_hours_avg", _after_sales_shop())
    # 仅退款 refunded in window: F1 4 h, F3 3 h (F2 never refunded, F5 refunded before the window). Mean 3.5 h
    assert (r.numerator, r.denominator) == (pytest.approx(7.0), 2)
    assert r.value == pytest.approx(3.5)


def test_aftersales_processing_hours_overall_and_split():
    shop = _after_sales_shop()
    # refund-succeeded 仅退款 + 退货退款 refunded in window: F1 4 h (pre-ship), F3 3 h (pre-ship), R1 54 h (post-ship)
    overall = run("aftersales.processing_hours_avg", shop)
    assert (overall.numerator, overall.denominator) == (pytest.approx(61.0), 3)
    assert overall.value == pytest.approx(61 / 3)
    pre = run("aftersales.processing_hours_avg_pre_ship", shop)
    assert (pre.numerator, pre.denominator) == (pytest.approx(7.0), 2)
    assert pre.value == pytest.approx(3.5)
    post = run("aftersales.processing_hours_avg_post_ship", shop)
    assert (post.numerator, post.denominator) == (pytest.approx(54.0), 1)
    assert post.value == pytest.approx(54.0)


def test_aftersales_processing_split_derived_from_pickup_when_status_not_exported():
    # No 商品发货状态 column: "shipped when applied" comes from the waybill pickup time.
    orders = [{"order_id": "Q1", "paid_at": "2026-07-30 10:00"}, {"order_id": "Q2", "paid_at": "2026-07-30 10:00"}]
    shipments = [{"order_id": "Q2", "waybill_no": "Y2", "picked_up_at": "2026-07-31 10:00"}]
    tickets = [
        # Q1 never picked up: pre-ship, 2 h
        {"after_sale_id": "F1", "order_id": "Q1", "type": "refund_only", "applied_at": "2026-08-01 10:00", "refunded_at": "2026-08-01 12:00"},
        # Q2 picked up 07-31, applied 08-01: post-ship, 10 h
        {"after_sale_id": "F2", "order_id": "Q2", "type": "return_refund", "applied_at": "2026-08-01 10:00", "refunded_at": "2026-08-01 20:00"},
    ]
    shop = make_shop(orders=orders, shipments=shipments, after_sales=tickets)
    assert run("aftersales.processing_hours_avg_pre_ship", shop).value == pytest.approx(2.0)
    assert run("aftersales.processing_hours_avg_post_ship", shop).value == pytest.approx(10.0)
    assert run("aftersales.processing_hours_avg", shop).value == pytest.approx(6.0)


def test_dispute_merchant_rate():
    tickets = [
        {"after_sale_id": "T1", "order_id": "Q1", "type": "refund_only", "applied_at": "2026-08-01 10:00", "completed_at": "2026-08-10 10:00",
         "arbitration_status": "仲裁完成", "liable_party": "商家"},  # arbitrated, merchant liable: hit
        {"after_sale_id": "T2", "order_id": "Q2", "type": "refund_only", "applied_at": "2026-08-01 10:00", "completed_at": "2026-08-10 10:00",
         "arbitration_status": "仲裁完成", "liable_party": "买家"},  # arbitrated, buyer liable
        {"after_sale_id": "T3", "order_id": "Q3", "type": "return_refund", "applied_at": "2026-08-01 10:00", "completed_at": "2026-08-10 10:00",
         "arbitration_status": None, "liable_party": None},  # never arbitrated
        {"after_sale_id": "T4", "order_id": "Q4", "type": "refund_only", "applied_at": "2026-08-01 10:00", "completed_at": "2026-08-10 10:00",
         "arbitration_status": "未仲裁", "liable_party": None},  # explicitly not arbitrated
        {"after_sale_id": "T5", "order_id": "Q5", "type": "refund_only", "applied_at": "2026-06-01 10:00", "completed_at": "2026-07-02 10:00",
         "arbitration_status": "仲裁完成", "liable_party": "商家"},  # completed before the window
        {"after_sale_id": "T6", "order_id": "Q6", "type": "refund_only", "applied_at": "2026-09-01 10:00", "completed_at": None,
         "arbitration_status": "仲裁中", "liable_party": None},  # not completed
    ]
    r = run("service.dispute_merchant_rate", make_shop(after_sales=tickets))
    # completed in window: T1 T2 T3 T4 = 4; arbitrated and merchant's responsibility: T1 = 1
    assert (r.numerator, r.denominator) == (1, 4)
    assert r.value == pytest.approx(0.25)
    detail = r.detail.set_index("after_sale_id")
    assert detail.loc["T1", "reason"] == "merchant_liable"
    assert detail.loc["T2", "reason"] == "arbitrated_not_merchant"
    assert detail.loc["T3", "reason"] == "no_arbitration"
    assert detail.loc["T4", "reason"] == "no_arbitration"


# ====================================================================== 飞鸽 (IM) indicators
DAY = "2026-09-01"
IM_SESSIONS = [
    session_row("S1", buyer_id="B1", started_at=f"{DAY} 10:00:00", transferred_at=f"{DAY} 10:00:30", queued_at=f"{DAY} 10:00:30",
                assigned_at=f"{DAY} 10:01:00", agent_id="A1", rating=5),
    session_row("S2", buyer_id="B2", started_at=f"{DAY} 14:00:00", queued_at=f"{DAY} 14:00:00", assigned_at=f"{DAY} 14:00:20",
                agent_id="A2", rating=3),
    session_row("S3", buyer_id="B3", started_at=f"{DAY} 22:29:50", transferred_at=f"{DAY} 22:30:00", queued_at=f"{DAY} 22:30:00"),
    session_row("S4", buyer_id="B4", started_at=f"{DAY} 11:00:00"),
    session_row("S5", buyer_id="B5", started_at=f"{DAY} 23:10:00", agent_id="A1", rating=1),
]
IM_MESSAGES = (
    # S1: robot phase, transfer at 10:00:30, two rounds: 80 s (pass) and 210 s (fail)
    im_messages("S1", DAY, [("10:00:00", "buyer"), ("10:00:10", "robot"), ("10:00:40", "buyer"), ("10:02:00", "agent"),
                            ("10:05:00", "buyer"), ("10:06:00", "buyer"), ("10:08:30", "agent")], buyer_id="B1", agent_id="A1")
    # S2: no robot, no transfer (direct to human): two rounds of 60 s, the second answered by robot_assist
    + im_messages("S2", DAY, [("14:00:00", "buyer"), ("14:01:00", "agent"), ("14:10:00", "buyer"), ("14:11:00", "robot_assist")],
                  buyer_id="B2", agent_id="A2")
    # S3: transferred at 22:30, nobody answers: one unanswered round
    + im_messages("S3", DAY, [("22:29:50", "buyer"), ("22:30:10", "buyer"), ("22:31:00", "buyer")], buyer_id="B3")
    # S4: pure robot
    + im_messages("S4", DAY, [("11:00:00", "buyer"), ("11:00:05", "robot")], buyer_id="B4")
    # S5: after 23:00, answered in 120 s: outside the business window (platform clock)
    + im_messages("S5", DAY, [("23:10:00", "buyer"), ("23:12:00", "agent")], buyer_id="B5", agent_id="A1")
)


@pytest.fixture
def im_shop():
    return make_shop(im_messages=IM_MESSAGES, im_sessions=IM_SESSIONS)


def test_im_session_rate(im_shop):
    r = run("service.im_3min_reply_rate", im_shop)
    # sessions with a round in the business window: S1 (80 s pass, 210 s fail → 0), S2 (60, 60 → 1),
    # S3 (unanswered → 0); S4 pure robot excluded; S5 starts 23:10 → outside. 1 / 3
    assert (r.numerator, r.denominator) == (1, 3)
    assert r.value == pytest.approx(1 / 3)
    detail = r.detail.set_index("session_id")
    assert set(detail.index) == {"S1", "S2", "S3"}
    assert detail.loc["S1", "reason"] == "platform:replied_after_180s"
    assert detail.loc["S3", "reason"] == "platform:unanswered"


def test_im_round_rate(im_shop):
    r = run("cs.im_3min_reply_rate_round", im_shop)
    # counted rounds: S1 80 s ✓, S1 210 s ✗, S2 60 s ✓, S2 60 s ✓ (robot_assist), S3 unanswered ✗ → 3 / 5
    assert (r.numerator, r.denominator) == (3, 5)


def test_im_message_rate(im_shop):
    r = run("cs.im_3min_reply_rate_msg", im_shop)
    # human-phase buyer messages in the business window:
    #   S1 10:00:40 → 10:02:00 = 80 s ✓; 10:05:00 → 10:08:30 = 210 s ✗; 10:06:00 → 10:08:30 = 150 s ✓
    #   (S1 10:00:00 is before the transfer: robot phase)
    #   S2 14:00 → 60 s ✓; 14:10 → 60 s ✓
    #   S3 22:30:10 ✗, 22:31:00 ✗ (unanswered; 22:29:50 is before the transfer)
    #   S5 23:10 outside the window
    # → 4 / 7
    assert (r.numerator, r.denominator) == (4, 7)


def test_first_response_seconds_avg(im_shop):
    r = run("cs.first_response_seconds_avg", im_shop)
    # S1: first valid reply 10:02:00 − transfer 10:00:30 = 90 s; S2: 14:01:00 − start 14:00:00 = 60 s
    # S3 never answered (no first response), S5 outside the business window → (90 + 60) / 2 = 75 s
    assert (r.numerator, r.denominator) == (pytest.approx(150.0), 2)
    assert r.value == pytest.approx(75.0)


def test_avg_response_seconds_unanswered_counts_600(im_shop):
    r = run("cs.avg_response_seconds", im_shop)
    # counted rounds: 80 + 210 + 60 + 60 + 600 (S3 unanswered) = 1010 over 5 → 202 s
    assert (r.numerator, r.denominator) == (pytest.approx(1010.0), 5)
    assert r.value == pytest.approx(202.0)


def test_avg_response_seconds_caps_waits_at_600():
    msgs = im_messages("S1", DAY, [("10:00:00", "buyer"), ("10:20:00", "agent"), ("11:00:00", "buyer"), ("11:01:40", "agent")])
    r = run("cs.avg_response_seconds", make_shop(im_messages=msgs))
    # round 1 waits 1200 s → capped at 600; round 2 waits 100 s → (600 + 100) / 2 = 350 s
    assert (r.numerator, r.denominator) == (pytest.approx(700.0), 2)
    assert r.value == pytest.approx(350.0)


def test_acceptance_rate(im_shop):
    r = run("cs.acceptance_rate", im_shop)
    # human sessions in the window: S1 (transferred, assigned), S2 (direct to human, assigned), S3 (transferred,
    # never assigned or answered), S5 (direct to human, answered) — S2 and S5 have no robot phase, so the
    # human phase starts with the session and the code treats them as transferred at the start.
    # accepted: S1, S2, S5 → 3 / 4
    assert (r.numerator, r.denominator) == (3, 4)


def test_avg_queue_seconds(im_shop):
    r = run("cs.avg_queue_seconds", im_shop)
    # accepted sessions with a queue time: S1 10:01:00 − 10:00:30 = 30 s; S2 14:00:20 − 14:00:00 = 20 s;
    # S5 was answered but has no assigned_at → no queue time. (30 + 20) / 2 = 25 s
    assert (r.numerator, r.denominator) == (pytest.approx(50.0), 2)
    assert r.value == pytest.approx(25.0)


def test_satisfaction_rate(im_shop):
    r = run("cs.satisfaction_rate", im_shop)
    # rated sessions started in the business window: S1 5★ (satisfied), S2 3★ (not); S5 1★ starts 23:10 → out
    assert (r.numerator, r.denominator) == (1, 2)


def test_first_reply_2min_rate(im_shop):
    r = run("cs.first_reply_2min_rate", im_shop)
    # human sessions (all hours, SPEC row has no business window): S1 90 s ✓, S2 60 s ✓, S3 never answered ✗,
    # S5 23:10 → 23:12 = 120 s ✓ (inclusive) → 3 / 4
    assert (r.numerator, r.denominator) == (3, 4)


def test_session_counts(im_shop):
    ctx = Context.build(im_shop, as_of=AS_OF, profile="douyin_2022")
    res = compute_all(ctx, ["cs.consult_sessions", "cs.human_sessions", "cs.accepted_sessions"])
    # 咨询量: S1..S5 = 5; 转人工量: S1 S2 S3 S5 = 4 (S4 pure robot); 人工接待量: S1 S2 S5 = 3
    assert res["cs.consult_sessions"].value == 5
    assert res["cs.human_sessions"].value == 4
    assert res["cs.accepted_sessions"].value == 3


def test_assisted_sales_72h():
    sessions = [session_row("S1", buyer_id="B1", started_at="2026-09-01 10:00:00", agent_id="A1")]
    msgs = im_messages("S1", DAY, [("10:00:00", "buyer"), ("10:01:00", "agent")], buyer_id="B1", agent_id="A1")
    orders = [
        {"order_id": "O1", "sub_order_id": "O1-1", "buyer_id": "B1", "paid_at": "2026-09-03 09:59:59", "amount": 60.0},  # 71:59:59 after
        {"order_id": "O1", "sub_order_id": "O1-2", "buyer_id": "B1", "paid_at": "2026-09-03 09:59:59", "amount": 40.0},  # same order
        {"order_id": "O2", "sub_order_id": "O2-1", "buyer_id": "B1", "paid_at": "2026-09-04 10:00:00", "amount": 50.0},  # exactly 72 h
        {"order_id": "O3", "sub_order_id": "O3-1", "buyer_id": "B1", "paid_at": "2026-09-04 10:00:01", "amount": 7.0},  # 72 h + 1 s
        {"order_id": "O4", "sub_order_id": "O4-1", "buyer_id": "B1", "paid_at": "2026-09-01 09:59:59", "amount": 9.0},  # before the session
        {"order_id": "O5", "sub_order_id": "O5-1", "buyer_id": "B9", "paid_at": "2026-09-01 12:00:00", "amount": 11.0},  # another buyer
    ]
    r = run("cs.assisted_sales", make_shop(orders=orders, im_messages=msgs, im_sessions=sessions))
    # O1 (60 + 40) + O2 50 = 150 yuan
    assert r.value == pytest.approx(150.0)
    assert r.unit == "yuan"


def test_assisted_sales_null_without_buyer_id():
    msgs = im_messages("S1", DAY, [("10:00:00", "buyer"), ("10:01:00", "agent")], agent_id="A1")  # no buyer_id
    orders = [{"order_id": "O1", "paid_at": "2026-09-01 12:00:00", "amount": 60.0}]  # no buyer_id either
    r = run("cs.assisted_sales", make_shop(orders=orders, im_messages=msgs))
    assert r.value is None
    assert r.reason


def test_taobao_reply_rate():
    msgs = (
        # B1 ↔ A1: replied later the same day → valid
        im_messages("X1", DAY, [("10:00:00", "buyer"), ("10:05:00", "agent")], buyer_id="B1", agent_id="A1")
        # B2 ↔ A2: asked 21:00, answered next day 09:00 → the 09-01 reception is invalid (no ask on 09-02)
        + im_messages("X2", DAY, [("21:00:00", "buyer"), ("2026-09-02 09:00:00", "agent")], buyer_id="B2", agent_id="A2")
        # B3 ↔ A3: only system and robot messages → invalid
        + im_messages("X3", DAY, [("12:00:00", "buyer"), ("12:00:01", "system", "A3"), ("12:00:02", "robot", "A3")], buyer_id="B3")
        # B4 ↔ A4: 店小蜜 in assist mode (robot_assist) → valid
        + im_messages("X4", DAY, [("15:00:00", "buyer"), ("15:00:05", "robot_assist")], buyer_id="B4", agent_id="A4")
        # B5 asks A5, who transfers without replying (invalid); A6 then replies (valid)
        + im_messages("X5", DAY, [("16:00:00", "buyer")], buyer_id="B5")
        + im_messages("X6", DAY, [("16:02:00", "buyer"), ("16:03:00", "agent")], buyer_id="B5", agent_id="A6")
    )
    sessions = [
        session_row("X1", agent_id="A1"), session_row("X2", agent_id="A2"), session_row("X3", agent_id="A3"),
        session_row("X4", agent_id="A4"), session_row("X5", agent_id="A5", transferred_at=f"{DAY} 16:00:01"),
        session_row("X6", agent_id="A6"),
    ]
    r = run("cs.taobao_reply_rate", make_shop(im_messages=msgs, im_sessions=sessions))
    # receptions (day, buyer, sub-account): (09-01,B1,A1) ✓ (09-01,B2,A2) ✗ (09-01,B3,A3) ✗ (09-01,B4,A4) ✓
    # (09-01,B5,A5) ✗ (09-01,B5,A6) ✓ → 3 / 6
    assert (r.numerator, r.denominator) == (3, 6)
    assert r.value == pytest.approx(0.5)


# ====================================================================== reviews dashboard
REVIEWS_3 = [
    {"review_id": "V1", "order_id": "O1", "created_at": "2026-07-03 00:00:00", "product_score": 5, "logistics_score": 5, "service_score": 5},  # 15 good
    {"review_id": "V2", "order_id": "O2", "created_at": "2026-09-30 23:59:59", "product_score": 4, "logistics_score": 4, "service_score": 4},  # 12 good
    {"review_id": "V3", "order_id": "O3", "created_at": "2026-10-01 00:00:00", "product_score": 5, "logistics_score": 5, "service_score": 5},  # at D: out
    {"review_id": "V4", "order_id": "O4", "created_at": "2026-07-02 23:59:59", "product_score": 1, "logistics_score": 1, "service_score": 1},  # before: out
    {"review_id": "V5", "order_id": "O5", "created_at": "2026-08-01 10:00:00", "product_score": 5, "logistics_score": 3, "service_score": 3},  # 11: not good
    {"review_id": "V6", "order_id": "O6", "created_at": "2026-08-01 10:00:00", "product_score": 2, "logistics_score": 5, "service_score": 5},  # 12 good AND bad
    {"review_id": "V7", "order_id": "O7", "created_at": "2026-08-01 10:00:00", "product_score": 1, "logistics_score": 1, "service_score": 1},  # bad
    {"review_id": "V8", "order_id": "O8", "created_at": "2026-08-01 10:00:00", "product_score": 4, "logistics_score": None, "service_score": None},  # single score 4: good
]


def test_reviews_count_good_bad_three_sub_scores():
    shop = make_shop(reviews=REVIEWS_3)
    ctx = Context.build(shop, as_of=AS_OF, profile="douyin_2022")
    res = compute_all(ctx, ["reviews.count", "reviews.good_rate", "reviews.bad_rate", "reviews.good_count", "reviews.bad_count"])
    # in window: V1 V2 V5 V6 V7 V8 = 6
    assert res["reviews.count"].value == 6
    # good: V1 (15), V2 (12), V6 (12), V8 (no sub-scores: product 4 ≥ 4) = 4; V5 total 11 < 12 is not good
    assert (res["reviews.good_rate"].numerator, res["reviews.good_rate"].denominator) == (4, 6)
    assert res["reviews.good_rate"].value == pytest.approx(2 / 3)
    assert res["reviews.good_count"].value == 4
    # bad: product_score ≤ 2 → V6, V7 = 2
    assert (res["reviews.bad_rate"].numerator, res["reviews.bad_rate"].denominator) == (2, 6)
    assert res["reviews.bad_count"].value == 2


def test_reviews_good_rate_single_score_rule():
    reviews = [
        {"review_id": f"V{i}", "order_id": f"O{i}", "created_at": "2026-08-01 10:00", "product_score": s}
        for i, s in enumerate([4, 3, 5, 2, 1], start=1)
    ]
    shop = make_shop(reviews=reviews)
    good = run("reviews.good_rate", shop)
    bad = run("reviews.bad_rate", shop)
    # good (≥ 4): 4, 5 → 2/5; bad (≤ 2): 2, 1 → 2/5
    assert (good.numerator, good.denominator) == (2, 5)
    assert (bad.numerator, bad.denominator) == (2, 5)


def test_reviews_rate_lagged_cohort():
    shipments = [
        {"order_id": "W1", "waybill_no": "Y1", "picked_up_at": "2026-06-17 10:00", "signed_at": "2026-06-19 00:00:00"},  # cohort start
        {"order_id": "W2", "waybill_no": "Y2", "picked_up_at": "2026-09-15 10:00", "signed_at": "2026-09-16 23:59:59"},  # last second
        {"order_id": "W3", "waybill_no": "Y3", "picked_up_at": "2026-09-15 10:00", "signed_at": "2026-09-17 00:00:00"},  # cohort end: out
        {"order_id": "W4", "waybill_no": "Y4", "picked_up_at": "2026-07-30 10:00", "signed_at": "2026-08-01 10:00"},
        {"order_id": "W5", "waybill_no": "Y5", "picked_up_at": "2026-07-30 10:00", "signed_at": "2026-08-01 10:00"},
    ]
    reviews = [
        {"review_id": "V1", "order_id": "W1", "created_at": "2026-07-03 00:00:00", "product_score": 5},  # signed + 14 d exactly
        {"review_id": "V2", "order_id": "W2", "created_at": "2026-10-01 00:00:00", "product_score": 5},  # signed + 14 d + 1 s
        {"review_id": "V3", "order_id": "W3", "created_at": "2026-09-18 00:00:00", "product_score": 5},
        {"review_id": "V4", "order_id": "W4", "created_at": "2026-08-02 10:00", "product_score": 5},
    ]
    r = run("reviews.rate", make_shop(shipments=shipments, reviews=reviews))
    # cohort [06-19, 09-17): W1 W2 W4 W5 = 4; reviewed within 14 d of signing: W1, W4 = 2
    assert (r.numerator, r.denominator) == (2, 4)
    assert r.value == pytest.approx(0.5)


# ====================================================================== null rules
SEED_KEYS = sorted(REGISTRY["seed"])


@pytest.mark.parametrize("key", SEED_KEYS)
def test_missing_source_table_is_null_with_reason(key):
    ind = REGISTRY["seed"][key]
    absent = ind.tables[0]
    # every table of the shop except the indicator's first source table (each present table has one row)
    rows = {
        "orders": [{"order_id": "O1", "paid_at": "2026-08-01 10:00", "buyer_id": "B1", "amount": 1.0}],
        "shipments": [{"order_id": "O1", "waybill_no": "Y1", "picked_up_at": "2026-08-01 12:00", "signed_at": "2026-08-02 12:00"}],
        "after_sales": [{"after_sale_id": "A1", "order_id": "O1", "type": "refund_only", "applied_at": "2026-08-03 10:00",
                         "refunded_at": "2026-08-03 12:00", "completed_at": "2026-08-03 12:00"}],
        "complaints": [{"order_id": "O1", "created_at": "2026-08-03 10:00"}],
        "im_messages": im_messages("S1", DAY, [("10:00:00", "buyer"), ("10:01:00", "agent")], buyer_id="B1", agent_id="A1"),
        "im_sessions": [session_row("S1", buyer_id="B1", started_at=f"{DAY} 10:00:00", assigned_at=f"{DAY} 10:00:10",
                                    queued_at=f"{DAY} 10:00:00", rating=5)],
        "reviews": [{"order_id": "O1", "created_at": "2026-08-05 10:00", "product_score": 5}],
    }
    rows.pop(absent)
    r = run(key, make_shop(**rows))
    assert r.value is None, f"{key} without {absent} must be null, got {r.value}"
    assert r.reason == f"no {absent} data"
    assert r.as_dict()["value"] is None


RATE_OR_MEAN = [k for k in SEED_KEYS if REGISTRY["seed"][k].unit != "count" and k != "cs.assisted_sales"]


@pytest.mark.parametrize("key", RATE_OR_MEAN)
def test_zero_denominator_is_null_no_data(key):
    # every table present but nothing inside the window (all events two years before D)
    old = "2024-08-01"
    shop = make_shop(
        orders=[{"order_id": "O1", "paid_at": f"{old} 10:00", "buyer_id": "B1", "amount": 1.0}],
        shipments=[{"order_id": "O1", "waybill_no": "Y1", "picked_up_at": f"{old} 12:00", "signed_at": f"{old} 18:00"}],
        after_sales=[{"after_sale_id": "A1", "order_id": "O1", "type": "refund_only", "applied_at": f"{old} 13:00",
                      "refunded_at": f"{old} 14:00", "completed_at": f"{old} 14:00"}],
        complaints=[{"order_id": "O1", "created_at": f"{old} 13:00"}],
        im_messages=im_messages("S1", old, [("10:00:00", "buyer"), ("10:01:00", "agent")], buyer_id="B1", agent_id="A1"),
        im_sessions=[session_row("S1", buyer_id="B1", started_at=f"{old} 10:00:00", assigned_at=f"{old} 10:00:10",
                                 queued_at=f"{old} 10:00:00", rating=5)],
        reviews=[{"order_id": "O1", "created_at": f"{old} 20:00", "product_score": 5}],
    )
    r = run(key, shop)
    assert r.value is None, f"{key}: expected null on an empty window, got {r.value}"
    assert r.reason == "no data"
    assert r.denominator == 0


@pytest.mark.parametrize("key", RATE_OR_MEAN)
def test_zero_rows_is_null_no_data(key):
    # every table present with its columns but no rows at all: never 0 %, never a crash
    shop = make_shop(
        orders=pd.DataFrame(columns=["order_id", "paid_at", "buyer_id", "amount"]),
        shipments=pd.DataFrame(columns=["order_id", "waybill_no", "picked_up_at", "signed_at"]),
        after_sales=pd.DataFrame(columns=["after_sale_id", "order_id", "type", "applied_at", "refunded_at", "completed_at"]),
        complaints=pd.DataFrame(columns=["order_id", "created_at"]),
        im_messages=pd.DataFrame(columns=["session_id", "message_id", "sent_at", "sender_role", "buyer_id", "agent_id"]),
        im_sessions=pd.DataFrame(columns=["session_id", "buyer_id", "started_at", "transferred_at", "queued_at", "assigned_at", "rating"]),
        reviews=pd.DataFrame(columns=["order_id", "created_at", "product_score"]),
    )
    r = run(key, shop)
    assert r.value is None
    assert r.reason == "no data"


def test_counts_are_zero_not_null_on_empty_window():
    old = "2024-08-01"
    shop = make_shop(
        im_messages=im_messages("S1", old, [("10:00:00", "buyer"), ("10:01:00", "agent")], agent_id="A1"),
        reviews=[{"order_id": "O1", "created_at": f"{old} 20:00", "product_score": 5}],
    )
    for key in ("reviews.count", "cs.consult_sessions", "cs.human_sessions", "cs.accepted_sessions"):
        r = run(key, shop)
        assert r.value == 0, key


def test_value_equals_numerator_over_denominator_for_fixtures(im_shop):
    ctx = Context.build(im_shop, as_of=AS_OF, profile="douyin_2022")
    for key, r in compute_all(ctx).items():
        if r.value is not None and r.denominator:
            assert math.isclose(r.value, r.numerator / r.denominator), key


def test_return_refund_wait_follows_the_spec_formula_when_refund_precedes_return_signing():
    """SPEC §5.1 is the contract: (first action − applied) + (refund − return signed) where both exist.
    A 极速退款 before the return arrives makes the second leg negative; docs/DECISIONS.md records that the
    formula is applied literally (the merchant is credited for refunding early)."""
    tickets = [
        # applied 10:00, agreed 10:30 (0.5 h), buyer ships back 11:00, 极速退款 at 12:00, return signed 20:00
        {"after_sale_id": "R1", "order_id": "Q1", "type": "return_refund", "applied_at": "2026-08-01 10:00",
         "agreed_at": "2026-08-01 10:30", "return_shipped_at": "2026-08-01 11:00", "refunded_at": "2026-08-01 12:00",
         "return_signed_at": "2026-08-01 20:00", "completed_at": "2026-08-01 20:00"},
    ]
    r = run("service.return_refund_wait_hours", make_shop(after_sales=tickets))
    # 0.5 h + (12:00 − 20:00 = −8 h) = −7.5 h
    assert r.value == pytest.approx(-7.5)


@pytest.mark.parametrize("party, hit", [("商家", True), ("商家责任", True), ("卖家", True), ("非商家责任", False), ("商家无责", False), ("买家", False)])
def test_dispute_liable_party_must_name_the_merchant(party, hit):
    tickets = [{"after_sale_id": "T1", "order_id": "Q1", "type": "refund_only", "applied_at": "2026-08-01 10:00",
                "completed_at": "2026-08-10 10:00", "arbitration_status": "仲裁完成", "liable_party": party}]
    r = run("service.dispute_merchant_rate", make_shop(after_sales=tickets))
    assert (r.numerator, r.denominator) == (int(hit), 1)
