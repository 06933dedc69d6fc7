"""``shopscore reconcile`` and ``shopscore calibrate`` (SPEC §6.1, issue 14): readable tables, JSON, exit 2 on bad input.

The demo shops carry backend readings made with douyin_2026 and other weights and cut-offs (``shopscore_nb.demo``),
with a late page and missing orders planted in flagship and a hand-copy typo in struggling. One real process runs
each command; the other cases call the same ``main`` in-process.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import cli_command

from shopscore_nb.cli import main
from shopscore_nb.profile import load_profile
from shopscore_nb.reconcile.readings import read_readings
from shopscore_nb.shop import load_shop

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
needs_demo = pytest.mark.skipif(not (DEMO / "flagship" / "backend.csv").is_file(), reason="demo readings not generated")


class Done:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def shopscore(capsys, *args):
    """``shopscore`` in-process; argparse errors exit via SystemExit."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return Done(code, captured.out, captured.err)


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory):
    """flagship and struggling with their readings, and a shop without any (growth, its backend.csv removed)."""
    root = tmp_path_factory.mktemp("demo")
    for shop in ("flagship", "struggling", "growth"):
        shutil.copytree(DEMO / shop, root / shop)
    (root / "growth" / "backend.csv").unlink()
    return root


# ---------------------------------------------------------------- reconcile
@needs_demo
def test_reconcile_prints_each_reading_beside_ours_in_a_real_process():
    proc = subprocess.run(cli_command("reconcile", str(DEMO), "--shop", "flagship", "--as-of", "2026-10-20..2026-10-29"),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "profile douyin_2026" in out and "26 readings on 2 day(s): 2026-10-20 … 2026-10-29" in out
    assert "note: profile douyin_2026: the shipped profile whose indicators the readings name" in out
    assert "== as of 2026-10-20" in out and "== as of 2026-10-29" in out
    header = next(line for line in out.splitlines() if line.startswith("指标 indicator"))
    for col in ("后台值 backend", "重算值 ours", "分差 score diff", "跨档 tier differs", "结论 verdict"):
        assert col in header
    assert "explained: data latency: our value as of D-1 (2026-10-19)" in out  # the page planted a day late
    assert "商品综合评分" in out and "总分" in out and "per indicator:" in out
    assert "verdicts: match" in out and "Traceback" not in proc.stderr


@needs_demo
def test_reconcile_json_and_an_unexplained_typo(capsys):
    done = shopscore(capsys, "reconcile", DEMO, "--shop", "struggling", "--as-of", "2026-10-02", "--json")
    assert done.returncode == 0, done.stderr
    j = json.loads(done.stdout)
    assert j["shop_id"] == "struggling" and j["profile"] == "douyin_2026" and j["days"] == ["2026-10-02"]
    assert sum(j["verdicts"].values()) == len(j["readings"]) == 13
    typo = next(r for r in j["readings"] if r["key"] == "service.im_avg_response_seconds")
    assert typo["verdict"] == "unexplained" and typo["value_text"] == "329.550s" and typo["tier_differs"] is False
    keys = {k["key"]: k for k in j["keys"]}
    assert keys["service.im_avg_response_seconds"]["unexplained"] == 1
    assert {"key", "zh", "readings", "match", "explained", "unexplained", "explanations"} <= set(keys["total"])


@needs_demo
def test_missing_orders_are_explained(capsys):
    done = shopscore(capsys, "reconcile", DEMO, "--shop", "flagship", "--as-of", "2026-10-11", "--json")
    assert done.returncode == 0, done.stderr
    row = next(r for r in json.loads(done.stdout)["readings"] if r["key"] == "product.quality_return_rate")
    assert row["verdict"].startswith("explained: orders missing from the exports") and "ours is 1114" in row["verdict"]


@needs_demo
@pytest.mark.parametrize("args, message", [
    (["--shop", "growth"], "backend.csv: readings file not found"),
    (["--shop", "flagship", "--profile", "douyin_2022"], "unknown indicator '商品综合评分'"),
    (["--shop", "flagship", "--as-of", "2026-10-21"], "no reading of as-of 2026-10-21; the readings are of 2026-08-09 … 2026-10-29"),
    (["--shop", "nosuch"], "nosuch"),
])
def test_reconcile_bad_input_exits_2(capsys, demo_copy, args, message):
    done = shopscore(capsys, "reconcile", demo_copy, *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    if "--profile" in args:
        assert "pass --profile douyin_2026" in done.stderr


def test_reconcile_bad_readings_name_the_line(capsys, demo_copy, tmp_path):
    bad = tmp_path / "b.csv"
    bad.write_text("日期,指标,指标值,得分\n2026-10-29,总分,,84\n2026-10-29,商品品质退货率,abc,70\n", encoding="utf-8")
    done = shopscore(capsys, "reconcile", demo_copy, "--shop", "flagship", "--backend", bad, "--profile", "douyin_2026")
    assert done.returncode == 2 and f"{bad}: line 3: value 'abc' is not a number" in done.stderr
    bad.write_text("日期,指标,指标值,得分\n2027-01-05,总分,,84\n", encoding="utf-8")
    done = shopscore(capsys, "reconcile", demo_copy, "--shop", "flagship", "--backend", bad)
    assert done.returncode == 2 and "line 2: date 2027-01-05 is outside the data of shop flagship" in done.stderr


@pytest.mark.parametrize("as_of", ["2026-13-01", "2026-10-29..2026-10-01", "x..2026-10-01"])
def test_reconcile_bad_as_of_is_an_argument_error(capsys, demo_copy, as_of):
    done = shopscore(capsys, "reconcile", demo_copy, "--shop", "flagship", "--as-of", as_of)
    assert done.returncode == 2 and "--as-of" in done.stderr


# ---------------------------------------------------------------- calibrate
@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """One real ``shopscore calibrate`` over the three demo shops, text and JSON from the same readings."""
    out = tmp_path_factory.mktemp("cal")
    text = subprocess.run(cli_command("calibrate", str(DEMO), "--base-profile", "douyin_2026", "--out", str(out / "calibrated.yaml")),
                          capture_output=True, text=True, timeout=600)
    return out, Done(text.returncode, text.stdout, text.stderr)


@needs_demo
def test_calibrate_writes_a_profile_and_says_what_it_could_not_pin(calibrated):
    out, done = calibrated
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("calibration of douyin_2026 (tier set 默认) from 390 readings of flagship, growth, struggling, 2026-08-09 … 2026-10-29")
    assert "number(s) calibrated (pinned by the readings)" in text and "not pinned / not fitted:" in text
    assert "dimension weights of total: not pinned by 17 readings" in text  # the demo shops alone cannot pin the weights
    assert f"wrote {out / 'calibrated.yaml'}" in text
    cal = load_profile(out / "calibrated.yaml")
    marks = cal["tiers"]["industries"]["默认"]["calibrated"]
    truth = {"logistics.waybill_on_time_rate": [0.80, 0.86, 0.90, 0.93, 0.95], "service.platform_help_rate": [0.04, 0.025, 0.015, 0.008, 0.004]}
    for key, cuts in truth.items():
        for c, m in zip(cuts, marks[key], strict=True):
            if "observations" in m:  # every pinned interval holds the demo's true cut-off
                lo, hi = m["interval"]
                assert (lo is None or lo <= c) and (hi is None or c <= hi), (key, c, m)
    assert all("observations" in m for m in marks["service.platform_help_rate"])
    assert cal["dimension_weights"].get("assumption") is True and "not pinned" in cal["dimension_weights"]["note"]
    assert cal["calibration"]["readings"] == 390


@needs_demo
def test_a_report_with_the_calibrated_profile_lists_the_calibrated_numbers(calibrated, capsys):
    out, done = calibrated
    assert done.returncode == 0, done.stderr
    res = shopscore(capsys, "metrics", DEMO, "--shop", "flagship", "--profile", out / "calibrated.yaml", "--json")
    assert res.returncode == 0, res.stderr
    notes = json.loads(res.stdout)["assumptions"]
    lines = [n for n in notes if n.startswith("calibrated: ")]
    assert any("tiers.industries.默认.cutoffs.service.platform_help_rate tier 100 = " in n and "calibrated from 20 readings" in n for n in lines)
    assert any(n.startswith("calibrated: calibration: 390 backend readings of 3 shop(s) (2026-08-09 … 2026-10-29)") for n in lines)
    assert not [n for n in notes if "struggling" in n or "growth," in n]  # a shop's report names no other shop
    res = shopscore(capsys, "metrics", DEMO, "--shop", "flagship", "--profile", out / "calibrated.yaml")
    assert "  calibrated: tiers.industries" in res.stdout and "assumption: calibrated" not in res.stdout


def test_calibrate_json_on_two_shops(capsys, tmp_path):
    done = shopscore(capsys, "calibrate", DEMO, "--shops", "flagship", "struggling", "--base-profile", "douyin_2026",
                     "--out", tmp_path / "c.yaml", "--json")
    assert done.returncode == 0, done.stderr
    j = json.loads(done.stdout)
    assert j["out"] == str(tmp_path / "c.yaml") and j["summary"]["shops"] == ["flagship", "struggling"]
    assert set(j["counts"]) == {"calibrated", "moved", "assumption"} and j["counts"]["calibrated"] > 0
    assert {"number", "base", "value", "lo", "hi", "readings", "status", "note"} <= set(j["numbers"][0])
    assert j["problems"] and all(isinstance(p, str) for p in j["problems"])
    assert load_profile(tmp_path / "c.yaml")["calibration"]["shops"] == ["flagship", "struggling"]


def test_calibrate_bad_input_exits_2(capsys, demo_copy, tmp_path):
    base = ["--base-profile", "douyin_2026"]
    done = shopscore(capsys, "calibrate", demo_copy, *base, "--out", tmp_path / "nofolder" / "c.yaml")
    assert done.returncode == 2 and "does not exist" in done.stderr
    done = shopscore(capsys, "calibrate", demo_copy, "--shops", "growth", *base, "--out", tmp_path / "c.yaml")
    assert done.returncode == 2 and "readings file not found" in done.stderr
    empty = tmp_path / "empty"
    shutil.copytree(demo_copy / "growth", empty / "growth")
    done = shopscore(capsys, "calibrate", empty, *base, "--out", tmp_path / "c.yaml")
    assert done.returncode == 2 and "no shop folder holds a backend.csv" in done.stderr
    done = shopscore(capsys, "calibrate", demo_copy, "--shops", "flagship", "--base-profile", "nosuch", "--out", tmp_path / "c.yaml")
    assert done.returncode == 2 and "nosuch" in done.stderr
    done = shopscore(capsys, "calibrate", demo_copy, *base)
    assert done.returncode == 2 and "--out" in done.stderr


def test_too_few_readings_give_a_message_not_a_fit(capsys, demo_copy, tmp_path):
    few = tmp_path / "few.csv"
    few.write_text("日期,指标,指标值,得分,店铺ID\n2026-10-29,总分,,84,flagship\n2026-10-29,商品综合评分,4.6875,80,flagship\n", encoding="utf-8")
    done = shopscore(capsys, "calibrate", demo_copy, "--backend", few, "--base-profile", "douyin_2026", "--out", tmp_path / "c.yaml")
    assert done.returncode == 2 and "nothing could be calibrated" in done.stderr and "fewer than 5" in done.stderr
    assert not (tmp_path / "c.yaml").exists()
    done = shopscore(capsys, "calibrate", demo_copy, "--backend", few, "--shops", "struggling", "--base-profile", "douyin_2026",
                     "--out", tmp_path / "c.yaml")
    assert done.returncode == 2 and "no readings of shop struggling" in done.stderr


# ---------------------------------------------------------------- backend.csv is not an export
@needs_demo
def test_backend_csv_is_neither_read_nor_reported_as_skipped(capsys, tmp_path):
    shutil.copytree(DEMO / "flagship", tmp_path / "flagship")
    (tmp_path / "flagship" / "notes.txt.bak").write_text("x", encoding="utf-8")  # any other file still is reported
    shop = load_shop(tmp_path, "flagship")
    assert [f["file"] for f in shop.ignored] == ["notes.txt.bak"]
    assert "backend.csv" not in {f["file"] for f in shop.files}
    (tmp_path / "flagship" / "notes.txt.bak").unlink()
    done = shopscore(capsys, "validate", tmp_path, "--shop", "flagship", "--json")
    rep = json.loads(done.stdout)["flagship"]
    assert done.returncode == 0 and rep["ignored_files"] == [] and "skipped_file" not in rep["data_quality"]
    assert len(read_readings(tmp_path / "flagship" / "backend.csv", load_profile("douyin_2026"))) == 130
