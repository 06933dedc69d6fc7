"""Shared fixtures for the metrics tests.

``make_shop`` builds a :class:`ShopData` straight from small hand-written canonical tables (the shape
``load_shop`` returns: typed columns plus ``_source_file`` / ``_source_row``), so a test can state
every row that enters an indicator and compute the expected number by hand.

Conventions used throughout the metrics tests: as-of date ``D = 2026-10-01``, window ``N = 90`` days,
so the window is ``[2026-07-03 00:00, 2026-10-01 00:00)`` and the 14-day lagged cohorts are
``[2026-06-19 00:00, 2026-09-17 00:00)``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from shopscore_nb.compact import encode
from shopscore_nb.metrics import Context, compute
from shopscore_nb.profile import load_profile
from shopscore_nb.schema import TABLES
from shopscore_nb.shop import ShopData
from shopscore_nb.validation import QUARANTINE_COLUMNS

AS_OF = "2026-10-01"
D = pd.Timestamp(AS_OF)
WINDOW_START = pd.Timestamp("2026-07-03")
COHORT_START = pd.Timestamp("2026-06-19")  # D − 90 − 14
COHORT_END = pd.Timestamp("2026-09-17")  # D − 14

# columns whose canonical type in columns.yaml is "text" but which the loader turns into booleans
_BOOL_EXTRA = {("after_sales", "shipped_before_apply")}


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def canonical_frame(table: str, rows, source_file: str | None = None) -> pd.DataFrame:
    """Rows (list of dicts or a DataFrame) typed like the parsed exports, with source columns
    (the loader then gives keys shared codes: ``shopscore_nb.compact.encode``, as :func:`make_shop` does)."""
    frame = pd.DataFrame(rows).copy() if not isinstance(rows, pd.DataFrame) else rows.copy()
    spec = TABLES[table]
    for col in list(frame.columns):
        if col.startswith("_"):
            continue
        kind = spec.columns[col].type if col in spec.columns else "text"
        if (table, col) in _BOOL_EXTRA or kind == "bool":
            frame[col] = frame[col].astype("boolean")
        elif kind == "datetime":
            frame[col] = pd.to_datetime(frame[col], format="mixed").astype("datetime64[ns]")
        elif kind in ("score", "number"):
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        else:
            frame[col] = frame[col].astype("string")
    for col in spec.required:
        if col not in frame:
            # an empty table still needs its required columns
            kind = spec.columns[col].type
            frame[col] = pd.Series(dtype="datetime64[ns]" if kind == "datetime" else "string", index=frame.index)
    frame["_source_file"] = pd.Series(source_file or f"{table}.csv", index=frame.index, dtype="string")
    frame["_source_row"] = pd.Series(range(2, len(frame) + 2), index=frame.index, dtype="int64")
    return frame.reset_index(drop=True)


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=QUARANTINE_COLUMNS)


def make_shop(shop_id: str = "s1", config: dict | None = None, **tables) -> ShopData:
    """``make_shop(orders=[{...}], shipments=[...])`` → ShopData with only the given tables."""
    typed = encode({name: canonical_frame(name, rows) for name, rows in tables.items() if rows is not None})
    return ShopData(shop_id, typed, empty_problems(), empty_problems(), config=config or {})


def make_ctx(shop: ShopData, as_of=AS_OF, profile=None, window_days=None) -> Context:
    return Context.build(shop, as_of=as_of, profile=profile or "douyin_2022", window_days=window_days)


def run(key: str, shop: ShopData, as_of=AS_OF, profile=None, window_days=None):
    """Compute one indicator on a fresh context."""
    return compute(key, make_ctx(shop, as_of=as_of, profile=profile, window_days=window_days))


def business_profile():
    return load_profile("douyin_2022", overrides={"im": {"clock": "business"}})


# ---------------------------------------------------------------- golden data and the CLI
# The repository's own golden root: three tiny shops in the canonical CSV format of SPEC §3 with
# hand-checked expected values (``expected.json``; the arithmetic is in ``HAND_CHECK.md``). Every test
# that needs a data root on disk uses it, so the suite runs from a clone of the repository alone.
MINISHOPS = Path(__file__).resolve().parent / "fixtures" / "minishops"


def golden_dir() -> Path | None:
    """The *shared* golden root (``$SHOPSCORE_GOLDEN``, else ``<repo>/../shared/golden``), or None.

    It is an extra check on top of :data:`MINISHOPS`, never a requirement; ``SHOPSCORE_NO_SHARED=1``
    hides it (to check that nothing depends on it).
    """
    if os.environ.get("SHOPSCORE_NO_SHARED", "").strip() not in ("", "0"):
        return None
    env = os.environ.get("SHOPSCORE_GOLDEN")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "golden")
    for c in candidates:
        if (c / "expected.json").is_file() and (c / "data").is_dir():
            return c
    return None


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "shopscore_nb.cli", *args]


@pytest.fixture
def minishops() -> Path:
    """The repository's golden root (``tests/fixtures/minishops``: ``expected.json`` and ``data/``)."""
    return MINISHOPS


@pytest.fixture(scope="session", autouse=True)
def _private_user_dirs(tmp_path_factory):
    """The per-user cache and data directories (parse cache, generated demo data) point into the test run's
    temporary folder, for this process and every kernel or CLI it starts: tests never touch the real home."""
    base = tmp_path_factory.mktemp("user-dirs")
    saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "XDG_DATA_HOME")}
    os.environ["XDG_CACHE_HOME"], os.environ["XDG_DATA_HOME"] = str(base / "cache"), str(base / "data")
    yield
    for k, v in saved.items():
        os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def im_messages(session_id: str, day: str, events, buyer_id: str | None = None, agent_id: str | None = None) -> list[dict]:
    """Message rows of one session: ``events`` = [("HH:MM:SS", role), ...] or ("HH:MM:SS", role, agent) or
    full timestamps ("2026-09-02 08:01:00", role). Agent/robot_assist messages carry ``agent_id``."""
    rows = []
    for i, ev in enumerate(events):
        at, role, *rest = ev
        sent_at = at if len(at) > 8 else f"{day} {at}"
        agent = rest[0] if rest else (agent_id if role in ("agent", "robot_assist") else None)
        rows.append(
            {
                "session_id": session_id,
                "message_id": f"{session_id}-M{i:03d}",
                "sent_at": sent_at,
                "sender_role": role,
                "buyer_id": buyer_id,
                "agent_id": agent,
            }
        )
    return rows


def session_row(session_id: str, **fields) -> dict:
    row = {
        "session_id": session_id,
        "buyer_id": None,
        "started_at": None,
        "transferred_at": None,
        "queued_at": None,
        "assigned_at": None,
        "agent_id": None,
        "rating": None,
    }
    row.update(fields)
    return row


def write_shop_csv(root: Path, shop_id: str, tables: dict) -> Path:
    """Write row lists as canonical-header CSV files ``<root>/<shop_id>/<table>.csv`` (booleans as 1/0)."""
    folder = Path(root) / shop_id
    folder.mkdir(parents=True)
    for name, rows in tables.items():
        frame = pd.DataFrame(rows)
        for col in frame.columns:
            if frame[col].dtype == bool or col.startswith("is_"):
                frame[col] = frame[col].map({True: "1", False: "0"})
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder
