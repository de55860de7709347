"""Audio helpers: G.711 mu-law, resampling, telephone band, files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voice.audio import (
    band_pass,
    load_audio_as_mulaw8k,
    mulaw8k_to_pcm16k,
    mulaw_decode,
    mulaw_encode,
    resample_pcm16,
    write_wav,
)

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)


def _tone(freq_hz: float, rate_hz: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return amplitude * np.sin(2 * np.pi * freq_hz * t)


def _peak_hz(pcm: np.ndarray, rate_hz: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    return float(np.fft.rfftfreq(len(pcm), 1 / rate_hz)[np.argmax(spectrum)])


def test_mulaw_matches_the_g711_reference_bit_for_bit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    assert mulaw_encode(ALL_INT16) == audioop.lin2ulaw(ALL_INT16.tobytes(), 2)
    codes = bytes(range(256))
    assert mulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)


def test_mulaw_round_trip_error_is_bounded():
    decoded = mulaw_decode(mulaw_encode(ALL_INT16)).astype(np.int32)
    original = ALL_INT16.astype(np.int32)
    in_range = np.abs(original) <= 32124  # G.711's largest code; louder clips to it
    error = np.abs(decoded - original)[in_range]
    # 4 mantissa bits per segment: error under 1/32 of the magnitude, plus the bias step.
    assert np.all(error <= np.abs(original[in_range]) / 32 + 8)
    assert len(mulaw_encode(ALL_INT16)) == len(ALL_INT16)


def test_mulaw_round_trip_keeps_speech_level_snr():
    pcm = (_tone(440, 8000, 1.0, 0.3) * 32767).astype(np.int16)
    decoded = mulaw_decode(mulaw_encode(pcm)).astype(np.float64)
    noise = decoded - pcm
    snr_db = 10 * np.log10(np.sum(pcm.astype(np.float64) ** 2) / np.sum(noise**2))
    assert snr_db > 35


@pytest.mark.parametrize(("in_rate", "out_rate"), [(22050, 8000), (8000, 16000), (48000, 16000)])
def test_resampling_keeps_duration(in_rate: int, out_rate: int):
    pcm = (_tone(300, in_rate, 1.5) * 32767).astype(np.int16)
    out = resample_pcm16(pcm, in_rate, out_rate)
    assert out.dtype == np.int16
    assert abs(len(out) - 1.5 * out_rate) <= 1
    assert _peak_hz(out, out_rate) == pytest.approx(300, abs=2)


def test_mulaw8k_to_pcm16k_doubles_the_samples():
    mulaw = mulaw_encode((_tone(1000, 8000, 0.5) * 32767).astype(np.int16))
    pcm16k = mulaw8k_to_pcm16k(mulaw)
    assert pcm16k.dtype == np.int16
    assert len(pcm16k) == 2 * len(mulaw)
    assert _peak_hz(pcm16k, 16000) == pytest.approx(1000, abs=3)


def test_load_audio_downmixes_and_resamples_any_file(tmp_path: Path):
    stereo = np.stack([_tone(440, 44100, 2.0), _tone(440, 44100, 2.0, 0.2)], axis=1)
    path = tmp_path / "stereo.flac"
    sf.write(path, stereo.astype(np.float32), 44100)
    mulaw = load_audio_as_mulaw8k(path)
    assert abs(len(mulaw) - 16000) <= 1
    assert _peak_hz(mulaw_decode(mulaw), 8000) == pytest.approx(440, abs=1)


def test_band_pass_keeps_the_telephone_band_only():
    rate = 8000
    mix = _tone(100, rate, 1.0, 0.3) + _tone(1000, rate, 1.0, 0.3) + _tone(3800, rate, 1.0, 0.3)
    out = band_pass((mix * 32767).astype(np.int16), rate).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(out))
    freqs = np.fft.rfftfreq(len(out), 1 / rate)

    def level(hz: float) -> float:
        return float(spectrum[np.argmin(np.abs(freqs - hz))])

    assert level(100) < level(1000) / 1000
    assert level(3800) < level(1000) / 1000


def test_write_wav_round_trips(tmp_path: Path):
    pcm = (_tone(500, 16000, 0.25) * 32767).astype(np.int16)
    write_wav(tmp_path / "a.wav", pcm, 16000)
    data, rate = sf.read(tmp_path / "a.wav", dtype="int16")
    assert rate == 16000
    assert np.array_equal(data, pcm)
