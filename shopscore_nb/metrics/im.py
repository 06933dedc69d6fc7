"""飞鸽 indicators (SPEC §5.1 / §5.2): the scored session-level 3-minute rate and the cs.* dashboard.

All of them read the shared round model of :mod:`shopscore_nb.metrics.im_model`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..fastops import group_by
from .base import Context, IndicatorResult, count, indicator, labels, lookup, mean, ratio
from .im_model import VALID_REPLY, BusinessHours, human_sessions, im_frames, message_ids, timed_rounds

MSG = ("im_messages",)


def _counted_rounds(ctx: Context) -> pd.DataFrame:
    r = timed_rounds(ctx)
    return r[r["counted"]]


@indicator("service.im_3min_reply_rate", "IM3分钟人工回复率(会话)", "ratio", MSG, rulesets=("seed",))
def im_3min_reply_rate(ctx: Context) -> IndicatorResult:
    """Human sessions with a round starting in the business window whose every such round was answered within 180 s ÷ those sessions."""
    r = _counted_rounds(ctx)
    g = group_by(r, "session_id")
    sessions = pd.DataFrame({"rounds": g.size(), "rounds_passed": g["passed"].sum(), "agent_id": g["agent_id"].first()})
    sessions["passed"] = sessions["rounds"] == sessions["rounds_passed"]
    first_fail = group_by(r[~r["passed"]], "session_id")["reason"].first()
    first_fail = first_fail.reindex(sessions.index)
    if isinstance(first_fail.dtype, pd.CategoricalDtype):  # the labels are categorical: the new one joins them
        first_fail = first_fail.cat.add_categories(["all_rounds_within_threshold"])
    sessions["reason"] = first_fail.fillna("all_rounds_within_threshold")
    return ratio("service.im_3min_reply_rate", "ratio", sessions["passed"], sessions.reset_index())


@indicator("cs.im_3min_reply_rate_round", "3分钟人工回复率(轮次)", "ratio", MSG)
def im_3min_reply_rate_round(ctx: Context) -> IndicatorResult:
    """Rounds starting in the business window answered within 180 s ÷ such rounds (Taobao-style 首问首答)."""
    r = _counted_rounds(ctx)
    return ratio("cs.im_3min_reply_rate_round", "ratio", r["passed"], r)


@indicator("cs.im_3min_reply_rate_msg", "3分钟人工回复率(消息)", "ratio", MSG)
def im_3min_reply_rate_msg(ctx: Context) -> IndicatorResult:
    """Buyer messages sent in the business window during the human phase answered within 180 s ÷ such messages."""
    pm = im_frames(ctx).messages
    b = pm[~pm["is_reply"] & ctx.in_window(pm["sent_at"])].copy()
    hours = BusinessHours(ctx)
    threshold = ctx.param("im.reply_within_seconds")
    if ctx.param("im.clock") == "business":
        b["wait_s"] = hours.elapsed(b["next_reply_at"]) - hours.elapsed(b["sent_at"])
    else:
        b = b[hours.contains(b["sent_at"])]
        b["wait_s"] = (b["next_reply_at"] - b["sent_at"]).dt.total_seconds()
    passed = (b["wait_s"] <= threshold).fillna(False).astype(bool)
    b["reason"] = labels([b["next_reply_at"].isna(), passed], ["unanswered", f"replied_within_{threshold}s"], f"replied_after_{threshold}s")
    b["passed"] = passed
    if "message_id" in ctx.table("im_messages"):
        b["message_id"] = message_ids(ctx, b)
    cols = [c for c in ("session_id", "message_id", "sent_at", "next_reply_at", "wait_s", "passed", "reason") if c in b]
    return ratio("cs.im_3min_reply_rate_msg", "ratio", passed, b[cols])


@indicator("cs.first_response_seconds_avg", "首次响应时长", "seconds", MSG)
def first_response_seconds_avg(ctx: Context) -> IndicatorResult:
    """Mean seconds from the transfer to human to the first valid reply over human sessions started in the business window."""
    s = human_sessions(ctx)
    s = s[s["in_business_hours"] & s["first_reply_at"].notna()]
    detail = s.assign(passed=True, reason="answered").reset_index()
    return mean("cs.first_response_seconds_avg", "seconds", s["first_response_s"], detail)


@indicator("cs.avg_response_seconds", "平均响应时长", "seconds", MSG)
def avg_response_seconds(ctx: Context) -> IndicatorResult:
    """Mean round wait over rounds starting in the business window; unanswered = 600 s, waits capped at 600 s."""
    r = _counted_rounds(ctx)
    return mean("cs.avg_response_seconds", "seconds", r["charged_s"], r)


@indicator("cs.acceptance_rate", "接单率", "ratio", MSG)
def acceptance_rate(ctx: Context) -> IndicatorResult:
    """Sessions transferred to human that an agent accepted ÷ sessions transferred to human."""
    s = human_sessions(ctx)
    s = s.assign(passed=s["accepted"], reason=labels([s["accepted"]], ["accepted"], "not_accepted"))
    return ratio("cs.acceptance_rate", "ratio", s["accepted"], s.reset_index())


@indicator("cs.avg_queue_seconds", "平均等待(排队)时长", "seconds", ("im_messages", "im_sessions"))
def avg_queue_seconds(ctx: Context) -> IndicatorResult:
    """Mean (assigned − queued) seconds over accepted sessions (queued falls back to the transfer time)."""
    s = human_sessions(ctx)
    queued = s["queued_at"].fillna(s["transferred_at"])
    s = s.assign(queue_s=(s["assigned_at"] - queued).dt.total_seconds())
    s = s[s["accepted"] & s["queue_s"].notna()]
    return mean("cs.avg_queue_seconds", "seconds", s["queue_s"], s.assign(passed=True, reason="accepted").reset_index())


@indicator("cs.satisfaction_rate", "满意率", "ratio", ("im_messages", "im_sessions"))
def satisfaction_rate(ctx: Context) -> IndicatorResult:
    """Rated sessions started in the business window rated 4–5★ ÷ rated sessions."""
    s = im_frames(ctx).sessions
    s = s[ctx.in_window(s["started_at"]) & BusinessHours(ctx).contains(s["started_at"]) & s["rating"].notna()]
    good = (s["rating"] >= 4).astype(bool)
    detail = s.assign(passed=good, reason=labels([good], ["satisfied"], "not_satisfied")).reset_index()
    return ratio("cs.satisfaction_rate", "ratio", good, detail)


@indicator("cs.first_reply_2min_rate", "2分钟首次回复率", "ratio", MSG)
def first_reply_2min_rate(ctx: Context) -> IndicatorResult:
    """Human sessions whose first valid reply came within 120 s of the transfer ÷ human sessions (all hours)."""
    s = human_sessions(ctx)
    limit = ctx.param("im.first_reply_within_seconds")
    ok = (s["first_response_s"] <= limit).fillna(False).astype(bool)
    reason = labels([s["first_reply_at"].isna(), ok], ["unanswered", f"first_reply_within_{limit}s"], f"first_reply_after_{limit}s")
    return ratio("cs.first_reply_2min_rate", "ratio", ok, s.assign(passed=ok, reason=reason).reset_index())


@indicator("cs.consult_sessions", "咨询量", "count", MSG)
def consult_sessions(ctx: Context) -> IndicatorResult:
    """Sessions (robot and human) started in the window."""
    s = im_frames(ctx).sessions
    s = s[ctx.in_window(s["started_at"])]
    return count("cs.consult_sessions", len(s), s.reset_index())


@indicator("cs.human_sessions", "转人工量", "count", MSG)
def human_session_count(ctx: Context) -> IndicatorResult:
    """Human sessions whose human phase started in the window."""
    s = human_sessions(ctx)
    return count("cs.human_sessions", len(s), s.reset_index())


@indicator("cs.accepted_sessions", "人工接待量", "count", MSG)
def accepted_sessions(ctx: Context) -> IndicatorResult:
    """Human sessions in the window that an agent accepted."""
    s = human_sessions(ctx)
    s = s[s["accepted"]]
    return count("cs.accepted_sessions", len(s), s.reset_index())


@indicator("cs.assisted_sales", "客服销售额", "yuan", ("im_messages", "orders"))
def assisted_sales(ctx: Context) -> IndicatorResult:
    """Sum of amount of orders paid in the window by a buyer who started a 飞鸽 session at most 72 h before paying."""
    o = ctx.table("orders")
    s = im_frames(ctx).sessions
    if "buyer_id" not in o or "amount" not in o or s["buyer_id"].isna().all():
        return IndicatorResult("cs.assisted_sales", None, None, None, "yuan", pd.DataFrame(), "no buyer_id on orders and sessions")
    orders = group_by(o, "order_id").agg(buyer_id=("buyer_id", "first"), paid_at=("paid_at", "min"), amount=("amount", "sum"))
    orders = orders[orders["buyer_id"].notna() & ctx.in_window(orders["paid_at"])].reset_index().sort_values("paid_at")
    starts = s[s["buyer_id"].notna()][["buyer_id", "started_at"]].reset_index().dropna(subset=["started_at"]).sort_values("started_at")
    orders["_buyer"], starts["_buyer"] = _shared_codes(orders["buyer_id"], starts["buyer_id"])
    # each order once, credited to the buyer's latest session that started at or before the payment
    hit = pd.merge_asof(orders, starts.drop(columns="buyer_id"), left_on="paid_at", right_on="started_at", by="_buyer", direction="backward")
    hit = hit.drop(columns="_buyer")
    limit = pd.Timedelta(hours=ctx.param("im.assisted_sales_hours"))
    hit = hit[(hit["paid_at"] - hit["started_at"] <= limit).fillna(False)]
    total = float(hit["amount"].sum())
    return IndicatorResult("cs.assisted_sales", total, total, None, "yuan", hit.assign(passed=True, reason="paid_after_consult"))


@indicator("cs.taobao_reply_rate", "回复率(淘宝口径)", "ratio", MSG)
def taobao_reply_rate(ctx: Context) -> IndicatorResult:
    """Receptions (day, buyer, sub-account) with a valid reply by that sub-account later the same natural day ÷ receptions."""
    f = im_frames(ctx)
    m = ctx.table("im_messages")
    m = m[[c for c in ("session_id", "sent_at", "sender_role", "buyer_id", "agent_id") if c in m]]  # not the text
    m = m[ctx.in_window(m["sent_at"])]
    account = m["agent_id"] if "agent_id" in m else pd.Series(pd.NA, index=m.index)
    account = account.fillna(lookup(m["session_id"], f.sessions["agent_id"]))
    buyer = m["buyer_id"] if "buyer_id" in m else pd.Series(pd.NA, index=m.index)
    buyer = buyer.fillna(lookup(m["session_id"], f.sessions["buyer_id"]))
    buyer_key, buyer_text = _buyer_or_session(buyer, m["session_id"])
    # one integer per reception (day, buyer, sub-account): grouping on three text-like keys is slow
    day_code, days = pd.factorize(m["sent_at"].dt.normalize())
    account_code, accounts = pd.factorize(account)
    n_buyers, n_accounts = int(buyer_key.max()) + 1 if len(buyer_key) else 1, max(len(accounts), 1)
    key = (day_code.astype(np.int64) * n_buyers + buyer_key) * n_accounts + account_code
    known = account_code >= 0
    role, at = m["sender_role"], m["sent_at"]
    asks_rows = known & (role == "buyer").to_numpy(dtype=bool, na_value=False)
    reply_rows = known & role.isin(VALID_REPLY).to_numpy(dtype=bool)
    asks = at[asks_rows].groupby(key[asks_rows]).min()
    replies = at[reply_rows].groupby(key[reply_rows]).max()
    k = asks.index.to_numpy(dtype=np.int64)
    rec = pd.DataFrame({"day": days.take(k // n_accounts // n_buyers), "buyer": buyer_text(k // n_accounts % n_buyers),
                        "account": accounts.take(k % n_accounts), "first_ask_at": asks.to_numpy(),
                        "last_reply_at": replies.reindex(asks.index).to_numpy()})
    ok = (rec["last_reply_at"] >= rec["first_ask_at"]).fillna(False).astype(bool)
    rec = rec.assign(passed=ok, reason=labels([ok], ["valid_reply_same_day"], "no_valid_reply_same_day"))
    as_text = lambda col: col.astype("string") if isinstance(col.dtype, pd.CategoricalDtype) else col  # noqa: E731
    rec = rec.sort_values(["day", "buyer", "account"], key=as_text, kind="stable", ignore_index=True)  # as text sorts
    return ratio("cs.taobao_reply_rate", "ratio", rec["passed"], rec)


def _shared_codes(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer keys equal exactly where the values are: the shared codes of one key family, else text factorised together."""
    if isinstance(a.dtype, pd.CategoricalDtype) and a.dtype == b.dtype:
        return a.cat.codes.to_numpy(), b.cat.codes.to_numpy()
    codes, _ = pd.factorize(pd.concat([a.astype("string"), b.astype("string")], ignore_index=True))
    return codes[: len(a)], codes[len(a):]


def _buyer_or_session(buyer: pd.Series, session: pd.Series):
    """An integer key per message (its buyer, else its session, never equal to a buyer), and the
    function that turns keys back into text (buyer ID, else session ID) for the detail rows."""
    text = buyer.astype("string").fillna(session.astype("string")) if not isinstance(buyer.dtype, pd.CategoricalDtype) \
        or not isinstance(session.dtype, pd.CategoricalDtype) else None
    if text is not None:
        codes, uniques = pd.factorize(text)
        return codes, lambda keys: pd.array(uniques.take(keys), dtype="string")
    b, s = buyer.cat.codes.to_numpy().astype(np.int64), session.cat.codes.to_numpy().astype(np.int64)
    nb = len(buyer.cat.categories)
    key = np.where(b >= 0, b, nb + s)

    def back(keys: np.ndarray):
        keys = np.asarray(keys, dtype=np.int64)
        from_session = keys >= nb
        out = np.empty(len(keys), dtype=object)
        out[~from_session] = buyer.cat.categories.take(keys[~from_session]).to_numpy(dtype=object)
        out[from_session] = session.cat.categories.take(keys[from_session] - nb).to_numpy(dtype=object)
        return pd.array(out, dtype="string")

    return key, back
