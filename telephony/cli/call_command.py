"""`frontdesk call`: the command-line options that script a caller, the models it loads, and
the call it places through ``telephony.cli.simulator``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from config.settings import Settings
from telephony.cli.callreport import CallerStep, format_call
from telephony.cli.simulator import SimulatorError, place_call

__all__ = [
    "add_call_arguments", "default_url", "load_models", "run_call_command", "steps_from_pairs",
]


class _StepAction(argparse.Action):
    """Keeps --say/--audio/--dtmf/--pause/--barge-in in the order given."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []),
                                       (self.option_strings[0], values)])


def steps_from_pairs(pairs: Sequence[tuple[str, Any]]) -> list[CallerStep]:
    """('--pause', 1.0), ('--say', 'hi') ... -> steps; --pause/--barge-in modify the next."""
    steps: list[CallerStep] = []
    pending: dict[str, float] = {}
    for option, value in pairs:
        if option in ("--pause", "--barge-in"):
            pending["pause_seconds" if option == "--pause" else "barge_in_after_seconds"] = value
            continue
        key = {"--say": "say", "--audio": "audio", "--dtmf": "dtmf"}[option]
        steps.append(CallerStep(**{key: Path(value) if key == "audio" else value}, **pending))
        pending = {}
    if pending:
        raise SimulatorError("--pause/--barge-in must come before the step they apply to")
    return steps


def add_call_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="server base URL (default http://127.0.0.1:<port>)")
    for option, kind, metavar, text in [
        ("--say", str, "TEXT", "caller says TEXT (piper voice, telephone band)"),
        ("--audio", str, "FILE", "caller plays an audio FILE (any format soundfile reads)"),
        ("--dtmf", str, "DIGITS", "caller presses keys, e.g. 12#"),
        ("--pause", float, "SECONDS", "wait SECONDS before the next step"),
        ("--barge-in", float, "SECONDS", "next step starts SECONDS into the agent's reply"),
    ]:
        parser.add_argument(option, type=kind, dest="call_steps", action=_StepAction,
                            metavar=metavar, help=text)
    parser.add_argument("--out", type=Path, help="write the agent's audio to this WAV")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--call-sid", help="CallSid to use (default: random)")
    parser.add_argument("--timeout", type=float, default=15.0,
                        help="seconds to wait for each reply to start")
    parser.add_argument("--quiet", type=float, default=1.2,
                        help="seconds of silence that end the agent's reply")
    parser.add_argument("--no-transcribe", action="store_true",
                        help="skip transcribing the agent with Whisper")


def load_models(settings: Settings, *, voice: bool, whisper: bool) -> tuple[Any, Any]:
    """The caller's piper voice and the Whisper model that transcribes the agent (blocking)."""
    from voice.models import resolve_piper_voice, resolve_stt_model

    piper_voice = whisper_model = None
    if voice:
        from voice.voices import load_piper_voice

        onnx, config = resolve_piper_voice("en", settings)
        piper_voice = load_piper_voice(onnx, config, cpu_threads=1)
    if whisper:
        from voice.whisper import load_whisper

        whisper_model = load_whisper(resolve_stt_model(settings.stt.model,
                                                       settings.resolved_models_dir),
                                     cpu_threads=1, compute_type=settings.stt.compute_type)
    return piper_voice, whisper_model


def default_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


async def run_call_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        steps = steps_from_pairs(args.call_steps or [])
        voice, whisper = await asyncio.to_thread(
            load_models, settings, voice=any(s.say for s in steps),
            whisper=not args.no_transcribe)
        result = await place_call(
            args.url or default_url(settings), steps, settings=settings, voice=voice,
            whisper=whisper, call_sid=args.call_sid, response_timeout_seconds=args.timeout,
            quiet_seconds=args.quiet)
    except SimulatorError as exc:
        print(f"frontdesk call: {exc}", file=sys.stderr)
        return 2
    if args.out is not None and result.save_reply_wav(args.out):
        print(f"wrote {args.out} ({result.agent_audio_s:.1f}s)", file=sys.stderr)
    print(json.dumps(result.to_dict(), indent=2) if args.json else format_call(result))
    # An agent hanging up (closed_by "agent") after its goodbye is a normal ending.
    return 0 if result.agent_turns and not result.violations else 1
