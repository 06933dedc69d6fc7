"""Charts for the notebooks: seaborn on matplotlib, Chinese labels rendered with a real CJK font.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so nothing is
drawn twice in Jupyter (the figure is shown once, as the cell's value) and nothing leaks in batch
runs. Call :func:`setup_fonts` once (``shopscore_nb.notebook.setup`` does) before drawing.

>>> from shopscore_nb import plots
>>> plots.setup_fonts()                       # doctest: +SKIP
'Noto Sans CJK SC'
>>> fig = plots.trend(daily, title="商品差评率", unit="ratio")   # doctest: +SKIP
"""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import matplotlib
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"  # shipped by the mplfonts package (a project dependency)
FALLBACK_FONTS = ["DejaVu Sans"]  # glyphs the CJK font lacks (rare symbols) fall back here
WEEKDAYS_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
PALETTE = {"daily": "#9db4d3", "rolling": "#1f4e8c", "overall": "#555555", "threshold": "#c0392b", "bad": "#c0392b"}
_FONT_NAME: str | None = None


# ---------------------------------------------------------------- fonts
def cjk_font_path() -> Path:
    """The Noto Sans CJK SC font file inside the installed ``mplfonts`` package (found without importing it)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package is not installed; run `pip install -e .` to get the CJK font")
    for base in spec.submodule_search_locations:
        path = Path(base) / "fonts" / CJK_FONT_FILE
        if path.is_file():
            return path
    raise RuntimeError(f"{CJK_FONT_FILE} not found inside mplfonts ({list(spec.submodule_search_locations)})")


def setup_fonts() -> str:
    """Register the CJK font with matplotlib and make it the default sans-serif; returns its family name.

    Sets ``axes.unicode_minus = False`` (the CJK font has no U+2212 minus sign). Idempotent.
    """
    global _FONT_NAME
    path = cjk_font_path()
    if _FONT_NAME is None:
        font_manager.fontManager.addfont(str(path))
        _FONT_NAME = font_manager.FontProperties(fname=str(path)).get_name()
    _apply_rc(_FONT_NAME)
    return _FONT_NAME


def _apply_rc(name: str) -> None:
    rc = matplotlib.rcParams
    rc["font.family"] = ["sans-serif"]
    rc["font.sans-serif"] = [name, *FALLBACK_FONTS, *[f for f in rc["font.sans-serif"] if f not in (name, *FALLBACK_FONTS)]]
    rc["axes.unicode_minus"] = False
    rc["text.parse_math"] = False  # agent and product names are text: a "$" must never start mathtext


def set_theme() -> str:
    """seaborn's whitegrid theme with the CJK font (seaborn's theme resets fonts, so fonts go last)."""
    import seaborn as sns

    name = setup_fonts()
    sns.set_theme(style="whitegrid", context="notebook", font=name, rc={"axes.unicode_minus": False, "figure.dpi": 100})
    _apply_rc(name)
    return name


def font_for(text: str) -> Path:
    """The font file matplotlib picks for ``text`` under the current rcParams (first family that resolves)."""
    prop = font_manager.FontProperties(family=matplotlib.rcParams["font.family"])
    return Path(font_manager.findfont(prop, fallback_to_default=True))


# ---------------------------------------------------------------- HiDPI output
PNG_SCALE = 2  # device pixels per CSS pixel: sharp on HiDPI ("retina") screens, same size on the page
PNG_COLORS = 256  # adaptive palette: charts use a few colours and their anti-aliasing; looks identical, ~⅓ the bytes


def png_2x(fig: Figure, scale: int = PNG_SCALE, colors: int | None = PNG_COLORS) -> tuple[bytes, dict]:
    """The figure as PNG at ``scale`` × its dpi with the display size of 1× (IPython's ``(data, metadata)``
    form, ``width``/``height`` in CSS pixels), reduced to an adaptive palette of ``colors`` (None: RGBA as
    drawn). Saved without ``bbox_inches="tight"`` (constrained layout already fits the figure).

    Drawn once into an Agg buffer and encoded once (no intermediate PNG to decode); the palette is the fast
    octree one (charts are flat colours and their anti-aliasing: it looks the same, in fewer bytes and about
    a quarter of the median-cut time)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    dpi = fig.dpi
    fig.dpi = dpi * scale
    try:
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())
    finally:
        fig.dpi = dpi
    height, width = pixels.shape[:2]
    im = Image.fromarray(pixels, "RGBA").convert("RGB")
    out = io.BytesIO()
    if colors:
        im.quantize(colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, format="png", optimize=True)
    else:
        im.save(out, format="png")
    return out.getvalue(), {"width": round(width / scale), "height": round(height / scale)}


# ---------------------------------------------------------------- formatting helpers
def _value_formatter(unit: str, precise: bool = False) -> FuncFormatter:
    if unit == "ratio":
        if precise:
            return FuncFormatter(lambda v, _: f"{v:.1%}")
        return FuncFormatter(lambda v, _: f"{v:.0%}" if float(round(v * 100, 6)).is_integer() else f"{v:.1%}")
    if unit in ("count", "yuan"):
        return FuncFormatter(lambda v, _: f"{v:,.0f}")
    return FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:,.1f}")


UNIT_LABEL = {"ratio": "%", "hours": "小时", "seconds": "秒", "minutes": "分钟", "score": "分", "count": "个", "yuan": "元"}
DIRECTION_ZH = {"lower": "越低越好 ↓", "higher": "越高越好 ↑"}


def _date_axis(ax) -> None:
    locator = AutoDateLocator(minticks=4, maxticks=8, interval_multiples=True)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False, formats=["%Y年", "%-m月", "%-m-%d", "%H:%M", "%H:%M", "%S.%f"],
                                                      zero_formats=["", "%Y年", "%-m月", "%-m-%d", "%H:%M", "%H:%M"]))


# ---------------------------------------------------------------- trend
LINE_STYLES = {  # threshold lines: colour and dash by what they are (the label on the line says which)
    "current": {"color": "#b9770e", "linestyle": (0, (5, 3))},  # the cut-off that keeps the current tier
    "next": {"color": "#2e7d32", "linestyle": (0, (5, 3))},  # the cut-off of the next better tier
    "service": {"color": "#7d3c98", "linestyle": (0, (6, 2, 1, 2))},  # a 飞鸽 service line (its own window)
}
BAR_COLOR = "#c9ced6"
SHORT_WINDOW_COLOR = "#6c9bd2"
TINY_SPAN_COLOR = "#eeeeee"


def _lines(items) -> list[dict]:
    """Threshold lines as dicts: ``label``, ``value``, ``style`` (current | next | service); tuples accepted."""
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append({"style": "next", **item})
        else:
            label, value, *rest = item
            out.append({"label": str(label), "value": float(value), "style": rest[0] if rest else "next"})
    return [ln for ln in out if ln["value"] is not None and np.isfinite(ln["value"])]


def _label_lines(ax, lines: list[dict], fontsize: float) -> None:
    """Each line drawn across the axes with its label written on it (left end; the right end when the
    previous label sits too close)."""
    lo, hi = ax.get_ylim()
    span = (hi - lo) or 1.0
    last_left = None
    for ln in sorted(lines, key=lambda item: item["value"]):
        style = LINE_STYLES.get(ln["style"], LINE_STYLES["next"])
        ax.axhline(ln["value"], linewidth=1.3, zorder=2, **style)
        left = last_left is None or abs(ln["value"] - last_left) > 0.12 * span
        ax.annotate(ln["label"], xy=(0.005 if left else 0.995, ln["value"]), xycoords=("axes fraction", "data"), xytext=(2 if left else -2, 1.5),
                    textcoords="offset points", ha="left" if left else "right", va="bottom", fontsize=fontsize, color=style["color"], zorder=4,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.75})
        if left:
            last_left = ln["value"]


def _y_limits(unit: str, values: list[np.ndarray], lines: list[dict]) -> tuple[float, float] | None:
    """The y-range of the drawn values and the lines (never of daily spikes), padded; rates kept in 0–100 %."""
    finite = np.concatenate([np.asarray(v, dtype=float)[np.isfinite(np.asarray(v, dtype=float))] for v in values] + [np.array([ln["value"] for ln in lines], dtype=float)])
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    pad = (hi - lo) * 0.15 or max(abs(hi) * 0.1, 0.01 if unit == "ratio" else 1.0)
    lo, hi = lo - pad, hi + pad * 1.6  # room above for the labels on the lines
    if unit == "ratio":
        lo, hi = max(lo, 0.0), min(hi, 1.04)
    elif finite.min() >= 0:
        lo = max(lo, 0.0)
    return lo, hi


def _role(handle, role: str, generic: str):
    """Tag a legend handle with its role and a wording that fits every panel of a grid."""
    handle._trend_role, handle._trend_generic = role, generic
    return handle


def trend(
    series: pd.DataFrame,
    *,
    title: str,
    unit: str,
    kind: str = "rate",
    lines=None,
    direction: str | None = None,
    value_label: str = "窗口值",
    bar_label: str = "每日新计入",
    unit_label: str | None = None,
    short_window: int | None = None,
    min_denominator: float = 0,
    day_label: str = "评分日",
    ax=None,
    compact: bool = False,
) -> Figure | None:
    """The window value as scored on each day (bold line), the rows entering the window each day (faint
    bars, right axis) and labelled threshold lines.

    ``series``: index = as-of day; ``value`` and ``denominator`` (of the window), ``new_denominator``
    (rows entering that day) and, with ``short_window`` w, ``value_{w}d`` / ``denominator_{w}d`` (the
    w-day value a service line is judged on, thin line) — :func:`shopscore_nb.metrics.daily.rolling_series`.
    ``lines``: ``(label, value[, style])`` or dicts, style ``current`` | ``next`` | ``service``.
    ``direction``: ``higher`` / ``lower`` is better, written in the title's right corner. Rates and means
    whose window denominator is below ``min_denominator`` are not drawn (a gap over a grey band, noted).
    Returns the figure, or ``None`` when drawing into a given ``ax``.
    """
    own = ax is None
    if own:
        # fixed margins (inches → fractions of 9 × 3.6 in): constrained layout measured every label twice per chart
        fig = Figure(figsize=(9, 3.6))
        ax = fig.subplots()
        fig.subplots_adjust(left=0.8 / 9, right=1 - 0.62 / 9, top=1 - 0.32 / 3.6, bottom=0.95 / 3.6)
    small = 7 if compact else 8
    lines = _lines(lines)
    frame = series.copy()
    days = pd.DatetimeIndex(frame.index)
    values = frame["value"].to_numpy(dtype=float) if "value" in frame else np.full(len(frame), np.nan)
    is_rate = kind not in ("count", "sum")
    tiny = np.zeros(len(frame), dtype=bool)
    if is_rate and min_denominator and "denominator" in frame:
        tiny = frame["denominator"].to_numpy(dtype=float) < float(min_denominator)
    drawn = np.where(tiny, np.nan, values)
    short, short_label = None, f"近{short_window}日值"
    if short_window and f"value_{short_window}d" in frame:
        short = frame[f"value_{short_window}d"].to_numpy(dtype=float)
        if is_rate and min_denominator:
            few = frame[f"denominator_{short_window}d"].to_numpy(dtype=float) < float(min_denominator)
            short = np.where(few, np.nan, short)
            if few.any():
                short_label += f"（样本 < {min_denominator:g} 处空缺）"
    handles = []
    if frame.empty or not np.isfinite(values).any():
        ax.text(0.5, 0.5, "窗口内无数据", ha="center", va="center", transform=ax.transAxes, color="#777777")
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        if "new_denominator" in frame:  # faint bars on a secondary axis, behind the lines
            bx = ax.twinx()
            bars = frame["new_denominator"].to_numpy(dtype=float)
            bx.bar(days, bars, width=0.8, color=BAR_COLOR, alpha=0.6, linewidth=0, label=bar_label)
            bx.set_ylim(0, max(float(np.nanmax(bars)) if np.isfinite(bars).any() else 0.0, 1.0) * 3.2)  # the lower third
            bx.grid(False)
            bx.tick_params(axis="y", labelsize=small - 1, colors="#999999", length=0)
            bx.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            if not compact:
                bx.set_ylabel(f"{bar_label}（柱）", fontsize=small, color="#888888")
            ax.set_zorder(bx.get_zorder() + 1)
            ax.patch.set_visible(False)
            handles.append(_role(matplotlib.patches.Patch(color=BAR_COLOR, alpha=0.6, label=f"{bar_label}（柱，右轴）"), "bars", "每日新计入（柱，右轴）"))
        for i in np.flatnonzero(tiny):  # not a rate: a grey band where the window had too few rows
            ax.axvspan(days[i] - pd.Timedelta(hours=12), days[i] + pd.Timedelta(hours=12), color=TINY_SPAN_COLOR, linewidth=0, zorder=0)
        if short is not None:
            (h,) = ax.plot(days, short, color=SHORT_WINDOW_COLOR, linewidth=1.1, zorder=3, label=short_label)
            handles.append(_role(h, "short", f"近{short_window}日值（服务线口径）"))
        (h,) = ax.plot(days, drawn, color=PALETTE["rolling"], linewidth=2.2, zorder=3, marker="o", markersize=2.5 if compact else 3, label=value_label)
        handles.insert(0, _role(h, "value", "窗口值（当日评分口径）"))
        finite = np.flatnonzero(np.isfinite(drawn))
        if finite.size and not compact:  # the last value, as on the card
            last = finite[-1]
            ax.annotate(_value_formatter(unit, precise=True)(drawn[last], None), xy=(days[last], drawn[last]), xytext=(4, 0), textcoords="offset points",
                        va="center", ha="left", fontsize=small, color=PALETTE["rolling"])
        limits = _y_limits(unit, [drawn] + ([short] if short is not None else []), lines)
        if limits:
            ax.set_ylim(*limits)
        _label_lines(ax, lines, fontsize=small - (0.5 if compact else 0))
        _date_axis(ax)
        ax.set_xlim(days[0] - pd.Timedelta(hours=12), days[-1] + pd.Timedelta(days=3 if not compact else 1))
        if tiny.any():
            note = f"灰底：窗口内样本 < {min_denominator:g}，不作比率"
            ax.text(0.995, 0.02, note, transform=ax.transAxes, ha="right", va="bottom", fontsize=small - 1, color="#777777", zorder=5)
            handles.append(_role(matplotlib.patches.Patch(color=TINY_SPAN_COLOR, label=f"样本 < {min_denominator:g}"), "tiny", f"样本 < {min_denominator:g}，不作比率"))
    ax.yaxis.set_major_formatter(_value_formatter(unit))
    ax.set_title(title, fontsize=10 if compact else 11, loc="left")
    if direction in DIRECTION_ZH:
        ax.set_title(DIRECTION_ZH[direction], fontsize=small, loc="right", color="#555555")
    ax.set_xlabel("" if compact else day_label, fontsize=9)
    ax.set_ylabel(unit_label if unit_label is not None else UNIT_LABEL.get(unit, unit), fontsize=small if compact else 9)
    ax.tick_params(axis="both", labelsize=small)
    if own and handles:  # below the plot: never over the data, the title or the line labels
        fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.04 / 3.6), fontsize=8, frameon=False, ncols=len(handles))
    ax._trend_handles = handles  # for trend_grid's shared legend
    return fig if own else None


def trend_grid(panels: list[dict], ncols: int = 3) -> Figure:
    """Small multiples: each panel a dict of :func:`trend` keyword arguments (``series``, ``title``, ``unit`` ...),
    with one legend for all."""
    n = max(len(panels), 1)
    nrows = int(np.ceil(n / ncols))
    height = 2.9 * nrows + 0.4
    # fixed margins, not constrained layout: a grid of twin-axis panels costs constrained layout ~2 s of text
    # measuring per figure; the compact panels' labels are short and fit these margins (inches → fractions)
    fig = Figure(figsize=(4.4 * ncols, height))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    fig.subplots_adjust(left=0.6 / (4.4 * ncols), right=1 - 0.45 / (4.4 * ncols), top=1 - 0.3 / height, bottom=0.75 / height,
                        wspace=0.42, hspace=0.5)
    legend = {}
    for ax, panel in zip(axes, panels, strict=False):
        trend(ax=ax, compact=True, **panel)
        for h in getattr(ax, "_trend_handles", []):  # one entry per role, in a wording that fits every panel
            legend.setdefault(h._trend_role, h)
    for h in legend.values():
        h.set_label(h._trend_generic)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if legend:
        fig.legend(handles=list(legend.values()), loc="lower center", bbox_to_anchor=(0.5, 0.05 / height), fontsize=8, frameon=False,
                   ncols=len(legend))
    return fig


# ---------------------------------------------------------------- breakdowns
def bands(counts: dict[str, int], *, title: str = "揽收时长分布 pickup-time bands") -> Figure:
    """Bar chart of the payment-to-pickup hour bands (0–24 / 24–36 / 36–48 / >48 h)."""
    import seaborn as sns

    fig = Figure(figsize=(6, 2.8), layout="constrained")
    ax = fig.subplots()
    frame = pd.DataFrame({"band": list(counts), "orders": list(counts.values())})
    colors = [PALETTE["bad"] if str(b).startswith(">") else PALETTE["rolling"] for b in frame["band"]]
    sns.barplot(frame, x="band", y="orders", hue="band", palette=colors, legend=False, ax=ax)
    total = max(int(frame["orders"].sum()), 1)
    for i, n in enumerate(frame["orders"]):
        ax.annotate(f"{n} ({n / total:.0%})", xy=(i, n), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=9)
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel("支付→揽收 payment→pickup")
    ax.set_ylabel("订单 orders")
    return fig


def hour_weekday_heatmaps(rate: pd.DataFrame, volume: pd.DataFrame, *, threshold_s: int = 180) -> Figure:
    """Two heat maps, hour of day × weekday: the 3-minute reply rate and the number of rounds."""
    import seaborn as sns

    fig = Figure(figsize=(12, 5.6))  # fixed margins: constrained layout would measure every annotation (+0.5 s)
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.93, bottom=0.1, wspace=0.18)
    sns.heatmap(rate, ax=ax1, cmap="RdYlGn", vmin=0, vmax=1, annot=True, fmt=".0%", annot_kws={"fontsize": 7},
                cbar_kws={"format": FuncFormatter(lambda v, _: f"{v:.0%}")}, linewidths=0.5, linecolor="white")
    ax1.set_title(f"{threshold_s // 60}分钟回复率 reply rate ≤ {threshold_s}s", fontsize=11, loc="left")
    sns.heatmap(volume, ax=ax2, cmap="Blues", annot=True, fmt=".0f", annot_kws={"fontsize": 7}, linewidths=0.5, linecolor="white")
    ax2.set_title("轮次数 rounds (volume)", fontsize=11, loc="left")
    for ax in (ax1, ax2):
        ax.set_xlabel("星期 weekday")
        ax.set_ylabel("小时 hour of day")
        ax.tick_params(axis="y", rotation=0)
    return fig


def agent_bars(agents: pd.DataFrame, *, threshold: float | None = None, threshold_label: str | None = None) -> Figure:
    """Per-agent 3-minute rate (bars) with the round volume in the labels and the 飞鸽 line, labelled."""
    import seaborn as sns

    n = max(len(agents), 1)
    fig = Figure(figsize=(8, 0.45 * n + 1.2), layout="constrained")
    ax = fig.subplots()
    frame = agents.reset_index()
    sns.barplot(frame, y="agent_id", x="rate_3min", color=PALETTE["rolling"], ax=ax, orient="h")
    for i, (rate, rounds) in enumerate(zip(frame["rate_3min"], frame["rounds"], strict=True)):
        if pd.notna(rate):
            ax.annotate(f"{rate:.1%} · {rounds}轮", xy=(rate, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    if threshold is not None:
        style = LINE_STYLES["service"]
        ax.axvline(threshold, linewidth=1.3, **style)
        ax.annotate(threshold_label or f"{threshold:.0%}", xy=(threshold, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8, color=style["color"])
    ax.xaxis.set_major_formatter(_value_formatter("ratio"))
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("3分钟回复率(轮次) rounds answered ≤ 3 min")
    ax.set_ylabel("客服 agent")
    return fig


def dimension_bars(dimensions: dict[str, float], *, total: float | None = None, scale_max: float | None = None) -> Figure:
    """Dimension scores (商品/物流/服务) as horizontal bars, the total as a dashed line."""
    import seaborn as sns

    fig = Figure(figsize=(7, 2.6), layout="constrained")
    ax = fig.subplots()
    names = {"product": "商品体验 product", "logistics": "物流体验 logistics", "service": "服务体验 service"}
    frame = pd.DataFrame({"dimension": [names.get(k, k) for k in dimensions], "score": [float(v) if v is not None else np.nan for v in dimensions.values()]})
    sns.barplot(frame, y="dimension", x="score", color=PALETTE["rolling"], ax=ax, orient="h")
    for i, v in enumerate(frame["score"]):
        if pd.notna(v):
            ax.annotate(f"{v:.2f}", xy=(v, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
    if total is not None and np.isfinite(total):
        ax.axvline(total, color=PALETTE["overall"], linestyle="--", linewidth=1)
        ax.annotate(f"总分 total {total:.2f}", xy=(total, -0.45), xytext=(3, 0), textcoords="offset points", fontsize=8)
    if scale_max:
        ax.set_xlim(0, scale_max * 1.08)
    ax.set_xlabel("得分 score")
    ax.set_ylabel("")
    return fig


def forecast_lines(frame: pd.DataFrame, *, x: str, y: str, hue: str | None = None, title: str = "",
                   thresholds: list[tuple[str, float]] | None = None, y_label: str | None = None) -> Figure:
    """Day-by-day projection (one line per scenario) with labelled threshold lines."""
    import seaborn as sns

    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax = fig.subplots()
    sns.lineplot(frame, x=x, y=y, hue=hue, ax=ax, linewidth=2)
    lines = [{**ln, "style": "service"} for ln in _lines(thresholds)]
    limits = _y_limits("score", [frame[y].to_numpy(dtype=float)], lines)
    if limits:
        ax.set_ylim(*limits)
    _label_lines(ax, lines, fontsize=8)
    if pd.api.types.is_datetime64_any_dtype(frame[x]):
        _date_axis(ax)
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel("日期 day")
    ax.set_ylabel(y_label or y)
    if ax.get_legend() is not None:
        ax.legend(fontsize=8, frameon=False)
    return fig


VERDICT_COLORS = {"match": "#2e7d32", "explained": "#e69f00", "unexplained": "#c0392b"}
VERDICT_LABELS = {"match": "一致 match", "explained": "已解释 explained", "unexplained": "未解释 unexplained"}


def backend_vs_recomputed(series: pd.DataFrame, *, ncols: int = 2) -> Figure:
    """The backend page's scores (dots coloured by verdict) against the recomputed ones (line), day by day.

    ``series``: columns ``as_of``, ``label`` (one panel each, in order of appearance), ``backend``, ``ours``
    and ``verdict`` (``match`` / ``explained`` / ``unexplained``), e.g. ``Reconciliation.series()``.
    """
    from matplotlib.lines import Line2D

    labels = list(dict.fromkeys(series["label"])) if len(series) else []
    ncols = max(1, min(ncols, len(labels) or 1))
    nrows = int(np.ceil(max(len(labels), 1) / ncols))
    fig = Figure(figsize=(4.6 * ncols, 2.5 * nrows + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    if not labels:
        axes[0].text(0.5, 0.5, "无后台读数 no backend readings", ha="center", va="center", transform=axes[0].transAxes, color="#777777")
        axes[0].set_xticks([])
        axes[0].set_yticks([])
        return fig
    for ax, label in zip(axes, labels, strict=False):
        g = series[series["label"] == label].sort_values("as_of")
        ax.plot(g["as_of"], g["ours"], color=PALETTE["rolling"], linewidth=2, marker="o", markersize=3)
        ax.plot(g["as_of"], g["backend"], color=PALETTE["overall"], linewidth=1, linestyle="--")
        ax.scatter(g["as_of"], g["backend"], c=[VERDICT_COLORS.get(v, PALETTE["overall"]) for v in g["verdict"]], s=30, zorder=3)
        _date_axis(ax)
        ax.set_title(label, fontsize=10, loc="left")
        ax.set_ylabel("得分 score")
        ax.set_xlabel("")
    for ax in axes[len(labels):]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=PALETTE["rolling"], linewidth=2, marker="o", markersize=3, label="重算 recomputed"),
               Line2D([], [], color=PALETTE["overall"], linewidth=1, linestyle="--", label="后台 backend")]
    handles += [Line2D([], [], color=c, linestyle="", marker="o", markersize=6, label=VERDICT_LABELS[k]) for k, c in VERDICT_COLORS.items()]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8, frameon=False, ncols=len(handles))
    return fig


def weekday_labels(days: list[int]) -> list[str]:
    return [WEEKDAYS_ZH[d] for d in days]
