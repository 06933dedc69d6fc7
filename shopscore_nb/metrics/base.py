"""The indicator framework: a registry of pure functions of (tables, as-of date, rule profile).

Every indicator returns an :class:`IndicatorResult` carrying its value, numerator, denominator,
unit and the row-level ``detail`` (one row per order / ticket / round / session counted, with
``passed`` and a ``reason`` code), so that each number can be drilled into.

>>> from shopscore_nb import load_shop
>>> from shopscore_nb.metrics import compute, Context
>>> ctx = Context.build(load_shop("data/demo", "flagship"), as_of="2026-10-01")   # doctest: +SKIP
>>> compute("logistics.pickup_on_time_rate", ctx).value                          # doctest: +SKIP
0.93
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..fastops import lookup  # noqa: F401  (re-exported for the indicator modules)
from ..profile import Profile, load_profile
from ..shop import ShopData


@dataclass
class IndicatorResult:
    key: str
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: str
    detail: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    reason: str | None = None  # why the value is null ("no data", "no after_sales data")
    extra: dict = field(default_factory=dict)  # breakdowns (e.g. pickup hour bands)
    score: float | None = None  # filled by scoring

    def as_dict(self) -> dict:
        return {
            "value": _clean(self.value),
            "numerator": _clean(self.numerator),
            "denominator": _clean(self.denominator),
            "unit": self.unit,
            "score": _clean(self.score),
            **({"reason": self.reason} if self.reason else {}),
        }


def _clean(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


@dataclass
class Indicator:
    key: str
    zh: str
    unit: str
    tables: tuple[str, ...]
    func: Callable
    en: str = ""
    rulesets: tuple[str, ...] = ("seed", "2026")


# ruleset -> key -> Indicator. One key may have a different definition per ruleset
# (商品品质退货率: paid-order denominator in the seed era, signed-order denominator in 2026).
REGISTRY: dict[str, dict[str, Indicator]] = {}


def indicator(key: str, zh: str, unit: str, tables: tuple[str, ...], rulesets: tuple[str, ...] = ("seed", "2026")):
    """Register ``func(ctx) -> IndicatorResult`` under ``key``; ``tables`` must be present in the shop."""

    def wrap(func):
        doc = (func.__doc__ or "").strip().split("\n")[0]
        for rs in rulesets:
            REGISTRY.setdefault(rs, {})[key] = Indicator(key, zh, unit, tuple(tables), func, doc, tuple(rulesets))
        return func

    return wrap


def ruleset_of(obj) -> str:
    """The ruleset ("seed" | "2026") of a profile, a :class:`Context` or anything holding one (``.ctx``, ``.profile``)."""
    ctx = getattr(obj, "ctx", obj)
    profile = getattr(ctx, "profile", ctx)
    return str(profile.get("ruleset", "seed"))


def registry(profile: Profile) -> dict[str, Indicator]:
    return REGISTRY[ruleset_of(profile)]


@dataclass
class Context:
    """What every indicator sees: the shop, the as-of date D, the profile, and a cache for shared work."""

    shop: ShopData
    as_of: pd.Timestamp
    profile: Profile
    window_days: int
    cache: dict = field(default_factory=dict)

    @classmethod
    def build(cls, shop: ShopData, as_of=None, profile: str | Profile | None = None, window_days: int | None = None) -> Context:
        if not isinstance(profile, Profile):
            profile = load_profile(profile or shop.config.get("profile") or "douyin_2022", shop.config.get("overrides"))
        as_of = pd.Timestamp(as_of).normalize() if as_of is not None else shop.default_as_of()
        return cls(shop.visible_at(as_of), as_of, profile, int(window_days or profile.window_days))

    @property
    def end(self) -> pd.Timestamp:
        return self.as_of

    @property
    def start(self) -> pd.Timestamp:
        return self.as_of - pd.Timedelta(days=self.window_days)

    def window(self, days: int | None = None, lag_days: int = 0) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``[D − lag − N 00:00, D − lag 00:00)``."""
        end = self.as_of - pd.Timedelta(days=lag_days)
        return end - pd.Timedelta(days=days or self.window_days), end

    def in_window(self, ts: pd.Series, days: int | None = None, lag_days: int = 0) -> pd.Series:
        start, end = self.window(days, lag_days)
        return ((ts >= start) & (ts < end)).fillna(False).astype(bool)

    def table(self, name: str) -> pd.DataFrame:
        return self.shop.tables[name]

    def param(self, dotted: str):
        return self.profile.require(dotted)

    def cached(self, name: str, build: Callable):
        if name not in self.cache:
            self.cache[name] = build()
        return self.cache[name]


def _mask(condition) -> np.ndarray:
    if isinstance(condition, (pd.Series, pd.Index)):
        return condition.to_numpy(dtype=bool, na_value=False)
    return np.asarray(condition, dtype=bool)


def labels(conditions, choices, default: str) -> pd.Categorical:
    """``np.select(conditions, choices, default)`` for reason codes, as a categorical: each label's
    text is kept once, not rebuilt as a million strings per indicator.

    >>> labels([np.array([True, False, False]), np.array([False, True, False])], ["a", "b"], "c").tolist()
    ['a', 'b', 'c']
    """
    names = list(dict.fromkeys([*choices, default]))
    codes = np.select([_mask(c) for c in conditions], [names.index(c) for c in choices], names.index(default))
    return pd.Categorical.from_codes(codes.astype(np.int16), categories=names)


def ratio(key: str, unit: str, passed: pd.Series, detail: pd.DataFrame, **extra) -> IndicatorResult:
    """A rate: numerator = rows passing, denominator = rows counted; null when nothing is counted."""
    den = int(len(passed))
    num = int(passed.sum())
    value = num / den if den else None
    return IndicatorResult(key, value, num, den, unit, detail, None if den else "no data", extra)


def mean(key: str, unit: str, values: pd.Series, detail: pd.DataFrame, **extra) -> IndicatorResult:
    """A mean: numerator = sum, denominator = count of non-null values."""
    values = values.dropna()
    den = int(len(values))
    num = float(values.sum()) if den else 0.0
    return IndicatorResult(key, num / den if den else None, num, den, unit, detail, None if den else "no data", extra)


def count(key: str, n: int | float, detail: pd.DataFrame, unit: str = "count") -> IndicatorResult:
    return IndicatorResult(key, float(n), float(n), None, unit, detail)


def compute(key: str, ctx: Context) -> IndicatorResult:
    ind = registry(ctx.profile)[key]
    missing = [t for t in ind.tables if not ctx.shop.has(t)]
    if missing:
        return IndicatorResult(key, None, None, None, ind.unit, pd.DataFrame(), f"no {missing[0]} data")
    return ind.func(ctx)


def compute_all(ctx: Context, keys: list[str] | None = None) -> dict[str, IndicatorResult]:
    """Every indicator of the profile's ruleset (or just ``keys``)."""
    keys = keys or indicator_keys(ctx.profile)
    return {k: compute(k, ctx) for k in keys}


def indicator_keys(profile: Profile) -> list[str]:
    """The profile's scored indicators first, then every dashboard indicator of its ruleset."""
    known = registry(profile)
    scored = [k for k in profile.get("indicators", {}) if k in known]
    return scored + [k for k in known if k not in scored]
