"""Property tests (hypothesis) over small generated shops: bounds, row-order independence, shop
isolation through the real loader, and the rolling-window shift of the as-of date.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import AS_OF, canonical_frame, make_shop, write_shop_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscore_nb.compact import encode
from shopscore_nb.metrics import REGISTRY, Context, compute, compute_all
from shopscore_nb.profile import load_profile
from shopscore_nb.shop import ShopData, load_shop

D = pd.Timestamp(AS_OF)
BASE = D - pd.Timedelta(days=112)  # generated events span [D − 112 d, D + 3 d): some before, some after the window
SPAN_S = 115 * 86400
REASONS = ["质量问题", "少件/漏发", "7天无理由", "发错货", "不想要了"]
TYPES = ["refund_only", "return_refund", "exchange"]
ROLES = ["buyer", "buyer", "buyer", "agent", "robot_assist", "robot", "system"]

FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
VERY_FAST = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _at(seconds: int) -> pd.Timestamp:
    return BASE + pd.Timedelta(seconds=int(seconds))


def _fmt(t) -> str | None:
    return None if t is None else pd.Timestamp(t).strftime("%Y-%m-%d %H:%M:%S")


hours_s = st.integers(min_value=0, max_value=100 * 3600)


@st.composite
def shops(draw, prefix: str = "g"):
    """Row lists of one small shop; every event order is possible (no quarantine)."""
    orders, shipments, reviews, complaints, tickets, messages, sessions = [], [], [], [], [], [], []
    n = draw(st.integers(min_value=1, max_value=10))
    for i in range(n):
        oid = f"{prefix}-O{i}"
        paid = _at(draw(st.integers(min_value=0, max_value=SPAN_S)))
        presale = draw(st.booleans())
        virtual = draw(st.sampled_from([False, False, False, True]))
        promised = paid + pd.Timedelta(hours=draw(st.integers(min_value=1, max_value=120))) if presale else None
        buyer = f"{prefix}-B{draw(st.integers(min_value=0, max_value=3))}"
        for k in range(draw(st.integers(min_value=1, max_value=2))):
            orders.append({"order_id": oid, "sub_order_id": f"{oid}-{k}", "paid_at": _fmt(paid), "is_presale": presale,
                           "is_virtual": virtual, "promised_ship_at": _fmt(promised), "buyer_id": buyer,
                           "amount": float(draw(st.integers(min_value=1, max_value=500)))})
        signed = None
        if draw(st.integers(min_value=0, max_value=4)) > 0:  # most orders have a waybill
            picked = paid + pd.Timedelta(seconds=draw(hours_s))
            signed = picked + pd.Timedelta(seconds=draw(hours_s)) if draw(st.booleans()) else None
            shipments.append({"order_id": oid, "waybill_no": f"{prefix}-W{i}", "picked_up_at": _fmt(picked), "signed_at": _fmt(signed)})
        if draw(st.booleans()):
            after = signed if signed is not None else paid
            created = after + pd.Timedelta(seconds=draw(st.integers(min_value=0, max_value=20 * 86400)))
            subs = draw(st.booleans())
            reviews.append({"review_id": f"{prefix}-R{i}", "order_id": oid, "created_at": _fmt(created),
                            "product_score": draw(st.integers(1, 5)),
                            "logistics_score": draw(st.integers(1, 5)) if subs else None,
                            "service_score": draw(st.integers(1, 5)) if subs else None})
        if draw(st.booleans()):
            complaints.append({"complaint_id": f"{prefix}-C{i}", "order_id": oid,
                               "created_at": _fmt(paid + pd.Timedelta(seconds=draw(st.integers(0, 20 * 86400))))})
        if draw(st.booleans()):
            applied = paid + pd.Timedelta(seconds=draw(st.integers(0, 10 * 86400)))
            agreed = applied + pd.Timedelta(seconds=draw(hours_s)) if draw(st.booleans()) else None
            refunded = (agreed or applied) + pd.Timedelta(seconds=draw(hours_s)) if draw(st.booleans()) else None
            completed = max(t for t in (applied, agreed, refunded) if t is not None) if draw(st.booleans()) else None
            rsigned = applied + pd.Timedelta(seconds=draw(hours_s)) if draw(st.booleans()) else None
            if rsigned is not None and refunded is not None and rsigned > refunded:
                rsigned = refunded
            tickets.append({"after_sale_id": f"{prefix}-A{i}", "order_id": oid, "type": draw(st.sampled_from(TYPES)),
                            "reason": draw(st.sampled_from(REASONS)), "applied_at": _fmt(applied), "agreed_at": _fmt(agreed),
                            "return_signed_at": _fmt(rsigned), "refunded_at": _fmt(refunded), "completed_at": _fmt(completed),
                            "arbitration_status": draw(st.sampled_from([None, "仲裁完成"])),
                            "liable_party": draw(st.sampled_from([None, "商家", "买家"]))})
    for j in range(draw(st.integers(min_value=0, max_value=4))):
        sid = f"{prefix}-S{j}"
        start = _at(draw(st.integers(min_value=0, max_value=SPAN_S)))
        agent = f"{prefix}-A{draw(st.integers(0, 1))}"
        buyer = f"{prefix}-B{draw(st.integers(0, 3))}"
        t = start
        n_msgs = draw(st.integers(min_value=1, max_value=7))
        for k in range(n_msgs):
            role = draw(st.sampled_from(ROLES))
            messages.append({"session_id": sid, "message_id": f"{sid}-M{k}", "sent_at": _fmt(t), "sender_role": role,
                             "buyer_id": buyer, "agent_id": agent if role in ("agent", "robot_assist") else None})
            t = t + pd.Timedelta(seconds=draw(st.integers(min_value=0, max_value=400)))
        transferred = start + pd.Timedelta(seconds=draw(st.integers(0, 60))) if draw(st.booleans()) else None
        assigned = (transferred or start) + pd.Timedelta(seconds=draw(st.integers(0, 900))) if draw(st.booleans()) else None
        sessions.append({"session_id": sid, "buyer_id": buyer, "started_at": _fmt(start), "transferred_at": _fmt(transferred),
                         "queued_at": _fmt(transferred), "assigned_at": _fmt(assigned), "agent_id": agent,
                         "rating": draw(st.sampled_from([None, 1, 3, 4, 5]))})
    tables = {"orders": orders, "shipments": shipments, "reviews": reviews, "complaints": complaints,
              "after_sales": tickets, "im_messages": messages, "im_sessions": sessions}
    return {k: v for k, v in tables.items() if v}


PROFILE = load_profile("douyin_2022")


def _all(shop: ShopData, as_of=AS_OF) -> dict:
    ctx = Context.build(shop, as_of=as_of, profile=PROFILE)
    return compute_all(ctx)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _assert_same_results(r1: dict, r2: dict):
    assert r1.keys() == r2.keys()
    for k in r1:
        a, b = r1[k].as_dict(), r2[k].as_dict()
        for field in ("value", "numerator", "denominator"):
            assert _same(a[field], b[field]), f"{k}.{field}: {a[field]} != {b[field]}"
        assert a.get("reason") == b.get("reason"), k


# ---------------------------------------------------------------- bounds and row order
def _shuffled(shop: ShopData, seed: int) -> ShopData:
    rng = np.random.default_rng(seed)
    tables = {name: frame.iloc[rng.permutation(len(frame))].reset_index(drop=True) for name, frame in shop.tables.items()}
    return ShopData(shop.shop_id, tables, shop.quarantine, shop.warnings)


def _check_bounds(results: dict):
    assert set(results) == set(REGISTRY["seed"])  # every seed indicator is reported
    for key, r in results.items():
        if r.value is None:
            assert r.reason, f"{key}: null without a reason"
            continue
        assert not math.isnan(r.value), key
        if r.unit == "ratio":
            assert 0.0 <= r.value <= 1.0, f"{key} = {r.value}"
            assert 0 <= r.numerator <= r.denominator, f"{key}: {r.numerator}/{r.denominator}"
            assert math.isclose(r.value, r.numerator / r.denominator), key
        elif r.denominator is not None:
            assert r.denominator > 0
            assert math.isclose(r.value, r.numerator / r.denominator), key
        if r.unit in ("hours", "seconds", "count", "yuan"):
            assert r.value >= 0, f"{key} = {r.value}"
    wait = results["cs.avg_response_seconds"]
    if wait.value is not None:
        assert wait.value <= 600  # capped at 600 s, an unanswered round counts 600 s


@FAST
@given(shops(), st.integers(min_value=0, max_value=2**31))
def test_rates_bounded_and_unchanged_when_rows_are_shuffled(tables, seed):
    # every rate in [0, 1], numerator ≤ denominator, value = numerator / denominator, null only with a reason;
    # and the same numbers whatever the row order of every table
    shop = make_shop(**tables)
    results = _all(shop)
    _check_bounds(results)
    _assert_same_results(results, _all(_shuffled(shop, seed)))


# ---------------------------------------------------------------- shop isolation through the loader
_write_shop = write_shop_csv


@VERY_FAST
@given(shops(prefix="a"), shops(prefix="b"))
def test_results_unchanged_when_another_shop_is_in_the_data_root(a, b):
    with tempfile.TemporaryDirectory() as tmp:
        alone, together = Path(tmp) / "alone", Path(tmp) / "together"
        _write_shop(alone, "shop_a", a)
        _write_shop(together, "shop_a", a)
        _write_shop(together, "shop_b", b)
        loaded_alone = load_shop(alone, "shop_a")
        loaded_together = load_shop(together, "shop_a")
        r_alone, r_together = _all(loaded_alone), _all(loaded_together)
        _assert_same_results(r_alone, r_together)
        # nothing of shop b reaches shop a's detail rows
        for r in r_together.values():
            text = r.detail.to_csv() if len(r.detail) else ""
            assert "b-O" not in text and "b-S" not in text
        # and loading the CSVs gives what the in-memory tables give (clean data: nothing quarantined)
        assert len(loaded_alone.quarantine) == 0, loaded_alone.quarantine
        _assert_same_results(r_alone, _all(make_shop(**a)))


# ---------------------------------------------------------------- the rolling window
def _day(ts: pd.Series, day: pd.Timestamp) -> pd.Series:
    return (ts >= day) & (ts < day + pd.Timedelta(days=1))


@FAST
@given(shops())
def test_moving_as_of_by_one_day_only_moves_the_window_edges(tables):
    shop = make_shop(**tables)
    if not shop.has("shipments"):
        return  # covered by the null rules in test_metrics_seed
    d1 = D + pd.Timedelta(days=1)
    n = 90
    r0 = compute("logistics.pickup_on_time_rate", Context.build(shop, as_of=D, profile=PROFILE))
    r1 = compute("logistics.pickup_on_time_rate", Context.build(shop, as_of=d1, profile=PROFILE))
    # candidate orders: non-virtual, paid, first pickup time
    ship = shop.tables["shipments"].groupby("order_id")["picked_up_at"].min()
    o = shop.tables["orders"].groupby("order_id").agg(virtual=("is_virtual", "any"), paid=("paid_at", "min"))
    cand = ship[ship.index.isin(o.index[~o["virtual"].astype(bool) & o["paid"].notna()])]
    leaving = set(cand.index[_day(cand, D - pd.Timedelta(days=n))])
    entering = set(cand.index[_day(cand, D)])
    before = set(r0.detail.index) if len(r0.detail) else set()
    after = set(r1.detail.index) if len(r1.detail) else set()
    # detail at D+1 = detail at D − picked up on day D−N + picked up on day D
    assert after == (before - leaving) | entering
    # an order in both windows keeps its verdict
    for oid in before & after:
        assert bool(r0.detail.loc[oid, "passed"]) == bool(r1.detail.loc[oid, "passed"])
    num0 = r0.numerator or 0
    num1 = r1.numerator or 0
    lost = sum(bool(r0.detail.loc[x, "passed"]) for x in leaving & before)
    gained = sum(bool(r1.detail.loc[x, "passed"]) for x in entering)
    assert num1 == num0 - lost + gained

    # reviews created in the window: same rule on created_at
    if "reviews" in shop.tables:
        c0 = compute("reviews.count", Context.build(shop, as_of=D, profile=PROFILE)).value
        c1 = compute("reviews.count", Context.build(shop, as_of=d1, profile=PROFILE)).value
        created = shop.tables["reviews"]["created_at"]
        assert c1 == c0 - _day(created, D - pd.Timedelta(days=n)).sum() + _day(created, D).sum()


def test_canonical_frame_matches_loader_dtypes(tmp_path):
    # the in-memory helper builds the same dtypes the loader produces (so property results transfer)
    rows = [{"order_id": "x-O1", "sub_order_id": "x-O1-1", "paid_at": "2026-08-01 10:00:00", "is_presale": True, "amount": 1.0}]
    _write_shop(tmp_path, "x", {"orders": rows})
    loaded = load_shop(tmp_path, "x").tables["orders"]
    built = encode({"orders": canonical_frame("orders", rows)})["orders"]
    for col in ("order_id", "paid_at", "is_presale", "amount"):
        assert str(loaded[col].dtype) == str(built[col].dtype), col
