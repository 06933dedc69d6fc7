"""Forecast: day by day over the next window, every scored indicator, dimension and the total as old
days leave the rolling window, under two scenarios, with the date each defect drops out and early
warnings for threshold lines.

- ``no_new_events``: the shop frozen at D (events at or after D removed or not yet happened), so a
  defect of day d is counted up to the report of ``d + N (+ lag)`` and gone from ``d + N + 1``.
- ``same_pace``: the last ``forecast.pace_days`` (14) days repeat: orders paid in those days are
  copied with all their waybills, tickets, reviews and complaints, shifted by 14, 28, … days (ids
  suffixed ``~pJ``); 飞鸽 sessions started in those days and penalties likewise. Orders whose
  lifecycle is still open at D repeat as observed at D.

Two methods. ``fast`` (default, vectorised): each scored indicator is computed once on a window
stretched over the whole horizon; every detail row is placed on the day its window anchor (the
indicator's description, :mod:`shopscore_nb.metrics.descriptions`: ``anchor`` and ``lag``) falls and
the daily values come from rolling sums (rows keep the state they have at the end of the horizon, so
under ``same_pace`` a copied order's outcome counts as soon as it enters the window). ``recompute``:
every day is recomputed by the registered definitions (exact, slower; the reference in the tests).

>>> from shopscore_nb.scoring.forecast import forecast
>>> fc = forecast(ctx, results)                                   # doctest: +SKIP
>>> fc.frame.pivot_table(index="as_of", columns=["scenario", "metric"], values="value")   # doctest: +SKIP
>>> fc.defects.head(), fc.warnings                                 # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..metrics.base import Context, IndicatorResult, compute, registry, ruleset_of
from ..metrics.descriptions import describe, row_times
from .contexts import holds, sibling, warm
from .drilldown import drilldown_for
from .rules import resolve_rules
from .scorecard import score_shop

# The time that makes a row exist: a row whose anchor is at or after D has not happened yet.
ORDER_TABLES = ("orders", "shipments", "after_sales", "reviews", "complaints")
ID_COLUMNS = ("order_id", "sub_order_id", "waybill_no", "after_sale_id", "review_id", "complaint_id", "session_id", "message_id")
DEFECT_IDS = ("order_id", "waybill_no", "after_sale_id", "round_id", "session_id", "review_id")
SCENARIOS = ("no_new_events", "same_pace")


@dataclass
class Forecast:
    frame: pd.DataFrame  # as_of, scenario, metric, zh, value, score
    defects: pd.DataFrame  # indicator, id, anchor_at, last_counted_as_of, drops_out_as_of, reason
    warnings: pd.DataFrame  # line, scenario, met today, first as-of when it changes, value then


# ---------------------------------------------------------------- scenarios
def freeze(shop, as_of: pd.Timestamp):
    """The shop as known at ``as_of``: rows not yet existing dropped, later event times emptied (deadlines kept)."""
    return shop.visible_at(as_of)


def _recent(shop, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Rows of the pace sample: order families paid in [start, end), sessions started then, penalties then."""
    t, out = shop.tables, {}
    if "orders" in t:
        fam = t["orders"].loc[((t["orders"]["paid_at"] >= start) & (t["orders"]["paid_at"] < end)).to_numpy(dtype=bool, na_value=False), "order_id"]
        out.update({name: t[name][t[name]["order_id"].isin(fam).to_numpy(dtype=bool)] for name in ORDER_TABLES if name in t})
    if "im_messages" in t:
        m = t["im_messages"]
        first = m.groupby("session_id")["sent_at"].min()
        if "im_sessions" in t:
            first = t["im_sessions"].set_index("session_id")["started_at"].combine_first(first)
        ids = first.index[((first >= start) & (first < end)).to_numpy(dtype=bool, na_value=False)]
        out["im_messages"] = m[m["session_id"].isin(ids).to_numpy(dtype=bool)]
        if "im_sessions" in t:
            out["im_sessions"] = t["im_sessions"][t["im_sessions"]["session_id"].isin(ids).to_numpy(dtype=bool)]
    if "penalties" in t:
        p = t["penalties"]
        out["penalties"] = p[((p["occurred_at"] >= start) & (p["occurred_at"] < end)).to_numpy(dtype=bool, na_value=False)]
    return out


def _shifted(frame: pd.DataFrame, days: int, suffix: str) -> pd.DataFrame:
    moved = {c: frame[c] + pd.Timedelta(days=days) for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
    renamed = {c: frame[c].astype("string") + suffix for c in ID_COLUMNS if c in frame}
    return frame.assign(**moved, **renamed)


def same_pace_shop(shop, as_of: pd.Timestamp, pace_days: int, horizon: int):
    """The frozen shop plus the last ``pace_days`` of events repeated until ``as_of + horizon``."""
    sample = _recent(shop, as_of - pd.Timedelta(days=pace_days), as_of)
    tables = dict(shop.tables)
    for name, rows in sample.items():
        copies = [_shifted(rows, pace_days * j, f"~p{j}") for j in range(1, math.ceil(horizon / pace_days) + 1)]
        tables[name] = pd.concat([tables[name], *copies], ignore_index=True) if copies else tables[name]
    return dataclasses.replace(shop, tables=tables)


def _day_rows(ctx: Context, keys: list[str], scenario: str, names: dict) -> list[dict]:
    results = {k: compute(k, ctx) for k in keys}
    return _card_rows(ctx, results, score_shop(ctx, results), scenario, names)


def _card_rows(ctx: Context, results: dict, card, scenario: str, names: dict) -> list[dict]:
    rows = [{"metric": k, "zh": names.get(k, k), "value": r.value, "score": r.score} for k, r in results.items()]
    rows += [{"metric": f"dimension.{d}", "zh": card.rules.dimensions[d].get("zh", d), "value": v, "score": v} for d, v in card.dimensions.items()]
    rows += [{"metric": "total", "zh": "体验分", "value": card.total, "score": card.total}, {"metric": "display", "zh": "消费者展示", "value": card.display, "score": None}]
    return [{"as_of": ctx.as_of, "scenario": scenario, "stage": card.stage, **r} for r in rows]


# ---------------------------------------------------------------- fast path: one wide computation per indicator
def _daily_sums(offsets: np.ndarray, weights: np.ndarray, window: int, days: int) -> np.ndarray:
    """Σ weights of rows whose day offset lies in [k, k + window) for k = 0 … days − 1."""
    keep = (offsets >= 0) & (offsets < window + days)
    per_day = np.bincount(offsets[keep], weights=weights[keep], minlength=window + days)
    c = np.concatenate([[0.0], np.cumsum(per_day)])
    k = np.arange(days)
    return c[k + window] - c[k]


def _wide_series(base: Context, key: str, horizon: int) -> dict[str, np.ndarray]:
    """Daily numerator, denominator and failing-row count of ``key`` for as-of D … D + horizon."""
    days = horizon + 1
    wide = sibling(base, as_of=base.as_of + pd.Timedelta(days=horizon), window_days=base.window_days + horizon)
    r = compute(key, wide)
    d = r.detail if r.detail is not None else pd.DataFrame()
    anchor, lag = _anchor(wide, key, d) if not d.empty else (pd.Series(dtype="datetime64[ns]"), 0)
    if d.empty or "passed" not in d:
        zero = np.zeros(days)
        return {"num": zero, "den": zero, "fail": zero, "unit": r.unit, "reason": r.reason}
    start = base.as_of - pd.Timedelta(days=base.window_days + lag)
    offsets = ((anchor.dt.normalize() - start).dt.days).to_numpy(dtype=float, na_value=-1).astype(int)
    passed = d["passed"].to_numpy(dtype=bool, na_value=False)
    desc = describe(key, ruleset_of(base))
    col = desc.value_column if r.unit != "ratio" else None
    if col and col in d:
        values = d[col].to_numpy(dtype=float, na_value=np.nan)
        counted = ~np.isnan(values)
        num_w, den_w = np.where(counted, values, 0.0), counted.astype(float)
    else:
        num_w, den_w = ((~passed) if desc.counts_failures else passed).astype(float), np.ones(len(d))
    window = base.window_days
    return {"num": _daily_sums(offsets, num_w, window, days), "den": _daily_sums(offsets, den_w, window, days),
            "fail": _daily_sums(offsets, (~passed).astype(float), window, days), "unit": r.unit, "reason": r.reason}


def _fast_run(base: Context, horizon: int, keys: list[str], scenario: str) -> list[dict]:
    series = {k: _wide_series(base, k, horizon) for k in keys}  # one wide computation per scored indicator
    rules = resolve_rules(base)
    names = {k: v.zh for k, v in registry(base.profile).items()}
    rows = []
    for k in range(horizon + 1):  # one scoring per day, from arrays
        results = {}
        for key, s in series.items():
            den, num = float(s["den"][k]), float(s["num"][k])
            results[key] = IndicatorResult(key, num / den if den else None, num, den, s["unit"], reason=None if den else (s["reason"] or "no data"), extra={"bad_count": int(s["fail"][k])})
        day = sibling(base, as_of=base.as_of + pd.Timedelta(days=k))
        rows += _card_rows(day, results, score_shop(day, results, rules, detailed=False), scenario, names)
    return rows


# ---------------------------------------------------------------- defects and warnings
def _anchor(ctx: Context, key: str, rows: pd.DataFrame) -> tuple[pd.Series, int]:
    """The window anchor of each detail row and the cohort lag in days (the indicator's description)."""
    desc = describe(key, ruleset_of(ctx))
    return row_times(ctx, rows, desc.anchor), desc.lag_days(ctx.profile)


def defects(ctx: Context, results: dict, card) -> pd.DataFrame:
    """Every failing row of each scored indicator, with the as-of date it is last counted and the one it drops out."""
    parts = []
    for key in ctx.profile["indicators"]:  # per scored indicator
        if key not in results or results[key].detail is None or results[key].detail.empty:
            continue
        rows = drilldown_for(card, results, key)
        if rows.empty:
            continue
        anchor, lag = _anchor(ctx, key, rows)
        idcol = next((c for c in DEFECT_IDS if c in rows), None)
        last = anchor.dt.normalize() + pd.Timedelta(days=ctx.window_days + lag)
        parts.append(pd.DataFrame({
            "indicator": key, "id": rows[idcol].astype("string").to_numpy() if idcol else pd.NA, "anchor_at": anchor.to_numpy(),
            "last_counted_as_of": last.to_numpy(), "drops_out_as_of": (last + pd.Timedelta(days=1)).to_numpy(),
            "reason": rows["reason"].to_numpy() if "reason" in rows else pd.NA, "share_of_loss": rows["share_of_loss"].to_numpy(),
        }))
    cols = ["indicator", "id", "anchor_at", "last_counted_as_of", "drops_out_as_of", "reason", "share_of_loss"]
    return pd.concat(parts, ignore_index=True).sort_values(["drops_out_as_of", "indicator"], kind="stable", ignore_index=True) if parts else pd.DataFrame(columns=cols)


def warnings(profile, frame: pd.DataFrame) -> pd.DataFrame:
    """For each threshold line the forecast can judge: today's status and the first day it flips, per scenario."""
    rows = []
    metrics = set(frame["metric"])
    lines = [ln for s in ("consequences", "im_service_thresholds") for ln in profile.get(s) or []]
    for line in lines:  # a handful of lines
        metric = line["metric"].removeprefix("score.")
        column = "score" if line["metric"].startswith("score.") else "value"
        if metric not in metrics or line.get("per") or line.get("window_days"):
            continue
        for scenario, g in frame[frame["metric"] == metric].groupby("scenario", sort=False):
            rows.append(_flip(line, scenario, g.sort_values("as_of"), column))
    cols = ["line", "zh", "scenario", "metric", "op", "threshold", "today", "met_today", "changes_on", "value_then", "change"]
    return pd.DataFrame([r for r in rows if r], columns=cols)


def _flip(line: dict, scenario: str, g: pd.DataFrame, column: str) -> dict:
    met = [holds(v, line["op"], line["value"]) for v in g[column]]  # one per forecast day
    today, first = g[column].iloc[0], met[0]
    change = next((i for i, m in enumerate(met) if m is not None and m != first), None)
    return {
        "line": line["id"], "zh": line.get("zh", line["id"]), "scenario": scenario, "metric": line["metric"], "op": line["op"], "threshold": line["value"],
        "today": today, "met_today": first, "changes_on": None if change is None else g["as_of"].iloc[change],
        "value_then": None if change is None else g[column].iloc[change],
        "change": None if change is None else ("will fall below the line" if first else "will reach the line"),
    }


# ---------------------------------------------------------------- entry point
def scenario_context(frozen: Context, scenario: str, horizon: int) -> Context:
    if scenario == "no_new_events":
        return frozen
    if scenario == "same_pace":
        shop = same_pace_shop(frozen.shop, frozen.as_of, int(frozen.param("forecast.pace_days")), horizon)
        return Context(shop, frozen.as_of, frozen.profile, frozen.window_days)
    raise ValueError(f"scenario must be one of {SCENARIOS}, not {scenario!r}")


def forecast(ctx: Context, results: dict | None = None, horizon: int | None = None, scenarios=SCENARIOS, method: str = "fast") -> Forecast:
    """Project the next ``horizon`` days (default: the window length) of every scored indicator, dimension and the total."""
    horizon = int(horizon or ctx.window_days)
    keys = list(ctx.profile["indicators"])
    frozen = Context(freeze(ctx.shop, ctx.as_of), ctx.as_of, ctx.profile, ctx.window_days)
    names = {k: v.zh for k, v in registry(ctx.profile).items()}
    rows = []
    for scenario in scenarios:
        base = warm(scenario_context(frozen, scenario, horizon))
        if method == "fast":
            rows += _fast_run(base, horizon, keys, scenario)
        elif method == "recompute":
            rows += [r for k in range(horizon + 1) for r in _day_rows(sibling(base, as_of=base.as_of + pd.Timedelta(days=k)), keys, scenario, names)]
        else:
            raise ValueError(f"method must be 'fast' or 'recompute', not {method!r}")
    frame = pd.DataFrame(rows)
    results = results if results is not None else {k: compute(k, frozen) for k in keys}
    card = score_shop(frozen, {k: dataclasses.replace(v) for k, v in results.items()})
    return Forecast(frame, defects(frozen, results, card), warnings(ctx.profile, frame))
