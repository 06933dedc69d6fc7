"""Backend readings for the demo: what the page would show if the platform scored with a "true" profile.

The true profile is a copy of a shipped profile whose unpublished numbers (dimension weights, the
assumed indicator weights, the default tier cut-offs) differ from the shipped assumptions, so that a
reconciliation shows differences to explain and a calibration has something to recover.

>>> from shopscore_nb import load_shop
>>> from shopscore_nb.reconcile.demo_readings import demo_readings, true_profile, write_readings
>>> truth = true_profile()                                                         # doctest: +SKIP
>>> shop = load_shop("data/demo", "flagship")                                       # doctest: +SKIP
>>> text = demo_readings(shop, truth, pd.date_range("2026-09-01", periods=30))      # doctest: +SKIP
>>> write_readings(text, "data/demo/flagship/backend.csv")                          # doctest: +SKIP
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..profile import Profile, load_profile

# Demo data, not rules: the numbers the "platform" of the demo uses in place of the assumptions.
DEMO_TRUTH = {
    "douyin_2026": {
        "dimensions": {"product": {"weight": 0.45}, "logistics": {"weight": 0.25}, "service": {"weight": 0.30}},
        "indicators": {
            "product.avg_rating": {"weight": 0.8}, "product.quality_return_rate": {"weight": 0.2},
            "logistics.pickup_score_avg": {"weight": 0.2}, "logistics.waybill_on_time_rate": {"weight": 0.6},
            "logistics.quality_return_rate": {"weight": 0.2},
        },
        "tiers": {"industries": {"默认": {"cutoffs": {
            "product.avg_rating": [4.55, 4.62, 4.68, 4.73, 4.80],
            "product.quality_return_rate": [0.014, 0.011, 0.0085, 0.006, 0.003],
            "logistics.waybill_on_time_rate": [0.80, 0.86, 0.90, 0.93, 0.95],
            "logistics.quality_return_rate": [0.012, 0.009, 0.007, 0.005, 0.002],
            "service.aftersale_review_hours_avg": [40, 20, 10, 5, 3],
            "service.im_avg_response_seconds": [200, 150, 100, 60, 30],
            "service.im_dissatisfaction_rate": [0.25, 0.18, 0.12, 0.09, 0.05],
            "service.platform_help_rate": [0.04, 0.025, 0.015, 0.008, 0.004],
        }}}},
    },
}
# How the page prints a value of each unit: (decimals, suffix, factor)
PRINT = {"ratio": (2, "%", 100.0), "seconds": (3, "s", 1.0), "hours": (2, "h", 1.0), "score": (4, "", 1.0), "count": (0, "", 1.0)}


def true_profile(base: str = "douyin_2026", truth: dict | None = None) -> Profile:
    """``base`` with the demo's true numbers (``truth`` overrides, deep-merged; default :data:`DEMO_TRUTH`)."""
    return load_profile(base, truth if truth is not None else DEMO_TRUTH[base])


def _half_up(x: float, decimals: int) -> float:
    q = 10**decimals
    return math.floor(x * q + 0.5 + 1e-9) / q


def printed(value, unit: str) -> str:
    """A value as the page prints it (``1.34%``, ``66.277s``, ``4.7213``); empty for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    decimals, suffix, factor = PRINT.get(unit, (4, "", 1.0))
    return f"{_half_up(float(value) * factor, decimals):.{decimals}f}{suffix}"


def readings_of(report, score_decimals: int = 0) -> list[dict]:
    """The page of one report: each scored indicator's value and score, the dimensions and the total."""
    p, card = report.ctx.profile, report.scorecard
    day = f"{report.ctx.as_of:%Y-%m-%d}"
    rows = []
    for r in card.indicators.itertuples():
        direct = r.method == "direct"
        score = "" if pd.isna(r.score) else f"{_half_up(r.score, 2 if direct else score_decimals):.{2 if direct else score_decimals}f}"
        rows.append({"as_of": day, "key": r.zh, "value": printed(r.value, p["indicators"][r.key].get("unit", "score")), "score": score})
    for name, value in card.dimensions.items():
        zh = p["dimensions"][name].get("zh", name)
        rows.append({"as_of": day, "key": zh, "value": "", "score": "" if value is None else f"{_half_up(value, score_decimals):.{score_decimals}f}"})
    total_decimals = int((p.get("rounding") or {}).get("total_decimals", 0))
    rows.append({"as_of": day, "key": "总分", "value": "", "score": "" if card.total is None else f"{card.total:.{total_decimals}f}"})
    return rows


def page_of(shop, truth: Profile, day) -> list[dict]:
    """The page of one as-of day (:func:`readings_of`) of ``shop`` scored with ``truth``."""
    from .reconcile import page_report

    decimals = int((truth.get("rounding") or {}).get("total_decimals", 0))
    return readings_of(page_report(shop, pd.Timestamp(day), truth), score_decimals=decimals)


def demo_readings(shop, truth: Profile, dates) -> pd.DataFrame:
    """Text readings (日期, 指标, 指标值, 得分, 店铺ID) of ``shop`` scored with ``truth`` on each of ``dates``."""
    rows = []
    for day in pd.DatetimeIndex(dates):
        rows += page_of(shop, truth, day)
    out = pd.DataFrame(rows, columns=["as_of", "key", "value", "score"])
    out["shop_id"] = shop.shop_id
    return out


def write_readings(readings: pd.DataFrame, path: str | Path, chinese: bool = True) -> Path:
    """Write text readings as a backend.csv (Chinese header by default, UTF-8 with BOM)."""
    path = Path(path)
    header = {"as_of": "日期", "key": "指标", "value": "指标值", "score": "得分", "shop_id": "店铺ID"} if chinese else {}
    readings.rename(columns=header).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def synthetic_readings(truth: Profile, days: int = 120, shops: int = 3, seed: int = 0, start: str = "2026-08-01") -> pd.DataFrame:
    """Text readings of made-up pages scored with ``truth`` (no shop data needed): indicator values
    drawn across every cut-off, scored by tiers (or directly), dimensions Σ score × weight, total
    Σ dimension × weight, each printed the page's way. No floors, deductions or stages."""
    import numpy as np

    from ..scoring.tiers import tier_scores

    rng = np.random.default_rng(seed)
    n = days * shops
    scores = truth["tiers"]["scores"]
    cut = truth["tiers"]["industries"][truth["tiers"]["default_industry"]]["cutoffs"]
    sw = truth.get("service_weights")
    weights = {k: float(v["weight"]) for k, v in truth["indicators"].items()}
    if sw:
        row = sw["industries"][sw["default_industry"]]
        weights.update({k: pct / 100 for k, pct in zip(sw["columns"], row.get("通用", next(iter(row.values()))), strict=True)})
    lo, hi = truth["range"]["min"], truth["range"]["max"]
    values, ind_scores = {}, {}
    for key, spec in truth["indicators"].items():
        if spec.get("scoring", "tiers") == "direct":
            values[key] = rng.uniform(lo + 0.2 * (hi - lo), hi, n)
            ind_scores[key] = values[key]
            continue
        c = np.asarray(cut[key], dtype=float)
        span = abs(c[-1] - c[0])
        values[key] = np.clip(rng.uniform(min(c) - 0.6 * span, max(c) + 0.6 * span, n), 0, None)
        ind_scores[key] = tier_scores(values[key], c, spec["direction"], scores)
    decimals = int((truth.get("rounding") or {}).get("total_decimals", 0))
    dims = {d: sum(ind_scores[k] * weights[k] for k, v in truth["indicators"].items() if v["dimension"] == d) for d in truth["dimensions"]}
    total = sum(dims[d] * float(truth["dimensions"][d]["weight"]) for d in truth["dimensions"])
    shop_ids = np.repeat([f"s{i + 1}" for i in range(shops)], days)
    dates = np.tile(pd.date_range(start, periods=days).strftime("%Y-%m-%d"), shops)
    rows = []
    for i in range(n):
        base = {"as_of": dates[i], "shop_id": shop_ids[i]}
        for key, spec in truth["indicators"].items():
            direct = spec.get("scoring", "tiers") == "direct"
            score = f"{_half_up(ind_scores[key][i], 2):.2f}" if direct else f"{ind_scores[key][i]:g}"
            rows.append({**base, "key": key, "value": printed(values[key][i], spec.get("unit", "score")), "score": score})
        for d, v in dims.items():
            rows.append({**base, "key": f"dimension.{d}", "value": "", "score": f"{_half_up(v[i], decimals):.{decimals}f}"})
        rows.append({**base, "key": "total", "value": "", "score": f"{_half_up(min(max(total[i], lo), hi), decimals):.{decimals}f}"})
    return pd.DataFrame(rows, columns=["as_of", "key", "value", "score", "shop_id"])
