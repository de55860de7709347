"""`frontdesk report`: the KPIs of the calls in a period (``telephony.records.report``)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime

from config import Settings

__all__ = ["parse_when", "run_report_command"]

_AGE = re.compile(r"^(\d+(?:\.\d+)?)([dhm])$")


def parse_when(text: str, now: float) -> float:
    """"7d" / "12h" / "30m" ago, or an ISO date or time (UTC unless it says otherwise)."""
    age = _AGE.match(text.strip())
    if age:
        return now - float(age[1]) * {"d": 86400, "h": 3600, "m": 60}[age[2]]
    when = datetime.fromisoformat(text.strip())
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _text(report: dict) -> str:
    by = report["by_outcome"]
    lines = [f"{report['calls']} calls ({report['undecided']} with a transfer in progress): "
             + ", ".join(f"{n} {name}" for name, n in by.items()),
             f"containment {report['containment']}, first-contact resolution "
             f"{report['first_contact_resolution']}, transfers {report['transfer_rate']}, "
             f"abandonment {report['abandonment']}",
             f"handle time p50 {report['handle_time_seconds']['p50']} s; agent joined p50 "
             f"{report['time_to_agent_seconds']['p50']} s; voice-to-voice p50/p95 "
             f"{report['latency_ms']['voice_to_voice']['p50']}/"
             f"{report['latency_ms']['voice_to_voice']['p95']} ms",
             f"sentiment start {report['sentiment']['start']}, end {report['sentiment']['end']}",
             f"QA: {report['qa']['scored']} calls scored, mean {report['qa']['mean_score']}"]
    for title, key in (("transfers by reason", "transfers_by_reason"),
                       ("abandoned where", "abandoned_where"), ("failed", "failed_stage"),
                       ("tool failures", "tool_failures")):
        if report[key]:
            lines.append(f"{title}: " + ", ".join(f"{k} {v}" for k, v in report[key].items()))
    if report["qa"]["failed"]:
        lines.append("QA failures: " + ", ".join(f"{k} {v}"
                                                 for k, v in report["qa"]["failed"].items()))
    return "\n".join(lines)


def run_report_command(args: argparse.Namespace, settings: Settings) -> int:
    from telephony.records.report import kpis, load_period
    from telephony.records.store import Records

    now = time.time()
    try:
        since = parse_when(args.since, now)
        until = parse_when(args.until, now) if args.until else now
    except ValueError as e:
        print(f"frontdesk report: {e}", file=sys.stderr)
        return 2
    records = Records(settings.database_url)
    try:
        report = {"since": since, "until": until,
                  **kpis(load_period(records.engine, since, until))}
    finally:
        records.close()
    print(json.dumps(report, indent=2) if args.json else _text(report))
    return 0
