"""Differential test: the package's vectorised indicators against a plain row-by-row reference.

The reference below is written straight from SPEC §3 (time, visibility at ``D``), §5.1 and §5.2
and the documented choices of ``docs/DECISIONS.md``. It loops over plain dicts and
``datetime`` values only (no pandas), so that a disagreement points at one of the two
implementations. Shops are small and random (hypothesis), with times placed on the edges that
matter: the window ends, the business-hours edges 08:00 / 23:00, 180 / 181 s waits, 48 h pickups
and the 14-day lag.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from conftest import im_messages, make_shop, session_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscore_nb.metrics import Context, compute_all

D = datetime(2026, 10, 1)
N = 90
W_START = D - timedelta(days=N)
LAG = timedelta(days=14)
C_START = W_START - LAG
C_END = D - LAG
BH_START = timedelta(hours=8)
BH_END = timedelta(hours=23)
REPLY_S = 180
UNANSWERED_S = 600
CAP_S = 600
H48 = timedelta(hours=48)
FMT = "%Y-%m-%d %H:%M:%S"

IM_KEYS = (
    "service.im_3min_reply_rate",
    "cs.im_3min_reply_rate_round",
    "cs.avg_response_seconds",
    "cs.im_3min_reply_rate_msg",
)
ORDER_KEYS = (
    "logistics.pickup_on_time_rate",
    "product.negative_review_rate",
    "service.complaint_rate",
    "reviews.rate",
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _p(text):
    return None if text is None else datetime.strptime(text, FMT)


def _s(at):
    return at.strftime(FMT)


def _in_window(at, start=W_START, end=D):
    return at is not None and start <= at < end


def _business(at):
    tod = at - datetime(at.year, at.month, at.day)
    return BH_START <= tod < BH_END


def _visible(at):
    """SPEC §3: data up to D 00:00 is visible; later event times are unknown."""
    return at if at is not None and at < D else None


# ------------------------------------------------------------------ reference: 飞鸽 (SPEC §5.2)
def reference_im(messages: list[dict], sessions: list[dict] | None) -> dict[str, tuple]:
    """(numerator, denominator) of the four IM indicators, platform clock."""
    transfer = {}
    if sessions is not None:
        for s in sessions:
            if s.get("started_at") is not None and _p(s["started_at"]) >= D:
                continue  # the session starts at/after D: not visible
            transfer[s["session_id"]] = _visible(_p(s.get("transferred_at")))
    by_session: dict[str, list] = {}
    for m in messages:
        at = _p(m["sent_at"])
        if at >= D:
            continue  # a message sent at/after D is not visible
        by_session.setdefault(m["session_id"], []).append((at, m["message_id"], m["sender_role"]))

    sess_num = sess_den = 0
    round_num = round_den = 0
    wait_sum, wait_n = 0.0, 0
    msg_num = msg_den = 0
    for sid, msgs in by_session.items():
        msgs.sort(key=lambda x: (x[0], x[1]))
        roles = [r for _, _, r in msgs]
        t_at = transfer.get(sid)
        if t_at is None and "agent" not in roles:
            continue  # pure robot session (robot_assist alone does not make it human)
        valid = [i for i, r in enumerate(roles) if r in ("agent", "robot_assist")]
        # which positions are in the human phase
        if t_at is not None:
            in_human = [at >= t_at for at, _, _ in msgs]
        else:
            first_reply = valid[0]
            robots = [i for i in range(first_reply) if roles[i] == "robot"]
            if not robots:
                start_pos = 0
            else:
                after = [i for i in range(robots[-1] + 1, len(msgs)) if roles[i] == "buyer"]
                start_pos = after[0] if after and after[0] < first_reply else first_reply
            in_human = [i >= start_pos for i in range(len(msgs))]

        def next_reply(i, msgs=msgs, roles=roles):
            for j in range(i + 1, len(msgs)):
                if roles[j] in ("agent", "robot_assist"):
                    return msgs[j][0]
            return None

        # message level
        for i, (at, _, role) in enumerate(msgs):
            if role != "buyer" or not in_human[i] or not _in_window(at) or not _business(at):
                continue
            msg_den += 1
            r = next_reply(i)
            if r is not None and (r - at).total_seconds() <= REPLY_S:
                msg_num += 1
        # rounds
        rounds = []
        i = 0
        while i < len(msgs):
            if roles[i] == "buyer" and in_human[i]:
                start = msgs[i][0]
                j = i + 1
                while j < len(msgs) and roles[j] not in ("agent", "robot_assist"):
                    j += 1
                reply = msgs[j][0] if j < len(msgs) else None
                rounds.append((start, reply))
                i = j + 1
            else:
                i += 1
        counted = [(s, r) for s, r in rounds if _in_window(s) and _business(s)]
        if not counted:
            continue
        all_pass = True
        for s, r in counted:
            round_den += 1
            wait = None if r is None else (r - s).total_seconds()
            ok = wait is not None and wait <= REPLY_S
            round_num += ok
            all_pass = all_pass and ok
            wait_sum += UNANSWERED_S if wait is None else min(wait, CAP_S)
            wait_n += 1
        sess_den += 1
        sess_num += all_pass
    return {
        "service.im_3min_reply_rate": (sess_num, sess_den),
        "cs.im_3min_reply_rate_round": (round_num, round_den),
        "cs.avg_response_seconds": (wait_sum, wait_n),
        "cs.im_3min_reply_rate_msg": (msg_num, msg_den),
    }


# ------------------------------------------------------------------ reference: orders (SPEC §5.1)
def reference_orders(orders, shipments, reviews, complaints) -> dict[str, tuple]:
    paid, presale, virtual, promised = {}, {}, {}, {}
    for o in orders:
        at = _p(o["paid_at"])
        if at >= D:
            continue  # an order paid at/after D is not visible
        oid = o["order_id"]
        paid[oid] = at if oid not in paid else min(paid[oid], at)
        presale[oid] = presale.get(oid, False) or bool(o["is_presale"])
        virtual[oid] = virtual.get(oid, False) or bool(o["is_virtual"])
        ps = _p(o.get("promised_ship_at"))
        if ps is not None:
            promised[oid] = ps if promised.get(oid) is None else min(promised[oid], ps)
    waybills: dict[str, list] = {}
    for w in shipments:
        pick = _p(w["picked_up_at"])
        if pick >= D:
            continue  # a waybill picked up at/after D is not visible
        waybills.setdefault(w["order_id"], []).append((pick, _visible(_p(w.get("signed_at")))))
    pickup = {oid: min(p for p, _ in ws) for oid, ws in waybills.items()}
    signed = {}
    for oid, ws in waybills.items():
        if all(s is not None for _, s in ws):
            signed[oid] = max(s for _, s in ws)
    review_rows: dict[str, list] = {}
    for r in reviews:
        at = _p(r["created_at"])
        if at < D:
            review_rows.setdefault(r["order_id"], []).append((at, r["product_score"]))

    # 揽收及时率: non-virtual orders (in the orders export) picked up in the window
    pk_num = pk_den = 0
    for oid, pick in pickup.items():
        if oid not in paid or virtual[oid] or not _in_window(pick):
            continue
        pk_den += 1
        if presale[oid] and oid in promised:
            pk_num += pick <= promised[oid]
        else:
            pk_num += pick - paid[oid] <= H48

    # 商品差评率: orders signed in the window (orphan waybills included)
    nr_num = nr_den = 0
    for oid, at in signed.items():
        if not _in_window(at):
            continue
        nr_den += 1
        nr_num += any(score <= 2 for _, score in review_rows.get(oid, []))

    # 投诉率: orders paid in [D−N−14, D−14) with a complaint within 14×24 h (inclusive) of payment
    complaint_at: dict[str, list] = {}
    for c in complaints:
        at = _p(c["created_at"])
        if at < D:
            complaint_at.setdefault(c["order_id"], []).append(at)
    cp_num = cp_den = 0
    for oid, at in paid.items():
        if not _in_window(at, C_START, C_END):
            continue
        cp_den += 1
        cp_num += any(timedelta(0) <= c - at <= LAG for c in complaint_at.get(oid, []))

    # 评价率: orders signed in [D−N−14, D−14) reviewed within 14 days of signing (not before it)
    rr_num = rr_den = 0
    for oid, at in signed.items():
        if not _in_window(at, C_START, C_END):
            continue
        rr_den += 1
        rr_num += any(timedelta(0) <= r - at <= LAG for r, _ in review_rows.get(oid, []))
    return {
        "logistics.pickup_on_time_rate": (pk_num, pk_den),
        "product.negative_review_rate": (nr_num, nr_den),
        "service.complaint_rate": (cp_num, cp_den),
        "reviews.rate": (rr_num, rr_den),
    }


# ------------------------------------------------------------------ comparison
def _package(shop, keys):
    results = compute_all(Context.build(shop, as_of=D.strftime("%Y-%m-%d"), profile="douyin_2022"), list(keys))
    return {k: results[k] for k in keys}


def assert_same(got, expected):
    for key, (num, den) in expected.items():
        res = got[key]
        pden = res.denominator or 0
        pnum = res.numerator or 0
        assert pden == den, f"{key}: denominator package={pden} reference={den}"
        assert math.isclose(pnum, num, rel_tol=0, abs_tol=1e-6), f"{key}: numerator package={pnum} reference={num}"
        if den:
            assert res.value is not None and abs(res.value - num / den) <= 1e-9, f"{key}: value {res.value} vs {num / den}"
        else:
            assert res.value is None, f"{key}: value {res.value} with an empty denominator"


# ------------------------------------------------------------------ strategies
GAPS = [1, 2, 59, 179, 180, 181, 300, 599, 600, 601, 3600]
ROLES = ["buyer", "buyer", "buyer", "agent", "robot_assist", "robot", "system"]
SESSION_STARTS = [
    # around the business-hours edges, on the last visible days, the day of D and the window start
    f"{day} {hhmmss}"
    for day in ("2026-09-29", "2026-09-30", "2026-10-01", "2026-07-02", "2026-07-03")
    for hhmmss in ("07:55:00", "07:59:00", "22:55:00", "22:58:00", "23:58:00")
]


@st.composite
def im_shops(draw):
    messages, sessions = [], []
    for k in range(draw(st.integers(1, 6))):
        sid = f"S{k}"
        at = _p(draw(st.sampled_from(SESSION_STARTS))) + timedelta(seconds=draw(st.sampled_from([0, 1, 59, 61, 179, 181])))
        events = []
        for _ in range(draw(st.integers(1, 8))):
            events.append((_s(at), draw(st.sampled_from(ROLES))))
            at += timedelta(seconds=draw(st.sampled_from(GAPS)))
        rows = im_messages(sid, "", events, agent_id="a1")
        messages += rows
        transfer = None
        if draw(st.booleans()):
            pick = draw(st.integers(0, len(events) - 1))
            transfer = _s(_p(events[pick][0]) + timedelta(seconds=draw(st.sampled_from([-1, 0, 1]))))
        sessions.append(session_row(sid, started_at=events[0][0], transferred_at=transfer))
    with_sessions = draw(st.booleans())
    return messages, (sessions if with_sessions else None)


def _typed_im(messages, sessions):
    tables = {"im_messages": [dict(m, sent_at=m["sent_at"]) for m in messages]}
    if sessions is not None:
        tables["im_sessions"] = sessions
    return make_shop(**tables)


ANCHORS = [W_START, C_START, C_END, D]
OFFSETS = [-2 * 86400, -86400, -3600, -1, 0, 1, 3600, 86400]
PICKUP_AFTER = [0, 1, 86400, 48 * 3600 - 1, 48 * 3600, 48 * 3600 + 1, 72 * 3600]
SIGN_AFTER = [1, 3600, 86400, 3 * 86400, 14 * 86400]
LAG_AFTER = [-1, 0, 1, 3600, 14 * 86400 - 1, 14 * 86400, 14 * 86400 + 1]


@st.composite
def order_shops(draw):
    orders, shipments, reviews, complaints = [], [], [], []
    for i in range(draw(st.integers(1, 10))):
        oid = f"O{i}"
        orphan = draw(st.booleans()) and draw(st.booleans())  # ~25 %: waybill without its order
        paid = draw(st.sampled_from(ANCHORS)) + timedelta(seconds=draw(st.sampled_from(OFFSETS)))
        paid += timedelta(days=draw(st.sampled_from([0, 0, 2, -2])))
        presale = draw(st.booleans())
        virtual = draw(st.booleans()) and draw(st.booleans())
        promised = None
        if presale and draw(st.booleans()):
            promised = _s(paid + timedelta(seconds=draw(st.sampled_from([3600, 72 * 3600, 5 * 86400]))))
        if not orphan:
            for j in range(draw(st.integers(1, 2))):
                orders.append(
                    {
                        "order_id": oid,
                        "sub_order_id": f"{oid}-{j}",
                        "paid_at": _s(paid + timedelta(seconds=j * draw(st.sampled_from([0, 60, 86400])))),
                        "is_presale": presale,
                        "is_virtual": virtual,
                        "promised_ship_at": promised,
                    }
                )
        last_sign = None
        for j in range(draw(st.integers(0, 2))):
            pick = paid + timedelta(seconds=draw(st.sampled_from(PICKUP_AFTER)))
            sign = None
            if draw(st.integers(0, 3)):
                sign = pick + timedelta(seconds=draw(st.sampled_from(SIGN_AFTER)))
                last_sign = sign if last_sign is None else max(last_sign, sign)
            shipments.append({"order_id": oid, "waybill_no": f"W{i}-{j}", "picked_up_at": _s(pick), "signed_at": None if sign is None else _s(sign)})
        if draw(st.booleans()):
            base = last_sign or paid
            reviews.append(
                {
                    "review_id": f"R{i}",
                    "order_id": oid,
                    "created_at": _s(base + timedelta(seconds=draw(st.sampled_from(LAG_AFTER)))),
                    "product_score": draw(st.integers(1, 5)),
                }
            )
        if draw(st.booleans()):
            at = paid + timedelta(seconds=draw(st.sampled_from([0, 1, 3600, 14 * 86400 - 1, 14 * 86400, 14 * 86400 + 1])))
            complaints.append({"complaint_id": f"C{i}", "order_id": oid, "created_at": _s(at)})
    return orders, shipments, reviews, complaints


def _order_shop(orders, shipments, reviews, complaints):
    tables = {"orders": orders, "shipments": shipments, "reviews": reviews, "complaints": complaints}
    # every export is present (possibly empty): a missing export is "no … data", not an empty cohort
    return make_shop(**tables)


def check_im(messages, sessions):
    assert_same(_package(_typed_im(messages, sessions), IM_KEYS), reference_im(messages, sessions))


def check_orders(orders, shipments, reviews, complaints):
    shop = _order_shop(orders, shipments, reviews, complaints)
    expected = reference_orders(orders, shipments, reviews, complaints)
    got = _package(shop, ORDER_KEYS)
    assert_same(got, expected)


# ------------------------------------------------------------------ the differential tests
@SETTINGS
@given(im_shops())
def test_im_indicators_match_reference(shop):
    check_im(*shop)


@SETTINGS
@given(order_shops())
def test_order_indicators_match_reference(shop):
    check_orders(*shop)


# ------------------------------------------------------------------ a few pinned edge cases
def test_reference_pins_180_vs_181_and_business_edges():
    msgs = im_messages("S0", "2026-09-30", [("22:59:59", "buyer"), ("23:02:59", "agent"), ("23:10:00", "buyer"), ("07:59:59", "buyer")])
    msgs += im_messages("S1", "2026-09-30", [("08:00:00", "buyer"), ("08:03:01", "agent")])
    sessions = [session_row("S0", started_at="2026-09-30 22:59:59", transferred_at="2026-09-30 22:59:59"), session_row("S1", started_at="2026-09-30 08:00:00")]
    exp = reference_im(msgs, sessions)
    assert exp["cs.im_3min_reply_rate_round"] == (1, 2)
    assert exp["service.im_3min_reply_rate"] == (1, 2)
    assert exp["cs.avg_response_seconds"] == (180 + 181, 2)
    check_im(msgs, sessions)


def test_reference_pins_48h_and_14_day_edges():
    orders = [
        {"order_id": "A", "sub_order_id": "1", "paid_at": "2026-09-01 10:00:00", "is_presale": False, "is_virtual": False, "promised_ship_at": None},
        {"order_id": "B", "sub_order_id": "1", "paid_at": "2026-09-01 10:00:00", "is_presale": False, "is_virtual": False, "promised_ship_at": None},
    ]
    shipments = [
        {"order_id": "A", "waybill_no": "WA", "picked_up_at": "2026-09-03 10:00:00", "signed_at": "2026-09-04 10:00:00"},
        {"order_id": "B", "waybill_no": "WB", "picked_up_at": "2026-09-03 10:00:01", "signed_at": "2026-09-04 10:00:00"},
    ]
    complaints = [{"complaint_id": "C1", "order_id": "A", "created_at": "2026-09-15 10:00:00"}, {"complaint_id": "C2", "order_id": "B", "created_at": "2026-09-15 10:00:01"}]
    reviews = [{"review_id": "R1", "order_id": "A", "created_at": "2026-09-18 10:00:00", "product_score": 1}]
    exp = reference_orders(orders, shipments, reviews, complaints)
    assert exp["logistics.pickup_on_time_rate"] == (1, 2)
    assert exp["service.complaint_rate"] == (1, 2)
    assert exp["reviews.rate"] == (1, 2)
    assert exp["product.negative_review_rate"] == (1, 2)
    check_orders(orders, shipments, reviews, complaints)


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])


# ------------------------------------------------------------------ package bugs found (same-second ties)
# SPEC §5.2 orders messages by (session_id, sent_at, message_id); the package decides "the robot
# messages that precede the first valid reply" and "the first buyer message after the last robot
# message" by comparing times, so a message sent in the same second as the first reply / the last
# robot message falls on the wrong side.
def test_bug_robot_after_first_reply_in_same_second():
    msgs = im_messages("S0", "2026-09-29", [("07:55:00", "buyer"), ("08:00:00", "buyer"), ("08:00:00", "agent"), ("08:00:00", "robot")])
    exp = reference_im(msgs, None)
    # no robot message precedes the reply (M002 < M003): the human phase starts at the session
    # start, the only round starts at 07:55:00, outside business hours → nothing is counted
    assert exp["cs.im_3min_reply_rate_round"] == (0, 0)
    assert exp["service.im_3min_reply_rate"] == (0, 0)
    assert exp["cs.im_3min_reply_rate_msg"] == (1, 1)
    check_im(msgs, None)


def test_bug_buyer_after_robot_in_same_second():
    msgs = im_messages("S0", "2026-09-29", [("10:00:00", "robot"), ("10:00:00", "buyer"), ("10:00:30", "agent")])
    exp = reference_im(msgs, None)
    # the human phase starts at the buyer message M001 → one round, answered in 30 s
    assert exp["cs.im_3min_reply_rate_round"] == (1, 1)
    assert exp["cs.avg_response_seconds"] == (30.0, 1)
    check_im(msgs, None)
