"""The 飞鸽 dashboard tables (seed 003's 客服分析): per agent, hour × weekday, failing sessions.

All built from the shared round model (:func:`shopscore_nb.metrics.im_model.timed_rounds`) over the
rounds the 3-minute rates count, so each table adds up to the indicators.

>>> from shopscore_nb.report import shop_report
>>> rep = shop_report("data/demo", "struggling")                              # doctest: +SKIP
>>> agent_table(rep.ctx, rep.results).head(3)                                 # doctest: +SKIP
"""
from __future__ import annotations

import pandas as pd

from ..fastops import lookup
from .base import Context, IndicatorResult
from .im_model import timed_rounds

UNASSIGNED = "(未分配 unassigned)"
SESSION_RATE = "service.im_3min_reply_rate"


def counted_rounds(ctx: Context) -> pd.DataFrame:
    """The rounds the 3-minute rates count; rounds with no agent are charged to :data:`UNASSIGNED`."""
    r = timed_rounds(ctx)
    return r[r["counted"]].assign(agent_id=lambda f: f["agent_id"].astype("string").fillna(UNASSIGNED))


def agent_table(ctx: Context, results: dict[str, IndicatorResult]) -> pd.DataFrame:
    """Per agent: rounds, 3-minute rate, average charged wait, unanswered rounds, sessions and failing sessions."""
    r = counted_rounds(ctx)
    g = r.groupby("agent_id", sort=False)
    out = pd.DataFrame({
        "rounds": g.size(),
        "passed": g["passed"].sum(),
        "unanswered": (~r["answered"]).groupby(r["agent_id"], sort=False).sum(),
        "avg_charged_wait_s": g["charged_s"].mean(),
        "avg_wait_answered_s": g["wait_s"].mean(),
        "sessions": g["session_id"].nunique(),
    })
    out["rate_3min"] = out["passed"] / out["rounds"]
    sess = results.get(SESSION_RATE)
    if sess is not None and not sess.detail.empty:
        d = sess.detail.assign(agent_id=sess.detail["agent_id"].astype("string").fillna(UNASSIGNED))
        out["sessions_failed"] = (~d["passed"].astype(bool)).groupby(d["agent_id"]).sum().reindex(out.index).fillna(0).astype(int)
    out = out[["rounds", "passed", "rate_3min", "unanswered", "avg_charged_wait_s", "avg_wait_answered_s", "sessions"]
              + (["sessions_failed"] if "sessions_failed" in out else [])]
    return out.sort_values("rounds", ascending=False)


def hour_weekday(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(3-minute rate, round volume) pivoted hour of day × weekday (0 = Monday … 6) over the counted rounds."""
    r = counted_rounds(ctx)
    rate = r.pivot_table(index="hour", columns="weekday", values="passed", aggfunc="mean", observed=True)
    volume = r.pivot_table(index="hour", columns="weekday", values="passed", aggfunc="size", observed=True)
    hours = sorted(r["hour"].unique()) if len(r) else []
    rate = rate.reindex(index=hours, columns=range(7)).astype(float)
    volume = volume.reindex(index=hours, columns=range(7)).fillna(0).astype(int)
    rate.index.name = volume.index.name = "hour"
    return rate, volume


def failing_sessions(ctx: Context, results: dict[str, IndicatorResult], top_n: int | None = None) -> pd.DataFrame:
    """Failing sessions of the session-level 3-minute rate with every counted round, worst sessions first
    (most failed rounds, then the longest wait); all of them unless ``top_n`` is given."""
    sess = results.get(SESSION_RATE)
    if sess is None or sess.detail.empty:
        return pd.DataFrame()
    d = sess.detail
    bad = d[~d["passed"].astype(bool)].assign(failed_rounds=lambda f: f["rounds"] - f["rounds_passed"])
    r = counted_rounds(ctx)
    worst = r.groupby("session_id")["charged_s"].max()
    bad = bad.assign(worst_s=lookup(bad["session_id"], worst)).sort_values(["failed_rounds", "worst_s"], ascending=False)
    if top_n is not None:
        bad = bad.head(top_n)
    rounds = r[r["session_id"].isin(bad["session_id"])].copy()
    rounds["session_id"] = pd.Categorical(rounds["session_id"], categories=list(bad["session_id"]), ordered=True)
    rounds = rounds.sort_values(["session_id", "start_at"])
    rounds["round"] = rounds.groupby("session_id", observed=True).cumcount() + 1
    cols = ["agent_id", "start_at", "buyer_messages", "reply_at", "reply_role", "wait_s", "passed", "reason"]
    return rounds.set_index(["session_id", "round"])[[c for c in cols if c in rounds]]
