"""KPIs over a period, from the call records: what `frontdesk report` prints.

``load_period`` reads the calls that started in [since, until) with their turns, events and
handoffs; ``kpis`` (pure) computes the figures from them:

- calls, and calls by outcome (``telephony.records.outcome``; undecided: a transfer in progress);
- containment (resolved by the AI / decided), first-contact resolution (resolved and not
  repeated within the window / decided), abandonment by where, failures by stage;
- transfers by reason code and by queue (the dialog's transfer decisions), and the time an
  agent took to join (handoff created -> connected, seconds);
- handle time (call start -> end, seconds), sentiment at the first and the last caller turn,
  latency percentiles per stage (milliseconds), tool calls that failed, by tool;
- QA: calls scored, the mean score, failures by check (``telephony.records.qa``);
- the LLM, when one answered: turns, requests, prompt and completion tokens, and the cost
  (when priced: ``FRONTDESK_LLM__PRICE_*``), summed from each turn's ``llm_usage``.

Rates are over the decided calls; percentiles are None with no data. ``period_report`` adds
the top unanswered questions (``telephony.records.questions``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from telephony.metrics import STAGES
from telephony.records.outcome import OUTCOMES
from telephony.records.questions import Embed, top_unanswered, unanswered_turns
from telephony.records.store import call_events, calls, qa_scores, turns
from telephony.transfer.handoffs import handoff_events, handoffs

__all__ = ["kpis", "load_period", "period_report"]


def load_period(engine: Engine, since: float, until: float) -> dict[str, list[dict[str, Any]]]:
    """The calls that started in [since, until), and their turns, events and handoffs."""
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(calls).where(
            calls.c.started_at >= since, calls.c.started_at < until)).mappings()]
        sids = [r["call_sid"] for r in rows]

        def of(table, column) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            for start in range(0, len(sids), 500):  # bound the IN list
                chunk = sids[start:start + 500]
                found += [dict(r) for r in conn.execute(
                    select(table).where(column.in_(chunk))).mappings()]
            return found

        turn_rows = sorted(of(turns, turns.c.call_sid), key=lambda t: (t["call_sid"],
                                                                       t["turn_index"]))
        handoff_rows = of(handoffs, handoffs.c.call_sid)
        ids = [h["id"] for h in handoff_rows]
        joined = [dict(r) for r in conn.execute(select(handoff_events).where(
            handoff_events.c.handoff_id.in_(ids), handoff_events.c.kind == "connected"))
            .mappings()] if ids else []
        return {"calls": rows, "turns": turn_rows,
                "events": of(call_events, call_events.c.call_sid), "handoffs": handoff_rows,
                "connected": joined, "qa": of(qa_scores, qa_scores.c.call_sid)}


def _percentiles(values: Iterable[float]) -> dict[str, float | None]:
    data = np.asarray(list(values), dtype=float)
    if data.size == 0:
        return {"count": 0, "p50": None, "p90": None, "p95": None}
    p50, p90, p95 = np.percentile(data, [50, 90, 95])
    return {"count": int(data.size), "p50": round(float(p50), 1), "p90": round(float(p90), 1),
            "p95": round(float(p95), 1)}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 3) if values else None


def kpis(period: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    rows = period["calls"]
    decided = [c for c in rows if c.get("outcome")]
    outcomes = Counter(c["outcome"] for c in decided)
    reasons = Counter((c["outcome"], c.get("outcome_reason") or "") for c in decided)
    by_call: dict[str, list[dict[str, Any]]] = {}
    for t in period["turns"]:
        by_call.setdefault(t["call_sid"], []).append(t)
    caller_turns = {sid: [t for t in ts if t.get("caller_text") or t.get("caller_dtmf")]
                    for sid, ts in by_call.items()}
    transfers = [e for e in period["events"] if e["kind"] == "transfer"]
    created = {h["id"]: h for h in period["handoffs"]}
    joined = [e["at"] - created[e["handoff_id"]]["created_at"] for e in period["connected"]
              if e["handoff_id"] in created]
    first = [ts[0]["sentiment"] for ts in caller_turns.values()
             if ts and ts[0].get("sentiment") is not None]
    last = [ts[-1]["sentiment"] for ts in caller_turns.values()
            if ts and ts[-1].get("sentiment") is not None]
    failed_tools = Counter(tool["name"] for t in period["turns"] for tool in t.get("tools") or ()
                           if tool.get("reason") in ("error", "timeout"))
    return {
        "calls": len(rows),
        "decided": len(decided),
        "undecided": len(rows) - len(decided),
        "by_outcome": {name: outcomes.get(name, 0) for name in OUTCOMES},
        "containment": _rate(outcomes["resolved"], len(decided)),
        "first_contact_resolution": _rate(
            sum(1 for c in decided if c["outcome"] == "resolved" and not c.get("repeated_by")),
            len(decided)),
        "abandonment": _rate(outcomes["abandoned"], len(decided)),
        "abandoned_where": dict(sorted(Counter(
            r for (o, r) in reasons.elements() if o == "abandoned").items())),
        "failed_stage": dict(sorted(Counter(
            r for (o, r) in reasons.elements() if o == "failed").items())),
        "transfer_rate": _rate(outcomes["transferred"] + outcomes["callback"], len(decided)),
        "transfers_by_reason": dict(sorted(Counter(
            str((e.get("detail") or {}).get("reason", "")) for e in transfers).items())),
        "transfers_by_queue": dict(sorted(Counter(
            str((e.get("detail") or {}).get("queue", "")) for e in transfers).items())),
        "time_to_agent_seconds": _percentiles(joined),
        "handle_time_seconds": _percentiles(
            c["ended_at"] - c["started_at"] for c in rows if c.get("ended_at")),
        "sentiment": {"start": _mean(first), "end": _mean(last)},
        "latency_ms": {stage: _percentiles(
            t["latency"][stage] for t in period["turns"]
            if isinstance(t.get("latency"), dict) and t["latency"].get(stage) is not None)
            for stage in STAGES},
        "tool_failures": dict(sorted(failed_tools.items())),
        "qa": _qa(period.get("qa") or []),
        "llm": _llm(period["turns"]),
    }


def _llm(turn_rows: list[dict[str, Any]]) -> dict[str, Any]:
    used = [t["llm_usage"] for t in turn_rows if isinstance(t.get("llm_usage"), dict)]
    priced = [u["cost_usd"] for u in used if u.get("cost_usd") is not None]
    return {"turns": len(used), "requests": sum(int(u.get("requests", 0)) for u in used),
            "prompt_tokens": sum(int(u.get("prompt_tokens", 0)) for u in used),
            "completion_tokens": sum(int(u.get("completion_tokens", 0)) for u in used),
            "cost_usd": round(sum(priced), 6) if priced else None}


def period_report(period: Mapping[str, list[dict[str, Any]]],
                  embed: Embed | None) -> dict[str, Any]:
    """The KPIs and the top unanswered questions, grouped by meaning with ``embed`` (the
    sentence encoder's; None: by their words)."""
    return {**kpis(period), "unanswered": top_unanswered(unanswered_turns(period["turns"]),
                                                         embed)}


def _qa(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Calls scored, their mean score, and how often each check failed."""
    scores = [r["score"] for r in rows if r.get("score") is not None]
    failed = Counter(item["check"] for r in rows for item in r.get("items") or ()
                     if item.get("passed") is False)
    return {"scored": len(rows), "mean_score": _mean(scores),
            "failed": dict(sorted(failed.items()))}
