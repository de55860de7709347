import pytest
from pydantic import ValidationError

from config import Settings


def test_defaults_derive_paths(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path.as_posix()}/frontdesk.db"
    assert settings.resolved_models_dir == tmp_path / "models"
    assert settings.dev_insecure_skip_signature is False


def test_environment_nesting(monkeypatch):
    monkeypatch.setenv("FRONTDESK_TWILIO__AUTH_TOKEN", "tok-9f2c7e")
    monkeypatch.setenv("FRONTDESK_STT__CPU_THREADS", "2")
    settings = Settings()
    assert settings.twilio.auth_token.get_secret_value() == "tok-9f2c7e"
    assert "tok-9f2c7e" not in repr(settings)
    assert settings.stt.cpu_threads == 2


@pytest.mark.parametrize("bad", [
    {"public_url": "desk.example.com"},
    {"port": 70000},
    {"stt": {"cpu_threads": 0}},
    {"turn": {"vad_confidence": 1.5}},
    {"unknown_setting": 1},
])
def test_invalid_settings_are_refused(bad):
    with pytest.raises(ValidationError):
        Settings(**bad)
