"""Alerts (issue 12): lines newly crossed since the previous as-of and forecast early warnings in alerts.json,
delivered through Apprise to a webhook on 127.0.0.1; no buyer data in the text; a failed delivery never fails the batch."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from shopscore_nb.batch import run_batch
from shopscore_nb.batch.alerts import build_alerts, expand, load_config, shop_text
from shopscore_nb.errors import LoadError

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
needs_demo = pytest.mark.skipif(not DEMO.is_dir(), reason="demo data missing")
pytest.importorskip("apprise")


class _Hook(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        n = int(self.headers.get("Content-Length") or 0)
        type(self).bodies.append(self.rfile.read(n))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _Hook.bodies
    server.shutdown()
    server.server_close()


def _config(tmp_path: Path, urls: list[str], **extra) -> Path:
    cfg = tmp_path / "alerts.yaml"
    lines = ["urls:"] + [f"  - {u!r}" for u in urls] + [f"{k}: {v}" for k, v in extra.items()]
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


@needs_demo
def test_a_crossed_line_reaches_the_webhook_without_buyer_data(tmp_path, webhook, monkeypatch):
    """growth's total falls from 70 to 60 between 2026-09-27 and 2026-09-28 under douyin_2026: 精选联盟 ≥ 70 is crossed."""
    port, bodies = webhook
    monkeypatch.setenv("SHOPSCORE_TEST_HOOK", f"json://127.0.0.1:{port}/")
    cfg = _config(tmp_path, ["${SHOPSCORE_TEST_HOOK}", "${SHOPSCORE_UNSET_VAR}", "json://127.0.0.1:1/"],
                  report_base_url="https://reports.example.com/daily/", warn_days=0)
    out = tmp_path / "out"
    common = {"shops": ["growth"], "profile": "douyin_2026", "metrics_only": True, "progress": False, "cache_dir": tmp_path / "cache"}
    run_batch(DEMO, out, as_of="2026-09-27", **common)
    result = run_batch(DEMO, out, as_of="2026-09-28", alerts=cfg, **common)
    assert result.failed == []
    alerts = json.loads((out / "alerts.json").read_text(encoding="utf-8"))
    growth = alerts["shops"][0]
    assert growth["shop_id"] == "growth" and growth["name"] == "云岭茶舍"
    crossed = {c["key"]: c for c in growth["crossed"]}
    assert crossed["alliance_total"]["gap"] == -10 and crossed["alliance_total"]["previous_as_of"] == "2026-09-27"
    # delivered once to the local hook; the unset variable and the dead port are reported, the batch goes on
    assert len(bodies) == 1
    body = json.loads(bodies[0])
    text = body["title"] + body["message"]
    assert "云岭茶舍" in text and "精选联盟" in text and "−10" in text
    assert "https://reports.example.com/daily/growth/" in text or "https://reports.example.com/daily/index.html" in text
    delivery = result.delivery
    assert [d["ok"] for d in delivery] == [True, False, False]
    assert "SHOPSCORE_UNSET_VAR" in delivery[1]["error"]
    batch = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert [d["ok"] for d in batch["delivery"]] == [True, False, False]
    assert str(port) not in json.dumps(batch["delivery"][1:])  # nothing about other targets leaks into the record
    # no buyer data: no order, buyer or message id of the shop and no phone number in what was sent
    from shopscore_nb import load_shop

    shop = load_shop(DEMO, "growth")
    ids = set(shop.tables["orders"]["order_id"].dropna()) | set(shop.tables["orders"].get("buyer_id", []).dropna())
    if "im_messages" in shop.tables:
        ids |= set(shop.tables["im_messages"]["buyer_id"].dropna())
    leaked = [x for x in ids if len(str(x)) >= 5 and str(x) in text]
    assert leaked == []
    import re

    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)


@needs_demo
def test_early_warnings_come_from_the_forecast(tmp_path):
    from shopscore_nb.batch.summary import shop_metrics

    m = shop_metrics(str(DEMO), "flagship", None, "douyin_2026", None, str(tmp_path / "cache"), warn_days=7)
    keys = {w["key"]: w for w in m["warnings"]}
    assert keys, "flagship at 80 sits on the 超级福袋 ≥ 80 line: the forecast sees it fall"
    for w in keys.values():
        assert 0 < w["in_days"] <= 7 and w["changes_on"] > m["report"]["as_of"]


def test_alert_text_holds_shop_line_gap_and_link_only():
    row = {"shop_id": "s1", "name": "店<b>", "folder": "s1", "status": "ok", "as_of": "2026-10-02", "profile": "douyin_2022", "total": 3.9,
           "change_prev": -0.2, "prev_as_of": "2026-10-01",
           "missed": [{"key": "alliance", "name": "精选联盟准入", "met": False, "value": 3.9, "threshold": 4.0, "gap": -0.1, "window_days": 90}],
           "prev_lines": [{"key": "alliance", "met": True, "value": 4.1}], "warnings": [],
           "record": {"notebooks": [{"notebook": "00_overview", "status": "ok", "output": "/x/s1/00_overview.ipynb"}]}}
    alerts = build_alerts([row], "/x", warn_days=7, base_url="https://r.example/")
    text = shop_text(alerts["shops"][0])
    assert "精选联盟准入" in text and "−0.1" in text and "https://r.example/s1/00_overview.html" in text and "s1" in text
    # a line already missed the day before is not "newly crossed"
    row["prev_lines"] = [{"key": "alliance", "met": False}]
    assert build_alerts([row], "/x", warn_days=7)["shops"] == []


def test_config_reads_urls_from_the_environment(tmp_path):
    cfg = load_config(_config(tmp_path, ["${HOOK}", "wecombot://literal"], warn_days=3))
    assert cfg["warn_days"] == 3 and cfg["urls"][0] == "${HOOK}"
    assert expand("${HOOK}/x", {"HOOK": "json://127.0.0.1:9"}) == ("json://127.0.0.1:9/x", None)
    assert expand("${HOOK}", {})[0] is None
    (tmp_path / "bad.yaml").write_text("urls: 3\n", encoding="utf-8")
    with pytest.raises(LoadError, match="urls"):
        load_config(tmp_path / "bad.yaml")
    with pytest.raises(LoadError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
