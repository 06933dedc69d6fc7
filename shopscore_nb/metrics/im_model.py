"""The 飞鸽 timing model of SPEC §5.2, vectorised: sessions, human phase, rounds (首问首答), waits.

- A **valid reply** is a message by ``agent`` or ``robot_assist``; ``robot``/``system`` never count.
- A session is **human** when it was transferred to a human or has a valid reply; others (pure
  robot) are excluded.
- The **human phase** starts at ``transferred_at``, else at the first buyer message after the last
  ``robot`` message, else at the session start.
- A **round** is one or more consecutive buyer messages in the human phase followed by the next
  valid reply; ``wait`` = reply − first buyer message. No later reply → unanswered.
- Clocks: ``platform`` (arrival window: a round counts when it *starts* inside business hours and is
  timed on the wall clock) or ``business`` (every round counts; only business-hours seconds elapse).

>>> from shopscore_nb.metrics.im_model import im_frames
>>> frames = im_frames(ctx)                                   # doctest: +SKIP
>>> frames.rounds[["session_id", "start_at", "reply_at", "wait_s", "passed", "reason"]]  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import Context, labels

VALID_REPLY = ("agent", "robot_assist")


@dataclass
class IMFrames:
    sessions: pd.DataFrame  # one row per session (index session_id)
    messages: pd.DataFrame  # human-phase buyer/valid-reply messages of human sessions, ordered
    rounds: pd.DataFrame  # one row per round


def _seconds_of_day(ts: pd.Series) -> pd.Series:
    return (ts - ts.dt.normalize()).dt.total_seconds()


def _clock_seconds(text: str) -> float:
    h, m, *s = (int(x) for x in str(text).split(":"))
    return h * 3600 + m * 60 + (s[0] if s else 0)


class BusinessHours:
    """``[start, end)`` time of day from the profile; works on Series of timestamps."""

    def __init__(self, ctx: Context):
        self.start = _clock_seconds(ctx.param("business_hours.start"))
        self.end = _clock_seconds(ctx.param("business_hours.end"))

    def contains(self, ts: pd.Series) -> pd.Series:
        sod = _seconds_of_day(ts)
        return ((sod >= self.start) & (sod < self.end)).fillna(False).astype(bool)

    def elapsed(self, ts: pd.Series) -> pd.Series:
        """Business seconds from an epoch to ``ts``: differences give paused-clock durations."""
        days = (ts.dt.normalize() - pd.Timestamp("2000-01-01")).dt.days
        sod = _seconds_of_day(ts).clip(lower=self.start, upper=self.end) - self.start
        return days * (self.end - self.start) + sod


def _ordered_messages(ctx: Context) -> pd.DataFrame:
    """Messages in ``(session, sent_at, message_id, file row)`` order, with an integer session code ``sid``
    and ``_pos``, the message's row in the table (:func:`message_ids` fetches IDs through it).

    Sorting and grouping use the integer code (Arrow string keys are slow at this volume); the
    message_id tie-break is only computed for the rare messages sharing a session and second.
    """
    m = ctx.table("im_messages")
    cols = [c for c in ("session_id", "sent_at", "sender_role", "buyer_id", "agent_id") if c in m]  # text and IDs stay behind
    m = m[cols + ["_source_row"]].reset_index(drop=True)
    sid, _ = pd.factorize(m["session_id"])
    sent = m["sent_at"].to_numpy("datetime64[ns]").astype("int64")
    source_row = m["_source_row"].to_numpy()
    order = np.lexsort((source_row, sent, sid))
    if "message_id" in ctx.table("im_messages") and len(order) > 1:
        s_sid, s_sent = sid[order], sent[order]
        tied = (s_sid[1:] == s_sid[:-1]) & (s_sent[1:] == s_sent[:-1])  # neighbours sharing a session and second
        if tied.any():
            same_second = np.zeros(len(m), dtype=bool)
            same_second[order[1:][tied]] = True
            same_second[order[:-1][tied]] = True
            ids = ctx.table("im_messages")["message_id"].reset_index(drop=True)[same_second]
            tie = np.zeros(len(m), dtype="int64")
            tie[same_second] = pd.factorize(ids.fillna(""), sort=True)[0]
            order = np.lexsort((source_row, tie, sent, sid))
    m = m.take(order).reset_index(drop=True)
    m["sid"] = sid[order]
    m["_pos"] = order
    return m


def message_ids(ctx: Context, rows: pd.DataFrame):
    """The ``message_id`` of model rows (messages or rounds' buyers) through their ``_pos``."""
    return ctx.table("im_messages")["message_id"].array.take(rows["_pos"].to_numpy())


def _first_rows(sid: np.ndarray, mask: np.ndarray, last: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(sessions, row) of the first (``last``: last) message among ``mask`` in each session that has one.
    Messages are sorted by ``sid``, so a session's rows are contiguous: no grouping needed."""
    rows = np.flatnonzero(mask)
    s = sid[rows]
    if not len(rows):
        return s, rows
    edge = np.r_[s[1:] != s[:-1], True] if last else np.r_[True, s[1:] != s[:-1]]
    return s[edge], rows[edge]


def _per_session(m: pd.DataFrame, mask: np.ndarray, column: str, how: str) -> pd.Series:
    """``how`` (``first`` non-missing value, ``min`` time, ``size``) of ``column`` over the messages
    selected by ``mask``, indexed by ``sid`` (sessions without such a message left out)."""
    sid = m["sid"].to_numpy()
    if how == "size":
        counts = np.bincount(sid[mask], minlength=int(sid.max()) + 1 if len(sid) else 0)
        present = np.flatnonzero(counts)
        return pd.Series(counts[present], index=present)
    if how == "first":
        mask = mask & m[column].notna().to_numpy()
    elif how != "min" or column != "sent_at":  # min of sent_at is its first row: messages are in time order
        raise ValueError(f"unsupported per-session aggregate {how} of {column}")
    sessions, rows = _first_rows(sid, mask)
    return pd.Series(m[column].array.take(rows), index=sessions)


def _row_per_session(sid: np.ndarray, mask: np.ndarray, how: str, n: int) -> np.ndarray:
    """First (``min``) or last (``max``) message row of each session among ``mask`` (NaN where none)."""
    sessions, rows = _first_rows(sid, mask, last=how == "max")
    out = np.full(n, np.nan)
    out[sessions] = rows
    return out


def _time_at(sent: np.ndarray, rows: np.ndarray) -> pd.Series:
    """``sent_at`` of the given message rows (NaT where the row is NaN)."""
    safe = np.nan_to_num(rows, nan=0).astype("int64")
    times = pd.Series(sent[safe] if len(sent) else sent[:0], dtype="datetime64[ns]")
    return times.where(~np.isnan(rows))


def _sessions(ctx: Context, m: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Sessions (index ``session_id``) from im_sessions where given, completed or derived from the
    message log; plus, for every message, the row position of its session."""
    n = int(m["sid"].max()) + 1 if len(m) else 0
    # m is sorted by sid, so the first row of each session comes in sid order 0 … n−1
    first_of_session = np.flatnonzero(np.r_[True, m["sid"].to_numpy()[1:] != m["sid"].to_numpy()[:-1]]) if n else np.zeros(0, dtype=int)
    sid_session = m["session_id"].array.take(first_of_session)
    everything = np.ones(len(m), dtype=bool)
    is_reply = m["sender_role"].isin(VALID_REPLY).to_numpy(dtype=bool)
    derived = pd.DataFrame({"first_message_at": _per_session(m, everything, "sent_at", "min")}).reindex(range(n))
    if "buyer_id" in m:
        derived["buyer_id_msg"] = _per_session(m, everything, "buyer_id", "first")
    if "agent_id" in m:
        derived["agent_id_msg"] = _per_session(m, is_reply, "agent_id", "first")
    is_agent = (m["sender_role"] == "agent").to_numpy(dtype=bool, na_value=False)
    derived["has_agent_message"] = _per_session(m, is_agent, "sent_at", "size") > 0
    # Without a transfer time the human phase is placed by message order (SPEC §5.2 orders by
    # session, sent_at, message_id), not by timestamps, so same-second messages fall on the right side.
    # The robot phase is what precedes the first valid reply: a robot message after the human
    # conversation (a survey prompt, say) does not move the start of the human phase.
    sid = m["sid"].to_numpy()
    row = np.arange(len(m))
    sent = m["sent_at"].to_numpy()
    first_reply_row = _row_per_session(sid, is_reply, "min", n)
    robot = (m["sender_role"] == "robot").to_numpy(dtype=bool, na_value=False) & ~(row > np.nan_to_num(first_reply_row[sid], nan=np.inf))
    last_robot_row = _row_per_session(sid, robot, "max", n)
    buyer = (m["sender_role"] == "buyer").to_numpy(dtype=bool, na_value=False)
    first_buyer_row = _row_per_session(sid, buyer & (row > np.nan_to_num(last_robot_row[sid], nan=np.inf)), "min", n)
    has_robot = ~np.isnan(last_robot_row)
    # no robot: the whole session; after the robot: the next buyer message, else the first reply
    start_row = np.where(has_robot, np.where(np.isnan(first_buyer_row), first_reply_row, first_buyer_row),
                         _row_per_session(sid, everything, "min", n))
    derived["first_reply_at"] = _time_at(sent, first_reply_row)
    derived["has_valid_reply"] = derived["first_reply_at"].notna()
    derived["has_robot_phase"] = has_robot
    derived["human_start_row"] = start_row
    derived["derived_start_at"] = _time_at(sent, start_row)
    derived.index = pd.Index(sid_session, name="session_id")

    if ctx.shop.has("im_sessions"):
        s = ctx.table("im_sessions").drop_duplicates("session_id").set_index("session_id")
        s = s.drop(columns=[c for c in s.columns if c.startswith("_")])
        s = s.join(derived, how="outer")
    else:
        s = derived
    for col in ("started_at", "transferred_at", "queued_at", "assigned_at", "rating", "buyer_id", "agent_id"):
        if col not in s:
            s[col] = pd.NaT if col.endswith("_at") else pd.NA
    s["started_at"] = s["started_at"].fillna(s["first_message_at"])
    if "buyer_id_msg" in s:
        s["buyer_id"] = s["buyer_id"].fillna(s["buyer_id_msg"])
    if "agent_id_msg" in s:
        s["agent_id"] = s["agent_id"].fillna(s["agent_id_msg"])
    s["has_valid_reply"] = s["has_valid_reply"].fillna(False).astype(bool)
    no_robot = ~s["has_robot_phase"].fillna(False).astype(bool)
    s["human_start_at"] = s["transferred_at"].fillna(s["started_at"].where(no_robot, s["derived_start_at"]))
    # SPEC §5.2: pure robot = no agent message and no transfer (robot_assist alone does not make a human session)
    s["is_human"] = s["transferred_at"].notna() | s["has_agent_message"].fillna(False).astype(bool)
    position_of_sid = s.index.get_indexer(derived.index)  # one look-up per session, not per message
    return s, position_of_sid[sid] if len(m) else np.zeros(0, dtype="int64")


def _phase_messages(m: pd.DataFrame, s: pd.DataFrame, pos: np.ndarray) -> pd.DataFrame:
    """Buyer and valid-reply messages inside the human phase of human sessions."""
    human = s["is_human"].to_numpy(dtype=bool)[pos]
    transferred = s["transferred_at"].to_numpy()[pos]
    by_time = m["sent_at"].to_numpy() >= transferred  # a known transfer time places the phase by time
    by_order = np.arange(len(m)) >= s["human_start_row"].to_numpy(dtype=float)[pos]  # else by message order
    in_phase = np.where(~np.isnat(transferred), by_time, by_order)
    keep = human & in_phase & m["sender_role"].isin(("buyer", *VALID_REPLY)).to_numpy(dtype=bool)
    out = m[keep].reset_index(drop=True)
    out["session_pos"] = pos[keep]
    out["is_reply"] = out["sender_role"].isin(VALID_REPLY).to_numpy(dtype=bool)
    sid = out["sid"].to_numpy()
    same = np.r_[False, sid[1:] == sid[:-1]]
    prev_buyer = ~np.r_[True, out["is_reply"].to_numpy()[:-1]] & same
    out["round_start"] = ~out["is_reply"].to_numpy() & ~prev_buyer
    out["round_id"] = out["round_start"].cumsum()
    out["closes_round"] = out["is_reply"].to_numpy() & prev_buyer
    reply_at = out["sent_at"].where(out["is_reply"])
    out["next_reply_at"] = reply_at.groupby(sid, sort=False).bfill()
    return out


def _rounds(pm: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    starts = pm[pm["round_start"]]
    rounds = pd.DataFrame(
        {
            "round_id": starts["round_id"].to_numpy(),
            "session_id": starts["session_id"].array,
            "start_at": starts["sent_at"].to_numpy(),
        }
    ).set_index("round_id")
    buyers = pm[~pm["is_reply"]].groupby("round_id")
    rounds["buyer_messages"] = buyers.size()
    closing = pm[pm["closes_round"]].set_index("round_id")
    rounds["reply_at"] = closing["sent_at"]
    rounds["reply_role"] = closing["sender_role"]
    session_agent = pd.Series(s["agent_id"].array.take(starts["session_pos"].to_numpy()), index=rounds.index)
    rounds["agent_id"] = closing["agent_id"].reindex(rounds.index).fillna(session_agent) if "agent_id" in closing else session_agent
    rounds["answered"] = rounds["reply_at"].notna()
    return rounds.reset_index()


def im_frames(ctx: Context) -> IMFrames:
    """Sessions, human-phase messages and rounds (cached per context)."""

    def build():
        m = _ordered_messages(ctx)
        s, pos = _sessions(ctx, m)
        pm = _phase_messages(m, s, pos)
        return IMFrames(s, pm, _rounds(pm, s))

    return ctx.cached("im_frames", build)


def timed_rounds(ctx: Context) -> pd.DataFrame:
    """Rounds starting in the date window with the clock's verdict: ``counted``, ``wait_s``, ``passed``, ``reason``."""

    def build():
        r = im_frames(ctx).rounds
        r = r[ctx.in_window(r["start_at"])].copy()
        hours = BusinessHours(ctx)
        threshold = ctx.param("im.reply_within_seconds")
        clock = ctx.param("im.clock")
        r["clock"] = clock
        r["in_business_hours"] = hours.contains(r["start_at"])
        if clock == "business":
            r["wait_s"] = hours.elapsed(r["reply_at"]) - hours.elapsed(r["start_at"])
            r["counted"] = True
        elif clock == "platform":
            r["wait_s"] = (r["reply_at"] - r["start_at"]).dt.total_seconds()
            r["counted"] = r["in_business_hours"]
        else:
            raise ValueError(f"im.clock must be 'platform' or 'business', not {clock!r}")
        r["passed"] = (r["answered"] & (r["wait_s"] <= threshold)).astype(bool)
        r["reason"] = labels(
            [~r["counted"], ~r["answered"], r["passed"]],
            [f"{clock}:outside_business_hours", f"{clock}:unanswered", f"{clock}:replied_within_{threshold}s"],
            f"{clock}:replied_after_{threshold}s",
        )
        cap = ctx.param("im.wait_cap_seconds")
        r["charged_s"] = r["wait_s"].clip(upper=cap).fillna(ctx.param("im.unanswered_seconds"))
        r["hour"] = r["start_at"].dt.hour
        r["weekday"] = r["start_at"].dt.day_of_week
        return r

    return ctx.cached("timed_rounds", build)


def human_sessions(ctx: Context) -> pd.DataFrame:
    """Human sessions whose human phase starts in the date window, with first valid reply and its delay."""

    def build():
        f = im_frames(ctx)
        s = f.sessions[f.sessions["is_human"]].copy()
        s = s[ctx.in_window(s["human_start_at"])]
        replies = f.messages[f.messages["is_reply"]]
        first_reply = replies["sent_at"].groupby(replies["session_pos"].to_numpy()).min()
        s["first_reply_at"] = first_reply.reindex(f.sessions.index.get_indexer(s.index)).to_numpy()
        s["first_response_s"] = (s["first_reply_at"] - s["human_start_at"]).dt.total_seconds()
        s["in_business_hours"] = BusinessHours(ctx).contains(s["human_start_at"])
        s["accepted"] = s["assigned_at"].notna() | s["has_valid_reply"]
        return s

    return ctx.cached("human_sessions", build)
