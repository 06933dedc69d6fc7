"""Every number of a profile marked ``assumption: true`` that a score used, as readable lines, and
the numbers a calibration (``shopscore calibrate``, SPEC §6.1) fitted in their place, with their evidence.

>>> from shopscore_nb.profile import load_profile
>>> from shopscore_nb.scoring.assumptions import calibrated_numbers, profile_assumptions
>>> profile_assumptions(load_profile("douyin_2026"), tier_industry="默认")[0]         # doctest: +ELLIPSIS
'im.wait_cap: ...'
>>> calibrated_numbers(load_profile("douyin_2026"))                                  # a shipped profile: none
[]
"""
from __future__ import annotations


def _walk(node, path: str):
    if isinstance(node, dict):
        if node.get("assumption") is True:
            yield path, node.get("note", "")
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            name = value.get("id", value.get("group", i)) if isinstance(value, dict) else i
            yield from _walk(value, f"{path}[{name}]")


def profile_assumptions(profile, tier_industry: str) -> list[str]:
    """``path: note`` for each assumption, skipping the tier sets of industries the shop does not use."""
    default = profile["tiers"]["default_industry"]
    used = {f"tiers.industries.{tier_industry}", f"tiers.industries.{default}"}
    out = []
    for path, note in _walk(dict(profile), ""):
        if path.startswith("tiers.industries.") and not any(path == u or path.startswith(u + ".") for u in used):
            continue
        out.append(f"{path}: {note}".rstrip(": "))
    return out


def _used_tier_sets(profile, tier_industry: str | None) -> set[str] | None:
    if tier_industry is None:
        return None
    return {tier_industry, profile["tiers"]["default_industry"]}


def calibrated_numbers(profile, tier_industry: str | None = None) -> list[str]:
    """``path = value (calibrated from N readings, interval [lo, hi])`` for each number a calibration
    pinned (marked ``calibrated: {observations, interval}``), then where the readings came from; only
    the tier sets the shop uses when ``tier_industry`` is given. Empty for a profile never calibrated."""
    out = []
    for name, spec in profile["dimensions"].items():
        if isinstance(spec.get("calibrated"), dict):
            out.append(f"dimensions.{name}.weight = {spec['weight']:g} {_evidence(spec['calibrated'])}")
    for key, spec in profile["indicators"].items():
        if isinstance(spec.get("calibrated"), dict):
            out.append(f"indicators.{key}.weight = {spec['weight']:g} {_evidence(spec['calibrated'])}")
    used = _used_tier_sets(profile, tier_industry)
    for industry, spec in profile["tiers"]["industries"].items():
        if used is not None and industry not in used:
            continue
        for key, marks in (spec.get("calibrated") or {}).items():
            for value, m in zip(spec["cutoffs"].get(key, []), marks, strict=False):
                if "observations" in m:
                    out.append(f"tiers.industries.{industry}.cutoffs.{key} tier {m['tier']:g} = {value:g} {_evidence(m)}")
    source = profile.get("calibration")
    if out and isinstance(source, dict):
        dates = " … ".join(source.get("dates") or [])
        shops = len(source.get("shops") or [])  # counted, not named: a shop's report names no other shop (SPEC §9)
        out.append(f"calibration: {source.get('readings')} backend readings of {shops} shop(s) "
                   f"({dates}), base profile {source.get('base_profile')}, tier set {source.get('tier_set')}")
    return out


def _evidence(mark: dict) -> str:
    lo, hi = (list(mark.get("interval") or [None, None]) + [None, None])[:2]
    span = "" if lo is None and hi is None else f", interval [{'−∞' if lo is None else f'{lo:g}'}, {'∞' if hi is None else f'{hi:g}'}]"
    return f"(calibrated from {mark.get('observations')} readings{span})"
