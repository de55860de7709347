"""pipecat's Twilio serializer and FastAPI transport, extended for frontdesk.

- Every inbound message is validated by `wire.parse_message` first; a malformed
  one is logged and counted, never raised into pipecat (which would end the call).
- `mark` echoes and `stop` reach the call's owner through callbacks.
- Once the call has ended, what the socket still brings is dropped unparsed.
- Auto hang-up is always off: hanging up is a decision, made in one place.
- The caller's 8 kHz audio reaches the pipeline's 16 kHz at once, each message as it arrives
  (`voice.audio.TelephoneUpsampler`), not in pipecat's resampler's ~100 ms bursts: the VAD,
  and so a barge-in, hears the caller ~60 ms sooner.
- `clear` goes out only when some of our audio may still be playing.
- Outbound audio is paced against an absolute clock with a bounded lead (pipecat
  sends at twice real time), and a `mark` follows each spoken text: each sentence of
  a reply, or a whole TTSSpeakFrame prompt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from loguru import logger
from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.audio.utils import ulaw_to_pcm
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputTransportMessageUrgentFrame,
    TTSTextFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketOutputTransport,
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)
from starlette.websockets import WebSocket

from telephony.call.heard import MarkLedger
from telephony.twilio import wire
from voice.audio import TelephoneUpsampler, mulaw_decode

__all__ = ["CallSerializer", "CallTransport"]


class CallSerializer(TwilioFrameSerializer):
    def __init__(
        self,
        stream_sid: str,
        *,
        ledger: MarkLedger,
        max_message_bytes: int,
        on_bad_message: Callable[[str], Awaitable[None]],
        on_stop: Callable[[], Awaitable[None]],
        ended: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(stream_sid, params=TwilioFrameSerializer.InputParams(auto_hang_up=False))
        self._ledger = ledger
        self._max_bytes = max_message_bytes
        self._on_bad_message = on_bad_message
        self._on_stop = on_stop
        self._ended = ended
        self._upsample = TelephoneUpsampler()

    async def serialize(self, frame: Frame) -> str | bytes | None:
        if isinstance(frame, InterruptionFrame):
            if not self._ledger.audio_outstanding():
                return None
            self._ledger.cleared()
        return await super().serialize(frame)

    async def deserialize(self, data: str | bytes) -> Frame | None:
        if self._ended():
            # The call is over (its pipeline is being cancelled): what the socket still
            # holds is dropped unread, with no warning or record for each message.
            return None
        try:
            event = wire.parse_message(data, max_bytes=self._max_bytes)
        except wire.WireError as exc:
            logger.warning(f"stream {self._stream_sid}: refused message ({exc})")
            await self._on_bad_message(exc.code)
            return None
        if isinstance(event, wire.Media):
            if event.track not in ("inbound", "inbound_track") or not event.payload:
                return None
            if self._sample_rate == 2 * self._twilio_sample_rate:
                pcm = self._upsample(mulaw_decode(event.payload)).tobytes()
            else:
                pcm = await ulaw_to_pcm(event.payload, self._twilio_sample_rate,
                                        self._sample_rate, self._input_resampler)
            if not pcm:
                return None
            return InputAudioRawFrame(audio=pcm, num_channels=1, sample_rate=self._sample_rate)
        if isinstance(event, wire.Dtmf):
            return InputDTMFFrame(KeypadEntry(event.digit))
        if isinstance(event, wire.Mark):
            self._ledger.echoed(event.name)
            return None
        if isinstance(event, wire.Stop):
            await self._on_stop()
            return None
        # connected/start after the stream began are out of order.
        logger.warning(f"stream {self._stream_sid}: unexpected {type(event).__name__} mid-call")
        await self._on_bad_message("out_of_order")
        return None


class _PacedOutput(FastAPIWebsocketOutputTransport):
    """Real-time pacing with a bounded lead, and a mark after each sentence."""

    def __init__(self, *args, ledger: MarkLedger, stream_sid: str, lead_seconds: float,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._ledger = ledger
        self._stream_sid = stream_sid
        self._lead = lead_seconds
        self._plays_until = 0.0
        self._warned_pts = False

    async def _write_audio_sleep(self) -> None:
        chunk_seconds = self.audio_chunk_size / (self.sample_rate * 2)
        now = time.monotonic()
        self._plays_until = max(self._plays_until, now) + chunk_seconds
        self._ledger.playback_until = self._plays_until
        ahead = self._plays_until - now - self._lead
        if ahead > 0:
            await asyncio.sleep(ahead)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, InterruptionFrame):
            self._plays_until = 0.0
        elif isinstance(frame, TTSTextFrame) and frame.pts and not self._warned_pts:
            # Word-timestamped text bypasses write_transport_frame: no marks, no cut.
            self._warned_pts = True
            logger.warning("TTS text carries timestamps: heard-text tracking is off")
        await super().process_frame(frame, direction)

    async def write_transport_frame(self, frame: Frame) -> None:
        if isinstance(frame, TTSTextFrame) and frame.text.strip():
            name = self._ledger.add(frame.id, max(self._plays_until, time.monotonic()))
            message = {"event": "mark", "streamSid": self._stream_sid, "mark": {"name": name}}
            await self._write_frame(OutputTransportMessageUrgentFrame(message=message))


class CallTransport(FastAPIWebsocketTransport):
    def __init__(self, websocket: WebSocket, params: FastAPIWebsocketParams, *,
                 ledger: MarkLedger, stream_sid: str, lead_seconds: float) -> None:
        super().__init__(websocket, params)
        self._output = _PacedOutput(
            self, self._client, self._params, name=self._output_name,
            ledger=ledger, stream_sid=stream_sid, lead_seconds=lead_seconds,
        )
