"""JSON logs of a real call (scripted voices, no model): the call's fields on its lines, one line
per turn, the standard library's records in the same format, and no secret or caller's words."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from conftest import AUTH_TOKEN
from fakes import FakeVoices
from loguru import logger
from servers import FakeTwilio, until
from test_calls_scripted import ALEX, Line, _line

from telephony.cli.simulator import CallerStep
from telephony.logs import configure_logging

pytestmark = pytest.mark.asyncio


@pytest.fixture
def support(fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    yield from _line(tmp_path_factory.mktemp("logs"), fake_twilio, "support")


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The process's logs as JSON into a buffer; pytest's own set-up put back after."""
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    yield stream
    logger.remove()
    logger.add(sys.stderr)
    root.handlers, root.level = kept
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi"):
        std = logging.getLogger(name)
        std.handlers, std.propagate = [], True


async def test_a_call_logs_json_lines_with_its_sids_and_one_line_per_turn(
        support: Line, json_logs: io.StringIO) -> None:
    assert isinstance(support.voices, FakeVoices)
    result, call = await support.call(
        [CallerStep(say="Where is my order?"), CallerStep(say="My zip code is 9 4 1 1 0."),
         CallerStep(say="The order number is five five one two three four.")],
        from_number=ALEX)
    # The stream's last line is written once its records are flushed (the outcome and the QA
    # score are decided in that flush): a moment after the call row says it ended.
    def ended() -> bool:
        return any(line.get("call_sid") == result.call_sid
                   and line["message"].endswith("ended: caller_hung_up")
                   for line in map(json.loads, json_logs.getvalue().splitlines()))

    await until(ended)
    logging.getLogger("uvicorn.error").warning("a line from the standard library")
    text = json_logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)

    mine = [line for line in lines if line.get("call_sid") == result.call_sid]
    assert mine and all(line["stream_sid"] == call["stream_sid"] for line in mine)
    assert any(line["message"].endswith("ended: caller_hung_up") for line in mine)
    turns = [line for line in mine if "latency_ms" in line]
    answered = [t for t in call["turns"] if t["caller_text"]]
    assert [t["turn"] for t in turns] == [t["turn_index"] for t in answered]
    assert [t["intent"] for t in turns] == [t["intent"] for t in answered]
    assert all(t["latency_ms"]["voice_to_voice"] > 0 and t["language"] == "en" for t in turns)
    assert turns[-1]["tools"] == ["get_order_status"]
    assert any(line["message"] == "a line from the standard library" and line["level"] ==
               "WARNING" and line["logger"] == "uvicorn.error" for line in lines)
    # Secrets and what the caller said stay out.
    for private in (AUTH_TOKEN, "9 4 1 1 0", "five five one", "Where is my order"):
        assert private not in text, private
