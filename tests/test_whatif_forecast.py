"""What-if, inverse and forecast on the hand-made shop of test_scoring_handmade (as of 2026-10-01)."""
from __future__ import annotations

import pandas as pd
import pytest
from test_scoring_handmade import D, hand_shop, scored

from shopscore_nb.metrics import Context, compute
from shopscore_nb.scoring.forecast import forecast, freeze
from shopscore_nb.scoring.whatif import AnswerRounds, FasterTickets, MoreGoodOrders, PickupInTime, Target, least_n, what_if


@pytest.fixture(scope="module")
def s26():
    return scored("douyin_2026")


@pytest.fixture(scope="module")
def s22():
    return scored("douyin_2022")


def row(w, metric):
    return w.table.set_index("metric").loc[metric]


# ---------------------------------------------------------------- what-if
def test_all_failing_rounds_answered_makes_the_im_rates_100(s26, s22):
    ctx, results, _ = s26
    w = what_if(ctx, results, [AnswerRounds()])
    assert row(w, "cs.im_3min_reply_rate_round")["before"] == pytest.approx(1 / 3)  # S1 30 s passes; S1 240 s and S2 fail
    assert row(w, "cs.im_3min_reply_rate_round")["after"] == 1.0
    # 飞鸽平均响应时长: the two failing rounds now wait 60 s → (30 + 60 + 60) / 3 = 50 s → tier 90 (≤ 50)
    assert row(w, "service.im_avg_response_seconds")["after"] == pytest.approx(50.0)
    assert row(w, "service.im_avg_response_seconds")["score_after"] == 90
    # 服务 (90 + 90 + 80 + 80) / 4 = 85; total 40 + 16.51 + 25.5 − 3 = 79.01 → 79
    assert row(w, "dimension.service")["after"] == 85 and row(w, "total")["after"] == 79 and row(w, "total")["before"] == 76

    ctx, results, _ = s22
    w = what_if(ctx, results, [AnswerRounds()])
    assert row(w, "service.im_3min_reply_rate")["before"] == 0.0 and row(w, "service.im_3min_reply_rate")["after"] == 1.0
    assert row(w, "service.im_3min_reply_rate")["score_after"] == 5.0
    # seed 服务 (4 + 3 + 5 + 5 + 5) / 5 = 4.4; total 1.5 + 1.0 + 0.4 × 4.4 = 4.26
    assert row(w, "total")["after"] == pytest.approx(4.26)


def test_pickups_in_time_and_faster_tickets(s26):
    ctx, results, _ = s26
    w = what_if(ctx, results, [PickupInTime()])
    # O01–O04 (70 points each) now picked up 6 h after payment → every order 100
    assert row(w, "logistics.pickup_score_avg")["after"] == 100.0
    # 物流 15 + 56 + 12 = 83 → total 40 + 16.6 + 22.5 − 3 = 76.1 → 76
    assert row(w, "dimension.logistics")["after"] == pytest.approx(83.0) and row(w, "total")["after"] == 76

    w = what_if(ctx, results, [FasterTickets(hours=2)])
    # only T3 (4 h) is slower than 2 h → (2 + 1 + 2) / 3 = 1.667 h ≤ 2 → 100
    assert row(w, "service.aftersale_review_hours_avg")["after"] == pytest.approx(5 / 3)
    assert row(w, "service.aftersale_review_hours_avg")["score_after"] == 100
    # the base results are untouched
    assert results["service.aftersale_review_hours_avg"].value == pytest.approx(7 / 3)


def test_explicit_selection_only_fixes_the_listed_rows(s26):
    ctx, results, _ = s26
    w = what_if(ctx, results, [PickupInTime(orders=["O01"], after_hours=6)])
    assert row(w, "logistics.pickup_score_avg")["after"] == pytest.approx((37 * 100 + 3 * 70) / 40)


def test_more_good_orders(s26):
    ctx, results, _ = s26
    w = what_if(ctx, results, [MoreGoodOrders(10)])
    # 10 more 5★ signed orders: (89 + 50) / 30
    assert row(w, "product.avg_rating")["after"] == pytest.approx(139 / 30)
    assert row(w, "logistics.waybill_on_time_rate")["after"] == pytest.approx(46 / 50)


# ---------------------------------------------------------------- inverse
def test_least_good_orders_for_avg_rating_is_minimal(s26):
    ctx, results, _ = s26
    inv = least_n(ctx, results, Target("product.avg_rating", ">=", 4.791))
    # (89 + 5N) / (20 + N) ≥ 4.791 ⇔ 0.209 N ≥ 6.82 ⇔ N ≥ 32.63 → 33
    assert inv.n == 33 and inv.proven_minimal
    assert inv.value_at_n == pytest.approx(254 / 53) and inv.value_at_n_minus_1 == pytest.approx(249 / 52)
    ev = inv.evaluations.set_index("n")["met"]
    assert ev[33] and not ev[32]


def test_least_good_rounds_for_the_weekly_line_is_minimal(s26):
    ctx, results, _ = s26
    inv = least_n(ctx, results, Target.from_line(ctx.profile, "im_3min_weekly"), kind="good_rounds")
    # rounds (1 + N) / (3 + N) ≥ 0.9 ⇔ N ≥ 17: 18/20 = 0.9, 17/19 < 0.9
    assert inv.n == 17 and inv.proven_minimal and inv.value_at_n == pytest.approx(0.9)


def test_least_n_for_the_total(s26):
    ctx, results, _ = s26
    inv = least_n(ctx, results, Target("total", ">=", 78))
    assert inv.proven_minimal and inv.value_at_n >= 78 > inv.value_at_n_minus_1


def test_target_already_met_needs_zero(s26):
    ctx, results, _ = s26
    inv = least_n(ctx, results, Target("total", ">=", 70))
    assert inv.n == 0 and inv.proven_minimal


# ---------------------------------------------------------------- forecast
@pytest.fixture(scope="module")
def fc26(s26):
    ctx, results, _ = s26
    return forecast(ctx, results)


def values(fc, metric, scenario="no_new_events") -> pd.Series:
    f = fc.frame
    return f[(f["metric"] == metric) & (f["scenario"] == scenario)].set_index("as_of")["value"]


def test_forecast_covers_the_window_day_by_day(fc26):
    v = values(fc26, "total")
    assert v.index.min() == pd.Timestamp(D) and v.index.max() == pd.Timestamp(D) + pd.Timedelta(days=30) and len(v) == 31
    assert v.iloc[0] == 76  # today = the scorecard total
    assert set(fc26.frame["scenario"]) == {"no_new_events", "same_pace"}


def test_a_defect_leaves_exactly_window_length_days_after_its_day(fc26):
    # O05–O08 were due 2026-09-12 12:00 and signed late: counted in the reports up to 09-12 + 30 days.
    late = fc26.defects[(fc26.defects["indicator"] == "logistics.waybill_on_time_rate")]
    assert set(late["id"]) == {"O05", "O06", "O07", "O08"}
    assert (late["last_counted_as_of"] == pd.Timestamp("2026-10-12")).all()
    assert (late["drops_out_as_of"] == pd.Timestamp("2026-10-13")).all()
    assert ((late["last_counted_as_of"] - late["anchor_at"].dt.normalize()) == pd.Timedelta(days=30)).all()
    v = values(fc26, "logistics.waybill_on_time_rate")
    assert v[pd.Timestamp("2026-10-12")] == pytest.approx(36 / 40)  # still counted
    assert v[pd.Timestamp("2026-10-13")] == 1.0  # gone: the 36 on-time waybills due 09-13 / 09-15 remain


def test_lagged_defect_leaves_window_plus_lag_days_after_its_day(s22):
    ctx, results, card = s22
    from shopscore_nb.scoring.forecast import defects

    d = defects(ctx, results, card)
    c = d[d["indicator"] == "service.complaint_rate"]
    # O06 paid 09-10; 14-day lagged 90-day cohort → counted up to 09-10 + 90 + 14 = 12-23
    assert c["id"].tolist() == ["O06"] and c["last_counted_as_of"].tolist() == [pd.Timestamp("2026-12-23")]


def test_fast_forecast_equals_day_by_day_recomputation_without_new_events(s26):
    ctx, results, _ = s26
    fast = forecast(ctx, results, horizon=16, scenarios=("no_new_events",))
    slow = forecast(ctx, results, horizon=16, scenarios=("no_new_events",), method="recompute")
    key = ["as_of", "metric"]
    a = fast.frame.set_index(key)["value"].astype(float)
    b = slow.frame.set_index(key)["value"].astype(float)
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index(), check_exact=False, rtol=1e-9)


def test_same_pace_repeats_the_last_14_days(fc26):
    # the 飞鸽 sessions of 09-20 repeat on 10-04, 10-18 …: the mean stays 290 s while the originals leave
    assert values(fc26, "service.im_avg_response_seconds", "same_pace")[pd.Timestamp("2026-10-25")] == pytest.approx(290.0)
    assert pd.isna(values(fc26, "service.im_avg_response_seconds")[pd.Timestamp("2026-10-25")])  # no new events: none left


def test_early_warnings_agree_with_the_frame(fc26):
    w = fc26.warnings
    assert {"alliance_total", "category_clearance"} <= set(w["line"])
    for r in w.itertuples():
        series = values(fc26, r.metric, r.scenario)
        assert series.iloc[0] == pytest.approx(r.today)
        if pd.notna(r.changes_on):
            before = series[series.index < r.changes_on]
            assert r.met_today != (series[r.changes_on] >= r.threshold)  # the line flips on that day …
            assert all((v >= r.threshold) == r.met_today for v in before.dropna())  # … and not before


def test_freeze_drops_rows_not_yet_happened():
    at = pd.Timestamp("2026-09-13")
    frozen = freeze(hand_shop(), at)
    assert len(frozen.tables["reviews"]) == 0 and len(frozen.tables["after_sales"]) == 0  # created 09-15 / applied 09-16+
    assert len(frozen.tables["shipments"]) == 40  # every waybill was picked up by 09-12
    assert frozen.tables["shipments"]["signed_at"].notna().sum() == 36  # O01–O04 signed 09-14: not yet
    assert frozen.tables["shipments"]["promised_delivery_at"].notna().all()  # deadlines are kept
    ctx = Context(frozen, at, scored("douyin_2026")[0].profile, 30)
    assert compute("product.avg_rating", ctx).value is None
