"""OpenTelemetry traces of calls: a ``call`` span per stream of a call (its SIDs, business and
how it ended, with its call events as span events), and under it a ``turn`` span per caller
turn, from the caller's first word to the reply's first audio, with a span per stage:
``end_of_turn_wait``, ``stt``, ``dialog`` and ``tts_first_audio`` (the same figures as the
turn's stored latency). The caller's words are never put in a span.

Spans go to the global tracer provider: ``configure_tracing`` sets one that exports to an
OTLP/HTTP collector when ``FRONTDESK_TRACING__OTLP_ENDPOINT`` is set; without it the API's
no-op tracer costs nothing. Stage spans are made from the turn's timestamps after its first
audio went out, with their real start and end times.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from config.settings import TracingSettings
from telephony.call.timing import TurnTiming

__all__ = ["CallTrace", "configure_tracing"]

_tracer = trace.get_tracer("frontdesk")


def configure_tracing(settings: TracingSettings) -> bool:
    """Export spans to the configured collector (batched); False when none is configured."""
    if not settings.otlp_endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
        endpoint=settings.otlp_endpoint)))
    trace.set_tracer_provider(provider)
    return True


def _ns(monotonic_at: float) -> int:
    """A monotonic clock reading as wall-clock nanoseconds (what spans carry)."""
    return time.time_ns() - int((time.monotonic() - monotonic_at) * 1e9)


def _attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if isinstance(v, str | int | float | bool)}


class CallTrace:
    """One stream of a call, traced."""

    def __init__(self, call_sid: str, stream_sid: str, business: str) -> None:
        self.span: Span = _tracer.start_span("call", attributes={
            "call.sid": call_sid, "call.stream_sid": stream_sid, "call.business": business})
        self._context = trace.set_span_in_context(self.span)

    def turn(self, index: int, timing: TurnTiming, vad_stop_seconds: float,
             summary: Mapping[str, Any]) -> None:
        """A caller turn whose reply's first audio went out, and its stages."""
        speech_end = timing.speech_ended(vad_stop_seconds)
        start = timing.speech_started if timing.speech_started is not None else speech_end
        if start is None or timing.first_audio_out is None:
            return
        latency = summary.get("latency_ms") or {}
        turn = _tracer.start_span("turn", context=self._context, start_time=_ns(start),
                                  attributes=_attributes({
                                      "turn.index": index, "turn.intent": summary.get("intent"),
                                      "turn.language": summary.get("language"),
                                      "turn.decision": summary.get("decision"),
                                      **{f"latency.{k}_ms": v for k, v in latency.items()}}))
        inside = trace.set_span_in_context(turn)
        replied = timing.replied
        stages = {
            "end_of_turn_wait": (speech_end, timing.turn_ended),
            "stt": (timing.vad_stopped, timing.transcribed),
            "dialog": (None if replied is None or timing.dialog_ms is None
                       else replied - timing.dialog_ms / 1000, replied),
            "tts_first_audio": (replied, timing.tts_first_audio),
        }
        for name, (began, ended) in stages.items():
            if began is not None and ended is not None and ended >= began:
                _tracer.start_span(name, context=inside, start_time=_ns(began)).end(
                    end_time=_ns(ended))
        turn.end(end_time=_ns(timing.first_audio_out))

    def event(self, kind: str) -> None:
        """A call event (transfer, hangup...), by its kind alone (no details: no private data)."""
        self.span.add_event(kind)

    def end(self, reason: str) -> None:
        self.span.set_attribute("call.end_reason", reason)
        if reason in ("error", "protocol_errors"):
            self.span.set_status(Status(StatusCode.ERROR, reason))
        self.span.end()
