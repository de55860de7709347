"""/metrics: Prometheus' scrape of a real server after real calls (scripted voices, no model),
guarded like /api."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fakes import FakeVoices, HashingEncoder
from prometheus_client.parser import text_string_to_metric_families
from servers import FakeTwilio, ThreadedServer, until
from test_calls_scripted import ALEX, Line, _settings
from test_stream_refusals import _decided

from config.settings import DeskSettings
from telephony.cli.simulator import CallerStep
from telephony.records.store import Records

pytestmark = pytest.mark.asyncio
TOKEN = "metrics-token-0123456789abcdef0123456789"


@pytest.fixture(scope="module")
def support(fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    from telephony.app import create_app

    folder: Path = tmp_path_factory.mktemp("metrics")
    settings = _settings(folder, fake_twilio, "support").model_copy(
        update={"desk": DeskSettings(api_token=TOKEN)})
    voices = FakeVoices()
    app = create_app(settings, voices=voices, encoder=HashingEncoder())
    server = ThreadedServer(app, ws_max_size=settings.stream.max_message_bytes).start()
    records = Records(settings.database_url)
    yield Line(server, settings, voices, records)
    records.close()
    server.stop()


def _scrape(url: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{url}/metrics", headers=headers, timeout=5.0)


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_count_calls_turns_stages_tools_transfers_and_refusals(
        support: Line) -> None:
    _, order = await support.call(
        [CallerStep(say="Where is my order?"), CallerStep(say="My zip code is 9 4 1 1 0."),
         CallerStep(say="The order number is five five one two three four.")],
        from_number=ALEX)
    _, person = await support.call([CallerStep(say="I would like to speak to a real person.")])
    async with httpx.AsyncClient() as client:
        unsigned = await client.post(f"{support.server.url}/twilio/voice",
                                     data={"CallSid": "CA1"})
        huge = await client.post(f"{support.server.url}/twilio/voice",
                                 content=b"x" * (support.settings.twilio.max_body_bytes + 1))
    assert unsigned.status_code == 403 and huge.status_code == 413
    await _decided(support.records, order["call_sid"])  # stored just after the call ends

    assert _scrape(support.server.url).status_code == 401
    assert _scrape(support.server.url, Authorization="Bearer wrong").status_code == 401
    # Once both streams have finished (a call's row says it ended a moment before its
    # stream is done flushing its records and is no longer active).
    response = await until(lambda: (r := _scrape(support.server.url,
                                                  Authorization=f"Bearer {TOKEN}"))
                           and "frontdesk_calls_active 0.0" in r.text and r)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)

    def value(name: str, **labels: str) -> float:
        return samples.get((name, frozenset(labels.items())), 0.0)

    answered = [t for call in (order, person) for t in call["turns"]
                if t["caller_text"] and t["latency"]]
    assert value("frontdesk_calls_active") == 0
    assert value("frontdesk_calls_ended_total", reason="caller_hung_up") == 1
    # "warm_transfer:support": the label is the kind of ending, without the queue.
    assert person["end_reason"] == "warm_transfer:support"
    assert value("frontdesk_calls_ended_total", reason="warm_transfer") == 1
    assert value("frontdesk_turns_total") == len(answered) == 4
    for stage in ("end_of_turn_wait", "stt", "dialog", "tts_first_audio", "voice_to_voice"):
        assert value("frontdesk_turn_stage_seconds_count", stage=stage) == 4, stage
    # The voice-to-voice sum is the turns' own latency, as recorded with each turn.
    recorded = sum(t["latency"]["voice_to_voice"] for t in answered) / 1000
    assert value("frontdesk_turn_stage_seconds_sum", stage="voice_to_voice") == \
        pytest.approx(recorded, abs=0.01)
    for tool in ("lookup_customer", "verify_customer", "get_order_status"):
        assert value("frontdesk_tool_calls_total", tool=tool, reason="ok") == 1, tool
    assert value("frontdesk_tool_failures_total", tool="get_order_status") == 0
    assert value("frontdesk_transfers_total", reason="caller_asked_for_person") == 1
    assert value("frontdesk_refused_total", kind="webhook", reason="bad_signature") == 1
    assert value("frontdesk_refused_total", kind="webhook", reason="too_large") == 1
    assert value("frontdesk_stt_waiting") == 0 and value("frontdesk_tts_waiting") == 0
    # The order call was resolved; the transfer's outcome waits for the agent.
    assert value("frontdesk_calls_by_outcome_total", outcome="resolved") == 1
    assert value("frontdesk_calls_by_outcome_total", outcome="transferred") == 0


async def test_metrics_are_off_without_an_api_token(fake_twilio: FakeTwilio,
                                                    tmp_path: Path) -> None:
    from telephony.app import create_app

    settings = _settings(tmp_path, fake_twilio, "hotel")
    app = create_app(settings, voices=FakeVoices(), encoder=HashingEncoder())
    server = ThreadedServer(app).start()
    try:
        off = _scrape(server.url, Authorization="Bearer anything")
    finally:
        server.stop()
    assert off.status_code == 404 and "FRONTDESK_DESK__API_TOKEN" in off.text
