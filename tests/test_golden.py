"""Golden test: the real CLI reproduces the expected values of a golden root, computed by hand from SPEC.

Two golden roots, same layout (``expected.json`` + ``data/<shop>/…`` in the canonical CSV format of SPEC §3):

- ``minishops`` — the repository's own, ``tests/fixtures/minishops`` (three tiny shops whose every value is
  worked out row by row in ``HAND_CHECK.md``). Always run.
- ``shared`` — ``$SHOPSCORE_GOLDEN``, else ``<repo>/../shared/golden``: an extra check when present; absent (or
  hidden with ``SHOPSCORE_NO_SHARED=1``) it adds no test case.
"""
from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import MINISHOPS, cli_command, golden_dir

ROOTS: dict[str, Path | None] = {"minishops": MINISHOPS, "shared": golden_dir()}
EXPECTED = {name: json.loads((root / "expected.json").read_text(encoding="utf-8")) for name, root in ROOTS.items() if root}
# per root: the shop checked against the decoy, and the decoy shop whose ids must never appear in the others' results
DECOY = {"minishops": (["mini1", "mini2"], "minidecoy"), "shared": (["gshop1"], "gdecoy")}
# quarantine counts the shared README describes but its expected.json does not carry
SHARED_QUARANTINE = {"gshop1": {"picked_up_before_paid": 3, "signed_before_picked_up": 2}}

_CACHE: dict[tuple[str, str], tuple[int, str, str]] = {}


def _cases(per_shop: bool = True):
    """pytest params over the roots present (and their shops): an absent shared root adds no case, so a clone
    of the repository alone runs every test with nothing skipped."""
    cases = []
    for name, root in ROOTS.items():
        if root is None:
            continue
        if per_shop:
            cases += [pytest.param(name, shop, id=f"{name}-{shop}") for shop in sorted(EXPECTED[name]["expected"])]
        else:
            cases.append(pytest.param(name, id=name))
    return cases


def cli_metrics(root: str, shop: str) -> tuple[str, dict]:
    """(raw stdout, parsed JSON) of ``shopscore metrics <root>/data --shop S --as-of … --profile … --json`` (run once per shop)."""
    if (root, shop) not in _CACHE:
        exp = EXPECTED[root]
        cmd = cli_command("metrics", str(ROOTS[root] / "data"), "--shop", shop, "--as-of", exp["as_of"],
                          "--profile", exp["profile"], "--json")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        _CACHE[(root, shop)] = (proc.returncode, proc.stdout, proc.stderr)
    code, out, err = _CACHE[(root, shop)]
    assert code == 0, f"shopscore metrics {root}/{shop} failed ({code}):\n{err}"
    return out, json.loads(out)


def _close(got, want) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-12)


@pytest.mark.parametrize("root,shop", _cases())
def test_golden_values(root, shop):
    exp = EXPECTED[root]
    _, out = cli_metrics(root, shop)
    assert out["shop_id"] == shop
    assert out["as_of"] == exp["as_of"]
    assert out["profile"] == exp["profile"]
    start = pd.Timestamp(exp["as_of"]) - pd.Timedelta(days=exp["window_days"])
    assert out["window"] == {"start": start.strftime("%Y-%m-%d"), "end": exp["as_of"]}
    mismatches = []
    for key, want in exp["expected"][shop].items():
        assert key in out["indicators"], f"{shop}: indicator {key} missing from the CLI output"
        got = out["indicators"][key]["value"]
        if not _close(got, want):
            mismatches.append(f"{key}: expected {want}, got {got}")
    # the repository's root also pins numerator and denominator (HAND_CHECK.md), so a value cannot be right by accident
    for key, (num, den) in exp.get("fractions", {}).get(shop, {}).items():
        got = out["indicators"][key]
        if not (_close(got["numerator"], num) and _close(got["denominator"], den)):
            mismatches.append(f"{key}: expected {num}/{den}, got {got['numerator']}/{got['denominator']}")
    assert not mismatches, f"{root}/{shop}:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("root", _cases(per_shop=False))
def test_golden_quarantines_impossible_waybills(root):
    # both roots hold waybills picked up before payment / signed before pickup, to be quarantined (SPEC §3)
    want_by_shop = EXPECTED[root].get("data_quality") if root == "minishops" else SHARED_QUARANTINE
    assert want_by_shop
    for shop, want in want_by_shop.items():
        _, out = cli_metrics(root, shop)
        dq = out["data_quality"]
        if root == "minishops":
            assert dq == want, shop  # nothing else in the hand-made root is quarantined or warned about
        else:
            assert {k: dq.get(k) for k in want} == want, shop


def _decoy_ids(root: str, decoy: str) -> set[str]:
    folder = ROOTS[root] / "data" / decoy
    ids = set(pd.read_csv(folder / "orders.csv", dtype=str)["order_id"].dropna().str.strip())
    if (folder / "im_sessions.csv").is_file():
        ids |= set(pd.read_csv(folder / "im_sessions.csv", dtype=str)["session_id"].dropna().str.strip())
    return ids


@pytest.mark.parametrize("root", _cases(per_shop=False))
def test_decoy_ids_never_appear_in_another_shop(root):
    from shopscore_nb.report import shop_report

    shops, decoy = DECOY[root]
    exp = EXPECTED[root]
    assert decoy in exp["expected"] and set(shops) <= set(exp["expected"])
    decoy_ids = _decoy_ids(root, decoy)
    assert decoy_ids
    for shop in shops:
        # the CLI output of the shop …
        raw, _ = cli_metrics(root, shop)
        assert not [i for i in decoy_ids if i in raw], shop
        # … and every drill-down row behind its indicators
        rep = shop_report(ROOTS[root] / "data", shop, as_of=exp["as_of"], profile=exp["profile"])
        for key, r in rep.results.items():
            detail = r.detail
            if detail is None or detail.empty:
                continue
            ids = set(map(str, detail.index)) | {
                str(v) for c in ("order_id", "session_id") if c in detail for v in detail[c].dropna()
            }
            leaked = ids & decoy_ids
            assert not leaked, f"{shop} {key}: decoy ids {sorted(leaked)[:5]} in the detail"
            assert not any(str(i).startswith(decoy) for i in ids), (shop, key)


def test_repository_root_covers_the_shared_keys():
    """The hand-made root checks at least every key the shared golden file checks, for every shop."""
    shared_keys = {
        "product.negative_review_rate", "product.quality_return_rate", "logistics.pickup_on_time_rate",
        "logistics.delivery_hours_avg", "service.complaint_rate", "service.dispute_merchant_rate",
        "service.return_refund_wait_hours", "service.refund_only_wait_hours", "aftersales.refund_hours_avg",
        "reviews.count", "reviews.good_rate", "reviews.bad_rate", "service.im_3min_reply_rate",
        "cs.avg_response_seconds", "cs.im_3min_reply_rate_msg",
    }
    if "shared" in EXPECTED:
        shared_keys |= {k for keys in EXPECTED["shared"]["expected"].values() for k in keys}
    mini = EXPECTED["minishops"]
    assert (mini["as_of"], mini["profile"], mini["window_days"]) == ("2026-10-01", "douyin_2022", 90)
    for shop, keys in mini["expected"].items():
        assert shared_keys <= set(keys), (shop, sorted(shared_keys - set(keys)))
        assert set(mini["fractions"][shop]) == set(keys), shop
