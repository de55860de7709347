"""The insights page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright),
over real calls: two whole calls on the support line (scripted voices, the real server over the
WebSocket), recorded. A viewer signs in and sees the period's KPIs and plots, the call list with
its filters, and one call's page: its timeline, QA items, and its recording, which plays.

The screenshots (saved under INSIGHTS_SCREENSHOTS, default the test's temporary folder) are read
back: the plot shows its bars in the plot colour, and the call page its timeline and player.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from chromium_pages import chromium, new_tab
from PIL import Image
from servers import FakeTwilio
from test_calls_scripted import ALEX, Line, _line
from test_stream_refusals import _decided

from config.settings import AdminSettings, RecordingSettings
from telephony.cli.simulator import CallerStep
from telephony.records.insights import recordings

USERS = {"vic": {"password": "a long viewer password", "role": "viewer"}}
ACCENT = (0x0B, 0x57, 0xD0)  # .plot .bar-0 in insights.css
CALLS = [
    [CallerStep(say="Where is my order?"), CallerStep(say="My zip code is 9 4 1 1 0."),
     CallerStep(say="The order number is five five one two three four."),
     CallerStep(say="Any kayak tours?"),  # not in the support line's documents
     CallerStep(say="Goodbye.")],
    [CallerStep(say="I want to talk to a person.")],  # a warm transfer, left in progress
]


@pytest.fixture(scope="module")
def line(fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    yield from _line(tmp_path_factory.mktemp("insights"), fake_twilio, "support",
                     recordings=RecordingSettings(enabled=True),
                     admin=AdminSettings.model_validate({"users": USERS}))


@pytest.fixture(scope="module")
def placed(line: Line) -> list[dict]:
    """The two calls, once recorded (the first one decided), as the records hold them."""
    async def place() -> list[dict]:
        done = []
        for steps in CALLS:
            result, _ = await line.call(steps, from_number=ALEX)
            if not done:
                await _decided(line.records, result.call_sid)
            for _ in range(200):
                call = line.records.call(result.call_sid)
                if recordings(call["events"]):
                    break
                await asyncio.sleep(0.1)
            done.append(call)
        return done
    return asyncio.run(place())


def _accent_pixels(path: Path) -> int:
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=int)
    return int((np.abs(pixels - np.array(ACCENT)).max(axis=2) <= 12).sum())


def _non_background(path: Path) -> float:
    """The share of pixels that are not the page's white or grey."""
    return float((np.asarray(Image.open(path).convert("L")) < 200).mean())


def test_a_viewer_sees_kpis_plots_the_calls_and_a_call_with_its_recording(
        line: Line, placed: list[dict], tmp_path: Path) -> None:
    shots = Path(os.environ.get("INSIGHTS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    outcomes = [c["outcome"] for c in placed]
    assert outcomes[0] == "resolved" and outcomes[1] is None, outcomes
    with chromium() as browser, new_tab(browser, width=1400, height=1000,
                                        timeout_ms=20_000) as page:
        page.goto(line.server.url + "/insights")
        assert page.is_visible("#signin") and page.is_hidden("#overview")
        page.fill("#username", "vic")
        page.fill("#password", USERS["vic"]["password"])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#calls tbody tr.call-row")
        page.wait_for_selector("#plot-calls rect.bar-0", state="attached")
        assert page.text_content("#who") == "vic"

        # The KPIs: the two calls, and the share the AI resolved, as the records say.
        tiles = dict(zip(page.locator(".tile-label").all_text_contents(),
                         page.locator(".tile-value").all_text_contents(), strict=True))
        assert tiles["calls"] == "2"  # one of them still being transferred: undecided
        assert tiles["resolved by the AI"] == "100%"
        bars = page.eval_on_selector_all("#plot-calls rect.bar-0",
                                         "rs => rs.map(r => Number(r.dataset.value))")
        assert sum(bars) == 2 and max(bars) >= 1
        assert page.locator("#plot-rates path").count() >= 1
        # The knowledge base's gap: the question the documents did not answer.
        gap = next(t for t in placed[0]["turns"] if "kayak" in (t["caller_text"] or ""))
        assert "low_confidence" in gap["reason_codes"], gap
        gaps = page.locator("#unanswered li.gap")
        assert gaps.count() == 1
        assert "Any kayak tours?" in gaps.nth(0).text_content()
        assert "asked 1× in 1 call" in gaps.nth(0).text_content()
        plot_shot = shots / "insights-plot-calls.png"
        page.locator("#plot-calls").screenshot(path=str(plot_shot))
        assert _accent_pixels(plot_shot) > 50  # the bars are drawn, in the plot colour
        page.screenshot(path=str(shots / "insights-overview.png"), full_page=True)

        # The call list, newest first, and its outcome filter.
        rows = page.locator("#calls tbody tr.call-row")
        assert rows.count() == 2
        assert [rows.nth(i).get_attribute("data-sid") for i in range(2)] == \
            [c["call_sid"] for c in reversed(placed)]
        assert "2 calls" in page.text_content("#calls-count")
        assert "in progress" in rows.nth(0).text_content()
        page.select_option("#f-outcome", "resolved")
        page.wait_for_function("() => document.querySelectorAll('#calls tbody tr').length === 1")
        page.select_option("#f-outcome", "")
        page.wait_for_function("() => document.querySelectorAll('#calls tbody tr').length === 2")
        page.fill("#q", "talk to a person")  # the caller's first words
        page.wait_for_function("() => document.querySelectorAll('#calls tbody tr').length === 1")
        assert rows.nth(0).get_attribute("data-sid") == placed[1]["call_sid"]
        page.fill("#q", "")
        page.wait_for_function("() => document.querySelectorAll('#calls tbody tr').length === 2")
        # A queue's KPIs: the one call sent to the support queue, still being transferred.
        page.select_option("#f-queue", "support")
        page.wait_for_function("() => document.querySelector('.tile-value').textContent === '1'")
        assert "the KPIs of queue support" in page.text_content("#period-note")
        page.select_option("#f-queue", "")
        page.wait_for_function("() => document.querySelector('.tile-value').textContent === '2'")

        # The first call's page: its timeline, QA and recording.
        first = placed[0]
        page.click(f'#calls tr[data-sid="{first["call_sid"]}"]')
        page.wait_for_selector("#c-timeline li.turn")
        assert first["call_sid"] in page.text_content("#c-facts")
        assert page.locator("#c-timeline li.turn").count() == len(first["turns"])
        said = page.locator("#c-timeline .said.caller").all_text_contents()
        assert said[0] == "Where is my order?"
        assert page.locator("#c-timeline .latency .stage").count() > 0
        qa = line.records.qa(first["call_sid"])
        assert page.locator("#c-qa li.qa-item").count() == len(qa["items"])
        audio = page.locator("audio.recording")
        assert audio.count() == 1
        page.wait_for_function("() => document.querySelector('audio.recording').readyState >= 1")
        duration = page.evaluate("() => document.querySelector('audio.recording').duration")
        length = recordings(first["events"])[0]["seconds"]
        assert duration == pytest.approx(length, abs=0.1)
        page.evaluate("() => document.querySelector('audio.recording').play()")
        page.wait_for_function(
            "() => document.querySelector('audio.recording').currentTime > 0.3")
        call_shot = shots / "insights-call.png"
        page.screenshot(path=str(call_shot), full_page=True)
        timeline_shot = shots / "insights-timeline.png"
        page.locator("#c-timeline").screenshot(path=str(timeline_shot))
        player_shot = shots / "insights-player.png"
        audio.screenshot(path=str(player_shot))
        assert _non_background(timeline_shot) > 0.01  # text and latency bars, not a blank box
        assert Image.open(player_shot).size[0] > 200 and _non_background(player_shot) > 0.005
        assert Image.open(call_shot).size[1] > 600

        # Back to the list; signing out ends the session.
        page.click("#back")
        page.wait_for_selector("#overview:not([hidden])")
        page.click("#logout")
        page.wait_for_selector("#signin:not([hidden])")
        assert page.problems == []  # type: ignore[attr-defined]
