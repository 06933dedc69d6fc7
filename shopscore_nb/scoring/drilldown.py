"""Drill-down with impact: the rows that cost an indicator, sorted by their share of the loss; exports.

- **Rates** (unit ``ratio``): the failing rows (``passed`` false). Each moves the rate by
  ``1 / denominator`` if fixed, so ``impact`` = 1/den and ``share_of_loss`` = 1/failing rows.
- **Means** (hours, seconds, scores): the failing rows are those worse than the target (``target``,
  or the rows marked failed, or — when every row passed — the mean itself); ``impact`` = how much the
  mean moves if the row were at the target = |value − target| / den; ``share_of_loss`` = impact / Σ impact.
  The column averaged and which way is worse come from the indicator's description
  (:mod:`shopscore_nb.metrics.descriptions`: ``value_column``, ``direction``).

Exports mask buyer PII by default (ID-like columns; phone and ID-card numbers in text), with the rules of
:mod:`shopscore_nb.privacy`.

>>> from shopscore_nb.scoring.drilldown import drilldown, export
>>> rows = drilldown(results, "product.avg_rating")           # doctest: +SKIP
>>> export(rows, "out/avg_rating_failing.xlsx")                # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..escaping import spreadsheet_frame, write_xlsx
from ..metrics.base import ruleset_of
from ..metrics.descriptions import describe
from ..privacy import PII_COLUMNS, mask_id_series, mask_text_series


def value_column(result, ruleset: str | None = None) -> str | None:
    """The detail column a mean indicator averages (None for rates, counts and sums), from its description.

    ``ruleset`` None: the first ruleset registering the key (every key's value column is the same in both)."""
    return describe(result.key, ruleset).value_column


def _rate_rows(result) -> pd.DataFrame:
    d = result.detail
    failing = d[~d["passed"].to_numpy(dtype=bool, na_value=False)].copy()
    den = float(result.denominator or 0)
    failing["impact"] = 1.0 / den if den else np.nan
    failing["share_of_loss"] = 1.0 / len(failing) if len(failing) else np.nan
    return failing


def _mean_rows(result, col: str, target: float | None, higher: bool) -> pd.DataFrame:
    d = result.detail
    values = d[col].astype(float)
    if target is None:
        passed = d["passed"].to_numpy(dtype=bool, na_value=False) if "passed" in d else np.ones(len(d), dtype=bool)
        target = float(values[passed].mean()) if (~passed).any() and passed.any() else float(values.mean())
    excess = (target - values) if higher else (values - target)
    failing = d[(excess > 0).to_numpy(dtype=bool, na_value=False)].copy()
    failing["target"] = target
    failing["impact"] = excess[failing.index] / float(result.denominator or 1)
    total = failing["impact"].sum()
    failing["share_of_loss"] = failing["impact"] / total if total else np.nan
    return failing


def drilldown(results: dict, key: str, target: float | None = None, direction: str | None = None, ruleset: str | None = None) -> pd.DataFrame:
    """Failing rows of ``results[key]`` with ``impact`` and ``share_of_loss``, largest loss first.

    ``direction`` (higher | lower) defaults to the description's; ``ruleset`` picks the description
    (None: the first ruleset registering the key)."""
    result = results[key]
    d = result.detail
    if d is None or d.empty or "passed" not in d:
        return pd.DataFrame(columns=[*getattr(d, "columns", []), "impact", "share_of_loss"])
    desc = describe(key, ruleset) if result.unit != "ratio" else None
    if desc is not None and desc.value_column in d:
        out = _mean_rows(result, desc.value_column, target, (direction or desc.direction) == "higher")
    else:  # rates, and means whose detail lacks the value column
        out = _rate_rows(result)
    time_cols = [c for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c])][:1]
    out = out.sort_values(["share_of_loss", *time_cols], ascending=[False] + [True] * len(time_cols), kind="stable")
    out = out.reset_index(drop=out.index.name is None or out.index.name in out.columns)
    return out.assign(indicator=key)


def drill_target(card, results: dict, key: str) -> tuple[float | None, str | None]:
    """The target a mean's rows are measured against by :func:`drilldown_for`, and where it comes from:
    ``("best_tier", cut-off)`` for a tiered scored mean, ``("best", value)`` for a directly scored one,
    ``(None, None)`` otherwise (rates, and means the profile does not score: their rows are measured
    against the mean of the passing rows, which is no target a reader can aim at)."""
    rules = card.rules if card is not None else None
    spec = rules.indicators.get(key) if rules else None
    if spec is None or results[key].unit == "ratio":
        return None, None
    if spec.get("scoring", "tiers") == "tiers" and spec.get("cutoffs"):
        return spec["cutoffs"][-1], "best_tier"
    best = results[key].extra.get("best")
    return (best, "best") if best is not None else (None, None)


def drilldown_for(card, results: dict, key: str) -> pd.DataFrame:
    """As :func:`drilldown`, a scored mean's target being its best-tier cut-off (or best value) from the scorecard rules."""
    rules = card.rules if card is not None else None
    ruleset = ruleset_of(rules.profile) if rules else None
    target, _ = drill_target(card, results, key)
    return drilldown(results, key, target=target, ruleset=ruleset)


def _is_text(col: pd.Series) -> bool:
    return col.dtype == object or pd.api.types.is_string_dtype(col)


def mask_pii(frame: pd.DataFrame) -> pd.DataFrame:
    """Buyer PII masked: ID/name/phone/address columns, and phone numbers inside every other text column."""
    out = frame.copy()
    for col in out.columns:  # per column, not per row
        name = str(col).lower()
        if name in PII_COLUMNS or name.endswith(("phone", "mobile")):
            out[col] = mask_id_series(out[col])
        elif _is_text(out[col]) and name not in ("indicator", "reason"):
            out[col] = mask_text_series(out[col])
    return out


def export(frames: pd.DataFrame | dict[str, pd.DataFrame], path: str | Path, mask: bool = True) -> Path:
    """Write one drill-down (CSV or XLSX by suffix) or several (XLSX, one sheet each); PII masked unless ``mask=False``.

    Formula-safe (SPEC §9): text cells starting with = + - @ tab or CR get a leading apostrophe, and XLSX
    string cells are written as text, never as formulas."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = {"drilldown": frames} if isinstance(frames, pd.DataFrame) else frames
    frames = {name: (mask_pii(f) if mask else f) for name, f in frames.items()}
    if path.suffix.lower() == ".csv":
        if len(frames) != 1:
            raise ValueError("a CSV holds one table; use .xlsx for several drill-downs")
        spreadsheet_frame(next(iter(frames.values()))).to_csv(path, index=False, encoding="utf-8-sig")
    elif path.suffix.lower() == ".xlsx":
        write_xlsx(frames, path)
    else:
        raise ValueError(f"{path.name}: export to .csv or .xlsx")
    return path

