"""Read a shop folder's exports (CSV / XLSX / Parquet) into canonical, typed tables.

A file is matched to its table by its header row (or, failing that, its file name), its headers are
mapped through ``reference/columns.yaml``, and its values are parsed with the export quirks of
SPEC §3 handled: BOM, GB18030, tab- or apostrophe-prefixed IDs, ``-`` for empty, money as text,
``YYYY/MM/DD HH:MM`` timestamps, UTC or offset timestamps (converted to Asia/Shanghai).

Rows are never dropped here. A value that cannot be parsed becomes null and is listed in the
returned ``problems`` so that :mod:`shopscore_nb.validation` can quarantine or warn.

>>> from shopscore_nb.loading import read_shop_files
>>> raw = read_shop_files("data/demo/flagship")          # doctest: +SKIP
>>> sorted(raw.tables)                                    # doctest: +SKIP
['after_sales', 'complaints', 'im_messages', ...]
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import TABLES, after_sale_types, match_table, normalise_header, resolve_header, sender_roles

TZ = "Asia/Shanghai"
BLANKS = {"", "-", "--", "—", "null", "NULL", "None", "nan", "NaN", "NaT", "N/A", "n/a", "#N/A"}
DATA_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq"}
SOURCE_COLUMNS = ["_source_file", "_source_row"]
_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "t", "预售", "虚拟", "赠品", "1.0"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "f", "现货", "0.0"}


class LoadError(ValueError):
    """A problem that makes a file or a shop unusable; the message names the file and column."""


@dataclass
class RawShop:
    """Typed canonical tables plus everything noticed while reading them."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)  # file, table, rows
    problems: list[pd.DataFrame] = field(default_factory=list)  # per-cell parse problems
    ignored: list[dict] = field(default_factory=list)  # files not recognised


# ---------------------------------------------------------------- reading one file
def _read_csv_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LoadError(f"{path.name}: cannot decode the file as UTF-8 or GB18030; re-export it as CSV (UTF-8).")


def _read_any(path: Path) -> pd.DataFrame:
    """All cells as strings with no header interpretation (header row handled by the caller)."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        df = pd.read_parquet(path)
        return df  # typed already: columns are headers
    if suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, header=None, dtype=str, keep_default_na=False)
    else:
        text = _read_csv_text(path)
        if not text.strip():
            raise LoadError(f"{path.name}: the file is empty.")
        sep = "\t" if suffix == ".tsv" or ("\t" in text.split("\n", 1)[0] and "," not in text.split("\n", 1)[0]) else ","
        try:
            frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, sep=sep)
        except pd.errors.ParserError as exc:
            raise LoadError(f"{path.name}: not a well-formed CSV ({exc}).") from exc
    return frame


def _locate_header(frame: pd.DataFrame, path: Path) -> tuple[str | None, int]:
    """Find the header row among the first rows (some exports put a title line above it)."""
    for i in range(min(5, len(frame))):
        header = [str(v) for v in frame.iloc[i].tolist()]
        table = match_table(header)
        if table:
            return table, i
    stem = normalise_header(path.stem)
    for name, table in TABLES.items():
        if stem in {normalise_header(n) for n in table.file_names}:
            return name, 0
    return None, 0


def read_table_file(path: Path, table: str | None = None) -> tuple[str, pd.DataFrame]:
    """Read one export file; returns (table name, frame with canonical columns + source columns)."""
    path = Path(path)
    frame = _read_any(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        header = [str(c) for c in frame.columns]
        table = table or match_table(header) or _table_by_name(path)
        if table is None:
            raise LoadError(_unrecognised_message(path, header))
        body, first_row = frame, 1
    else:
        if len(frame) == 0:
            raise LoadError(f"{path.name}: the file is empty.")
        found, header_at = _locate_header(frame, path)
        table = table or found
        header = [str(v) for v in frame.iloc[header_at].tolist()]
        if table is None:
            raise LoadError(_unrecognised_message(path, header))
        body = frame.iloc[header_at + 1 :].reset_index(drop=True)
        body.columns = header
        first_row = header_at + 2  # 1-based spreadsheet row of the first data row
    mapping = resolve_header(table, header)
    missing = [c for c in TABLES[table].required if c not in mapping.values()]
    if missing:
        raise LoadError(_missing_message(path, table, missing))
    out = body[list(mapping)].rename(columns=mapping)
    out = out.loc[:, ~out.columns.duplicated()]
    out["_source_file"] = path.name
    out["_source_row"] = np.arange(first_row, first_row + len(out))
    return table, out


def _table_by_name(path: Path) -> str | None:
    stem = normalise_header(path.stem)
    return next((n for n, t in TABLES.items() if stem in {normalise_header(x) for x in t.file_names}), None)


def _missing_message(path: Path, table: str, missing: list[str]) -> str:
    parts = []
    for col in missing:
        spec = TABLES[table].columns[col]
        parts.append(f"'{col}' (accepted headers: {', '.join((col, *spec.aliases))})")
    return f"{path.name}: looks like the {table} export but lacks required column " + "; ".join(parts) + "."


def _unrecognised_message(path: Path, header: list[str]) -> str:
    shown = ", ".join(h for h in header[:8] if h)
    return (
        f"{path.name}: header row ({shown}) matches no known export; expected e.g. orders "
        f"(主订单编号, 支付完成时间) or im_messages (会话ID, 发送时间, 发送方). See reference/columns.yaml."
    )


# ---------------------------------------------------------------- value parsing
def _blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    return s.mask(s.isin(BLANKS))


def parse_ids(s: pd.Series) -> pd.Series:
    """IDs as text: strip tab/apostrophe/quote prefixes and a spurious ``.0`` from spreadsheets."""
    s = _blank_to_na(s)
    s = s.str.replace(r"^[\t'\"=]+|[\"]+$", "", regex=True).str.strip()
    s = s.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    return s.mask(s == "")


def parse_datetimes(s: pd.Series) -> pd.Series:
    """Local naive Asia/Shanghai timestamps; aware inputs are converted first. Unparseable -> NaT."""
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            return s.dt.tz_convert(TZ).dt.tz_localize(None).astype("datetime64[ns]")
        return s.astype("datetime64[ns]")
    text = _blank_to_na(s).str.replace("/", "-", regex=False).str.replace("T", " ", regex=False)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    aware = text.str.contains(_TZ_SUFFIX, na=False)
    naive_text = text[~aware & text.notna()]
    if len(naive_text):
        parsed = pd.to_datetime(naive_text, format="ISO8601", errors="coerce")
        retry = parsed.isna()
        if retry.any():  # e.g. unpadded 2026-9-1 8:05
            parsed[retry] = pd.to_datetime(naive_text[retry], format="mixed", errors="coerce")
        out[naive_text.index] = parsed.astype("datetime64[ns]")
    if aware.any():
        parsed = pd.to_datetime(text[aware], utc=True, format="ISO8601", errors="coerce")
        out[aware[aware].index] = parsed.dt.tz_convert(TZ).dt.tz_localize(None).astype("datetime64[ns]")
    return out


def parse_numbers(s: pd.Series) -> pd.Series:
    """Money and counts written as text (``¥1,299.00``, ``12元``) -> float."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    text = _blank_to_na(s).str.replace(r"[¥￥,，元\s]", "", regex=True)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def parse_bools(s: pd.Series) -> pd.Series:
    """Flags: 1/0, true/false, 是/否 ... Blank is the neutral value False; anything else -> NA."""
    if pd.api.types.is_bool_dtype(s):
        return s.fillna(False).astype("boolean")
    text = _blank_to_na(s).str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isna()] = False
    out[text.isin(TRUE_WORDS)] = True
    out[text.isin(FALSE_WORDS)] = False
    return out


def parse_text(s: pd.Series) -> pd.Series:
    return _blank_to_na(s)


PARSERS = {
    "id": parse_ids,
    "datetime": parse_datetimes,
    "number": parse_numbers,
    "score": parse_numbers,
    "bool": parse_bools,
    "text": parse_text,
}


def parse_table(table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type every canonical column; returns (typed frame, cell problems: row index, column, raw value)."""
    spec = TABLES[table]
    out = pd.DataFrame(index=frame.index)
    problems = []
    for name, col in spec.columns.items():
        if name not in frame:
            continue
        raw = frame[name]
        parsed = PARSERS[col.type](raw)
        raw_text = _blank_to_na(raw.astype("string")) if raw.dtype == object or pd.api.types.is_string_dtype(raw) else raw
        bad = parsed.isna() & raw_text.notna()
        if bad.any():
            problems.append(pd.DataFrame({"row": frame.index[bad], "column": name, "raw": raw_text[bad].astype(str)}))
        out[name] = parsed
    _normalise_codes(table, out, frame)
    for c in SOURCE_COLUMNS:
        out[c] = frame[c].to_numpy()
    cell_problems = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=["row", "column", "raw"])
    return out, cell_problems


def _normalise_codes(table: str, out: pd.DataFrame, frame: pd.DataFrame) -> None:
    """Map 飞鸽 sender labels and 售后类型 labels to their codes (raw text kept alongside)."""
    if table == "im_messages" and "sender_role" in out:
        raw = out["sender_role"]
        out["sender_role_raw"] = raw
        out["sender_role"] = raw.str.lower().map(sender_roles()).astype("string")
    if table == "after_sales" and "type" in out:
        raw = out["type"]
        out["type_raw"] = raw
        out["type"] = raw.map(after_sale_types()).fillna("other").astype("string")
        shipped = _shipped_flag(out.get("shipped_before_apply"), raw)
        out["shipped_before_apply"] = shipped


def _shipped_flag(status: pd.Series | None, type_raw: pd.Series) -> pd.Series:
    """Whether the goods had shipped when the ticket was applied (商品发货状态, or implied by 售后类型)."""
    flag = pd.Series(pd.NA, index=type_raw.index, dtype="boolean")
    hints = [(type_raw, r"已发货|发货后", r"未发货|发货前")]
    if status is not None:
        hints.insert(0, (status.astype("string"), r"已发货|已揽收|已签收|^true$|^1$|^是$", r"未发货|待发货|^false$|^0$|^否$"))
    for text, yes, no in hints:
        text = text.astype("string")
        fill = flag.isna()
        flag[fill & text.str.contains(yes, na=False)] = True
        flag[fill & text.str.contains(no, na=False)] = False
    return flag


# ---------------------------------------------------------------- a shop folder
def data_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)


def read_shop_files(folder: str | Path) -> RawShop:
    """Read every export file in a shop folder, concatenating files of the same table."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: shop folder not found.")
    raw = RawShop()
    pieces: dict[str, list[pd.DataFrame]] = {}
    for path in data_files(folder):
        try:
            table, frame = read_table_file(path)
        except LoadError as exc:
            if "matches no known export" in str(exc):
                raw.ignored.append({"file": path.name, "reason": str(exc)})
                continue
            raise
        pieces.setdefault(table, []).append(frame)
        raw.files.append({"file": path.name, "table": table, "rows": len(frame)})
    for table, frames in pieces.items():
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
        typed, problems = parse_table(table, frame)
        raw.tables[table] = typed
        if len(problems):
            problems.insert(0, "table", table)
            raw.problems.append(problems)
    return raw
