"""Every error the kit raises for bad input, in one place: each names the file, key or parameter at fault.

The CLI turns any :class:`ShopscoreError` into a one-line message and exit status 2 (bad input);
anything else is a bug.

>>> issubclass(ProfileError, LoadError) and issubclass(LoadError, ShopscoreError)
True
"""
from __future__ import annotations


class ShopscoreError(ValueError):
    """Input the kit cannot use; the message says what and where, without a traceback."""


class LoadError(ShopscoreError):
    """A problem that makes a file, a shop folder or an output folder unusable; the message names it."""


class ProfileError(LoadError):
    """A rule profile that is missing, malformed or inconsistent; the message names the key."""


class ParameterError(ShopscoreError):
    """Notebook parameters that cannot be used; the message lists every problem in one place."""
