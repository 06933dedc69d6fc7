"""Differential test: the DuckDB yardstick of the benchmark (``benchmarks/duckdb_reference.py``)
against the package, key by key: value, numerator and denominator within 1e-9 relative.

Two shops: a small benchmark shop (``make_benchmark_shop``, the generator of SPEC §10, about 2 %
of its sizes) read at its default as-of date and at an earlier one (so the as-of cut hides rows
and empties later event times), and a hand-made Parquet shop whose few rows sit on the edges that
matter (sub-orders, several waybills, presale and virtual orders, Chinese labels, the robot phase,
same-second messages, rows the loader quarantines, a table absent).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from shopscore_nb import load_shop
from shopscore_nb.demo import make_benchmark_shop
from shopscore_nb.metrics import Context, compute, indicator_keys
from shopscore_nb.profile import load_profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import duckdb_reference as ref  # noqa: E402

PROFILE = "douyin_2022"


def expected(root: Path, shop_id: str, as_of=None) -> dict[str, dict]:
    ctx = Context.build(load_shop(root, shop_id), as_of=as_of, profile=PROFILE)
    out = {}
    for key in ref.COVERED:
        r = compute(key, ctx)
        out[key] = {"value": r.value, "numerator": r.numerator, "denominator": r.denominator,
                    "bands": r.extra.get("bands")}
    return out, ctx.as_of


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None
    return b is not None and math.isclose(float(a), float(b), rel_tol=1e-9)


def mismatches(want: dict, got: dict) -> list[str]:
    bad = []
    for key in ref.COVERED:
        for field in ("value", "numerator", "denominator"):
            if not _same(want[key][field], got[key][field]):
                bad.append(f"{key}.{field}: shopscore {want[key][field]!r} != duckdb {got[key][field]!r}")
    bands = want["logistics.pickup_on_time_rate"]["bands"]
    if bands is not None and bands != got["logistics.pickup_on_time_rate"].get("bands"):
        bad.append(f"pickup bands: {bands} != {got['logistics.pickup_on_time_rate'].get('bands')}")
    return bad


def test_covers_every_seed_indicator():
    assert sorted(ref.COVERED) == sorted(indicator_keys(load_profile(PROFILE)))


# ---------------------------------------------------------------- the benchmark generator, small
@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("bench")
    make_benchmark_shop(root / "small", seed=7, n_orders=20_000, n_messages=40_000, n_after_sales=2_000,
                        n_reviews=6_000, days=120)
    return root, "small"


def test_benchmark_shop_loads_every_row(bench):
    """The reference reads the Parquet files as they are: the loader must not set rows aside."""
    root, shop_id = bench
    shop = load_shop(root, shop_id)
    con = duckdb.connect()
    for table, frame in shop.tables.items():
        raw = con.execute(f"SELECT count(*) FROM read_parquet('{root / shop_id / table}.parquet')").fetchall()[0][0]
        assert len(frame) == raw, table
    assert shop.quarantine.empty


@pytest.fixture(scope="module")
def bench_expected(bench) -> dict:
    """shopscore's numbers at the default as-of date (the one the benchmark uses)."""
    root, shop_id = bench
    want, d = expected(root, shop_id)
    assert pd.Timestamp(d) == pd.Timestamp("2026-09-29")
    return want


@pytest.mark.parametrize("validate", [True, False])
def test_matches_shopscore_on_benchmark_shop(bench, bench_expected, validate):
    root, shop_id = bench
    _, got = ref.run(root / shop_id, None, validate=validate)
    assert mismatches(bench_expected, got) == []
    # not vacuous: every indicator has a value on this shop
    assert [k for k in ref.COVERED if got[k]["value"] is None] == []


def test_matches_shopscore_at_an_earlier_date(bench):
    """At D = 2026-08-20 the as-of cut hides later rows and empties later event times."""
    root, shop_id = bench
    want, _ = expected(root, shop_id, "2026-08-20")
    _, got = ref.run(root / shop_id, "2026-08-20")
    assert mismatches(want, got) == []


def test_the_comparison_can_fail(bench, bench_expected):
    """A one-day shift of the as-of date moves the numbers: the comparison is not vacuous."""
    root, shop_id = bench
    _, got = ref.run(root / shop_id, "2026-09-28")
    assert len(mismatches(bench_expected, got)) > 10


# ---------------------------------------------------------------- a hand-made shop on the edges
def _write(folder: Path, table: str, rows: list[dict], types: dict[str, str]) -> None:
    frame = pd.DataFrame(rows)
    for col, kind in types.items():
        if col not in frame:
            continue
        if kind == "ts":
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        elif kind == "float":
            frame[col] = frame[col].astype("float64")
        elif kind == "bool":
            frame[col] = frame[col].astype("boolean")
        else:
            frame[col] = frame[col].astype("string")
    frame.to_parquet(folder / f"{table}.parquet", index=False)


def handmade(folder: Path, complaints: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    T = "ts"
    o = [  # order_id, sub_order_id, paid_at ...
        dict(order_id="O1", sub_order_id="O1a", paid_at="2026-06-01 10:00:00", amount=100, buyer_id="B1", shipped_at="2026-06-02 07:00:00"),
        dict(order_id="O1", sub_order_id="O1b", paid_at="2026-06-01 10:00:05", amount=50, buyer_id=None, is_gift=True),
        dict(order_id="O2", sub_order_id="O2a", paid_at="2026-06-01 09:00:00", is_presale=True, promised_ship_at="2026-06-10 00:00:00", amount=80, buyer_id="B2"),
        dict(order_id="O3", sub_order_id="O3a", paid_at="2026-06-02 11:00:00", is_virtual=True, amount=10, buyer_id="B3"),
        dict(order_id="O4", sub_order_id="O4a", paid_at="2026-06-03 20:00:00", amount=60, buyer_id="B4"),
        dict(order_id="O5", sub_order_id="O5a", paid_at="2026-06-20 12:00:00", amount=70, buyer_id="B2", province="浙江省"),
        dict(order_id="O5", sub_order_id="O5a", paid_at="2026-06-20 12:00:00", amount=70),  # duplicate key, less complete
        dict(order_id="O6", sub_order_id="O6a", paid_at="2026-07-05 10:00:00", amount=20, buyer_id="B1"),  # after D
        dict(order_id="O7", sub_order_id="O7a", paid_at="2026-04-10 10:00:00", amount=30, buyer_id="B7"),
        dict(order_id="O8", sub_order_id="O8a", paid_at="2026-04-12 10:00:00", amount=30, buyer_id="B8"),
        dict(order_id="O9", sub_order_id="O9a", paid_at="2026-06-25 23:30:00", amount=-5, buyer_id="B1"),  # negative money
        dict(order_id="O10", sub_order_id="O10a", paid_at="2026-06-10 10:00:00", is_presale=True, amount=5),  # presale, no promise
        dict(order_id="O11", sub_order_id="O11a", paid_at=None, amount=5),  # missing payment: quarantined
    ]
    _write(folder, "orders", o, dict(order_id="s", sub_order_id="s", paid_at=T, shipped_at=T, promised_ship_at=T,
                                     amount="float", buyer_id="s", is_presale="bool", is_virtual="bool", is_gift="bool", province="s"))
    w = [
        dict(order_id="O1", waybill_no="W1", picked_up_at="2026-06-02 08:00:00", signed_at="2026-06-04 08:00:00"),
        dict(order_id="O1", waybill_no="W2", picked_up_at="2026-06-02 09:00:00", signed_at="2026-06-05 09:30:00"),
        dict(order_id="O2", waybill_no="W3", picked_up_at="2026-06-09 10:00:00", signed_at="2026-06-11 10:00:00"),
        dict(order_id="O3", waybill_no="W4", picked_up_at="2026-06-02 12:00:00", signed_at="2026-06-03 12:00:00"),
        dict(order_id="O4", waybill_no="W5", picked_up_at="2026-06-05 22:00:00", signed_at="2026-07-03 10:00:00"),  # signed after D
        dict(order_id="O5", waybill_no="W6", picked_up_at="2026-06-21 12:00:00", signed_at="2026-06-23 12:00:00"),
        dict(order_id="O5", waybill_no="W7", picked_up_at="2026-06-21 13:00:00", signed_at=None),  # one waybill unsigned
        dict(order_id="O7", waybill_no="W8", picked_up_at="2026-04-11 10:00:00", signed_at="2026-04-13 10:00:00"),
        dict(order_id="O8", waybill_no="W9", picked_up_at="2026-04-12 09:00:00", signed_at="2026-04-14 09:00:00"),  # before paid
        dict(order_id="O99", waybill_no="W10", picked_up_at="2026-06-01 10:00:00", signed_at="2026-06-03 11:00:00"),  # orphan
        dict(order_id="O9", waybill_no="W11", picked_up_at="2026-06-27 23:30:00", signed_at="2026-06-27 20:00:00"),  # signed before pickup
        dict(order_id="O10", waybill_no="W12", picked_up_at="2026-06-13 10:00:00", signed_at="2026-06-15 10:00:00"),
        dict(order_id="O2", waybill_no="W3", picked_up_at="2026-06-09 10:00:00", signed_at=None),  # duplicate waybill, less complete
    ]
    _write(folder, "shipments", w, dict(order_id="s", waybill_no="s", picked_up_at=T, signed_at=T))
    a = [
        dict(after_sale_id="A1", order_id="O1", type="仅退款(已发货)", reason="质量问题", applied_at="2026-06-06 10:00:00",
             agreed_at="2026-06-06 12:00:00", refunded_at="2026-06-06 13:00:00", completed_at="2026-06-06 13:00:00"),
        dict(after_sale_id="A2", order_id="O4", type="退货退款", reason=None, reason_tag="少件/漏发", applied_at="2026-06-07 10:00:00",
             agreed_at="2026-06-07 11:00:00", return_signed_at="2026-06-09 10:00:00", refunded_at="2026-06-10 10:00:00",
             completed_at="2026-06-10 10:00:00", arbitration_status="已仲裁", liable_party="商家责任"),
        dict(after_sale_id="A3", order_id="O5", type="exchange", reason="发错货", applied_at="2026-06-22 10:00:00",
             rejected_at="2026-06-22 18:00:00", agreed_at="2026-06-23 10:00:00", completed_at="2026-06-25 10:00:00",
             arbitration_status="无", liable_party="商家"),
        dict(after_sale_id="A4", order_id="O2", type="仅退款", shipped_before_apply=False, reason="7天无理由",
             applied_at="2026-06-02 10:00:00", refunded_at="2026-06-02 15:00:00", completed_at="2026-06-02 15:00:00"),
        dict(after_sale_id="A4", order_id="O2", type="仅退款", applied_at="2026-06-02 10:00:00"),  # duplicate, less complete
        dict(after_sale_id="A5", order_id="O3", type="仅退款", applied_at="2026-06-03 10:00:00", agreed_at="2026-06-03 09:00:00"),  # before applied
        dict(after_sale_id="A6", order_id="O5", type="退货退款", reason="商品破损", applied_at="2026-06-24 10:00:00",
             agreed_at="2026-06-24 20:00:00", refunded_at="2026-06-29 10:00:00", completed_at="2026-07-02 10:00:00",  # completed after D
             arbitration_status="已仲裁", liable_party="非商家责任"),
        dict(after_sale_id="A7", order_id="O7", type="换货(其他)", reason="其他", applied_at="2026-04-15 10:00:00",
             completed_at="2026-04-20 10:00:00"),
        dict(after_sale_id="A8", order_id="O10", type="退货退款", reason="质量差", applied_at="2026-06-11 10:00:00",
             refunded_at="2026-06-12 10:00:00", completed_at="2026-06-12 10:00:00", arbitration_status="仲裁完成", liable_party="卖家全责"),
    ]
    _write(folder, "after_sales", a, dict(after_sale_id="s", order_id="s", type="s", reason="s", reason_tag="s",
                                          shipped_before_apply="bool", applied_at=T, agreed_at=T, rejected_at=T, refunded_at=T,
                                          return_signed_at=T, completed_at=T, arbitration_status="s", liable_party="s"))
    if complaints:
        c = [dict(complaint_id="C1", order_id="O7", created_at="2026-04-23 09:00:00"),
             dict(complaint_id="C2", order_id="O8", created_at="2026-04-27 10:00:01"),
             dict(complaint_id="C3", order_id="O8", created_at="2026-04-12 09:00:00")]  # before payment
        _write(folder, "complaints", c, dict(complaint_id="s", order_id="s", created_at=T))
    r = [
        dict(review_id="R1", order_id="O1", created_at="2026-06-06 10:00:00", product_score=2, logistics_score=5, service_score=5),
        dict(review_id="R2", order_id="O2", created_at="2026-06-12 10:00:00", product_score=5),
        dict(review_id="R3", order_id="O5", created_at="2026-06-24 10:00:00", product_score=3, logistics_score=4, service_score=4),
        dict(review_id="R4", order_id="O7", created_at="2026-04-26 10:00:00", product_score=4, logistics_score=4, service_score=4),
        dict(review_id="R5", order_id="O4", created_at="2026-06-20 10:00:00", product_score=6),  # out of range
        dict(review_id="R6", order_id="O2", created_at="2026-07-02 10:00:00", product_score=1),  # after D
        dict(review_id="R7", order_id="O1", created_at="2026-06-07 10:00:00", product_score=1),  # second review of O1
    ]
    _write(folder, "reviews", r, dict(review_id="s", order_id="s", created_at=T, product_score="float",
                                      logistics_score="float", service_score="float"))
    m = []

    def msg(sid, at, role, mid=None, buyer=None, agent=None):
        m.append(dict(session_id=sid, message_id=mid or f"{sid}-{len(m):03d}", sent_at=at, sender_role=role, buyer_id=buyer, agent_id=agent))

    # S1: robot phase, transfer, a round answered in 60 s, one at 22:58 answered 23:01
    msg("S1", "2026-06-01 08:00:00", "system", buyer="B1")
    msg("S1", "2026-06-01 08:00:10", "buyer", buyer="B1")
    msg("S1", "2026-06-01 08:00:11", "robot")
    msg("S1", "2026-06-01 08:01:00", "buyer", buyer="B1")
    msg("S1", "2026-06-01 08:02:00", "客服", agent="A-1")
    msg("S1", "2026-06-01 22:58:00", "买家", buyer="B1")
    msg("S1", "2026-06-01 23:01:00", "agent", agent="A-1")
    # S2 (no session row): robot, then two buyer messages, a robot_assist reply after 200 s
    msg("S2", "2026-06-02 10:00:00", "buyer", buyer="B2")
    msg("S2", "2026-06-02 10:00:01", "robot")
    msg("S2", "2026-06-02 10:01:00", "buyer", buyer="B2")
    msg("S2", "2026-06-02 10:01:30", "buyer", buyer="B2")
    msg("S2", "2026-06-02 10:04:20", "robot_assist", agent="A-2")
    msg("S2", "2026-06-02 10:05:00", "robot")  # survey prompt after the human conversation
    msg("S2", "2026-06-02 10:06:00", "buyer", buyer="B2")
    # S3: pure robot
    msg("S3", "2026-06-03 12:00:00", "buyer", buyer="B3")
    msg("S3", "2026-06-03 12:00:01", "robot")
    # S4: transferred, never answered
    msg("S4", "2026-06-04 09:00:00", "buyer", buyer="B4")
    # S5: same-second buyer and agent messages, ordered by message_id
    msg("S5", "2026-06-05 15:00:00", "buyer", mid="S5-b", buyer="B5")
    msg("S5", "2026-06-05 15:00:00", "agent", mid="S5-a", agent="A-3")
    msg("S5", "2026-06-05 15:00:30", "agent", mid="S5-c", agent="A-3")
    # S6: agent speaks first, buyer outside business hours, no reply
    msg("S6", "2026-06-06 07:00:00", "agent", agent="A-1")
    msg("S6", "2026-06-06 07:30:00", "buyer", buyer="B6")
    msg("S6", "2026-06-06 07:31:00", "pigeon")  # unknown label: quarantined
    # S7: after D
    msg("S7", "2026-07-01 09:00:00", "buyer", buyer="B1")
    # S8: robot only then the agent (no buyer after the robot), a late reply (400 s) at 20:00
    msg("S8", "2026-06-08 20:00:00", "buyer", buyer="B8")
    msg("S8", "2026-06-08 20:00:01", "robot")
    msg("S8", "2026-06-08 20:00:30", "agent", agent="A-2")
    msg("S8", "2026-06-08 20:01:00", "buyer", buyer="B8")
    msg("S8", "2026-06-08 20:07:40", "agent", agent="A-2")
    _write(folder, "im_messages", m, dict(session_id="s", message_id="s", sent_at=T, sender_role="s", buyer_id="s", agent_id="s"))
    s = [
        dict(session_id="S1", buyer_id="B1", started_at="2026-06-01 08:00:00", transferred_at="2026-06-01 08:00:40",
             queued_at="2026-06-01 08:00:40", assigned_at="2026-06-01 08:00:50", agent_id="A-1", rating=5),
        dict(session_id="S4", buyer_id="B4", started_at="2026-06-04 09:00:00", transferred_at="2026-06-04 09:00:05", rating=2),
        dict(session_id="S5", started_at="2026-06-05 15:00:00", transferred_at="2026-06-05 15:00:00",
             assigned_at="2026-06-05 15:00:10", rating=4),
        dict(session_id="S9", buyer_id="B9", started_at="2026-06-09 10:00:00", rating=5),  # no messages
        dict(session_id="S10", buyer_id="B1", started_at="2026-06-30 23:30:00", transferred_at="2026-07-01 00:10:00"),  # transfer after D
    ]
    _write(folder, "im_sessions", s, dict(session_id="s", buyer_id="s", started_at=T, transferred_at=T, queued_at=T,
                                          assigned_at=T, agent_id="s", rating="float"))


@pytest.fixture(scope="module")
def edge(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("edge")
    handmade(root / "edge")
    return root


def test_handmade_shop_has_rows_the_loader_sets_aside(edge):
    reasons = set(load_shop(edge, "edge").quarantine["reason"])
    assert reasons == {"duplicate_key", "aftersale_event_before_applied", "unknown_code", "missing_required",
                       "score_out_of_range", "picked_up_before_paid", "signed_before_picked_up"}


@pytest.mark.parametrize("as_of", [None, "2026-07-01", "2026-06-06"])
def test_matches_shopscore_on_handmade_shop(edge, as_of):
    want, _ = expected(edge, "edge", as_of)
    _, got = ref.run(edge / "edge", as_of)
    assert mismatches(want, got) == []
    if as_of == "2026-07-01":
        assert got["cs.assisted_sales"]["value"] == 150.0
        assert got["service.dispute_merchant_rate"]["numerator"] == 2
        assert got["service.im_3min_reply_rate"]["denominator"] == 3


def test_absent_table_is_null_not_zero(tmp_path):
    handmade(tmp_path / "edge", complaints=False)
    want, _ = expected(tmp_path, "edge", "2026-07-01")
    _, got = ref.run(tmp_path / "edge", "2026-07-01")
    assert mismatches(want, got) == []
    assert got["service.complaint_rate"] == {"value": None, "numerator": None, "denominator": None}
