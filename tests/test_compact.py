"""Shared key codes (shopscore_nb.compact): same values, same results, one dtype per key family."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopscore_nb.compact import FAMILIES, decode, encode, encoded_columns
from shopscore_nb.fastops import group_by
from shopscore_nb.metrics import Context, compute_all
from shopscore_nb.shop import load_shop
from shopscore_nb.store import open_shop

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def _plain(shop):
    """The shop with every encoded column as plain text again (the tables as parsed)."""
    return dataclasses.replace(shop, tables={n: decode(t, n) for n, t in shop.tables.items()})


def test_encode_keeps_values_and_shares_one_dtype_per_family():
    tables = {
        "orders": pd.DataFrame({"order_id": pd.array(["A", "B", "A", None], dtype="string"),
                                "status": pd.array(["paid"] * 4, dtype="string")}),
        "reviews": pd.DataFrame({"order_id": pd.array(["B", "C"], dtype="string")}),
        "shipments": pd.DataFrame({"order_id": pd.array([], dtype="string")}),
    }
    before = {n: t.copy() for n, t in tables.items()}
    encode(tables)
    dtypes = {n: t["order_id"].dtype for n, t in tables.items()}
    assert all(isinstance(d, pd.CategoricalDtype) for d in dtypes.values())
    assert dtypes["orders"] == dtypes["reviews"] == dtypes["shipments"]
    assert tables["orders"]["order_id"].cat.codes.tolist() == [0, 1, 0, -1]  # a missing key stays missing
    assert tables["reviews"]["order_id"].cat.codes.tolist() == [1, 2]
    assert isinstance(tables["orders"]["status"].dtype, pd.CategoricalDtype)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(decode(frame, name), before[name])


def test_group_by_codes_matches_pandas_on_text():
    rng = np.random.default_rng(3)
    keys = pd.array(rng.choice(["x", "y", "z", None], 500).tolist(), dtype="string")
    frame = pd.DataFrame({"order_id": keys, "v": rng.random(500)})
    coded = encode({"orders": frame.copy()})["orders"]
    got = group_by(coded, "order_id")["v"].agg(["min", "size"])
    want = frame.groupby("order_id", sort=False)["v"].agg(["min", "size"])
    assert got.index.astype("string").tolist() == want.index.tolist()  # first-appearance order, nulls dropped
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())


@pytest.mark.parametrize("profile", ["douyin_2022", "douyin_2026"])
@pytest.mark.parametrize("shop_id", ["struggling", "growth"])
def test_every_indicator_is_the_same_on_codes_and_on_text(shop_id, profile):
    shop = load_shop(DEMO, shop_id)
    assert isinstance(shop.tables["orders"]["order_id"].dtype, pd.CategoricalDtype)
    coded = compute_all(Context.build(shop, profile=profile))
    plain = compute_all(Context.build(_plain(shop), profile=profile))
    assert coded.keys() == plain.keys()
    for key, r in coded.items():
        p = plain[key]
        assert (r.value, r.numerator, r.denominator) == pytest.approx((p.value, p.numerator, p.denominator), nan_ok=True), key
        pd.testing.assert_frame_equal(_as_text(r.detail), _as_text(p.detail), check_dtype=False, obj=key)
        assert r.extra == p.extra, key


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns and index as text, everything else as is: what a reader sees."""
    out = frame.astype({c: "string" for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
    if isinstance(out.index.dtype, pd.CategoricalDtype):
        out.index = out.index.astype("string")
    return out


@pytest.mark.parametrize("profile", ["douyin_2022", "douyin_2026"])
def test_fix_plan_is_the_same_on_codes_and_on_text(profile):
    from shopscore_nb.scoring.plan import fix_plan

    shop = load_shop(DEMO, "struggling")
    names = ["AnswerRounds", "PickupInTime", "FasterTickets"]
    plans = []
    for s in (shop, _plain(shop)):
        ctx = Context.build(s, profile=profile)
        plans.append(fix_plan(ctx, compute_all(ctx), names))
    assert repr(plans[0]) == repr(plans[1])


def test_parse_cache_hands_back_shared_codes(tmp_path):
    first = open_shop(DEMO, "growth", cache_dir=tmp_path)
    again = open_shop(DEMO, "growth", cache_dir=tmp_path)  # from the Parquet cache this time
    for shop in (first, again):
        for family, members in FAMILIES.items():
            dtypes = {shop.tables[t][c].dtype for t, c in members if t in shop.tables and c in shop.tables[t]}
            assert len(dtypes) <= 1, family
    for name, frame in first.tables.items():
        cols = sorted(encoded_columns(name) & set(frame.columns))
        pd.testing.assert_frame_equal(decode(again.tables[name], name)[cols], decode(frame, name)[cols])


@pytest.mark.parametrize("key, kind", [("product.negative_review_rate", "good_orders"),
                                       ("service.im_3min_reply_rate", "good_rounds")])
def test_least_n_is_the_same_on_codes_and_on_text(key, kind):
    from shopscore_nb.scoring.whatif import Target, least_n

    shop = load_shop(DEMO, "struggling")
    found = []
    for s in (shop, _plain(shop)):
        ctx = Context.build(s, profile="douyin_2022")
        target = Target(key, "<=", 0.01) if key.startswith("product") else Target(key, ">=", 0.9)
        found.append(least_n(ctx, compute_all(ctx), target, kind=kind, max_n=100_000))
    assert found[0].n == found[1].n
    assert found[0].n is None or found[0].n > 0
