"""The parse-once cache returns exactly what a fresh load returns, and notices changed files."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from shopscore_nb import load_shop
from shopscore_nb.report import build_report
from shopscore_nb.store import open_shop

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def test_open_shop_through_the_cache_equals_a_fresh_load(tmp_path):
    fresh = load_shop(DEMO, "growth")
    first = open_shop(DEMO, "growth", tmp_path)
    again = open_shop(DEMO, "growth", tmp_path)  # served from Parquet
    assert len(list(tmp_path.rglob("_meta.json"))) == 1
    for name, frame in fresh.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, check_dtype=False, check_categorical=False)
    assert again.quality_counts() == fresh.quality_counts() == first.quality_counts()
    assert again.default_as_of() == fresh.default_as_of()
    assert build_report(again).to_json() == build_report(fresh).to_json()


def _edit_keeping_size_and_mtime(path: Path, old: bytes, new: bytes) -> None:
    """Replace the last ``old`` by ``new`` (same length) and put the old modification time back (``touch -r``)."""
    st = path.stat()
    data = path.read_bytes()
    assert len(old) == len(new) and old in data
    at = data.rindex(old)
    path.write_bytes(data[:at] + new + data[at + len(old):])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_cache_key_is_the_content_not_size_and_mtime(tmp_path):
    """Issue 9 #7: a rating changed 5→1 with the same byte length and the old mtime is seen at once."""
    root = tmp_path / "root"
    shutil.copytree(DEMO / "growth", root / "growth")
    cache = tmp_path / "cache"
    as_of = "2026-10-29"
    before = build_report(open_shop(root, "growth", cache), as_of=as_of).results["cs.satisfaction_rate"]
    _edit_keeping_size_and_mtime(root / "growth" / "飞鸽会话明细.csv", b",5\n", b",1\n")
    after = build_report(open_shop(root, "growth", cache), as_of=as_of).results["cs.satisfaction_rate"]
    fresh = build_report(load_shop(root, "growth"), as_of=as_of).results["cs.satisfaction_rate"]
    assert (after.numerator, after.denominator) == (fresh.numerator, fresh.denominator)
    assert after.numerator == before.numerator - 1 and after.denominator == before.denominator
    assert len(list(cache.rglob("_meta.json"))) == 1  # the older parse of the shop is pruned


def test_touching_a_file_keeps_the_cache_and_refresh_reparses(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(DEMO / "growth", root / "growth")
    cache = tmp_path / "cache"
    open_shop(root, "growth", cache)
    entry = next(cache.rglob("_meta.json")).parent
    made = entry.stat().st_mtime_ns
    target = next((root / "growth").glob("*.csv"))
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same bytes: same key
    open_shop(root, "growth", cache)
    assert [p.parent for p in cache.rglob("_meta.json")] == [entry] and entry.stat().st_mtime_ns == made
    open_shop(root, "growth", cache, refresh=True)  # batch --force
    assert [p.parent for p in cache.rglob("_meta.json")] == [entry] and entry.stat().st_mtime_ns != made


def test_cache_folder_is_private(tmp_path):
    open_shop(DEMO, "growth", tmp_path / "cache")
    assert (tmp_path / "cache" / "growth").stat().st_mode & 0o077 == 0
