"""The parse-once cache returns exactly what a fresh load returns, and notices changed files."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from shopscore_nb import load_shop
from shopscore_nb.batch.cache import cached_shop
from shopscore_nb.report import build_report

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def test_cached_shop_equals_fresh_load(tmp_path):
    fresh = load_shop(DEMO, "growth")
    first = cached_shop(DEMO, "growth", tmp_path)
    again = cached_shop(DEMO, "growth", tmp_path)  # served from Parquet
    assert len(list(tmp_path.rglob("_meta.json"))) == 1
    for name, frame in fresh.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, check_dtype=False, check_categorical=False)
    assert again.quality_counts() == fresh.quality_counts() == first.quality_counts()
    assert again.default_as_of() == fresh.default_as_of()
    assert build_report(again).to_json() == build_report(fresh).to_json()


def test_cache_is_invalidated_by_a_changed_file(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(DEMO / "growth", root / "growth")
    cache = tmp_path / "cache"
    cached_shop(root, "growth", cache)
    target = next((root / "growth").glob("*.csv"))
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    cached_shop(root, "growth", cache)
    assert len(list(cache.rglob("_meta.json"))) == 2
