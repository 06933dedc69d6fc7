"""Row-level contracts: quarantine what cannot be used, warn about what is odd but usable.

Quarantined rows (left out of every indicator, kept with reason and source file + row):
``missing_required``, ``unparseable_required``, ``score_out_of_range``, ``unknown_code``,
``duplicate_key``, ``picked_up_before_paid``, ``signed_before_picked_up``,
``aftersale_event_before_applied``.

Warnings (rows kept): ``orphan`` (order not in the orders export), ``unparseable_optional``
(the cell became empty), ``future_timestamp`` (later than the moment of loading).

The column contracts (required values present, scores 1–5, known codes) are pandera schemas;
the cross-table rules (order of events, orphans) are vectorised joins.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .schema import EVENT_TIME_EXCLUDED, TABLES

QUARANTINE_COLUMNS = ["table", "reason", "column", "detail", "source_file", "source_row"]
ROLE_CODES = ["buyer", "agent", "robot_assist", "robot", "system"]


def _schema(table: str) -> pa.DataFrameSchema:
    spec = TABLES[table]
    columns = {}
    for name, col in spec.columns.items():
        checks = []
        if col.type == "score":
            checks.append(pa.Check.isin([1, 2, 3, 4, 5], name="score_out_of_range", ignore_na=True))
        if table == "im_messages" and name == "sender_role":
            checks.append(pa.Check.isin(ROLE_CODES, name="unknown_code", ignore_na=True))
        columns[name] = pa.Column(nullable=not col.required, checks=checks, required=col.required, coerce=False)
    return pa.DataFrameSchema(columns, strict=False)


def contract_failures(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows breaking the table's pandera contract: index, column, check."""
    try:
        _schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        cases = cases[cases["index"].notna()]
        return pd.DataFrame(
            {"row": cases["index"].astype("int64"), "column": cases["column"].astype(str), "check": cases["check"].astype(str)}
        )
    return pd.DataFrame(columns=["row", "column", "check"])


def _records(table: str, frame: pd.DataFrame, mask: pd.Series, reason: str, column: str = "", detail=None) -> pd.DataFrame:
    rows = frame[mask]
    return pd.DataFrame(
        {
            "table": table,
            "reason": reason,
            "column": column,
            "detail": "" if detail is None else detail[mask].astype(str).to_numpy(),
            "source_file": rows["_source_file"].to_numpy(),
            "source_row": rows["_source_row"].to_numpy(),
        }
    )


def duplicate_mask(table: str, frame: pd.DataFrame) -> pd.Series:
    """Second and later rows sharing a key (whole-row identity where the key is absent or blank)."""
    data_cols = [c for c in frame.columns if not c.startswith("_")]
    key = [c for c in TABLES[table].key if c in frame]
    if not key:
        return frame.duplicated(subset=data_cols)
    keyed = frame[key].notna().all(axis=1)
    dup = pd.Series(False, index=frame.index)
    dup[keyed] = frame.loc[keyed].duplicated(subset=key)
    dup[~keyed] = frame.loc[~keyed].duplicated(subset=data_cols)
    return dup


def _cell_problem_rows(table: str, frame: pd.DataFrame, problems: pd.DataFrame, required: bool) -> pd.DataFrame:
    spec = TABLES[table]
    sel = problems[problems["column"].map(lambda c: spec.columns[c].required) == required]
    mask = frame.index.isin(sel["row"])
    first = sel.drop_duplicates("row").set_index("row")
    detail = pd.Series("", index=frame.index, dtype="string")
    if len(first):
        detail[first.index] = first["column"] + "=" + first["raw"]
    reason = "unparseable_required" if required else "unparseable_optional"
    return _records(table, frame, pd.Series(mask, index=frame.index), reason, detail=detail)


def quarantine_contracts(table: str, frame: pd.DataFrame, problems: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Apply the per-table contract; returns (kept rows, quarantine record frames)."""
    out = []
    bad = pd.Series(False, index=frame.index)
    if len(problems):
        rec = _cell_problem_rows(table, frame, problems, required=True)
        bad |= frame.index.isin(problems.loc[problems["column"].map(lambda c: TABLES[table].columns[c].required), "row"])
        out.append(rec)
    failures = contract_failures(table, frame)
    if len(failures):
        failures = failures[~failures["row"].isin(frame.index[bad])]
        for check, group in failures.groupby("check"):
            reason = "missing_required" if "not_nullable" in check else check
            first = group.drop_duplicates("row").set_index("row")["column"]
            mask = pd.Series(frame.index.isin(first.index), index=frame.index) & ~bad
            detail = pd.Series("", index=frame.index, dtype="string")
            detail[first.index] = first + "=" + frame.loc[first.index].apply(lambda r: str(r.get(first[r.name])), axis=1)
            out.append(_records(table, frame, mask, reason, detail=detail))
            bad |= mask
    kept = frame[~bad]
    dup = duplicate_mask(table, kept)
    if dup.any():
        key = [c for c in TABLES[table].key if c in kept] or ["_source_row"]
        detail = kept[key].astype(str).agg("|".join, axis=1)
        out.append(_records(table, kept, dup, "duplicate_key", ",".join(key), detail))
    return kept[~dup], out


def order_paid_at(orders: pd.DataFrame | None) -> pd.Series:
    """Payment time per order (earliest over its sub-order rows)."""
    if orders is None or orders.empty:
        return pd.Series(dtype="datetime64[ns]")
    return orders.groupby("order_id", sort=False)["paid_at"].min()


def quarantine_event_order(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Impossible orders of events (SPEC §3): waybills and after-sales tickets. Mutates ``tables``."""
    out = []
    ship = tables.get("shipments")
    if ship is not None:
        paid = ship["order_id"].map(order_paid_at(tables.get("orders")))
        before_paid = (ship["picked_up_at"] < paid).fillna(False)
        signed_early = (ship.get("signed_at") < ship["picked_up_at"]).fillna(False) if "signed_at" in ship else before_paid & False
        signed_early &= ~before_paid
        if before_paid.any():
            out.append(_records("shipments", ship, before_paid, "picked_up_before_paid", "picked_up_at", ship["picked_up_at"]))
        if signed_early.any():
            out.append(_records("shipments", ship, signed_early, "signed_before_picked_up", "signed_at", ship["signed_at"]))
        tables["shipments"] = ship[~(before_paid | signed_early)]
    tickets = tables.get("after_sales")
    if tickets is not None:
        bad = pd.Series(False, index=tickets.index)
        which = pd.Series("", index=tickets.index, dtype="string")
        for col in ("agreed_at", "refunded_at", "completed_at"):
            if col in tickets:
                early = (tickets[col] < tickets["applied_at"]).fillna(False) & ~bad
                which[early] = col
                bad |= early
        if bad.any():
            out.append(_records("after_sales", tickets, bad, "aftersale_event_before_applied", "applied_at", which))
        tables["after_sales"] = tickets[~bad]
    return out


def orphan_warnings(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Rows whose order is not in the orders export: kept, but counted (exports cover different periods)."""
    orders = tables.get("orders")
    if orders is None:
        return []
    known = pd.Index(orders["order_id"].unique())
    out = []
    for table in ("shipments", "after_sales", "reviews", "complaints"):
        frame = tables.get(table)
        if frame is not None and len(frame):
            orphan = ~frame["order_id"].isin(known)
            if orphan.any():
                out.append(_records(table, frame, orphan, "orphan", "order_id", frame["order_id"]))
    return out


def future_warnings(tables: dict[str, pd.DataFrame], now: pd.Timestamp) -> list[pd.DataFrame]:
    out = []
    for table, frame in tables.items():
        for col in TABLES[table].columns_of_type("datetime"):
            if col in frame and col not in EVENT_TIME_EXCLUDED:
                future = (frame[col] > now).fillna(False)
                if future.any():
                    out.append(_records(table, frame, future, "future_timestamp", col, frame[col]))
    return out


def _concat(records: list[pd.DataFrame]) -> pd.DataFrame:
    records = [r for r in records if len(r)]
    if not records:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return pd.concat(records, ignore_index=True)[QUARANTINE_COLUMNS]


def validate_tables(raw_tables: dict[str, pd.DataFrame], problems: pd.DataFrame, now: pd.Timestamp | None = None):
    """Quarantine and warn; returns (clean tables, quarantine frame, warnings frame)."""
    now = now or pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None)
    quarantined, warnings = [], []
    tables = {}
    for table, frame in raw_tables.items():
        table_problems = problems[problems["table"] == table] if len(problems) else problems
        if len(table_problems):
            warnings.append(_cell_problem_rows(table, frame, table_problems, required=False))
        kept, recs = quarantine_contracts(table, frame, table_problems)
        quarantined += recs
        tables[table] = kept
    quarantined += quarantine_event_order(tables)
    warnings += orphan_warnings(tables)
    warnings += future_warnings(tables, now)
    return tables, _concat(quarantined), _concat(warnings)
