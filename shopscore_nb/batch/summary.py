"""The portfolio summary: ``summary.csv`` (one row per shop) and a sortable ``index.html``.

Numbers come from one metrics pass over every shop (the same code as ``shopscore metrics``),
not from reading rendered notebooks back.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..escaping import spreadsheet_frame
from ..loading import LoadError
from ..paths import atomic_write_text
from ..present.portfolio import index_html
from ..report import build_report
from ..store import open_shop


def shop_metrics(data_root, shop_id: str, as_of, profile, window_days, cache_dir, alert_below=None, refresh=False) -> dict:
    """One shop's summary row source: {"report": SPEC §8 JSON, "alert": below the alert line?, "error": …}.

    The alert line is ``--alert-below`` on the total when given, else the profile's consequence line
    named by ``portfolio.alert_line`` (精选联盟 admission in both shipped profiles)."""
    try:
        shop = open_shop(data_root, shop_id, cache_dir, refresh=refresh)
        rep = build_report(shop, as_of=as_of, profile=profile, window_days=window_days)
    except LoadError as exc:
        return {"report": None, "alert": True, "alert_line": None, "error": str(exc)}
    j = rep.to_json()
    if alert_below is not None:
        alert, line = j["total"] is not None and j["total"] < float(alert_below), f"total < {alert_below}"
    else:
        alert, line = _below_profile_line(rep)
    return {"report": j, "alert": bool(alert), "alert_line": line, "error": ""}


def _below_profile_line(rep) -> tuple[bool, str | None]:
    from ..scoring.consequences import evaluate_line

    line_id = rep.ctx.profile.get("portfolio.alert_line")
    line = next((x for x in rep.ctx.profile.get("consequences", []) if x.get("id") == line_id), None)
    if line is None:
        return False, None
    verdict = evaluate_line(rep.ctx, rep.results, rep.scorecard, line, "consequences")
    return verdict["met"] is False, f"{line.get('zh', line_id)}: {line['metric']} {line['op']} {line['value']}"


def summary_frame(records: list[dict], metrics: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for rec in records:
        m = metrics.get(rec["shop_id"], {})
        j = m.get("report") or {}
        row = {
            "shop_id": rec["shop_id"],
            "folder": rec["folder"],
            "status": rec["status"],
            "alert": m.get("alert", False),
            "alert_line": m.get("alert_line"),
            "total": j.get("total"),
            "stage": j.get("stage"),
            "as_of": j.get("as_of"),
            "profile": j.get("profile"),
        }
        row.update({f"dim.{k}": v for k, v in (j.get("dimensions") or {}).items()})
        row.update({k: v["value"] for k, v in (j.get("indicators") or {}).items()})
        row["render_seconds"] = rec.get("seconds")
        row["error"] = rec.get("error") or m.get("error", "")
        row["failed_cell"] = rec.get("cell")
        rows.append(row)
    return pd.DataFrame(rows)




def write_summary(out: Path, records: list[dict], metrics: dict[str, dict], skipped: list[dict] | None = None) -> pd.DataFrame:
    frame = summary_frame(records, metrics)
    # utf-8-sig: Excel opens the Chinese; text cells that would start a formula are neutralised (SPEC §9)
    atomic_write_text(out / "summary.csv", "\ufeff" + spreadsheet_frame(frame).to_csv(index=False))
    atomic_write_text(out / "index.html", index_html(frame, records, skipped))
    return frame


__all__ = ["shop_metrics", "summary_frame", "write_summary"]
