"""espeak-ng through its C library: an offline voice for languages with no piper voice.

espeak-ng is a formant synthesiser with voices for ~100 languages in 13 MB of data:
robotic, but understood (Whisper transcribes it). It comes with the Debian package
``libespeak-ng1`` (a dependency of ``espeak-ng``), loaded here with ``ctypes``.

piper-tts links its own copy of espeak-ng into ``piper.espeakbridge`` for phonemes; that
copy cannot be shared: espeak-ng keeps one current voice in process-global state, and
piper sets it before every sentence it phonemises. The system library, loaded with
``RTLD_LOCAL``, has state of its own, so piper and this module never disturb each other.
Within this library one synthesis runs at a time (a lock): a sentence takes ~2 ms.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.languages import normalise

__all__ = [
    "EspeakEngine",
    "EspeakError",
    "EspeakVoice",
    "EspeakVoices",
    "espeak_engine",
]

_LIBRARY_NAMES = ("libespeak-ng.so.1", "libespeak-ng.so", "libespeak-ng.1.dylib")
_AUDIO_OUTPUT_SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: samples come to the callback
_INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of exit()
_CHARS_UTF8 = 0x1
_ENDPAUSE = 0x1000  # a sentence's pause after its last word
_POS_CHARACTER = 1
_RATE = 1  # espeak_PARAMETER espeakRATE, words per minute
_BUFFER_MS = 200  # audio handed to the callback at a time

_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class EspeakError(RuntimeError):
    """An espeak-ng failure; ``code`` names it for logs (``espeak_missing``, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def _open_library() -> ctypes.CDLL:
    names = [*_LIBRARY_NAMES, ctypes.util.find_library("espeak-ng")]
    for name in filter(None, names):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise EspeakError(
        "espeak_missing",
        "libespeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)",
    )


def _loaded_path(name: str) -> Path:
    """The file a loaded library came from (its soname where /proc is not there)."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Path(name)
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        if "libespeak-ng" in Path(path).name:
            return Path(path)
    return Path(name)


def _declare(lib: ctypes.CDLL) -> None:
    c_int, c_uint, c_void_p = ctypes.c_int, ctypes.c_uint, ctypes.c_void_p
    c_char_p = ctypes.c_char_p
    lib.espeak_Initialize.argtypes = [c_int, c_int, c_char_p, c_int]
    lib.espeak_Initialize.restype = c_int
    lib.espeak_Info.argtypes = [ctypes.POINTER(c_char_p)]
    lib.espeak_Info.restype = c_char_p
    lib.espeak_SetSynthCallback.argtypes = [_Callback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [c_char_p]
    lib.espeak_SetVoiceByName.restype = c_int
    lib.espeak_SetParameter.argtypes = [c_int, c_int, c_int]
    lib.espeak_SetParameter.restype = c_int
    lib.espeak_Synth.argtypes = [
        c_void_p, ctypes.c_size_t, c_uint, c_int, c_uint, c_uint, c_void_p, c_void_p
    ]
    lib.espeak_Synth.restype = c_int


class EspeakEngine:
    """The process's libespeak-ng, initialised once. Thread-safe; blocking calls."""

    def __init__(self) -> None:
        lib = _open_library()
        _declare(lib)
        rate_hz = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, None, _INITIALIZE_DONT_EXIT
        )
        if rate_hz <= 0:
            raise EspeakError("espeak_init_failed", "espeak_Initialize failed (its data dir?)")
        data = ctypes.c_char_p()
        version = lib.espeak_Info(ctypes.byref(data))
        self._lib = lib
        self.sample_rate_hz: int = rate_hz
        self.version = (version or b"").decode()
        self.data_dir = Path((data.value or b"").decode())
        self.library_path = _loaded_path(lib._name)
        self._lock = threading.Lock()
        self._known: dict[str, bool] = {}
        self._sink: list[bytes] = []
        self._stop: threading.Event | None = None
        self._callback = _Callback(self._on_audio)  # kept alive as long as the engine
        lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: Any, count: int, _events: int | None) -> int:
        if count > 0 and wav:
            self._sink.append(ctypes.string_at(wav, count * 2))
        return 1 if self._stop is not None and self._stop.is_set() else 0  # 1 aborts

    def has_voice(self, name: str) -> bool:
        """Whether espeak-ng has a voice called ``name`` ("es", "pt-br", "cmn", ...).

        The first ask per name loads the voice (milliseconds); later ones are a dict look-up.
        """
        known = self._known.get(name)
        if known is None:
            with self._lock:
                known = self._lib.espeak_SetVoiceByName(name.encode()) == 0
                self._known[name] = known
        return known

    def synthesize(
        self, text: str, voice: str, *, rate_wpm: int, stop: threading.Event | None = None
    ) -> bytes:
        """16-bit mono PCM at ``sample_rate_hz`` for ``text`` spoken by ``voice``.

        Setting ``stop`` ends the synthesis at its next buffer (what is made so far returns).
        """
        encoded = text.encode("utf-8")
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError("espeak_voice_missing", f"espeak-ng has no voice {voice!r}")
            self._lib.espeak_SetParameter(_RATE, rate_wpm, 0)
            self._sink, self._stop = [], stop
            try:
                status = self._lib.espeak_Synth(
                    encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0,
                    _CHARS_UTF8 | _ENDPAUSE, None, None,
                )
                pcm = b"".join(self._sink)
            finally:
                self._sink, self._stop = [], None
        if status != 0 and not (stop is not None and stop.is_set()):
            raise EspeakError("espeak_failed", f"espeak_Synth returned {status}")
        return pcm


_engine: EspeakEngine | None = None
_engine_lock = threading.Lock()


def espeak_engine() -> EspeakEngine:
    """The process's espeak-ng engine, loaded on first use. Raises ``EspeakError``."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = EspeakEngine()
        return _engine


@dataclass(frozen=True)
class EspeakVoice:
    """One espeak-ng voice at one speaking rate."""

    engine: EspeakEngine
    voice: str  # espeak-ng's voice name: "es", "fr", "de", "pt-br", ...
    rate_wpm: int = 130

    @property
    def name(self) -> str:
        return f"espeak-ng:{self.voice}"

    @property
    def sample_rate_hz(self) -> int:
        return self.engine.sample_rate_hz

    def chunks(self, text: str, stop: threading.Event) -> Iterator[bytes]:
        """The sentence's PCM in one chunk (espeak-ng makes a sentence in milliseconds)."""
        pcm = self.engine.synthesize(text, self.voice, rate_wpm=self.rate_wpm, stop=stop)
        if pcm and not stop.is_set():
            yield pcm


@dataclass(frozen=True)
class EspeakVoices:
    """Language code -> espeak-ng voice: ``overrides`` first, then the code itself."""

    engine: EspeakEngine
    overrides: Mapping[str, str] = field(default_factory=dict)
    rate_wpm: int = 130

    def voice_for(self, language: str) -> tuple[str, EspeakVoice] | None:
        """(the code that matched, its voice) for "es-MX", "es", ...; None if none fits."""
        code = str(language)
        base = normalise(code)
        candidates = [(code, self.overrides.get(code)), (base, self.overrides.get(base)),
                      (code, code.lower()), (base, base)]
        for matched, name in candidates:
            if name and self.engine.has_voice(name):
                return matched, EspeakVoice(self.engine, name, self.rate_wpm)
        return None
