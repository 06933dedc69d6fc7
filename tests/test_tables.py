"""Tables in the reader's language (SPEC §7 "A page a reader acts on", §9): 中文 headers and labels, formatted
cells and never NaN/NaT/<NA>/None, grouped summaries that add up, masked downloads of every failing row.

Render-free: reports are built with :func:`shopscore_nb.report.shop_report` and each table function is called.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from shopscore_nb.errors import ParameterError
from shopscore_nb.present import formatting as F
from shopscore_nb.present import tables as T
from shopscore_nb.present.sections import section_keys
from shopscore_nb.privacy import buyer_ids_of
from shopscore_nb.report import shop_report
from shopscore_nb.scoring.groups import group_summary, with_context

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
MISSING = re.compile(r"\bNaN\b|\bnan\b|\bNaT\b|<NA>|&lt;NA&gt;|\bNone\b|\bnull\b")
CJK = re.compile(r"[\u4e00-\u9fff]")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$|^[a-z_]+:[a-z_<>=0-9.]+$")  # refund_only, platform:unanswered
SECTIONS = ("product", "logistics", "service", "cs", "aftersales", "reviews")


@cache
def report(profile: str = "douyin_2022"):
    """The struggling demo shop's report, built once per profile for the whole module."""
    return shop_report(DEMO, "struggling", profile=profile)


@pytest.fixture(scope="module", params=["douyin_2022", "douyin_2026"])
def rep(request):
    return report(request.param)


def _keys(rep) -> list[str]:
    out: list[str] = []
    for name in SECTIONS:
        out += [k for k in section_keys(rep, name) if k not in out]
    return out


def _assert_readable(table: T.ReaderTable, what: str) -> pd.DataFrame:
    shown = table.reader()
    page = table._repr_html_()
    for text in (page, shown.to_html(index=False)):
        assert not MISSING.search(text), f"{what}: {MISSING.search(text).group(0)!r} in {text[:MISSING.search(text).start() + 80][-300:]}"
    for col in shown.columns:
        assert CJK.search(str(col)), f"{what}: header {col!r} is not in the reader's language"
        codes = [v for v in shown[col].astype(str) if SNAKE.match(v)]
        assert not codes, f"{what}: column {col!r} shows raw codes {codes[:3]}"
    return shown


@pytest.fixture
def captured(monkeypatch):
    out: list = []
    monkeypatch.setattr(T, "show", lambda *objs: out.extend(objs))
    return out


def test_every_table_speaks_chinese_and_has_no_missing_markers(rep):
    keys = _keys(rep)
    _assert_readable(T.indicator_table(rep, keys), "indicator_table")
    _assert_readable(T.drilldown_summary(rep, keys), "drilldown_summary")
    _assert_readable(T.consequences_table(rep), "consequences_table")
    _assert_readable(T.agent_table(rep), "agent_table")
    rate, volume = T.hour_weekday(rep)
    _assert_readable(rate, "hour_weekday rate")
    _assert_readable(volume, "hour_weekday volume")
    _assert_readable(T.failing_sessions(rep, 20), "failing_sessions")
    for key in keys:
        table = T.drilldown(rep, key, top_n=10**6)
        if len(table):
            shown = _assert_readable(table, f"drilldown {key}")
            assert "目标" not in shown.columns  # the constant target is said above the table


def test_data_quality_is_readable(rep, captured):
    T.data_quality(rep)
    tables = [o for o in captured if isinstance(o, T.ReaderTable)]
    assert len(tables) >= 2
    for t in tables:
        _assert_readable(t, "data_quality")
    assert "重复记录" in tables[1].reader().to_string()  # quarantine reasons in words


def test_values_are_formatted_for_the_reader():
    assert F.fmt_seconds(32901) == "9小时08分" and F.fmt_seconds(185) == "3分05秒" and F.fmt_seconds(45) == "45秒"
    assert F.fmt_hm(234.94) == "234:56" and F.fmt_hours_text(13.308) == "13小时18分"
    assert F.fmt_datetime(pd.Timestamp("2026-08-02 18:50:07")) == "2026-08-02 18:50"
    assert F.fmt_change(1 / 149, "ratio") == "0.67个百分点"
    assert [F.fmt_datetime(pd.NaT), F.fmt_int(pd.NA), F.fmt_number(float("nan")), F.fmt_reader(None, "ratio")] == ["—"] * 4
    assert T.code_label("after_sale_type", "refund_only") == "仅退款"
    assert T.code_label("sender_role", "robot_assist") == "机器人辅助"


def test_drilldown_rows_are_formatted(captured):
    rep = report()
    shown = T.drilldown(rep, "aftersales.processing_hours_avg_pre_ship", top_n=5).reader()
    assert set(shown["售后类型"]) == {"仅退款"}
    assert shown["处理时长（时:分）"].str.fullmatch(r"\d+:\d\d").all()
    assert shown["申请时间"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    rounds = T.drilldown(rep, "cs.im_3min_reply_rate_round", top_n=500).reader()
    assert not rounds["原因"].str.contains("platform:").any()
    impact = T.drilldown(rep, "service.im_3min_reply_rate", top_n=1).reader()["修正可改善"].iloc[0]
    assert impact == "0.67个百分点"  # 1 / 149 sessions, as percentage points of the rate


def test_target_is_the_best_tier_or_left_out(captured):
    seed = report()
    T.show_drilldowns(seed, ["aftersales.refund_hours_avg"], 5)
    text = "\n".join(o.data for o in captured if hasattr(o, "data"))
    assert "不为此指标计分" in text and "目标" not in text  # an unscored mean: no target to aim at
    captured.clear()
    new = report("douyin_2026")
    T.show_drilldowns(new, ["service.aftersale_review_hours_avg", "cs.avg_response_seconds"], 5)
    text = "\n".join(o.data for o in captured if hasattr(o, "data"))
    assert "目标：" in text


def test_grouped_summaries_add_up_and_downloads_hold_every_row(rep, captured, tmp_path):
    keys = _keys(rep)
    T.show_drilldowns(rep, keys, 5, export_dir=str(tmp_path))
    buyers = buyer_ids_of(rep.shop)
    assert buyers
    seen = 0
    for key in keys:
        rows = T._drill_rows(rep, key)
        csv = tmp_path / T.export_name(key)
        if rows.empty:
            assert not csv.exists()
            continue
        seen += 1
        summary = T._group_table(rep, key, T._with_context(rep, key, rows))
        assert (pd.DataFrame(summary).groupby("dimension")["rows"].sum() == len(rows)).all(), key
        if len(summary):
            _assert_readable(summary, f"groups {key}")
        data = pd.read_csv(csv, dtype=str, encoding="utf-8-sig")
        assert len(data) == len(rows), key
        assert all(CJK.search(c) for c in data.columns), key
        text = csv.read_text(encoding="utf-8-sig")
        assert not any(b in text for b in buyers), key
        xlsx = pd.read_excel(tmp_path / T.export_name(key, ".xlsx"), dtype=str)
        assert len(xlsx) == len(rows)
    assert seen >= 5
    links = [o.data for o in captured if hasattr(o, "data") and "下载全部" in o.data]
    assert len(links) == seen and all("](drilldown-" in link for link in links)


def test_groups_by_what_the_rows_have():
    rep = report("douyin_2026")
    rows = T._drill_rows(rep, "logistics.waybill_on_time_rate")
    ctx = with_context(rows, rep.shop.tables, "promised_delivery_at")
    assert {"product", "province", "carrier", "hour"} <= set(ctx.columns)
    dims = set(group_summary(ctx, ["reason", "product", "carrier", "province", "hour"])["dimension"])
    assert {"carrier", "province"} <= dims


def test_group_summary_folds_small_groups_and_keeps_empty_values():
    rows = pd.DataFrame({"agent_id": list("aaabbc") + [None] * 2 + list("defghij"), "impact": 0.01})
    s = group_summary(rows, ["agent_id", "nothere"], top=4)
    assert s["rows"].sum() == len(rows) and set(s["dimension"]) == {"agent_id"}
    assert list(s["rows"]) == [3, 2, 2, 1, 7] and s["group"].iloc[2] is None  # a, b, empty, c, 7 folded
    assert s["folded"].tolist() == [0, 0, 0, 0, 7] and s["group"].iloc[-1] is None
    assert len(group_summary(pd.DataFrame({"reason": ["x"] * 3}), ["reason"])) == 0  # one group tells nothing


def test_failing_sessions_all_of_them_downloadable(tmp_path):
    rep = report()
    table = T.failing_sessions(rep, 20, export_dir=tmp_path)
    assert table.index.get_level_values("session_id").nunique() == 20  # the data stays as computed
    assert not table.groupby(level="session_id")["passed"].all().any()
    everything = T.failing_sessions(rep)
    total = everything.index.get_level_values("session_id").nunique()
    assert total > 20
    before = table.shown().before
    assert f"共 {total} 个未达标会话" in before and "完整列表见下载" in before and 'href="failing-sessions.csv"' in before
    data = pd.read_csv(tmp_path / "failing-sessions.csv", dtype=str, encoding="utf-8-sig")
    assert data["会话ID"].nunique() == total and len(data) == len(everything)
    assert not any(b in (tmp_path / "failing-sessions.csv").read_text(encoding="utf-8-sig") for b in buyer_ids_of(rep.shop))


def test_callers_keep_the_data_and_the_page_keeps_the_format():
    rep = report()
    lines = T.consequences_table(rep)
    cs = lines[lines["metric"].astype(str).str.startswith(("cs.", "service.im_"))]  # as sections.show_consequences filters
    unmet = cs[cs["met"].eq(False)]
    assert len(unmet) and isinstance(unmet, T.ReaderTable)
    shown = _assert_readable(unmet, "filtered consequences")
    assert shown["是否达到"].str.contains("未达到").all() and shown["差距"].str.startswith("还差").all()
    agents = T.agent_table(rep)
    assert agents["rounds"].sum() == len(T.counted_rounds(rep))
    assert "（未分配）" in agents.reader()["客服"].tolist()


def test_export_dir_is_checked(tmp_path):
    assert T.export_folder("") is None and T.export_folder(None) is None
    assert T.export_folder(str(tmp_path)) == tmp_path
    with pytest.raises(ParameterError, match="export_dir: folder"):
        T.export_folder(str(tmp_path / "nope"))
    with pytest.raises(ParameterError, match="export_dir: expected"):
        T.export_folder(3)


def test_data_in_a_table_stays_text():
    hostile = T.reader_table(pd.DataFrame({"agent_id": ["<script>alert(1)</script>"], "rounds": [3]}), T._plain())
    page = hostile._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_any_frame_shows_without_raising():
    """Other pages wrap their own frames (``ReaderTable(frame)``): a column named like a labelled one but
    holding other values is shown as text, never an error."""
    frame = pd.DataFrame({"target": ["a <= 0.05 (下一档)", None], "wait_s": ["soon", 75.0], "passed": [True, None]})
    shown = _assert_readable(T.ReaderTable(frame), "foreign frame")
    assert shown["目标"].tolist() == ["a <= 0.05 (下一档)", "—"] and shown["等待时长"].tolist() == ["soon", "1分15秒"]
