"""A third business that exists only as a pack: the bike shop template (no Python) and its
repair system (tests/bikeshop.py) on loopback take whole calls over the WebSocket.

The voices are scripted (each utterance is "heard" as the script's line, tests/fakes) so the
figures are about what the call does; the sentence encoder is the real one, so the pack's own
intents are recognised as a live call's are. The same pack runs on the embedded engine and on
the LLM path (a scripted model on loopback that does what the caller asks: governance, not the
model, keeps other customers' repairs out of reach).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from importlib.resources import as_file, files
from pathlib import Path

import pytest
from bikeshop import DANA, SAM, BikeShop
from conftest import ACCOUNT_SID, AUTH_TOKEN
from fake_llm import FakeLlm, call, say
from fakes import FakeVoices, place_scripted_call
from servers import FakeTwilio, ThreadedServer, on_loopback
from sqlalchemy import inspect, text
from test_stream_refusals import _decided, _ended

from config import Settings
from config.database import open_database
from knowledge.encoder import SentenceEncoder
from telephony.cli.simulator import CallerStep
from telephony.records.store import Records

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def shop() -> Iterator[BikeShop]:
    yield from on_loopback(BikeShop())


class ShopLine:
    """The pack served by frontdesk on loopback, with scripted voices."""

    def __init__(self, folder: Path, fake_twilio: FakeTwilio, encoder: SentenceEncoder,
                 shop: BikeShop, llm: FakeLlm | None = None) -> None:
        from telephony.app import create_app

        pack = folder / "pack"
        with as_file(files("config") / "data" / "packs" / "bikeshop") as source:
            shutil.copytree(source, pack)
        extra = {"llm": {"base_url": f"{llm.url}/v1", "model": "fake"}} if llm else {}  # type: ignore[attr-defined]
        self.settings = Settings(
            business=pack, data_dir=folder, database_url=f"sqlite:///{folder}/frontdesk.db",
            twilio={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                    "api_base_url": fake_twilio.url},  # type: ignore[attr-defined]
            stt={"language": "en"}, turn={"smart_turn_max_silence_seconds": 0.5}, **extra)
        self.voices = FakeVoices()
        with pytest.MonkeyPatch.context() as env:
            env.setenv("BIKESHOP_API_URL", shop.url)  # type: ignore[attr-defined]
            app = create_app(self.settings, voices=self.voices, encoder=encoder)
            self.server = ThreadedServer(app).start()
        self.records = Records(self.settings.database_url)

    async def call(self, steps: list[CallerStep], caller: str) -> dict:
        result = await place_scripted_call(self.server.url, steps, voices=self.voices,
                                           settings=self.settings, from_number=caller)
        return await _ended(self.records, result.call_sid)

    def close(self) -> None:
        self.records.close()
        self.server.stop()


@pytest.fixture(scope="module")
def embedded(fake_twilio: FakeTwilio, encoder: SentenceEncoder, shop: BikeShop,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopLine]:
    line = ShopLine(tmp_path_factory.mktemp("bikeshop"), fake_twilio, encoder, shop)
    yield line
    line.close()


def _replies(call: dict) -> list[dict]:
    return [t for t in call["turns"] if t["intent"] != "greeting"]


def _tools(turn: dict) -> list[tuple[str, str]]:
    return [(t["name"], t["reason"]) for t in turn["tools"]]


async def test_a_customer_checks_and_moves_their_repair_then_asks_and_is_transferred(
        embedded: ShopLine, shop: BikeShop) -> None:
    call = await embedded.call(
        [CallerStep(say="Is my bike ready yet?"),
         CallerStep(say="It's 7 8 7 0 2."),
         CallerStep(say="4 8 2 1 3."),
         CallerStep(say="I need to change my pickup date."),
         CallerStep(say="4 8 2 1 3."),
         CallerStep(say="Next Saturday."),
         CallerStep(say="How much does a basic tune-up cost?"),
         CallerStep(say="I'd like to talk to someone in the workshop, please.")],
        caller=DANA)
    replies = _replies(call)
    said = [r["reply_text"] for r in replies]
    assert [r["intent"] for r in replies[:6]] == ["repair_status"] * 3 + ["move_pickup"] * 3, (
        said, replies[0]["tools"], shop.requests)
    assert "ZIP code" in said[0]
    assert said[1].startswith("Thank you, you're verified.") and "ticket number" in said[1]
    assert "Your blue road bike is waiting for a new chain." in said[2]
    assert _tools(replies[0]) == [("find_customer", "ok")]
    assert _tools(replies[1]) == [("verify_customer", "ok")]
    assert _tools(replies[2]) == [("get_repair", "ok")]
    # Already verified: the second task asks for the ticket and the day, then moves it.
    assert "ticket number" in said[3] and "Which day" in said[4]
    assert _tools(replies[5]) == [("move_pickup", "ok")]
    [(_, path, body)] = shop.writes()
    saturday = date.fromisoformat(json.loads(body)["date"])
    assert path == "/repairs/48213/pickup" and saturday.weekday() == 5
    assert said[5].startswith("Done. Your blue road bike will be ready to pick up")
    assert shop.repairs["48213"]["pickup_date"] == saturday.isoformat()
    # Answered from the shop's own documents.
    assert "65 dollars" in said[6], said[6]
    transfers = [e for e in call["events"] if e["kind"] == "transfer"]
    assert transfers and transfers[0]["detail"]["queue"] == "workshop", call["events"]
    assert call["end_reason"] == "warm_transfer:workshop"  # the queue is warm
    # The ZIP code is kept out of the records.
    assert replies[1]["caller_text"] == "It's [redacted]."


async def test_another_customers_repair_is_refused_like_one_that_does_not_exist(
        embedded: ShopLine, shop: BikeShop) -> None:
    writes = len(shop.writes())
    call = await embedded.call(
        [CallerStep(say="I'm calling about my bike repair."),
         CallerStep(say="7 8 7 0 4."),
         CallerStep(say="4 8 2 1 3."),  # Dana's
         CallerStep(say="Sorry, it's 5 7 1 0 2.")],
        caller=SAM)
    replies = _replies(call)
    said = [r["reply_text"] for r in replies]
    assert _tools(replies[2]) == [("get_repair", "not_owner")]
    assert said[2].startswith("I can't find repair ticket 4 8 2 1 3 for you."), said
    assert "blue road bike" not in " ".join(said)
    assert "Your red mountain bike is ready." in said[3]
    assert len(shop.writes()) == writes
    decided = await _decided(embedded.records, call["call_sid"])
    assert (decided["outcome"], decided["outcome_reason"]) == ("resolved", "answered")


async def test_a_caller_with_no_record_is_handed_to_the_workshop(embedded: ShopLine) -> None:
    call = await embedded.call([CallerStep(say="Is my bike ready yet?")], caller="+15125550000")
    [reply] = _replies(call)
    assert reply["reply_text"].startswith("I can't find a customer record for the number")
    assert _tools(reply) == [("find_customer", "refused_by_business")]
    assert call["end_reason"] == "warm_transfer:workshop"  # the queue is warm


async def test_no_sample_business_data_is_in_a_packs_database(embedded: ShopLine) -> None:
    engine = open_database(embedded.settings.database_url)
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names()
                     if n.startswith(("hotel_", "support_"))]
            counts = {n: conn.execute(text(f"SELECT COUNT(*) FROM {n}")).scalar_one()
                      for n in names}
    finally:
        engine.dispose()
    assert not any(counts.values()), counts


@pytest.fixture(scope="module")
def with_llm(fake_twilio: FakeTwilio, encoder: SentenceEncoder, shop: BikeShop, llm: FakeLlm,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopLine]:
    line = ShopLine(tmp_path_factory.mktemp("bikeshop-llm"), fake_twilio, encoder, shop, llm)
    yield line
    line.close()


async def test_the_same_pack_on_the_llm_path(with_llm: ShopLine, shop: BikeShop,
                                             llm: FakeLlm) -> None:
    writes = len(shop.writes())
    friday = "2030-01-04"  # a Friday the shop is open
    llm.script(
        # Turn 1: "move my pickup", with the ZIP and both tickets: the model does all of it.
        say("", tool_calls=[call("find_customer")]),
        say("", tool_calls=[call("verify_customer", postal_code="78704")]),
        say("", tool_calls=[call("move_pickup", ticket="48213", date=friday),  # Dana's
                            call("move_pickup", ticket="57102", date=friday)]),
        say("Done, your red mountain bike can be picked up on Friday, January 4."),
        # Turn 2: a question for the documents.
        say("", tool_calls=[call("search_knowledge", query="price of a basic tune-up")]),
        say("A basic tune-up costs 65 dollars."),
        # Turn 3: a person.
        say("", tool_calls=[call("transfer_to_agent", queue="workshop",
                                 reason="caller asked for the workshop")]),
        say("I'll put you through to the workshop."))
    call_record = await with_llm.call(
        [CallerStep(say="Please move the pickup of my repairs 48213 and 57102 to January 4th, "
                        "my ZIP is 78704."),
         CallerStep(say="And how much is a tune-up?"),
         CallerStep(say="Put me through to the workshop.")],
        caller=SAM)
    replies = _replies(call_record)
    assert _tools(replies[0]) == [("find_customer", "ok"), ("verify_customer", "ok"),
                                  ("move_pickup", "not_owner"), ("move_pickup", "ok")]
    # Dana's repair was never written: the owner was read first (owner_from) and refused.
    new = shop.writes()[writes:]
    assert [path for _, path, _ in new] == ["/repairs/57102/pickup"]
    assert shop.repairs["57102"]["pickup_date"] == friday
    offered = {t["function"]["name"] for t in llm.requests[0]["tools"]}
    assert {"find_customer", "verify_customer", "get_repair", "move_pickup",
            "search_knowledge", "transfer_to_agent"} <= offered
    assert len(replies) == 3, [r["reply_text"] for r in replies]
    assert _tools(replies[1]) == [("search_knowledge", "ok")]
    # The passage the model was given to answer from is the shop's own.
    given = [m["content"] for r in llm.requests for m in r["messages"] if m["role"] == "tool"]
    assert any("65 dollars" in content for content in given)
    transfers = [e for e in call_record["events"] if e["kind"] == "transfer"]
    assert transfers and transfers[0]["detail"]["queue"] == "workshop"
    # Each turn keeps the token counts of its requests, as the server sent them: the
    # transfer's turn ends with its tool call (the decision), in one request.
    assert [r["llm_usage"]["requests"] for r in replies] == [4, 2, 1]
    assert sum(r["llm_usage"]["prompt_tokens"] for r in replies) == \
        sum(u["prompt_tokens"] for u in llm.usage)
    assert all("cost_usd" not in r["llm_usage"] for r in replies)  # no price configured


async def test_try_replays_turns_under_the_packs_rules(
        shop: BikeShop, models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from telephony.cli.main import main

    with as_file(files("config") / "data" / "packs" / "bikeshop") as source:
        shutil.copytree(source, tmp_path / "pack")
    for name, value in {"FRONTDESK_BUSINESS": tmp_path / "pack", "FRONTDESK_DATA_DIR": tmp_path,
                        "FRONTDESK_MODELS_DIR": models_dir,
                        "BIKESHOP_API_URL": shop.url}.items():  # type: ignore[attr-defined]
        monkeypatch.setenv(name, str(value))
    session = tmp_path / "call.json"

    async def turn(*words: str) -> dict:
        argv = ["try", *words, "--caller", DANA, "--session", str(session), "--json"]
        assert await asyncio.to_thread(main, argv) == 0
        return json.loads(capsys.readouterr().out)

    asked = await turn("Is my bike ready yet?")
    assert asked["intent"] == "repair_status" and "ZIP code" in asked["reply"]
    assert asked["rules_version"] == 1  # the pack's business.yaml, seeded as version 1
    await turn("7 8 7 0 2")
    told = await turn("4 8 2 1 3")
    assert "Your blue road bike is" in told["reply"]
    person = await turn("Can I talk to someone at the workshop?")
    assert person["transfer"]["queue"] == "workshop"
    assert "rule:person" in person["reason_codes"]  # the pack's own route
