"""The server's Prometheus metrics, served at ``/metrics`` (prometheus-client).

One ``ServerMetrics`` per app, on its own registry (not the library's global one, so two apps in
one process, as in the tests, keep their own counts). The call, the webhooks and the tool registry
report to it through the methods below; gauges read the runtime when scraped. ``/metrics`` is
guarded like ``/api`` (``FRONTDESK_DESK__API_TOKEN``, bearer; no token: off).

Names, all prefixed ``frontdesk_``:
- ``calls_active`` (gauge), ``calls_ended_total{reason}``;
- ``turns_total``, ``turn_stage_seconds{stage}`` (histogram: end_of_turn_wait, stt, dialog,
  tts_first_audio, voice_to_voice, as each turn's latency is recorded);
- ``stt_waiting``, ``tts_waiting`` (gauges: jobs queued for a recognition or synthesis worker);
- ``transfers_total{reason}``;
- ``tool_calls_total{tool, reason}`` (reason ``ok``, or why it was refused or failed) and
  ``tool_failures_total{tool}`` (the back end timed out or failed);
- ``refused_total{kind, reason}``: webhooks and stream upgrades refused (``kind`` webhook or
  stream).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from dialog.tools.spec import ToolOutcome

__all__ = ["CONTENT_TYPE", "STAGES", "ServerMetrics"]

STAGES = ("end_of_turn_wait", "stt", "dialog", "tts_first_audio", "voice_to_voice")
# Seconds: a turn's stages run from a few milliseconds (dialog) to seconds (a queued turn).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5,
           2.0, 3.0, 5.0, 10.0)


class ServerMetrics:
    """The counters, gauges and histograms of one server."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.calls_active = Gauge("frontdesk_calls_active", "Calls in progress on this server.",
                                  registry=registry)
        self.calls_ended = Counter("frontdesk_calls_ended", "Calls ended, by how they ended.",
                                   ["reason"], registry=registry)
        self.calls_by_outcome = Counter(
            "frontdesk_calls_by_outcome", "Calls by what they came to (resolved, transferred, "
            "callback, abandoned, failed), counted when first decided.", ["outcome"],
            registry=registry)
        self.turns = Counter("frontdesk_turns", "Caller turns answered.", registry=registry)
        self.stage_seconds = Histogram(
            "frontdesk_turn_stage_seconds", "Each stage of a turn, from the caller's end of "
            "speech to the agent's first audio.", ["stage"], buckets=BUCKETS, registry=registry)
        self.stt_waiting = Gauge("frontdesk_stt_waiting",
                                 "Transcriptions queued for a recognition worker.",
                                 registry=registry)
        self.tts_waiting = Gauge("frontdesk_tts_waiting",
                                 "Syntheses queued for a synthesis worker.", registry=registry)
        self.transfers = Counter("frontdesk_transfers", "Transfers decided, by reason code.",
                                 ["reason"], registry=registry)
        self.tool_calls = Counter("frontdesk_tool_calls", "Tool calls, by tool and outcome "
                                  "(ok, or the reason refused or failed).", ["tool", "reason"],
                                  registry=registry)
        self.tool_failures = Counter("frontdesk_tool_failures", "Tool calls whose back end "
                                     "timed out or failed.", ["tool"], registry=registry)
        self.refused = Counter("frontdesk_refused", "Webhooks and stream upgrades refused.",
                               ["kind", "reason"], registry=registry)

    def watch(self, *, active_calls: Callable[[], float], stt_waiting: Callable[[], float],
              tts_waiting: Callable[[], float]) -> None:
        """Gauges read when scraped, from the runtime that holds these figures."""
        self.calls_active.set_function(active_calls)
        self.stt_waiting.set_function(stt_waiting)
        self.tts_waiting.set_function(tts_waiting)

    def call_ended(self, reason: str) -> None:
        # "agent_hung_up:caller_done" -> "agent_hung_up": the label stays a short, fixed set.
        self.calls_ended.labels(reason.split(":", 1)[0]).inc()

    def call_outcome(self, outcome: str) -> None:
        self.calls_by_outcome.labels(outcome).inc()

    def turn_latency(self, milliseconds: Mapping[str, float]) -> None:
        """A turn's first audio went out, with its stages in milliseconds."""
        self.turns.inc()
        for stage in STAGES:
            if (value := milliseconds.get(stage)) is not None:
                self.stage_seconds.labels(stage).observe(max(0.0, value) / 1000)

    def transfer(self, reason: str) -> None:
        self.transfers.labels(reason).inc()

    def tool_call(self, outcome: ToolOutcome) -> None:
        self.tool_calls.labels(outcome.name, outcome.reason).inc()
        if outcome.failed:
            self.tool_failures.labels(outcome.name).inc()

    def refuse(self, kind: str, reason: str) -> None:
        self.refused.labels(kind, reason).inc()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
