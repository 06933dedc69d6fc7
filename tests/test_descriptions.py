"""One description per indicator (:mod:`shopscore_nb.metrics.descriptions`): complete for every indicator of
both rulesets, in agreement with the profiles, a 中文 label for every reason code the indicators produce
on the demo shops and the minishops fixture, and the consumers (forecast, drill-down, notebook) reading it."""
from __future__ import annotations

import ast
import collections
from pathlib import Path

import pandas as pd
import pytest
from conftest import MINISHOPS

from shopscore_nb import list_shops, load_shop
from shopscore_nb import notebook as nb
from shopscore_nb.metrics import Context, compute
from shopscore_nb.metrics.base import REGISTRY, ruleset_of
from shopscore_nb.metrics.descriptions import DERIVED_TIMES, Description, describe, descriptions, lag_days
from shopscore_nb.profile import available_profiles, load_profile

REPO = Path(__file__).resolve().parents[1]
ROOTS = [REPO / "data" / "demo", MINISHOPS / "data"]
PROFILES = ("douyin_2022", "douyin_2026")
ALL = [(rs, key) for rs in REGISTRY for key in REGISTRY[rs]]


@pytest.fixture(scope="module")
def computed() -> dict:
    """(ruleset, key) → results of every indicator on every shop of the demo and minishops roots, both profiles."""
    roots = [r for r in ROOTS if r.is_dir() and list_shops(r)]
    assert MINISHOPS / "data" in roots
    out = collections.defaultdict(list)
    for root in roots:
        for shop_id in list_shops(root):
            shop = load_shop(root, shop_id)
            for profile in PROFILES:
                ctx = Context.build(shop, profile=profile)
                for key in REGISTRY[ruleset_of(ctx)]:
                    out[(ruleset_of(ctx), key)].append(compute(key, ctx))
    return out


# ---------------------------------------------------------------- complete and consistent
@pytest.mark.parametrize(("ruleset", "key"), ALL, ids=[f"{rs}:{k}" for rs, k in ALL])
def test_every_indicator_has_a_complete_description(ruleset, key):
    d = describe(key, ruleset)
    ind = REGISTRY[ruleset][key]
    assert isinstance(d, Description) and (d.key, d.ruleset, d.zh, d.unit) == (key, ruleset, ind.zh, ind.unit)
    assert d.name_en and d.name_en != key
    assert all(d.texts[f] for f in ("what_zh", "what_en", "formula_zh", "formula_en", "moves_zh", "moves_en"))
    assert d.direction in ("higher", "lower") and d.anchor and d.trend.date
    assert d.trend.kind in ("rate", "mean", "count", "sum")
    if d.trend.kind == "rate":
        assert d.trend.count in ("failed", "passed") and d.value_column is None
        # a rate of failing rows is better low, a rate of passing rows better high
        assert d.direction == ("lower" if d.counts_failures else "higher")
    if d.trend.kind == "mean":
        assert d.value_column and d.trend.value == d.value_column
        assert d.direction == ("higher" if d.unit == "score" else "lower")
    if d.trend.kind == "sum":
        assert d.trend.value and d.value_column is None
    if d.trend.kind in ("rate", "mean"):
        assert d.reasons and d.drill
    if d.lag:
        assert lag_days(load_profile("douyin_2022" if ruleset == "seed" else "douyin_2026"), d.lag) > 0
    assert describe(key, ruleset) is d  # cached


def test_descriptions_list_a_ruleset_in_registry_order():
    for rs in REGISTRY:
        assert list(descriptions(rs)) == list(REGISTRY[rs])


@pytest.mark.parametrize("profile", available_profiles())
def test_direction_and_unit_agree_with_the_profiles(profile):
    p = load_profile(profile)
    rs = ruleset_of(p)
    for key, spec in (p.get("indicators") or {}).items():
        d = describe(key, rs)
        assert d.direction == spec["direction"], (profile, key)
        assert d.unit == spec.get("unit", d.unit), (profile, key)


def test_facts_read_without_a_ruleset_are_the_same_in_both():
    """``describe(key, None)`` (the drill-down and what-if without a profile) may pick either ruleset of a
    key both register: the facts they read must agree."""
    both = set(REGISTRY["seed"]) & set(REGISTRY["2026"])
    assert both
    for key in both:
        a, b = describe(key, "seed"), describe(key, "2026")
        assert (a.value_column, a.direction, a.counts_failures, a.unit) == (b.value_column, b.direction, b.counts_failures, b.unit), key
    assert describe("product.quality_return_rate", "seed").anchor == "paid_at"
    assert describe("product.quality_return_rate", "2026").anchor == "signed_at"


def test_lagged_cohorts_name_their_profile_lag():
    seed = load_profile("douyin_2022")
    assert describe("service.complaint_rate", "seed").lag == "lags.complaint_days"
    assert describe("service.complaint_rate", "seed").lag_days(seed) == seed["lags"]["complaint_days"]
    assert describe("reviews.rate", "seed").window == "lagged:lags.review_days"
    assert describe("product.negative_review_rate", "seed").lag_days(seed) == 0
    assert describe("product.negative_review_rate", "seed").window == "rolling"


# ---------------------------------------------------------------- the columns named exist in the detail rows
def test_anchor_trend_date_and_value_column_are_detail_columns(computed):
    for (rs, key), results in computed.items():
        d = describe(key, rs)
        frames = [r.detail.reset_index() if r.detail.index.name else r.detail for r in results if r.detail is not None and not r.detail.empty]
        if not frames:
            continue
        cols = set().union(*(f.columns for f in frames))
        for col in (d.anchor, d.trend.date):
            assert col in cols or (col in DERIVED_TIMES and "session_id" in cols), (rs, key, col)
        if d.value_column:
            assert d.value_column in cols, (rs, key)
        if d.trend.kind == "sum":
            assert d.trend.value in cols, (rs, key)


# ---------------------------------------------------------------- reason labels
def test_every_reason_code_seen_has_a_chinese_label(computed):
    missing, seen = [], 0
    for (rs, key), results in computed.items():
        d = describe(key, rs)
        codes = {str(c) for r in results if r.detail is not None and "reason" in r.detail for c in r.detail["reason"].dropna().unique()}
        seen += len(codes)
        missing += [(rs, key, c) for c in sorted(codes) if not d.reason_label(c)]
    assert seen > 50
    assert not missing, missing


def test_reason_label_pattern_rule():
    pickup = describe("logistics.pickup_score_avg", "2026")
    assert pickup.reason_label("<=12h") == "12小时内揽收"
    assert pickup.reason_label(">72h") == "超过72小时揽收"
    assert pickup.reason_label("night_clock:<=12h") == "夜间支付（次日起算） · 12小时内揽收"
    assert pickup.reason_label("compensation_score_50") == "赔付单（按50分计）"
    review = describe("service.aftersale_review_hours_avg", "2026")
    assert review.reason_label("return_refund:within_2.5h") == "退货退款 · 2.5小时内审核"  # a decimal rule number
    im = describe("service.im_avg_response_seconds", "2026")
    assert im.reason_label("session_start:replied_after_180s") == "考核时间内发起的会话 · 超过180秒才回复"
    assert im.reason_label("business:replied_within_120s") == "营业时间口径 · 120秒内回复"
    # the whole code first: an exact label wins over the parts
    assert describe("product.avg_rating", "2026").reason_label("bad_review_1_2_star") == "差评（1–2星）"
    # unknown codes or parts: no label
    assert pickup.reason_label("teleported") is None and pickup.reason_label("night_clock:teleported") is None
    labels = im.reason_labels(pd.Series(["session_start:unanswered", "odd", None]))
    assert labels.iloc[0] == "考核时间内发起的会话 · 未回复" and labels.iloc[1] == "odd" and pd.isna(labels.iloc[2])


# ---------------------------------------------------------------- consumers read the description
def test_static_facts_are_no_longer_copied_elsewhere(computed):
    from shopscore_nb.scoring import drilldown, forecast

    assert not hasattr(forecast, "ANCHORS") and not hasattr(forecast, "FAILURE_RATES")
    assert not hasattr(drilldown, "VALUE_COLUMNS") and not hasattr(drilldown, "HIGHER_IS_BETTER_UNITS")
    for results in computed.values():
        for r in results:
            assert not {"anchor", "value_column", "counts"} & set(r.extra), r.key


def test_value_column_of_the_drilldown_is_the_descriptions():
    from shopscore_nb.metrics.base import IndicatorResult
    from shopscore_nb.scoring.drilldown import value_column

    assert value_column(IndicatorResult("product.avg_rating", 4.8, 0, 0, "score")) == "product_score"
    assert value_column(IndicatorResult("cs.avg_queue_seconds", 1.0, 0, 0, "seconds"), "seed") == "queue_s"
    assert value_column(IndicatorResult("reviews.rate", 0.5, 1, 2, "ratio")) is None


def test_notebook_definition_is_a_thin_call():
    entry = nb.definition("service.complaint_rate", "seed")
    assert entry == describe("service.complaint_rate", "seed").as_dict()
    assert entry["window"] == "lagged:lags.complaint_days" and entry["trend"] == {"date": "paid_at", "kind": "rate", "count": "failed"}
    entry["trend"]["date"] = "changed"
    assert nb.definition("service.complaint_rate", "seed")["trend"]["date"] == "paid_at"  # a fresh dict every time
    assert nb.definition("product.avg_rating", "seed")["ruleset"] == "2026"  # described under the ruleset registering it
    with pytest.raises(KeyError):
        nb.definition("no.such_indicator", "seed")


def test_descriptions_sit_on_the_metrics_floor():
    src = (REPO / "shopscore_nb" / "metrics" / "descriptions.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    upstairs = ("notebook", "scoring", "report", "batch", "cli", "present")
    assert not [m for m in imported if any(part in m.split(".") or m.lstrip(".") == part for part in upstairs)], imported
