"""Properties of loading: row order and file splitting do not matter, and no row is ever lost."""
from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscore_nb import load_shop
from shopscore_nb.loading import parse_ids

NOW = pd.Timestamp("2026-12-31")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ORDER_HEADERS = {"en": ["order_id", "sub_order_id", "paid_at", "amount"], "zh": ["主订单编号", "子订单编号", "支付完成时间", "订单应付金额"]}
SHIP_HEADER = ["order_id", "waybill_no", "picked_up_at", "signed_at"]
REVIEW_HEADER = ["订单ID", "评价日期", "商品评价得分"]

paid_text = st.sampled_from(
    ["2026-07-01 10:00:00", "2026/07/02 09:05", "2026/07/03 21:15:30", "2026-07-01T02:00:00Z", "-", "", "garbage", "2027-01-05 08:00:00"]
)
money_text = st.sampled_from(["12", "¥1,299.00", "-", "abc", "0.5", "1e30"])
pick_text = st.sampled_from(["2026-07-01 09:00:00", "2026-07-04 10:00:00", "2026-07-05 08:00", "", "soon"])
score_text = st.sampled_from(["1", "2", "5", "0", "6", "4.5", "-", "5星"])


@st.composite
def shop_rows(draw):
    """Small orders / shipments / reviews exports with every kind of defect, keys unique except for
    exact duplicate rows (the copy kept among differing duplicates is a documented choice)."""
    n = draw(st.integers(1, 10))
    orders = [[f"O{i % 4}", f"O{i % 4}-{i}", draw(paid_text), draw(money_text)] for i in range(n)]
    ships = [[f"O{draw(st.integers(0, 5))}", f"W{i}", draw(pick_text), draw(pick_text)] for i in range(draw(st.integers(0, 6)))]
    reviews = [[f"O{draw(st.integers(0, 5))}", "2026-07-06 10:00:00", draw(score_text)] for _ in range(draw(st.integers(0, 6)))]
    for rows in (orders, ships, reviews):
        for _ in range(draw(st.integers(0, 2))):
            if rows:
                rows.append(list(draw(st.sampled_from(rows))))
    return {"orders": orders, "shipments": ships, "reviews": reviews}


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


def write_exports(folder: Path, data: dict, parts: int = 1, lang: str = "en") -> None:
    """Each table as ``parts`` files (consecutive slices), header-matched (no telling file names)."""
    headers = {"orders": ORDER_HEADERS[lang], "shipments": SHIP_HEADER, "reviews": REVIEW_HEADER}
    folder.mkdir(parents=True)
    for table, rows in data.items():
        size = -(-len(rows) // parts) if rows else 0
        for part in range(parts):
            chunk = rows[part * size : (part + 1) * size] if size else []
            (folder / f"{1768000000 + part}_{table[:3]}.csv").write_text(csv_text(headers[table], chunk), encoding="utf-8-sig")


def load_variant(data: dict, parts: int = 1, lang: str = "en"):
    with tempfile.TemporaryDirectory() as root:
        write_exports(Path(root) / "shop", data, parts, lang)
        return load_shop(root, "shop", now=NOW)


def canonical(shop) -> dict:
    """Kept rows without their file/row provenance, in a fixed order; counts by reason."""
    tables = {}
    for name, frame in shop.tables.items():
        data = frame.drop(columns=["_source_file", "_source_row"]).astype("string").fillna("<NA>")
        tables[name] = sorted(map(tuple, data.to_numpy().tolist()))
    return {"tables": tables, "counts": shop.quality_counts()}


@SETTINGS
@given(data=shop_rows(), seed=st.randoms(use_true_random=False))
def test_loading_is_invariant_to_row_order(data, seed):
    shuffled = {t: seed.sample(rows, len(rows)) for t, rows in data.items()}
    assert canonical(load_variant(shuffled)) == canonical(load_variant(data))


@SETTINGS
@given(data=shop_rows(), parts=st.integers(2, 3))
def test_loading_is_invariant_to_splitting_an_export_into_files(data, parts):
    assert canonical(load_variant(data, parts=parts)) == canonical(load_variant(data))


@SETTINGS
@given(data=shop_rows(), lang=st.sampled_from(["en", "zh"]), parts=st.integers(1, 2))
def test_rows_in_equal_rows_kept_plus_rows_quarantined(data, lang, parts):
    shop = load_variant(data, parts=parts, lang=lang)
    summary = shop.quality_summary().set_index("table")
    for table, rows in data.items():
        if table not in summary.index:
            continue
        read, kept, quarantined = summary.loc[table, ["rows_read", "rows_kept", "quarantined"]]
        assert read == len(rows)
        assert read == kept + quarantined
        assert quarantined == len(shop.rejected.get(table, [])) == (shop.quarantine["table"] == table).sum()
    # every quarantined row is one of the file's rows, named once
    assert not shop.quarantine.duplicated(["source_file", "source_row"]).any()


@SETTINGS
@given(digits=st.text("0123456789", min_size=1, max_size=40), prefix=st.sampled_from(["", "\t", "'", " ", "\t'"]))
def test_ids_keep_every_digit(digits, prefix):
    assert parse_ids(pd.Series([prefix + digits])).iloc[0] == digits


@SETTINGS
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda t: t.encode("utf-8")),
        st.lists(st.sampled_from(["order_id", "paid_at", "主订单编号", "支付完成时间", "O1", "2026-07-01", ",", "\n", '"', "\t", "'", "-"]), max_size=40)
        .map(lambda parts: "".join(parts).encode("gb18030")),
    ),
    suffix=st.sampled_from([".csv", ".xlsx", ".parquet", ".tsv"]),
)
def test_no_traceback_escapes_for_any_file(content, suffix):
    """Whatever the bytes of a file, loading either works or raises LoadError (never another error)."""
    from shopscore_nb import LoadError

    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "shop"
        folder.mkdir()
        (folder / f"orders{suffix}").write_bytes(content)
        try:
            shop = load_shop(root, "shop", now=NOW)
        except LoadError as exc:
            assert str(exc).strip()
        else:
            summary = shop.quality_summary()
            assert (summary["rows_read"] == summary["rows_kept"] + summary["quarantined"]).all()


@SETTINGS
@given(data=shop_rows(), cuts=st.lists(st.tuples(st.integers(0, 20), st.integers(1, 3)), max_size=5), lang=st.sampled_from(["en", "zh"]))
def test_rows_with_fewer_cells_are_quarantined_as_truncated(data, cuts, lang):
    """A row cut short (fewer cells than the header, wherever the cut falls) is quarantined as
    ``truncated_row`` at its own spreadsheet row; every other row is judged as before."""
    orders = [list(r) for r in data["orders"]]
    cut_rows = set()
    for at, keep in cuts:
        if at < len(orders):
            orders[at] = orders[at][:keep]
            cut_rows.add(at + 2)
    shop = load_variant({"orders": orders}, lang=lang)
    q = shop.quarantine
    assert set(q.loc[q["reason"] == "truncated_row", "source_row"]) == cut_rows
    summary = shop.quality_summary().set_index("table")
    assert summary.loc["orders", "rows_read"] == len(orders)
    assert summary.loc["orders", "rows_read"] == summary.loc["orders", "rows_kept"] + summary.loc["orders", "quarantined"]
