"""Headless Chromium for the page tests (Debian's /usr/bin/chromium, driven by Playwright).

Importing this module skips the importing test module on a developer's machine without
Debian's chromium; in CI (scripts/test installs chromium) a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is absent (apt-get install -y chromium)", allow_module_level=True)
from playwright import sync_api  # noqa: E402


@contextmanager
def chromium() -> Iterator:
    """A launched browser, closed afterwards."""
    with sync_api.sync_playwright() as playwright:
        # Debian's Chromium; Playwright never downloads a browser of its own here.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def new_tab(browser, *, width: int, height: int, timeout_ms: int) -> Iterator:
    """A page in a fresh context of ``browser``; ``page.problems`` collects its page errors
    and console errors."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.problems = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error"
            and page.problems.append(f"console: {message.text}"))
    try:
        yield page
    finally:
        context.close()
