"""A running server's memory per concurrent call (issue 13): RSS idle, during 1, 2, 4, 6 ...
concurrent simulated calls, and after they end.

    scripts/memory_calls.py --pid PID --url http://127.0.0.1:8095 --levels 1,2,4,6

The server's RSS (``/proc/PID/status`` VmRSS, and ``smaps_rollup``'s anonymous share) is sampled
every 0.2 s; for each level, the calls (each says ``--turns`` of the bench's questions) start
0.5 s apart, and the figures are: the peak while all of them were in progress, the peak over the
level, and the RSS a few seconds after the last one ended. Load average with each. The callers
run in this process (their piper voice is not the server's memory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import Settings  # noqa: E402
from telephony.cli.call_command import load_models  # noqa: E402
from telephony.cli.callers import QUESTIONS  # noqa: E402
from telephony.cli.simulator import (  # noqa: E402
    CallerStep,
    CallResult,
    SimulatorError,
    place_prepared_call,
    prepare_steps,
)

STAGGER_S = 0.5
MB = 1024 * 1024


def memory(pid: int) -> dict[str, float]:
    """VmRSS, RssAnon, RssFile (MB) and threads of ``pid``."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "Threads"):
            number = int(value.split()[0])
            fields[key] = number if key == "Threads" else round(number / 1024, 1)
    return fields


class Sampler:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, dict[str, float]]] = []

    async def run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), memory(self.pid)))
            await asyncio.sleep(0.2)

    def peak(self, since: float, until: float, key: str = "VmRSS") -> float | None:
        values = [s[key] for t, s in self.samples if since <= t <= until]
        return max(values) if values else None


async def level(url: str, n: int, turns, settings: Settings, sampler: Sampler,
                settle_s: float) -> dict:
    started: list[float] = []
    ended: list[float] = []

    async def one(i: int) -> CallResult | str:
        await asyncio.sleep(i * STAGGER_S)
        script = [turns[(i + k) % len(turns)] for k in range(len(turns))]
        started.append(time.monotonic())
        try:
            return await place_prepared_call(url, script, settings=settings)
        except SimulatorError as exc:
            return str(exc)
        finally:
            ended.append(time.monotonic())

    load_before = os.getloadavg()
    begin = time.monotonic()
    outcomes = await asyncio.gather(*(one(i) for i in range(n)))
    done = time.monotonic()
    all_in = max(started)
    first_out = min(ended)
    await asyncio.sleep(settle_s)
    after = memory(sampler.pid)
    failed = [o for o in outcomes if isinstance(o, str)]
    latencies = [v for o in outcomes if isinstance(o, CallResult)
                 for v in o.turn_latencies_ms if v is not None]
    return {
        "calls": n, "failed": failed,
        "peak_all_in_MB": sampler.peak(all_in, first_out),
        "peak_anon_all_in_MB": sampler.peak(all_in, first_out, "RssAnon"),
        "peak_MB": sampler.peak(begin, done),
        "threads_peak": sampler.peak(begin, done, "Threads"),
        "after_MB": after["VmRSS"], "after_anon_MB": after["RssAnon"],
        "threads_after": after["Threads"],
        "all_in_seconds": round(first_out - all_in, 1),
        "voice_to_voice_p50_ms": sorted(latencies)[len(latencies) // 2] if latencies else None,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pid", type=int, required=True, help="the server's process id")
    parser.add_argument("--url", required=True)
    parser.add_argument("--levels", default="1,2,4,6")
    parser.add_argument("--turns", type=int, default=3, help="caller questions per call")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds after a level's calls end before 'after' is read")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    settings = Settings()
    voice, _ = await asyncio.to_thread(load_models, settings, voice=True, whisper=False)
    turns = await asyncio.to_thread(
        prepare_steps, [CallerStep(say=q) for q in QUESTIONS[: max(1, args.turns)]], voice)
    sampler = Sampler(args.pid)
    task = asyncio.create_task(sampler.run())
    idle = memory(args.pid)
    report = {"idle": idle, "idle_load": [round(x, 2) for x in os.getloadavg()], "levels": []}
    print(f"idle: {idle} load {report['idle_load']}", file=sys.stderr)
    for n in (int(x) for x in args.levels.split(",")):
        result = await level(args.url, n, turns, settings, sampler, args.settle)
        report["levels"].append(result)
        print(json.dumps(result), file=sys.stderr)
    task.cancel()
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
