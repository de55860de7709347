"""Pure parts of the simulated caller: TwiML, signatures, the event-log arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamdouble.scenario import Dtmf, Say, Wait
from streamdouble.session import SessionEvent
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from telephony.cli.call_command import steps_from_pairs
from telephony.cli.simulator import (
    TURN_EVENT,
    CallerStep,
    CallResult,
    PreparedTurn,
    SimulatorError,
    analyse_call,
    build_scenario,
    parse_stream_twiml,
    sign_webhook,
    split_agent_audio,
    trim_silence,
    webhook_params,
)
from telephony.twilio import twiml
from telephony.twilio.security import valid_twilio_signature
from voice.audio import mulaw_encode

ORIGIN = 100.0
LOUD = mulaw_encode((8000 * np.cos(np.arange(160) / 3.0)).astype(np.int16))  # loud at both ends
QUIET = bytes([0xFF]) * 160


def media(at: float, payload: bytes = LOUD) -> tuple[SessionEvent, bytes]:
    return SessionEvent(at, "media_received", {"bytes": len(payload)}), payload


def speech(start: float, seconds: float) -> list[tuple[SessionEvent, bytes]]:
    """Agent audio paced in real time: one 20 ms frame every 20 ms."""
    return [media(start + i * 0.02) for i in range(round(seconds / 0.02))]


def edge(at: float, index: int, which: str) -> tuple[SessionEvent, bytes]:
    return SessionEvent(at, TURN_EVENT, {"index": index, "edge": which}), b""


def log(*parts: list[tuple[SessionEvent, bytes]] | tuple[SessionEvent, bytes]):
    items: list[tuple[SessionEvent, bytes]] = []
    for part in parts:
        items.extend(part if isinstance(part, list) else [part])
    items.sort(key=lambda item: item[0].at)
    return [e for e, _ in items], b"".join(p for _, p in items)


def said(text: str, **kwargs: float) -> PreparedTurn:
    return PreparedTurn(CallerStep(say=text, **kwargs), LOUD * 50)


# -- TwiML and signatures -------------------------------------------------------------------


def test_parses_the_servers_own_stream_twiml() -> None:
    document = twiml.connect_stream("ws://127.0.0.1:8080/twilio/stream", "tok.sig",
                                    fallback_number="+15550001111", fallback_message="Hold on")
    parsed = parse_stream_twiml(document)
    assert parsed.url == "ws://127.0.0.1:8080/twilio/stream"
    assert parsed.parameters == {twiml.TOKEN_PARAMETER: "tok.sig"}


def test_twiml_without_a_stream_is_an_error_that_says_what_it_says() -> None:
    with pytest.raises(SimulatorError, match="we are closed"):
        parse_stream_twiml(str(VoiceResponse().say("we are closed")))
    with pytest.raises(SimulatorError, match="invalid XML"):
        parse_stream_twiml("<Response><Connect>")


def test_signature_is_what_twilios_validator_accepts() -> None:
    url = "https://frontdesk.example.com/twilio/voice"
    params = webhook_params("CA" + "1" * 32, "AC" + "2" * 32, "+15551230000", "+15559870000")
    signature = sign_webhook(url, params, "secret-token")
    assert RequestValidator("secret-token").validate(url, params, signature)
    assert valid_twilio_signature(url, params, signature, "secret-token")
    assert not RequestValidator("other-token").validate(url, params, signature)
    assert not RequestValidator("secret-token").validate(url, {**params, "From": "+1"}, signature)


# -- caller steps ----------------------------------------------------------------------------


def test_cli_steps_keep_their_order_and_modifiers_apply_to_the_next_step() -> None:
    steps = steps_from_pairs([("--say", "hi"), ("--barge-in", 1.5), ("--audio", "a.wav"),
                              ("--pause", 2.0), ("--dtmf", "12#")])
    assert steps == [CallerStep(say="hi"),
                     CallerStep(audio=Path("a.wav"), barge_in_after_seconds=1.5),
                     CallerStep(dtmf="12#", pause_seconds=2.0)]
    with pytest.raises(SimulatorError):
        steps_from_pairs([("--say", "hi"), ("--pause", 1.0)])


def test_trim_silence_keeps_only_a_short_margin() -> None:
    trimmed = trim_silence(QUIET * 20 + LOUD * 5 + QUIET * 30, keep_seconds=0.04)
    assert len(trimmed) == 160 * 5 + 2 * 320
    assert trim_silence(QUIET * 10) == b""


def test_scenario_waits_for_each_reply_then_speaks_and_marks_the_turn() -> None:
    turns = [said("one"), said("two", barge_in_after_seconds=1.0, pause_seconds=0.5),
             PreparedTurn(CallerStep(dtmf="3"))]
    steps = build_scenario(turns, timeout_s=9.0, quiet_s=1.2).steps
    kinds = [type(s).__name__ for s in steps]
    assert kinds == ["_AwaitReply", "_TurnEdge", "Say", "_TurnEdge",
                     "_AwaitReply", "Wait", "Wait", "_TurnEdge", "Say", "_TurnEdge",
                     "_AwaitReply", "_TurnEdge", "Dtmf", "_TurnEdge", "_AwaitReply"]
    assert steps[4].start_only and not steps[0].start_only
    assert [s.seconds for s in steps if isinstance(s, Wait)] == [1.0, 0.5]
    assert len(next(s for s in steps if isinstance(s, Say)).frames) == 50
    assert next(s for s in steps if isinstance(s, Dtmf)).digits == "3"


# -- splitting and latency from an event log ---------------------------------------------------


def test_agent_audio_splits_on_gaps_and_ignores_silent_frames() -> None:
    events, audio = log(speech(100.5, 2.0), [media(102.6 + i * 0.02, QUIET) for i in range(50)],
                        speech(104.0, 1.0), speech(105.3, 0.5))
    segments = split_agent_audio(events, audio, gap_s=0.6)
    assert len(segments) == 2  # 103.6 -> 104.0 is silent frames only, but a 1.4 s gap
    first, last = segments
    assert (first[1] - first[0] + 1) == 100
    assert last[0] == 100 + 50  # the silent frames are indexed, not audible


def test_turns_latency_and_greeting_from_a_synthetic_log() -> None:
    turns = [said("breakfast?"), said("parking?")]
    events, audio = log(
        speech(ORIGIN + 0.42, 3.0),                               # greeting
        edge(ORIGIN + 5.0, 0, "start"), edge(ORIGIN + 6.0, 0, "end"),
        speech(ORIGIN + 6.81, 2.0),                               # reply 1
        edge(ORIGIN + 10.0, 1, "start"), edge(ORIGIN + 11.5, 1, "end"),
        speech(ORIGIN + 12.7, 1.0),                               # reply 2
    )
    agent, caller = analyse_call(events, audio, ORIGIN, turns)
    assert [t.started_at_s for t in agent] == [0.42, 6.81, 12.7]
    assert [round(t.ended_at_s, 2) for t in agent] == [3.4, 8.79, 13.68]
    assert [t.voice_to_voice_ms for t in caller] == [810.0, 1200.0]
    assert [t.barge_in for t in caller] == [False, False]
    assert all(t.underrun_ms == 0 for t in agent)
    assert len(agent[1].audio) == 100 * 160


def test_barge_in_reaction_and_interrupted_reply_stays_with_its_turn() -> None:
    turns = [said("stop, what time is check-out?", barge_in_after_seconds=1.0)]
    events, audio = log(
        speech(ORIGIN + 0.1, 1.5),                                # greeting, cut short
        edge(ORIGIN + 1.1, 0, "start"),
        (SessionEvent(ORIGIN + 1.45, "clear_received", {}), b""),
        edge(ORIGIN + 3.0, 0, "end"),
        speech(ORIGIN + 3.9, 1.0),
    )
    agent, caller = analyse_call(events, audio, ORIGIN, turns)
    assert len(agent) == 2 and agent[0].started_at_s == 0.1
    assert caller[0].barge_in and caller[0].barge_in_reaction_ms == 350.0
    assert caller[0].voice_to_voice_ms == 900.0


def test_reply_still_streaming_when_we_stop_is_not_a_reply() -> None:
    turns = [said("hello?")]
    events, audio = log(speech(ORIGIN + 0.2, 4.0), edge(ORIGIN + 1.0, 0, "start"),
                        edge(ORIGIN + 2.0, 0, "end"))
    agent, caller = analyse_call(events, audio, ORIGIN, turns)
    assert caller[0].voice_to_voice_ms is None  # the agent never paused: no reply to time
    assert caller[0].barge_in and caller[0].barge_in_reaction_ms is None  # and no clear


def test_playback_underrun_counts_dry_time_inside_a_reply() -> None:
    # 1 s of audio, then 0.5 s of nothing, then 1 s more: arrivals paced in real time.
    events, audio = log(speech(ORIGIN + 1.0, 1.0), speech(ORIGIN + 2.5, 1.0))
    agent, _ = analyse_call(events, audio, ORIGIN, [])
    assert len(agent) == 1  # one window (no caller turn between): one agent turn
    assert agent[0].underrun_ms == pytest.approx(500.0, abs=1.0)


def test_call_result_json_leaves_audio_out() -> None:
    result = CallResult("CA1", "MZ1", (), (), 420.0, 0, 1, 1, None, (), 1.0, {}, LOUD)
    data = result.to_dict()
    assert "audio_received" not in data and data["greeting_first_audio_ms"] == 420.0


# -- bench arithmetic ---------------------------------------------------------------------------


def _call(latencies: list[float | None], *, underrun_ms: float = 0.0) -> CallResult:
    from telephony.cli.simulator import AgentTurn, CallerTurn

    callers = tuple(CallerTurn(i, "q", None, None, 1.0, 2.0, False, v, None)
                    for i, v in enumerate(latencies))
    agent = (AgentTurn(0.1, 5.1, underrun_ms),)
    return CallResult("CA1", "MZ1", agent, callers, 100.0, 0, 1, 1, None, (), 5.0, {})


def test_concurrency_levels_step_by_two_after_two_and_include_the_maximum() -> None:
    from telephony.cli.bench import concurrency_levels

    assert concurrency_levels(8) == [1, 2, 4, 6, 8]
    assert concurrency_levels(5) == [1, 2, 4, 5]
    assert concurrency_levels(1) == [1]
    assert concurrency_levels(1000)[-1] == 32


def test_level_verdicts() -> None:
    from telephony.cli.bench import level_summary, summarise

    assert summarise([None]) == {"n": 0, "p50": None, "p95": None, "max": None}
    assert summarise([100.0, 200.0, 300.0])["p50"] == 200.0
    assert level_summary(1, [_call([800.0, 900.0])])["held"]
    slow = level_summary(2, [_call([800.0, 2500.0]), _call([2400.0, 2600.0])])
    assert not slow["held"] and "p95" in slow["reason"]
    # A call's first turn apart from its later ones.
    assert slow["first_turn_voice_to_voice_ms"]["p50"] == 1600.0
    assert slow["later_turns_voice_to_voice_ms"]["p50"] == 2550.0
    behind = level_summary(2, [_call([800.0], underrun_ms=500.0)])  # 10% of 5 s played dry
    assert not behind["held"] and "real time" in behind["reason"]
    failed = level_summary(4, [_call([800.0, None]), "webhook refused: HTTP 403"])
    assert not failed["held"] and len(failed["failures"]) == 2
    # Each caller voice apart.
    voiced = level_summary(2, [_call([500.0, 600.0]), _call([1200.0, 700.0]), "refused"],
                           voices=["piper:en", "espeak-ng:es", "piper:en"])
    assert voiced["by_voice"]["piper:en"]["first_turn_ms"]["p50"] == 500.0
    assert voiced["by_voice"]["espeak-ng:es"]["later_turns_ms"]["p50"] == 700.0


def test_bench_callers_take_turns_among_voices_and_questions() -> None:
    from telephony.cli.callers import CallerVoice, caller_scripts
    from telephony.cli.simulator import PreparedTurn

    def voice(name: str) -> CallerVoice:
        return CallerVoice(name, tuple(PreparedTurn(CallerStep(say=f"{name} {i}"), b"\x00")
                                       for i in range(6)))

    scripts = caller_scripts([voice("a"), voice("b")], calls=3, turns_per_call=2)
    assert [name for name, _ in scripts] == ["a", "b", "a"]
    assert [[t.step.say for t in turns] for _, turns in scripts] == [
        ["a 0", "a 1"], ["b 1", "b 2"], ["a 2", "a 3"]]


def test_bench_espeak_caller_is_telephone_audio_without_the_silence_around_it() -> None:
    from telephony.cli.callers import espeak_caller_mulaw8k
    from voice.audio import mulaw_decode

    pcm = mulaw_decode(espeak_caller_mulaw8k("¿Puedo llevar a mi perro?", "es")).astype(np.int32)
    assert 0.8 < len(pcm) / 8000 < 4.0
    loud = np.flatnonzero(np.abs(pcm) >= 200)
    # trimmed to 40 ms either side of the words, as piper's callers are
    assert loud[0] <= 0.05 * 8000 and len(pcm) - loud[-1] <= 0.05 * 8000


def test_bench_refuses_a_caller_voice_it_does_not_have() -> None:
    from telephony.cli.callers import caller_voices

    with pytest.raises(SimulatorError, match="unknown caller voice.*espeak-ng:xx"):
        caller_voices(None, ["piper:en", "espeak-ng:xx"])
    with pytest.raises(SimulatorError, match="none given"):
        caller_voices(None, [])
