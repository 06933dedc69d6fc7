"""The rendered pages in a real browser (issue 11 #8): Chromium driven by Playwright opens the struggling demo
shop's pages at 1400×900 and checks what the three readers need: the total, the missed lines and the fixes on
the first screen; nothing requested from outside the machine; no NaN / NaT / <NA> / None in the visible text;
title and lang. With ``SHOPSCORE_SCREENSHOTS=DIR`` the screenshots are saved for review (``make screenshots``).

Chromium: ``$SHOPSCORE_CHROMIUM``, else ``chromium`` on the PATH (Debian's package, which ``.ci/run`` installs);
Playwright's own browser download is not used. Without a browser the tests skip and say why.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
PAGES = ["00_overview", "04_customer_service", "10_training"]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", "--disable-dev-shm-usage"]
MISSING = re.compile(r"\bNaN\b|\bNaT\b|<NA>|\bNone\b")


def _chromium() -> str | None:
    return os.environ.get("SHOPSCORE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


pytestmark = pytest.mark.skipif(_chromium() is None, reason="no Chromium on this machine (install Debian's chromium, or set SHOPSCORE_CHROMIUM)")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    from shopscore_nb.batch import run_batch

    out = tmp_path_factory.mktemp("pages")
    result = run_batch(DEMO, out, shops=["struggling"], notebooks=PAGES, progress=False, cache_dir=tmp_path_factory.mktemp("cache"))
    assert result.failed == [], result.failed
    return out / "struggling"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests


def _on_first_screen(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900


def _save(page, name: str, full: bool = False) -> None:
    folder = os.environ.get("SHOPSCORE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_offline_titled_and_clean(rendered, browser, name):
    page, requests = _open(browser, rendered / f"{name}.html")
    outside = [u for u in requests if not u.startswith(("file:", "data:", "about:"))]
    assert outside == [], outside
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    title = page.title()
    assert title.startswith("鲜味坊零食铺 · ") and title.endswith(" · 2026-10-29"), title
    assert page.locator("nav.ss-nav a[aria-current=page]").count() == 1
    text = page.inner_text("body")
    assert MISSING.findall(text) == [], MISSING.findall(text)[:10]
    _save(page, f"struggling_{name}")
    if os.environ.get("SHOPSCORE_SCREENSHOTS_FULL"):
        _save(page, f"struggling_{name}_full", full=True)
    page.close()


def test_the_overview_first_screen_answers_a_manager(rendered, browser):
    page, _ = _open(browser, rendered / "00_overview.html")
    assert _on_first_screen(page, ".ss-card.ss-total")
    assert "3.71" in page.locator(".ss-card.ss-total").inner_text()
    assert _on_first_screen(page, ".ss-chip.ss-miss")  # the struggling shop misses 精选联盟
    assert "精选联盟" in page.locator(".ss-chip.ss-miss").first.inner_text()
    fixes = page.locator(".ss-fix")
    assert fixes.count() >= 3 and _on_first_screen(page, ".ss-fix >> nth=2")
    assert fixes.first.locator("a").get_attribute("href").endswith(".html")
    page.close()
