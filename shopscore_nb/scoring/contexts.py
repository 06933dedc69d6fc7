"""Sibling contexts: the same shop seen at another as-of date or window length, sharing the work that
does not depend on the date (order facts, deliveries, tickets, the 飞鸽 round model).

>>> from shopscore_nb.scoring.contexts import sibling
>>> week = sibling(ctx, window_days=7)                     # doctest: +SKIP
>>> tomorrow = sibling(ctx, as_of=ctx.as_of + pd.Timedelta(days=1))   # doctest: +SKIP
"""
from __future__ import annotations

import operator

import pandas as pd

from ..metrics.base import Context

# Cache entries built by metrics.facts / metrics.im_model that read no date: safe to share.
SHARED_CACHE_KEYS = ("orders", "deliveries", "tickets", "im_frames")
OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def sibling(ctx: Context, as_of=None, window_days: int | None = None, shop=None) -> Context:
    """A context like ``ctx`` with another as-of date, window or shop (the cache is shared only for the same shop)."""
    same_shop = shop is None or shop is ctx.shop
    cache = {k: v for k, v in ctx.cache.items() if k in SHARED_CACHE_KEYS} if same_shop else {}
    as_of = ctx.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    return Context(ctx.shop if same_shop else shop, as_of, ctx.profile, int(window_days or ctx.window_days), cache)


def warm(ctx: Context) -> Context:
    """Build the shareable facts once on ``ctx`` so that its siblings reuse them."""
    from ..metrics import facts, im_model

    if ctx.shop.has("orders"):
        facts.orders(ctx)
    if ctx.shop.has("shipments"):
        facts.deliveries(ctx)
    if ctx.shop.has("after_sales"):
        facts.tickets(ctx)
    if ctx.shop.has("im_messages"):
        im_model.im_frames(ctx)
    return ctx


def holds(value, op: str, threshold: float) -> bool | None:
    """``value op threshold``; None when the value is unknown."""
    if value is None or pd.isna(value):
        return None
    return bool(OPS[op](float(value), float(threshold)))
