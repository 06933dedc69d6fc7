"""Notebook parameters, checked before use: one :class:`ParameterError` listing every problem.

>>> validate_parameters("../data/demo", "flagship", "", "nosuch", 0)      # doctest: +SKIP
Traceback (most recent call last):
ParameterError: invalid notebook parameters:
  - profile: unknown profile 'nosuch'; known profiles: douyin_2022 ...
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..arguments import MAX_WINDOW_DAYS, parse_as_of
from ..errors import LoadError, ParameterError, ProfileError
from ..profile import available_profiles, load_profile
from ..shop import shop_folder


@dataclass(frozen=True)
class Params:
    """Validated notebook parameters (``as_of`` None = default as-of; ``window_days`` None = profile default)."""

    data_dir: Path | None
    shop_id: str
    as_of: pd.Timestamp | None
    profile: str
    window_days: int | None
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):  # params.top_n etc. for section-specific parameters
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(name)


def _check_as_of(value, errors: list[str]) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):  # a YAML parameters file gives dates, not strings
        return pd.Timestamp(value).normalize()
    if not isinstance(value, str):
        errors.append(f"as_of: expected a date 'YYYY-MM-DD' or '' (default), got {type(value).__name__} {value!r}")
        return None
    try:
        return parse_as_of(value)
    except ValueError:
        errors.append(f"as_of: '{value}' is not a date in YYYY-MM-DD form (or '' for the day after the latest data)")
        return None


def _check_profile(value, errors: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append(f"profile: expected a profile name, got {value!r}; known profiles: {', '.join(available_profiles())}")
        return ""
    value = value.strip()
    is_path = value.endswith((".yaml", ".yml"))
    if is_path and not Path(value).is_file():
        errors.append(f"profile: file '{value}' not found")
        return value
    if not is_path and value not in available_profiles():
        errors.append(f"profile: unknown profile '{value}'; known profiles: {', '.join(available_profiles())} (or a path to a .yaml copy)")
        return value
    try:
        load_profile(value)
    except (ProfileError, LoadError) as exc:
        errors.append(f"profile: {exc}")
    return value


def _check_int(name: str, value, errors: list[str], minimum: int = 0, maximum: int | None = None) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        errors.append(f"{name}: expected a whole number, got {type(value).__name__} {value!r}")
        return None
    if value < minimum or (maximum is not None and value > maximum):
        errors.append(f"{name}: {value} is out of range ({minimum}–{maximum if maximum is not None else '∞'})")
        return None
    return int(value)


def validate_parameters(data_dir="../data/demo", shop_id="flagship", as_of="", profile="douyin_2022", window_days=0,
                        *, need_data: bool = True, ruleset: str | None = None, **extra) -> Params:
    """Check every notebook parameter and return them typed; raise one :class:`ParameterError` listing all problems.

    ``need_data=False`` (training notebook) skips the folder checks; ``ruleset`` requires a profile of that
    rule era (the training examples follow the seed definitions). Extra parameters: whole numbers must be
    ≥ 0 (``top_n`` ≥ 1); strings and booleans pass through.
    """
    errors: list[str] = []
    for name, value in (("data_dir", data_dir), ("shop_id", shop_id)):
        if not isinstance(value, (str, os.PathLike)):
            errors.append(f"{name}: expected text, got {type(value).__name__} {value!r}")
    at = _check_as_of(as_of, errors)
    prof = _check_profile(profile, errors)
    if ruleset and prof and not any(e.startswith("profile") for e in errors):
        era = str(load_profile(prof).get("ruleset", "seed"))
        if era != ruleset:
            errors.append(f"profile: '{prof}' follows the '{era}' rules; this notebook's examples need a '{ruleset}' profile "
                          f"(e.g. douyin_2022 or an edited copy of it)")
    window = _check_int("window_days", window_days, errors, 0, MAX_WINDOW_DAYS)
    checked = {}
    for name, value in extra.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            checked[name] = _check_int(name, value, errors, 1 if name == "top_n" else 0)
        else:
            checked[name] = value
    root = None
    if need_data and not any(e.startswith(("data_dir", "shop_id")) for e in errors):
        root = Path(data_dir)
        if not root.is_dir():
            errors.append(f"data_dir: folder '{data_dir}' not found (relative paths start at {Path.cwd()})")
        else:
            try:
                shop_folder(root, str(shop_id))
            except LoadError as exc:
                errors.append(f"shop_id: {exc}")
    elif not need_data and isinstance(data_dir, (str, os.PathLike)):
        root = Path(data_dir)
    if errors:
        raise ParameterError("invalid notebook parameters:\n  - " + "\n  - ".join(errors)) from None
    return Params(root, str(shop_id), at, prof, window or None, checked)
