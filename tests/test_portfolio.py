"""The portfolio page (issue 12): two mornings over the demo shops after a backfilled day; the first screen says who got
worse, which lines they miss and by how much; spreadsheets rounded, formula-safe, with an .xlsx beside the CSV."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from test_batch import tiny_notebook
from test_security import live_tags

from shopscore_nb.batch import run_batch

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
pytestmark = pytest.mark.skipif(not DEMO.is_dir(), reason="demo data missing")


@pytest.fixture(scope="module")
def mornings(tmp_path_factory):
    """History from 2026-10-21 (backfill), then the mornings of 2026-10-27 and 2026-10-28 (struggling 3.71 → 3.67)."""
    tmp = tmp_path_factory.mktemp("portfolio")
    nbs = tmp / "nbs"
    tiny_notebook(nbs)
    out = tmp / "out"
    common = {"workers": 2, "progress": False, "cache_dir": tmp / "cache", "notebooks_folder": nbs, "warn_days": 0}
    run_batch(DEMO, out, as_of="2026-10-21", metrics_only=True, **common)
    run_batch(DEMO, out, as_of="2026-10-27", **common)
    result = run_batch(DEMO, out, as_of="2026-10-28", **common)
    return out, result


def _first_screen(page: str) -> str:
    return page[: page.index('<table id="shops"')]


def test_first_screen_says_who_got_worse_and_which_lines_they_miss(mornings):
    out, result = mornings
    assert result.failed == []
    page = (out / "index.html").read_text(encoding="utf-8")
    top = _first_screen(page)
    assert "2026-10-28" in top and "douyin_2022" in top and "2026-10-27" in top
    assert re.search(r"got worse: <b>鲜味坊零食铺</b> ↓ −0\.04", top)
    assert "鲜味坊零食铺</b> misses 货款结算 4 天 by −0.73" in top  # the consequence line it misses most (relative to the line)
    # the shop rows: name and id, change with sign and arrow, the 7-day change, a sparkline, chips with window
    row = page[page.index("鲜味坊零食铺</b><br>"):]
    row = row[: row.index("</tr>")]
    assert "struggling" in row and "↓ −0.04" in row and 'title="since 2026-10-21"' in row and "<svg" in row
    assert "精选联盟准入" in row and "−0.33" in row and "近90天" in row
    assert 'href="struggling/00_overview.html"' in row
    # sorted by risk: struggling (misses 精选联盟 by 8 %) before flagship and growth
    order = [m for m in re.findall(r'<span class="id">(flagship|struggling|growth)</span>', page)]
    assert order[0] == "struggling"


def test_page_is_self_contained_and_inert(mornings):
    out, _ = mornings
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<script src" not in page and not re.search(r"""(src|href)=["']?https?://""", page)
    assert live_tags(page) == []
    assert "render_seconds" not in page


def test_spreadsheets_are_rounded_formula_safe_and_have_an_xlsx(mornings):
    out, _ = mornings
    raw = (out / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert "render_seconds" not in rows[0] and {"name", "change_prev", "change_7d", "lines_missed", "costs_most"} <= set(rows[0])
    numbers = [v for r in rows for v in r.values() if re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", v or "")]
    assert numbers and all(len(re.sub(r"[-.]|e.*", "", v).lstrip("0")) <= 6 for v in numbers), [v for v in numbers if len(v) > 9][:5]
    assert [r["shop_id"] for r in rows][0] == "struggling"
    book = openpyxl.load_workbook(out / "summary.xlsx")
    cells = [c for row in book.active.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "鲜味坊零食铺" in [c.value for c in cells]
    batch = (out / "batch.json").read_text(encoding="utf-8")
    assert '"seconds"' in batch  # timing stays in batch.json
