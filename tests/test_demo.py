"""The demo-data generator: deterministic, loadable through ``load_shop``, planted problems counted exactly.

The committed ``data/demo`` must be exactly what ``python -m shopscore_nb.demo data/demo`` writes; if a
change to the generator is intended, regenerate it with that command and commit the result.
"""
from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from shopscore_nb import load_shop
from shopscore_nb.demo import (
    AFTER_SALE_COLUMNS,
    ORDER_COLUMNS,
    SHOP_IDS,
    STORIES,
    canonical,
    generate_shop,
    main,
    make_benchmark_shop,
    write_export_folder,
)
from shopscore_nb.schema import TABLES, reason_categories

DEMO_ROOT = Path(__file__).resolve().parents[1] / "data" / "demo"
NOW = pd.Timestamp("2026-11-01")  # the loading moment: no future_timestamp warnings, whatever the clock says
ONE_EACH = {
    "aftersale_event_before_applied": 1, "orphan": 1, "picked_up_before_paid": 1, "score_out_of_range": 1,
    "signed_before_picked_up": 1, "unparseable_required": 1,
}
EXPECTED_QUALITY = {  # what data/demo/README.md promises
    "flagship": {**ONE_EACH, "duplicate_key": 3},
    "struggling": {**ONE_EACH, "duplicate_key": 2},
    "growth": {**ONE_EACH, "duplicate_key": 1},
}
SMALL = {"story": "struggling", "start": date(2026, 6, 21), "days": 40, "seed": 11}


@pytest.fixture(scope="module")
def demo() -> dict:
    return {shop_id: load_shop(DEMO_ROOT, shop_id, now=NOW) for shop_id in SHOP_IDS}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


# ---------------------------------------------------------------- the generator
def test_generator_is_deterministic_for_a_seed():
    first, again = generate_shop(**SMALL), generate_shop(**SMALL)
    assert sorted(first) == sorted(TABLES)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    other = generate_shop(**{**SMALL, "seed": 12})
    assert not first["orders"].equals(other["orders"])


@pytest.mark.parametrize("story", sorted(STORIES))
def test_canonical_tables_are_consistent(story):
    tables = generate_shop(story, date(2026, 6, 21), 60, seed=3)
    end = pd.Timestamp("2026-08-20")
    for name, frame in canonical(tables).items():
        assert set(TABLES[name].required) <= set(frame.columns), name
        assert set(frame.columns) <= set(TABLES[name].columns), name
        for col in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[col]) and col not in ("promised_ship_at", "promised_delivery_at"):
                assert not (frame[col] >= end).any(), f"{name}.{col} after the export moment"
    tickets = tables["after_sales"]
    assert tickets["reason"].isin(reason_categories()).all()
    for earlier, later in [("applied_at", "agreed_at"), ("agreed_at", "refunded_at"), ("refunded_at", "completed_at"),
                           ("return_shipped_at", "return_signed_at"), ("applied_at", "rejected_at")]:
        assert not (tickets[later] < tickets[earlier]).any(), (earlier, later)
    ship = tables["shipments"].merge(tables["orders"].drop_duplicates("order_id")[["order_id", "paid_at"]], on="order_id")
    assert (ship["picked_up_at"] > ship["paid_at"]).all()
    assert not (ship["signed_at"] < ship["picked_up_at"]).any()
    assert set(tables["im_messages"]["sender_role"]) == {"buyer", "agent", "robot_assist", "robot", "system"}


# ---------------------------------------------------------------- the committed demo root
def test_every_table_loads_from_the_export_folders(demo):
    for shop_id, shop in demo.items():
        assert sorted(shop.tables) == sorted(TABLES), shop_id
        assert not shop.ignored, shop_id
        for name in ("orders", "shipments", "after_sales", "im_messages", "im_sessions", "reviews", "penalties"):
            assert len(shop.tables[name]) > 0, (shop_id, name)
        assert shop.config == {"name": STORIES[shop_id].shop_name, "industry": STORIES[shop_id].industry,
                               "shop_type": STORIES[shop_id].shop_type}
        assert shop.default_as_of() == pd.Timestamp("2026-10-29")


@pytest.mark.parametrize("shop_id", SHOP_IDS)
def test_planted_dirty_rows_are_counted_exactly(demo, shop_id):
    assert demo[shop_id].quality_counts() == EXPECTED_QUALITY[shop_id]


def test_written_folder_reports_what_write_export_folder_planted(tmp_path):
    dirty = {"duplicate_key": 4, "unparseable_required": 2, "picked_up_before_paid": 2, "signed_before_picked_up": 3,
             "score_out_of_range": 2, "aftersale_event_before_applied": 2, "orphan": 3}
    planted = write_export_folder(generate_shop(**SMALL), tmp_path / "s", "测试小店", dirty=dirty, seed=1)
    assert planted == dirty
    assert load_shop(tmp_path, "s", now=NOW).quality_counts() == dirty


def test_growth_shop_has_fewer_than_30_orders_in_its_last_30_days(demo):
    shop = demo["growth"]
    orders = shop.tables["orders"]
    recent = orders["paid_at"] >= shop.default_as_of() - pd.Timedelta(days=30)
    assert orders.loc[recent, "order_id"].nunique() < 30


def test_the_stories_differ_where_they_should(demo):
    def late_pickup_share(shop):
        orders = shop.tables["orders"].drop_duplicates("order_id")
        ship = shop.tables["shipments"].merge(orders.loc[~orders["is_presale"], ["order_id", "paid_at"]], on="order_id")
        return ((ship["picked_up_at"] - ship["paid_at"]) > pd.Timedelta(hours=48)).mean()

    def quality_refunds_per_order(shop):
        tickets = shop.tables["after_sales"]
        return (tickets["reason"].map(reason_categories()) == "quality").sum() / shop.tables["orders"]["order_id"].nunique()

    flagship, struggling = demo["flagship"], demo["struggling"]
    assert late_pickup_share(struggling) > 0.15 > 0.05 > late_pickup_share(flagship)
    assert quality_refunds_per_order(struggling) > 2 * quality_refunds_per_order(flagship)
    agents = {a for a in flagship.tables["im_messages"]["agent_id"].dropna()}
    assert len(agents) >= 4 and all(a.startswith("悦衣旗舰店-") for a in agents)
    assert flagship.tables["orders"]["order_id"].nunique() / 130 >= 35


def test_export_files_have_the_real_formats():
    folder = DEMO_ROOT / "flagship"
    order_files = sorted(folder.glob("*.csv"))
    backend = [p for p in order_files if p.name[:10].isdigit()]
    assert len(backend) == 1 and len(backend[0].stem.split("_")[1]) == 6
    raw = backend[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    header, first = list(csv.reader(raw.decode("utf-8-sig").splitlines()[:2]))
    assert tuple(header[:75]) == ORDER_COLUMNS and header[75:] == ["是否预售", "是否虚拟", "买家ID"]
    assert first[0].startswith("\t69") and first[header.index("货号")] == "-"
    assert re.fullmatch(r"\d+\.\d{2}", first[header.index("订单应付金额")])  # money as text
    after = next(csv.reader((folder / "售后单导出.csv").read_text(encoding="utf-8-sig").splitlines()[:1]))
    assert tuple(after[:50]) == AFTER_SALE_COLUMNS
    gb = (DEMO_ROOT / "struggling" / "物流包裹明细.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    assert gb.decode("gb18030").startswith("订单号,快递单号")
    reviews = pd.read_excel(folder / "评价导出.xlsx", dtype=str)
    assert list(reviews.columns[:6]) == ["评价日期", "订单ID", "商品ID", "商品名称", "商品规格", "商品评价得分"]


def test_loader_takes_the_payable_amount_not_the_goods_amount(demo):
    folder = DEMO_ROOT / "struggling"
    order_files = [p for p in folder.glob("*.csv") if p.name.startswith("订单导出") or p.name[:10].isdigit()]
    raw = pd.concat([pd.read_csv(p, dtype=str, encoding="utf-8-sig") for p in order_files])
    discounted = raw[raw["优惠总金额"] != "0.00"].iloc[0]
    loaded = demo["struggling"].tables["orders"].set_index("sub_order_id")
    assert loaded.loc[discounted["子订单编号"].strip(), "amount"] == float(discounted["订单应付金额"])


def test_messages_carry_roles_and_planted_pii(demo):
    messages = demo["flagship"].tables["im_messages"]
    assert set(messages["sender_role"]) == {"buyer", "agent", "robot_assist", "robot", "system"}
    assert messages["content"].str.contains(r"手机号是1[3-9]\d{9}").sum() == 1
    assert messages["content"].str.contains(r"用户ID是\d+").sum() == 1
    sessions = demo["struggling"].tables["im_sessions"]
    assert sessions["transferred_at"].isna().any() and (sessions["transferred_at"].notna() & sessions["assigned_at"].isna()).any()
    assert set(sessions["rating"].dropna()) <= {1, 2, 3, 4, 5}


def test_committed_demo_matches_a_regeneration(tmp_path):
    assert main([str(tmp_path)]) == 0
    committed = sorted(p.relative_to(DEMO_ROOT) for p in DEMO_ROOT.rglob("*") if p.is_file())
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert committed == fresh, "data/demo is stale: run `python -m shopscore_nb.demo data/demo`"
    for rel in committed:
        assert (DEMO_ROOT / rel).read_bytes() == (tmp_path / rel).read_bytes(), f"{rel} differs: regenerate data/demo"


def test_demo_shops_carry_backend_readings_that_are_not_exports(demo):
    from shopscore_nb.demo import BACKEND_READINGS, backend_dates
    from shopscore_nb.profile import load_profile
    from shopscore_nb.reconcile.readings import read_readings

    dates = backend_dates()
    assert len(dates) == BACKEND_READINGS and dates[-1] == pd.Timestamp("2026-10-29")
    for shop_id, shop in demo.items():
        assert "skipped_file" not in shop.quality_counts() and "backend.csv" not in {f["file"] for f in shop.files}
        r = read_readings(DEMO_ROOT / shop_id / "backend.csv", load_profile("douyin_2026"))
        assert set(r["shop_id"]) == {shop_id} and sorted(r["as_of"].unique()) == list(dates)
        assert len(r) == BACKEND_READINGS * 13  # 9 indicators, 3 dimensions, the total
    readme = (DEMO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "data latency" in readme and "orders more than the exports hold" in readme and "copied as" in readme


def test_demo_root_stays_small():
    assert sum(p.stat().st_size for p in DEMO_ROOT.rglob("*") if p.is_file()) < 6_300_000


# ---------------------------------------------------------------- the benchmark shop
def test_benchmark_shop_has_the_requested_sizes(tmp_path):
    sizes = {"n_orders": 10_000, "n_messages": 20_000, "n_after_sales": 1_000, "n_reviews": 3_000}
    rows = make_benchmark_shop(tmp_path / "bench", seed=5, days=30, **sizes)
    assert rows["im_messages"] == 20_000 and rows["after_sales"] == 1_000 and rows["reviews"] == 3_000
    orders = pd.read_parquet(tmp_path / "bench" / "orders.parquet")
    assert orders["order_id"].nunique() == 10_000 and set(orders.columns) <= set(TABLES["orders"].columns)
    shop = load_shop(tmp_path, "bench", now=NOW)
    assert shop.quality_counts() == {}
    assert len(shop.tables["im_messages"]) == 20_000 and shop.tables["im_sessions"]["session_id"].is_unique
