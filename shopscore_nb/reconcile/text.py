"""Plain-text tables for the terminal that stay aligned with Chinese text (``shopscore reconcile`` / ``calibrate``).

>>> import pandas as pd
>>> print(text_table(pd.DataFrame({"指标": ["总分", "x"], "n": [1, 20]})))
指标   n
总分   1
x     20
"""
from __future__ import annotations

import unicodedata

import pandas as pd


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(frame: pd.DataFrame) -> str:
    """A plain-text table that stays aligned with Chinese text: text left, numbers right, two spaces apart."""
    cols = [str(c) for c in frame.columns]
    cells = [["" if v is None or (isinstance(v, float) and pd.isna(v)) else (f"{v:.6g}" if isinstance(v, float) else str(v)) for v in row]
             for row in frame.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
    widths = [max([_width(c), *(_width(r[i]) for r in cells)]) for i, c in enumerate(cols)]

    def line(values):
        out = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - _width(v))
            out.append(pad + v if numeric[i] else v + pad)
        return "  ".join(out).rstrip()

    return "\n".join([line(cols), *(line(r) for r in cells)])
