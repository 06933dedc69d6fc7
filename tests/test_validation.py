"""The bad-input corpus of SPEC §3: every case a clear LoadError, or exact quarantine/warning counts."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopscore_nb import LoadError, load_shop
from shopscore_nb.loading import parse_table
from shopscore_nb.schema import TABLES
from shopscore_nb.validation import QUARANTINE_COLUMNS, contract_checks, contract_failures, validate_tables

NOW = pd.Timestamp("2026-12-31")
ORDERS = "order_id,paid_at,amount,created_at,is_presale\n"
ONE_ORDER = "order_id,paid_at\nO1,2026-07-01 10:00:00\n"


def write_shop(root: Path, files: dict[str, str | bytes], shop: str = "s1") -> Path:
    folder = root / shop
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def load(root: Path, shop: str = "s1", now=NOW):
    return load_shop(root, shop, now=now)


def load_error(root: Path, shop: str = "s1") -> str:
    with pytest.raises(LoadError) as err:
        load(root, shop)
    return str(err.value)


def reasons(frame: pd.DataFrame) -> list[tuple]:
    return sorted(frame[["table", "reason", "column", "source_row"]].itertuples(index=False, name=None))


def assert_rows_add_up(shop) -> None:
    summary = shop.quality_summary()
    assert (summary["rows_read"] == summary["rows_kept"] + summary["quarantined"]).all(), summary


# ---------------------------------------------------------------- files that cannot be used
def test_missing_required_column_names_file_column_and_aliases(tmp_path):
    message = load_error(write_shop(tmp_path, {"orders.csv": "主订单编号,订单提交时间\nO1,2026-07-01\n"}))
    assert message == (
        "orders.csv: looks like the orders export but lacks required column 'paid_at' "
        "(accepted headers: paid_at, 支付完成时间, 支付时间, 付款时间)."
    )


def test_missing_two_required_columns(tmp_path):
    message = load_error(write_shop(tmp_path, {"reviews.csv": "订单ID,评价内容\nO1,好\n"}))
    assert message == (
        "reviews.csv: looks like the reviews export but lacks required columns "
        "'created_at' (accepted headers: created_at, 评价日期, 评价时间); "
        "'product_score' (accepted headers: product_score, 商品评价得分, 商品评分, 商品得分)."
    )


def test_unnamed_file_missing_a_required_column_is_listed_not_loaded(tmp_path):
    files = {"1768222209_ab12.csv": "会话ID,发送时间,消息ID\nS1,2026-07-01 09:00:00,M1\n", "orders.csv": ONE_ORDER}
    shop = load(write_shop(tmp_path, files))
    assert list(shop.tables) == ["orders"]  # not taken for an im_sessions list either
    assert shop.ignored == [
        {
            "file": "1768222209_ab12.csv",
            "reason": "1768222209_ab12.csv: looks like the im_messages export but lacks required column 'sender_role' "
            "(accepted headers: sender_role, 发送方, 发送者角色, 发送者类型, 消息来源).",
        }
    ]


def test_empty_file_is_listed(tmp_path):
    shop = load(write_shop(tmp_path, {"after_sales.csv": "", "orders.csv": ONE_ORDER}))
    assert shop.ignored == [{"file": "after_sales.csv", "reason": "after_sales.csv: the file is empty."}]
    assert not shop.has("after_sales")


def test_only_an_empty_file_is_a_load_error(tmp_path):
    message = load_error(write_shop(tmp_path, {"orders.csv": "\ufeff\n"}))
    assert message.endswith("s1: no recognisable export files (csv, xlsx, parquet) in the folder.\n  - orders.csv: the file is empty.")


def test_header_only_gives_an_empty_table(tmp_path):
    shop = load(write_shop(tmp_path, {"orders.csv": "主订单编号,支付完成时间\n", "reviews.csv": "order_id,created_at,product_score\n"}))
    assert len(shop.tables["orders"]) == 0 and len(shop.tables["reviews"]) == 0
    assert shop.tables["orders"]["paid_at"].dtype == "datetime64[ns]"
    assert shop.quality_summary()[["table", "rows_read", "rows_kept"]].values.tolist() == [["orders", 0, 0], ["reviews", 0, 0]]
    with pytest.raises(LoadError, match="no timestamps in any table"):
        shop.default_as_of()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (ONE_ORDER.encode("utf-16"), "orders.csv: the file is UTF-16 text; save it again as CSV UTF-8 (or GB18030), or as XLSX."),
        (ONE_ORDER.encode("utf-16-le"), "orders.csv: binary content (NUL bytes), not CSV text; re-export the file as CSV UTF-8."),
        (bytes([0x80, 0xFF, 0x81, 0x30, 0xFE]) * 40, "orders.csv: cannot decode the file as UTF-8 or GB18030; re-export it as CSV UTF-8."),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "orders.csv: not a CSV text file but a PNG image."),
        (b"PAR1" + bytes(64), "orders.csv: not a CSV text file but a Parquet file; rename it to .parquet."),
    ],
)
def test_undecodable_csv_is_a_clear_load_error(tmp_path, content, message):
    assert load_error(write_shop(tmp_path, {"orders.csv": content})) == message


def test_workbook_named_csv(tmp_path):
    buf = io.BytesIO()
    pd.DataFrame({"order_id": ["O1"], "paid_at": ["2026-07-01"]}).to_excel(buf, index=False)
    message = load_error(write_shop(tmp_path, {"orders.csv": buf.getvalue()}))
    assert message == "orders.csv: not a CSV text file but an XLSX workbook (ZIP archive); rename it to .xlsx."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("orders.xlsx", b"PK\x03\x04garbage", "orders.xlsx: cannot read the workbook (BadZipFile: File is not a zip file); open it in Excel and save it again as .xlsx, or export CSV UTF-8."),
        ("orders.xlsx", ONE_ORDER.encode(), "orders.xlsx: not an XLSX workbook (no ZIP signature); if it is CSV text, rename it to .csv."),
        ("orders.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "orders.xlsx: an old Excel .xls workbook named .xlsx; save it as .xlsx or CSV UTF-8."),
    ],
)
def test_damaged_workbook_is_wrapped(tmp_path, name, content, message):
    assert load_error(write_shop(tmp_path, {name: content})) == message


def test_damaged_parquet_is_wrapped(tmp_path):
    message = load_error(write_shop(tmp_path, {"orders.parquet": ONE_ORDER}))
    assert message.startswith("orders.parquet: not a readable Parquet file (ArrowInvalid: ")


def test_unbalanced_quote_is_a_load_error(tmp_path):
    message = load_error(write_shop(tmp_path, {"orders.csv": 'order_id,paid_at,product_name\nO1,2026-07-01,"杯子\nO2,2026-07-01,杯子\n'}))
    assert message.startswith("orders.csv: not a well-formed CSV (") and "EOF inside string" in message


def test_missing_shop_folder(tmp_path):
    write_shop(tmp_path, {"orders.csv": ONE_ORDER}, shop="real")
    assert load_error(tmp_path, "nope") == f"{tmp_path / 'nope'}: no such shop folder. Shops under {tmp_path}: real."
    assert load_error(tmp_path / "missing", "nope").endswith("Shops under " + str(tmp_path / "missing") + ": (data root missing).")
    assert load_error(tmp_path, "../real") == "shop id '../real' is not a folder name under the data root."


def test_unknown_files_are_ignored_and_listed(tmp_path):
    files = {"orders.csv": ONE_ORDER, "notes.csv": "foo,bar\n1,2\n", "readme.md": "hi", "old.xls": b"\xd0\xcf\x11\xe0", "~$orders.xlsx": b"x"}
    shop = load(write_shop(tmp_path, files))
    assert list(shop.tables) == ["orders"]
    assert shop.ignored_files()["file"].tolist() == ["old.xls", "readme.md", "~$orders.xlsx", "notes.csv"]
    assert shop.ignored[3]["reason"] == (
        "notes.csv: header row (foo, bar) matches no known export; expected e.g. orders (主订单编号, 支付完成时间) "
        "or im_messages (会话ID, 发送时间, 发送方). See reference/columns.yaml."
    )
    assert shop.ignored[0]["reason"] == "old.xls: file type '.xls' is not read; use CSV (UTF-8 or GB18030), XLSX or Parquet."


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("nmae: x\n", "unknown setting(s) ['nmae']; allowed: ['cutoffs', 'industry', 'name', 'overrides', 'profile', 'remote_area_bonus', 'shop_type', 'weights']."),
        ("shop_type: 超级\n", "shop_type '超级' is not one of ['flagship', 'general', 'non_flagship', '旗舰', '通用', '非旗舰']."),
        ("shop_type: [旗舰]\n", "'shop_type' must be text, got ['旗舰']."),
        ("cutoffs: 5\n", "'cutoffs' must be a mapping, got 5."),
        ("- a\n- b\n", "expected a mapping of settings, got list."),
        ("name: [\n", "not valid YAML (line 2: expected the node content, but found '<stream end>')."),
        ("name: 店铺\n".encode("gb18030"), "not UTF-8 text; save shop.yaml as UTF-8."),
    ],
)
def test_bad_shop_yaml(tmp_path, yaml_text, message):
    root = write_shop(tmp_path, {"orders.csv": ONE_ORDER, "shop.yaml": yaml_text})
    assert load_error(root) == f"{tmp_path / 's1' / 'shop.yaml'}: {message}"


def test_good_shop_yaml_with_bom(tmp_path):
    shop = load(write_shop(tmp_path, {"orders.csv": ONE_ORDER, "shop.yaml": "\ufeffname: 店铺\nshop_type: 非旗舰\nprofile: douyin_2022\n"}))
    assert shop.config == {"name": "店铺", "shop_type": "非旗舰", "profile": "douyin_2022"}


# ---------------------------------------------------------------- rows set aside or warned about
def test_garbage_in_required_and_optional_columns(tmp_path):
    text = ORDERS + (
        "O1,2026-07-01 10:00,10,2026-07-01,0\n"
        "O2,garbage,10,,0\n"
        "O3,2026-13-45 10:00,1,,0\n"
        "O4,-,1,,\n"
        "O5,2026-07-01,abc,yesterday,maybe\n"
    )
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    assert shop.quality_counts() == {"missing_required": 1, "unparseable_optional": 1, "unparseable_required": 2}
    assert reasons(shop.quarantine) == [
        ("orders", "missing_required", "paid_at", 5),
        ("orders", "unparseable_required", "paid_at", 3),
        ("orders", "unparseable_required", "paid_at", 4),
    ]
    assert shop.quarantine["detail"].tolist() == ["paid_at=garbage", "paid_at=2026-13-45 10:00", "paid_at is empty"]
    warning = shop.warnings.iloc[0]
    assert (warning["column"], warning["detail"], warning["source_row"]) == ("created_at", "created_at=yesterday; is_presale=maybe; amount=abc", 6)
    kept = shop.tables["orders"].set_index("order_id")
    assert kept.index.tolist() == ["O1", "O5"]
    assert pd.isna(kept.loc["O5", "amount"]) and pd.isna(kept.loc["O5", "created_at"])
    assert not kept.loc["O5", "is_presale"]  # an unreadable flag takes the neutral value
    assert shop.rejected["orders"]["_reason"].tolist() == ["unparseable_required", "unparseable_required", "missing_required"]
    assert_rows_add_up(shop)


def test_future_timestamps_are_warned_and_do_not_move_the_default_as_of(tmp_path):
    text = ORDERS + "O1,2027-07-01 10:00,10,2027-07-01,0\nO2,2026-07-01 12:00,1,,\n"
    shop = load(write_shop(tmp_path, {"orders.csv": text}), now=pd.Timestamp("2026-12-31"))
    assert shop.quality_counts() == {"future_timestamp": 1}
    assert shop.warnings.iloc[0][["column", "detail", "source_row"]].tolist() == ["paid_at", "paid_at=2027-07-01 10:00:00; created_at=2027-07-01", 2]
    assert len(shop.tables["orders"]) == 2
    assert shop.default_as_of() == pd.Timestamp("2026-07-02")


def test_now_may_be_time_zone_aware(tmp_path):
    text = ORDERS + "O1,2026-07-01 10:00,10,,\n"
    root = write_shop(tmp_path, {"orders.csv": text})
    assert load(root, now=pd.Timestamp("2026-07-01 01:59", tz="UTC")).quality_counts() == {"future_timestamp": 1}
    assert load(root, now=pd.Timestamp("2026-07-01 02:00", tz="UTC")).quality_counts() == {}


def test_impossible_order_of_events(tmp_path):
    files = {
        "orders.csv": ORDERS + "O1,2026-07-01 10:00,10,,\nO1,2026-07-01 09:30,10,,\nO2,2026-07-02 10:00,1,,\n",
        "shipments.csv": "order_id,waybill_no,picked_up_at,signed_at\n"
        "O1,W1,2026-07-01 09:00,2026-07-02\n"  # picked up before the (earliest) payment
        "O1,W1b,2026-07-01 09:30,2026-07-02\n"  # exactly at payment: fine
        "O2,W2,2026-07-02 12:00,2026-07-02 11:00\n"  # signed before pickup
        "O2,W3,2026-07-02 12:00,\n",
        "after_sales.csv": "after_sale_id,order_id,type,applied_at,agreed_at,refunded_at,completed_at\n"
        "A1,O1,仅退款,2026-07-05 10:00,2026-07-05 09:00,,\n"
        "A2,O1,仅退款,2026-07-05 10:00,,2026-07-04,\n"
        "A3,O2,退货退款,2026-07-05 10:00,,,2026-07-05 10:00\n"
        "A4,O2,退货退款,2026-07-05 10:00,,,2026-07-05 09:59:59\n",
    }
    shop = load(write_shop(tmp_path, files))
    assert reasons(shop.quarantine) == [
        ("after_sales", "aftersale_event_before_applied", "agreed_at", 2),
        ("after_sales", "aftersale_event_before_applied", "completed_at", 5),
        ("after_sales", "aftersale_event_before_applied", "refunded_at", 3),
        ("shipments", "picked_up_before_paid", "picked_up_at", 2),
        ("shipments", "signed_before_picked_up", "signed_at", 4),
    ]
    detail = shop.quarantine.set_index("source_file")["detail"]
    assert "picked_up_at 2026-07-01 09:00:00 < paid_at 2026-07-01 09:30:00" in detail.tolist()
    assert shop.tables["shipments"]["waybill_no"].tolist() == ["W1b", "W3"]
    assert shop.tables["after_sales"]["after_sale_id"].tolist() == ["A3"]
    assert_rows_add_up(shop)


def test_duplicates_across_two_files(tmp_path):
    header = "order_id,sub_order_id,paid_at,status\n"
    files = {
        "1768000000_a.csv": header + "O1,O1-1,2026-07-01,已发货\nO1,O1-1,2026-07-01,已发货\nO2,O2-1,2026-07-01,-\n",
        "1768100000_b.csv": header + "O1,O1-1,2026-07-01,已完成\nO2,O2-1,2026-07-01,已完成\nO3,O3-1,2026-07-02,已发货\n",
        "1768200000_c.csv": header + "O2,O2-1,2026-07-01,-\n",
    }
    shop = load(write_shop(tmp_path, files))
    assert shop.quality_counts() == {"duplicate_key": 4}
    assert sorted(shop.quarantine[["source_file", "source_row"]].itertuples(index=False, name=None)) == [
        ("1768000000_a.csv", 2), ("1768000000_a.csv", 3), ("1768000000_a.csv", 4), ("1768200000_c.csv", 2)
    ]
    kept = shop.tables["orders"].set_index("order_id")["status"].to_dict()
    assert kept == {"O1": "已完成", "O2": "已完成", "O3": "已发货"}  # latest export, most complete copy
    assert_rows_add_up(shop)


def test_whole_row_duplicates_where_the_key_is_absent(tmp_path):
    text = "order_id,created_at\nO1,2026-07-01 10:00\nO1,2026-07-01 10:00\nO1,2026-07-01 10:01\n"
    shop = load(write_shop(tmp_path, {"orders.csv": ONE_ORDER, "complaints.csv": text}))
    assert shop.quality_counts() == {"duplicate_key": 1}
    assert shop.quarantine[["column", "detail"]].values.tolist() == [
        ["(whole row)", "same values as another row: order_id=O1, created_at=2026-07-01 10:00:00"]
    ]


def test_orphans_are_kept_and_warned(tmp_path):
    files = {
        "orders.csv": ONE_ORDER,
        "shipments.csv": "order_id,picked_up_at\nO1,2026-07-01 12:00\nO9,2026-07-01 12:00\n",
        "reviews.csv": "order_id,created_at,product_score\nO8,2026-07-05,5\nO1,2026-07-05,4\n",
        "after_sales.csv": "after_sale_id,order_id,type,applied_at\nA1,O7,仅退款,2026-07-02\n",
        "complaints.csv": "order_id,created_at\nO6,2026-07-02\n",
    }
    shop = load(write_shop(tmp_path, files))
    assert shop.quality_counts() == {"orphan": 4}
    assert reasons(shop.warnings) == [
        ("after_sales", "orphan", "order_id", 2), ("complaints", "orphan", "order_id", 2),
        ("reviews", "orphan", "order_id", 2), ("shipments", "orphan", "order_id", 3),
    ]
    assert {t: len(f) for t, f in shop.tables.items()} == {"after_sales": 1, "complaints": 1, "orders": 1, "reviews": 2, "shipments": 2}


def test_no_orphan_warnings_without_an_orders_export(tmp_path):
    shop = load(write_shop(tmp_path, {"reviews.csv": "order_id,created_at,product_score\nO8,2026-07-05,5\n"}))
    assert shop.quality_counts() == {}


def test_scores_out_of_range(tmp_path):
    text = "order_id,created_at,product_score,logistics_score\nO1,2026-07-01,0,\nO2,2026-07-01,6,\nO3,2026-07-01,4.5,\nO4,2026-07-01,5,\nO5,2026-07-01,5星,\nO6,2026-07-01,3,9\n"
    shop = load(write_shop(tmp_path, {"reviews.csv": text}))
    assert shop.quality_counts() == {"score_out_of_range": 4}
    assert shop.quarantine["detail"].tolist() == ["product_score=0.0", "product_score=6.0", "product_score=4.5", "logistics_score=9.0"]
    assert shop.tables["reviews"]["product_score"].tolist() == [5.0, 5.0]


def test_huge_numbers_and_long_ids(tmp_path):
    text = "order_id,paid_at,amount,buyer_id\n123456789012345678901234567890,2026-07-01,1e30,'000123\n"
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    row = shop.tables["orders"].iloc[0]
    assert row["order_id"] == "123456789012345678901234567890"
    assert row["amount"] == 1e30
    assert row["buyer_id"] == "000123"  # leading zeros kept
    assert shop.quality_counts() == {}


def test_mixed_time_zones_in_one_file(tmp_path):
    text = "session_id,sent_at,sender_role\nS1,2026-07-01T01:00:00Z,buyer\nS1,2026-07-01 09:00:30,agent\nS1,2026-07-01 09:01:00+08:00,buyer\nS1,2026-07-01T01:01:30.000+00:00,客服\n"
    shop = load(write_shop(tmp_path, {"im_messages.csv": text}))
    assert shop.tables["im_messages"]["sent_at"].tolist() == [
        pd.Timestamp("2026-07-01 09:00:00"), pd.Timestamp("2026-07-01 09:00:30"), pd.Timestamp("2026-07-01 09:01:00"), pd.Timestamp("2026-07-01 09:01:30")
    ]
    assert shop.quality_counts() == {}


def test_embedded_newline_in_a_quoted_field_is_one_row(tmp_path):
    text = 'session_id,sent_at,sender_role,content\nS1,2026-07-01 09:00,buyer,"第一行\n第二行, 还有逗号"\nS1,2026-07-01 09:01,agent,好的\n'
    shop = load(write_shop(tmp_path, {"im_messages.csv": text}))
    m = shop.tables["im_messages"]
    assert m["content"].tolist() == ["第一行\n第二行, 还有逗号", "好的"]
    assert m["_source_row"].tolist() == [2, 3]


def test_unknown_sender_role(tmp_path):
    text = "session_id,sent_at,sender_role\nS1,2026-07-01 09:00,buyer\nS1,2026-07-01 09:01,大王\nS1,2026-07-01 09:02,-\n"
    shop = load(write_shop(tmp_path, {"im_messages.csv": text}))
    assert reasons(shop.quarantine) == [("im_messages", "missing_required", "sender_role", 4), ("im_messages", "unknown_code", "sender_role", 3)]
    assert shop.quarantine.set_index("reason").loc["unknown_code", "detail"] == "sender_role=大王"
    assert shop.rejected["im_messages"]["sender_role_raw"].tolist() == ["大王", pd.NA]


def test_blank_after_sale_type_is_missing_not_other(tmp_path):
    text = "after_sale_id,order_id,type,applied_at\nA1,O1,,2026-07-02\nA2,O1,补寄,2026-07-02\n"
    shop = load(write_shop(tmp_path, {"after_sales.csv": text}))
    assert reasons(shop.quarantine) == [("after_sales", "missing_required", "type", 2)]
    assert shop.tables["after_sales"]["type"].tolist() == ["other"]


def test_row_with_more_cells_than_the_header(tmp_path):
    text = "order_id,paid_at,product_name\nO1,2026-07-01,杯子\nO2,2026-07-01,杯子,大号\nO3,2026-07-01,杯子,\n"
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    assert reasons(shop.quarantine) == [("orders", "malformed_row", "", 3)]
    assert shop.quarantine["detail"].tolist() == ["more cells than the header has columns"]
    assert shop.tables["orders"]["order_id"].tolist() == ["O1", "O3"]  # a trailing empty cell is harmless


def test_row_with_fewer_cells_than_the_header_is_truncated(tmp_path):
    shop = load(write_shop(tmp_path, {"orders.csv": "order_id,paid_at,amount\nO1,2026-07-01\nO2\nO3,2026-07-01,\n"}))
    assert reasons(shop.quarantine) == [("orders", "truncated_row", "", 2), ("orders", "truncated_row", "", 3)]
    assert shop.tables["orders"]["order_id"].tolist() == ["O3"]  # a trailing empty cell is a cell
    assert_rows_add_up(shop)


# ---------------------------------------------------------------- the contract itself
def test_quarantine_frame_shape_when_empty(tmp_path):
    shop = load(write_shop(tmp_path, {"orders.csv": ONE_ORDER}))
    assert list(shop.quarantine.columns) == QUARANTINE_COLUMNS and shop.quarantine.empty
    assert list(shop.warnings.columns) == QUARANTINE_COLUMNS and shop.warnings.empty
    assert shop.quality_counts() == {} and shop.rejected == {}


def test_validate_tables_refuses_a_frame_without_a_required_column():
    with pytest.raises(LoadError, match=r"table orders: required column\(s\) \['paid_at'\] absent"):
        validate_tables({"orders": pd.DataFrame({"order_id": ["O1"]})}, pd.DataFrame(columns=["table", "row", "column", "raw"]))


@pytest.mark.parametrize("table", ["reviews", "im_messages", "im_sessions", "orders"])
def test_vectorised_contract_equals_the_pandera_schema(table):
    rng = np.random.default_rng(7)
    n = 200
    frame = {}
    for name, col in TABLES[table].columns.items():
        if col.type == "score":
            frame[name] = pd.Series(rng.choice([1, 2, 3, 4, 5, 0, 6, 4.5, np.nan], n), dtype="float64")
        elif name == "sender_role":
            frame[name] = pd.Series(rng.choice(["buyer", "agent", "robot", "system", "robot_assist", "boss", None], n), dtype="string")
        elif col.type == "datetime":
            frame[name] = pd.Series(rng.choice([pd.Timestamp("2026-07-01"), pd.Timestamp("1970-01-01"), pd.NaT], n), dtype="datetime64[ns]")
        else:
            frame[name] = pd.Series(rng.choice(["x", None], n, p=[0.9, 0.1]), dtype="string")
    frame = pd.DataFrame(frame)
    problems = pd.DataFrame({"row": pd.Series(dtype="int64"), "column": pd.Series(dtype="string"), "raw": pd.Series(dtype="string")})
    flagged = set()
    for reason, column, mask, _ in contract_checks(table, frame, problems):
        flagged |= {(int(i), column, reason) for i in frame.index[np.asarray(mask, dtype=bool)]}
    pandera = set(contract_failures(table, frame).itertuples(index=False, name=None))
    assert flagged == pandera


def test_parse_table_reports_cell_problems_per_row():
    frame = pd.DataFrame({"order_id": ["O1", "O2"], "paid_at": ["2026-07-01", "soon"], "amount": ["¥3", "lots"], "_source_file": "f.csv", "_source_row": [2, 3]})
    typed, problems = parse_table("orders", frame)
    assert problems[["row", "column", "raw"]].values.tolist() == [[1, "paid_at", "soon"], [1, "amount", "lots"]]
    assert typed["amount"].tolist()[0] == 3.0


def test_quarantine_contracts_of_one_table():
    from shopscore_nb.validation import quarantine_contracts

    frame = pd.DataFrame(
        {"order_id": pd.array(["O1", "O1", None], dtype="string"), "created_at": pd.to_datetime(["2026-07-01", "2026-07-01", "2026-07-02"]),
         "product_score": [5.0, 5.0, 7.0], "review_id": pd.array(["R1", "R1", "R2"], dtype="string"), "_source_file": "r.csv", "_source_row": [2, 3, 4]}
    )
    kept, records = quarantine_contracts("reviews", frame, pd.DataFrame(columns=["row", "column", "raw"]))
    assert kept["_source_row"].tolist() == [3]  # the later of two identical rows is kept
    assert sorted((r, s) for rec in records for r, s in zip(rec["reason"], rec["source_row"], strict=True)) == [
        ("duplicate_key", 2), ("missing_required", 4)
    ]


def test_quality_summary_counts_blank_rows(tmp_path):
    shop = load(write_shop(tmp_path, {"orders.csv": "order_id,paid_at\nO1,2026-07-01\n,\n-,\n"}))
    row = shop.quality_summary().iloc[0]
    assert (row["rows_read"], row["rows_kept"], row["quarantined"], row["blank_rows"]) == (2, 1, 1, 1)
    assert shop.rejected["orders"]["_reason"].tolist() == ["missing_required"]
