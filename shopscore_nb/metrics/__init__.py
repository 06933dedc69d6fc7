"""Indicators: registered pure functions of (tables, as-of date, rule profile).

>>> from shopscore_nb import load_shop
>>> from shopscore_nb.metrics import Context, compute_all
>>> results = compute_all(Context.build(load_shop("data/demo", "flagship")))   # doctest: +SKIP
"""
from . import im, official, seed  # noqa: F401  (registers the indicators)
from .base import REGISTRY, Context, IndicatorResult, compute, compute_all, indicator_keys, registry

__all__ = ["REGISTRY", "Context", "IndicatorResult", "compute", "compute_all", "indicator_keys", "registry"]
