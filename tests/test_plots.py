"""Charts render Chinese with a real CJK font (never tofu boxes) and without warnings."""
from __future__ import annotations

import io
import warnings

import matplotlib
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from shopscore_nb import plots

LABEL = "商品差评率"
WEEKDAYS = "".join(plots.WEEKDAYS_ZH)


def _daily(n=30):
    """A rolling series as :func:`shopscore_nb.metrics.daily.rolling_series` returns it."""
    days = pd.date_range("2026-09-01", periods=n, freq="D", name="as_of")
    rng = np.random.default_rng(0)
    value = rng.uniform(0.04, 0.06, n)
    new = rng.integers(0, 12, n).astype(float)
    return pd.DataFrame({"numerator": value * 300, "denominator": 300.0, "value": value, "new_numerator": new * 0.05, "new_denominator": new,
                         "value_7d": value * 1.1, "denominator_7d": 70.0}, index=days)


def _render(fig) -> tuple[bytes, list[warnings.WarningMessage]]:
    buf = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(buf, format="png")
    return buf.getvalue(), caught


def _has_glyphs(path, text: str) -> bool:
    font = FT2Font(str(path))
    return all(font.get_char_index(ord(ch)) != 0 for ch in text)


@pytest.fixture(autouse=True)
def fonts():
    name = plots.set_theme()
    yield name


def test_setup_fonts_registers_the_cjk_font_shipped_by_mplfonts(fonts):
    path = plots.cjk_font_path()
    assert "mplfonts" in path.parts and path.name == plots.CJK_FONT_FILE
    assert fonts == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.sans-serif"][0] == fonts
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert plots.setup_fonts() == fonts  # idempotent


def test_trend_chart_title_font_has_every_glyph(fonts):
    fig = plots.trend(_daily(), title=LABEL, unit="ratio", lines=[("下一档 4.5分 ≤ 2.0%", 0.02, "next"), ("当前档 4分 ≤ 6.0%", 0.06, "current")],
                      direction="lower", short_window=7, min_denominator=20)
    png, caught = _render(fig)
    assert png.startswith(b"\x89PNG")
    assert not [w for w in caught if "Glyph" in str(w.message) or "missing from font" in str(w.message)], [str(w.message) for w in caught]
    assert not caught, [str(w.message) for w in caught]
    title = next(t for t in fig.findobj(matplotlib.text.Text) if t.get_text() == LABEL)
    used = font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)
    assert _has_glyphs(used, LABEL), used
    assert _has_glyphs(used, WEEKDAYS + "得分维度体验")
    texts = {t.get_text() for t in fig.findobj(matplotlib.text.Text)}
    assert {"下一档 4.5分 ≤ 2.0%", "当前档 4分 ≤ 6.0%", "越低越好 ↓"} <= texts  # lines labelled on the chart, direction in the corner
    for t in fig.findobj(matplotlib.text.Text):  # every Chinese text of the chart, not only the title
        if t.get_text() and any(ord(ch) > 0x2E80 for ch in t.get_text()):
            assert _has_glyphs(font_manager.findfont(t.get_fontproperties(), fallback_to_default=False),
                               "".join(ch for ch in t.get_text() if ord(ch) > 0x2E80)), t.get_text()


def test_a_latin_only_font_would_fail_the_same_check():
    dejavu = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    assert not _has_glyphs(dejavu, LABEL)  # the check above is meaningful: it detects tofu


def test_heat_maps_bars_and_grids_render_without_warnings(fonts):
    hours = list(range(8, 23))
    rate = pd.DataFrame(np.linspace(0, 1, len(hours) * 7).reshape(len(hours), 7), index=hours, columns=plots.WEEKDAYS_ZH)
    volume = pd.DataFrame(np.arange(len(hours) * 7).reshape(len(hours), 7), index=hours, columns=plots.WEEKDAYS_ZH)
    agents = pd.DataFrame({"rounds": [10, 5], "rate_3min": [0.9, 0.4]}, index=pd.Index(["客服甲", "客服乙"], name="agent_id"))
    figs = [
        plots.hour_weekday_heatmaps(rate, volume),
        plots.agent_bars(agents, threshold=0.9),
        plots.bands({"0-24h": 5, "24-36h": 3, "36-48h": 1, ">48h": 1}),
        plots.dimension_bars({"product": 4.25, "logistics": 4.9, "service": 4.86}, total=4.62, scale_max=5),
        plots.trend_grid([{"series": _daily(), "title": "揽收及时率", "unit": "ratio", "direction": "higher"},
                          {"series": _daily(), "title": "咨询量", "unit": "count", "kind": "count"}]),
        plots.trend(_daily().iloc[0:0], title="无数据", unit="hours"),
        plots.forecast_lines(pd.DataFrame({"as_of": pd.date_range("2026-10-29", periods=5).repeat(2), "value": np.linspace(4, 4.5, 10),
                                           "scenario": ["no_new_events", "same_pace"] * 5}), x="as_of", y="value", hue="scenario",
                             title="体验分预测", thresholds=[("精选联盟准入", 4.0)]),
    ]
    for fig in figs:
        png, caught = _render(fig)
        assert png.startswith(b"\x89PNG")
        assert not caught, [str(w.message) for w in caught]
    heat = figs[0].axes[0]
    used = font_manager.findfont(heat.get_xticklabels()[0].get_fontproperties(), fallback_to_default=False)
    assert _has_glyphs(used, WEEKDAYS)
