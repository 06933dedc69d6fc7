"""Validation of a rule profile on load: a clear error naming the key, never a traceback later."""
from __future__ import annotations

REQUIRED = {"name": str, "window_days": int, "business_hours": dict, "im": dict, "indicators": dict}


def check_profile(profile) -> None:
    from .profile import ProfileError

    name = profile.get("name", "?")
    for key, kind in REQUIRED.items():
        if key not in profile:
            raise ProfileError(f"profile {name}: missing key '{key}'.")
        if not isinstance(profile[key], kind):
            raise ProfileError(f"profile {name}: key '{key}' must be a {kind.__name__}, got {type(profile[key]).__name__}.")
    if profile["window_days"] <= 0:
        raise ProfileError(f"profile {name}: key 'window_days' must be a positive number of days.")
    for key, spec in profile["indicators"].items():
        if not isinstance(spec, dict):
            raise ProfileError(f"profile {name}: indicator '{key}' must be a mapping.")
