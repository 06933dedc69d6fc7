"""Tables for the reader: indicators, the rows that cost an indicator (drill-down) with their grouped summary
and a download of all of them, consequences, data quality and the 飞鸽 dashboard tables.

Every table speaks the reader's language: headers and code values from ``reference/labels.yaml``, reason
codes from the indicator's description (:meth:`~shopscore_nb.metrics.descriptions.Description.reason_labels`),
values formatted (``12.3%``, ``3分05秒``, ``38:17`` 时:分, ``2026-08-02 18:50``, ``¥1,280.00``) and an
empty cell is ``—``, never ``NaN``/``NaT``/``<NA>``/``None``. Buyer identifiers and free text are never shown.

The functions return a :class:`ReaderTable`: the data stays as computed (typed values, the kit's column
names, so callers filter and sum it as before) and the table *shows itself* formatted — in a notebook, in
the HTML export (:meth:`ReaderTable._repr_html_`) and through :meth:`ReaderTable.reader`.

Downloads: with ``export_dir`` (a notebook parameter the batch sets to the shop's report folder; ''
writes nothing) :func:`show_drilldowns` and :func:`failing_sessions` write every failing row as a masked,
formula-safe CSV (:func:`shopscore_nb.scoring.drilldown.export`) into that folder and link it by file
name, relative to the HTML report beside it.

>>> drilldown(rep, "product.negative_review_rate", top_n=10)    # doctest: +SKIP
>>> show_drilldowns(rep, ["cs.avg_response_seconds"], 20, export_dir="reports/struggling")   # doctest: +SKIP
"""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import yaml

from ..errors import ParameterError
from ..metrics import im_dashboard
from ..metrics.daily import detail_frame
from ..metrics.descriptions import Description, describe
from ..paths import inside
from ..privacy import PII_COLUMNS
from ..report import ShopReport
from ..scoring.consequences import consequences
from ..scoring.drilldown import drill_target, drilldown_for, export, mask_pii
from ..scoring.groups import group_summary, order_context, with_context
from .display import md, show
from .formatting import (
    EMPTY,
    fmt_bool,
    fmt_change,
    fmt_date,
    fmt_datetime,
    fmt_hm,
    fmt_hour,
    fmt_int,
    fmt_number,
    fmt_percent,
    fmt_reader,
    fmt_seconds,
    fmt_signed,
    fmt_weekday,
    fmt_yuan,
    is_empty,
)
from .text import definition, direction, ruleset_of

HIDDEN_COLUMNS = PII_COLUMNS | {"content"}  # buyer identifiers and free text never shown in notebook tables
UNASSIGNED = im_dashboard.UNASSIGNED
UNASSIGNED_LABEL = "（未分配）"
EMPTY_GROUP = "（空）"
SESSION_RATE = im_dashboard.SESSION_RATE
ROUND_RATE = "cs.im_3min_reply_rate_round"
OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
BASIS = {"today": "当前窗口值"}


# ---------------------------------------------------------------- labels (reference/labels.yaml)
@cache
def labels() -> dict:
    """``reference/labels.yaml``: column headers and formats, code values, grouping columns."""
    text = resources.files("shopscore_nb.reference").joinpath("labels.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def column_spec(column: str) -> dict:
    """``{zh, fmt, values}`` of a column (an unknown column: its name, formatted by its type)."""
    return labels()["columns"].get(str(column), {})


def header(column: str, key: str | None = None) -> str:
    """The header of ``column`` (for the rows of indicator ``key``, when that indicator reads better with its own)."""
    for prefix, names in (labels().get("headers_by_indicator") or {}).items():
        if key and key.startswith(prefix) and column in names:
            return names[column]
    spec = column_spec(column)
    zh = spec.get("zh", str(column))
    return f"{zh}（时:分）" if spec.get("fmt") == "hours" else zh


def code_label(values: str, code) -> str:
    """The 中文 label of ``code`` in the value set ``values`` (the code itself when it has none)."""
    if is_empty(code):
        return EMPTY
    return str((labels()["values"].get(values) or {}).get(str(code), code))


def metric_label(metric, ruleset: str) -> str:
    """``total`` → 体验分, ``dimension.product`` → 商品体验分, an indicator key → its 中文 name."""
    if is_empty(metric):
        return EMPTY
    known = labels()["values"]["metric"]
    if metric in known:
        return known[metric]
    try:
        return describe(str(metric), ruleset).zh
    except KeyError:
        return str(metric)


_COLUMN_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


@dataclass(frozen=True)
class Cells:
    """What the cells of one table need to be formatted: the indicator (unit, reason labels) and ruleset."""

    ruleset: str = "seed"
    unit: str | None = None
    desc: Description | None = None
    key: str | None = None


def _text(s: pd.Series) -> pd.Series:
    return s.map(lambda x: EMPTY if is_empty(x) else str(x)).astype(object)


def format_column(s: pd.Series, column: str, cells: Cells = Cells()) -> pd.Series:
    """The cells of one column as the reader reads them (strings; empty → ``—``)."""
    spec = column_spec(column)
    kind = spec.get("fmt")
    if kind is None:  # not in labels.yaml: by type
        if pd.api.types.is_datetime64_any_dtype(s):
            kind = "datetime"
        elif pd.api.types.is_bool_dtype(s):
            kind = "bool"
        elif pd.api.types.is_numeric_dtype(s):
            kind = "score"
        else:
            kind = "text"
    unit = cells.unit or ""
    one = {
        "datetime": fmt_datetime, "date": fmt_date, "bool": fmt_bool, "int": fmt_int, "score": fmt_number,
        "percent": fmt_percent, "seconds": fmt_seconds, "hours": fmt_hm, "yuan": fmt_yuan, "hour": fmt_hour,
        "weekday": fmt_weekday, "passed": lambda x: fmt_bool(x, "达标", "未达标"),
        "indicator": lambda x: fmt_reader(x, unit), "impact": lambda x: fmt_change(x, unit),
        "metric": lambda x: metric_label(x, cells.ruleset),
        "code": lambda x: code_label(spec.get("values", column), x),
        "columns": lambda x: EMPTY if is_empty(x) else _COLUMN_NAME.sub(lambda m: header(m.group(0)) if column_spec(m.group(0)) else m.group(0),
                                                                      str(x)).replace(",", "、"),
    }.get(kind)
    if kind == "reason" and cells.desc is not None:
        return _text(cells.desc.reason_labels(s.astype("object").where(s.notna(), None)))
    if one is None:  # text, id
        out = _text(s)
        if column == "agent_id":  # a session no agent took
            out = out.replace({UNASSIGNED: UNASSIGNED_LABEL, EMPTY: UNASSIGNED_LABEL})
        return out
    return s.astype(object).map(lambda x: _cell(one, x)).astype(object)


def _cell(fmt, x) -> str:
    """``fmt(x)``; a value the column's format cannot read (text in a number column of someone's table) as text."""
    try:
        return fmt(x)
    except (TypeError, ValueError, OverflowError, IndexError):
        return EMPTY if is_empty(x) else str(x)


def reader_frame(frame: pd.DataFrame, cells: Cells = Cells(), hide: tuple[str, ...] = ()) -> pd.DataFrame:
    """``frame`` as the reader reads it: a named index becomes columns, hidden columns (buyer identifiers, free
    text, ``_`` columns, ``hide``) go, headers are 中文 and every cell is formatted text."""
    f = frame
    if any(n is not None for n in f.index.names):
        f = f.reset_index()
    cols = [c for c in f.columns if not str(c).startswith("_") and c not in HIDDEN_COLUMNS and c not in hide]
    out = pd.DataFrame({header(c, cells.key): format_column(f[c], c, cells) for c in cols}, index=range(len(f)))
    return out


# ---------------------------------------------------------------- the table that shows itself formatted
@dataclass(frozen=True)
class Shown:
    """A table as the reader sees it: the formatted frame, HTML before it (caption, links) and after it."""

    frame: pd.DataFrame
    before: str = ""
    after: str = ""
    html: str | None = None  # a layout of its own (else the frame as one table)


class ReaderTable(pd.DataFrame):
    """A DataFrame whose data stays as computed and which shows itself formatted for the reader.

    ``_reader`` (a function of the frame → :class:`Shown`) survives filtering, column selection and copies,
    so callers may keep filtering the table and show what is left (cells are formatted column by column)."""

    _metadata = ["_reader"]
    _reader = None

    @property
    def _constructor(self):
        return ReaderTable

    def reader(self) -> pd.DataFrame:
        """The formatted frame the reader sees (strings, 中文 headers)."""
        return self.shown().frame

    def shown(self) -> Shown:
        plain = pd.DataFrame(self)
        return self._reader(plain) if self._reader is not None else Shown(reader_frame(plain))

    def _repr_html_(self) -> str:
        s = self.shown()
        return f"{s.before}{s.html if s.html is not None else _html_table(s.frame)}{s.after}"


_STYLE = "<style>table.reader-table th, table.reader-table td {white-space: nowrap}</style>"


def _html_table(frame: pd.DataFrame) -> str:
    """Every row (no pandas display truncation), values escaped, cells not broken between characters."""
    return _STYLE + frame.to_html(index=False, border=0, max_rows=None, max_cols=None, escape=True, na_rep=EMPTY,
                                  classes="reader-table")


def reader_table(frame: pd.DataFrame, reader) -> ReaderTable:
    t = ReaderTable(frame)
    t._reader = reader
    return t


def _plain(cells: Cells = Cells(), hide: tuple[str, ...] = ()):
    return lambda f: Shown(reader_frame(f, cells, hide))


def _blank_repeats(s: pd.Series) -> pd.Series:
    """Repeated values of a grouping column shown once, at the first row of their run."""
    return s.where(s.ne(s.shift()), "")


# ---------------------------------------------------------------- indicators
def _cells(rep: ShopReport, key: str) -> Cells:
    rs = ruleset_of(rep)
    r = rep.results.get(key)
    desc = describe(key, rs)
    return Cells(rs, r.unit if r is not None else desc.unit, desc, key)


def indicator_table(rep: ShopReport, keys: list[str] | None = None) -> ReaderTable:
    """Indicators: 中文 name, value, numerator, denominator, score, note (data: one row per key)."""
    keys = keys or list(rep.results)
    rows = []
    rs = ruleset_of(rep)
    for key in keys:
        r = rep.results.get(key)
        if r is None:
            continue
        rows.append({"key": key, "zh": definition(key, rs)["zh"], "value": r.value, "unit": r.unit, "numerator": r.numerator,
                     "denominator": r.denominator, "score": r.score, "note": r.reason or ""})
    frame = pd.DataFrame(rows, columns=["key", "zh", "value", "unit", "numerator", "denominator", "score", "note"]).set_index("key")

    def reader(f: pd.DataFrame) -> Shown:
        def part(row, col):
            x = row[col]
            if is_empty(x):
                return EMPTY
            return fmt_number(x) if row["unit"] == "ratio" or col == "denominator" else fmt_reader(x, row["unit"])

        out = pd.DataFrame({
            "指标": _text(f["zh"]),
            "当前值": [fmt_reader(v, u) for v, u in zip(f["value"], f["unit"], strict=True)],
            "分子": [part(row, "numerator") for _, row in f.iterrows()],
            "分母": [part(row, "denominator") for _, row in f.iterrows()],
            "得分": [("不计分" if is_empty(s) else fmt_number(s)) for s in f["score"]],
            "备注": _text(f["note"]).replace(EMPTY, ""),
        })
        return Shown(out.reset_index(drop=True))

    return reader_table(frame, reader)


def _improved(rep: ShopReport, key: str, moved_by: float) -> float | None:
    """The value after an improvement of ``|moved_by|`` in the indicator's good direction."""
    value = rep.results[key].value
    if value is None:
        return None
    return value - abs(moved_by) if direction(rep, key) == "lower" else value + abs(moved_by)


def _drill_rows(rep: ShopReport, key: str) -> pd.DataFrame:
    """All failing rows of ``key`` (every detail column), worst first; empty for counts, sums and no data."""
    r = rep.results.get(key)
    if r is None:
        return pd.DataFrame()
    entry = definition(key, ruleset_of(rep))
    kind = (entry.get("trend") or {}).get("kind", "rate")
    if detail_frame(r).empty or r.value is None or kind in ("count", "sum"):
        return pd.DataFrame()
    rows = drilldown_for(rep.scorecard, rep.results, key)
    if rows.index.name is not None and rows.index.name not in rows.columns:
        rows = rows.reset_index()
    if rows.empty:
        return rows
    sort = entry.get("sort")
    if sort in rows and kind == "rate":  # equal impact: order by the row's own measure
        ascending = pd.api.types.is_datetime64_any_dtype(rows[sort])
        rows = rows.sort_values(sort, ascending=ascending, kind="stable", na_position="first")
    return rows.reset_index(drop=True)


def _drill_columns(rep: ShopReport, key: str, rows: pd.DataFrame) -> list[str]:
    entry = definition(key, ruleset_of(rep))
    cols = [c for c in entry.get("drill", []) if c in rows] or [c for c in rows if not str(c).startswith("_")]
    extra = [c for c in ("target", "impact", "share_of_loss") if c in rows and c not in cols]
    return [c for c in cols if c not in HIDDEN_COLUMNS] + extra


def drilldown(rep: ShopReport, key: str, top_n: int = 20) -> ReaderTable:
    """The rows that cost the indicator, worst first, with ``impact`` and ``share_of_loss`` against its
    best tier (:func:`shopscore_nb.scoring.drilldown.drilldown_for`). Counts have no drill-down; buyer
    PII columns are dropped. Shown in 中文 (the constant ``target`` is said above the table, not in it)."""
    rows = _drill_rows(rep, key)
    if rows.empty:
        return reader_table(pd.DataFrame(), _plain())
    table = rows[_drill_columns(rep, key, rows)].head(top_n).reset_index(drop=True)
    return reader_table(table, _plain(_cells(rep, key), hide=("target",)))


def _target_text(rep: ShopReport, key: str, rows: pd.DataFrame) -> str:
    r = rep.results[key]
    value, basis = drill_target(rep.scorecard, rep.results, key)
    op = "≥" if direction(rep, key) == "higher" else "≤"
    if basis == "best_tier":
        return f"目标：最优档 {op} {fmt_reader(value, r.unit)}，列出未达到的行"
    if basis == "best":
        return f"目标：满分线 {op} {fmt_reader(value, r.unit)}，列出未达到的行"
    if r.unit == "ratio":
        return "列出未达标的行"
    mean = rows["target"].iloc[0] if "target" in rows and len(rows) else None
    whose = "全部行" if mean is not None and r.value is not None and abs(float(mean) - float(r.value)) < 1e-9 else "达标行"
    return f"本规则不为此指标计分（没有档位），列出比{whose}平均水平（{fmt_reader(mean, r.unit)}）更差的行"


def _with_context(rep: ShopReport, key: str, rows: pd.DataFrame, orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """The failing rows with what their order tells (product, province, carrier) and their hour of day."""
    anchor = describe(key, ruleset_of(rep)).anchor
    return with_context(rows, rep.shop.tables, anchor, orders)


def _group_table(rep: ShopReport, key: str, rows: pd.DataFrame) -> ReaderTable:
    """The failing rows (with :func:`_with_context`) grouped by reason, product, agent, hour, carrier,
    province … (:func:`shopscore_nb.scoring.groups.group_summary`)."""
    cells = _cells(rep, key)
    dims = [c for c in labels()["groups"] if c in rows]
    shown = pd.DataFrame({c: format_column(rows[c], c, cells) for c in dims}, index=rows.index)
    shown = shown.where(shown.ne(EMPTY), None)
    if "impact" in rows:
        shown["impact"] = rows["impact"]
    summary = group_summary(shown, dims, top=6)

    def reader(f: pd.DataFrame) -> Shown:
        dim = f["dimension"].map(lambda d: code_label("group_dimension", d))
        group = [f"其他 {n} 组" if n else (EMPTY_GROUP if is_empty(g) else str(g)) for g, n in zip(f["group"], f["folded"], strict=True)]
        out = pd.DataFrame({"分组方式": dim.to_numpy(), "分组": group, "行数": f["rows"].map(fmt_int).to_numpy(),
                            "占比": f["share"].map(fmt_percent).to_numpy(),
                            "修正可改善": f["impact"].map(lambda x: fmt_change(x, cells.unit or "")).to_numpy()})
        # on the page: one small table per grouping, side by side
        blocks = [_html_table(part.drop(columns="分组方式").rename(columns={"分组": name}))
                  for name, part in out.groupby("分组方式", sort=False)]
        layout = ('<div style="display:flex;flex-wrap:wrap;gap:8px 32px;align-items:flex-start">'
                  + "".join(f"<div>{b}</div>" for b in blocks) + "</div>")
        out["分组方式"] = _blank_repeats(out["分组方式"])
        return Shown(out, html=layout)

    return reader_table(summary, reader)


def _export_frame(rep: ShopReport, key: str, rows: pd.DataFrame) -> pd.DataFrame:
    """All failing rows (with :func:`_with_context`) for a spreadsheet: the shown columns plus what the order
    tells (product, province, carrier), buyer identifiers left out, 中文 headers with units, codes labelled,
    numbers kept as numbers. :func:`write_downloads` masks the text and neutralises formulas."""
    cells = _cells(rep, key)
    full = masked = rows
    cols = _drill_columns(rep, key, full)
    _, basis = drill_target(rep.scorecard, rep.results, key)
    cols = [c for c in cols if c != "target" or basis] + [c for c in ("product", "province", "carrier") if c in full and c not in cols]
    out = {}
    unit = cells.unit or ""
    for c in cols:
        if _never_exported(c):
            continue
        s, kind = masked[c], column_spec(c).get("fmt")
        name = column_spec(c).get("zh", str(c))
        if kind in ("seconds", "hours"):
            out[f"{name}（{'秒' if kind == 'seconds' else '小时'}）"] = s.astype(float).round(2)
        elif kind == "percent":
            out[f"{name}（%）"] = (s.astype(float) * 100).round(2)
        elif kind in ("impact", "indicator"):
            scale, suffix = (100, "百分点") if unit == "ratio" else (1, {"hours": "小时", "seconds": "秒", "yuan": "元"}.get(unit, ""))
            out[f"{name}（{suffix}）" if suffix else name] = (s.astype(float) * scale).round(4)
        elif kind in ("datetime", "date"):
            out[name] = s
        elif kind in ("int", "score", "yuan"):
            out[name] = s
        else:
            out[header(c, key)] = format_column(s, c, cells).replace(EMPTY, "")
    return pd.DataFrame(out)


def _never_exported(column) -> bool:
    """Kit-internal columns, buyer identifiers, free text, phone columns: left out of downloads (the text
    that stays is masked by :func:`write_downloads`)."""
    name = str(column)
    return name.startswith("_") or name in HIDDEN_COLUMNS or name.lower().endswith(("phone", "mobile"))


def export_folder(export_dir) -> Path | None:
    """The checked ``export_dir`` notebook parameter: None for '' / None (write nothing); else an existing,
    writable folder (the batch passes the shop's report folder)."""
    if export_dir is None or (isinstance(export_dir, str) and not export_dir.strip()):
        return None
    if isinstance(export_dir, bool) or not isinstance(export_dir, (str, os.PathLike)):
        raise ParameterError(f"export_dir: expected a folder path or '' (write no downloads), got {type(export_dir).__name__} {export_dir!r}")
    folder = Path(export_dir)
    if not folder.is_dir():
        raise ParameterError(f"export_dir: folder '{export_dir}' not found (relative paths start at {Path.cwd()})")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ParameterError(f"export_dir: folder '{export_dir}' cannot be written")
    return folder


def export_name(key: str, suffix: str = ".csv") -> str:
    """The file name of an indicator's download (``drilldown-cs.avg_response_seconds.csv``)."""
    return "drilldown-" + re.sub(r"[^A-Za-z0-9._-]", "_", key) + suffix


def write_downloads(frame: pd.DataFrame, folder: Path, stem: str) -> list[str]:
    """``frame`` as ``<stem>.csv`` (UTF-8 with BOM) and ``<stem>.xlsx`` (identifiers stay text in Excel) in
    ``folder``, masked and formula-safe (:func:`shopscore_nb.scoring.drilldown.export`); the file names."""
    names = [f"{stem}.csv", f"{stem}.xlsx"]
    masked = mask_pii(frame)  # once for both files
    export(masked, inside(folder, names[0]), mask=False)
    export({"明细": masked}, inside(folder, names[1]), mask=False)
    return names


def _md_links(names: list[str], text: str) -> str:
    """``下载全部 N 行：[CSV](a.csv) · [Excel](a.xlsx)`` — relative links (the files lie beside the HTML)."""
    kinds = {".csv": "CSV", ".xlsx": "Excel"}
    return f"{text}：" + " · ".join(f"[{kinds[Path(n).suffix]}]({quote(n)})" for n in names)


def _html_links(names: list[str], text: str) -> str:
    kinds = {".csv": "CSV", ".xlsx": "Excel"}
    return f"{html.escape(text)}：" + " · ".join(f'<a href="{html.escape(quote(n))}">{kinds[Path(n).suffix]}</a>' for n in names)


def show_drilldowns(rep: ShopReport, keys: list[str], top_n: int = 20, export_dir=None) -> None:
    """For each indicator: how many rows cost it and against what target, what fixing all of them gives,
    the rows grouped (reason, product, agent, hour, carrier, province, after-sales reason), the worst
    ``top_n`` rows, and — with ``export_dir`` — a download of all of them."""
    folder = export_folder(export_dir)
    orders = None
    for key in keys:
        if key not in rep.results:
            continue
        r = rep.results[key]
        zh = definition(key, ruleset_of(rep))["zh"]
        rows = _drill_rows(rep, key)
        if rows.empty:
            kind = (definition(key, ruleset_of(rep)).get("trend") or {}).get("kind")
            why = "计数指标，没有拉低它的行" if kind in ("count", "sum") else ("窗口内没有数据" if r.value is None else "没有拉低指标的行")
            show(md(f"**{zh}**：{why}"))
            continue
        n = len(rows)
        if orders is None:
            orders = order_context(rep.shop.tables)
        rows = _with_context(rep, key, rows, orders)
        fixed = _improved(rep, key, rows["impact"].sum()) if "impact" in rows else None
        lines = [f"#### {zh}：{n:,} 行拉低指标",
                 f"{_target_text(rep, key, rows)}。全部修正后：{fmt_reader(r.value, r.unit)} → **{fmt_reader(fixed, r.unit)}**。"]
        link = ""
        if folder is not None:
            names = write_downloads(_export_frame(rep, key, rows), folder, export_name(key, ""))
            link = _md_links(names, f"下载全部 {n:,} 行")
        show(md("\n\n".join(lines)))
        groups = _group_table(rep, key, rows)
        if len(groups):
            show(md(f"**分组汇总**（每种分组方式合计 {n:,} 行）："))
            show(groups)
        shown = min(top_n, n)
        more = f"最差的 {shown} 行（共 {n:,} 行" + ("，完整列表见下载）" if link and shown < n else "）") + "："
        show(md(f"**{more}**" + (f" &nbsp; {link}" if link else "")))
        show(drilldown(rep, key, top_n=top_n))


def drilldown_summary(rep: ShopReport, keys: list[str]) -> ReaderTable:
    """Per indicator: the rows that cost it and the value if all of them were fixed."""
    rows = []
    for key in keys:
        r = rep.results.get(key)
        if r is None:
            continue
        t = _drill_rows(rep, key)
        fixed = _improved(rep, key, t["impact"].sum()) if len(t) and "impact" in t else None
        rows.append({"key": key, "zh": definition(key, ruleset_of(rep))["zh"], "value": r.value, "unit": r.unit, "rows": len(t),
                     "value_if_fixed": fixed})
    frame = pd.DataFrame(rows, columns=["key", "zh", "value", "unit", "rows", "value_if_fixed"]).set_index("key")

    def reader(f: pd.DataFrame) -> Shown:
        return Shown(pd.DataFrame({
            "指标": _text(f["zh"]).to_numpy(), "当前值": [fmt_reader(v, u) for v, u in zip(f["value"], f["unit"], strict=True)],
            "拉低指标的行": f["rows"].map(fmt_int).to_numpy(),
            "全部修正后": [fmt_reader(v, u) for v, u in zip(f["value_if_fixed"], f["unit"], strict=True)],
        }))

    return reader_table(frame, reader)


# ---------------------------------------------------------------- consequences
def _metric_unit(rep: ShopReport, metric) -> str:
    m = str(metric)
    if m == "total" or m.startswith("dimension."):
        return "score"
    if m in rep.results:
        return rep.results[m].unit
    try:
        return describe(m, ruleset_of(rep)).unit
    except KeyError:
        return "score"


def consequences_table(rep: ShopReport) -> ReaderTable:
    """The threshold lines (精选联盟, termination, settlement, 飞鸽 lines): data as
    :func:`shopscore_nb.scoring.consequences.consequences` (``metric``, ``met``, ``gap`` …, indexed by ``id``);
    shown with the condition, the window, the value and the signed gap in the line's unit."""
    c = consequences(rep.ctx, rep.results, rep.scorecard)
    cols = [x for x in ("id", "zh", "metric", "op", "threshold", "window_days", "value", "met", "side", "gap", "effect", "basis", "note") if x in c]
    frame = c[cols].set_index("id") if "id" in cols else c[cols]
    rs = ruleset_of(rep)

    def reader(f: pd.DataFrame) -> Shown:
        units = [_metric_unit(rep, m) for m in f.get("metric", pd.Series(index=f.index, dtype=object))]
        out = {"门槛线": _text(f["zh"]) if "zh" in f else None,
               "考核对象": f["metric"].map(lambda m: metric_label(m, rs)) if "metric" in f else None}
        if {"op", "threshold"} <= set(f.columns):
            out["条件"] = [f"{OPS.get(str(o), o)} {fmt_reader(t, u)}" for o, t, u in zip(f["op"], f["threshold"], units, strict=True)]
        if "window_days" in f:
            out["窗口"] = f["window_days"].map(lambda d: EMPTY if is_empty(d) else f"近{int(d)}天")
        if "value" in f:
            out["当前值"] = [fmt_reader(v, u) for v, u in zip(f["value"], units, strict=True)]
        if "met" in f:
            out["是否达到"] = f["met"].map(lambda m: EMPTY if is_empty(m) else ("✓ 达到" if bool(m) else "✗ 未达到"))
        if "gap" in f:  # value − threshold: said as the margin of a met line, what is missing of a missed one
            met = f["met"] if "met" in f else pd.Series(None, index=f.index, dtype=object)
            out["差距"] = [EMPTY if is_empty(g) else fmt_signed(g, u) if is_empty(m) else ("富余 " if bool(m) else "还差 ") + fmt_signed(g, u)[1:]
                         for g, u, m in zip(f["gap"], units, met, strict=True)]
        same = []  # a text that is the same on every line is said once, under the table
        for col, name in (("effect", "影响"), ("basis", "依据"), ("note", "备注")):
            if col in f:
                texts = f[col].map(lambda x: "" if is_empty(x) else BASIS.get(str(x), str(x)))
                if len(f) > 1 and texts.nunique() == 1:
                    same += [f"{name}：{texts.iloc[0]}"] if texts.iloc[0] else []
                else:
                    out[name] = texts
        after = f'<p><small>{html.escape(" · ".join(same))}（各行相同）</small></p>' if same else ""
        return Shown(pd.DataFrame({k: pd.Series(v).to_numpy() for k, v in out.items() if v is not None}), after=after)

    return reader_table(frame, reader)


# ---------------------------------------------------------------- data quality
def _quality_reasons(text) -> str:
    if is_empty(text):
        return ""
    names = labels()["values"]["quality_reason"]
    return re.sub(r"[a-z_]+", lambda m: names.get(m.group(0), m.group(0)), str(text)).replace(", ", "，").replace(": ", " ")


def data_quality(rep: ShopReport, max_rows: int = 50) -> None:
    """Rows read / kept / quarantined per table, the quarantine table and the warnings by reason."""
    shop = rep.shop
    q, w = shop.quarantine, shop.warnings
    show(md(f"**读取与隔离** — 隔离 {len(q):,} 行，警告 {len(w):,} 行（隔离的行不计入任何指标；有警告的行保留）"))
    summary = shop.quality_summary()

    def summary_reader(f: pd.DataFrame) -> Shown:
        f = f.assign(**{c: f[c].map(_quality_reasons) for c in ("quarantine_reasons", "warning_reasons") if c in f})
        return Shown(reader_frame(f))

    show(reader_table(summary, summary_reader))
    if len(q):
        show(md(f"**隔离明细**（{len(q):,} 行中的前 {min(max_rows, len(q))} 行；文件与表格行号）："))
        show(reader_table(q.head(max_rows).rename(columns={"reason": "quality_reason"}), _plain()))
    else:
        show(md("**隔离明细**：无"))
    if len(w):
        show(md("**警告**（按数据表与原因）："))
        counts = w.groupby(["table", "reason"]).size().rename("rows").reset_index().rename(columns={"reason": "quality_reason"})
        show(reader_table(counts, _plain()))


# ---------------------------------------------------------------- 飞鸽 dashboard (computed in metrics.im_dashboard)
def counted_rounds(rep: ShopReport) -> pd.DataFrame:
    """The rounds the 3-minute rates count."""
    return im_dashboard.counted_rounds(rep.ctx)


def agent_table(rep: ShopReport) -> ReaderTable:
    """Per agent: rounds, 3-minute rate, waits, unanswered rounds, sessions and failing sessions (indexed by ``agent_id``)."""
    def reader(f: pd.DataFrame) -> Shown:  # here ``passed`` counts the rounds answered in time
        return Shown(reader_frame(f.rename(columns={"passed": "rounds_passed"}), Cells(ruleset_of(rep))))

    return reader_table(im_dashboard.agent_table(rep.ctx, rep.results), reader)


def hour_weekday(rep: ShopReport) -> tuple[ReaderTable, ReaderTable]:
    """(3-minute rate, round volume) hour of day × weekday, columns labelled 周一 … 周日."""
    from .. import plots

    rate, volume = im_dashboard.hour_weekday(rep.ctx)
    rate.columns = volume.columns = plots.weekday_labels(list(rate.columns))

    def grid(cell):
        def reader(f: pd.DataFrame) -> Shown:
            out = pd.DataFrame({str(c): f[c].map(cell).to_numpy() for c in f.columns})
            out.insert(0, "时段", [fmt_hour(h) for h in f.index])
            return Shown(out)
        return reader

    return reader_table(rate, grid(lambda x: fmt_percent(x, 0))), reader_table(volume, grid(fmt_int))


def _round_cells(rep: ShopReport) -> Cells:
    rs = ruleset_of(rep)
    for key in (SESSION_RATE, ROUND_RATE):
        try:
            return Cells(rs, "seconds", describe(key, rs), key)
        except KeyError:
            continue
    return Cells(rs, "seconds")


def _sessions_reader(cells: Cells, before: str = ""):
    def reader(f: pd.DataFrame) -> Shown:
        out = reader_frame(f, cells)
        first = header("session_id")
        if first in out:
            out[first] = _blank_repeats(out[first])
        return Shown(out, before)
    return reader


def _sessions_export(rep: ShopReport, sessions: pd.DataFrame) -> pd.DataFrame:
    cells = _round_cells(rep)
    f = sessions.reset_index()
    out = {}
    for c in f.columns:
        if _never_exported(c):
            continue
        kind = column_spec(c).get("fmt")
        if kind == "seconds":
            out[f"{header(c)}（秒）"] = f[c].astype(float).round(1)
        elif kind in ("datetime", "int"):
            out[header(c)] = f[c].astype(object) if c == "session_id" else f[c]
        else:
            out[header(c)] = format_column(f[c], c, cells).replace(EMPTY, "")
    return pd.DataFrame(out)


def failing_sessions(rep: ShopReport, top_n: int | None = None, export_dir=None) -> ReaderTable:
    """Failing sessions of the session-level 3-minute rate with every counted round, worst first (the
    ``top_n`` worst, all when None; indexed by ``session_id`` and ``round``). Shown with how many sessions
    fail in all; with ``export_dir`` every failing session is written to ``failing-sessions.csv`` and linked."""
    folder = export_folder(export_dir)
    everything = im_dashboard.failing_sessions(rep.ctx, rep.results, None)
    table = everything if top_n is None else im_dashboard.failing_sessions(rep.ctx, rep.results, top_n)
    if everything.empty:
        return reader_table(table, lambda f: Shown(pd.DataFrame({"未达标会话": ["无"]})))
    total = everything.index.get_level_values("session_id").nunique()
    shown = table.index.get_level_values("session_id").nunique()
    text = f"共 {total:,} 个未达标会话（{len(everything):,} 轮）"
    text += f"，下面是最差的 {shown} 个" if shown < total else "，全部列在下面"
    link = ""
    if folder is not None:
        names = write_downloads(_sessions_export(rep, everything), folder, "failing-sessions")
        link = " &nbsp; " + _html_links(names, f"下载全部 {total:,} 个会话")
        if shown < total:
            text += "，完整列表见下载"
    before = f"<p><strong>{html.escape(text)}</strong>{link}</p>"
    return reader_table(table, _sessions_reader(_round_cells(rep), before))
