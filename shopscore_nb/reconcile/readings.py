"""Backend readings (SPEC §6.1): what the 抖店 商家体验分 page showed, one reading per row.

A readings file (``backend.csv`` in a shop folder, or any path) is UTF-8 (with or without BOM) or
GB18030 with the header ``as_of,key,value,score[,shop_id]`` or 日期, 指标, 指标值, 得分[, 店铺ID].
Keys are indicator keys or the page's Chinese names (the registry's ``zh``), plus ``total`` 总分 and
``dimension.<name>`` 商品体验/物流体验/服务体验. Values are parsed as printed (``1.34%``, ``13.872s``,
``1.77h``, ``4.6923``) into the indicator's unit; each keeps its print resolution (``value_half``,
``score_half``: half a unit of the last printed digit), which the matching and the calibration use.

>>> from shopscore_nb.profile import load_profile
>>> from shopscore_nb.reconcile.readings import read_readings
>>> r = read_readings("data/demo/flagship/backend.csv", load_profile("douyin_2026"))   # doctest: +SKIP
>>> r[["as_of", "key", "value", "score", "line"]].head()                                # doctest: +SKIP

Bad readings raise :class:`ReadingsError` naming the file and line (unknown name with close matches,
a value that does not parse, a date outside the data via :func:`check_dates`).
"""
from __future__ import annotations

import difflib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..loading import LoadError
from ..metrics.base import registry

READINGS_FILE = "backend.csv"
HEADERS = {
    "as_of": ("as_of", "日期", "统计日期", "date"),
    "key": ("key", "指标", "指标名称", "indicator"),
    "value": ("value", "指标值", "数值"),
    "score": ("score", "得分", "分数"),
    "shop_id": ("shop_id", "店铺id", "店铺ID", "shop"),
}
REQUIRED = ("as_of", "key")
EMPTY = {"", "-", "--", "—", "暂无", "无", "nan", "null", "n/a"}
TOTAL_NAMES = ("total", "总分", "体验分", "商家体验分", "我的总分")
# unit suffix → (unit it is written in, factor to seconds / hours); ``%`` handled apart
_TIME_SUFFIX = {"s": "s", "秒": "s", "sec": "s", "min": "min", "分钟": "min", "h": "h", "小时": "h", "hr": "h"}
_TO_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0}
_NUMBER = re.compile(r"^([+-]?\d+(?:\.(\d*))?)\s*(%|[a-z\u4e00-\u9fff]*)$", re.IGNORECASE)


class ReadingsError(LoadError):
    """A readings file that cannot be used; the message names the file and the line."""


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", str(name)).lower()


def key_names(profile) -> dict[str, str]:
    """Every accepted spelling (normalised) → canonical key: indicator keys, ``zh`` names, total, dimensions."""
    names: dict[str, str] = {}
    known = registry(profile)
    for key, ind in known.items():
        names[_norm(key)] = key
        names.setdefault(_norm(ind.zh), key)
    for section in ("indicators", "reference_indicators"):
        for key, spec in (profile.get(section) or {}).items():
            names[_norm(key)] = key
            if isinstance(spec, dict) and spec.get("zh"):
                names[_norm(spec["zh"])] = key  # the scored indicator wins a shared Chinese name
    for alias in TOTAL_NAMES:
        names[_norm(alias)] = "total"
    for dim, spec in profile["dimensions"].items():
        for alias in (f"dimension.{dim}", dim, spec.get("zh", dim), f"{spec.get('zh', dim)}分", f"{spec.get('zh', dim)}得分"):
            names[_norm(alias)] = f"dimension.{dim}"
    return names


def unit_of(profile, key: str) -> str:
    """Unit of a reading's value: the indicator's unit, ``score`` for total and dimensions."""
    if key == "total" or key.startswith("dimension."):
        return "score"
    spec = (profile.get("indicators") or {}).get(key) or (profile.get("reference_indicators") or {}).get(key)
    if isinstance(spec, dict) and spec.get("unit"):
        return spec["unit"]
    known = registry(profile)
    return known[key].unit if key in known else "score"


def parse_value(text: str, unit: str) -> tuple[float, float]:
    """``(value, half_step)`` of a printed value in ``unit`` (ratio, seconds, hours, score, count);
    NaN for an empty cell. Raises ``ValueError`` with the reason."""
    raw = str(text).strip().replace(",", "").replace("，", "").replace("％", "%")
    if raw.lower() in EMPTY:
        return np.nan, np.nan
    m = _NUMBER.match(raw)
    if not m:
        raise ValueError(f"'{text}' is not a number")
    number, decimals, suffix = float(m.group(1)), len(m.group(2) or ""), m.group(3).lower()
    half = 0.5 * 10.0**-decimals
    if suffix == "%":
        if unit != "ratio":
            raise ValueError(f"'{text}' is a percent but the indicator is in {unit}")
        return number / 100, half / 100
    if suffix in _TIME_SUFFIX:
        if unit not in ("seconds", "hours"):
            raise ValueError(f"'{text}' is a duration but the indicator is in {unit}")
        factor = _TO_SECONDS[_TIME_SUFFIX[suffix]] / (1.0 if unit == "seconds" else 3600.0)
        return number * factor, half * factor
    if suffix in ("分", "pt", "pts", "单", "次"):
        suffix = ""
    if suffix:
        raise ValueError(f"'{text}' has an unknown unit '{suffix}'")
    if unit == "ratio" and not 0 <= number <= 1:
        raise ValueError(f"'{text}' is not a ratio: write a percent (1.34%) or a fraction (0.0134)")
    return number, half


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadingsError(f"{path}: not UTF-8 or GB18030 text.")


def _columns(path: Path, header: list[str]) -> dict[str, str]:
    wanted = {_norm(alias): canon for canon, aliases in HEADERS.items() for alias in aliases}
    found = {col: wanted[_norm(col)] for col in header if _norm(col) in wanted}
    missing = [c for c in REQUIRED if c not in found.values()]
    if missing:
        told = "; ".join(f"'{c}' ({' / '.join(HEADERS[c])})" for c in missing)
        raise ReadingsError(f"{path}: line 1: missing column {told}; the header is {header}.")
    return found


def read_readings(path: str | Path, profile, shop_id: str | None = None) -> pd.DataFrame:
    """Parse a readings file into one row per reading.

    Columns: ``shop_id, as_of, key, value, score, value_text, score_text, value_half, score_half,
    unit, line, source``. ``shop_id`` comes from the file's column, else from ``shop_id``.
    """
    path = Path(path)
    if not path.is_file():
        raise ReadingsError(f"{path}: readings file not found.")
    raw = pd.read_csv(io.StringIO(_decode(path)), dtype=str, keep_default_na=False, skip_blank_lines=False, sep=None, engine="python")
    raw.columns = [str(c).strip() for c in raw.columns]
    raw = raw.rename(columns=_columns(path, list(raw.columns)))
    raw["line"] = np.arange(len(raw)) + 2
    raw = raw[raw.drop(columns="line").fillna("").apply(lambda c: c.str.strip() != "").any(axis=1)].fillna("")
    return parse_readings(raw, profile, source=str(path), shop_id=shop_id)


def parse_readings(raw: pd.DataFrame, profile, source: str = "readings", shop_id: str | None = None) -> pd.DataFrame:
    """Parse raw text readings (columns ``as_of, key[, value, score, shop_id, line]``) as :func:`read_readings` does."""
    raw = raw.copy()
    for col in ("value", "score", "shop_id"):
        if col not in raw:
            raw[col] = ""
    if "line" not in raw:
        raw["line"] = np.arange(len(raw)) + 2
    names = key_names(profile)
    out = pd.DataFrame({"line": raw["line"].astype(int).to_numpy(), "source": source})
    ids = raw["shop_id"].fillna("").astype(str).str.strip().to_numpy()
    out["shop_id"] = np.where(ids == "", shop_id if shop_id is not None else "", ids)
    dates = pd.to_datetime(raw["as_of"].astype(str).str.strip().str.replace("/", "-"), format="%Y-%m-%d", errors="coerce")
    bad = dates.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise ReadingsError(f"{source}: line {out['line'].iloc[i]}: date '{raw['as_of'].iloc[i]}' is not YYYY-MM-DD.")
    out["as_of"] = dates.dt.normalize().to_numpy()
    keys = raw["key"].astype(str).map(lambda k: names.get(_norm(k)))
    if keys.isna().any():
        i = int(np.argmax(keys.isna().to_numpy()))
        name = raw["key"].iloc[i]
        close = difflib.get_close_matches(_norm(name), list(names), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(sorted({names[c] for c in close}))}?" if close else ""
        raise ReadingsError(f"{source}: line {out['line'].iloc[i]}: unknown indicator '{name}'{hint}")
    out["key"] = keys.to_numpy()
    out["unit"] = [unit_of(profile, k) for k in out["key"]]
    out["value_text"] = raw["value"].astype(str).str.strip().to_numpy()
    out["score_text"] = raw["score"].astype(str).str.strip().to_numpy()
    values = [_parse(source, line, text, unit, "value") for line, text, unit in zip(out["line"], out["value_text"], out["unit"], strict=True)]
    scores = [_parse(source, line, text, "score", "score") for line, text in zip(out["line"], out["score_text"], strict=True)]
    out["value"], out["value_half"] = [v for v, _ in values], [h for _, h in values]
    out["score"], out["score_half"] = [v for v, _ in scores], [h for _, h in scores]
    _check_duplicates(out, source)
    cols = ["shop_id", "as_of", "key", "value", "score", "value_text", "score_text", "value_half", "score_half", "unit", "line", "source"]
    return out[cols].sort_values(["shop_id", "as_of", "line"], na_position="first").reset_index(drop=True)


def _parse(source: str, line: int, text: str, unit: str, what: str) -> tuple[float, float]:
    try:
        return parse_value(text, unit)
    except ValueError as exc:
        raise ReadingsError(f"{source}: line {line}: {what} {exc}.") from None


def _check_duplicates(out: pd.DataFrame, source: str) -> None:
    keys = ["shop_id", "as_of", "key"]
    dup = out[out.duplicated(keys, keep=False)]
    if dup.empty:
        return
    first = dup.groupby(keys, dropna=False)["line"].apply(list).iloc[0]
    same = dup.groupby(keys, dropna=False)[["value_text", "score_text"]].nunique().max(axis=None) == 1
    if not same:
        raise ReadingsError(f"{source}: lines {', '.join(map(str, first))}: two different readings of the same key and date.")
    out.drop(index=out.index[out.duplicated(keys)], inplace=True)


def data_dates(shop) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The as-of dates a shop's data can answer: the day after its first event to its default as-of."""
    from ..shop import ROW_ANCHORS

    firsts = [t[ROW_ANCHORS[n]].min() for n, t in shop.tables.items() if ROW_ANCHORS.get(n) in t and t[ROW_ANCHORS[n]].notna().any()]
    if not firsts:
        raise ReadingsError(f"shop {shop.shop_id}: no dated rows to reconcile against.")
    return min(firsts).normalize() + pd.Timedelta(days=1), shop.default_as_of()


def check_dates(readings: pd.DataFrame, shop) -> None:
    """Raise on the first reading whose as-of date lies outside the shop's data (:func:`data_dates`)."""
    lo, hi = data_dates(shop)
    bad = (readings["as_of"] < lo) | (readings["as_of"] > hi)
    if bad.any():
        r = readings[bad].iloc[0]
        raise ReadingsError(
            f"{r['source']}: line {r['line']}: date {r['as_of']:%Y-%m-%d} is outside the data of shop {shop.shop_id} "
            f"(as-of dates {lo:%Y-%m-%d} … {hi:%Y-%m-%d})."
        )


def shop_readings(folder: str | Path, profile, shop_id: str | None = None, path: str | Path | None = None) -> pd.DataFrame:
    """The readings of one shop: ``path`` (``--backend``) or ``<folder>/backend.csv``, filtered to ``shop_id``
    when the file has a ``shop_id`` column."""
    folder = Path(folder)
    shop_id = shop_id or folder.name
    file = Path(path) if path else folder / READINGS_FILE
    r = read_readings(file, profile, shop_id=shop_id)
    r = r[r["shop_id"] == shop_id].reset_index(drop=True)
    if r.empty:
        raise ReadingsError(f"{file}: no readings for shop {shop_id}.")
    return r
