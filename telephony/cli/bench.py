"""`frontdesk bench`: latency and concurrency of a running server, with simulated calls.

Calls go to a loopback server only. Per-turn voice-to-voice latency is measured on
the socket (end of the caller's last speech frame -> the agent's first audible frame);
when the bench shares the server's database it also reports the server's own
breakdown (end-of-turn wait, STT, dialog, TTS first audio). Concurrency steps up
1, 2, 4, 6, 8 ... until p95 passes 1.5 s, a call fails, or the agent's audio falls
behind real time (the caller's playback buffer runs dry inside replies).

Callers take turns among the voices of ``telephony.cli.callers``; each figure is also given per
caller voice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from config.settings import Settings
from telephony.cli.call_command import default_url, load_models
from telephony.cli.callers import (
    CALLER_NAMES,
    QUESTIONS,
    CallerVoice,
    caller_scripts,
    caller_voices,
)
from telephony.cli.simulator import (
    CallerStep,
    CallResult,
    PreparedTurn,
    SimulatorError,
    place_prepared_call,
)

__all__ = [
    "add_bench_arguments", "concurrency_levels", "level_summary", "machine_info", "run_bench",
    "run_bench_command", "summarise",
]

# Seconds into the greeting, then into the breakfast answer, at which a barge-in call talks.
BARGE_MOMENTS = ((1.5, 2.0), (1.0, 3.0), (2.5, 1.2), (0.8, 4.0), (2.0, 2.5), (3.0, 1.6))
BARGE_CALLS = 4
P95_LIMIT_MS = 1500.0
UNDERRUN_LIMIT = 0.02  # dry playback as a fraction of the agent's audio
MAX_LEVEL = 32
STAGGER_S = 0.5  # the first wave of a level starts this far apart
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
BREAKDOWN_KEYS = ("end_of_turn_wait", "stt", "dialog", "tts_first_audio", "voice_to_voice")


def concurrency_levels(max_concurrency: int) -> list[int]:
    """1, 2, 4, 6, 8, 10 ... up to (and including) ``max_concurrency``."""
    top = max(1, min(max_concurrency, MAX_LEVEL))
    levels = [n for n in (1, 2, *range(4, top + 1, 2)) if n <= top]
    return levels if levels[-1] == top else [*levels, top]


def summarise(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """n, p50, p95 (linear interpolation; with few samples p95 is close to the max), max."""
    data = [float(v) for v in values if v is not None]
    if not data:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    p50, p95 = np.percentile(data, [50, 95])
    return {"n": len(data), "p50": round(float(p50), 1), "p95": round(float(p95), 1),
            "max": round(max(data), 1)}


def machine_info() -> dict[str, Any]:
    def field(path: str, key: str) -> str | None:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(key)), None)

    mem = field("/proc/meminfo", "MemTotal")
    return {"cpu_count": os.cpu_count(), "cpu_model": field("/proc/cpuinfo", "model name"),
            "ram_gb": round(int(mem.split()[0]) / 1024 ** 2, 1) if mem else None,
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def level_summary(level: int, outcomes: Sequence[CallResult | str],
                  breakdown: Sequence[dict[str, float]] = (),
                  voices: Sequence[str] = ()) -> dict[str, Any]:
    """Figures for one concurrency level, and whether the server held it (``voices``: each
    outcome's caller voice, for the figures per voice)."""
    calls = [o for o in outcomes if isinstance(o, CallResult)]
    failures = [o for o in outcomes if isinstance(o, str)]
    for call in calls:
        if call.violations or call.greeting_first_audio_ms is None:
            failures.append(f"{call.call_sid}: no greeting or protocol violations")
        elif any(v is None for v in call.turn_latencies_ms):
            failures.append(f"{call.call_sid}: a caller turn got no reply")
    v2v = summarise([v for c in calls for v in c.turn_latencies_ms])
    audio_s = sum(c.agent_audio_s for c in calls)
    underrun = sum(c.underrun_ms for c in calls) / 1000 / audio_s if audio_s else 0.0
    lateness = [c.stream.get("pacing", {}).get("mean_lateness_ms") or 0.0 for c in calls]
    reason = None
    if failures:
        reason = f"{len(failures)} call(s) failed"
    elif v2v["p95"] is not None and v2v["p95"] > P95_LIMIT_MS:
        reason = f"voice-to-voice p95 {v2v['p95']} ms > {P95_LIMIT_MS:.0f} ms"
    elif underrun > UNDERRUN_LIMIT:
        reason = f"agent audio behind real time ({underrun:.1%} of it played dry)"
    return {
        "level": level, "calls": len(outcomes), "failures": failures,
        "voice_to_voice_ms": v2v,
        # A call's first turn (the language not yet known: detection, the multilingual model)
        # apart from its later ones.
        "first_turn_voice_to_voice_ms": summarise([c.turn_latencies_ms[0] for c in calls
                                                   if c.turn_latencies_ms]),
        "later_turns_voice_to_voice_ms": summarise([v for c in calls
                                                    for v in c.turn_latencies_ms[1:]]),
        "greeting_first_audio_ms": summarise([c.greeting_first_audio_ms for c in calls]),
        "by_voice": {name: {
            "first_turn_ms": summarise([c.turn_latencies_ms[0] for c in group
                                        if c.turn_latencies_ms]),
            "later_turns_ms": summarise([x for c in group for x in c.turn_latencies_ms[1:]]),
        } for name, group in _by_voice(outcomes, voices).items()},
        "underrun_ratio": round(underrun, 4),
        # Our own sending schedule: above a few ms the figures are upper bounds.
        "caller_pacing_mean_lateness_ms": round(max(lateness, default=0.0), 2),
        "server_breakdown_ms": {k: summarise([b.get(k) for b in breakdown])
                                for k in BREAKDOWN_KEYS} if breakdown else None,
        "held": reason is None, "reason": reason,
    }


def _by_voice(outcomes: Sequence[CallResult | str],
              voices: Sequence[str]) -> dict[str, list[CallResult]]:
    groups: dict[str, list[CallResult]] = {name: [] for name in voices}
    if not voices:
        return groups
    for outcome, name in zip(outcomes, voices, strict=True):
        if isinstance(outcome, CallResult):
            groups[name].append(outcome)
    return groups


def _server_breakdown(settings: Settings, call_sids: Sequence[str]) -> list[dict[str, float]]:
    """Per-turn latency the server stored, when this bench shares its database."""
    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return []
    from telephony.records.store import Records

    records = Records(url)
    try:
        calls = [records.call(sid) for sid in call_sids]
    finally:
        records.close()
    return [t["latency"] for c in calls if c for t in c["turns"] if t.get("latency")]


async def _calls(base_url: str, scripts: Sequence[Sequence[PreparedTurn]], settings: Settings,
                 concurrency: int) -> list[CallResult | str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, turns: Sequence[PreparedTurn]) -> CallResult | str:
        await asyncio.sleep(min(index, concurrency - 1) * STAGGER_S)
        async with gate:
            try:
                return await place_prepared_call(base_url, turns, settings=settings)
            except SimulatorError as exc:
                return str(exc)

    return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(scripts))))


async def _barge_in(base_url: str, voice: CallerVoice, settings: Settings,
                    calls: int) -> dict[str, Any]:
    """Talk over the greeting, then over the (long) breakfast answer, at other moments in each
    call: how fast the agent stops (``clear`` after the caller's first speech frame)."""
    scripts = [[PreparedTurn(CallerStep(say=QUESTIONS[0], barge_in_after_seconds=over_greeting),
                             voice.turns[0].mulaw),
                PreparedTurn(CallerStep(say=QUESTIONS[1], barge_in_after_seconds=over_answer),
                             voice.turns[1].mulaw)]
               for over_greeting, over_answer in BARGE_MOMENTS[:max(1, calls)]]
    outcomes = await _calls(base_url, scripts, settings, 1)
    reactions = [t.barge_in_reaction_ms for o in outcomes if isinstance(o, CallResult)
                 for t in o.caller_turns]
    return {"calls": [o if isinstance(o, str) else o.call_sid for o in outcomes],
            "failures": [o for o in outcomes if isinstance(o, str)],
            "reaction_ms": reactions,
            "missed": sum(1 for r in reactions if r is None),
            "summary": summarise(reactions)}


async def run_bench(base_url: str, *, settings: Settings, calls_per_level: int,
                    turns_per_call: int, max_concurrency: int, out: Path,
                    time_cap_seconds: float = 900.0, voice: Any = None,
                    barge_calls: int = BARGE_CALLS,
                    caller_names: Sequence[str] = CALLER_NAMES) -> dict[str, Any]:
    """Run the whole benchmark, write the JSON report to ``out`` and return it."""
    host = urlsplit(base_url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise SimulatorError(f"bench only calls a loopback server, not {host!r}")
    began = time.monotonic()
    if voice is None:
        voice, _ = await asyncio.to_thread(load_models, settings, voice=True, whisper=False)
    voices = await asyncio.to_thread(caller_voices, voice, caller_names)

    report: dict[str, Any] = {
        "machine": machine_info(), "base_url": base_url,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {"calls_per_level": calls_per_level, "turns_per_call": turns_per_call,
                   "max_concurrency": max_concurrency, "time_cap_seconds": time_cap_seconds,
                   "p95_limit_ms": P95_LIMIT_MS, "underrun_limit": UNDERRUN_LIMIT,
                   "barge_in_calls": barge_calls},
        "caller_voices": [v.name for v in voices],
    }
    report["barge_in"] = await _barge_in(base_url, voices[0], settings, barge_calls)
    levels, held, stopped = [], 0, "max concurrency reached"
    for level in concurrency_levels(max_concurrency):
        remaining = time_cap_seconds - (time.monotonic() - began)
        if remaining <= 0:
            stopped = "time cap"
            break
        scripts = caller_scripts(voices, max(level, calls_per_level), turns_per_call)
        try:
            async with asyncio.timeout(remaining):
                outcomes = await _calls(base_url, [turns for _, turns in scripts], settings,
                                        level)
        except TimeoutError:
            stopped = f"time cap (during level {level})"
            break
        sids = [o.call_sid for o in outcomes if isinstance(o, CallResult)]
        breakdown = await asyncio.to_thread(_server_breakdown, settings, sids)
        levels.append(level_summary(level, outcomes, breakdown,
                                    voices=[name for name, _ in scripts]))
        print(_level_line(levels[-1]), file=sys.stderr)
        if not levels[-1]["held"]:
            stopped = levels[-1]["reason"]
            break
        held = level
    report.update(levels=levels, max_concurrency_held=held, stopped_because=stopped,
                  duration_s=round(time.monotonic() - began, 1))
    if levels:  # one call at a time: the uncontended figures
        first = levels[0]
        report.update(voice_to_voice_ms=first["voice_to_voice_ms"], by_voice=first["by_voice"],
                      first_turn_voice_to_voice_ms=first["first_turn_voice_to_voice_ms"],
                      later_turns_voice_to_voice_ms=first["later_turns_voice_to_voice_ms"],
                      greeting_first_audio_ms=first["greeting_first_audio_ms"],
                      server_breakdown_ms=first["server_breakdown_ms"])
    await asyncio.to_thread(out.write_text, json.dumps(report, indent=2), encoding="utf-8")
    return report


def _level_line(level: dict[str, Any]) -> str:
    v2v, greet = level["voice_to_voice_ms"], level["greeting_first_audio_ms"]
    verdict = "held" if level["held"] else f"NOT held: {level['reason']}"
    first, later = level["first_turn_voice_to_voice_ms"], level["later_turns_voice_to_voice_ms"]
    return (f"{level['level']:>3} concurrent: voice-to-voice p50 {v2v['p50']} / p95 {v2v['p95']}"
            f" ms (n={v2v['n']}; first turns {first['p50']} / {first['p95']}, later "
            f"{later['p50']} / {later['p95']}), greeting {greet['p50']} ms, underrun "
            f"{level['underrun_ratio']:.1%} -> {verdict}")


def _barge_text(barge: dict[str, Any]) -> str:
    summary = barge["summary"]
    text = (f"p50 {summary['p50']} / max {summary['max']} ms over {summary['n']}"
            if summary["n"] else "none heard")
    if barge["missed"] or barge["failures"]:
        text += f" ({barge['missed']} missed, {len(barge['failures'])} calls failed)"
    return text


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="loopback server base URL (default http://127.0.0.1:<port>)")
    parser.add_argument("--calls-per-level", type=int, default=4)
    parser.add_argument("--turns-per-call", type=int, default=3)
    parser.add_argument("--max-concurrency", type=int, default=8,
                        help=f"highest level tried (at most {MAX_LEVEL})")
    parser.add_argument("--time-cap", type=float, default=900.0, help="seconds for the whole run")
    parser.add_argument("--barge-calls", type=int, default=BARGE_CALLS,
                        help=f"calls that talk over the agent, twice each (at most "
                             f"{len(BARGE_MOMENTS)})")
    parser.add_argument("--callers", default=",".join(CALLER_NAMES),
                        help="caller voices, comma-separated (default: all of them)")
    parser.add_argument("--out", type=Path, default=Path("bench.json"))
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


async def run_bench_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        report = await run_bench(
            args.url or default_url(settings), settings=settings,
            calls_per_level=max(1, args.calls_per_level),
            turns_per_call=max(1, args.turns_per_call),
            max_concurrency=args.max_concurrency, out=args.out,
            time_cap_seconds=args.time_cap, barge_calls=args.barge_calls,
            caller_names=[n.strip() for n in args.callers.split(",") if n.strip()])
    except SimulatorError as exc:
        print(f"frontdesk bench: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        v2v = report.get("voice_to_voice_ms") or {}
        first = report.get("first_turn_voice_to_voice_ms") or {}
        later = report.get("later_turns_voice_to_voice_ms") or {}
        print(f"voice-to-voice (1 call): p50 {v2v.get('p50')} ms, p95 {v2v.get('p95')} ms "
              f"(first turns {first.get('p50')} / {first.get('p95')}, later turns "
              f"{later.get('p50')} / {later.get('p95')}); "
              f"greeting {(report.get('greeting_first_audio_ms') or {}).get('p50')} ms; "
              f"barge-in reaction {_barge_text(report['barge_in'])}; "
              f"callers {', '.join(report['caller_voices'])}; "
              f"held {report['max_concurrency_held']} concurrent calls "
              f"(stopped: {report['stopped_because']}); report in {args.out}")
    return 0 if report["levels"] else 1
