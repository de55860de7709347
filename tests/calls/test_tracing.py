"""OpenTelemetry traces of a whole call (scripted voices, the real server over the WebSocket),
caught by an in-memory exporter: a ``call`` span, a ``turn`` span per caller turn under it, and
a span per stage under each turn, whose lengths are the turn's stored latency figures. The
caller's words are in no span."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from servers import FakeTwilio
from test_calls_scripted import ALEX, Line, _line

from config.settings import TracingSettings
from telephony.cli.simulator import CallerStep
from telephony.tracing import configure_tracing

STAGES = {"end_of_turn_wait", "stt", "dialog", "tts_first_audio"}


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    """The process's tracer provider, set once, with an in-memory exporter."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture(scope="module")
def support(fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    yield from _line(tmp_path_factory.mktemp("traced-support"), fake_twilio, "support")


@pytest.mark.asyncio
async def test_a_call_is_traced_turn_by_turn_and_stage_by_stage(
        spans: InMemorySpanExporter, support: Line) -> None:
    spans.clear()
    _, call = await support.call([CallerStep(say="Where is my order?"),
                                  CallerStep(say="My zip code is 9 4 1 1 0."),
                                  CallerStep(say="Goodbye.")], from_number=ALEX)
    finished = spans.get_finished_spans()
    [root] = [s for s in finished if s.name == "call"]
    assert root.attributes["call.sid"] == call["call_sid"]
    assert root.attributes["call.stream_sid"] == call["stream_sid"]
    assert root.attributes["call.end_reason"] == call["end_reason"]
    assert "hangup" in [e.name for e in root.events]
    turns = sorted((s for s in finished if s.name == "turn"),
                   key=lambda s: s.attributes["turn.index"])
    stored = [t for t in call["turns"] if t["latency"]]
    assert [s.attributes["turn.index"] for s in turns] == [t["turn_index"] for t in stored]
    for span, turn in zip(turns, stored, strict=True):
        assert span.parent.span_id == root.context.span_id
        assert span.context.trace_id == root.context.trace_id
        assert span.attributes["turn.intent"] == turn["intent"]
        stages = {s.name: s for s in finished
                  if s.parent is not None and s.parent.span_id == span.context.span_id}
        assert set(stages) == STAGES, set(stages)
        for name, stage in stages.items():
            length_ms = (stage.end_time - stage.start_time) / 1e6
            assert length_ms == pytest.approx(turn["latency"][name], abs=1.0), name
            assert span.start_time <= stage.start_time and stage.end_time <= span.end_time
        assert span.attributes["latency.voice_to_voice_ms"] == turn["latency"]["voice_to_voice"]
    said = " ".join(str(v) for s in finished for v in (s.attributes or {}).values())
    assert "where is my order" not in said.lower() and "9 4 1 1 0" not in said


def test_no_exporter_unless_a_collector_is_set() -> None:
    assert configure_tracing(TracingSettings()) is False
    with pytest.raises(ValueError, match="otlp_endpoint"):
        TracingSettings(otlp_endpoint="collector:4318")
