"""Typed settings, built once at the edge (CLI / app factory) and passed down.

Environment variables use the prefix ``FRONTDESK_`` and ``__`` for nesting, e.g.
``FRONTDESK_TWILIO__AUTH_TOKEN`` or ``FRONTDESK_STT__MODEL=/srv/models/whisper-small``.
Library code never reads ``os.environ``: it receives a ``Settings``.

Longer than ~300 lines because it is one typed schema: the root ``Settings`` and the section
models it nests, which pydantic-settings reads from the environment together.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.languages import SPOKEN

__all__ = [
    "CALL_IDENTITY",
    "AdminSettings",
    "AdminUser",
    "DeskSettings",
    "DialogSettings",
    "EscalationSettings",
    "GovernanceSettings",
    "HttpToolSettings",
    "LlmSettings",
    "QueueSettings",
    "RecordingSettings",
    "TracingSettings",
    "RecoverySettings",
    "KnowledgeSettings",
    "Settings",
    "StreamSettings",
    "SttSettings",
    "TtsSettings",
    "TransferSettings",
    "TurnSettings",
    "TwilioSettings",
    "pack_profile",
]


class TwilioSettings(BaseModel):
    account_sid: str = ""
    auth_token: SecretStr = SecretStr("")
    # REST root used for every Twilio API call (tests point it at a loopback fake).
    api_base_url: str = "https://api.twilio.com"
    # The number (E.164) or messaging service's sender that confirmation texts come from.
    # Empty: the number the caller called (the call's To), when known.
    sms_from: str = ""
    # One Messages API request; a failed one is tried once more.
    sms_timeout_seconds: float = Field(default=4.0, gt=0, le=30)
    # A webhook body (a form of a few hundred bytes) larger than this is refused (413) before
    # it is read, so an unsigned request cannot make the server buffer it.
    max_body_bytes: int = Field(default=65_536, ge=1024, le=10_485_760)


class SttSettings(BaseModel):
    # "tiny.en" and "base" name the bundled models; anything else is a path to a
    # CTranslate2 faster-whisper model directory.
    model: str = "tiny.en"
    # Used when a call's language is not English (or `language` is "auto").
    multilingual_model: str = "base"
    # "auto": each call's first utterances are transcribed with `multilingual_model`, which
    # detects the language; once it is detected with confidence (or the caller asks for one)
    # the call is pinned to it ("en" then uses `model`). A language code pins every call from
    # the start ("en": English only, the fastest).
    language: str = "auto"
    # The languages a detection chooses among (the agent's lines and tasks are written in these):
    # a detection outside them takes the likeliest of them instead.
    languages: list[str] = Field(default_factory=lambda: list(SPOKEN))
    compute_type: str = "int8"
    # The encoder's window for speech that fits in it (Whisper's own is 30 s, whatever the
    # speech's length): 10 s encodes a caller's turn 4-9x faster with the same word error on the
    # clip set (voice.whisper.WindowedWhisper, scripts/stt_window.py). 30 turns it off.
    window_seconds: float = Field(default=10.0, ge=5, le=30)
    # Start transcribing when the caller's voice pauses, not after the VAD's stop delay, and
    # keep the result when the stop follows (voice.vad): the transcript is ready that much sooner;
    # a pause inside the turn throws the work away.
    speculative: bool = True
    # While a call's language is not known, the English model hears each turn first and only
    # speech it is not confident is English goes to language detection (voice.whisper): an
    # English caller's first turn costs what a later one does, any other caller's costs the
    # probe more. Off: every such turn is detected (a business whose callers seldom speak English).
    english_probe: bool = True
    # While a call's language is not known, the multilingual model identifies it on this many
    # seconds of the caller's speech, while the caller is still speaking (on a free worker only);
    # a sure guess (voice.stt.EARLY_MIN_PROBABILITY) has the turn transcribed once, in it, instead
    # of probed and detected at its end. 0: off.
    early_language_seconds: float = Field(default=1.5, ge=0, le=10)
    cpu_threads: int = Field(default=1, ge=1, le=64)
    beam_size: int = Field(default=1, ge=1, le=10)
    # Calls transcribing at once; further turns queue (bounded CPU on small boxes).
    max_concurrent: int = Field(default=2, ge=1, le=64)
    # A segment is dropped as silence (Whisper's "you" / "." on noise) when its
    # no_speech_prob is above no_speech_threshold AND its avg_logprob is below
    # log_prob_threshold (Whisper's own rule).
    no_speech_threshold: float = Field(default=0.6, ge=0, le=1)
    log_prob_threshold: float = Field(default=-1.0, le=0)


class TtsSettings(BaseModel):
    # language code -> path of a piper .onnx voice (its .onnx.json beside it).
    # English defaults to the bundled en_US-joe-medium voice.
    voices: dict[str, Path] = Field(default_factory=dict)
    cpu_threads: int = Field(default=1, ge=1, le=64)
    max_concurrent: int = Field(default=2, ge=1, le=64)
    # Piper's random variation (None: the voice's own defaults; 0: the same audio
    # for the same text every time, which tests use for repeatable transcripts).
    noise_scale: float | None = Field(default=None, ge=0, le=2)
    noise_w_scale: float | None = Field(default=None, ge=0, le=2)
    # A language with no piper voice in `voices` speaks with espeak-ng (Debian package
    # `espeak-ng`): robotic but understood. "none": such a language speaks English.
    fallback: Literal["espeak-ng", "none"] = "espeak-ng"
    # language code -> espeak-ng voice name where the code alone picks the wrong one,
    # e.g. {"es": "es-419"} (Latin American Spanish) or {"zh": "cmn"}.
    fallback_voices: dict[str, str] = Field(default_factory=dict)
    # Slower than espeak-ng's own 175: a robotic voice on a phone line is easier to follow
    # slowly (Whisper base, too, heard more of it at 130 than at 145-175).
    fallback_rate_wpm: int = Field(default=130, ge=80, le=450)


class TurnSettings(BaseModel):
    # How fast a caller is heard (barge-in) against how easily noise counts as speech.
    # Measured by scripts/false_barge_in.py (112 noises a phone line carries and 34 callers,
    # scripts/barge_clips.py, through the call's serializer): these hear a caller 97 ms after
    # the voice starts (p50; p90 156 ms) and barge in on 3.4% of the noise runs (coughs 2.3%,
    # clicks 1.7%, line noise 9.0%, nearly all GSM buzz and hum cutting in and out). A start of
    # 0.1 s: 125 / 196 ms and 3.1%; pipecat's defaults (0.7 / 0.2 s / volume 0.6): 300 / 443 ms
    # and 0.6%. Silero scores 32 ms windows: 0.05 s is two in a row.
    vad_confidence: float = Field(default=0.6, gt=0, lt=1)
    vad_start_seconds: float = Field(default=0.05, ge=0.05, le=2)
    vad_stop_seconds: float = Field(default=0.2, ge=0.05, le=3)
    # Loudness (0..1) below which audio never counts as speech.
    vad_min_volume: float = Field(default=0.4, ge=0, le=1)
    # Smart Turn v3 judges the end of turn after the VAD stop; when it says
    # "incomplete" we wait at most this long in silence before taking the turn.
    smart_turn: bool = True
    smart_turn_max_silence_seconds: float = Field(default=1.0, ge=0.2, le=5)
    # A transcript that reads as a whole question (3+ words ending in "?") ends the turn even
    # when Smart Turn judged it incomplete (a flat voice asking a question; voice/turn.py).
    question_ends_turn: bool = True
    # The greeting's second part (the entry menu's keys, the other languages' keys) is said only
    # after the caller stayed silent this long once its first part (greeting, invitation) played.
    greeting_pause_seconds: float = Field(default=3.0, ge=0, le=30)
    # The caller said nothing for this long: prompt them, then end the call.
    no_speech_prompt_seconds: float = Field(default=12.0, ge=2, le=120)
    no_speech_hangup_seconds: float = Field(default=30.0, ge=5, le=600)


class StreamSettings(BaseModel):
    token_ttl_seconds: float = Field(default=60.0, gt=0, le=3600)
    # A Twilio media message is ~250 bytes; anything this large is refused.
    max_message_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)
    max_concurrent_calls: int = Field(default=16, ge=1, le=1000)
    # Sockets open but not yet verified (no `start` with a valid token); they hold no call slot.
    max_unverified_streams: int = Field(default=8, ge=1, le=1000)
    # Seconds to wait for `start` after the socket opens (Twilio sends it at once).
    start_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    # Malformed messages tolerated in one call before it is ended.
    max_bad_messages: int = Field(default=20, ge=1, le=10_000)


class KnowledgeSettings(BaseModel):
    # Files and folders (Markdown, text, HTML, PDF) ingested into the knowledge base at
    # start-up (unchanged ones are skipped). Empty: the bundled sample for the business.
    files: list[Path] = Field(default_factory=list)
    # Measured on the sample hotel file: 0.25 answers 49/54 answerable questions
    # and 2/23 unrelated ones; 0.35 answers 40/54 and 0/23.
    min_score: float = Field(default=0.25, ge=0, le=1)


class TracingSettings(BaseModel):
    """OpenTelemetry traces of each call (a span) and its turns (a span each, with a span per
    stage: end of turn, STT, dialog, TTS first audio)."""

    # An OTLP/HTTP collector's traces endpoint (e.g. http://127.0.0.1:4318/v1/traces); empty:
    # no exporter, and no trace is kept.
    otlp_endpoint: str = ""
    service_name: str = Field(default="frontdesk", min_length=1, max_length=100)

    @field_validator("otlp_endpoint")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("otlp_endpoint must start with http:// or https://")
        return value


class RecordingSettings(BaseModel):
    """Call recordings, off unless asked for: both sides of each call, kept as its audio."""

    # Record every call: the caller on the left channel, the agent on the right (8 kHz WAV), in
    # <data_dir>/recordings/<call SID>/<stream SID>.wav. Where the law asks for consent, say
    # so in the greeting.
    enabled: bool = False
    # Delete the recordings of calls that started more than this many days ago (checked at
    # start-up and every hour); 0: keep them.
    retention_days: float = Field(default=0.0, ge=0, le=3650)
    # With retention_days: delete those calls' transcripts too (what the caller and the agent
    # said in the turns, and the transcript and history kept with their handoffs).
    delete_transcripts: bool = False


class LlmSettings(BaseModel):
    """An OpenAI-compatible chat-completions endpoint (OpenAI, Azure, Groq, vLLM, Ollama,
    llama.cpp's server). Empty ``base_url``: no LLM, the embedded engine answers alone."""

    base_url: str = ""  # e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1
    model: str = ""
    api_key: SecretStr = SecretStr("")
    # Extra headers and query parameters some providers need (Azure: api-version).
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    connect_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # No first token within this: the caller hears a holding line and the request is retried.
    first_token_timeout_seconds: float = Field(default=4.0, gt=0, le=120)
    # A whole reply (all tool rounds) taking longer than this is abandoned.
    total_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    retries: int = Field(default=1, ge=0, le=5)
    max_tool_rounds: int = Field(default=4, ge=1, le=16)
    # Ask for the token counts of each streamed reply (``stream_options.include_usage``), kept
    # with each turn; off for a server that refuses the option.
    report_usage: bool = True
    # US dollars per million prompt and completion tokens, to tell each turn's cost; 0: unknown.
    price_input_per_million: float = Field(default=0.0, ge=0)
    price_output_per_million: float = Field(default=0.0, ge=0)
    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tokens: int = Field(default=300, ge=16, le=8192)
    # The embedded engine answers frequent intents it is sure of before the LLM is asked.
    fast_path: bool = True
    fast_path_min_confidence: float = Field(default=0.75, ge=0, le=1)

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)


class EscalationSettings(BaseModel):
    """When the dialog hands the caller to a person (each has a reason code).

    ``Settings.escalation`` holds the deployment's defaults: a call with a routing rules version
    goes by the rules' ``escalation`` instead. The dialog reads neither directly, only the
    call's ``config.policy.CallPolicy``.
    """

    # An intent or knowledge score below this counts as a low-confidence turn.
    min_confidence: float = Field(default=0.45, ge=0, le=1)
    low_confidence_turns: int = Field(default=3, ge=1, le=20)  # in a row
    # The caller asks the same thing again (cosine of the two questions >= similarity).
    rephrase_turns: int = Field(default=3, ge=2, le=20)
    rephrase_similarity: float = Field(default=0.8, gt=0, le=1)
    tool_failures: int = Field(default=2, ge=1, le=20)  # back-end failures in one call
    loop_turns: int = Field(default=3, ge=2, le=20)  # the same reply given this many times
    verification_attempts: int = Field(default=2, ge=1, le=10)


class GovernanceSettings(BaseModel):
    # Refunds above this (in the order's currency) need a person: the call is transferred.
    refund_limit: float = Field(default=50.0, ge=0)
    # Log and refuse tool calls in turns that look like prompt injection.
    detect_injection: bool = True


# URL placeholders an HTTP tool takes from the call, never from the model.
CALL_IDENTITY = ("customer_id", "candidate_id", "caller_number")
# A field of a JSON response: "id", "customer.id".
_FIELD_PATH = r"^([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$"


class HttpToolSettings(BaseModel):
    """A tool that calls a business's own HTTP API (CRM, PMS), declared without code.

    ``url`` is a template: ``{name}`` is replaced by the argument ``name`` (URL-quoted), and
    ``{customer_id}`` / ``{candidate_id}`` / ``{caller_number}`` by the call's identity, never
    by the model. GET/DELETE send the remaining arguments as the query, others as a JSON body.

    Identity and ownership are declared by naming fields of the JSON response (``a.b`` for a
    nested one): ``identifies``, the record found for the caller (not yet verified);
    ``verifies``, the customer the caller is proven to be (the tool verifies callers);
    ``owner_field``, the customer a record belongs to, so another customer's record is refused
    as not found; ``owner_from``, the read tool (with an ``owner_field``) that tells, before
    this one runs with the same arguments, whose record it would act on.
    """

    model_config = {"extra": "forbid"}

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    description: str = Field(min_length=1)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(pattern=r"^https?://")
    parameters: dict = Field(default_factory=lambda: {"type": "object", "properties": {}})
    tier: Literal["read", "write", "restricted"] = "read"
    needs_verified: bool = False
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    auth_header: str = "Authorization"
    # Name of the environment variable holding the header's value (read at start-up).
    auth_env: str = ""
    auth_prefix: str = ""  # e.g. "Bearer "
    businesses: list[str] = Field(default_factory=list)
    identifies: str = Field(default="", pattern=_FIELD_PATH)
    verifies: str = Field(default="", pattern=_FIELD_PATH)
    owner_field: str = Field(default="", pattern=_FIELD_PATH)
    owner_from: str = Field(default="", pattern=r"^([a-z][a-z0-9_]{0,63})?$")

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        _url_pieces(url)
        return url

    @model_validator(mode="after")
    def _check_declaration(self) -> HttpToolSettings:
        if self.identifies and self.verifies:
            raise ValueError("a tool either identifies or verifies the caller, not both")
        if self.owner_from and self.owner_field:
            raise ValueError("give owner_field or owner_from, not both")
        fields = {name for _, name in self.url_pieces() if name}
        properties = self.parameters.get("properties", {})
        if clash := set(properties) & set(CALL_IDENTITY):
            raise ValueError(f"{sorted(clash)} come from the call, not the model; remove them "
                             "from parameters")
        if missing := fields - set(CALL_IDENTITY) - set(properties):
            raise ValueError(f"URL placeholders {sorted(missing)} are not declared in "
                             "parameters")
        return self

    def url_pieces(self) -> list[tuple[str, str | None]]:
        """The URL as (literal, placeholder) pieces; placeholders only in the path or query."""
        return _url_pieces(self.url)


def _url_pieces(url: str) -> list[tuple[str, str | None]]:
    pieces = []
    for literal, name, spec, conversion in string.Formatter().parse(url):
        if name is not None and (not name.isidentifier() or spec or conversion):
            raise ValueError(f"bad placeholder {{{name}}} in the URL")
        pieces.append((literal, name))
    first = url.find("{")
    path_start = url.find("/", url.index("://") + 3)
    if first != -1 and (path_start == -1 or first < path_start):
        raise ValueError("URL placeholders may not be in the host")
    return pieces


class DialogSettings(BaseModel):
    # Which sample business's tools, data and intents the agent uses (demo mode); with a
    # business pack (``Settings.business``), the pack's own kind, set from it.
    business: str = Field(default="hotel", pattern=r"^[a-z][a-z0-9_]{0,63}$")
    # YAML file of intents with example phrases per language; empty: the bundled one.
    intents_file: Path | None = None
    # Empty: the sample business's own name and greeting.
    business_name: str = ""
    greeting: str = ""
    # Queue a transfer decision names when the caller asks for a person. A default the call's
    # policy (config.policy.CallPolicy) falls back to: the rules' business.default_queue wins
    # for a call with a rules version.
    default_queue: str = "front_desk"

    @model_validator(mode="after")
    def _sample_defaults(self) -> DialogSettings:
        name, greeting = _SAMPLE_GREETINGS.get(self.business, ("", ""))
        self.business_name = self.business_name or name
        self.greeting = self.greeting or greeting
        return self


def pack_profile(folder: Path) -> tuple[str, str]:
    """A business pack's kind and name (its ``business.yaml``); the whole pack is checked when
    it is loaded (``config.pack``)."""
    path = folder / "business.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        business = data["business"]
        kind, name = business["kind"], business.get("name", "")
    except FileNotFoundError:
        raise ValueError(f"{folder} is not a business pack: it has no business.yaml "
                         "(frontdesk init writes one)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError) as e:
        raise ValueError(f"{path}: cannot read the business's kind ({type(e).__name__}); "
                         f"run: frontdesk check {folder}") from None
    if not isinstance(kind, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", kind):
        raise ValueError(f"{path}: business.kind {kind!r} is not a name like 'bike_shop'")
    return kind, str(name or "")


_SAMPLE_GREETINGS = {
    "hotel": ("Harbor View Hotel", "Thank you for calling the Harbor View Hotel. I'm the virtual "
              "front desk. How can I help you today?"),
    "support": ("Northwind Electronics", "Thank you for calling Northwind Electronics customer "
                "support. I'm the virtual assistant. How can I help you today?"),
}


class TransferSettings(BaseModel):
    # queue name -> phone number or sip: address that a cold transfer dials. A deployment's
    # own: it wins over the rules' queue of that name, and its names are among the queues a
    # call may transfer to (config.policy.CallPolicy).
    queues: dict[str, str] = Field(default_factory=dict)
    # Dialled by the TwiML after </Connect> if our stream ends unexpectedly
    # (crash-to-human fallback). Empty: the call simply ends.
    fallback_number: str = ""
    # Said when a transfer could not be placed. Empty: the agent's own line (phrase
    # ``no_agent``) in the caller's language; set, this text is said as it is, in any language.
    no_agent_line: str = ""


class QueueSettings(BaseModel):
    """Who answers a transfer queue, and how."""

    model_config = {"extra": "forbid"}

    # Phone numbers (E.164) or sip: addresses, tried in order.
    agents: list[str] = Field(default_factory=list)
    # "warm": the agent is briefed and accepts before joining the caller (conference);
    # "cold": a plain <Dial> to the first agent.
    transfer: Literal["warm", "cold"] = "warm"
    ring_timeout_seconds: int = Field(default=20, ge=5, le=120)
    # Agents rung, one after another, while the caller waits on hold; then the caller comes back
    # to the AI and chooses a callback or the next agent.
    agents_per_hold: int = Field(default=1, ge=1, le=20)
    # Opening hours in the business's time zone, per weekday ("mon".."sun") as "HH:MM-HH:MM";
    # an empty map means always open.
    hours: dict[str, str] = Field(default_factory=dict)
    timezone: str = "UTC"


class DeskSettings(BaseModel):
    """The agent desktop (/desk) and the handoff/call API (/api)."""

    # username -> password for agents signing in to the desktop.
    agents: dict[str, SecretStr] = Field(default_factory=dict)
    # Bearer token for /api (a CRM or helpdesk pulling handoffs and call records). Empty: off.
    api_token: SecretStr = SecretStr("")
    # Signs desktop session cookies; empty: a random one per process (sessions end at restart).
    session_secret: SecretStr = SecretStr("")
    # Optional webhook that receives each new briefing (POST JSON, HMAC-SHA256 signed with
    # webhook_secret in the X-Frontdesk-Signature header).
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")


class AdminUser(BaseModel):
    model_config = {"extra": "forbid"}

    password: SecretStr
    # "admin": may change the routing rules and roll them back; "viewer": reads and dry-runs.
    role: Literal["admin", "viewer"] = "viewer"


class AdminSettings(BaseModel):
    """The routing-rules admin console (/admin) and its API (/admin/api)."""

    # username -> {password, role}; none: the console is off.
    users: dict[str, AdminUser] = Field(default_factory=dict)
    # Signs console session cookies; empty: a random one per process (sessions end at restart).
    session_secret: SecretStr = SecretStr("")


class RecoverySettings(BaseModel):
    """Cleaning up after a server that died: each server leases the calls it carries, renewing
    the leases every ``heartbeat_seconds``; at start-up, and on each heartbeat, calls whose
    lease ran out (and, at start-up, this server's own from before) are closed, and the
    handoffs they left waiting become callbacks (telephony/records/recovery.py)."""

    # Names this server among those sharing the database; it must differ between them and stay
    # the same across restarts. Empty: the host name and the port ("desk-1:8080").
    instance_id: str = Field(default="", max_length=128)
    heartbeat_seconds: float = Field(default=15.0, gt=0, le=600)
    # How long a call's server vouches for it, and how long a handoff waits untouched before
    # it counts as left behind; at least two heartbeats.
    lease_seconds: float = Field(default=60.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _check_lease(self) -> RecoverySettings:
        if self.lease_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("lease_seconds must be at least twice heartbeat_seconds, so that "
                             "one late heartbeat does not close live calls")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FRONTDESK_", env_nested_delimiter="__", extra="forbid"
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Public base URL Twilio uses to reach us, e.g. https://frontdesk.example.com.
    # Used for the <Stream> URL and for signature checks. Empty: derived from the
    # request (Host / X-Forwarded-* headers when trust_proxy_headers is on).
    public_url: str = ""
    trust_proxy_headers: bool = False
    # With trust_proxy_headers: the proxies (addresses or networks, comma-separated) whose
    # X-Forwarded-For and X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips);
    # the client address is then the first one in X-Forwarded-For not among them.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # Development only: accept unsigned webhooks and stream upgrades.
    dev_insecure_skip_signature: bool = False

    data_dir: Path = Path("var")
    database_url: str = ""
    models_dir: Path | None = None
    # A business pack: the folder that declares the business (``frontdesk init`` writes one,
    # ``frontdesk check`` validates it). None: demo mode, a sample business
    # (``dialog.business``) with its demonstration data.
    business: Path | None = None
    # With no pack, `frontdesk serve` runs a sample business only when asked to: its
    # demonstration callers (whose README identities verify) must not answer a real line.
    demo: bool = False
    # A call from a number that called within this many days marks the earlier call as not
    # resolved at first contact (telephony.records.outcome); 0: never.
    repeat_call_days: float = Field(default=7.0, ge=0, le=365)

    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    stt: SttSettings = Field(default_factory=SttSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    turn: TurnSettings = Field(default_factory=TurnSettings)
    stream: StreamSettings = Field(default_factory=StreamSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    dialog: DialogSettings = Field(default_factory=DialogSettings)
    transfer: TransferSettings = Field(default_factory=TransferSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    recordings: RecordingSettings = Field(default_factory=RecordingSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    # Defaults the call's policy falls back to when the call has no rules version
    # (config.policy.CallPolicy); kept for deployments with no rules file.
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)
    http_tools: list[HttpToolSettings] = Field(default_factory=list)
    # queue name -> who answers it (warm transfers); queues only in transfer.queues are cold.
    queues: dict[str, QueueSettings] = Field(default_factory=dict)
    desk: DeskSettings = Field(default_factory=DeskSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    recovery: RecoverySettings = Field(default_factory=RecoverySettings)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # On SIGTERM the server takes no new calls and lets those in progress finish, for at most
    # this long (telephony.drain); give the orchestrator's grace period more than this.
    drain_seconds: float = Field(default=60.0, ge=0, le=3600)
    # "json": one JSON object a line, with the call's call_sid and stream_sid as fields
    # (telephony.logs); the Docker image sets it.
    log_format: Literal["text", "json"] = "text"

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        value = value.rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'frontdesk.db').as_posix()}"
        if self.models_dir is None:
            self.models_dir = self.data_dir / "models"
        return self

    @model_validator(mode="after")
    def _pack_business(self) -> Settings:
        if self.business is not None:
            kind, name = pack_profile(self.business)
            # The sample's name and greeting, filled in for the default business, do not
            # carry over to the pack's business; a name or greeting given does.
            sample_name, sample_greeting = _SAMPLE_GREETINGS.get(self.dialog.business, ("", ""))
            given = self.dialog
            self.dialog = given.model_copy(update={
                "business": kind,
                "business_name": name if given.business_name == sample_name
                else given.business_name or name,
                "greeting": "" if given.greeting == sample_greeting else given.greeting,
            })
        return self

    @property
    def resolved_models_dir(self) -> Path:
        assert self.models_dir is not None
        return self.models_dir
