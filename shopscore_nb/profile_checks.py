"""Validation of a rule profile on load: a clear error naming the key, never a traceback later.

Checked: required keys and their types, dimension weights and each dimension's indicator weights
summing to 1, tier cut-offs (one per tier above the lowest, monotone in the indicator's direction),
service weights (rows summing to 100), floors, stages, deductions, bonuses, display mapping and
threshold lines. The same checks validate a shop's ``shop.yaml`` weights and cut-offs.

>>> from shopscore_nb.profile import load_profile
>>> load_profile("path/to/broken.yaml")                                   # doctest: +SKIP
ProfileError: profile douyin_2026: weights of the indicators of dimension 'product' sum to 0.9, not 1 (keys indicators.product.avg_rating.weight, indicators.product.quality_return_rate.weight).
"""
from __future__ import annotations

import math
from numbers import Real

from .errors import ProfileError

REQUIRED = {
    "name": str,
    "ruleset": str,
    "window_days": int,
    "business_hours": dict,
    "im": dict,
    "indicators": dict,
    "dimensions": dict,
    "tiers": dict,
    "stage": dict,
    "range": dict,
}
DIRECTIONS = ("higher", "lower")
OPS = (">=", ">", "<=", "<")
WEIGHT_TOLERANCE = 1e-6


def _error(profile, message: str):
    return ProfileError(f"profile {profile.get('name', '?') if hasattr(profile, 'get') else '?'}: {message}")


def _is_number(x) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and not (isinstance(x, float) and math.isnan(x))


def _type_name(kind) -> str:
    return {int: "an integer", float: "a number", Real: "a number", str: "a string", dict: "a mapping", list: "a list"}.get(kind, kind.__name__)


def need(profile, node: dict, key: str, kind, path: str, optional: bool = False):
    """``node[key]`` of type ``kind`` (``Real`` = any number); the error names the dotted ``path``."""
    if key not in node or node[key] is None:
        if optional:
            return None
        raise _error(profile, f"missing key '{path}'.")
    value = node[key]
    ok = _is_number(value) if kind is Real else isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise _error(profile, f"key '{path}' must be {_type_name(kind)}, got {type(value).__name__} ({value!r}).")
    return value


def check_weights(profile, weights: dict[str, float], what: str) -> None:
    """``weights`` (dotted key → weight) must be numbers >= 0 summing to 1."""
    for path, w in weights.items():
        if not _is_number(w) or w < 0:
            raise _error(profile, f"key '{path}' must be a non-negative number, got {w!r}.")
    total = sum(weights.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise _error(profile, f"weights of {what} sum to {total:g}, not 1 (keys {', '.join(weights)}).")


def check_cutoffs(profile, cutoffs, n: int, direction: str, path: str) -> None:
    """One cut-off per tier above the lowest, monotone: ascending when higher is better, descending when lower is."""
    if not isinstance(cutoffs, list) or len(cutoffs) != n or not all(_is_number(c) for c in cutoffs):
        raise _error(profile, f"key '{path}' must be a list of {n} numbers (one per tier above the lowest), got {cutoffs!r}.")
    pairs = list(zip(cutoffs, cutoffs[1:], strict=False))
    ok = all(a <= b for a, b in pairs) if direction == "higher" else all(a >= b for a, b in pairs)
    if not ok:
        order = "ascending" if direction == "higher" else "descending"
        raise _error(profile, f"key '{path}' must be {order} (the indicator's direction is '{direction}'), got {cutoffs}.")


def check_profile(profile) -> None:
    for key, kind in REQUIRED.items():
        need(profile, profile, key, kind, key)
    if profile["window_days"] <= 0:
        raise _error(profile, "key 'window_days' must be a positive number of days.")
    _check_range(profile)
    _check_dimensions(profile)
    _check_indicators(profile)
    _check_tiers(profile)
    _check_service_weights(profile)
    _check_stage(profile)
    _check_floor(profile)
    _check_adjustments(profile)
    _check_display(profile)
    for section in ("consequences", "im_service_thresholds"):
        _check_lines(profile, section)


def _check_range(profile) -> None:
    lo = need(profile, profile["range"], "min", Real, "range.min")
    hi = need(profile, profile["range"], "max", Real, "range.max")
    if lo >= hi:
        raise _error(profile, f"key 'range' must have min < max, got {lo} and {hi}.")
    if "rounding" in profile:
        need(profile, need(profile, profile, "rounding", dict, "rounding"), "total_decimals", int, "rounding.total_decimals")


def _check_dimensions(profile) -> None:
    weights = {}
    for name, spec in profile["dimensions"].items():
        if not isinstance(spec, dict):
            raise _error(profile, f"key 'dimensions.{name}' must be a mapping with 'weight' and 'zh'.")
        weights[f"dimensions.{name}.weight"] = need(profile, spec, "weight", Real, f"dimensions.{name}.weight")
    check_weights(profile, weights, "'dimensions'")


def _check_indicators(profile) -> None:
    by_dim: dict[str, dict] = {}
    for key, spec in profile["indicators"].items():
        if not isinstance(spec, dict):
            raise _error(profile, f"indicator '{key}' must be a mapping.")
        dim = need(profile, spec, "dimension", str, f"indicators.{key}.dimension")
        if dim not in profile["dimensions"]:
            raise _error(profile, f"key 'indicators.{key}.dimension' names '{dim}', not one of the dimensions {list(profile['dimensions'])}.")
        if need(profile, spec, "direction", str, f"indicators.{key}.direction") not in DIRECTIONS:
            raise _error(profile, f"key 'indicators.{key}.direction' must be one of {DIRECTIONS}, got {spec['direction']!r}.")
        if spec.get("scoring", "tiers") not in ("tiers", "direct"):
            raise _error(profile, f"key 'indicators.{key}.scoring' must be 'tiers' or 'direct', got {spec['scoring']!r}.")
        by_dim.setdefault(dim, {})[f"indicators.{key}.weight"] = need(profile, spec, "weight", Real, f"indicators.{key}.weight")
    for dim, weights in by_dim.items():
        check_weights(profile, weights, f"the indicators of dimension '{dim}'")


def directions(profile) -> dict[str, str]:
    """Indicator key → direction, for scored and reference-only indicators."""
    out = {k: v.get("direction") for k, v in profile.get("reference_indicators", {}).items() if isinstance(v, dict)}
    out.update({k: v["direction"] for k, v in profile["indicators"].items()})
    return out


def _check_tiers(profile) -> None:
    tiers = profile["tiers"]
    scores = need(profile, tiers, "scores", list, "tiers.scores")
    if len(scores) < 2 or not all(_is_number(s) for s in scores) or sorted(scores) != scores:
        raise _error(profile, f"key 'tiers.scores' must be an ascending list of at least two numbers, got {scores!r}.")
    industries = need(profile, tiers, "industries", dict, "tiers.industries")
    default = need(profile, tiers, "default_industry", str, "tiers.default_industry")
    if default not in industries:
        raise _error(profile, f"missing key 'tiers.industries.{default}' (the default industry).")
    dirs = directions(profile)
    for industry, spec in industries.items():
        cutoffs = need(profile, spec if isinstance(spec, dict) else {}, "cutoffs", dict, f"tiers.industries.{industry}.cutoffs")
        for key, values in cutoffs.items():
            if key not in dirs:
                raise _error(profile, f"key 'tiers.industries.{industry}.cutoffs.{key}' names an indicator the profile does not list.")
            check_cutoffs(profile, values, len(scores) - 1, dirs[key], f"tiers.industries.{industry}.cutoffs.{key}")
    for key, spec in profile["indicators"].items():
        if spec.get("scoring", "tiers") == "tiers" and key not in industries[default]["cutoffs"]:
            raise _error(profile, f"missing key 'tiers.industries.{default}.cutoffs.{key}' (every tier-scored indicator needs default cut-offs).")


def _check_service_weights(profile) -> None:
    if "service_weights" not in profile:
        return
    sw = need(profile, profile, "service_weights", dict, "service_weights")
    columns = need(profile, sw, "columns", list, "service_weights.columns")
    for key in columns:
        if key not in profile["indicators"]:
            raise _error(profile, f"key 'service_weights.columns' names '{key}', which is not in 'indicators'.")
    industries = need(profile, sw, "industries", dict, "service_weights.industries")
    need(profile, sw, "default_industry", str, "service_weights.default_industry")
    if sw["default_industry"] not in industries:
        raise _error(profile, f"missing key 'service_weights.industries.{sw['default_industry']}' (the default industry).")
    for industry, row in industries.items():
        if not isinstance(row, dict):
            raise _error(profile, f"key 'service_weights.industries.{industry}' must map shop types to weight lists.")
        for shop_type, values in row.items():
            path = f"service_weights.industries.{industry}.{shop_type}"
            if not isinstance(values, list) or len(values) != len(columns) or not all(_is_number(v) for v in values):
                raise _error(profile, f"key '{path}' must be a list of {len(columns)} numbers (in %), got {values!r}.")
            if abs(sum(values) - 100) > 1e-6:
                raise _error(profile, f"weights of '{path}' sum to {sum(values):g}%, not 100%.")


def _check_stage(profile) -> None:
    stage = profile["stage"]
    need(profile, stage, "min_orders", int, "stage.min_orders")
    for key in ("growth", "formal"):
        need(profile, stage, key, str, f"stage.{key}")
    for key in ("growth_score", "growth_score_with_violations"):
        need(profile, stage, key, Real, f"stage.{key}", optional=True)
    need(profile, stage, "violation_kinds", list, "stage.violation_kinds", optional=True)


def _check_floor(profile) -> None:
    if "floor" not in profile:
        return
    floor = need(profile, profile, "floor", dict, "floor")
    need(profile, floor, "score", Real, "floor.score")
    need(profile, floor, "max_bad", int, "floor.max_bad")
    limits = need(profile, floor, "orders_below", dict, "floor.orders_below")
    need(profile, limits, "default", int, "floor.orders_below.default")
    for key, spec in need(profile, floor, "indicators", dict, "floor.indicators").items():
        if key not in profile["indicators"]:
            raise _error(profile, f"key 'floor.indicators.{key}' names an indicator the profile does not score.")
        if need(profile, spec, "count", str, f"floor.indicators.{key}.count") not in ("bad_count", "numerator", "denominator"):
            raise _error(profile, f"key 'floor.indicators.{key}.count' must be bad_count, numerator or denominator.")


def _check_adjustments(profile) -> None:
    for i, group in enumerate(need(profile, profile, "deductions", list, "deductions", optional=True) or []):
        path = f"deductions[{i}]"
        need(profile, group, "group", str, f"{path}.group")
        need(profile, group, "kinds", list, f"{path}.kinds")
        need(profile, group, "points", Real, f"{path}.points")
        need(profile, group, "cap", Real, f"{path}.cap")
    for i, bonus in enumerate(need(profile, profile, "bonuses", list, "bonuses", optional=True) or []):
        path = f"bonuses[{i}]"
        for key, kind in (("id", str), ("shop_flag", str), ("dimension", str), ("points", Real), ("cap", Real)):
            need(profile, bonus, key, kind, f"{path}.{key}")
        if bonus["dimension"] not in profile["dimensions"] and bonus["dimension"] != "total":
            raise _error(profile, f"key '{path}.dimension' names '{bonus['dimension']}', not a dimension.")


def _check_display(profile) -> None:
    if "display" not in profile:
        return
    display = need(profile, profile, "display", dict, "display")
    if need(profile, display, "kind", str, "display.kind") == "table":
        rows = need(profile, display, "rows", list, "display.rows")
        if not all(isinstance(r, list) and len(r) == 2 and all(_is_number(x) for x in r) for r in rows):
            raise _error(profile, "key 'display.rows' must be a list of [min_total, display_value] pairs.")


def _check_lines(profile, section: str) -> None:
    for i, line in enumerate(need(profile, profile, section, list, section, optional=True) or []):
        path = f"{section}[{i}]"
        if not isinstance(line, dict):
            raise _error(profile, f"key '{path}' must be a mapping.")
        need(profile, line, "id", str, f"{path}.id")
        need(profile, line, "metric", str, f"{path}.metric")
        need(profile, line, "value", Real, f"{path}.value")
        if need(profile, line, "op", str, f"{path}.op") not in OPS:
            raise _error(profile, f"key '{path}.op' must be one of {OPS}, got {line['op']!r}.")
