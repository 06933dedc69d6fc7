"""Parsing what users type: one as-of date parser, the window bounds and shop ids, for the CLI and notebooks.

>>> parse_as_of("2026-10-01")
Timestamp('2026-10-01 00:00:00')
>>> window_days_arg("30")
30
"""
from __future__ import annotations

import argparse
import datetime as dt

import pandas as pd

MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 1, 3660  # one day to ten years


def parse_as_of(text: str) -> pd.Timestamp:
    """A ``YYYY-MM-DD`` date (surrounding spaces ignored) as a midnight Timestamp; ``ValueError`` otherwise."""
    try:
        return pd.Timestamp(dt.datetime.strptime(str(text).strip(), "%Y-%m-%d"))
    except ValueError:
        raise ValueError(f"'{text}' is not a date in YYYY-MM-DD form") from None


def as_of_arg(text: str) -> pd.Timestamp:
    """argparse type for ``--as-of``."""
    try:
        return parse_as_of(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def window_days_arg(text: str) -> int:
    """argparse type for ``--window-days``: a whole number of days, 1–3660."""
    try:
        days = int(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of days") from None
    if not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
        raise argparse.ArgumentTypeError(f"{days} is out of range ({MIN_WINDOW_DAYS}–{MAX_WINDOW_DAYS} days)")
    return days


def shop_id_arg(text: str) -> str:
    """argparse type for ``--shop``: a non-empty folder name."""
    if not str(text).strip():
        raise argparse.ArgumentTypeError("an empty shop id names no shop folder; give the folder name under DATA_ROOT")
    return str(text)
