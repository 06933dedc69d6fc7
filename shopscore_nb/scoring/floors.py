"""The 80-point low-volume floor (2026-05/07 rule, domain-rules §1.2).

An indicator listed in the profile's ``floor.indicators`` scores a fixed ``floor.score`` (80) when
近30天有效支付订单 is below the limit (300 for the listed industries and flagship shops, else 500)
**and** its bad count is at most ``floor.max_bad`` (3). For 飞鸽会话不满意率 (``volume: false``) only
the count (rated sessions) matters.

>>> from shopscore_nb.scoring.floors import floor_applies
>>> floor_applies(orders=420, bad=3, limit=500, max_bad=3, volume=True)       # W5
True
>>> floor_applies(orders=500, bad=2, limit=500, max_bad=3, volume=True)
False
"""
from __future__ import annotations


def order_limit(floor: dict, industry: str | None, shop_type: str | None) -> int:
    """The order-count limit below which the floor can apply for this shop."""
    limits = floor["orders_below"]
    reduced = industry in floor.get("reduced_industries", []) or shop_type in floor.get("reduced_shop_types", [])
    return int(limits.get("reduced", limits["default"]) if reduced else limits["default"])


def floor_applies(orders: int, bad: int | None, limit: int, max_bad: int, volume: bool = True) -> bool:
    """Low volume (orders < limit, when ``volume``) and few bad events (bad <= max_bad)."""
    if bad is None:
        return False
    return (not volume or orders < limit) and bad <= max_bad


def bad_count(result, count: str) -> int | None:
    """The count the floor looks at: an ``extra`` count (``bad_count``), the numerator or the denominator."""
    if result is None:
        return None
    if count in ("numerator", "denominator"):
        value = getattr(result, count)
        return 0 if value is None and result.reason == "no data" else (None if value is None else int(value))
    value = result.extra.get(count)
    if value is None and result.reason == "no data":
        return 0
    return None if value is None else int(value)
