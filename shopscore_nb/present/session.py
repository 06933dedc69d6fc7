"""A shop's report, loaded once per kernel: every notebook cell (and every notebook of a warm batch kernel)
asks for it again and is served from memory while the shop folder's content is unchanged.

The shop folder is resolved once and read through :func:`shopscore_nb.store.open_shop` — the same
path the CLI and the batch use (the batch's on-disk cache when it set one for the kernel).

>>> rep = load_report(validate_parameters("../data/demo", "flagship"))   # doctest: +SKIP
>>> cache_info()["report_misses"]                                        # doctest: +SKIP
1
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ShopscoreError
from ..report import ShopReport, build_report
from ..shop import ShopData, shop_folder
from ..store import fingerprint, open_shop
from .params import Params

_SHOPS: dict[tuple, ShopData] = {}
_REPORTS: dict[tuple, ShopReport] = {}
_STATS = {"shop_hits": 0, "shop_misses": 0, "report_hits": 0, "report_misses": 0}


def _shop(folder: Path, data_dir, shop_id: str) -> tuple[tuple, ShopData]:
    key = (str(folder), fingerprint(folder))
    if key in _SHOPS:
        _STATS["shop_hits"] += 1
        return key, _SHOPS[key]
    _STATS["shop_misses"] += 1
    for old in [k for k in _SHOPS if k[0] == key[0]]:  # the folder changed: forget its older versions
        del _SHOPS[old]
        for rk in [r for r in _REPORTS if r[0] == old]:
            del _REPORTS[rk]
    _SHOPS[key] = open_shop(data_dir, shop_id)
    return key, _SHOPS[key]


def load_shop_cached(data_dir, shop_id: str) -> ShopData:
    """The shop, served from memory when the folder's files are unchanged (same kernel)."""
    return _shop(shop_folder(data_dir, shop_id).resolve(), data_dir, shop_id)[1]


def load_report(params: Params) -> ShopReport:
    """Every indicator and the score for the validated parameters, cached per folder content, as-of, profile and window."""
    shop_key, shop = _shop(shop_folder(params.data_dir, params.shop_id).resolve(), params.data_dir, params.shop_id)
    key = (shop_key, params.as_of, params.profile, params.window_days)
    if key in _REPORTS:
        _STATS["report_hits"] += 1
        return _REPORTS[key]
    _STATS["report_misses"] += 1
    rep = build_report(shop, as_of=params.as_of, profile=params.profile, window_days=params.window_days)
    _REPORTS[key] = rep
    return rep


def cache_info() -> dict:
    return {**_STATS, "shops": len(_SHOPS), "reports": len(_REPORTS)}


def forget_shops() -> None:
    """Drop every shop's tables and reports (and what was derived from them); counters and caches that hold no
    shop's data stay. A batch kernel that renders several shops calls this between shops."""
    _SHOPS.clear()
    _REPORTS.clear()
    _DERIVED.clear()


def clear_cache() -> None:
    _SHOPS.clear()
    _REPORTS.clear()
    for k in _STATS:
        _STATS[k] = 0
    _DERIVED.clear()


# ---------------------------------------------------------------- derived once per report
_DERIVED: dict[tuple, object] = {}


def _derived(rep: ShopReport, what: str, make):
    key = (id(rep), what)
    if key not in _DERIVED or _DERIVED[key][0] is not rep:
        _DERIVED[key] = (rep, make())
    return _DERIVED[key][1]


def plan_of(rep: ShopReport):
    """The report's what-if plan (:func:`shopscore_nb.scoring.plan.fix_plan` over the overview's fixes), computed once:
    every page shows the same numbers."""
    from ..scoring.plan import fix_plan
    from .sections import section

    return _derived(rep, "plan", lambda: fix_plan(rep.ctx, rep.results, list(section("overview").get("what_if", []))))


def earlier_report(rep: ShopReport, days: int) -> ShopReport | None:
    """The same shop, profile and window as of ``days`` earlier (for the 7-day changes), computed once; None
    when that date has no data."""
    def make():
        try:
            return build_report(rep.shop, as_of=rep.ctx.as_of - pd.Timedelta(days=days), profile=rep.ctx.profile,
                                window_days=rep.ctx.window_days)
        except ShopscoreError:
            return None

    return _derived(rep, f"earlier:{days}", make)


# ---------------------------------------------------------------- pooled across shops: once per kernel
_CALIBRATIONS: dict[tuple, object] = {}
_CALIBRATIONS_KEPT = 4


def _calibration_key(view) -> tuple:
    """What the pooled calibration depends on: the data root, the base profile (and its file's content when
    it is a path), the readings file, and the content of every shop folder that holds readings."""
    from ..reconcile.readings import READINGS_FILE

    root = Path(view.params.data_dir).resolve()
    base = str(view.rec.profile_arg)
    base_path = Path(base)
    base_key = (base, fingerprint(base_path.parent) if base_path.suffix in (".yaml", ".yml") and base_path.is_file() else "")
    backend = str(view.backend or "")
    backend_key = (backend, fingerprint(Path(backend).resolve().parent) if backend and Path(backend).is_file() else "")
    shops = tuple((p.name, fingerprint(p)) for p in sorted(root.iterdir()) if p.is_dir() and (p / READINGS_FILE).is_file())
    return (str(root), base_key, backend_key, shops)


def calibration_of(view):
    """:func:`shopscore_nb.reconcile.view.calibration`, computed once for a data root's content: the readings of
    every shop of the root are pooled, so every shop's page shows the same calibration, and a batch that renders
    many shops reconciles the root's shops once, not once per shop. Only the page's shop id differs (the page
    names no other shop); a failed calibration (its message names this page's shop) is not kept.

    Kept in memory for the kernel's life and, when the batch gave its kernels a cache folder (``SHOPSCORE_CACHE``:
    it holds unmasked data and lives outside the reports), on disk beside the parsed shops, under a lock: two
    batch kernels, a replaced kernel and the next morning's run with the same readings compute it once."""
    from dataclasses import replace

    from ..reconcile import view as rv

    if view.rec is None:
        return rv.calibration(view)
    key = _calibration_key(view)
    kept = _CALIBRATIONS.get(key)
    if kept is None:
        with _calibration_file(key) as stored:
            kept = stored.load()
            if kept is None:
                cv = rv.calibration(view)
                if cv.result is None:
                    return cv
                kept = cv
                stored.save(cv)
        while len(_CALIBRATIONS) >= _CALIBRATIONS_KEPT:
            del _CALIBRATIONS[next(iter(_CALIBRATIONS))]
        _CALIBRATIONS[key] = kept
    return replace(kept, shop_id=view.shop.shop_id)


class _calibration_file:
    """The on-disk copy of a pooled calibration (``<cache>/calibration/<hash>.pickle``), locked while it is
    read or computed; a no-op without a batch cache folder."""

    def __init__(self, key: tuple):
        import hashlib
        import os

        from ..store import ENV

        folder = os.environ.get(ENV)
        self.path = None
        if folder:
            digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
            self.path = Path(folder) / "calibration" / f"{digest}.pickle"
        self._lock = None

    def __enter__(self):
        if self.path is not None:
            import fcntl

            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._lock = open(self.path.with_suffix(".lock"), "w")
                fcntl.flock(self._lock, fcntl.LOCK_EX)
            except OSError:  # an unwritable cache: compute in memory only
                self.path = None
        return self

    def __exit__(self, *exc):
        if self._lock is not None:
            self._lock.close()  # releases the lock

    def load(self):
        if self.path is None or not self.path.is_file():
            return None
        import pickle

        try:
            with open(self.path, "rb") as f:
                return pickle.load(f)  # written by this kit into the user's own cache folder
        except Exception:  # a torn or stale file: computed again
            return None

    def save(self, cv) -> None:
        if self.path is None:
            return
        import os
        import pickle
        import tempfile

        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(cv, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except Exception:  # not picklable or no space: the memory copy still serves this kernel
            pass
