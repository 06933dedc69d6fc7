"""Batch reports: papermill renders per shop, a portfolio summary, safe outputs, Dask scale-out.

>>> from shopscore_nb.batch import run_batch
>>> run_batch("data/demo", out="reports", workers=2)      # doctest: +SKIP
"""
from .runner import BatchResult, ShopJob, render_shop, run_batch

__all__ = ["BatchResult", "ShopJob", "render_shop", "run_batch"]
