"""The rules that apply to one shop: the profile with the shop's industry, shop type and shop.yaml overrides.

Resolves, per scored indicator, its tier cut-offs (shop.yaml ``cutoffs`` → the industry's → the
profile's default industry), its weight (profile → per-industry service weights → shop.yaml
``weights.indicators``) and the dimension weights (profile → shop.yaml ``weights.dimensions``), and
records every assumption and override used on the way.

>>> from shopscore_nb.scoring.rules import resolve_rules
>>> rules = resolve_rules(ctx)                                  # doctest: +SKIP
>>> rules.indicators["service.platform_help_rate"]["weight"]    # doctest: +SKIP
0.25
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..profile import Profile
from ..profile_checks import check_cutoffs, check_weights

SHOP_TYPES = {"旗舰": "旗舰", "flagship": "旗舰", "非旗舰": "非旗舰", "non_flagship": "非旗舰", "通用": "通用", "general": "通用"}


@dataclass
class Rules:
    profile: Profile
    industry: str | None
    shop_type: str | None
    tier_industry: str
    tier_scores: list[float]
    indicators: dict[str, dict]  # key → zh, dimension, direction, unit, scoring, weight, cutoffs
    dimensions: dict[str, dict]  # name → zh, weight
    assumptions: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    service_row: str | None = None  # which row of the per-industry service weights table was used

    def dimension_of(self, key: str) -> str:
        return self.indicators[key]["dimension"]


def shop_type_of(config: dict) -> str | None:
    return SHOP_TYPES.get(str(config.get("shop_type"))) if config.get("shop_type") is not None else None


def _zh(profile: Profile, key: str) -> str:
    from ..metrics.base import registry

    known = registry(profile)
    return known[key].zh if key in known else key


def resolve_rules(ctx) -> Rules:
    """Rules for ``ctx.shop`` under ``ctx.profile`` (shop.yaml keys: industry, shop_type, cutoffs, weights)."""
    profile, config = ctx.profile, ctx.shop.config or {}
    rules = Rules(
        profile=profile,
        industry=config.get("industry"),
        shop_type=shop_type_of(config),
        tier_industry=profile["tiers"]["default_industry"],
        tier_scores=list(profile["tiers"]["scores"]),
        indicators={k: {"zh": _zh(profile, k), **v} for k, v in profile["indicators"].items()},
        dimensions={k: dict(v) for k, v in profile["dimensions"].items()},
    )
    rules.overrides += [f"shop.yaml overrides.{path}" for path in getattr(profile, "overridden", [])]
    for key in ("industry", "shop_type"):
        if config.get(key) is not None:
            rules.overrides.append(f"shop.yaml {key}: {config[key]}")
    _resolve_cutoffs(rules, config.get("cutoffs") or {})
    _resolve_service_weights(rules)
    _apply_shop_weights(rules, config.get("weights") or {})
    return rules


def _resolve_cutoffs(rules: Rules, shop_cutoffs: dict) -> None:
    tiers = rules.profile["tiers"]
    default = tiers["default_industry"]
    if rules.industry in tiers["industries"]:
        rules.tier_industry = rules.industry
    else:
        told = f"industry '{rules.industry}' has no shipped cut-offs" if rules.industry else "no industry in shop.yaml"
        rules.assumptions.append(f"tier cut-offs: {told}; the profile's default set '{default}' is used")
    chosen, fallback = tiers["industries"][rules.tier_industry]["cutoffs"], tiers["industries"][default]["cutoffs"]
    for key, spec in rules.indicators.items():
        spec["cutoffs"] = chosen.get(key, fallback.get(key))
        spec["cutoffs_from"] = rules.tier_industry if key in chosen else default
        if key in shop_cutoffs:
            check_cutoffs(rules.profile, shop_cutoffs[key], len(rules.tier_scores) - 1, spec["direction"], f"shop.yaml cutoffs.{key}")
            spec["cutoffs"], spec["cutoffs_from"] = list(shop_cutoffs[key]), "shop.yaml"
            rules.overrides.append(f"shop.yaml cutoffs.{key}: {shop_cutoffs[key]}")
    unknown = set(shop_cutoffs) - set(rules.indicators)
    if unknown:
        from ..profile import ProfileError

        raise ProfileError(f"shop.yaml cutoffs: {sorted(unknown)} are not scored indicators of profile {rules.profile['name']}.")


def _resolve_service_weights(rules: Rules) -> None:
    sw = rules.profile.get("service_weights")
    if not sw:
        return
    industry = rules.industry if rules.industry in sw["industries"] else sw["default_industry"]
    if industry != rules.industry:
        told = f"industry '{rules.industry}' is not in the table" if rules.industry else "no industry in shop.yaml"
        rules.assumptions.append(f"service weights: {told}; {industry} is used")
    row = sw["industries"][industry]
    shop_type = _service_shop_type(rules, row, sw.get("default_shop_type"))
    for key, pct in zip(sw["columns"], row[shop_type], strict=True):
        rules.indicators[key]["weight"] = pct / 100.0
    rules.service_row = f"{industry}({shop_type})"


def _service_shop_type(rules: Rules, row: dict, default: str | None) -> str:
    if rules.shop_type in row:
        return rules.shop_type
    if "通用" in row:
        return "通用"
    chosen = default if default in row else next(iter(row))
    rules.assumptions.append(f"service weights: shop type {rules.shop_type or '(not set)'} → {chosen} weights are used")
    return chosen


def _apply_shop_weights(rules: Rules, weights: dict) -> None:
    from ..profile import ProfileError

    dims = weights.get("dimensions") or {}
    inds = weights.get("indicators") or {}
    unknown = (set(dims) - set(rules.dimensions)) | (set(inds) - set(rules.indicators))
    if unknown or set(weights) - {"dimensions", "indicators"}:
        raise ProfileError(f"shop.yaml weights: unknown key(s) {sorted(unknown or set(weights) - {'dimensions', 'indicators'})}; use weights.dimensions.<name> and weights.indicators.<key>.")
    for name, w in dims.items():
        rules.dimensions[name]["weight"] = w
        rules.overrides.append(f"shop.yaml weights.dimensions.{name}: {w}")
    for key, w in inds.items():
        rules.indicators[key]["weight"] = w
        rules.overrides.append(f"shop.yaml weights.indicators.{key}: {w}")
    if dims:
        check_weights(rules.profile, {f"shop.yaml weights.dimensions.{k}": v["weight"] for k, v in rules.dimensions.items()}, "shop.yaml weights.dimensions")
    for dim in {rules.indicators[k]["dimension"] for k in inds}:
        members = {f"shop.yaml weights.indicators.{k}": v["weight"] for k, v in rules.indicators.items() if v["dimension"] == dim}
        check_weights(rules.profile, members, f"the indicators of dimension '{dim}' after shop.yaml weights")
