"""The fast CSV body reader (pyarrow) gives exactly what the pandas reader gives, or steps aside.

:func:`shopscore_nb.loading._arrow_body` reads a CSV body with pyarrow when every row has the
header's width and no quote is left open; otherwise the pandas path reads (and flags) it. Either
way ``read_table_file`` must return the same frame, or raise the same error.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscore_nb import loading
from shopscore_nb.errors import LoadError

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cell = st.sampled_from([
    "O1", "\t6917000000000000001", "'6917000000000000002", '="6917000000000000003"', "2026-07-01 10:00:00", "2026/07/02 09:05",
    "", "-", "¥1,299.00", "杯子", '"杯子"', '"a,b"', '"x""y"', 'ab"cd', '"multi\nline"', '"a"b', "6.931E+18", " sp ", '"', '""',
    "\x01",
])
line_end = st.sampled_from(["\n", "\r\n"])


@st.composite
def csv_files(draw):
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.sampled_from([["order_id", "paid_at", "amount"], ["主订单编号", "支付完成时间", "订单应付金额", "省", "备注"],
                                   ["订单导出"], ["order_id", "paid_at"]]))
    lines = []
    if header == ["订单导出"]:  # a title line above the header
        lines.append("订单导出 2026-07")
        header = ["主订单编号", "支付完成时间"]
    lines.append(sep.join(header))
    for _ in range(draw(st.integers(0, 6))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, 0, -1, 1]))
        lines.append(sep.join(draw(cell) for _ in range(max(width, 0))))
    end = draw(line_end)
    text = end.join(lines) + draw(st.sampled_from([end, "", end + end]))
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


def _read(path: Path):
    try:
        table, body = loading.read_table_file(path)
    except (LoadError, loading.SkippedFile) as exc:
        return type(exc).__name__, str(exc)
    return table, body.to_dict("list"), [str(d) for d in body.dtypes], body.attrs


def _both(path: Path, monkeypatch):
    fast = _read(path)
    with monkeypatch.context() as m:
        m.setattr(loading, "_arrow_body", lambda *args: None)
        slow = _read(path)
    return fast, slow


@SETTINGS
@given(data=csv_files())
def test_pyarrow_and_pandas_csv_paths_agree(data):
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        path = Path(tmp) / "orders.csv"
        path.write_bytes(data)
        fast, slow = _both(path, monkeypatch)
        assert fast == slow


@pytest.mark.parametrize(
    "text",
    [
        'order_id,paid_at,product_name\nO1,2026-07-01,"杯子\nO2,2026-07-01,杯子\n',  # a quote left open: pandas' error
        'order_id,paid_at,product_name\nO1,2026-07-01,"杯子"\nO2,2026-07-01,"a ""b"" c"\n',
        "order_id,paid_at,amount\nO1,2026-07-01 10:00:00,10\nO2,2026-07-01 11:00:00\n",  # a short row: flagged
        "order_id,paid_at,amount\nO1,2026-07-01 10:00:00,10,extra\n",  # an overflowing row: flagged
        "order_id,paid_at,amount\n\nO1,2026-07-01 10:00:00,10\n\n",  # blank lines
        "order_id,paid_at,amount\n",  # a header only
    ],
)
def test_csv_paths_agree_on_quirks(tmp_path, monkeypatch, text):
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    fast, slow = _both(path, monkeypatch)
    assert fast == slow


def test_well_formed_csv_takes_the_pyarrow_path(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    path.write_text("主订单编号,支付完成时间,订单应付金额,未知列\n\t6917000000000000001,2026-07-01 10:00:00,\"1,299.00\",x\n", encoding="utf-8-sig")
    calls = []
    real = loading._arrow_body
    monkeypatch.setattr(loading, "_arrow_body", lambda *args: calls.append(real(*args)) or calls[-1])
    table, body = loading.read_table_file(path)
    assert calls and calls[0] is not None
    assert table == "orders" and body["order_id"].tolist() == ["\t6917000000000000001"] and body["amount"].tolist() == ["1,299.00"]
