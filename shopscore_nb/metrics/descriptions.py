"""One description per indicator: what it is called, how it reads and how its rows enter the window.

Every fact about an indicator that is not a rule number lives in one place:

- ``key``, 中文 name ``zh`` and ``unit``: the indicator registry (:mod:`shopscore_nb.metrics.base`);
- everything else: ``shopscore_nb/reference/definitions.yaml`` (per indicator, with per-ruleset
  overrides under ``rulesets:``) — English name and texts, ``direction`` (higher / lower is better),
  ``anchor`` (the detail column whose time puts a row in the window), ``lag`` (the profile key of a
  lagged cohort's lag), ``value_column`` (the detail column a mean averages), ``trend`` (how the daily
  series counts rows), ``reasons`` (中文 labels of the detail rows' reason codes), ``drill`` / ``sort``.

Rule numbers (windows, lags, thresholds, tiers) stay in the profile YAMLs: a description names the
profile key (``lag: lags.complaint_days``), :meth:`Description.lag_days` reads it.

Reason labels. The detail rows carry a ``reason`` code per row; some codes hold a rule number or a
qualifier (``within_48h``, ``night_clock:<=12h``, ``session_start:replied_after_180s``). A code is
labelled by one simple rule:

1. the whole code is looked up in the indicator's ``reasons``;
2. else it is split at ``:`` into parts (qualifiers first, the outcome last) and each part is looked
   up as is, then with every number (``12``, ``2.5``) written ``{n}`` — ``within_{n}h``;
3. the label's ``{n}`` are filled with the part's numbers in order, and the parts' labels are joined
   by `` · ``: ``night_clock:<=12h`` → ``夜间支付（次日起算） · 12小时内揽收``.

A code with a part that has no label gets ``None`` (:meth:`Description.reason_label`); the tests run
every indicator on the demo shops and the minishops fixture under both profiles and require a label for
every code they see.

>>> from shopscore_nb.metrics.descriptions import describe
>>> d = describe("logistics.pickup_score_avg", "2026")
>>> d.zh, d.unit, d.direction, d.anchor, d.value_column, d.trend.kind
('揽收时长平均得分', 'score', 'higher', 'picked_up_at', 'pickup_score', 'mean')
>>> d.reason_label("night_clock:<=12h")
'夜间支付（次日起算） · 12小时内揽收'
>>> describe("service.complaint_rate", "seed").lag
'lags.complaint_days'
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType

import pandas as pd
import yaml

from ..fastops import lookup
from .base import REGISTRY, ruleset_of
from .im_model import timed_rounds

__all__ = ["DERIVED_TIMES", "Description", "Trend", "describe", "descriptions", "lag_days", "raw_entries", "row_times", "ruleset_of"]

DIRECTIONS = ("higher", "lower")
TREND_KINDS = ("rate", "mean", "count", "sum")
TEXT_FIELDS = ("name_en", "what_zh", "what_en", "formula_zh", "formula_en", "moves_zh", "moves_en")
# Session times that are not detail columns: the start of the session's first / last counted 飞鸽 round
# (the scored session rate counts a session while any of its counted rounds is in the window).
DERIVED_TIMES = {"session_first_round_at": "min", "last_round_at": "max"}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SLOT = "{n}"


@dataclass(frozen=True)
class Trend:
    """How the daily series counts the detail rows: a ``rate`` of ``count`` (failed | passed) rows, a
    ``mean`` of the value column, a ``count`` of rows or a ``sum`` of ``value``; ``date`` puts a row on a day."""

    kind: str
    date: str
    count: str | None = None
    value: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in (("date", self.date), ("kind", self.kind), ("count", self.count), ("value", self.value)) if v is not None}


@dataclass(frozen=True)
class Description:
    """Everything about one indicator under one ruleset, except rule numbers (see the module docstring)."""

    key: str
    ruleset: str
    zh: str
    name_en: str
    unit: str
    direction: str  # higher | lower: which way is better
    anchor: str  # detail column (or DERIVED_TIMES name) whose time puts a row in the window
    lag: str | None  # profile key of a lagged cohort's lag; None = the rolling window
    value_column: str | None  # the detail column a mean averages; None for rates, counts and sums
    trend: Trend
    reasons: Mapping[str, str] = field(hash=False, repr=False)  # reason code (or pattern) -> 中文 label
    drill: tuple[str, ...] = ()
    sort: str | None = None
    texts: Mapping[str, str] = field(default_factory=dict, hash=False, repr=False)  # name_en, what_*, formula_*, moves_*

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    @property
    def counts_failures(self) -> bool:
        """A rate whose numerator is the failing rows (a 'bad things' rate such as 投诉率)."""
        return self.trend.kind == "rate" and self.trend.count == "failed"

    @property
    def window(self) -> str:
        """``rolling`` or ``lagged:<profile key>`` (the form the notebook texts were written against)."""
        return f"lagged:{self.lag}" if self.lag else "rolling"

    def lag_days(self, profile) -> int:
        """The cohort lag in days under ``profile`` (0 for the rolling window)."""
        return lag_days(profile, self.lag)

    def reason_label(self, code) -> str | None:
        """The 中文 label of a detail row's ``reason`` code (the rule of the module docstring), or None."""
        return _label(self.reasons, str(code))

    def reason_labels(self, codes: pd.Series) -> pd.Series:
        """:meth:`reason_label` of each code (one look-up per distinct code); unlabelled codes stay as they are."""
        labels = {c: self.reason_label(c) for c in pd.unique(codes.dropna())}
        return codes.map(lambda c: labels.get(c) or c if pd.notna(c) else c)

    def as_dict(self) -> dict:
        """A fresh plain dict in the shape ``shopscore_nb.notebook.definition`` always returned (texts,
        ``window``, ``trend`` with its date / kind / count / value, ``drill``, ``zh``, ``unit``) plus the facts."""
        return {
            **dict(self.texts), "key": self.key, "ruleset": self.ruleset, "zh": self.zh, "name_en": self.name_en, "unit": self.unit,
            "direction": self.direction, "anchor": self.anchor, "lag": self.lag, "window": self.window, "value_column": self.value_column,
            "trend": self.trend.as_dict(), "reasons": dict(self.reasons), "drill": list(self.drill), **({"sort": self.sort} if self.sort else {}),
        }


# ---------------------------------------------------------------- reading
@cache
def raw_entries() -> Mapping:
    text = resources.files("shopscore_nb.reference").joinpath("definitions.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def _home(key: str, ruleset: str | None) -> str:
    """The ruleset whose registry holds ``key``: ``ruleset`` itself, else the first that does (seed, 2026)."""
    if ruleset is not None and key in REGISTRY.get(str(ruleset), {}):
        return str(ruleset)
    for rs in REGISTRY:
        if key in REGISTRY[rs]:
            return rs
    raise KeyError(f"unknown indicator {key!r}; known: {', '.join(sorted({k for r in REGISTRY.values() for k in r}))}")


@cache
def describe(key: str, ruleset: str | None = None) -> Description:
    """The description of ``key`` under ``ruleset`` ("seed" | "2026"; see :func:`ruleset_of`).

    A key the ruleset does not register is described under the ruleset that does (``None``: the first
    that does). Raises ``KeyError`` for an unknown key and ``ValueError`` for an incomplete entry."""
    home = _home(key, ruleset)
    ind = REGISTRY[home][key]
    raw = dict(raw_entries().get(key) or {})
    raw.update((raw.pop("rulesets", None) or {}).get(home, {}))
    trend = dict(raw.get("trend") or {})
    anchor = raw.get("anchor")
    kind = trend.get("kind")
    value_column = raw.get("value_column") if kind == "mean" else None
    texts = {f: str(raw.get(f) or "") for f in TEXT_FIELDS}
    texts["name_en"] = texts["name_en"] or key
    texts["what_en"] = texts["what_en"] or ind.en
    desc = Description(
        key=key, ruleset=home, zh=ind.zh, name_en=texts["name_en"], unit=ind.unit,
        direction=raw.get("direction"), anchor=anchor, lag=raw.get("lag"), value_column=value_column,
        trend=Trend(kind=kind, date=trend.get("date") or anchor, count=trend.get("count"), value=trend.get("value") or value_column),
        reasons=MappingProxyType({str(k): str(v) for k, v in (raw.get("reasons") or {}).items()}),
        drill=tuple(raw.get("drill") or ()), sort=raw.get("sort"), texts=MappingProxyType(texts),
    )
    problems = _problems(desc, raw)
    if problems:
        raise ValueError(f"definitions.yaml: {key} ({home}): " + "; ".join(problems))
    return desc


def descriptions(ruleset: str) -> dict[str, Description]:
    """Every indicator of ``ruleset``, in registry order."""
    return {k: describe(k, ruleset) for k in REGISTRY[ruleset]}


def _problems(d: Description, raw: dict) -> list[str]:
    out = []
    if d.direction not in DIRECTIONS:
        out.append(f"direction must be one of {DIRECTIONS}, not {d.direction!r}")
    if not d.anchor:
        out.append("anchor missing")
    if d.trend.kind not in TREND_KINDS:
        out.append(f"trend.kind must be one of {TREND_KINDS}, not {d.trend.kind!r}")
    if d.trend.kind == "rate" and d.trend.count not in ("failed", "passed"):
        out.append("a rate needs trend.count: failed | passed")
    if d.trend.kind == "mean" and not d.value_column:
        out.append("a mean needs value_column")
    if raw.get("value_column") and d.trend.kind != "mean":
        out.append("value_column is for means (a sum names trend.value)")
    if d.trend.kind == "sum" and not d.trend.value:
        out.append("a sum needs trend.value")
    if d.trend.kind in ("rate", "mean") and not d.reasons:
        out.append("reasons missing")
    for pattern, label in d.reasons.items():
        if label.count(_SLOT) > len(_NUMBER.findall(pattern.replace(_SLOT, "0"))):
            out.append(f"reason label {label!r} has more {_SLOT} than {pattern!r}")
    return out


# ---------------------------------------------------------------- reason labels
def _label(reasons: Mapping[str, str], code: str) -> str | None:
    if code in reasons:
        return reasons[code]
    parts = [_part_label(reasons, p) for p in code.split(":")]
    return None if any(p is None for p in parts) else " · ".join(parts)


def _part_label(reasons: Mapping[str, str], part: str) -> str | None:
    if part in reasons:
        return reasons[part]
    label = reasons.get(_NUMBER.sub(_SLOT, part))
    if label is None:
        return None
    numbers = iter(_NUMBER.findall(part))
    return re.sub(re.escape(_SLOT), lambda _: next(numbers), label)


# ---------------------------------------------------------------- window facts under a profile / context
def lag_days(profile, lag: str | None) -> int:
    """Days of the lag named by the profile key ``lag`` (0 when None)."""
    return int(profile.require(lag)) if lag else 0


def row_times(ctx, rows: pd.DataFrame, column: str | None) -> pd.Series:
    """The times of ``column`` for detail ``rows``: the column itself, a derived session time
    (:data:`DERIVED_TIMES`, from the context's counted 飞鸽 rounds), or NaT when neither is available."""
    if column in DERIVED_TIMES and column not in rows and "session_id" in rows:
        r = timed_rounds(ctx)
        per_session = r[r["counted"].to_numpy(dtype=bool)].groupby("session_id")["start_at"].agg(DERIVED_TIMES[column])
        return lookup(rows["session_id"], per_session)
    if column and column in rows:
        return rows[column]
    return pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
