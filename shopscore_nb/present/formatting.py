"""Numbers as the reader reads them (``12.34%``, ``3.50 h``, ``¥1,280.00``) and as golden cells print them.

>>> fmt_value(0.123456, "ratio")
'12.35%'
>>> num(0.1234567891)
'0.123457'
"""
from __future__ import annotations

import math


def fmt_value(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) < 1e-12:
        value = 0.0  # no "-0.00%" after subtracting equal impacts
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "hours":
        return f"{value:,.2f} h"
    if unit == "seconds":
        return f"{value:,.1f} s"
    if unit == "yuan":
        return f"¥{value:,.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def num(x) -> str:
    """A number as plain, stable text for golden cells (6 decimals at most, no trailing zeros)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "null"
    x = float(x)
    if x.is_integer():
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- cells as the reader reads them (tables)
EMPTY = "—"  # what an empty cell shows: never NaN, NaT, <NA> or None
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def is_empty(x) -> bool:
    """None, NaN, NaT, pd.NA (and an empty string)."""
    if x is None or (isinstance(x, str) and not x.strip()):
        return True
    try:
        import pandas as pd

        return bool(pd.isna(x))
    except (TypeError, ValueError):  # arrays and other containers are not empty cells
        return False


def fmt_int(x) -> str:
    """``1,234``."""
    return EMPTY if is_empty(x) else f"{int(round(float(x))):,}"


def fmt_number(x, digits: int = 2) -> str:
    """Up to ``digits`` decimals, trailing zeros dropped: ``4.79``, ``3``."""
    if is_empty(x):
        return EMPTY
    text = f"{float(x):,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_percent(x, digits: int = 1) -> str:
    """A 0–1 share as a percentage: ``12.3%``."""
    return EMPTY if is_empty(x) else f"{float(x) * 100:.{digits}f}%"


def fmt_seconds(x) -> str:
    """A duration in seconds as 分秒: ``45秒``, ``3分05秒``, ``9小时08分``."""
    if is_empty(x):
        return EMPTY
    s = int(round(float(x)))
    sign, s = ("−", -s) if s < 0 else ("", s)
    if s < 60:
        return f"{sign}{s}秒"
    if s < 3600:
        return f"{sign}{s // 60}分{s % 60:02d}秒"
    return f"{sign}{s // 3600}小时{s % 3600 // 60:02d}分"


def fmt_hm(hours) -> str:
    """A duration in hours as h:mm: ``38:17`` (the column header says 时:分)."""
    if is_empty(hours):
        return EMPTY
    m = int(round(float(hours) * 60))
    sign, m = ("−", -m) if m < 0 else ("", m)
    return f"{sign}{m // 60}:{m % 60:02d}"


def fmt_hours_text(hours) -> str:
    """A duration in hours for a sentence: ``13小时18分``, ``27分``."""
    if is_empty(hours):
        return EMPTY
    m = int(round(float(hours) * 60))
    sign, m = ("−", -m) if m < 0 else ("", m)
    if m < 60:
        return f"{sign}{m}分"
    return f"{sign}{m // 60}小时" + (f"{m % 60:02d}分" if m % 60 else "")


def fmt_datetime(x) -> str:
    """``YYYY-MM-DD HH:MM``."""
    if is_empty(x):
        return EMPTY
    import pandas as pd

    return pd.Timestamp(x).strftime("%Y-%m-%d %H:%M")


def fmt_date(x) -> str:
    """``YYYY-MM-DD``."""
    if is_empty(x):
        return EMPTY
    import pandas as pd

    return pd.Timestamp(x).strftime("%Y-%m-%d")


def fmt_yuan(x) -> str:
    """``¥1,280.00``."""
    return EMPTY if is_empty(x) else f"¥{float(x):,.2f}"


def fmt_hour(x) -> str:
    """An hour of day: ``08时``."""
    return EMPTY if is_empty(x) else f"{int(x):02d}时"


def fmt_weekday(x) -> str:
    """0 = Monday → ``周一``."""
    return EMPTY if is_empty(x) else WEEKDAYS[int(x) % 7]


def fmt_bool(x, yes: str = "是", no: str = "否") -> str:
    return EMPTY if is_empty(x) else (yes if bool(x) else no)


def fmt_reader(value, unit: str) -> str:
    """A value in an indicator's unit for the reader: ``12.35%``, ``13小时18分``, ``3分05秒``, ``¥1,280.00``, ``4.79``."""
    if is_empty(value):
        return EMPTY
    if abs(float(value)) < 1e-12:
        value = 0.0  # no "-0.00%" after subtracting equal impacts
    if unit == "ratio":
        return f"{float(value):.2%}"
    if unit == "hours":
        return fmt_hours_text(value)
    if unit == "seconds":
        return fmt_seconds(value)
    if unit == "yuan":
        return fmt_yuan(value)
    return fmt_number(value)


def fmt_change(value, unit: str) -> str:
    """How far an indicator moves, without sign: percentage points for rates (``0.67个百分点``), else its unit."""
    if is_empty(value):
        return EMPTY
    value = abs(float(value))
    if unit == "ratio":
        return f"{value * 100:.2f}个百分点"
    return fmt_reader(value, unit) if unit in ("hours", "seconds", "yuan") else fmt_number(value, 3)


def fmt_signed(value, unit: str) -> str:
    """A gap with its sign: ``+0.51``, ``−17``, ``−2.35个百分点``."""
    if is_empty(value):
        return EMPTY
    value = float(value)
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + (fmt_change(value, unit) if unit in ("ratio", "hours", "seconds", "yuan") else fmt_number(abs(value)))
