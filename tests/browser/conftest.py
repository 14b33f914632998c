"""Headless Debian Chromium through Playwright (never `playwright install`), the app stack on
free ports, and the compiled zh_Hans catalogue the stack's web process reads."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_i18n import compile_catalogue

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk (.ci/run does)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def compiled_messages() -> None:
    compile_catalogue()


@pytest.fixture
def results_dir(request, output_path: str) -> Path:
    """The test's output folder (pytest-playwright's: test-results/<test>/, git-ignored) for
    screenshots, the exported file and the stack's logs. Every pytest session empties
    test-results/ when it starts, so with several runs in one tree, BROWSER_RESULTS_DIR=/some/dir
    keeps them somewhere else."""
    base = os.environ.get("BROWSER_RESULTS_DIR")
    folder = Path(base) / Path(output_path).name if base else Path(output_path)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
