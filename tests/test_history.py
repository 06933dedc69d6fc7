"""History (issue 12): one row per shop × as-of × profile whatever the re-runs; metrics-only backfill; shopscore history."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import MINISHOPS
from test_batch import tiny_notebook

from shopscore_nb.batch import run_batch
from shopscore_nb.cli import main
from shopscore_nb.history import History, history_path

ROOT = MINISHOPS / "data"
SHOPS = ["mini1", "mini2", "minidecoy"]


def _rows(out: Path) -> list[tuple]:
    with sqlite3.connect(history_path(out)) as con:
        return con.execute("SELECT shop_id, as_of, profile FROM results ORDER BY shop_id, as_of").fetchall()


def test_record_replaces_never_duplicates(tmp_path):
    h = History.open(tmp_path)
    rep = {"shop_id": "a", "as_of": "2026-10-01", "profile": "douyin_2022", "total": 4.1, "dimensions": {"product": 4.0},
           "indicators": {"x": {"value": 0.5, "score": 4.0, "unit": "ratio"}},
           "lines": [{"key": "alliance", "name": "精选联盟准入", "met": True, "value": 4.1, "threshold": 4.0, "gap": 0.1, "window_days": 90, "op": ">="}],
           "drag": [{"key": "x", "name": "X", "points_lost": 0.2, "weight": 0.1}]}
    for total in (4.1, 3.9, 3.8):
        h.record([{**rep, "total": total}], {"a": "店"})
    h.record([{**rep, "as_of": "2026-10-02", "total": 3.7}, {**rep, "profile": "douyin_2026", "total": 80}])
    assert h.count() == 3
    series = h.series("a", "douyin_2022")
    assert [(r["as_of"], r["total"]) for r in series] == [("2026-10-01", 3.8), ("2026-10-02", 3.7)]
    assert series[0]["name"] == "店" and series[0]["indicators"]["x"] == {"value": 0.5, "score": 4.0}
    assert series[0]["lines"][0]["met"] is True and series[0]["dimensions"] == {"product": 4.0}
    assert h.previous("a", "douyin_2022", "2026-10-02")["total"] == 3.8
    assert h.previous("a", "douyin_2022", "2026-10-01") is None
    assert h.week_before("a", "douyin_2022", "2026-10-08")["as_of"] == "2026-10-01"
    assert h.week_before("a", "douyin_2022", "2026-10-05") is None  # never a row newer than D − 7


def test_backfill_and_reruns_keep_one_row_per_shop_and_date(tmp_path):
    out = tmp_path / "out"
    opts = {"metrics_only": True, "progress": False, "cache_dir": tmp_path / "cache", "warn_days": 0}
    first = run_batch(ROOT, out, as_of="2026-09-28", as_of_until="2026-10-01", **opts)
    assert first.failed == [] and first.history_rows == 3 * 4
    again = run_batch(ROOT, out, as_of="2026-09-30", as_of_until="2026-10-01", **opts)
    assert again.history_rows == 3 * 2
    run_batch(ROOT, out, as_of="2026-10-01", **opts)
    rows = _rows(out)
    assert len(rows) == len(set(rows)) == 3 * 4
    assert {r[1] for r in rows} == {"2026-09-28", "2026-09-29", "2026-09-30", "2026-10-01"}
    batch = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert batch["metrics_only"] is True and batch["history"].endswith("history.sqlite")
    assert (out / "index.html").exists() and (out / "summary.xlsx").exists() and (out / "alerts.json").exists()
    assert not list(out.glob("*/*.ipynb"))  # no notebook ran


def test_a_rendered_run_records_history_too(tmp_path):
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs)
    out = tmp_path / "out"
    for _ in range(2):
        run_batch(ROOT, out, shops=["mini1"], as_of="2026-10-01", notebooks_folder=nbs, progress=False, cache_dir=tmp_path / "cache", warn_days=0)
    assert _rows(out) == [("mini1", "2026-10-01", "douyin_2022")]


def test_cli_backfill_history_and_metrics_history(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["batch", str(ROOT), "--out", str(out), "--shops", "mini1", "--as-of", "2026-09-29..2026-10-01", "--metrics-only", "--workers", "1",
                 "--warn-days", "0", "--cache-dir", str(tmp_path / "cache")])
    assert code == 0
    capsys.readouterr()
    assert main(["history", str(out), "--shop", "mini1", "--json"]) == 0
    series = json.loads(capsys.readouterr().out)
    assert [r["as_of"] for r in series] == ["2026-09-29", "2026-09-30", "2026-10-01"]
    assert {"total", "dimensions", "indicators", "lines", "drag"} <= set(series[0])
    assert main(["history", str(out), "--shop", "mini1"]) == 0
    assert "2026-09-30" in capsys.readouterr().out
    # metrics --history adds (or replaces) one row
    assert main(["metrics", str(ROOT), "--shop", "mini1", "--as-of", "2026-10-02", "--json", "--history", str(out)]) == 0
    assert main(["metrics", str(ROOT), "--shop", "mini1", "--as-of", "2026-10-02", "--json", "--history", str(out)]) == 0
    capsys.readouterr()
    assert len(_rows(out)) == 3 + 1
    # bad input exits 2: a range without --metrics-only, an unknown shop, a missing history
    assert main(["batch", str(ROOT), "--out", str(out), "--as-of", "2026-09-29..2026-10-01"]) == 2
    assert main(["history", str(out), "--shop", "nosuch"]) == 2
    assert main(["history", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "--metrics-only" in err and "nosuch" in err


@pytest.mark.parametrize("bad", ["2026-10-01..2026-09-01", "2026-10-01..x"])
def test_bad_ranges_are_bad_input(tmp_path, bad, capsys):
    assert_code = None
    try:
        assert_code = main(["batch", str(ROOT), "--out", str(tmp_path / "o"), "--as-of", bad, "--metrics-only"])
    except SystemExit as exc:  # argparse rejects the value itself
        assert_code = exc.code
    assert assert_code == 2
