"""The one way to open a shop (CLI, notebooks, batch): resolve its folder once, read through the parse cache.

Each shop's exports are parsed once into a canonical Parquet cache keyed by the content of the files.

Every notebook of a shop then loads in well under a second. The cache holds unmasked data (message
text, buyer IDs), so it lives **outside** the reports folder: by default in the per-user cache
directory (``~/.cache/shopscore`` on Linux), or where ``--cache-dir`` / ``cache_dir=`` says. The
``SHOPSCORE_CACHE`` environment variable carries the choice to the batch's kernels.

>>> from shopscore_nb.store import open_shop
>>> shop = open_shop("data/demo", "flagship", cache_dir="/tmp/shopscore-cache")   # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from . import __version__
from .compact import decode, encode
from .paths import safe_name
from .shop import ShopData, load_folder, shop_folder

ENV = "SHOPSCORE_CACHE"
_DIGESTS: dict[tuple, str] = {}


def default_cache_dir() -> Path:
    """The per-user cache directory (``$XDG_CACHE_HOME/shopscore/parsed``, ``~/Library/Caches/…`` on macOS)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("shopscore", appauthor=False)) / "parsed"


def file_digest(path: Path) -> str:
    """BLAKE2b of the file's bytes. Memoised per process by (size, mtime, ctime, inode): any write, and any
    ``touch -r`` that restores an old mtime, changes ctime, so an edited file is always hashed again."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    if key not in _DIGESTS:
        with open(path, "rb") as f:
            _DIGESTS[key] = hashlib.file_digest(f, "blake2b").hexdigest()[:32]
    return _DIGESTS[key]


def fingerprint(folder: Path) -> str:
    """Hash of every file's name and content (and the kit version): the key of a shop's parsed data."""
    h = hashlib.blake2b(__version__.encode(), digest_size=16)
    for p in sorted(Path(folder).iterdir()):
        if p.is_file():
            h.update(f"{p.name}\0{file_digest(p)}\n".encode())
    return h.hexdigest()


def _write(shop: ShopData, target: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-", dir=target.parent))
    try:
        for name, frame in shop.tables.items():
            decode(frame, name).to_parquet(tmp / f"{name}.parquet")  # codes are per process: text on disk
        shop.quarantine.astype(str).to_parquet(tmp / "_quarantine.parquet")
        shop.warnings.astype(str).to_parquet(tmp / "_warnings.parquet")
        for name, frame in shop.rejected.items():
            frame.astype(str).to_parquet(tmp / f"_rejected.{name}.parquet")
        meta = {"shop_id": shop.shop_id, "files": shop.files, "ignored": shop.ignored, "config": shop.config,
                "now": shop.now.isoformat() if shop.now is not None else None}
        (tmp / "_meta.json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        if target.exists():  # a forced refresh replaces the entry
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:  # another worker won the race: theirs is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read(target: Path) -> ShopData:
    meta = json.loads((target / "_meta.json").read_text(encoding="utf-8"))
    tables = encode({p.stem: pd.read_parquet(p) for p in target.glob("*.parquet") if not p.stem.startswith("_")})
    quarantine = pd.read_parquet(target / "_quarantine.parquet")
    warnings = pd.read_parquet(target / "_warnings.parquet")
    rejected = {p.stem.split(".", 1)[1]: pd.read_parquet(p) for p in target.glob("_rejected.*.parquet")}
    now = pd.Timestamp(meta["now"]) if meta.get("now") else None
    return ShopData(meta["shop_id"], tables, quarantine, warnings, meta["files"], meta["ignored"], meta["config"], rejected, now)


def _private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by this user only: the cache holds unmasked buyer data."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _prune(base: Path, keep: str) -> None:
    """Older parses of the same shop (its files changed since): removed, so the cache does not grow."""
    for old in base.iterdir():
        if old.is_dir() and old.name != keep and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)


def open_shop(data_root, shop_id: str, cache_dir: str | Path | None = None, refresh: bool = False) -> ShopData:
    """Load a shop, through the on-disk cache when a cache directory is given (``cache_dir``, else the
    ``SHOPSCORE_CACHE`` environment variable the batch sets for its kernels), plainly otherwise.

    ``refresh=True`` parses the exports again and replaces the cached entry (``batch --force``)."""
    folder = shop_folder(data_root, shop_id)
    cache_dir = cache_dir or os.environ.get(ENV)
    if not cache_dir:
        return load_folder(folder, shop_id)
    base = _private_dir(Path(cache_dir) / safe_name(shop_id))
    key = fingerprint(folder)
    target = base / key
    if not refresh and (target / "_meta.json").exists():
        return _read(target)
    shop = load_folder(folder, shop_id)
    _write(shop, target)
    _prune(base, key)
    return shop


