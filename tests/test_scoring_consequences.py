"""Consequences: which threshold lines the shop is above or below, and by how much."""
from __future__ import annotations

import pandas as pd
import pytest
from test_scoring_handmade import scored

from shopscore_nb.scoring.consequences import consequences
from shopscore_nb.scoring.contexts import sibling


@pytest.fixture(scope="module")
def lines26():
    ctx, results, card = scored("douyin_2026")
    return consequences(ctx, results, card).set_index("id")


def test_2026_score_lines(lines26):
    # total 76, 商品 80, 物流 82.55, 服务 75
    t = lines26
    assert (t.loc["alliance_total", "met"], t.loc["alliance_total", "gap"], t.loc["alliance_total", "side"]) == (True, 6.0, "above")
    assert t.loc["alliance_product", "gap"] == 15.0
    assert (t.loc["fudai_total", "met"], t.loc["fudai_total", "gap"], t.loc["fudai_total", "side"]) == (False, -4.0, "below")
    assert t.loc["fudai_service", "met"] and t.loc["fudai_logistics", "gap"] == pytest.approx(7.55)
    assert t.loc["category_clearance", "basis"].startswith("today only")


def test_2026_im_lines_use_their_own_window(lines26):
    t = lines26
    # last 7 days (09-24 … 09-30) hold no 飞鸽 rounds: weekly rates are unknown, not 0 or 100 %
    assert pd.isna(t.loc["im_3min_weekly", "value"]) and t.loc["im_3min_weekly", "met"] is None
    assert t.loc["im_3min_fine", "met"] and t.loc["im_3min_fine", "window_days"] == 7


def test_daily_fine_line_and_history():
    ctx, results, card = scored("douyin_2026")
    ctx = sibling(ctx, as_of="2026-09-21")  # the 飞鸽 day 09-20 is now inside the 7-day lines
    t = consequences(ctx, results, card).set_index("id")
    # 09-20: 3 rounds counted in business hours, 1 within 3 min → 1/3 < 90 %
    assert t.loc["im_3min_weekly", "value"] == pytest.approx(1 / 3) and not t.loc["im_3min_weekly", "met"]
    # rounds starting 08:00–23:00: 30 + 240 + 600 (S3's 23:30 round is outside) → 290 s, 170 s above the 120 s line
    assert t.loc["im_avg_response_weekly", "value"] == pytest.approx(290.0) and t.loc["im_avg_response_weekly", "gap"] == pytest.approx(170.0)
    # the ¥1000 line needs > 100 consultations on the day: 3 sessions → no day qualifies
    assert t.loc["im_3min_fine", "met"] and t.loc["im_3min_fine", "basis"] == "no day met the condition"
    history = pd.DataFrame({"total": [58.0] * 14})
    h = consequences(ctx, results, card, history=history).set_index("id")
    assert not h.loc["category_clearance", "met"] and h.loc["category_clearance", "basis"] == "14 of the last 14 days below"
    assert h.loc["brand_badge", "value"] == 58.0 and not h.loc["brand_badge", "met"]


def test_seed_lines():
    ctx, results, card = scored("douyin_2022")
    t = consequences(ctx, results, card).set_index("id")
    # total 4.10: ≥ 4.0 精选联盟, ≥ 3.2 no termination risk, < 4.4 → 10-day settlement
    assert t.loc["alliance", "met"] and t.loc["alliance", "gap"] == pytest.approx(0.1)
    assert t.loc["termination", "met"] and not t.loc["settlement", "met"] and t.loc["settlement", "gap"] == pytest.approx(-0.3)
