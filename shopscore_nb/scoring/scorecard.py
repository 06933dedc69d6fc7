"""The score: indicator → indicator score → dimension score → total, every step kept for display.

Steps (SPEC §6, domain-rules §1.2): tier or direct score per indicator (the 80-point floor first),
weighted dimension scores (weights renormalised over indicators that have a score), bonuses,
weighted total, 差行为扣分, the score range, rounding, the stage rule (成长阶段 flat 70/60, seed era
未出分), then the consumer display value and star band.

>>> from shopscore_nb import load_shop
>>> from shopscore_nb.metrics import Context, compute_all
>>> from shopscore_nb.scoring import score_shop
>>> ctx = Context.build(load_shop("../shared/golden/data", "gshop1"), as_of="2026-10-01", profile="douyin_2026")  # doctest: +SKIP
>>> card = score_shop(ctx, compute_all(ctx))                                                                   # doctest: +SKIP
>>> card.total, card.dimensions, card.stage                                                                    # doctest: +SKIP
>>> card.steps                                                  # tidy DataFrame, one row per step        # doctest: +SKIP
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ..metrics.official import effective_paid_orders
from .adjustments import apply_bonuses, deductions, total_bonus
from .assumptions import calibrated_numbers, profile_assumptions
from .display import display_value, star_band
from .floors import bad_count, floor_applies, order_limit
from .rules import Rules, resolve_rules
from .stage import stage_of, violations
from .tiers import direct_score, tier_score

STEP_COLUMNS = ["step", "item", "zh", "value", "score", "weight", "contribution", "note"]


@dataclass
class Scorecard:
    profile: str
    stage: str
    total: float | None
    dimensions: dict[str, float | None]
    indicators: pd.DataFrame
    steps: pd.DataFrame
    deductions: pd.DataFrame
    bonuses: pd.DataFrame
    effective_orders: int
    display: float | None = None
    stars: str | None = None
    total_unrounded: float | None = None
    assumptions: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    rules: Rules | None = field(default=None, repr=False)

    def metric(self, name: str):
        """``total`` / ``display`` / ``dimension.<name>`` / ``score.<indicator>``; None when unknown."""
        if name in ("total", "display"):
            return getattr(self, name)
        if name.startswith("dimension."):
            return self.dimensions.get(name.split(".", 1)[1])
        if name.startswith("score."):
            row = self.indicators[self.indicators["key"] == name.split(".", 1)[1]]
            return None if row.empty or pd.isna(row["score"].iloc[0]) else float(row["score"].iloc[0])
        raise KeyError(name)


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _round_half_up(x: float, decimals: int) -> float:
    q = 10**decimals
    return math.floor(x * q + 0.5 + 1e-9) / q


# ---------------------------------------------------------------- indicator scores
def _indicator_row(rules: Rules, key: str, spec: dict, result, orders: int) -> dict:
    p = rules.profile
    value = None if result is None else _num(result.value)
    lo, hi = p["range"]["min"], p["range"]["max"]
    floor, method, score, note = p.get("floor") or {}, "no data", None, "" if result is None else (result.reason or "")
    fspec = floor.get("indicators", {}).get(key)
    if fspec is not None:
        limit = order_limit(floor, rules.industry, rules.shop_type)
        bad = bad_count(result, fspec["count"])
        if floor_applies(orders, bad, limit, floor["max_bad"], fspec.get("volume", True)):
            method, score = "floor", float(floor["score"])
            note = f"{fspec['count']} {bad} <= {floor['max_bad']}" + (f" and 有效支付订单 {orders} < {limit}" if fspec.get("volume", True) else "")
    if method != "floor" and value is not None:
        if spec.get("scoring", "tiers") == "direct":
            method, score = "direct", direct_score(value, lo, hi)
        else:
            method, score = "tiers", tier_score(value, spec["cutoffs"], spec["direction"], rules.tier_scores)
    return {
        "key": key, "zh": spec.get("zh", key), "dimension": spec["dimension"], "direction": spec["direction"],
        "value": value, "numerator": None if result is None else _num(result.numerator),
        "denominator": None if result is None else _num(result.denominator), "method": method, "score": score,
        "weight": float(spec["weight"]), "cutoffs": spec.get("cutoffs"), "cutoffs_from": spec.get("cutoffs_from"), "note": note,
    }


def indicator_table(rules: Rules, results: dict, orders: int) -> pd.DataFrame:
    """One row per scored indicator: value, method (tiers/direct/floor/no data), score, weights, contribution."""
    rows = [_indicator_row(rules, k, spec, results.get(k), orders) for k, spec in rules.indicators.items()]
    t = pd.DataFrame(rows)
    scored = t["score"].notna()
    t["effective_weight"] = (t["weight"].where(scored, 0.0) / t["weight"].where(scored, 0.0).groupby(t["dimension"]).transform("sum")).fillna(0.0)
    t["contribution"] = t["score"].astype(float).fillna(0.0) * t["effective_weight"]
    return t


def dimension_scores(rules: Rules, ind: pd.DataFrame) -> dict[str, float | None]:
    has = ind[ind["score"].notna()].groupby("dimension")["contribution"].sum()
    return {name: (round(float(has[name]), 9) if name in has.index else None) for name in rules.dimensions}  # 1e-9: float noise only


# ---------------------------------------------------------------- total
def weighted_total(rules: Rules, dims: dict) -> tuple[float | None, dict[str, float]]:
    """Σ dimension × weight, weights renormalised over dimensions that have a score."""
    weights = {k: float(v["weight"]) for k, v in rules.dimensions.items() if dims.get(k) is not None}
    norm = sum(weights.values())
    if not norm:
        return None, {}
    eff = {k: w / norm for k, w in weights.items()}
    return sum(dims[k] * w for k, w in eff.items()), eff


def _steps(rules: Rules, ind: pd.DataFrame, dims_raw: dict, bonuses: pd.DataFrame, dims: dict, eff: dict, total_steps: list) -> pd.DataFrame:
    rows = []
    for r in ind.itertuples():  # one row per scored indicator (≤ a dozen), not per data row
        rows.append(["indicator_value", r.key, r.zh, r.value, None, None, None, f"{r.numerator} / {r.denominator}"])
        cut = f"cut-offs {r.cutoffs} ({r.cutoffs_from})" if r.method == "tiers" else ""
        rows.append(["indicator_score", r.key, r.zh, r.value, r.score, r.effective_weight, r.contribution, f"{r.method} {cut} {r.note}".strip()])
    for name, spec in rules.dimensions.items():
        rows.append(["dimension_score", name, spec.get("zh", name), None, dims_raw.get(name), None, None, "Σ indicator score × weight"])
    for b in bonuses.itertuples():
        rows.append(["bonus", b.bonus, b.zh, b.points if b.enabled else 0.0, b.after, None, None, f"{b.dimension} {'enabled' if b.enabled else 'not enabled'}"])
    for name, spec in rules.dimensions.items():
        w = eff.get(name)
        rows.append(["dimension_weighted", name, spec.get("zh", name), None, dims.get(name), w, None if w is None else dims[name] * w, ""])
    for label, value, note in total_steps:
        rows.append([label, "total", "体验分", None, value, None, None, note])
    return pd.DataFrame(rows, columns=STEP_COLUMNS)


def _total_steps(rules: Rules, weighted: float | None, ded: pd.DataFrame, plus: pd.DataFrame, stage_name: str, stage_score, decimals: int):
    lo, hi = rules.profile["range"]["min"], rules.profile["range"]["max"]
    steps, total = [("weighted_total", weighted, "Σ dimension × weight")], weighted
    for d in ded.itertuples():
        steps.append(("deduction", -d.applied if d.applied else 0.0, f"{d.group}: {d.events:g} × {d.points_each:g} = {d.raw:g}, cap {d.cap:g}"))
    for b in plus.itertuples():
        steps.append(("bonus", b.points, f"{b.zh} {'enabled' if b.enabled else 'not enabled'}"))
    if total is not None:
        total = total - float(ded["applied"].sum()) + float(plus["points"].sum())
        clamped = min(max(total, lo), hi)
        steps.append(("range", clamped, f"kept within [{lo}, {hi}]"))
        total = clamped
    unrounded = total
    if total is not None:
        total = _round_half_up(total, decimals)
        steps.append(("rounding", total, f"half up to {decimals} decimals"))
    if stage_name == rules.profile["stage"]["growth"]:
        total = stage_score
        steps.append(("stage", total, f"{stage_name}: fixed {stage_score}"))
    return total, unrounded, steps


def score_shop(ctx, results: dict, rules: Rules | None = None, detailed: bool = True) -> Scorecard:
    """Score the shop of ``ctx`` from its indicator ``results``; sets ``results[key].score`` of scored indicators.

    ``rules`` (from :func:`resolve_rules`) may be passed in, and ``detailed=False`` skips the step table
    and the notes, to score many days of one shop quickly (forecasts).
    """
    rules = rules or resolve_rules(ctx)
    p = rules.profile
    orders = len(effective_paid_orders(ctx)) if ctx.shop.has("orders") else 0
    ind = indicator_table(rules, results, orders)
    for key, score in zip(ind["key"], ind["score"], strict=True):
        if key in results:
            results[key].score = _num(score)
    dims_raw = dimension_scores(rules, ind)
    dims, bon = apply_bonuses(dims_raw, p.get("bonuses") or [], ctx.shop.config or {})
    weighted, eff = weighted_total(rules, dims)
    ded = deductions(ctx)
    stage_name, stage_score = stage_of(orders, len(violations(ctx)), p["stage"])
    decimals = int(p.get("rounding", {}).get("total_decimals", 2))
    plus = total_bonus(p.get("bonuses") or [], ctx.shop.config or {})
    total, unrounded, tsteps = _total_steps(rules, weighted, ded, plus, stage_name, stage_score, decimals)
    shown = display_value(total, p.get("display", {})) if stage_name != p["stage"]["growth"] else None
    card = Scorecard(
        profile=p["name"], stage=stage_name, total=total, dimensions=dims, indicators=ind, steps=pd.DataFrame(columns=STEP_COLUMNS),
        deductions=ded, bonuses=bon, effective_orders=orders, display=shown, stars=star_band(shown, p.get("display", {})), total_unrounded=unrounded, rules=rules,
    )
    if not detailed:
        return card
    tsteps.append(("display", shown, f"消费者展示 {card.stars or ''}".strip()))
    card.steps = _steps(rules, ind, dims_raw, bon, dims, eff, tsteps)
    card.assumptions, card.overrides = _notes(rules, ind, orders, stage_name)
    return card


def _notes(rules: Rules, ind: pd.DataFrame, orders: int, stage_name: str) -> tuple[list[str], list[str]]:
    notes = profile_assumptions(rules.profile, rules.tier_industry) + rules.assumptions
    # a calibrated profile (shopscore calibrate): the fitted numbers and their evidence, where the assumptions were
    notes = [f"calibrated: {line}" for line in calibrated_numbers(rules.profile, rules.tier_industry)] + notes
    if rules.service_row:
        notes.append(f"service weights: row {rules.service_row} of the per-industry table")
    missing = ind[ind["score"].isna()]["key"].tolist()
    if missing:
        notes.append(f"no score for {', '.join(missing)} (no data): their weight is spread over the other indicators of the dimension")
    floored = ind[ind["method"] == "floor"]["key"].tolist()
    if floored:
        notes.append(f"80-point floor applied to {', '.join(floored)}")
    notes.append(f"stage {stage_name}: {orders} 有效支付订单 in the window (threshold {rules.profile['stage']['min_orders']})")
    overrides = list(rules.overrides)
    return notes + [f"override: {o}" for o in overrides], overrides

