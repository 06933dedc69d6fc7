"""The training notebook teaches on its own (SPEC §7, ``10_training``): every scored indicator of both profiles
and 接单率, 排队, 满意率, 售后时长 have an exercise whose question is visible and whose answer (reasoning, hand
calculation, the package's value) is collapsed under ``<details>``; rendered for a shop, a section of that
shop's own failing cases, masked.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from shopscore_nb import notebook as nb
from shopscore_nb.present import training
from shopscore_nb.privacy import buyer_ids_of
from shopscore_nb.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "10_training.ipynb"
DEMO = ROOT / "data" / "demo"
SHOP = "struggling"
needs_demo = pytest.mark.skipif(not (DEMO / SHOP).is_dir(), reason="demo data not generated (python -m shopscore_nb.demo data/demo)")
EXTRA = {  # the dashboards a trainee must know besides the scored indicators
    "接单率": ["cs.acceptance_rate"],
    "排队": ["cs.avg_queue_seconds"],
    "满意率": ["cs.satisfaction_rate"],
    "售后时长": ["aftersales.refund_hours_avg", "aftersales.processing_hours_avg"],
}
DETAILS = re.compile(r"<details>.*?</details>", re.S)


@pytest.fixture(scope="module")
def book():
    return nbformat.read(NOTEBOOK, as_version=4)


def _answer_cells(book):
    return [c for c in book.cells if c.cell_type == "code" and "answer" in c.metadata.get("tags", [])]


def _is_2026(cell) -> bool:
    return 'profile="douyin_2026"' in cell.source


def _keys_in(cells) -> set[str]:
    return {k for c in cells for k in re.findall(r'"([a-z_]+\.[a-z0-9_]+)"', c.source)}


# ---------------------------------------------------------------- the notebook's source
def test_every_scored_indicator_of_both_profiles_has_an_exercise(book):
    answers = _answer_cells(book)
    seed_keys = _keys_in([c for c in answers if not _is_2026(c)])
    keys_2026 = _keys_in([c for c in answers if _is_2026(c)])
    for profile, found in (("douyin_2022", seed_keys), ("douyin_2026", keys_2026)):
        scored = set(load_profile(profile)["indicators"])
        assert len(scored) == 9
        assert not scored - found, f"{profile}: no exercise for {sorted(scored - found)}"
    for name, keys in EXTRA.items():
        assert set(keys) & seed_keys, f"no exercise on {name} ({keys})"


def test_each_exercise_asks_a_visible_question_and_answers_with_the_helper(book):
    cells = book.cells
    for i, cell in enumerate(cells):
        if cell not in _answer_cells(book):
            continue
        question = next(c for c in reversed(cells[:i]) if c.cell_type == "markdown" or "answer" not in c.metadata.get("tags", []))
        assert question.cell_type == "markdown" and "练习" in question.source and "Exercise" in question.source, cell.source
        assert "answer(" in cell.source and "# 答案" not in cell.source  # the reasoning is shown, not a code comment
        assert cell.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}


def test_checks_are_golden_with_plain_text_output_and_answers_check_themselves(book):
    checks = [c for c in book.cells if c.cell_type == "code" and "nb.check(" in c.source]
    assert len(checks) >= 19  # one worked example per indicator group of both profiles
    for cell in checks:
        assert "# NBVAL_CHECK_OUTPUT" in cell.source, cell.source
        text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        assert text and text.count("agrees ✓") == cell.source.count("nb.check("), cell.source[:80]
    # an answer's output is HTML (kept out of the committed file); answer() raises when the package and the
    # hand calculation differ, so nbval still fails on a wrong answer
    for cell in _answer_cells(book):
        assert "NBVAL_CHECK_OUTPUT" not in cell.source and not cell.outputs


def test_parameters_cell_keeps_its_parameters_and_seed_examples(book):
    params = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in ("data_dir", "shop_id", "as_of", "profile", "window_days"):
        assert re.search(rf"^{name}: ", params[0].source, re.M)
    assert "'" not in params[0].source  # papermill's parameter parser stops at a quote in a comment
    source = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert "nb.examples_profile(params.profile)" in source and "need_data=False" in source  # parts 1–2 stay seed-era


# ---------------------------------------------------------------- the helpers
def _tiny_rate():
    shipments = pd.DataFrame({"订单号": ["O1", "O2"], "揽收时间": "2026-03-01 08:00:00", "签收时间": "2026-03-02 08:00:00"})
    reviews = pd.DataFrame({"订单ID": ["O1"], "评价时间": "2026-03-03 08:00:00", "商品评分": [1]})
    return nb.tiny_result(nb.tiny_shop(shipments=shipments, reviews=reviews), "product.negative_review_rate", "2026-03-08", 7)


def test_answer_is_collapsed_escaped_and_checked(capsys):
    result = _tiny_rate()
    shown = training.Answer([(result, 0.5, "1 ÷ 2")], "一单差评 <script>alert(1)</script> **50%**", "one of two")
    page = shown._repr_html_()
    assert page.startswith("<details><summary>") and page.endswith("</details>") and page.count("<details>") == 1
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>50%</b>" in page
    assert "1 ÷ 2" in page and "50.00%" in page and "agrees ✓" in page
    assert "agrees ✓" in repr(shown)
    with pytest.raises(AssertionError, match="negative_review_rate"):
        training.answer(result, 0.25, "错的", "wrong", "1 ÷ 4")
    with pytest.raises(ValueError):
        training.answer([(result, None, "")], "", "")


def test_without_shop_data_the_section_says_so(tmp_path):
    params = nb.validate_parameters(data_dir=str(tmp_path / "nowhere"), shop_id="x", need_data=False, ruleset="seed")
    page, meta = training.shop_cases_html(params)
    assert "你的店铺" in page and "没有给店铺数据" in page and "<details>" not in page and meta == {}


def test_a_shop_without_a_table_says_so_for_that_group(tmp_path):
    folder = tmp_path / "root" / "tinyshop"
    folder.mkdir(parents=True)
    pd.DataFrame({"主订单编号": ["P1", "P2"], "支付完成时间": ["2026-03-01 10:00:00", "2026-03-02 10:00:00"]}).to_csv(folder / "orders.csv", index=False)
    pd.DataFrame({"订单号": ["P1", "P2"], "揽收时间": ["2026-03-01 12:00:00", "2026-03-05 12:00:00"]}).to_csv(folder / "shipments.csv", index=False)
    params = nb.validate_parameters(data_dir=str(tmp_path / "root"), shop_id="tinyshop", as_of="2026-03-08", need_data=False, ruleset="seed")
    page, meta = training.shop_cases_html(params)
    assert meta["shop_id"] == "tinyshop" and meta["as_of"] == "2026-03-08"
    assert page.count("没有这项数据") == 3  # 飞鸽, reviews and after-sales are not exported
    assert "P2" in page and "超过48小时揽收" in page  # the one late pickup is a case, answered by its reason label
    assert not re.search(r"\b(NaN|NaT|None|nan)\b|<NA>", page)


@needs_demo
def test_the_shops_own_cases_are_masked_and_answered_by_reason_labels():
    params = nb.validate_parameters(data_dir=str(DEMO), shop_id=SHOP, need_data=False, ruleset="seed")
    page, meta = training.shop_cases_html(params)
    assert meta["shop_id"] == SHOP
    cases = page.count("案例 Case")
    assert cases >= 6 and page.count("<details>") == cases
    for label in ("平台口径 · 未回复", "超过48小时揽收", "差评（商品分≤2）"):
        assert label in page
    buyers = buyer_ids_of(nb.load_shop_cached(DEMO, SHOP))
    assert buyers and not [b for b in buyers if b in page]
    assert not re.search(r"\b(NaN|NaT|None|nan)\b|<NA>", page)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", page)  # no phone number


# ---------------------------------------------------------------- the rendered page
def _visible(fragment: str) -> str:
    """The text a reader sees in an HTML fragment (tags dropped, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    import papermill as pm

    out = tmp_path_factory.mktemp("training")
    pm.execute_notebook(str(NOTEBOOK), str(out / "10_training.ipynb"), parameters={"data_dir": str(DEMO), "shop_id": SHOP},
                        kernel_name="python3", cwd=str(NOTEBOOK.parent), progress_bar=False, execution_timeout=600)
    executed = nbformat.read(out / "10_training.ipynb", as_version=4)
    page = nb.to_html(out / "10_training.ipynb", out / "10_training.html").read_text(encoding="utf-8")
    return executed, page


@needs_demo
def test_every_answer_is_inside_details_in_the_html(rendered, book):
    executed, page = rendered
    answers = [c for c in executed.cells if "answer" in c.metadata.get("tags", [])]
    assert len(answers) == len(_answer_cells(book)) >= 22
    outside = _visible(DETAILS.sub("", page))
    assert page.count("<details>") >= len(answers)
    for cell in answers:
        shown = [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
        assert len(shown) == 1 and shown[0].startswith("<details>"), cell.source[:80]
        assert html.unescape(shown[0]) in html.unescape(page)  # rendered as HTML, not as escaped text
        for paragraph in re.findall(r"<p>(.*?)</p>", shown[0]):
            assert _visible(paragraph) not in outside
        assert not [o for o in cell.outputs if o.get("output_type") == "stream"]  # nothing printed beside the block
    for code in ("answer(", "NBVAL_CHECK_OUTPUT", "# 答案"):
        assert code not in page


@needs_demo
def test_the_rendered_shop_section_has_no_buyer_id(rendered):
    _, page = rendered
    section = page[page.index("你的店铺 · Your shop"):]
    assert "案例 Case 1" in section
    buyers = buyer_ids_of(nb.load_shop_cached(DEMO, SHOP))
    assert not [b for b in buyers if b in section]
    visible = _visible(section)
    assert not re.search(r"\b(NaN|NaT|None)\b|<NA>", visible)
