"""Seed-era (douyin_2022) score indicators and the 服务分析 dashboards of SPEC §5.1.

Each function documents its definition in one line (used as the English description).
Window: ``[D − N 00:00, D 00:00)``; lagged cohorts: ``[D − N − lag, D − lag)``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..fastops import group_by, isin
from .base import Context, IndicatorResult, count, indicator, labels, lookup, mean, ratio
from .facts import deliveries, hours, orders, tickets

REFUND_TYPES = ("refund_only", "return_refund")


def _detail(frame: pd.DataFrame, passed: pd.Series, reason: pd.Series | str) -> pd.DataFrame:
    out = frame.copy()
    out["passed"] = passed.to_numpy()
    out["reason"] = reason if isinstance(reason, str) else getattr(reason, "array", reason)  # positional
    return out


# ---------------------------------------------------------------- product
@indicator("product.negative_review_rate", "商品差评率", "ratio", ("shipments", "reviews"), rulesets=("seed",))
def negative_review_rate(ctx: Context) -> IndicatorResult:
    """Orders signed in the window whose review (created before D) has product_score ≤ 2 ÷ orders signed in the window."""
    d = deliveries(ctx)
    signed = d[ctx.in_window(d["signed_at"])][["signed_at"]]
    r = ctx.table("reviews")[["order_id", "created_at", "product_score"]]
    r = r[r["created_at"] < ctx.end]
    worst = group_by(r, "order_id")["product_score"].min()
    score = lookup(signed.index.to_series(), worst)
    bad = (score <= ctx.param("reviews.bad_max_score")).fillna(False)
    detail = signed.assign(product_score=score.to_numpy())
    reason = pd.Series(labels([bad, score.isna()], ["bad_review", "no_review"], "not_bad"), index=signed.index)
    return bad_rate("product.negative_review_rate", bad, detail, reason)


def _rate(hit: pd.Series) -> tuple:
    """(value, numerator, denominator) of a 'bad things' rate, null on an empty denominator."""
    den = int(len(hit))
    num = int(hit.sum())
    return (num / den if den else None), num, den


def bad_rate(key: str, hit: pd.Series, detail: pd.DataFrame, reason: pd.Series) -> IndicatorResult:
    """A rate of bad outcomes (numerator = rows hit): detail rows pass when not hit."""
    value, num, den = _rate(hit)
    return IndicatorResult(key, value, num, den, "ratio", _detail(detail, ~hit, reason), None if den else "no data")


@indicator("product.quality_return_rate", "品质退货率", "ratio", ("orders", "after_sales"), rulesets=("seed",))
def quality_return_rate(ctx: Context) -> IndicatorResult:
    """Orders paid in the window with a 仅退款/退货退款 ticket (applied before D) for a quality or logistics reason ÷ orders paid."""
    o = orders(ctx)
    paid = o[ctx.in_window(o["paid_at"])][["paid_at"]]
    t = tickets(ctx)
    cats = ctx.param("return_reason_categories")
    hit_tickets = t[t["type"].isin(REFUND_TYPES) & t["reason_category"].isin(cats) & (t["applied_at"] < ctx.end)]
    first = hit_tickets.sort_values("applied_at").drop_duplicates("order_id").set_index("order_id")
    hit = pd.Series(isin(paid.index, first.index), index=paid.index)
    detail = paid.assign(reason_text=lookup(paid.index.to_series(), first["reason"]).to_numpy() if "reason" in first else pd.NA)
    reason = pd.Series(labels([hit], ["quality_return"], "no_quality_return"), index=paid.index)
    return bad_rate("product.quality_return_rate", hit, detail, reason)


# ---------------------------------------------------------------- logistics
@indicator("logistics.pickup_on_time_rate", "揽收及时率", "ratio", ("orders", "shipments"), rulesets=("seed",))
def pickup_on_time_rate(ctx: Context) -> IndicatorResult:
    """Non-virtual orders picked up in the window with pickup − payment ≤ 48 h (presale: ≤ promised ship time) ÷ orders picked up."""
    d = deliveries(ctx)
    d = d[ctx.in_window(d["picked_up_at"]) & d["paid_at"].notna() & ~d["is_virtual"]].copy()
    d["pickup_hours"] = hours(d["picked_up_at"] - d["paid_at"])
    sla = ctx.param("logistics.pickup_sla_hours")
    promised = d["promised_ship_at"] if "promised_ship_at" in d else pd.Series(pd.NaT, index=d.index)
    presale = d["is_presale"] & promised.notna()
    on_time = np.where(presale, d["picked_up_at"] <= promised, d["pickup_hours"] <= sla)
    on_time = pd.Series(on_time, index=d.index).astype(bool)
    reason = labels(
        [presale & on_time, presale & ~on_time, on_time],
        ["presale_before_promise", "presale_after_promise", f"within_{sla}h"],
        f"over_{sla}h",
    )
    edges = [0, *ctx.param("logistics.pickup_bands_hours"), np.inf]
    names = [f"{a}-{b}h" if np.isfinite(b) else f">{a}h" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    d["band"] = pd.cut(d["pickup_hours"], edges, labels=names, right=True, include_lowest=True)
    bands = d["band"].value_counts().reindex(names).fillna(0).astype(int).to_dict()
    return ratio("logistics.pickup_on_time_rate", "ratio", on_time, _detail(d, on_time, pd.Series(reason)), bands=bands)


@indicator("logistics.delivery_hours_avg", "订单配送时长", "hours", ("shipments",), rulesets=("seed",))
def delivery_hours_avg(ctx: Context) -> IndicatorResult:
    """Mean hours from pickup to signing over orders signed in the window, presale and virtual orders excluded."""
    d = deliveries(ctx)
    d = d[ctx.in_window(d["signed_at"]) & ~d["is_presale"] & ~d["is_virtual"]].copy()
    d["delivery_hours"] = hours(d["signed_at"] - d["picked_up_at"])
    detail = _detail(d, pd.Series(True, index=d.index), "signed")
    return mean("logistics.delivery_hours_avg", "hours", d["delivery_hours"], detail)


# ---------------------------------------------------------------- service (after-sales and complaints)
@indicator("service.complaint_rate", "投诉率", "ratio", ("orders", "complaints"), rulesets=("seed",))
def complaint_rate(ctx: Context) -> IndicatorResult:
    """14-day lagged cohort: orders paid in [D−N−14, D−14) with a complaint within 14×24 h after payment ÷ those orders."""
    lag = ctx.param("lags.complaint_days")
    o = orders(ctx)
    cohort = o[ctx.in_window(o["paid_at"], lag_days=lag)][["paid_at"]]
    first = first_within(cohort["paid_at"], ctx.table("complaints"), lag)
    hit = first.notna()
    detail = cohort.assign(complaint_at=first.to_numpy())
    reason = pd.Series(labels([hit], [f"complaint_within_{lag}d"], "no_complaint"), index=cohort.index)
    return bad_rate("service.complaint_rate", hit, detail, reason)


def first_within(start: pd.Series, events: pd.DataFrame, days: int) -> pd.Series:
    """Per cohort order (``start`` indexed by order_id): its first event (``created_at``) at most
    ``days`` × 24 h after ``start`` (inclusive), else NaT — the lagged-cohort test of 投诉率 and 评价率."""
    e = events[isin(events["order_id"], start.index)]
    delay = e["created_at"] - lookup(e["order_id"], start)
    e = e[(delay >= pd.Timedelta(0)) & (delay <= pd.Timedelta(days=days))]
    return lookup(start.index.to_series(), group_by(e, "order_id")["created_at"].min())


def _completed(ctx: Context) -> pd.DataFrame:
    t = tickets(ctx)
    return t[ctx.in_window(t["completed_at"])]


@indicator("service.dispute_merchant_rate", "纠纷商责率", "ratio", ("after_sales",), rulesets=("seed",))
def dispute_merchant_rate(ctx: Context) -> IndicatorResult:
    """Tickets completed in the window that went to arbitration and were judged the merchant's ÷ tickets completed."""
    t = _completed(ctx)
    liable = t["liable_party"].astype("string") if "liable_party" in t else pd.Series(pd.NA, index=t.index, dtype="string")
    # the whole value must name the merchant: 非商家责任 / 商家无责 are not the merchant's
    merchant = liable.str.fullmatch(r"(商家|卖家|merchant|seller)(责任|全责|主责|有责)?", case=False, na=False)
    if "arbitration_status" in t:
        status = t["arbitration_status"].astype("string")
        arb = status.notna() & ~status.str.fullmatch(r"无|未仲裁|未申请|none|0", case=False, na=False)
    else:  # no 仲裁状态 column: a named liable party implies an arbitration verdict
        arb = liable.notna()
    hit = (arb & merchant).astype(bool)
    reason = pd.Series(labels([hit, arb], ["merchant_liable", "arbitrated_not_merchant"], "no_arbitration"), index=t.index)
    return bad_rate("service.dispute_merchant_rate", hit, t, reason)


@indicator("service.return_refund_wait_hours", "退货退款自主完结时长", "hours", ("after_sales",), rulesets=("seed",))
def return_refund_wait_hours(ctx: Context) -> IndicatorResult:
    """Mean hours 退货退款/换货 tickets completed in the window waited on the merchant: (first action − applied) + (refund − return signed)."""
    t = _completed(ctx)
    t = t[t["type"].isin(("return_refund", "exchange"))].copy()
    first = hours(t["first_merchant_action_at"] - t["applied_at"])
    second = hours(t["refunded_at"] - t["return_signed_at"]).fillna(0.0)
    t["wait_hours"] = first + second
    return mean("service.return_refund_wait_hours", "hours", t["wait_hours"], _detail(t, t["wait_hours"].notna(), "completed"))


@indicator("service.refund_only_wait_hours", "仅退款自主完结时长", "hours", ("after_sales",), rulesets=("seed",))
def refund_only_wait_hours(ctx: Context) -> IndicatorResult:
    """Mean hours from application to the first merchant action (agree, reject or refund) over 仅退款 tickets completed in the window."""
    t = _completed(ctx)
    t = t[t["type"] == "refund_only"].copy()
    t["wait_hours"] = hours(t["first_merchant_action_at"] - t["applied_at"])
    return mean("service.refund_only_wait_hours", "hours", t["wait_hours"], _detail(t, t["wait_hours"].notna(), "completed"))


# ---------------------------------------------------------------- after-sales dashboard
@indicator("aftersales.refund_hours_avg", "平均售后退款时长", "hours", ("after_sales",))
def refund_hours_avg(ctx: Context) -> IndicatorResult:
    """Mean (refunded − applied) hours over 仅退款 tickets refunded in the window."""
    t = tickets(ctx)
    t = t[(t["type"] == "refund_only") & ctx.in_window(t["refunded_at"])].copy()
    t["refund_hours"] = hours(t["refunded_at"] - t["applied_at"])
    return mean("aftersales.refund_hours_avg", "hours", t["refund_hours"], _detail(t, pd.Series(True, index=t.index), "refunded"))


def _processing(ctx: Context, shipped: bool | None, key: str) -> IndicatorResult:
    t = tickets(ctx)
    t = t[t["type"].isin(REFUND_TYPES) & ctx.in_window(t["refunded_at"])].copy()
    if shipped is not None:
        flag = t["shipped_before_apply"].astype("boolean") if "shipped_before_apply" in t else pd.Series(pd.NA, index=t.index)
        t = t[(flag == shipped).fillna(False).astype(bool)]
    t["processing_hours"] = hours(t["refunded_at"] - t["applied_at"])
    return mean(key, "hours", t["processing_hours"], _detail(t, pd.Series(True, index=t.index), "refunded"))


@indicator("aftersales.processing_hours_avg", "平均售后处理时长", "hours", ("after_sales",))
def processing_hours_avg(ctx: Context) -> IndicatorResult:
    """Mean (refunded − applied) hours over 仅退款 and 退货退款 tickets refunded in the window."""
    return _processing(ctx, None, "aftersales.processing_hours_avg")


@indicator("aftersales.processing_hours_avg_pre_ship", "平均售后处理时长(发货前)", "hours", ("after_sales",))
def processing_hours_avg_pre_ship(ctx: Context) -> IndicatorResult:
    """As processing_hours_avg, tickets applied before the order shipped."""
    return _processing(ctx, False, "aftersales.processing_hours_avg_pre_ship")


@indicator("aftersales.processing_hours_avg_post_ship", "平均售后处理时长(发货后)", "hours", ("after_sales",))
def processing_hours_avg_post_ship(ctx: Context) -> IndicatorResult:
    """As processing_hours_avg, tickets applied after the order shipped."""
    return _processing(ctx, True, "aftersales.processing_hours_avg_post_ship")


# ---------------------------------------------------------------- reviews dashboard
def _window_reviews(ctx: Context) -> pd.DataFrame:
    r = ctx.table("reviews")
    return r[ctx.in_window(r["created_at"])]


@indicator("reviews.count", "评价数", "count", ("reviews",))
def review_count(ctx: Context) -> IndicatorResult:
    """Reviews created in the window."""
    r = _window_reviews(ctx)
    return count("reviews.count", len(r), r)


@indicator("reviews.rate", "评价率", "ratio", ("shipments", "reviews"))
def review_rate(ctx: Context) -> IndicatorResult:
    """14-day lagged cohort: orders signed in [D−N−14, D−14) reviewed within 14 days of signing ÷ those orders."""
    lag = ctx.param("lags.review_days")
    d = deliveries(ctx)
    cohort = d[ctx.in_window(d["signed_at"], lag_days=lag)][["signed_at"]]
    first = first_within(cohort["signed_at"], ctx.table("reviews"), lag)
    hit = first.notna()
    reason = pd.Series(labels([hit], [f"reviewed_within_{lag}d"], "not_reviewed"), index=cohort.index)
    return ratio("reviews.rate", "ratio", hit, _detail(cohort.assign(reviewed_at=first.to_numpy()), hit, reason))


def _goodness(ctx: Context, r: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    subs = ["product_score", "logistics_score", "service_score"]
    if all(c in r for c in subs):
        total = r[subs].sum(axis=1, min_count=3)
        good = (total >= ctx.param("reviews.good_min_total")).where(total.notna(), r["product_score"] >= ctx.param("reviews.good_min_score"))
    else:
        good = r["product_score"] >= ctx.param("reviews.good_min_score")
    bad = r["product_score"] <= ctx.param("reviews.bad_max_score")
    return good.fillna(False).astype(bool), bad.fillna(False).astype(bool)


@indicator("reviews.good_rate", "好评率", "ratio", ("reviews",))
def good_rate(ctx: Context) -> IndicatorResult:
    """Reviews created in the window that are good (total ≥ 12/15 with three sub-scores, else product_score ≥ 4) ÷ reviews."""
    r = _window_reviews(ctx)
    good, _ = _goodness(ctx, r)
    reason = pd.Series(labels([good], ["good"], "not_good"), index=r.index)
    return ratio("reviews.good_rate", "ratio", good, _detail(r, good, reason))


@indicator("reviews.bad_rate", "差评率", "ratio", ("reviews",))
def review_bad_rate(ctx: Context) -> IndicatorResult:
    """Reviews created in the window with product_score ≤ 2 ÷ reviews."""
    r = _window_reviews(ctx)
    _, bad = _goodness(ctx, r)
    reason = pd.Series(labels([bad], ["bad"], "not_bad"), index=r.index)
    return bad_rate("reviews.bad_rate", bad, r, reason)


@indicator("reviews.good_count", "好评数", "count", ("reviews",))
def good_count(ctx: Context) -> IndicatorResult:
    """Good reviews created in the window."""
    r = _window_reviews(ctx)
    good, _ = _goodness(ctx, r)
    return count("reviews.good_count", int(good.sum()), r[good])


@indicator("reviews.bad_count", "差评数", "count", ("reviews",))
def bad_count(ctx: Context) -> IndicatorResult:
    """Bad reviews (product_score ≤ 2) created in the window."""
    r = _window_reviews(ctx)
    _, bad = _goodness(ctx, r)
    return count("reviews.bad_count", int(bad.sum()), r[bad])
