"""A whole call on PostgreSQL (Debian's server, started for the session): the real server over
the WebSocket, scripted voices, every record on PostgreSQL; then `frontdesk report` reads it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from postgres import PostgresServer, postgres  # noqa: F401 (the fixture)
from servers import FakeTwilio
from test_calls_scripted import ALEX, Line, _line
from test_stream_refusals import _decided

from telephony.cli.main import main
from telephony.cli.simulator import CallerStep

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def support(fake_twilio: FakeTwilio, postgres: PostgresServer,  # noqa: F811
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    yield from _line(tmp_path_factory.mktemp("pg-support"), fake_twilio, "support",
                     database_url=postgres.new_database())


async def test_a_call_is_recorded_decided_and_reported_on_postgresql(
        support: Line, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert support.records.engine.dialect.name == "postgresql"
    result, _ = await support.call([CallerStep(say="Where is my order?"),
                                    CallerStep(say="My zip code is 9 4 1 1 0."),
                                    CallerStep(say="The order number is five five one two "
                                                   "three four.")], from_number=ALEX)
    call = await _decided(support.records, result.call_sid)
    assert (call["outcome"], call["outcome_reason"]) == ("resolved", "answered")
    assert [t["intent"] for t in call["turns"]] == ["greeting", "order_status", "order_status",
                                                    "order_status"]
    assert call["turns"][2]["caller_text"] == "My zip code is [redacted]."
    assert all(t["latency"]["voice_to_voice"] > 0 for t in call["turns"][1:])
    qa = support.records.qa(result.call_sid)
    assert qa is not None and qa["score"] == 1.0, qa
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", support.settings.database_url)
    monkeypatch.setenv("FRONTDESK_MODELS_DIR", str(support.settings.data_dir / "no-models"))
    assert main(["report", "--since", "1d", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["calls"] == 1 and report["by_outcome"]["resolved"] == 1
    assert report["qa"]["mean_score"] == 1.0
