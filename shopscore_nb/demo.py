"""Seeded synthetic shops: the committed demo data (real 抖店 export formats) and the SPEC §10 benchmark shop.

Everything is drawn with one ``numpy`` generator per shop and built column-wise (no per-row Python loop),
so the same seed always gives the same tables, and a million orders take seconds.

Stories (``STORIES``):

- ``flagship``   悦衣旗舰店, 女装 旗舰: ~40 orders/day, fast 飞鸽 replies with a night agent, few defects.
- ``struggling`` 鲜味坊零食铺, 食品饮料 非旗舰: ~20 orders/day, slow replies 19–23 h and none at night,
  many late pickups (> 48 h), many quality / logistics refunds, more complaints and arbitrations.
- ``growth``     云岭茶舍, 茶 通用: a growth-stage shop with fewer than 30 orders in its last 30 days.

Canonical tables (SPEC §3 names; a few extra columns feed the export writer only, see :func:`canonical`):
orders (one row per sub-order), shipments (one per waybill), after_sales, complaints, im_messages,
im_sessions, reviews, penalties.

:func:`write_export_folder` writes them as the backend's own exports (75-column 订单导出 split into two
overlapping files, 50-column 售后单导出, 评价导出 XLSX, 飞鸽 message / session logs ...) and plants a
known set of dirty rows; it returns the data-quality counts a correct loader must report.

Usage::

    python -m shopscore_nb.demo data/demo                          # regenerate the committed demo root
    python -m shopscore_nb.demo --benchmark benchmarks/_data/bench # SPEC §10 scale shop (Parquet)

>>> from datetime import date
>>> from shopscore_nb.demo import generate_shop
>>> tables = generate_shop("struggling", date(2026, 6, 21), days=130, seed=7)
>>> sorted(tables)
['after_sales', 'complaints', 'im_messages', 'im_sessions', 'orders', 'penalties', 'reviews', 'shipments']
>>> planted = write_export_folder(tables, "/tmp/demo/struggling", "鲜味坊零食铺")   # doctest: +SKIP
>>> planted                                                                         # doctest: +SKIP
{'aftersale_event_before_applied': 1, 'duplicate_key': 2, 'orphan': 1, ...}
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from .schema import TABLES

DAY, HOUR = 86_400.0, 3_600.0
DEMO_START = date(2026, 6, 21)  # + 130 days -> last data day 2026-10-28, default as-of 2026-10-29
DEMO_DAYS = 130
DEMO_SEED = 20261029
SHOP_IDS = ("flagship", "struggling", "growth")

# ---------------------------------------------------------------- reference data
ORDER_HOURS = np.array([3, 1.5, .8, .5, .4, .5, 1, 2, 3.5, 5, 6, 6, 5.5, 5, 5, 5, 5, 5, 5.5, 7, 9, 10, 9, 6])
IM_HOURS = np.array([2, 1, .5, .3, .3, .5, 1, 2, 4, 6, 7, 7, 5, 5, 6, 6, 6, 5, 5, 7, 9, 10, 8, 4])
WEEKDAY = np.array([0.92, 0.90, 0.93, 0.97, 1.05, 1.15, 1.12])  # Mon .. Sun
# province, share of orders, route zone (0 near / 1 mid / 2 far)
PROVINCES = [
    ("广东省", 14, 1), ("浙江省", 8, 0), ("江苏省", 8, 0), ("山东省", 7, 1), ("河南省", 6, 1), ("四川省", 6, 1),
    ("湖北省", 5, 1), ("湖南省", 5, 1), ("河北省", 5, 1), ("福建省", 4, 1), ("上海市", 4, 0), ("北京市", 4, 1),
    ("安徽省", 4, 0), ("陕西省", 3, 1), ("辽宁省", 3, 1), ("江西省", 3, 1), ("广西壮族自治区", 3, 1), ("云南省", 3, 1),
    ("重庆市", 2, 1), ("黑龙江省", 2, 2), ("山西省", 2, 1), ("贵州省", 2, 1), ("吉林省", 1, 2), ("天津市", 1, 1),
    ("内蒙古自治区", 1, 2), ("甘肃省", 1, 2), ("新疆维吾尔自治区", 1, 2), ("海南省", .5, 2), ("宁夏回族自治区", .3, 2),
    ("青海省", .2, 2), ("西藏自治区", .1, 2),
]
ZONE_SLA_HOURS = np.array([48.0, 72.0, 120.0])  # 预计送达时间 = pickup + route SLA
ZONE_DELIVERY_HOURS = np.array([30.0, 50.0, 92.0])  # median actual pickup -> signed
CARRIERS = [("中通快递", "78", 12), ("圆通速递", "YT", 13), ("韵达快递", "43", 13), ("极兔速递", "JT", 13), ("顺丰速运", "SF", 13)]
TICKET_TYPES = ("unshipped", "shipped", "return_refund", "exchange")  # 仅退款(未发货/已发货), 退货退款, 换货
TYPE_LABELS = {"refund_only": "仅退款", "return_refund": "退货退款", "exchange": "换货"}  # 售后类型 in the export
TYPE_CODES = {"unshipped": "refund_only", "shipped": "refund_only", "return_refund": "return_refund", "exchange": "exchange"}
# reasons per ticket type and category (every text is in reference/reason_categories.csv)
REASONS = {
    "unshipped": {"quality": (), "logistics": ("未按约定时间发货", "缺货"), "other": ("不想要了", "拍错/多拍/不想要", "地址填错", "协商一致退款")},
    "shipped": {"logistics": ("快递一直未送达", "少件/漏发", "发错货", "包装破损", "物流信息异常"), "other": ("不想要了", "协商一致退款")},
    "return_refund": {"logistics": ("发错货", "少件/漏发"), "other": ("7天无理由", "不想要了", "拍错")},
    "exchange": {"logistics": ("发错货",), "other": ("7天无理由", "拍错")},
}
REASON_TAGS = {"quality": "商品问题", "logistics": "物流问题", "other": "个人原因"}
ROLE_LABELS = {"buyer": "买家", "agent": "客服", "robot_assist": "此消息由机器人自动回复", "robot": "机器人", "system": "系统"}
PHONE_PREFIXES = np.array(["138", "139", "158", "186", "177", "150"])


@dataclass(frozen=True)
class Product:
    name: str
    price: float
    kind: str = "normal"  # normal / presale / virtual
    weight: float = 1.0


@dataclass(frozen=True)
class Story:
    """Everything that makes one synthetic shop behave the way its story says."""

    shop_name: str
    industry: str
    shop_type: str
    orders_per_day: float
    catalog: tuple[Product, ...]
    specs: tuple[str, ...]
    quality_reasons: tuple[str, ...]
    trend: tuple[float, float] = (1.0, 1.0)  # relative daily weight on the first / last day
    promos: tuple[tuple[str, int, float], ...] = ()  # (first day, days, factor)
    max_last30: int | None = None  # hard cap on orders paid in the final 30 days
    sub_orders: tuple[float, ...] = (0.84, 0.13, 0.03)  # P(1, 2, 3 sub-orders)
    pickup_extra_days: tuple[float, ...] = (0.92, 0.06, 0.015, 0.005)  # P(0..3 extra days before pickup)
    delivery_factor: float = 1.0
    ticket_rates: tuple[float, float, float, float] = (0.03, 0.02, 0.08, 0.015)  # per order, TICKET_TYPES
    quality_share: dict = field(default_factory=lambda: {"unshipped": (0, .1), "shipped": (.3, .3), "return_refund": (.2, .05), "exchange": (.2, .05)})
    fast_refund: float = 0.7  # share of 未发货 refunds auto-approved (极速退款)
    merchant_hours: float = 1.5  # median hours to the first merchant action (from business opening)
    refund_hours: float = 2.0  # median hours from return signed to refund
    rejected: float = 0.04
    arbitration: float = 0.01  # share of tickets ending in platform arbitration
    merchant_liable: float = 0.3
    complaint_rate: float = 0.004
    review_rate: float = 0.35
    scores: tuple[float, ...] = (0.03, 0.02, 0.05, 0.12, 0.78)  # P(1..5)
    three_score_share: float = 0.4
    penalties: tuple[tuple[str, int], ...] = ()
    sessions_per_order: float = 0.15  # 飞鸽 sessions per order paid in the IM export period
    im_days: int | None = None  # the 飞鸽 export covers only the last im_days days (None: all)
    robot_only: float = 0.35
    abandoned: float = 0.02  # transferred to a human, nobody ever answered
    agents: tuple[tuple[str, float], ...] = (("小美", 12), ("小林", 25), ("阿杰", 45), ("小雪", 70))  # median reply s
    night_agent: str | None = "小夜"
    queue_seconds: float = 6.0
    evening_slowdown: float = 1.0  # reply-time factor for sessions 19:00–23:00
    assist_share: float = 0.1  # replies sent as 此消息由机器人自动回复
    last_round_unanswered: float = 0.03
    rating_share: float = 0.3
    dirty: tuple[tuple[str, int], ...] = ()
    buyer_bank: tuple[str, ...] = ()
    robot_bank: tuple[str, ...] = ()
    agent_bank: tuple[str, ...] = ()
    review_bank: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())  # bad / mid / good


_FASHION_BUYER = ("这件有M码吗", "身高160体重100斤穿什么码", "什么时候发货", "面料会起球吗", "会褪色吗", "到哪里了",
                  "尺码偏大还是偏小", "能便宜点吗", "有赠品吗", "可以换个颜色吗", "我想退货", "好的谢谢", "在吗")
_FOOD_BUYER = ("保质期多久", "什么时候发货", "包装破了怎么办", "有优惠吗", "甜不甜", "到哪了", "少发了一袋",
               "生产日期是哪天", "可以开发票吗", "能加急吗", "吃着有点怪味", "好的谢谢", "在吗")
_TEA_BUYER = ("这款是今年的新茶吗", "怎么冲泡", "什么时候发货", "可以送人吗有礼盒吗", "存放要注意什么", "到哪了",
              "能便宜点吗", "有试喝装吗", "好的谢谢", "在吗")
_ROBOT = ("亲，您好，我是智能客服，请问有什么可以帮您", "亲，下单后48小时内发货哦", "亲，可以在订单详情查看物流进度哦",
          "亲，没有找到答案可以回复“转人工”哦", "亲，具体信息可以参考商品详情页哦")
_AGENT = ("亲，在的呢", "亲，已经帮您催发货了", "好的亲，已为您备注", "亲，麻烦提供一下订单号哦", "亲，这边帮您申请补发",
          "亲，建议拍M码哦", "亲，质量问题我们包退换的", "亲，今天下午就安排发出", "亲，给您申请了一张优惠券", "亲，已登记，稍后回复您")
_ASSIST = ("亲，您的订单已发货，可在订单详情查看物流哦", "亲，尺码建议参考详情页尺码表", "亲，48小时内发货，请耐心等待哦")
_EXTRA = ("还有其他可以帮您的吗？", "感谢亲的支持，祝您生活愉快~", "有问题随时联系我们哦")
_UNANSWERED = ("人呢？", "在吗", "有人吗", "怎么没人回复")
_REVIEWS_FASHION = (("质量太差了，穿一次就起球", "尺码严重不对，客服也不理人", "色差很大，和图片不一样"),
                    ("一般般，有点色差", "版型还行，面料一般", "物流有点慢"),
                    ("面料很舒服，版型好看", "质量不错，会回购", "物流很快，包装完好", "此用户没有填写评价内容"))
_REVIEWS_FOOD = (("收到就破了，有股怪味", "日期不新鲜，快过期了", "少发了，找客服半天没人回"),
                 ("味道一般", "包装有点简陋", "发货太慢了"),
                 ("很好吃，会回购", "日期新鲜，包装完好", "孩子很喜欢", "此用户没有填写评价内容"))
_REVIEWS_TEA = (("茶叶碎末太多", "和描述不符"), ("口感一般",), ("茶香浓郁，回甘好", "包装精美，送人很合适", "此用户没有填写评价内容"))
_FASHION_QUALITY = ("质量问题", "做工粗糙/有瑕疵", "与商品描述不符", "尺寸不符", "颜色/款式/图案与描述不符", "商品破损/污渍")
_FOOD_QUALITY = ("质量问题", "过期/临期", "商品破损/污渍", "与商品描述不符")
_DIRTY = (("duplicate_key", 2), ("unparseable_required", 1), ("picked_up_before_paid", 1), ("signed_before_picked_up", 1),
          ("score_out_of_range", 1), ("aftersale_event_before_applied", 1), ("orphan", 1))

STORIES: dict[str, Story] = {
    "flagship": Story(
        shop_name="悦衣旗舰店", industry="女装", shop_type="旗舰", orders_per_day=40,
        catalog=(Product("法式碎花连衣裙", 199, weight=3), Product("高腰阔腿牛仔裤", 159, weight=3), Product("纯棉圆领T恤", 69, weight=4),
                 Product("针织开衫", 139, weight=2), Product("真丝衬衫", 259, weight=1.5), Product("百褶半身裙", 119, weight=2),
                 Product("双面羊绒大衣(预售)", 599, "presale", 0.9), Product("VIP会员礼品卡(电子卡)", 50, "virtual", 0.4)),
        specs=("颜色:米白;尺码:S", "颜色:米白;尺码:M", "颜色:黑色;尺码:M", "颜色:黑色;尺码:L", "颜色:雾蓝;尺码:M", "颜色:燕麦;尺码:XL"),
        quality_reasons=_FASHION_QUALITY, trend=(0.95, 1.05), promos=(("2026-08-17", 3, 1.5), ("2026-10-20", 9, 1.35)),
        ticket_rates=(0.03, 0.015, 0.06, 0.012), sessions_per_order=0.1, im_days=90, delivery_factor=0.9,
        quality_share={"unshipped": (0, .1), "shipped": (.15, .25), "return_refund": (.08, .04), "exchange": (.15, .05)},
        scores=(0.01, 0.01, 0.02, 0.08, 0.88),
        penalties=(("拒开发票", 1),), dirty=(("duplicate_key", 3), *_DIRTY[1:]),
        buyer_bank=_FASHION_BUYER, robot_bank=_ROBOT, agent_bank=_AGENT, review_bank=_REVIEWS_FASHION,
    ),
    "struggling": Story(
        shop_name="鲜味坊零食铺", industry="食品饮料", shop_type="非旗舰", orders_per_day=20,
        catalog=(Product("每日坚果750g", 89, weight=3), Product("手撕牛肉干200g", 49.9, weight=3), Product("山楂条500g", 19.9, weight=4),
                 Product("全麦面包2kg", 39.9, weight=3), Product("芒果干500g", 29.9, weight=3), Product("螺蛳粉5袋装", 45, weight=2),
                 Product("流心月饼礼盒(预售)", 168, "presale", 0.8), Product("零食电子兑换券", 30, "virtual", 0.3)),
        specs=("规格:1袋", "规格:2袋", "规格:家庭装", "口味:原味", "口味:香辣"), quality_reasons=_FOOD_QUALITY,
        trend=(1.1, 0.9), promos=(("2026-09-16", 8, 1.6),), sub_orders=(0.8, 0.15, 0.05),
        pickup_extra_days=(0.52, 0.26, 0.13, 0.09), delivery_factor=1.15, ticket_rates=(0.04, 0.07, 0.03, 0.005),
        quality_share={"unshipped": (0, .3), "shipped": (.55, .3), "return_refund": (.6, .15), "exchange": (.5, .2)},
        fast_refund=0.3, merchant_hours=9, refund_hours=20, rejected=0.08, arbitration=0.05, merchant_liable=0.6,
        complaint_rate=0.015, review_rate=0.25, scores=(0.12, 0.08, 0.10, 0.15, 0.55), three_score_share=0.35,
        penalties=(("异常售后地址", 2), ("拒开发票", 3)), sessions_per_order=0.14, im_days=90, robot_only=0.3, abandoned=0.07,
        agents=(("小王", 40), ("小李", 90), ("小陈", 120)), night_agent=None, queue_seconds=40, evening_slowdown=5,
        last_round_unanswered=0.1, rating_share=0.25, dirty=_DIRTY,
        buyer_bank=_FOOD_BUYER, robot_bank=_ROBOT, agent_bank=_AGENT, review_bank=_REVIEWS_FOOD,
    ),
    "growth": Story(
        shop_name="云岭茶舍", industry="茶", shop_type="通用", orders_per_day=0.5,
        catalog=(Product("古树普洱生茶357g", 268, weight=2), Product("滇红工夫红茶250g", 128, weight=3),
                 Product("白茶饼350g", 198, weight=2), Product("旅行茶具套装", 158, weight=1), Product("品鉴装电子券", 20, "virtual", 0.2)),
        specs=("规格:1饼", "规格:礼盒装", "规格:罐装"), quality_reasons=("质量问题", "与商品描述不符", "商品破损/污渍"),
        trend=(0.4, 1.2), max_last30=28, sub_orders=(0.9, 0.1), pickup_extra_days=(0.8, 0.15, 0.05),
        delivery_factor=1.1, ticket_rates=(0.03, 0.03, 0.04, 0.0), merchant_hours=4, refund_hours=8,
        arbitration=0.0, complaint_rate=0.01, review_rate=0.4, scores=(0.03, 0.03, 0.06, 0.18, 0.70),
        sessions_per_order=2.0, robot_only=0.25, abandoned=0.05, agents=(("阿云", 60),), night_agent=None,
        queue_seconds=15, penalties=(("拒开发票", 1),), dirty=(("duplicate_key", 1), *_DIRTY[1:]),
        buyer_bank=_TEA_BUYER, robot_bank=_ROBOT, agent_bank=_AGENT[:5], review_bank=_REVIEWS_TEA,
    ),
}


# ---------------------------------------------------------------- small vectorised helpers
def _secs(d) -> float:
    """Naive local time -> float seconds since the epoch (NaN stands for a missing time)."""
    return pd.Timestamp(d).value / 1e9


def _dt(x: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(np.floor(x), unit="s")).astype("datetime64[ns]")


def _hour_of(t: np.ndarray) -> np.ndarray:
    return (t % DAY) / HOUR


def _next_open(t: np.ndarray, open_h: float = 8, close_h: float = 23) -> np.ndarray:
    """The moment a merchant working open_h–close_h can act on something arriving at ``t``."""
    h, day0 = _hour_of(t), t - t % DAY
    return np.where(h >= close_h, day0 + DAY + open_h * HOUR, np.where(h < open_h, day0 + open_h * HOUR, t))


def _lognormal(rng, median, sigma: float, n: int) -> np.ndarray:
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(n))


def _draw(rng, p, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _hours(rng, profile: np.ndarray, n: int) -> np.ndarray:
    return _draw(rng, profile, n) + rng.random(n)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent index and position within the parent for ``counts[i]`` children of each parent."""
    parent = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return parent, np.arange(len(parent)) - first[parent]


def _cumsum_before(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Exclusive cumulative sum of ``values`` within consecutive groups of sizes ``counts``."""
    cs = np.cumsum(values)
    before = np.concatenate([[0.0], cs])[np.cumsum(counts) - counts]
    return cs - values - np.repeat(before, counts)


def _pick(rng, candidates: np.ndarray, n: int) -> np.ndarray:
    """``n`` distinct candidate indices (all of them when there are fewer), in ascending order."""
    if n >= len(candidates):
        return np.sort(candidates)
    return np.sort(candidates[np.argpartition(rng.random(len(candidates)), n)[:n]])


def _num_text(x, prefix: str = "") -> pd.Series:
    """Integers as text (Arrow cast: ~100× faster and leaner than numpy's ``astype(str)``)."""
    text = pd.Series(np.asarray(x, dtype=np.int64)).astype("str")
    return prefix + text if prefix else text


def _pick_text(items, codes) -> pd.Series:
    """``items[codes]`` as a text column, built in Arrow without Python objects (code -1 -> missing)."""
    codes = np.asarray(codes, dtype=np.int32)
    taken = pa.array([str(i) for i in items], type=pa.large_string()).take(pa.array(codes, mask=codes < 0))
    return pd.Series(taken, dtype="str")


def _censor(x: np.ndarray, end: float) -> np.ndarray:
    """Events after the export moment have not happened yet."""
    return np.where(x < end, x, np.nan)


def _texts(rng, bank: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(bank, dtype=object)[rng.integers(0, len(bank), n)]


# ---------------------------------------------------------------- orders
def _daily_counts(st: Story, t0: float, days: int, n_orders: int, rng) -> np.ndarray:
    """Orders per day: weekly rhythm, trend, promotions and day-to-day noise."""
    dates = pd.date_range(pd.Timestamp(t0, unit="s"), periods=days, freq="D")
    w = WEEKDAY[dates.day_of_week] * np.linspace(*st.trend, days) * rng.lognormal(0, 0.08, days)
    for first, length, factor in st.promos:
        w[(dates >= pd.Timestamp(first)) & (dates < pd.Timestamp(first) + pd.Timedelta(days=length))] *= factor
    counts = rng.multinomial(n_orders, w / w.sum())
    if st.max_last30 is not None and days > 30 and counts[-30:].sum() > st.max_last30:
        counts = _cap_tail(counts, st.max_last30, rng)
    return counts


def _cap_tail(counts: np.ndarray, cap: int, rng) -> np.ndarray:
    """Move orders out of the last 30 days (to earlier days) until at most ``cap`` remain there."""
    tail_days = np.repeat(np.arange(len(counts) - 30, len(counts)), counts[-30:])
    moved = rng.choice(tail_days, size=len(tail_days) - cap, replace=False)
    out = counts.copy()
    np.subtract.at(out, moved, 1)
    np.add.at(out, rng.integers(0, len(counts) - 30, len(moved)), 1)
    return out


def _order_level(st: Story, t0: float, days: int, n_orders: int, rng) -> dict[str, np.ndarray]:
    """One entry per order (main order): payment, product, buyer, province, presale/virtual flags."""
    counts = _daily_counts(st, t0, days, n_orders, rng)
    n = int(counts.sum())
    day = np.repeat(np.arange(days), counts)
    paid = np.sort(np.floor(t0 + day * DAY + _hours(rng, ORDER_HOURS, n) * HOUR))
    product = _draw(rng, [p.weight for p in st.catalog], n)
    kind = np.array([p.kind for p in st.catalog])[product]
    presale, virtual = kind == "presale", kind == "virtual"
    n_sub = 1 + _draw(rng, st.sub_orders, n)
    n_sub[presale | virtual] = 1
    ship_by = np.where(presale, paid - paid % DAY + rng.integers(8, 16, n) * DAY - 1, paid + 48 * HOUR)
    buyers = max(n * 85 // 100, 1)
    return {
        "order_id": 6_931_000_000_000_000_000 + np.cumsum(rng.integers(200, 20_000, n)) * 16,
        "paid": paid, "created": paid - np.round(rng.exponential(45, n)) - 3, "product": product,
        "presale": presale, "virtual": virtual, "n_sub": n_sub, "promised_ship": ship_by,
        "buyer": 1_300_000_000 + rng.integers(0, buyers, n) * 7, "province": _draw(rng, [p[1] for p in PROVINCES], n),
        "coupon": np.where(rng.random(n) < 0.25, rng.choice([5.0, 10.0, 20.0], n), 0.0),
    }


def _sub_orders(st: Story, o: dict, rng) -> pd.DataFrame:
    """Expand orders into sub-order rows (first row = the order's main product)."""
    parent, pos = _expand(o["n_sub"])
    n = len(parent)
    product = np.where(pos == 0, o["product"][parent], rng.integers(0, len(st.catalog), n))
    normal = np.array([p.kind == "normal" for p in st.catalog])
    product = np.where(normal[product] | (pos == 0), product, o["product"][parent])  # extra items are normal goods
    price = np.array([p.price for p in st.catalog])[product]
    qty = np.where(rng.random(n) < 0.1, 2, 1)
    goods = price * qty
    coupon = np.where(pos == 0, np.minimum(o["coupon"][parent], goods * 0.5), 0.0)
    return pd.DataFrame({
        "parent": parent, "pos": pos, "product": product, "quantity": qty, "goods_amount": goods,
        "discount": coupon, "amount": np.round(goods - coupon, 2),
        "sub_order_id": o["order_id"][parent] + 1 + pos, "spec": rng.integers(0, len(st.specs), n),
    })


# ---------------------------------------------------------------- logistics
def _pickups(st: Story, o: dict, rng) -> np.ndarray:
    """Pickup time per order: the courier's afternoon round on the paying day or later (NaN: never shipped)."""
    n = len(o["paid"])
    day0 = o["paid"] - o["paid"] % DAY
    lag = (_hour_of(o["paid"]) >= 15).astype(float) + _draw(rng, st.pickup_extra_days, n)
    pickup = day0 + lag * DAY + (15 + rng.random(n) * 5) * HOUR
    pickup = np.where(pickup < o["paid"] + HOUR, pickup + DAY, pickup)
    presale_at = o["promised_ship"] - rng.random(n) * 3 * DAY + np.where(rng.random(n) < 0.1, 3 * DAY, 0)
    pickup = np.where(o["presale"], np.maximum(presale_at, o["paid"] + 2 * HOUR), pickup)
    return np.where(o["virtual"] | o["cancelled"], np.nan, np.floor(pickup))


def _shipments(st: Story, o: dict, end: float, rng) -> pd.DataFrame:
    """One row per waybill; split parcels for some multi-item orders."""
    pickup = o["pickup"]
    shipped = np.where(np.isnan(pickup), np.nan, np.maximum(o["paid"] + 600, pickup - rng.uniform(1, 8, len(pickup)) * HOUR))
    o["shipped"] = _censor(np.floor(shipped), end)
    has = np.flatnonzero(~np.isnan(pickup) & (pickup < end))
    split = (o["n_sub"][has] > 1) & (rng.random(len(has)) < 0.3)
    idx = np.concatenate([has, has[split]])
    n = len(idx)
    pick = pickup[idx] + np.where(np.arange(n) >= len(has), rng.uniform(0.2, 20, n) * HOUR, 0)
    zone = np.array([p[2] for p in PROVINCES])[o["province"][idx]]
    hours = _lognormal(rng, ZONE_DELIVERY_HOURS[zone] * st.delivery_factor, 0.3, n)
    signed = np.where(rng.random(n) < 0.003, np.nan, np.floor(pick + hours * HOUR))
    carrier = _draw(rng, [5, 4, 3, 2, 1], n)
    number = np.zeros(n, dtype=np.int64)
    for c, (_, _, digits) in enumerate(CARRIERS):  # five carriers, not rows: roughly sequential e-waybill numbers
        mine = carrier == c
        number[mine] = 10 ** (digits - 1) + int(rng.integers(0, 10 ** (digits - 2))) + np.cumsum(rng.integers(1, 1000, int(mine.sum())))
    frame = pd.DataFrame({
        "order_id": idx, "carrier": carrier, "number": number,
        "picked_up_at": pick, "signed_at": _censor(signed, end), "promised_delivery_at": pick + ZONE_SLA_HOURS[zone] * HOUR,
    })
    frame = frame.iloc[np.lexsort((np.arange(n), pick))]
    frame = frame[frame["picked_up_at"].to_numpy() < end]
    first = frame.drop_duplicates("order_id")
    o["signed"] = np.full(len(o["paid"]), np.nan)
    o["signed"][first["order_id"].to_numpy()] = first["signed_at"].to_numpy()
    o["promised_delivery"] = np.full(len(o["paid"]), np.nan)
    o["promised_delivery"][first["order_id"].to_numpy()] = first["promised_delivery_at"].to_numpy()
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------- after-sales
def _ticket_counts(st: Story, n_orders: int, total: int | None, rng) -> np.ndarray:
    """Tickets per type (TICKET_TYPES): binomial at the story's rates, or an exact total split by them."""
    rates = np.asarray(st.ticket_rates)
    if total is None:
        return rng.binomial(n_orders, rates)
    shares = rates / rates.sum() * total
    counts = np.floor(shares).astype(int)
    counts[np.argsort(shares - counts)[::-1][: total - counts.sum()]] += 1
    return counts


def _choose_cancelled(o: dict, n_cancel: int, end: float, rng) -> None:
    """Orders cancelled after payment (仅退款, 未发货): they never ship."""
    apply = o["paid"] + np.round(rng.exponential(2.5, len(o["paid"])) * HOUR) + 60
    ok = np.flatnonzero(~o["virtual"] & (apply < end) & (apply < o["paid"] + 20 * HOUR))
    chosen = _pick(rng, ok, n_cancel)
    o["cancelled"] = np.zeros(len(o["paid"]), bool)
    o["cancelled"][chosen] = True
    o["cancel_apply"] = apply


def _ticket_base(kind: str, o: dict, rng) -> tuple[np.ndarray, np.ndarray]:
    """Application time per order for a ticket type, and which orders may have one."""
    n = len(o["paid"])
    if kind == "unshipped":
        return o["cancel_apply"], o["cancelled"]
    if kind == "shipped":
        return np.floor(o["pickup"] + rng.uniform(0.3, 6, n) * DAY), ~np.isnan(o["pickup"])
    return np.floor(o["signed"] + rng.uniform(0.1, 7, n) * DAY), ~np.isnan(o["signed"])


def _after_sales(st: Story, o: dict, subs: pd.DataFrame, counts: np.ndarray, end: float, rng) -> pd.DataFrame:
    """Tickets of each type with reasons and a valid timeline (applied < agreed <= refunded <= completed)."""
    taken = np.zeros(len(o["paid"]), bool)
    parts = []
    for kind, count in zip(TICKET_TYPES, counts, strict=True):
        applied, ok = _ticket_base(kind, o, rng)
        chosen = _pick(rng, np.flatnonzero(ok & ~taken & (applied < end)), int(count))
        taken[chosen] = True
        parts.append(pd.DataFrame({"order": chosen, "kind": kind, "applied_at": applied[chosen]}))
    t = pd.concat(parts, ignore_index=True)
    t = t.sort_values(["applied_at", "order"], kind="stable").reset_index(drop=True)
    _ticket_reasons(st, t, rng)
    _ticket_timeline(st, t, rng)
    _ticket_outcomes(st, t, rng)
    for col in ("agreed_at", "rejected_at", "return_shipped_at", "return_signed_at", "refunded_at", "completed_at", "closed_at"):
        t[col] = _censor(t[col].to_numpy(), end)
    _ticket_status(t)
    first = subs[subs["pos"] == 0].set_index("parent")
    t["sub_order_id"] = first.loc[t["order"], "sub_order_id"].to_numpy()
    t["refund_amount"] = np.where(t["kind"] == "exchange", np.nan, first.loc[t["order"], "amount"].to_numpy())
    t["product"] = first.loc[t["order"], "product"].to_numpy()
    t["after_sale_id"] = _num_text(7_256_000_000_000_000_000 + np.arange(len(t)) * 9_973 + rng.integers(0, 9_000, len(t)))
    return t


def _ticket_reasons(st: Story, t: pd.DataFrame, rng) -> None:
    n = len(t)
    cat = np.empty(n, dtype=object)
    reason = np.empty(n, dtype=object)
    for kind, (q, lg) in st.quality_share.items():
        m = (t["kind"] == kind).to_numpy()
        c = np.array(["quality", "logistics", "other"], dtype=object)[_draw(rng, [q, lg, 1 - q - lg], int(m.sum()))]
        bank = {**REASONS[kind], "quality": st.quality_reasons}
        cat[m] = c
        for name in ("quality", "logistics", "other"):
            mm = m.copy()
            mm[m] = c == name
            if mm.any():
                reason[mm] = _texts(rng, bank[name] or bank["other"], int(mm.sum()))
    t["category"], t["reason"] = cat, reason
    t["reason_tag"] = t["category"].map(REASON_TAGS)


def _ticket_timeline(st: Story, t: pd.DataFrame, rng) -> None:
    """Merchant actions in business hours; returns travel back; refunds after the return is signed."""
    n = len(t)
    kind, applied = t["kind"].to_numpy(), t["applied_at"].to_numpy()
    agreed = np.floor(_next_open(applied) + _lognormal(rng, st.merchant_hours, 0.8, n) * HOUR) + 30
    fast = (kind == "unshipped") & (rng.random(n) < st.fast_refund)
    agreed = np.where(fast, applied + rng.integers(5, 300, n), agreed)
    returned = np.isin(kind, ["return_refund", "exchange"])
    r_ship = np.where(returned, np.floor(agreed + _lognormal(rng, 18, 0.6, n) * HOUR), np.nan)
    r_sign = np.where(returned, np.floor(r_ship + _lognormal(rng, 50, 0.3, n) * HOUR), np.nan)
    refund_after_return = np.floor(_next_open(r_sign) + _lognormal(rng, st.refund_hours, 0.8, n) * HOUR)
    refunded = np.where(kind == "return_refund", refund_after_return, agreed + rng.integers(0, 600, n))
    refunded = np.where(kind == "exchange", np.nan, refunded)
    completed = np.where(kind == "exchange", np.floor(r_sign + _lognormal(rng, 60, 0.3, n) * HOUR), refunded)
    t["fast"] = fast
    t["agreed_at"], t["return_shipped_at"], t["return_signed_at"] = agreed, r_ship, r_sign
    t["refunded_at"], t["completed_at"] = refunded, completed
    t["rejected_at"] = t["closed_at"] = np.nan


def _ticket_outcomes(st: Story, t: pd.DataFrame, rng) -> None:
    """Some tickets are withdrawn, some rejected; a few rejected ones go to platform arbitration."""
    n = len(t)
    shipped = (t["kind"] != "unshipped").to_numpy()
    applied, first_action = t["applied_at"].to_numpy(), t["agreed_at"].to_numpy()
    u = rng.random(n)
    withdrawn = shipped & (u < 0.04)
    rejected = shipped & ~withdrawn & (u < 0.04 + st.rejected + st.arbitration)
    arbit = rejected & (rng.random(n) < st.arbitration / max(st.rejected + st.arbitration, 1e-9))
    liable_m = arbit & (rng.random(n) < st.merchant_liable)
    ruling = first_action + rng.uniform(2, 5, n) * DAY
    closed = np.where(withdrawn, applied + rng.uniform(0.5, 48, n) * HOUR, np.where(rejected, first_action + rng.uniform(1, 3, n) * DAY, np.nan))
    closed = np.where(arbit, np.where(liable_m, np.nan, ruling), closed)
    clear = withdrawn | rejected
    for col in ("agreed_at", "return_shipped_at", "return_signed_at", "refunded_at", "completed_at"):
        t.loc[clear, col] = np.nan
    t["rejected_at"] = np.where(rejected, first_action, np.nan)
    t["closed_at"] = np.floor(closed)
    t.loc[liable_m, "refunded_at"] = np.floor(ruling[liable_m])
    t["completed_at"] = np.where(clear & ~liable_m, t["closed_at"], np.where(liable_m, t["refunded_at"], t["completed_at"]))
    t["arbitration"] = arbit
    t["liable_party"] = np.where(arbit, np.where(liable_m, "商家", "买家"), None)


def _ticket_status(t: pd.DataFrame) -> None:
    done = t["completed_at"].notna()
    status = np.where(t["refunded_at"].notna(), "同意退款，退款成功", np.where(t["kind"] == "exchange", "换货成功", "售后关闭"))
    t["status"] = np.where(done, status, "售后处理中")
    t["arbitration_status"] = np.where(t["arbitration"], np.where(done, "仲裁结束", "仲裁中"), None)
    t["liable_party"] = np.where(t["arbitration"] & done, t["liable_party"], None)


# ---------------------------------------------------------------- complaints, reviews, penalties
def _complaints(st: Story, o: dict, tickets: pd.DataFrame, end: float, rng) -> pd.DataFrame:
    n = len(o["paid"])
    late = (o["pickup"] - o["paid"]) > 48 * HOUR
    bad = np.zeros(n, bool)
    bad[tickets.loc[tickets["category"] != "other", "order"].to_numpy()] = True
    p = st.complaint_rate * (1 + 3 * late + 3 * bad)
    delay = np.where(rng.random(n) < 0.9, rng.uniform(1 / 24, 13, n), rng.uniform(14, 20, n)) * DAY
    created = np.floor(o["paid"] + delay)
    chosen = np.flatnonzero((rng.random(n) < p) & (created < end))
    kinds = np.array(["投诉", "平台求助", "仲裁"], dtype=object)[_draw(rng, [0.55, 0.4, 0.05], len(chosen))]
    c = pd.DataFrame({"order": chosen, "created_at": created[chosen], "kind": kinds}).sort_values("created_at", kind="stable")
    c["complaint_id"] = _num_text(20_260_000_000 + np.arange(len(c)) * 37, "TS").to_numpy()
    return c.reset_index(drop=True)


def _reviews(st: Story, o: dict, subs: pd.DataFrame, tickets: pd.DataFrame, end: float, n_reviews: int | None, rng) -> pd.DataFrame:
    """Reviews after signing (virtual goods: after payment); defects drag the scores down."""
    n = len(o["paid"])
    base = np.where(o["virtual"], o["paid"] + DAY, o["signed"])
    created = np.floor(base + np.minimum(rng.exponential(2.5, n) + 0.05, 14.5) * DAY)
    ok = np.flatnonzero(~np.isnan(base) & (created < end) & ~o["cancelled"])
    count = n_reviews if n_reviews is not None else rng.binomial(len(ok), st.review_rate)
    chosen = _pick(rng, ok, int(count))
    late = (o["signed"] > o["promised_delivery"])[chosen]
    defect = np.isin(chosen, tickets.loc[tickets["category"] != "other", "order"].to_numpy()) | (late & (rng.random(len(chosen)) < 0.3))
    m = len(chosen)
    score = np.where(defect, _draw(rng, [0.35, 0.25, 0.2, 0.1, 0.1], m), _draw(rng, st.scores, m)) + 1.0
    three = rng.random(m) < st.three_score_share
    logistics = np.where(late, _draw(rng, [.2, .2, .3, .2, .1], m), _draw(rng, [.01, .01, .03, .15, .8], m)) + 1.0
    service = np.clip(score + rng.integers(-1, 2, m), 1, 5)
    group = np.where(score <= 2, 0, np.where(score == 3, 1, 2))
    content = np.empty(m, dtype=object)
    for g in range(3):
        content[group == g] = _texts(rng, st.review_bank[g], int((group == g).sum()))
    first = subs[subs["pos"] == 0].set_index("parent")
    r = pd.DataFrame({
        "order": chosen, "created_at": created[chosen], "product_score": score,
        "logistics_score": np.where(three, logistics, np.nan), "service_score": np.where(three, service, np.nan),
        "content": content, "product": o["product"][chosen], "spec": np.asarray(st.specs, dtype=object)[first.loc[chosen, "spec"].to_numpy()],
        "replied": rng.random(m) < 0.4,
    })
    r = r.sort_values(["created_at", "order"], kind="stable").reset_index(drop=True)
    r["review_id"] = _num_text(7_400_000_000_000_000_000 + np.arange(m) * 7_919)
    return r


def _penalties(st: Story, o: dict, tickets: pd.DataFrame, t0: float, end: float, rng) -> pd.DataFrame:
    rows = []
    for kind, count in st.penalties:
        pool = tickets["order"].to_numpy() if kind == "异常售后地址" and len(tickets) else np.arange(len(o["paid"]))
        when = np.floor(t0 + rng.uniform(0.2, 0.98, count) * (end - t0))
        rows.append(pd.DataFrame({"occurred_at": when, "kind": kind, "order": rng.choice(pool, count)}))
    p = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({"occurred_at": [], "kind": [], "order": []})
    p = p.sort_values("occurred_at", kind="stable").reset_index(drop=True)
    p["penalty_id"] = _num_text(8_800_000 + np.arange(len(p)) * 131, "WG")
    return p


# ---------------------------------------------------------------- 飞鸽 sessions and messages
def _session_buyers(o: dict, start: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Pre-sale consults (the buyer pays within 72 h), post-sale consults and browsers who never buy."""
    s, paid = len(start), o["paid"]
    kind = _draw(rng, [0.45, 0.3, 0.25], s)
    after = np.searchsorted(paid, start + rng.uniform(0.05, 48, s) * HOUR)
    before = np.searchsorted(paid, start - rng.uniform(1, 8, s) * DAY) - 1
    idx = np.where(kind == 0, after, np.where(kind == 1, before, -1))
    ok = (idx >= 0) & (idx < len(paid))
    ok &= np.where(kind == 0, paid[np.clip(idx, 0, len(paid) - 1)] - start < 72 * HOUR, True)
    buyer = np.where(ok, o["buyer"][np.clip(idx, 0, len(paid) - 1)], 1_900_000_000 + rng.integers(0, 10**8, s))
    return buyer, np.where(ok, idx, -1)


def _session_plan(st: Story, o: dict, t0: float, days: int, first_day: int, n_sessions: int, rng) -> dict:
    """Per session: start, buyer, fate (0 pure robot, 1 answered by a human, 2 transferred, never answered), agent."""
    s = n_sessions
    daily = np.bincount(((o["paid"] - t0) // DAY).astype(int), minlength=days)[:days] + max(len(o["paid"]) / days, 1)
    daily[:first_day] = 0  # before the 飞鸽 export period
    day = _draw(rng, daily, s)
    start = np.sort(np.floor(t0 + day * DAY + _hours(rng, IM_HOURS, s) * HOUR))
    fate = _draw(rng, [st.robot_only, 1 - st.robot_only - st.abandoned, st.abandoned], s)
    h = _hour_of(start)
    night = (h >= 23) | (h < 8)
    fate = np.where((fate == 1) & night & (st.night_agent is None) & (rng.random(s) < 0.5), 2, fate)
    names = [f"{st.shop_name}-{a}" for a, _ in st.agents]  # 客服账号 店铺名-昵称
    agent = rng.integers(0, len(names), s)
    if st.night_agent:
        names.append(f"{st.shop_name}-{st.night_agent}")
        agent = np.where(night, len(names) - 1, agent)
    medians = np.array([m for _, m in st.agents] + ([90.0] if st.night_agent else []))
    buyer, order = _session_buyers(o, start, rng)
    return {"start": start, "fate": fate, "night": night, "agent": agent, "agent_names": names,
            "agent_median": medians[agent], "buyer": buyer, "order": order, "n_rx": 1 + _draw(rng, [0.6, 0.3, 0.1], s)}


class _Texts:
    """Phrases as integer codes, cheap to sort and copy for millions of messages; decoded once at the end."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.items)
            self.items.append(text)
        return self.index[text]

    def pick(self, rng, bank: tuple[str, ...], n: int) -> np.ndarray:
        codes = np.array([self.code(t) for t in bank], dtype=np.int32)
        return codes[rng.integers(0, len(codes), n)]



ROLES = ("buyer", "agent", "robot_assist", "robot", "system")
BUYER, AGENT, ASSIST, ROBOT, SYSTEM = range(5)


def _robot_phase(st: Story, plan: dict, texts: _Texts, rng) -> tuple[list[dict], np.ndarray]:
    """Welcome, buyer ↔ robot exchanges, and for human sessions the 转人工 request and the transfer notice."""
    start, n_rx, human = plan["start"], plan["n_rx"], plan["fate"] > 0
    s = len(start)
    par, pos = _expand(n_rx)
    gap = np.where(pos == 0, rng.integers(2, 8, len(par)), rng.integers(5, 45, len(par))).astype(float)
    reply = rng.integers(1, 3, len(par)).astype(float)
    buyer_t = start[par] + _cumsum_before(gap + reply, n_rx) + gap
    robot_end = start + np.bincount(par, weights=gap + reply, minlength=s)
    ask = robot_end + rng.integers(3, 20, s)
    transfer = np.where(human, ask + 1, np.nan)
    hs = np.flatnonzero(human)
    msgs = [
        {"session": np.arange(s), "t": start, "role": SYSTEM, "content": texts.code(f"欢迎光临{st.shop_name}，请问有什么可以帮您？")},
        {"session": par, "t": buyer_t, "role": BUYER, "content": texts.pick(rng, st.buyer_bank, len(par))},
        {"session": par, "t": buyer_t + reply, "role": ROBOT, "content": texts.pick(rng, st.robot_bank, len(par))},
        {"session": hs, "t": ask[hs], "role": BUYER, "content": texts.code("转人工")},
        {"session": hs, "t": transfer[hs], "role": SYSTEM, "content": texts.code("已为您转接人工客服，请稍候")},
    ]
    return msgs, transfer


def _human_phase(st: Story, plan: dict, transfer: np.ndarray, texts: _Texts, rng) -> tuple[list[dict], dict]:
    """Rounds of buyer messages and the reply that closes each (or none); returns messages and session facts."""
    fate, s = plan["fate"], len(plan["fate"])
    n_rounds = np.where(fate == 1, np.minimum(rng.geometric(0.4, s), 6), np.where(fate == 2, 1 + (rng.random(s) < 0.4), 0))
    sp, rpos = _expand(n_rounds)
    r = len(sp)
    last = rpos == n_rounds[sp] - 1
    k = 1 + _draw(rng, [0.6, 0.3, 0.1], r)
    bp, bpos = _expand(k)
    bgap = np.where(bpos == 0, 0.0, rng.integers(3, 40, len(bp)))
    span = np.bincount(bp, weights=bgap, minlength=r)
    evening = (_hour_of(transfer) >= 19) & (_hour_of(transfer) < 23)
    slow = np.where(evening, st.evening_slowdown, 1.0)
    queue = np.floor(_lognormal(rng, st.queue_seconds * slow, 0.8, s))
    latency = _lognormal(rng, plan["agent_median"][sp] * slow[sp], 0.7, r) + np.where(rpos == 0, queue[sp], 0)
    assist = rng.random(r) < st.assist_share
    latency = np.where(assist, span + rng.integers(1, 4, r), np.maximum(np.round(latency), span + 2))
    first_gap = rng.integers(2, 15, s).astype(float)
    overnight = plan["night"][sp] & (rpos == 0) & (st.night_agent is None)
    round0 = transfer[sp] + first_gap[sp]
    latency = np.where(overnight, _next_open(round0) - round0 + rng.integers(60, 1800, r), latency)
    answered = (fate[sp] == 1) & ~(last & (rng.random(r) < st.last_round_unanswered))
    extra = answered & ~assist & (rng.random(r) < 0.3)
    extra_gap = rng.integers(5, 40, r).astype(float)
    think = rng.integers(15, 240, r).astype(float)
    dur = np.where(answered, latency + np.where(extra, extra_gap, 0), span) + think
    rstart = transfer[sp] + first_gap[sp] + _cumsum_before(dur, n_rounds)
    reply_t = rstart + latency
    ignored = texts.pick(rng, _UNANSWERED, len(bp))
    buyer_text = np.where((fate[sp] == 2)[bp], ignored, texts.pick(rng, st.buyer_bank, len(bp)))
    a, e = np.flatnonzero(answered), np.flatnonzero(extra)
    msgs = [
        {"session": sp[bp], "t": rstart[bp] + np.cumsum(bgap) - np.repeat(np.cumsum(span) - span, k), "role": BUYER, "content": buyer_text},
        {"session": sp[a], "t": reply_t[a], "role": np.where(assist[a], ASSIST, AGENT),
         "content": np.where(assist[a], texts.pick(rng, _ASSIST, len(a)), texts.pick(rng, st.agent_bank, len(a)))},
        {"session": sp[e], "t": reply_t[e] + extra_gap[e], "role": AGENT, "content": texts.pick(rng, _EXTRA, len(e))},
    ]
    worst = np.zeros(s)
    np.maximum.at(worst, sp, np.where(answered, latency, 10_000))
    first_reply = np.full(s, np.nan)
    first_reply[sp[rpos == 0]] = reply_t[rpos == 0]
    return msgs, {"queue": queue, "worst": worst, "first_reply": first_reply}


def _im(st: Story, o: dict, t0: float, days: int, end: float, n_messages: int | None, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """飞鸽 message log and session table; exactly ``n_messages`` rows when given (then over the whole period)."""
    first_day = 0 if n_messages is not None or st.im_days is None else max(days - st.im_days, 0)
    if n_messages is None:
        n_sessions = round(int((o["paid"] >= t0 + first_day * DAY).sum()) * st.sessions_per_order)
    else:
        n_sessions = n_messages // 6 + 50  # more than needed; trimmed below
    texts = _Texts()
    plan = _session_plan(st, o, t0, days, first_day, n_sessions, rng)
    robot_msgs, transfer = _robot_phase(st, plan, texts, rng)
    human_msgs, facts = _human_phase(st, plan, transfer, texts, rng)
    m = _assemble_messages(robot_msgs + human_msgs, end)
    if n_messages is not None:
        m = _trim_messages(m, n_messages, rng)
    _plant_pii(m, plan, texts, rng)
    sessions = _session_table(st, plan, transfer, facts, end, rng)
    sessions = sessions[np.isin(sessions["session"].to_numpy(), m["session"])].reset_index(drop=True)
    return _messages_frame(m, plan, texts), _sessions_frame(sessions, plan["agent_names"])


def _assemble_messages(parts: list[dict], end: float) -> dict[str, np.ndarray]:
    """Concatenate the message parts (numeric columns), order by (session, time), censor at the export moment."""
    cols = {}
    for c, dtype in (("session", np.int64), ("t", np.float64), ("role", np.int8), ("content", np.int32)):
        cols[c] = np.concatenate([np.broadcast_to(np.asarray(p[c], dtype=dtype), len(p["session"])) for p in parts])
    order = np.lexsort((cols["t"], cols["session"]))
    order = order[cols["t"][order] < end]
    return {c: v[order] for c, v in cols.items()}


def _trim_messages(m: dict[str, np.ndarray], n: int, rng) -> dict[str, np.ndarray]:
    """Exactly ``n`` messages: whole sessions drawn at random, plus the first messages of one more."""
    sizes = np.bincount(m["session"])
    order = rng.permutation(np.flatnonzero(sizes))
    total = np.cumsum(sizes[order])
    k = int(np.searchsorted(total, n, side="right"))
    keep = np.isin(m["session"], order[:k])
    short = n - (int(total[k - 1]) if k else 0)
    if short and k < len(order):
        part = m["session"] == order[k]
        keep |= part & (np.cumsum(part) <= short)
    return {c: v[keep] for c, v in m.items()}


def _session_table(st: Story, plan: dict, transfer: np.ndarray, facts: dict, end: float, rng) -> pd.DataFrame:
    fate = plan["fate"]
    s = len(fate)
    accepted = fate == 1
    assigned = np.where(accepted, np.minimum(transfer + facts["queue"], facts["first_reply"] - rng.integers(1, 30, s)), np.nan)
    assigned = np.where(accepted & plan["night"] & (st.night_agent is None), facts["first_reply"] - rng.integers(5, 60, s), assigned)
    assigned = np.maximum(assigned, transfer)
    worst = facts["worst"]
    grade = np.where(worst <= 120, 0, np.where(worst <= 600, 1, 2))
    probs = np.array([[.01, .01, .03, .15, .80], [.05, .05, .15, .30, .45], [.30, .20, .20, .15, .15]]).cumsum(axis=1)
    rating = (rng.random(s)[:, None] > probs[grade]).sum(axis=1) + 1.0
    rated = accepted & (rng.random(s) < st.rating_share)
    return pd.DataFrame({
        "session": np.arange(s), "buyer": plan["buyer"], "started_at": plan["start"],
        "transferred_at": _censor(transfer, end), "queued_at": _censor(transfer, end), "assigned_at": _censor(assigned, end),
        "agent": np.where(accepted, plan["agent"], -1),
        "rating": np.where(rated & (facts["first_reply"] < end), rating, np.nan),
    })


def _plant_pii(m: dict[str, np.ndarray], plan: dict, texts: _Texts, rng) -> None:
    """A few buyer messages carrying phone numbers, a buyer ID and an address (for PII-masking tests)."""
    buyer_rows = np.flatnonzero((m["role"] == BUYER) & (m["content"] != texts.code("转人工")))
    if len(buyer_rows) < 4:
        return
    rows = _pick(rng, buyer_rows, 4)
    phones = [str(p) + f"{n:08d}" for p, n in zip(rng.choice(PHONE_PREFIXES, 3), rng.integers(0, 10**8, 3), strict=True)]
    pii = [f"我的手机号是{phones[0]}，麻烦尽快发货", f"收件人改成王芳，电话{phones[1]}",
           f"我的用户ID是{plan['buyer'][m['session'][rows[2]]]}，帮我查下订单", f"地址改成浙江省杭州市西湖区文三路88号，手机{phones[2]}"]
    m["content"][rows] = [texts.code(t) for t in pii]


def _messages_frame(m: dict[str, np.ndarray], plan: dict, texts: _Texts) -> pd.DataFrame:
    session, role = m["session"], m["role"]
    agent_code = np.where(np.isin(role, [AGENT, ASSIST]), plan["agent"][session], -1)
    return pd.DataFrame({
        "session_id": _num_text(7_300_000_000_000_000 + session * 1_031), "message_id": _num_text(7_310_000_000_000_000 + np.arange(len(session)) * 17),
        "sent_at": _dt(m["t"]), "sender_role": _pick_text(ROLES, role),
        "buyer_id": _num_text(plan["buyer"][session]), "agent_id": _pick_text(plan["agent_names"], agent_code),
        "content": _pick_text(texts.items, m["content"]),
    })


def _sessions_frame(s: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "session_id": _num_text(7_300_000_000_000_000 + s["session"].to_numpy() * 1_031), "buyer_id": _num_text(s["buyer"]),
        **_times(s, ["started_at", "transferred_at", "queued_at", "assigned_at"]),
        "agent_id": _pick_text(names, s["agent"].to_numpy()), "rating": s["rating"].to_numpy(),
    })


# ---------------------------------------------------------------- the public generator
def generate_shop(story: str, start: date, days: int, seed: int, n_orders: int | None = None, *,
                  n_messages: int | None = None, n_after_sales: int | None = None, n_reviews: int | None = None) -> dict[str, pd.DataFrame]:
    """Canonical tables of one synthetic shop; the same arguments always give the same tables.

    ``n_orders`` (distinct orders) defaults to the story's orders/day × ``days``; ``n_messages``,
    ``n_after_sales`` and ``n_reviews`` force exact row counts (the benchmark shop), otherwise the
    story's rates apply. Every timestamp is before ``start + days`` (the export moment).
    """
    st = STORIES[story]
    rng = np.random.default_rng(seed)
    t0 = _secs(start)
    end = t0 + days * DAY
    o = _order_level(st, t0, days, round(st.orders_per_day * days) if n_orders is None else n_orders, rng)
    counts = _ticket_counts(st, len(o["paid"]), n_after_sales, rng)
    _choose_cancelled(o, int(counts[0]), end, rng)
    o["pickup"] = _pickups(st, o, rng)
    ship = _shipments(st, o, end, rng)
    subs = _sub_orders(st, o, rng)
    tickets = _after_sales(st, o, subs, counts, end, rng)
    complaints = _complaints(st, o, tickets, end, rng)
    reviews = _reviews(st, o, subs, tickets, end, n_reviews, rng)
    penalties = _penalties(st, o, tickets, t0, end, rng)
    messages, sessions = _im(st, o, t0, days, end, n_messages, rng)
    return _finish(st, o, subs, ship, tickets, complaints, reviews, penalties, messages, sessions, end)


def _finish(st, o, subs, ship, tickets, complaints, reviews, penalties, messages, sessions, end) -> dict[str, pd.DataFrame]:
    """Turn the working arrays into canonical frames (IDs as text, times as datetime64)."""
    oid = _num_text(o["order_id"])
    take = lambda idx: oid.iloc[np.asarray(idx, dtype=np.int64)].reset_index(drop=True)  # noqa: E731
    names = np.array([p.name for p in st.catalog], dtype=object)
    pids = np.array([str(3_591_000_000_000_000_000 + 104_729 * (i + 1) + zlib.crc32(p.name.encode()) % 10**6) for i, p in enumerate(st.catalog)], dtype=object)
    return {
        "orders": _orders_frame(st, o, subs, tickets, names, pids, end),
        "shipments": pd.DataFrame({"order_id": take(ship["order_id"]),
                                   "waybill_no": _pick_text([c[1] for c in CARRIERS], ship["carrier"]) + _num_text(ship["number"]),
                                   "carrier": _pick_text([c[0] for c in CARRIERS], ship["carrier"]),
                                   **_times(ship, ["picked_up_at", "signed_at", "promised_delivery_at"])}),
        "after_sales": _tickets_frame(tickets, take(tickets["order"]), names, pids),
        "complaints": pd.DataFrame({"complaint_id": complaints["complaint_id"].to_numpy(), "order_id": take(complaints["order"]),
                                    "created_at": _dt(complaints["created_at"].to_numpy()), "kind": complaints["kind"].to_numpy()}),
        "im_messages": messages,
        "im_sessions": sessions,
        "reviews": pd.DataFrame({"review_id": reviews["review_id"].to_numpy(), "order_id": take(reviews["order"]),
                                 "created_at": _dt(reviews["created_at"].to_numpy()),
                                 **{c: reviews[c].to_numpy(dtype="float64") for c in ("product_score", "logistics_score", "service_score")},
                                 "content": reviews["content"].to_numpy(), "product_id": pids[reviews["product"].to_numpy()],
                                 "product_name": names[reviews["product"].to_numpy()], "spec": reviews["spec"].to_numpy(),
                                 "replied": reviews["replied"].to_numpy()}),
        "penalties": pd.DataFrame({"penalty_id": penalties["penalty_id"].to_numpy(), "occurred_at": _dt(penalties["occurred_at"].to_numpy()),
                                   "kind": penalties["kind"].to_numpy(), "order_id": take(penalties["order"])}),
    }


def _times(frame: pd.DataFrame, cols: list[str]) -> dict[str, pd.Series]:
    return {c: _dt(frame[c].to_numpy(dtype=float)) for c in cols}


ORDER_STATUS = ("已关闭", "已完成", "已发货", "待发货")
ORDER_TYPES = ("普通订单", "预售订单", "虚拟商品订单")


def _orders_frame(st, o, subs, tickets, names, pids, end) -> pd.DataFrame:
    p = subs["parent"].to_numpy()
    product = subs["product"].to_numpy()
    refunded = np.zeros(len(o["paid"]), bool)
    refunded[tickets.loc[tickets["refunded_at"].notna(), "order"].to_numpy()] = True
    status, completed = _order_status(o, end)
    order_type = np.where(o["presale"], 1, np.where(o["virtual"], 2, 0))
    return pd.DataFrame({
        "order_id": _num_text(o["order_id"][p]), "sub_order_id": _num_text(subs["sub_order_id"]),
        "created_at": _dt(o["created"][p]), "paid_at": _dt(o["paid"][p]), "status": _pick_text(ORDER_STATUS, status[p]),
        "order_type": _pick_text(ORDER_TYPES, order_type[p]), "is_presale": o["presale"][p], "is_virtual": o["virtual"][p],
        "promised_ship_at": _dt(o["promised_ship"][p]), "shipped_at": _dt(o["shipped"][p]), "amount": subs["amount"].to_numpy(),
        "buyer_id": _num_text(o["buyer"][p]), "province": _pick_text([x[0] for x in PROVINCES], o["province"][p]),
        "product_id": _pick_text(pids, product), "product_name": _pick_text(names, product),
        # export-only columns
        "spec": _pick_text(st.specs, subs["spec"]), "quantity": subs["quantity"].to_numpy(), "goods_amount": subs["goods_amount"].to_numpy(),
        "discount": subs["discount"].to_numpy(), "completed_at": _dt(completed[p]),
        "promised_delivery_at": _dt(o["promised_delivery"][p]), "after_sale_status": _pick_text(["退款成功"], np.where(refunded[p], 0, -1)),
    })


def _order_status(o: dict, end: float) -> tuple[np.ndarray, np.ndarray]:
    """订单状态 (code into ORDER_STATUS) at the export moment and 订单完成时间 (auto-confirmed 7 days after signing)."""
    completed = _censor(np.where(o["virtual"], o["paid"] + 120, o["signed"] + 7 * DAY), end)
    status = np.where(o["cancelled"], 0, np.where(~np.isnan(completed), 1, np.where(~np.isnan(o["shipped"]), 2, 3)))  # ORDER_STATUS
    return status, np.where(o["cancelled"], np.nan, completed)


def _tickets_frame(t: pd.DataFrame, order_id: pd.Series, names, pids) -> pd.DataFrame:
    cols = ["applied_at", "agreed_at", "rejected_at", "return_shipped_at", "return_signed_at", "refunded_at", "completed_at", "closed_at"]
    return pd.DataFrame({
        "after_sale_id": t["after_sale_id"].to_numpy(), "order_id": order_id, "sub_order_id": _num_text(t["sub_order_id"]),
        "type": t["kind"].map(TYPE_CODES).to_numpy(), "shipped_before_apply": (t["kind"] != "unshipped").to_numpy(), "status": t["status"].to_numpy(),
        "reason": t["reason"].to_numpy(), "reason_tag": t["reason_tag"].to_numpy(), **_times(t, cols),
        "arbitration_status": t["arbitration_status"].to_numpy(), "liable_party": t["liable_party"].to_numpy(),
        "refund_amount": t["refund_amount"].to_numpy(),
        # export-only columns
        "category": t["category"].to_numpy(), "fast_refund": t["fast"].to_numpy(), "product_id": pids[t["product"].to_numpy()],
        "product_name": names[t["product"].to_numpy()],
    })


def canonical(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Only the SPEC §3 columns of each table (drops the export-only helper columns)."""
    return {name: frame[[c for c in frame.columns if c in TABLES[name].columns]] for name, frame in tables.items()}


# ---------------------------------------------------------------- real export formats
ORDER_COLUMNS = (  # 订单导出, domain-rules §5.1, in the backend's order
    "主订单编号", "子订单编号", "支付方式", "选购商品", "货号", "商品ID", "商家编码", "商品数量", "商品金额", "订单提交时间", "支付完成时间",
    "订单完成时间", "承诺发货时间", "预约发货时间", "买家留言", "旗帜颜色", "商家备注", "APP渠道", "订单状态", "取消原因", "售后状态",
    "订单类型", "发货时间", "车型", "是否是以旧换新", "换新额外补贴", "换新额外补贴发放状态", "订单应付金额", "运费", "优惠总金额",
    "平台优惠", "商家优惠", "达人优惠", "商家改价", "支付优惠", "手续费", "红包抵扣", "降价类优惠", "平台实际承担优惠金额",
    "商家实际承担优惠金额", "达人实际承担优惠金额", "收件人", "收件人手机号", "省", "市", "区", "街道", "详细地址", "是否修改过地址",
    "快递信息", "序列号", "达人ID", "达人昵称", "拼团订单团编号", "商品单价是否含税", "税费", "鲁班落地页ID", "所属门店ID", "流量来源",
    "仓库ID", "仓库名称", "是否安心购", "广告渠道", "流量类型", "流量体裁", "流量渠道", "发货主体", "发货主体明细", "教育优惠",
    "预计送达时间", "是否平台仓自流转", "是否是渠道商品", "预约送达时间", "建议发货时间（起）", "建议发货时间（止）",
)
ORDER_EXTRA_COLUMNS = ("是否预售", "是否虚拟", "买家ID")  # not in the 75; aliases in columns.yaml
AFTER_SALE_COLUMNS = (  # 售后单导出, domain-rules §5.2
    "售后单号", "订单号", "商品单号", "商品名称", "商品ID", "应付金额（元）", "商品运费（元）", "支付优惠（元）", "商品税费（元）",
    "商品发货状态", "售后类型", "退商品金额（元）", "退运费金额（元）", "退支付优惠（元）", "退税费金额（元）", "售后状态", "售后申请时间",
    "退款方式", "是否已上传退款凭证", "售后原因", "售后原因标签", "退货物流单号", "退货异常", "退货发货时间", "退货物流公司",
    "自动处理截止时间", "同意售后申请时间", "商家退款时间", "用户到账时间", "售后关闭时间", "商家退货地址", "商家退货联系人姓名",
    "商家退货联系人电话", "仲裁状态", "纠纷责任方", "是否极速退款", "是否拒签后退款", "发货物流单号", "发货物流状态", "换货物流单号",
    "退货物流状态", "售后完结时间", "订单备注", "用户售后说明", "售后备注", "操作人", "协商记录", "换货商品信息", "商家编码", "门店名称",
)
AFTER_SALE_EXTRA_COLUMNS = ("退货签收时间", "拒绝售后申请时间")  # not in the 50; aliases in columns.yaml
FILE_NAMES = {
    "after_sales": "售后单导出.csv", "reviews": "评价导出.xlsx", "shipments": "物流包裹明细.csv", "im_messages": "飞鸽聊天记录.csv",
    "im_sessions": "飞鸽会话明细.csv", "complaints": "投诉与平台求助.csv", "penalties": "差行为违规记录.csv",
}
TIME_FORMAT, SLASH_FORMAT = "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"
GARBAGE_TIME = "0000-00-00 00:00:00"


def _fmt_time(s: pd.Series, fmt: str = TIME_FORMAT) -> pd.Series:
    return s.dt.strftime(fmt).astype(object).where(s.notna(), "-")


def _fmt_money(x) -> pd.Series:
    """129 -> '129.00' (money as text, the way the backend writes it); NaN -> '-'."""
    x = pd.Series(x, dtype="float64")
    cents = np.round(x.fillna(0).to_numpy() * 100).astype(np.int64)
    text = _num_text(cents // 100) + "." + _num_text(cents % 100).str.zfill(2)
    return text.astype(object).where(x.notna().to_numpy(), "-")


def _fmt_id(s: pd.Series, prefix: str = "\t") -> pd.Series:
    s = pd.Series(s, dtype=object)
    return (prefix + s.astype(str)).where(s.notna(), "-")


def _fmt_score(s: pd.Series) -> pd.Series:
    text = _num_text(s.fillna(0).to_numpy()).astype(object)
    return text.where(s.notna().to_numpy(), "-").set_axis(s.index)


def _text(s) -> pd.Series:
    s = pd.Series(s, dtype=object)
    return s.where(s.notna(), "-")


def _yes_no(flag) -> np.ndarray:
    return np.where(np.asarray(flag, dtype=bool), "是", "否")


def _dash_frame(columns: tuple[str, ...], n: int) -> pd.DataFrame:
    return pd.DataFrame({c: np.full(n, "-", dtype=object) for c in columns})


def orders_export(orders: pd.DataFrame) -> pd.DataFrame:
    """订单导出: the 75 backend columns in order (unmodelled ones '-'), then 是否预售 / 是否虚拟 / 买家ID."""
    out = _dash_frame(ORDER_COLUMNS + ORDER_EXTRA_COLUMNS, len(orders))
    fill = {
        "主订单编号": _fmt_id(orders["order_id"]), "子订单编号": _fmt_id(orders["sub_order_id"]),
        "选购商品": _text(orders["product_name"]), "商品ID": _fmt_id(orders["product_id"]), "商品数量": orders["quantity"].astype(str),
        "商品金额": _fmt_money(orders["goods_amount"]), "订单提交时间": _fmt_time(orders["created_at"]),
        "支付完成时间": _fmt_time(orders["paid_at"]), "订单完成时间": _fmt_time(orders["completed_at"]),
        "承诺发货时间": _fmt_time(orders["promised_ship_at"]), "订单状态": _text(orders["status"]),
        "售后状态": _text(orders["after_sale_status"]), "订单类型": _text(orders["order_type"]), "发货时间": _fmt_time(orders["shipped_at"]),
        "订单应付金额": _fmt_money(orders["amount"]), "优惠总金额": _fmt_money(orders["discount"]),
        "商家优惠": _fmt_money(orders["discount"]), "省": _text(orders["province"]), "预计送达时间": _fmt_time(orders["promised_delivery_at"]),
        "是否预售": _yes_no(orders["is_presale"]), "是否虚拟": _yes_no(orders["is_virtual"]), "买家ID": _text(orders["buyer_id"]),
    }
    for col, values in fill.items():
        out[col] = np.asarray(values, dtype=object)
    return out


def after_sales_export(t: pd.DataFrame) -> pd.DataFrame:
    """售后单导出: the 50 backend columns, then 退货签收时间 / 拒绝售后申请时间."""
    out = _dash_frame(AFTER_SALE_COLUMNS + AFTER_SALE_EXTRA_COLUMNS, len(t))
    returned = t["return_shipped_at"].notna()
    fill = {
        "售后单号": _fmt_id(t["after_sale_id"]), "订单号": _fmt_id(t["order_id"]), "商品单号": _fmt_id(t["sub_order_id"]),
        "商品名称": _text(t["product_name"]), "商品ID": _fmt_id(t["product_id"]), "应付金额（元）": _fmt_money(t["paid_amount"]),
        "商品运费（元）": "0.00", "支付优惠（元）": "0.00", "商品税费（元）": "0.00",
        "商品发货状态": np.where(t["shipped_before_apply"], "已发货", "未发货"), "售后类型": t["type"].map(TYPE_LABELS),
        "退商品金额（元）": _fmt_money(t["refund_amount"]), "退运费金额（元）": "0.00", "退支付优惠（元）": "0.00", "退税费金额（元）": "0.00",
        "售后状态": _text(t["status"]), "售后申请时间": _fmt_time(t["applied_at"]), "退款方式": "原路退回", "是否已上传退款凭证": "否",
        "售后原因": _text(t["reason"]), "售后原因标签": _text(t["reason_tag"]),
        "退货物流单号": _fmt_id(t["return_waybill"]), "退货发货时间": _fmt_time(t["return_shipped_at"]),
        "退货物流公司": np.where(returned, "中通快递", "-"), "自动处理截止时间": _fmt_time(t["applied_at"] + pd.Timedelta(hours=48)),
        "同意售后申请时间": _fmt_time(t["agreed_at"]), "商家退款时间": _fmt_time(t["refunded_at"]),
        "用户到账时间": _fmt_time(t["refunded_at"] + pd.Timedelta(seconds=90)), "售后关闭时间": _fmt_time(t["closed_at"]),
        "仲裁状态": _text(t["arbitration_status"]), "纠纷责任方": _text(t["liable_party"]), "是否极速退款": _yes_no(t["fast_refund"]),
        "是否拒签后退款": "否", "退货物流状态": np.where(t["return_signed_at"].notna(), "已签收", np.where(returned, "运输中", "-")),
        "售后完结时间": _fmt_time(t["completed_at"]), "退货签收时间": _fmt_time(t["return_signed_at"]),
        "拒绝售后申请时间": _fmt_time(t["rejected_at"]),
    }
    for col, values in fill.items():
        out[col] = np.asarray(values, dtype=object) if np.ndim(values) else values
    return out


def reviews_export(r: pd.DataFrame) -> pd.DataFrame:
    """评价导出 (XLSX columns of domain-rules §5.4, plus the seed-era 物流/服务 sub-scores)."""
    score = r["product_score"]
    return pd.DataFrame({
        "评价日期": _fmt_time(r["created_at"]), "订单ID": _text(r["order_id"]), "商品ID": _text(r["product_id"]),
        "商品名称": _text(r["product_name"]), "商品规格": _text(r["spec"]), "商品评价得分": _fmt_score(score),
        "物流评价得分": _fmt_score(r["logistics_score"]), "服务评价得分": _fmt_score(r["service_score"]), "评价内容": _text(r["content"]),
        "用户昵称": "匿名用户", "评价等级": np.where(score >= 4, "好评", np.where(score == 3, "中评", "差评")),
        "商家是否回复": np.where(r["replied"], "已回复", "-"),
    })


def _simple_export(table: str, f: pd.DataFrame, fmt: str, id_prefix: str) -> pd.DataFrame:
    """Shipments, 飞鸽 logs, complaints and penalties: Chinese headers that are aliases in columns.yaml."""
    t = lambda c: _fmt_time(f[c], fmt)  # noqa: E731
    if table == "shipments":
        return pd.DataFrame({"订单号": _fmt_id(f["order_id"], id_prefix), "快递单号": _text(f["waybill_no"]), "快递公司": _text(f["carrier"]),
                             "揽收时间": t("picked_up_at"), "签收时间": t("signed_at"), "预计送达时间": t("promised_delivery_at")})
    if table == "im_messages":
        return pd.DataFrame({"会话ID": _text(f["session_id"]), "消息ID": _text(f["message_id"]), "发送时间": t("sent_at"),
                             "发送方": f["sender_role"].map(ROLE_LABELS), "用户ID": _text(f["buyer_id"]), "客服账号": _text(f["agent_id"]),
                             "消息内容": _text(f["content"])})
    if table == "im_sessions":
        return pd.DataFrame({"会话ID": _text(f["session_id"]), "用户ID": _text(f["buyer_id"]), "会话开始时间": t("started_at"),
                             "转人工时间": t("transferred_at"), "进入排队时间": t("queued_at"), "接入时间": t("assigned_at"),
                             "客服账号": _text(f["agent_id"]), "评价星级": _fmt_score(f["rating"])})
    if table == "complaints":
        return pd.DataFrame({"投诉单号": _text(f["complaint_id"]), "订单号": _fmt_id(f["order_id"], id_prefix), "投诉时间": t("created_at"),
                             "投诉类型": _text(f["kind"]), "处理状态": "已完结"})
    if table == "penalties":
        return pd.DataFrame({"违规编号": _text(f["penalty_id"]), "违规时间": t("occurred_at"), "违规类型": _text(f["kind"]),
                             "订单号": _fmt_id(f["order_id"], id_prefix)})
    raise ValueError(table)


# ---------------------------------------------------------------- dirty rows
def _plant_dirty(tables: dict[str, pd.DataFrame], dirty: dict[str, int], rng) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Append bad rows (new keys, so the clean data stays intact); returns the tables and the garbage-date order rows.

    The duplicated order rows are made by the order-file split (:func:`_write_orders`).
    """
    t = {k: v.copy() for k, v in tables.items()}
    orders, ship = t["orders"], t["shipments"]
    paid = orders.groupby("order_id")["paid_at"].min()
    new_order_ids = lambda n, step: (int(orders["order_id"].astype("int64").max()) + step * (1 + np.arange(n))).astype(str)  # noqa: E731
    n = dirty.get("unparseable_required", 0)
    recent = np.flatnonzero((orders["paid_at"] >= orders["paid_at"].quantile(0.7)).to_numpy())  # lands in the newer order file
    garbage = orders.iloc[_pick(rng, recent, n)].copy()
    garbage["order_id"] = new_order_ids(n, 4_000)
    garbage["sub_order_id"] = (garbage["order_id"].astype("int64") + 1).astype(str)
    signed = ship[ship["signed_at"].notna()]
    bad_ship = []
    for reason, shift in (("picked_up_before_paid", -6.0), ("signed_before_picked_up", 20.0)):
        rows = signed.iloc[_pick(rng, np.arange(len(signed)), dirty.get(reason, 0))].copy()
        rows["picked_up_at"] = rows["order_id"].map(paid).to_numpy() + pd.Timedelta(hours=shift)
        rows["signed_at"] = rows["picked_up_at"] + pd.Timedelta(hours=-5 if shift > 0 else 40)
        rows["promised_delivery_at"] = rows["picked_up_at"] + pd.Timedelta(hours=72)
        rows["carrier"] = "中通快递"
        bad_ship.append(rows)
    bad_ship = pd.concat(bad_ship, ignore_index=True)
    bad_ship["waybill_no"] = [f"78{200_000_000_000 + 7_919 * (i + 1)}" for i in range(len(bad_ship))]
    t["shipments"] = pd.concat([ship, bad_ship], ignore_index=True)
    t["after_sales"] = pd.concat([t["after_sales"], _bad_tickets(t["after_sales"], dirty.get("aftersale_event_before_applied", 0), rng)], ignore_index=True)
    t["reviews"] = pd.concat([t["reviews"], _bad_reviews(t["reviews"], orders, dirty, rng)], ignore_index=True)
    return t, garbage


def _bad_tickets(tickets: pd.DataFrame, n: int, rng) -> pd.DataFrame:
    """Tickets refunded before they were applied for."""
    pool = tickets[tickets["refunded_at"].notna() & (tickets["type"] == "refund_only")]
    rows = pool.iloc[_pick(rng, np.arange(len(pool)), n)].copy()
    rows["applied_at"] = rows["refunded_at"] + pd.Timedelta(hours=2)
    rows["agreed_at"] = pd.NaT
    rows["after_sale_id"] = (tickets["after_sale_id"].astype("int64").max() + 1_000 * (1 + np.arange(len(rows)))).astype(str)
    return rows


def _bad_reviews(reviews: pd.DataFrame, orders: pd.DataFrame, dirty: dict[str, int], rng) -> pd.DataFrame:
    """A product score of 6, and reviews of an order missing from the orders export (older than its period)."""
    out = reviews.iloc[_pick(rng, np.arange(len(reviews)), dirty.get("score_out_of_range", 0))].copy()
    out["product_score"] = 6.0
    out["created_at"] += pd.Timedelta(seconds=37)
    orphans = reviews.iloc[_pick(rng, np.arange(len(reviews)), dirty.get("orphan", 0))].copy()
    orphans["order_id"] = (int(orders["order_id"].astype("int64").min()) - 160_000 * (1 + np.arange(len(orphans)))).astype(str)
    orphans["product_score"] = 5.0
    return pd.concat([out, orphans], ignore_index=True)


# ---------------------------------------------------------------- writing a shop folder
def _write_csv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8-sig") -> Path:
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
    return path


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet: str, stamp: pd.Timestamp) -> Path:
    """XLSX whose bytes depend only on the data (fixed document and zip-entry timestamps)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + iso, body)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            out.writestr(entry, body)
    return path


def _export_moment(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The morning after the latest event: when the merchant pressed 导出."""
    latest = max(f[c].max() for f in tables.values() for c in f.columns
                 if pd.api.types.is_datetime64_any_dtype(f[c]) and c not in ("promised_ship_at", "promised_delivery_at") and f[c].notna().any())
    return latest.normalize() + pd.Timedelta(days=1, hours=9, minutes=17, seconds=23)


def _write_orders(orders: pd.DataFrame, garbage: pd.DataFrame, folder: Path, n_dup: int, export_at: pd.Timestamp, rng) -> list[Path]:
    """Two overlapping 订单导出 files (``n_dup`` rows in both); the second has a backend-style name."""
    rows = orders_export(orders.sort_values(["paid_at", "sub_order_id"], kind="stable"))
    cut = len(rows) * 3 // 5
    older, newer = rows.iloc[: cut + n_dup], rows.iloc[cut:]
    bad = orders_export(garbage)
    bad["支付完成时间"] = GARBAGE_TIME
    newer = pd.concat([newer, bad], ignore_index=True)
    paid = orders["paid_at"].sort_values()
    first, last = paid.iloc[0], paid.iloc[min(cut + n_dup, len(paid)) - 1]
    name1 = f"订单导出_{first:%Y%m%d}-{last:%Y%m%d}.csv"
    stamp = int((export_at - pd.Timedelta(hours=8)).timestamp())  # Unix time of the export (UTC)
    name2 = f"{stamp}_{int(rng.integers(0, 16**6)):06x}.csv"
    return [_write_csv(older.iloc[::-1], folder / name1), _write_csv(newer.iloc[::-1], folder / name2)]  # newest first, like the backend


def write_export_folder(tables: dict[str, pd.DataFrame], folder: str | Path, shop_name: str, *, config: dict | None = None,
                        dirty: dict[str, int] | None = None, seed: int = 0, quirks: dict[str, str] | None = None) -> dict[str, int]:
    """Write one shop's tables as the backend's export files and plant dirty rows.

    ``dirty`` maps a data-quality reason to how many rows to plant (default: 2 duplicated order rows
    across the two overlapping order files, 1 of each other kind). ``quirks`` maps a table to
    ``"gb18030"`` (encoding) or ``"slash"`` (``YYYY/MM/DD HH:MM`` times and apostrophe-prefixed IDs).
    Returns the data-quality counts a correct loader reports for the folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    dirty = dict(_DIRTY) if dirty is None else dict(dirty)
    quirks = quirks or {}
    tickets = tables["after_sales"].copy()
    waybills = _num_text(300_000_000_000 + np.arange(len(tickets)) * 7_919, "78").to_numpy()
    tickets["return_waybill"] = np.where(tickets["return_shipped_at"].notna(), waybills, None)
    tickets["paid_amount"] = tickets["order_id"].map(tables["orders"].drop_duplicates("order_id").set_index("order_id")["amount"])
    tables = {**tables, "after_sales": tickets}
    data, garbage = _plant_dirty(tables, dirty, rng)
    export_at = _export_moment(tables)
    _write_orders(data["orders"], garbage, folder, dirty.get("duplicate_key", 0), export_at, rng)
    _write_csv(after_sales_export(data["after_sales"]), folder / FILE_NAMES["after_sales"])
    _write_xlsx(reviews_export(data["reviews"]), folder / FILE_NAMES["reviews"], "评价导出", export_at)
    for table in ("shipments", "im_messages", "im_sessions", "complaints", "penalties"):
        slash = quirks.get(table) == "slash"
        frame = _simple_export(table, data[table], SLASH_FORMAT if slash else TIME_FORMAT, "'" if slash else "\t")
        _write_csv(frame, folder / FILE_NAMES[table], "gb18030" if quirks.get(table) == "gb18030" else "utf-8-sig")
    config = {"name": shop_name, **(config or {})}
    (folder / "shop.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return {k: v for k, v in sorted(dirty.items()) if v}


# ---------------------------------------------------------------- the demo root and the benchmark shop
DEMO_QUIRKS = {"flagship": {}, "struggling": {"shipments": "gb18030"}, "growth": {"shipments": "slash", "penalties": "slash"}}


def _shop_seed(seed: int, shop_id: str) -> int:
    return seed ^ zlib.crc32(shop_id.encode())


# ---------------------------------------------------------------- backend readings (SPEC §6.1)
# The 抖店 page as the demo's "platform" shows it: every shop scored with douyin_2026 whose unpublished
# numbers differ from the shipped assumptions (reconcile.demo_readings.DEMO_TRUTH), read on
# BACKEND_READINGS as-of dates BACKEND_EVERY days apart, ending on the default as-of date.
BACKEND_READINGS, BACKEND_EVERY = 10, 9
BACKEND_FILE = "backend.csv"
# what a real page and a hand copy add, one of each where the shop's data allows it
BACKEND_PLANTED = {"flagship": ("latency", "missing_orders"), "struggling": ("typo",), "growth": ()}
_MISSING_ORDER_KEYS = ("product.quality_return_rate", "logistics.quality_return_rate", "service.platform_help_rate")


def backend_dates(start: date = DEMO_START, days: int = DEMO_DAYS) -> pd.DatetimeIndex:
    """The as-of dates of the demo readings: every BACKEND_EVERY days back from the default as-of date."""
    last = pd.Timestamp(start) + pd.Timedelta(days=days)
    return pd.date_range(end=last, periods=BACKEND_READINGS, freq=f"{BACKEND_EVERY}D")


def write_backend_readings(root: str | Path, dates: pd.DatetimeIndex, now: pd.Timestamp) -> dict[str, list[str]]:
    """Write ``<root>/<shop>/backend.csv`` for the demo shops (their exports already written); returns
    what was planted per shop: a page a day late (``latency``), a rate whose denominator counts orders
    the exports lack (``missing_orders``), a value copied with two digits swapped (``typo``)."""
    from .reconcile.demo_readings import page_of, true_profile, write_readings
    from .shop import load_shop

    root, truth, planted = Path(root), true_profile(), {}
    for shop_id in SHOP_IDS:
        shop = load_shop(root, shop_id, now=now)
        pages = {day: page_of(shop, truth, day) for day in dates}
        notes = []
        for kind in BACKEND_PLANTED.get(shop_id, ()):
            note = _PLANTERS[kind](shop, truth, pages, dates)
            if note:
                notes.append(note)
        rows = [dict(r, shop_id=shop_id) for day in dates for r in pages[day]]
        write_readings(pd.DataFrame(rows, columns=["as_of", "key", "value", "score", "shop_id"]), root / shop_id / BACKEND_FILE)
        planted[shop_id] = notes
    return planted


def _plant_latency(shop, truth, pages: dict, dates) -> str | None:
    """The page of the second-to-last reading day still shows the day before (统计截至 not yet moved)."""
    from .reconcile.demo_readings import page_of

    day = dates[-2]
    before = page_of(shop, truth, day - pd.Timedelta(days=1))
    if [r["value"] for r in before] == [r["value"] for r in pages[day]]:
        return None
    pages[day] = [dict(r, as_of=f"{day:%Y-%m-%d}") for r in before]
    return f"{day:%Y-%m-%d}: the whole page shows the day before (data latency)"


def _truth_row(shop, truth, day, key):
    from .reconcile.reconcile import page_report

    report = page_report(shop, pd.Timestamp(day), truth)
    row = report.scorecard.indicators.set_index("key").loc[key]
    return report.results[key], row


def _plant_missing_orders(shop, truth, pages: dict, dates) -> str | None:
    """On the third-to-last reading day, a rate counted over a few more orders than the exports hold
    (same numerator), its tier and score unchanged."""
    from .reconcile.demo_readings import printed
    from .scoring.tiers import tier_score

    day = dates[-3]
    for key in _MISSING_ORDER_KEYS:
        result, row = _truth_row(shop, truth, day, key)
        if not result.numerator or not result.denominator or row["method"] != "tiers":
            continue
        n, d = int(result.numerator), int(result.denominator)
        for k in range(2, max(4, d // 10)):
            value = n / (d + k)
            same_tier = tier_score(value, row["cutoffs"], row["direction"], truth["tiers"]["scores"]) == row["score"]
            if same_tier and printed(value, "ratio") != printed(n / d, "ratio"):
                zh = row["zh"]
                for r in pages[day]:
                    if r["key"] == zh:
                        r["value"] = printed(value, "ratio")
                return f"{day:%Y-%m-%d}: {zh} counted over {k} orders more than the exports hold ({n}/{d + k}, ours {n}/{d})"
    return None


def _plant_typo(shop, truth, pages: dict, dates) -> str | None:
    """On the fourth-to-last reading day, 飞鸽平均响应时长 copied with two digits swapped (same tier)."""
    from .reconcile.demo_readings import printed
    from .scoring.tiers import tier_score

    day = dates[-4]
    key = "service.im_avg_response_seconds"
    result, row = _truth_row(shop, truth, day, key)
    if result.value is None:
        return None
    text = printed(result.value, "seconds")
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    for a, b in zip(digits, digits[1:], strict=False):
        if text[a] == text[b] or b != a + 1:
            continue
        typo = text[:a] + text[b] + text[a] + text[b + 1:]
        if tier_score(float(typo.rstrip("s")), row["cutoffs"], row["direction"], truth["tiers"]["scores"]) == row["score"]:
            for r in pages[day]:
                if r["key"] == row["zh"]:
                    r["value"] = typo
            return f"{day:%Y-%m-%d}: {row['zh']} copied as {typo} (the page showed {text})"
    return None


_PLANTERS = {"latency": _plant_latency, "missing_orders": _plant_missing_orders, "typo": _plant_typo}


def make_demo(root: str | Path, start: date = DEMO_START, days: int = DEMO_DAYS, seed: int = DEMO_SEED) -> dict[str, dict[str, int]]:
    """Write ``<root>/<shop_id>/`` for the three stories (exports, shop.yaml and the backend page's readings);
    returns the planted data-quality counts per shop."""
    root = Path(root)
    planted = {}
    for shop_id in SHOP_IDS:
        st = STORIES[shop_id]
        folder = root / shop_id
        if folder.is_dir():  # stale exports (the backend-style file name changes with the data)
            for old in folder.iterdir():
                if old.is_file() and old.suffix.lower() in (".csv", ".xlsx", ".yaml"):
                    old.unlink()
        tables = generate_shop(shop_id, start, days, _shop_seed(seed, shop_id))
        planted[shop_id] = write_export_folder(
            tables, folder, st.shop_name, config={"industry": st.industry, "shop_type": st.shop_type},
            dirty=dict(st.dirty), seed=_shop_seed(seed, shop_id) + 1, quirks=DEMO_QUIRKS.get(shop_id),
        )
    dates = backend_dates(start, days)
    readings = write_backend_readings(root, dates, now=pd.Timestamp(start) + pd.Timedelta(days=days + 3))
    (root / "README.md").write_text(_demo_readme(planted, start, days, seed, readings, dates), encoding="utf-8")
    return planted


def _demo_readme(planted: dict[str, dict[str, int]], start: date, days: int, seed: int,
                 readings: dict[str, list[str]] | None = None, dates: pd.DatetimeIndex | None = None) -> str:
    end = pd.Timestamp(start) + pd.Timedelta(days=days - 1)
    lines = [
        "# Demo shops (synthetic)", "",
        f"Generated by `python -m shopscore_nb.demo data/demo` (seed {seed}); do not edit by hand.",
        f"Data covers {start:%Y-%m-%d} – {end:%Y-%m-%d}; the default as-of date is {end + pd.Timedelta(days=1):%Y-%m-%d}.",
        "Files are in the backend's own export formats (see `shopscore_nb/demo.py`).", "",
        "| shop | name | industry | type | story |", "|---|---|---|---|---|",
        "| flagship | 悦衣旗舰店 | 女装 | 旗舰 | healthy, ~40 orders/day, fast 飞鸽 replies (night agent) |",
        "| struggling | 鲜味坊零食铺 | 食品饮料 | 非旗舰 | ~20 orders/day, slow replies 19–23 h, late pickups, quality refunds |",
        "| growth | 云岭茶舍 | 茶 | 通用 | growth stage, < 30 orders in the last 30 days |", "",
        "Export quirks on purpose: every shop has two overlapping 订单导出 files (one with a backend-style",
        "`<unix time>_<hash>.csv` name) and a 评价导出 XLSX; the 飞鸽 exports of flagship and struggling cover",
        "only the last 90 days; struggling's 物流 file is GB18030; growth's 物流 and 违规 files use",
        "`YYYY/MM/DD HH:MM` times and apostrophe-prefixed order IDs.", "",
        "Planted data-quality problems (what `load_shop(...).quality_counts()` must report):", "",
    ]
    for shop_id, counts in planted.items():
        lines.append(f"- `{shop_id}`: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if readings is not None and dates is not None:
        lines += [
            "", f"Backend readings (`{BACKEND_FILE}`, SPEC §6.1): what the 抖店 商家体验分 page shows on {len(dates)} as-of dates,",
            f"{dates[0]:%Y-%m-%d} – {dates[-1]:%Y-%m-%d} every {BACKEND_EVERY} days, when the platform scores with douyin_2026 but with",
            "its own unpublished numbers (dimension weights 0.45/0.25/0.30, product 0.8/0.2, logistics 0.2/0.6/0.2, other",
            "default cut-offs: `shopscore_nb/reconcile/demo_readings.py` DEMO_TRUTH). `shopscore reconcile data/demo --shop flagship`",
            "explains the differences; `shopscore calibrate data/demo --base-profile douyin_2026 --out calibrated.yaml` fits what",
            "the readings pin. Planted on purpose:", "",
        ]
        for shop_id, notes in readings.items():
            lines.append(f"- `{shop_id}`: " + ("; ".join(notes) if notes else "none"))
    return "\n".join(lines) + "\n"


def make_benchmark_shop(folder: str | Path, seed: int = DEMO_SEED, *, n_orders: int = 1_000_000, n_messages: int = 2_000_000,
                        n_after_sales: int = 100_000, n_reviews: int = 300_000, days: int = 120,
                        start: date = date(2026, 6, 1)) -> dict[str, int]:
    """The SPEC §10 scale shop as canonical-header Parquet files (one per table); returns row counts."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = canonical(generate_shop("flagship", start, days, seed, n_orders, n_messages=n_messages,
                                     n_after_sales=n_after_sales, n_reviews=n_reviews))
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return {name: len(frame) for name, frame in tables.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopscore_nb.demo", description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", default="data/demo", help="demo data root to (re)write (default data/demo)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--benchmark", metavar="FOLDER", help="write the SPEC §10 benchmark shop (Parquet) here instead")
    parser.add_argument("--orders", type=int, default=1_000_000, help="benchmark orders (default 1,000,000)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.benchmark:
        scale = args.orders / 1_000_000
        rows = make_benchmark_shop(args.benchmark, args.seed, n_orders=args.orders, n_messages=round(2_000_000 * scale),
                                   n_after_sales=round(100_000 * scale), n_reviews=round(300_000 * scale))
        print(f"benchmark shop in {args.benchmark}: {rows}")
    else:
        planted = make_demo(args.root, seed=args.seed)
        for shop_id, counts in planted.items():
            print(f"{args.root}/{shop_id}: planted {counts}")
    print(f"done in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
