"""The canonical tables of SPEC §3, read from the editable alias table ``reference/columns.yaml``.

A file is matched to a table by its header row (every required column recognised) or by its file
name; headers are mapped to canonical names through the aliases, earlier aliases winning when an
export carries two of them (the 75-column order export has both 商品金额 and 订单应付金额).

>>> from shopscore_nb.schema import TABLES, resolve_header, match_table, table_by_name
>>> TABLES["orders"].required
('order_id', 'paid_at')
>>> resolve_header("orders", ["\\ufeff主订单编号", "支付完成时间", "未知列"])
{'\\ufeff主订单编号': 'order_id', '支付完成时间': 'paid_at'}
>>> match_table(["会话ID", "发送时间", "发送方"])
'im_messages'
>>> table_by_name("after_sales_2026-07")
'after_sales'
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import yaml

EVENT_TIME_EXCLUDED = {"promised_ship_at", "promised_delivery_at"}  # deadlines, not events
# no Douyin e-commerce export holds a real time before this (抖音小店 opened in 2018): an earlier
# value (1970-01-01 is a Unix 0, 1900-01-00 an Excel 0) is a placeholder, never an event
EARLIEST_TIMESTAMP = "2016-01-01"
# a header lacking a required column is still "that table's export" when it names this share of the
# table's columns (a drifted 75-column order export names 11 of 16; a 结算账单 5 of 16)
RECOGNISED_SHARE = 0.5
# files of a shop folder that are not exports: never read as a table, never reported as skipped
# (shop.yaml: the shop's settings; backend.csv: the 抖店 page's readings, SPEC §6.1)
NOT_EXPORTS = frozenset({"shop.yaml", "backend.csv"})
_NAME_SEPARATOR = re.compile(r"[\s_\-.()（）\[\]【】0-9]")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    aliases: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """Every header accepted for this column, canonical name first."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Table:
    name: str
    file_names: tuple[str, ...]
    key: tuple[str, ...]
    columns: dict[str, Column]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns.values() if c.required)

    def columns_of_type(self, kind: str) -> list[str]:
        return [c.name for c in self.columns.values() if c.type == kind]

    def header_map(self) -> dict[str, str]:
        """Normalised header text -> canonical column name."""
        return {label: name for label, (name, _) in self.header_ranks().items()}

    def header_ranks(self) -> dict[str, tuple[str, int]]:
        """Normalised header text -> (canonical column, rank of the label: 0 = canonical name)."""
        out: dict[str, tuple[str, int]] = {}
        for col in self.columns.values():
            for rank, label in enumerate(col.labels):
                out.setdefault(normalise_header(label), (col.name, rank))
        return out


def normalise_header(text: object) -> str:
    """Header text as compared: no BOM, no surrounding blanks or quotes, ASCII parentheses, lower case."""
    return _normalise_text(text) if type(text) is str else _normalise_text(str(text))


@lru_cache(maxsize=1 << 14)  # the header scan compares every cell of the first rows with every table
def _normalise_text(text: str) -> str:
    s = text.replace("\ufeff", "").strip().strip("\t'\"").strip()
    return s.replace("（", "(").replace("）", ")").lower()


def _reference_text(name: str) -> str:
    return resources.files("shopscore_nb.reference").joinpath(name).read_text(encoding="utf-8")


@cache
def load_tables() -> dict[str, Table]:
    raw = yaml.safe_load(_reference_text("columns.yaml"))
    tables = {}
    for tname, spec in raw.items():
        cols = {
            cname: Column(cname, c["type"], bool(c.get("required", False)), tuple(c.get("aliases", [])))
            for cname, c in spec["columns"].items()
        }
        tables[tname] = Table(tname, tuple(spec.get("file_names", [])), tuple(spec.get("key", [])), cols)
    return tables


TABLES = load_tables()


def resolve_positions(table: str, header: list[str]) -> dict[int, str]:
    """Column position -> canonical name for the raw headers of one file.

    When several headers name the same column, the one whose alias comes first in columns.yaml
    wins (then the leftmost); the others are left unmapped (see :func:`header_candidates`).
    """
    best = {canon: cands[0] for canon, cands in header_candidates(table, header).items()}
    return {pos: canon for canon, (_, pos) in sorted(best.items(), key=lambda kv: kv[1][1])}


def header_candidates(table: str, header: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Canonical column -> every (alias rank, position) of the header naming it, best first."""
    ranks = _header_ranks(table)
    out: dict[str, list[tuple[int, int]]] = {}
    for pos, raw in enumerate(header):
        hit = ranks.get(normalise_header(raw))
        if hit:
            out.setdefault(hit[0], []).append((hit[1], pos))
    return {canon: sorted(cands) for canon, cands in out.items()}


def guarded_columns(table: str) -> set[str]:
    """Columns whose value identifies or places a row (required, key and ID columns): two headers
    giving one of them must agree (the loader compares them)."""
    spec = TABLES[table]
    return {*spec.required, *spec.key, *spec.columns_of_type("id")}


@cache
def _header_ranks(table: str) -> dict[str, tuple[str, int]]:
    return TABLES[table].header_ranks()


def resolve_header(table: str, header: list[str]) -> dict[str, str]:
    """Raw header -> canonical name (see :func:`resolve_positions` for which header wins)."""
    return {header[pos]: canon for pos, canon in resolve_positions(table, header).items()}


def _coverage(header: list[str]) -> list[tuple[str, set[str], list[str]]]:
    """Per table: (name, canonical columns recognised, required columns missing)."""
    out = []
    for name, table in TABLES.items():
        mapped = set(resolve_positions(name, header).values())
        out.append((name, mapped, [c for c in table.required if c not in mapped]))
    return out


def match_table(header: list[str]) -> str | None:
    """The table whose required columns all appear in ``header``, preferring the most matched columns.

    ``None`` when no table matches, or when another table recognises strictly more of the header
    but lacks a required column: that file is most likely that table's export with a column
    missing (a 飞鸽 message log without 发送方 must not pass for a session list).
    """
    cover = _coverage(header)
    full = [(len(mapped), -len(TABLES[n].columns), n) for n, mapped, missing in cover if not missing]
    if not full:
        return None
    size, _, best = max(full)
    near = max((len(m) for n, m, miss in cover if miss and set(TABLES[n].required) & m), default=0)
    return None if near > size else best


def closest_table(header: list[str]) -> tuple[str, list[str]] | None:
    """(table, missing required columns) of the table a header most resembles without matching it:
    at least two of its columns recognised, one of them required (ties: the table listed first in
    columns.yaml); ``None`` when nothing is close."""
    cands = [
        (len(mapped), -len(missing), -order, n, missing)
        for order, (n, mapped, missing) in enumerate(_coverage(header))
        if missing and len(mapped) >= 2 and set(TABLES[n].required) & mapped
    ]
    return max(cands)[3:] if cands else None


def recognised_table(header: list[str]) -> tuple[str, list[str]] | None:
    """(table, missing required columns) when a header that matches no table is still recognisably
    that table's export: :func:`closest_table`, recognising at least ``RECOGNISED_SHARE`` of the
    table's columns. Such a file is a LoadError whatever its name (a drifted header must not make
    an export vanish); a weaker resemblance (a 结算账单 shares five columns with orders) is not."""
    near = closest_table(header)
    if near is None:
        return None
    mapped = set(resolve_positions(near[0], header).values())
    return near if len(mapped) >= RECOGNISED_SHARE * len(TABLES[near[0]].columns) else None


def header_hits(header: list[str]) -> int:
    """How many cells of a row are known headers of one table (used to find the header row)."""
    return max(len(mapped) for _, mapped, _ in _coverage(header))


def table_by_name(stem: str) -> str | None:
    """The table a file name (without extension) designates: a listed name, alone or followed by a
    separator, digits or a date (``orders``, ``orders_part2``, ``售后单导出(1)``); longest name wins."""
    stem = normalise_header(stem)
    best, best_len = None, 0
    for name, table in TABLES.items():
        for label in table.file_names:
            label = normalise_header(label)
            rest = stem[len(label):]
            if stem.startswith(label) and (not rest or _NAME_SEPARATOR.match(rest)) and len(label) > best_len:
                best, best_len = name, len(label)
    return best


def _mapping(name: str, key: str, value: str) -> dict[str, str]:
    rows = csv.DictReader(_reference_text(name).splitlines())
    return {r[key].strip(): r[value].strip() for r in rows}


def normalise_label(text: str) -> str:
    """A code label as compared: lower case, no blanks, ASCII parentheses and slashes."""
    s = re.sub(r"\s+", "", str(text)).lower()
    return s.replace("（", "(").replace("）", ")").replace("／", "/")


@cache
def reason_categories() -> dict[str, str]:
    """售后原因 text -> quality / logistics / other (edit ``reference/reason_categories.csv``)."""
    return _mapping("reason_categories.csv", "reason", "category")


@cache
def sender_roles() -> dict[str, str]:
    """飞鸽 sender label (normalised with :func:`normalise_label`) -> buyer / agent / robot_assist / robot / system."""
    return {normalise_label(k): v for k, v in _mapping("sender_roles.csv", "label", "role").items()}


@cache
def after_sale_types() -> dict[str, str]:
    """售后类型 label (normalised) -> refund_only / return_refund / exchange (anything else is ``other``)."""
    return {normalise_label(k): v for k, v in _mapping("after_sale_types.csv", "label", "type").items()}
