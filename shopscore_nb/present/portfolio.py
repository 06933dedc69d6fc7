"""The portfolio page (``index.html``): one row per shop with its numbers and links to its reports, failed
shops and skipped folders listed; sortable in the browser with no external script. Everything from data or
folder names is escaped; links are URL-encoded.

>>> index_html(summary_frame(records, metrics), records)    # doctest: +SKIP
"""
from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

import pandas as pd

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
