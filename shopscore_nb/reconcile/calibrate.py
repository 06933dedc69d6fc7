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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import linprog, nnls

from ..profile import Profile, ProfileError, load_profile
from ..report import build_report

MIN_CUTOFF_READINGS = 5       # readings of an indicator needed before its cut-offs are fitted
MAX_CONTRADICTION_SHARE = 0.1  # more contradictory readings than this share: the definition differs, no fit
MIN_ROWS_PER_WEIGHT = 3       # weight fits need at least this many readings per unknown weight
SUM_PENALTY = 1e4             # row weight that makes NNLS keep Σ w = 1


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

        return {"cutoffs": records(self.cutoffs), "weights": records(self.weights), "residuals": records(self.residuals),
                "contradictions": records(self.contradictions), "problems": list(self.problems)}


# ---------------------------------------------------------------- context from the shops' data
def reading_context(shops: dict, readings: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Per (shop_id, as_of) of the readings, what the readings alone do not say, from our own
    recomputation under ``profile``: stage (growth-stage totals are fixed), the total's adjustment
    (− deductions + bonuses), the indicators under the 80-point floor, the tier set and industry."""
    rows = []
    for (shop_id, day), _ in readings.groupby(["shop_id", "as_of"]):
        if shop_id not in shops:
            raise CalibrationError(f"readings name shop '{shop_id}', which is not among the shops given ({', '.join(shops)}).")
        card = build_report(shops[shop_id], day, profile).scorecard
        ded = float(card.deductions["applied"].sum()) if len(card.deductions) else 0.0
        plus = sum(float(b.get("points", 0)) for b in (profile.get("bonuses") or []) if b.get("dimension") == "total"
                   and (shops[shop_id].config or {}).get(b.get("shop_flag")))
        rows.append({"shop_id": shop_id, "as_of": day, "growth": card.stage == profile["stage"]["growth"], "adjust": plus - ded,
                     "floored": tuple(card.indicators.loc[card.indicators["method"] == "floor", "key"]),
                     "tier_set": card.rules.tier_industry, "industry": card.rules.industry, "shop_type": card.rules.shop_type})
    return pd.DataFrame(rows, columns=["shop_id", "as_of", "growth", "adjust", "floored", "tier_set", "industry", "shop_type"])


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
    pinned = np.isfinite(out["lo_x"]) & np.isfinite(out["hi_x"])
    mid = (out["safe_lo"] + out["safe_hi"]) / 2
    point = np.where(pinned, mid, np.clip(base_x, out["safe_lo"], out["safe_hi"]))
    point = np.maximum.accumulate(point)  # cut-offs stay monotone; intervals are ordered, so this stays inside them
    moved = ~pinned & ~np.isclose(point, base_x)
    lo, hi = (out["lo_x"], out["hi_x"]) if sign > 0 else (-out["hi_x"], -out["lo_x"])
    digits = int(np.clip(np.ceil(-np.log10(max(kept["h"].max() if len(kept) else 1e-4, 1e-12))) + 1, 2, 10))
    table = pd.DataFrame({
        "key": key, "tier": s[1:], "lo": lo.to_numpy(), "hi": hi.to_numpy(), "observations": len(kept),
        "pinned": pinned.to_numpy(), "moved": moved, "value": np.round(sign * point, digits), "base": list(base),
        "closed": "(lo, hi]" if sign > 0 else "[lo, hi)",
    })
    return table, pd.concat(bad, ignore_index=True)


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
            table = table.assign(pinned=False, moved=False, value=table["base"])
        tables.append(table)
        bad.append(contra)
    cut = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["key", "tier", "lo", "hi", "observations", "pinned", "moved", "value", "base", "closed"])
    contra = pd.concat(bad, ignore_index=True) if bad else pd.DataFrame()
    return cut, contra, problems


# ---------------------------------------------------------------- weights
def fit_weights(A: np.ndarray, y: np.ndarray, tol_y: np.ndarray, half_parts: np.ndarray) -> dict:
    """Σ w = 1, w ≥ 0: NNLS point, per-weight interval over all weights reproducing every reading
    within its rounding band |A w − y| ≤ tol_y + half_parts · w. ``feasible`` False = contradictory."""
    n = A.shape[1]
    aug_a = np.vstack([A, SUM_PENALTY * np.ones((1, n))])
    w, _ = nnls(aug_a, np.append(y, SUM_PENALTY))
    w = w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / n)
    a_ub = np.vstack([A - half_parts, -(A + half_parts)])
    b_ub = np.concatenate([y + tol_y, -y + tol_y])
    lo, hi, vertices = np.full(n, np.nan), np.full(n, np.nan), []
    for i in range(n):
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[i] = sign
            res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, n)), b_eq=[1.0], bounds=[(0, 1)] * n, method="highs")
            if res.status != 0:
                return {"weights": w, "lo": lo, "hi": hi, "feasible": False}
            vertices.append(res.x)
            (lo if sign > 0 else hi)[i] = res.x[i]
    inside = np.all(a_ub @ w <= b_ub + 1e-9)
    if not inside:  # the least-squares point breaks a reading's rounding band: use the centre of the feasible weights
        w = np.mean(vertices, axis=0)
    return {"weights": w, "lo": lo, "hi": hi, "feasible": True}


def _weight_rows(level: str, group: str, names: list[str], A, y, tol, halves, base: list[float], meta: pd.DataFrame):
    n = len(names)
    if len(y) < MIN_ROWS_PER_WEIGHT * n or np.linalg.matrix_rank(np.vstack([A, np.ones(n)])) < n:
        why = f"{len(y)} usable readings" + ("" if len(y) >= MIN_ROWS_PER_WEIGHT * n else f", fewer than {MIN_ROWS_PER_WEIGHT} per weight")
        return None, None, f"{level} weights of {group}: {why} or scores that never vary independently: not calibrated"
    fit = fit_weights(A, y, tol, halves)
    fitted = A @ fit["weights"]
    resid = meta.assign(level=level, group=group, shown=y, fitted=fitted, residual=y - fitted, tolerance=tol + halves @ fit["weights"])
    if not fit["feasible"]:
        worst = resid.assign(excess=resid["residual"].abs() - resid["tolerance"]).nlargest(3, "excess")
        cases = "; ".join(f"{r.shop_id} {pd.Timestamp(r.as_of):%Y-%m-%d} shown {r.shown:g}, fitted {r.fitted:.2f}" for r in worst.itertuples())
        return None, resid, f"{level} weights of {group}: no weights reproduce every reading within its rounding (contradictory readings, e.g. {cases}): not calibrated"
    rows = pd.DataFrame({"level": level, "group": group, "name": names, "weight": fit["weights"], "lo": fit["lo"], "hi": fit["hi"],
                         "observations": len(y), "pinned": True, "base": base})
    return rows, resid, None


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
    weights = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["level", "group", "name", "weight", "lo", "hi", "observations", "pinned", "base"])
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
    dim_w = weights[weights["level"] == "dimension"]
    if len(dim_w):
        for name, value, r in zip(dim_w["name"], _rounded_weights(dim_w["weight"].to_numpy()), dim_w.itertuples(), strict=True):
            p["dimensions"][name]["weight"] = value
            p["dimensions"][name]["calibrated"] = {"observations": int(r.observations), "interval": _interval(r.lo, r.hi)}
        p["dimension_weights"] = {"calibrated": {"observations": int(dim_w["observations"].iloc[0])},
                                  "note": f"fitted from {int(dim_w['observations'].iloc[0])} (dimension scores → total) readings; was: {base.get('dimension_weights', {}).get('note', '')}"}
    ind_w = weights[weights["level"] == "indicator"]
    for _group, g in ind_w.groupby("group"):
        for name, value, r in zip(g["name"], _rounded_weights(g["weight"].to_numpy()), g.itertuples(), strict=True):
            p["indicators"][name]["weight"] = value
            p["indicators"][name]["calibrated"] = {"observations": int(r.observations), "interval": _interval(r.lo, r.hi)}
    assumed = [d for d in p["dimensions"] if not set(k for k, v in p["indicators"].items() if v["dimension"] == d) & set((p.get("service_weights") or {}).get("columns", []))]
    if len(ind_w) and "indicator_weights" in p:
        left = [d for d in assumed if d not in set(ind_w["group"])]
        p["indicator_weights"] = ({"assumption": True, "note": f"still assumed for {', '.join(left)}; calibrated: {', '.join(sorted(set(ind_w['group'])))}"} if left
                                  else {"calibrated": {"observations": int(ind_w["observations"].min())}, "note": f"fitted for {', '.join(sorted(set(ind_w['group'])))}"})
    if len(cutoffs):
        _write_cutoffs(p, base, cutoffs, tier_set)
    return p


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
                entry["note"] = "moved to agree with the readings, still unpinned" if r.moved else "the readings do not bound it on both sides"
            marks[key].append(entry)
    target["calibrated"] = marks
    unfitted = [k for k in base["indicators"] if base["indicators"][k].get("scoring", "tiers") == "tiers" and k not in marks]
    if left or unfitted:
        target["assumption"] = True
        target["note"] = (f"calibrated cut-offs are listed under `calibrated` (interval {cutoffs['closed'].iloc[0]} for 'higher', [lo, hi) for 'lower'); "
                          f"{left} cut-off(s) and the indicators {unfitted or 'none'} remain assumptions")
    else:
        target.pop("assumption", None)
        target["note"] = "every cut-off calibrated from backend readings (intervals under `calibrated`)"
    tiers["industries"][tier_set] = target


def calibrated_numbers(profile) -> list[str]:
    """Readable lines: each calibrated number of a profile and its evidence (for reports)."""
    out = []
    for name, spec in profile["dimensions"].items():
        if isinstance(spec.get("calibrated"), dict):
            out.append(f"dimensions.{name}.weight = {spec['weight']} (calibrated from {spec['calibrated']['observations']} readings, interval {spec['calibrated']['interval']})")
    for key, spec in profile["indicators"].items():
        if isinstance(spec.get("calibrated"), dict):
            out.append(f"indicators.{key}.weight = {spec['weight']} (calibrated from {spec['calibrated']['observations']} readings, interval {spec['calibrated']['interval']})")
    for industry, spec in profile["tiers"]["industries"].items():
        for key, marks in (spec.get("calibrated") or {}).items():
            for value, m in zip(spec["cutoffs"][key], marks, strict=False):
                if "observations" in m:
                    out.append(f"tiers.industries.{industry}.cutoffs.{key} tier {m['tier']:g} = {value} (calibrated from {m['observations']} readings, interval {m['interval']})")
    return out


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
    if not (cut["pinned"].any() if len(cut) else False) and weights.empty:
        raise CalibrationError("nothing could be calibrated:\n  " + "\n  ".join(problems))
    summary = {"readings": int(len(readings)), "shops": sorted(map(str, set(readings["shop_id"]))),
               "dates": [f"{readings['as_of'].min():%Y-%m-%d}", f"{readings['as_of'].max():%Y-%m-%d}"],
               "base_profile": getattr(base, "source", "") or base.get("name"), "tier_set": tier_set}
    return Calibration(calibrated_profile(base, cut, weights, tier_set, summary), cut, weights, resid, contra, problems)


def calibrate_folder(data_root: str | Path, base_profile: str | Path, shops: list[str] | None = None, backend: str | Path | None = None) -> Calibration:
    """Load the shops (all of ``data_root`` by default), their readings (``backend`` with a ``shop_id``
    column, else each folder's ``backend.csv``) and calibrate ``base_profile``."""
    from ..shop import load_shop
    from .readings import READINGS_FILE, check_dates, read_readings

    root = Path(data_root)
    base = load_profile(base_profile)
    names = shops or sorted(p.name for p in root.iterdir() if p.is_dir() and (backend or (p / READINGS_FILE).is_file()))
    loaded = {s: load_shop(root, s) for s in names}
    if backend:
        readings = read_readings(backend, base)
        readings = readings[readings["shop_id"].isin(names)]
    else:
        readings = pd.concat([read_readings(root / s / READINGS_FILE, base, shop_id=s) for s in names], ignore_index=True)
    for s, g in readings.groupby("shop_id"):
        check_dates(g, loaded[s])
    return calibrate(readings, base, reading_context(loaded, readings, base))
