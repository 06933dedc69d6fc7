"""Batch reports: papermill renders per shop, a portfolio summary, safe outputs, Dask scale-out.

>>> from shopscore_nb.batch import run_batch
>>> run_batch("data/demo", out="reports", workers=2)      # doctest: +SKIP
"""
from __future__ import annotations

__all__ = ["BatchResult", "ShopJob", "render_shop", "run_batch"]


def __getattr__(name: str):
    # papermill/nbformat take seconds to import: load them only when a batch actually runs
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(name)
