"""Every number of a profile marked ``assumption: true`` that a score used, as readable lines.

>>> from shopscore_nb.profile import load_profile
>>> from shopscore_nb.scoring.assumptions import profile_assumptions
>>> profile_assumptions(load_profile("douyin_2026"), tier_industry="默认")[0]         # doctest: +ELLIPSIS
'im.wait_cap: ...'
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
