"""The call's turn records (telephony/call/turns.py) on a real database: numbering, loudness,
what was heard, and a later stream of the same call going on after the earlier turns."""

from __future__ import annotations

from config.settings import TurnSettings
from dialog.types import CallerTurn, Reply
from telephony.call.frames import ReplyFrame
from telephony.call.turns import TurnLog
from telephony.records.store import Records

CALL = "CA" + "1" * 32


def _log(records: Records) -> TurnLog:
    # The call's writer queues these off the frame path; here each runs at once.
    return TurnLog(records, CALL, TurnSettings(), lambda fn, *a, **kw: fn(*a, **kw))


def _frame(text: str, *, dtmf: str | None = None) -> ReplyFrame:
    return ReplyFrame(turn=CallerTurn(text, dtmf=dtmf), dialog_ms=1.0,
                      reply=Reply(f"re: {text or dtmf}", "question", 0.9))


def test_turns_are_numbered_recorded_and_completed_with_what_was_heard(tmp_path):
    records = Records(f"sqlite:///{tmp_path}/calls.db")
    records.start_call(call_sid=CALL, stream_sid="MZ1", account_sid="AC1", from_number="",
                       to_number="", language="en")
    log = _log(records)
    log.go_on_from_earlier_streams()
    assert log.own_line("Hello.", "greeting") == 0
    log.heard_level(-30.0)
    log.heard_level(-21.04)
    assert log.reply(_frame("What time is breakfast?")) == 1
    log.heard(1, "re: What", interrupted=True)
    log.heard_level(-12.0)  # a keypad turn carries no loudness, and drops what came before
    assert log.reply(_frame("", dtmf="4")) == 2
    turns = records.call(CALL)["turns"]
    assert [(t["turn_index"], t["intent"], t["caller_level_db"]) for t in turns] == [
        (0, "greeting", None), (1, "question", -21.0), (2, "question", None)]
    assert (turns[1]["heard_text"], turns[1]["interrupted"]) == ("re: What", 1)

    later = _log(records)  # a second stream of the same call (a retried webhook)
    later.go_on_from_earlier_streams()
    assert later.reply(_frame("Still there?")) == 3
    records.close()
