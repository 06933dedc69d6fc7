"""Issue 9, "no wrong number passes silently": each hostile input of the issue, with its exact shape.

A file that is recognisably an export never vanishes, an ID that went through a spreadsheet number
is refused, cut or doubled cells and columns are never used silently, and values no one should
trust (negative money, 1970 times, a numeric flag, a repeated shop.yaml key) are set aside visibly.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from shopscore_nb import LoadError, load_shop
from shopscore_nb.cli import main
from shopscore_nb.report import build_report

EXPORTS = Path(__file__).parent / "fixtures" / "loading" / "export_shop"
NOW = pd.Timestamp("2026-12-31")
ORDERS = "主订单编号,支付完成时间,订单应付金额\n"


def export_header(name: str) -> list[str]:
    """The header row of one of the real export layouts in ``fixtures/loading/export_shop``."""
    return next(csv.reader(io.StringIO((EXPORTS / name).read_text(encoding="utf-8-sig"))))


def csv_text(header: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[row.get(h, "-") for h in header] for row in rows])
    return buf.getvalue()


def write_shop(root: Path, files: dict[str, str | bytes], shop: str = "s1") -> Path:
    folder = root / shop
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def load(root: Path, shop: str = "s1"):
    return load_shop(root, shop, now=NOW)


def load_error(root: Path, shop: str = "s1") -> str:
    with pytest.raises(LoadError) as err:
        load(root, shop)
    return str(err.value)


def rows_add_up(shop) -> bool:
    summary = shop.quality_summary()
    return bool((summary["rows_read"] == summary["rows_kept"] + summary["quarantined"]).all())


# ---------------------------------------------------------------- 6. a file skipped because of its name
def drifted_orders(old: str, new: str, n: int = 43) -> str:
    """The 75-column 订单导出 with one header drifted, ``n`` orders."""
    header = [new if h == old else h for h in export_header("1768222209_ab12cd.csv")]
    rows = [{new if k == "主订单编号" else k: v for k, v in
             {"主订单编号": f"\t69310000000{i:08d}", "子订单编号": f"\t69310000001{i:08d}", "选购商品": "保温杯",
              "支付完成时间": f"2026-07-{1 + i % 28:02d} 10:00:00", "订单应付金额": "99.00", "订单状态": "已完成"}.items()}
            for i in range(n)]
    if old == "支付完成时间":
        rows = [{new if k == old else k: v for k, v in row.items()} for row in rows]
    return csv_text(header, rows)


@pytest.mark.parametrize(("old", "new", "column"), [("主订单编号", "订单编码", "order_id"), ("支付完成时间", "支付成功时间", "paid_at")])
def test_a_drifted_order_export_is_the_same_load_error_whatever_its_name(tmp_path, old, new, column):
    text = drifted_orders(old, new)
    by_backend_name = load_error(write_shop(tmp_path / "a", {"1793236643_9f3e21.csv": text}))
    by_table_name = load_error(write_shop(tmp_path / "b", {"订单导出_20260901.csv": text}))
    assert by_backend_name.startswith(f"1793236643_9f3e21.csv: looks like the orders export but lacks required column '{column}' (accepted headers: {column}, ")
    assert by_backend_name.replace("1793236643_9f3e21.csv", "订单导出_20260901.csv") == by_table_name


@pytest.mark.parametrize(
    ("fixture", "old", "new", "table", "column"),
    [("1768222310_ef34gh.csv", "售后单号", "售后单编号", "after_sales", "after_sale_id"),
     ("1768222400_feige.csv", "发送方", "发送人", "im_messages", "sender_role")],
)
def test_any_recognisable_export_lacking_a_required_column_is_a_load_error(tmp_path, fixture, old, new, table, column):
    header, *body = list(csv.reader(io.StringIO((EXPORTS / fixture).read_text(encoding="utf-8-sig"))))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([[new if h == old else h for h in header], *body])
    message = load_error(write_shop(tmp_path, {"1793236643_9f3e21.csv": buf.getvalue()}))
    assert message.startswith(f"1793236643_9f3e21.csv: looks like the {table} export but lacks required column '{column}' (accepted headers: {column}, {old}")


def test_a_file_that_only_resembles_an_export_is_skipped_visibly(tmp_path, capsys):
    # a 结算账单 shares 5 of the 16 order columns: not an order export, but never dropped silently
    files = {"1768222500_settle.csv": (EXPORTS / "1768222500_settle.csv").read_bytes(), "orders.csv": ORDERS + "O1,2026-07-01 10:00:00,10\n"}
    root = write_shop(tmp_path, files)
    shop = load(root)
    assert [f["file"] for f in shop.ignored] == ["1768222500_settle.csv"]
    assert shop.quality_counts() == {"skipped_file": 1}
    report = build_report(shop, as_of="2026-07-02").to_json()
    assert report["data_quality"] == {"skipped_file": 1}
    assert report["skipped_files"] == [{"file": "1768222500_settle.csv", "reason": shop.ignored[0]["reason"]}]
    assert report["skipped_files"][0]["reason"].startswith("1768222500_settle.csv: looks like the orders export but lacks")
    assert main(["validate", str(root), "--shop", "s1", "--json"]) == 0
    validated = json.loads(capsys.readouterr().out)["s1"]
    assert validated["ignored_files"] == shop.ignored and validated["data_quality"] == {"skipped_file": 1}
    assert main(["metrics", str(root), "--shop", "s1", "--as-of", "2026-07-02", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["data_quality"]["skipped_file"] == 1 and metrics["skipped_files"][0]["file"] == "1768222500_settle.csv"


# ---------------------------------------------------------------- 8. IDs mangled by Excel
def test_numeric_order_ids_in_a_workbook_are_refused(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["主订单编号", "支付完成时间", "订单应付金额"])
    book.active.append([6931000000006470368, "2026-07-01 10:00:00", 10])  # read back as 6931000000006470656
    book.active.append([6931000000006470369, "2026-07-01 11:00:00", 10])
    (tmp_path / "s1").mkdir()
    book.save(tmp_path / "s1" / "订单导出.xlsx")
    message = load_error(tmp_path)
    assert message.startswith("订单导出.xlsx: column '主订单编号' (order_id) holds IDs that went through a spreadsheet number "
                              "(sheet 'Sheet', row 2: 6931000000006470656), so their last digits are lost.")
    assert "文本" in message and "CSV" in message


def test_e_notation_ids_in_a_csv_are_refused(tmp_path):
    # the backend CSV opened in Excel and saved again: the shipments' order IDs became 6.931E+18
    files = {"物流包裹明细.csv": "订单号,快递单号,揽收时间\n\t6931000000006470368,SF1,2026-07-02 10:00:00\n6.931E+18,SF2,2026-07-02 11:00:00\n"}
    message = load_error(write_shop(tmp_path, files))
    assert message.startswith("物流包裹明细.csv: column '订单号' (order_id) holds IDs that went through a spreadsheet number (row 3: '6.931E+18')")


def test_float_ids_in_parquet_are_refused(tmp_path):
    frame = pd.DataFrame({"order_id": [6931000000006470368.0], "paid_at": ["2026-07-01 10:00:00"]})
    folder = tmp_path / "s1"
    folder.mkdir()
    frame.to_parquet(folder / "orders.parquet", index=False)
    assert load_error(tmp_path).startswith("orders.parquet: column 'order_id' (order_id) holds IDs that went through a spreadsheet number (row 2: ")


def test_short_numeric_ids_and_text_ids_in_a_workbook_still_load(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["主订单编号", "子订单编号", "支付完成时间"])
    book.active.append(["6931000000006470368", 123456, "2026-07-01 10:00:00"])
    (tmp_path / "s1").mkdir()
    book.save(tmp_path / "s1" / "订单导出.xlsx")
    orders = load(tmp_path).tables["orders"]
    assert orders[["order_id", "sub_order_id"]].values.tolist() == [["6931000000006470368", "123456"]]


# ---------------------------------------------------------------- 9. short rows
def test_a_row_cut_mid_download_is_quarantined_as_truncated(tmp_path):
    text = ORDERS + "O1,2026-07-01 10:00:00,10\nO2,2026-07-01 11:00:00\nO3,2026-07-01 12:00:00,\nO4,2026-07-0"
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    q = shop.quarantine
    assert q[["reason", "source_file", "source_row"]].values.tolist() == [["truncated_row", "orders.csv", 3], ["truncated_row", "orders.csv", 5]]
    assert q["detail"].tolist() == ["fewer cells than the header has columns"] * 2
    assert shop.tables["orders"]["order_id"].tolist() == ["O1", "O3"]  # "O3,…," ends with an empty cell: not short
    assert rows_add_up(shop) and shop.quality_counts() == {"truncated_row": 2}


def test_short_rows_counted_by_records_not_lines(tmp_path):
    # a quoted cell spanning two lines, GB18030, tab-separated: the short row is still row 4
    text = "主订单编号\t支付完成时间\t选购商品\t省\nO1\t2026-07-01 10:00:00\t\"杯子\n大号\"\t广东\nO2\t2026-07-01\t杯子\t\nO3\t2026-07-02\t杯子\n"
    shop = load(write_shop(tmp_path, {"orders.tsv": text.encode("gb18030")}))
    assert shop.quarantine[["reason", "source_row"]].values.tolist() == [["truncated_row", 4]]
    assert shop.tables["orders"]["product_name"].tolist() == ["杯子\n大号", "杯子"]


# ---------------------------------------------------------------- 10. duplicated header columns
def test_a_second_identical_order_id_column_is_a_load_error(tmp_path):
    text = "主订单编号,支付完成时间,订单应付金额,主订单编号\nO1,2026-07-01 10:00:00,10,999\nO2,2026-07-01 11:00:00,20,999\n"
    message = load_error(write_shop(tmp_path, {"orders.csv": text}))
    assert message == (
        "orders.csv: the header has '主订单编号' (order_id) 2 times, in columns A and D; "
        "delete or rename the extra column(s) so that one value is read."
    )


def test_a_conflicting_second_paid_at_column_is_a_load_error(tmp_path):
    text = "主订单编号,支付完成时间,支付完成时间\nO1,2026-07-01 10:00:00,2026-07-09 10:00:00\n"
    assert "the header has '支付完成时间' (paid_at) 2 times, in columns B and C" in load_error(write_shop(tmp_path, {"orders.csv": text}))


def test_two_aliases_of_a_key_column_must_agree(tmp_path):
    text = "主订单编号,订单编号,支付完成时间\nO1,O1,2026-07-01 10:00:00\nO2,O999,2026-07-01 11:00:00\n"
    message = load_error(write_shop(tmp_path, {"orders.csv": text}))
    assert message == (
        "orders.csv: columns '主订单编号' (A) and '订单编号' (B) both give order_id but disagree (row 3: 'O2' vs 'O999'); delete the wrong column."
    )
    agreeing = "主订单编号,订单编号,支付完成时间,支付时间\n\tO1,O1,2026-07-01 10:00:00,2026/07/01 10:00\n"
    shop = load(write_shop(tmp_path / "ok", {"orders.csv": agreeing}))
    assert shop.tables["orders"]["order_id"].tolist() == ["O1"] and shop.quality_counts() == {}


def test_two_aliases_of_amount_keep_the_documented_precedence(tmp_path):
    text = "主订单编号,支付完成时间,商品金额,订单应付金额\nO1,2026-07-01 10:00:00,120,99\n"
    assert load(write_shop(tmp_path, {"orders.csv": text})).tables["orders"]["amount"].tolist() == [99.0]


# ---------------------------------------------------------------- 11. values users would question
def test_negative_amount_is_emptied_and_warned(tmp_path):
    shop = load(write_shop(tmp_path, {"orders.csv": ORDERS + "O1,2026-07-01 10:00:00,-129.00\nO2,2026-07-01 11:00:00,30\n"}))
    orders = shop.tables["orders"]
    assert orders["order_id"].tolist() == ["O1", "O2"]  # the order itself is real
    assert pd.isna(orders["amount"].iloc[0]) and orders["amount"].iloc[1] == 30.0
    assert shop.warnings[["reason", "column", "detail", "source_row"]].values.tolist() == [["negative_amount", "amount", "amount=-129.0", 2]]


def test_timestamps_before_2016_are_never_used(tmp_path):
    files = {
        "orders.csv": "主订单编号,支付完成时间,发货时间\nO1,1970-01-01 08:00:00,2026-07-02\nO2,2026-07-01 10:00:00,1970-01-01 08:00:00\n",
        "售后单导出.csv": "售后单号,订单号,售后类型,售后申请时间,同意售后申请时间\nA1,O2,仅退款,2026-07-03 10:00:00,1970-01-01 08:00:00\n",
    }
    shop = load(write_shop(tmp_path, files))
    assert shop.quarantine[["table", "reason", "column", "detail"]].values.tolist() == [
        ["orders", "implausible_timestamp", "paid_at", "paid_at=1970-01-01 08:00:00"]
    ]
    assert sorted(shop.warnings[["table", "reason", "column"]].itertuples(index=False, name=None)) == [
        ("after_sales", "implausible_timestamp", "agreed_at"), ("orders", "implausible_timestamp", "shipped_at")
    ]
    assert shop.tables["orders"]["shipped_at"].isna().all()
    assert shop.tables["after_sales"]["after_sale_id"].tolist() == ["A1"]  # not "agreed before applied"
    assert rows_add_up(shop)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("remote_area_bonus: -100\n", "'remote_area_bonus' must be true/false, got -100."),
        ("remote_area_bonus: 1\n", "'remote_area_bonus' must be true/false, got 1."),
        ("name: 甲店\nprofile: douyin_2022\nname: 乙店\n", "not valid YAML (line 3: key 'name' is given twice (first on line 1); keep one)."),
        ("cutoffs:\n  logistics: 4.5\n  logistics: 4.8\n", "not valid YAML (line 3: key 'logistics' is given twice (first on line 2); keep one)."),
    ],
)
def test_shop_yaml_values_that_would_mislead(tmp_path, yaml_text, message):
    root = write_shop(tmp_path, {"orders.csv": ORDERS + "O1,2026-07-01 10:00:00,10\n", "shop.yaml": yaml_text})
    assert load_error(root) == f"{tmp_path / 's1' / 'shop.yaml'}: {message}"


# ---------------------------------------------------------------- 12. layouts the loader must read
def test_workbook_with_a_cover_page_first(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["评价导出说明"])
    book.active.append(["本文件由抖店后台导出，数据截至 2026-07-31"])
    data = book.create_sheet("评价")
    data.append(["评价日期", "订单ID", "商品评价得分", "评价内容"])
    data.append(["2026-07-09 20:00:00", "6917000000000000001", "5", "很好"])
    (tmp_path / "s1").mkdir()
    book.save(tmp_path / "s1" / "1793236643_9f3e21.xlsx")
    shop = load(tmp_path)
    assert shop.tables["reviews"]["order_id"].tolist() == ["6917000000000000001"]
    assert shop.files == [{"file": "1793236643_9f3e21.xlsx", "table": "reviews", "rows": 1, "blank_rows": 0, "sheet": "评价"}]


def test_semicolon_separated_csv(tmp_path):
    text = "主订单编号;支付完成时间;选购商品;订单应付金额\nO1;2026-07-01 10:00:00;杯子, 大号;12.50\nO2;2026-07-01 11:00:00;杯子;12,50\n"
    shop = load(write_shop(tmp_path, {"1793236643_9f3e21.csv": text}))
    orders = shop.tables["orders"]
    assert orders["product_name"].tolist() == ["杯子, 大号", "杯子"]
    # "12,50" is a decimal comma, not a thousands separator: emptied and warned, never read as 1250
    assert orders["amount"].tolist()[0] == 12.5 and pd.isna(orders["amount"].iloc[1])
    assert shop.warnings[["reason", "detail"]].values.tolist() == [["unparseable_optional", "amount=12,50"]]


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"\xef\xbb\xbf" + "主订单编号,支付完成时间\nO1,2026-07-01 10:00:00\n".encode("gbk"), 1),
        (b"\xef\xbb\xbf" + "主订单编号,支付完成时间,选购商品\nO1,2026-07-01,杯子\n".encode() + "O2,2026-07-01,保温杯\n".encode("gbk"), 3),
    ],
)
def test_gbk_bytes_behind_a_utf8_bom_name_the_line(tmp_path, content, line):
    message = load_error(write_shop(tmp_path, {"orders.csv": content}))
    assert message.startswith(f"orders.csv: starts with a UTF-8 byte-order mark but line {line} is not UTF-8 (byte 0x")
    assert message.endswith("the file mixes encodings (GBK/GB18030 text after a UTF-8 BOM?). Re-export it as CSV UTF-8.")
