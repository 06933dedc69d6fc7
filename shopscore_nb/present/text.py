"""What the reader reads about an indicator and a shop: definitions (中文 and English, filled from the active
profile), the value line with numerator, denominator, score and lines, the page header, and the plain-text
lines the golden cells print.

>>> explain(rep, "product.negative_review_rate")     # doctest: +SKIP
>>> value_text(rep, "cs.avg_response_seconds")       # doctest: +SKIP
'**平均响应时长 = 118.4 s** = 9,472.0 s / 80 行 rows · 线 lines: 平均响应 ≤ 2分钟 (周) 120.0 s'
"""
from __future__ import annotations

from collections import defaultdict

from ..escaping import md_text
from ..metrics import Context
from ..metrics.base import ruleset_of as _ruleset_of
from ..metrics.descriptions import describe, lag_days
from ..report import ShopReport
from ..scoring.targets import service_lines, tier_cutoffs
from .display import md, show
from .formatting import fmt_value, num


def ruleset_of(ctx_or_report) -> str:
    """The ruleset of a context or report: :func:`shopscore_nb.metrics.base.ruleset_of`."""
    return _ruleset_of(ctx_or_report)


def definition(key: str, ruleset: str = "seed") -> dict:
    """The bilingual definition entry of ``key``: a fresh dict of its description
    (:func:`shopscore_nb.metrics.descriptions.describe` → :meth:`~shopscore_nb.metrics.descriptions.Description.as_dict`)."""
    return describe(key, ruleset).as_dict()


def lag(ctx: Context, entry: dict) -> int:
    """Cohort lag in days of a :func:`definition` entry under the context's profile (0: rolling window)."""
    return lag_days(ctx.profile, entry.get("lag"))


def direction(rep, key: str) -> str:
    """``higher`` or ``lower``: which way the indicator is better."""
    return describe(key, ruleset_of(rep)).direction


def _placeholders(ctx: Context, lag_d: int = 0) -> dict:
    p = ctx.profile
    cohort_start, cohort_end = ctx.window(lag_days=lag_d)
    return defaultdict(
        lambda: "?",
        N=ctx.window_days,
        lag=lag_d,
        start=ctx.start.strftime("%Y-%m-%d"),
        end=ctx.end.strftime("%Y-%m-%d"),
        cohort_start=cohort_start.strftime("%Y-%m-%d"),
        cohort_end=cohort_end.strftime("%Y-%m-%d"),
        reply_s=p.get("im.reply_within_seconds", "?"),
        first_s=p.get("im.first_reply_within_seconds", "?"),
        sla_h=p.get("logistics.pickup_sla_hours", "?"),
        unanswered_s=p.get("im.unanswered_seconds", "?"),
        bh_start=str(p.get("business_hours.start", "?"))[:5],
        bh_end=str(p.get("business_hours.end", "?"))[:5],
    )


def window_text(ctx: Context, entry: dict) -> tuple[str, str]:
    """(Chinese, English) description of the rows' window for this indicator under the context."""
    n = lag(ctx, entry)
    s, e = (d.strftime("%Y-%m-%d") for d in ctx.window(lag_days=n))
    if n:
        return (f"{n}天滞后队列：{s} 00:00 至 {e} 00:00（不含），即近{ctx.window_days}天往前推{n}天",
                f"{n}-day lagged cohort: [{s} 00:00, {e} 00:00) — the last {ctx.window_days} days shifted back {n} days")
    return (f"近{ctx.window_days}天：{s} 00:00 至 {e} 00:00（不含）", f"last {ctx.window_days} days: [{s} 00:00, {e} 00:00)")


def explain_text(ctx: Context, key: str) -> str:
    """Markdown: name, definition, formula, window and what moves it, in Chinese and English."""
    entry = definition(key, ruleset_of(ctx))
    fill = _placeholders(ctx, lag(ctx, entry))
    f = {k: str(v).format_map(fill) if isinstance(v, str) else v for k, v in entry.items()}
    wzh, wen = window_text(ctx, entry)
    rows = [
        ("定义 definition", f.get("what_zh", ""), f.get("what_en", "")),
        ("公式 formula", f.get("formula_zh", ""), f.get("formula_en", "")),
        ("窗口 window", wzh, wen),
        ("怎样改善 what moves it", f.get("moves_zh", ""), f.get("moves_en", "")),
    ]
    lines = [f"#### {entry['zh']} · {entry['name_en']} &nbsp; `{key}`", "", "| | 中文 | English |", "|---|---|---|"]
    lines += [f"| **{a}** | {b} | {c} |" for a, b, c in rows if b or c]
    return "\n".join(lines)


def explain(rep_or_ctx, key: str) -> None:
    ctx = getattr(rep_or_ctx, "ctx", rep_or_ctx)
    show(md(explain_text(ctx, key)))


def key_numbers(rep: ShopReport, keys: list[str]) -> None:
    """Print shop, window and each indicator's value / numerator / denominator as plain text (golden cells)."""
    ctx = rep.ctx
    print(f"shop={rep.shop.shop_id} as_of={ctx.as_of:%Y-%m-%d} window=[{ctx.start:%Y-%m-%d}, {ctx.end:%Y-%m-%d}) profile={ctx.profile.get('name')}")
    for key in keys:
        r = rep.results.get(key)
        if r is None:
            print(f"{key}: not in this profile")
            continue
        note = f" ({r.reason})" if r.reason else ""
        print(f"{key}: value={num(r.value)} numerator={num(r.numerator)} denominator={num(r.denominator)}{note}")


def value_text(rep: ShopReport, key: str) -> str:
    r = rep.results[key]
    entry = definition(key, ruleset_of(rep))
    unit = r.unit
    if r.value is None:
        return f"**{entry['zh']}: 无数据 no data** — {r.reason or 'no rows in the window'}"
    parts = [f"**{entry['zh']} = {fmt_value(r.value, unit)}**"]
    if r.denominator is not None:
        if unit == "ratio":
            parts.append(f"= {num(r.numerator)} / {num(r.denominator)}")
        else:
            parts.append(f"= {fmt_value(r.numerator, unit)} / {num(r.denominator)} 行 rows")
    if r.score is not None:
        parts.append(f"· 得分 score **{num(round(r.score, 4))}**")
    lines = thresholds(rep, key)
    if lines:
        parts.append("· 线 lines: " + ", ".join(f"{label} {fmt_value(v, unit)}" for label, v in lines))
    return " ".join(parts)


def header(rep: ShopReport) -> None:
    """Shop, as-of date, window, profile (with its source and overrides) and the files read.

    Names from the data (shop name and id, file names, profile texts) are escaped (:func:`md_text`)."""
    ctx, shop = rep.ctx, rep.shop
    name = shop.config.get("name") or shop.shop_id
    overrides = ", ".join(md_text(o) for o in getattr(ctx.profile, "overridden", []) or []) or "无 none"
    files = ", ".join(f"{md_text(f['file'])} → {f['table']} ({f['rows']})" for f in shop.files)
    lines = [
        f"### {md_text(name)} ({md_text(shop.shop_id)})",
        f"- 统计截至 as of: **{ctx.as_of:%Y-%m-%d}** (data up to {ctx.as_of:%Y-%m-%d} 00:00, T+1)",
        f"- 窗口 window: **{ctx.window_days}** 天 days, [{ctx.start:%Y-%m-%d}, {ctx.end:%Y-%m-%d})",
        f"- 规则 profile: **{md_text(ctx.profile.get('name'))}** — {md_text(ctx.profile.get('title', ''))} ({md_text(ctx.profile.source)}); "
        f"overrides: {overrides}",
        f"- 文件 files: {files}",
    ]
    if shop.ignored:
        lines.append("- 未读取 files not loaded: " + "; ".join(md_text(f["reason"]) for f in shop.ignored))
    if shop.clock_note():
        lines.append(f"- 时钟 clock: {md_text(shop.clock_note())}")
    card = rep.scorecard
    if card is not None and getattr(card, "assumptions", None):
        lines.append("- 假设 assumptions: " + "; ".join(md_text(a) for a in card.assumptions))
    show(md("\n".join(lines)))


def score_numbers(rep: ShopReport) -> None:
    """Print total, stage and dimension scores as plain text (golden cell of the overview)."""
    card = rep.scorecard
    if card is None:
        print("scoring: not available")
        return
    dims = " ".join(f"{k}={num(v)}" for k, v in card.dimensions.items())
    print(f"total={num(card.total)} stage={card.stage} display={num(card.display)} {dims}")


def tier_lines(rep: ShopReport, key: str) -> list[tuple[str, float]]:
    """The cut-off of the indicator's current tier and of the next better one, labelled with their scores."""
    names = {"current": "当前档 tier", "next": "下一档 next tier"}
    return [(f"{names[c['tier']]} {num(c['score'])}", c["value"]) for c in tier_cutoffs(rep.scorecard, key)]


def thresholds(rep: ShopReport, key: str) -> list[tuple[str, float]]:
    """Lines for an indicator: its current / next tier cut-off and the profile's 飞鸽 service lines."""
    return tier_lines(rep, key) + [(str(ln.get("zh", ln.get("id"))), float(ln["value"])) for ln in service_lines(rep.ctx.profile, key)]


def show_notes(rep: ShopReport) -> None:
    """At the end of a page, collapsed: the files read (and not), the profile, its overrides and the numbers the
    platform does not publish (the assumptions), in plain words."""
    ctx, shop = rep.ctx, rep.shop
    files = "".join(f"\n- {md_text(f['file'])} → {f['table']}（{f['rows']} 行）" for f in shop.files)
    lines = [
        "<details>", "<summary>数据文件、规则与假设 · Files, rules and assumptions</summary>", "",
        f"**规则 profile**: {md_text(ctx.profile.get('name'))} — {md_text(ctx.profile.get('title', ''))}（{md_text(ctx.profile.source)}）",
        "", f"**读取的文件 files read**:{files}",
    ]
    if shop.ignored:
        lines += ["", "**未读取 files not loaded**:", *(f"- {md_text(f['reason'])}" for f in shop.ignored)]
    if shop.clock_note():
        lines += ["", f"**时钟 clock**: {md_text(shop.clock_note())}"]
    overrides = getattr(ctx.profile, "overridden", []) or []
    if overrides:
        lines += ["", "**本店覆盖 shop.yaml overrides**:", *(f"- {md_text(o)}" for o in overrides)]
    card = rep.scorecard
    if card is not None and getattr(card, "assumptions", None):
        lines += ["", "**平台未公布、按文档默认值计算的数字 numbers the platform does not publish (documented defaults)**:",
                  *(f"- {md_text(a)}" for a in card.assumptions)]
    lines += ["", "</details>"]
    show(md("\n".join(lines)))
