"""Helpers the notebooks call: parameter checks, cached loading, definitions, tables, charts, HTML.

Notebook cells hold narrative, parameters, calls and charts; everything longer lives here so it is
tested and reusable. A section notebook runs::

    params = nb.validate_parameters(data_dir=data_dir, shop_id=shop_id, as_of=as_of,
                                    profile=profile, window_days=window_days, top_n=top_n)
    nb.setup()                       # CJK font, seaborn theme, display options
    rep = nb.load_report(params)     # cached per folder contents, as-of, profile and window
    nb.show_indicator(rep, "product.negative_review_rate")   # definition, value, trend
    nb.show_drilldowns(rep, keys, params.top_n)
    nb.data_quality(rep)

>>> from shopscore_nb import notebook as nb
>>> nb.validate_parameters("../data/demo", "flagship", "", "nosuch", 0)      # doctest: +SKIP
Traceback (most recent call last):
ParameterError: invalid notebook parameters:
  - profile: unknown profile 'nosuch'; known profiles: douyin_2022 ...
"""
from __future__ import annotations

import datetime as dt
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import plots
from .arguments import MAX_WINDOW_DAYS, parse_as_of
from .errors import ParameterError
from .escaping import md_text
from .loading import LoadError, parse_table
from .metrics import Context, IndicatorResult, compute
from .metrics.base import ruleset_of as _ruleset_of
from .metrics.descriptions import describe, lag_days, raw_entries
from .metrics.im_model import timed_rounds
from .privacy import PII_COLUMNS
from .profile import ProfileError, available_profiles, load_profile
from .report import ShopReport, build_report
from .schema import TABLES, resolve_header
from .shop import ShopData, shop_folder
from .validation import validate_tables

HIDDEN_COLUMNS = PII_COLUMNS | {"content"}  # buyer identifiers and free text never shown in notebook tables


# ================================================================ parameters
@dataclass(frozen=True)
class Params:
    """Validated notebook parameters (``as_of`` None = default as-of; ``window_days`` None = profile default)."""

    data_dir: Path | None
    shop_id: str
    as_of: pd.Timestamp | None
    profile: str
    window_days: int | None
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):  # params.top_n etc. for section-specific parameters
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(name)


def _check_as_of(value, errors: list[str]) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):  # a YAML parameters file gives dates, not strings
        return pd.Timestamp(value).normalize()
    if not isinstance(value, str):
        errors.append(f"as_of: expected a date 'YYYY-MM-DD' or '' (default), got {type(value).__name__} {value!r}")
        return None
    try:
        return parse_as_of(value)
    except ValueError:
        errors.append(f"as_of: '{value}' is not a date in YYYY-MM-DD form (or '' for the day after the latest data)")
        return None


def _check_profile(value, errors: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append(f"profile: expected a profile name, got {value!r}; known profiles: {', '.join(available_profiles())}")
        return ""
    value = value.strip()
    is_path = value.endswith((".yaml", ".yml"))
    if is_path and not Path(value).is_file():
        errors.append(f"profile: file '{value}' not found")
        return value
    if not is_path and value not in available_profiles():
        errors.append(f"profile: unknown profile '{value}'; known profiles: {', '.join(available_profiles())} (or a path to a .yaml copy)")
        return value
    try:
        load_profile(value)
    except (ProfileError, LoadError) as exc:
        errors.append(f"profile: {exc}")
    return value


def _check_int(name: str, value, errors: list[str], minimum: int = 0, maximum: int | None = None) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        errors.append(f"{name}: expected a whole number, got {type(value).__name__} {value!r}")
        return None
    if value < minimum or (maximum is not None and value > maximum):
        errors.append(f"{name}: {value} is out of range ({minimum}–{maximum if maximum is not None else '∞'})")
        return None
    return int(value)


def validate_parameters(data_dir="../data/demo", shop_id="flagship", as_of="", profile="douyin_2022", window_days=0,
                        *, need_data: bool = True, ruleset: str | None = None, **extra) -> Params:
    """Check every notebook parameter and return them typed; raise one :class:`ParameterError` listing all problems.

    ``need_data=False`` (training notebook) skips the folder checks; ``ruleset`` requires a profile of that
    rule era (the training examples follow the seed definitions). Extra parameters: whole numbers must be
    ≥ 0 (``top_n`` ≥ 1); strings and booleans pass through.
    """
    errors: list[str] = []
    for name, value in (("data_dir", data_dir), ("shop_id", shop_id)):
        if not isinstance(value, (str, os.PathLike)):
            errors.append(f"{name}: expected text, got {type(value).__name__} {value!r}")
    at = _check_as_of(as_of, errors)
    prof = _check_profile(profile, errors)
    if ruleset and prof and not any(e.startswith("profile") for e in errors):
        era = str(load_profile(prof).get("ruleset", "seed"))
        if era != ruleset:
            errors.append(f"profile: '{prof}' follows the '{era}' rules; this notebook's examples need a '{ruleset}' profile "
                          f"(e.g. douyin_2022 or an edited copy of it)")
    window = _check_int("window_days", window_days, errors, 0, MAX_WINDOW_DAYS)
    checked = {}
    for name, value in extra.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            checked[name] = _check_int(name, value, errors, 1 if name == "top_n" else 0)
        else:
            checked[name] = value
    root = None
    if need_data and not any(e.startswith(("data_dir", "shop_id")) for e in errors):
        root = Path(data_dir)
        if not root.is_dir():
            errors.append(f"data_dir: folder '{data_dir}' not found (relative paths start at {Path.cwd()})")
        else:
            try:
                shop_folder(root, str(shop_id))
            except LoadError as exc:
                errors.append(f"shop_id: {exc}")
    elif not need_data and isinstance(data_dir, (str, os.PathLike)):
        root = Path(data_dir)
    if errors:
        raise ParameterError("invalid notebook parameters:\n  - " + "\n  - ".join(errors)) from None
    return Params(root, str(shop_id), at, prof, window or None, checked)


# ================================================================ set-up
_SETUP_DONE = False


def setup() -> str:
    """CJK font + seaborn theme, pandas display options, PNG figures in Jupyter. Returns the font name."""
    global _SETUP_DONE
    name = plots.set_theme()
    if not _SETUP_DONE:
        pd.set_option("display.max_columns", 40)
        pd.set_option("display.max_colwidth", 60)
        pd.set_option("display.width", 200)
        pd.set_option("display.precision", 4)
        _SETUP_DONE = True
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png", bbox_inches=None)  # our figures use constrained layout: one draw, not two
    except ImportError:  # plain Python: figures are saved, not displayed
        pass
    return name


def _display(*objs) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        for o in objs:
            print(o)
        return
    display(*objs)


def _md(text: str):
    from IPython.display import Markdown

    return Markdown(text)


# ================================================================ cached loading
_SHOPS: dict[tuple, ShopData] = {}
_REPORTS: dict[tuple, ShopReport] = {}
_STATS = {"shop_hits": 0, "shop_misses": 0, "report_hits": 0, "report_misses": 0}


def _fingerprint(folder: Path) -> str:
    """The content of every file in the shop folder (the batch cache's key): any edit changes it."""
    from .store import fingerprint

    return fingerprint(folder)


def _load_uncached(data_dir: Path, shop_id: str) -> ShopData:
    if os.environ.get("SHOPSCORE_CACHE"):
        from .store import open_shop  # batch runs: the on-disk Parquet cache shared by a shop's notebooks

        return open_shop(data_dir, shop_id)
    from .shop import load_shop

    return load_shop(data_dir, shop_id)


def load_shop_cached(data_dir, shop_id: str) -> ShopData:
    """``load_shop`` served from memory when the folder's files are unchanged (same kernel)."""
    folder = shop_folder(data_dir, shop_id).resolve()
    key = (str(folder), _fingerprint(folder))
    if key in _SHOPS:
        _STATS["shop_hits"] += 1
        return _SHOPS[key]
    _STATS["shop_misses"] += 1
    for old in [k for k in _SHOPS if k[0] == key[0]]:  # the folder changed: forget its older versions
        del _SHOPS[old]
        for rk in [r for r in _REPORTS if r[0] == old]:
            del _REPORTS[rk]
    shop = _load_uncached(Path(data_dir), shop_id)
    _SHOPS[key] = shop
    return shop


def load_report(params: Params) -> ShopReport:
    """Every indicator (and the score when ``shopscore_nb.scoring`` exists) for the validated parameters, cached."""
    shop = load_shop_cached(params.data_dir, params.shop_id)
    folder = shop_folder(params.data_dir, params.shop_id).resolve()
    key = ((str(folder), _fingerprint(folder)), params.as_of, params.profile, params.window_days)
    if key in _REPORTS:
        _STATS["report_hits"] += 1
        return _REPORTS[key]
    _STATS["report_misses"] += 1
    rep = build_report(shop, as_of=params.as_of, profile=params.profile, window_days=params.window_days)
    _REPORTS[key] = rep
    return rep


def cache_info() -> dict:
    return {**_STATS, "shops": len(_SHOPS), "reports": len(_REPORTS)}


def clear_cache() -> None:
    _SHOPS.clear()
    _REPORTS.clear()
    for k in _STATS:
        _STATS[k] = 0


# ================================================================ definitions
def _definitions() -> dict:
    """The entries of ``reference/definitions.yaml`` as written (read once by :mod:`shopscore_nb.metrics.descriptions`)."""
    return dict(raw_entries())


def ruleset_of(ctx_or_report) -> str:
    """The ruleset of a context or report: :func:`shopscore_nb.metrics.base.ruleset_of`."""
    return _ruleset_of(ctx_or_report)


def definition(key: str, ruleset: str = "seed") -> dict:
    """The bilingual definition entry of ``key``: a fresh dict of its description
    (:func:`shopscore_nb.metrics.descriptions.describe` → :meth:`~shopscore_nb.metrics.descriptions.Description.as_dict`)."""
    return describe(key, ruleset).as_dict()


def _placeholders(ctx: Context, lag: int = 0) -> dict:
    p = ctx.profile
    cohort_start, cohort_end = ctx.window(lag_days=lag)
    return defaultdict(
        lambda: "?",
        N=ctx.window_days,
        lag=lag,
        start=ctx.start.strftime("%Y-%m-%d"),
        end=ctx.end.strftime("%Y-%m-%d"),
        cohort_start=cohort_start.strftime("%Y-%m-%d"),
        cohort_end=cohort_end.strftime("%Y-%m-%d"),
        reply_s=p.get("im.reply_within_seconds", "?"),
        first_s=p.get("im.first_reply_within_seconds", "?"),
        sla_h=p.get("logistics.pickup_sla_hours", "?"),
        unanswered_s=p.get("im.unanswered_seconds", "?"),
        bh_start=str(p.get("business_hours.start", "?"))[:5],
        bh_end=str(p.get("business_hours.end", "?"))[:5],
    )


def _lag(ctx: Context, entry: dict) -> int:
    """Cohort lag in days of a :func:`definition` entry under the context's profile (0: rolling window)."""
    return lag_days(ctx.profile, entry.get("lag"))


def window_text(ctx: Context, entry: dict) -> tuple[str, str]:
    """(Chinese, English) description of the rows' window for this indicator under the context."""
    lag = _lag(ctx, entry)
    s, e = (d.strftime("%Y-%m-%d") for d in ctx.window(lag_days=lag))
    if lag:
        return (f"{lag}天滞后队列：{s} 00:00 至 {e} 00:00（不含），即近{ctx.window_days}天往前推{lag}天",
                f"{lag}-day lagged cohort: [{s} 00:00, {e} 00:00) — the last {ctx.window_days} days shifted back {lag} days")
    return (f"近{ctx.window_days}天：{s} 00:00 至 {e} 00:00（不含）", f"last {ctx.window_days} days: [{s} 00:00, {e} 00:00)")


def explain_text(ctx: Context, key: str) -> str:
    """Markdown: name, definition, formula, window and what moves it, in Chinese and English."""
    entry = definition(key, ruleset_of(ctx))
    fill = _placeholders(ctx, _lag(ctx, entry))
    f = {k: str(v).format_map(fill) if isinstance(v, str) else v for k, v in entry.items()}
    wzh, wen = window_text(ctx, entry)
    rows = [
        ("定义 definition", f.get("what_zh", ""), f.get("what_en", "")),
        ("公式 formula", f.get("formula_zh", ""), f.get("formula_en", "")),
        ("窗口 window", wzh, wen),
        ("怎样改善 what moves it", f.get("moves_zh", ""), f.get("moves_en", "")),
    ]
    lines = [f"#### {entry['zh']} · {entry['name_en']} &nbsp; `{key}`", "", "| | 中文 | English |", "|---|---|---|"]
    lines += [f"| **{a}** | {b} | {c} |" for a, b, c in rows if b or c]
    return "\n".join(lines)


def explain(rep_or_ctx, key: str) -> None:
    ctx = getattr(rep_or_ctx, "ctx", rep_or_ctx)
    _display(_md(explain_text(ctx, key)))


# ================================================================ numbers
def fmt_value(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) < 1e-12:
        value = 0.0  # no "-0.00%" after subtracting equal impacts
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "hours":
        return f"{value:,.2f} h"
    if unit == "seconds":
        return f"{value:,.1f} s"
    if unit == "yuan":
        return f"¥{value:,.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _num(x) -> str:
    """A number as plain, stable text for golden cells (6 decimals at most, no trailing zeros)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "null"
    x = float(x)
    if x.is_integer():
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")


def key_numbers(rep: ShopReport, keys: list[str]) -> None:
    """Print shop, window and each indicator's value / numerator / denominator as plain text (golden cells)."""
    ctx = rep.ctx
    print(f"shop={rep.shop.shop_id} as_of={ctx.as_of:%Y-%m-%d} window=[{ctx.start:%Y-%m-%d}, {ctx.end:%Y-%m-%d}) profile={ctx.profile.get('name')}")
    for key in keys:
        r = rep.results.get(key)
        if r is None:
            print(f"{key}: not in this profile")
            continue
        note = f" ({r.reason})" if r.reason else ""
        print(f"{key}: value={_num(r.value)} numerator={_num(r.numerator)} denominator={_num(r.denominator)}{note}")


def value_text(rep: ShopReport, key: str) -> str:
    r = rep.results[key]
    entry = definition(key, ruleset_of(rep))
    unit = r.unit
    if r.value is None:
        return f"**{entry['zh']}: 无数据 no data** — {r.reason or 'no rows in the window'}"
    parts = [f"**{entry['zh']} = {fmt_value(r.value, unit)}**"]
    if r.denominator is not None:
        if unit == "ratio":
            parts.append(f"= {_num(r.numerator)} / {_num(r.denominator)}")
        else:
            parts.append(f"= {fmt_value(r.numerator, unit)} / {_num(r.denominator)} 行 rows")
    if r.score is not None:
        parts.append(f"· 得分 score **{_num(round(r.score, 4))}**")
    lines = thresholds(rep, key)
    if lines:
        parts.append("· 线 lines: " + ", ".join(f"{label} {fmt_value(v, unit)}" for label, v in lines))
    return " ".join(parts)


def indicator_table(rep: ShopReport, keys: list[str] | None = None) -> pd.DataFrame:
    """Readable table of indicators: name, formatted value, numerator, denominator, score, note."""
    keys = keys or list(rep.results)
    rows = []
    rs = ruleset_of(rep)
    for key in keys:
        r = rep.results.get(key)
        if r is None:
            continue
        e = definition(key, rs)
        rows.append({
            "指标": e["zh"], "indicator": e["name_en"], "key": key, "值 value": fmt_value(r.value, r.unit),
            "分子 numerator": _num(r.numerator) if r.numerator is not None else "", "分母 denominator": _num(r.denominator) if r.denominator is not None else "",
            "得分 score": r.score, "备注 note": r.reason or "",
        })
    return pd.DataFrame(rows).set_index("key")


def header(rep: ShopReport) -> None:
    """Shop, as-of date, window, profile (with its source and overrides) and the files read.

    Names from the data (shop name and id, file names, profile texts) are escaped (:func:`md_text`)."""
    ctx, shop = rep.ctx, rep.shop
    name = shop.config.get("name") or shop.shop_id
    overrides = ", ".join(md_text(o) for o in getattr(ctx.profile, "overridden", []) or []) or "无 none"
    files = ", ".join(f"{md_text(f['file'])} → {f['table']} ({f['rows']})" for f in shop.files)
    lines = [
        f"### {md_text(name)} ({md_text(shop.shop_id)})",
        f"- 统计截至 as of: **{ctx.as_of:%Y-%m-%d}** (data up to {ctx.as_of:%Y-%m-%d} 00:00, T+1)",
        f"- 窗口 window: **{ctx.window_days}** 天 days, [{ctx.start:%Y-%m-%d}, {ctx.end:%Y-%m-%d})",
        f"- 规则 profile: **{md_text(ctx.profile.get('name'))}** — {md_text(ctx.profile.get('title', ''))} ({md_text(ctx.profile.source)}); "
        f"overrides: {overrides}",
        f"- 文件 files: {files}",
    ]
    if shop.ignored:
        lines.append("- 未读取 files not loaded: " + "; ".join(md_text(f["reason"]) for f in shop.ignored))
    if shop.clock_note():
        lines.append(f"- 时钟 clock: {md_text(shop.clock_note())}")
    card = rep.scorecard
    if card is not None and getattr(card, "assumptions", None):
        lines.append("- 假设 assumptions: " + "; ".join(md_text(a) for a in card.assumptions))
    _display(_md("\n".join(lines)))


# ================================================================ daily series (trend)
def _detail_frame(result: IndicatorResult) -> pd.DataFrame:
    d = result.detail
    if d is None or d.empty:
        return pd.DataFrame()
    if d.index.name is not None and d.index.name not in d.columns:
        d = d.reset_index()
    return d


def _dates(rep: ShopReport, key: str, d: pd.DataFrame, column: str) -> pd.Series:
    if column == "session_first_round_at":  # session-level rate: the day its first counted round started
        r = timed_rounds(rep.ctx)
        first = r[r["counted"]].groupby("session_id")["start_at"].min()
        return d["session_id"].map(first)
    if column in d:
        return pd.to_datetime(d[column])
    return pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")


def daily_series(rep: ShopReport, key: str) -> pd.DataFrame:
    """The indicator per day of its window, rebuilt from its detail rows (vectorised group-by-day).

    Columns: ``numerator``, ``denominator``, ``value`` (that day's rows alone) and ``rolling7`` (the
    last 7 days' rows pooled). Index: every day of the window (lagged cohorts: of the cohort). The
    numerators and denominators add up to the indicator's own.
    """
    r = rep.results[key]
    entry = definition(key, ruleset_of(rep))
    spec = entry.get("trend") or {}
    start, end = rep.ctx.window(lag_days=_lag(rep.ctx, entry))
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D", name="day")
    out = pd.DataFrame(index=days, data={"numerator": 0.0, "denominator": 0.0})
    d = _detail_frame(r)
    kind = spec.get("kind", "rate")
    if not d.empty and spec.get("date"):
        day = _dates(rep, key, d, spec["date"]).dt.normalize()
        if kind == "rate":
            passed = d["passed"].astype(bool)
            num = ~passed if spec.get("count") == "failed" else passed
            den = pd.Series(1.0, index=d.index)
        elif kind == "mean":
            values = pd.to_numeric(d[spec["value"]], errors="coerce") if spec.get("value") in d else pd.Series(np.nan, index=d.index)
            num, den = values.fillna(0.0), values.notna().astype(float)
        elif kind == "sum":
            num = pd.to_numeric(d[spec["value"]], errors="coerce").fillna(0.0) if spec.get("value") in d else pd.Series(0.0, index=d.index)
            den = pd.Series(1.0, index=d.index)
        else:  # count
            num = pd.Series(1.0, index=d.index)
            den = pd.Series(1.0, index=d.index)
        g = pd.DataFrame({"day": day, "numerator": num.astype(float), "denominator": den}).groupby("day").sum()
        out = out.add(g.reindex(days, fill_value=0.0), fill_value=0.0)
    roll = out.rolling(7, min_periods=1).sum()
    if kind in ("count", "sum"):
        out["value"] = out["numerator"]
        out["rolling7"] = out["numerator"].rolling(7, min_periods=1).mean()
    else:
        out["value"] = out["numerator"] / out["denominator"].replace(0, np.nan)
        out["rolling7"] = roll["numerator"] / roll["denominator"].replace(0, np.nan)
    return out


def trend_figure(rep: ShopReport, key: str):
    r = rep.results[key]
    entry = definition(key, ruleset_of(rep))
    kind = (entry.get("trend") or {}).get("kind", "rate")
    lag = _lag(rep.ctx, entry)
    label = "队列日期 cohort day" if lag else "日期 day"
    return plots.trend(daily_series(rep, key), title=f"{entry['zh']} · {entry['name_en']} — 每日 daily", unit=r.unit,
                       overall=r.value if kind not in ("count", "sum") else None, thresholds=thresholds(rep, key),
                       kind=kind, day_label=label)


# ================================================================ drill-down
def _direction(rep: ShopReport, key: str) -> str:
    """``higher`` | ``lower``: which way the indicator is better (its description)."""
    return describe(key, ruleset_of(rep)).direction


def _improved(rep: ShopReport, key: str, moved_by: float) -> float | None:
    """The value after an improvement of ``|moved_by|`` in the indicator's good direction."""
    value = rep.results[key].value
    if value is None:
        return None
    return value - abs(moved_by) if _direction(rep, key) == "lower" else value + abs(moved_by)


def drilldown(rep: ShopReport, key: str, top_n: int = 20) -> pd.DataFrame:
    """The rows that cost the indicator, worst first, with ``impact`` and ``share_of_loss`` against its
    best tier (:func:`shopscore_nb.scoring.drilldown.drilldown_for`). Counts have no drill-down; buyer
    PII columns are dropped."""
    r = rep.results[key]
    d = _detail_frame(r)
    entry = definition(key, ruleset_of(rep))
    spec = entry.get("trend") or {}
    kind = spec.get("kind", "rate")
    if d.empty or r.value is None or kind in ("count", "sum"):
        return pd.DataFrame()
    return _scoring_drilldown(rep, key, entry, top_n)


def _scoring_drilldown(rep: ShopReport, key: str, entry: dict, top_n: int) -> pd.DataFrame:
    """``shopscore_nb.scoring.drilldown.drilldown_for``: failing rows against the best tier, with impact and share of loss."""
    from .scoring.drilldown import drilldown_for

    rows = _detail_frame_like(drilldown_for(rep.scorecard, rep.results, key))
    if rows.empty:
        return rows
    sort = entry.get("sort")
    if sort in rows and (entry.get("trend") or {}).get("kind") == "rate":  # equal impact: order by the row's own measure
        ascending = pd.api.types.is_datetime64_any_dtype(rows[sort])
        rows = rows.sort_values(sort, ascending=ascending, kind="stable", na_position="first")
    cols = [c for c in entry.get("drill", []) if c in rows] or [c for c in rows if not str(c).startswith("_")]
    extra = [c for c in ("target", "impact", "share_of_loss") if c in rows and c not in cols]
    cols = [c for c in cols if c not in HIDDEN_COLUMNS] + extra
    return rows[cols].head(top_n).reset_index(drop=True)


def _detail_frame_like(d: pd.DataFrame) -> pd.DataFrame:
    if d.index.name is not None and d.index.name not in d.columns:
        d = d.reset_index()
    return d


def show_drilldowns(rep: ShopReport, keys: list[str], top_n: int = 20) -> None:
    """For each indicator: how many rows cost it, and the worst ``top_n`` of them."""
    for key in keys:
        if key not in rep.results:
            continue
        r = rep.results[key]
        entry = definition(key, ruleset_of(rep))
        table = drilldown(rep, key, top_n=10**9)
        if table.empty:
            _display(_md(f"**{entry['zh']}** · {entry['name_en']}: 无需明细 nothing to drill into"))
            continue
        fix_all = table["impact"].sum()
        _display(_md(
            f"**{entry['zh']}** · {entry['name_en']}: {len(table)} 行拉低指标 rows cost it; "
            f"全部修正后 fixing all of them moves it by {fmt_value(abs(fix_all), r.unit)}. 显示前 showing the first {min(top_n, len(table))}:"
        ))
        _display(table.head(top_n))


# ================================================================ one indicator
def show_indicator(rep: ShopReport, key: str) -> None:
    """Definition (zh/en) → value with numerator/denominator (and score) → daily trend chart."""
    if key not in rep.results:
        _display(_md(f"_`{key}` 不属于规则 {rep.ctx.profile.get('name')} — not computed under this profile; see the section's other indicators below._"))
        return
    explain(rep, key)
    _display(_md(value_text(rep, key)))
    r = rep.results[key]
    if key == "logistics.pickup_on_time_rate" and r.extra.get("bands"):
        _display(plots.bands(r.extra["bands"]))
    _display(trend_figure(rep, key))


def show_others(rep: ShopReport, section: str, shown: list[str]) -> None:
    """The section's indicators under the active profile that the notebook did not show above."""
    rest = [k for k in section_keys(rep, section) if k not in shown]
    if not rest:
        _display(_md("_本节指标已全部展示 all of this section's indicators are shown above._"))
    for key in rest:
        show_indicator(rep, key)


SECTION_EXTRA = {
    "cs": ("service.im_",),
    "aftersales": ("service.complaint_rate", "product.quality_return_rate", "service.aftersale_review_hours_avg", "service.platform_help_rate"),
}


def section_keys(rep: ShopReport, section: str) -> list[str]:
    """Indicators of a notebook section under the active profile.

    product / logistics / service: the profile's scored indicators of that dimension; cs: 飞鸽 (the scored
    IM indicator, then ``cs.*``); aftersales: the 售后 dashboard (complaints, quality returns, ``aftersales.*``);
    reviews: ``reviews.*``; overview: every scored indicator.
    """
    keys = list(rep.results)
    scored = [k for k in (rep.ctx.profile.get("indicators") or {}) if k in rep.results]
    if section == "overview":
        return scored
    if section in ("product", "logistics", "service"):
        dims = [k for k in scored if rep.ctx.profile.get(f"indicators.{k}.dimension") == section]
        return dims or [k for k in keys if k.startswith(section + ".")]
    if section == "cs":
        return [k for k in keys if k.startswith("service.im_")] + [k for k in keys if k.startswith("cs.")]
    if section == "aftersales":
        return [k for k in SECTION_EXTRA["aftersales"] if k in rep.results] + [k for k in keys if k.startswith("aftersales.")]
    return [k for k in keys if k.startswith(section + ".")]


def overview_trends(rep: ShopReport, keys: list[str] | None = None):
    """Small multiples of the daily trend of each scored indicator."""
    keys = keys or section_keys(rep, "overview")
    panels = []
    for key in keys:
        r = rep.results[key]
        entry = definition(key, ruleset_of(rep))
        kind = (entry.get("trend") or {}).get("kind", "rate")
        panels.append({"daily": daily_series(rep, key), "title": entry["zh"], "unit": r.unit, "kind": kind,
                       "overall": r.value if kind not in ("count", "sum") else None, "thresholds": thresholds(rep, key)})
    return plots.trend_grid(panels)


# ================================================================ 飞鸽 dashboard
UNASSIGNED = "(未分配 unassigned)"


def counted_rounds(rep: ShopReport) -> pd.DataFrame:
    r = timed_rounds(rep.ctx)
    return r[r["counted"]].assign(agent_id=lambda f: f["agent_id"].astype("string").fillna(UNASSIGNED))


def agent_table(rep: ShopReport) -> pd.DataFrame:
    """Per agent: rounds, 3-minute rate, average charged wait, unanswered rounds, sessions and failing sessions."""
    r = counted_rounds(rep)
    g = r.groupby("agent_id", sort=False)
    out = pd.DataFrame({
        "rounds": g.size(),
        "passed": g["passed"].sum(),
        "unanswered": (~r["answered"]).groupby(r["agent_id"], sort=False).sum(),
        "avg_charged_wait_s": g["charged_s"].mean(),
        "avg_wait_answered_s": g["wait_s"].mean(),
        "sessions": g["session_id"].nunique(),
    })
    out["rate_3min"] = out["passed"] / out["rounds"]
    sess = rep.results.get("service.im_3min_reply_rate")
    if sess is not None and not sess.detail.empty:
        d = sess.detail.assign(agent_id=sess.detail["agent_id"].astype("string").fillna(UNASSIGNED))
        out["sessions_failed"] = (~d["passed"].astype(bool)).groupby(d["agent_id"]).sum().reindex(out.index).fillna(0).astype(int)
    out = out[["rounds", "passed", "rate_3min", "unanswered", "avg_charged_wait_s", "avg_wait_answered_s", "sessions"]
              + (["sessions_failed"] if "sessions_failed" in out else [])]
    return out.sort_values("rounds", ascending=False)


def hour_weekday(rep: ShopReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(3-minute rate, round volume) pivoted hour of day × weekday (周一..周日) over the counted rounds."""
    r = counted_rounds(rep)
    rate = r.pivot_table(index="hour", columns="weekday", values="passed", aggfunc="mean", observed=True)
    volume = r.pivot_table(index="hour", columns="weekday", values="passed", aggfunc="size", observed=True)
    hours = sorted(r["hour"].unique()) if len(r) else []
    rate = rate.reindex(index=hours, columns=range(7)).astype(float)
    volume = volume.reindex(index=hours, columns=range(7)).fillna(0).astype(int)
    rate.columns = volume.columns = plots.weekday_labels(list(range(7)))
    rate.index.name = volume.index.name = "hour"
    return rate, volume


def heatmaps(rep: ShopReport):
    rate, volume = hour_weekday(rep)
    return plots.hour_weekday_heatmaps(rate, volume, threshold_s=int(rep.ctx.profile.get("im.reply_within_seconds", 180)))


def failing_sessions(rep: ShopReport, top_n: int = 20) -> pd.DataFrame:
    """Failing sessions of the session-level 3-minute rate with every counted round (worst sessions first)."""
    sess = rep.results.get("service.im_3min_reply_rate")
    if sess is None or sess.detail.empty:
        return pd.DataFrame()
    d = sess.detail
    bad = d[~d["passed"].astype(bool)].assign(failed_rounds=lambda f: f["rounds"] - f["rounds_passed"])
    r = counted_rounds(rep)
    worst = r.groupby("session_id")["charged_s"].max()
    bad = bad.assign(worst_s=bad["session_id"].map(worst)).sort_values(["failed_rounds", "worst_s"], ascending=False).head(top_n)
    rounds = r[r["session_id"].isin(bad["session_id"])].copy()
    rounds["session_id"] = pd.Categorical(rounds["session_id"], categories=list(bad["session_id"]), ordered=True)
    rounds = rounds.sort_values(["session_id", "start_at"])
    rounds["round"] = rounds.groupby("session_id", observed=True).cumcount() + 1
    cols = ["agent_id", "start_at", "buyer_messages", "reply_at", "reply_role", "wait_s", "passed", "reason"]
    return rounds.set_index(["session_id", "round"])[[c for c in cols if c in rounds]]


# ================================================================ data quality
def data_quality(rep: ShopReport, max_rows: int = 50) -> None:
    """Rows read / kept / quarantined per table, the quarantine table and the warnings by reason."""
    shop = rep.shop
    q, w = shop.quarantine, shop.warnings
    _display(_md(f"**读取与隔离 rows read, kept and quarantined** — 隔离 quarantined {len(q)}, 警告 warnings {len(w)} "
                 "(quarantined rows are left out of every indicator; warned rows are kept)"))
    _display(shop.quality_summary().set_index("table"))
    if len(q):
        _display(_md(f"**隔离明细 quarantine** (first {min(max_rows, len(q))} of {len(q)}; source file and spreadsheet row):"))
        _display(q.head(max_rows))
    else:
        _display(_md("**隔离明细 quarantine**: 无 none"))
    if len(w):
        _display(_md("**警告 warnings** by table and reason:"))
        _display(w.groupby(["table", "reason"]).size().rename("rows").to_frame())


# ================================================================ scoring (when shopscore_nb.scoring exists)

# What-if fixes per notebook section (classes of shopscore_nb.scoring.whatif; defaults from the profile's ``whatif``)
WHAT_IF_FIXES = {
    "overview": ("AnswerRounds", "PickupInTime", "FasterTickets"),
    "product": (),
    "logistics": ("PickupInTime",),
    "service": ("FasterTickets", "AnswerRounds"),
    "cs": ("AnswerRounds",),
    "aftersales": ("FasterTickets",),
    "reviews": (),
}
# Inverse questions per section: (indicator whose next tier / line to reach, kind of good rows added)
INVERSE = {
    "product": (("product.negative_review_rate", "good_orders"), ("product.quality_return_rate", "good_orders"),
                ("product.avg_rating", "good_orders")),
    "logistics": (("logistics.pickup_on_time_rate", "good_orders"),),
    "service": (("service.im_3min_reply_rate", "good_rounds"),),
    "cs": (("service.im_3min_reply_rate", "good_rounds"), ("service.im_avg_response_seconds", "good_rounds")),
    "reviews": (("product.negative_review_rate", "good_orders"),),
}


def _card_row(rep: ShopReport, key: str) -> dict | None:
    card = rep.scorecard
    if card is None or getattr(card, "indicators", None) is None or card.indicators.empty:
        return None
    rows = card.indicators[card.indicators["key"] == key]
    return None if rows.empty else rows.iloc[0].to_dict()


def tier_lines(rep: ShopReport, key: str) -> list[tuple[str, float]]:
    """The cut-off of the indicator's current tier and of the next better one, labelled with their scores."""
    row = _card_row(rep, key)
    rules = getattr(rep.scorecard, "rules", None)
    cutoffs = row.get("cutoffs") if row else None
    if not row or rules is None or not isinstance(cutoffs, (list, tuple)) or not cutoffs or row.get("score") is None or pd.isna(row.get("score")):
        return []
    scores = list(rules.tier_scores)
    try:
        j = scores.index(row["score"])
    except ValueError:
        return []
    out = []
    if j >= 1:
        out.append((f"当前档 tier {_num(scores[j])}", float(cutoffs[j - 1])))
    if j < len(cutoffs):
        out.append((f"下一档 next tier {_num(scores[j + 1])}", float(cutoffs[j])))
    return out


def thresholds(rep: ShopReport, key: str) -> list[tuple[str, float]]:
    """Lines for an indicator chart: its current / next tier cut-off and the profile's 飞鸽 service lines."""
    lines = tier_lines(rep, key)
    for line in rep.ctx.profile.get("im_service_thresholds") or []:
        if line.get("metric") == key and not line.get("per"):
            lines.append((str(line.get("zh", line.get("id"))), float(line["value"])))
    return lines


def score_numbers(rep: ShopReport) -> None:
    """Print total, stage and dimension scores as plain text (golden cell of the overview)."""
    card = rep.scorecard
    if card is None:
        print("scoring: not available")
        return
    dims = " ".join(f"{k}={_num(v)}" for k, v in card.dimensions.items())
    print(f"total={_num(card.total)} stage={card.stage} display={_num(card.display)} {dims}")


def _scale_max(rep: ShopReport) -> float | None:
    rules = getattr(rep.scorecard, "rules", None)
    return float(max(rules.tier_scores)) if rules is not None and rules.tier_scores else None


def show_scorecard(rep: ShopReport) -> None:
    """Total, stage, dimension scores, per-indicator scores and every scoring step."""
    card = rep.scorecard
    top = _scale_max(rep)
    stars = f" {card.stars}" if getattr(card, "stars", None) else ""
    _display(_md(
        f"### 体验分 total: **{_num(card.total)}**{' / ' + _num(top) if top else ''}{stars} &nbsp; 阶段 stage: **{card.stage}**\n\n"
        f"- 消费者看到 shown to consumers: {_num(card.display)}; 有效订单 effective orders: {card.effective_orders}\n"
        + "- 维度 dimensions: " + ", ".join(f"{k} **{_num(v)}**" for k, v in card.dimensions.items())
    ))
    _display(plots.dimension_bars(card.dimensions, total=card.total, scale_max=top))
    cols = [c for c in ("zh", "dimension", "direction", "value", "method", "score", "weight", "effective_weight", "contribution", "cutoffs", "cutoffs_from", "note") if c in card.indicators]
    _display(_md("**指标得分 indicator scores** (cut-offs from the lowest tier to the best):"))
    _display(card.indicators.set_index("key")[cols])
    _display(_md("**计算步骤 every step** — indicator → score → dimension → total:"))
    _display(card.steps)
    for name, frame in (("扣分 deductions", getattr(card, "deductions", None)), ("加分 bonuses", getattr(card, "bonuses", None))):
        if frame is not None and len(frame):
            _display(_md(f"**{name}**"))
            _display(frame)
    if card.assumptions:
        _display(_md("**假设 assumptions** (documented defaults where the platform publishes no number):\n\n"
                     + "\n".join(f"- {md_text(a)}" for a in card.assumptions)))


def consequences_table(rep: ShopReport) -> pd.DataFrame:
    from .scoring.consequences import consequences

    c = consequences(rep.ctx, rep.results, rep.scorecard)
    cols = [x for x in ("id", "zh", "metric", "op", "threshold", "window_days", "value", "met", "side", "gap", "effect", "basis", "note") if x in c]
    return c[cols].set_index("id") if "id" in cols else c[cols]


def show_consequences(rep: ShopReport, section: str | None = None) -> None:
    """Which threshold lines (精选联盟, termination, settlement, 飞鸽 lines) the shop is above or below."""
    table = consequences_table(rep)
    if section == "cs":
        table = table[table["metric"].astype(str).str.startswith(("cs.", "service.im_"))]
    if table.empty:
        _display(_md("_本规则没有门槛线 no threshold lines in this profile._"))
        return
    unmet = table[table["met"].eq(False)]
    summary = "全部达到 all lines met" if unmet.empty else "未达到 below: " + ", ".join(md_text(z) for z in unmet["zh"])
    _display(_md(f"**{summary}**"))
    _display(table)


def show_forecast(rep: ShopReport, days: int = 30) -> None:
    """Day-by-day projection of the total as old days leave the window (two scenarios), early warnings, defects leaving."""
    if days <= 0:
        _display(_md("_预测已关闭 forecast switched off (forecast_days = 0)._"))
        return
    from .scoring.forecast import forecast

    fc = forecast(rep.ctx, rep.results, horizon=days)
    names = {"no_new_events": "无新事件 no new events", "same_pace": "保持近期节奏 same pace"}
    frame = fc.frame[fc.frame["metric"] == "total"].assign(
        as_of=lambda f: pd.to_datetime(f["as_of"]), scenario=lambda f: f["scenario"].map(names).fillna(f["scenario"]))
    lines = [(str(ln.get("zh", ln.get("id"))), float(ln["value"])) for ln in rep.ctx.profile.get("consequences") or [] if ln.get("metric") == "total"]
    _display(plots.forecast_lines(frame, x="as_of", y="value", hue="scenario", title=f"体验分预测 total score, next {days} days", thresholds=lines,
                                        y_label="体验分 total"))
    if len(fc.warnings):
        flips = fc.warnings[fc.warnings["changes_on"].notna()]
        _display(_md("**预警 early warnings**: " + ("无 — no line changes side within the horizon" if flips.empty else f"{len(flips)} line(s) change side")))
        _display(fc.warnings.set_index(["line", "scenario"]))
    if len(fc.defects):
        horizon_end = rep.ctx.as_of + pd.Timedelta(days=days)
        leaving = fc.defects[pd.to_datetime(fc.defects["drops_out_as_of"]) <= horizon_end]
        _display(_md(f"**滑出窗口的缺陷 defects leaving the window** in the next {days} days: {len(leaving)} of {len(fc.defects)} "
                     "(per indicator; the date each one stops counting):"))
        _display(leaving.groupby("indicator").agg(defects=("id", "size"), first_drop=("drops_out_as_of", "min"), last_drop=("drops_out_as_of", "max")))


def _what_if_scoring(rep: ShopReport, section: str, keys: list[str]) -> None:
    from .scoring import whatif as wi

    fixes = [getattr(wi, name)() for name in WHAT_IF_FIXES.get(section, ()) if hasattr(wi, name)]
    if fixes:
        w = wi.what_if(rep.ctx, rep.results, fixes)
        table = w.table
        keep = table["metric"].isin(keys) | table["metric"].astype(str).str.startswith(("dimension.", "total"))
        table = table[keep & (table["delta"].fillna(0).abs() > 0) | table["metric"].eq("total")]
        names = ", ".join(type(f).__name__ for f in fixes)
        _display(_md(f"**假如 what if** ({names}, the profile's `whatif` defaults: failing 飞鸽 rounds answered after "
                     f"{rep.ctx.profile.get('whatif.reply_after_seconds')} s, late orders picked up after {rep.ctx.profile.get('whatif.pickup_after_hours')} h, "
                     f"slow tickets handled in {rep.ctx.profile.get('whatif.ticket_handled_hours')} h):"))
        _display(table.set_index("metric"))
    rows = []
    for key, kind in INVERSE.get(section, ()):
        nxt = [ln for ln in tier_lines(rep, key) if ln[0].startswith("下一档")] + [
            (str(ln.get("zh")), float(ln["value"])) for ln in rep.ctx.profile.get("im_service_thresholds") or [] if ln.get("metric") == key and not ln.get("per")]
        r = rep.results.get(key)
        if r is None or r.value is None or not nxt:
            continue
        label, value = nxt[0]
        direction = _direction(rep, key)
        op = ">=" if direction == "higher" else "<="
        if (r.value >= value) if op == ">=" else (r.value <= value):
            continue
        inv = wi.least_n(rep.ctx, rep.results, wi.Target(key, op, value), kind=kind)
        rows.append({"指标": definition(key, ruleset_of(rep))["zh"], "target": f"{key} {op} {_num(value)} ({label})", "now": fmt_value(r.value, r.unit),
                     "least N": inv.n, "kind": kind, "value at N": fmt_value(inv.value_at_n, r.unit),
                     "value at N−1": fmt_value(inv.value_at_n_minus_1, r.unit), "proven": inv.proven_minimal})
    if rows:
        _display(_md("**反过来 the inverse** — 至少还要多少单好订单 / 好会话才能到下一档或门槛线 the least number of additional "
                     "faultless orders / answered sessions that reaches the next tier or line (N and N − 1 both evaluated):"))
        _display(pd.DataFrame(rows))


def show_what_if(rep: ShopReport, section: str) -> None:
    """What-if for a notebook section: the profile's fixes recomputed through every indicator, score and
    the total, plus the least good orders/rounds to reach the next tier."""
    _what_if_scoring(rep, section, section_keys(rep, section))


def drilldown_summary(rep: ShopReport, keys: list[str]) -> pd.DataFrame:
    """Per indicator: rows that cost it and how far fixing all of them would move it."""
    rows = []
    for key in keys:
        r = rep.results.get(key)
        if r is None:
            continue
        t = drilldown(rep, key, top_n=10**9)
        e = definition(key, ruleset_of(rep))
        rows.append({"指标": e["zh"], "key": key, "value": fmt_value(r.value, r.unit), "rows costing it": len(t),
                     "value if all fixed": fmt_value(_improved(rep, key, t["impact"].sum()), r.unit) if len(t) else "—"})
    return pd.DataFrame(rows).set_index("key") if rows else pd.DataFrame()


# ================================================================ training: tiny shops
def _frame_from(table: str, rows) -> pd.DataFrame:
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    mapping = resolve_header(table, [str(c) for c in frame.columns])
    unknown = [c for c in frame.columns if c not in mapping]
    if unknown:
        raise ValueError(f"{table}: unknown column(s) {unknown}; see reference/columns.yaml for the accepted headers")
    frame = frame.rename(columns=mapping)
    missing = [c for c in TABLES[table].required if c not in frame]
    if missing:
        raise ValueError(f"{table}: required column(s) {missing} missing")
    text = frame.astype(object).where(frame.notna(), "").map(lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, pd.Timestamp) else str(v))
    text["_source_file"] = f"{table} (notebook)"
    text["_source_row"] = np.arange(2, len(text) + 2)
    return text


def tiny_shop(shop_id: str = "tiny", config: dict | None = None, now=None, **tables) -> ShopData:
    """A :class:`ShopData` from a few hand-written rows per table, through the real parsing and validation.

    Values are written as in an export (``"2026-03-02 10:00:00"``, ``"仅退款"``, ``"买家"``); Chinese
    or English headers are accepted. ``tiny_shop(orders=df1, shipments=df2)``.
    """
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; tables: {', '.join(TABLES)}")
    raw, problems, files = {}, [], []
    for name, rows in tables.items():
        frame = _frame_from(name, rows)
        typed, probs = parse_table(name, frame)
        raw[name] = typed
        files.append({"file": f"{name} (notebook)", "table": name, "rows": len(frame)})
        if len(probs):
            problems.append(probs.assign(table=name))
    problem_frame = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=["table", "row", "column", "raw"])
    clean, quarantine, warnings = validate_tables(raw, problem_frame, now=pd.Timestamp(now) if now is not None else pd.Timestamp("2100-01-01"))
    return ShopData(shop_id, clean, quarantine, warnings, files, [], config or {})


def tiny_result(shop: ShopData, key: str, as_of: str, window_days: int | None = None, profile: str = "douyin_2022") -> IndicatorResult:
    """One indicator of a tiny shop at ``as_of`` with a short window."""
    return compute(key, Context.build(shop, as_of=as_of, profile=profile, window_days=window_days))


def tiny_explain(key: str, as_of: str, window_days: int, profile: str = "douyin_2022") -> None:
    """The bilingual definition of ``key`` with the window of a tiny example."""
    empty = ShopData("tiny", {}, pd.DataFrame(), pd.DataFrame())
    explain(Context.build(empty, as_of=as_of, profile=profile, window_days=window_days), key)


def check(result: IndicatorResult, expected: float, by_hand: str = "") -> None:
    """Print the package's value next to the hand calculation; raise if they disagree."""
    got = result.value
    ok = got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    unit = result.unit
    print(f"{result.key}: package = {_num(got)} ({fmt_value(got, unit)}), numerator={_num(result.numerator)}, "
          f"denominator={_num(result.denominator)}; by hand = {_num(expected)}{(' = ' + by_hand) if by_hand else ''} -> "
          + ("agrees ✓" if ok else "DIFFERS ✗"))
    if not ok:
        raise AssertionError(f"{result.key}: package gives {got}, the hand calculation {expected}")


def rows_of(result: IndicatorResult, columns: list[str] | None = None) -> pd.DataFrame:
    """The detail rows of a tiny example with their pass/fail and reason (for the reader to compare)."""
    d = _detail_frame(result)
    if d.empty:
        return d
    cols = [c for c in (columns or d.columns) if c in d and not str(c).startswith("_") and c not in HIDDEN_COLUMNS]
    return d[cols]


# ================================================================ HTML for managers
def to_html(ipynb_path, html_path) -> Path:
    """Export an executed notebook to a single HTML file with the code hidden (outputs and narrative only),
    exactly as the batch does (:func:`shopscore_nb.batch.render.to_html`)."""
    import nbformat

    from .batch.render import to_html as export

    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    export(nbformat.read(str(ipynb_path), as_version=4), html_path)
    return html_path
