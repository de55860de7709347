"""What a server process loads once and every call shares.

Whisper, the piper voices, and the dialog's shared parts (sentence encoder, knowledge base,
intent classifier, tool registry, LLM client) are loaded here (in a thread, from the app
lifespan) and handed to each call's services. This is the composition root: the one
``Database`` (one engine for every store) and the one HTTP client under the Twilio REST
client (calls, texts, the desk webhook) are made here and passed to what uses them. Per-call
objects (VAD and turn analyzers, STT and TTS services, the dialog manager and its state) are
built fresh for each call from these. A test hands ``Runtime.load`` its own voices and
encoder (``tests/fakes``) to load no model.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx
from loguru import logger
from pipecat.audio.turn.smart_turn.base_smart_turn import SmartTurnParams
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.turns.user_stop import (
    SpeechTimeoutUserTurnStopStrategy,
    TurnAnalyzerUserTurnStopStrategy,
)
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from config import Settings
from config.database import Database
from config.pack import BusinessPack
from config.rules import Rules
from config.rules.store import RuleStore, RuleVersion
from dialog.deps import DialogDeps
from dialog.loader import (
    bundled_knowledge,
    business_pack,
    load_dialog,
    rules_loader,
    rules_source,
)
from dialog.manager import DialogManager
from dialog.phrases.say import say
from dialog.routing.turns import Understanding
from dialog.state import CallState
from knowledge.encoder import SentenceEncoder
from knowledge.passages import split_sentences
from telephony.metrics import ServerMetrics
from telephony.records.judge import LlmJudge
from telephony.records.outcome import Outcome, settle_outcome
from telephony.records.qa import Judge, QaScore, score_call
from telephony.records.recovery import Recovery, instance_id
from telephony.records.store import Records
from telephony.transfer.handoffs import HandoffStore
from telephony.transfer.warm import WarmTransfers
from telephony.transfer.webhook import post_call_webhook
from telephony.twilio.rest import TwilioRest
from telephony.twilio.security import StreamTokens
from voice.services import CallVoices, LocalVoices
from voice.turn import QuestionEndsTurnStop, SharedSmartTurn, TurnModels
from voice.vad import PauseWatchingVAD

if TYPE_CHECKING:
    from pipecat.services.stt_service import STTService
    from pipecat.services.tts_service import TTSService

__all__ = ["Runtime", "bundled_knowledge", "call_rules", "open_rules"]


def open_rules(settings: Settings, database: Database | None = None,
               pack: BusinessPack | None = None) -> RuleStore:
    """The routing-rules versions (on ``database``, default: the process's one for
    ``settings.database_url``), seeded on first use with the business's rules: the ``pack``'s
    business.yaml (None: the deployment's pack, loaded)."""
    pack = pack or business_pack(settings)
    load = partial(rules_loader(settings, pack), name=f"{settings.dialog.business} rules")
    store = RuleStore(database or settings.database_url, load)
    store.ensure_seeded(settings.dialog.business, rules_source(pack))
    return store


def call_rules(store: RuleStore, state: CallState) -> RuleVersion:
    """The routing rules of a call: the version it started with, else the active one, which the
    call then keeps (blocking: call it in a thread)."""
    if state.rules_version is not None:
        pinned = store.get(state.rules_version)
        if pinned is not None:
            return pinned
    version = store.active(state.business)
    state.rules_version = version.id
    return version


@dataclass
class Runtime:
    settings: Settings
    records: Records
    tokens: StreamTokens
    twilio: TwilioRest
    voices: CallVoices  # each call's STT and TTS services are made from these
    dialog: DialogDeps
    handoffs: HandoffStore
    warm: WarmTransfers
    rule_store: RuleStore
    understanding: Understanding  # intent classifiers per rules version's overrides
    turn_models: TurnModels  # Silero and Smart Turn, shared by every call's analyzers
    active_calls: int = 0
    # Streams running here, per call SID: their calls' leases are renewed (telephony/recovery).
    live_calls: Counter[str] = field(default_factory=Counter)
    recovery: Recovery | None = None
    judge: Judge | None = None  # the LLM judge of QA items, when an LLM is configured
    # Where judged QA runs: one worker, off the threads that settle calls.
    _judging: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="qa-judge"))
    unverified_streams: int = 0  # sockets open that have not yet shown a valid token
    shutting_down: bool = False  # the drain's deadline passed: streams still open are closed
    metrics: ServerMetrics = field(default_factory=ServerMetrics)  # served at /metrics
    database: Database | None = None  # held (attached) until ``aclose``
    http: httpx.AsyncClient | None = None  # under ``twilio``; closed by ``aclose``
    # The server's event loop (set by the app's lifespan): work a blocking step started in a
    # thread (the call.completed webhook) is handed to it.
    loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def load(cls, settings: Settings, *, voices: CallVoices | None = None,
             encoder: SentenceEncoder | None = None) -> Runtime:
        """Load everything (blocking: call it in a thread). ``voices`` and ``encoder`` replace
        Whisper and piper, and the sentence encoder (the tests' fakes)."""
        models_dir = settings.resolved_models_dir
        tokens = StreamTokens.for_auth_token(settings.twilio.auth_token.get_secret_value(),
                                             settings.stream.token_ttl_seconds)
        database = Database.attach(settings.database_url)
        http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
        twilio = TwilioRest(settings, client=http)
        handoffs = HandoffStore(database)
        dialog = load_dialog(settings, database=database, sms=twilio, encoder=encoder)
        records = Records(database, owner=instance_id(settings),
                          lease_seconds=settings.recovery.lease_seconds)
        runtime = cls(
            database=database,
            http=http,
            settings=settings,
            records=records,
            tokens=tokens,
            twilio=twilio,
            handoffs=handoffs,
            warm=WarmTransfers(settings, handoffs, twilio, tokens),
            rule_store=open_rules(settings, database, dialog.pack),
            understanding=Understanding(dialog.encoder, dialog.classifier.intents),
            turn_models=TurnModels.load(),
            voices=voices or LocalVoices.load(settings),
            dialog=dialog,
        )
        runtime.recovery = Recovery(settings, records, handoffs, lambda: set(runtime.live_calls))
        runtime.judge = LlmJudge(settings.llm) if settings.llm.enabled else None
        runtime.metrics.watch(active_calls=lambda: runtime.active_calls,
                              stt_waiting=lambda: runtime.voices.waiting()[0],
                              tts_waiting=lambda: runtime.voices.waiting()[1])
        dialog.registry.observer = runtime.metrics.tool_call
        handoffs.on_settled = runtime.settle_outcome
        state = CallState(settings.dialog.business)
        greeting = runtime.dialog_engine(state, runtime.rules_for(state).rules) \
            .greeting("en")  # also builds the active rules' intent classifier
        # Fixed lines are synthesised once so they start at once. The greeting is
        # spoken sentence by sentence (a mark each), so its sentences are cached.
        runtime.voices.warm(
            [*split_sentences(greeting), say("still_there", "en"),
             say("silent_goodbye", "en"),
             settings.transfer.no_agent_line or say("no_agent", "en")], ["en"])
        # The first call would otherwise pay for the first analyzers and the first
        # synthesis/transcription paths.
        runtime.turn_detection()
        logger.info(f"runtime ready: {len(runtime.dialog.index)} knowledge passages, "
                    f"business {settings.dialog.business}, "
                    f"dialog {'LLM ' + settings.llm.model if settings.llm.enabled else 'embedded'}"
                    f", models in {models_dir}")
        return runtime

    def settle_outcome(self, call_sid: str) -> Outcome | None:
        """Decide and store what the call came to (blocking, from any thread: its stream
        ended, or its transfer settled). Once decided, the call is counted, scored and, with a
        desk webhook, posted to it (``call.completed``) on the server's event loop."""
        def decided(outcome: Outcome, call: dict[str, Any]) -> None:
            self.metrics.call_outcome(outcome.outcome)
            if self.judge is not None and self._judged(call):
                # The rule checks now; the LLM judge's answer (seconds) and the webhook after
                # it from a worker, never on the thread settling the call (a Twilio callback).
                self._scored_and_posted(call, judge=None, post=False)
                self._judging.submit(self._scored_and_posted, call, judge=self.judge)
            else:
                self._scored_and_posted(call, judge=None)

        return settle_outcome(self.records, self.handoffs, call_sid,
                              repeat_window_seconds=self.settings.repeat_call_days * 86400,
                              decided=decided)

    def _scored_and_posted(self, call: dict[str, Any], *, judge: Judge | None,
                           post: bool = True) -> None:
        qa = None
        try:
            score = self.score_call(call, judge=judge)
            qa = {"score": score.score, "items": score.rows()}
        except Exception:  # QA never breaks a call's records
            logger.exception(f"call {call['call_sid']}: QA scoring failed")
        if post and self.settings.desk.webhook_url and self.loop is not None \
                and not self.loop.is_closed():
            asyncio.run_coroutine_threadsafe(post_call_webhook(
                self.settings, {**call, "qa": qa}, self.twilio.http), self.loop)

    def _version_of(self, call: dict[str, Any]) -> RuleVersion:
        """The rules version the call ran under (else the active one)."""
        ran = next((t["route"]["version"] for t in call["turns"]
                    if isinstance(t.get("route"), dict) and t["route"].get("version")), None)
        return (self.rule_store.get(ran) if ran is not None else None) \
            or self.rule_store.active(self.settings.dialog.business)

    def _judged(self, call: dict[str, Any]) -> bool:
        return any(i.check == "judge" for i in self._version_of(call).rules.scorecard())

    def score_call(self, call: dict[str, Any], judge: Judge | None = None) -> QaScore:
        """Score the call (its record, ``Records.call``) on the scorecard of the rules version
        it ran under and store it (blocking; ``telephony.records.qa``); ``judge``: the LLM
        judge of its judge items (None: they do not apply)."""
        version = self._version_of(call)
        sid = call["call_sid"]
        audit = getattr(self.dialog.registry.audit, "for_call", lambda _sid: [])(sid)
        score = score_call(call, audit, version.rules.scorecard(), version.rules.business.name,
                           judge=judge)
        self.records.save_qa(sid, rules_version=version.id, score=score.score,
                             items=score.rows())
        return score

    def dialog_engine(self, state: CallState, rules: Rules | None = None) -> DialogManager:
        """A new call's dialog (its state: business, caller ID, call SID), routed by
        ``rules`` and understood with their intent overrides, as the admin's dry run does
        (blocking the first time a version's overrides are seen: call it in a thread)."""
        classifier = self.understanding.classifier(rules) if rules is not None else None
        return DialogManager(self.dialog, state, rules, classifier)

    def rules_for(self, state: CallState) -> RuleVersion:
        """The routing rules of a call (``call_rules``; blocking: call it in a thread)."""
        return call_rules(self.rule_store, state)

    def stt_service(self, language: str | None = None) -> STTService:
        """Speech recognition per the settings, or pinned to ``language`` (a call that goes on
        in a language already known)."""
        stt = self.settings.stt
        if language is not None:
            stt = stt.model_copy(update={"language": language})
        return self.voices.stt_service(stt)

    def tts_service(self, language: str = "en") -> TTSService:
        return self.voices.tts_service(language)

    def turn_detection(self) -> tuple[PauseWatchingVAD, UserTurnStrategies]:
        """Fresh per-call VAD and end-of-turn analyzers (they keep per-stream state), on the
        process's shared sessions."""
        turn = self.settings.turn
        vad = PauseWatchingVAD(session=self.turn_models.silero, params=VADParams(
            confidence=turn.vad_confidence, start_secs=turn.vad_start_seconds,
            stop_secs=turn.vad_stop_seconds, min_volume=turn.vad_min_volume,
        ))
        if turn.smart_turn:
            analyzer = SharedSmartTurn(
                session=self.turn_models.smart_turn,
                params=SmartTurnParams(stop_secs=turn.smart_turn_max_silence_seconds),
            )
            strategy = (QuestionEndsTurnStop if turn.question_ends_turn
                        else TurnAnalyzerUserTurnStopStrategy)
            stop = [strategy(turn_analyzer=analyzer)]
        else:
            stop = [SpeechTimeoutUserTurnStopStrategy(
                user_speech_timeout=turn.smart_turn_max_silence_seconds)]
        return vad, UserTurnStrategies(stop=stop)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._judging.shutdown, wait=True)
        await self.warm.aclose()
        await self.twilio.aclose()
        if self.http is not None:
            await self.http.aclose()
        if self.dialog.llm_client is not None:
            await self.dialog.llm_client.close()
        self.records.close()
        self.handoffs.close()
        self.rule_store.close()
        if self.database is not None:
            self.database.detach()
        self.voices.close()
