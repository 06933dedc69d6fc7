"""Rule profiles: every window, threshold, cut-off and weight lives in a YAML file, not in code.

>>> from shopscore_nb.profile import load_profile
>>> p = load_profile("douyin_2022")
>>> p["window_days"], p.get("im.reply_within_seconds")
(90, 180)
"""
from __future__ import annotations

import copy
import functools
from importlib import resources
from pathlib import Path

import yaml

from .errors import LoadError, ProfileError  # noqa: F401  (re-exported)


def available_profiles() -> list[str]:
    folder = resources.files("shopscore_nb.profiles")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


class Profile(dict):
    """A profile mapping with dotted look-ups (``p.get("im.clock")``) and its source."""

    source: str = ""
    overridden: list[str]

    def get(self, dotted: str, default=None):
        node = self
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def require(self, dotted: str):
        value = self.get(dotted)
        if value is None:
            raise ProfileError(f"profile {self.get('name')}: missing key '{dotted}'.")
        return value

    @property
    def window_days(self) -> int:
        return int(self.require("window_days"))


def _deep_merge(base: dict, extra: dict, prefix: str = "") -> list[str]:
    changed = []
    for key, value in extra.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            changed += _deep_merge(base[key], value, path + ".")
        else:
            base[key] = copy.deepcopy(value)
            changed.append(path)
    return changed


@functools.lru_cache(maxsize=32)
def _parsed(text: str):
    """The YAML of a profile, parsed once per text (a report loads its profile dozens of times)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read(name_or_path: str | Path) -> tuple[dict, str]:
    path = Path(str(name_or_path))
    if path.suffix in (".yaml", ".yml") and path.exists():
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        names = available_profiles()
        if str(name_or_path) not in names:
            raise ProfileError(f"unknown profile '{name_or_path}'; known profiles: {', '.join(names)} (or a path to a .yaml copy).")
        text = resources.files("shopscore_nb.profiles").joinpath(f"{name_or_path}.yaml").read_text(encoding="utf-8")
        source = f"shopscore_nb/profiles/{name_or_path}.yaml"
    try:
        data = copy.deepcopy(_parsed(text))  # each load gets its own copy: overrides change it
    except yaml.YAMLError as exc:
        raise ProfileError(f"{source}: not valid YAML ({exc}).") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: a profile must be a mapping of settings.")
    return data, source


def load_profile(name_or_path: str | Path = "douyin_2022", overrides: dict | None = None) -> Profile:
    """Load a shipped profile by name, or a user's copy by path; apply ``overrides`` (from shop.yaml)."""
    data, source = _read(name_or_path)
    profile = Profile(data)
    profile.source = source
    profile.overridden = _deep_merge(profile, overrides or {})
    from .profile_checks import check_profile  # the validation rules live beside the scoring code

    check_profile(profile)
    return profile
