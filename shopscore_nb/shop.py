"""One shop's data as the rest of the kit sees it: clean tables, quarantine, warnings, settings.

>>> from shopscore_nb import load_shop
>>> shop = load_shop("data/demo", "flagship")                 # doctest: +SKIP
>>> shop.tables["orders"].head()                               # doctest: +SKIP
>>> shop.quality_summary()                                     # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .loading import LoadError, read_shop_files
from .schema import EVENT_TIME_EXCLUDED, TABLES
from .validation import as_local_naive, validate

SHOP_CONFIG_KEYS = {"name", "industry", "shop_type", "profile", "cutoffs", "overrides", "weights", "remote_area_bonus"}
SHOP_TYPES = {"旗舰", "非旗舰", "通用", "flagship", "non_flagship", "general"}
CONFIG_TYPES = {
    "name": (str, int),
    "industry": (str,),
    "shop_type": (str,),
    "profile": (str,),
    "cutoffs": (dict,),
    "overrides": (dict,),
    "weights": (dict,),
    "remote_area_bonus": (bool,),  # a number here (even -100) would switch the bonus on
}
CONFIG_TYPE_NAMES = {str: "text", int: "a number", float: "a number", bool: "true/false", dict: "a mapping"}
# one path component: anything but separators and NUL (a folder may legally hold control characters;
# output paths are sanitised separately, see paths.py)
# the time at which a row comes into existence (a row anchored at or after D is not visible at D)
ROW_ANCHORS = {"orders": "paid_at", "shipments": "picked_up_at", "after_sales": "applied_at", "complaints": "created_at",
               "im_messages": "sent_at", "im_sessions": "started_at", "reviews": "created_at", "penalties": "occurred_at"}
_SAFE_ID = re.compile(r"^[^/\\\x00]+$")


@dataclass
class ShopData:
    shop_id: str
    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    warnings: pd.DataFrame
    files: list[dict] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)  # quarantined rows per table (+ ``_reason``)
    now: pd.Timestamp | None = None  # the moment of loading (timestamps later than it are warned about)

    def has(self, table: str) -> bool:
        return table in self.tables

    def visible_at(self, as_of: pd.Timestamp) -> ShopData:
        """The shop as known at ``as_of`` (SPEC §3: only data before D 00:00 is visible): rows that
        start at or after it are dropped and later event times emptied (deadlines kept)."""
        tables = {}
        for name, t in self.tables.items():
            events = [c for c in TABLES[name].columns_of_type("datetime") if c in t and c not in EVENT_TIME_EXCLUDED]
            if not any((t[c] >= as_of).any() for c in events):  # nothing to hide: no copy
                tables[name] = t
                continue
            anchor = ROW_ANCHORS.get(name)
            if anchor in t:
                t = t[~(t[anchor] >= as_of).to_numpy(dtype=bool, na_value=False)]
            tables[name] = t.assign(**{c: t[c].where(t[c] < as_of) for c in events})
        return dataclasses.replace(self, tables=tables)

    def latest_timestamp(self, include_future: bool = False) -> pd.Timestamp | None:
        """Latest event timestamp in the data (deadlines such as 承诺发货时间 excluded, and timestamps
        later than the moment of loading, which are warned about as ``future_timestamp``, unless
        ``include_future``)."""
        latest = []
        for name, frame in self.tables.items():
            for col in TABLES[name].columns_of_type("datetime"):
                if col in frame and col not in EVENT_TIME_EXCLUDED:
                    values = frame[col] if self.now is None or include_future else frame[col][frame[col] <= self.now]
                    if values.notna().any():
                        latest.append(values.max())
        return max(latest) if latest else None

    def clock_note(self) -> str | None:
        """Why the default as-of may look wrong: timestamps later than this machine's clock (a typo, or a
        clock set in the past). None when every timestamp is at or before the moment of loading."""
        future = int((self.warnings["reason"] == "future_timestamp").sum()) if "reason" in self.warnings else 0
        if not future or self.now is None:
            return None
        latest = self.latest_timestamp(include_future=True)
        return (f"{future} row(s) carry timestamps later than this machine's clock ({self.now:%Y-%m-%d %H:%M}, Asia/Shanghai; "
                f"latest in the data {latest:%Y-%m-%d %H:%M}). They are kept, but the default as-of date ignores them: if the "
                "clock is wrong, set it or pass --as-of YYYY-MM-DD.")

    def default_as_of(self) -> pd.Timestamp:
        """The day after the latest timestamp (the platform updates T+1)."""
        latest = self.latest_timestamp()
        if latest is None:
            if self.latest_timestamp(include_future=True) is not None:
                raise LoadError(f"shop {self.shop_id}: every timestamp in the data is later than this machine's clock; "
                                + (self.clock_note() or "pass --as-of YYYY-MM-DD."))
            raise LoadError(f"shop {self.shop_id}: no timestamps in any table; pass --as-of.")
        return latest.normalize() + pd.Timedelta(days=1)

    def quality_counts(self) -> dict[str, int]:
        """Rows set aside or warned about, by reason, and ``skipped_file``: files of the folder not
        loaded (what ``metrics`` reports as ``data_quality``; the files are in :meth:`ignored_files`)."""
        counts: dict[str, int] = {}
        for frame in (self.quarantine, self.warnings):
            for reason, n in frame["reason"].value_counts().items():
                counts[reason] = counts.get(reason, 0) + int(n)
        if self.ignored:
            counts["skipped_file"] = len(self.ignored)
        return dict(sorted(counts.items()))

    def ignored_files(self) -> pd.DataFrame:
        """Files in the shop folder that were not loaded, with the reason (empty, unrecognised ...)."""
        return pd.DataFrame(self.ignored, columns=["file", "reason"])

    def quality_summary(self) -> pd.DataFrame:
        """Per table: rows read, kept, quarantined (by reason) and warnings — rows in = kept + quarantined
        (``blank_rows``: lines with every recognised cell empty, not counted as rows)."""
        read, blank = {}, {}
        for f in self.files:
            read[f["table"]] = read.get(f["table"], 0) + f["rows"]
            blank[f["table"]] = blank.get(f["table"], 0) + f.get("blank_rows", 0)
        rows = []
        for table in TABLES:
            if table not in read:
                continue
            q = self.quarantine[self.quarantine["table"] == table]
            w = self.warnings[self.warnings["table"] == table]
            rows.append(
                {
                    "table": table,
                    "rows_read": read[table],
                    "rows_kept": len(self.tables[table]),
                    "quarantined": len(q),
                    "warnings": len(w),
                    "quarantine_reasons": ", ".join(f"{k}: {v}" for k, v in q["reason"].value_counts().items()),
                    "warning_reasons": ", ".join(f"{k}: {v}" for k, v in w["reason"].value_counts().items()),
                    "blank_rows": blank[table],
                }
            )
        return pd.DataFrame(rows)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader refusing a mapping key given twice (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        first: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                seen = key in first
            except TypeError:  # an unhashable key: PyYAML reports it below
                continue
            if seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' is given twice (first on line {first[key]}); keep one", key_node.start_mark
                )
            first[key] = line
        return super().construct_mapping(node, deep=deep)


def read_shop_config(folder: Path) -> dict:
    """``shop.yaml``: name, industry (考核行业), shop_type, profile, cutoffs ... validated."""
    path = Path(folder) / "shop.yaml"
    if not path.exists():
        return {}
    try:
        config = yaml.load(path.read_bytes().decode("utf-8-sig"), Loader=_UniqueKeyLoader) or {}  # a SafeLoader
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not UTF-8 text; save shop.yaml as UTF-8.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise LoadError(f"{path}: not valid YAML ({where}{getattr(exc, 'problem', None) or exc}).") from exc
    if not isinstance(config, dict):
        raise LoadError(f"{path}: expected a mapping of settings, got {type(config).__name__}.")
    unknown = sorted(str(k) for k in set(config) - SHOP_CONFIG_KEYS)
    if unknown:
        raise LoadError(f"{path}: unknown setting(s) {unknown}; allowed: {sorted(SHOP_CONFIG_KEYS)}.")
    for key, kinds in CONFIG_TYPES.items():
        if key in config and config[key] is not None and not isinstance(config[key], kinds):
            want = " or ".join(CONFIG_TYPE_NAMES[k] for k in kinds)
            raise LoadError(f"{path}: '{key}' must be {want}, got {config[key]!r}.")
    if "shop_type" in config and config["shop_type"] not in SHOP_TYPES:
        raise LoadError(f"{path}: shop_type '{config['shop_type']}' is not one of {sorted(SHOP_TYPES)}.")
    return config


def shop_folder(data_root: str | Path, shop_id: str) -> Path:
    shop_id = "" if shop_id is None else str(shop_id)
    if not shop_id or not _SAFE_ID.match(shop_id) or shop_id in (".", ".."):
        raise LoadError(f"shop id {shop_id!r} is not a folder name under the data root.")
    folder = Path(data_root) / shop_id
    if not folder.is_dir():
        known = ", ".join(list_shops(data_root)[:20]) if Path(data_root).is_dir() else "(data root missing)"
        raise LoadError(f"{folder}: no such shop folder. Shops under {data_root}: {known}.")
    return folder


def list_shops(data_root: str | Path) -> list[str]:
    root = Path(data_root)
    if not root.is_dir():
        raise LoadError(f"{root}: data root not found.")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def load_shop(data_root: str | Path, shop_id: str, now: pd.Timestamp | None = None) -> ShopData:
    """Load and validate one shop folder ``<data_root>/<shop_id>``.

    ``now`` (default: the current moment, Asia/Shanghai) is the moment of loading: later timestamps
    are warned about as ``future_timestamp``. Raises :class:`LoadError` with a user-facing message
    for anything that makes the folder unusable. (With the parse cache: :func:`shopscore_nb.store.open_shop`.)
    """
    return load_folder(shop_folder(data_root, shop_id), shop_id, now)


def load_folder(folder: Path, shop_id: str, now: pd.Timestamp | None = None) -> ShopData:
    """:func:`load_shop` of an already resolved shop folder."""
    config = read_shop_config(folder)
    now = as_local_naive(now)
    raw = read_shop_files(folder)
    if not raw.tables:
        skipped = "".join(f"\n  - {f['reason']}" for f in raw.ignored)
        raise LoadError(f"{folder}: no recognisable export files (csv, xlsx, parquet) in the folder.{skipped}")
    problems = pd.concat(raw.problems, ignore_index=True) if raw.problems else None
    result = validate(raw.tables, problems, now=now)
    return ShopData(
        str(shop_id), result.tables, result.quarantine, result.warnings, raw.files, raw.ignored, config, result.rejected, now
    )
