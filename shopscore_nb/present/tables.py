"""Tables for the reader: indicators, the rows that cost an indicator (drill-down), consequences, data
quality and the 飞鸽 dashboard tables. Buyer identifiers and free text are never shown.

>>> drilldown(rep, "product.negative_review_rate", top_n=10)    # doctest: +SKIP
"""
from __future__ import annotations

import pandas as pd

from ..metrics import im_dashboard
from ..metrics.daily import detail_frame
from ..privacy import PII_COLUMNS
from ..report import ShopReport
from ..scoring.consequences import consequences
from ..scoring.drilldown import drilldown_for
from .display import md, show
from .formatting import fmt_value, num
from .text import definition, direction, ruleset_of

HIDDEN_COLUMNS = PII_COLUMNS | {"content"}  # buyer identifiers and free text never shown in notebook tables
UNASSIGNED = im_dashboard.UNASSIGNED


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
            "分子 numerator": num(r.numerator) if r.numerator is not None else "", "分母 denominator": num(r.denominator) if r.denominator is not None else "",
            "得分 score": r.score, "备注 note": r.reason or "",
        })
    return pd.DataFrame(rows).set_index("key")


def _improved(rep: ShopReport, key: str, moved_by: float) -> float | None:
    """The value after an improvement of ``|moved_by|`` in the indicator's good direction."""
    value = rep.results[key].value
    if value is None:
        return None
    return value - abs(moved_by) if direction(rep, key) == "lower" else value + abs(moved_by)


def drilldown(rep: ShopReport, key: str, top_n: int = 20) -> pd.DataFrame:
    """The rows that cost the indicator, worst first, with ``impact`` and ``share_of_loss`` against its
    best tier (:func:`shopscore_nb.scoring.drilldown.drilldown_for`). Counts have no drill-down; buyer
    PII columns are dropped."""
    r = rep.results[key]
    d = detail_frame(r)
    entry = definition(key, ruleset_of(rep))
    spec = entry.get("trend") or {}
    kind = spec.get("kind", "rate")
    if d.empty or r.value is None or kind in ("count", "sum"):
        return pd.DataFrame()
    return _scoring_drilldown(rep, key, entry, top_n)


def _scoring_drilldown(rep: ShopReport, key: str, entry: dict, top_n: int) -> pd.DataFrame:
    """``shopscore_nb.scoring.drilldown.drilldown_for``: failing rows against the best tier, with impact and share of loss."""
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
            show(md(f"**{entry['zh']}** · {entry['name_en']}: 无需明细 nothing to drill into"))
            continue
        fix_all = table["impact"].sum()
        show(md(
            f"**{entry['zh']}** · {entry['name_en']}: {len(table)} 行拉低指标 rows cost it; "
            f"全部修正后 fixing all of them moves it by {fmt_value(abs(fix_all), r.unit)}. 显示前 showing the first {min(top_n, len(table))}:"
        ))
        show(table.head(top_n))


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


def consequences_table(rep: ShopReport) -> pd.DataFrame:
    c = consequences(rep.ctx, rep.results, rep.scorecard)
    cols = [x for x in ("id", "zh", "metric", "op", "threshold", "window_days", "value", "met", "side", "gap", "effect", "basis", "note") if x in c]
    return c[cols].set_index("id") if "id" in cols else c[cols]


def data_quality(rep: ShopReport, max_rows: int = 50) -> None:
    """Rows read / kept / quarantined per table, the quarantine table and the warnings by reason."""
    shop = rep.shop
    q, w = shop.quarantine, shop.warnings
    show(md(f"**读取与隔离 rows read, kept and quarantined** — 隔离 quarantined {len(q)}, 警告 warnings {len(w)} "
                 "(quarantined rows are left out of every indicator; warned rows are kept)"))
    show(shop.quality_summary().set_index("table"))
    if len(q):
        show(md(f"**隔离明细 quarantine** (first {min(max_rows, len(q))} of {len(q)}; source file and spreadsheet row):"))
        show(q.head(max_rows))
    else:
        show(md("**隔离明细 quarantine**: 无 none"))
    if len(w):
        show(md("**警告 warnings** by table and reason:"))
        show(w.groupby(["table", "reason"]).size().rename("rows").to_frame())


# ---------------------------------------------------------------- 飞鸽 dashboard (computed in metrics.im_dashboard)
def counted_rounds(rep: ShopReport) -> pd.DataFrame:
    """The rounds the 3-minute rates count."""
    return im_dashboard.counted_rounds(rep.ctx)


def agent_table(rep: ShopReport) -> pd.DataFrame:
    """Per agent: rounds, 3-minute rate, waits, unanswered rounds, sessions and failing sessions."""
    return im_dashboard.agent_table(rep.ctx, rep.results)


def hour_weekday(rep: ShopReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(3-minute rate, round volume) hour of day × weekday, columns labelled 周一 … 周日."""
    from .. import plots

    rate, volume = im_dashboard.hour_weekday(rep.ctx)
    rate.columns = volume.columns = plots.weekday_labels(list(rate.columns))
    return rate, volume


def failing_sessions(rep: ShopReport, top_n: int | None = None) -> pd.DataFrame:
    """Failing sessions of the session-level 3-minute rate with every counted round, worst first."""
    return im_dashboard.failing_sessions(rep.ctx, rep.results, top_n)
