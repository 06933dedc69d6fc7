"""The first screen of a page: the score, its dimensions with their change over 7 days, every consequence line
met or missed with its gap and window, and the fixes ranked by points gained ("先改这3件事"); on section pages,
the dimension score and the indicator cards.

One HTML block per call (escaped: every name from the data passes :func:`html.escape`); the numbers come from
the report, the report of 7 days before and the report's what-if plan (:mod:`shopscore_nb.present.session`),
so every page tells the same numbers.

>>> show_headline(rep)                       # doctest: +SKIP
>>> show_section_head(rep, "logistics")      # doctest: +SKIP
"""
from __future__ import annotations

import html
import math
from functools import cache
from importlib import resources

import yaml

from ..metrics.descriptions import describe
from ..report import ShopReport
from ..scoring.consequences import consequences
from .formatting import fmt_value, num
from .sections import page_name, section, section_keys
from .session import earlier_report, plan_of
from .text import ruleset_of

STYLE = """<style>
.ss-head{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1f2933;line-height:1.45}
.ss-head h2{margin:0 0 2px;font-size:22px}.ss-head .ss-sub{color:#616e7c;font-size:13px;margin-bottom:10px}
.ss-row{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.ss-card{border:1px solid #d9e2ec;border-radius:8px;padding:8px 12px;min-width:128px;background:#fff}
.ss-card .ss-k{color:#616e7c;font-size:12px}.ss-card .ss-v{font-size:22px;font-weight:600}
.ss-card.ss-total .ss-v{font-size:34px}.ss-card .ss-d{font-size:12px}
.ss-up{color:#067647}.ss-down{color:#b42318}.ss-flat{color:#616e7c}
.ss-chip{display:inline-block;border-radius:12px;padding:2px 10px;margin:2px 4px 2px 0;font-size:13px;border:1px solid}
.ss-chip.ss-miss{background:#fef3f2;border-color:#fda29b;color:#912018}.ss-chip.ss-met{background:#ecfdf3;border-color:#a6f4c5;color:#05603a}
.ss-fix{margin:4px 0 4px 0;font-size:14px}.ss-fix b{font-size:15px}.ss-h{font-weight:600;margin-top:10px;font-size:15px}
.ss-note{color:#616e7c;font-size:12px}
</style>"""


@cache
def _fix_texts() -> dict:
    text = resources.files("shopscore_nb.reference").joinpath("sections.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text).get("fixes", {})


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _signed(delta: float | None, digits: int = 2) -> tuple[str, str]:
    """(text, css class) of a change: ↑ +0.05 / ↓ −0.10 / → 0.00 — the arrow and the sign, never colour alone."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "—", "ss-flat"
    if abs(delta) < 10 ** -(digits + 1):
        return f"→ {0:.{digits}f}", "ss-flat"
    arrow, css = ("↑", "ss-up") if delta > 0 else ("↓", "ss-down")
    return f"{arrow} {'+' if delta > 0 else '−'}{abs(delta):.{digits}f}", css


def _gap_text(rep: ShopReport, metric: str, gap) -> str:
    if gap is None or (isinstance(gap, float) and math.isnan(gap)):
        return ""
    sign = "+" if gap > 0 else "−"
    r = rep.results.get(metric)
    unit = r.unit if r is not None else "score"
    if unit == "ratio":
        return f"{sign}{abs(gap) * 100:.1f} 个百分点"
    if unit == "seconds":
        return f"{sign}{abs(gap):.0f} 秒"
    if unit == "hours":
        return f"{sign}{abs(gap):.1f} 小时"
    return f"{sign}{num(round(abs(gap), 4))} 分"


def line_chips(rep: ShopReport) -> str:
    """Every consequence and 飞鸽 line: ✓ met / ✗ missed, its gap and the window it is judged on."""
    c = consequences(rep.ctx, rep.results, rep.scorecard)
    chips = []
    for _, ln in c.iterrows():  # a handful of lines, not data rows
        if ln["met"] is None or (isinstance(ln["met"], float) and math.isnan(ln["met"])):
            continue
        met = bool(ln["met"])
        window = f"近{int(ln['window_days'])}天" if ln.get("window_days") == ln.get("window_days") and ln.get("window_days") else ""
        gap = "" if met else f" · 差 {_gap_text(rep, ln['metric'], ln['gap'])}"
        chips.append(f'<span class="ss-chip {"ss-met" if met else "ss-miss"}">{"✓" if met else "✗"} {_e(ln["zh"])}{gap}'
                     f'{" · " + window if window else ""}</span>')
    return "".join(chips)


def _score(value, rep: ShopReport) -> str:
    """A score as the backend prints it: two decimals on the 5-point scale, else up to two."""
    if value is None:
        return "—"
    top = max(rep.scorecard.rules.tier_scores) if rep.scorecard.rules.tier_scores else None
    return f"{value:.2f}" if top is not None and top <= 5 else num(round(float(value), 2))


def _dimension_cards(rep: ShopReport, before: ShopReport | None) -> str:
    card = rep.scorecard
    cards = []
    for name, value in card.dimensions.items():
        zh = card.rules.dimensions.get(name, {}).get("zh", name)
        old = before.scorecard.dimensions.get(name) if before is not None else None
        delta, css = _signed(None if value is None or old is None else value - old)
        cards.append(f'<div class="ss-card"><div class="ss-k">{_e(zh)}</div><div class="ss-v">{_score(value, rep)}</div>'
                     f'<div class="ss-d {css}">近7天 {delta}</div></div>')
    return "".join(cards)


def _fix_lines(rep: ShopReport, top: int = 3) -> str:
    plan = plan_of(rep)
    texts = _fix_texts()
    items = []
    for i, fix in enumerate(plan.ranked[:top], start=1):
        t = texts.get(fix.name, {})
        what = _e(t.get("zh", fix.name)).replace("{n}", f"{fix.size:,}")
        page = t.get("page")
        link = f' · <a href="{_e(page)}.html">详见「{_e(page_name(page))}」</a>' if page else ""
        gain, css = _signed(fix.gained)
        total = f"总分 <span class='{css}'>{gain}</span>（{num(fix.total_before)} → {num(fix.total_after)}）" if fix.total_before is not None else ""
        items.append(f'<div class="ss-fix"><b>{i}. {what}</b> → {total}{link}</div>')
    if not items:
        return '<div class="ss-fix">没有可改进的失分项 — nothing the kit can fix costs points now.</div>'
    if plan.combined is not None and len(plan.ranked) > 1:
        gain, css = _signed(plan.combined.gained)
        items.append(f'<div class="ss-note">三件都做：总分 <span class="{css}">{gain}</span>（{num(plan.combined.total_before)} → '
                     f'{num(plan.combined.total_after)}）。每一项的假设见各页“假如”一节。</div>')
    return "".join(items)


def show_headline(rep: ShopReport) -> None:
    """The overview's first screen: score, dimensions (7-day change), lines with gaps, the fixes ranked by points."""
    ctx, card, shop = rep.ctx, rep.scorecard, rep.shop
    name = shop.config.get("name") or shop.shop_id
    top = max(card.rules.tier_scores) if card.rules.tier_scores else None
    before = earlier_report(rep, 7)
    delta, css = _signed(None if card.total is None or before is None or before.scorecard.total is None
                         else card.total - before.scorecard.total)
    stars = f" {_e(card.stars)}" if getattr(card, "stars", None) else ""
    total = "未出分" if card.total is None else f"{_score(card.total, rep)}{' / ' + num(top) if top else ''}"
    block = [
        STYLE, '<div class="ss-head">',
        f"<h2>{_e(name)} <span class='ss-sub'>({_e(shop.shop_id)})</span></h2>",
        f'<div class="ss-sub">统计截至 {ctx.as_of:%Y-%m-%d}（数据到前一天）· 近{ctx.window_days}天 · 规则 {_e(ctx.profile.get("title", ctx.profile.get("name")))}</div>',
        '<div class="ss-row">',
        f'<div class="ss-card ss-total"><div class="ss-k">商家体验分</div><div class="ss-v">{total}{stars}</div>'
        f'<div class="ss-d {css}">近7天 {delta} · {_e(card.stage)}</div></div>',
        _dimension_cards(rep, before), "</div>",
        '<div class="ss-h">门槛线 Lines</div>', f'<div>{line_chips(rep)}</div>',
        '<div class="ss-h">先改这3件事 Fix these first</div>', _fix_lines(rep), "</div>",
    ]
    show_html("".join(block), rep)


def _indicator_card(rep: ShopReport, key: str) -> str:
    r = rep.results[key]
    desc = describe(key, ruleset_of(rep))
    better = "" if desc.trend.kind in ("count", "sum") else ("越高越好" if desc.direction == "higher" else "越低越好")
    score = f"得分 {num(r.score)}" if r.score is not None else ""
    note = " · ".join(x for x in (better, score) if x) or "&nbsp;"
    return (f'<div class="ss-card"><div class="ss-k">{_e(desc.zh)}</div><div class="ss-v">{_e(fmt_value(r.value, r.unit))}</div>'
            f'<div class="ss-d ss-flat">{note}</div></div>')


def show_section_head(rep: ShopReport, name: str) -> None:
    """A section page's first screen: its dimension score (7-day change) and its indicator cards."""
    card = rep.scorecard
    parts = [STYLE, '<div class="ss-head">']
    if name in card.dimensions:
        zh = card.rules.dimensions.get(name, {}).get("zh", name)
        before = earlier_report(rep, 7)
        old = before.scorecard.dimensions.get(name) if before is not None else None
        value = card.dimensions[name]
        delta, css = _signed(None if value is None or old is None else value - old)
        parts.append(f'<div class="ss-row"><div class="ss-card ss-total"><div class="ss-k">{_e(zh)}</div><div class="ss-v">{_score(value, rep)}</div>'
                     f'<div class="ss-d {css}">近7天 {delta} · 体验分 {_score(card.total, rep)}</div></div></div>')
    keys = [k for k in section_keys(rep, name) if k in rep.results][:12]
    parts += ['<div class="ss-row">', *(_indicator_card(rep, k) for k in keys), "</div>"]
    if section(name).get("what_if"):
        parts.append(f'<div class="ss-h">本页可改的 Fixes on this page</div>{_fix_lines_for(rep, section(name)["what_if"])}')
    parts.append("</div>")
    show_html("".join(parts), rep)


def _fix_lines_for(rep: ShopReport, names: list[str]) -> str:
    plan = plan_of(rep)
    texts = _fix_texts()
    out = []
    for fix_name in names:
        fix = plan.get(fix_name)
        if fix is None or fix.size == 0:
            continue
        gain, css = _signed(fix.gained)
        what = _e(texts.get(fix_name, {}).get("zh", fix_name)).replace("{n}", f"{fix.size:,}")
        out.append(f'<div class="ss-fix">{what} → 总分 <span class="{css}">{gain}</span>（{num(fix.total_before)} → {num(fix.total_after)}）</div>')
    return "".join(out) or '<div class="ss-note">本页没有失分的可改项。</div>'


def page_meta(rep: ShopReport) -> dict:
    """What the HTML export titles the page with (shop · page · as-of): carried in the output's metadata."""
    name = rep.shop.config.get("name") or rep.shop.shop_id
    return {"shop": str(name), "shop_id": rep.shop.shop_id, "as_of": f"{rep.ctx.as_of:%Y-%m-%d}", "profile": str(rep.ctx.profile.get("name"))}


def show_html(markup: str, rep: ShopReport | None = None) -> None:
    """Show trusted markup (built here, data escaped) as HTML; with ``rep``, the page's title facts ride along."""
    from IPython.display import HTML, display

    display(HTML(markup), metadata={"shopscore": page_meta(rep)} if rep is not None else None)
