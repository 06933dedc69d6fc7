"""``metrics --json`` carries ``lines`` (every threshold line on its own window) and ``drag`` (points lost)."""
from __future__ import annotations

import json

import pytest
from conftest import MINISHOPS

from shopscore_nb.cli import main
from shopscore_nb.metrics.descriptions import describe
from shopscore_nb.profile import load_profile

ROOT = MINISHOPS / "data"
LINE_FIELDS = {"key", "name", "met", "value", "threshold", "gap", "window_days"}


def _json(capsys, *extra) -> dict:
    assert main(["metrics", str(ROOT), "--shop", "mini1", "--as-of", "2026-10-01", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("profile", ["douyin_2022", "douyin_2026"])
def test_lines_cover_every_profile_line(capsys, profile):
    j = _json(capsys, "--profile", profile)
    p = load_profile(profile)
    expected = [ln["id"] for s in ("consequences", "im_service_thresholds") for ln in p.get(s) or []]
    assert [ln["key"] for ln in j["lines"]] == expected
    for ln in j["lines"]:
        assert LINE_FIELDS <= set(ln)
        assert isinstance(ln["window_days"], int) and ln["window_days"] > 0
        if ln["value"] is not None:
            assert ln["gap"] == pytest.approx(ln["value"] - ln["threshold"], abs=1e-6)
            assert len(repr(ln["gap"])) < 16  # no float noise
    weekly = [ln for ln in j["lines"] if ln["key"] == "im_3min_weekly"]
    assert weekly and weekly[0]["window_days"] == 7  # the line's own window, not the profile's
    total = next(ln for ln in j["lines"] if ln["metric"] == "total")
    assert total["value"] == j["total"]
    # every existing key is still there
    assert {"shop_id", "as_of", "profile", "window", "indicators", "dimensions", "total", "stage", "assumptions", "data_quality",
            "skipped_files", "overrides", "profile_source", "display", "stars"} <= set(j)


@pytest.mark.parametrize("profile", ["douyin_2022", "douyin_2026"])
def test_drag_ranks_indicators_by_points_lost(capsys, profile):
    j = _json(capsys, "--profile", profile)
    drag = j["drag"]
    assert drag, "no scored indicator"
    lost = [d["points_lost"] for d in drag]
    assert lost == sorted(lost, reverse=True)
    ruleset = load_profile(profile).get("ruleset", "seed")
    for d in drag:
        assert d["name"] == describe(d["key"], ruleset).zh
        assert d["score"] == j["indicators"][d["key"]]["score"]
        assert d["points_lost"] == pytest.approx(d["weight"] * (d["best"] - d["score"]), abs=1e-3)
    # points lost add up to what the weighted total lacks from the best score (before deductions, bonuses, rounding)
    best = max(d["best"] for d in drag)
    if j["stage"] and j["total"] is not None and "成长" not in j["stage"]:
        assert sum(lost) == pytest.approx(best - j["total"], abs=0.5 if profile == "douyin_2026" else 0.01)
