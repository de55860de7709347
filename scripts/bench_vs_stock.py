"""frontdesk against the stock pipecat Twilio bot, side by side in one run.

Run from the repository: ``.venv/bin/python scripts/bench_vs_stock.py [--rounds 6]``.

It starts both servers on loopback, each in its own process: ``frontdesk serve --dev`` on its
defaults (a fresh data directory) and the stock bot (scripts/stock_bot.py: pipecat's own Whisper
and piper services, tiny.en and the same piper voice, default turn detection). Then it places the
same simulated callers against both, interleaved (frontdesk, stock, frontdesk, stock ...), one
call at a time: each call asks three of the benchmark's questions (``telephony.cli.bench``),
spoken by a caller voice that alternates between piper (en_US-joe) and espeak-ng (en-us), cut to
the telephone band and mu-law. Voice-to-voice is measured on the socket by the simulator, as
``frontdesk bench`` measures it: the end of the caller's speech to the agent's first audible
frame.

It prints, per agent, the first turn of a call apart from the later turns (p50, p95, n), and the
ratio of frontdesk's median to the stock bot's, and writes them as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from config.settings import Settings  # noqa: E402
from telephony.cli.bench import machine_info, summarise  # noqa: E402
from telephony.cli.call_command import load_models  # noqa: E402
from telephony.cli.callers import QUESTIONS, caller_voices  # noqa: E402
from telephony.cli.simulator import (  # noqa: E402
    PreparedTurn,
    place_prepared_call,
)

FRONTDESK_PORT, STOCK_PORT = 8090, 8091
TURNS_PER_CALL = 3


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


async def _ready(url: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                await client.post(url)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
    raise SystemExit(f"{url} did not answer in {timeout_s:.0f} s")


def _callers(settings: Settings) -> dict[str, list[PreparedTurn]]:
    """The questions as each caller voice says them (the bench's own callers)."""
    voice, _ = load_models(settings, voice=True, whisper=False)
    return {v.name: list(v.turns) for v in caller_voices(voice, ("piper:en", "espeak-ng:en-us"))}


async def run(rounds: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-vs-stock-"))
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(folder / "data"),
           "FRONTDESK_MODELS_DIR": str(ROOT / "var" / "models"),
           "FRONTDESK_PORT": str(FRONTDESK_PORT)}
    settings = Settings()
    callers = await asyncio.to_thread(_callers, settings)
    python = str(ROOT / ".venv" / "bin" / "python")
    servers = {
        "frontdesk": _start([python, "-m", "telephony.cli.main", "serve", "--dev", "--demo"], env,
                            folder / "frontdesk.log"),
        "stock": _start([python, "scripts/stock_bot.py", "--port", str(STOCK_PORT)], env,
                        folder / "stock.log"),
    }
    urls = {"frontdesk": f"http://127.0.0.1:{FRONTDESK_PORT}",
            "stock": f"http://127.0.0.1:{STOCK_PORT}"}
    results: dict[str, dict[str, list[float]]] = {
        name: {"first": [], "later": [], "failed": []} for name in urls}
    try:
        for url in urls.values():
            await _ready(f"{url}/twilio/voice")
        load_before = os.getloadavg()
        for index in range(rounds):
            voice = list(callers)[index % len(callers)]
            turns = [callers[voice][(index + k) % len(QUESTIONS)] for k in range(TURNS_PER_CALL)]
            for name, url in urls.items():  # interleaved: the same caller, one after the other
                call = await place_prepared_call(url, turns, settings=settings)
                latencies = call.turn_latencies_ms
                if not latencies or any(v is None for v in latencies):
                    results[name]["failed"].append(f"{call.call_sid} ({voice})")
                    continue
                results[name]["first"].append(latencies[0])
                results[name]["later"].extend(latencies[1:])
                print(f"round {index + 1} {voice:15s} {name:9s} "
                      f"{', '.join(f'{v:.0f}' for v in latencies)} ms", flush=True)
    finally:
        for process in servers.values():
            process.terminate()
        for process in servers.values():
            process.wait(timeout=30)
    report = {"machine": machine_info(), "load_average_before": load_before,
              "rounds": rounds, "turns_per_call": TURNS_PER_CALL,
              "caller_voices": list(callers)}
    for name, figures in results.items():
        report[name] = {"first_turn_ms": summarise(figures["first"]),
                        "later_turns_ms": summarise(figures["later"]),
                        "all_turns_ms": summarise(figures["first"] + figures["later"]),
                        "failed_calls": figures["failed"]}
    for part in ("first_turn_ms", "later_turns_ms", "all_turns_ms"):
        ours, theirs = report["frontdesk"][part]["p50"], report["stock"][part]["p50"]
        report[f"median_ratio_{part.removesuffix('_ms')}"] = (
            round(ours / theirs, 3) if ours and theirs else None)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="calls per agent")
    parser.add_argument("--out", type=Path, default=Path("bench-vs-stock.json"))
    args = parser.parse_args()
    report = asyncio.run(run(args.rounds))
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    for name in ("frontdesk", "stock"):
        part = report[name]
        print(f"{name:9s} first turn p50 {part['first_turn_ms']['p50']} / p95 "
              f"{part['first_turn_ms']['p95']} ms (n={part['first_turn_ms']['n']}); later turns "
              f"p50 {part['later_turns_ms']['p50']} / p95 {part['later_turns_ms']['p95']} ms "
              f"(n={part['later_turns_ms']['n']}); failed calls {len(part['failed_calls'])}")
    print(f"median ratio frontdesk/stock: first turn {report['median_ratio_first_turn']}, "
          f"later turns {report['median_ratio_later_turns']}, "
          f"all {report['median_ratio_all_turns']}; machine load before "
          f"{np.round(report['load_average_before'], 2).tolist()}; "
          f"report in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
