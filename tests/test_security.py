"""Hostile inputs (issue 9, SPEC §9): nothing from data or folder names is live in a report, a spreadsheet
or the portfolio page; output folders never collide; PII masked in its common written forms; the parse
cache stays out of the reports folder."""
from __future__ import annotations

import csv
import io
import shutil
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_batch import tiny_notebook

from shopscore_nb.batch import run_batch
from shopscore_nb.escaping import md_text, spreadsheet_frame
from shopscore_nb.notebook import tiny_shop
from shopscore_nb.paths import safe_name
from shopscore_nb.privacy import mask_text, mask_text_series
from shopscore_nb.report import build_report
from shopscore_nb.scoring.drilldown import drilldown, export

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
SHOP_NAME = "<script>alert(1)</script><img src=x onerror=alert(2)>"
EVIL_FOLDER = "<img src=x onerror=alert(3)>"
EVIL_FILE = "<img src=x onerror=alert(5)>.txt"


class _LiveTags(HTMLParser):
    """Collects every tag that could run code: event-handler attributes, javascript: URLs, scripts that
    mention ``alert`` (the template's own scripts never do) and images pointing at ``x``."""

    def __init__(self):
        super().__init__()
        self.live: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.lower().startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.live.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.live.append("<img src=x>")
        self._script = tag == "script"

    def handle_endtag(self, tag):
        self._script = False

    def handle_data(self, data):
        if self._script and "alert(" in data:
            self.live.append(f"<script>{data[:40]}")


def live_tags(text: str) -> list[str]:
    parser = _LiveTags()
    parser.feed(text)
    return parser.live


def test_the_checker_finds_live_tags():
    assert live_tags(f"<p>{SHOP_NAME}</p>") == ["<script>alert(1)", "<img onerror='alert(2)'>", "<img src=x>"]
    assert live_tags('<a href="javascript:alert(1)">x</a>') and not live_tags(f"<p>{md_text(SHOP_NAME)}</p>")


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    """Every real notebook rendered for a shop whose folder, name and files are hostile."""
    tmp = tmp_path_factory.mktemp("hostile")
    root = tmp / "root"
    shop = root / EVIL_FOLDER
    shutil.copytree(DEMO / "growth", shop)
    (shop / "shop.yaml").write_text(f'name: "{SHOP_NAME}"\nindustry: 茶\n', encoding="utf-8")
    (shop / EVIL_FILE).write_text("not an export\n", encoding="utf-8")
    out = tmp / "out"
    result = run_batch(root, out, workers=1, force=True, progress=False, cache_dir=tmp / "cache")
    return result, out


def test_no_tag_from_the_data_is_live_in_any_report(hostile_batch):
    result, out = hostile_batch
    assert result.failed == [], result.failed
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 1 + len(result.shops[0]["notebooks"]) >= 9  # every notebook + index.html
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert live_tags(text) == [], page.name
    overview = (out / safe_name(EVIL_FOLDER) / "00_overview.html").read_text(encoding="utf-8")
    assert "alert(1)" in overview and "alert(5)" in overview  # shown, as text


def test_the_parse_cache_stays_out_of_the_reports_folder(hostile_batch):
    _, out = hostile_batch
    assert not any(p.suffix == ".parquet" for p in out.rglob("*"))
    assert not (out / ".cache").exists()


# ---------------------------------------------------------------- spreadsheets
FORMULAS = ['=HYPERLINK("http://evil/","x")', "=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]


def test_spreadsheet_cells_never_start_a_formula():
    frame = pd.DataFrame({"content": FORMULAS + ["fine", None], "n": range(9)})
    safe = spreadsheet_frame(frame)
    assert safe["content"].tolist()[:7] == ["'" + f for f in FORMULAS]
    assert safe["content"].tolist()[7] == "fine" and pd.isna(safe["content"].tolist()[8])
    assert safe["n"].tolist() == list(range(9))  # numbers stay numbers


def test_review_content_reaches_drilldown_exports_inert(tmp_path):
    shop = tiny_shop(
        shipments=[{"order_id": f"O{i}", "picked_up_at": "2026-09-01 10:00:00", "signed_at": "2026-09-03 10:00:00"} for i in range(3)],
        reviews=[{"order_id": "O0", "created_at": "2026-09-04 10:00:00", "product_score": 1, "content": FORMULAS[0]},
                 {"order_id": "O1", "created_at": "2026-09-04 11:00:00", "product_score": 2, "content": "=1+1"}],
    )
    rep = build_report(shop, as_of="2026-10-01")
    rows = drilldown(rep.results, "product.negative_review_rate")
    assert len(rows) == 2
    with_content = rows.assign(content=[FORMULAS[0], "=1+1"])
    text = export(with_content, tmp_path / "d.csv").read_text(encoding="utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert "'=1+1" in cells
    book = openpyxl.load_workbook(export({"差评": with_content}, tmp_path / "d.xlsx"))
    values = [c for row in book["差评"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in values)
    assert "'=1+1" in [c.value for c in values]


# ---------------------------------------------------------------- output folders and the portfolio page
def test_safe_name_is_injective_on_the_reported_collision():
    evil = "<img src=x onerror=alert(7)>"
    lookalike = safe_name(evil)
    assert safe_name(lookalike) != lookalike  # a folder literally named like the hashed one is hashed too
    names = [evil, lookalike, "Shop", "shop", "a#b", "=1+1", "x" * 200, "x" * 201, "名字", "名字 ", "a..b", "a_b"]
    assert len({safe_name(n) for n in names}) == len(names)


def test_colliding_ids_links_and_formula_ids_in_the_portfolio(tmp_path):
    evil = "<img src=x onerror=alert(7)>"
    root = tmp_path / "root"
    ids = [evil, safe_name(evil), "=1+1", "a#b"]
    for i in ids:
        shutil.copytree(DEMO / "growth", root / i)
    (root / "_archive").mkdir()
    (root / ".hidden").mkdir()
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs)
    out = tmp_path / "out"
    result = run_batch(root, out, workers=2, notebooks_folder=nbs, progress=False, cache_dir=tmp_path / "cache")
    assert result.failed == []
    folders = {r["shop_id"]: r["folder"] for r in result.shops}
    assert len(set(folders.values())) == len(ids)
    for shop_id, folder in folders.items():  # each report holds its own shop
        assert shop_id in (out / folder / "00_overview.ipynb").read_text(encoding="utf-8").replace("\\u003c", "<").replace("\\u003e", ">")
    assert len(list((tmp_path / "cache").iterdir())) == len(ids)  # one cache folder per shop id
    index = (out / "index.html").read_text(encoding="utf-8")
    assert live_tags(index) == []
    assert 'href="a%23b/00_overview.html"' in index
    assert "_archive" in index and ".hidden" in index  # skipped folders are listed
    assert [f["folder"] for f in result.skipped_folders] == [".hidden", "_archive"]
    raw = (out / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    cells = [c for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for c in row]
    assert "'=1+1" in cells and not [c for c in cells if c.startswith(("=", "+", "@"))]


# ---------------------------------------------------------------- PII in its written forms
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("138-1234-5678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("008613812345678", "0086138****5678"),
        ("电话：+86 138-1234-5678。", "电话：+86 138****5678。"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("110101 19900307 8515", "110101********8515"),
        ("110101-19900307-851X", "110101********851X"),
    ],
)
def test_phone_and_id_card_forms_are_masked(text, masked):
    assert mask_text(text) == masked
    assert mask_text_series(pd.Series([text])).tolist() == [masked]


def test_masking_leaves_order_ids_and_times_alone():
    for text in ("订单 6931000000006470368", "2026-09-01 13:12:00", "金额 1381234567", "138123456789"):
        assert mask_text(text) == text
