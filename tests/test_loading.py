"""Every export quirk of SPEC §3 / domain-rules.md §5, on small hand-written files."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from shopscore_nb import load_shop
from shopscore_nb.loading import parse_datetimes, parse_ids, parse_numbers, parse_table, read_table_file
from shopscore_nb.schema import match_table, resolve_header, table_by_name

FIXTURES = Path(__file__).parent / "fixtures" / "loading"
NOW = pd.Timestamp("2026-12-31")
ORDERS_CSV = "order_id,paid_at,amount\nO1,2026-07-01 10:00:00,10\nO2,2026-07-02 11:00:00,20\n"


def write_shop(root: Path, files: dict[str, str | bytes | pd.DataFrame], shop: str = "s1", encoding: str = "utf-8") -> Path:
    """A data root with one shop folder holding ``files`` (text, raw bytes, or a frame → by suffix)."""
    folder = root / shop
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, pd.DataFrame):
            if name.endswith(".parquet"):
                content.to_parquet(path, index=False)
            else:
                content.to_excel(path, index=False)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode(encoding))
    return root


def load(root: Path, shop: str = "s1", now=NOW):
    return load_shop(root, shop, now=now)


# ---------------------------------------------------------------- encodings and formats
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_with_chinese_headers(tmp_path, encoding):
    text = "主订单编号,支付完成时间,选购商品,省\n6917000000000000001,2026-07-01 10:00:00,保温杯 500ml,广东\n"
    shop = load(write_shop(tmp_path, {"orders.csv": text}, encoding=encoding))
    orders = shop.tables["orders"]
    assert orders["order_id"].tolist() == ["6917000000000000001"]
    assert orders["product_name"].tolist() == ["保温杯 500ml"]
    assert orders["province"].tolist() == ["广东"]
    assert orders["paid_at"].tolist() == [pd.Timestamp("2026-07-01 10:00:00")]


def test_xlsx_with_typed_cells(tmp_path):
    frame = pd.DataFrame(
        {"主订单编号": ["6917000000000000001", "6917000000000000002"], "支付完成时间": [pd.Timestamp("2026-07-01 10:00"), pd.Timestamp("2026-07-02 08:30:15")],
         "订单应付金额": [12.5, 3], "子订单编号": [123456, 654321]}
    )
    shop = load(write_shop(tmp_path, {"1768222209_x.xlsx": frame}))
    orders = shop.tables["orders"]
    assert orders["order_id"].tolist() == ["6917000000000000001", "6917000000000000002"]
    assert orders["paid_at"].tolist() == [pd.Timestamp("2026-07-01 10:00"), pd.Timestamp("2026-07-02 08:30:15")]
    assert orders["amount"].tolist() == [12.5, 3.0]
    assert orders["sub_order_id"].tolist() == ["123456", "654321"]  # numeric cells: no ".0"
    assert orders["_source_row"].tolist() == [2, 3]


def test_xlsx_title_line_above_header(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["订单导出 2026-07-01 至 2026-07-31"])
    book.active.append(["主订单编号", "支付完成时间"])
    book.active.append(["O1", "2026-07-01 10:00:00"])
    folder = tmp_path / "s1"
    folder.mkdir()
    book.save(folder / "export.xlsx")
    shop = load(tmp_path)
    assert shop.tables["orders"]["order_id"].tolist() == ["O1"]
    assert shop.tables["orders"]["_source_row"].tolist() == [3]


def test_parquet_typed_and_text_columns(tmp_path):
    frame = pd.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "paid_at": pd.to_datetime(["2026-07-01 02:00:00", "2026-07-01 03:00:00"]).tz_localize("UTC"),
            "amount": [1.5, 2.0],
            "is_presale": [True, False],
            "created_at": ["2026/07/01 09:00", "2026-07-01 10:59:59"],
            "sub_order_id": [11, 21],
        }
    )
    shop = load(write_shop(tmp_path, {"1768222209_ab12.parquet": frame}))
    orders = shop.tables["orders"]
    assert orders["paid_at"].tolist() == [pd.Timestamp("2026-07-01 10:00:00"), pd.Timestamp("2026-07-01 11:00:00")]
    assert orders["paid_at"].dtype == "datetime64[ns]"
    assert orders["created_at"].tolist() == [pd.Timestamp("2026-07-01 09:00"), pd.Timestamp("2026-07-01 10:59:59")]
    assert orders["is_presale"].tolist() == [True, False]
    assert orders["sub_order_id"].tolist() == ["11", "21"]
    assert orders["_source_row"].tolist() == [2, 3]


# ---------------------------------------------------------------- matching files to tables
def test_match_by_header_with_unrelated_file_name(tmp_path):
    shop = load(write_shop(tmp_path, {"1768222209_ab12.csv": "会话ID,发送时间,发送方\nS1,2026-07-01 09:00:00,买家\n"}))
    assert list(shop.tables) == ["im_messages"]
    assert shop.files == [{"file": "1768222209_ab12.csv", "table": "im_messages", "rows": 1, "blank_rows": 0}]


def test_match_by_file_name_when_the_header_alone_is_ambiguous(tmp_path):
    # order_id + created_at + product_id: a complaints file by its name; unnamed, it resembles orders
    text = "order_id,created_at,product_id\nO1,2026-07-03 10:00:00,P1\n"
    shop = load(write_shop(tmp_path, {"complaints_2026-07.csv": text, "orders.csv": ORDERS_CSV}))
    assert shop.tables["complaints"]["order_id"].tolist() == ["O1"]
    shop = load(write_shop(tmp_path / "b", {"1768222209_ab12.csv": text, "orders.csv": ORDERS_CSV}))
    assert "complaints" not in shop.tables
    assert shop.ignored[0]["reason"].startswith("1768222209_ab12.csv: looks like the orders export but lacks required column 'paid_at'")


@pytest.mark.parametrize(
    ("stem", "table"),
    [("orders", "orders"), ("orders_part2", "orders"), ("售后单导出(1)", "after_sales"), ("im_sessions", "im_sessions"),
     ("im_messages_0701", "im_messages"), ("评价导出_20260731", "reviews"), ("ordersx", None), ("1768222209_ab12", None)],
)
def test_table_by_file_name(stem, table):
    assert table_by_name(stem) == table


def test_message_log_without_sender_column_is_not_taken_for_sessions():
    assert match_table(["会话ID", "发送时间", "消息ID"]) is None
    assert match_table(["会话ID", "发送时间", "发送方", "消息ID"]) == "im_messages"
    assert match_table(["会话ID", "转人工时间", "评价星级"]) == "im_sessions"


def test_alias_order_decides_between_two_headers_of_one_column():
    # the 75-column export has 商品金额 (item price) before 订单应付金额 (what the order costs)
    mapping = resolve_header("orders", ["主订单编号", "商品金额", "支付完成时间", "订单应付金额"])
    assert mapping == {"主订单编号": "order_id", "支付完成时间": "paid_at", "订单应付金额": "amount"}


def test_title_line_above_csv_header(tmp_path):
    text = "订单导出,导出时间：2026-08-01\n主订单编号,支付完成时间\nO1,2026-07-01 10:00:00\nO2,2026-07-01 11:00:00\n"
    shop = load(write_shop(tmp_path, {"1768222209_ab12.csv": text}))
    assert shop.tables["orders"]["order_id"].tolist() == ["O1", "O2"]
    assert shop.tables["orders"]["_source_row"].tolist() == [3, 4]


def test_tsv_export(tmp_path):
    shop = load(write_shop(tmp_path, {"orders.tsv": "主订单编号\t支付完成时间\nO1\t2026-07-01 10:00:00\n"}))
    assert shop.tables["orders"]["order_id"].tolist() == ["O1"]


# ---------------------------------------------------------------- the real export layouts
@pytest.fixture(scope="module")
def export_shop():
    return load_shop(FIXTURES, "export_shop", now=pd.Timestamp("2026-08-01"))


def test_export_shop_files_matched_by_header(export_shop):
    assert {f["file"]: f["table"] for f in export_shop.files} == {
        "1768222209_ab12cd.csv": "orders",
        "1768222310_ef34gh.csv": "after_sales",
        "1768222400_feige.csv": "im_messages",
        "评价导出_20260731.xlsx": "reviews",
    }
    assert [f["file"] for f in export_shop.ignored] == ["1768222500_settle.csv"]
    assert export_shop.config == {"name": "示例旗舰店", "industry": "日用百货", "shop_type": "旗舰"}
    assert export_shop.quality_counts() == {"skipped_file": 1}  # the 结算账单: listed and counted, not loaded


def test_orders_75_column_export(export_shop):
    orders = export_shop.tables["orders"]
    assert orders["order_id"].tolist() == ["6917000000000000001"] * 2 + ["6917000000000000002", "6917000000000000003"]
    assert orders["sub_order_id"].tolist() == ["6917000000000000011", "6917000000000000012", "6917000000000000021", "6917000000000000031"]
    assert orders["amount"].tolist() == [1299.0, 20.0, 258.0, 99.0]  # 订单应付金额, ¥1,299.00 as text
    assert orders["paid_at"].tolist() == [pd.Timestamp(t) for t in ["2026-07-01 10:01:02"] * 2 + ["2026-07-02 09:05", "2026-07-03 21:15:30"]]
    assert orders["promised_ship_at"].isna().tolist() == [False, True, True, True]  # "-" is empty
    assert orders["shipped_at"].isna().tolist() == [False, False, True, False]
    assert orders["product_id"].tolist() == ["3600000000000000001", "3600000000000000002", "3600000000000000003", "3600000000000000001"]
    assert orders["product_name"].tolist()[1] == "杯套（赠品）"
    assert orders["status"].tolist() == ["已完成", "已完成", "已关闭", "已发货"]
    assert orders["order_id"].nunique() == 3  # several sub-order rows per order, all kept


def test_after_sales_50_column_export(export_shop):
    t = export_shop.tables["after_sales"]
    assert t["after_sale_id"].tolist() == ["7010000000000000001", "7010000000000000002", "7010000000000000003"]
    assert t["order_id"].tolist() == ["6917000000000000001", "6917000000000000002", "6917000000000000003"]
    assert t["sub_order_id"].tolist() == ["6917000000000000011", "6917000000000000021", "6917000000000000031"]
    assert t["type"].tolist() == ["return_refund", "refund_only", "exchange"]
    assert t["type_raw"].tolist() == ["退货退款", "仅退款", "换货"]
    assert t["shipped_before_apply"].tolist() == [True, False, True]
    assert t["refund_amount"].tolist()[:2] == [1299.0, 258.0]
    assert t["applied_at"].tolist()[1] == pd.Timestamp("2026-07-02 10:00")
    assert t["reason"].tolist() == ["质量问题", "不想要了", "做工粗糙"]
    assert t["status"].tolist()[0] == "同意退款，退款成功"
    assert t["liable_party"].isna().all()


def test_review_export_workbook(export_shop):
    r = export_shop.tables["reviews"]
    assert r["order_id"].tolist() == ["6917000000000000001", "6917000000000000003"]
    assert r["product_score"].tolist() == [5.0, 2.0]
    assert r["created_at"].tolist() == [pd.Timestamp("2026-07-09 20:00:00"), pd.Timestamp("2026-07-10 08:30:00")]
    assert r["content"].tolist() == ["很好用", "漏水"]
    assert r["_source_row"].tolist() == [3, 4]  # a title line above the header


def test_feige_message_log(export_shop):
    m = export_shop.tables["im_messages"]
    assert m["sender_role"].tolist() == ["system", "buyer", "robot", "buyer", "agent", "robot_assist"]
    assert m["sender_role_raw"].tolist() == ["系统", "用户", "机器人", "买家", "客服", "此消息由机器人自动回复"]
    assert m["content"].tolist()[4] == "您好,我是客服小王\n请问有什么可以帮您?"  # quoted newline and comma: one row
    assert m["_source_row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert m["agent_id"].tolist()[4] == "小王"


# ---------------------------------------------------------------- cell quirks
def test_tab_apostrophe_and_formula_prefixed_ids():
    raw = pd.Series(["\t6917000000000000001", "'6917000000000000002", '="6917000000000000003"', " 6917000000000000004 ", "6917.0", "-"])
    assert parse_ids(raw).tolist() == ["6917000000000000001", "6917000000000000002", "6917000000000000003", "6917000000000000004", "6917", pd.NA]


def test_ids_in_csv_keep_every_digit(tmp_path):
    text = 'order_id,paid_at,sub_order_id\n"\t6917000000000000001",2026-07-01 10:00:00,\'6917000000000000011\n'
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    assert shop.tables["orders"][["order_id", "sub_order_id"]].values.tolist() == [["6917000000000000001", "6917000000000000011"]]


@pytest.mark.parametrize("blank", ["-", "--", "", " ", "null", "N/A", "—"])
def test_dash_and_other_blanks_are_empty(tmp_path, blank):
    text = f"order_id,paid_at,amount,province,shipped_at\nO1,2026-07-01 10:00:00,{blank},{blank},{blank}\n"
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    row = shop.tables["orders"].iloc[0]
    assert pd.isna(row["amount"]) and pd.isna(row["province"]) and pd.isna(row["shipped_at"])
    assert shop.warnings.empty  # empty is not unparseable


def test_money_as_text():
    raw = pd.Series(["¥1,299.00", "￥12", "12元", "1，000.5", " 3.25 ", "-", "1e30"])
    assert parse_numbers(raw).tolist()[:5] == [1299.0, 12.0, 12.0, 1000.5, 3.25]
    assert pd.isna(parse_numbers(raw).iloc[5])
    assert parse_numbers(raw).iloc[6] == 1e30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01 08:05:09", "2026-07-01 08:05:09"),
        ("2026/07/01 08:05", "2026-07-01 08:05:00"),
        ("2026/07/01 08:05:09", "2026-07-01 08:05:09"),
        ("2026/7/1 8:05", "2026-07-01 08:05:00"),
        ("2026-07-01", "2026-07-01 00:00:00"),
        ("2026-07-01T08:05:09", "2026-07-01 08:05:09"),
        ("2026年07月01日 08:05:09", "2026-07-01 08:05:09"),
        ("2026-07-01T00:05:09Z", "2026-07-01 08:05:09"),
        ("2026-07-01 00:05:09+00:00", "2026-07-01 08:05:09"),
        ("2026-07-01 08:05:09+08:00", "2026-07-01 08:05:09"),
        ("2026-06-30 20:05:09-0400", "2026-07-01 08:05:09"),
        ("'2026-07-01 08:05:09", "2026-07-01 08:05:09"),
    ],
)
def test_timestamp_formats(text, expected):
    assert parse_datetimes(pd.Series([text])).iloc[0] == pd.Timestamp(expected)


def test_time_zones_converted_to_shanghai_naive(tmp_path):
    text = (
        "会话ID,发送时间,发送方\n"
        "S1,2026-07-01T01:00:00Z,买家\n"
        "S1,2026-07-01 01:00:30+00:00,客服\n"
        "S1,2026-07-01 09:01:00+08:00,买家\n"
        "S1,2026-07-01 09:01:30,客服\n"
    )
    shop = load(write_shop(tmp_path, {"1768222209_ab12.csv": text}))
    sent = shop.tables["im_messages"]["sent_at"]
    assert sent.dtype == "datetime64[ns]"
    assert sent.tolist() == [pd.Timestamp(t) for t in ["2026-07-01 09:00:00", "2026-07-01 09:00:30", "2026-07-01 09:01:00", "2026-07-01 09:01:30"]]


def test_sender_role_labels():
    labels = ["买家", "用户", "客服", "人工客服", "此消息由机器人自动回复/推荐", "此消息由机器人推荐", "机器人", "智能客服", "系统", "系统欢迎语",
              "buyer", "Agent", " robot_assist "]
    text = "会话ID,发送时间,发送方\n" + "".join(f"S1,2026-07-01 09:00:{i:02d},{lab}\n" for i, lab in enumerate(labels))
    frame = pd.read_csv(io.StringIO(text), dtype=str).rename(columns={"会话ID": "session_id", "发送时间": "sent_at", "发送方": "sender_role"})
    typed, problems = parse_table("im_messages", frame)
    assert typed["sender_role"].tolist() == ["buyer", "buyer", "agent", "agent", "robot_assist", "robot_assist", "robot", "robot", "system", "system",
                                             "buyer", "agent", "robot_assist"]
    assert problems.empty


def test_after_sale_type_labels(tmp_path):
    types = ["仅退款", "未发货仅退款", "已发货仅退款", "退货退款", "换货", "补寄", "仅退款（未发货）"]
    text = "售后单号,订单号,售后类型,售后申请时间\n" + "".join(f"A{i},O{i},{t},2026-07-01 10:00:00\n" for i, t in enumerate(types))
    shop = load(write_shop(tmp_path, {"1768222209_ab12.csv": text}))
    t = shop.tables["after_sales"]
    assert t["type"].tolist() == ["refund_only", "refund_only", "refund_only", "return_refund", "exchange", "other", "refund_only"]
    assert t["type_raw"].tolist() == types
    assert t["shipped_before_apply"].tolist() == [pd.NA, False, True, pd.NA, pd.NA, pd.NA, False]


# ---------------------------------------------------------------- rows: sub-orders, overlaps, blanks, several files
def test_several_sub_order_rows_per_order_are_kept(tmp_path):
    text = "主订单编号,子订单编号,支付完成时间,订单应付金额\nO1,O1-1,2026-07-01 10:00:00,10\nO1,O1-2,2026-07-01 10:00:00,5\nO1,O1-3,2026-07-01 10:00:00,1\n"
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    orders = shop.tables["orders"]
    assert len(orders) == 3 and orders["order_id"].nunique() == 1
    assert orders["sub_order_id"].tolist() == ["O1-1", "O1-2", "O1-3"]
    assert shop.quarantine.empty


def test_sub_order_rows_without_sub_order_column_are_not_duplicates(tmp_path):
    text = "主订单编号,支付完成时间,选购商品\nO1,2026-07-01 10:00:00,杯子\nO1,2026-07-01 10:00:00,杯套\n"
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    assert len(shop.tables["orders"]) == 2 and shop.quarantine.empty


def test_same_order_in_two_overlapping_exports(tmp_path):
    june = "主订单编号,子订单编号,支付完成时间,订单状态\nO1,O1-1,2026-06-30 10:00:00,已发货\nO2,O2-1,2026-07-01 10:00:00,已发货\n"
    july = "主订单编号,子订单编号,支付完成时间,订单状态\nO2,O2-1,2026-07-01 10:00:00,已完成\nO3,O3-1,2026-07-02 10:00:00,已发货\n"
    shop = load(write_shop(tmp_path, {"1768000000_a.csv": june, "1768100000_b.csv": july}))
    orders = shop.tables["orders"].sort_values("order_id")
    assert orders["order_id"].tolist() == ["O1", "O2", "O3"]
    assert orders["status"].tolist() == ["已发货", "已完成", "已发货"]  # the later export's copy is kept
    assert shop.quality_counts() == {"duplicate_key": 1}
    q = shop.quarantine.iloc[0]
    assert (q["source_file"], q["source_row"], q["column"], q["detail"]) == ("1768000000_a.csv", 3, "order_id,sub_order_id", "O2|O2-1")


def test_blank_lines_are_not_rows_and_row_numbers_stay_true(tmp_path):
    text = "order_id,paid_at\nO1,2026-07-01 10:00:00\n\n,\nO2,2026-07-01 11:00:00\n"
    shop = load(write_shop(tmp_path, {"orders.csv": text}))
    assert shop.tables["orders"]["_source_row"].tolist() == [2, 5]
    assert shop.files[0]["rows"] == 2 and shop.files[0]["blank_rows"] == 2


def test_files_with_different_columns_of_one_table(tmp_path):
    a = "order_id,paid_at,is_presale,amount\nO1,2026-07-01 10:00:00,1,10\n"
    b = pd.DataFrame({"order_id": ["O2"], "paid_at": [pd.Timestamp("2026-07-02 10:00")]})
    shop = load(write_shop(tmp_path, {"orders_1.csv": a, "orders_2.parquet": b}))
    orders = shop.tables["orders"]
    assert orders["is_presale"].tolist() == [True, False]  # absent from a file: the neutral value
    assert orders["is_presale"].dtype == "boolean"
    assert orders["amount"].dtype == "float64" and orders["paid_at"].dtype == "datetime64[ns]"
    assert orders["_source_file"].astype(str).tolist() == ["orders_1.csv", "orders_2.parquet"]


def test_read_table_file_reports_blank_rows(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,paid_at\n,\nO1,2026-07-01\n", encoding="utf-8")
    table, frame = read_table_file(path)
    assert table == "orders" and frame.attrs["blank_rows"] == 1 and frame["_source_row"].tolist() == [3]


def test_edge_space_check_agrees_with_strip_for_every_code_point():
    # the loader skips stripping a column when no cell starts or ends with white space; the check must
    # know every character pandas' str.strip removes (full-width 　 included)
    from shopscore_nb.loading import WHITE_SPACE, _any_edge_space

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    s = pd.Series(chars, dtype="string")
    assert set(WHITE_SPACE) == {c for c, changed in zip(chars, (s.str.strip() != s).to_numpy(), strict=True) if changed}
    for c in WHITE_SPACE:
        for template in ("{}a", "a{}", "{}"):
            assert _any_edge_space(pd.Series(["abc", template.format(c), None], dtype="string")), (hex(ord(c)), template)
        assert not _any_edge_space(pd.Series(["abc", f"a{c}b", None], dtype="string")), hex(ord(c))
    assert not _any_edge_space(pd.Series(["x", "中文", None], dtype="string"))
