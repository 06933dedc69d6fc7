"""Each backend reading beside the recomputed value and score, the difference, and why (SPEC §6.1).

Per reading: the backend value and score, ours (as of the same date), the differences, whether the
backend value would land in another tier under our cut-offs, and a verdict — ``match`` (ours printed
the page's way is the page's number), ``explained: …`` (the first explanation that reproduces the
backend number: data latency as of D±1, an order type the backend leaves out, orders missing from
the exports, a time-zone shift of the exports, cut-offs or weights that differ from the profile's
assumptions) or ``unexplained``.

>>> from shopscore_nb.reconcile.reconcile import reconcile_folder
>>> table = reconcile_folder("data/demo", "flagship", profile="douyin_2026")           # doctest: +SKIP
>>> table[["as_of", "key", "backend_value", "ours_value", "verdict"]]                    # doctest: +SKIP
>>> reconciliation_json(table)["verdicts"]                                               # doctest: +SKIP
{'match': 40, 'explained': 12, 'unexplained': 1}
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from ..profile import Profile, load_profile
from ..report import ShopReport, build_report
from ..schema import TABLES
from ..scoring.tiers import tier_score
from ..shop import ShopData, load_shop
from .readings import check_dates, shop_readings

TIME_ZONE_SHIFTS_HOURS = (8, -8)  # exports written in UTC (or read as UTC) against local Asia/Shanghai time
MAX_MISSING_SHARE = 1.0  # "orders missing" explains at most as many missing rows as we have
ORDER_FLAGS = {"is_presale": "预售", "is_virtual": "虚拟", "is_gift": "赠品"}
COLUMNS = ["shop_id", "as_of", "key", "zh", "backend_value", "ours_value", "value_diff", "backend_score", "ours_score",
           "score_diff", "tier_differs", "verdict", "explanation", "value_text", "score_text", "line"]


class _Reports:
    """Reports of one shop by (as-of date, time shift in hours), computed once."""

    def __init__(self, shop: ShopData, profile: Profile):
        self.shop, self.profile, self.cache = shop, profile, {}

    def get(self, day: pd.Timestamp, shift: int = 0) -> ShopReport:
        if (day, shift) not in self.cache:
            self.cache[(day, shift)] = build_report(self.shop if not shift else shifted(self.shop, shift), day, self.profile)
        return self.cache[(day, shift)]


def shifted(shop: ShopData, hours: int) -> ShopData:
    """The shop with every timestamp moved by ``hours`` (a time-zone hypothesis)."""
    delta = pd.Timedelta(hours=hours)
    tables = {}
    for name, t in shop.tables.items():
        cols = [c for c in TABLES[name].columns_of_type("datetime") if c in t]
        tables[name] = t.assign(**{c: t[c] + delta for c in cols})
    return dataclasses.replace(shop, tables=tables)


def ours(report: ShopReport) -> pd.DataFrame:
    """Our readings of one report: key → value, score, numerator, denominator, cut-offs, direction."""
    ind = report.scorecard.indicators.set_index("key")
    rows = []
    for key, r in report.results.items():
        spec = ind.loc[key] if key in ind.index else None
        rows.append({"key": key, "value": r.value, "score": r.score, "numerator": r.numerator, "denominator": r.denominator,
                     "cutoffs": None if spec is None else spec["cutoffs"], "direction": None if spec is None else spec["direction"],
                     "method": None if spec is None else spec["method"], "dimension": None if spec is None else spec["dimension"]})
    card = report.scorecard
    rows.append({"key": "total", "value": None, "score": card.total})
    rows += [{"key": f"dimension.{d}", "value": None, "score": s} for d, s in card.dimensions.items()]
    return pd.DataFrame(rows).set_index("key")


def _close(a, b, half) -> bool:
    """Does ``a`` printed at the reading's resolution equal ``b``? (half = half a unit of the last digit)"""
    if a is None or b is None or pd.isna(a) or pd.isna(b):
        return False
    return abs(float(a) - float(b)) <= (0 if pd.isna(half) else float(half)) + 1e-9 * max(1.0, abs(float(b)))


def reconcile(shop: ShopData, readings: pd.DataFrame, profile: Profile | str | None = None) -> pd.DataFrame:
    """One row per reading (:data:`COLUMNS`), for the readings of ``shop`` (parse them with ``read_readings``)."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile or shop.config.get("profile") or "douyin_2022", shop.config.get("overrides"))
    reports = _Reports(shop, profile)
    rows = []
    for day, group in readings.groupby("as_of", sort=True):
        mine = ours(reports.get(day))
        for r in group.itertuples(index=False):
            rows.append(_row(r, mine, reports, day, group))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(r, mine: pd.DataFrame, reports: _Reports, day, same_day: pd.DataFrame) -> dict:
    o = mine.loc[r.key] if r.key in mine.index else None
    ov = None if o is None or pd.isna(o["value"]) else float(o["value"])
    os_ = None if o is None or pd.isna(o["score"]) else float(o["score"])
    tier_differs = None
    if o is not None and o.get("method") == "tiers" and not pd.isna(r.value) and ov is not None:
        scores = reports.profile["tiers"]["scores"]
        tier_differs = tier_score(r.value, o["cutoffs"], o["direction"], scores) != tier_score(ov, o["cutoffs"], o["direction"], scores)
    verdict, why = _verdict(r, o, ov, os_, reports, day, same_day)
    zh = (reports.profile.get("indicators") or {}).get(r.key, {}).get("zh") or r.key
    return {"shop_id": r.shop_id, "as_of": day, "key": r.key, "zh": zh, "backend_value": r.value, "ours_value": ov,
            "value_diff": None if ov is None or pd.isna(r.value) else r.value - ov, "backend_score": r.score, "ours_score": os_,
            "score_diff": None if os_ is None or pd.isna(r.score) else r.score - os_, "tier_differs": tier_differs,
            "verdict": verdict, "explanation": why, "value_text": r.value_text, "score_text": r.score_text, "line": r.line}


def _verdict(r, o, ov, os_, reports: _Reports, day, same_day) -> tuple[str, str]:
    has_value, has_score = not pd.isna(r.value), not pd.isna(r.score)
    value_ok = not has_value or _close(ov, r.value, r.value_half)
    score_ok = not has_score or _close(os_, r.score, r.score_half)
    if o is None:
        return "unexplained", f"{r.key} is not computed under profile {reports.profile['name']}"
    if value_ok and score_ok:
        return "match", ""
    if value_ok and has_value:
        why = f"same value, backend score {r.score:g}, ours {os_ if os_ is None else f'{os_:g}'} ({o.get('method')}): the cut-offs or the floor differ from the profile's"
        return f"explained: {why}", why
    composite = r.key == "total" or r.key.startswith("dimension.")
    for explain in (_composite, _latency) if composite else (_latency, _excluded_types, _missing_rows, _time_zone):
        why = explain(r, o, reports, day, same_day)
        if why:
            return f"explained: {why}", why
    return "unexplained", "no tried explanation reproduces the backend number (as-of ±1 day, excluded order types, missing orders, time zone)"


def _target(r) -> tuple[str, float, float]:
    """Which number to reproduce: the value when the page gave one, else the score."""
    return ("value", r.value, r.value_half) if not pd.isna(r.value) else ("score", r.score, r.score_half)


def _latency(r, o, reports: _Reports, day, same_day) -> str | None:
    what, target, half = _target(r)
    for days in (-1, 1):
        other = ours(reports.get(day + pd.Timedelta(days=days)))
        if r.key in other.index and _close(other.loc[r.key, what], target, half):
            return f"data latency: our {what} as of D{days:+d} ({day + pd.Timedelta(days=days):%Y-%m-%d}) is the backend's"
    return None


def _time_zone(r, o, reports: _Reports, day, same_day) -> str | None:
    what, target, half = _target(r)
    for hours in TIME_ZONE_SHIFTS_HOURS:
        other = ours(reports.get(day, hours))
        if r.key in other.index and _close(other.loc[r.key, what], target, half):
            return f"time zone: with the exports' timestamps moved {hours:+d} h our {what} is the backend's"
    return None


def _missing_rows(r, o, reports: _Reports, day, same_day) -> str | None:
    """Same numerator, larger denominator: ``numerator / backend value`` rows, more than we have."""
    if pd.isna(r.value) or r.value <= 0 or r.unit != "ratio" or pd.isna(o["numerator"]) or pd.isna(o["denominator"]) or not o["numerator"]:
        return None
    n, d = float(o["numerator"]), float(o["denominator"])
    lo, hi = n / (r.value + r.value_half), n / max(r.value - r.value_half, 1e-12)
    implied = np.arange(max(np.ceil(lo), d + 1), np.floor(hi) + 1)
    implied = implied[implied <= d * (1 + MAX_MISSING_SHARE)]
    if not len(implied):
        return None
    k = int(implied[0])
    return f"orders missing from the exports: the backend's value implies a denominator of {k} ({int(n)} / {k}), ours is {int(d)} ({k - int(d)} missing)"


def _excluded_types(r, o, reports: _Reports, day, same_day) -> str | None:
    """An order type (or presale / virtual / gift flag) the backend leaves out and we count."""
    if pd.isna(r.value):
        return None
    report = reports.get(day)
    result = report.results.get(r.key)
    orders = report.shop.tables.get("orders")
    if result is None or orders is None or "order_id" not in result.detail or result.denominator in (None, 0):
        return None
    rows, num_col = _counted(result)
    if rows is None:
        return None
    kinds = orders.drop_duplicates("order_id").set_index("order_id")
    groups = {}
    if "order_type" in kinds:
        groups.update({f"order type {t}": kinds["order_type"] == t for t in kinds["order_type"].dropna().unique()})
    groups.update({f"{zh} orders": kinds[flag].fillna(False).astype(bool) for flag, zh in ORDER_FLAGS.items() if flag in kinds})
    for label, member in groups.items():
        drop = rows["order_id"].map(member).fillna(False).astype(bool).to_numpy()
        if not drop.any() or drop.all():
            continue
        keep = rows[~drop]
        value = keep[num_col].sum() / len(keep)
        if _close(value, r.value, r.value_half):
            return f"excluded order type: without {label} ({int(drop.sum())} rows) our value is {value:.6g}, the backend's"
    return None


def _counted(result) -> tuple[pd.DataFrame | None, str | None]:
    """The detail rows behind the value and the column whose mean is the value (``_num``)."""
    rows = result.detail
    if "counted" in rows:
        rows = rows[rows["counted"].fillna(False).astype(bool)]
    if len(rows) != result.denominator or result.numerator is None:
        return None, None
    if result.unit == "ratio" and "passed" in rows:
        passed = rows["passed"].fillna(False).astype(bool)
        for flags in (passed, ~passed):
            if int(flags.sum()) == result.numerator:
                return rows.assign(_num=flags.astype(float)), "_num"
        return None, None
    for col in rows.select_dtypes("number").columns:
        if rows[col].notna().all() and abs(rows[col].sum() - result.numerator) <= 1e-6 * max(1.0, abs(result.numerator)):
            return rows.assign(_num=rows[col].astype(float)), "_num"
    return None, None


def _composite(r, o, reports: _Reports, day, same_day) -> str | None:
    """A total or dimension that differs because its parts (or the assumed weights) differ."""
    if r.key != "total" and not r.key.startswith("dimension."):
        return None
    mine = ours(reports.get(day))
    if r.key == "total":
        parts = same_day[same_day["key"].str.startswith("dimension.")]
    else:
        members = [k for k, v in reports.profile["indicators"].items() if v["dimension"] == r.key.split(".", 1)[1]]
        parts = same_day[same_day["key"].isin(members)]
    if parts.empty:
        return None
    off = [p.key for p in parts.itertuples() if not pd.isna(p.score) and not _close(mine.loc[p.key, "score"] if p.key in mine.index else None, p.score, p.score_half)]
    if off:
        return f"its parts differ: {', '.join(off)} score differently on the backend"
    return "its parts score the same: the weights differ from the profile's assumption (calibrate them)"


def reconcile_folder(data_root: str | Path, shop_id: str, backend: str | Path | None = None, profile: str | Path | None = None) -> pd.DataFrame:
    """Load ``<data_root>/<shop_id>``, its readings (``backend`` or the folder's ``backend.csv``) and reconcile."""
    shop = load_shop(data_root, shop_id)
    prof = load_profile(profile or shop.config.get("profile") or "douyin_2022", shop.config.get("overrides"))
    readings = shop_readings(Path(data_root) / shop_id, prof, shop_id=shop_id, path=backend)
    check_dates(readings, shop)
    return reconcile(shop, readings, prof)


def reconciliation_json(table: pd.DataFrame) -> dict:
    """JSON-ready: the verdict counts and one record per reading (dates as YYYY-MM-DD, NaN as null)."""
    kinds = table["verdict"].str.split(":").str[0]
    records = table.assign(as_of=table["as_of"].dt.strftime("%Y-%m-%d")).astype(object)
    records = records.where(records.notna(), None).to_dict("records")
    return {"verdicts": {k: int((kinds == k).sum()) for k in ("match", "explained", "unexplained")}, "readings": records}

