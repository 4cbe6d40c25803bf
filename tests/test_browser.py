"""The console's acceptance test in a real browser: headless Chromium (Debian's chromium and
chromium-driver, through Selenium) against the console served by uvicorn, beside the Telegram adapter
on the fake Bot API, on one database.

A moderator signs in with the link the fake Telegram delivered for `/console`, approves a queued item
and the asker's notification arrives at the fake Telegram; revising the fact-check of a pinned answer
edits that message. Screenshots of each page go to a temporary directory, or to docs/screenshots/
with CLAIMBOT_UPDATE_SCREENSHOTS=1 (so a test run leaves the tree as it was).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.service import ClaimService
from tests.conftest import ROOT
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram import (
    GROUP,
    MOD_CHAT,
    MODERATOR,
    USER,
    bot,
    has_text,
    pinned_answer_and_awaited_item,
    telegram_settings,
    to_chat,
)
from tests.test_web import SECRET

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

LINK = re.compile(r'href="(http://127\.0\.0\.1:\d+/signin\?token=[^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Console:
    """`claimbot serve web` in a thread: uvicorn on a loopback port, stopped on exit."""

    def __init__(self, service: ClaimService, port: int) -> None:
        import uvicorn

        from adapters.web import build_app

        config = uvicorn.Config(
            build_app(service, service.settings), host="127.0.0.1", port=port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="console", daemon=True)

    def __enter__(self) -> Console:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the console did not start")
            threading.Event().wait(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    if os.environ.get("CLAIMBOT_UPDATE_SCREENSHOTS"):
        folder = ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path / "screenshots"


@pytest.fixture
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.add_argument("--lang=en")
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
async def fake() -> Any:
    async with FakeTelegramAPI(max_poll_wait=0.3) as server:
        server.add_chat(MOD_CHAT, "supergroup", "Moderators")
        server.add_chat(GROUP, "supergroup", "Town square")
        yield server


def shoot(driver: Any, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(max(height + 120, 600), 3000))
    driver.save_screenshot(str(folder / f"{name}.png"))


def wait_text(driver: Any, text: str) -> None:
    """Wait (a hang guard, not a timing) until the page shows `text`: a click's page may still be loading."""
    WebDriverWait(driver, 30).until(lambda d: text in d.page_source, f"the page never showed {text!r}")


def submit(driver: Any, form_action: str) -> None:
    """Press the submit button of the form posting to `form_action`, as a person would."""
    driver.find_element(By.CSS_SELECTOR, f'form[action="{form_action}"] button[type="submit"]').click()


async def test_moderator_round_in_the_browser(
    tmp_path: Path, fake: FakeTelegramAPI, browser: Any, screenshots: Path
) -> None:
    port = free_port()
    overrides = {
        "CLAIMBOT_CONSOLE_SECRET": SECRET,
        "CLAIMBOT_CONSOLE_URL": f"http://127.0.0.1:{port}",
        "CLAIMBOT_SEMANTIC": False,
    }
    settings = telegram_settings(tmp_path, fake, **overrides)
    chat_service = ClaimService.open(settings)
    # The console is its own process in production: here its own service on the same database.
    web_service = ClaimService.open(settings)
    run = asyncio.to_thread
    try:
        async with bot(chat_service):
            # A pinned answer in a group (the revision at the end edits it) and an awaited queued claim.
            answer, item = await pinned_answer_and_awaited_item(fake, chat_service)
            # The moderator asks the bot for a sign-in link.
            mark = len(fake.calls)
            fake.private_message(MODERATOR, "/console")
            sent = await fake.wait_for("sendMessage", to_chat(MODERATOR), since=mark)
            (url,) = set(LINK.findall(sent.params["text"]))
            url = url.replace("&amp;", "&")

            with Console(web_service, port):
                await run(browser.get, url)
                await run(shoot, browser, screenshots, "signin")
                await run(submit, browser, "/signin")
                await run(wait_text, browser, f"telegram:{MODERATOR}")
                # console.js offers the browser's zone once; the page reloads with it.
                await run(browser.get, f"http://127.0.0.1:{port}/queue")
                await run(shoot, browser, screenshots, "queue")
                await run(wait_text, browser, "aliens landed in paris")

                await run(browser.find_element(By.LINK_TEXT, f"#{item}").click)
                rating = await run(browser.find_element, By.ID, "verdict-rating")
                await run(Select(rating).select_by_visible_text, "False")
                await run(
                    browser.find_element(By.ID, "verdict-summary").send_keys, "No aliens opened a bakery."
                )
                await run(
                    browser.find_element(By.ID, "verdict-sources").send_keys, "https://example.org/aliens"
                )
                await run(submit, browser, f"/review/{item}/verdict")
                await run(wait_text, browser, "Drafted False as revision 1")
                await run(shoot, browser, screenshots, "review")
                await run(submit, browser, f"/review/{item}/approve")
                await run(wait_text, browser, "Published fact-check")

                notified = await fake.wait_for(
                    "sendMessage", has_text("A moderator has answered"), timeout=30
                )
                assert (
                    to_chat(USER)(notified.params) and "No aliens opened a bakery." in notified.params["text"]
                )

                # Revise the fact-check of the pinned answer: the pinned message is edited in place.
                pinned = chat_service.sent_reply("telegram", str(GROUP), str(answer)).fact_check_id
                await run(browser.get, f"http://127.0.0.1:{port}/factchecks?q=police+arrest")
                await run(shoot, browser, screenshots, "catalogue")
                await run(browser.get, f"http://127.0.0.1:{port}/factchecks/{pinned}")
                await run(
                    Select(browser.find_element(By.ID, "revise-rating")).select_by_visible_text, "Misleading"
                )
                summary = await run(browser.find_element, By.ID, "revise-summary")
                await run(summary.clear)
                await run(summary.send_keys, "The arrest story was garbled.")
                await run(submit, browser, f"/factchecks/{pinned}/revise")
                await run(wait_text, browser, "now revision 2")
                await run(shoot, browser, screenshots, "factcheck")
                edit = await fake.wait_for("editMessageText", to_chat(GROUP), ok=True, timeout=30)
                assert edit.params["message_id"] == answer and "Misleading" in edit.params["text"]
                assert fake.pinned(GROUP) == [answer]

                for name in ("import", "audit", "settings", ""):
                    await run(browser.get, f"http://127.0.0.1:{port}/{name}")
                    await run(shoot, browser, screenshots, name or "dashboard")
                await run(browser.get, f"http://127.0.0.1:{port}/audit")
                audit_page = await run(lambda: browser.page_source)
                assert "console_sign_in" in audit_page and f"review:{item}" in audit_page
                # On a phone: the queue's table becomes cards, nothing wider than the screen.
                await run(browser.set_window_size, 390, 844)
                await run(browser.get, f"http://127.0.0.1:{port}/queue?status=all")
                overflow = await run(
                    browser.execute_script,
                    "return document.documentElement.scrollWidth > window.innerWidth + 1",
                )
                assert not overflow
                await run(shoot, browser, screenshots, "queue-phone")
    finally:
        chat_service.engine.dispose()
        web_service.engine.dispose()
