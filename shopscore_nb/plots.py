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
from pathlib import Path

import matplotlib
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


# ---------------------------------------------------------------- formatting helpers
def _value_formatter(unit: str) -> FuncFormatter:
    if unit == "ratio":
        return FuncFormatter(lambda v, _: f"{v:.0%}" if float(round(v * 100, 6)).is_integer() else f"{v:.1%}")
    if unit in ("count", "yuan"):
        return FuncFormatter(lambda v, _: f"{v:,.0f}")
    return FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:,.1f}")


UNIT_LABEL = {"ratio": "比率 rate", "hours": "小时 hours", "seconds": "秒 seconds", "count": "数量 count", "yuan": "元 yuan"}


def _date_axis(ax) -> None:
    locator = AutoDateLocator(minticks=4, maxticks=8, interval_multiples=True)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))


# ---------------------------------------------------------------- trend
def _threshold_lines(ax, lines: list[tuple[str, float]], annotate: bool = True) -> None:
    """Red dotted lines; labels at the right edge, moved to the left edge when two lines are close."""
    lo, hi = ax.get_ylim()
    values = [y for _, y in lines]
    lo, hi = min([lo, *values]), max([hi, *values])
    span = (hi - lo) or 1.0
    last_right = None
    for label, y in sorted(lines, key=lambda item: item[1]):
        ax.axhline(y, color=PALETTE["threshold"], linestyle=":", linewidth=1.5)
        if not annotate:
            continue
        right = last_right is None or abs(y - last_right) > 0.08 * span
        ax.annotate(label, xy=(1.0 if right else 0.0, y), xycoords=("axes fraction", "data"), xytext=(-4 if right else 4, 2),
                    textcoords="offset points", ha="right" if right else "left", va="bottom", fontsize=8, color=PALETTE["threshold"])
        if right:
            last_right = y


def trend(
    daily: pd.DataFrame,
    *,
    title: str,
    unit: str,
    overall: float | None = None,
    thresholds: list[tuple[str, float]] | None = None,
    kind: str = "rate",
    day_label: str = "日期 day",
    ax=None,
    annotate: bool = True,
) -> Figure | None:
    """Daily value (thin), 7-day rolling value (bold), window value (dashed) and threshold lines (red).

    ``daily``: index = day, columns ``value`` and ``rolling7`` (from ``notebook.daily_series``); counts and
    sums are drawn as bars. Returns the figure, or ``None`` when drawing into a given ``ax``.
    """
    own = ax is None
    if own:
        fig = Figure(figsize=(9, 3.2), layout="constrained")
        ax = fig.subplots()
    frame = daily.reset_index().rename(columns={daily.index.name or "index": "day"})
    if frame.empty or frame["value"].notna().sum() == 0:
        ax.text(0.5, 0.5, "窗口内无数据 no data in the window", ha="center", va="center", transform=ax.transAxes, color="#777777")
        ax.set_xticks([])
        ax.set_yticks([])
    elif kind in ("count", "sum"):
        # already aggregated per day: plain matplotlib artists under the seaborn theme (seaborn's
        # lineplot would only re-aggregate, at ~60 ms a call)
        ax.bar(frame["day"], frame["value"].fillna(0), width=0.8, color=PALETTE["daily"], label="每日 daily")
        ax.plot(frame["day"], frame["rolling7"], color=PALETTE["rolling"], linewidth=2, label="7日均 7-day mean")
        _date_axis(ax)
    else:
        ax.plot(frame["day"], frame["value"], color=PALETTE["daily"], linewidth=1, marker=".", markersize=4, label="每日 daily")
        ax.plot(frame["day"], frame["rolling7"], color=PALETTE["rolling"], linewidth=2, label="近7日 7-day")
        if overall is not None and np.isfinite(overall):
            ax.axhline(overall, color=PALETTE["overall"], linestyle="--", linewidth=1, label="窗口值 window value")
        _threshold_lines(ax, thresholds or [], annotate=annotate)
        _date_axis(ax)
    ax.yaxis.set_major_formatter(_value_formatter(unit))
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(day_label)
    ax.set_ylabel(UNIT_LABEL.get(unit, unit))
    handles, labels = ax.get_legend_handles_labels()
    if handles and own:  # below the plot: never over the data, the title or the line labels
        fig.legend(handles, labels, loc="outside lower center", fontsize=8, frameon=False, ncols=4)
    return fig if own else None


def trend_grid(panels: list[dict], ncols: int = 3) -> Figure:
    """Small multiples: each panel a dict of :func:`trend` keyword arguments (``daily``, ``title``, ``unit`` ...)."""
    n = max(len(panels), 1)
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(4.2 * ncols, 2.9 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, panel in zip(axes, panels, strict=False):
        trend(ax=ax, annotate=False, **panel)
        ax.set_xlabel("")
        ax.set_ylabel("")
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
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


def agent_bars(agents: pd.DataFrame, *, threshold: float | None = None) -> Figure:
    """Per-agent 3-minute rate (bars) with the round volume in the labels."""
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
        ax.axvline(threshold, color=PALETTE["threshold"], linestyle=":", linewidth=1.5)
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
    """Day-by-day projection (one line per scenario) with threshold lines."""
    import seaborn as sns

    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax = fig.subplots()
    sns.lineplot(frame, x=x, y=y, hue=hue, ax=ax, linewidth=2)
    _threshold_lines(ax, thresholds or [])
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
