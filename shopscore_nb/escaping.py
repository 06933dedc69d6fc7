"""What comes from data or folder names is made inert wherever the kit writes it (SPEC §9).

- :func:`md_text`: a value placed inside Markdown (HTML-escaped, Markdown punctuation escaped), so a
  shop named ``<script>…`` or ``[x](javascript:…)`` prints as text in every report;
- :func:`spreadsheet_safe` / :func:`spreadsheet_frame`: text cells that a spreadsheet would run as a
  formula (``=``, ``+``, ``-``, ``@``, tab, CR first) get a leading apostrophe;
- :func:`write_xlsx`: workbooks whose string cells are always text, never formulas or links.

>>> md_text("<img src=x onerror=alert(1)>")
'&lt;img src=x onerror=alert\\\\(1\\\\)&gt;'
>>> spreadsheet_safe('=HYPERLINK("http://evil/","x")')
'\\'=HYPERLINK("http://evil/","x")'
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = r"^[=+\-@\t\r]"


def md_text(value) -> str:
    """``value`` as literal text inside Markdown: no tag, link, emphasis or heading can come from it."""
    text = html.escape(str(value), quote=True)
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def spreadsheet_safe(value):
    """A text value that would start a formula gets a leading apostrophe; anything else is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _is_text(col: pd.Series) -> bool:
    return col.dtype == object or pd.api.types.is_string_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype)


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column (and the column names) neutralised with :func:`spreadsheet_safe`, vectorised per column."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if not _is_text(s):
            continue
        text = s.astype("string")
        risky = text.str.contains(_FORMULA_RE, regex=True).fillna(False).astype(bool)
        if risky.any():
            out[col] = text.mask(risky, "'" + text)
    out.columns = [spreadsheet_safe(str(c)) for c in out.columns]
    return out


def write_xlsx(frames: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """One sheet per frame; every string cell is written as text (xlsxwriter with formulas and URLs off)."""
    path = Path(path)
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": options}) as xl:
        for name, frame in frames.items():
            spreadsheet_frame(frame).to_excel(xl, sheet_name=sheet_name(name), index=False)
    return path


def sheet_name(name: str) -> str:
    """A valid Excel sheet name (no ``[]:*?/\\``, at most 31 characters)."""
    return "".join(ch if ch not in "[]:*?/\\" else "_" for ch in str(name))[:31] or "sheet"
