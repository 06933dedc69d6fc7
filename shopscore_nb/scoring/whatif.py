"""What-if and inverse: apply hypothetical fixes to the shop's tables, recompute, and compare.

Fixes edit copies of the canonical tables, so every indicator is recomputed by its own registered
definition (no shortcut formulas):

- :class:`AnswerRounds` — these 飞鸽 rounds (default: every failing round) get a valid reply
  ``reply_after_seconds`` after each of their buyer messages;
- :class:`PickupInTime` — these orders (default: the failing ones) are picked up ``after_hours`` after payment;
- :class:`FasterTickets` — these tickets (default: those slower than ``hours``) are agreed ``hours`` after
  application, and returns are refunded on receipt;
- :class:`MoreGoodOrders` / :class:`MoreGoodRounds` — N additional faultless orders / answered sessions.

:func:`least_n` is the inverse: the least N good orders (or rounds) that make ``metric op value`` hold,
found by bracketing and bisection and proven by evaluating N (holds) and N − 1 (does not).

>>> from shopscore_nb.scoring.whatif import what_if, AnswerRounds, least_n, Target
>>> w = what_if(ctx, results, [AnswerRounds()])                          # doctest: +SKIP
>>> w.table                                       # before / after / delta of every indicator, score, total  # doctest: +SKIP
>>> least_n(ctx, results, Target("product.avg_rating", ">=", 4.791)).n   # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import pandas as pd

from ..compact import add_labels
from ..fastops import lookup
from ..metrics.base import Context, compute, indicator_keys, registry
from ..metrics.facts import orders as order_facts
from ..metrics.im_model import _clock_seconds, im_frames, message_ids
from .contexts import holds
from .drilldown import value_column
from .scorecard import score_shop

# Which cached facts depend on which tables (shared between the base and the what-if context when untouched).
CACHE_DEPENDS = {"orders": {"orders"}, "deliveries": {"orders", "shipments"}, "tickets": {"orders", "shipments", "after_sales"}, "im_frames": {"im_messages", "im_sessions"}}


def _param(ctx: Context, name: str):
    return ctx.param(f"whatif.{name}")


def _failing_ids(ctx: Context, results: dict, key: str, column: str) -> pd.Index:
    result = results.get(key) or compute(key, ctx)
    d = result.detail
    if d is None or d.empty:
        return pd.Index([])
    ids = d[column] if column in d else d.index.to_series()
    return pd.Index(ids[~d["passed"].to_numpy(dtype=bool, na_value=False)].unique())


def _typed(new: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``new`` with ``like``'s columns and dtypes (absent values empty), ready to concat."""
    out = new.reindex(columns=like.columns)
    for col in like.columns:
        try:
            out[col] = out[col].astype(like[col].dtype)
        except (TypeError, ValueError):
            pass
    return out


def _earliest(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise earlier of two timestamp series (NaT ignored)."""
    return pd.concat([a, b], axis=1).min(axis=1)


def _append(tables: dict, name: str, new: pd.DataFrame) -> None:
    if name in tables:
        add_labels(tables, name, new)  # synthetic IDs join the shared key codes, never become missing
        old = tables[name]
        tables[name] = pd.concat([old, _typed(new, old)], ignore_index=True)


# ---------------------------------------------------------------- fixes
@dataclass
class AnswerRounds:
    """These rounds (``round_id`` list/frame, or ``"failing"``) answered ``reply_after_seconds`` after each buyer message."""

    rounds: object = "failing"
    reply_after_seconds: float | None = None
    changes: tuple = ("im_messages",)

    def round_ids(self, ctx: Context, results: dict) -> pd.Index:
        if isinstance(self.rounds, str):
            return _failing_ids(ctx, results, _param(ctx, "failing.rounds"), "round_id")
        if isinstance(self.rounds, pd.DataFrame):
            return pd.Index(self.rounds["round_id"])
        return pd.Index(list(self.rounds))

    def size(self, ctx: Context, results: dict) -> int:
        """How many rounds this fix answers."""
        return len(self.round_ids(ctx, results))

    def apply(self, ctx: Context, results: dict, tables: dict) -> None:
        pm = im_frames(ctx).messages
        buyers = pm[~pm["is_reply"].to_numpy(dtype=bool) & pm["round_id"].isin(self.round_ids(ctx, results)).to_numpy(dtype=bool)]
        after = pd.Timedelta(seconds=self.reply_after_seconds if self.reply_after_seconds is not None else _param(ctx, "reply_after_seconds"))
        agent = lookup(buyers["session_id"], im_frames(ctx).sessions["agent_id"])
        new = pd.DataFrame({"session_id": buyers["session_id"].to_numpy(), "sent_at": (buyers["sent_at"] + after).to_numpy(), "sender_role": "agent", "agent_id": agent.astype("string").fillna("whatif").to_numpy(), "_source_file": "whatif", "_source_row": -1})
        if "message_id" in ctx.table("im_messages"):
            new["message_id"] = (pd.Series(message_ids(ctx, buyers), dtype="string") + "~whatif").to_numpy()
        _append(tables, "im_messages", new)


@dataclass
class PickupInTime:
    """These orders (ids, or ``"failing"``) picked up ``after_hours`` after payment (pre-sale: by the promised ship time)."""

    orders: object = "failing"
    after_hours: float | None = None
    changes: tuple = ("shipments",)

    def order_ids(self, ctx: Context, results: dict) -> pd.Index:
        return _failing_ids(ctx, results, _param(ctx, "failing.pickups"), "order_id") if isinstance(self.orders, str) else pd.Index(list(self.orders))

    def size(self, ctx: Context, results: dict) -> int:
        """How many orders this fix picks up in time."""
        return len(self.order_ids(ctx, results))

    def apply(self, ctx: Context, results: dict, tables: dict) -> None:
        ids = self.order_ids(ctx, results)
        s = tables["shipments"].copy()
        facts = order_facts(ctx)
        hours = self.after_hours if self.after_hours is not None else _param(ctx, "pickup_after_hours")
        target = lookup(s["order_id"], facts["paid_at"]) + pd.Timedelta(hours=hours)
        if "promised_ship_at" in facts:
            presale = lookup(s["order_id"], facts["is_presale"]).fillna(False).astype(bool)
            target = target.where(~presale, _earliest(target, lookup(s["order_id"], facts["promised_ship_at"])))
        sel = s["order_id"].isin(ids).to_numpy(dtype=bool) & target.notna().to_numpy()
        s.loc[sel, "picked_up_at"] = _earliest(s["picked_up_at"], target)[sel]
        tables["shipments"] = s


@dataclass
class FasterTickets:
    """These tickets (ids, or ``"slow"``: slower than ``hours`` in the profile's ticket indicators) agreed ``hours`` after application."""

    tickets: object = "slow"
    hours: float | None = None
    changes: tuple = ("after_sales",)

    def ticket_ids(self, ctx: Context, results: dict, hours: float) -> pd.Index:
        if not isinstance(self.tickets, str):
            return pd.Index(list(self.tickets))
        ids = []
        for key in _param(ctx, "failing.tickets"):
            r = results.get(key) or compute(key, ctx)
            col = value_column(r)
            if col and not r.detail.empty and col in r.detail:
                ids.append(r.detail.loc[(r.detail[col] > hours).to_numpy(dtype=bool, na_value=False), "after_sale_id"])
        return pd.Index(pd.concat(ids).unique()) if ids else pd.Index([])

    def size(self, ctx: Context, results: dict) -> int:
        """How many tickets this fix handles faster."""
        hours = self.hours if self.hours is not None else _param(ctx, "ticket_handled_hours")
        return len(self.ticket_ids(ctx, results, hours))

    def apply(self, ctx: Context, results: dict, tables: dict) -> None:
        hours = self.hours if self.hours is not None else _param(ctx, "ticket_handled_hours")
        t = tables["after_sales"].copy()
        sel = t["after_sale_id"].isin(self.ticket_ids(ctx, results, hours)).to_numpy(dtype=bool)
        target = t["applied_at"] + pd.Timedelta(hours=hours)
        agreed = t["agreed_at"] if "agreed_at" in t else pd.Series(pd.NaT, index=t.index)
        t["agreed_at"] = agreed.where(~sel, _earliest(agreed, target))
        if "return_signed_at" in t and "refunded_at" in t:
            early = sel & t["return_signed_at"].notna().to_numpy() & (t["refunded_at"] > t["return_signed_at"]).to_numpy(dtype=bool, na_value=False)
            t.loc[early, "refunded_at"] = t.loc[early, "return_signed_at"]
        tables["after_sales"] = t


def _at(ctx: Context, days_before: int, clock: str) -> pd.Timestamp:
    return ctx.as_of - pd.Timedelta(days=days_before) + pd.Timedelta(seconds=_clock_seconds(clock))


@dataclass
class MoreGoodOrders:
    """``n`` additional faultless orders: paid, picked up, signed on time, reviewed 5★, no after-sales."""

    n: int
    changes: tuple = ("orders", "shipments", "reviews")

    def apply(self, ctx: Context, results: dict, tables: dict) -> None:
        g = _param(ctx, "good_order")
        ids = pd.Series([f"WHATIF-O{i:07d}" for i in range(self.n)], dtype="string")  # synthetic ids, built once
        paid = _at(ctx, g["paid_days_before"], g["paid_at"])
        picked = paid + pd.Timedelta(hours=g["pickup_hours"])
        signed = picked + pd.Timedelta(hours=g["delivery_hours"])
        src = {"_source_file": "whatif", "_source_row": -1}
        _append(tables, "orders", pd.DataFrame({"order_id": ids, "sub_order_id": ids + "-1", "paid_at": paid, "is_presale": False, "is_virtual": False, "is_gift": False, **src}))
        _append(tables, "shipments", pd.DataFrame({"order_id": ids, "waybill_no": "WB-" + ids, "picked_up_at": picked, "signed_at": signed, "promised_delivery_at": signed + pd.Timedelta(hours=g["due_after_signed_hours"]), **src}))
        score = float(g["review_score"])
        review = {"order_id": ids, "review_id": "R-" + ids, "created_at": signed + pd.Timedelta(hours=g["review_after_hours"]), "product_score": score}
        if "reviews" in tables:
            review.update({c: score for c in ("logistics_score", "service_score") if c in tables["reviews"]})
        _append(tables, "reviews", pd.DataFrame({**review, **src}))


@dataclass
class MoreGoodRounds:
    """``n`` additional human sessions, each one buyer question answered ``reply_after_seconds`` later."""

    n: int
    changes: tuple = ("im_messages", "im_sessions")

    def apply(self, ctx: Context, results: dict, tables: dict) -> None:
        g = _param(ctx, "good_round")
        sid = pd.Series([f"WHATIF-S{i:07d}" for i in range(self.n)], dtype="string")
        at = _at(ctx, g["days_before"], g["at"])
        reply = at + pd.Timedelta(seconds=g["reply_after_seconds"])
        src = {"_source_file": "whatif", "_source_row": -1}
        ask = pd.DataFrame({"session_id": sid, "message_id": sid + "-M0", "sent_at": at, "sender_role": "buyer", **src})
        ans = pd.DataFrame({"session_id": sid, "message_id": sid + "-M1", "sent_at": reply, "sender_role": "agent", "agent_id": "whatif", **src})
        _append(tables, "im_messages", pd.concat([ask, ans], ignore_index=True))
        _append(tables, "im_sessions", pd.DataFrame({"session_id": sid, "started_at": at, "transferred_at": at, "queued_at": at, "assigned_at": at, "agent_id": "whatif", **src}))


# ---------------------------------------------------------------- evaluation
def fixed_context(ctx: Context, results: dict, fixes: list) -> tuple[Context, set]:
    """A context on copies of the shop's tables with ``fixes`` applied; returns it and the tables changed."""
    tables = dict(ctx.shop.tables)
    for fix in fixes:
        fix.apply(ctx, results, tables)
    changed = {name for fix in fixes for name in fix.changes if name in tables}
    shop = dataclasses.replace(ctx.shop, tables=tables)
    cache = {k: v for k, v in ctx.cache.items() if k in CACHE_DEPENDS and not CACHE_DEPENDS[k] & changed}
    return Context(shop, ctx.as_of, ctx.profile, ctx.window_days, cache), changed


def recompute(ctx: Context, results: dict, new_ctx: Context, changed: set, keys=None) -> dict:
    """Results on ``new_ctx``: scored indicators and indicators reading a changed table recomputed, others copied."""
    known = registry(ctx.profile)
    scored = set(ctx.profile["indicators"])
    keys = list(keys) if keys is not None else indicator_keys(ctx.profile)
    out = {}
    for key in keys:  # per indicator (tens), not per data row
        stale = key in scored or bool(set(known[key].tables) & changed) or key not in results
        out[key] = compute(key, new_ctx) if stale else dataclasses.replace(results[key])
    return out


def _copy(results: dict) -> dict:
    return {k: dataclasses.replace(v) for k, v in results.items()}


@dataclass
class WhatIf:
    table: pd.DataFrame  # metric, zh, before, after, delta, score_before, score_after
    card_before: object
    card_after: object
    results_after: dict = field(repr=False)
    ctx_after: Context = field(repr=False)


def what_if(ctx: Context, results: dict, fixes: list, keys=None) -> WhatIf:
    """Apply ``fixes`` and compare every indicator (value and score), dimension and the total before/after."""
    before = _copy(results)
    card_before = score_shop(ctx, before)
    new_ctx, changed = fixed_context(ctx, results, fixes)
    after = recompute(ctx, results, new_ctx, changed, keys)
    card_after = score_shop(new_ctx, after)
    return WhatIf(_compare(ctx, before, after, card_before, card_after), card_before, card_after, after, new_ctx)


def _compare(ctx: Context, before: dict, after: dict, cb, ca) -> pd.DataFrame:
    known = registry(ctx.profile)
    rows = [
        {"metric": k, "zh": known[k].zh if k in known else k, "before": before[k].value if k in before else None, "after": after[k].value,
         "score_before": before[k].score if k in before else None, "score_after": after[k].score}
        for k in after
    ]
    rows += [{"metric": f"dimension.{d}", "zh": cb.rules.dimensions[d].get("zh", d), "before": cb.dimensions.get(d), "after": ca.dimensions.get(d)} for d in cb.dimensions]
    rows.append({"metric": "total", "zh": "体验分", "before": cb.total, "after": ca.total})
    t = pd.DataFrame(rows)
    t["delta"] = pd.to_numeric(t["after"], errors="coerce") - pd.to_numeric(t["before"], errors="coerce")
    return t[["metric", "zh", "before", "after", "delta", "score_before", "score_after"]]


# ---------------------------------------------------------------- inverse
@dataclass
class Target:
    """A threshold line: ``metric op value`` (metric: indicator key, ``score.<key>``, ``dimension.<name>``, ``total``)."""

    metric: str
    op: str
    value: float

    @classmethod
    def from_line(cls, profile, line_id: str) -> Target:
        for section in ("consequences", "im_service_thresholds"):
            for line in profile.get(section) or []:
                if line["id"] == line_id:
                    return cls(line["metric"], line["op"], line["value"])
        raise KeyError(f"no threshold line '{line_id}' in profile {profile['name']}")


@dataclass
class InverseResult:
    target: Target
    kind: str
    n: int | None  # None: not reachable within max_n
    value_at_n: float | None
    value_at_n_minus_1: float | None
    evaluations: pd.DataFrame  # n, value, met — every point evaluated (the proof)

    @property
    def proven_minimal(self) -> bool:
        """N was evaluated and holds, and N − 1 was evaluated and does not (or N is 0)."""
        met = dict(zip(self.evaluations["n"].tolist(), self.evaluations["met"].tolist(), strict=True))
        if self.n is None or not met.get(self.n):
            return False
        return self.n == 0 or (self.n - 1 in met and not met[self.n - 1])


FIXES = {"good_orders": MoreGoodOrders, "good_rounds": MoreGoodRounds}


def _evaluator(ctx: Context, results: dict, target: Target, kind: str):
    is_card = target.metric in ("total", "display") or target.metric.startswith(("dimension.", "score."))
    keys = list(ctx.profile["indicators"]) if is_card else [target.metric]
    seen: dict[int, float | None] = {}

    def value(n: int):
        if n not in seen:
            if n == 0:
                res = _copy(results) if all(k in results for k in keys) else {k: compute(k, ctx) for k in keys}
                new_ctx = ctx
            else:
                new_ctx, changed = fixed_context(ctx, results, [FIXES[kind](n)])
                res = recompute(ctx, results, new_ctx, changed, keys)
            seen[n] = score_shop(new_ctx, res).metric(target.metric) if is_card else res[target.metric].value
        return seen[n]

    return value, seen


def _guess(results: dict, target: Target) -> int | None:
    """A starting N for a rate target: good rows added to the denominator (and numerator for a 'higher' rate)."""
    r = results.get(target.metric)
    if r is None or r.unit != "ratio" or not r.denominator:
        return None
    num, den, t = float(r.numerator), float(r.denominator), float(target.value)
    if target.op in ("<=", "<"):
        return max(0, math.ceil(num / t - den)) if t > 0 else None
    return max(0, math.ceil((t * den - num) / (1 - t))) if t < 1 else None


def least_n(ctx: Context, results: dict, target: Target, kind: str = "good_orders", max_n: int = 1_000_000) -> InverseResult:
    """The least N additional good orders/rounds making ``target`` hold, with N and N − 1 evaluated as proof."""
    value, seen = _evaluator(ctx, results, target, kind)
    met = lambda n: bool(holds(value(n), target.op, target.value))  # noqa: E731
    n = _search(met, _guess(results, target), max_n)
    if n is not None and n > 0:
        value(n - 1)
    ev = pd.DataFrame({"n": list(seen), "value": list(seen.values())}).sort_values("n", ignore_index=True)
    ev["met"] = [bool(holds(v, target.op, target.value)) for v in ev["value"]]  # a few dozen evaluations
    return InverseResult(target, kind, n, seen.get(n) if n is not None else None, seen.get(n - 1) if n else None, ev)


def _search(met, guess: int | None, max_n: int) -> int | None:
    """Least n in [0, max_n] with met(n), assuming met is monotone in n (bracket, then bisect)."""
    if met(0):
        return 0
    lo, hi, step = 0, min(max(1, guess or 1), max_n), 1
    while not met(hi):
        if hi >= max_n:
            return None
        lo, hi, step = hi, min(hi + step, max_n), step * 2
    if hi - 1 > lo and not met(hi - 1):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if met(mid) else (mid, hi)
    return hi
