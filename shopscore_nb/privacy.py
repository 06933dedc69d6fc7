"""Buyer PII masking for rendered reports and exports (on by default, SPEC §9).

>>> mask_text("我的手机号是13812345678, 买家 B0607", buyer_ids=["B0607"])
'我的手机号是138****5678, 买家 B0***'
"""
from __future__ import annotations

import re
from collections.abc import Iterable

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?)(\d{3,4})(\d{4})(?!\d)")
ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")


def mask_id(value: str) -> str:
    value = str(value)
    return value[:2] + "*" * max(3, len(value) - 2) if len(value) > 2 else "***"


def _id_pattern(buyer_ids: Iterable[str]) -> re.Pattern | None:
    ids = sorted({str(b) for b in buyer_ids if b is not None and len(str(b)) >= 3}, key=len, reverse=True)
    if not ids:
        return None
    return re.compile("|".join(re.escape(i) for i in ids))


def mask_text(text: str, buyer_ids: Iterable[str] = (), pattern: re.Pattern | None = None) -> str:
    """Mask phone numbers, ID-card numbers and the given buyer IDs inside free text."""
    text = PHONE.sub(r"\1****\3", text)
    text = ID_CARD.sub(r"\1********\2", text)
    pattern = pattern or _id_pattern(buyer_ids)
    if pattern is not None:
        text = pattern.sub(lambda m: mask_id(m.group(0)), text)
    return text


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
                if mime.startswith("text/") or mime == "application/json":
                    if isinstance(data, (str, list)):
                        out["data"][mime] = mask_text(_join(data), pattern=pattern)


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
