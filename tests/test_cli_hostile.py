"""Careless and hostile command lines (issue 9 #12, #13): a clear message and exit 2, never an internal
error; a killed run's leftovers cleaned; a shop that now fails shows its old reports as stale."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from test_batch import tiny_notebook

from shopscore_nb.batch import run_batch
from shopscore_nb.cli import main as cli_main

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
DEAD_PID = "99999999"  # beyond any pid_max: never a running process


def _run(capsys, *argv) -> tuple[int, str]:
    try:
        code = cli_main(list(argv))
    except SystemExit as exc:  # argparse rejects the argument itself
        code = exc.code
    return code, capsys.readouterr().err


def _unwritable_outs(tmp_path: Path) -> list[tuple[str, str]]:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    outs = [(str(a_file), "exists and is not a folder"), (str(a_file / "sub"), "is a file"), ("/proc/x", "cannot write there")]
    if os.geteuid() != 0:  # root writes through permission bits
        ro = tmp_path / "read_only"
        ro.mkdir(mode=0o555)
        outs.append((str(ro / "out"), "cannot write there"))
    return outs


@pytest.mark.parametrize("command", ["batch", "render"])
def test_an_unwritable_out_is_a_clear_message_and_exit_2(tmp_path, capsys, command):
    for out, words in _unwritable_outs(tmp_path):
        argv = [command, str(DEMO), "--out", out] + (["--shop", "growth"] if command == "render" else [])
        code, err = _run(capsys, *argv)
        assert code == 2, (out, err)
        assert "--out" in err and words in err and "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("days", ["0", "-1", "3661", "99999", "thirty"])
def test_window_days_is_bounded_in_every_command(capsys, tmp_path, days):
    for argv in (["metrics", str(DEMO), "--shop", "growth"], ["batch", str(DEMO), "--out", str(tmp_path)],
                 ["render", str(DEMO), "--shop", "growth", "--out", str(tmp_path)]):
        code, err = _run(capsys, *argv, "--window-days", days)
        assert code == 2 and "window-days" in err, (argv, err)


@pytest.mark.parametrize("argv", [["validate", "--shop", ""], ["metrics", "--shop", ""], ["render", "--shop", "", "--out", "x"],
                                  ["batch", "--shops", "", "--out", "x"], ["validate", "--shop", "  "]])
def test_an_empty_shop_id_is_rejected(capsys, argv):
    code, err = _run(capsys, argv[0], str(DEMO), *argv[1:])
    assert code == 2 and "empty shop id" in err


def test_a_bad_as_of_is_rejected_the_same_way_everywhere(capsys, tmp_path):
    for argv in (["metrics", str(DEMO), "--shop", "growth"], ["batch", str(DEMO), "--out", str(tmp_path)]):
        code, err = _run(capsys, *argv, "--as-of", "2026-13-01")
        assert code == 2 and "YYYY-MM-DD" in err


def test_a_killed_runs_leftovers_are_cleaned_and_live_ones_kept(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(DEMO / "growth", root / "growth")
    out = tmp_path / "out"
    dead_render = out / "growth" / f".render-{DEAD_PID}-abc"
    live_render = out / "growth" / f".render-{os.getpid()}-abc"
    for d in (dead_render, live_render):
        d.mkdir(parents=True)
        (d / "00_overview.ipynb").write_text("{}")
    tmp = Path(tempfile.gettempdir())
    dead_kernel = tmp / f"shopscore-k-{DEAD_PID}-test"
    live_kernel = tmp / f"shopscore-k-{os.getpid()}-test"
    for d in (dead_kernel, live_kernel):
        d.mkdir(exist_ok=True)
    try:
        nbs = tmp_path / "nbs"
        tiny_notebook(nbs)
        result = run_batch(root, out, notebooks_folder=nbs, progress=False, cache_dir=tmp_path / "cache")
        assert result.failed == []
        assert not dead_render.exists() and not dead_kernel.exists()
        assert live_render.exists() and live_kernel.exists()  # another run in progress keeps its folders
    finally:
        shutil.rmtree(live_kernel, ignore_errors=True)


def test_a_shop_that_now_fails_marks_its_old_reports_stale(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(DEMO / "growth", root / "growth")
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs)
    out = tmp_path / "out"
    assert run_batch(root, out, notebooks_folder=nbs, progress=False, cache_dir=tmp_path / "cache").failed == []
    assert "(旧 stale)" not in (out / "index.html").read_text(encoding="utf-8")
    for f in (root / "growth").glob("订单导出*.csv"):
        f.write_text("主订单编号,订单应付金额\nX,1\n", encoding="utf-8")  # lacks 支付完成时间
    result = run_batch(root, out, notebooks_folder=nbs, progress=False, cache_dir=tmp_path / "cache")
    assert result.shops[0]["status"] == "failed"
    assert [s["notebook"] for s in result.shops[0]["stale"]] == ["00_overview"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="stale"' in index and "00_overview (旧 stale)" in index


def test_a_machine_clock_earlier_than_the_data_is_explained(tmp_path, capsys):
    shop = tmp_path / "root" / "future"
    shop.mkdir(parents=True)
    (shop / "orders.csv").write_text("order_id,paid_at\nA,2099-03-01 10:00:00\nB,2099-03-02 10:00:00\n", encoding="utf-8")
    code, err = _run(capsys, "metrics", str(tmp_path / "root"), "--shop", "future", "--json")
    assert code == 2 and "later than this machine's clock" in err and "--as-of" in err
    code, _ = _run(capsys, "metrics", str(tmp_path / "root"), "--shop", "future", "--as-of", "2099-03-03", "--json")
    assert code == 0


def test_some_future_rows_give_a_note_naming_the_clock(tmp_path, capsys):
    from shopscore_nb import load_shop

    root = tmp_path / "root"
    shutil.copytree(DEMO / "growth", root / "growth")
    shop = load_shop(root, "growth", now=pd.Timestamp("2026-09-01 12:00"))  # a clock two months behind the data
    note = shop.clock_note()
    assert note and "2026-09-01 12:00" in note and "--as-of" in note
    assert shop.default_as_of() <= pd.Timestamp("2026-09-02")
    assert load_shop(root, "growth").clock_note() is None or "2099" in load_shop(root, "growth").clock_note()
