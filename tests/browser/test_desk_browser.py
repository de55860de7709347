"""The agent desktop in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

An agent signs in; a handoff written to the database (as the call path does, from another
thread) shows on the page, with its summary, sentiment and transcript, within a second; the
agent accepts it and saves notes, which are read back from the database. And a real call over
the WebSocket that asks for a person shows on the desk within a second of the AI's decision.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from chromium_pages import chromium, new_tab
from servers import ThreadedServer
from test_desk import PASSWORDS, Desk, desk_settings, new_handoff

from config import QueueSettings, Settings
from telephony.cli.simulator import CallerStep, place_call
from telephony.records.store import Records


@pytest.fixture
def desk(tmp_path: Path):
    served = Desk(desk_settings(tmp_path))
    yield served
    served.close()


@pytest.fixture
def page(desk: Desk):
    with _browser() as tab:
        yield tab


@contextmanager
def _browser() -> Iterator:
    with chromium() as launched, new_tab(launched, width=1280, height=900,
                                         timeout_ms=10_000) as tab:
        yield tab


def _created_later(desk: Desk, call_sid: str, **extra) -> tuple[threading.Thread, dict]:
    """Write a handoff from another thread in 0.3 s; the dict gets its id and wall time."""
    done: dict = {}

    def create() -> None:
        time.sleep(0.3)
        done["at"] = time.time()
        done["id"] = new_handoff(desk.store, call_sid, **extra)

    thread = threading.Thread(target=create)
    thread.start()
    return thread, done


def test_desk_shows_handoff_live_and_saves(desk: Desk, page) -> None:
    page.goto(desk.url + "/desk")

    # Sign in: a wrong password is refused with a message, the right one opens the desk.
    page.fill("#username", "alice")
    page.fill("#password", "not the password")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:not([hidden])")
    assert page.text_content("#login-error") == "Wrong username or password."
    page.fill("#password", PASSWORDS["alice"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#conn.c-live")
    assert page.text_content("#who") == "alice"
    assert page.is_visible("#empty")

    # A handoff is written (as the transfer decision does) while the page is open.
    summary = "Guest disputes a minibar charge of $48 on her final bill."
    thread, created = _created_later(desk, "CA" + "a" * 32)
    shown = page.wait_for_function(
        """(summary) => {
             const card = document.getElementById('handoff');
             return !card.hidden && document.getElementById('h-summary').textContent === summary
               && document.querySelectorAll('#h-transcript li.line').length > 0
               ? Date.now() : false;
           }""", arg=summary, polling="raf", timeout=5_000).json_value()
    thread.join()
    delay = shown / 1000 - created["at"]
    print(f"\ndesk: handoff shown in Chromium {delay * 1000:.0f} ms after it was created")
    assert delay < 1.0, f"the handoff took {delay:.2f} s to show"

    assert "negative" in page.text_content("#h-sentiment")
    assert "-0.62" in page.text_content("#h-sentiment")
    assert page.locator("#h-spark svg polyline").count() == 1
    assert page.text_content("#h-frustration") == (
        "Frustrated: rephrased their question and raised their voice.")
    transcript = page.locator("#h-transcript li.line")
    assert transcript.count() == 3
    assert "There is a minibar charge I never made." in transcript.nth(1).text_content()
    assert "Caller" in transcript.nth(1).text_content()
    assert "Check the minibar log" in page.text_content("#h-next")
    assert "Maria Lopez" in page.text_content("#h-customer")
    assert "refused" in page.text_content("#h-tools")
    item = page.locator(f'#list button[data-id="{created["id"]}"]')
    assert "new" in item.get_attribute("class") and "selected" in item.get_attribute("class")
    assert "waiting" in item.text_content()
    assert page.title().startswith("(1) ")
    assert page.is_enabled("#accept") and page.is_enabled("#decline")

    # A second handoff is highlighted in the list; the agent keeps the one they are reading.
    thread, second = _created_later(desk, "CA" + "b" * 32)
    page.wait_for_selector("#list button.new >> nth=1")
    thread.join()
    assert page.locator("#list button").count() == 2
    first_in_list = page.locator("#list button").first.get_attribute("data-id")
    assert first_in_list == second["id"]  # newest first
    assert page.text_content("#h-summary") == summary

    # Accept: the status changes on the page and in the database.
    page.click("#accept")
    page.wait_for_function(
        "() => document.getElementById('h-status').textContent === 'accepted'")
    assert page.is_disabled("#accept") and page.is_disabled("#decline")
    row = desk.store.get(created["id"])
    assert row["status"] == "accepted" and row["accepted_by"] == "alice"

    # Notes and an outcome, saved with the handoff.
    page.fill("#notes", "Refunded the minibar charge; log showed no use.")
    page.select_option("#outcome", "follow_up")
    page.click("#notes-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('notes-msg').textContent === 'Saved.'")
    row = desk.store.get(created["id"])
    assert row["notes"] == "Refunded the minibar charge; log showed no use."
    assert row["outcome"] == "follow_up"

    # Someone else takes the second one: the page follows and refuses a late accept.
    desk.store.transition(second["id"], "accepted", expect={"pending"}, accepted_by="keypad")
    page.click(f'#list button[data-id="{second["id"]}"]')
    page.wait_for_function(
        "() => document.getElementById('h-status').textContent === 'accepted'")
    assert page.is_disabled("#accept")

    if os.environ.get("DESK_SCREENSHOT"):
        page.click(f'#list button[data-id="{created["id"]}"]')
        page.screenshot(path=os.environ["DESK_SCREENSHOT"], full_page=True)
    # The only error the console may show is the wrong password's 401.
    assert [p for p in page.problems if "status of 401" not in p] == []

    # Signing out returns to the sign-in form.
    page.click("#logout")
    page.wait_for_selector("#signin:not([hidden])")


def _sign_in(page, url: str) -> None:
    page.goto(url + "/desk")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORDS["alice"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#conn.c-live")


def test_a_real_calls_handoff_shows_within_a_second_of_the_decision(
        call_settings: Settings, voice_models, speech_models, tmp_path: Path) -> None:
    desk = desk_settings(tmp_path).desk
    settings = call_settings.model_copy(update={
        "data_dir": tmp_path, "database_url": f"sqlite:///{tmp_path}/frontdesk.db",
        "desk": desk, "queues": {"front_desk": QueueSettings(agents=["+15550002222"])}})
    from telephony.app import create_app

    server = ThreadedServer(create_app(settings),
                            ws_max_size=settings.stream.max_message_bytes).start()
    placed: dict = {}

    def call() -> None:
        placed["result"] = asyncio.run(place_call(
            server.url, [CallerStep(say="I would like to speak to a real person.")],
            settings=settings, voice=voice_models.voices["en"], whisper=None,
            from_number="+15551234567"))

    try:
        with _browser() as page:
            _sign_in(page, server.url)
            caller = threading.Thread(target=call)
            caller.start()
            shown = page.wait_for_function(
                """() => {
                     const card = document.getElementById('handoff');
                     return !card.hidden && document.getElementById('h-summary').textContent
                       && document.querySelectorAll('#h-transcript li.line').length > 1
                       ? Date.now() : false;
                   }""", polling="raf", timeout=60_000).json_value()
            caller.join(timeout=120)
            transcript = page.text_content("#h-transcript")
            summary = page.text_content("#h-summary")
            sentiment = page.text_content("#h-sentiment")
            assert page.problems == []
    finally:
        server.stop()
    records = Records(settings.database_url)
    call_record = records.call(placed["result"].call_sid)
    records.close()
    [decided] = [e["at"] for e in call_record["events"] if e["kind"] == "transfer"]
    delay = shown / 1000 - decided
    print(f"\ndesk: a real call's handoff shown {delay * 1000:.0f} ms after the AI decided")
    assert delay < 1.0, f"the handoff took {delay:.2f} s to show after the decision"
    assert "real person" in transcript.lower() and summary and sentiment.strip()
