"""Grouped summaries of a drill-down: the failing rows counted by what the data tells about them — reason,
product, agent, hour of day, carrier, province, after-sales reason category — so a reader sees where the
loss gathers before reading rows.

- :func:`with_context` adds what the rows' order tells (``product``, ``province`` from the orders export,
  ``carrier`` from the shipments export) and the ``hour`` of the row's own time, where the rows lack them;
- :func:`group_summary` counts the rows per value of each grouping column present: rows, share of the
  drill-down's rows and the summed ``impact`` (how far fixing the group moves the indicator). Each
  grouping adds up to the drill-down's row count: the smallest groups beyond ``top`` are folded into one
  row (``folded`` = how many groups it holds) and empty values are a group of their own (``group`` None).

Presentation (labels, formats) is :mod:`shopscore_nb.present.tables`.

>>> from shopscore_nb.report import shop_report
>>> from shopscore_nb.scoring.drilldown import drilldown_for
>>> rep = shop_report("data/demo", "struggling")                                       # doctest: +SKIP
>>> rows = with_context(drilldown_for(rep.scorecard, rep.results, "cs.avg_response_seconds"), rep.shop.tables, "start_at")  # doctest: +SKIP
>>> group_summary(rows, ["reason", "agent_id", "hour"])                                  # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MULTIPLE_PRODUCTS = "多个商品"  # an order whose lines are different products
SUMMARY_COLUMNS = ["dimension", "group", "rows", "share", "impact", "folded"]


def _per_order(frame: pd.DataFrame, column: str, multiple: str | None) -> pd.Series:
    """One value per order: the value of its lines, ``multiple`` when they differ (None: the first)."""
    f = frame[["order_id", column]].dropna()
    if f.empty:
        return pd.Series(dtype="string")
    f = f.astype({"order_id": "string", column: "string"})
    first = f.groupby("order_id", sort=False)[column].first()
    if multiple is None:
        return first
    many = f.groupby("order_id", sort=False)[column].nunique() > 1
    return first.mask(many, multiple)


def order_context(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per order id: ``product`` (its product name, else id; :data:`MULTIPLE_PRODUCTS` for mixed orders),
    ``province`` and ``carrier`` (of its first waybill), where the exports have them."""
    out = {}
    orders = tables.get("orders")
    if orders is not None and "order_id" in orders:
        name = "product_name" if "product_name" in orders and orders["product_name"].notna().any() else "product_id"
        if name in orders:
            out["product"] = _per_order(orders, name, MULTIPLE_PRODUCTS)
        if "province" in orders:
            out["province"] = _per_order(orders, "province", None)
    ships = tables.get("shipments")
    if ships is not None and {"order_id", "carrier"} <= set(ships.columns):
        s = ships.sort_values("picked_up_at", kind="stable") if "picked_up_at" in ships else ships
        out["carrier"] = _per_order(s, "carrier", None)
    return pd.DataFrame(out)


def _product_names(tables: dict[str, pd.DataFrame]) -> pd.Series:
    orders = tables.get("orders")
    if orders is None or not {"product_id", "product_name"} <= set(orders.columns):
        return pd.Series(dtype="string")
    f = orders[["product_id", "product_name"]].dropna().astype("string")
    return f.groupby("product_id", sort=False)["product_name"].first()


def with_context(rows: pd.DataFrame, tables: dict[str, pd.DataFrame], time_column: str | None = None,
                 orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """``rows`` with ``product``, ``province``, ``carrier`` (through ``order_id``) and ``hour`` (of
    ``time_column``, else of the first time column) added where they are missing; nothing is removed.
    ``orders``: :func:`order_context` of ``tables`` when the caller has it already (several drill-downs)."""
    out = rows.copy()
    if "order_id" in out:
        ctx = order_context(tables) if orders is None else orders
        ids = out["order_id"].astype("string")
        for col in ctx.columns:
            if col not in out:
                out[col] = ids.map(ctx[col]).astype("string")
    if "product" not in out and "product_id" in out:
        names = _product_names(tables)
        ids = out["product_id"].astype("string")
        out["product"] = ids.map(names).fillna(ids).astype("string")
    if "hour" not in out:
        times = [c for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c])]
        col = time_column if time_column in times else (times[0] if times else None)
        if col is not None:
            out["hour"] = out[col].dt.hour.astype("Int64")
    return out


def group_summary(rows: pd.DataFrame, columns: list[str], top: int = 8, min_groups: int = 2) -> pd.DataFrame:
    """Rows per value of each grouping column of ``columns`` that ``rows`` has (in that order), largest first.

    Columns: ``dimension`` (the grouping column), ``group`` (its value; None for empty values), ``rows``,
    ``share`` (of ``len(rows)``), ``impact`` (Σ impact, when the rows have it), ``folded`` (0, or the number
    of smallest groups folded into this last row beyond ``top``). A column splitting the rows into fewer
    than ``min_groups`` groups is left out. Each dimension's ``rows`` add up to ``len(rows)``."""
    n = len(rows)
    impact = rows["impact"].astype(float).fillna(0.0).to_numpy() if "impact" in rows else np.zeros(n)
    parts = []
    for col in columns:
        if col not in rows or n == 0:
            continue
        codes, uniques = pd.factorize(rows[col], use_na_sentinel=True)
        missing = codes < 0
        codes = np.where(missing, len(uniques), codes)  # empty values: one group of their own
        counts = np.bincount(codes, minlength=len(uniques) + 1)
        sums = np.bincount(codes, weights=impact, minlength=len(uniques) + 1)
        groups = [*(None if pd.isna(u) else u for u in uniques), None]
        t = pd.DataFrame({"group": groups, "rows": counts, "impact": sums})
        t = t[t["rows"] > 0]
        if len(t) < min_groups:
            continue
        t = t.sort_values(["rows", "impact"], ascending=False, kind="stable").reset_index(drop=True)
        t["folded"] = 0
        if len(t) > top + 1:
            rest = t.iloc[top:]
            t = pd.concat([t.iloc[:top], pd.DataFrame([{"group": None, "rows": rest["rows"].sum(), "impact": rest["impact"].sum(),
                                                          "folded": len(rest)}])], ignore_index=True)
        t.insert(0, "dimension", col)
        t["share"] = t["rows"] / n
        parts.append(t)
    if not parts:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[SUMMARY_COLUMNS]
    out["group"] = out["group"].astype(object).where(out["group"].notna(), None)
    if "impact" not in rows:
        out["impact"] = float("nan")
    return out.astype({"rows": int, "folded": int})
