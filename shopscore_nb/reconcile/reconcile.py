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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..fastops import lookup
from ..metrics import Context, compute_all
from ..metrics.base import registry
from ..profile import Profile, available_profiles, load_profile
from ..report import ShopReport
from ..schema import TABLES
from ..scoring import score_shop
from ..scoring.tiers import tier_score
from ..shop import ShopData, load_shop
from .readings import READINGS_FILE, ReadingsError, check_dates, read_readings, shop_readings

TIME_ZONE_SHIFTS_HOURS = (8, -8)  # exports written in UTC (or read as UTC) against local Asia/Shanghai time
MAX_MISSING_SHARE = 1.0  # "orders missing" explains at most as many missing rows as we have
ORDER_FLAGS = {"is_presale": "预售", "is_virtual": "虚拟", "is_gift": "赠品"}
COLUMNS = ["shop_id", "as_of", "key", "zh", "backend_value", "ours_value", "value_diff", "backend_score", "ours_score",
           "score_diff", "tier_differs", "verdict", "explanation", "value_text", "score_text", "line"]


def page_report(shop: ShopData, day, profile: Profile, keys=(), window_days: int | None = None, scored: bool = True) -> ShopReport:
    """The report of one as-of day with only what the backend page shows: the scored indicators and
    ``keys`` (the indicators read), not every dashboard indicator (a third faster than ``build_report``).
    ``scored=False``: only ``keys`` (the other scored indicators have no data: for the stage, the floors and
    the deductions of a day, not its scores)."""
    ctx = Context.build(shop, as_of=day, profile=profile, window_days=window_days)
    known = registry(profile)
    wanted = list(dict.fromkeys([k for k in profile["indicators"] if k in known and scored] + [k for k in keys if k in known]))
    results = compute_all(ctx, wanted) if wanted else {}  # compute_all([]) would compute every indicator
    return ShopReport(ctx, results, score_shop(ctx, results))


class _Reports:
    """Reports of one shop by (as-of date, time shift in hours), computed once."""

    def __init__(self, shop: ShopData, profile: Profile, keys=(), window_days: int | None = None):
        self.shop, self.profile, self.keys, self.window_days, self.cache = shop, profile, tuple(keys), window_days, {}

    def get(self, day: pd.Timestamp, shift: int = 0) -> ShopReport:
        day = pd.Timestamp(day)
        if (day, shift) not in self.cache:
            shop = self.shop if not shift else shifted(self.shop, shift)
            self.cache[(day, shift)] = page_report(shop, day, self.profile, self.keys, self.window_days)
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


def reconcile(shop: ShopData, readings: pd.DataFrame, profile: Profile | str | None = None, window_days: int | None = None,
              reports: _Reports | None = None) -> pd.DataFrame:
    """One row per reading (:data:`COLUMNS`), for the readings of ``shop`` (parse them with ``read_readings``)."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile or shop.config.get("profile") or "douyin_2022", shop.config.get("overrides"))
    reports = reports or _Reports(shop, profile, sorted(set(readings["key"])), window_days)
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
    zh = key_zh(reports.profile, r.key)
    return {"shop_id": r.shop_id, "as_of": day, "key": r.key, "zh": zh, "backend_value": r.value, "ours_value": ov,
            "value_diff": None if ov is None or pd.isna(r.value) else r.value - ov, "backend_score": r.score, "ours_score": os_,
            "score_diff": None if os_ is None or pd.isna(r.score) else r.score - os_, "tier_differs": tier_differs,
            "verdict": verdict, "explanation": why, "value_text": r.value_text, "score_text": r.score_text, "line": r.line}


def key_zh(profile: Profile, key: str) -> str:
    """The page's Chinese name of a reading's key (总分, 商品体验 …)."""
    if key == "total":
        return "总分"
    if key.startswith("dimension."):
        return profile["dimensions"].get(key.split(".", 1)[1], {}).get("zh", key)
    spec = (profile.get("indicators") or {}).get(key) or (profile.get("reference_indicators") or {}).get(key) or {}
    known = registry(profile)
    return spec.get("zh") or (known[key].zh if key in known else key)


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
        drop = lookup(rows["order_id"], member).fillna(False).astype(bool).to_numpy()
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


def reconcile_folder(data_root: str | Path, shop_id: str, backend: str | Path | None = None, profile: str | Path | None = None,
                     **kwargs) -> pd.DataFrame:
    """Load ``<data_root>/<shop_id>``, its readings (``backend`` or the folder's ``backend.csv``) and reconcile
    (keywords of :func:`run_reconciliation`)."""
    return run_reconciliation(data_root, shop_id, backend=backend, profile=profile, **kwargs).table


# ---------------------------------------------------------------- one shop's reconciliation, for the CLI and 07_reconcile
@dataclass
class Reconciliation:
    """The reconciliation of one shop: the table (:data:`COLUMNS`), the profile it was judged under and why."""

    shop: ShopData
    profile: Profile
    readings: pd.DataFrame
    table: pd.DataFrame
    profile_note: str = ""
    reports: _Reports | None = field(default=None, repr=False)
    profile_arg: str = ""  # the profile as named (a shipped name or a .yaml path), to calibrate it

    @property
    def counts(self) -> dict[str, int]:
        """``match`` / ``explained`` / ``unexplained`` counts."""
        return reconciliation_json(self.table)["verdicts"]

    def days(self) -> list[pd.Timestamp]:
        return sorted(pd.to_datetime(self.table["as_of"]).unique())

    def page(self, day=None) -> pd.DataFrame:
        """The readings of one day (default the latest) as a readable table: Chinese headers, values as the
        page prints them, ours the same way, the differences, the tier change and the verdict."""
        return page_table(self.table, self.profile, day)

    def per_key(self) -> pd.DataFrame:
        """Per key: readings, matches, the explanations found (with counts) and the unexplained."""
        return verdicts_by_key(self.table)

    def series(self) -> pd.DataFrame:
        """Backend and recomputed scores of the total and the dimensions, day by day (for the chart)."""
        keys = ["total", *[f"dimension.{d}" for d in self.profile["dimensions"]]]
        t = self.table[self.table["key"].isin(keys)]
        names = {"total": "总分 total", **{f"dimension.{d}": f"{v.get('zh', d)} {d}" for d, v in self.profile["dimensions"].items()}}
        frame = pd.DataFrame({"as_of": pd.to_datetime(t["as_of"]), "key": t["key"], "label": t["key"].map(names),
                             "backend": t["backend_score"].astype(float), "ours": t["ours_score"].astype(float),
                             "verdict": t["verdict"].str.split(":").str[0]})
        order = {k: i for i, k in enumerate(keys)}  # the total's panel first
        return frame.sort_values(["key", "as_of"], key=lambda c: c.map(order) if c.name == "key" else c, kind="stable").reset_index(drop=True)

    def to_json(self) -> dict:
        out = reconciliation_json(self.table)
        return {"shop_id": self.shop.shop_id, "profile": self.profile.get("name"), "profile_note": self.profile_note,
                "days": [f"{d:%Y-%m-%d}" for d in self.days()], "verdicts": out["verdicts"],
                "keys": verdicts_by_key(self.table).to_dict("records"), "readings": out["readings"]}


def run_reconciliation(data_root: str | Path, shop_id: str, backend: str | Path | None = None, profile: str | Path | None = None,
                       as_of=None, window_days: int | None = None, adapt_profile: bool = False, shop: ShopData | None = None) -> Reconciliation:
    """Reconcile one shop's readings (``backend`` or ``<data_root>/<shop_id>/backend.csv``).

    ``profile``: the rules to recompute with (default: shop.yaml's, else the shipped profile whose indicators
    the readings name, see :func:`readings_profile`). ``adapt_profile``: when the given profile does not know
    the readings' indicators but another shipped profile does, use that one and say so (the notebook).
    ``as_of``: a date or a ``(start, end)`` pair: only the readings of those as-of dates.
    """
    shop = shop if shop is not None else load_shop(data_root, shop_id)
    file = Path(backend) if backend else Path(data_root) / shop_id / READINGS_FILE
    requested = profile or shop.config.get("profile")
    name, note = readings_profile(file, requested, adapt=adapt_profile or not requested)
    prof = load_profile(name, shop.config.get("overrides"))
    readings = select_dates(shop_readings(Path(data_root) / shop_id, prof, shop_id=shop_id, path=backend), as_of, file)
    check_dates(readings, shop)
    reports = _Reports(shop, prof, sorted(set(readings["key"])), window_days)
    return Reconciliation(shop, prof, readings, reconcile(shop, readings, prof, window_days, reports), note, reports, str(name))


def select_dates(readings: pd.DataFrame, as_of, source=None) -> pd.DataFrame:
    """The readings of one as-of date or of a ``(start, end)`` range (both included); all when ``as_of`` is None."""
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return readings
    lo, hi = (as_of, as_of) if not isinstance(as_of, (tuple, list)) else as_of
    lo = pd.Timestamp(lo).normalize() if lo is not None else readings["as_of"].min()
    hi = pd.Timestamp(hi).normalize() if hi is not None else readings["as_of"].max()
    out = readings[(readings["as_of"] >= lo) & (readings["as_of"] <= hi)].reset_index(drop=True)
    if out.empty:
        days = sorted(readings["as_of"].unique())
        span = f"{lo:%Y-%m-%d}" + ("" if lo == hi else f" … {hi:%Y-%m-%d}")
        raise ReadingsError(f"{source or 'readings'}: no reading of as-of {span}; the readings are of "
                            f"{pd.Timestamp(days[0]):%Y-%m-%d} … {pd.Timestamp(days[-1]):%Y-%m-%d} ({len(days)} days).")
    return out


def readings_profile(path: str | Path, requested: str | Path | None = None, adapt: bool = False) -> tuple[str, str]:
    """Which profile reconciles the readings of ``path``: ``(profile, note)``.

    ``requested`` (a name or a .yaml path) is used when it knows every reading's indicator. Otherwise, with
    ``adapt`` (or no ``requested``), the first shipped profile that does (douyin_2022 first) and a note
    saying so; without ``adapt``, the requested profile's error with a hint naming the profile that would read the file.
    """
    first = [str(requested)] if requested else []
    candidates = list(dict.fromkeys([*first, "douyin_2022", *available_profiles()]))
    if requested and not adapt:
        candidates = first
    error = None
    for name in candidates:
        try:
            read_readings(path, load_profile(name))
        except ReadingsError as exc:
            if "unknown indicator" not in str(exc):
                raise
            error = error or exc
            continue
        if requested and name != str(requested):
            return name, (f"the readings name indicators that profile {requested} does not score: they are reconciled "
                          f"under {name}, the shipped profile whose indicators they name")
        if not requested and name != "douyin_2022":
            return name, f"profile {name}: the shipped profile whose indicators the readings name"
        return name, ""
    raise ReadingsError(f"{error}{_profile_hint(path, requested) if requested and not adapt else ''}") from None


def _profile_hint(path, requested) -> str:
    for name in available_profiles():
        if name == str(requested):
            continue
        try:
            read_readings(path, load_profile(name))
        except ReadingsError:
            continue
        return f" (these readings name the indicators of profile {name}: pass --profile {name})"
    return ""


def _printed(value, unit: str) -> str:
    from .demo_readings import printed

    return "" if value is None or pd.isna(value) else printed(float(value), unit)


def page_table(table: pd.DataFrame, profile: Profile, day=None) -> pd.DataFrame:
    """One day's readings, readable (see :meth:`Reconciliation.page`)."""
    if table.empty:
        return pd.DataFrame()
    day = pd.Timestamp(day) if day is not None else pd.to_datetime(table["as_of"]).max()
    t = table[pd.to_datetime(table["as_of"]) == day]
    units = {k: (v.get("unit") or "score") for k, v in (profile.get("indicators") or {}).items()}

    def score(x):
        return "" if x is None or pd.isna(x) else f"{round(float(x), 2):g}"

    def diff(x, shown):  # at the page's resolution: 79.92 against our 79.9168 is 0
        if x is None or pd.isna(x):
            return ""
        decimals = len(shown.split(".", 1)[1]) if "." in str(shown) else 0
        d = round(float(x), decimals)
        return "0" if d == 0 else f"{d:+g}"

    def tier(x):
        return "" if x is None or pd.isna(x) else ("是 yes" if bool(x) else "否 no")

    return pd.DataFrame({
        "指标 indicator": t["zh"].to_numpy(),
        "后台值 backend": [v or "" for v in t["value_text"]],
        "重算值 ours": [_printed(v, units.get(k, "score")) if k in units else "" for k, v in zip(t["key"], t["ours_value"], strict=True)],
        "后台得分 backend score": [s or "" for s in t["score_text"]],
        "重算得分 our score": [score(x) for x in t["ours_score"]],
        "分差 score diff": [diff(x, shown) for x, shown in zip(t["score_diff"], t["score_text"], strict=True)],
        "跨档 tier differs": [tier(x) for x in t["tier_differs"]],
        "结论 verdict": t["verdict"].to_numpy(),
    }, index=pd.Index(t["key"].to_numpy(), name="key"))


def verdicts_by_key(table: pd.DataFrame) -> pd.DataFrame:
    """Per key: readings, matches, unexplained, and the explanations found with their counts (most frequent first)."""
    rows = []
    for key, g in table.groupby("key", sort=False):
        kind = g["verdict"].str.split(":").str[0]
        why = g.loc[kind == "explained", "explanation"].map(_explanation_kind).value_counts()
        rows.append({"key": key, "zh": g["zh"].iloc[0], "readings": len(g), "match": int((kind == "match").sum()),
                     "explained": int((kind == "explained").sum()), "unexplained": int((kind == "unexplained").sum()),
                     "explanations": "; ".join(f"{k} ×{n}" for k, n in why.items())})
    return pd.DataFrame(rows, columns=["key", "zh", "readings", "match", "explained", "unexplained", "explanations"])


def _explanation_kind(text: str) -> str:
    """The kind of an explanation (its words before the first colon or comma): 'data latency', 'time zone' …"""
    text = str(text)
    if text.startswith("same value"):
        return "same value, other score: cut-offs differ"
    if text.startswith("its parts"):
        return "its parts differ" if "differ:" in text else "weights differ"
    return text.split(":", 1)[0]


def reconciliation_json(table: pd.DataFrame) -> dict:
    """JSON-ready: the verdict counts and one record per reading (dates as YYYY-MM-DD, NaN as null)."""
    kinds = table["verdict"].str.split(":").str[0]
    records = table.assign(as_of=table["as_of"].dt.strftime("%Y-%m-%d")).astype(object)
    records = records.where(records.notna(), None).to_dict("records")
    return {"verdicts": {k: int((kinds == k).sum()) for k in ("match", "explained", "unexplained")}, "readings": records}

