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
    groups = report["unanswered"]["groups"]
    if groups:
        lines.append(f"Unanswered questions ({report['unanswered']['questions']}, grouped by "
                     f"{report['unanswered']['grouped_by']}):")
        lines += [f"  {g['asked']}x in {g['calls']} calls: {g['question']}" for g in groups]
    llm = report["llm"]
    if llm["turns"]:
        cost = f", ${llm['cost_usd']:.4f}" if llm["cost_usd"] is not None else ""
        lines.append(f"LLM: {llm['turns']} turns, {llm['requests']} requests, "
                     f"{llm['prompt_tokens']} prompt + {llm['completion_tokens']} completion "
                     f"tokens{cost}")
    return "\n".join(lines)


def _embed(settings: Settings):
    """The sentence encoder's embedding, to group unanswered questions by meaning; None (by
    their words) when its model is not installed."""
    from knowledge.encoder import SentenceEncoder, default_model_path

    path = default_model_path(settings.resolved_models_dir)
    if not path.exists():
        print(f"frontdesk report: no sentence encoder at {path}: unanswered questions are "
              "grouped by their words (frontdesk models install)", file=sys.stderr)
        return None
    return SentenceEncoder(path).embed


def run_report_command(args: argparse.Namespace, settings: Settings) -> int:
    from telephony.records.insights import of_queue
    from telephony.records.report import load_period, period_report
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
        period = load_period(records.engine, since, until)
        if args.queue:
            period = of_queue(period, args.queue)
        embed = _embed(settings) if any(t.get("caller_text") for t in period["turns"]) else None
        report = {"since": since, "until": until, "queue": args.queue or None,
                  **period_report(period, embed)}
    finally:
        records.close()
    print(json.dumps(report, indent=2) if args.json else _text(report))
    return 0
