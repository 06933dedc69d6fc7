"""Read a shop folder's exports (CSV / XLSX / Parquet) into canonical, typed tables.

A file is matched to its table by its header row (searched among the first rows, so a title line
above it is fine; in a workbook, among every sheet) or by its file name; its headers are mapped
through ``reference/columns.yaml`` and its values parsed with the export quirks of SPEC §3 handled:
BOM, GB18030, ``,`` ``;`` tab or ``|`` separators, tab- or apostrophe-prefixed IDs, ``-`` for
empty, money as text, ``YYYY/MM/DD HH:MM[:SS]`` timestamps, UTC or offset timestamps (converted to
Asia/Shanghai, then naive).

Rows are never dropped here (except rows with every recognised cell empty, which are counted as
``blank_rows`` of their file). A value that cannot be parsed becomes null and is listed in the
returned ``problems`` (as is a CSV row with more or fewer cells than its header) so that
:mod:`shopscore_nb.validation` can quarantine or warn. A file that is empty or does not look like
an export of a known table is listed in ``ignored``. :class:`LoadError` names the file (never a raw
pandas/openpyxl/pyarrow traceback) when a file that is recognisably an export cannot be used as
it is: a required column missing (whatever the file's name), a header label given twice, two
aliases of a key column that disagree, IDs that went through a spreadsheet number, bytes that
cannot be decoded.

Every table gets ``_source_file`` (categorical) and ``_source_row`` (1-based spreadsheet row).
Typed Parquet columns are used as they are (no round trip through text), and only the recognised
columns of a file are read.

>>> from shopscore_nb.loading import read_shop_files
>>> raw = read_shop_files("data/demo/flagship")          # doctest: +SKIP
>>> sorted(raw.tables)                                    # doctest: +SKIP
['after_sales', 'complaints', 'im_messages', ...]
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import LoadError
from .schema import (
    NOT_EXPORTS,
    TABLES,
    after_sale_types,
    closest_table,
    guarded_columns,
    header_candidates,
    header_hits,
    match_table,
    normalise_header,
    normalise_label,
    recognised_table,
    resolve_positions,
    sender_roles,
    table_by_name,
)

TZ = "Asia/Shanghai"
BLANKS = {"", "-", "--", "—", "null", "NULL", "None", "nan", "NaN", "NaT", "N/A", "n/a", "#N/A"}
DATA_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq"}
SOURCE_COLUMNS = ["_source_file", "_source_row"]
ROW_PROBLEM = "_row"  # ``problems.column`` of a malformed CSV row (more fields than the header)
SHORT_PROBLEM = "_short"  # ``problems.column`` of a truncated CSV row (fewer fields than the header)
SEPARATORS = (",", ";", "\t", "|")  # CSV delimiters tried; the one that reveals a known header wins
TWIN = "_twin:"  # body column of a second header naming a guarded column (compared, then dropped)
# a spreadsheet number keeps 15 significant digits: an ID of 16+ digits that went through one is wrong
ID_NUMBER_LIMIT = 1e15
_BAD_GROUPING = r"[,，](?:[0-9]{0,2}|[0-9]{4,})(?:[^0-9]|$)"  # a comma not followed by 3 digits
_E_NOTATION = r"[0-9](?:\.[0-9]+)?[eE]\+[0-9]{1,3}"  # 6.931E+18: an ID Excel displayed as a number
HEADER_SCAN_ROWS = 10  # the header row is looked for among this many first rows
HEAD_BYTES = 1 << 20  # ... within this many first bytes
TRUE_WORDS = {"1", "true", "yes", "y", "是", "t", "预售", "虚拟", "赠品", "1.0"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "f", "现货", "非预售", "0.0"}
_TZ_SUFFIX = r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$"  # [0-9], not \d: keeps pandas on pyarrow's fast regex
_ID_PREFIXES = "\t'\"= "
_SENTINEL = "\x01"  # the cells of the row appended after a CSV body (see _arrow_body)
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # a byte that bytes.strip() keeps
_MAGIC = {
    b"PK\x03\x04": "an XLSX workbook (ZIP archive); rename it to .xlsx",
    b"PAR1": "a Parquet file; rename it to .parquet",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook; save it as .xlsx or CSV UTF-8",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}


class SkippedFile(Exception):
    """A file that holds no known export (empty, or unrecognised header): listed, not loaded."""


@dataclass
class _FileRead:
    """What a reader found in one file: its table, raw body (canonical columns), first data row,
    header cells and column position -> canonical name (``_twin:`` entries: second aliases)."""

    table: str
    body: pd.DataFrame
    first_row: int
    header: list[str]
    positions: dict[int, str]
    sheet: str | None = None


@dataclass
class RawShop:
    """Typed canonical tables plus everything noticed while reading them."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)  # file, table, rows, blank_rows
    problems: list[pd.DataFrame] = field(default_factory=list)  # per-cell parse problems
    ignored: list[dict] = field(default_factory=list)  # files not loaded: file, reason


# ---------------------------------------------------------------- choosing the table and header row
def _choose_table(rows: list[list[str]], path: Path, table: str | None = None) -> tuple[str, int]:
    """(table, index of the header row) for a file whose first rows are ``rows``."""
    if not rows:
        raise SkippedFile(f"{path.name}: the file is empty.")
    at = max(range(len(rows)), key=lambda i: (header_hits(rows[i]), -i))
    by_header = match_table(rows[at])
    by_name = table or table_by_name(path.stem)
    if by_name and (by_header is None or table or _hits(by_name, rows[at]) >= _hits(by_header, rows[at])):
        return by_name, max(range(len(rows)), key=lambda i: (_hits(by_name, rows[i]), -i))
    if by_header:
        return by_header, at
    recognised = recognised_table(rows[at])
    if recognised:  # the same LoadError as when the file is named like the table
        raise LoadError(_missing_message(path, *recognised))
    near = closest_table(rows[at])
    if near:
        raise SkippedFile(_missing_message(path, *near))
    raise SkippedFile(_unrecognised_message(path, rows[at]))


def _hits(table: str, row: list[str]) -> int:
    return len(resolve_positions(table, row))


def _positions(path: Path, table: str, header: list[str]) -> dict[int, str]:
    """Column position -> canonical name; LoadError when a required column is missing or a header
    label is repeated. A second alias of a guarded column (required, key, ID) is read too, as
    ``_twin:<column>:<position>``, so that :func:`_check_twins` can compare the two."""
    candidates = header_candidates(table, header)
    missing = [c for c in TABLES[table].required if c not in candidates]
    if missing:
        raise LoadError(_missing_message(path, table, missing))
    guarded = guarded_columns(table)
    positions = {}
    for canon, found in candidates.items():
        labels = [normalise_header(header[pos]) for _, pos in found]
        for label in dict.fromkeys(labels):
            same = [pos for (_, pos), other in zip(found, labels, strict=True) if other == label]
            if len(same) > 1:
                raise LoadError(
                    f"{path.name}: the header has '{header[same[0]]}' ({canon}) {len(same)} times, in columns "
                    f"{_letters(same)}; delete or rename the extra column(s) so that one value is read."
                )
        positions[found[0][1]] = canon
        if canon in guarded:
            positions.update({pos: f"{TWIN}{canon}:{pos}" for _, pos in found[1:]})
    return dict(sorted(positions.items()))


def column_letter(pos: int) -> str:
    """Spreadsheet letter of a 0-based column position (0 -> A, 26 -> AA)."""
    out = ""
    pos += 1
    while pos:
        pos, rest = divmod(pos - 1, 26)
        out = chr(65 + rest) + out
    return out


def _letters(positions: list[int]) -> str:
    names = [column_letter(p) for p in positions]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _missing_message(path: Path, table: str, missing: list[str]) -> str:
    parts = []
    for col in missing:
        parts.append(f"'{col}' (accepted headers: {', '.join(TABLES[table].columns[col].labels)})")
    noun = "column" if len(missing) == 1 else "columns"
    return f"{path.name}: looks like the {table} export but lacks required {noun} " + "; ".join(parts) + "."


def _unrecognised_message(path: Path, header: list[str]) -> str:
    shown = ", ".join(str(h) for h in header[:8] if str(h).strip())
    return (
        f"{path.name}: header row ({shown}) matches no known export; expected e.g. orders "
        f"(主订单编号, 支付完成时间) or im_messages (会话ID, 发送时间, 发送方). See reference/columns.yaml."
    )


# ---------------------------------------------------------------- CSV
def _csv_bytes(path: Path) -> tuple[bytes, str]:
    """The bytes of a CSV file and their encoding: UTF-8 (with or without BOM), else GB18030."""
    data = path.read_bytes()
    if _NOT_BLANK.search(data, len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0) is None:
        raise SkippedFile(f"{path.name}: the file is empty.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise LoadError(f"{path.name}: the file is UTF-16 text; save it again as CSV UTF-8 (or GB18030), or as XLSX.")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise LoadError(f"{path.name}: not a CSV text file but {what}.")
    if b"\x00" in data[:65536]:
        raise LoadError(f"{path.name}: binary content (NUL bytes), not CSV text; re-export the file as CSV UTF-8.")
    bad = None if _valid_utf8(data) else _undecodable_at(data, "utf-8-sig")
    if bad is None:
        return data, "utf-8-sig"
    if data.startswith(codecs.BOM_UTF8):  # the BOM says UTF-8: decoding the rest as GB18030 would be a guess
        line = data.count(b"\n", 0, bad) + 1
        raise LoadError(
            f"{path.name}: starts with a UTF-8 byte-order mark but line {line} is not UTF-8 (byte 0x{data[bad]:02X}); "
            "the file mixes encodings (GBK/GB18030 text after a UTF-8 BOM?). Re-export it as CSV UTF-8."
        )
    if _undecodable_at(data, "gb18030") is None:
        return data, "gb18030"
    raise LoadError(f"{path.name}: cannot decode the file as UTF-8 or GB18030; re-export it as CSV UTF-8.")


def _valid_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked by Arrow's SIMD validator without copying (a UTF-8
    BOM is valid UTF-8, so this is also the ``utf-8-sig`` check); Python's decoder then finds the
    offset of a bad byte."""
    import pyarrow as pa

    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)), pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _undecodable_at(data: bytes, encoding: str, chunk: int = 1 << 24) -> int | None:
    """Offset of the first byte of ``data`` that is not valid ``encoding`` (checked piecewise,
    never holding the whole text), or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    for start in range(0, len(data), chunk):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous piece
        try:
            decoder.decode(data[start : start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError as exc:
            return start - pending + exc.start
    return None


def _separator(path: Path, text: str) -> str:
    """The delimiter among ``SEPARATORS`` under which the first rows show the most known headers
    (then: the one of a ``.tsv`` name, the most frequent, the first listed)."""
    head = text[:65536].split("\n", HEADER_SCAN_ROWS)[:HEADER_SCAN_ROWS]

    def rank(order_sep):
        order, sep = order_sep
        rows = []
        try:
            for row in csv.reader(head, delimiter=sep):
                rows.append(row)
        except csv.Error:
            pass  # judged on the rows read so far; _peek reports a malformed file
        hits = max((header_hits(r) for r in rows), default=0)
        tsv = sep == "\t" and path.suffix.lower() == ".tsv"
        return hits, tsv, sum(line.count(sep) for line in head), -order

    return max(enumerate(SEPARATORS), key=rank)[1]


def _peek(path: Path, data: bytes, encoding: str, sep: str) -> tuple[list[list[str]], list[int]]:
    """The first rows (as cells) and, for each, the number of physical lines read up to its end."""
    cut = len(data) > HEAD_BYTES
    reader = csv.reader(io.StringIO(data[:HEAD_BYTES].decode(encoding, errors="ignore")), delimiter=sep)
    rows, ends = [], []
    try:
        for row in reader:
            rows.append(row)
            ends.append(reader.line_num)
            if len(rows) == HEADER_SCAN_ROWS:
                break
    except csv.Error as exc:
        raise LoadError(f"{path.name}: not a well-formed CSV near line {reader.line_num} ({exc}).") from exc
    if cut and 1 < len(rows) < HEADER_SCAN_ROWS:
        rows, ends = rows[:-1], ends[:-1]  # the last row may be cut off
    return rows, ends


def _line_end(data: bytes, line: int) -> int:
    """Offset of the newline ending physical line ``line`` (1-based), or ``len(data)``."""
    end = -1
    for _ in range(line):
        end = data.find(b"\n", end + 1)
        if end < 0:
            return len(data)
    return end


def _widen_line(data: bytes, line: int, sep: bytes) -> bytes:
    """``data`` with one more (empty) cell at the end of physical line ``line`` (1-based).

    Safe in GB18030 too: its multi-byte characters never contain a newline, tab or comma byte.
    """
    end = _line_end(data, line)
    end -= end > 0 and data[end - 1 : end] == b"\r"
    return data[:end] + sep + data[end:]


def _short_rows(path: Path, data: bytes, start: int, encoding: str, sep: str, width: int, last: pd.Series) -> np.ndarray | None:
    """Rows of ``data[start:]`` (the bytes after the header line) with fewer cells than the header has.

    pandas pads a short row with empty cells, so the rows whose last cell is empty are checked again
    with pyarrow's CSV parser, which reports each short row's record number (C++, no Python per row
    except for the short rows themselves).
    """
    candidates = (last.fillna("") == "").to_numpy(dtype=bool)
    if not candidates.any():
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if encoding == "gb18030":  # pyarrow hands the handler a short row as UTF-8 text (and 0x7C may be a trail byte)
        body = pa.py_buffer(data[start:].decode(encoding).encode("utf-8"))
    else:
        body = pa.py_buffer(data)[start:]  # no copy
    short, invalid = [], [0]

    def on_invalid(row) -> str:
        invalid[0] += 1
        if row.actual_columns < row.expected_columns:
            short.append(-1 if row.number is None else row.number - 1)
        return "skip"

    names = [str(i) for i in range(width)]
    try:
        parsed = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(include_columns=names[:1], column_types={names[0]: pa.binary()}),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise LoadError(f"{path.name}: not a well-formed CSV ({exc}).") from exc
    if parsed.num_rows + invalid[0] != len(last) or -1 in short:  # the two parsers must agree on the rows
        raise LoadError(
            f"{path.name}: cannot tell where its rows end (a stray quote character?); re-export the file as CSV UTF-8."
        )
    out = np.zeros(len(last), dtype=bool)
    out[short] = True
    return out & candidates


class _Chained(io.RawIOBase):
    """A read-only stream over several byte views, one after the other (no copy of the whole)."""

    def __init__(self, *parts: memoryview) -> None:
        self._parts, self._at = list(parts), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._parts:
            part = self._parts[0]
            n = min(len(buffer), len(part) - self._at)
            if n:
                buffer[:n] = part[self._at : self._at + n]
                self._at += n
                return n
            self._parts.pop(0)
            self._at = 0
        return 0


def _arrow_body(data: bytes, start: int, encoding: str, sep: str, width: int, positions: dict[int, str]) -> pd.DataFrame | None:
    """The cells of ``positions`` in the rows of ``data[start:]`` (the bytes after the header line),
    parsed by pyarrow's CSV reader (C++, multi-threaded, only the wanted columns materialised), when
    every row has exactly ``width`` cells; None otherwise (a short or overflowing row, an unclosed
    quote, no rows, a GB18030 file): :func:`_read_csv` then takes the pandas path, which pads,
    flags and reports each such row."""
    if encoding != "utf-8-sig" or start >= len(data):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    invalid = []

    def on_invalid(_row) -> str:
        invalid.append(1)
        return "skip"

    names = [str(i) for i in range(width)]
    wanted = [names[p] for p in sorted(positions)]
    # pyarrow ends a quoted cell left open at the end of the file silently (pandas: "EOF inside
    # string"): a sentinel row after the data is read back as its own row only when no quote is open
    sentinel = (b"" if data.endswith((b"\n", b"\r")) else b"\n") + sep.join([_SENTINEL] * width).encode()
    try:
        parsed = pacsv.read_csv(  # one thread: as fast on two cores, and less CPU on a shared machine
            io.BufferedReader(_Chained(memoryview(data)[start:], memoryview(sentinel)), buffer_size=1 << 20),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(include_columns=wanted, column_types=dict.fromkeys(wanted, pa.large_string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowException, OSError):
        return None
    if invalid or parsed.num_rows < 2 or parsed.column(wanted[0])[-1].as_py() != _SENTINEL:
        return None
    parsed = parsed.slice(0, parsed.num_rows - 1)
    body = pd.DataFrame({p: parsed.column(names[p]).to_pandas() for p in sorted(positions)})
    body.index = pd.RangeIndex(1, len(body) + 1)  # as the pandas path: the header line was row 0
    return body


def _read_csv(path: Path, table: str | None) -> _FileRead:
    data, encoding = _csv_bytes(path)
    sep = _separator(path, data[:65536].decode(encoding, errors="ignore"))
    rows, ends = _peek(path, data, encoding, sep)
    table, at = _choose_table(rows, path, table)
    header = rows[at]
    positions = _positions(path, table, header)
    width = len(header)  # a cell past the header's last column means a malformed (shifted) row
    body = _arrow_body(data, _line_end(data, ends[at]) + 1, encoding, sep, width, positions)
    if body is not None:
        body.columns = [positions[p] for p in sorted(positions)]
        return _FileRead(table, body, at + 2, header, positions)
    # the header line gets one more empty cell so that the parser always has a column ``width``
    widened = _widen_line(data, ends[at], sep.encode())
    wanted = {*positions, width - 1, width}
    try:
        body = pd.read_csv(
            io.BytesIO(widened), encoding=encoding, sep=sep, header=None, skiprows=ends[at - 1] if at else 0,
            names=list(range(width + 1)), index_col=False, usecols=lambda c: c in wanted, dtype=str,
            keep_default_na=False, skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise LoadError(f"{path.name}: not a well-formed CSV ({exc}).") from exc
    del widened
    body = body.iloc[1:]
    overflow = body.pop(width).fillna("") != ""
    last = body[width - 1] if width - 1 in positions else body.pop(width - 1)
    short = _short_rows(path, data, _line_end(data, ends[at]) + 1, encoding, sep, width, last)
    body.columns = [positions[p] for p in sorted(positions)]
    if overflow.any():
        body["_overflow"] = overflow.to_numpy()
    if short is not None and short.any():
        body["_truncated"] = short
    return _FileRead(table, body, at + 2, header, positions)


# ---------------------------------------------------------------- XLSX and Parquet
def _check_workbook(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head.strip():
        raise SkippedFile(f"{path.name}: the file is empty.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError(f"{path.name}: an old Excel .xls workbook named .xlsx; save it as .xlsx or CSV UTF-8.")
    if not head.startswith(b"PK"):
        raise LoadError(f"{path.name}: not an XLSX workbook (no ZIP signature); if it is CSV text, rename it to .csv.")


def _workbook_error(path: Path, exc: Exception) -> LoadError:
    return LoadError(
        f"{path.name}: cannot read the workbook ({type(exc).__name__}: {exc}); open it in Excel and save it "
        "again as .xlsx, or export CSV UTF-8."
    )


def _choose_sheet(path: Path, heads: dict[str, pd.DataFrame], table: str | None) -> tuple[str, list[list[str]]]:
    """(sheet name, its first rows) of the sheet whose rows best match a table (the table the file
    name designates, if any); ties go to the earlier sheet, so a cover page before the data is skipped."""
    target = table or table_by_name(path.stem)
    best = None
    for name, head in heads.items():
        if head.empty:
            continue
        rows = head.fillna("").astype(str).to_numpy().tolist()
        score = max(_hits(target, r) if target else header_hits(r) for r in rows)
        if best is None or score > best[0]:
            best = (score, name, rows)
    if best is None:
        raise SkippedFile(f"{path.name}: every sheet of the workbook is empty.")
    return best[1], best[2]


def _read_xlsx(path: Path, table: str | None) -> _FileRead:
    """Read a workbook with python-calamine (Rust; ~15× faster than openpyxl), or with openpyxl
    through pandas when calamine cannot open it (so a damaged workbook gets openpyxl's diagnosis)."""
    _check_workbook(path)
    try:
        book = _calamine_book(path)
    except Exception:  # noqa: BLE001 - whatever calamine cannot read, openpyxl reads or explains
        return _read_xlsx_openpyxl(path, table)
    try:
        heads = {name: _cells_frame(sheet.to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)) for name, sheet in book.items()}
        name, rows = _choose_sheet(path, heads, table)
        table, at = _choose_table(rows, path, table)
        header = rows[at]
        positions = _positions(path, table, header)
        cells = book[name].to_python(skip_empty_area=False)
    except (LoadError, SkippedFile):
        raise
    except Exception as exc:  # noqa: BLE001 - a calamine surprise still names the file
        raise _workbook_error(path, exc) from exc
    body = _cells_frame(cells[at + 1 :], sorted(positions))
    del cells
    body.columns = [positions[p] for p in sorted(positions)]
    _numeric_ids(path, table, body, header, positions, at + 2, name)
    return _FileRead(table, body.astype(str), at + 2, header, positions, sheet=name)


def _calamine_book(path: Path) -> dict:
    """Sheet name -> calamine sheet (parsed) of every worksheet, in workbook order."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    book = CalamineWorkbook.from_path(str(path))
    try:
        names = [s.name for s in book.sheets_metadata if s.typ == SheetTypeEnum.WorkSheet]
        return {n: book.get_sheet_by_name(n) for n in names}
    finally:
        book.close()


def _cells_frame(rows: list[list], columns: list[int] | None = None) -> pd.DataFrame:
    """Cells of a calamine sheet as the object frame ``pd.read_excel(header=None, dtype=object,
    keep_default_na=False)`` gives: whole floats as int, dates as datetimes, empty cells ``""``
    (only ``columns``, when given; positions past the sheet's width are empty), trailing rows of
    empty cells left out as openpyxl leaves them out."""
    end = len(rows)
    while end and all(v == "" for v in rows[end - 1]):
        end -= 1
    rows = rows[:end] if end < len(rows) else rows
    width = max((len(r) for r in rows), default=0)
    if not rows or not width:
        return pd.DataFrame(columns=columns or [], dtype=object)
    grid = np.empty((len(rows), width), dtype=object)
    try:
        grid[:] = rows  # a calamine range is rectangular
    except ValueError:
        grid[:] = [r + [""] * (width - len(r)) for r in rows]
    out = {}
    for pos in range(width) if columns is None else columns:
        col = grid[:, pos] if pos < width else np.full(len(rows), "", dtype=object)
        if pd.api.types.infer_dtype(col, skipna=False) not in ("string", "empty"):
            col = np.array([_excel_value(v) for v in col], dtype=object)
        out[pos] = col
    return pd.DataFrame(out, index=pd.RangeIndex(len(rows)), dtype=object)


def _excel_value(value):
    """One cell as pandas' calamine reader converts it (whole floats -> int, date -> datetime)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def _read_xlsx_openpyxl(path: Path, table: str | None) -> _FileRead:
    _check_workbook(path)
    options = {"header": None, "dtype": object, "keep_default_na": False}  # typed cells: numeric IDs are caught
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            heads = {name: pd.read_excel(book, sheet_name=name, nrows=HEADER_SCAN_ROWS, **options) for name in book.sheet_names}
            name, rows = _choose_sheet(path, heads, table)
            sheet = pd.read_excel(book, sheet_name=name, **options)
    except (LoadError, SkippedFile):
        raise
    except Exception as exc:  # openpyxl/zipfile raise many kinds for a damaged or mislabelled workbook
        raise _workbook_error(path, exc) from exc
    table, at = _choose_table(rows, path, table)
    header = rows[at]
    positions = _positions(path, table, header)
    body = sheet.iloc[at + 1 :, sorted(positions)].reset_index(drop=True)
    body.columns = [positions[p] for p in sorted(positions)]
    _numeric_ids(path, table, body, header, positions, at + 2, name)
    return _FileRead(table, body.astype(str), at + 2, header, positions, sheet=name)


def _numeric_ids(path, table, body, header, positions, first_row, sheet) -> None:
    """LoadError for an ID column holding spreadsheet numbers of 16+ digits (rounded to 15 digits
    by Excel, to a double by the file format: the ID is lost)."""
    columns = TABLES[table].columns
    for pos, name in positions.items():
        if name not in columns or columns[name].type != "id":
            continue
        col = body[name]
        if pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
            continue  # all text: the usual case, checked in C
        numeric = col.map(type).isin([int, float])
        value = pd.to_numeric(col.where(numeric), errors="coerce").abs()
        bad = np.flatnonzero((value >= ID_NUMBER_LIMIT).to_numpy(dtype=bool, na_value=False))
        if len(bad):
            where = f"sheet '{sheet}', " if sheet else ""
            raise LoadError(_mangled_message(path, header[pos], name, f"{where}row {first_row + bad[0]}: {col.iloc[bad[0]]!r}"))


def _mangled_message(path: Path, label: str, name: str, example: str) -> str:
    return (
        f"{path.name}: column '{label}' ({name}) holds IDs that went through a spreadsheet number ({example}), "
        "so their last digits are lost. Export IDs as text: use the backend's CSV file unchanged (do not open and "
        "save it in Excel), or in Excel format the column as 文本 (Text) before pasting the IDs."
    )


def _read_parquet(path: Path, table: str | None) -> _FileRead:
    import pyarrow.parquet as pq

    try:
        names = [str(n) for n in pq.read_schema(path).names]
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a non-Parquet file
        raise LoadError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}: {exc}).") from exc
    names = [n for n in names if not n.startswith("__index_level_")]
    table, _ = _choose_table([names] if names else [], path, table)
    positions = _positions(path, table, names)
    try:
        body = pd.read_parquet(path, columns=[names[p] for p in sorted(positions)])
    except Exception as exc:
        raise LoadError(f"{path.name}: cannot read the Parquet data ({type(exc).__name__}: {exc}).") from exc
    body.columns = [positions[p] for p in sorted(positions)]
    return _FileRead(table, body.reset_index(drop=True), 2, names, positions)


READERS = {".xlsx": _read_xlsx, ".xlsm": _read_xlsx, ".parquet": _read_parquet, ".pq": _read_parquet}


def read_table_file(path: str | Path, table: str | None = None) -> tuple[str, pd.DataFrame]:
    """Read one export file; returns (table name, raw frame with canonical columns + source columns).

    ``_source_row`` is the 1-based spreadsheet row (header row and any title line counted; a quoted
    cell spanning lines is one row). Parquet rows are numbered the same way (first data row = 2).
    Of a workbook, the sheet whose header best matches a table is read (``frame.attrs["sheet"]``).
    Rows whose recognised cells are all empty are dropped; ``frame.attrs["blank_rows"]`` counts them.
    Raises :class:`LoadError` for an unreadable file, :class:`SkippedFile` for one to ignore.
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower(), _read_csv)
    try:
        got = reader(path, table)
    except OSError as exc:
        raise LoadError(f"{path.name}: cannot read the file ({exc.strerror or exc}).") from exc
    body = got.body.reset_index(drop=True)
    _check_ids(path, got, body)
    _check_twins(path, got, body)
    body["_source_file"] = pd.Categorical.from_codes(np.zeros(len(body), dtype=np.int8), categories=[path.name])
    body["_source_row"] = np.arange(got.first_row, got.first_row + len(body), dtype="int64")
    blank = _blank_rows(body)
    body = body[~blank].reset_index(drop=True) if blank.any() else body
    body.attrs["blank_rows"] = int(blank.sum())
    if got.sheet is not None:
        body.attrs["sheet"] = got.sheet
    return got.table, body


def _label(got: _FileRead, name: str) -> str:
    return next(got.header[p] for p, n in got.positions.items() if n == name)


def _check_ids(path: Path, got: _FileRead, body: pd.DataFrame) -> None:
    """LoadError for an ID column that went through a number: floats of 16+ digits (Parquet) or
    E-notation text such as ``6.931E+18`` (a CSV saved by Excel)."""
    for name in TABLES[got.table].columns_of_type("id"):
        if name not in body:
            continue
        col = body[name]
        if pd.api.types.is_float_dtype(col):
            bad = (col.abs() >= ID_NUMBER_LIMIT).to_numpy(dtype=bool, na_value=False)
        elif _is_text(col):
            text = col.astype("string")
            bad = (text.str.contains("E+", regex=False) | text.str.contains("e+", regex=False)).fillna(False).to_numpy(dtype=bool)
            if bad.any():  # rare: only then strip and match the whole cell
                bad &= text.str.strip().str.fullmatch(_E_NOTATION).fillna(False).to_numpy(dtype=bool)
        else:
            continue
        if bad.any():
            i = int(np.argmax(bad))
            raise LoadError(_mangled_message(path, _label(got, name), name, f"row {got.first_row + i}: {col.iloc[i]!r}"))


def _check_twins(path: Path, got: _FileRead, body: pd.DataFrame) -> None:
    """Two headers giving one guarded column (e.g. 主订单编号 and 订单编号) must agree on every row
    (two blanks agree); the second is then dropped. LoadError naming both columns otherwise."""
    for pos, twin in got.positions.items():
        if not twin.startswith(TWIN):
            continue
        name = twin.split(":")[1]
        parse = PARSERS[TABLES[got.table].columns[name].type]
        raw = body.pop(twin)
        first, second = parse(body[name]), parse(raw)
        both = (first.notna() & second.notna()).to_numpy(dtype=bool)
        differ = (first.isna() != second.isna()).to_numpy(dtype=bool) | (both & (first != second).to_numpy(dtype=bool, na_value=False))
        if differ.any():
            i = int(np.argmax(differ))
            main = next(p for p, n in got.positions.items() if n == name)
            raise LoadError(
                f"{path.name}: columns '{got.header[main]}' ({column_letter(main)}) and '{got.header[pos]}' "
                f"({column_letter(pos)}) both give {name} but disagree (row {got.first_row + i}: "
                f"{body[name].iloc[i]!r} vs {raw.iloc[i]!r}); delete the wrong column."
            )


def _blank_rows(body: pd.DataFrame) -> pd.Series:
    blank = pd.Series(True, index=body.index)
    for name in body.columns:
        if name.startswith("_"):
            continue
        col = body[name]
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            blank &= (col.fillna("").astype(str).str.strip() == "").to_numpy()
        else:
            blank &= col.isna().to_numpy()
        if not blank.any():
            break
    return blank


# ---------------------------------------------------------------- value parsing
def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)


def _clean(s: pd.Series, prefixes: bool = True) -> pd.Series:
    """Cells as nullable strings: blanks stripped, ``-``/``null``... as NA, export prefixes removed
    (a tab, an apostrophe, ``="…"``) unless ``prefixes`` is false (free text keeps them)."""
    text = s.astype("string")
    if _any_edge_space(text):  # clean exports: no copy of a column that has nothing to strip
        text = text.str.strip()
    if prefixes:
        lead = text.str.startswith(tuple(_ID_PREFIXES.strip(" "))).fillna(False)
        if lead.any():
            text = text.where(~lead, text.str.lstrip(_ID_PREFIXES).str.rstrip('"').str.strip())
    blank = text.isin(BLANKS)
    return text.mask(blank) if blank.any() else text


#: every character pandas' ``str.strip`` removes (Unicode White_Space and the separators 0x1c–0x1f; tested)
WHITE_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
_SPACE_FIRST_BYTES = {c.encode()[:1] for c in WHITE_SPACE}  # UTF-8 first and last bytes of those characters
_SPACE_LAST_BYTES = {c.encode()[-1:] for c in WHITE_SPACE}


def _any_edge_space(text: pd.Series) -> bool:
    """Whether any cell starts or ends with white space (what ``str.strip`` would change). A byte-level
    look at the first and last byte of each cell rules most columns out; the few it cannot are stripped
    and compared."""
    arr = getattr(text.array, "_pa_array", None)
    if arr is None:
        return True
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = arr.cast(pa.large_binary())
    edges = [(pc.binary_slice(raw, 0, 1), _SPACE_FIRST_BYTES), (pc.binary_slice(raw, -1), _SPACE_LAST_BYTES)]
    if not any(pc.any(pc.is_in(edge, value_set=pa.array(sorted(bytes_), type=pa.large_binary()))).as_py() for edge, bytes_ in edges):
        return False
    return bool(pc.any(pc.not_equal(pc.binary_length(pc.utf8_trim_whitespace(arr)), pc.binary_length(arr))).as_py())


def parse_ids(s: pd.Series) -> pd.Series:
    """IDs as exact text: tab/apostrophe/``="…"`` prefixes and a spreadsheet's ``.0`` removed."""
    if pd.api.types.is_float_dtype(s):
        whole = s.dropna()
        if (whole == np.floor(whole)).all() and (whole.abs() < 2**53).all():
            return s.astype("Int64").astype("string")
    if pd.api.types.is_bool_dtype(s) or not (_is_text(s) or pd.api.types.is_float_dtype(s)):
        return s.astype("string").mask(s.isna())
    text = _clean(s)
    dotted = text.str.endswith(".0").fillna(False)
    if dotted.any():
        dotted &= text.str.fullmatch(r"[0-9]+\.0").fillna(False)
        text = text.where(~dotted, text.str.slice(stop=-2))
    return text


def parse_text(s: pd.Series) -> pd.Series:
    """Free text: blanks stripped, ``-`` as NA, everything else kept verbatim."""
    return _clean(s, prefixes=False)


def _zoned(text: pd.Series) -> pd.Series:
    """Cells ending in a zone suffix (``_TZ_SUFFIX``). The regex runs only on the cells that end in
    ``Z`` or have a sign 5 or 6 characters from the end (the few that can match): a regex over
    millions of cells costs as much as parsing them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    data = getattr(text.array, "_pa_array", None)
    if not isinstance(data, pa.ChunkedArray) or not (pa.types.is_string(data.type) or pa.types.is_large_string(data.type)):
        return text.str.contains(_TZ_SUFFIX, regex=True).fillna(False)
    sign = pc.utf8_slice_codeunits(data, -6, -4)
    maybe = pc.or_(pc.ends_with(data, "Z"), pc.or_(pc.match_substring(sign, "+"), pc.match_substring(sign, "-")))
    maybe = pc.fill_null(maybe, False).to_numpy(zero_copy_only=False)
    out = np.zeros(len(text), dtype=bool)
    if maybe.any():
        out[maybe] = text[maybe].str.contains(_TZ_SUFFIX, regex=True).fillna(False).to_numpy(dtype=bool)
    return pd.Series(out, index=text.index)


def _datetimes_from_text(text: pd.Series) -> pd.Series:
    text = text.str.replace("/", "-", regex=False)
    if text.str.contains("年", regex=False).any():
        text = text.str.replace(r"[年月]", "-", regex=True).str.replace(r"日\s*", " ", regex=True).str.strip()
    aware = _zoned(text)
    if not aware.any():  # the usual case
        return pd.to_datetime(text, format="ISO8601", errors="coerce", cache=False).astype("datetime64[ns]")
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    naive = text.notna() & ~aware
    if naive.any():
        out[naive] = pd.to_datetime(text[naive], format="ISO8601", errors="coerce", cache=False).astype("datetime64[ns]")
    if aware.any():
        parsed = pd.to_datetime(text[aware], utc=True, format="ISO8601", errors="coerce", cache=False)
        out[aware] = parsed.dt.tz_convert(TZ).dt.tz_localize(None).astype("datetime64[ns]")
    return out


def parse_datetimes(s: pd.Series) -> pd.Series:
    """Local naive Asia/Shanghai timestamps; aware inputs are converted first. Unparseable -> NaT."""
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert(TZ).dt.tz_localize(None)
        return s.astype("datetime64[ns]")
    return _datetimes_from_text(_clean(s))


def _numbers_from_text(text: pd.Series, units: str = "") -> pd.Series:
    comma = text.str.contains("[,，]", regex=True).fillna(False)
    if comma.any():  # a comma separates thousands; "12,50" (a decimal comma) is unparseable, not 1250
        grouped = ~text[comma].str.contains(_BAD_GROUPING, regex=True).fillna(False)
        text = text.where(~comma, text.where(grouped.reindex(text.index, fill_value=True)))
    text = text.str.replace(f"[¥￥,，元 \t\u3000{units}]", "", regex=True)  # real characters: pyarrow's regex
    return pd.to_numeric(text, errors="coerce").astype("float64")


def parse_numbers(s: pd.Series) -> pd.Series:
    """Money and counts written as text (``¥1,299.00``, ``12元``) -> float."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    return _numbers_from_text(_clean(s))


def parse_scores(s: pd.Series) -> pd.Series:
    """Star scores (``5``, ``5星``, ``4分``) -> float; the 1–5 range is checked by validation."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    return _numbers_from_text(_clean(s), units="星分")


def _bools_from_text(text: pd.Series) -> pd.Series:
    lower = text.str.lower()
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[lower.isna()] = False
    out[lower.isin(TRUE_WORDS).fillna(False)] = True
    out[lower.isin(FALSE_WORDS).fillna(False)] = False
    return out


def parse_bools(s: pd.Series) -> pd.Series:
    """Flags: 1/0, true/false, 是/否 ... Blank is the neutral value False; anything else -> NA."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean").fillna(False)
    return _bools_from_text(_clean(s))


PARSERS = {
    "id": parse_ids,
    "datetime": parse_datetimes,
    "number": parse_numbers,
    "score": parse_scores,
    "bool": parse_bools,
    "text": parse_text,
}
_TEXT_PARSERS = {
    "datetime": _datetimes_from_text,
    "number": _numbers_from_text,
    "score": lambda t: _numbers_from_text(t, units="星分"),
    "bool": _bools_from_text,
}


def _parse_column(kind: str, raw: pd.Series) -> tuple[pd.Series, pd.Series | None]:
    """(parsed values, mask of cells that had a value but could not be parsed, or None)."""
    if kind in ("id", "text"):
        return PARSERS[kind](raw), None
    if _is_text(raw):
        text = _clean(raw)
        parsed = _TEXT_PARSERS[kind](text)
        bad = parsed.isna() & text.notna()
    else:
        parsed = PARSERS[kind](raw)
        bad = parsed.isna() & raw.notna()
    if kind == "bool":
        parsed = parsed.fillna(False)  # an unreadable flag takes the neutral value (and is warned about)
    return parsed, bad


def parse_table(table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type every canonical column; returns (typed frame, cell problems: row index, column, raw value)."""
    out, problems = {}, []
    for name, col in TABLES[table].columns.items():
        if name not in frame:
            continue
        try:
            parsed, bad = _parse_column(col.type, frame[name])
        except Exception as exc:  # a pandas/pyarrow surprise must still name the file and column
            source = frame["_source_file"].iloc[0] if "_source_file" in frame and len(frame) else table
            raise LoadError(f"{source}: cannot parse column '{name}' ({type(exc).__name__}: {exc}).") from exc
        out[name] = parsed
        if bad is not None and bad.any():
            problems.append(_problem_frame(frame.index[bad.to_numpy()], name, frame[name][bad.to_numpy()]))
    for flag, column, text in (("_overflow", ROW_PROBLEM, "more cells"), ("_truncated", SHORT_PROBLEM, "fewer cells")):
        if flag in frame:
            rows = frame.index[frame[flag].to_numpy(dtype=bool)]
            problems.append(_problem_frame(rows, column, pd.Series(f"{text} than the header has columns", index=rows)))
    typed = pd.DataFrame(out, index=frame.index)
    _normalise_codes(table, typed)
    for c in SOURCE_COLUMNS:
        if c in frame:
            typed[c] = frame[c].array
    empty = pd.DataFrame({"row": pd.Series(dtype="int64"), "column": pd.Series(dtype="string"), "raw": pd.Series(dtype="string")})
    return typed, (pd.concat(problems, ignore_index=True) if problems else empty)


def _problem_frame(rows: pd.Index, column: str, raw: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"row": np.asarray(rows, dtype="int64"), "column": column, "raw": raw.astype("string").to_numpy()}
    ).astype({"column": "string", "raw": "string"})


def _map_labels(raw: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Map code labels through ``mapping`` (keys normalised): factorised, so cheap on millions of rows."""
    codes, uniques = pd.factorize(raw)
    mapped = np.array([mapping.get(normalise_label(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=raw.index, dtype="string")


def _normalise_codes(table: str, out: pd.DataFrame) -> None:
    """Map 飞鸽 sender labels and 售后类型 labels to their codes (raw text kept alongside)."""
    if table == "im_messages" and "sender_role" in out:
        raw = out["sender_role"]
        out["sender_role_raw"] = raw
        out["sender_role"] = _map_labels(raw, sender_roles())  # NA where unknown: quarantined
    if table == "after_sales" and "type" in out:
        raw = out["type"]
        out["type_raw"] = raw
        out["type"] = _map_labels(raw, after_sale_types()).fillna("other").mask(raw.isna())  # blank: missing
        out["shipped_before_apply"] = _shipped_flag(out.get("shipped_before_apply"), raw)


def _shipped_flag(status: pd.Series | None, type_raw: pd.Series) -> pd.Series:
    """Whether the goods had shipped when the ticket was applied (商品发货状态, or implied by 售后类型)."""
    flag = pd.Series(pd.NA, index=type_raw.index, dtype="boolean")
    hints = [(type_raw, r"已发货|发货后", r"未发货|发货前")]
    if status is not None:
        hints.insert(0, (status, r"已发货|已揽收|已签收|^true$|^1$|^是$", r"未发货|待发货|^false$|^0$|^否$"))
    for text, yes, no in hints:
        text = text.astype("string").str.lower()
        fill = flag.isna()
        flag[fill & text.str.contains(yes, regex=True).fillna(False)] = True
        flag[fill & text.str.contains(no, regex=True).fillna(False)] = False
    return flag


# ---------------------------------------------------------------- a shop folder
def data_files(folder: Path) -> list[Path]:
    """Files of a shop folder that may hold exports (by suffix), sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES and not _hidden(p)
                  and p.name not in NOT_EXPORTS)


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _other_files(folder: Path) -> list[dict]:
    """Files that are not read (wrong type, Excel lock files), so the user sees they were skipped."""
    out = []
    for p in sorted(Path(folder).iterdir()):
        if not p.is_file() or p.name in NOT_EXPORTS or p.name.startswith("."):
            continue
        if p.name.startswith("~$"):
            out.append({"file": p.name, "reason": f"{p.name}: an Excel lock file, not data."})
        elif p.suffix.lower() not in DATA_SUFFIXES:
            kinds = "CSV (UTF-8 or GB18030), XLSX or Parquet"
            out.append({"file": p.name, "reason": f"{p.name}: file type '{p.suffix or '(none)'}' is not read; use {kinds}."})
    return out


READ_THREADS = 2  # files are read and tables typed side by side: Arrow's kernels release the GIL


def _read_or_skip(path: Path):
    try:
        return path, read_table_file(path), None
    except SkippedFile as why:
        return path, None, why


def read_shop_files(folder: str | Path) -> RawShop:
    """Read every export file in a shop folder, concatenating files of the same table.

    Files are read, and tables typed, by :data:`READ_THREADS` threads; results and the first error
    come in file (table) order, as a sequential read would give them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: shop folder not found.")
    raw = RawShop(ignored=_other_files(folder))
    pieces: dict[str, list[pd.DataFrame]] = {}

    def typed_table(table: str):
        frames = pieces.pop(table)  # each table's raw frames go as soon as it is typed: a lower peak
        typed, problems = _combine(table, [parse_table(table, run) for run in _text_runs(frames)])
        typed["_source_file"] = _file_names(frames)
        return table, typed, problems

    with ThreadPoolExecutor(READ_THREADS) as pool:
        for path, got, skipped in pool.map(_read_or_skip, data_files(folder)):
            if skipped is not None:
                raw.ignored.append({"file": path.name, "reason": str(skipped)})
                continue
            table, frame = got
            pieces.setdefault(table, []).append(frame)
            raw.files.append({"file": path.name, "table": table, "rows": len(frame), "blank_rows": frame.attrs["blank_rows"]})
            if "sheet" in frame.attrs:
                raw.files[-1]["sheet"] = frame.attrs["sheet"]
        for table, typed, problems in pool.map(typed_table, list(pieces)):
            raw.tables[table] = typed
            if len(problems):
                problems.insert(0, "table", table)
                raw.problems.append(problems)
    return raw


def _text_runs(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Consecutive all-text frames (CSV, XLSX) concatenated, so that they are parsed in one pass;
    typed frames (Parquet) stay on their own. File order is kept."""
    runs: list[list[pd.DataFrame]] = []
    for frame in frames:
        text = all(_is_text(frame[c]) for c in frame.columns if not c.startswith("_"))
        if text and runs and runs[-1][0].attrs.get("text"):
            runs[-1].append(frame)
        else:
            runs.append([frame])
        frame.attrs["text"] = text
    out = []
    for run in runs:
        frame = pd.concat(run, ignore_index=True) if len(run) > 1 else run[0]
        for flag in ("_overflow", "_truncated"):
            if flag in frame:
                frame[flag] = frame[flag].fillna(False).astype(bool)
        out.append(frame)
    return out


def _file_names(frames: list[pd.DataFrame]) -> pd.Categorical:
    """The ``_source_file`` column of concatenated frames (file names are unique in a folder)."""
    names = [f["_source_file"].cat.categories[0] for f in frames]
    codes = np.repeat(np.arange(len(frames), dtype=np.int32), [len(f) for f in frames])
    return pd.Categorical.from_codes(codes, categories=names)


def _combine(table: str, parts: list[tuple[pd.DataFrame, pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate the typed parts of one table (problems re-indexed) with uniform dtypes."""
    offsets = np.cumsum([0] + [len(f) for f, _ in parts[:-1]])
    problems = [p.assign(row=p["row"] + off) for (_, p), off in zip(parts, offsets, strict=True) if len(p)]
    frames = [f for f, _ in parts]
    if len(frames) == 1:
        typed = frames[0].reset_index(drop=True)
    else:
        typed = _uniform_dtypes(table, pd.concat([f.drop(columns="_source_file") for f in frames], ignore_index=True))
    return typed, (pd.concat(problems, ignore_index=True) if problems else parts[0][1].iloc[:0])


def _uniform_dtypes(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Restore each column's canonical dtype after concatenating files that lacked some columns."""
    kinds = {name: col.type for name, col in TABLES[table].columns.items()}
    kinds.update(sender_role_raw="text", type_raw="text", shipped_before_apply="flag")
    dtypes = {"id": "string", "text": "string", "datetime": "datetime64[ns]", "number": "float64", "score": "float64"}
    for name in frame.columns:
        kind = kinds.get(name)
        if kind == "bool":
            frame[name] = frame[name].astype("boolean").fillna(False)  # absent from a file: neutral value
        elif kind == "flag":
            frame[name] = frame[name].astype("boolean")
        elif kind in dtypes and frame[name].dtype != dtypes[kind]:
            frame[name] = frame[name].astype(dtypes[kind])
    return frame
