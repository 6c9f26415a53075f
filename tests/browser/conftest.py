"""The whole system as real processes, and Debian's Chromium driven by Playwright.

Chromium is the system's (``/usr/bin/chromium``, installed by the project's set-up), never a
downloaded browser. Without it the tests are skipped locally and fail under ``CI=true``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zhiyuan_cli.supervisor import System
from zhiyuan_platform.testing.servers import free_port

CHROMIUM = os.environ.get("ZHIYUAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _need_chromium() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} is absent (apt-get install chromium fonts-noto-cjk)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package is not installed")
    if missing:
        reason = "; ".join(missing)
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"browser tests need Chromium under CI: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    _need_chromium()
    root: Path = tmp_path_factory.mktemp("zhiyuan-browser")
    saved = {name: os.environ.get(name) for name in ("ZHIYUAN_DATA_DIR", "ZHIYUAN_NOTICE_DAYS")}
    os.environ["ZHIYUAN_DATA_DIR"] = str(root)
    # A commendation list can be published as soon as it is noticed (the admin's journey).
    os.environ["ZHIYUAN_NOTICE_DAYS"] = "0"
    running = System(root, gateway_port=free_port(), echo=lambda _line: None)
    try:
        running.start()
        running.wait_ready(timeout=90)
        yield running
    finally:
        running.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def browser(system: System) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, system: System) -> Iterator[Any]:
    """A phone-sized page in Chinese; JavaScript errors fail the test."""
    context = browser.new_context(viewport={"width": 430, "height": 900}, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.base = system.gateway_url
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
