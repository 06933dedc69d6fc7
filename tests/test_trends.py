"""Trend charts show the window value as it was scored on each day (metrics.daily.rolling_series), with
labelled lines, faint daily bars, units and direction; tiny denominators are not drawn as rates; inline
figures are sharp on HiDPI screens."""
from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib.text
import numpy as np
import pandas as pd
import pytest

from shopscore_nb import plots
from shopscore_nb.metrics.base import Context, compute
from shopscore_nb.metrics.daily import rolling_series
from shopscore_nb.present import charts
from shopscore_nb.present.display import setup
from shopscore_nb.report import build_report
from shopscore_nb.shop import load_shop

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
PROFILES = ("douyin_2022", "douyin_2026")
# Rows that are kept once per window by the first event inside it: stretching the window moves an
# order that also sought help before the window onto that earlier day (one order in 174 on flagship).
WINDOW_DEDUPED = {"service.platform_help_rate"}
# Rate indicators whose rows and outcomes are known on the day the row enters the window (a recomputation
# as of an earlier day sees the same rows): the stretched computation equals it exactly on every day.
SAME_ROWS_EARLIER = ("service.complaint_rate", "service.dispute_merchant_rate", "logistics.pickup_on_time_rate",
                     "service.im_3min_reply_rate", "cs.acceptance_rate", "cs.satisfaction_rate", "reviews.bad_rate",
                     "service.refund_only_wait_hours", "cs.avg_queue_seconds", "logistics.waybill_on_time_rate")


@pytest.fixture(scope="module")
def shops():
    return {s: load_shop(DEMO, s) for s in ("struggling", "flagship", "growth")}


@pytest.fixture(scope="module")
def reports(shops):
    return {(s, p): build_report(shop, profile=p) for s, shop in shops.items() for p in PROFILES}


def _same(a, b) -> bool:
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None or not np.isfinite(a)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def test_on_the_last_day_the_rolling_value_is_the_indicators_own(reports):
    for (shop_id, profile), rep in reports.items():
        for key, r in rep.results.items():
            last = rolling_series(rep.ctx, key, 30).iloc[-1]
            assert last.name == rep.ctx.as_of
            if key in WINDOW_DEDUPED:
                assert abs(last["denominator"] - (r.denominator or 0)) <= 1, (shop_id, profile, key)
                continue
            assert _same(last["value"], r.value), (shop_id, profile, key, last["value"], r.value)
            if r.denominator is not None:
                assert last["denominator"] == pytest.approx(r.denominator), (shop_id, profile, key)


def test_on_earlier_days_it_equals_a_full_recomputation_as_of_that_day(shops, reports):
    checked = 0
    for (shop_id, profile), rep in reports.items():
        series = {k: rolling_series(rep.ctx, k, 30) for k in SAME_ROWS_EARLIER if k in rep.results}
        for back in (1, 9, 29):
            day = rep.ctx.as_of - pd.Timedelta(days=back)
            then = Context.build(shops[shop_id], day, rep.ctx.profile, rep.ctx.window_days)
            for key, s in series.items():
                r = compute(key, then)
                assert _same(s.loc[day, "value"], r.value), (shop_id, profile, key, day, s.loc[day, "value"], r.value)
                checked += 1
    assert checked > 100


def test_rolling_series_columns_and_one_computation_per_indicator(reports):
    rep = reports[("struggling", "douyin_2022")]
    key = "service.im_3min_reply_rate"
    s = rolling_series(rep.ctx, key, 30, windows=(7,))
    assert len(s) == 30 and s.index[-1] == rep.ctx.as_of and s.index.is_monotonic_increasing
    assert {"numerator", "denominator", "value", "new_numerator", "new_denominator", "value_7d", "denominator_7d"} <= set(s.columns)
    assert (s["denominator_7d"] <= s["denominator"]).all()
    assert rolling_series(rep.ctx, key, 30, windows=(7,)) is s  # cached on the context: drawn twice, computed once
    # the window on day k+1 = the window on day k + the rows entering − the rows leaving: never more than entered
    assert (s["denominator"].diff().dropna() <= s["new_denominator"].iloc[1:] + 1e-9).all()


def test_tiny_denominators_are_not_drawn_as_rates():
    plots.set_theme()
    days = pd.date_range("2026-10-01", periods=10, freq="D", name="as_of")
    den = np.array([3, 5, 8, 25, 30, 30, 31, 32, 33, 34], dtype=float)
    series = pd.DataFrame({"value": np.linspace(0.1, 0.9, 10), "denominator": den, "new_denominator": np.ones(10)}, index=days)
    fig = plots.trend(series, title="满意率", unit="ratio", min_denominator=20, lines=[("回复率 97% 达标", 0.97, "service")])
    ax = fig.axes[0]
    main = next(line for line in ax.get_lines() if line.get_linewidth() > 2)
    y = np.asarray(main.get_ydata(), dtype=float)
    assert np.isnan(y[:3]).all() and np.isfinite(y[3:]).all()
    assert any("样本 < 20" in t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_the_figure_has_labelled_lines_units_direction_and_bars(reports):
    plots.set_theme()
    rep = reports[("struggling", "douyin_2022")]
    fig = charts.trend_figure(rep, "service.complaint_rate")
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "越低越好 ↓" in texts
    labels = [t for t in texts if t.startswith(("当前档", "下一档"))]
    assert labels and all("≤" in t and "%" in t for t in labels), texts
    ax = fig.axes[0]
    assert ax.get_ylabel() == "%"
    assert len(fig.axes) == 2 and len(fig.axes[1].patches) >= 20  # the daily bars on the secondary axis
    lo, hi = ax.get_ylim()
    drawn = rolling_series(rep.ctx, "service.complaint_rate", charts.CHART_DAYS)["value"]
    assert lo <= drawn.min() and drawn.max() <= hi and hi - lo < 0.2  # scaled to the rolling value, not 0–100 %
    queue = [t.get_text() for t in charts.trend_figure(rep, "cs.avg_queue_seconds").findobj(matplotlib.text.Text)]
    assert any("比近7日值" in t for t in queue) and "秒" in queue  # a weekly line says which value it judges
    grid = charts.overview_trends(rep, list(rep.ctx.profile["indicators"]))
    assert len([a for a in grid.axes if a.get_visible() and a.get_title(loc="right")]) == len(rep.ctx.profile["indicators"])


def test_png_2x_is_twice_the_pixels_at_the_same_display_size():
    plots.set_theme()
    fig = plots.trend(pd.DataFrame({"value": [0.1, 0.2], "denominator": [50.0, 50.0]}, index=pd.date_range("2026-10-01", periods=2)),
                      title="商品差评率", unit="ratio")
    data, meta = plots.png_2x(fig)
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (2 * meta["width"], 2 * meta["height"]) and im.mode == "P"
    assert (meta["width"], meta["height"]) == (round(fig.get_figwidth() * fig.dpi), round(fig.get_figheight() * fig.dpi))


@pytest.mark.parametrize("fmt,mime", [("retina", "image/png"), ("svg", "image/svg+xml")])
def test_setup_honours_the_figure_format(fmt, mime):
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        setup(figure_format=fmt)
        fig = plots.dimension_bars({"product": 4.2})
        data, meta = shell.display_formatter.format(fig)
        assert mime in data
        other = {"image/png", "image/svg+xml"} - {mime}
        assert not other & set(data)
        if fmt == "retina":
            assert meta["image/png"]["width"] == round(fig.get_figwidth() * fig.dpi)
        else:
            assert "<path" in data[mime] and "<text" not in data[mime]  # glyph outlines, no font needed
    finally:
        InteractiveShell.clear_instance()
    with pytest.raises(ValueError):
        setup(figure_format="jpeg")
