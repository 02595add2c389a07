"""Shared fixtures: real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

Where Chromium is missing the browser tests skip locally, but fail when
CORSIGHT_REQUIRE_BROWSER=1 (set by `./run test`, hence in CI): a browser test that does not
run proves nothing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A Playwright Browser on Debian's Chromium, shared by a test module.

    Module scope, not session: Playwright's sync API runs an event loop on the main thread
    while it is open, and later modules that call ``asyncio.run`` must not find it there."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing; `./run test` installs Debian's chromium package"
        if os.environ.get("CORSIGHT_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def browser_context(chromium: Any) -> Iterator[Any]:
    """A fresh context per test: no cookies or preflight cache carried over."""
    context = chromium.new_context()
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("CORSIGHT_ARTIFACTS", tempfile.gettempdir())) / "corsight-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path
