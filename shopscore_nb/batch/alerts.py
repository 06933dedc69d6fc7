"""Alerts of the morning run: ``alerts.json`` and, with ``batch --alerts CONFIG.yaml``, delivery through Apprise.

Per shop: the threshold lines **newly crossed** since the previous as-of in the history (met then, missed
now; a shop without an earlier row has nothing "new"), and the forecast's **early warnings** (a line met
today that the forecast sees crossed within ``warn_days`` days). The text names the shop, the line, the
value, the gap and the report link — aggregates only, never an order, buyer or message.

Delivery goes through Apprise (企业微信 ``wecombot://``, 钉钉 ``dingtalk://``, 飞书 ``feishu://``, e-mail
``mailtos://``, ``json://`` / ``form://`` webhooks, …). The YAML lists the URLs; ``${VAR}`` is replaced by the
environment variable, so secrets stay out of the file. A failed delivery is reported (log, ``batch.json``)
and never fails the batch.

>>> cfg = load_config("alerts.yaml")                      # doctest: +SKIP
>>> deliver(build_alerts(rows, warn_days=7), cfg)        # doctest: +SKIP
"""
from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import yaml

from ..errors import LoadError

log = logging.getLogger("shopscore.alerts")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DEFAULT_WARN_DAYS = 7
SHOPS_PER_MESSAGE = 20  # group robots cap a message's length and rate: long runs are split


# ---------------------------------------------------------------- configuration
def load_config(path) -> dict:
    """Read and check an alerts YAML (a ``LoadError``, exit 2, when it is missing or malformed). URLs keep their
    ``${VAR}`` placeholders here: they are filled from the environment only when delivering."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LoadError(f"--alerts {p}: cannot read the alerts config ({exc.strerror or exc}).") from None
    except yaml.YAMLError as exc:
        raise LoadError(f"--alerts {p}: not valid YAML ({exc}).") from None
    if not isinstance(raw, dict):
        raise LoadError(f"--alerts {p}: expected a mapping with 'urls:' (a list of Apprise URLs).")
    urls = raw.get("urls")
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise LoadError(f"--alerts {p}: 'urls' must be a non-empty list of Apprise URLs (e.g. wecombot://KEY, or ${{WECOM_URL}}).")
    warn = raw.get("warn_days", DEFAULT_WARN_DAYS)
    if not isinstance(warn, int) or isinstance(warn, bool) or not 0 <= warn <= 366:
        raise LoadError(f"--alerts {p}: warn_days must be a whole number of days (0–366), not {warn!r}.")
    base = raw.get("report_base_url")
    if base is not None and not isinstance(base, str):
        raise LoadError(f"--alerts {p}: report_base_url must be text (e.g. https://reports.example.com/shopscore/).")
    return {"urls": urls, "warn_days": warn, "report_base_url": base, "title": str(raw.get("title") or "商家体验分提醒"),
            "send_when_empty": bool(raw.get("send_when_empty", False)), "source": str(p)}


def expand(url: str, env=None) -> tuple[str | None, str | None]:
    """``url`` with every ``${VAR}`` from the environment; (None, problem) when a variable is not set."""
    env = os.environ if env is None else env
    missing = [m for m in _VAR.findall(url) if not env.get(m)]
    if missing:
        return None, f"environment variable {', '.join(missing)} not set"
    return _VAR.sub(lambda m: env[m.group(1)], url), None


# ---------------------------------------------------------------- what to say
def report_link(row: dict, out, base_url: str | None) -> str:
    """The shop's overview page (else the portfolio page): under ``base_url`` when configured, else a file URI."""
    pages = [Path(n["output"]).with_suffix(".html").name for n in row["record"].get("notebooks", [])
             if n.get("output") and n.get("status") in ("ok", "skipped", "kept")]
    page = next((p for p in pages if p.startswith("00_")), pages[0] if pages else None)
    parts = [row["folder"], page] if page else ["index.html"]
    if base_url:
        return base_url.rstrip("/") + "/" + "/".join(quote(x, safe="") for x in parts)
    return Path(out, *parts).resolve().as_uri()


def newly_crossed(row: dict) -> list[dict]:
    """Lines met at the previous as-of and missed now."""
    before = {ln["key"]: ln for ln in row.get("prev_lines") or []}
    out = []
    for ln in row["missed"]:
        was = before.get(ln["key"])
        if was is not None and was.get("met") is True:
            out.append({"key": ln["key"], "name": ln["name"], "metric": ln.get("metric"), "op": ln.get("op"), "value": ln.get("value"),
                        "threshold": ln.get("threshold"), "gap": ln.get("gap"), "window_days": ln.get("window_days"),
                        "previous_value": was.get("value"), "previous_as_of": row.get("prev_as_of")})
    return out


def build_alerts(rows: list[dict], out, warn_days: int, base_url: str | None = None) -> dict:
    """The ``alerts.json`` object: one entry per shop with something to say."""
    shops = []
    for row in rows:
        if row["status"] != "ok":
            continue
        crossed, warnings = newly_crossed(row), [w for w in row.get("warnings") or [] if w.get("in_days") is not None and w["in_days"] <= warn_days]
        if crossed or warnings:
            shops.append({"shop_id": row["shop_id"], "name": row["name"], "as_of": row["as_of"], "profile": row["profile"],
                          "total": row["total"], "change_prev": row["change_prev"], "report": report_link(row, out, base_url),
                          "crossed": crossed, "warnings": warnings})
    dates = sorted({r["as_of"] for r in rows if r.get("as_of")})
    return {"generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "as_of": dates[-1] if dates else None,
            "warn_days": warn_days, "shops": shops}


def _plain(text) -> str:
    return _CONTROL.sub(" ", str(text))


def _num(x) -> str:
    if x is None:
        return "–"
    return f"{x:.4g}"


def _signed(x) -> str:
    return "–" if x is None else ("+" if x > 0 else "−" if x < 0 else "") + f"{abs(x):.4g}"


def shop_text(shop: dict) -> str:
    """The lines of one shop's alert: shop, line, value / threshold, gap, window, report link."""
    head = f"【{_plain(shop['name'] or shop['shop_id'])}】{_plain(shop['shop_id'])} 体验分 {_num(shop['total'])}"
    if shop.get("change_prev") is not None:
        head += f" ({_signed(shop['change_prev'])})"
    lines = [head]
    for c in shop["crossed"]:
        lines.append(f"✗ 新跌破 {_plain(c['name'])}: {_num(c['value'])} / {_num(c['threshold'])} (gap {_signed(c['gap'])}, {c['window_days']}天)"
                     f"; 上期 {_num(c['previous_value'])} ({c['previous_as_of']})")
    for w in shop["warnings"]:
        lines.append(f"⚠ 预计 {w['changes_on']} 跌破 {_plain(w['name'])} (in {w['in_days']} d): today {_num(w['today'])}, "
                     f"then {_num(w['value_then'])} / {_num(w['threshold'])}")
    lines.append(f"报告 report: {shop['report']}")
    return "\n".join(lines)


def messages(alerts: dict, title: str) -> list[tuple[str, str]]:
    """(title, body) pairs, at most ``SHOPS_PER_MESSAGE`` shops each."""
    shops = alerts["shops"]
    chunks = [shops[i:i + SHOPS_PER_MESSAGE] for i in range(0, len(shops), SHOPS_PER_MESSAGE)] or [[]]
    out = []
    for k, chunk in enumerate(chunks, 1):
        part = f" ({k}/{len(chunks)})" if len(chunks) > 1 else ""
        body = "\n\n".join(shop_text(s) for s in chunk) or "no line newly crossed, no early warning."
        out.append((f"{title} {alerts.get('as_of') or ''}{part}".strip(), body))
    return out


# ---------------------------------------------------------------- delivery
def deliver(alerts: dict, config: dict, env=None) -> list[dict]:
    """Send the alerts to every configured URL; one record per URL (never raises, never prints a secret)."""
    if not alerts["shops"] and not config.get("send_when_empty"):
        return [{"target": "-", "ok": True, "sent": 0, "error": "", "note": "nothing to send"}]
    try:
        import apprise
    except ImportError as exc:  # pragma: no cover - apprise is a dependency
        return [{"target": "-", "ok": False, "sent": 0, "error": f"apprise is not installed ({exc})"}]
    report = []
    msgs = messages(alerts, config.get("title") or "商家体验分提醒")
    for i, raw in enumerate(config["urls"], 1):
        url, problem = expand(raw, env)
        label = f"urls[{i}]"
        if url is None:
            report.append({"target": label, "ok": False, "sent": 0, "error": problem})
            log.warning("alerts: %s not delivered: %s", label, problem)
            continue
        try:
            a = apprise.Apprise()
            if not a.add(url):
                report.append({"target": label, "ok": False, "sent": 0, "error": "not a URL Apprise understands"})
                log.warning("alerts: %s not delivered: not a URL Apprise understands", label)
                continue
            target = next(iter(a)).url(privacy=True).split("?")[0]
            sent, errors = 0, []
            with apprise.LogCapture(level=logging.WARNING) as captured:
                for title, body in msgs:
                    if a.notify(title=title, body=body):
                        sent += 1
                    else:
                        errors.append("notify failed")
                detail = captured.getvalue().strip()
            ok = sent == len(msgs)
            report.append({"target": target, "ok": ok, "sent": sent, "error": "" if ok else (detail.splitlines()[-1] if detail else "; ".join(errors))})
            if not ok:
                log.warning("alerts: delivery to %s failed: %s", target, report[-1]["error"])
        except Exception as exc:  # a broken plugin or network stack must not fail the batch
            report.append({"target": label, "ok": False, "sent": 0, "error": f"{type(exc).__name__}: {exc}"})
            log.warning("alerts: %s not delivered: %s: %s", label, type(exc).__name__, exc)
    return report


__all__ = ["DEFAULT_WARN_DAYS", "build_alerts", "deliver", "expand", "load_config", "messages", "newly_crossed", "report_link", "shop_text"]
