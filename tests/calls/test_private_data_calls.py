"""Private data out of the records and the logs: whole calls over the real WebSocket (scripted
voices, no model) give ZIP codes and card digits, spoken and keyed; then every call-record table
and the JSON log are read back and searched for them. The samples' own customer tables (the
business's system, which holds them) are not call records and are not searched."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import create_engine, text
from test_calls_scripted import ALEX, Line, hotel, support  # noqa: F401 - the fixtures
from test_logs import json_logs  # noqa: F401 - the fixture

from telephony.cli.simulator import CallerStep

pytestmark = pytest.mark.asyncio
MARGARET = "+16175550142"  # seeded hotel guest: confirmation 472913, ZIP 02134, card ...4242
RECORD_TABLES = ("calls", "turns", "call_events", "tool_audit", "handoffs", "handoff_events")
# What the callers below said or keyed, in every spelling that reached the server.
PRIVATE = ("94110", "9 4 1 1 0", "nine four one one zero", "9-4-1-1-0", "4242", "4 2 4 2",
           "four two four two", "02134", "0 2 1 3 4")


def _records_text(line: Line) -> str:
    """Every row of the call-record tables, as text."""
    engine = create_engine(line.settings.database_url)
    try:
        with engine.connect() as conn:
            return "\n".join(json.dumps(dict(row), default=str)
                             for table in RECORD_TABLES
                             for row in conn.execute(text(f"SELECT * FROM {table}")).mappings())
    finally:
        engine.dispose()


async def test_zip_codes_and_card_digits_stay_out_of_the_records_and_the_logs(
        support: Line, hotel: Line, json_logs: io.StringIO) -> None:  # noqa: F811
    # Spoken at the ZIP question, then volunteered with the request on a second call.
    _, spoken = await support.call(
        [CallerStep(say="Where is my order?"), CallerStep(say="It's nine four one one zero."),
         CallerStep(say="The order number is five five one two three four.")],
        from_number=ALEX)
    _, keyed = await support.call(
        [CallerStep(say="Where is my order? My zip code is 9-4-1-1-0."),
         CallerStep(dtmf="551234#")], from_number=ALEX)
    # The hotel's check: the ZIP keyed at its question; then the card's last four said, unasked.
    _, checked = await hotel.call(
        [CallerStep(say="I'd like to check in."), CallerStep(dtmf="472913#"),
         CallerStep(dtmf="02134#"), CallerStep(say="Sorry, the last four are 4 2 4 2.")],
        from_number=MARGARET)
    verified = [t for t in spoken["turns"] if "verified" in (t["reply_text"] or "").lower()]
    assert verified, "the ZIP was heard: the caller was verified"
    assert any(a["tool"] == "verify_customer" for a in _audit(support, spoken["call_sid"]))
    assert keyed["turns"][1]["caller_text"] == "Where is my order? My zip code is [redacted]."
    assert [t["caller_dtmf"] for t in checked["turns"] if t["caller_dtmf"]] == [
        "472913", "[redacted]"]
    records = _records_text(support) + _records_text(hotel)
    logs = json_logs.getvalue()
    assert "[redacted]" in records
    for value in PRIVATE:
        # As a number of its own: "4242" inside a timestamp (1796685387.1424205) is no card.
        alone = re.compile(rf"(?<![\d.]){re.escape(value)}(?![\d.]\d)")
        assert not alone.search(records), value
        assert not alone.search(logs), value


def _audit(line: Line, call_sid: str) -> list[dict]:
    engine = create_engine(line.settings.database_url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(
                "SELECT * FROM tool_audit WHERE call_sid = :sid"), {"sid": call_sid}).mappings()]
    finally:
        engine.dispose()

