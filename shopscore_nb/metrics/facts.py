"""Order-level facts shared by several indicators (one row per ``order_id``).

Orders come as one row per sub-order and may have several waybills; order-level indicators
count distinct orders, so sub-orders and waybills are folded here, once per context.
"""
from __future__ import annotations

import pandas as pd

from ..fastops import group_by, isin, join_index
from ..schema import reason_categories
from .base import Context, lookup


def orders(ctx: Context) -> pd.DataFrame:
    """order_id → paid_at (earliest), is_presale / is_virtual (any sub-order), promised_ship_at, amount (sum)."""

    def build():
        o = ctx.table("orders")
        agg = {"paid_at": ("paid_at", "min")}
        for flag in ("is_presale", "is_virtual"):
            if flag in o:
                agg[flag] = (flag, "any")
        if "is_gift" in o:  # a gift order is one whose every line is a gift (a free extra line does not make it one)
            o = o.assign(is_gift=o["is_gift"].fillna(False).astype(bool))
            agg["is_gift"] = ("is_gift", "all")
        if "promised_ship_at" in o:
            agg["promised_ship_at"] = ("promised_ship_at", "min")
        if "amount" in o:
            agg["amount"] = ("amount", "sum")
        if "buyer_id" in o:
            agg["buyer_id"] = ("buyer_id", "first")
        out = group_by(o, "order_id").agg(**agg)
        for flag in ("is_presale", "is_virtual"):
            out[flag] = out[flag].fillna(False).astype(bool) if flag in out else False
        return out

    return ctx.cached("orders", build)


def deliveries(ctx: Context) -> pd.DataFrame:
    """order_id → picked_up_at (first waybill picked up), signed_at (when its last waybill was signed;
    NaT while any waybill is unsigned), waybills; plus the order's payment facts when known."""

    def build():
        s = ctx.table("shipments")
        signed = s["signed_at"] if "signed_at" in s else pd.Series(pd.NaT, index=s.index)
        g = pd.DataFrame({"order_id": s["order_id"], "picked_up_at": s["picked_up_at"], "signed_at": signed, "unsigned": signed.isna()})
        out = group_by(g, "order_id").agg(
            picked_up_at=("picked_up_at", "min"),
            signed_at=("signed_at", "max"),
            waybills=("picked_up_at", "size"),
            unsigned=("unsigned", "sum"),
        )
        out.loc[out["unsigned"] > 0, "signed_at"] = pd.NaT
        out = out.drop(columns="unsigned")
        if ctx.shop.has("orders"):
            facts = orders(ctx)
            out = join_index(out, facts[[c for c in ("paid_at", "is_presale", "is_virtual", "promised_ship_at") if c in facts]])
        for flag in ("is_presale", "is_virtual"):
            out[flag] = out[flag].fillna(False).astype(bool) if flag in out else False
        return out

    return ctx.cached("deliveries", build)


def tickets(ctx: Context) -> pd.DataFrame:
    """After-sales tickets with ``reason_category`` and ``first_merchant_action_at``."""

    def build():
        t = ctx.table("after_sales").copy()
        reason = t["reason"] if "reason" in t else pd.Series(pd.NA, index=t.index, dtype="string")
        if "reason_tag" in t:
            reason = reason.fillna(t["reason_tag"])
        t["reason_category"] = reason.map(reason_categories()).fillna("other")
        actions = [c for c in ("agreed_at", "rejected_at", "refunded_at") if c in t]
        t["first_merchant_action_at"] = t[actions].min(axis=1) if actions else pd.NaT
        for col in ("agreed_at", "rejected_at", "refunded_at", "completed_at", "return_signed_at", "closed_at"):
            if col not in t:
                t[col] = pd.NaT
        t["shipped_before_apply"] = _shipped_before_apply(ctx, t)
        return t

    return ctx.cached("tickets", build)


def _shipped_before_apply(ctx: Context, t: pd.DataFrame) -> pd.Series:
    """商品发货状态 when exported; otherwise whether the order was shipped or picked up before the application."""
    given = t["shipped_before_apply"].astype("boolean") if "shipped_before_apply" in t else pd.Series(pd.NA, index=t.index, dtype="boolean")
    shipped_at = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    wanted = t["order_id"].unique()  # only the ticketed orders: a small slice of the order and waybill tables
    if ctx.shop.has("orders") and "shipped_at" in ctx.table("orders"):
        o = ctx.table("orders")
        o = o[isin(o["order_id"], wanted)]
        shipped_at = lookup(t["order_id"], group_by(o, "order_id")["shipped_at"].min())
    if ctx.shop.has("shipments"):
        w = ctx.table("shipments")
        w = w[isin(w["order_id"], wanted)]
        shipped_at = shipped_at.fillna(lookup(t["order_id"], group_by(w, "order_id")["picked_up_at"].min()))
    derived = (shipped_at < t["applied_at"]).astype("boolean")
    return given.fillna(derived).fillna(False).astype(bool)


def hours(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 3600.0
