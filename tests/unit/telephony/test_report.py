"""`frontdesk report`: KPIs from the records, checked against counts made here from the raw
tables (SQL), on calls written through the stores and decided by the outcome code."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from sqlalchemy import text

from telephony.cli.main import main
from telephony.records.outcome import settle_outcome
from telephony.records.store import Records
from telephony.transfer.handoffs import HandoffStore

WEEK = 7 * 86400.0


def _turn(records: Records, sid: str, index: int, *codes: str, intent: str = "x",
          tools: list | None = None, sentiment: float | None = None,
          v2v: float | None = None) -> None:
    records.add_turn(sid, index, caller_text="" if intent == "greeting" else f"words {index}",
                     intent=intent, reason_codes=list(codes), tools=tools or [],
                     sentiment=sentiment, reply_text="reply",
                     latency=None if v2v is None else {"voice_to_voice": v2v, "stt": v2v / 3})


def _call(records: Records, handoffs: HandoffStore, sid: str, number: str, end: str,
          turns: list[tuple], handoff: str | None = None, transfer: tuple | None = None) -> None:
    records.start_call(call_sid=sid, stream_sid=f"MZ{sid}", account_sid="AC1",
                       from_number=number, to_number="+15550000000", language="en")
    _turn(records, sid, 0, "greeting", intent="greeting")
    for i, (codes, kwargs) in enumerate(turns, start=1):
        _turn(records, sid, i, *codes, **kwargs)
    if transfer is not None:
        records.add_event(sid, "transfer", {"queue": transfer[0], "reason": transfer[1]})
    if handoff is not None:
        hid = handoffs.create(call_sid=sid, queue=transfer[0] if transfer else "front_desk",
                              reason="r", request="", briefing={}, agents=["+1"])
        handoffs.transition(hid, "dialing", expect={"pending"})
        if handoff != "dialing":
            handoffs.transition(hid, handoff, expect={"dialing"})
    records.end_call(sid, end)
    settle_outcome(records, handoffs, sid, repeat_window_seconds=WEEK)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/report.db"
    records, handoffs = Records(url), HandoffStore(url)
    answered = ([("kb_answer",), {"sentiment": 0.2, "v2v": 600.0}],)
    _call(records, handoffs, "C01", "+1001", "caller_hung_up", list(answered))
    _call(records, handoffs, "C02", "+1002", "agent_hung_up:caller_done",
          [(("kb_answer",), {"sentiment": -0.1, "v2v": 700.0}),
           (("intent:hangup",), {"sentiment": 0.5, "v2v": 500.0})])
    _call(records, handoffs, "C03", "+1003", "caller_hung_up", list(answered))
    _call(records, handoffs, "C04", "+1004", "warm_transfer:front_desk",
          [(("intent:transfer",), {"sentiment": -0.6, "v2v": 900.0})], handoff="connected",
          transfer=("front_desk", "caller_asked_for_person"))
    _call(records, handoffs, "C05", "+1005", "warm_transfer:billing",
          [(("intent:transfer",), {"v2v": 800.0})], handoff="connected",
          transfer=("billing", "needs_human"))
    _call(records, handoffs, "C06", "+1006", "transferred:front_desk",
          [(("intent:transfer",), {"v2v": 650.0})],
          transfer=("front_desk", "caller_asked_for_person"))
    _call(records, handoffs, "C07", "+1007", "caller_hung_up", [], )
    _call(records, handoffs, "C08", "+1008", "caller_hung_up",
          [(("task:order_status",), {"v2v": 450.0})])
    _call(records, handoffs, "C09", "+1009", "caller_hung_up",
          [(("task:order_status",), {"tools": [{"name": "get_order_status",
                                                "reason": "timeout"}], "v2v": 5100.0})])
    _call(records, handoffs, "C10", "+1010", "warm_transfer:front_desk",
          [(("intent:transfer",), {})], handoff="dialing",
          transfer=("front_desk", "caller_asked_for_person"))
    _call(records, handoffs, "C11", "+1001", "caller_hung_up", list(answered))  # C01 again
    _call(records, handoffs, "C12", "+1012", "error", [])
    # Turns an LLM answered: its token counts, priced or not.
    records.update_turn("C02", 1, llm_usage={"prompt_tokens": 900, "completion_tokens": 40,
                                             "requests": 1, "cost_usd": 0.0011})
    records.update_turn("C02", 2, llm_usage={"prompt_tokens": 1200, "completion_tokens": 25,
                                             "requests": 2, "cost_usd": 0.0014})
    records.update_turn("C04", 1, llm_usage={"prompt_tokens": 500, "completion_tokens": 10,
                                             "requests": 1})
    records.save_qa("C01", rules_version=1, score=1.0,
                    items=[{"check": "greeted", "passed": True}])
    records.save_qa("C02", rules_version=1, score=0.5,
                    items=[{"check": "greeted", "passed": True},
                           {"check": "no_card_digits_read_back", "passed": False}])
    records.close()
    handoffs.close()
    return url


def _scalar(conn, sql: str) -> float:
    return conn.execute(text(sql)).scalar_one()


def test_the_report_matches_counts_made_from_the_raw_tables(
        database: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", database)
    monkeypatch.setenv("FRONTDESK_MODELS_DIR", str(Path(database.removeprefix("sqlite:///"))
                                                  .parent / "no-models"))  # no model: by words
    assert main(["report", "--since", "1d", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    records = Records(database)
    with records.engine.connect() as conn:
        counts = dict(conn.execute(text(
            "SELECT outcome, COUNT(*) FROM calls WHERE outcome IS NOT NULL GROUP BY outcome")
        ).all())
        decided = _scalar(conn, "SELECT COUNT(*) FROM calls WHERE outcome IS NOT NULL")
        first_contact = _scalar(conn, "SELECT COUNT(*) FROM calls WHERE outcome = 'resolved' "
                                "AND repeated_by IS NULL")
        reasons = conn.execute(text(
            "SELECT json_extract(detail, '$.reason'), COUNT(*) FROM call_events "
            "WHERE kind = 'transfer' GROUP BY 1")).all()
        spans = [row[0] for row in conn.execute(text(
            "SELECT ended_at - started_at FROM calls WHERE ended_at IS NOT NULL"))]
        joined = [row[0] for row in conn.execute(text(
            "SELECT e.at - h.created_at FROM handoff_events e JOIN handoffs h "
            "ON h.id = e.handoff_id WHERE e.kind = 'connected'"))]
        v2v = [row[0] for row in conn.execute(text(
            "SELECT json_extract(latency, '$.voice_to_voice') FROM turns "
            "WHERE json_extract(latency, '$.voice_to_voice') IS NOT NULL"))]
        repeated = conn.execute(text("SELECT repeated_by FROM calls WHERE call_sid = 'C01'")
                                ).scalar_one()
        llm = conn.execute(text(
            "SELECT COUNT(*), SUM(json_extract(llm_usage, '$.requests')), "
            "SUM(json_extract(llm_usage, '$.prompt_tokens')), "
            "SUM(json_extract(llm_usage, '$.completion_tokens')), "
            "SUM(json_extract(llm_usage, '$.cost_usd')) FROM turns "
            "WHERE llm_usage IS NOT NULL AND json_type(llm_usage) = 'object'")).one()
    records.close()
    assert report["calls"] == 12 and report["decided"] == decided == 11
    assert report["undecided"] == 1  # C10: the agent is still ringing
    assert report["by_outcome"] == {"resolved": counts["resolved"], "transferred":
                                    counts["transferred"], "callback": 0,
                                    "abandoned": counts["abandoned"],
                                    "failed": counts["failed"]}
    assert report["by_outcome"] == {"resolved": 4, "transferred": 3, "callback": 0,
                                    "abandoned": 2, "failed": 2}
    assert report["containment"] == round(counts["resolved"] / decided, 4)
    assert repeated == "C11"
    assert report["first_contact_resolution"] == round(first_contact / decided, 4) \
        == round(3 / 11, 4)
    assert report["abandoned_where"] == {"greeting": 1, "task:order_status": 1}
    assert report["failed_stage"] == {"error": 1, "tool:get_order_status": 1}
    assert report["transfers_by_reason"] == dict(reasons)
    assert report["transfers_by_queue"] == {"billing": 1, "front_desk": 3}
    assert report["handle_time_seconds"]["p50"] == round(statistics.median(spans), 1)
    assert report["time_to_agent_seconds"]["count"] == len(joined) == 2
    assert report["latency_ms"]["voice_to_voice"]["p50"] == round(statistics.median(v2v), 1)
    assert report["tool_failures"] == {"get_order_status": 1}
    assert report["qa"] == {"scored": 2, "mean_score": 0.75,
                            "failed": {"no_card_digits_read_back": 1}}
    assert report["llm"] == {"turns": llm[0], "requests": llm[1], "prompt_tokens": llm[2],
                             "completion_tokens": llm[3], "cost_usd": round(llm[4], 6)}
    assert report["llm"]["turns"] == 3 and report["llm"]["cost_usd"] == 0.0025
    assert report["sentiment"]["start"] == round(statistics.mean([0.2, -0.1, 0.2, -0.6, 0.2]), 3)
    assert report["sentiment"]["end"] == round(statistics.mean([0.2, 0.5, 0.2, -0.6, 0.2]), 3)
    # The text form and a period with nothing in it.
    assert main(["report", "--since", "1d"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("12 calls (1 with a transfer in progress): 4 resolved"), said
    assert "LLM: 3 turns, 4 requests, 2600 prompt + 75 completion tokens, $0.0025" in said
    assert main(["report", "--since", "2001-01-01", "--until", "2001-01-02", "--json"]) == 0
    empty = json.loads(capsys.readouterr().out)
    assert empty["calls"] == 0 and empty["containment"] is None
    assert main(["report", "--since", "last tuesday"]) == 2
    # A queue's KPIs: the calls sent to it last.
    assert main(["report", "--since", "1d", "--queue", "front_desk", "--json"]) == 0
    front = json.loads(capsys.readouterr().out)
    assert (front["queue"], front["calls"], front["undecided"]) == ("front_desk", 3, 1)
    assert front["by_outcome"]["transferred"] == 2 and front["transfers_by_queue"] == {
        "front_desk": 3}
