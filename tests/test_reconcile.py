"""Backend readings and their reconciliation with the recomputed score (SPEC §6.1, issue 14).

Readings are made from our own report of the demo shop ``flagship`` (so ``match`` is known), then
bent: a value of the day before (latency), a rate with a larger denominator (missing orders), and
garbage (unexplained). Parser tests use small hand-written files.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from shopscore_nb.profile import load_profile
from shopscore_nb.reconcile.demo_readings import printed, readings_of, write_readings
from shopscore_nb.reconcile.readings import ReadingsError, check_dates, parse_readings, read_readings
from shopscore_nb.reconcile.reconcile import reconcile, reconcile_folder, reconciliation_json
from shopscore_nb.report import build_report
from shopscore_nb.shop import load_shop

DEMO_ROOT = Path(__file__).resolve().parents[1] / "data" / "demo"
DAY = pd.Timestamp("2026-09-01")


@pytest.fixture(scope="module")
def profile():
    return load_profile("douyin_2026")


@pytest.fixture(scope="module")
def flagship():
    return load_shop(DEMO_ROOT, "flagship")


@pytest.fixture(scope="module")
def reports(flagship, profile):
    return {d: build_report(flagship, d, profile) for d in (DAY - pd.Timedelta(days=1), DAY)}


def _raw(rows):
    return pd.DataFrame(rows, columns=["as_of", "key", "value", "score"])


# ---------------------------------------------------------------- the readings file
def test_chinese_header_gb18030_units_and_names(tmp_path, profile):
    text = "日期,指标,指标值,得分,店铺ID\n2026-09-01,商品品质退货率,1.34%,70,a\n\n2026-09-01,飞鸽平均响应时长,1.5min,80,a\n2026-09-01,售后平均审核时长,1.77h,90,b\n2026-09-01,总分,,84,b\n2026-09-01,商品体验分,-,80,b\n"
    path = tmp_path / "backend.csv"
    path.write_bytes(text.encode("gb18030"))
    r = read_readings(path, profile)
    assert list(r["key"]) == ["product.quality_return_rate", "service.im_avg_response_seconds", "service.aftersale_review_hours_avg", "total", "dimension.product"]
    assert r["value"].iloc[0] == pytest.approx(0.0134) and r["value_half"].iloc[0] == pytest.approx(0.00005)
    assert r["value"].iloc[1] == pytest.approx(90.0) and r["line"].iloc[1] == 4  # the blank line still counts
    assert r["value"].iloc[2] == pytest.approx(1.77) and pd.isna(r["value"].iloc[3])
    assert set(r["shop_id"]) == {"a", "b"}


def test_english_header_bom_and_keys(tmp_path, profile):
    path = tmp_path / "r.csv"
    path.write_text("as_of,key,value,score\n2026-09-01,product.avg_rating,4.6923,80\n2026-09-01,dimension.service,,85\n", encoding="utf-8-sig")
    r = read_readings(path, profile, shop_id="flagship")
    assert list(r["key"]) == ["product.avg_rating", "dimension.service"] and set(r["shop_id"]) == {"flagship"}
    assert r["value_half"].iloc[0] == pytest.approx(0.00005)


@pytest.mark.parametrize("row, message", [
    ("2026-09-01,商品综和评分,4.7,80", "line 2: unknown indicator '商品综和评分'; did you mean"),
    ("2026-09-01,商品品质退货率,abc,80", "line 2: value 'abc' is not a number"),
    ("2026-09-01,商品品质退货率,134,80", "line 2: value '134' is not a ratio"),
    ("2026-09-01,飞鸽平均响应时长,12kg,80", "unknown unit 'kg'"),
    ("2026-13-01,商品综合评分,4.7,80", "line 2: date '2026-13-01' is not YYYY-MM-DD"),
    ("2026-09-01,商品综合评分,4.7,good", "line 2: score 'good' is not a number"),
])
def test_bad_readings_name_file_and_line(tmp_path, profile, row, message):
    path = tmp_path / "backend.csv"
    path.write_text(f"as_of,key,value,score\n{row}\n", encoding="utf-8")
    with pytest.raises(ReadingsError, match=message.replace("(", r"\(").replace("?", r"\?")) as err:
        read_readings(path, profile, shop_id="x")
    assert str(path) in str(err.value)


def test_missing_column_and_conflicting_duplicates(tmp_path, profile):
    path = tmp_path / "b.csv"
    path.write_text("date_x,key\n2026-09-01,total\n", encoding="utf-8")
    with pytest.raises(ReadingsError, match="line 1: missing column 'as_of'"):
        read_readings(path, profile)
    path.write_text("as_of,key,value,score\n2026-09-01,total,,84\n2026-09-01,总分,,85\n", encoding="utf-8")
    with pytest.raises(ReadingsError, match="lines 2, 3: two different readings"):
        read_readings(path, profile, shop_id="x")


def test_date_outside_the_data(flagship, profile):
    r = parse_readings(_raw([("2027-03-01", "total", "", "84")]), profile, source="backend.csv", shop_id="flagship")
    with pytest.raises(ReadingsError, match=r"backend.csv: line 2: date 2027-03-01 is outside the data of shop flagship"):
        check_dates(r, flagship)


# ---------------------------------------------------------------- verdicts
def test_verdicts(flagship, profile, reports):
    today, before = reports[DAY], reports[DAY - pd.Timedelta(days=1)]
    val = lambda rep, key: rep.results[key].value  # noqa: E731
    help_rate = today.results["logistics.quality_return_rate"]
    n, d = int(help_rate.numerator), int(help_rate.denominator)
    rows = [
        ("2026-09-01", "商品综合评分", printed(val(today, "product.avg_rating"), "score"), f"{today.results['product.avg_rating'].score:g}"),
        ("2026-09-01", "商品品质退货率", printed(val(before, "product.quality_return_rate"), "ratio"), ""),
        ("2026-09-01", "发货物流品退率", printed(n / (d + 80), "ratio"), ""),
        ("2026-09-01", "飞鸽平均响应时长", "999.1s", "50"),
        ("2026-09-01", "总分", "", f"{today.scorecard.total:g}"),
    ]
    assert val(before, "product.quality_return_rate") != pytest.approx(val(today, "product.quality_return_rate"), abs=5e-5)
    table = reconcile(flagship, parse_readings(_raw(rows), profile, shop_id="flagship"), profile).set_index("key")
    assert table.loc["product.avg_rating", "verdict"] == "match"
    assert table.loc["total", "verdict"] == "match"
    assert table.loc["product.quality_return_rate", "verdict"].startswith("explained: data latency")
    assert "D-1" in table.loc["product.quality_return_rate", "verdict"]
    missing = table.loc["logistics.quality_return_rate", "verdict"]
    assert missing.startswith("explained: orders missing from the exports") and f"ours is {d}" in missing
    assert table.loc["service.im_avg_response_seconds", "verdict"] == "unexplained"
    assert table.loc["service.im_avg_response_seconds", "tier_differs"] is True or table.loc["service.im_avg_response_seconds", "tier_differs"]
    assert table.loc["service.im_avg_response_seconds", "value_diff"] == pytest.approx(999.1 - val(today, "service.im_avg_response_seconds"))
    counts = reconciliation_json(table.reset_index())["verdicts"]
    assert counts == {"match": 2, "explained": 2, "unexplained": 1}


def test_same_value_other_score_blames_the_cutoffs(flagship, profile, reports):
    today = reports[DAY]
    r = today.results["logistics.waybill_on_time_rate"]
    other = 90 if r.score != 90 else 80
    rows = [("2026-09-01", "运单配送时效达成率", printed(r.value, "ratio"), str(other))]
    table = reconcile(flagship, parse_readings(_raw(rows), profile, shop_id="flagship"), profile)
    assert table["verdict"].iloc[0].startswith("explained: same value") and "cut-offs" in table["verdict"].iloc[0]


def test_reconcile_folder_reads_backend_csv(tmp_path, flagship, profile, reports):
    shutil.copytree(DEMO_ROOT / "flagship", tmp_path / "flagship")
    text = pd.DataFrame(readings_of(reports[DAY]))
    write_readings(text.assign(shop_id="flagship"), tmp_path / "flagship" / "backend.csv")
    table = reconcile_folder(tmp_path, "flagship", profile="douyin_2026")
    assert len(table) == len(text) and (table["verdict"] == "match").all(), table[table["verdict"] != "match"]


# ---------------------------------------------------------------- what the CLI and 07_reconcile show
def test_reconciliation_page_series_and_chart(tmp_path):
    from matplotlib.figure import Figure

    from shopscore_nb import plots
    from shopscore_nb.reconcile.reconcile import run_reconciliation

    rec = run_reconciliation(DEMO_ROOT, "flagship", as_of=("2026-10-20", "2026-10-29"), adapt_profile=True)
    assert rec.profile["name"] == "douyin_2026" and "douyin_2026" in rec.profile_note and rec.profile_arg == "douyin_2026"
    assert [f"{d:%Y-%m-%d}" for d in rec.days()] == ["2026-10-20", "2026-10-29"]
    page = rec.page()
    assert list(page.index)[-1] == "total" and page.loc["total", "指标 indicator"] == "总分"
    assert page.loc["product.avg_rating", "后台值 backend"] == page.loc["product.avg_rating", "重算值 ours"]  # printed the page's way
    assert not page.isna().any().any() and not page.astype(str).apply(lambda c: c.str.contains("nan|None|NaN")).any().any()
    series = rec.series()
    assert set(series["key"]) == {"total", "dimension.product", "dimension.logistics", "dimension.service"} and len(series) == 8
    assert set(series["verdict"]) <= {"match", "explained", "unexplained"}
    plots.setup_fonts()
    fig = plots.backend_vs_recomputed(series)
    assert isinstance(fig, Figure) and len([a for a in fig.axes if a.get_visible()]) == 4
    assert fig.axes[0].get_title(loc="left") == "总分 total"
    fig.savefig(tmp_path / "chart.png")
    empty = plots.backend_vs_recomputed(series.iloc[:0])
    assert "no backend readings" in empty.axes[0].texts[0].get_text()


def test_notebook_view_of_a_shop_without_readings(tmp_path, capsys):
    from shopscore_nb import notebook as nb
    from shopscore_nb.errors import ParameterError
    from shopscore_nb.reconcile import view as rv

    shutil.copytree(DEMO_ROOT / "growth", tmp_path / "growth")
    (tmp_path / "growth" / "backend.csv").unlink()
    params = nb.validate_parameters(data_dir=str(tmp_path), shop_id="growth", as_of="", profile="douyin_2026", window_days=0, backend="")
    view = rv.reconciliation(params)
    assert view.rec is None and "no backend readings" in view.message and view.report.shop.shop_id == "growth"
    rv.summary(view)
    assert capsys.readouterr().out.startswith("shop=growth as_of= readings=0 (no backend readings")
    assert rv.figure(view) is None and rv.calibration(view).result is None
    with pytest.raises(ParameterError, match="backend: file 'nope.csv' not found"):
        rv.reconciliation(nb.validate_parameters(data_dir=str(tmp_path), shop_id="growth", backend="nope.csv"))


def test_the_pooled_calibration_on_a_shop_page_names_no_other_shop(monkeypatch):
    """SPEC §9: a shop's page holds that shop's data only; the calibration pools the data root's readings but
    shows aggregates (numbers, intervals, counts) and only this shop's contradictory readings."""
    from shopscore_nb import notebook as nb
    from shopscore_nb.reconcile import view as rv

    shown = []
    monkeypatch.setattr(rv, "_md", lambda text: shown.append(str(text)))
    monkeypatch.setattr(rv, "_show", lambda *objs: shown.extend(o.to_string() if hasattr(o, "to_string") else str(o) for o in objs))
    params = nb.validate_parameters(data_dir=str(DEMO_ROOT), shop_id="flagship", as_of="2026-10-29", profile="douyin_2026", backend="")
    view = rv.reconciliation(params)
    cv = rv.calibration(view)
    assert cv.result is not None and cv.result.profile["calibration"]["shops"] == ["flagship", "growth", "struggling"]
    rv.show_calibration(cv)
    text = "\n".join(shown)
    assert "3 家店铺 shops (this one and 2 other(s) of the data root, not named here)" in text
    assert "not pinned" in text and "struggling" not in text and "growth" not in text
    assert rv._anonymous("e.g. struggling 2026-10-02 shown 53; growth-2 and growth", ["struggling", "growth"]) == \
        "e.g. another shop 2026-10-02 shown 53; growth-2 and another shop"
