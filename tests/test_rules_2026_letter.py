"""The 2026-07-14 rule text, to the letter, on hand-made shops (issue 9, items 14 and 15).

As of D = 2026-10-01 under ``douyin_2026``: window [2026-09-01 00:00, 2026-10-01 00:00).

14. 「本规则中订单均指有效支付订单……特殊说明：差行为扣分不限制订单类型」 (rule §2.1.2, domain-rules §1.1):
    a gift order (every line a gift) is out of **every** order-based indicator — its reviews, returns,
    pickups, waybills, tickets and help requests — and out of the floor's bad counts and the stage's
    order count; 差行为扣分 still counts a penalty on it. Rows whose order is not in the orders export
    cannot be told to be gifts and are kept. The seed profile is unchanged.
15. 平台求助率: 升级 = 售后仲裁, or 「消费者咨询商家人工客服后因同一诉求咨询平台客服、向平台投诉的订单」 —
    a complaint counts only at or after the start of a human 飞鸽 session matched to the order, not
    after an after-sales ticket alone.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import im_messages, make_shop, session_row

from shopscore_nb.metrics import Context, compute, compute_all
from shopscore_nb.scoring import score_shop

D = "2026-10-01"


def run26(key: str, shop):
    return compute(key, Context.build(shop, as_of=D, profile="douyin_2026"))


def card(shop, profile: str = "douyin_2026"):
    ctx = Context.build(shop, as_of=D, profile=profile)
    return score_shop(ctx, compute_all(ctx))


# ---------------------------------------------------------------- 14. gift orders
# Orders, all paid 2026-09-05 10:00: O1, O2 ordinary; M1 an ordinary line plus a free gift line (not a
# gift order); G1 a gift order (one gift line); G2 a gift order (two gift lines). X1 has a waybill, a
# review and a ticket but is missing from the orders export (an orphan: kept).
def _order_rows() -> list[dict]:
    line = {"paid_at": "2026-09-05 10:00:00", "is_presale": False, "is_virtual": False}
    rows = [("O1", "O1-1", False, "B1"), ("O2", "O2-1", False, "B2"), ("M1", "M1-1", False, "BM"), ("M1", "M1-2", True, "BM"),
            ("G1", "G1-1", True, "BG1"), ("G2", "G2-1", True, "BG2"), ("G2", "G2-2", True, "BG2")]
    return [{**line, "order_id": o, "sub_order_id": sub, "is_gift": gift, "buyer_id": buyer} for o, sub, gift, buyer in rows]


def _shipment_rows() -> list[dict]:
    # (order, waybill, picked up, signed, due): pickup hours from the 10:00 payment → score 100 (≤ 12 h), 70 (≤ 48), 60 (≤ 72), 50
    rows = [
        ("O1", "W1", "2026-09-05 14:00:00", "2026-09-07 10:00:00", "2026-09-08 10:00:00"),  # 4 h → 100; on time
        ("O2", "W2", "2026-09-07 02:00:00", "2026-09-09 10:00:00", "2026-09-08 10:00:00"),  # 40 h → 70; late
        ("M1", "WM", "2026-09-05 14:00:00", "2026-09-07 10:00:00", "2026-09-08 10:00:00"),  # 4 h → 100; on time
        ("G1", "WG1", "2026-09-07 22:00:00", "2026-09-10 10:00:00", "2026-09-08 10:00:00"),  # 60 h → 60; late
        ("G2", "WG2", "2026-09-11 10:00:00", "2026-09-12 10:00:00", "2026-09-09 10:00:00"),  # 144 h → 50; late
        ("X1", "WX", "2026-09-05 14:00:00", "2026-09-07 10:00:00", "2026-09-06 10:00:00"),  # orphan: no payment; late
    ]
    return [{"order_id": o, "waybill_no": w, "picked_up_at": p, "signed_at": s, "promised_delivery_at": due} for o, w, p, s, due in rows]


def _review_rows() -> list[dict]:
    stars = {"O1": 5, "O2": 4, "M1": 2, "G1": 1, "G2": 1, "X1": 3}
    return [{"review_id": f"R{o}", "order_id": o, "created_at": "2026-09-12 10:00:00", "product_score": s} for o, s in stars.items()]


def _ticket_rows() -> list[dict]:
    base = {"shipped_before_apply": True, "applied_at": "2026-09-13 10:00:00", "agreed_at": None, "arbitration_status": None}
    return [
        {**base, "after_sale_id": "T1", "order_id": "O1", "type": "return_refund", "reason": "质量问题", "agreed_at": "2026-09-13 12:00:00", "refunded_at": "2026-09-15 10:00:00"},  # 2 h
        {**base, "after_sale_id": "TG1", "order_id": "G1", "type": "refund_only", "reason": "质量问题", "agreed_at": "2026-09-13 20:00:00", "refunded_at": "2026-09-13 20:00:00", "arbitration_status": "仲裁中"},  # 10 h
        {**base, "after_sale_id": "TG2", "order_id": "G2", "type": "refund_only", "reason": "少件/漏发", "refunded_at": "2026-09-13 11:00:00"},  # 1 h
        {**base, "after_sale_id": "TX", "order_id": "X1", "type": "refund_only", "reason": "7天无理由", "agreed_at": "2026-09-13 14:00:00", "refunded_at": "2026-09-13 14:00:00"},  # 4 h
    ]


def _help_rows() -> tuple[list[dict], list[dict], list[dict]]:
    """Human 飞鸽 sessions of the buyers of O2 and G1 (09-14 10:00), each followed by a complaint on that order."""
    day = "2026-09-14"
    msgs, sessions = [], []
    for sid, buyer in (("S2", "B2"), ("SG1", "BG1")):
        msgs += im_messages(sid, day, [("10:00:00", "buyer"), ("10:00:20", "agent")], buyer_id=buyer, agent_id="A1")
        sessions.append(session_row(sid, buyer_id=buyer, started_at=f"{day} 10:00:00", transferred_at=f"{day} 10:00:00"))
    complaints = [
        {"complaint_id": "C2", "order_id": "O2", "created_at": "2026-09-14 11:00:00", "kind": "投诉"},
        {"complaint_id": "CG1", "order_id": "G1", "created_at": "2026-09-15 10:00:00", "kind": "投诉"},
    ]
    return msgs, sessions, complaints


def gift_shop(penalties=None):
    msgs, sessions, complaints = _help_rows()
    return make_shop(
        "gifts", orders=_order_rows(), shipments=_shipment_rows(), reviews=_review_rows(), after_sales=_ticket_rows(),
        complaints=complaints, im_messages=msgs, im_sessions=sessions, penalties=penalties,
    )


def test_reviews_of_gift_orders_are_not_counted():
    r = run26("product.avg_rating", gift_shop())
    # signed orders O1, O2, M1, X1 (G1, G2 are gift orders): (5 + 4 + 2 + 3) / 4 = 3.5; 差评 M1 only
    assert (r.value, r.numerator, r.denominator) == (3.5, 14.0, 4)
    assert r.extra["bad_count"] == 1 and r.extra["signed_orders"] == 4
    assert set(r.detail["order_id"]) == {"O1", "O2", "M1", "X1"}


def test_quality_returns_of_gift_orders_are_not_counted():
    r = run26("product.quality_return_rate", gift_shop())
    # signed O1, O2, M1, X1; first reason 质量问题: O1 (X1's is 7天无理由; G1's 质量问题 is a gift order's) → 1 / 4
    assert (r.numerator, r.denominator) == (1, 4) and r.value == 0.25


def test_pickups_of_gift_orders_are_not_counted():
    r = run26("logistics.pickup_score_avg", gift_shop())
    # O1 100 (4 h), O2 70 (40 h), M1 100 (4 h); G1 (60 h → 60) and G2 (144 h → 50) are gift orders; X1 has no payment
    assert (r.value, r.numerator, r.denominator) == (90.0, 270.0, 3)
    assert set(r.detail["order_id"]) == {"O1", "O2", "M1"}


def test_waybills_of_gift_orders_are_not_counted_orphans_are():
    r = run26("logistics.waybill_on_time_rate", gift_shop())
    # due in the window: W1 on time, W2 late, WM on time, WX late (orphan, kept); WG1 and WG2 belong to gift orders
    assert (r.numerator, r.denominator) == (2, 4) and r.value == 0.5
    assert set(r.detail["waybill_no"]) == {"W1", "W2", "WM", "WX"}


def test_logistics_returns_paid_denominator_without_gift_orders():
    r = run26("logistics.quality_return_rate", gift_shop())
    # 有效支付订单 O1, O2, M1; G2's first reason 少件/漏发 is a gift order's → 0 / 3
    assert (r.numerator, r.denominator) == (0, 3)


def test_tickets_of_gift_orders_are_not_counted():
    r = run26("service.aftersale_review_hours_avg", gift_shop())
    # T1 2 h (O1, 退货退款 apply → agree) and TX 4 h (orphan, kept); TG1 10 h and TG2 1 h are gift orders' → 6 / 2
    assert (r.value, r.numerator, r.denominator) == (3.0, 6.0, 2)
    assert set(r.detail["after_sale_id"]) == {"T1", "TX"}


def test_help_requests_of_gift_orders_are_not_counted():
    r = run26("service.platform_help_rate", gift_shop())
    # 求助商家: O1, X1 (tickets), O2 (human session of B2); G1 (ticket + arbitration + session + complaint) and G2
    # (ticket) are gift orders. 升级: O2, complained after its human session → 1 / 3
    d = r.detail.set_index("order_id")
    assert (r.numerator, r.denominator) == (1, 3)
    assert d["escalation"].fillna("-").to_dict() == {"O1": "-", "X1": "-", "O2": "complaint"}


def test_im_indicators_are_session_based_and_keep_gift_buyers():
    # 飞鸽平均响应时长 and 不满意率 are not order-based: the session of G1's buyer still counts
    r = run26("service.im_avg_response_seconds", gift_shop())
    assert (r.numerator, r.denominator) == (40.0, 2)


def test_floor_bad_count_and_stage_exclude_gift_orders():
    # 40 ordinary orders and 2 gift orders, all signed in the window. Reviews: O01, O02 1★, O03–O10 5★; both gift
    # orders 1★. Without the gift orders: (2 × 1 + 8 × 5) / 10 = 4.2 with 2 差评订单 ≤ 3 and 40 < 500 orders → floor 80
    # (counting them would make 4 差评订单 and no floor).
    ids = [f"O{i:02d}" for i in range(1, 41)] + ["G01", "G02"]
    o = [{"order_id": i, "paid_at": "2026-09-05 10:00:00", "is_gift": i.startswith("G")} for i in ids]
    ships = [{"order_id": i, "waybill_no": f"W{i}", "picked_up_at": "2026-09-05 14:00:00", "signed_at": "2026-09-07 10:00:00"} for i in ids]
    stars = {"O01": 1, "O02": 1, "G01": 1, "G02": 1} | {f"O{i:02d}": 5 for i in range(3, 11)}
    reviews = [{"order_id": i, "created_at": "2026-09-08 10:00:00", "product_score": s} for i, s in stars.items()]
    c = card(make_shop(orders=o, shipments=ships, reviews=reviews))
    row = c.indicators.set_index("key").loc["product.avg_rating"]
    assert row["value"] == pytest.approx(4.2) and row["method"] == "floor" and row["score"] == 80.0
    assert c.effective_orders == 40 and c.stage == "正式阶段"

    # 29 ordinary orders and 2 gift orders: 29 有效支付订单 < 30 → 成长阶段
    few = [r for r in o if r["order_id"] not in ("O30", "O31", "O32", "O33", "O34", "O35", "O36", "O37", "O38", "O39", "O40")]
    c = card(make_shop(orders=few, shipments=ships, reviews=reviews))
    assert c.effective_orders == 29 and c.stage == "成长阶段" and c.total == 70


def test_deductions_still_count_a_penalty_on_a_gift_order():
    # 差行为扣分不限制订单类型: 拒开发票 on the gift order G1 → −3; it is also a stage violation, so the growth-stage
    # shop (3 有效支付订单) scores 60 instead of 70
    c = card(gift_shop(penalties=[{"occurred_at": "2026-09-20 10:00:00", "kind": "拒开发票", "order_id": "G1"}]))
    ded = c.deductions.set_index("group")
    assert ded.loc["影响消费者体验扣分", "events"] == 1 and ded.loc["影响消费者体验扣分", "applied"] == 3.0
    assert c.effective_orders == 3 and c.stage == "成长阶段" and c.total == 60


def test_seed_profile_still_counts_gift_orders():
    # the seed era's definitions are unchanged: every order paid / signed in its 90-day window counts
    ctx = Context.build(gift_shop(), as_of=D, profile="douyin_2022")
    neg = compute("product.negative_review_rate", ctx)
    assert (neg.numerator, neg.denominator) == (3, 6)  # M1, G1, G2 ≤ 2★ of 6 signed (X1 included)
    qr = compute("product.quality_return_rate", ctx)
    assert (qr.numerator, qr.denominator) == (3, 5)  # O1 质量问题, G1 质量问题, G2 少件/漏发 of 5 paid


# ---------------------------------------------------------------- 15. 平台求助率: 升级 after a human agent
# One order per buyer, paid 2026-09-05 10:00 (OLD_ARB 2026-08-15).
def _escalation_shop(with_buyers: bool = True):
    names = ["TICKET", "SAME", "LATE", "BEFORE_D", "AT_D", "ARB", "OLD_ARB", "ROBOT"]
    paid = {"OLD_ARB": "2026-08-15 10:00:00"}  # its ticket was applied 2026-08-20, before the window
    o = [{"order_id": n, "paid_at": paid.get(n, "2026-09-05 10:00:00"), **({"buyer_id": f"B_{n}"} if with_buyers else {})} for n in names]
    base = {"type": "refund_only", "reason": "质量问题", "applied_at": "2026-09-11 10:00:00", "arbitration_status": None}
    tickets = [
        {**base, "after_sale_id": "A_TICKET", "order_id": "TICKET"},
        {**base, "after_sale_id": "A_LATE", "order_id": "LATE"},
        {**base, "after_sale_id": "A_ARB", "order_id": "ARB", "arbitration_status": "仲裁中"},
        {**base, "after_sale_id": "A_OLD_ARB", "order_id": "OLD_ARB", "applied_at": "2026-08-20 10:00:00", "arbitration_status": "仲裁完成"},
        {**base, "after_sale_id": "A_ROBOT", "order_id": "ROBOT"},
    ]
    complaints = [
        {"complaint_id": "C_TICKET", "order_id": "TICKET", "created_at": "2026-09-12 10:00:00"},  # after a ticket only
        {"complaint_id": "C_SAME", "order_id": "SAME", "created_at": "2026-09-12 10:00:00"},  # the session's start second
        {"complaint_id": "C_LATE", "order_id": "LATE", "created_at": "2026-09-12 09:00:00"},  # after the ticket, before the session
        {"complaint_id": "C_BEFORE_D", "order_id": "BEFORE_D", "created_at": "2026-09-30 23:59:59"},
        {"complaint_id": "C_AT_D", "order_id": "AT_D", "created_at": "2026-10-01 00:00:00"},  # not visible at D
        {"complaint_id": "C_ROBOT", "order_id": "ROBOT", "created_at": "2026-09-12 11:00:00"},  # after a robot-only session
    ]
    human = {"SAME": "2026-09-12 10:00:00", "LATE": "2026-09-12 10:00:00", "BEFORE_D": "2026-09-30 10:00:00",
             "AT_D": "2026-09-30 10:00:00", "OLD_ARB": "2026-09-12 10:00:00"}
    msgs, sessions = [], []
    for n, at in human.items():
        msgs += im_messages(f"S_{n}", at[:10], [(at, "buyer"), (str(pd.Timestamp(at) + pd.Timedelta(seconds=20)), "agent")], buyer_id=f"B_{n}", agent_id="A1")
        sessions.append(session_row(f"S_{n}", buyer_id=f"B_{n}", started_at=at, transferred_at=at))
    msgs += im_messages("S_ROBOT", "2026-09-12", [("10:00:00", "buyer"), ("10:00:05", "robot")], buyer_id="B_ROBOT")
    sessions.append(session_row("S_ROBOT", buyer_id="B_ROBOT", started_at="2026-09-12 10:00:00"))
    return make_shop(orders=o, after_sales=tickets, complaints=complaints, im_messages=msgs, im_sessions=sessions)


def test_escalation_is_arbitration_or_a_complaint_after_a_human_session():
    r = run26("service.platform_help_rate", _escalation_shop())
    d = r.detail.set_index("order_id")
    # 求助商家 (8): tickets in the window (TICKET, LATE, ARB, ROBOT) and human sessions in the window (SAME, LATE,
    # BEFORE_D, AT_D, OLD_ARB). 升级 (3): SAME (complaint in the session's first second), BEFORE_D (23:59:59 the day
    # before D), ARB (arbitration on a ticket applied in the window). Not 升级: TICKET (a ticket, then a complaint),
    # LATE (complaint before its human session), AT_D (complaint at D), OLD_ARB (arbitration on a ticket applied
    # before the window), ROBOT (the session never reached a human agent).
    assert (r.numerator, r.denominator) == (3, 8) and r.value == pytest.approx(3 / 8)
    assert d["escalation"].fillna("-").to_dict() == {
        "TICKET": "-", "SAME": "complaint", "LATE": "-", "BEFORE_D": "complaint", "AT_D": "-", "ARB": "arbitration", "OLD_ARB": "-", "ROBOT": "-",
    }
    assert d.loc["LATE", "via"] == "after_sales+im" and d.loc["ROBOT", "via"] == "after_sales" and d.loc["OLD_ARB", "via"] == "im"
    assert r.extra["complaints_matchable"] is True


def test_without_buyer_ids_only_arbitrations_can_be_seen():
    # no buyer_id on the orders: sessions cannot be matched to orders, so no complaint can follow a human
    # session; the tickets alone seek the merchant (TICKET, LATE, ARB, ROBOT) and ARB's arbitration is the only 升级
    r = run26("service.platform_help_rate", _escalation_shop(with_buyers=False))
    assert (r.numerator, r.denominator) == (1, 4) and r.extra["complaints_matchable"] is False
