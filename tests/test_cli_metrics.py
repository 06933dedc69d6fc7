"""``shopscore metrics … --json`` honours the SPEC §8 contract, and bad input exits 2 without a traceback."""
from __future__ import annotations

import json
import subprocess

import pytest
from conftest import cli_command, im_messages, session_row, write_shop_csv

from shopscore_nb.cli import main
from shopscore_nb.profile import available_profiles

TOP_LEVEL = {"shop_id", "as_of", "profile", "window", "indicators", "dimensions", "total", "stage", "assumptions", "data_quality"}
SPEC_5_1_KEYS = [
    "product.negative_review_rate", "product.quality_return_rate",
    "logistics.pickup_on_time_rate", "logistics.delivery_hours_avg",
    "service.complaint_rate", "service.dispute_merchant_rate", "service.return_refund_wait_hours",
    "service.refund_only_wait_hours", "service.im_3min_reply_rate",
    "cs.im_3min_reply_rate_msg", "cs.im_3min_reply_rate_round", "cs.first_response_seconds_avg", "cs.avg_response_seconds",
    "cs.acceptance_rate", "cs.avg_queue_seconds", "cs.satisfaction_rate", "cs.first_reply_2min_rate",
    "cs.consult_sessions", "cs.human_sessions", "cs.accepted_sessions", "cs.assisted_sales", "cs.taobao_reply_rate",
    "aftersales.refund_hours_avg", "aftersales.processing_hours_avg",
    "aftersales.processing_hours_avg_pre_ship", "aftersales.processing_hours_avg_post_ship",
    "reviews.count", "reviews.rate", "reviews.good_rate", "reviews.bad_rate", "reviews.good_count", "reviews.bad_count",
]
FIELDS = {"value", "numerator", "denominator", "unit", "score"}
DAY = "2026-09-01"

FULL_SHOP = {
    "orders": [
        {"order_id": "c-O1", "sub_order_id": "c-O1-1", "paid_at": "2026-08-01 10:00:00", "is_presale": False, "buyer_id": "c-B1", "amount": 10.0},
        {"order_id": "c-O2", "sub_order_id": "c-O2-1", "paid_at": "2026-08-01 10:00:00", "is_presale": False, "buyer_id": "c-B2", "amount": 20.0},
    ],
    "shipments": [
        {"order_id": "c-O1", "waybill_no": "c-W1", "picked_up_at": "2026-08-01 20:00:00", "signed_at": "2026-08-03 20:00:00"},  # 10 h
        {"order_id": "c-O2", "waybill_no": "c-W2", "picked_up_at": "2026-08-04 10:00:00", "signed_at": "2026-08-05 10:00:00"},  # 72 h
    ],
    "after_sales": [
        {"after_sale_id": "c-A1", "order_id": "c-O1", "type": "仅退款", "reason": "质量问题", "applied_at": "2026-08-05 10:00:00",
         "agreed_at": "2026-08-05 12:00:00", "refunded_at": "2026-08-05 12:00:00", "completed_at": "2026-08-05 12:00:00"},
    ],
    "complaints": [{"complaint_id": "c-C1", "order_id": "c-O2", "created_at": "2026-08-02 10:00:00"}],
    "reviews": [{"review_id": "c-R1", "order_id": "c-O1", "created_at": "2026-08-04 10:00:00", "product_score": 5}],
    "im_messages": im_messages("c-S1", DAY, [("10:00:00", "buyer"), ("10:01:00", "agent")], buyer_id="c-B1", agent_id="c-A"),
    "im_sessions": [session_row("c-S1", buyer_id="c-B1", started_at=f"{DAY} 10:00:00", agent_id="c-A", rating=5)],
}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    write_shop_csv(root, "full", FULL_SHOP)
    # a shop that exported no after-sales, complaints or reviews
    write_shop_csv(root, "partial", {k: FULL_SHOP[k] for k in ("orders", "shipments", "im_messages")})
    return root


class Done:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture(scope="module")
def real_cli(data_root):
    """The real ``shopscore`` process (one run: the interpreter start and imports cost seconds; the error cases
    below call the same ``main`` in-process)."""
    runs = {
        "full": ("metrics", str(data_root), "--shop", "full", "--as-of", "2026-10-01", "--profile", "douyin_2022", "--json"),
    }
    out = {}
    for k, args in runs.items():
        proc = subprocess.run(cli_command(*args), capture_output=True, text=True, timeout=300)
        out[k] = Done(proc.returncode, proc.stdout, proc.stderr)
    return out


@pytest.fixture(scope="module")
def full_json(real_cli):
    proc = real_cli["full"]
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def shopscore(capsys, *args):
    """``shopscore`` in-process (same ``main`` as the console script); argparse errors exit via SystemExit."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return Done(code, captured.out, captured.err)


def test_json_has_every_top_level_key(full_json):
    assert TOP_LEVEL <= set(full_json)
    assert full_json["shop_id"] == "full"
    assert full_json["as_of"] == "2026-10-01"
    assert full_json["profile"] == "douyin_2022"
    assert isinstance(full_json["dimensions"], dict)
    assert isinstance(full_json["assumptions"], list)
    assert isinstance(full_json["data_quality"], dict)


def test_window_for_as_of_2026_10_01(full_json):
    # N = 90: [2026-07-03, 2026-10-01)
    assert full_json["window"] == {"start": "2026-07-03", "end": "2026-10-01"}


@pytest.mark.parametrize("key", SPEC_5_1_KEYS)
def test_every_spec_indicator_is_present_with_its_fields(full_json, key):
    assert key in full_json["indicators"], f"{key} missing"
    assert FIELDS <= set(full_json["indicators"][key])


def test_values_in_json(full_json):
    ind = full_json["indicators"]
    # pickup: c-O1 10 h on time, c-O2 72 h late → 1/2
    assert ind["logistics.pickup_on_time_rate"]["value"] == pytest.approx(0.5)
    assert (ind["logistics.pickup_on_time_rate"]["numerator"], ind["logistics.pickup_on_time_rate"]["denominator"]) == (1, 2)
    # delivery: (48 + 24) / 2 = 36 h
    assert ind["logistics.delivery_hours_avg"]["value"] == pytest.approx(36.0)
    assert ind["logistics.delivery_hours_avg"]["unit"] == "hours"
    # 仅退款 (Chinese label in the export) agreed after 2 h
    assert ind["service.refund_only_wait_hours"]["value"] == pytest.approx(2.0)
    # quality return: c-O1 (质量问题) of 2 paid orders
    assert ind["product.quality_return_rate"]["value"] == pytest.approx(0.5)
    # complaint cohort [06-19, 09-17): both orders, c-O2 complained → 1/2
    assert ind["service.complaint_rate"]["value"] == pytest.approx(0.5)
    assert ind["cs.im_3min_reply_rate_round"]["value"] == 1.0


def test_missing_export_is_null_with_reason_in_json(data_root, capsys):
    proc = shopscore(capsys, "metrics", str(data_root), "--shop", "partial", "--as-of", "2026-10-01", "--json")
    assert proc.returncode == 0, proc.stderr
    ind = json.loads(proc.stdout)["indicators"]
    for key, table in [("service.refund_only_wait_hours", "after_sales"), ("product.quality_return_rate", "after_sales"),
                       ("service.complaint_rate", "complaints"), ("reviews.good_rate", "reviews"),
                       ("cs.avg_queue_seconds", "im_sessions")]:
        assert ind[key]["value"] is None, key
        assert ind[key].get("reason") == f"no {table} data", key
    # a present export still computes
    assert ind["logistics.pickup_on_time_rate"]["value"] == pytest.approx(0.5)


def test_table_output_without_json(data_root, capsys):
    proc = shopscore(capsys, "metrics", str(data_root), "--shop", "full", "--as-of", "2026-10-01")
    assert proc.returncode == 0, proc.stderr
    assert "logistics.pickup_on_time_rate" in proc.stdout


def _one_line_error(proc):
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_missing_shop_exits_2_with_one_line(data_root, capsys):
    proc = shopscore(capsys, "metrics", str(data_root), "--shop", "nosuchshop", "--as-of", "2026-10-01", "--json")
    assert proc.returncode == 2
    line = _one_line_error(proc)
    assert "nosuchshop" in line
    assert proc.stdout == ""


def test_bad_as_of_exits_2(data_root, capsys):
    proc = shopscore(capsys, "metrics", str(data_root), "--shop", "full", "--as-of", "2026-13-45", "--json")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "as-of" in proc.stderr and "2026-13-45" in proc.stderr


def test_unknown_profile_exits_2_naming_known_profiles(data_root, capsys):
    proc = shopscore(capsys, "metrics", str(data_root), "--shop", "full", "--as-of", "2026-10-01", "--profile", "nosuch", "--json")
    assert proc.returncode == 2
    line = _one_line_error(proc)
    assert "nosuch" in line
    for name in available_profiles():
        assert name in line
