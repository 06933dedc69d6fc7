"""Row-level contracts: quarantine what cannot be used, warn about what is odd but usable.

Quarantined rows (left out of every indicator, kept with reason and source file + row):
``malformed_row`` (a CSV row with more cells than its header: an unquoted comma shifted it),
``truncated_row`` (fewer cells than its header: a download cut mid-row), ``unparseable_required``,
``missing_required``, ``implausible_timestamp`` (a required time before
:data:`~shopscore_nb.schema.EARLIEST_TIMESTAMP`), ``unknown_code``, ``score_out_of_range``,
``duplicate_key``, ``picked_up_before_paid``, ``signed_before_picked_up``,
``aftersale_event_before_applied``. A row gets the first reason that applies, in that order.

Warnings (rows kept): ``orphan`` (order not in the orders export), ``unparseable_optional``
(the cell became empty; an unreadable flag became False), ``implausible_timestamp`` (an optional
time before the cut-off, emptied), ``negative_amount`` (a negative money value, emptied),
``future_timestamp`` (later than the moment of loading). A warning is given once per row and
reason, and only for rows that are kept. Emptied values are emptied before the order of events is
checked, so a placeholder 1970 time never quarantines a row as an impossible order of events.

The column contracts (required values present, scores 1–5, known codes) are written as pandera
schemas (:func:`table_schema`, usable on any canonical frame) and applied by a vectorised
equivalent (:func:`contract_checks`; the test suite proves both agree), because pandera's
failure-case bookkeeping is slow on frames of millions of rows. The cross-table rules (order of
events, orphans) are vectorised joins.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .compact import encode
from .fastops import group_by, isin, lookup
from .loading import ROW_PROBLEM, SHORT_PROBLEM, LoadError
from .schema import EARLIEST_TIMESTAMP, EVENT_TIME_EXCLUDED, TABLES

QUARANTINE_COLUMNS = ["table", "reason", "column", "detail", "source_file", "source_row"]
ROLE_CODES = ["buyer", "agent", "robot_assist", "robot", "system"]
SCORES = [1, 2, 3, 4, 5]
EARLIEST = pd.Timestamp(EARLIEST_TIMESTAMP)


@dataclass
class Validation:
    """Clean tables, quarantine and warning records, and the quarantined rows themselves."""

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    warnings: pd.DataFrame
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)  # per table: typed rows + ``_reason``


# ---------------------------------------------------------------- column contracts
def table_schema(table: str) -> pa.DataFrameSchema:
    """The pandera contract of a canonical table (codes as loaded: ``sender_role`` already mapped)."""
    columns = {}
    for name, col in TABLES[table].columns.items():
        checks = []
        if col.type == "score":
            checks.append(pa.Check.isin(SCORES, name="score_out_of_range", ignore_na=True))
        if table == "im_messages" and name == "sender_role":
            checks.append(pa.Check.isin(ROLE_CODES, name="unknown_code", ignore_na=True))
        if col.type == "datetime" and col.required:
            checks.append(pa.Check.ge(EARLIEST, name="implausible_timestamp", ignore_na=True))
        columns[name] = pa.Column(nullable=not col.required, checks=checks, required=col.required, coerce=False)
    return pa.DataFrameSchema(columns, strict=False)


def contract_failures(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows breaking the table's pandera contract: row, column, check (named as the quarantine reasons)."""
    try:
        table_schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        cases = cases[cases["index"].notna()]
        column = cases["column"].astype(str)
        shown = cases["check"].astype(str)  # pandera shows a built-in check by its expression, not its name
        check = pd.Series("unknown_code", index=cases.index).where(column == "sender_role", "score_out_of_range")
        check = check.where(~shown.str.startswith("greater_than"), "implausible_timestamp")
        check = check.where(~shown.str.contains("not_nullable"), "missing_required")
        return pd.DataFrame({"row": cases["index"].astype("int64"), "column": column, "check": check})
    return pd.DataFrame({"row": pd.Series(dtype="int64"), "column": pd.Series(dtype=str), "check": pd.Series(dtype=str)})


def _problem_values(problems: pd.DataFrame, column: str, index: pd.Index) -> pd.Series | None:
    """The raw text of ``column``'s unparseable cells, aligned to ``index`` (NA elsewhere); None if none."""
    sel = problems[problems["column"] == column] if len(problems) else problems
    if not len(sel):
        return None
    return pd.Series(sel["raw"].to_numpy(), index=sel["row"].to_numpy(), dtype="string").reindex(index)


def _values(frame: pd.DataFrame, column: str, label: str | None = None):
    """Detail maker: ``label=value`` for the rows of a mask (built only for the rows flagged)."""
    return lambda mask: (label or column) + "=" + frame.loc[mask, column].astype("string").fillna("")


def _raw_values(column: str, raw: pd.Series):
    return lambda mask: column + "=" + raw[mask]


def contract_checks(table: str, frame: pd.DataFrame, problems: pd.DataFrame):
    """Yield ``(reason, column, mask, detail)`` for every column contract, in priority order.

    ``detail`` is text, or a function of the flagged-rows mask returning the text of those rows.
    """
    spec = TABLES[table]
    absent = [c for c in spec.required if c not in frame]
    if absent:
        raise LoadError(f"table {table}: required column(s) {absent} absent; cannot validate.")
    for reason, marker in (("malformed_row", ROW_PROBLEM), ("truncated_row", SHORT_PROBLEM)):
        raw = _problem_values(problems, marker, frame.index)
        if raw is not None:
            yield reason, "", raw.notna(), (lambda r: lambda mask: r[mask])(raw)
    for col in spec.required:
        raw = _problem_values(problems, col, frame.index)
        if raw is not None:
            yield "unparseable_required", col, raw.notna(), _raw_values(col, raw)
    for col in spec.required:  # a code column is missing when its raw label is (unknown labels: below)
        given = frame[f"{col}_raw"] if f"{col}_raw" in frame else frame[col]
        yield "missing_required", col, given.isna(), f"{col} is empty"
    for col in spec.required:
        if spec.columns[col].type == "datetime":
            early = (frame[col] < EARLIEST).to_numpy(dtype=bool, na_value=False)
            yield "implausible_timestamp", col, early, _values(frame, col)
    if table == "im_messages":
        given = "sender_role_raw" if "sender_role_raw" in frame else "sender_role"
        unknown = frame[given].notna() & ~frame["sender_role"].isin(ROLE_CODES).fillna(False)
        yield "unknown_code", "sender_role", unknown, _values(frame, given, "sender_role")
    for col in spec.columns_of_type("score"):
        if col in frame:
            bad = frame[col].notna() & ~frame[col].isin(SCORES)
            yield "score_out_of_range", col, bad, _values(frame, col)


# ---------------------------------------------------------------- duplicates
def _key(table: str, frame: pd.DataFrame) -> list[str]:
    """The table's key when every key column is present; else [] (whole-row identity)."""
    key = list(TABLES[table].key)
    return key if key and all(c in frame for c in key) else []


def duplicate_mask(table: str, frame: pd.DataFrame) -> pd.Series:
    """Rows to set aside because another row has the same key (whole-row identity where the key is
    absent or blank). Of each group the most complete row is kept, ties going to the later one
    (files are read in name order, and exports are named by their export time)."""
    data_cols = [c for c in frame.columns if not c.startswith("_")]
    key = _key(table, frame)
    dup = pd.Series(False, index=frame.index)
    keyed = frame[key].notna().all(axis=1) if key else pd.Series(False, index=frame.index)
    if not keyed.all():
        dup[~keyed] = frame.loc[~keyed].duplicated(subset=data_cols)
    if keyed.any():
        rows = frame if keyed.all() else frame.loc[keyed]
        cand = rows.duplicated(subset=key, keep=False)
        if cand.any():
            group = rows.loc[cand, key].assign(_filled=rows.loc[cand, data_cols].notna().sum(axis=1))
            group["_pos"] = range(len(group))
            group = group.sort_values(["_filled", "_pos"], kind="stable")
            dup[group.index[group.duplicated(subset=key, keep="last")]] = True
    return dup


# ---------------------------------------------------------------- order of events
def order_paid_at(orders: pd.DataFrame | None) -> pd.Series:
    """Payment time per order (earliest over its sub-order rows)."""
    if orders is None or orders.empty:
        return pd.Series(dtype="datetime64[ns]")
    return group_by(orders, "order_id")["paid_at"].min()


def _before(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later < earlier).fillna(False).astype(bool)


def _event_detail(col: str, value: pd.Series, ref: str, ref_value: pd.Series):
    return lambda mask: col + " " + value[mask].astype("string") + " < " + ref + " " + ref_value[mask].astype("string")


def event_order_checks(table: str, frame: pd.DataFrame, paid: pd.Series):
    """Yield ``(reason, column, mask, detail)`` for impossible orders of events (SPEC §3)."""
    if table == "shipments":
        paid_at = lookup(frame["order_id"], paid) if len(paid) else pd.Series(pd.NaT, index=frame.index)
        paid_at = paid_at.astype("datetime64[ns]")
        pick = frame["picked_up_at"]
        yield "picked_up_before_paid", "picked_up_at", _before(pick, paid_at), _event_detail("picked_up_at", pick, "paid_at", paid_at)
        if "signed_at" in frame:
            sign = frame["signed_at"]
            yield "signed_before_picked_up", "signed_at", _before(sign, pick), _event_detail("signed_at", sign, "picked_up_at", pick)
    if table == "after_sales":
        applied = frame["applied_at"]
        for col in ("agreed_at", "refunded_at", "completed_at"):
            if col in frame:
                early = _before(frame[col], applied)
                yield "aftersale_event_before_applied", col, early, _event_detail(col, frame[col], "applied_at", applied)


# ---------------------------------------------------------------- verdicts and records
class _Verdict:
    """The first failing reason of each row of one table, and the quarantine records so far."""

    def __init__(self, table: str, frame: pd.DataFrame):
        self.table, self.frame = table, frame
        self.code = np.zeros(len(frame), dtype=np.int16)  # 0 = kept, else 1 + index in ``reasons``
        self.reasons: list[str] = []
        self.records: list[pd.DataFrame] = []

    def mark(self, reason: str, column: str, mask, detail) -> None:
        new = np.asarray(mask, dtype=bool) & (self.code == 0)
        if new.any():
            self.reasons.append(reason)
            self.code[new] = len(self.reasons)
            self.records.append(_records(self.table, self.frame, new, reason, column, detail))

    @property
    def kept(self) -> np.ndarray:
        return self.code == 0

    def rejected_rows(self) -> pd.DataFrame:
        bad = ~self.kept
        labels = np.array(["", *self.reasons], dtype=object)[self.code[bad]]
        return self.frame[bad].assign(_reason=labels).reset_index(drop=True)


def _records(table: str, frame: pd.DataFrame, mask, reason, column, detail) -> pd.DataFrame:
    """Quarantine/warning records of the rows in ``mask`` (reason/column/detail: text, a Series
    aligned to ``frame``, or a function of the mask returning the flagged rows' text)."""
    mask = pd.Series(mask, index=frame.index).to_numpy(dtype=bool)
    rows = frame[mask]

    def pick(value):
        if callable(value):
            return value(mask).astype("string").fillna("").to_numpy()
        return value[mask].astype("string").fillna("").to_numpy() if isinstance(value, pd.Series) else value

    return pd.DataFrame(
        {
            "table": table,
            "reason": pick(reason),
            "column": pick(column),
            "detail": pick(detail),
            "source_file": rows["_source_file"].to_numpy() if "_source_file" in rows else "",
            "source_row": rows["_source_row"].to_numpy() if "_source_row" in rows else -1,
        },
        index=range(int(mask.sum())),
    )


def _warning_records(table: str, frame: pd.DataFrame, reason: str, checks) -> list[pd.DataFrame]:
    """One record per row that any ``(column, mask, detail)`` check flags, naming the first flagged
    column and joining every flagged column's detail."""
    flagged = np.zeros(len(frame), dtype=bool)
    parts = []
    for col, mask, text in checks:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            parts.append((col, mask, text(mask)))
            flagged |= mask
    if not flagged.any():
        return []
    column = pd.Series(pd.NA, index=frame.index[flagged], dtype="string")
    detail = pd.Series(pd.NA, index=frame.index[flagged], dtype="string")
    for col, mask, text in parts:
        rows = frame.index[mask]
        column[rows] = column[rows].fillna(col)
        detail[rows] = ((detail[rows] + "; ").fillna("") + text.astype("string")).to_numpy()
    return [_records(table, frame, flagged, reason, lambda _: column, lambda _: detail)]


def unparseable_optional_checks(table: str, frame: pd.DataFrame, problems: pd.DataFrame):
    """Yield ``(column, mask, detail)`` for optional cells that could not be parsed."""
    for col in TABLES[table].columns.values():
        raw = _problem_values(problems, col.name, frame.index) if not col.required and col.name in frame else None
        if raw is not None:
            yield col.name, raw.notna(), _raw_values(col.name, raw)


def orphan_warnings(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Rows whose order is not in the orders export: kept, but counted (exports cover different periods)."""
    orders = tables.get("orders")
    if orders is None:
        return []
    known = pd.Index(orders["order_id"].dropna().unique())
    out = []
    for table in ("shipments", "after_sales", "reviews", "complaints"):
        frame = tables.get(table)
        if frame is not None and len(frame) and "order_id" in frame:
            orphan = pd.Series(~isin(frame["order_id"], known), index=frame.index)
            if orphan.any():
                out.append(_records(table, frame, orphan, "orphan", "order_id", _values(frame, "order_id")))
    return out


def future_warnings(tables: dict[str, pd.DataFrame], now: pd.Timestamp) -> list[pd.DataFrame]:
    """Rows with an event timestamp later than ``now`` (deadlines such as 承诺发货时间 excluded)."""
    out = []
    for table, frame in tables.items():
        cols = [c for c in TABLES[table].columns_of_type("datetime") if c in frame and c not in EVENT_TIME_EXCLUDED]
        checks = [(c, (frame[c] > now).fillna(False), _values(frame, c)) for c in cols]
        out += _warning_records(table, frame, "future_timestamp", checks)
    return out


def _concat(records: list[pd.DataFrame]) -> pd.DataFrame:
    records = [r for r in records if len(r)]
    if not records:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else "string") for c in QUARANTINE_COLUMNS})
    out = pd.concat(records, ignore_index=True)[QUARANTINE_COLUMNS]
    return out.astype({c: "string" for c in QUARANTINE_COLUMNS if c != "source_row"})


def as_local_naive(now) -> pd.Timestamp:
    """``now`` (None = the current moment) as a naive Asia/Shanghai timestamp."""
    now = pd.Timestamp.now(tz="Asia/Shanghai") if now is None else pd.Timestamp(now)
    return now.tz_convert("Asia/Shanghai").tz_localize(None) if now.tzinfo is not None else now


# ---------------------------------------------------------------- the whole shop
def _contract_verdicts(raw_tables: dict[str, pd.DataFrame], problems: pd.DataFrame) -> dict[str, _Verdict]:
    verdicts = {}
    for table, frame in raw_tables.items():
        table_problems = problems[problems["table"] == table] if len(problems) else problems
        verdict = _Verdict(table, frame)
        for reason, column, mask, detail in contract_checks(table, frame, table_problems):
            verdict.mark(reason, column, mask, detail)
        kept = verdict.kept
        dup = duplicate_mask(table, frame if kept.all() else frame[kept]).reindex(frame.index, fill_value=False)
        key = _key(table, frame)
        verdict.mark("duplicate_key", ",".join(key) or "(whole row)", dup, _key_text(table, frame, key))
        verdicts[table] = verdict
    return verdicts


def quarantine_contracts(table: str, frame: pd.DataFrame, problems: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """One table's column contracts and duplicates: (kept rows, quarantine record frames)."""
    problems = problems if "table" not in problems else problems[problems["table"] == table]
    verdict = _contract_verdicts({table: frame}, problems.assign(table=table))[table]
    return frame[verdict.kept], verdict.records


def _key_text(table: str, frame: pd.DataFrame, key: list[str]):
    """Detail maker for duplicates: the key values, or the required values for whole-row identity."""
    if not key:
        shown = [c for c in TABLES[table].required if c in frame]

        def same(mask):
            out = pd.Series("same values as another row: ", index=frame.index[mask], dtype="string")
            for i, col in enumerate(shown):
                out = out + ("" if i == 0 else ", ") + col + "=" + frame.loc[mask, col].astype("string").fillna("")
            return out

        return same

    def text(mask):
        out = frame.loc[mask, key[0]].astype("string").fillna("")
        for col in key[1:]:
            out = out + "|" + frame.loc[mask, col].astype("string").fillna("")
        return out

    return text


def emptied_values(table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str, np.ndarray, pd.Series]]]:
    """``frame`` with the values no one should use emptied — optional times before ``EARLIEST`` and
    negative money — and what was emptied: ``(reason, column, mask, original values)``."""
    out, emptied = frame, []
    for col in TABLES[table].columns.values():
        if col.name not in frame:
            continue
        values = frame[col.name]
        if col.type == "datetime" and not col.required:
            reason, mask = "implausible_timestamp", values < EARLIEST
        elif col.type == "number":
            reason, mask = "negative_amount", values < 0
        else:
            continue
        mask = mask.to_numpy(dtype=bool, na_value=False)
        if mask.any():
            out = frame.copy() if out is frame else out
            out[col.name] = values.mask(mask)
            emptied.append((reason, col.name, mask, values))
    return out, emptied


def validate(raw_tables: dict[str, pd.DataFrame], problems: pd.DataFrame | None = None, now=None) -> Validation:
    """Quarantine and warn; returns clean tables, quarantine and warning records, rejected rows."""
    now = as_local_naive(now)
    problems = problems if problems is not None else pd.DataFrame(columns=["table", "row", "column", "raw"])
    emptied = {}
    raw_tables = dict(raw_tables)
    for table, frame in raw_tables.items():
        raw_tables[table], emptied[table] = emptied_values(table, frame)
    encode(raw_tables)  # shared key codes first: every check and filter below runs on integers
    verdicts = _contract_verdicts(raw_tables, problems)
    orders = raw_tables.get("orders")
    paid = order_paid_at(orders[verdicts["orders"].kept] if orders is not None and "shipments" in raw_tables else None)
    for table in ("shipments", "after_sales"):
        if table in raw_tables:
            frame, verdict = raw_tables[table], verdicts[table]
            for reason, column, mask, detail in event_order_checks(table, frame, paid):
                verdict.mark(reason, column, mask, detail)
    return _assemble(raw_tables, problems, verdicts, now, emptied)


def _emptied_warnings(table: str, kept: pd.DataFrame, keep: np.ndarray, emptied) -> list[pd.DataFrame]:
    """One warning per kept row and reason for the values :func:`emptied_values` emptied."""
    out = []
    for reason in dict.fromkeys(r for r, *_ in emptied):
        checks = []
        for r, col, mask, values in emptied:
            if r == reason:
                shown = values[keep].astype("string")
                checks.append((col, mask[keep], (lambda c, v: lambda m: c + "=" + v[m])(col, shown)))
        out += _warning_records(table, kept, reason, checks)
    return out


def _assemble(raw_tables, problems, verdicts, now, emptied=None) -> Validation:
    tables, quarantined, warnings, rejected = {}, [], [], {}
    for table, frame in raw_tables.items():
        verdict = verdicts[table]
        quarantined += verdict.records
        kept = frame if verdict.kept.all() else frame[verdict.kept]
        if not verdict.kept.all():
            rejected[table] = verdict.rejected_rows()
        table_problems = problems[problems["table"] == table] if len(problems) else problems
        checks = unparseable_optional_checks(table, kept, table_problems)
        warnings += _warning_records(table, kept, "unparseable_optional", checks)
        warnings += _emptied_warnings(table, kept, verdict.kept, (emptied or {}).get(table, []))
        tables[table] = kept.reset_index(drop=True)
    warnings += orphan_warnings(tables)
    warnings += future_warnings(tables, now)
    return Validation(tables, _concat(quarantined), _concat(warnings), rejected)


def validate_tables(raw_tables: dict[str, pd.DataFrame], problems: pd.DataFrame, now: pd.Timestamp | None = None):
    """Quarantine and warn; returns (clean tables, quarantine frame, warnings frame)."""
    result = validate(raw_tables, problems, now)
    return result.tables, result.quarantine, result.warnings
