"""Calibrate the numbers the platform does not publish from pooled backend readings (SPEC §6.1).

- **Tier cut-offs**: per tier-scored indicator, each (value, score) reading says on which side of
  every cut-off its value lies; the interval each cut-off must lie in is the gap between the best
  value of the tiers below it and the worst value of the tiers at or above it, widened by the print
  rounding (half a unit of the last printed digit). Readings no cut-off set explains (the fewest to
  drop so that tiers rise monotonically with the value) are listed as contradictions.
- **Weights**: dimension weights from (dimension scores → total) and assumed indicator weights from
  (indicator scores → dimension score) by non-negative least squares with Σ w = 1; the page rounds
  what it shows, so every reading bounds the fit to ±(its half step + the parts' half steps), and
  the interval of each weight is its range over all weights that reproduce every reading (LP).
- **Output**: a copy of the base profile where each fitted number replaces its assumption, marked
  ``calibrated: {observations: N, interval: [lo, hi]}``; what the readings cannot pin stays
  ``assumption: true``. Nothing usable → :class:`CalibrationError` with the reasons.

>>> from shopscore_nb.reconcile.calibrate import calibrate_folder
>>> cal = calibrate_folder("data/demo", "douyin_2026", shops=["flagship", "struggling"])   # doctest: +SKIP
>>> cal.cutoffs; cal.weights; cal.contradictions; cal.problems                           # doctest: +SKIP
>>> cal.write("calibrated.yaml")                                                          # doctest: +SKIP
"""
from __future__ import annotations

import bisect
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import linprog, nnls

from ..profile import Profile, ProfileError, load_profile
from ..scoring.assumptions import calibrated_numbers
from .text import text_table

MIN_CUTOFF_READINGS = 5       # readings of an indicator needed before its cut-offs are fitted
MAX_CONTRADICTION_SHARE = 0.1  # more contradictory readings than this share: the definition differs, no fit
MIN_ROWS_PER_WEIGHT = 3       # weight fits need at least this many readings per unknown weight
SUM_PENALTY = 1e4             # row weight that makes NNLS keep Σ w = 1
MAX_WEIGHT_INTERVAL = 0.05    # a weight is pinned when every weight agreeing with the readings lies within this width


__all__ = ["Calibration", "CalibrationError", "calibrate", "calibrate_folder", "calibrated_numbers", "calibrated_profile", "reading_context"]


class CalibrationError(ProfileError):
    """Too few or contradictory readings: nothing can be calibrated; the message says why."""


@dataclass
class Calibration:
    profile: dict                      # the calibrated copy of the base profile (plain YAML data)
    cutoffs: pd.DataFrame              # key, tier, lo, hi, observations, pinned, value, base
    weights: pd.DataFrame              # level, group, name, weight, lo, hi, observations, pinned, base
    residuals: pd.DataFrame            # level, group, shop_id, as_of, shown, fitted, residual, tolerance
    contradictions: pd.DataFrame       # readings no cut-off explains, with the reason
    problems: list[str] = field(default_factory=list)

    def write(self, path: str | Path) -> Path:
        """Write the calibrated profile YAML (loads with ``load_profile(path)``)."""
        path = Path(path)
        path.write_text(yaml.safe_dump(self.profile, allow_unicode=True, sort_keys=False, width=160), encoding="utf-8")
        return path

    def to_json(self) -> dict:
        def records(frame):
            f = frame.copy()
            if "as_of" in f:
                f["as_of"] = pd.to_datetime(f["as_of"]).dt.strftime("%Y-%m-%d")
            f = f.astype(object)
            return f.where(f.notna(), None).to_dict("records")

        return {"summary": dict(self.profile.get("calibration") or {}), "counts": self.counts(), "numbers": records(self.table()),
                "calibrated": calibrated_numbers(self.profile), "cutoffs": records(self.cutoffs), "weights": records(self.weights),
                "residuals": records(self.residuals), "contradictions": records(self.contradictions), "problems": list(self.problems)}

    def table(self) -> pd.DataFrame:
        """Every number the readings bear on: the base value, the value written, the interval the readings
        allow, the readings used and the status (``calibrated`` / ``moved`` / ``assumption``)."""
        rows = []
        for r in self.weights.itertuples():
            path = f"dimensions.{r.name}.weight" if r.level == "dimension" else f"indicators.{r.name}.weight"
            rows.append((path, r.base, r.weight, r.lo, r.hi, r.observations, _status(r.pinned, r.moved)))
        tier_set = (self.profile.get("calibration") or {}).get("tier_set", "")
        for r in self.cutoffs.itertuples():
            rows.append((f"tiers.{tier_set}.{r.key} → {r.tier:g}", r.base, r.value, r.lo, r.hi, r.observations, _status(r.pinned, r.moved)))
        out = pd.DataFrame(rows, columns=["number", "base", "value", "lo", "hi", "readings", "status"])
        same = np.isclose(out["base"].astype(float), out["value"].astype(float), rtol=1e-9, atol=1e-12)
        weight = out["number"].str.endswith(".weight")
        out["note"] = np.select([(out["status"] == "calibrated") & same, out["status"] == "calibrated", (out["status"] == "moved") & weight,
                                 out["status"] == "moved"],
                                ["the assumed value lies in the interval: kept", "fitted", "least-squares fit, not pinned",
                                 "moved into the interval, not pinned"], "not pinned, the readings allow it")
        return out

    def counts(self) -> dict[str, int]:
        """How many numbers are ``calibrated`` (pinned), ``moved`` (assumptions moved to agree) and left ``assumption``."""
        status = self.table()["status"]
        return {k: int((status == k).sum()) for k in ("calibrated", "moved", "assumption")}

    def text(self) -> str:
        """A readable account: what was pooled, each number, what could not be pinned and why, contradictions."""
        info = self.profile.get("calibration") or {}
        lines = [f"calibration of {info.get('base_profile')} (tier set {info.get('tier_set')}) from {info.get('readings')} readings of "
                 f"{', '.join(info.get('shops') or [])}, {' … '.join(info.get('dates') or [])}"]
        table = self.table()
        if len(table):
            shown = table.assign(interval=[_interval_text(lo, hi) for lo, hi in zip(table["lo"], table["hi"], strict=True)],
                                 base=table["base"].map(_num_text), value=table["value"].map(_num_text))
            lines.append(text_table(shown[["number", "base", "value", "interval", "readings", "status", "note"]]))
        c = self.counts()
        lines.append(f"{c['calibrated']} number(s) calibrated (pinned by the readings), {c['moved']} assumption(s) moved to agree with them, "
                     f"{c['assumption']} left as assumptions")
        if self.problems:
            lines.append("not pinned / not fitted:")
            lines += [f"  - {p}" for p in self.problems]
        if len(self.contradictions):
            lines.append(f"{len(self.contradictions)} reading(s) no cut-off explains (evidence that a definition differs):")
            for r in self.contradictions.itertuples():
                lines.append(f"  - {r.source}: line {r.line}: {r.shop_id} {pd.Timestamp(r.as_of):%Y-%m-%d} {r.key} {r.value_text} → {r.score_text}: {r.reason}")
        return "\n".join(lines)


def _status(pinned, moved) -> str:
    return "calibrated" if bool(pinned) else ("moved" if bool(moved) else "assumption")


def _num_text(x) -> str:
    return "" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{float(x):.6g}"


def _interval_text(lo, hi) -> str:
    lo_t = "−∞" if lo is None or not np.isfinite(lo) else f"{lo:.6g}"
    hi_t = "∞" if hi is None or not np.isfinite(hi) else f"{hi:.6g}"
    return f"[{lo_t}, {hi_t}]"


# ---------------------------------------------------------------- context from the shops' data
def reading_context(shops: dict, readings: pd.DataFrame, profile: Profile, reports: dict | None = None) -> pd.DataFrame:
    """Per (shop_id, as_of) of the readings, what the readings alone do not say, from our own
    recomputation under ``profile``: stage (growth-stage totals are fixed), the total's adjustment
    (− deductions + bonuses), the indicators under the 80-point floor, the tier set and industry.

    ``reports``: shop_id → the report cache of a reconciliation of that shop (reused when it used the same
    profile and window), so a notebook that reconciled a shop does not recompute its days."""
    reuse = {s: c for s, c in (reports or {}).items() if c is not None and c.window_days is None and dict(c.profile) == dict(profile)}
    floor = profile.get("floor") or {}
    floors, floor_score = set(floor.get("indicators") or {}), floor.get("score")
    rows = []
    for (shop_id, day), page in readings.groupby(["shop_id", "as_of"]):
        if shop_id not in shops:
            raise CalibrationError(f"readings name shop '{shop_id}', which is not among the shops given ({', '.join(shops)}).")
        # a floored indicator scores the floor: only readings showing that score can be floored ones, so only
        # those indicators are computed (the stage, deductions and tier set need none)
        maybe = sorted(set(page.loc[np.isclose(page["score"].astype(float), float(floor_score or np.nan)), "key"]) & floors)
        card = reuse[shop_id].get(day).scorecard if shop_id in reuse else _context_card(shops[shop_id], day, profile, maybe)
        ded = float(card.deductions["applied"].sum()) if len(card.deductions) else 0.0
        plus = sum(float(b.get("points", 0)) for b in (profile.get("bonuses") or []) if b.get("dimension") == "total"
                   and (shops[shop_id].config or {}).get(b.get("shop_flag")))
        floored = [k for k in card.indicators.loc[card.indicators["method"] == "floor", "key"] if k in maybe]
        rows.append({"shop_id": shop_id, "as_of": day, "growth": card.stage == profile["stage"]["growth"], "adjust": plus - ded,
                     "floored": tuple(floored), "tier_set": card.rules.tier_industry, "industry": card.rules.industry,
                     "shop_type": card.rules.shop_type})
    return pd.DataFrame(rows, columns=["shop_id", "as_of", "growth", "adjust", "floored", "tier_set", "industry", "shop_type"])


def _context_card(shop, day, profile: Profile, maybe: list[str]):
    """The scorecard of one day computing only the indicators that may be floored: those in ``maybe`` whose
    floor needs no volume, or all of them when the shop's orders are under the floor's limit."""
    from ..metrics import Context, compute_all
    from ..metrics.official import effective_paid_orders
    from ..scoring import score_shop
    from ..scoring.floors import order_limit
    from ..scoring.rules import resolve_rules

    ctx = Context.build(shop, as_of=day, profile=profile)
    floor = profile.get("floor") or {}
    if maybe and ctx.shop.has("orders"):
        rules = resolve_rules(ctx)
        low = len(effective_paid_orders(ctx)) < order_limit(floor, rules.industry, rules.shop_type)
        maybe = [k for k in maybe if low or not floor["indicators"][k].get("volume", True)]
    results = compute_all(ctx, maybe) if maybe else {}
    return score_shop(ctx, results)


# ---------------------------------------------------------------- tier cut-offs
def _longest_monotone(tiers: np.ndarray) -> np.ndarray:
    """Mask of a longest non-decreasing subsequence of ``tiers`` (patience sorting)."""
    tails, tail_at, prev = [], [], np.full(len(tiers), -1)
    for i, t in enumerate(tiers):
        j = bisect.bisect_right(tails, t)
        prev[i] = tail_at[j - 1] if j else -1
        if j == len(tails):
            tails.append(t)
            tail_at.append(i)
        else:
            tails[j], tail_at[j] = t, i
    keep = np.zeros(len(tiers), dtype=bool)
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        keep[i], i = True, prev[i]
    return keep


def fit_cutoffs(key: str, r: pd.DataFrame, direction: str, scores: list[float], base: list[float]):
    """Intervals of the cut-offs of one indicator from its (value, score) readings ``r``.

    Returns (rows: one per cut-off, contradictions). In x = value (higher is better) or −value,
    a reading of tier k says x ≥ c_j for j ≤ k and x < c_j for j > k; with the print rounding the
    cut-off c_j lies in (max x below j − h, min x at/above j + h].
    """
    sign = 1.0 if direction == "higher" else -1.0
    s = np.asarray(scores, dtype=float)
    tier = np.array([int(np.argmin(np.abs(s - v))) for v in r["score"]])
    valid = np.abs(s[tier] - r["score"].to_numpy()) <= r["score_half"].fillna(0).to_numpy() + 1e-9
    bad = [r[~valid].assign(reason=f"score is not one of the tiers {scores}")]
    r = r[valid].assign(tier=tier[valid], x=sign * r["value"][valid], h=r["value_half"][valid].fillna(0))
    r = r.sort_values(["x", "tier"], kind="stable")
    keep = _longest_monotone(r["tier"].to_numpy())
    bad.append(r[~keep].assign(reason="no cut-offs put this value in this tier together with the other readings").drop(columns=["tier", "x", "h"]))
    kept = r[keep]
    rows = []
    for j in range(1, len(scores)):
        below, above = kept[kept["tier"] < j], kept[kept["tier"] >= j]
        lo_x = below["x"].max() - below.loc[below["x"].idxmax(), "h"] if len(below) else -np.inf
        hi_x = above["x"].min() + above.loc[above["x"].idxmin(), "h"] if len(above) else np.inf
        rows.append({"lo_x": lo_x, "hi_x": hi_x, "safe_lo": lo_x + 2 * below.loc[below["x"].idxmax(), "h"] if len(below) else -np.inf,
                     "safe_hi": hi_x - 2 * above.loc[above["x"].idxmin(), "h"] if len(above) else np.inf})
    out = pd.DataFrame(rows)
    base_x = sign * np.asarray(base, dtype=float)
    seen = np.bincount(kept["tier"].to_numpy(dtype=int), minlength=len(scores)) > 0
    # c_j separates tier j-1 from tier j: readings in both pin it; without a reading in one of them its
    # interval is its neighbour's too, and the readings cannot tell the two cut-offs apart
    pinned = pd.Series(seen[:-1] & seen[1:])
    out["note"] = [_unpinned_note(j, seen, scores) for j in range(1, len(scores))]
    mid = (out["safe_lo"] + out["safe_hi"]) / 2
    inside = (base_x > out["safe_lo"]) & (base_x <= out["safe_hi"])
    # pinned: the assumed value stays when the readings allow it (a midpoint of a wide interval is no better a
    # guess), else the middle of the interval; not pinned: the assumed value, moved into the interval if need be
    point = np.where(pinned & ~inside, mid, np.clip(base_x, out["safe_lo"], out["safe_hi"]))
    point = np.maximum.accumulate(point)  # cut-offs stay monotone; intervals are ordered, so this stays inside them
    moved = ~pinned & ~np.isclose(point, base_x)
    lo, hi = (out["lo_x"], out["hi_x"]) if sign > 0 else (-out["hi_x"], -out["lo_x"])
    digits = int(np.clip(np.ceil(-np.log10(max(kept["h"].max() if len(kept) else 1e-4, 1e-12))) + 1, 2, 10))
    table = pd.DataFrame({
        "key": key, "tier": s[1:], "lo": lo.to_numpy(), "hi": hi.to_numpy(), "observations": len(kept),
        "pinned": pinned.to_numpy(), "moved": moved, "value": np.round(sign * point, digits), "base": list(base),
        "closed": "(lo, hi]" if sign > 0 else "[lo, hi)", "note": out["note"].to_numpy(),
    })
    return table, pd.concat(bad, ignore_index=True)


def _unpinned_note(j: int, seen: np.ndarray, scores: list[float]) -> str:
    """Why cut-off ``j`` (between tiers j-1 and j) is not pinned; empty when it is."""
    missing = [f"{scores[t]:g}" for t in (j - 1, j) if not seen[t]]
    return f"no reading scored {' or '.join(missing)}" if missing else ""


def calibrate_cutoffs(readings: pd.DataFrame, profile: Profile, tier_set: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Cut-off intervals of every tier-scored indicator with enough readings (see :func:`fit_cutoffs`)."""
    tiers, problems, tables, bad = profile["tiers"], [], [], []
    base_set = tiers["industries"].get(tier_set, tiers["industries"][tiers["default_industry"]])["cutoffs"]
    default = tiers["industries"][tiers["default_industry"]]["cutoffs"]
    for key, spec in profile["indicators"].items():
        if spec.get("scoring", "tiers") != "tiers":
            continue
        r = readings[(readings["key"] == key) & readings["value"].notna() & readings["score"].notna()]
        if len(r) < MIN_CUTOFF_READINGS:
            problems.append(f"{key}: {len(r)} (value, score) readings, fewer than {MIN_CUTOFF_READINGS}: cut-offs not calibrated")
            continue
        table, contra = fit_cutoffs(key, r, spec["direction"], tiers["scores"], base_set.get(key, default.get(key)))
        if len(contra) > MAX_CONTRADICTION_SHARE * len(r):
            problems.append(f"{key}: {len(contra)} of {len(r)} readings contradict every cut-off set (evidence that the definition differs): cut-offs not calibrated")
            table = table.assign(pinned=False, moved=False, value=table["base"], note="readings contradict every cut-off set")
        loose = table[~table["pinned"]]
        if len(loose) and len(contra) <= MAX_CONTRADICTION_SHARE * len(r):
            unseen = sorted({float(t) for note in loose["note"] for t in re.findall(r"[\d.]+", note)})
            problems.append(f"{key}: {len(loose)} of {len(table)} cut-offs not pinned by its {len(r)} readings (the ones into "
                            f"{', '.join(f'{t:g}' for t in loose['tier'])}; no reading scored {', '.join(f'{t:g}' for t in unseen)}): "
                            + ("they stay assumptions, moved where needed into the interval the readings allow" if loose["moved"].any()
                               else "they stay assumptions"))
        tables.append(table)
        bad.append(contra)
    cut = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["key", "tier", "lo", "hi", "observations", "pinned", "moved", "value", "base", "closed", "note"])
    contra = pd.concat(bad, ignore_index=True) if bad else pd.DataFrame()
    return cut, contra, problems


# ---------------------------------------------------------------- weights
def fit_weights(A: np.ndarray, y: np.ndarray, tol_y: np.ndarray, half_parts: np.ndarray, base=None) -> dict:
    """Σ w = 1, w ≥ 0: NNLS point, per-weight interval over all weights reproducing every reading
    within its rounding band |A w − y| ≤ tol_y + half_parts · w. ``feasible`` False = contradictory;
    ``base_ok``: the ``base`` weights reproduce every reading too (None without ``base``)."""
    n = A.shape[1]
    aug_a = np.vstack([A, SUM_PENALTY * np.ones((1, n))])
    w, _ = nnls(aug_a, np.append(y, SUM_PENALTY))
    w = w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / n)
    a_ub = np.vstack([A - half_parts, -(A + half_parts)])
    b_ub = np.concatenate([y + tol_y, -y + tol_y])
    base_ok = None if base is None else bool(np.all(a_ub @ np.asarray(base, dtype=float) <= b_ub + 1e-9))
    lo, hi, vertices = np.full(n, np.nan), np.full(n, np.nan), []
    for i in range(n):
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[i] = sign
            res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, n)), b_eq=[1.0], bounds=[(0, 1)] * n, method="highs")
            if res.status != 0:
                return {"weights": w, "lo": lo, "hi": hi, "feasible": False, "base_ok": base_ok}
            vertices.append(res.x)
            (lo if sign > 0 else hi)[i] = res.x[i]
    inside = np.all(a_ub @ w <= b_ub + 1e-9)
    if not inside:  # the least-squares point breaks a reading's rounding band: use the centre of the feasible weights
        w = np.mean(vertices, axis=0)
    return {"weights": w, "lo": lo, "hi": hi, "feasible": True, "base_ok": base_ok}


def _weight_rows(level: str, group: str, names: list[str], A, y, tol, halves, base: list[float], meta: pd.DataFrame):
    n = len(names)
    if len(y) < MIN_ROWS_PER_WEIGHT * n or np.linalg.matrix_rank(np.vstack([A, np.ones(n)])) < n:
        why = f"{len(y)} usable readings" + ("" if len(y) >= MIN_ROWS_PER_WEIGHT * n else f", fewer than {MIN_ROWS_PER_WEIGHT} per weight")
        return None, None, f"{level} weights of {group}: {why} or scores that never vary independently: not calibrated"
    fit = fit_weights(A, y, tol, halves, base)
    fitted = A @ fit["weights"]
    resid = meta.assign(level=level, group=group, shown=y, fitted=fitted, residual=y - fitted, tolerance=tol + halves @ fit["weights"])
    if not fit["feasible"]:
        worst = resid.assign(excess=resid["residual"].abs() - resid["tolerance"]).nlargest(3, "excess")
        cases = "; ".join(f"{r.shop_id} {pd.Timestamp(r.as_of):%Y-%m-%d} shown {r.shown:g}, fitted {r.fitted:.2f}" for r in worst.itertuples())
        return None, resid, f"{level} weights of {group}: no weights reproduce every reading within its rounding (contradictory readings, e.g. {cases}): not calibrated"
    pinned = bool(np.all(fit["hi"] - fit["lo"] <= MAX_WEIGHT_INTERVAL + 1e-9))
    # not pinned: still an assumption, but the least-squares weights replace the assumed ones when they fit the
    # readings better (the rounding bands alone let almost any weights through when the parts are shown as integers)
    rms_fit = float(np.sqrt(np.mean((A @ fit["weights"] - y) ** 2)))
    rms_base = float(np.sqrt(np.mean((A @ np.asarray(base, dtype=float) - y) ** 2)))
    moved = not pinned and (not fit["base_ok"] or rms_fit < rms_base - 1e-6)
    weight = fit["weights"] if pinned or moved else np.asarray(base, dtype=float)
    rows = pd.DataFrame({"level": level, "group": group, "name": names, "weight": weight, "lo": fit["lo"], "hi": fit["hi"],
                         "observations": len(y), "pinned": pinned, "moved": moved, "base": base, "fitted": fit["weights"]})
    if pinned:
        return rows, resid, None
    spans = ", ".join(f"{n} [{lo:.3f}, {hi:.3f}]" for n, lo, hi in zip(names, fit["lo"], fit["hi"], strict=True))
    what = (f"the assumed weights fit them as well (RMS residual {rms_base:.3g}) and stay" if not moved
            else f"moved to the least-squares weights, still an assumption (RMS residual {rms_fit:.3g}; the assumed weights "
                 + ("break a reading's rounding)" if not fit["base_ok"] else f"{rms_base:.3g})"))
    return rows, resid, (f"{level} weights of {group}: not pinned by {len(y)} readings (every weight agreeing with them lies in {spans}, "
                         f"wider than {MAX_WEIGHT_INTERVAL:g}); {what}")


def _design(readings: pd.DataFrame, target: str, parts: list[str], extra: pd.DataFrame | None = None):
    """Rows (shop, date) where ``target`` and every part have a score: A, y, half steps."""
    wide = readings.pivot_table(index=["shop_id", "as_of"], columns="key", values="score", aggfunc="first")
    half = readings.pivot_table(index=["shop_id", "as_of"], columns="key", values="score_half", aggfunc="first")
    cols = [target, *parts]
    if any(c not in wide for c in cols):
        return None
    ok = wide[cols].notna().all(axis=1)
    wide, half = wide[ok], half[ok].reindex(columns=cols).fillna(0.0)
    if extra is not None:
        extra = extra.set_index(["shop_id", "as_of"]).reindex(wide.index)
    return wide, half, extra


def calibrate_weights(readings: pd.DataFrame, profile: Profile, context: pd.DataFrame | None):
    """Dimension weights (total readings) and the assumed indicator weights (dimension readings)."""
    rows, resids, problems = [], [], []
    dims = list(profile["dimensions"])
    got = _design(readings, "total", [f"dimension.{d}" for d in dims], context)
    if got is None:
        problems.append("dimension weights: no date has the total and every dimension score: not calibrated")
    else:
        wide, half, ctx = got
        lo, hi = profile["range"]["min"], profile["range"]["max"]
        adjust = ctx["adjust"].fillna(0.0).to_numpy() if ctx is not None else np.zeros(len(wide))
        use = (wide["total"] > lo) & (wide["total"] < hi)
        if ctx is not None:
            use &= ~ctx["growth"].fillna(False).astype(bool).to_numpy()
        parts = [f"dimension.{d}" for d in dims]
        w, r, p = _weight_rows("dimension", "total", dims, wide.loc[use, parts].to_numpy(), (wide["total"] - adjust)[use].to_numpy(),
                               half.loc[use, "total"].to_numpy(), half.loc[use, parts].to_numpy(),
                               [profile["dimensions"][d]["weight"] for d in dims], wide[use].index.to_frame(index=False))
        rows.append(w)
        resids.append(r)
        problems += [p] if p else []
    published = set((profile.get("service_weights") or {}).get("columns", []))
    for d in dims:
        members = [k for k, v in profile["indicators"].items() if v["dimension"] == d]
        if set(members) & published:
            problems.append(f"indicator weights of {d}: published per industry (service_weights), not fitted")
            continue
        if not (profile.get("indicator_weights") or {}).get("assumption"):
            continue
        got = _design(readings, f"dimension.{d}", members)
        if got is None:
            problems.append(f"indicator weights of {d}: no date has the dimension and every indicator score: not calibrated")
            continue
        wide, half, _ = got
        w, r, p = _weight_rows("indicator", d, members, wide[members].to_numpy(), wide[f"dimension.{d}"].to_numpy(),
                               half[f"dimension.{d}"].to_numpy(), half[members].to_numpy(),
                               [profile["indicators"][k]["weight"] for k in members], wide.index.to_frame(index=False))
        rows.append(w)
        resids.append(r)
        problems += [p] if p else []
    rows = [x for x in rows if x is not None]
    resids = [x for x in resids if x is not None]
    weights = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["level", "group", "name", "weight", "lo", "hi", "observations", "pinned", "moved", "base", "fitted"])
    return weights, (pd.concat(resids, ignore_index=True) if resids else pd.DataFrame()), problems


# ---------------------------------------------------------------- the calibrated profile
def _interval(lo, hi) -> list:
    return [None if not np.isfinite(lo) else float(f"{lo:.9g}"), None if not np.isfinite(hi) else float(f"{hi:.9g}")]


def _rounded_weights(w: np.ndarray, decimals: int = 4) -> list[float]:
    out = np.round(w, decimals)
    out[np.argmax(out)] += round(1.0 - out.sum(), decimals)
    return [float(round(x, decimals)) for x in out]


def calibrated_profile(base: Profile, cutoffs: pd.DataFrame, weights: pd.DataFrame, tier_set: str, summary: dict) -> dict:
    """A copy of ``base`` with each fitted number replacing its assumption (see the module docstring)."""
    p = copy.deepcopy(dict(base))
    p["calibration"] = summary
    _write_weights(p, base, weights)
    if len(cutoffs):
        _write_cutoffs(p, base, cutoffs, tier_set)
    return p


def _set_weights(g: pd.DataFrame, spec_of) -> None:
    """Write a group's weights when pinned (marked ``calibrated``) or moved (the assumed ones disagree with the readings)."""
    if not (g["pinned"].all() or g["moved"].any()):
        return
    for value, r in zip(_rounded_weights(g["weight"].to_numpy(dtype=float)), g.itertuples(), strict=True):
        spec = spec_of(r.name)
        spec["weight"] = value
        if r.pinned:
            spec["calibrated"] = {"observations": int(r.observations), "interval": _interval(r.lo, r.hi)}


def _unpinned_weights(g: pd.DataFrame) -> str:
    spans = ", ".join(f"{r.name} [{r.lo:.3f}, {r.hi:.3f}]" for r in g.itertuples())
    what = ("moved to the least-squares " + " / ".join(f"{w:g}" for w in _rounded_weights(g["weight"].to_numpy(dtype=float)))
            + ", which fit them better than the assumed weights") if g["moved"].any() else "the assumed weights fit them as well and stay"
    return f"not pinned by {int(g['observations'].iloc[0])} readings (the weights agreeing with them span {spans}); {what}"


def _write_weights(p: dict, base: Profile, weights: pd.DataFrame) -> None:
    dim_w = weights[weights["level"] == "dimension"]
    if len(dim_w):
        n, was = int(dim_w["observations"].iloc[0]), (base.get("dimension_weights") or {}).get("note", "")
        _set_weights(dim_w, lambda name: p["dimensions"][name])
        p["dimension_weights"] = ({"calibrated": {"observations": n}, "note": f"fitted from {n} (dimension scores → total) readings; was: {was}"}
                                  if dim_w["pinned"].all() else {"assumption": True, "note": f"{_unpinned_weights(dim_w)}; was: {was}"})
    ind_w = weights[weights["level"] == "indicator"]
    for _group, g in ind_w.groupby("group"):
        _set_weights(g, lambda name: p["indicators"][name])
    if not len(ind_w) or "indicator_weights" not in p:
        return
    published = set((p.get("service_weights") or {}).get("columns", []))
    assumed = [d for d in p["dimensions"] if not {k for k, v in p["indicators"].items() if v["dimension"] == d} & published]
    pinned = sorted({g for g, ok in ind_w.groupby("group")["pinned"].all().items() if ok})
    left = [d for d in assumed if d not in pinned]
    if not left:
        n = int(ind_w["observations"].min())
        p["indicator_weights"] = {"calibrated": {"observations": n}, "note": f"fitted for {', '.join(pinned)}"}
        return
    parts = [f"calibrated for {', '.join(pinned)}"] if pinned else []
    parts += [f"{group}: {_unpinned_weights(g)}" for group, g in ind_w[~ind_w["pinned"]].groupby("group")]
    parts.append(f"still assumed for {', '.join(left)}")
    p["indicator_weights"] = {"assumption": True, "note": "; ".join(parts)}


def _write_cutoffs(p: dict, base: Profile, cutoffs: pd.DataFrame, tier_set: str) -> None:
    tiers = p["tiers"]
    default = base["tiers"]["industries"][base["tiers"]["default_industry"]]
    target = copy.deepcopy(tiers["industries"].get(tier_set, {"cutoffs": copy.deepcopy(default["cutoffs"])}))
    marks, left = {}, 0
    for key, g in cutoffs.groupby("key", sort=False):
        if g["pinned"].any() or g["moved"].any():
            target["cutoffs"][key] = [float(v) for v in g["value"]]
        marks[key] = []
        for r in g.itertuples():
            entry = {"tier": float(r.tier), "interval": _interval(r.lo, r.hi)}
            if r.pinned:
                entry = {"tier": float(r.tier), "observations": int(r.observations), **{"interval": entry["interval"]}}
            else:
                left += 1
                entry["assumption"] = True
                entry["note"] = (f"not pinned: {r.note or 'the readings contradict the cut-offs'}; "
                                 + ("moved to agree with the readings" if r.moved else "the assumed value agrees with the readings"))
            marks[key].append(entry)
    target["calibrated"] = marks
    unfitted = [k for k in base["indicators"] if base["indicators"][k].get("scoring", "tiers") == "tiers" and k not in marks]
    if left or unfitted:
        target["assumption"] = True
        target["note"] = (f"calibrated cut-offs are listed under `calibrated` (interval (lo, hi] for 'higher', [lo, hi) for 'lower'); "
                          f"{left} cut-off(s) remain assumptions" + (f", and every cut-off of {', '.join(unfitted)}" if unfitted else ""))
    else:
        target.pop("assumption", None)
        target["note"] = "every cut-off calibrated from backend readings (intervals under `calibrated`)"
    tiers["industries"][tier_set] = target


# ---------------------------------------------------------------- entry points
def calibrate(readings: pd.DataFrame, base: Profile, context: pd.DataFrame | None = None, tier_set: str | None = None) -> Calibration:
    """Pool ``readings`` (parsed, any number of shops and dates) and calibrate ``base``.

    ``context`` (:func:`reading_context`) removes growth-stage totals and floored indicator readings
    and adds back deductions; without it the readings are taken at face value.
    """
    if readings.empty:
        raise CalibrationError("no readings to calibrate from.")
    r = readings
    if context is not None:
        floored = {(s, d, k) for s, d, ks in zip(context["shop_id"], context["as_of"], context["floored"], strict=True) for k in ks}
        mark = pd.Series([(s, d, k) in floored for s, d, k in zip(r["shop_id"], r["as_of"], r["key"], strict=True)], index=r.index, dtype=bool)
        r = r[~mark]
        sets = sorted(set(context["tier_set"]))
        if tier_set is None and len(sets) > 1:
            raise CalibrationError(f"the shops use different tier sets ({', '.join(sets)}): calibrate one industry and shop type at a time (--shops).")
        tier_set = tier_set or sets[0]
    tier_set = tier_set or base["tiers"]["default_industry"]
    cut, contra, p1 = calibrate_cutoffs(r, base, tier_set)
    weights, resid, p2 = calibrate_weights(r, base, context)
    problems = p1 + p2
    if not (cut["pinned"].any() if len(cut) else False) and not (weights["pinned"].any() if len(weights) else False):
        raise CalibrationError("nothing could be calibrated:\n  " + "\n  ".join(problems))
    summary = {"readings": int(len(readings)), "shops": sorted(map(str, set(readings["shop_id"]))),
               "dates": [f"{readings['as_of'].min():%Y-%m-%d}", f"{readings['as_of'].max():%Y-%m-%d}"],
               "base_profile": base.get("name"), "base_source": str(getattr(base, "source", "") or ""),
               "tier_set": tier_set}
    return Calibration(calibrated_profile(base, cut, weights, tier_set, summary), cut, weights, resid, contra, problems)


def calibrate_folder(data_root: str | Path, base_profile: str | Path, shops: list[str] | None = None, backend: str | Path | None = None,
                     *, loaded: dict | None = None, reports: dict | None = None) -> Calibration:
    """Load the shops and their readings and calibrate ``base_profile``.

    Readings: ``backend`` (a file whose ``shop_id`` column names each reading's shop; all its shops by
    default), else each shop folder's ``backend.csv`` (every folder of ``data_root`` that has one by
    default). ``loaded`` (shop_id → ShopData) and ``reports`` (see :func:`reading_context`) save work
    already done (the notebook).
    """
    from ..shop import load_shop
    from .readings import READINGS_FILE, check_dates, read_readings, shop_readings

    root = Path(data_root)
    base = load_profile(base_profile)
    if backend:
        readings = read_readings(backend, base, shop_id=shops[0] if shops and len(shops) == 1 else None)
        named = sorted(set(readings["shop_id"]) - {""})
        if (readings["shop_id"] == "").any():
            raise CalibrationError(f"{backend}: a readings file of several shops needs a shop_id (店铺ID) column naming each reading's shop.")
        names = list(shops or named)
        absent = [s for s in names if s not in named]
        if absent:
            raise CalibrationError(f"{backend}: no readings of shop {', '.join(absent)} (the file has {', '.join(named) or 'none'}).")
        readings = readings[readings["shop_id"].isin(names)].reset_index(drop=True)
    else:
        names = list(shops or sorted(p.name for p in root.iterdir() if p.is_dir() and (p / READINGS_FILE).is_file()))
        if not names:
            raise CalibrationError(f"{root}: no shop folder holds a {READINGS_FILE}; copy the backend page's readings there or pass --backend FILE.")
        readings = pd.concat([shop_readings(root / s, base, shop_id=s) for s in names], ignore_index=True)
    loaded = {s: (loaded or {}).get(s) or load_shop(root, s) for s in names}
    for s, g in readings.groupby("shop_id"):
        check_dates(g, loaded[s])
    return calibrate(readings, base, reading_context(loaded, readings, base, reports))
