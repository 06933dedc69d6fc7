"""The canonical tables of SPEC §3, read from the editable alias table ``reference/columns.yaml``.

>>> from shopscore_nb.schema import TABLES, resolve_header
>>> TABLES["orders"].required
('order_id', 'paid_at')
>>> resolve_header("orders", ["\\ufeff主订单编号", "支付完成时间", "未知列"])
{'\\ufeff主订单编号': 'order_id', '支付完成时间': 'paid_at'}
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

EVENT_TIME_EXCLUDED = {"promised_ship_at", "promised_delivery_at"}  # deadlines, not events


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    aliases: tuple[str, ...]


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
        out: dict[str, str] = {}
        for col in self.columns.values():
            for label in (col.name, *col.aliases):
                out.setdefault(normalise_header(label), col.name)
        return out


def normalise_header(text: object) -> str:
    """Header text as compared: no BOM, no surrounding blanks, ASCII parentheses, lower case."""
    s = str(text).replace("\ufeff", "").strip().strip("\t'\"").strip()
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


def resolve_header(table: str, header: list[str]) -> dict[str, str]:
    """Map the raw headers of one file to canonical names (first match wins for each canonical column)."""
    lookup = TABLES[table].header_map()
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for raw in header:
        canon = lookup.get(normalise_header(raw))
        if canon and canon not in taken:
            mapping[raw] = canon
            taken.add(canon)
    return mapping


def match_table(header: list[str]) -> str | None:
    """The table whose required columns all appear in ``header``, preferring the most matched columns."""
    best, best_score = None, (0, 0)
    for name, table in TABLES.items():
        mapped = set(resolve_header(name, header).values())
        if not set(table.required) <= mapped:
            continue
        score = (len(mapped), -len(table.columns))
        if score > best_score:
            best, best_score = name, score
    return best


def _mapping(name: str, key: str, value: str) -> dict[str, str]:
    rows = csv.DictReader(_reference_text(name).splitlines())
    return {r[key].strip(): r[value].strip() for r in rows}


@cache
def reason_categories() -> dict[str, str]:
    """售后原因 text -> quality / logistics / other (edit ``reference/reason_categories.csv``)."""
    return _mapping("reason_categories.csv", "reason", "category")


@cache
def sender_roles() -> dict[str, str]:
    """飞鸽 sender label -> buyer / agent / robot_assist / robot / system."""
    return {k.lower(): v for k, v in _mapping("sender_roles.csv", "label", "role").items()}


@cache
def after_sale_types() -> dict[str, str]:
    """售后类型 label -> refund_only / return_refund / exchange (anything else is ``other``)."""
    return _mapping("after_sale_types.csv", "label", "type")
