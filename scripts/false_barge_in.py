"""False barge-ins on a phone line's noises, and how fast the VAD hears a caller, per VAD setting.

A barge-in (`clear`, the agent stops talking) follows the VAD's SPEAKING state: a cough, a
click or line noise that reaches it cuts the agent off for nothing. This feeds the clip set of
``scripts/barge_clips.py`` (made from a fixed seed, 8 kHz mu-law as Twilio streams it) after
1-2 s of digital silence or of line hiss (-55 dBFS, under the clip too), as 20 ms Twilio media
messages through the call's serializer (``telephony.call.transport.CallSerializer``: the same
8 -> 16 kHz conversion as a call) into ``voice.vad.PauseWatchingVAD`` on the shared Silero
session with ``VADParams`` from ``Settings().turn``, chunk by chunk as a call's
``VADProcessor`` does. It counts:

- a control: the line alone (2 s of silence or hiss, no clip) must never be SPEAKING;
- a false barge-in: a non-speech clip run (clip, background, lead: 3 seeded leads of 1-2 s
  on each background) that reaches SPEAKING, up to 0.5 s after the clip ends;
- the onset delay: speech's first loud sample (over -24 dBFS at nominal level, as
  ``scripts/vad_onset.py``) -> the end of the 20 ms frame after which the VAD is SPEAKING,
  at 8 frame alignments, nominal (-20 dBFS) and quiet (-35 dBFS) callers; ``missed``: not
  SPEAKING within 1 s; in brackets, the median from the clip's start (40 ms before its first
  sample over -40 dB of its peak), as the bench measures a barge-in from the caller's turn.

Silero's scores do not depend on the VAD's thresholds until its first SPEAKING (pipecat resets
the model only after 5 windows under 0.1, when no setting can be STARTING), so each run is
scored once and every setting's state machine (``VADAnalyzer._run_analyzer``'s) is replayed on
those scores; the current defaults are also run for real and must agree run for run.

    .venv/bin/python scripts/false_barge_in.py [--serializer pipecat] [--show-false]

``--serializer pipecat`` converts with pipecat's own Twilio serializer instead of the call's.
Takes 1-1.5 minutes (one core; the Silero scoring is most of it).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from loguru import logger
from pipecat.audio.vad.vad_analyzer import VADParams, VADState
from pipecat.serializers.twilio import TwilioFrameSerializer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from barge_clips import (  # noqa: E402
    LINE_RATE,
    SEED,
    Clip,
    line_hiss,
    mix,
    non_speech_clips,
    speech_clips,
)

from config import Settings  # noqa: E402
from telephony.call.heard import MarkLedger  # noqa: E402
from telephony.call.transport import CallSerializer  # noqa: E402
from voice.turn import TurnModels  # noqa: E402
from voice.vad import PauseWatchingVAD  # noqa: E402

FRAME = 160  # 20 ms of 8 kHz mu-law: one Twilio media message
FRAME_MS = 20
WINDOW_S = 512 / 16000  # Silero's window at 16 kHz
HISS_DBFS = -55.0
TAIL_FRAMES = 25  # the background goes on 0.5 s after a non-speech clip
SPEECH_FRAMES = 50  # speech is fed up to 1 s after its onset
NON_SPEECH_LEADS = 3  # each clip after 3 seeded leads of 1-2 s, on each background
SPEECH_LEADS = [50 + 7 * k for k in range(8)]  # 1.0-1.98 s: every alignment to Silero's window
STARTS = (0.05, 0.1, 0.15)
CONFIDENCES = (0.5, 0.6, 0.7)
VOLUMES = (0.3, 0.4, 0.5)
PIPECAT_DEFAULT = (0.2, 0.7, 0.6)

Windows = list[tuple[int, float, float]]  # (media message index, Silero score, volume)


@dataclass(frozen=True)
class Run:
    clip: Clip
    background: str
    lead_frames: int
    windows: Windows
    real_default: int | None  # the message after which the real default VAD was SPEAKING


class _Scoring(PauseWatchingVAD):
    """The call's VAD with thresholds nothing reaches: it only records each window's Silero
    score and smoothed volume, as every setting's VAD sees them until its first SPEAKING."""

    def __init__(self, session: object) -> None:
        super().__init__(session=session, params=VADParams(confidence=1.1, min_volume=2.0))
        self.message = 0
        self.windows: Windows = []

    def voice_confidence(self, buffer: bytes) -> float:
        score = super().voice_confidence(buffer)
        self.windows.append((self.message, float(np.asarray(score).ravel()[0]), 0.0))
        return score

    def _get_smoothed_volume(self, audio: bytes) -> float:
        volume = super()._get_smoothed_volume(audio)
        message, score, _ = self.windows[-1]
        self.windows[-1] = (message, score, volume)
        return volume


def start_windows(start_secs: float) -> int:
    return round(start_secs / WINDOW_S)  # as VADAnalyzer.set_params


def first_speaking(windows: Windows, confidence: float, start_secs: float,
                   min_volume: float) -> int | None:
    """``VADAnalyzer._run_analyzer``'s QUIET/STARTING/SPEAKING steps on recorded windows: the
    media message after which the state is SPEAKING (None: never)."""
    needed = start_windows(start_secs)
    starting, count = False, 0
    for index, (message, score, volume) in enumerate(windows):
        if score >= confidence and volume >= min_volume:
            count = count + 1 if starting else 1
            starting = True
        else:
            starting, count = False, 0
        last_of_message = index + 1 == len(windows) or windows[index + 1][0] != message
        if last_of_message and starting and count >= needed:
            return message
    return None


def _media(sid: str, index: int, payload: bytes) -> str:
    return json.dumps({"event": "media", "streamSid": sid, "media": {
        "track": "inbound", "chunk": str(index + 1), "timestamp": str(index * FRAME_MS),
        "payload": base64.b64encode(payload).decode()}})


async def _nothing(*_: object) -> None:
    return None


def serializer(kind: str) -> TwilioFrameSerializer:
    if kind == "pipecat":
        return TwilioFrameSerializer("MZbarge", params=TwilioFrameSerializer.InputParams(
            auto_hang_up=False))
    return CallSerializer("MZbarge", ledger=MarkLedger(), max_message_bytes=16_384,
                          on_bad_message=_nothing, on_stop=_nothing)


async def pcm_chunks(mulaw: bytes, kind: str) -> list[bytes]:
    """What the pipeline gets from each 20 ms media message (b"" when it gets nothing)."""
    wire = serializer(kind)
    await wire.setup(SimpleNamespace(audio_in_sample_rate=16000))  # as a call's StartFrame
    chunks = []
    for index, start in enumerate(range(0, len(mulaw), FRAME)):
        frame = await wire.deserialize(_media("MZbarge", index, mulaw[start:start + FRAME]))
        chunks.append(frame.audio if frame is not None else b"")
    return chunks


def score(chunks: list[bytes], models: TurnModels,
          default: VADParams) -> tuple[Windows, int | None]:
    scoring = _Scoring(models.silero)
    real = PauseWatchingVAD(session=models.silero, params=default)
    for vad in (scoring, real):
        vad.set_sample_rate(16000)
    speaking = None
    for index, chunk in enumerate(chunks):
        if not chunk:
            continue
        scoring.message = index
        scoring._run_analyzer(chunk)
        if speaking is None and real._run_analyzer(chunk) == VADState.SPEAKING:
            speaking = index
    return scoring.windows, speaking


def background(kind: str, frames: int, hiss: bytes) -> bytes:
    return bytes([0xFF]) * FRAME * frames if kind == "silence" else hiss[: FRAME * frames]


async def make_runs(clips: list[Clip], models: TurnModels, default: VADParams,
                    kind: str) -> list[Run]:
    rng = np.random.default_rng([SEED, 7])
    hiss = line_hiss(8.0, HISS_DBFS)
    runs = []
    for clip in clips:
        clip_frames = -(-len(clip.mulaw) // FRAME)
        for ground in ("silence", "hiss"):
            if clip.category == "speech":
                leads = SPEECH_LEADS
            else:
                leads = [int(x) for x in rng.integers(50, 101, NON_SPEECH_LEADS)]
            for lead in leads:
                if clip.category == "speech":
                    onset_frame = lead + int((clip.onset_s or 0) * 1000 // FRAME_MS)
                    total = min(lead + clip_frames, onset_frame + SPEECH_FRAMES)
                else:
                    total = lead + clip_frames + TAIL_FRAMES
                under = background(ground, total, hiss)
                stream = mix(under, bytes([0xFF]) * FRAME * lead + clip.mulaw)[: FRAME * total]
                windows, real = score(await pcm_chunks(stream, kind), models, default)
                runs.append(Run(clip, ground, lead, windows, real))
    return runs


def onset_ms(run: Run, message: int | None) -> float | None:
    if message is None:
        return None
    heard_at = (message + 1) * FRAME_MS
    return heard_at - (run.lead_frames * FRAME / LINE_RATE + (run.clip.onset_s or 0)) * 1000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def evaluate(runs: list[Run], setting: tuple[float, float, float]) -> dict:
    start, confidence, volume = setting
    false: dict[str, list[bool]] = defaultdict(list)
    delays: dict[str, list[float | None]] = defaultdict(list)
    missed = []
    for run in runs:
        message = first_speaking(run.windows, confidence, start, volume)
        if run.clip.category == "speech":
            level = run.clip.name.rsplit("-", 1)[-1]
            delay = onset_ms(run, message)
            heard = delay is not None and delay <= 1000
            delays[level].append(delay if heard else None)
            if level == "nominal" and heard:
                delays["from clip start"].append((message + 1 - run.lead_frames) * FRAME_MS)
            if not heard:
                missed.append(f"{run.clip.name}/{run.background}")
        elif run.clip.category == "control":
            false["control"].append(message is not None)
        else:
            hit = message is not None
            false[run.clip.category].append(hit)
            false["all"].append(hit)
            false[run.background].append(hit)
    return {"false": false, "delays": delays, "missed": missed}


def _rate(hits: list[bool]) -> str:
    return f"{100 * sum(hits) / len(hits):4.1f}" if hits else "  - "


def report(runs: list[Run], settings: list[tuple[float, float, float]],
           default: tuple[float, float, float], show_false: bool) -> None:
    categories = sorted({r.clip.category for r in runs} - {"speech", "control"})
    head = (f"{'start':>5} {'conf':>4} {'vol':>4} | {'false%':>6} {'silnc':>5} {'hiss':>5} | "
            + " ".join(f"{c[:6]:>6}" for c in categories)
            + " | onset p50/p90 ms nominal (from clip start) | quiet p50/p90 | missed")
    print(head)
    print("-" * len(head))
    controls: list[bool] = []
    for setting in settings:
        result = evaluate(runs, setting)
        false, delays = result["false"], result["delays"]
        cells = []
        for level in ("nominal", "quiet"):
            heard = [d for d in delays[level] if d is not None]
            cells.append(f"{statistics.median(heard):4.0f} / {_pct(heard, 0.9):4.0f}"
                         if heard else "   -   ")
        if delays["from clip start"]:
            cells[0] += f" ({statistics.median(delays['from clip start']):4.0f})"
        missed = len(result["missed"])
        total = len(delays["nominal"]) + len(delays["quiet"])
        controls += false["control"]
        mark = " <- default" if setting == default else ""
        mark = " <- pipecat's default" if setting == PIPECAT_DEFAULT else mark
        print(f"{setting[0]:5.2f} {setting[1]:4.2f} {setting[2]:4.2f} | "
              f"{_rate(false['all']):>6} {_rate(false['silence']):>5} {_rate(false['hiss']):>5} | "
              + " ".join(f"{_rate(false[c]):>6}" for c in categories)
              + f" | {cells[0]:>42} | {cells[1]:>13} | {missed}/{total}{mark}")
        if show_false:
            names = sorted({f"{r.clip.name}/{r.background}" for r in runs
                            if r.clip.category not in ("speech", "control")
                            and first_speaking(r.windows, setting[1], setting[0], setting[2])
                            is not None})
            print("      false on: " + ", ".join(names))
            print("      missed: " + ", ".join(sorted(set(result["missed"]))))
    print(f"the line alone (background, no clip): SPEAKING in {sum(controls)} of {len(controls)}"
          " runs, all settings together")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serializer", choices=("call", "pipecat"), default="call")
    parser.add_argument("--show-false", action="store_true",
                        help="name the clips that barge in, under each setting")
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    began = time.perf_counter()
    turn = Settings().turn
    default = (turn.vad_start_seconds, turn.vad_confidence, turn.vad_min_volume)
    params = VADParams(confidence=turn.vad_confidence, start_secs=turn.vad_start_seconds,
                       stop_secs=turn.vad_stop_seconds, min_volume=turn.vad_min_volume)
    from voice.voices import VoiceModels

    voice = VoiceModels.load(Settings()).voices["en"]
    alone = Clip("line-alone", "control", bytes([0xFF]) * FRAME * 100, -120.0, -120.0)
    clips = [*non_speech_clips(), *speech_clips(voice), alone]
    models = TurnModels.load()
    runs = asyncio.run(make_runs(clips, models, params, args.serializer))
    for run in runs:  # the replay must be the VAD: the defaults, run for real, agree
        replayed = first_speaking(run.windows, turn.vad_confidence, turn.vad_start_seconds,
                                  turn.vad_min_volume)
        if replayed != run.real_default:
            raise SystemExit(f"replay {replayed} != VAD {run.real_default} on {run.clip.name}")
    non_speech = [r for r in runs if r.clip.category not in ("speech", "control")]
    speech = [r for r in runs if r.clip.category == "speech"]
    print(f"{len({r.clip.name for r in non_speech})} non-speech clips, {len(non_speech)} runs "
          f"(silence / hiss at {HISS_DBFS:.0f} dBFS, {NON_SPEECH_LEADS} leads of 1-2 s each); "
          f"{len({r.clip.name for r in speech})} speech clips, {len(speech)} runs; serializer "
          f"{args.serializer}; Silero start windows: "
          + ", ".join(f"{s} s -> {start_windows(s)}" for s in STARTS))
    settings = sorted({(s, c, v) for s in STARTS for c in CONFIDENCES for v in VOLUMES}
                      | {default, PIPECAT_DEFAULT})
    report(runs, settings, default, args.show_false)
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
