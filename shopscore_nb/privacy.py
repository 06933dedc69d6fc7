"""Buyer PII masking for rendered reports and exports (on by default, SPEC §9).

One set of rules for every output: phone numbers keep their first 3 and last 4 digits, ID-card
numbers their first 6 and last 4 characters, and identifiers keep only their first and last
character around a fixed ``***`` (the length is not leaked).

>>> mask_text("我的手机号是13812345678, 买家 B0607", buyer_ids=["B0607"])
'我的手机号是138****5678, 买家 B***7'
>>> mask_id("B0607")
'B***7'
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

PHONE = r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)"
ID_CARD = r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)"
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


def mask_text(text: str, buyer_ids: Iterable[str] = (), pattern: re.Pattern | None = None) -> str:
    """Mask phone numbers, ID-card numbers and the given buyer IDs inside free text."""
    text = re.sub(PHONE, r"\1****\2", text)
    text = re.sub(ID_CARD, r"\1********\2", text)
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
    """Phone and ID-card numbers inside a text column, vectorised."""
    s = text.astype("string").str.replace(PHONE, r"\1****\2", regex=True)
    return s.str.replace(ID_CARD, r"\1********\2", regex=True)


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
