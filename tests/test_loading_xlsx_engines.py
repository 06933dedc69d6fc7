"""The fast workbook reader (python-calamine) reads every quirk exactly as the openpyxl reader does.

The loader reads a workbook with python-calamine and falls back to openpyxl (through pandas) only
when calamine cannot open the file; both paths must give the same table, header row, sheet, cells
and errors (docs/DECISIONS.md, "Performance: export loading").
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from shopscore_nb import loading
from shopscore_nb.errors import LoadError


def _both(path: Path, table: str | None = None):
    out = []
    for reader in (loading._read_xlsx, loading._read_xlsx_openpyxl):
        try:
            got = reader(path, table)
        except (LoadError, loading.SkippedFile) as exc:
            out.append((type(exc).__name__, str(exc)))
        else:
            # an error cell (#N/A, #DIV/0!) is NaN from openpyxl, "" from calamine: blank either way
            out.append((got.table, got.first_row, list(got.header), got.positions, got.sheet,
                        got.body.fillna("").to_dict("list"), [str(d) for d in got.body.dtypes]))
    return out


def _cover_and_title(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["评价导出说明"])
    book.active.merge_cells("A1:C1")
    data = book.create_sheet("评价")
    data.append(["评价导出 2026-07-01 至 2026-07-31"])
    data.merge_cells("A1:E1")
    data.append([None])
    data.append(["评价日期", "订单ID", "商品评价得分", "评价内容", "商品ID"])
    data.append([dt.datetime(2026, 7, 9, 20, 0), "\t6917000000000000001", 5, "很好", 3591000104729])
    data.append([46212.5, "6917000000000000002", "4星", "", 123])  # a date as an Excel serial
    data.append([dt.date(2026, 7, 9), "'6917000000000000003", 5.0, None, "-"])
    data.append([None, None, None, None, None])
    data.append(["2026/07/10 10:00", "6917000000000000004", True, "x", 1.5])
    data.append([dt.datetime(2026, 7, 11, 8, 0, 0, 500000), "=\"6917000000000000005\"", 0.1 + 0.2, dt.time(10, 30), -0.0])
    data["A14"] = ""  # trailing cells holding empty text: not a row
    book.save(path)


def _typed_dates(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["主订单编号", "支付完成时间", "订单提交时间", "订单应付金额", "是否预售"])
    sheet.append(["O1", dt.datetime(2026, 7, 1, 10, 0, 17), 46204.25, 12.5, True])
    sheet.append(["O2", dt.date(2026, 7, 2), "2026/07/02 08:30", "¥1,299.00", "是"])
    sheet.cell(row=3, column=3).number_format = "yyyy-mm-dd hh:mm"
    sheet.cell(row=4, column=1, value="O3")
    sheet.cell(row=4, column=2, value=46206.5).number_format = "yyyy-mm-dd hh:mm:ss"
    book.save(path)


def _numeric_ids(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["主订单编号", "支付完成时间", "订单应付金额"])
    book.active.append([6931000000006470368, "2026-07-01 10:00:00", 10])
    book.save(path)


def _short_numeric_ids(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["主订单编号", "子订单编号", "支付完成时间"])
    book.active.append(["6931000000006470368", 123456, "2026-07-01 10:00:00"])
    book.active.append(["6931000000006470369", 123457.0, "2026-07-01 11:00:00"])
    book.save(path)


def _unknown(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["foo", "bar"])
    book.active.append([1, 2])
    book.save(path)


def _empty(path: Path) -> None:
    book = openpyxl.Workbook()
    book.create_sheet("空")
    book.save(path)


def _missing_required(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["主订单编号", "订单提交时间", "订单状态", "订单类型", "省", "选购商品", "商品ID", "订单应付金额", "发货时间"])
    book.active.append(["O1", "2026-07-01", "已完成", "普通订单", "广东", "杯", "1", "1", "-"])
    book.save(path)


def _error_cells_and_wrong_dimension(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["主订单编号", "支付完成时间", "订单应付金额"])
    book.active.append(["O1", "2026-07-01 10:00:00", 5])
    book.active.append(["O2", "2026-07-01 11:00:00", 6])
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b'<c r="C2" t="n"><v>5</v></c>', b'<c r="C2" t="e"><v>#DIV/0!</v></c>')
                body = body.replace(b'<c r="C3" t="n"><v>6</v></c>', b'<c r="C3" t="e"><f>1/0</f><v>#N/A</v></c>')
                body = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', body)
            out.writestr(info, body)
    plain.unlink()


def _damaged(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04garbage")


def _frame_to_excel(path: Path) -> None:
    pd.DataFrame({"主订单编号": ["6917000000000000001", "6917000000000000002"],
                  "支付完成时间": [pd.Timestamp("2026-07-01 10:00"), pd.Timestamp("2026-07-02 08:30:15")],
                  "订单应付金额": [12.5, 3], "子订单编号": [123456, 654321]}).to_excel(path, index=False)


WORKBOOKS = {
    "cover_and_title": _cover_and_title, "typed_dates": _typed_dates, "numeric_ids": _numeric_ids,
    "short_numeric_ids": _short_numeric_ids, "unknown": _unknown, "empty": _empty, "missing_required": _missing_required,
    "error_cells_and_wrong_dimension": _error_cells_and_wrong_dimension, "damaged": _damaged, "frame_to_excel": _frame_to_excel,
}


@pytest.mark.parametrize("kind", sorted(WORKBOOKS))
def test_calamine_reads_like_openpyxl(tmp_path, kind):
    path = tmp_path / "export.xlsx"
    WORKBOOKS[kind](path)
    fast, slow = _both(path)
    assert fast == slow


def test_calamine_reads_like_openpyxl_when_the_name_gives_the_table(tmp_path):
    path = tmp_path / "评价导出_20260731.xlsx"
    _cover_and_title(path)
    fast, slow = _both(path, "reviews")
    assert fast == slow
    assert fast[0] == "reviews" and fast[1] == 4 and fast[4] == "评价"  # title, blank row and header above the data


def test_cover_page_workbook_values(tmp_path):
    path = tmp_path / "export.xlsx"
    _cover_and_title(path)
    table, body = loading.read_table_file(path)
    assert table == "reviews"
    assert body["order_id"].tolist()[:3] == ["\t6917000000000000001", "6917000000000000002", "'6917000000000000003"]
    assert body["created_at"].tolist()[:3] == ["2026-07-09 20:00:00", "46212.5", "2026-07-09 00:00:00"]
    assert body["product_id"].tolist()[:2] == ["3591000104729", "123"]  # typed cells as pandas gives them
    assert body["_source_row"].tolist() == [4, 5, 6, 8, 9]
    assert body.attrs["blank_rows"] == 1


def test_openpyxl_is_the_fallback_when_calamine_cannot_open_the_file(tmp_path, monkeypatch):
    path = tmp_path / "orders.xlsx"
    _typed_dates(path)

    def refuse(_path):
        raise RuntimeError("calamine cannot read this")

    monkeypatch.setattr(loading, "_calamine_book", refuse)
    table, body = loading.read_table_file(path)
    assert table == "orders" and body["order_id"].tolist() == ["O1", "O2", "O3"]
