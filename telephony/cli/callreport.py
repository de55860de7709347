"""What a simulated call produced, worked out from streamdouble's event log (pure).

Caller turns and their voice-to-voice latency (our last speech frame sent -> the
agent's first audible frame after it), barge-in reaction (our speech start while
the agent talks -> `clear`), agent turns with their audio, and playback underruns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from streamdouble import audio as sd_audio
from streamdouble.session import SessionEvent

from voice.audio import mulaw_decode

__all__ = [
    "SILENT_PEAK", "TURN_EVENT", "AgentTurn", "CallResult", "CallerStep", "CallerTurn",
    "PreparedTurn", "StreamTwiml", "analyse_call", "format_call", "split_agent_audio",
]

SILENT_PEAK = 200  # a 20 ms frame whose peak stays below this (of 32767) is silence
SEGMENT_GAP_S = 0.6  # agent audio further apart than this is two segments
MAX_UNDERRUN_GAP_S = 3.0  # longer gaps inside one reply are separate utterances
TURN_EVENT = "frontdesk_turn"


@dataclass(frozen=True)
class CallerStep:
    say: str | None = None
    audio: Path | None = None
    dtmf: str | None = None
    pause_seconds: float = 0.0
    barge_in_after_seconds: float | None = None


@dataclass(frozen=True)
class PreparedTurn:
    step: CallerStep
    mulaw: bytes = b""  # the caller's speech, 8 kHz mu-law, silence trimmed


@dataclass(frozen=True)
class StreamTwiml:
    url: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class AgentTurn:
    started_at_s: float  # offsets from the `start` message
    ended_at_s: float
    underrun_ms: float  # time the caller's playback ran dry inside this reply
    text: str | None = None
    audio: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class CallerTurn:
    index: int
    said: str | None
    audio: str | None
    dtmf: str | None
    started_at_s: float | None
    ended_at_s: float | None
    barge_in: bool
    voice_to_voice_ms: float | None  # our last frame sent -> first audible agent frame after
    barge_in_reaction_ms: float | None  # our speech start -> `clear` (barge-in turns only)


@dataclass(frozen=True)
class CallResult:
    call_sid: str
    stream_sid: str
    agent_turns: tuple[AgentTurn, ...]
    caller_turns: tuple[CallerTurn, ...]
    greeting_first_audio_ms: float | None
    clears: int
    marks_received: int
    marks_echoed: int
    closed_by: str | None  # None: we hung up normally (sent `stop`)
    violations: tuple[str, ...]
    agent_audio_s: float
    stream: dict[str, Any]  # streamdouble's metrics; `pacing` is our own sending schedule
    audio_received: bytes = field(default=b"", repr=False)

    @property
    def turn_latencies_ms(self) -> list[float | None]:
        return [t.voice_to_voice_ms for t in self.caller_turns]

    @property
    def underrun_ms(self) -> float:
        return sum(t.underrun_ms for t in self.agent_turns)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("audio_received")
        for turn in data["agent_turns"]:
            turn.pop("audio")
        data["turn_latencies_ms"] = self.turn_latencies_ms
        return data

    def save_reply_wav(self, path: Path | str) -> bool:
        """Write everything the agent sent (8 kHz WAV). False when it sent nothing."""
        if not self.audio_received:
            return False
        sd_audio.ulaw_to_wav(self.audio_received, path)
        return True


# -- analysis of the event log (pure) -------------------------------------------------------------
_Frame = tuple[float, int, int, bool]  # arrival, offset, size, audible


def _agent_frames(events: Sequence[SessionEvent], audio: bytes) -> list[_Frame]:
    """(arrival, offset, size, audible) per media frame the agent sent."""
    frames, cursor = [], 0
    for event in events:
        if event.kind != "media_received":
            continue
        size = int(event.detail.get("bytes", 0))
        if size <= 0 or cursor + size > len(audio):
            break
        chunk = mulaw_decode(audio[cursor: cursor + size]).astype(np.int32)
        frames.append((event.at, cursor, size, bool(np.abs(chunk).max() >= SILENT_PEAK)))
        cursor += size
    return frames


def split_agent_audio(events: Sequence[SessionEvent], audio: bytes, *,
                      gap_s: float = SEGMENT_GAP_S) -> list[tuple[int, int]]:
    """Runs of audible agent frames (arrival gaps over ``gap_s`` split them), as
    (first, last) indexes into the agent's media frames."""
    segments: list[tuple[int, int]] = []
    last_at = float("-inf")
    for i, (at, _, _, audible) in enumerate(_agent_frames(events, audio)):
        if not audible:
            continue
        if segments and at - last_at <= gap_s:
            segments[-1] = (segments[-1][0], i)
        else:
            segments.append((i, i))
        last_at = at
    return segments


def _underrun_s(frames: Sequence[_Frame]) -> float:
    """Seconds the caller's playback buffer ran dry between these frames."""
    dry, plays_until = 0.0, None
    for at, _, size, _ in frames:
        if plays_until is not None and 0 < at - plays_until < MAX_UNDERRUN_GAP_S:
            dry += at - plays_until
        plays_until = max(at, plays_until or at) + size / 8000
    return dry


def analyse_call(events: Sequence[SessionEvent], audio: bytes, origin: float,
                 turns: Sequence[PreparedTurn]) -> tuple[list[AgentTurn], list[CallerTurn]]:
    """Agent turns (audio grouped by the caller turn they follow) and caller turns with
    their voice-to-voice latency and barge-in reaction, from streamdouble's event log."""
    frames = _agent_frames(events, audio)
    segments = [(frames[a][0], frames[b][0], a, b) for a, b in split_agent_audio(events, audio)]
    edges: dict[tuple[int, str], float] = {
        (e.detail["index"], e.detail["edge"]): e.at for e in events if e.kind == TURN_EVENT}
    clears = [e.at for e in events if e.kind == "clear_received"]
    ends = sorted(at for (_, edge), at in edges.items() if edge == "end")

    groups: dict[int, list[tuple[float, float, int, int]]] = {}
    for segment in segments:  # window k: after the k-th caller turn ended (-1: greeting)
        groups.setdefault(sum(1 for end in ends if end <= segment[0]) - 1, []).append(segment)
    agent_turns = []
    for _, group in sorted(groups.items()):
        first, last = group[0][2], group[-1][3]
        pieces = [audio[frames[a][1]: frames[b][1] + frames[b][2]] for _, _, a, b in group]
        silence = bytes([0xFF]) * 2400
        agent_turns.append(AgentTurn(
            round(group[0][0] - origin, 3), round(group[-1][1] - origin, 3),
            round(_underrun_s(frames[first: last + 1]) * 1000, 1), audio=silence.join(pieces)))

    caller_turns = []
    for index, turn in enumerate(turns):
        start, end = edges.get((index, "start")), edges.get((index, "end"))
        next_start = edges.get((index + 1, "start"), float("inf"))
        v2v = react = None
        if end is not None:
            reply = next((s for s in segments if end <= s[0] < next_start), None)
            v2v = None if reply is None else round((reply[0] - end) * 1000, 1)
        talking = start is not None and any(s[0] <= start <= s[1] + 0.3 for s in segments)
        barge = turn.step.barge_in_after_seconds is not None or talking
        if barge and start is not None:
            clear = next((c for c in clears if start <= c < next_start), None)
            react = None if clear is None else round((clear - start) * 1000, 1)
        caller_turns.append(CallerTurn(
            index, turn.step.say, None if turn.step.audio is None else str(turn.step.audio),
            turn.step.dtmf, None if start is None else round(start - origin, 3),
            None if end is None else round(end - origin, 3), barge, v2v, react))
    return agent_turns, caller_turns


def format_call(result: CallResult) -> str:
    lines = [f"call {result.call_sid} (stream {result.stream_sid})"]
    rows: list[tuple[float, str]] = []
    for t in result.agent_turns:
        gap = f"  [underrun {t.underrun_ms:.0f} ms]" if t.underrun_ms else ""
        rows.append((t.started_at_s, f"agent  {t.started_at_s:7.2f}s  {t.text or '(audio)'}{gap}"))
    for c in result.caller_turns:
        what = c.said or (c.audio and f"<{c.audio}>") or f"[keys {c.dtmf}]"
        v2v = c.voice_to_voice_ms
        extra = "" if v2v is None else f"  -> reply after {v2v:.0f} ms"
        if c.barge_in:
            extra += ("  (barge-in: no clear)" if c.barge_in_reaction_ms is None
                      else f"  (barge-in: clear after {c.barge_in_reaction_ms:.0f} ms)")
        at = c.started_at_s if c.started_at_s is not None else float("inf")
        rows.append((at, f"caller {at:7.2f}s  {what}{extra}"))
    lines += [text for _, text in sorted(rows, key=lambda r: r[0])]
    greet = result.greeting_first_audio_ms
    lines.append(f"greeting first audio: {'none' if greet is None else f'{greet:.0f} ms'}; "
                 f"marks {result.marks_echoed}/{result.marks_received} echoed; "
                 f"clears {result.clears}; agent audio {result.agent_audio_s:.1f}s; "
                 f"closed by {result.closed_by or 'caller (stop)'}")
    lines += [f"VIOLATION {v}" for v in result.violations]
    return "\n".join(lines)
