"""The portfolio summary: ``summary.csv`` (one row per shop) and a sortable ``index.html``.

Numbers come from one metrics pass over every shop (the same code as ``shopscore metrics``),
not from reading rendered notebooks back.
"""
from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from ..escaping import spreadsheet_frame
from ..loading import LoadError
from ..paths import atomic_write_text
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




_SORT_JS = """
<script>
document.querySelectorAll('th').forEach((th, i) => th.addEventListener('click', () => {
  const body = th.closest('table').tBodies[0];
  const asc = th.dataset.asc !== '1'; th.dataset.asc = asc ? '1' : '0';
  const key = r => { const t = r.cells[i].dataset.v ?? r.cells[i].innerText; const n = parseFloat(t); return isNaN(n) ? t : n; };
  [...body.rows].sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (asc ? 1 : -1)).forEach(r => body.appendChild(r));
}));
</script>"""


def _cell(value) -> str:
    if isinstance(value, float):
        return f'<td data-v="{value}">{value:.4g}</td>' if pd.notna(value) else "<td></td>"
    return f"<td>{html.escape('' if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))}</td>"


def _href(*parts: str) -> str:
    """A relative link to ``parts``: URL-encoded (a ``#`` or ``?`` in a shop id stays part of the path), then HTML-escaped."""
    return html.escape("/".join(quote(p, safe="") for p in parts), quote=True)


def _links(rec: dict) -> str:
    fresh = " ".join(
        f'<a href="{_href(rec["folder"], Path(n["output"]).with_suffix(".html").name)}">{html.escape(n["notebook"])}</a>'
        for n in rec["notebooks"] if n.get("output") and n["status"] in ("ok", "skipped")
    )
    stale = " ".join(
        f'<a class="stale" title="旧报告：本次未能重新生成 — an older report; this run could not render it" '
        f'href="{_href(rec["folder"], Path(n["output"]).with_suffix(".html").name)}">{html.escape(n["notebook"])} (旧 stale)</a>'
        for n in rec.get("stale", [])
    )
    return " ".join(x for x in (fresh, stale) if x)


def index_html(frame: pd.DataFrame, records: list[dict], skipped: list[dict] | None = None) -> str:
    cols = ["shop_id", "status", "alert", "total", "stage"] + [c for c in frame.columns if c.startswith("dim.")] + ["render_seconds", "error"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["reports", *cols])
    body = []
    links = {r["shop_id"]: r for r in records}
    for _, row in frame.iterrows():
        rec = links[row["shop_id"]]
        anchors = _links(rec)
        style = ' class="alert"' if row["alert"] or row["status"] != "ok" else ""
        body.append(f"<tr{style}><td>{anchors}</td>" + "".join(_cell(row[c]) for c in cols) + "</tr>")
    failures = "".join(
        f"<li><b>{html.escape(r['shop_id'])}</b>: {html.escape(r['error'])}" + (f" (cell {r['cell']})" if r.get("cell") is not None else "") + "</li>"
        for r in records if r["status"] != "ok"
    )
    skipped_items = "".join(f"<li>{html.escape(f['reason'])}</li>" for f in skipped or [])
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>shopscore portfolio</title><style>"
        "body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px}"
        "th{cursor:pointer;background:#eee}tr.alert{background:#fde2e1}a.stale{color:#888;font-style:italic}</style></head><body>"
        f"<h1>商家体验分 portfolio ({len(frame)} shops)</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        + (f"<h2>Failures</h2><ul>{failures}</ul>" if failures else "")
        + (f"<h2>跳过的文件夹 folders skipped</h2><ul>{skipped_items}</ul>" if skipped_items else "")
        + _SORT_JS + "</body></html>"
    )


def write_summary(out: Path, records: list[dict], metrics: dict[str, dict], skipped: list[dict] | None = None) -> pd.DataFrame:
    frame = summary_frame(records, metrics)
    # utf-8-sig: Excel opens the Chinese; text cells that would start a formula are neutralised (SPEC §9)
    atomic_write_text(out / "summary.csv", "\ufeff" + spreadsheet_frame(frame).to_csv(index=False))
    atomic_write_text(out / "index.html", index_html(frame, records, skipped))
    return frame


__all__ = ["shop_metrics", "summary_frame", "write_summary"]
