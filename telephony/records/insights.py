"""What the insights page (``telephony.web.insights``) shows, from the call records (pure: a
period's rows in, figures out; ``report.load_period`` reads them):

- ``call_summaries``: one row per call for the call list (outcome, queue, language, QA);
- ``filter_calls``: the list's search and filters;
- ``time_buckets`` and ``series``: the KPIs of each day (or hour) of a period, for the plots;
- ``of_queue``: the part of a period a queue's KPIs are computed on;
- ``recordings``: a call's recordings, from its ``recording`` events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telephony.records.report import kpis

__all__ = ["call_summaries", "filter_calls", "of_queue", "recordings", "series", "time_buckets"]

Period = Mapping[str, list[dict[str, Any]]]


def _by_call(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["call_sid"], []).append(row)
    return out


def _queue(events: list[dict[str, Any]], handoffs: list[dict[str, Any]]) -> str:
    """The queue the call was sent to last ("" when none)."""
    sent = [str((e.get("detail") or {}).get("queue") or "") for e in events
            if e["kind"] == "transfer"]
    sent += [h["queue"] for h in sorted(handoffs, key=lambda h: h["created_at"])]
    return next((q for q in reversed(sent) if q), "")


def call_summaries(period: Period) -> list[dict[str, Any]]:
    """The period's calls, newest first, as the call list shows them."""
    turns, events = _by_call(period["turns"]), _by_call(period["events"])
    handoffs, qa = _by_call(period["handoffs"]), {r["call_sid"]: r for r in period["qa"]}
    out = []
    for call in sorted(period["calls"], key=lambda c: c["started_at"], reverse=True):
        sid = call["call_sid"]
        said = [t for t in turns.get(sid, []) if t.get("caller_text") or t.get("caller_dtmf")]
        score = qa.get(sid) or {}
        out.append({
            "call_sid": sid, "started_at": call["started_at"], "ended_at": call["ended_at"],
            "from_number": call.get("from_number") or "", "language": call.get("language") or "",
            "outcome": call.get("outcome") or "",
            "outcome_reason": call.get("outcome_reason") or "",
            "queue": _queue(events.get(sid, []), handoffs.get(sid, [])),
            "caller_turns": len(said),
            "first_words": next((t["caller_text"] for t in said if t.get("caller_text")), ""),
            "handle_seconds": round(call["ended_at"] - call["started_at"], 1)
            if call.get("ended_at") else None,
            "qa_score": score.get("score"),
            "qa_failed": [i["check"] for i in score.get("items") or ()
                          if i.get("passed") is False],
            "recorded": any(e["kind"] == "recording" for e in events.get(sid, [])),
        })
    return out


def filter_calls(rows: Iterable[dict[str, Any]], *, outcome: str = "", queue: str = "",
                 language: str = "", qa_failed: bool = False,
                 text: str = "") -> list[dict[str, Any]]:
    """The calls that pass every filter given; ``text`` is found in the number, the call SID
    or the caller's first words (any case)."""
    needle = text.strip().lower()
    return [r for r in rows
            if (not outcome or r["outcome"] == outcome) and (not queue or r["queue"] == queue)
            and (not language or r["language"] == language)
            and (not qa_failed or r["qa_failed"])
            and (not needle or any(needle in str(r[k]).lower()
                                   for k in ("from_number", "call_sid", "first_words")))]


def time_buckets(since: float, until: float, timezone: str) -> list[tuple[float, float, str]]:
    """Days of the business's time zone over [since, until) (hours when it is two days or
    less), as (start, end, label); at most 400 of them."""
    zone = ZoneInfo(timezone)
    hourly = until - since <= 2 * 86400
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    start = datetime.fromtimestamp(since, zone).replace(minute=0, second=0, microsecond=0)
    if not hourly:
        start = start.replace(hour=0)
    out = []
    while start.timestamp() < until and len(out) < 400:
        end = (start + step).astimezone(zone)
        if not hourly:  # a calendar day, whatever the clock change
            end = datetime.combine((start + step).date(), datetime.min.time(), zone)
        out.append((max(start.timestamp(), since), min(end.timestamp(), until),
                    start.strftime("%m-%d %H:00" if hourly else "%Y-%m-%d")))
        start = end
    return out


def _subset(period: Period, sids: set[str]) -> dict[str, list[dict[str, Any]]]:
    handoffs = [h for h in period["handoffs"] if h["call_sid"] in sids]
    ids = {h["id"] for h in handoffs}
    return {"calls": [c for c in period["calls"] if c["call_sid"] in sids],
            "turns": [t for t in period["turns"] if t["call_sid"] in sids],
            "events": [e for e in period["events"] if e["call_sid"] in sids],
            "handoffs": handoffs,
            "connected": [e for e in period["connected"] if e["handoff_id"] in ids],
            "qa": [q for q in period["qa"] if q["call_sid"] in sids]}


def of_queue(period: Period, queue: str) -> dict[str, list[dict[str, Any]]]:
    """The period's calls that were sent to ``queue`` last, with their rows: a queue's KPIs."""
    events, handoffs = _by_call(period["events"]), _by_call(period["handoffs"])
    sids = {c["call_sid"] for c in period["calls"]
            if _queue(events.get(c["call_sid"], []), handoffs.get(c["call_sid"], [])) == queue}
    return _subset(period, sids)


def series(period: Period, buckets: list[tuple[float, float, str]]) -> list[dict[str, Any]]:
    """Each bucket's calls and main KPIs (``report.kpis`` of the calls started in it)."""
    out = []
    for start, end, label in buckets:
        sids = {c["call_sid"] for c in period["calls"] if start <= c["started_at"] < end}
        figures = kpis(_subset(period, sids))
        v2v = figures["latency_ms"]["voice_to_voice"]
        out.append({"start": start, "end": end, "label": label, "calls": figures["calls"],
                    "containment": figures["containment"],
                    "transfer_rate": figures["transfer_rate"],
                    "sentiment_start": figures["sentiment"]["start"],
                    "sentiment_end": figures["sentiment"]["end"],
                    "voice_to_voice_p50": v2v["p50"], "voice_to_voice_p95": v2v["p95"],
                    "qa_mean": figures["qa"]["mean_score"]})
    return out


def recordings(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A call's recordings (one per stream), from its events."""
    return [{"stream_sid": d.get("stream_sid", ""), "file": d.get("file", ""),
             "seconds": d.get("seconds")}
            for e in events if e["kind"] == "recording" and (d := e.get("detail") or {})]
