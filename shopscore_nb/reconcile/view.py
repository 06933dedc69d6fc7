"""What notebook ``07_reconcile`` shows (SPEC §6.1, §7): the backend page beside the recomputed score, why
each difference, the days in a chart, and the calibration the readings of the data root's shops allow.

The notebook's cells only call these; every number comes from :mod:`.reconcile` and :mod:`.calibrate`::

    params = nb.validate_parameters(data_dir=..., shop_id=..., as_of=..., profile=..., window_days=..., backend=...)
    view = rv.reconciliation(params)      # None-safe: a shop without readings says so, no error
    rv.summary(view)                      # plain text (the regression cell)
    rv.show_page(view); rv.show_keys(view); rv.figure(view); rv.show_calibration(rv.calibration(view))

``as_of`` (a notebook parameter): the readings up to that date; its page (or the latest reading day before
it) is the one shown in detail. Empty: every reading, the latest page in detail.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ParameterError, ShopscoreError
from ..escaping import md_text
from ..report import ShopReport, build_report
from ..shop import ShopData, shop_folder
from .readings import READINGS_FILE, ReadingsError
from .reconcile import Reconciliation, run_reconciliation

VERDICT_ZH = {"match": "一致", "explained": "已解释", "unexplained": "未解释"}


@dataclass
class ReconcileView:
    params: object
    shop: ShopData
    report: ShopReport                 # under the profile the readings were reconciled with (header, data quality)
    rec: Reconciliation | None         # None: no readings (message says why)
    readings_file: Path
    backend: str = ""                  # the notebook's ``backend`` parameter ('' = the shop folder's backend.csv)
    message: str = ""

    @property
    def day(self) -> pd.Timestamp | None:
        """The as-of date of the page shown in detail (the latest reading day up to ``as_of``)."""
        return self.rec.days()[-1] if self.rec is not None else None


def _open(data_dir, shop_id: str) -> ShopData:
    from ..store import open_shop  # through the parse cache in batch runs (SHOPSCORE_CACHE)

    return open_shop(data_dir, shop_id)


def reconciliation(params) -> ReconcileView:
    """Load the shop and its readings and reconcile them (see the module docstring). A ``backend`` file that
    does not exist is a parameter error; a shop without readings gives a view whose ``rec`` is None."""
    backend = str(getattr(params, "extra", {}).get("backend") or "").strip()
    if backend and not Path(backend).is_file():
        raise ParameterError(f"invalid notebook parameters:\n  - backend: file '{backend}' not found (relative paths start at {Path.cwd()})")
    shop = _open(params.data_dir, params.shop_id)
    file = Path(backend) if backend else shop_folder(params.data_dir, params.shop_id) / READINGS_FILE
    rec, message = None, ""
    if not file.is_file():
        message = (f"店铺没有后台读数 no backend readings for this shop: put the 抖店 page's readings in "
                   f"<code>{READINGS_FILE}</code> in the shop folder (or pass <code>backend</code>) to reconcile.")
    else:
        try:
            rec = run_reconciliation(params.data_dir, params.shop_id, backend=backend or None, profile=params.profile,
                                     as_of=(None, params.as_of) if params.as_of is not None else None,
                                     window_days=params.window_days, adapt_profile=True, shop=shop)
        except ReadingsError as exc:
            if "no reading" not in str(exc):  # a malformed file: its error names the line
                raise
            message = f"没有可对账的读数 no readings to reconcile: {md_text(exc)}"
    if rec is not None:  # the page of the detail day, already computed (the header and data quality need no more)
        report = rec.reports.get(rec.days()[-1])
    else:
        report = build_report(shop, as_of=params.as_of, profile=params.profile, window_days=params.window_days)
    return ReconcileView(params, shop, report, rec, file, backend, message)


# ---------------------------------------------------------------- display
def _show(*objs) -> None:
    from IPython.display import display

    display(*objs)


def _md(text: str) -> None:
    from IPython.display import Markdown

    _show(Markdown(text))


def summary(view: ReconcileView) -> None:
    """Plain text for the regression cell: shop, as-of, profile, readings and the verdict counts."""
    as_of = view.params.as_of if view.params.as_of is not None else view.day
    head = f"shop={view.shop.shop_id} as_of={'' if as_of is None else f'{as_of:%Y-%m-%d}'}"
    if view.rec is None:
        print(f"{head} readings=0 (no backend readings to reconcile)")
        return
    rec, days = view.rec, view.rec.days()
    print(f"{head} profile={rec.profile.get('name')} readings={len(rec.table)} days={len(days)} "
          f"({days[0]:%Y-%m-%d} … {days[-1]:%Y-%m-%d})")
    counts = rec.counts
    print("verdicts: " + ", ".join(f"{k} {counts[k]}" for k in ("match", "explained", "unexplained")))
    for key, n in rec.per_key().set_index("key")["unexplained"].items():
        if n:
            print(f"unexplained: {key} x{n}")


def _no_readings(view: ReconcileView) -> bool:
    if view.rec is None:
        _md(view.message)
        return True
    return False


def _page_meta(view: ReconcileView) -> dict:
    """The facts the HTML export titles the page with (shop · page · as-of), in the output's metadata
    (the key ``shopscore`` the presentation layer's HTML export reads)."""
    ctx = view.report.ctx
    return {"shopscore": {"shop": str(view.shop.config.get("name") or view.shop.shop_id), "shop_id": view.shop.shop_id,
                          "as_of": f"{ctx.as_of:%Y-%m-%d}", "profile": str(ctx.profile.get("name"))}}


def show_page(view: ReconcileView) -> None:
    """The page of the detail day: each reading beside the recomputed value and score, the difference,
    the tier change and the verdict."""
    from IPython.display import Markdown, display

    rec = view.rec
    if rec is None:
        display(Markdown(view.message), metadata=_page_meta(view))
        return
    note = f"**规则 profile**: {md_text(rec.profile_note)}.\n\n" if rec.profile_note else ""
    display(Markdown(f"{note}**后台页面 the backend page, as of {view.day:%Y-%m-%d}** (统计截至 {view.day - pd.Timedelta(days=1):%Y-%m-%d}) — "
                     f"{len(rec.days())} 个读数日 reading days in all"), metadata=_page_meta(view))
    _show(rec.page(view.day))


def show_keys(view: ReconcileView) -> None:
    """Per indicator over every reading day: matches, the explanations found, the unexplained; then every
    unexplained reading with its numbers."""
    if _no_readings(view):
        return
    keys = view.rec.per_key().rename(columns={
        "key": "key", "zh": "指标 indicator", "readings": "读数 readings", "match": "一致 match", "explained": "已解释 explained",
        "unexplained": "未解释 unexplained", "explanations": "原因 explanations"}).set_index("key")
    _show(keys)
    t = view.rec.table
    bad = t[t["verdict"] == "unexplained"]
    if bad.empty:
        _md("**未解释的读数 unexplained readings**: 无 none — every difference has a reason above.")
        return
    _md(f"**未解释的读数 unexplained readings** ({len(bad)}): check the copy against the page, then the definitions.")
    _show(pd.DataFrame({
        "日期 as of": pd.to_datetime(bad["as_of"]).dt.strftime("%Y-%m-%d"), "指标 indicator": bad["zh"],
        "后台值 backend": bad["value_text"], "后台得分 backend score": bad["score_text"],
        "重算值 ours": [("" if pd.isna(v) else f"{v:.6g}") for v in bad["ours_value"]],
        "重算得分 our score": [("" if pd.isna(v) else f"{v:g}") for v in bad["ours_score"]],
        "行 line": bad["line"], "说明 note": bad["explanation"]}).reset_index(drop=True))


def figure(view: ReconcileView):
    """Recomputed against backend, day by day: the total and the three dimensions (a Figure), or None."""
    from .. import plots

    if _no_readings(view):
        return None
    return plots.backend_vs_recomputed(view.rec.series())


# ---------------------------------------------------------------- calibration of the data root's shops
@dataclass
class CalibrationView:
    result: object | None              # reconcile.calibrate.Calibration
    message: str = ""
    command: str = ""
    shop_id: str = ""                  # the page's shop: the only one named (a per-shop page shows no other shop's data)


def calibration(view: ReconcileView) -> CalibrationView:
    """Pool the readings of every shop of the data root that has them (or of the ``backend`` file) and
    calibrate the profile the readings were reconciled with. Reuses this shop's reports."""
    from .calibrate import calibrate_folder

    if view.rec is None:
        return CalibrationView(None, view.message)
    base = view.rec.profile_arg
    command = f"shopscore calibrate {view.params.data_dir} --base-profile {base}" + (f" --backend {view.backend}" if view.backend else "") \
        + " --out calibrated.yaml"
    try:
        cal = calibrate_folder(view.params.data_dir, base, backend=view.backend or None, loaded={view.shop.shop_id: view.shop},
                               reports={view.shop.shop_id: view.rec.reports})
    except ShopscoreError as exc:  # too few or contradictory readings, another shop's file: said, not raised
        others = [p.name for p in Path(view.params.data_dir).iterdir() if p.is_dir() and p.name != view.shop.shop_id]
        return CalibrationView(None, f"无法校准 nothing calibrated: {md_text(_anonymous(str(exc), others))}", command, view.shop.shop_id)
    return CalibrationView(cal, "", command, view.shop.shop_id)


def _anonymous(text: str, others) -> str:
    """``text`` with every other shop's id replaced by 'another shop' (SPEC §9: a shop's page names no other shop)."""
    for other in sorted({str(o) for o in others if str(o)}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(other)}(?![\w-])", "another shop", text)
    return text


STATUS_ZH = {"calibrated": "已校准 calibrated", "moved": "已移动 moved (仍是假设)", "assumption": "仍是假设 assumption"}


def show_calibration(cv: CalibrationView) -> None:
    """What the pooled readings pin, what they move and what stays an assumption, with the reasons."""
    if cv.result is None:
        _md(cv.message)
        return
    cal = cv.result
    info, counts = cal.profile.get("calibration") or {}, cal.counts()
    others = [s for s in info.get("shops") or [] if s != cv.shop_id]
    pooled = (f"{len(others) + 1} 家店铺 shops (this one and {len(others)} other(s) of the data root, not named here)" if others
              else "this shop alone")
    _md(f"从 **{info.get('readings')}** 条读数校准 calibrated from {info.get('readings')} readings of {pooled} "
        f"({' … '.join(info.get('dates') or [])}), base {md_text(info.get('base_profile'))}, tier set {md_text(info.get('tier_set'))}: "
        f"**{counts['calibrated']}** 个数字被读数确定 pinned, **{counts['moved']}** 个假设被移动 moved to agree, "
        f"**{counts['assumption']}** 个仍是假设 left as assumptions.")
    table = cal.table()
    _show(pd.DataFrame({
        "数字 number": table["number"], "原假设 base": table["base"].map(lambda x: f"{float(x):.6g}"),
        "校准值 value": table["value"].map(lambda x: f"{float(x):.6g}"),
        "区间 interval": [_interval(lo, hi) for lo, hi in zip(table["lo"], table["hi"], strict=True)],
        "读数 readings": table["readings"], "状态 status": table["status"].map(STATUS_ZH), "说明 note": table["note"]}).set_index("数字 number"))
    if cal.problems:
        _md("**未能确定 not pinned or not fitted**\n\n" + "\n".join(f"- {md_text(_anonymous(p, others))}" for p in cal.problems))
    if len(cal.contradictions):
        c = cal.contradictions
        own = c[c["shop_id"] == cv.shop_id]
        _md(f"**矛盾的读数 readings no cut-off explains** ({len(c)}, {len(own)} of this shop, listed): evidence that a definition differs.")
        if len(own):
            _show(pd.DataFrame({"日期 as of": pd.to_datetime(own["as_of"]).dt.strftime("%Y-%m-%d"), "指标 key": own["key"],
                                "值 value": own["value_text"], "得分 score": own["score_text"], "行 line": own["line"],
                                "原因 reason": own["reason"]}).reset_index(drop=True))
    if cv.command:
        _md(f"写出校准后的规则 write the calibrated profile: <code>{html.escape(cv.command)}</code>, then render with "
            "<code>--profile calibrated.yaml</code>; "
            "its reports list the calibrated numbers and their evidence where the assumptions were.")


def _interval(lo, hi) -> str:
    def num(x, inf):
        return inf if x is None or pd.isna(x) or abs(float(x)) == float("inf") else f"{float(x):.6g}"

    return f"[{num(lo, '−∞')}, {num(hi, '∞')}]"
