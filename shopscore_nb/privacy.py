"""Buyer PII masking for rendered reports and exports (on by default, SPEC §9).

One set of rules for every output: phone numbers keep their first 3 and last 4 digits, ID-card
numbers their first 6 and last 4 characters, and identifiers keep only their first and last
character around a fixed ``***`` (the length is not leaked). Phone and ID-card numbers are found in
their common written forms too: ``138-1234-5678``, ``138 1234 5678``, a ``+86``/``0086`` prefix,
full-width digits (``１３８…``), ID-card numbers written ``110101 19900307 8515``.

>>> mask_text("我的手机号是13812345678, 买家 B0607", buyer_ids=["B0607"])
'我的手机号是138****5678, 买家 B***7'
>>> mask_text("电话 +86 138-1234-5678")
'电话 +86 138****5678'
>>> mask_id("B0607")
'B***7'
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

_D = r"[0-9０-９]"  # ASCII and full-width digits
_SEP = r"[ \u00a0\u3000\-\u2010-\u2015\uff0d]?"  # one optional space or hyphen between digit groups
# an optional country prefix (+86 / 0086, ASCII or full-width) stays visible; the 11 digits are masked
_CC = rf"(?:(?:[+＋]|[0０]{{2}}){_SEP}[8８][6６]{_SEP})?"
PHONE = rf"(?<![0-9０-９])({_CC}[1１][3-9３-９]{_D}){_SEP}{_D}{{4}}{_SEP}({_D}{{4}})(?![0-9０-９])"
ID_CARD = rf"(?<![0-9０-９])({_D}{{6}}){_SEP}{_D}{{8}}{_SEP}({_D}{{3}}[0-9０-９Xx])(?![0-9０-９])"
_PHONE_RE, _ID_CARD_RE = re.compile(PHONE), re.compile(ID_CARD)
# columns that identify a buyer: masked in exports, dropped from notebook tables
PII_COLUMNS = frozenset({"buyer_id", "buyer_id_msg", "buyer", "buyer_name", "buyer_nick", "receiver", "receiver_name", "phone",
                         "mobile", "receiver_phone", "address", "收件人", "收件人手机号", "详细地址", "用户昵称"})


def mask_id(value: str) -> str:
    value = str(value)
    return value[:1] + "***" + value[-1:] if len(value) > 1 else "*"


def _id_pattern(buyer_ids: Iterable[str]) -> re.Pattern | None:
    ids = sorted({str(b) for b in buyer_ids if b is not None and len(str(b)) >= 3}, key=len, reverse=True)
    if not ids:
        return None
    return re.compile("|".join(re.escape(i) for i in ids))


def mask_numbers(text: str) -> str:
    """Phone and ID-card numbers inside free text, in every written form above."""
    text = _PHONE_RE.sub(r"\1****\2", text)
    return _ID_CARD_RE.sub(r"\1********\2", text)


def mask_text(text: str, buyer_ids: Iterable[str] = (), pattern: re.Pattern | None = None) -> str:
    """Mask phone numbers, ID-card numbers and the given buyer IDs inside free text."""
    text = mask_numbers(text)
    pattern = pattern or _id_pattern(buyer_ids)
    if pattern is not None:
        text = pattern.sub(lambda m: mask_id(m.group(0)), text)
    return text


def mask_id_series(values: pd.Series) -> pd.Series:
    """:func:`mask_id` over a column, vectorised."""
    s = values.astype("string")
    short = (s.str.len() <= 1).fillna(False).astype(bool)
    return (s.str.slice(0, 1) + "***" + s.str.slice(-1)).mask(short, "*")


def mask_text_series(text: pd.Series) -> pd.Series:
    """Phone and ID-card numbers inside a text column (Python's ``re``: the patterns use look-behind)."""
    s = text.astype(object)
    notna = s.notna()
    out = s.copy()
    out[notna] = s[notna].astype(str).str.replace(_PHONE_RE, r"\1****\2", regex=True).str.replace(_ID_CARD_RE, r"\1********\2", regex=True)
    return out.astype("string")


def buyer_ids_of(shop) -> set[str]:
    """Every buyer ID appearing in a shop's tables."""
    ids: set[str] = set()
    for frame in shop.tables.values():
        if "buyer_id" in frame:
            ids.update(frame["buyer_id"].dropna().astype(str).unique())
    return ids


def mask_notebook(nb, buyer_ids: Iterable[str] = ()) -> None:
    """Mask PII in every output of a notebook (text, HTML and plain-text data), in place."""
    pattern = _id_pattern(buyer_ids)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = mask_text(_join(out["text"]), pattern=pattern)
            for mime, data in out.get("data", {}).items():
                if (mime.startswith("text/") or mime == "application/json") and isinstance(data, (str, list)):
                    out["data"][mime] = mask_text(_join(data), pattern=pattern)


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
