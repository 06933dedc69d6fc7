"""Rule profiles: both shipped profiles load and hold what the issue lists; broken copies fail with the key
named; shop.yaml settings (industry, shop_type, cutoffs, weights, overrides) are applied and reported."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import make_shop

from shopscore_nb.metrics import Context
from shopscore_nb.profile import ProfileError, available_profiles, load_profile
from shopscore_nb.scoring import score_shop
from shopscore_nb.scoring.rules import resolve_rules

P26_KEYS = [
    "product.avg_rating", "product.quality_return_rate", "logistics.pickup_score_avg", "logistics.waybill_on_time_rate",
    "logistics.quality_return_rate", "service.aftersale_review_hours_avg", "service.im_avg_response_seconds",
    "service.im_dissatisfaction_rate", "service.platform_help_rate",
]


def test_both_profiles_are_shipped_and_selectable():
    assert {"douyin_2022", "douyin_2026"} <= set(available_profiles())
    p22, p26 = load_profile("douyin_2022"), load_profile("douyin_2026")
    assert (p22["ruleset"], p22["window_days"], p22["range"]) == ("seed", 90, {"min": 3.0, "max": 5.0})
    assert (p26["ruleset"], p26["window_days"], p26["range"]) == ("2026", 30, {"min": 50, "max": 100})
    assert p26["business_hours"] == {"start": "08:00:00", "end": "23:00:00"}  # initiated 08:00:00–22:59:59
    assert list(p26["indicators"]) == P26_KEYS
    assert p26["tiers"]["scores"] == [50, 60, 70, 80, 90, 100]
    assert {k: v["weight"] for k, v in p26["dimensions"].items()} == {"product": 0.5, "logistics": 0.2, "service": 0.3}


def test_default_profile_is_the_seed_one_with_unchanged_metric_parameters():
    shop = make_shop(orders=[{"order_id": "O1", "paid_at": "2026-09-01 10:00:00"}])
    assert Context.build(shop, as_of="2026-10-01").profile["name"] == "douyin_2022"
    p = load_profile("douyin_2022")
    assert p["im"] == {"clock": "platform", "reply_within_seconds": 180, "first_reply_within_seconds": 120, "unanswered_seconds": 600, "wait_cap_seconds": 600, "assisted_sales_hours": 72}
    assert p["logistics"] == {"pickup_sla_hours": 48, "pickup_bands_hours": [24, 36, 48]}
    assert p["lags"] == {"complaint_days": 14, "review_days": 14}


def test_profiles_load_by_path(tmp_path):
    from importlib import resources

    copy = tmp_path / "mine.yaml"
    copy.write_text(resources.files("shopscore_nb.profiles").joinpath("douyin_2026.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    p = load_profile(copy)
    assert p["name"] == "douyin_2026" and p.source == str(copy)


def test_seed_service_thresholds_are_in_both_profiles_and_marked():
    for name in ("douyin_2022", "douyin_2026"):
        lines = {ln["id"]: ln for ln in load_profile(name)["im_service_thresholds"]}
        assert (lines["im_3min_weekly"]["value"], lines["im_3min_weekly"]["window_days"]) == (0.90, 7)
        assert lines["im_3min_target"]["value"] == 0.97
        assert (lines["im_3min_fine"]["value"], lines["im_3min_fine"]["when"]["value"], lines["im_3min_fine"]["per"]) == (0.50, 100, "day")
        assert lines["im_avg_response_weekly"]["value"] == 120 and lines["im_acceptance_weekly"]["value"] == 0.80
        assert (lines["im_queue_weekly"]["op"], lines["im_queue_weekly"]["value"]) == ("<", 600)
        assert all(ln.get("assumption") is True and ln.get("note") for ln in lines.values())


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


@pytest.mark.parametrize("name", ["douyin_2022", "douyin_2026"])
def test_every_assumption_has_a_note(name):
    marked = [(p, n) for p, n in _walk(dict(load_profile(name))) if n.get("assumption") is True]
    assert marked
    assert all(n.get("note") for _, n in marked)


def test_service_weights_table_is_complete():
    sw = load_profile("douyin_2026")["service_weights"]
    assert len(sw["industries"]) == 82
    assert sw["industries"]["医疗健康"] == {"通用": [25, 25, 25, 25]}
    assert sw["industries"]["3C数码"] == {"非旗舰": [25, 25, 25, 25], "旗舰": [25, 25, 25, 25]}
    assert all(sum(v) == 100 for row in sw["industries"].values() for v in row.values())


# ---------------------------------------------------------------- broken profiles name the key
def _broken(tmp_path, edit) -> Path:
    from importlib import resources

    data = yaml.safe_load(resources.files("shopscore_nb.profiles").joinpath("douyin_2026.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


CASES = {
    "missing top-level key": (lambda d: d.pop("dimensions"), "missing key 'dimensions'"),
    "missing nested key": (lambda d: d["dimensions"]["product"].pop("weight"), "missing key 'dimensions.product.weight'"),
    "missing default cut-offs": (lambda d: d["tiers"]["industries"]["默认"]["cutoffs"].pop("product.avg_rating"), "tiers.industries.默认.cutoffs.product.avg_rating"),
    "wrong type window": (lambda d: d.__setitem__("window_days", "30"), "key 'window_days' must be an integer"),
    "wrong type weight": (lambda d: d["indicators"]["product.avg_rating"].__setitem__("weight", "0.9"), "key 'indicators.product.avg_rating.weight' must be a number"),
    "wrong type stage": (lambda d: d["stage"].__setitem__("min_orders", 30.5), "key 'stage.min_orders' must be an integer"),
    "indicator weights not 1": (lambda d: d["indicators"]["product.avg_rating"].__setitem__("weight", 0.8), "indicators.product.avg_rating.weight"),
    "dimension weights not 1": (lambda d: d["dimensions"]["service"].__setitem__("weight", 0.2), "weights of 'dimensions' sum to 0.9"),
    "service row not 100": (lambda d: d["service_weights"]["industries"]["茶"].__setitem__("通用", [25, 30, 15, 20]), "service_weights.industries.茶.通用"),
    "cut-offs not monotone": (lambda d: d["tiers"]["industries"]["默认"]["cutoffs"].__setitem__("product.avg_rating", [4.9, 4.6, 4.7, 4.8, 4.85]), "tiers.industries.默认.cutoffs.product.avg_rating' must be ascending"),
    "cut-offs wrong length": (lambda d: d["tiers"]["industries"]["默认"]["cutoffs"].__setitem__("service.platform_help_rate", [0.03, 0.02]), "must be a list of 5 numbers"),
    "bad operator": (lambda d: d["consequences"][0].__setitem__("op", "=>"), "consequences[0].op"),
    "unknown dimension": (lambda d: d["indicators"]["product.avg_rating"].__setitem__("dimension", "goods"), "indicators.product.avg_rating.dimension"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_profile_names_the_key(tmp_path, case):
    edit, needle = CASES[case]
    with pytest.raises(ProfileError) as err:
        load_profile(_broken(tmp_path, edit))
    assert needle in str(err.value)


def test_indicator_weights_error_names_every_key_of_the_dimension(tmp_path):
    with pytest.raises(ProfileError) as err:
        load_profile(_broken(tmp_path, lambda d: d["indicators"]["product.avg_rating"].__setitem__("weight", 0.8)))
    msg = str(err.value)
    assert "dimension 'product' sum to 0.9, not 1" in msg and "indicators.product.quality_return_rate.weight" in msg


# ---------------------------------------------------------------- shop.yaml
def _ctx(config: dict, profile="douyin_2026"):
    shop = make_shop(config=config, orders=[{"order_id": f"O{i}", "paid_at": "2026-09-10 10:00:00"} for i in range(40)])
    return Context.build(shop, as_of="2026-10-01", profile=profile)


def test_shop_yaml_overrides_are_applied_and_reported():
    config = {
        "industry": "女装", "shop_type": "旗舰",
        "cutoffs": {"product.avg_rating": [4.5, 4.6, 4.7, 4.8, 4.9]},
        "weights": {"dimensions": {"product": 0.4, "logistics": 0.3, "service": 0.3}},
        "overrides": {"floor": {"score": 75}},
    }
    ctx = _ctx(config)
    assert ctx.profile["floor"]["score"] == 75 and "floor.score" in ctx.profile.overridden
    rules = resolve_rules(ctx)
    assert rules.indicators["product.avg_rating"]["cutoffs"] == [4.5, 4.6, 4.7, 4.8, 4.9]
    assert rules.dimensions["product"]["weight"] == 0.4
    assert rules.service_row == "女装(旗舰)"
    card = score_shop(ctx, {})
    for text in ("shop.yaml overrides.floor.score", "shop.yaml cutoffs.product.avg_rating", "shop.yaml weights.dimensions.product: 0.4", "shop.yaml industry: 女装"):
        assert any(text in o for o in card.overrides), text
        assert any(text in a for a in card.assumptions), text


def test_unknown_industry_falls_back_to_defaults_with_a_note():
    card = score_shop(_ctx({"industry": "火星特产"}), {})
    assert any("industry '火星特产' has no shipped cut-offs" in a for a in card.assumptions)
    assert any("service weights: industry '火星特产' is not in the table; 其他 is used" in a for a in card.assumptions)


@pytest.mark.parametrize(("config", "needle"), [
    ({"weights": {"dimensions": {"product": 0.6}}}, "shop.yaml weights.dimensions"),
    ({"weights": {"indicators": {"product.avg_rating": 0.5}}}, "shop.yaml weights.indicators.product.avg_rating"),
    ({"weights": {"dims": {}}}, "shop.yaml weights: unknown key"),
    ({"cutoffs": {"product.avg_rating": [1, 2]}}, "shop.yaml cutoffs.product.avg_rating"),
    ({"cutoffs": {"nosuch.key": [1, 2, 3, 4, 5]}}, "shop.yaml cutoffs"),
])
def test_bad_shop_yaml_scoring_settings_name_the_key(config, needle):
    with pytest.raises(ProfileError) as err:
        score_shop(_ctx(config), {})
    assert needle in str(err.value)
