"""Calibration from pooled backend readings (SPEC §6.1, issue 14).

Readings come from a "true" profile — douyin_2026 with dimension weights 0.45/0.25/0.30, product
0.8/0.2, logistics 0.2/0.6/0.2 and moved default cut-offs (``demo_readings.DEMO_TRUTH``): synthetic
pages (values drawn across every cut-off) plus days of the demo shop ``flagship``. The fit must
recover the weights within ±0.01, put every true cut-off inside its interval, reproduce held-out
days' totals, report contradictions, and refuse to fit from too few readings.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopscore_nb.profile import load_profile
from shopscore_nb.reconcile.calibrate import CalibrationError, calibrate, calibrated_numbers, fit_weights, reading_context
from shopscore_nb.reconcile.demo_readings import DEMO_TRUTH, demo_readings, synthetic_readings, true_profile
from shopscore_nb.reconcile.readings import parse_readings
from shopscore_nb.report import build_report
from shopscore_nb.shop import load_shop

DEMO_ROOT = Path(__file__).resolve().parents[1] / "data" / "demo"
TRAIN_DAYS = pd.date_range("2026-08-20", periods=6, freq="4D")
HELD_OUT = pd.date_range("2026-08-22", periods=3, freq="8D")


@pytest.fixture(scope="module")
def base():
    return load_profile("douyin_2026")


@pytest.fixture(scope="module")
def truth():
    return true_profile()


@pytest.fixture(scope="module")
def synthetic(base, truth):
    return parse_readings(synthetic_readings(truth, days=60, shops=3, seed=1), base, source="synthetic")


@pytest.fixture(scope="module")
def flagship():
    return load_shop(DEMO_ROOT, "flagship")


@pytest.fixture(scope="module")
def pooled(base, truth, synthetic, flagship):
    """Synthetic pages and six days of flagship, with the context of flagship's days (floors, stage)."""
    demo = parse_readings(demo_readings(flagship, truth, TRAIN_DAYS), base, source="flagship")
    ctx = reading_context({"flagship": flagship}, demo, base)
    keys = synthetic[["shop_id", "as_of"]].drop_duplicates()
    synth_ctx = keys.assign(growth=False, adjust=0.0, floored=[()] * len(keys), tier_set="默认", industry=None, shop_type=None)
    readings = pd.concat([synthetic, demo], ignore_index=True)
    return calibrate(readings, base, pd.concat([synth_ctx, ctx], ignore_index=True))


def test_weights_recovered_within_a_hundredth(pooled):
    w = pooled.weights.set_index("name")["weight"]
    for name, spec in DEMO_TRUTH["douyin_2026"]["dimensions"].items():
        assert w[name] == pytest.approx(spec["weight"], abs=0.01)
    for key, spec in DEMO_TRUTH["douyin_2026"]["indicators"].items():
        assert w[key] == pytest.approx(spec["weight"], abs=0.01)
    assert pooled.residuals["residual"].abs().max() <= pooled.residuals["tolerance"].max() + 1e-6
    assert any("service_weights" in p for p in pooled.problems)  # published weights are not fitted


def test_true_cutoffs_lie_in_their_intervals(pooled, truth):
    true = truth["tiers"]["industries"]["默认"]["cutoffs"]
    cut = pooled.cutoffs
    assert cut["pinned"].all()
    for key, g in cut.groupby("key"):
        c = np.asarray(true[key], dtype=float)
        assert ((g["lo"].to_numpy() <= c + 1e-12) & (c <= g["hi"].to_numpy() + 1e-12)).all(), (key, g[["lo", "hi"]], c)
        assert ((g["lo"] <= g["value"]) & (g["value"] <= g["hi"])).all()
    assert pooled.contradictions.empty


def test_calibrated_profile_loads_and_reproduces_held_out_totals(pooled, truth, flagship, tmp_path):
    path = pooled.write(tmp_path / "calibrated.yaml")
    cal = load_profile(path)
    assert cal["dimensions"]["product"]["calibrated"]["observations"] > 100
    assert "assumption" not in cal["dimension_weights"]
    marks = cal["tiers"]["industries"]["默认"]["calibrated"]["product.avg_rating"]
    assert len(marks) == 5 and all("observations" in m for m in marks)
    assert any(line.startswith("dimensions.product.weight") for line in calibrated_numbers(cal))
    for day in HELD_OUT:
        assert build_report(flagship, day, cal).scorecard.total == build_report(flagship, day, truth).scorecard.total, day


def test_contradictions_are_listed_and_the_rest_still_fits(base, synthetic):
    bad = parse_readings(pd.DataFrame([
        {"as_of": "2026-08-05", "key": "商品综合评分", "value": "4.9900", "score": "50", "shop_id": "s1"},
        {"as_of": "2026-08-06", "key": "商品综合评分", "value": "4.6500", "score": "85", "shop_id": "s1"},
    ]), base, source="bad.csv")
    # the two readings replace synthetic readings of the same key and dates
    keep = ~((synthetic["key"] == "product.avg_rating") & (synthetic["shop_id"] == "s1") & synthetic["as_of"].isin(bad["as_of"]))
    cal = calibrate(pd.concat([synthetic[keep], bad], ignore_index=True), base)
    listed = cal.contradictions
    assert set(listed["line"]) == {2, 3} and set(listed["source"]) == {"bad.csv"}
    assert any("not one of the tiers" in r for r in listed["reason"]) and any("no cut-offs" in r for r in listed["reason"])
    assert cal.cutoffs.query("key == 'product.avg_rating'")["pinned"].all()


def test_a_definition_that_differs_is_not_fitted(base, synthetic):
    r = synthetic.copy()
    mask = r["key"] == "product.quality_return_rate"
    r.loc[mask, "score"] = np.random.default_rng(3).choice([50, 60, 70, 80, 90, 100], mask.sum())
    cal = calibrate(r, base)
    assert any("product.quality_return_rate" in p and "definition differs" in p for p in cal.problems)
    assert not cal.cutoffs.query("key == 'product.quality_return_rate'")["pinned"].any()


def test_contradictory_totals_give_a_message_not_a_fit(base, synthetic):
    r = synthetic.copy()
    totals = r["key"] == "total"
    r.loc[totals, "score"] = np.random.default_rng(4).permutation(r.loc[totals, "score"].to_numpy())
    cal = calibrate(r, base)
    assert not (cal.weights["level"] == "dimension").any()
    assert any(p.startswith("dimension weights of total: no weights reproduce every reading") for p in cal.problems)
    assert cal.profile["dimension_weights"].get("assumption") is True


def test_too_few_readings(base, synthetic):
    few = synthetic[synthetic["as_of"] <= synthetic["as_of"].min()].head(6)
    with pytest.raises(CalibrationError, match="nothing could be calibrated"):
        calibrate(few, base)
    with pytest.raises(CalibrationError, match="no readings"):
        calibrate(synthetic.head(0), base)


def test_unpinned_cutoffs_stay_assumptions(base, truth):
    # only good values: the low cut-offs are never crossed
    text = synthetic_readings(truth, days=40, shops=2, seed=5)
    r = parse_readings(text, base)
    rating = r["key"] == "product.avg_rating"
    r = r[~rating | (r["value"] > 4.70)]
    cal = calibrate(r, base)
    g = cal.cutoffs.query("key == 'product.avg_rating'").set_index("tier")
    assert not g.loc[60.0, "pinned"] and g.loc[100.0, "pinned"]
    marks = cal.profile["tiers"]["industries"]["默认"]["calibrated"]["product.avg_rating"]
    assert marks[0].get("assumption") is True and "observations" in marks[-1]
    assert cal.profile["tiers"]["industries"]["默认"]["assumption"] is True


def test_seed_era_five_point_mapping(tmp_path):
    base = load_profile("douyin_2022")
    truth = load_profile("douyin_2022", {"dimensions": {"product": {"weight": 0.5}, "logistics": {"weight": 0.2}, "service": {"weight": 0.3}},
                                         "tiers": {"industries": {"默认": {"cutoffs": {"logistics.delivery_hours_avg": [150, 110, 90, 78, 70]}}}}})
    cal = calibrate(parse_readings(synthetic_readings(truth, days=80, shops=3, seed=2), base), base)
    w = cal.weights.query("level == 'dimension'").set_index("name")["weight"]
    assert w["product"] == pytest.approx(0.5, abs=0.01) and w["service"] == pytest.approx(0.3, abs=0.01)
    g = cal.cutoffs.query("key == 'logistics.delivery_hours_avg'")
    assert ((g["lo"].to_numpy() <= [150, 110, 90, 78, 70]) & ([150, 110, 90, 78, 70] <= g["hi"].to_numpy())).all()
    assert load_profile(cal.write(tmp_path / "seed.yaml"))["tiers"]["scores"] == [3.0, 3.5, 4.0, 4.5, 4.8, 5.0]


def test_fit_weights_rounding_band():
    rng = np.random.default_rng(0)
    A = rng.uniform(50, 100, (200, 3))
    y = np.floor(A @ np.array([0.45, 0.25, 0.30]) + 0.5)
    fit = fit_weights(A, y, np.full(200, 0.5), np.zeros((200, 3)))
    assert fit["feasible"] and np.allclose(fit["weights"], [0.45, 0.25, 0.30], atol=0.01)
    assert (fit["lo"] <= [0.45, 0.25, 0.30]).all() and ([0.45, 0.25, 0.30] <= fit["hi"]).all()


def test_a_report_with_the_calibrated_profile_lists_the_calibrated_numbers(pooled, flagship, tmp_path):
    cal = load_profile(pooled.write(tmp_path / "calibrated.yaml"))
    notes = build_report(flagship, HELD_OUT[0], cal).scorecard.assumptions
    calibrated = [n for n in notes if n.startswith("calibrated: ")]
    assert any(n.startswith("calibrated: dimensions.product.weight = 0.44") and "readings, interval [" in n for n in calibrated)
    assert any(n.startswith("calibrated: indicators.product.avg_rating.weight = 0.8") for n in calibrated)
    assert any(n.startswith("calibrated: tiers.industries.默认.cutoffs.product.avg_rating tier 100 = ") for n in calibrated)
    assert calibrated[-1].startswith("calibrated: calibration: ") and "backend readings of" in calibrated[-1]
    # in place of the assumptions: the fitted numbers are no longer listed as assumed
    assert not [n for n in notes if n.startswith(("dimension_weights", "tiers.industries.默认:"))]
    assert [n for n in build_report(flagship, HELD_OUT[0], load_profile("douyin_2026")).scorecard.assumptions if n.startswith("dimension_weights")]


def test_a_cutoff_is_pinned_only_by_readings_on_both_sides(base, truth):
    r = parse_readings(synthetic_readings(truth, days=40, shops=2, seed=7), base)
    rating = r["key"] == "product.avg_rating"
    # no reading scores 60 (4.55 <= value < 4.62 under the truth): the cut-offs into 60 and 70 share one interval
    r = r[~rating | ~r["value"].between(4.55, 4.6199)]
    cal = calibrate(r, base)
    g = cal.cutoffs.query("key == 'product.avg_rating'").set_index("tier")
    assert not g.loc[60.0, "pinned"] and not g.loc[70.0, "pinned"] and g.loc[80.0, "pinned"]
    assert (g.loc[60.0, "lo"], g.loc[60.0, "hi"]) == (g.loc[70.0, "lo"], g.loc[70.0, "hi"])
    assert g.loc[60.0, "note"] == "no reading scored 60"
    assert any(p.startswith("product.avg_rating: 2 of 5 cut-offs not pinned") and "no reading scored 60" in p for p in cal.problems)
    table = cal.table().set_index("number")
    assert table.loc["tiers.默认.product.avg_rating → 60", "status"] in ("assumption", "moved")


def test_weights_wider_than_the_pin_width_stay_assumptions(base, truth):
    r = parse_readings(synthetic_readings(truth, days=4, shops=3, seed=8), base)
    cal = calibrate(r, base)
    dims = cal.weights.query("level == 'dimension'")
    assert len(dims) == 3 and not dims["pinned"].any() and ((dims["hi"] - dims["lo"]) > 0.05).any()
    assert any(p.startswith("dimension weights of total: not pinned by 12 readings") for p in cal.problems)
    marks = cal.profile["dimension_weights"]
    assert marks["assumption"] is True and "not pinned" in marks["note"]
    assert all("calibrated" not in cal.profile["dimensions"][d] for d in ("product", "logistics", "service"))
    if dims["moved"].any():  # the assumed 0.5/0.2/0.3 break a reading: moved to the fitted weights, still an assumption
        assert [cal.profile["dimensions"][d]["weight"] for d in ("product", "logistics", "service")] != [0.5, 0.2, 0.3]
