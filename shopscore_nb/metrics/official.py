"""The 2026 official indicators (profile ``douyin_2026``, 2026-07-14 revision; SPEC §5.3, domain-rules §1.3).

Window ``[D − 30 00:00, D 00:00)``. Orders are 有效支付订单 in **every** order-based indicator
(rule §2.1.2, domain-rules §1.1): the reviews, returns, pickups, waybills, tickets and help
requests of an order the orders export marks as not 有效支付 (:func:`non_effective_orders`: a gift
order, every line a gift) are left out; rows whose order is not in the orders export are kept.
差行为扣分 still counts penalties on every order (``scoring.adjustments``); the 飞鸽 session
indicators are not order-based. Every number comes from the profile's ``official`` section; each
result carries its row-level ``detail`` (``passed`` + ``reason``) and, in ``extra``, numbers of this
result only (the 80-point floor's ``bad_count``, the ``best`` per-order score, …). Static facts — the
window anchor, the column a mean averages, which way is better, the reason labels — are the
indicator's description (:mod:`shopscore_nb.metrics.descriptions`, ``reference/definitions.yaml``).

>>> from shopscore_nb import load_shop
>>> from shopscore_nb.metrics import Context, compute
>>> ctx = Context.build(load_shop("../shared/golden/data", "gshop1"), as_of="2026-10-01", profile="douyin_2026")  # doctest: +SKIP
>>> compute("logistics.pickup_score_avg", ctx).value                                                      # doctest: +SKIP
93.1
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..fastops import group_by, isin, lookup
from .base import Context, IndicatorResult, indicator
from .facts import deliveries, hours, orders, tickets
from .im_model import BusinessHours, _clock_seconds, im_frames, timed_rounds

RS = ("2026",)
ARBITRATION_NONE = r"无|未仲裁|未申请|none|0|-"


# ---------------------------------------------------------------- shared helpers
def night_clock(ts: pd.Series, start: str, end: str) -> pd.Series:
    """Times inside the night ``[start, end)`` (wrapping midnight when start > end) move to the next ``end``.

    W9: paid Mon 23:30 with night 18:00–06:00 → the clock starts Tue 06:00.
    """
    s, e = _clock_seconds(start), _clock_seconds(end)
    sod = (ts - ts.dt.normalize()).dt.total_seconds()
    late = (sod >= s) if s > e else pd.Series(False, index=ts.index)
    early = (sod < e) & ((sod >= s) if s < e else True)
    day = ts.dt.normalize() + pd.to_timedelta(late.astype(int), unit="D")
    moved = day + pd.Timedelta(seconds=e)
    night = (late | early).fillna(False).astype(bool)
    return ts.where(~night, moved)


def non_effective_orders(ctx: Context) -> pd.Index:
    """Orders the orders export tells are not 有效支付订单: gift orders (every line ``is_gift``).

    福袋/低价/秒退/异常订单 cannot be told from the exports (订单类型 and 订单状态 name none of them),
    and an order missing from the orders export cannot be told to be a gift, so it is not listed.
    """

    def build():
        if not ctx.shop.has("orders"):
            return pd.Index([], dtype="object")
        o = orders(ctx)
        return o.index[o["is_gift"].to_numpy(dtype=bool)] if "is_gift" in o else o.index[:0]

    return ctx.cached("official.non_effective_orders", build)


def _effective(ctx: Context, order_ids) -> np.ndarray:
    """True where the order is not known to be a non-有效支付 order (orders unknown to the export are kept)."""
    excluded = non_effective_orders(ctx)
    if len(excluded) == 0:
        return np.ones(len(order_ids), dtype=bool)
    return ~isin(pd.Series(order_ids) if not isinstance(order_ids, (pd.Series, pd.Index)) else order_ids, excluded)


def effective_paid_orders(ctx: Context) -> pd.DataFrame:
    """有效支付订单: distinct orders paid in the window, less :func:`non_effective_orders` (gift orders)."""
    o = orders(ctx)
    o = o[ctx.in_window(o["paid_at"])]
    return o[_effective(ctx, o.index)]


def first_tickets(ctx: Context) -> pd.DataFrame:
    """Each order's first after-sales ticket applied before D (取用户首次申请售后原因), indexed by order_id."""

    def build():
        t = tickets(ctx)
        t = t[t["applied_at"] < ctx.end]
        t = t.sort_values(["applied_at", "after_sale_id"], kind="stable")
        return t.drop_duplicates("order_id").set_index("order_id")

    return ctx.cached("official.first_tickets", build)


def _signed_orders(ctx: Context) -> pd.DataFrame:
    """Orders whose last waybill was signed in the window: virtual and non-有效支付 (gift) orders left out."""
    d = deliveries(ctx)
    return d[(ctx.in_window(d["signed_at"]) & ~d["is_virtual"]).to_numpy(dtype=bool) & _effective(ctx, d.index)]


def _penalty_orders(ctx: Context, kinds: list) -> pd.Index:
    """Orders named in the penalties table with one of ``kinds`` (before D)."""
    if not kinds or not ctx.shop.has("penalties") or "order_id" not in ctx.table("penalties"):
        return pd.Index([])
    p = ctx.table("penalties")
    p = p[p["kind"].isin(kinds) & (p["occurred_at"] < ctx.end)]
    return pd.Index(p["order_id"].dropna().unique())


def _result(key, value, num, den, unit, detail, extra) -> IndicatorResult:
    return IndicatorResult(key, value if den else None, num, den, unit, detail, None if den else "no data", extra)


def _bad_rate(key: str, hit: pd.Series, detail: pd.DataFrame, reason, **extra) -> IndicatorResult:
    """A rate of bad outcomes (numerator = rows hit): detail rows pass when not hit."""
    den, num = int(len(hit)), int(hit.sum())
    detail = detail.assign(passed=~hit.to_numpy(dtype=bool), reason=np.asarray(reason))
    return _result(key, num / den if den else None, num, den, "ratio", detail, extra)


def _first_reason_rate(ctx: Context, key: str, cohort: pd.DataFrame, section: str, anchor: str) -> IndicatorResult:
    """Orders of ``cohort`` whose first ticket is of ``section``'s types and reason categories ÷ cohort."""
    ft = first_tickets(ctx)
    cats, types = ctx.param(f"official.{section}.reason_categories"), ctx.param(f"official.{section}.ticket_types")
    ft = ft[ft.index.isin(cohort.index)]
    hit_ids = ft.index[ft["reason_category"].isin(cats) & ft["type"].isin(types)]
    hit = pd.Series(cohort.index.isin(hit_ids), index=cohort.index)
    detail = cohort[[anchor]].assign(
        first_after_sale_id=ft["after_sale_id"].reindex(cohort.index),
        first_reason=ft["reason"].reindex(cohort.index) if "reason" in ft else pd.NA,
        first_reason_category=ft["reason_category"].reindex(cohort.index),
    )
    reason = np.select([hit, detail["first_reason_category"].notna()], [f"first_reason_{cats[0]}", "first_reason_other"], "no_after_sales")
    return _bad_rate(key, hit, detail.rename_axis("order_id").reset_index(), reason)


# ---------------------------------------------------------------- 商品体验
@indicator("product.avg_rating", "商品综合评分", "score", ("shipments", "reviews"), rulesets=RS)
def avg_rating(ctx: Context) -> IndicatorResult:
    """Σ product_score ÷ orders signed in the window that have a product score (first review of the order, created before D); gift orders left out."""
    signed = _signed_orders(ctx)[["signed_at"]]
    r = ctx.table("reviews")[["order_id", "created_at", "product_score"]]
    r = r[(r["created_at"] < ctx.end) & r["product_score"].notna()].sort_values("created_at", kind="stable")
    first = r.drop_duplicates("order_id").set_index("order_id")
    rated = signed[signed.index.isin(first.index)].copy()
    rated["product_score"] = first["product_score"].reindex(rated.index).astype(float)
    rated["review_created_at"] = first["created_at"].reindex(rated.index)
    bad = (rated["product_score"] <= ctx.param("reviews.bad_max_score")).to_numpy(dtype=bool)
    detail = rated.assign(passed=~bad, reason=np.where(bad, "bad_review_1_2_star", "rated_3_5_star")).rename_axis("order_id").reset_index()
    den, num = len(rated), float(rated["product_score"].sum())
    extra = {"bad_count": int(bad.sum()), "signed_orders": len(signed), "best": 5.0}
    return _result("product.avg_rating", num / den if den else None, num, den, "score", detail, extra)


@indicator("product.quality_return_rate", "商品品质退货率", "ratio", ("shipments", "after_sales"), rulesets=RS)
def quality_return_rate(ctx: Context) -> IndicatorResult:
    """Orders signed in the window whose first after-sales reason (first ticket applied) is a quality reason ÷ orders signed (gift orders left out)."""
    return _first_reason_rate(ctx, "product.quality_return_rate", _signed_orders(ctx)[["signed_at"]], "quality_return", "signed_at")


# ---------------------------------------------------------------- 物流体验
def _pickup_scores(ctx: Context, h: pd.Series) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-order score and band label from the profile's hours→score table, and the table's best score."""
    table = ctx.param("official.pickup.score_table")
    bands = sorted(table["bands"], key=lambda b: b["max_hours"])
    edges = np.array([b["max_hours"] for b in bands], dtype=float)
    scores = np.array([b["score"] for b in bands] + [table["else_score"]], dtype=float)
    idx = np.searchsorted(edges, h.to_numpy(dtype=float), side="left")
    labels = np.array([f"<={b['max_hours']}h" for b in bands] + [f">{edges[-1]:g}h"], dtype=object)
    return scores[idx], labels[idx], float(scores.max())


@indicator("logistics.pickup_score_avg", "揽收时长平均得分", "score", ("orders", "shipments"), rulesets=RS)
def pickup_score_avg(ctx: Context) -> IndicatorResult:
    """Mean per-order score (50..100 from the hours→score table) over orders picked up in the window (gift orders left out); orders paid 18:00–06:00 start at 06:00."""
    d = deliveries(ctx)
    keep = ctx.in_window(d["picked_up_at"]) & d["paid_at"].notna() & ~d["is_virtual"]
    if ctx.param("official.pickup.exclude_presale"):
        keep &= ~d["is_presale"]
    d = d[keep.to_numpy(dtype=bool) & _effective(ctx, d.index)][["paid_at", "picked_up_at"]].copy()
    d["clock_start_at"] = night_clock(d["paid_at"], ctx.param("official.pickup.night_start"), ctx.param("official.pickup.night_end"))
    d["pickup_hours"] = hours(d["picked_up_at"] - d["clock_start_at"]).clip(lower=0.0)
    score, band, best = _pickup_scores(ctx, d["pickup_hours"])
    comp = d.index.isin(_penalty_orders(ctx, ctx.param("official.pickup.compensation_kinds")))
    d["pickup_score"] = np.where(comp, float(ctx.param("official.pickup.compensation_score")), score)
    deadline = d["paid_at"].dt.normalize() + pd.Timedelta(days=ctx.param("official.pickup.sla_days_after_payment") + 1)
    d["sla_met"] = (d["picked_up_at"] < deadline) & ~comp
    night = (d["clock_start_at"] != d["paid_at"]).to_numpy(dtype=bool)
    d["passed"] = (d["pickup_score"] >= best).to_numpy(dtype=bool)
    d["reason"] = np.where(comp, "compensation_score_50", np.where(night, "night_clock:", "") + band)
    den, num = len(d), float(d["pickup_score"].sum())
    extra = {"sla_missed": int((~d["sla_met"]).sum()), "best": best}
    return _result("logistics.pickup_score_avg", num / den if den else None, num, den, "score", d.rename_axis("order_id").reset_index(), extra)


@indicator("logistics.waybill_on_time_rate", "运单配送时效达成率", "ratio", ("shipments",), rulesets=RS)
def waybill_on_time_rate(ctx: Context) -> IndicatorResult:
    """Waybills due in the window (promised_delivery_at) signed by their deadline ÷ waybills due (waybill level; waybills of gift orders left out)."""
    s = ctx.table("shipments")
    if "promised_delivery_at" not in s:
        return IndicatorResult("logistics.waybill_on_time_rate", None, None, None, "ratio", pd.DataFrame(), "no promised_delivery_at data")
    cols = [c for c in ("waybill_no", "order_id", "carrier", "picked_up_at", "signed_at", "promised_delivery_at") if c in s]
    w = s[ctx.in_window(s["promised_delivery_at"])][cols].copy()
    if ctx.shop.has("orders"):
        w = w[~lookup(w["order_id"], orders(ctx)["is_virtual"]).fillna(False).astype(bool)]
        w = w[_effective(ctx, w["order_id"])]
    signed = w["signed_at"] if "signed_at" in w else pd.Series(pd.NaT, index=w.index)
    signed = signed.where(signed < ctx.end)
    on_time = (signed <= w["promised_delivery_at"]).fillna(False).to_numpy(dtype=bool)
    comp = w["order_id"].isin(_penalty_orders(ctx, ctx.param("official.waybill.missed_kinds"))).to_numpy(dtype=bool)
    on_time = on_time & ~comp
    reason = np.select([comp, on_time, signed.isna().to_numpy()], ["trajectory_compensation", "signed_by_deadline", "unsigned_past_deadline"], "signed_late")
    detail = w.assign(passed=on_time, reason=reason)
    den, num = len(w), int(on_time.sum())
    return _result("logistics.waybill_on_time_rate", num / den if den else None, num, den, "ratio", detail, {})


@indicator("logistics.quality_return_rate", "发货物流品退率", "ratio", ("orders", "after_sales"), rulesets=RS)
def logistics_return_rate(ctx: Context) -> IndicatorResult:
    """Orders paid in the window whose first after-sales reason is a logistics reason ÷ effective paid orders."""
    return _first_reason_rate(ctx, "logistics.quality_return_rate", effective_paid_orders(ctx)[["paid_at"]], "logistics_return", "paid_at")


# ---------------------------------------------------------------- 服务体验
@indicator("service.aftersale_review_hours_avg", "售后平均审核时长", "hours", ("after_sales",), rulesets=RS)
def aftersale_review_hours_avg(ctx: Context) -> IndicatorResult:
    """Mean review hours over refund-succeeded tickets in the window (tickets of gift orders left out): 已发货仅退款 apply→agree/refund, 退货退款 apply→agree; 23:00–08:00 starts at 08:00."""
    t = tickets(ctx)
    refund_only = (t["type"] == "refund_only") & t["shipped_before_apply"]
    keep = ctx.in_window(t["refunded_at"]) & (refund_only | (t["type"] == "return_refund"))
    t = t[keep.to_numpy(dtype=bool) & _effective(ctx, t["order_id"])].copy()
    agree_return = t["agreed_at"].fillna(t["return_shipped_at"] if "return_shipped_at" in t else pd.NaT).fillna(t["refunded_at"])
    agree_refund = t[["agreed_at", "refunded_at"]].min(axis=1)
    t["reviewed_at"] = agree_refund.where(t["type"] == "refund_only", agree_return)
    t["clock_start_at"] = night_clock(t["applied_at"], ctx.param("official.aftersale_review.night_start"), ctx.param("official.aftersale_review.night_end"))
    t["review_hours"] = hours(t["reviewed_at"] - t["clock_start_at"]).clip(lower=0.0)
    target = ctx.param("official.aftersale_review.target_hours")
    ok = (t["review_hours"] <= target).to_numpy(dtype=bool)
    kind = np.where(t["type"] == "refund_only", "shipped_refund_only", "return_refund")
    t["passed"] = ok
    t["reason"] = pd.Series(kind, index=t.index) + np.where(ok, f":within_{target}h", f":over_{target}h")
    vals = t["review_hours"].dropna()
    den, num = len(vals), float(vals.sum())
    extra = {}
    cols = [c for c in ("after_sale_id", "order_id", "type", "applied_at", "clock_start_at", "reviewed_at", "refunded_at", "review_hours", "passed", "reason") if c in t]
    return _result("service.aftersale_review_hours_avg", num / den if den else None, num, den, "hours", t[cols], extra)


def _initiated_in_hours(ctx: Context, started: pd.Series) -> pd.Series:
    return ctx.in_window(started) & BusinessHours(ctx).contains(started)


@indicator("service.im_avg_response_seconds", "飞鸽平均响应时长", "seconds", ("im_messages",), rulesets=RS)
def im_avg_response_seconds(ctx: Context) -> IndicatorResult:
    """Σ round waits ÷ rounds of human sessions initiated 08:00:00–22:59:59 in the window; an unanswered round counts 600 s."""
    r = timed_rounds(ctx)
    if ctx.param("official.im.count_by") == "session_start":
        started = pd.Series(im_frames(ctx).sessions["started_at"].reindex(r["session_id"]).to_numpy(), index=r.index, dtype="datetime64[ns]")
        r = r[_initiated_in_hours(ctx, started).to_numpy(dtype=bool)].assign(session_started_at=started)
        limit = ctx.param("im.reply_within_seconds")
        reason = np.select([~r["answered"].to_numpy(dtype=bool), r["passed"].to_numpy(dtype=bool)], ["unanswered", f"replied_within_{limit}s"], f"replied_after_{limit}s")
        r = r.assign(reason="session_start:" + pd.Series(reason, index=r.index))
    else:
        r = r[r["counted"].to_numpy(dtype=bool)]
    den, num = len(r), float(r["charged_s"].sum())
    extra = {"unanswered": int((~r["answered"]).sum())}
    return _result("service.im_avg_response_seconds", num / den if den else None, num, den, "seconds", r, extra)


@indicator("service.im_dissatisfaction_rate", "飞鸽会话不满意率", "ratio", ("im_messages", "im_sessions"), rulesets=RS)
def im_dissatisfaction_rate(ctx: Context) -> IndicatorResult:
    """Rated human sessions initiated 08:00:00–22:59:59 in the window rated 1–3★ ÷ rated human sessions."""
    s = im_frames(ctx).sessions
    s = s[s["is_human"] & s["rating"].notna()]
    s = s[_initiated_in_hours(ctx, s["started_at"]).to_numpy(dtype=bool)]
    cols = [c for c in ("buyer_id", "agent_id", "started_at", "rating") if c in s]
    bad = (s["rating"] <= 3).to_numpy(dtype=bool)
    reason = np.where(bad, "rated_1_3_star", "rated_4_5_star")
    return _bad_rate("service.im_dissatisfaction_rate", pd.Series(bad, index=s.index), s[cols].rename_axis("session_id").reset_index(), reason)


SEEK_COLUMNS = ["order_id", "sought_at", "via"]


def _seeks(ctx: Context) -> pd.DataFrame:
    """(order_id, sought_at, via) of every time an order sought the merchant in the window (求助商家):
    an after-sales ticket applied (``after_sales``) or a human 飞鸽 session started (``im``).
    Gift orders are left out; orders unknown to the orders export are kept."""
    parts = []
    if ctx.shop.has("after_sales"):
        t = tickets(ctx)
        t = t[ctx.in_window(t["applied_at"])]
        parts.append(pd.DataFrame({"order_id": t["order_id"].to_numpy(), "sought_at": t["applied_at"].to_numpy(), "via": "after_sales"}))
    if _sessions_matchable(ctx):
        parts.append(_session_seeks(ctx))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({"order_id": pd.Series(dtype="object"), "sought_at": pd.Series(dtype="datetime64[ns]"), "via": pd.Series(dtype="object")})
    seeks = pd.concat(parts, ignore_index=True)
    return seeks[_effective(ctx, seeks["order_id"])].reset_index(drop=True)


def _sessions_matchable(ctx: Context) -> bool:
    """Human 飞鸽 sessions can be matched to orders (a messages export and ``buyer_id`` on the orders)."""
    return ctx.shop.has("im_messages") and ctx.shop.has("orders") and "buyer_id" in ctx.table("orders")


def _session_seeks(ctx: Context) -> pd.DataFrame:
    """Human sessions in the window matched to the buyer's latest order paid within the look-back before it
    (any order: a session whose latest order is a gift order is a help request on a gift order)."""
    s = im_frames(ctx).sessions
    s = s[s["is_human"] & ctx.in_window(s["started_at"]) & s["buyer_id"].notna()]
    o = orders(ctx)
    o = o[o["buyer_id"].notna()].reset_index()[["order_id", "buyer_id", "paid_at"]].dropna(subset=["paid_at"])
    if s.empty or o.empty:
        return pd.DataFrame(columns=SEEK_COLUMNS)
    left = pd.DataFrame({"buyer_id": s["buyer_id"].astype("string"), "sought_at": s["started_at"]}).reset_index(drop=True).sort_values("sought_at")
    right = o.assign(buyer_id=o["buyer_id"].astype("string")).sort_values("paid_at")
    tol = pd.Timedelta(days=ctx.param("official.help.session_order_lookback_days"))
    hit = pd.merge_asof(left, right, left_on="sought_at", right_on="paid_at", by="buyer_id", direction="backward", tolerance=tol)
    hit = hit.dropna(subset=["order_id"])
    return pd.DataFrame({"order_id": hit["order_id"].to_numpy(), "sought_at": hit["sought_at"].to_numpy(), "via": "im"})


def _escalations(ctx: Context, seeks: pd.DataFrame, first: pd.Series) -> pd.Series:
    """order_id → how it was escalated (升级求助平台), for the orders of ``first`` (those that sought the merchant).

    ``arbitration``: a ticket applied in the window went to 售后仲裁. ``complaint``: a complaint (or
    platform consultation) created before D at or after the start of a human 飞鸽 session matched to
    the order — 「消费者咨询商家人工客服后因同一诉求咨询平台客服、向平台投诉」. A complaint that only
    follows an after-sales ticket, or that precedes every human session of the order, is not 升级.
    """
    out = pd.Series(pd.NA, index=first.index, dtype="object")
    if ctx.shop.has("complaints"):
        im = seeks[seeks["via"].eq("im")]
        consulted = group_by(im, "order_id")["sought_at"].min().astype("datetime64[ns]")
        c = ctx.table("complaints")
        kinds = ctx.param("official.help.escalation_kinds") or []
        if kinds and "kind" in c:
            c = c[c["kind"].isin(kinds)]
        c = c[(c["created_at"] < ctx.end).to_numpy(dtype=bool)]
        after_human = (c["created_at"] >= lookup(c["order_id"], consulted)).fillna(False).to_numpy(dtype=bool)
        out[out.index.isin(c["order_id"][after_human])] = "complaint"
    if ctx.shop.has("after_sales") and "arbitration_status" in ctx.table("after_sales"):
        t = tickets(ctx)
        status = t["arbitration_status"].astype("string")
        arb = status.notna() & ~status.str.fullmatch(ARBITRATION_NONE, case=False, na=False)
        arb_orders = t[arb.to_numpy(dtype=bool) & ctx.in_window(t["applied_at"]).to_numpy(dtype=bool)]["order_id"]
        out[out.index.isin(arb_orders)] = "arbitration"
    return out


@indicator("service.platform_help_rate", "平台求助率", "ratio", (), rulesets=RS)
def platform_help_rate(ctx: Context) -> IndicatorResult:
    """Orders that sought the merchant in the window (after-sales ticket, or human IM session matched by buyer) and escalated
    (arbitration, or a complaint after a human IM session on the order) ÷ those orders; gift orders left out."""
    if not (ctx.shop.has("after_sales") or ctx.shop.has("im_messages")):
        return IndicatorResult("service.platform_help_rate", None, None, None, "ratio", pd.DataFrame(), "no after_sales data")
    if not ctx.shop.has("complaints"):  # escalations cannot be seen: a missing export must not read as 0 %
        return IndicatorResult("service.platform_help_rate", None, None, None, "ratio", pd.DataFrame(), "no complaints data")
    seeks = _seeks(ctx)
    flags = seeks.assign(a=seeks["via"].eq("after_sales"), i=seeks["via"].eq("im")).pipe(group_by, "order_id")
    first = flags["sought_at"].min()
    a, i = flags["a"].any().to_numpy(dtype=bool), flags["i"].any().to_numpy(dtype=bool)
    via = pd.Series(np.select([a & i, a], ["after_sales+im", "after_sales"], "im"), index=first.index)
    esc = _escalations(ctx, seeks, first)
    hit = esc.notna().to_numpy(dtype=bool)
    detail = pd.DataFrame({"order_id": first.index, "first_sought_at": first.to_numpy(), "via": via.reindex(first.index).to_numpy(), "escalation": esc.astype("string").to_numpy()})
    reason = np.where(hit, "escalated_" + esc.fillna("").astype(str).to_numpy(), "not_escalated")
    # without 飞鸽 sessions matched to orders only arbitrations can be seen: the value is a lower bound
    return _bad_rate("service.platform_help_rate", pd.Series(hit), detail, reason, complaints_matchable=_sessions_matchable(ctx))
