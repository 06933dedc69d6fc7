"""Drill-down with impact (failing rows by share of the loss) and exports with buyer PII masked."""
from __future__ import annotations

import pandas as pd
import pytest
from test_scoring_handmade import scored

from shopscore_nb.scoring.drilldown import drilldown, drilldown_for, export, mask_pii


@pytest.fixture(scope="module")
def s26():
    return scored("douyin_2026")


def test_rate_drilldown_lists_failing_rows_with_equal_shares(s26):
    _, results, _ = s26
    rows = drilldown(results, "logistics.waybill_on_time_rate")
    assert sorted(rows["order_id"]) == ["O05", "O06", "O07", "O08"]
    assert rows["impact"].tolist() == pytest.approx([1 / 40] * 4)  # each fixed waybill moves the rate by 1/40
    assert rows["share_of_loss"].sum() == pytest.approx(1.0)


def test_mean_drilldown_sorted_by_share_of_the_loss(s26):
    _, results, card = s26
    rows = drilldown_for(card, results, "service.im_avg_response_seconds")
    # target = the 100-tier cut-off 15 s: S2 unanswered (600 − 15) costs more than S1's 240 s round (240 − 15) and the 30 s one
    assert rows["charged_s"].tolist() == [600.0, 240.0, 30.0]
    assert rows["impact"].tolist() == pytest.approx([585 / 3, 225 / 3, 15 / 3])
    assert rows["share_of_loss"].tolist() == pytest.approx([585 / 825, 225 / 825, 15 / 825])


def test_higher_is_better_mean_uses_the_best_value(s26):
    _, results, card = s26
    rows = drilldown_for(card, results, "logistics.pickup_score_avg")  # direct score: target = 100
    assert set(rows["order_id"]) == {"O01", "O02", "O03", "O04"} and rows["impact"].tolist() == pytest.approx([30 / 40] * 4)


def test_export_csv_and_xlsx_mask_buyer_pii(s26, tmp_path):
    _, results, _ = s26
    rows = drilldown(results, "service.im_dissatisfaction_rate")
    assert rows["buyer_id"].tolist() == ["B2"]
    rows = rows.assign(content="买家电话 13812345678 请回电")
    csv = pd.read_csv(export(rows, tmp_path / "d.csv"), encoding="utf-8-sig")
    assert csv["buyer_id"].tolist() == ["B***2"] and csv["content"].tolist() == ["买家电话 138****5678 请回电"]
    xlsx = pd.read_excel(export({"不满意会话": rows, "运单": drilldown(results, "logistics.waybill_on_time_rate")}, tmp_path / "d.xlsx"), sheet_name=None)
    assert set(xlsx) == {"不满意会话", "运单"} and xlsx["不满意会话"]["buyer_id"].tolist() == ["B***2"]
    raw = pd.read_csv(export(rows, tmp_path / "raw.csv", mask=False), encoding="utf-8-sig")
    assert raw["buyer_id"].tolist() == ["B2"]


def test_mask_pii_keeps_missing_values_and_other_columns():
    df = pd.DataFrame({"buyer_id": pd.Series(["B0607", None], dtype="string"), "phone": ["13900001111", "x"], "n": [1, 2]})
    out = mask_pii(df)
    assert out["buyer_id"].tolist()[0] == "B***7" and pd.isna(out["buyer_id"].tolist()[1])
    assert out["phone"].tolist() == ["1***1", "*"] and out["n"].tolist() == [1, 2]
