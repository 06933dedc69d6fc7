"""The training notebook's helpers: a definition with a tiny example's window, the package's value beside
the hand calculation, exercise answers collapsed under ``<details>``, and the rendered shop's own failing
cases as exercises. The tiny shops themselves come from :mod:`shopscore_nb.tiny`.

>>> check(tiny_result(shop, "product.negative_review_rate", "2026-03-08", 7), 2 / 5, "2 ÷ 5")   # doctest: +SKIP
product.negative_review_rate: package = 0.4 (40.00%), numerator=2, denominator=5; by hand = 0.4 = 2 ÷ 5 -> agrees ✓
>>> answer(result, 2 / 10, "差评只能被稀释。", "A bad review can only be diluted.", "2 ÷ 10")   # doctest: +SKIP

Everything written into HTML here is static markup around escaped text (:func:`html.escape`); data values
(order ids, agent names, reasons) are also passed through :func:`shopscore_nb.privacy.mask_numbers`, and
no buyer identifier, phone number or message content is ever read into a case.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from ..errors import LoadError
from ..metrics import Context, IndicatorResult
from ..metrics.daily import detail_frame
from ..metrics.descriptions import describe
from ..privacy import mask_numbers
from ..shop import ShopData, shop_folder
from .formatting import fmt_value, num
from .params import Params
from .tables import HIDDEN_COLUMNS as HIDDEN  # buyer identifiers and free text: never read into a case
from .text import explain


def tiny_explain(key: str, as_of: str, window_days: int, profile: str = "douyin_2022") -> None:
    """The bilingual definition of ``key`` with the window of a tiny example."""
    empty = ShopData("tiny", {}, pd.DataFrame(), pd.DataFrame())
    explain(Context.build(empty, as_of=as_of, profile=profile, window_days=window_days), key)


def _agrees(got, expected) -> bool:
    return got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)


def _check_line(result: IndicatorResult, expected: float, by_hand: str) -> str:
    got = result.value
    return (f"{result.key}: package = {num(got)} ({fmt_value(got, result.unit)}), numerator={num(result.numerator)}, "
            f"denominator={num(result.denominator)}; by hand = {num(expected)}{(' = ' + by_hand) if by_hand else ''} -> "
            + ("agrees ✓" if _agrees(got, expected) else "DIFFERS ✗"))


def _raise_if_differs(result: IndicatorResult, expected: float) -> None:
    if not _agrees(result.value, expected):
        raise AssertionError(f"{result.key}: package gives {result.value}, the hand calculation {expected}")


def check(result: IndicatorResult, expected: float, by_hand: str = "") -> None:
    """Print the package's value next to the hand calculation; raise if they disagree."""
    print(_check_line(result, expected, by_hand))
    _raise_if_differs(result, expected)


@cache
def _column_labels() -> dict:
    """Column headers and code values of ``reference/labels.yaml`` (the headers every table of the kit uses)."""
    text = resources.files("shopscore_nb.reference").joinpath("labels.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {"columns": data.get("columns") or {}, "values": data.get("values") or {}}


def _cell_text(value, column: str, spec: dict, reason_label) -> str:
    """One cell as the trainee reads it: never NaN/NaT/None (an empty cell is ``—``)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    fmt = spec.get("fmt")
    if column == "reason":
        return reason_label(value) or str(value)
    if column == "passed" or fmt == "passed":
        return "✓ 达标" if bool(value) else "✗ 未达标"
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if fmt == "code" and spec.get("values"):
        return str((_column_labels()["values"].get(spec["values"]) or {}).get(value, value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        text = num(value)
        return text + {"seconds": " 秒", "hours": " 小时"}.get(fmt, "")
    return str(value)


def rows_of(result: IndicatorResult, columns: list[str] | None = None, ruleset: str | None = None) -> pd.DataFrame:
    """The detail rows of a tiny example with their pass/fail and reason, as the trainee reads them: Chinese
    headers, reason labels, times to the second, ``—`` for an empty cell (``ruleset`` labels the reasons of
    a key both rule eras define; default: the era that defines it first)."""
    d = detail_frame(result)
    if d.empty:
        return d
    cols = [c for c in (columns or d.columns) if c in d and not str(c).startswith("_") and c not in HIDDEN]
    specs = _column_labels()["columns"]
    label = describe(result.key, ruleset).reason_label
    out = pd.DataFrame({(specs.get(c) or {}).get("zh", c): [_cell_text(v, c, specs.get(c) or {}, label) for v in d[c]] for c in cols})
    out.index = pd.RangeIndex(1, len(out) + 1)
    return out


# ---------------------------------------------------------------- collapsed answers
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _text(value) -> str:
    """Escaped text with ``**bold**`` as the only markup a reasoning may use (applied after escaping)."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(str(value), quote=True))


def details(summary: str, paragraphs: list[str], items: list[str] = ()) -> str:
    """A collapsed ``<details>`` block: static markup around escaped text (``**bold**`` allowed)."""
    body = "".join(f"<p>{_text(p)}</p>" for p in paragraphs if p)
    if items:
        body += "<ul>" + "".join(f"<li>{_text(i)}</li>" for i in items) + "</ul>"
    return f"<details><summary><b>{_text(summary)}</b></summary><blockquote>{body}</blockquote></details>"


ANSWER_SUMMARY = "答案 Answer（点击展开 click to open）"


class Answer:
    """An exercise's answer: collapsed HTML for the page, plain text (the checked numbers) for nbval."""

    def __init__(self, checks: list[tuple[IndicatorResult, float, str]], reasoning_zh: str, reasoning_en: str):
        self.checks = checks
        self.reasoning_zh, self.reasoning_en = reasoning_zh, reasoning_en

    def _items(self) -> list[str]:
        items = []
        for result, expected, by_hand in self.checks:
            name = describe(result.key).zh
            hand = f"{by_hand} = " if by_hand else ""
            items.append(f"手算 by hand: {name} = {hand}{fmt_value(expected, result.unit)}")
            items.append(f"工具包 package: {result.key} = {fmt_value(result.value, result.unit)}（分子 numerator {num(result.numerator)}，"
                         f"分母 denominator {num(result.denominator)}）→ " + ("一致 agrees ✓" if _agrees(result.value, expected) else "不一致 DIFFERS ✗"))
        return items

    def _repr_html_(self) -> str:
        return details(ANSWER_SUMMARY, [self.reasoning_zh, self.reasoning_en], self._items())

    def __repr__(self) -> str:
        return "答案 Answer (collapsed in the page):\n" + "\n".join(_check_line(r, e, h) for r, e, h in self.checks)


def answer(result, expected: float | None = None, reasoning_zh: str = "", reasoning_en: str = "", by_hand: str = "") -> None:
    """Show an exercise's answer collapsed under ``<details>``: the reasoning (中文 and English), the hand
    calculation and the package's value; raise if the package disagrees with the hand calculation.

    ``result`` is one :class:`IndicatorResult` (with ``expected`` and ``by_hand``) or a list of
    ``(result, expected, by_hand)`` for an exercise that asks for several numbers.
    """
    checks = list(result) if isinstance(result, (list, tuple)) else [(result, expected, by_hand)]
    if not checks or any(e is None for _, e, _ in checks):
        raise ValueError("answer: every result needs the hand calculation's value")
    _show(Answer(checks, reasoning_zh, reasoning_en))
    for r, e, _ in checks:
        _raise_if_differs(r, e)


def _show(obj, metadata: dict | None = None) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        print(repr(obj))
        return
    display(obj, metadata=metadata) if metadata else display(obj)


class _Html:
    """Static HTML (escaped data inside) with a plain-text fallback."""

    def __init__(self, html_text: str, plain: str):
        self.html_text, self.plain = html_text, plain

    def _repr_html_(self) -> str:
        return self.html_text

    def __repr__(self) -> str:
        return self.plain


# ---------------------------------------------------------------- the shop's own cases
def _ts(value) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")


def _dur(seconds) -> str:
    if seconds is None or pd.isna(seconds):
        return "—"
    s = int(round(float(seconds)))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return (f"{h}小时{m:02d}分" if h else f"{m}分{sec:02d}秒") + f"（{s:,} 秒 s）"


def _hours(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.1f} 小时 h"


def _v(row, col):
    """A row's value, never NaN: None when missing."""
    v = row.get(col) if hasattr(row, "get") else None
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


@dataclass(frozen=True)
class CaseKind:
    """One kind of failing case: which indicator's detail rows, which rows count as cases, their order."""

    key: str
    title_zh: str
    title_en: str
    question_zh: str
    question_en: str
    sort: str  # detail column, largest first (missing values first: an unanswered round is the slowest)
    failing_only: bool = True  # rates: rows that failed; means: every row, the largest first


CASES = {
    "seed": [
        CaseKind("cs.im_3min_reply_rate_round", "飞鸽：最慢的 {n} 轮", "飞鸽: the {n} slowest rounds",
                 "这一轮为什么算不达标？", "Why does this round fail?", "wait_s"),
        CaseKind("logistics.pickup_on_time_rate", "揽收：最晚的 {n} 单", "Pickups: the {n} latest orders",
                 "这一单为什么算揽收不及时？", "Why is this pickup late?", "pickup_hours"),
        CaseKind("product.negative_review_rate", "差评：最近的 {n} 单", "Negative reviews: the {n} latest orders",
                 "这一单为什么进了差评率的分子？", "Why does this order count as a negative review?", "signed_at"),
        CaseKind("service.refund_only_wait_hours", "仅退款：等得最久的 {n} 张售后单", "Refund only: the {n} tickets that waited longest",
                 "这张单为什么拉高了仅退款自主完结时长？", "Why does this ticket raise the average?", "wait_hours", failing_only=False),
    ],
    "2026": [
        CaseKind("service.im_avg_response_seconds", "飞鸽：最慢的 {n} 轮", "飞鸽: the {n} slowest rounds",
                 "这一轮为什么拉高了平均响应时长？", "Why does this round raise the average response time?", "wait_s"),
        CaseKind("logistics.pickup_score_avg", "揽收：得分最低的 {n} 单", "Pickups: the {n} lowest-scoring orders",
                 "这一单为什么没拿到满分？", "Why did this order not score 100?", "pickup_hours"),
        CaseKind("product.avg_rating", "差评：最近的 {n} 单", "Negative reviews: the {n} latest orders",
                 "这一单为什么拉低了商品综合评分？", "Why does this order lower the average rating?", "signed_at"),
        CaseKind("service.aftersale_review_hours_avg", "售后审核：最慢的 {n} 张售后单", "After-sales review: the {n} slowest tickets",
                 "这张单为什么拉高了售后平均审核时长？", "Why does this ticket raise the average review time?", "review_hours"),
    ],
}


def _case_facts(key: str, row) -> tuple[str, str]:
    """(question facts, answer detail) of one detail row, in plain Chinese/English; no buyer data."""
    g = lambda c: _v(row, c)  # noqa: E731
    if key in ("cs.im_3min_reply_rate_round", "service.im_avg_response_seconds"):
        agent = g("agent_id") or "未分配 unassigned"
        facts = (f"会话 session {g('session_id')}，客服 agent {agent}：买家 {_ts(g('start_at'))} 发来消息，"
                 + (f"客服 {_ts(g('reply_at'))} 回复。" if g("reply_at") is not None else "之后没有有效回复 no valid reply followed。"))
        if g("reply_at") is None:
            detail = "这一轮没有有效回复：3分钟回复率记不达标，平均响应时长按 600 秒计。 No valid reply: the round fails and counts 600 s in the average."
        else:
            detail = (f"等待 wait = {_ts(g('reply_at'))} − {_ts(g('start_at'))} = {_dur(g('wait_s'))}，超过 180 秒的时限 over the 180 s limit；"
                      f"计入平均响应 counted in the average as {_dur(g('charged_s'))}。")
        return facts, detail
    if key in ("logistics.pickup_on_time_rate", "logistics.pickup_score_avg"):
        facts = f"订单 order {g('order_id')}：支付 paid {_ts(g('paid_at'))}，揽收 picked up {_ts(g('picked_up_at'))}"
        facts += f"（预售 presale，承诺发货 promised ship time {_ts(g('promised_ship_at'))}）。" if g("is_presale") else "。"
        if key == "logistics.pickup_on_time_rate":
            if g("is_presale"):
                detail = (f"预售单不看48小时，看承诺发货时间：揽收 {_ts(g('picked_up_at'))} 晚于承诺的 {_ts(g('promised_ship_at'))}。 "
                          "A presale order is judged against its promised ship time, and this pickup came after it.")
            else:
                detail = f"支付→揽收 payment→pickup = {_hours(g('pickup_hours'))}，超过 48 小时 over 48 h。"
        else:
            detail = (f"计时起点 clock starts {_ts(g('clock_start_at'))}（18:00–06:00 支付的从 06:00 起算），"
                      f"揽收时长 {_hours(g('pickup_hours'))} → 本单得分 score {num(g('pickup_score'))}。")
        return facts, detail
    if key in ("product.negative_review_rate", "product.avg_rating"):
        score = g("product_score")
        facts = f"订单 order {g('order_id')}：{_ts(g('signed_at'))} 签收 signed，商品评分 product score {num(score) if score is not None else '—'}★。"
        detail = "商品评分 ≤ 2★ 就是差评 a product score of 1★ or 2★ is a negative review；差评删不掉，只能靠更多好的签收订单稀释。"
        return facts, detail
    if key == "service.refund_only_wait_hours":
        facts = (f"售后单 ticket {g('after_sale_id')}（订单 order {g('order_id')}）：{_ts(g('applied_at'))} 申请 applied，"
                 f"商家第一次处理 first merchant action {_ts(g('first_merchant_action_at'))}。")
        detail = f"等待商家 waited on the merchant {_hours(g('wait_hours'))}：申请一到就同意或退款，时钟就停。 Agree or refund at once and the clock stops."
        return facts, detail
    if key == "service.aftersale_review_hours_avg":
        facts = f"售后单 ticket {g('after_sale_id')}（订单 order {g('order_id')}）：{_ts(g('applied_at'))} 申请 applied，{_ts(g('reviewed_at'))} 审核通过 approved。"
        detail = (f"计时起点 clock starts {_ts(g('clock_start_at'))}（23:00–08:00 申请的从 08:00 起算），"
                  f"审核时长 review time {_hours(g('review_hours'))}。")
        return facts, detail
    return "", ""


def _pick(kind: CaseKind, result: IndicatorResult, n: int) -> pd.DataFrame:
    d = detail_frame(result)
    if d.empty:
        return d
    d = d.drop(columns=[c for c in d.columns if c in HIDDEN])
    if kind.failing_only and "passed" in d:
        d = d[~d["passed"].fillna(False).astype(bool)]
    elif kind.sort in d:  # a mean counts only the rows that have its value
        d = d[d[kind.sort].notna()]
    if kind.sort in d:
        key = d[kind.sort]
        if pd.api.types.is_numeric_dtype(key):
            key = key.fillna(math.inf)  # an unanswered round is the slowest
        d = d.assign(_order=key).sort_values("_order", ascending=False, kind="stable", na_position="first")
    if "reason" in d and len(d) > n:  # one case of each reason first (an unanswered and a late round), then the worst
        first = ~d["reason"].duplicated()
        d = pd.concat([d[first].head(n), d[~first]]).head(n)
        if "_order" in d:
            d = d.sort_values("_order", ascending=False, kind="stable", na_position="first")
    return d.head(n)


def _mean_note(kind: CaseKind, result: IndicatorResult, row) -> str:
    value = _v(row, kind.sort)
    if kind.failing_only or result.value is None or value is None or float(value) <= result.value:
        return ""
    return (f"店铺平均 the shop's average = {fmt_value(result.value, result.unit)}；这张单高于平均，就把平均往上拉。 "
            "This ticket is above the average, so it pulls the average up.")


def _case_html(i: int, kind: CaseKind, ruleset: str, result: IndicatorResult, row) -> str:
    facts, detail = _case_facts(kind.key, row)
    code = _v(row, "reason")
    label = describe(kind.key, ruleset).reason_label(code) if code is not None else None
    reason = f"原因 reason: {label or code or '—'}" + (f"（代码 code {code}）" if code is not None and label else "")
    question = f"**案例 Case {i}** · {facts} {kind.question_zh} {kind.question_en}"
    body = details(ANSWER_SUMMARY, [reason, detail, _mean_note(kind, result, row)])
    return f"<p>{_text(mask_numbers(question))}</p>" + mask_numbers(body)


def _shop_data_problem(params: Params) -> str | None:
    if params.data_dir is None or not params.data_dir.is_dir():
        return f"没有找到数据文件夹 no data folder '{params.data_dir}'"
    try:
        shop_folder(params.data_dir, params.shop_id)
    except LoadError as exc:
        return str(exc)
    return None


def shop_cases_html(params: Params, n: int = 3) -> tuple[str, dict]:
    """The shop's own failing cases as exercises (HTML) and the page metadata (shop, as-of, profile).

    Each case: the row's facts and a question, the answer collapsed (the reason code's label and the
    arithmetic). Order ids, session ids and agent names are shown; buyer ids, phone numbers and message
    content never are (buyer columns are dropped before a row is read; digits that look like a phone or
    ID-card number are masked). Without data the section says so."""
    from .session import load_report

    problem = _shop_data_problem(params)
    if problem:
        note = ("你的店铺：这次没有给店铺数据，所以这一节没有案例；用 data_dir / shop_id 指向店铺文件夹再运行即可。 "
                f"No shop data was given, so there are no cases here; point data_dir / shop_id at a shop folder and run again. ({problem})")
        return f"<p>{_text(note)}</p>", {}
    rep = load_report(params)
    ctx = rep.ctx
    ruleset = str(ctx.profile.get("ruleset", "seed"))
    name = rep.shop.config.get("name") or rep.shop.shop_id
    intro = (f"下面的案例来自 **{name}**（统计截至 as of {ctx.as_of:%Y-%m-%d}，窗口 window [{ctx.start:%Y-%m-%d}, {ctx.end:%Y-%m-%d})，"
             f"规则 profile {ctx.profile.get('name')}）。先看事实，自己回答问题，再点开答案。 "
             "These cases are your shop's own rows: read the facts, answer the question, then open the answer.")
    parts = [f"<p>{_text(mask_numbers(intro))}</p>"]
    for kind in CASES.get(ruleset, CASES["seed"]):
        title = describe(kind.key, ruleset).zh
        parts.append(f"<h4>{_text(kind.title_zh.format(n=n))} · {_text(kind.title_en.format(n=n))}（{_text(title)}）</h4>")
        result = rep.results.get(kind.key)
        if result is None or result.value is None:
            why = (result.reason if result is not None else None) or "no data"
            parts.append(f"<p>{_text(f'这家店没有这项数据，本组没有案例。 The shop has no data for this ({why}).')}</p>")
            continue
        rows = _pick(kind, result, n)
        if rows.empty:
            parts.append(f"<p>{_text('窗口内没有不达标的行——做得好！ No failing rows in the window — well done!')}</p>")
            continue
        parts += [_case_html(i, kind, ruleset, result, row) for i, (_, row) in enumerate(rows.iterrows(), 1)]
    meta = {"shop": str(name), "shop_id": rep.shop.shop_id, "as_of": f"{ctx.as_of:%Y-%m-%d}", "profile": str(ctx.profile.get("name"))}
    return "".join(parts), meta


def shop_cases(params: Params, n: int = 3) -> None:
    """Show :func:`shop_cases_html` (the page header's metadata rides along for the HTML title)."""
    body, meta = shop_cases_html(params, n)
    plain = f"你的店铺 Your shop's own cases: {meta.get('shop_id', 'no shop data')}"
    _show(_Html(body, plain), {"shopscore": meta} if meta else None)


SEED_EXAMPLES_PROFILE = "douyin_2022"  # the seed-era examples follow the seed definitions whatever the shop is scored by


def examples_profile(profile: str) -> str:
    """The profile parts 1–2 of the training compute with: ``profile`` when it follows the seed rules (an edited
    copy keeps its numbers), else :data:`SEED_EXAMPLES_PROFILE` — so a batch scored with douyin_2026 renders it too."""
    from ..profile import load_profile

    return profile if str(load_profile(profile).get("ruleset", "seed")) == "seed" else SEED_EXAMPLES_PROFILE
