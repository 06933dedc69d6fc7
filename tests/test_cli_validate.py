"""``shopscore validate``: the quality report per shop, exit 0 when usable and 2 on a fatal problem."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from shopscore_nb.cli import main

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
PLANTED = {  # the dirty rows the demo generator plants (tests/test_demo.py pins them too)
    "flagship": {"duplicate_key": 3, "unparseable_required": 1, "picked_up_before_paid": 1, "signed_before_picked_up": 1,
                 "score_out_of_range": 1, "aftersale_event_before_applied": 1, "orphan": 1},
}


def test_validate_demo_json(capsys):
    assert main(["validate", str(DEMO), "--shop", "flagship", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["flagship"]
    assert report["usable"] is True
    counts = {k: v for k, v in report["data_quality"].items() if k in PLANTED["flagship"]}
    assert counts == PLANTED["flagship"]
    tables = {t["table"]: t for t in report["tables"]}
    for t in tables.values():  # nothing is dropped silently: rows in = kept + quarantined (+ blank rows)
        assert t["rows_read"] == t["rows_kept"] + t["quarantined"] + t.get("blank_rows", 0)


def test_validate_table_output_for_every_shop(capsys):
    assert main(["validate", str(DEMO)]) == 0
    out = capsys.readouterr().out
    for shop in ("flagship", "struggling", "growth"):
        assert f"== {shop}" in out
    assert "quarantined" in out


def test_validate_fatal_problem_exits_2_naming_file_and_column(tmp_path, capsys):
    root = tmp_path / "root"
    shutil.copytree(DEMO / "growth", root / "growth")
    broken = root / "broken"
    broken.mkdir()
    (broken / "orders.csv").write_text("主订单编号,订单应付金额\n123,10\n", encoding="utf-8")
    assert main(["validate", str(root)]) == 2
    out = capsys.readouterr().out
    assert "== growth" in out
    assert "orders.csv" in out and "paid_at" in out and "支付完成时间" in out
