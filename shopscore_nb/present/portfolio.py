"""The portfolio page (``index.html``): what a manager reads first each morning.

The header gives the as-of date and profile and a digest (which shops got worse since the previous run,
which miss a line and by how much, which failed). One row per shop, sorted by risk (failed shops first
with their failing cell, then shops missing a line, largest shortfall first): name and id, total with
its change since the previous as-of and since 7 days before (sign and arrow, never colour alone), a
30-day sparkline, the missed lines as chips (value / threshold, signed gap, the line's window), the
indicator that costs most, compact links to its reports. Sortable and filterable in the browser by an
inline script (no external script, nothing fetched); the charts are inline SVG.

Everything from data or folder names is escaped; links are URL-encoded; the script reads the table, no
data is ever placed inside it.

>>> index_html(summary_frame(records, metrics, rows), records, rows=rows)    # doctest: +SKIP
"""
from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

import pandas as pd

# Short labels of the kit's notebooks for the compact links (the full name is the link's title).
CHIPS_SHOWN = 3
NOTEBOOK_LABELS = {"00": "总览", "01": "商品", "02": "物流", "03": "服务", "04": "客服", "05": "售后", "06": "评价", "07": "对账", "10": "培训"}

_SCRIPT = """
<script>
(function () {
  const table = document.getElementById('shops');
  const body = table.tBodies[0];
  table.querySelectorAll('th[data-sort]').forEach((th, i) => th.addEventListener('click', () => {
    const asc = th.dataset.asc !== '1';
    table.querySelectorAll('th').forEach(h => { delete h.dataset.asc; h.classList.remove('asc', 'desc'); });
    th.dataset.asc = asc ? '1' : '0'; th.classList.add(asc ? 'asc' : 'desc');
    const col = th.cellIndex;
    const key = r => { const c = r.cells[col]; const t = c.dataset.v ?? c.innerText; const n = parseFloat(t);
                       return t === '' ? null : isNaN(n) ? t.toLowerCase() : n; };
    [...body.rows].sort((a, b) => { const x = key(a), y = key(b);
      if (x === y) return 0; if (x === null) return 1; if (y === null) return -1;
      return (x > y ? 1 : -1) * (asc ? 1 : -1); }).forEach(r => body.appendChild(r));
  }));
  const box = document.getElementById('filter'), risky = document.getElementById('risky'), count = document.getElementById('shown');
  function apply() {
    const q = box.value.trim().toLowerCase(); let n = 0;
    [...body.rows].forEach(r => { const ok = (!q || r.innerText.toLowerCase().includes(q)) && (!risky.checked || r.dataset.risk !== '2');
                                  r.hidden = !ok; n += ok ? 1 : 0; });
    count.textContent = n;
  }
  box.addEventListener('input', apply); risky.addEventListener('change', apply);
})();
</script>"""

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:12px 18px;color:#222;font-size:14px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}
.meta{color:#444;margin-bottom:8px}.meta b{color:#000}
.top{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap;margin-bottom:8px}
.digest{flex:1 1 520px;border:1px solid #ccc;border-radius:6px;padding:6px 10px;background:#fafafa}
.digest p{margin:3px 0}.charts{display:flex;gap:12px}.charts figure{margin:0}.charts figcaption{font-size:12px;color:#444}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eee;position:sticky;top:0}th[data-sort]{cursor:pointer}th.asc::after{content:" ▲"}th.desc::after{content:" ▼"}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.alert{background:#fff3f2}tr.failed{background:#fde2e1}
.id{color:#666;font-size:12px}.down{color:#b00020}.up{color:#0a6b2d}.flat{color:#555}
.chip{display:inline-block;border:1px solid #d88;background:#fff;border-radius:10px;padding:0 7px;margin:1px 2px;font-size:12px;white-space:nowrap}
.chip.svc{border-color:#c9a227}.chip small{color:#666}.warn{color:#8a5a00;font-size:12px}
.links a{margin-right:5px;font-size:12px}td.err{max-width:230px;word-break:break-word}details summary{cursor:pointer}a.stale{color:#888;font-style:italic}.err{color:#b00020}
.tools{margin:6px 0}.tools input[type=search]{width:280px;padding:3px}.legend{color:#555;font-size:12px}
"""


def _esc(value) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value), quote=True)


def _href(*parts: str) -> str:
    """A relative link to ``parts``: URL-encoded (a ``#`` or ``?`` in a shop id stays part of the path), then HTML-escaped."""
    return html.escape("/".join(quote(p, safe="") for p in parts), quote=True)


def _cell(value) -> str:
    if isinstance(value, float):
        return f'<td data-v="{value}">{value:.4g}</td>' if pd.notna(value) else "<td></td>"
    return f"<td>{_esc(value)}</td>"


def _decimals(total) -> int:
    """2 decimals on the seed era's 3.0–5.0 scale, none on 2026's 50–100 (the profiles' own rounding)."""
    return 2 if total is not None and abs(float(total)) <= 5.0 else 0


def signed(x, decimals: int = 2) -> str:
    """``+0.05`` / ``−0.10`` / ``0.00`` with a real minus sign."""
    if x is None:
        return ""
    text = f"{abs(x):.{decimals}f}"
    if float(text) == 0:
        return text
    return ("+" if x > 0 else "−") + text


def _change_cell(change, ref_as_of, total) -> str:
    if change is None:
        return '<td class="num" data-v="" title="no earlier result in the history">–</td>'
    d = _decimals(total)
    shown = round(change, d)
    arrow, cls = ("↓", "down") if shown < 0 else ("↑", "up") if shown > 0 else ("→", "flat")
    return (f'<td class="num {cls}" data-v="{change}" title="since {_esc(ref_as_of)}">'
            f'{arrow} {signed(change, d)}</td>')


def _fmt_value(value, line: dict) -> str:
    if value is None:
        return "–"
    metric = str(line.get("metric") or "")
    if metric.startswith(("total", "display", "dimension.", "score.")):
        return f"{value:.{_decimals(value)}f}"
    if metric.endswith(("seconds", "_avg_response_seconds")):
        return f"{value:.0f}s"
    if metric.endswith("hours") or "hours" in metric:
        return f"{value:.1f}h"
    if abs(float(line.get("threshold") or 0)) <= 1:
        return f"{value * 100:.1f}%"
    return f"{value:.4g}"


def _fmt_gap(gap, line: dict) -> str:
    if gap is None:
        return ""
    metric = str(line.get("metric") or "")
    if metric.startswith(("total", "display", "dimension.", "score.")):
        return signed(gap, _decimals(line.get("threshold")))
    if metric.endswith("seconds"):
        return signed(gap, 0) + "s"
    if "hours" in metric:
        return signed(gap, 1) + "h"
    if abs(float(line.get("threshold") or 0)) <= 1:
        return signed(gap * 100, 1) + "pt"
    return signed(gap, 2)


def _chip(line: dict) -> str:
    svc = " svc" if line.get("group") == "im_service_thresholds" or str(line.get("key", "")).startswith("im_") else ""
    title = f"{line.get('name')}: {line.get('metric', '')} {line.get('op', '')} {line.get('threshold')}; value {line.get('value')}; window {line.get('window_days')} days"
    return (f'<span class="chip{svc}" title="{_esc(title)}">{_esc(line.get("name"))} '
            f'<b>{_esc(_fmt_value(line.get("value"), line))}</b>/{_esc(_fmt_value(line.get("threshold"), line))} '
            f'<b>{_esc(_fmt_gap(line.get("gap"), line))}</b> <small>近{_esc(line.get("window_days"))}天</small></span>')


def _spark(points: list[tuple[str, float]], width: int = 96, height: int = 26) -> str:
    if len(points) < 2:
        return '<span class="id">' + (f"{_esc(points[0][0])} only" if points else "no history") + "</span>"
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    days = [pd.Timestamp(d) for d, _ in points]
    first, last = days[0], days[-1]
    extent = max((last - first).days, 1)
    xy = [(2 + (width - 4) * (d - first).days / extent, height - 3 - (height - 6) * (v - lo) / span) for d, v in zip(days, values, strict=True)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dec = _decimals(hi)
    label = f"{points[0][0]} {values[0]:.{dec}f} → {points[-1][0]} {values[-1]:.{dec}f} (min {lo:.{dec}f}, max {hi:.{dec}f})"
    x, y = xy[-1]
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="{_esc(label)}"><title>{_esc(label)}</title>'
            f'<polyline points="{path}" fill="none" stroke="#3465a4" stroke-width="1.5"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="#3465a4"/></svg>')


def _label(notebook: str) -> str:
    return NOTEBOOK_LABELS.get(notebook[:2], notebook) if notebook[:2].isdigit() else notebook


def _links(rec: dict) -> str:
    fresh = " ".join(
        f'<a title="{_esc(n["notebook"])}" href="{_href(rec["folder"], Path(n["output"]).with_suffix(".html").name)}">{_esc(_label(n["notebook"]))}</a>'
        for n in rec["notebooks"] if n.get("output") and n["status"] in ("ok", "skipped", "kept")
    )
    stale = " ".join(
        f'<a class="stale" title="旧报告：本次未能重新生成 — an older report; this run could not render it" '
        f'href="{_href(rec["folder"], Path(n["output"]).with_suffix(".html").name)}">{_esc(n["notebook"])} (旧 stale)</a>'
        for n in rec.get("stale", [])
    )
    return " ".join(x for x in (fresh, stale) if x)


def _status(row: dict) -> str:
    if row["status"] == "ok":
        return "<td>ok</td>"
    cell = f" (cell {row['cell']})" if row.get("cell") is not None else ""
    error = str(row["error"] or "")
    short = error if len(error) <= 90 else error[:89] + "…"
    return f'<td class="err" title="{_esc(error)}"><b>失败 FAILED</b>{_esc(cell)}<br><small>{_esc(short)}</small></td>'


def _row(row: dict) -> str:
    risk = 0 if row["status"] != "ok" else 1 if row["missed"] else 2
    cls = "failed" if risk == 0 else "alert" if (row["alert"] or risk == 1) else ""
    total = row["total"]
    total_cell = (f'<td class="num" data-v="{total}"><b>{total:.{_decimals(total)}f}</b></td>' if total is not None
                  else '<td class="num" data-v="">–</td>')
    chips = "".join(_chip(ln) for ln in row["missed"][:CHIPS_SHOWN])
    if len(row["missed"]) > CHIPS_SHOWN:  # the worst lines first; the rest one click away
        chips += (f'<details><summary class="id">+{len(row["missed"]) - CHIPS_SHOWN} more lines missed</summary>'
                  + "".join(_chip(ln) for ln in row["missed"][CHIPS_SHOWN:]) + "</details>")
    warns = "".join(f'<div class="warn" title="{_esc(w.get("scenario"))}">⚠ {_esc(w["name"])}: will be crossed on {_esc(w["changes_on"])} '
                    f'(in {_esc(w["in_days"])} d)</div>' for w in row.get("warnings") or [])
    shortfall = row["missed"][0]["shortfall"] if row["missed"] else 0
    cm = row.get("costs_most")
    costs = (f'<td data-v="{cm["points_lost"]}" title="{_esc(cm["key"])}: costs {_esc(cm["points_lost"])} points of the total">{_esc(cm["name"])} '
             f'<span class="id">−{_esc(_fmt_points(cm["points_lost"], total))} 分</span></td>' if cm else "<td></td>")
    return (
        f'<tr class="{cls}" data-risk="{risk}">'
        f'<td data-v="{risk}{1 - min(shortfall, 1):.4f}">{"失败" if risk == 0 else "未达标" if risk == 1 else "正常"}</td>'
        f'<td><b>{_esc(row["name"] or row["shop_id"])}</b><br><span class="id">{_esc(row["shop_id"])}</span></td>'
        + total_cell
        + _change_cell(row["change_prev"], row["prev_as_of"], total)
        + _change_cell(row["change_7d"], row["week_as_of"], total)
        + f"<td>{_spark(row['spark'])}</td>"
        + f'<td data-v="{shortfall:.6f}">{chips}{warns}</td>'
        + costs
        + f'<td class="links">{_links(row["record"])}</td>'
        + _status(row)
        + "</tr>"
    )


def _fmt_points(points, total) -> str:
    return f"{points:.2f}" if _decimals(total) else f"{points:.1f}"


# ---------------------------------------------------------------- header digest and charts
def _digest(rows: list[dict]) -> str:
    worse = sorted((r for r in rows if r["change_prev"] is not None and round(r["change_prev"], _decimals(r["total"])) < 0),
                   key=lambda r: r["change_prev"])
    missing = [r for r in rows if r["missed"]]
    failed = [r for r in rows if r["status"] != "ok"]
    parts = []
    if worse:
        items = ", ".join(f'<b>{_esc(r["name"] or r["shop_id"])}</b> ↓ {signed(r["change_prev"], _decimals(r["total"]))} '
                          f'<span class="id">(since {_esc(r["prev_as_of"])})</span>' for r in worse[:8])
        more = f" … and {len(worse) - 8} more" if len(worse) > 8 else ""
        parts.append(f"<p>变差 <b>{len(worse)}</b> got worse: {items}{more}</p>")
    else:
        parts.append("<p>变差 got worse: none since the previous run.</p>")
    if missing:
        items = "; ".join(f'<b>{_esc(r["name"] or r["shop_id"])}</b> misses {_esc(r["missed"][0]["name"])} '
                          f'by {_esc(_fmt_gap(r["missed"][0]["gap"], r["missed"][0]))}'
                          + (f" (+{len(r['missed']) - 1} more lines)" if len(r["missed"]) > 1 else "") for r in missing[:6])
        more = f" … and {len(missing) - 6} more" if len(missing) > 6 else ""
        parts.append(f"<p>未达标 <b>{len(missing)}</b> miss a line: {items}{more}</p>")
    if failed:
        parts.append(f'<p class="err">失败 <b>{len(failed)}</b> failed: ' + ", ".join(_esc(r["shop_id"]) for r in failed) + " (see the first rows)</p>")
    return '<div class="digest">' + "".join(parts) + "</div>"


def _histogram(rows: list[dict], width: int = 230, height: int = 110) -> str:
    totals = [r["total"] for r in rows if r["total"] is not None]
    if not totals:
        return ""
    lo, hi = min(totals), max(totals)
    bins = 8
    step = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for t in totals:
        counts[min(int((t - lo) / step), bins - 1)] += 1
    top = max(counts) or 1
    bw = (width - 20) / bins
    bars = "".join(
        f'<rect x="{10 + i * bw:.1f}" y="{height - 18 - (height - 32) * c / top:.1f}" width="{bw - 2:.1f}" height="{(height - 32) * c / top:.1f}" fill="#729fcf">'
        f"<title>{lo + i * step:.{_decimals(hi)}f}–{lo + (i + 1) * step:.{_decimals(hi)}f}: {c} shop(s)</title></rect>"
        + (f'<text x="{10 + (i + 0.5) * bw:.1f}" y="{height - 21 - (height - 32) * c / top:.1f}" font-size="10" text-anchor="middle">{c}</text>' if c else "")
        for i, c in enumerate(counts))
    d = _decimals(hi)
    axis = (f'<text x="10" y="{height - 4}" font-size="10">{lo:.{d}f}</text>'
            f'<text x="{width - 10}" y="{height - 4}" font-size="10" text-anchor="end">{hi:.{d}f}</text>')
    return (f'<figure><svg width="{width}" height="{height}" role="img" aria-label="score distribution">{bars}{axis}</svg>'
            f"<figcaption>体验分分布 score distribution ({len(totals)} shops)</figcaption></figure>")


def _movers(rows: list[dict], width: int = 300, height: int = 110) -> str:
    moved = sorted((r for r in rows if r["change_prev"]), key=lambda r: -abs(r["change_prev"]))[:5]
    if not moved:
        return ('<figure><svg width="10" height="10"></svg><figcaption>最大变动 biggest movers: no change since the previous run '
                "(or no history yet)</figcaption></figure>")
    big = max(abs(r["change_prev"]) for r in moved) or 1.0
    mid, bar_h = width * 0.62, (height - 12) / len(moved)
    parts = []
    for i, r in enumerate(moved):
        c = r["change_prev"]
        w = (width - mid - 46) * abs(c) / big
        y = 4 + i * bar_h
        x = mid if c > 0 else mid - w
        parts.append(
            f'<text x="{mid - (w if c < 0 else 0) - 4:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="11" text-anchor="end">{_esc(_short(r["name"] or r["shop_id"]))}</text>'
            f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="{max(w, 1):.1f}" height="{bar_h - 5:.1f}" fill="{"#c9211e" if c < 0 else "#2a7d3f"}"/>'
            f'<text x="{(x + w + 3) if c > 0 else (mid + 3):.1f}" y="{y + bar_h * 0.7:.1f}" font-size="11">{"↓" if c < 0 else "↑"} {signed(c, _decimals(r["total"]))}</text>')
    return (f'<figure><svg width="{width}" height="{height}" role="img" aria-label="biggest movers">'
            f'<line x1="{mid}" y1="0" x2="{mid}" y2="{height}" stroke="#999"/>{"".join(parts)}</svg>'
            "<figcaption>最大变动 biggest movers since the previous run</figcaption></figure>")


def _short(text: str, n: int = 12) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _meta(rows: list[dict]) -> str:
    dates = sorted({r["as_of"] for r in rows if r["as_of"]})
    profiles = sorted({str(r["profile"]) for r in rows if r["profile"]})
    when = "–" if not dates else dates[0] if len(dates) == 1 else f"{dates[0]} … {dates[-1]}"
    prev = sorted({r["prev_as_of"] for r in rows if r["prev_as_of"]})
    return (f'<div class="meta">as of 截至 <b>{_esc(when)}</b> · profile 规则 <b>{_esc(", ".join(profiles) or "–")}</b> · '
            f"{len(rows)} shops" + (f" · compared with 对比 {_esc(prev[-1])}" if prev else " · no earlier run in the history") + "</div>")


COLUMNS = [("risk", "风险 risk"), ("shop", "店铺 shop"), ("total", "体验分 total"), ("prev", "较上期 vs previous"), ("week", "较7日前 vs 7 days"),
           ("spark", "30日走势 30 days"), ("lines", "未达标线 lines missed: value/line, gap, window"), ("drag", "最拖分指标 costs most"),
           ("links", "报告 reports"), ("status", "状态 status")]


def index_html(frame: pd.DataFrame, records: list[dict], skipped: list[dict] | None = None, rows: list[dict] | None = None,
               alerts: dict | None = None) -> str:
    if rows is None:  # a caller with only the summary frame: its rows, without history
        rows = _rows_from_frame(frame, records)
    head = "".join(f'<th data-sort="{key}">{_esc(label)}</th>' if key not in ("spark", "links") else f"<th>{_esc(label)}</th>"
                   for key, label in COLUMNS)
    body = "".join(_row(r) for r in rows)
    failures = "".join(
        f"<li><b>{_esc(r['shop_id'])}</b>: {_esc(r['error'])}" + (f" (cell {r['cell']})" if r.get("cell") is not None else "") + "</li>"
        for r in records if r["status"] != "ok"
    )
    skipped_items = "".join(f"<li>{_esc(f['reason'])}</li>" for f in skipped or [])
    top = f'<div class="top">{_digest(rows)}<div class="charts">{_histogram(rows)}{_movers(rows)}</div></div>'
    tools = ('<div class="tools"><input type="search" id="filter" placeholder="筛选 filter: shop, line, indicator…"> '
             '<label><input type="checkbox" id="risky"> 只看有风险 only shops at risk</label> · showing <span id="shown">'
             f"{len(rows)}</span> · <span class=\"legend\">sorted by risk: failed first, then missed lines by shortfall; click a "
             "header to sort. Gap = value − line; ↓/↑ = change of the total.</span></div>")
    return (
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset='utf-8'><title>商家体验分 portfolio</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>商家体验分 · 店铺总览 portfolio</h1>{_meta(rows)}{top}{tools}"
        f'<table id="shops"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        + (f"<h2>Failures 失败</h2><ul>{failures}</ul>" if failures else "")
        + (f"<h2>跳过的文件夹 folders skipped</h2><ul>{skipped_items}</ul>" if skipped_items else "")
        + '<p class="legend">summary.csv / summary.xlsx: the same rows for a spreadsheet; alerts.json: lines newly crossed and early warnings.</p>'
        + _SCRIPT + "</body></html>"
    )


def _rows_from_frame(frame: pd.DataFrame, records: list[dict]) -> list[dict]:
    recs = {r["shop_id"]: r for r in records}
    out = []
    for _, f in frame.iterrows():
        rec = recs[f["shop_id"]]
        total = f.get("total")
        out.append({"shop_id": f["shop_id"], "name": f.get("name"), "folder": rec["folder"], "status": rec["status"], "error": rec.get("error", ""),
                    "cell": rec.get("cell"), "alert": bool(f.get("alert", False)), "total": None if pd.isna(total) else float(total),
                    "as_of": f.get("as_of"), "profile": f.get("profile"), "change_prev": None, "prev_as_of": None, "change_7d": None,
                    "week_as_of": None, "spark": [], "missed": [], "costs_most": None, "record": rec, "warnings": []})
    return out
