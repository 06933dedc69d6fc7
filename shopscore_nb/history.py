"""The history store: one row per shop × as-of × profile, in an SQLite file under the output folder.

Every ``batch`` (and ``shopscore metrics --history DIR``) records each shop's result — total, stage,
dimensions, indicator values and scores, threshold lines and drag — so the portfolio page can show the
change since yesterday and a 30-day sparkline, and alerts can tell a newly crossed line from an old one.

SQLite (stdlib ``sqlite3``): a primary key ``(shop_id, as_of, profile)`` with an upsert makes a re-run of
a date replace its rows, never duplicate them; a transaction per run leaves no half-written day when a
run is killed; any SQLite tool (or ``pandas.read_sql``) reads it. Rows hold aggregates only (no order,
buyer or message), so the file may travel with the reports.

>>> from shopscore_nb.history import History
>>> h = History.open("reports")                      # doctest: +SKIP
>>> h.record([report_json], names={"flagship": "悦衣旗舰店"})   # doctest: +SKIP
>>> h.series("flagship")                             # doctest: +SKIP
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

FILE_NAME = "history.sqlite"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    shop_id     TEXT NOT NULL,
    as_of       TEXT NOT NULL,          -- YYYY-MM-DD, the report date D
    profile     TEXT NOT NULL,
    name        TEXT,                   -- shop.yaml name
    total       REAL,
    stage       TEXT,
    display     REAL,
    dimensions  TEXT NOT NULL,          -- JSON {name: score}
    indicators  TEXT NOT NULL,          -- JSON {key: {value, score}}
    lines       TEXT NOT NULL,          -- JSON [{key, name, group, met, value, threshold, gap, window_days, op, metric}]
    drag        TEXT NOT NULL,          -- JSON [{key, name, points_lost}]
    recorded_at TEXT NOT NULL,          -- UTC time of the run that wrote the row
    PRIMARY KEY (shop_id, as_of, profile)
);
CREATE INDEX IF NOT EXISTS results_as_of ON results (as_of, profile);
"""
_COLUMNS = ("shop_id", "as_of", "profile", "name", "total", "stage", "display", "dimensions", "indicators", "lines", "drag", "recorded_at")
_JSON = ("dimensions", "indicators", "lines", "drag")
LINE_FIELDS = ("key", "name", "group", "met", "value", "threshold", "gap", "window_days", "op", "metric")


def history_path(out) -> Path:
    return Path(out) / FILE_NAME


def row_of(report: dict, name: str | None = None, recorded_at: str | None = None) -> dict:
    """The history row of one ``metrics --json`` object (aggregates only)."""
    return {
        "shop_id": report["shop_id"], "as_of": report["as_of"], "profile": str(report.get("profile") or ""), "name": name,
        "total": report.get("total"), "stage": report.get("stage"), "display": report.get("display"),
        "dimensions": dict(report.get("dimensions") or {}),
        "indicators": {k: {"value": v.get("value"), "score": v.get("score")} for k, v in (report.get("indicators") or {}).items()},
        "lines": [{f: ln.get(f) for f in LINE_FIELDS} for ln in report.get("lines") or []],
        "drag": [{"key": d["key"], "name": d.get("name"), "points_lost": d.get("points_lost")} for d in report.get("drag") or []],
        "recorded_at": recorded_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class History:
    """The store at ``path`` (created on first use)."""

    def __init__(self, path):
        self.path = Path(path)

    @classmethod
    def open(cls, out) -> History:
        """The history of the output folder ``out``."""
        h = cls(history_path(out))
        with closing(h._connect()):
            pass
        return h

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")  # readers (the page, `shopscore history`) never block a run
        con.executescript(_SCHEMA)
        con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        return con

    # ------------------------------------------------------------ writing
    def record(self, reports: list[dict], names: dict | None = None) -> int:
        """Upsert one row per report (``metrics --json`` objects); a shop × as-of × profile already there is replaced."""
        names = names or {}
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = [row_of(r, names.get(r["shop_id"]), stamp) for r in reports if r]
        if not rows:
            return 0
        sql = (f"INSERT INTO results ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
               "ON CONFLICT (shop_id, as_of, profile) DO UPDATE SET "
               + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[3:]))
        values = [tuple(json.dumps(r[c], ensure_ascii=False, default=str) if c in _JSON else r[c] for c in _COLUMNS) for r in rows]
        with closing(self._connect()) as con, con:  # one transaction per run
            con.executemany(sql, values)
        return len(rows)

    # ------------------------------------------------------------ reading
    def _select(self, where: str, params: tuple, order: str = "as_of") -> list[dict]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as con:
            cur = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM results WHERE {where} ORDER BY {order}", params)
            out = []
            for values in cur.fetchall():
                row = dict(zip(_COLUMNS, values, strict=True))
                for c in _JSON:
                    row[c] = json.loads(row[c])
                out.append(row)
            return out

    def series(self, shop_id: str, profile: str | None = None, since: str | None = None, until: str | None = None) -> list[dict]:
        """A shop's rows in as-of order (every profile unless one is named), optionally within [since, until]."""
        where, params = ["shop_id = ?"], [shop_id]
        for clause, value in (("profile = ?", profile), ("as_of >= ?", since), ("as_of <= ?", until)):
            if value:
                where.append(clause)
                params.append(str(value))
        return self._select(" AND ".join(where), tuple(params), "profile, as_of")

    def shops(self) -> list[str]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as con:
            return [r[0] for r in con.execute("SELECT DISTINCT shop_id FROM results ORDER BY shop_id")]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with closing(self._connect()) as con:
            return int(con.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def previous(self, shop_id: str, profile: str, as_of: str) -> dict | None:
        """The latest row before ``as_of`` (the previous morning's result)."""
        rows = self._select("shop_id = ? AND profile = ? AND as_of < ?", (shop_id, profile, as_of), "as_of DESC LIMIT 1")
        return rows[0] if rows else None

    def week_before(self, shop_id: str, profile: str, as_of: str, slack_days: int = 6) -> dict | None:
        """The row of ``as_of − 7`` days, else the latest in the ``slack_days`` before it (never a newer one)."""
        d = date.fromisoformat(as_of) - timedelta(days=7)
        rows = self._select("shop_id = ? AND profile = ? AND as_of <= ? AND as_of >= ?",
                            (shop_id, profile, d.isoformat(), (d - timedelta(days=slack_days)).isoformat()), "as_of DESC LIMIT 1")
        return rows[0] if rows else None


__all__ = ["FILE_NAME", "History", "history_path", "row_of"]
