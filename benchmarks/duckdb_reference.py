"""The DuckDB yardstick of SPEC §10: the seed profile's indicators recomputed in SQL alone.

    python benchmarks/duckdb_reference.py [--scale 1.0] [--no-validate]

``compute(folder, as_of)`` reads the canonical Parquet files of one shop folder (as written by
:func:`shopscore_nb.demo.make_benchmark_shop`: ``orders.parquet``, ``shipments.parquet`` ...) into a
fresh DuckDB connection and returns, for every key of :data:`COVERED`, ``{"value", "numerator",
"denominator"}`` for the ``douyin_2022`` profile. No pandas: every number is a SQL result. Only
configuration comes from the package: the rule numbers (windows, thresholds, business hours, lags,
score cut-offs) from the profile YAML, and the label mappings (售后原因 → category, 售后类型 and
飞鸽 sender labels → codes) from its reference tables.

The definitions mirror SPEC §5.1/§5.2 as implemented in ``shopscore_nb/metrics`` (seed.py, facts.py,
im.py, im_model.py), edge cases included:

- a window is ``[D − N 00:00, D 00:00)``; lagged cohorts ``[D − N − lag, D − lag)``;
- what is visible at D (``ShopData.visible_at``): rows anchored at or after D (paid_at, picked_up_at,
  applied_at, created_at, sent_at, started_at, occurred_at) are dropped, later event times emptied
  (deadlines promised_ship_at / promised_delivery_at kept); default D = the day after the latest
  event timestamp not later than ``now``;
- orders fold to one row per order_id (earliest payment, any presale/virtual line, summed amount);
  waybills fold to one row per order (first pickup; signed when the last waybill is signed);
- the 飞鸽 round model of SPEC §5.2 with window functions (human phase, rounds, 首问首答 waits).

With ``validate=True`` (default) the row-level rules of the loader (``shopscore_nb.validation``)
that can change a Parquet shop are mirrored too: missing required values, required times before
2016, unknown sender labels, scores outside 1–5, duplicate keys (most complete row kept, ties to
the later row), pickups before payment, signatures before pickup, after-sales events before the
application; optional times before 2016 and negative money are emptied. Not mirrored: CSV/XLSX
parsing and header aliases (only canonical Parquet files named ``<table>.parquet`` are read).
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent

# key -> tables that must be present (else the value is null: "no <table> data")
TABLES_OF = {
    "product.negative_review_rate": ("shipments", "reviews"),
    "product.quality_return_rate": ("orders", "after_sales"),
    "logistics.pickup_on_time_rate": ("orders", "shipments"),
    "logistics.delivery_hours_avg": ("shipments",),
    "service.complaint_rate": ("orders", "complaints"),
    "service.dispute_merchant_rate": ("after_sales",),
    "service.return_refund_wait_hours": ("after_sales",),
    "service.refund_only_wait_hours": ("after_sales",),
    "service.im_3min_reply_rate": ("im_messages",),
    "cs.im_3min_reply_rate_round": ("im_messages",),
    "cs.im_3min_reply_rate_msg": ("im_messages",),
    "cs.first_response_seconds_avg": ("im_messages",),
    "cs.avg_response_seconds": ("im_messages",),
    "cs.acceptance_rate": ("im_messages",),
    "cs.avg_queue_seconds": ("im_messages", "im_sessions"),
    "cs.satisfaction_rate": ("im_messages", "im_sessions"),
    "cs.first_reply_2min_rate": ("im_messages",),
    "cs.consult_sessions": ("im_messages",),
    "cs.human_sessions": ("im_messages",),
    "cs.accepted_sessions": ("im_messages",),
    "cs.assisted_sales": ("im_messages", "orders"),
    "cs.taobao_reply_rate": ("im_messages",),
    "aftersales.refund_hours_avg": ("after_sales",),
    "aftersales.processing_hours_avg": ("after_sales",),
    "aftersales.processing_hours_avg_pre_ship": ("after_sales",),
    "aftersales.processing_hours_avg_post_ship": ("after_sales",),
    "reviews.count": ("reviews",),
    "reviews.rate": ("shipments", "reviews"),
    "reviews.good_rate": ("reviews",),
    "reviews.bad_rate": ("reviews",),
    "reviews.good_count": ("reviews",),
    "reviews.bad_count": ("reviews",),
}
COVERED = list(TABLES_OF)

# Table contracts (shopscore_nb/reference/columns.yaml): required columns, key, datetime columns
# (event times; deadlines are never emptied by the as-of cut), score and money columns, row anchor.
SPEC = {
    "orders": dict(required=("order_id", "paid_at"), key=("order_id", "sub_order_id"), anchor="paid_at",
                   times=("paid_at", "created_at", "shipped_at"), deadlines=("promised_ship_at",),
                   columns={"order_id": "VARCHAR", "sub_order_id": "VARCHAR", "paid_at": "TIMESTAMP_NS",
                            "created_at": "TIMESTAMP_NS", "shipped_at": "TIMESTAMP_NS", "promised_ship_at": "TIMESTAMP_NS",
                            "is_presale": "BOOLEAN", "is_virtual": "BOOLEAN", "amount": "DOUBLE", "buyer_id": "VARCHAR"},
                   money=("amount",)),
    "shipments": dict(required=("order_id", "picked_up_at"), key=("waybill_no",), anchor="picked_up_at",
                      times=("picked_up_at", "signed_at"), deadlines=("promised_delivery_at",),
                      columns={"order_id": "VARCHAR", "waybill_no": "VARCHAR", "picked_up_at": "TIMESTAMP_NS",
                               "signed_at": "TIMESTAMP_NS", "promised_delivery_at": "TIMESTAMP_NS"}),
    "after_sales": dict(required=("after_sale_id", "order_id", "type", "applied_at"), key=("after_sale_id",), anchor="applied_at",
                        times=("applied_at", "agreed_at", "rejected_at", "return_shipped_at", "return_signed_at",
                               "refunded_at", "completed_at", "closed_at"),
                        columns={"after_sale_id": "VARCHAR", "order_id": "VARCHAR", "type": "VARCHAR",
                                 "shipped_before_apply": "VARCHAR", "reason": "VARCHAR", "reason_tag": "VARCHAR",
                                 "applied_at": "TIMESTAMP_NS", "agreed_at": "TIMESTAMP_NS", "rejected_at": "TIMESTAMP_NS",
                                 "return_shipped_at": "TIMESTAMP_NS", "return_signed_at": "TIMESTAMP_NS",
                                 "refunded_at": "TIMESTAMP_NS", "completed_at": "TIMESTAMP_NS", "closed_at": "TIMESTAMP_NS",
                                 "arbitration_status": "VARCHAR", "liable_party": "VARCHAR", "refund_amount": "DOUBLE"},
                        money=("refund_amount",)),
    "complaints": dict(required=("order_id", "created_at"), key=("complaint_id",), anchor="created_at", times=("created_at",),
                       columns={"complaint_id": "VARCHAR", "order_id": "VARCHAR", "created_at": "TIMESTAMP_NS"}),
    "im_messages": dict(required=("session_id", "sent_at", "sender_role"), key=("message_id",), anchor="sent_at",
                        times=("sent_at",),
                        columns={"session_id": "VARCHAR", "message_id": "VARCHAR", "sent_at": "TIMESTAMP_NS",
                                 "sender_role": "VARCHAR", "buyer_id": "VARCHAR", "agent_id": "VARCHAR"}),
    "im_sessions": dict(required=("session_id",), key=("session_id",), anchor="started_at",
                        times=("started_at", "transferred_at", "queued_at", "assigned_at"),
                        columns={"session_id": "VARCHAR", "buyer_id": "VARCHAR", "started_at": "TIMESTAMP_NS",
                                 "transferred_at": "TIMESTAMP_NS", "queued_at": "TIMESTAMP_NS", "assigned_at": "TIMESTAMP_NS",
                                 "agent_id": "VARCHAR", "rating": "DOUBLE"},
                        scores=("rating",)),
    "reviews": dict(required=("order_id", "created_at", "product_score"), key=("review_id",), anchor="created_at",
                    times=("created_at",),
                    columns={"review_id": "VARCHAR", "order_id": "VARCHAR", "created_at": "TIMESTAMP_NS",
                             "product_score": "DOUBLE", "logistics_score": "DOUBLE", "service_score": "DOUBLE"},
                    scores=("product_score", "logistics_score", "service_score")),
    "penalties": dict(required=("occurred_at", "kind"), key=(), anchor="occurred_at", times=("occurred_at",),
                      columns={"occurred_at": "TIMESTAMP_NS", "kind": "VARCHAR", "order_id": "VARCHAR"}),
}
EARLIEST = "2016-01-01"
REPLY = "('agent', 'robot_assist')"


def _settings(profile: str, window_days: int | None) -> dict:
    """Rule numbers from the profile YAML the package ships, and its label mappings."""
    from shopscore_nb.profile import load_profile
    from shopscore_nb.schema import TABLES, after_sale_types, reason_categories, sender_roles

    p = load_profile(profile)
    if p.get("ruleset") != "seed":
        raise ValueError(f"the DuckDB reference implements the seed ruleset only, not {p.get('ruleset')!r}")

    def clock(text: str) -> int:
        h, m, *s = (int(x) for x in str(text).split(":"))
        return h * 3600 + m * 60 + (s[0] if s else 0)

    return {
        "window_days": int(window_days or p.window_days),
        "bh_start": clock(p.require("business_hours.start")),
        "bh_end": clock(p.require("business_hours.end")),
        "clock": p.require("im.clock"),
        "reply_s": p.require("im.reply_within_seconds"),
        "first_reply_s": p.require("im.first_reply_within_seconds"),
        "unanswered_s": p.require("im.unanswered_seconds"),
        "cap_s": p.require("im.wait_cap_seconds"),
        "assisted_h": p.require("im.assisted_sales_hours"),
        "pickup_sla_h": p.require("logistics.pickup_sla_hours"),
        "pickup_bands_h": list(p.require("logistics.pickup_bands_hours")),
        "complaint_lag": int(p.require("lags.complaint_days")),
        "review_lag": int(p.require("lags.review_days")),
        "bad_max": p.require("reviews.bad_max_score"),
        "good_min": p.require("reviews.good_min_score"),
        "good_total": p.require("reviews.good_min_total"),
        "return_cats": list(p.require("return_reason_categories")),
        "reason_categories": reason_categories(),
        "after_sale_types": after_sale_types(),
        "sender_roles": sender_roles(),
        "columns": {name: list(table.columns) for name, table in TABLES.items()},
    }


def _lit(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _ts(value: dt.datetime) -> str:
    return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"


def _secs(a: str, b: str) -> str:
    """``a − b`` in seconds as pandas' ``total_seconds`` computes it (nanoseconds / 1e9)."""
    return f"((epoch_ns({a}) - epoch_ns({b})) / 1e9)"


def _hours(a: str, b: str) -> str:
    return f"({_secs(a, b)} / 3600.0)"


def _norm_label(col: str) -> str:
    """``shopscore_nb.schema.normalise_label`` in SQL: lower case, no blanks, ASCII （）／."""
    return (f"replace(replace(replace(lower(regexp_replace({col}, '\\s+', '', 'g')), '（', '('), '）', ')'), '／', '/')")


class _Shop:
    """The connection and the columns each Parquet file has."""

    def __init__(self, con: duckdb.DuckDBPyConnection, folder: Path):
        self.con, self.folder = con, Path(folder)
        self.present: dict[str, set[str]] = {}
        for table in SPEC:
            path = self.folder / f"{table}.parquet"
            if path.exists():
                cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(path))})").fetchall()
                self.present[table] = {c[0] for c in cols}

    def has(self, table: str) -> bool:
        return table in self.present

    def col(self, table: str, name: str) -> str:
        kind = SPEC[table]["columns"].get(name, "VARCHAR")
        if name in self.present[table]:
            return f"CAST({name} AS {kind})" if kind == "VARCHAR" and name == "shipped_before_apply" else name
        return f"CAST(NULL AS {kind})"

    def sql(self, query: str) -> None:
        self.con.execute(query)

    def one(self, query: str) -> tuple:
        return self.con.execute(query).fetchall()[0]


def _prepare(shop: _Shop, st: dict, validate: bool) -> None:
    """``<table>_raw``: the rows the loader keeps, typed as it types them (not yet cut at D)."""
    con = shop.con
    con.execute("CREATE TEMP TABLE sender_roles(label VARCHAR, role VARCHAR)")
    con.executemany("INSERT INTO sender_roles VALUES (?, ?)", list(st["sender_roles"].items()))
    con.execute("CREATE TEMP TABLE after_sale_types(label VARCHAR, type VARCHAR)")
    con.executemany("INSERT INTO after_sale_types VALUES (?, ?)", list(st["after_sale_types"].items()))
    con.execute("CREATE TEMP TABLE reason_categories(reason VARCHAR, category VARCHAR)")
    con.executemany("INSERT INTO reason_categories VALUES (?, ?)", list(st["reason_categories"].items()))

    for table, spec in SPEC.items():
        if not shop.has(table):
            continue
        path = _lit(str(shop.folder / f"{table}.parquet"))
        cols = list(spec["columns"])  # absent optional columns read as typed NULLs
        select = []
        for c in cols:
            expr = shop.col(table, c)
            if validate and c in spec["times"] + spec.get("deadlines", ()) and c not in spec["required"]:
                expr = f"CASE WHEN {expr} >= TIMESTAMP '{EARLIEST}' THEN {expr} END"  # placeholder times emptied
            if validate and c in spec.get("money", ()):
                expr = f"CASE WHEN {expr} >= 0 THEN {expr} END"  # negative money emptied
            select.append(f"{expr} AS {c}")
        select.append("file_row_number AS _row")
        source = f"(SELECT {', '.join(select)} FROM read_parquet({path}, file_row_number = true))"
        if table == "im_messages":  # sender labels -> codes; unknown labels quarantined
            source = (f"(SELECT r.* REPLACE (l.role AS sender_role) FROM {source} r "
                      f"{'JOIN' if validate else 'LEFT JOIN'} sender_roles l ON l.label = {_norm_label('r.sender_role')})")
        if table == "after_sales":  # 售后类型 -> code (unknown: other); shipped flag from 商品发货状态 / the type label
            flag = "lower(CAST(r.shipped_before_apply AS VARCHAR))"
            hint = "lower(r.type)"
            source = (
                f"(SELECT r.* REPLACE (CASE WHEN r.type IS NULL THEN NULL ELSE coalesce(l.type, 'other') END AS type, "
                f"coalesce(CASE WHEN regexp_matches({flag}, '未发货|待发货|^false$|^0$|^否$') THEN false "
                f"WHEN regexp_matches({flag}, '已发货|已揽收|已签收|^true$|^1$|^是$') THEN true END, "
                f"CASE WHEN regexp_matches({hint}, '未发货|发货前') THEN false "
                f"WHEN regexp_matches({hint}, '已发货|发货后') THEN true END) AS shipped_before_apply) "
                f"FROM {source} r LEFT JOIN after_sale_types l ON l.label = {_norm_label('r.type')})"
            )
        where = []
        if validate:
            where += [f"{c} IS NOT NULL" for c in spec["required"]]
            where += [f"{c} >= TIMESTAMP '{EARLIEST}'" for c in spec["required"] if c in spec["times"]]
            where += [f"({c} IS NULL OR {c} IN (1, 2, 3, 4, 5))" for c in spec.get("scores", ()) if c in cols]
        query = f"SELECT * FROM {source}" + (f" WHERE {' AND '.join(where)}" if where else "")
        con.execute(f"CREATE TEMP TABLE {table}_raw AS {query}")
        if validate:
            _dedup(shop, table, spec, [c for c in st["columns"][table] if c in shop.present[table]])

    if validate:  # impossible orders of events (SPEC §3)
        if shop.has("shipments"):
            paid = ("(SELECT order_id, min(paid_at) AS paid_at FROM orders_raw GROUP BY order_id)" if shop.has("orders")
                    else "(SELECT CAST(NULL AS VARCHAR) AS order_id, CAST(NULL AS TIMESTAMP_NS) AS paid_at WHERE false)")
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE shipments_raw AS SELECT s.* FROM shipments_raw s LEFT JOIN {paid} p USING (order_id) "
                "WHERE NOT coalesce(s.picked_up_at < p.paid_at, false) AND NOT coalesce(s.signed_at < s.picked_up_at, false)"
            )
        if shop.has("after_sales"):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE after_sales_raw AS SELECT * FROM after_sales_raw WHERE "
                + " AND ".join(f"NOT coalesce({c} < applied_at, false)" for c in ("agreed_at", "refunded_at", "completed_at"))
            )


def _dedup(shop: _Shop, table: str, spec: dict, loaded: list[str]) -> None:
    """Duplicate keys (``validation.duplicate_mask``): of rows sharing a key the most complete one is
    kept, ties to the later row; rows with a blank key (or in a table without one) are compared
    whole, the first kept. Duplicates are rare: a hash aggregate finds them, and only then are rows ranked."""
    t = f"{table}_raw"
    key = list(spec["key"])
    keys = ", ".join(key)
    keyed = " AND ".join(f"{c} IS NOT NULL" for c in key) or "false"
    if key:
        groups = shop.one(f"SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {keyed} GROUP BY {keys} HAVING count(*) > 1)")[0]
        blank = shop.one(f"SELECT count(*) FROM {t} WHERE NOT ({keyed})")[0]
        if not groups and not blank:
            return
    # the loaded columns the indicators do not read (content, product names ...) count as well
    extra = [c for c in loaded if c not in spec["columns"]]
    cols = [f"t.{c}" for c in spec["columns"]] + [f"x.{c}" for c in extra]
    join = ""
    if extra:
        path = _lit(str(shop.folder / f"{table}.parquet"))
        join = (f" JOIN (SELECT file_row_number AS _row, {', '.join(extra)} FROM read_parquet({path}, file_row_number = true)) x "
                "USING (_row)")
    filled = " + ".join(f"CAST({c} IS NOT NULL AS INTEGER)" for c in cols)
    whole = f"row_number() OVER (PARTITION BY {', '.join(cols)} ORDER BY t._row)"
    rank = (f"CASE WHEN {' AND '.join(f't.{c} IS NOT NULL' for c in key)} THEN row_number() OVER "
            f"(PARTITION BY {', '.join(f't.{c}' for c in key)} ORDER BY {filled} DESC, t._row DESC) ELSE {whole} END") if key else whole
    shop.sql(f"CREATE OR REPLACE TEMP TABLE {t} AS SELECT t.* FROM {t} t{join} QUALIFY {rank} = 1")


def _default_as_of(shop: _Shop, now: dt.datetime) -> dt.datetime:
    """The day after the latest event timestamp not later than ``now`` (``ShopData.default_as_of``)."""
    parts = []
    for table, spec in SPEC.items():
        if shop.has(table):
            parts += [f"SELECT max({c}) AS t FROM {table}_raw WHERE {c} <= {_ts(now)}" for c in spec["times"]
                      if c in shop.present[table]]
    latest = shop.one(f"SELECT max(t) FROM ({' UNION ALL '.join(parts)})")[0]
    if latest is None:
        raise ValueError("no timestamps in the data; pass as_of")
    return dt.datetime.combine(latest.date(), dt.time()) + dt.timedelta(days=1)


def _visible(shop: _Shop, D: str) -> None:
    """``ShopData.visible_at(D)``: rows anchored at or after D dropped, later event times emptied."""
    for table, spec in SPEC.items():
        if not shop.has(table):
            continue
        times = list(spec["times"])
        replace = ", ".join(f"CASE WHEN {c} < {D} THEN {c} END AS {c}" for c in times)
        anchor = spec["anchor"]
        where = f" WHERE NOT coalesce({anchor} >= {D}, false)"
        shop.sql(f"CREATE TEMP VIEW {table} AS SELECT * REPLACE ({replace}) FROM {table}_raw{where}")


def _result(value, numerator, denominator) -> dict:
    return {"value": None if value is None else float(value),
            "numerator": None if numerator is None else float(numerator),
            "denominator": None if denominator is None else float(denominator)}


def _ratio(num, den) -> dict:
    num, den = int(num or 0), int(den or 0)
    return _result(num / den if den else None, num, den)


def _mean(total, n) -> dict:
    n = int(n or 0)
    total = float(total) if n and total is not None else 0.0
    return _result(total / n if n else None, total, n)


def _count(n) -> dict:
    return _result(float(n or 0), float(n or 0), None)


def _lagged_cohort(shop: _Shop, events: str, cohort: str, anchor: str, lag: int, win) -> dict:
    """Orders of ``cohort`` anchored in ``[D − N − lag, D − lag)`` with an ``events`` row created at most
    ``lag`` × 24 h after the anchor ÷ those orders (投诉率, 评价率; ``metrics.seed.first_within``)."""
    num, den = shop.one(
        f"SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {events} e WHERE e.order_id = o.order_id "
        f"AND epoch_ns(e.created_at) - epoch_ns(o.{anchor}) BETWEEN 0 AND {lag * 86_400 * 10**9})), count(*) "
        f"FROM {cohort} o WHERE {win(f'o.{anchor}', lag)}"
    )
    return _ratio(num, den)


def compute(folder: str | Path, as_of=None, window_days: int | None = None, profile: str = "douyin_2022",
            validate: bool = True, now: dt.datetime | None = None, con: duckdb.DuckDBPyConnection | None = None,
            settings: dict | None = None) -> dict[str, dict]:
    """Every :data:`COVERED` indicator of one shop folder: key -> {value, numerator, denominator}.

    ``as_of``: the report date D (default: the day after the latest timestamp); ``now``: the moment
    of loading (later timestamps do not move the default D; default: now in Asia/Shanghai).
    """
    st = settings or _settings(profile, window_days)
    con = con or duckdb.connect()
    con.execute("SET preserve_insertion_order = false")  # no result depends on row order (row order is _row)
    shop = _Shop(con, Path(folder))
    _prepare(shop, st, validate)
    if as_of is None:
        if now is None:
            now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
        as_of = _default_as_of(shop, now)
    as_of = dt.datetime.combine(as_of.date() if isinstance(as_of, dt.datetime) else
                                (as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of)[:10])), dt.time())
    N = st["window_days"]
    D = _ts(as_of)
    S = _ts(as_of - dt.timedelta(days=N))

    def win(col: str, lag: int = 0) -> str:
        lo, hi = as_of - dt.timedelta(days=N + lag), as_of - dt.timedelta(days=lag)
        return f"({col} >= {_ts(lo)} AND {col} < {_ts(hi)})"

    _visible(shop, D)
    out: dict[str, dict] = {}
    has = shop.has

    # ------------------------------------------------------------ order-level facts
    if has("orders"):
        shop.sql(
            "CREATE TEMP TABLE order_facts AS SELECT order_id, min(paid_at) AS paid_at, "
            "coalesce(bool_or(is_presale), false) AS is_presale, coalesce(bool_or(is_virtual), false) AS is_virtual, "
            "min(promised_ship_at) AS promised_ship_at, min(shipped_at) AS shipped_at, coalesce(sum(amount), 0) AS amount, "
            "arg_min(buyer_id, _row) FILTER (WHERE buyer_id IS NOT NULL) AS buyer_id FROM orders GROUP BY order_id"
        )
    if has("shipments"):
        facts = ("LEFT JOIN order_facts o USING (order_id)" if has("orders") else
                 "LEFT JOIN (SELECT NULL::VARCHAR AS order_id, NULL::TIMESTAMP_NS AS paid_at, NULL::BOOLEAN AS is_presale, "
                 "NULL::BOOLEAN AS is_virtual, NULL::TIMESTAMP_NS AS promised_ship_at WHERE false) o USING (order_id)")
        shop.sql(
            "CREATE TEMP TABLE deliveries AS SELECT w.order_id, w.picked_up_at, w.signed_at, o.paid_at, "
            "coalesce(o.is_presale, false) AS is_presale, coalesce(o.is_virtual, false) AS is_virtual, o.promised_ship_at "
            "FROM (SELECT order_id, min(picked_up_at) AS picked_up_at, "
            "CASE WHEN count(*) = count(signed_at) THEN max(signed_at) END AS signed_at FROM shipments GROUP BY order_id) w "
            f"{facts}"
        )
    if has("after_sales"):
        shipped = []
        if has("orders") and "shipped_at" in shop.present["orders"]:
            shipped.append("(SELECT order_id, shipped_at AS at FROM order_facts)")
        if has("shipments"):
            shipped.append("(SELECT order_id, picked_up_at AS at FROM deliveries)")
        derived = "false"
        joins = ""
        for i, sub in enumerate(shipped):
            joins += f" LEFT JOIN {sub} x{i} ON x{i}.order_id = t.order_id"
        if shipped:
            derived = f"coalesce(coalesce({', '.join(f'x{i}.at' for i in range(len(shipped)))}) < t.applied_at, false)"
        shop.sql(
            "CREATE TEMP TABLE tickets AS SELECT t.*, coalesce(rc.category, 'other') AS reason_category, "
            "least(t.agreed_at, t.rejected_at, t.refunded_at) AS first_action_at, "
            f"coalesce(t.shipped_before_apply, {derived}) AS shipped "
            "FROM after_sales t LEFT JOIN reason_categories rc ON rc.reason = coalesce(t.reason, t.reason_tag)" + joins
        )

    # ------------------------------------------------------------ product
    if has("shipments") and has("reviews"):
        num, den = shop.one(
            f"SELECT count(*) FILTER (WHERE r.worst <= {st['bad_max']}), count(*) FROM deliveries d "
            f"LEFT JOIN (SELECT order_id, min(product_score) AS worst FROM reviews WHERE created_at < {D} GROUP BY order_id) r "
            f"USING (order_id) WHERE {win('d.signed_at')}"
        )
        out["product.negative_review_rate"] = _ratio(num, den)
    if has("orders") and has("after_sales"):
        cats = ", ".join(_lit(c) for c in st["return_cats"])
        num, den = shop.one(
            f"SELECT count(*) FILTER (WHERE h.order_id IS NOT NULL), count(*) FROM order_facts o LEFT JOIN "
            f"(SELECT DISTINCT order_id FROM tickets WHERE type IN ('refund_only', 'return_refund') AND reason_category IN ({cats}) "
            f"AND applied_at < {D}) h USING (order_id) WHERE {win('o.paid_at')}"
        )
        out["product.quality_return_rate"] = _ratio(num, den)

    # ------------------------------------------------------------ logistics
    if has("orders") and has("shipments"):
        sla = st["pickup_sla_h"]
        hrs = _hours("picked_up_at", "paid_at")
        edges = [0, *st["pickup_bands_h"]]
        bands = []
        for i, lo in enumerate(edges):
            hi = edges[i + 1] if i + 1 < len(edges) else None
            cond = (f"h >= {lo}" if i == 0 else f"h > {lo}") + (f" AND h <= {hi}" if hi is not None else "")
            bands.append(f"count(*) FILTER (WHERE {cond})")
        row = shop.one(
            f"SELECT count(*) FILTER (WHERE CASE WHEN presale THEN picked_up_at <= promised_ship_at ELSE h <= {sla} END), "
            f"count(*), {', '.join(bands)} FROM (SELECT *, {hrs} AS h, is_presale AND promised_ship_at IS NOT NULL AS presale "
            f"FROM deliveries WHERE {win('picked_up_at')} AND paid_at IS NOT NULL AND NOT is_virtual)"
        )
        out["logistics.pickup_on_time_rate"] = _ratio(row[0], row[1])
        labels = [f"{a}-{b}h" for a, b in zip(edges[:-1], edges[1:], strict=True)] + [f">{edges[-1]}h"]
        out["logistics.pickup_on_time_rate"]["bands"] = dict(zip(labels, (int(x) for x in row[2:]), strict=True))
    if has("shipments"):
        total, n = shop.one(
            f"SELECT sum(h), count(h) FROM (SELECT {_hours('signed_at', 'picked_up_at')} AS h FROM deliveries "
            f"WHERE {win('signed_at')} AND NOT is_presale AND NOT is_virtual)"
        )
        out["logistics.delivery_hours_avg"] = _mean(total, n)

    # ------------------------------------------------------------ service: complaints and after-sales
    if has("orders") and has("complaints"):
        out["service.complaint_rate"] = _lagged_cohort(shop, "complaints", "order_facts", "paid_at", st["complaint_lag"], win)
    if has("after_sales"):
        merchant = "coalesce(regexp_full_match(liable_party, '(?i)(商家|卖家|merchant|seller)(责任|全责|主责|有责)?'), false)"
        if "arbitration_status" in shop.present["after_sales"]:
            arb = ("(arbitration_status IS NOT NULL AND NOT coalesce(regexp_full_match(arbitration_status, "
                   "'(?i)(无|未仲裁|未申请|none|0)'), false))")
        else:
            arb = "(liable_party IS NOT NULL)"
        completed = win("completed_at")
        row = shop.one(
            f"SELECT count(*) FILTER (WHERE {arb} AND {merchant}), count(*), "
            f"sum(rr) FILTER (WHERE type IN ('return_refund', 'exchange')), count(rr) FILTER (WHERE type IN ('return_refund', 'exchange')), "
            f"sum(ro) FILTER (WHERE type = 'refund_only'), count(ro) FILTER (WHERE type = 'refund_only') "
            f"FROM (SELECT *, {_hours('first_action_at', 'applied_at')} + coalesce({_hours('refunded_at', 'return_signed_at')}, 0.0) AS rr, "
            f"{_hours('first_action_at', 'applied_at')} AS ro FROM tickets WHERE {completed})"
        )
        out["service.dispute_merchant_rate"] = _ratio(row[0], row[1])
        out["service.return_refund_wait_hours"] = _mean(row[2], row[3])
        out["service.refund_only_wait_hours"] = _mean(row[4], row[5])
        row = shop.one(
            f"SELECT sum(h) FILTER (WHERE type = 'refund_only'), count(h) FILTER (WHERE type = 'refund_only'), "
            f"sum(h), count(h), sum(h) FILTER (WHERE NOT shipped), count(h) FILTER (WHERE NOT shipped), "
            f"sum(h) FILTER (WHERE shipped), count(h) FILTER (WHERE shipped) "
            f"FROM (SELECT *, {_hours('refunded_at', 'applied_at')} AS h FROM tickets "
            f"WHERE type IN ('refund_only', 'return_refund') AND {win('refunded_at')})"
        )
        out["aftersales.refund_hours_avg"] = _mean(row[0], row[1])
        out["aftersales.processing_hours_avg"] = _mean(row[2], row[3])
        out["aftersales.processing_hours_avg_pre_ship"] = _mean(row[4], row[5])
        out["aftersales.processing_hours_avg_post_ship"] = _mean(row[6], row[7])

    # ------------------------------------------------------------ reviews
    if has("reviews"):
        subs = all(c in shop.present["reviews"] for c in ("product_score", "logistics_score", "service_score"))
        good = (f"CASE WHEN logistics_score IS NOT NULL AND service_score IS NOT NULL AND product_score IS NOT NULL "
                f"THEN product_score + logistics_score + service_score >= {st['good_total']} "
                f"ELSE product_score >= {st['good_min']} END" if subs else f"product_score >= {st['good_min']}")
        n, n_good, n_bad = shop.one(
            f"SELECT count(*), count(*) FILTER (WHERE {good}), count(*) FILTER (WHERE product_score <= {st['bad_max']}) "
            f"FROM reviews WHERE {win('created_at')}"
        )
        out["reviews.count"] = _count(n)
        out["reviews.good_rate"] = _ratio(n_good, n)
        out["reviews.bad_rate"] = _ratio(n_bad, n)
        out["reviews.good_count"] = _count(n_good)
        out["reviews.bad_count"] = _count(n_bad)
    if has("shipments") and has("reviews"):
        out["reviews.rate"] = _lagged_cohort(shop, "reviews", "deliveries", "signed_at", st["review_lag"], win)

    if has("im_messages"):
        _im(shop, st, out, as_of, win, D, S)

    # a key whose source table is absent is null ("no <table> data"), never 0
    for key, tables in TABLES_OF.items():
        if not all(has(t) for t in tables):
            out[key] = _result(None, None, None)
    return {k: out[k] for k in COVERED}


def _im(shop: _Shop, st: dict, out: dict, as_of: dt.datetime, win, D: str, S: str) -> None:
    """The 飞鸽 timing model of SPEC §5.2 and the indicators built on it."""
    has_sessions = shop.has("im_sessions")
    day_ns = 86_400 * 10**9
    bh0, bh1 = st["bh_start"] * 10**9, st["bh_end"] * 10**9

    def in_bh(col: str) -> str:
        return f"coalesce((epoch_ns({col}) % {day_ns}) >= {bh0} AND (epoch_ns({col}) % {day_ns}) < {bh1}, false)"

    def elapsed(col: str) -> str:
        """Business seconds since 2000-01-01 (the paused clock)."""
        sod = f"(epoch_ns({col}) % {day_ns}) / 1e9"
        days = f"((epoch_ns({col}) // {day_ns}) - 10957)"
        return f"({days} * {st['bh_end'] - st['bh_start']} + least(greatest({sod}, {st['bh_start']}), {st['bh_end']}) - {st['bh_start']})"

    def wait(reply: str, start: str) -> str:
        return f"({elapsed(reply)} - {elapsed(start)})" if st["clock"] == "business" else _secs(reply, start)

    if st["clock"] not in ("platform", "business"):
        raise ValueError(f"im.clock must be 'platform' or 'business', not {st['clock']!r}")
    counted = (lambda col: "true") if st["clock"] == "business" else in_bh

    # messages in (session, sent_at, message_id, file row) order
    shop.sql(
        "CREATE TEMP TABLE msg AS SELECT session_id, sent_at, sender_role AS role, buyer_id, agent_id, "
        "row_number() OVER (PARTITION BY session_id ORDER BY sent_at, coalesce(message_id, ''), _row) AS rn "
        "FROM im_messages"
    )
    # per session from the log: first reply, the robot phase (robot messages before the first valid reply)
    shop.sql(
        "CREATE TEMP TABLE sess_log AS SELECT session_id, min(sent_at) AS first_message_at, "
        "arg_min(buyer_id, rn) FILTER (WHERE buyer_id IS NOT NULL) AS buyer_id_msg, "
        f"arg_min(agent_id, rn) FILTER (WHERE role IN {REPLY} AND agent_id IS NOT NULL) AS agent_id_msg, "
        "bool_or(role = 'agent') AS has_agent_message, "
        f"min(rn) FILTER (WHERE role IN {REPLY}) AS first_reply_rn, min(sent_at) FILTER (WHERE role IN {REPLY}) AS first_reply_at "
        "FROM msg GROUP BY session_id"
    )
    shop.sql(
        "CREATE TEMP TABLE sess_robot AS SELECT m.session_id, max(m.rn) AS last_robot_rn FROM msg m JOIN sess_log l USING (session_id) "
        "WHERE m.role = 'robot' AND (l.first_reply_rn IS NULL OR m.rn < l.first_reply_rn) GROUP BY m.session_id"
    )
    shop.sql(
        "CREATE TEMP TABLE sess_start AS SELECT r.session_id, r.last_robot_rn, min(m.rn) AS buyer_rn, arg_min(m.sent_at, m.rn) AS buyer_at "
        "FROM sess_robot r LEFT JOIN msg m ON m.session_id = r.session_id AND m.role = 'buyer' AND m.rn > r.last_robot_rn "
        "GROUP BY r.session_id, r.last_robot_rn"
    )
    # without a robot phase the human phase starts with the session's first message; after one, at the
    # next buyer message, else at the first valid reply
    shop.sql(
        "CREATE TEMP TABLE sess_derived AS SELECT l.*, r.last_robot_rn IS NOT NULL AS has_robot, "
        "CASE WHEN r.last_robot_rn IS NULL THEN 1 ELSE coalesce(r.buyer_rn, l.first_reply_rn) END AS human_start_rn, "
        "CASE WHEN r.last_robot_rn IS NULL THEN l.first_message_at ELSE coalesce(r.buyer_at, l.first_reply_at) END AS derived_start_at "
        "FROM sess_log l LEFT JOIN sess_start r USING (session_id)"
    )
    if has_sessions:
        given = ("(SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY session_id ORDER BY _row) AS _k FROM im_sessions) "
                 "WHERE _k = 1)")
        shop.sql(
            "CREATE TEMP TABLE sess AS SELECT coalesce(i.session_id, d.session_id) AS session_id, "
            "coalesce(i.started_at, d.first_message_at) AS started_at, i.transferred_at, i.queued_at, i.assigned_at, i.rating, "
            "coalesce(i.buyer_id, d.buyer_id_msg) AS buyer_id, coalesce(i.agent_id, d.agent_id_msg) AS agent_id, "
            "d.first_reply_at IS NOT NULL AS has_valid_reply, d.human_start_rn, "
            "coalesce(i.transferred_at, CASE WHEN coalesce(d.has_robot, false) THEN d.derived_start_at "
            "ELSE coalesce(i.started_at, d.first_message_at) END) AS human_start_at, "
            "(i.transferred_at IS NOT NULL OR coalesce(d.has_agent_message, false)) AS is_human "
            f"FROM {given} i FULL OUTER JOIN sess_derived d ON i.session_id = d.session_id"
        )
    else:
        shop.sql(
            "CREATE TEMP TABLE sess AS SELECT session_id, first_message_at AS started_at, NULL::TIMESTAMP_NS AS transferred_at, "
            "NULL::TIMESTAMP_NS AS queued_at, NULL::TIMESTAMP_NS AS assigned_at, NULL::DOUBLE AS rating, "
            "buyer_id_msg AS buyer_id, agent_id_msg AS agent_id, first_reply_at IS NOT NULL AS has_valid_reply, human_start_rn, "
            "CASE WHEN has_robot THEN derived_start_at ELSE first_message_at END AS human_start_at, "
            "coalesce(has_agent_message, false) AS is_human FROM sess_derived"
        )
    # human-phase buyer and valid-reply messages of human sessions; rounds (首问首答)
    shop.sql(
        "CREATE TEMP TABLE phase AS SELECT session_id, sent_at, is_reply, "
        "NOT is_reply AND coalesce(lag(is_reply) OVER w, true) AS round_start, "
        "min(CASE WHEN is_reply THEN sent_at END) OVER (w ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_reply_at "
        f"FROM (SELECT m.session_id, m.sent_at, m.rn, m.role IN {REPLY} AS is_reply FROM msg m JOIN sess s USING (session_id) "
        f"WHERE s.is_human AND m.role IN ('buyer', 'agent', 'robot_assist') AND CASE WHEN s.transferred_at IS NOT NULL "
        "THEN m.sent_at >= s.transferred_at ELSE m.rn >= s.human_start_rn END) "
        "WINDOW w AS (PARTITION BY session_id ORDER BY rn)"
    )
    reply, cap, unanswered = st["reply_s"], st["cap_s"], st["unanswered_s"]
    shop.sql(
        "CREATE TEMP TABLE rounds AS SELECT session_id, start_at, reply_at, wait_s, "
        f"reply_at IS NOT NULL AND wait_s <= {reply} AS passed, "
        f"CASE WHEN reply_at IS NULL THEN {unanswered} ELSE least(wait_s, {cap}) END AS charged_s "
        f"FROM (SELECT session_id, sent_at AS start_at, next_reply_at AS reply_at, {wait('next_reply_at', 'sent_at')} AS wait_s "
        f"FROM phase WHERE round_start AND {win('sent_at')} AND {counted('sent_at')})"
    )
    n_pass, n, charged = shop.one("SELECT count(*) FILTER (WHERE passed), count(*), sum(charged_s) FROM rounds")
    out["cs.im_3min_reply_rate_round"] = _ratio(n_pass, n)
    out["cs.avg_response_seconds"] = _mean(charged, n)
    num, den = shop.one("SELECT count(*) FILTER (WHERE ok), count(*) FROM (SELECT bool_and(passed) AS ok FROM rounds GROUP BY session_id)")
    out["service.im_3min_reply_rate"] = _ratio(num, den)
    num, den = shop.one(
        f"SELECT count(*) FILTER (WHERE coalesce({wait('next_reply_at', 'sent_at')} <= {reply}, false)), count(*) "
        f"FROM phase WHERE NOT is_reply AND {win('sent_at')} AND {counted('sent_at')}"
    )
    out["cs.im_3min_reply_rate_msg"] = _ratio(num, den)

    # human sessions whose human phase starts in the window
    shop.sql(
        "CREATE TEMP TABLE human AS SELECT s.*, f.first_reply_at, "
        f"{_secs('f.first_reply_at', 's.human_start_at')} AS first_response_s, {in_bh('s.human_start_at')} AS in_bh, "
        "(s.assigned_at IS NOT NULL OR s.has_valid_reply) AS accepted "
        "FROM sess s LEFT JOIN (SELECT session_id, min(sent_at) AS first_reply_at FROM phase WHERE is_reply GROUP BY session_id) f "
        f"USING (session_id) WHERE s.is_human AND {win('s.human_start_at')}"
    )
    row = shop.one(
        "SELECT sum(first_response_s) FILTER (WHERE in_bh AND first_reply_at IS NOT NULL), "
        "count(first_response_s) FILTER (WHERE in_bh AND first_reply_at IS NOT NULL), "
        "count(*) FILTER (WHERE accepted), count(*), "
        f"count(*) FILTER (WHERE first_response_s <= {st['first_reply_s']}), "
        f"sum(q) FILTER (WHERE accepted), count(q) FILTER (WHERE accepted) "
        f"FROM (SELECT *, {_secs('assigned_at', 'coalesce(queued_at, transferred_at)')} AS q FROM human)"
    )
    out["cs.first_response_seconds_avg"] = _mean(row[0], row[1])
    out["cs.acceptance_rate"] = _ratio(row[2], row[3])
    out["cs.first_reply_2min_rate"] = _ratio(row[4], row[3])
    out["cs.human_sessions"] = _count(row[3])
    out["cs.accepted_sessions"] = _count(row[2])
    out["cs.avg_queue_seconds"] = _mean(row[5], row[6])
    good, rated, consult = shop.one(
        f"SELECT count(*) FILTER (WHERE {win('started_at')} AND {in_bh('started_at')} AND rating >= 4), "
        f"count(*) FILTER (WHERE {win('started_at')} AND {in_bh('started_at')} AND rating IS NOT NULL), "
        f"count(*) FILTER (WHERE {win('started_at')}) FROM sess"
    )
    out["cs.satisfaction_rate"] = _ratio(good, rated)
    out["cs.consult_sessions"] = _count(consult)

    # 客服销售额: orders paid in the window credited to the buyer's latest session started at or before payment
    if shop.has("orders"):
        if "buyer_id" not in shop.present["orders"] or "amount" not in shop.present["orders"] or \
                shop.one("SELECT count(buyer_id) FROM sess")[0] == 0:
            out["cs.assisted_sales"] = _result(None, None, None)
        else:
            total = shop.one(
                "SELECT coalesce(sum(o.amount), 0) FROM (SELECT order_id, buyer_id, paid_at, amount FROM order_facts "
                f"WHERE buyer_id IS NOT NULL AND {win('paid_at')}) o ASOF JOIN "
                "(SELECT buyer_id, started_at FROM sess WHERE buyer_id IS NOT NULL AND started_at IS NOT NULL) s "
                f"ON o.buyer_id = s.buyer_id AND o.paid_at >= s.started_at "
                f"WHERE epoch_ns(o.paid_at) - epoch_ns(s.started_at) <= {int(st['assisted_h'] * 3600 * 10**9)}"
            )[0]
            out["cs.assisted_sales"] = _result(float(total), float(total), None)

    # 回复率 (淘宝口径): receptions (natural day, buyer, sub-account)
    num, den = shop.one(
        "WITH f AS (SELECT CAST(m.sent_at AS DATE) AS day, coalesce(m.buyer_id, s.buyer_id, m.session_id) AS buyer, "
        "coalesce(m.agent_id, s.agent_id) AS account, m.sent_at AS ts, m.role FROM msg m LEFT JOIN sess s USING (session_id) "
        f"WHERE {win('m.sent_at')}), "
        "asks AS (SELECT day, buyer, account, min(ts) AS first_ask FROM f WHERE role = 'buyer' AND account IS NOT NULL GROUP BY ALL), "
        f"replies AS (SELECT day, buyer, account, max(ts) AS last_reply FROM f WHERE role IN {REPLY} AND account IS NOT NULL GROUP BY ALL) "
        "SELECT count(*) FILTER (WHERE r.last_reply >= a.first_ask), count(*) FROM asks a LEFT JOIN replies r USING (day, buyer, account)"
    )
    out["cs.taobao_reply_rate"] = _ratio(num, den)


def run(folder: str | Path, as_of=None, **kwargs) -> tuple[float, dict[str, dict]]:
    """(seconds from opening the Parquet files to having every value, results), one fresh connection."""
    settings = kwargs.pop("settings", None) or _settings(kwargs.pop("profile", "douyin_2022"), kwargs.pop("window_days", None))
    start = time.perf_counter()
    con = duckdb.connect()
    try:
        results = compute(folder, as_of, settings=settings, con=con, **kwargs)
    finally:
        con.close()
    return time.perf_counter() - start, results


def main() -> None:
    import argparse
    import sys

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the SPEC §10 sizes (the bench_metrics shop)")
    p.add_argument("--as-of", default=None)
    p.add_argument("--no-validate", action="store_true", help="skip the loader's row rules")
    args = p.parse_args()
    folder = HERE / "_data" / f"bench_{args.scale:g}"  # made by bench_metrics.py (ensure_shop)
    if not (folder / "orders.parquet").exists():
        sys.exit(f"{folder}: no benchmark shop; run `python benchmarks/bench_metrics.py --scale {args.scale:g}` first.")
    seconds, results = run(folder, args.as_of, validate=not args.no_validate)
    for key, r in results.items():
        print(f"{key:45s} {r['value']!s:>24} {r['numerator']!s:>20} {r['denominator']!s:>10}")
    print(f"DuckDB reference: {seconds:.2f} s for {len(results)} indicators")


if __name__ == "__main__":
    main()
