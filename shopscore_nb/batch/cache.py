"""Parse each shop's exports once: a canonical Parquet cache keyed by the source files' size and mtime.

Every notebook of a shop then loads in well under a second. The cache directory comes from the
argument or the ``SHOPSCORE_CACHE`` environment variable (set by the batch runner for its kernels).

>>> from shopscore_nb.batch.cache import cached_shop
>>> shop = cached_shop("data/demo", "flagship", cache_dir=".shopscore_cache")   # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .. import __version__
from ..shop import ShopData, load_shop, shop_folder
from .paths import safe_name

ENV = "SHOPSCORE_CACHE"


def fingerprint(folder: Path) -> str:
    """Hash of every file's name, size and modification time (and the kit version)."""
    h = hashlib.sha1(__version__.encode())
    for p in sorted(folder.iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _write(shop: ShopData, target: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        for name, frame in shop.tables.items():
            frame.to_parquet(tmp / f"{name}.parquet")
        shop.quarantine.astype(str).to_parquet(tmp / "_quarantine.parquet")
        shop.warnings.astype(str).to_parquet(tmp / "_warnings.parquet")
        for name, frame in shop.rejected.items():
            frame.astype(str).to_parquet(tmp / f"_rejected.{name}.parquet")
        meta = {"shop_id": shop.shop_id, "files": shop.files, "ignored": shop.ignored, "config": shop.config,
                "now": shop.now.isoformat() if shop.now is not None else None}
        (tmp / "_meta.json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        try:
            os.replace(tmp, target)
        except OSError:  # another worker won the race: theirs is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read(target: Path) -> ShopData:
    meta = json.loads((target / "_meta.json").read_text(encoding="utf-8"))
    tables = {p.stem: pd.read_parquet(p) for p in target.glob("*.parquet") if not p.stem.startswith("_")}
    quarantine = pd.read_parquet(target / "_quarantine.parquet")
    warnings = pd.read_parquet(target / "_warnings.parquet")
    rejected = {p.stem.split(".", 1)[1]: pd.read_parquet(p) for p in target.glob("_rejected.*.parquet")}
    now = pd.Timestamp(meta["now"]) if meta.get("now") else None
    return ShopData(meta["shop_id"], tables, quarantine, warnings, meta["files"], meta["ignored"], meta["config"], rejected, now)


def cached_shop(data_root, shop_id: str, cache_dir: str | Path | None = None) -> ShopData:
    """``load_shop`` through the on-disk cache (plain ``load_shop`` when no cache directory is set)."""
    cache_dir = cache_dir or os.environ.get(ENV)
    if not cache_dir:
        return load_shop(data_root, shop_id)
    folder = shop_folder(data_root, shop_id)
    base = Path(cache_dir) / safe_name(shop_id)
    target = base / fingerprint(folder)
    if (target / "_meta.json").exists():
        return _read(target)
    shop = load_shop(data_root, shop_id)
    base.mkdir(parents=True, exist_ok=True)
    _write(shop, target)
    return shop
