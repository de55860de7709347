"""Audio helpers: telephone-band conversion, G.711 mu-law, WAV files.

Used by the call simulator and the tests to make caller audio the way Twilio delivers
it (8 kHz mu-law) and to turn it back into what the pipeline sees (16 kHz PCM).
All work is vectorised numpy; resampling is soxr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr
from piper.config import SynthesisConfig

if TYPE_CHECKING:
    from piper import PiperVoice

__all__ = [
    "TELEPHONE_BAND_HZ",
    "TELEPHONE_RATE_HZ",
    "TelephoneUpsampler",
    "band_pass",
    "float_to_pcm16",
    "load_audio_as_mulaw8k",
    "mulaw8k_to_pcm16k",
    "mulaw_decode",
    "mulaw_encode",
    "resample_pcm16",
    "speech_level_db",
    "synthesize_mulaw8k",
    "synthesize_pcm16",
    "write_wav",
]

TELEPHONE_RATE_HZ = 8000
PIPELINE_RATE_HZ = 16000
TELEPHONE_BAND_HZ = (300.0, 3400.0)

Int16Array = npt.NDArray[np.int16]


def _build_mulaw_tables() -> tuple[npt.NDArray[np.uint8], Int16Array]:
    """G.711 mu-law tables, bit-exact with the reference (audioop / Sun g711.c)."""
    # Decode: 256 codes -> linear 16-bit.
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    decode = np.where(code & 0x80, 0x84 - t, t - 0x84).astype(np.int16)
    # Encode: every int16 value (indexed by its uint16 bit pattern) -> code.
    pcm = np.arange(65536, dtype=np.int32)
    pcm = np.where(pcm >= 32768, pcm - 65536, pcm) >> 2  # 14-bit, arithmetic shift
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), 8159) + (0x84 >> 2)
    seg = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), mag)
    uval = (seg << 4) | ((mag >> (seg + 1)) & 0x0F)
    encode = np.where(seg >= 8, 0x7F, uval) ^ mask
    return encode.astype(np.uint8), decode


_MULAW_ENCODE, _MULAW_DECODE = _build_mulaw_tables()


def mulaw_encode(pcm: Int16Array) -> bytes:
    """16-bit linear PCM -> G.711 mu-law bytes (one byte per sample)."""
    samples = np.ascontiguousarray(pcm, dtype=np.int16)
    return _MULAW_ENCODE[samples.view(np.uint16)].tobytes()


def mulaw_decode(data: bytes) -> Int16Array:
    """G.711 mu-law bytes -> 16-bit linear PCM."""
    return _MULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def float_to_pcm16(audio: npt.NDArray[np.floating]) -> Int16Array:
    """Float samples in [-1, 1] -> int16, clipping anything outside."""
    return np.clip(np.rint(audio * 32767.0), -32768, 32767).astype(np.int16)


def speech_level_db(pcm: Int16Array, rate_hz: int, *, frame_ms: int = 20,
                    percentile: float = 90.0) -> float:
    """How loud the speech in ``pcm`` is, in dBFS: a high percentile of 20 ms frame RMS levels.

    A percentile of frames, not the RMS of the whole clip, so the silence around an utterance
    does not pull it down. ``-inf`` for an empty or silent clip.
    """
    size = max(1, rate_hz * frame_ms // 1000)
    count = len(pcm) // size
    if count == 0:
        return float("-inf")
    frames = np.asarray(pcm[: count * size], dtype=np.float64).reshape(count, size) / 32768.0
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    level = float(np.percentile(rms, percentile))
    return 20.0 * float(np.log10(level)) if level > 0 else float("-inf")


def resample_pcm16(pcm: Int16Array, in_rate_hz: int, out_rate_hz: int) -> Int16Array:
    """Resample mono int16 PCM with soxr (high quality, whole-signal)."""
    if in_rate_hz == out_rate_hz:
        return np.asarray(pcm, dtype=np.int16)
    return np.asarray(soxr.resample(np.asarray(pcm, dtype=np.int16), in_rate_hz, out_rate_hz))


def band_pass(
    pcm: Int16Array, rate_hz: int, band_hz: tuple[float, float] = TELEPHONE_BAND_HZ
) -> Int16Array:
    """Keep only ``band_hz`` (an FFT mask: fine for whole test utterances)."""
    spectrum = np.fft.rfft(pcm.astype(np.float64))
    freqs = np.fft.rfftfreq(len(pcm), d=1.0 / rate_hz)
    spectrum[(freqs < band_hz[0]) | (freqs > band_hz[1])] = 0
    filtered = np.fft.irfft(spectrum, n=len(pcm))
    return np.clip(np.rint(filtered), -32768, 32767).astype(np.int16)


def load_audio_as_mulaw8k(path: Path | str) -> bytes:
    """Read any soundfile-readable file, downmix to mono, resample to 8 kHz, mu-law encode."""
    audio, rate_hz = sf.read(str(path), dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    if rate_hz != TELEPHONE_RATE_HZ:
        mono = soxr.resample(mono, rate_hz, TELEPHONE_RATE_HZ)
    return mulaw_encode(float_to_pcm16(mono))


# Piper adds random variation to every synthesis; a simulated caller speaks without it,
# so a test or benchmark call is the same call every time.
REPEATABLE = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)


def synthesize_pcm16(text: str, voice: PiperVoice) -> tuple[Int16Array, int]:
    """Speak ``text`` with a piper voice, repeatably: (int16 samples, sample rate in Hz)."""
    chunks = [chunk.audio_int16_array for chunk in voice.synthesize(text, syn_config=REPEATABLE)]
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return pcm, voice.config.sample_rate


def synthesize_mulaw8k(text: str, voice: PiperVoice, *, telephone_band: bool = True) -> bytes:
    """Speak ``text`` with piper and deliver it as Twilio would: 8 kHz mu-law.

    With ``telephone_band`` the audio is also limited to 300-3400 Hz, as a phone line does.
    """
    pcm, rate_hz = synthesize_pcm16(text, voice)
    pcm8k = resample_pcm16(pcm, rate_hz, TELEPHONE_RATE_HZ)
    if telephone_band:
        pcm8k = band_pass(pcm8k, TELEPHONE_RATE_HZ)
    return mulaw_encode(pcm8k)


def _half_band(taps: int, beta: float) -> npt.NDArray[np.float64]:
    """A Kaiser-windowed low-pass at a quarter of the output rate, for 2x interpolation (its
    gain of 2 restores the level that zero-stuffing halves)."""
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(n / 2) * np.kaiser(taps, beta)
    return h * (2.0 / h.sum())


class TelephoneUpsampler:
    """A call's 8 kHz audio to the pipeline's 16 kHz, one media message at a time: each chunk
    comes out at once, twice as many samples, 2.4 ms late.

    pipecat's Twilio serializer resamples with a soxr stream (VHQ), which hands its output on
    in bursts: nothing for four 20 ms messages, then ~100 ms at once, and keeps ~30 ms back, so
    the VAD hears the caller ~60 ms late on average (up to ~110 ms), and the barge-in waits
    for it. This is a 79-tap half-band FIR: flat to 3.4 kHz (within 0.01 dB), images above
    4.6 kHz under -80 dB, far below G.711's own noise (~-38 dB).
    """

    TAPS = _half_band(79, 8.0)

    def __init__(self) -> None:
        self._history = np.zeros(len(self.TAPS) // 2)  # the last 39 input samples
        self.delay_samples = len(self.TAPS) // 2  # at 16 kHz

    def __call__(self, pcm8k: Int16Array) -> Int16Array:
        x = np.concatenate([self._history, np.asarray(pcm8k, dtype=np.float64)])
        self._history = x[len(x) - len(self._history):]
        stuffed = np.zeros(2 * len(x))
        stuffed[::2] = x
        # "valid": exactly 2 output samples per new input sample, none waiting for the next.
        out = np.convolve(stuffed, self.TAPS, mode="valid")
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def mulaw8k_to_pcm16k(data: bytes) -> Int16Array:
    """8 kHz mu-law (Twilio media) -> 16 kHz int16 PCM (what the pipeline's STT reads)."""
    return resample_pcm16(mulaw_decode(data), TELEPHONE_RATE_HZ, PIPELINE_RATE_HZ)


def write_wav(path: Path | str, pcm: Int16Array, rate_hz: int) -> None:
    """Write mono int16 PCM as a 16-bit WAV file."""
    sf.write(str(path), np.asarray(pcm, dtype=np.int16), rate_hz, subtype="PCM_16")
