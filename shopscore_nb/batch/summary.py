"""The portfolio summary: ``summary.csv`` (one row per shop) and a sortable ``index.html``.

Numbers come from one metrics pass over every shop (the same code as ``shopscore metrics``),
not from reading rendered notebooks back.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..escaping import spreadsheet_frame, write_xlsx
from ..loading import LoadError
from ..paths import atomic_write_text
from ..present.portfolio import index_html
from ..report import build_report
from ..store import open_shop


def shop_metrics(data_root, shop_id: str, as_of, profile, window_days, cache_dir, alert_below=None, refresh=False,
                 dates=None, warn_days: int | None = None) -> dict:
    """One shop's summary row source: {"report": SPEC §8 JSON, "alert": below the alert line?, "error": …, "name": shop.yaml
    name, "series": the reports of ``dates`` before ``as_of`` (a backfill), "warnings": the forecast's early warnings}.

    The shop is loaded once (through the parse cache) for every date. The alert line is ``--alert-below`` on the total
    when given, else the profile's consequence line named by ``portfolio.alert_line`` (精选联盟 admission in both
    shipped profiles). ``warn_days``: forecast the next ``warn_days`` days and list the lines met today that will be
    crossed (``None``: no forecast)."""
    try:
        shop = open_shop(data_root, shop_id, cache_dir, refresh=refresh)
        name = (shop.config or {}).get("name")
        series = [build_report(shop, as_of=d, profile=profile, window_days=window_days).to_json() for d in dates or [] if d != as_of]
        rep = build_report(shop, as_of=as_of, profile=profile, window_days=window_days)
    except LoadError as exc:
        return {"report": None, "alert": True, "alert_line": None, "error": str(exc), "name": None, "series": [], "warnings": []}
    j = rep.to_json()
    if alert_below is not None:
        alert, line = j["total"] is not None and j["total"] < float(alert_below), f"total < {alert_below}"
    else:
        alert, line = _below_profile_line(rep)
    warnings = early_warnings(rep, warn_days) if warn_days else []
    return {"report": j, "alert": bool(alert), "alert_line": line, "error": "", "name": None if name is None else str(name),
            "series": series, "warnings": warnings}


def early_warnings(rep, days: int) -> list[dict]:
    """Lines met today that the forecast sees crossed within ``days`` days (the earliest over both scenarios)."""
    from ..scoring.forecast import forecast

    try:
        fc = forecast(rep.ctx, rep.results, horizon=int(days))
    except Exception as exc:  # a forecast that cannot run must not cost the shop its summary
        return [{"key": None, "error": f"forecast failed: {type(exc).__name__}: {exc}"}]
    w = fc.warnings
    if w.empty:
        return []
    w = w[(w["met_today"] == True) & w["changes_on"].notna()]  # noqa: E712 (None-able column)
    out = {}
    for r in w.sort_values("changes_on").to_dict("records"):
        if r["line"] in out:
            continue
        when = pd.Timestamp(r["changes_on"])
        out[r["line"]] = {
            "key": r["line"], "name": r["zh"], "metric": r["metric"], "op": r["op"], "threshold": float(r["threshold"]),
            "today": None if pd.isna(r["today"]) else round(float(r["today"]), 6), "changes_on": when.strftime("%Y-%m-%d"),
            "in_days": int((when - rep.ctx.as_of).days), "value_then": None if pd.isna(r["value_then"]) else round(float(r["value_then"]), 6),
            "scenario": r["scenario"],
        }
    return list(out.values())


def _below_profile_line(rep) -> tuple[bool, str | None]:
    from ..scoring.consequences import evaluate_line

    line_id = rep.ctx.profile.get("portfolio.alert_line")
    line = next((x for x in rep.ctx.profile.get("consequences", []) if x.get("id") == line_id), None)
    if line is None:
        return False, None
    verdict = evaluate_line(rep.ctx, rep.results, rep.scorecard, line, "consequences")
    return verdict["met"] is False, f"{line.get('zh', line_id)}: {line['metric']} {line['op']} {line['value']}"


def _missed(lines: list[dict]) -> list[dict]:
    """Lines not met: the consequence lines (精选联盟, clearance, … on the score) before the 飞鸽 service thresholds,
    each the largest relative shortfall (|gap| / |threshold|) first."""
    out = [dict(ln, shortfall=_shortfall(ln)) for ln in lines or [] if ln.get("met") is False]
    return sorted(out, key=lambda ln: (ln.get("group") == "im_service_thresholds", -ln["shortfall"]))


def _shortfall(line: dict) -> float:
    gap, threshold = line.get("gap"), line.get("threshold") or 0.0
    if gap is None:
        return 0.0
    return abs(float(gap)) / (abs(float(threshold)) or 1.0)


def _change(now, then) -> float | None:
    if now is None or then is None or then.get("total") is None:
        return None
    return round(float(now) - float(then["total"]), 6)


def portfolio_rows(records: list[dict], metrics: dict[str, dict], history=None, spark_days: int = 30) -> list[dict]:
    """One row per shop for the portfolio page and the spreadsheets, sorted by risk: failed shops first, then shops
    missing a line (largest relative shortfall first), then the rest by total (lowest first)."""
    rows = []
    for rec in records:
        m = metrics.get(rec["shop_id"], {})
        j = m.get("report") or {}
        total, as_of, profile = j.get("total"), j.get("as_of"), j.get("profile")
        prev = week = None
        spark: list[tuple[str, float]] = []
        if history is not None and as_of:
            prev = history.previous(rec["shop_id"], profile, as_of)
            week = history.week_before(rec["shop_id"], profile, as_of)
            since = (pd.Timestamp(as_of) - pd.Timedelta(days=spark_days - 1)).strftime("%Y-%m-%d")
            spark = [(r["as_of"], r["total"]) for r in history.series(rec["shop_id"], profile, since=since, until=as_of) if r["total"] is not None]
        missed = _missed(j.get("lines") or [])
        drag = [d for d in j.get("drag") or [] if (d.get("points_lost") or 0) > 0]
        failed = rec["status"] != "ok" or bool(m.get("error"))
        rows.append({
            "shop_id": rec["shop_id"], "name": m.get("name"), "folder": rec["folder"], "status": "failed" if failed else "ok",
            "error": rec.get("error") or m.get("error", ""), "cell": rec.get("cell"), "alert": bool(m.get("alert", False)),
            "alert_line": m.get("alert_line"), "total": total, "stage": j.get("stage"), "as_of": as_of, "profile": profile,
            "change_prev": _change(total, prev), "prev_as_of": prev and prev["as_of"], "prev_lines": prev and prev["lines"],
            "change_7d": _change(total, week), "week_as_of": week and week["as_of"], "spark": spark,
            "missed": missed, "costs_most": drag[0] if drag else None, "dimensions": j.get("dimensions") or {},
            "indicators": {k: v.get("value") for k, v in (j.get("indicators") or {}).items()},
            "record": rec, "warnings": [w for w in m.get("warnings") or [] if w.get("key")],
        })
    rows.sort(key=risk_key)
    return rows


def risk_key(row: dict) -> tuple:
    """Failed shops first; then shops missing a consequence line (largest relative shortfall first), then shops missing
    only service thresholds (likewise); then the rest; ties by the total, lowest first."""
    failed = row["status"] != "ok"
    worst = row["missed"][0] if row["missed"] else None
    service_only = worst is not None and worst.get("group") == "im_service_thresholds"
    total = row["total"] if row["total"] is not None else float("inf")
    return (0 if failed else 1 if row["missed"] else 2, service_only, -(worst["shortfall"] if worst else 0.0), total, str(row["shop_id"]))


def _sig(x, digits: int = 6):
    """A float with at most ``digits`` significant digits (no 17-digit floats in a spreadsheet)."""
    if x is None or isinstance(x, bool) or not isinstance(x, (int, float)) or pd.isna(x):
        return x
    return float(f"{float(x):.{digits}g}")


def _line_text(ln: dict) -> str:
    return f"{ln['name']} {_sig(ln.get('value'))} / {_sig(ln.get('threshold'))} (gap {_sig(ln.get('gap')):+g}, {ln.get('window_days')}d)" \
        if ln.get("gap") is not None else f"{ln['name']} (no value)"


def summary_frame(records: list[dict], metrics: dict[str, dict], rows: list[dict] | None = None) -> pd.DataFrame:
    """What managers open in a spreadsheet: one row per shop in risk order, every number rounded (timings stay in batch.json)."""
    rows = rows if rows is not None else portfolio_rows(records, metrics)
    out = []
    for r in rows:
        row = {
            "shop_id": r["shop_id"], "name": r["name"], "folder": r["folder"], "status": r["status"], "alert": r["alert"],
            "alert_line": r["alert_line"], "total": _sig(r["total"]), "change_prev": _sig(r["change_prev"]), "prev_as_of": r["prev_as_of"],
            "change_7d": _sig(r["change_7d"]), "lines_missed": "; ".join(_line_text(ln) for ln in r["missed"]),
            "costs_most": (f"{r['costs_most']['name']} ({r['costs_most']['key']}) −{_sig(r['costs_most']['points_lost'])}"
                           if r["costs_most"] else ""),
            "stage": r["stage"], "as_of": r["as_of"], "profile": r["profile"],
        }
        row.update({f"dim.{k}": _sig(v) for k, v in r["dimensions"].items()})
        row.update({k: _sig(v) for k, v in r["indicators"].items()})
        row["error"] = r["error"]
        row["failed_cell"] = r["cell"]
        out.append(row)
    return pd.DataFrame(out)


def write_summary(out: Path, records: list[dict], metrics: dict[str, dict], skipped: list[dict] | None = None, history=None,
                  alerts: dict | None = None, rows: list[dict] | None = None) -> pd.DataFrame:
    rows = rows if rows is not None else portfolio_rows(records, metrics, history)
    frame = summary_frame(records, metrics, rows)
    # utf-8-sig: Excel opens the Chinese; text cells that would start a formula are neutralised (SPEC §9)
    atomic_write_text(out / "summary.csv", "\ufeff" + spreadsheet_frame(frame).to_csv(index=False))
    _write_xlsx(frame, out / "summary.xlsx")
    atomic_write_text(out / "index.html", index_html(frame, records, skipped, rows=rows, alerts=alerts))
    return frame


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """``summary.xlsx`` beside the CSV, written to a temporary name first (atomic like every output)."""
    tmp = path.with_name(f".{path.stem}.tmp.xlsx")
    write_xlsx({"summary": frame}, tmp)
    tmp.replace(path)


__all__ = ["early_warnings", "portfolio_rows", "risk_key", "shop_metrics", "summary_frame", "write_summary"]
