"""What each notebook section shows, read from ``reference/sections.yaml`` (which indicators, what-if fixes,
inverse questions, the 飞鸽 line on the agent bars), and the blocks a page is made of: one indicator, the
scorecard, the consequence lines, the forecast, the what-if, the per-agent view.

>>> section_keys(rep, "cs")[:2]                 # doctest: +SKIP
['service.im_3min_reply_rate', 'cs.im_3min_reply_rate_round']
>>> show_what_if(rep, "logistics")              # doctest: +SKIP
"""
from __future__ import annotations

import html
from functools import cache
from importlib import resources

import pandas as pd
import yaml

from .. import plots
from ..escaping import md_text
from ..report import ShopReport
from ..scoring.forecast import forecast
from ..scoring.targets import inverse_plan
from .charts import agent_bars, trend_figure
from .charts import overview_trends as trend_grid
from .display import md, show
from .formatting import fmt_value, num
from .tables import ReaderTable, agent_table, consequences_table
from .text import definition, direction, explain, ruleset_of, value_text


@cache
def sections() -> dict:
    """``reference/sections.yaml``: per notebook section, its indicators, shown keys, what-if fixes, inverse questions."""
    text = resources.files("shopscore_nb.reference").joinpath("sections.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["sections"]


def page_name(page: str) -> str:
    """A notebook's page title for the reader (``00_overview`` → 总览 Overview), from ``sections.yaml`` ``pages``."""
    return _pages().get(page, page)


@cache
def _pages() -> dict:
    text = resources.files("shopscore_nb.reference").joinpath("sections.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text).get("pages", {})


def section(name: str) -> dict:
    known = sections()
    if name not in known:
        raise KeyError(f"unknown section {name!r}; sections: {', '.join(known)}")
    return known[name]


def section_keys(rep: ShopReport, name: str) -> list[str]:
    """Indicators of a notebook section under the active profile, in the order ``sections.yaml`` gives."""
    keys = list(rep.results)
    scored = [k for k in (rep.ctx.profile.get("indicators") or {}) if k in rep.results]
    out: list[str] = []
    for item in section(name).get("indicators", []):
        if item == "scored":
            found = scored
        elif item == "dimension":
            found = [k for k in scored if rep.ctx.profile.get(f"indicators.{k}.dimension") == name] or [k for k in keys if k.startswith(name + ".")]
        elif item.startswith("prefix:"):
            found = [k for k in keys if k.startswith(item.removeprefix("prefix:"))]
        else:
            found = [item] if item in rep.results else []
        out += [k for k in found if k not in out]
    return out


def show_indicator(rep: ShopReport, key: str) -> None:
    """Definition (zh/en) → value with numerator/denominator (and score) → daily trend chart."""
    if key not in rep.results:
        show(md(f"_`{key}` 不属于规则 {rep.ctx.profile.get('name')} — not computed under this profile; see the section's other indicators below._"))
        return
    explain(rep, key)
    show(md(value_text(rep, key)))
    r = rep.results[key]
    if r.extra.get("bands"):  # an indicator that reports hour bands (揽收及时率)
        show(plots.bands(r.extra["bands"]))
    show(trend_figure(rep, key))


def show_scorecard(rep: ShopReport) -> None:
    """Total, stage, dimension scores, per-indicator scores and every scoring step."""
    card = rep.scorecard
    top = _scale_max(rep)
    stars = f" {card.stars}" if getattr(card, "stars", None) else ""
    show(md(
        f"### 体验分 total: **{num(card.total)}**{' / ' + num(top) if top else ''}{stars} &nbsp; 阶段 stage: **{card.stage}**\n\n"
        f"- 消费者看到 shown to consumers: {num(card.display)}; 有效订单 effective orders: {card.effective_orders}\n"
        + "- 维度 dimensions: " + ", ".join(f"{k} **{num(v)}**" for k, v in card.dimensions.items())
    ))
    show(plots.dimension_bars(card.dimensions, total=card.total, scale_max=top))
    cols = [c for c in ("key", "zh", "dimension", "direction", "value", "method", "score", "weight", "effective_weight", "contribution", "cutoffs",
                        "note") if c in card.indicators]
    show(md("**指标得分 indicator scores** (cut-offs from the lowest tier to the best):"))
    show(ReaderTable(card.indicators[cols]))
    for name, frame in (("扣分 deductions", getattr(card, "deductions", None)), ("加分 bonuses", getattr(card, "bonuses", None))):
        if frame is not None and len(frame):
            show(md(f"**{name}**"))
            show(ReaderTable(frame))
    collapsed("计算步骤 every step — indicator → score → dimension → total", ReaderTable(card.steps.dropna(axis=1, how="all")))


def collapsed(summary: str, table) -> None:
    """A table under a closed ``<details>`` (the reader opens it when needed)."""
    from IPython.display import HTML

    show(HTML(f'<details class="ss-more"><summary>{html.escape(summary)}</summary>{table._repr_html_()}</details>'))


def _scale_max(rep: ShopReport) -> float | None:
    rules = getattr(rep.scorecard, "rules", None)
    return float(max(rules.tier_scores)) if rules is not None and rules.tier_scores else None


def show_consequences(rep: ShopReport, section: str | None = None) -> None:
    """Which threshold lines (精选联盟, termination, settlement, 飞鸽 lines) the shop is above or below."""
    table = consequences_table(rep)
    if section == "cs":
        table = table[table["metric"].astype(str).str.startswith(("cs.", "service.im_"))]
    if table.empty:
        show(md("_本规则没有门槛线 no threshold lines in this profile._"))
        return
    unmet = table[table["met"].eq(False)]
    summary = "全部达到 all lines met" if unmet.empty else "未达到 below: " + ", ".join(md_text(z) for z in unmet["zh"])
    show(md(f"**{summary}**"))
    show(table)


def show_forecast(rep: ShopReport, days: int = 30) -> None:
    """Day-by-day projection of the total as old days leave the window (two scenarios), early warnings, defects leaving."""
    if days <= 0:
        show(md("_预测已关闭 forecast switched off (forecast_days = 0)._"))
        return
    fc = forecast(rep.ctx, rep.results, horizon=days)
    names = {"no_new_events": "无新事件 no new events", "same_pace": "保持近期节奏 same pace"}
    frame = fc.frame[fc.frame["metric"] == "total"].assign(
        as_of=lambda f: pd.to_datetime(f["as_of"]), scenario=lambda f: f["scenario"].map(names).fillna(f["scenario"]))
    lines = [(str(ln.get("zh", ln.get("id"))), float(ln["value"])) for ln in rep.ctx.profile.get("consequences") or [] if ln.get("metric") == "total"]
    show(plots.forecast_lines(frame, x="as_of", y="value", hue="scenario", title=f"体验分预测 total score, next {days} days", thresholds=lines,
                                        y_label="体验分 total"))
    if len(fc.warnings):
        flips = fc.warnings[fc.warnings["changes_on"].notna()]
        show(md("**预警 early warnings**: " + ("无 — no line changes side within the horizon" if flips.empty else f"{len(flips)} line(s) change side")))
        show(ReaderTable(fc.warnings))
    if len(fc.defects):
        horizon_end = rep.ctx.as_of + pd.Timedelta(days=days)
        leaving = fc.defects[pd.to_datetime(fc.defects["drops_out_as_of"]) <= horizon_end]
        show(md(f"**滑出窗口的缺陷 defects leaving the window** in the next {days} days: {len(leaving)} of {len(fc.defects)} "
                     "(per indicator; the date each one stops counting):"))
        show(ReaderTable(leaving.groupby("indicator").agg(defects=("id", "size"), first_drop=("drops_out_as_of", "min"),
                                                          last_drop=("drops_out_as_of", "max")).reset_index()))


def show_others(rep: ShopReport, name: str) -> None:
    """The section's indicators under the active profile that the notebook did not explain in a cell of their own."""
    rest = [k for k in section_keys(rep, name) if k not in section(name).get("shown", [])]
    if not rest:
        show(md("_本节指标已全部展示 all of this section's indicators are shown above._"))
    for key in rest:
        show_indicator(rep, key)


def show_agents(rep: ShopReport) -> None:
    """The per-agent table and bars (with the section's 飞鸽 line from the profile)."""
    agents = agent_table(rep)
    show(agents)
    show(agent_bars(rep, agents, section("cs").get("agent_line")))


def show_what_if(rep: ShopReport, name: str) -> None:
    """What-if for a notebook section: the profile's fixes recomputed through every indicator, score and
    the total, plus the least good orders/rounds to reach the next tier or line."""
    from .session import plan_of  # the report's one plan: the same numbers on every page

    keys = section_keys(rep, name)
    spec = section(name)
    plan = plan_of(rep)
    chosen = [plan.get(n) for n in spec.get("what_if", [])]
    if name == "overview" and plan.combined is not None:
        chosen.append(plan.combined)
    p = rep.ctx.profile
    if any(f is not None for f in chosen):
        show(md(f"**假如 what if** — each fix on its own (the profile's `whatif` defaults: failing 飞鸽 rounds answered after "
                f"{p.get('whatif.reply_after_seconds')} s, late orders picked up after {p.get('whatif.pickup_after_hours')} h, "
                f"slow tickets handled in {p.get('whatif.ticket_handled_hours')} h):"))
    for fix in chosen:
        if fix is None:
            continue
        table = fix.table
        keep = table["metric"].isin(keys) | table["metric"].astype(str).str.startswith(("dimension.", "total"))
        table = table[keep & (table["delta"].fillna(0).abs() > 0) | table["metric"].eq("total")]
        title = "三项一起 all fixes together" if fix.name == "all" else f"{fix.name} ({fix.size:,} rows)"
        show(md(f"*{title}*: 总分 total {num(fix.total_before)} → {num(fix.total_after)}"))
        show(ReaderTable(table.rename(columns={"zh": "名称 name", "before": "之前 before", "after": "之后 after", "delta": "变化 change",
                                                "score_before": "得分之前 score before", "score_after": "得分之后 score after"})))
    inverse = inverse_plan(rep.ctx, rep.results, rep.scorecard, [tuple(q) for q in spec.get("inverse", [])], lambda k: direction(rep, k))
    rows = []
    for q, inv in inverse:
        r = rep.results[q.key]
        label = f"下一档 next tier {num(q.tier_score)}" if q.label == "next" else q.label
        kind = {"good_orders": "全达标订单 faultless orders", "good_rounds": "3分钟内回复的会话 answered sessions"}.get(q.kind, q.kind)
        rows.append({"指标 indicator": definition(q.key, ruleset_of(rep))["zh"], "要达到 line": f"{q.target.op} {fmt_value(q.target.value, r.unit)}（{label}）",
                     "现在 now": fmt_value(r.value, r.unit), "至少再加 least N": "达不到 not reachable" if inv.n is None else f"{inv.n:,}",
                     "加什么 of": kind, "加 N 后 value at N": fmt_value(inv.value_at_n, r.unit),
                     "加 N−1 后 value at N−1": fmt_value(inv.value_at_n_minus_1, r.unit), "已验证最少 proven": "是 yes" if inv.proven_minimal else "否 no"})
    if rows:
        show(md("**反过来 the inverse** — 至少还要多少单好订单 / 好会话才能到下一档或门槛线 the least number of additional "
                "faultless orders / answered sessions that reaches the next tier or line (N and N − 1 both evaluated):"))
        show(ReaderTable(pd.DataFrame(rows)))


def overview_trends(rep: ShopReport, keys: list[str] | None = None):
    """Small multiples of the daily trend of each indicator of the overview (or of ``keys``)."""
    return trend_grid(rep, keys or section_keys(rep, "overview"))
