"""The barge-in clip set: what a phone line carries that is not speech, and caller speech.

Every clip is made here, from a fixed seed (no download, the same set on every run), and put
through the telephone path a call's audio takes: 300-3400 Hz, 8 kHz G.711 mu-law (what Twilio
streams; ``scripts/false_barge_in.py`` turns it into the pipeline's 16 kHz PCM as a call does).

Non-speech (labelled by category; none of it should make the VAD hear a caller):
- cough: noise bursts with a sharp attack through vowel-like formants, 150-500 ms, dry, with a
  voiced tail, muffled (a hand over the mouth), double and triple; quiet to clipping-loud;
- throat_clear: vocal-fry pulses and noise through low formants ("hrrm", "a-hem"-like);
- click: handset clicks and press/release pairs, plosive pops into the mouthpiece,
  keypad-like thumps (the key's knock on the handset, not its DTMF tone);
- line_noise: white and pink hiss at -65..-35 dBFS, 50/60 Hz hum with harmonics, the 217 Hz
  GSM buzz, crackle (random impulses), dropouts (the line cutting in and out) and codec-error
  bursts;
- breath: inhales and exhales, near and close to the mouthpiece;
- typing: keyboard key clicks at typing rhythms;
- knock: knocks on a door or desk, a door slam;
- rustle: clothes or paper against the mouthpiece.
Background babble (a TV, people talking) is speech: it is not in this set.

Speech (for the VAD's onset delay): the piper voice's phrases (``scripts/vad_onset.py``'s and
the bench's) and espeak-ng voices (American, British, Scottish, Caribbean, female, and Spanish,
French, German callers), each at a nominal level and quiet.

    .venv/bin/python scripts/barge_clips.py [--out var/clips/barge_in]

writes each clip as an 8 kHz WAV (the mu-law decoded) and ``labels.json`` there, to listen to;
``false_barge_in.py`` makes the set in memory itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from voice.audio import (
    band_pass,
    float_to_pcm16,
    mulaw_decode,
    mulaw_encode,
    resample_pcm16,
    speech_level_db,
    write_wav,
)

SEED = 13  # issue 13
RATE = 16000  # clips are made at this rate, then go down to the telephone's 8 kHz
LINE_RATE = 8000
ROOT = Path(__file__).resolve().parent.parent

Float = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Clip:
    name: str
    category: str  # "speech" or a non-speech category
    mulaw: bytes  # 8 kHz G.711, as Twilio streams it
    peak_dbfs: float
    level_dbfs: float  # 90th percentile of 20 ms frame RMS (voice.audio.speech_level_db)
    onset_s: float | None = None  # speech: the first sample over -24 dBFS at nominal level


# -- the telephone path ---------------------------------------------------------------------
def telephone(audio: Float, *, peak_dbfs: float | None = None,
              level_dbfs: float | None = None) -> bytes:
    """16 kHz float audio -> 8 kHz, 300-3400 Hz, scaled to a peak or a frame-RMS level as the
    line carries it (clipping at full scale, as the codec does), then mu-law."""
    pcm8k = resample_pcm16(float_to_pcm16(audio / (np.max(np.abs(audio)) or 1.0) * 0.5),
                           RATE, LINE_RATE)
    banded = band_pass(pcm8k, LINE_RATE).astype(np.float64)
    if peak_dbfs is not None:
        gain = 10 ** (peak_dbfs / 20) * 32767 / (np.max(np.abs(banded)) or 1.0)
    else:
        level = speech_level_db(banded.astype(np.int16), LINE_RATE)
        gain = 10 ** ((float(level_dbfs or -30.0) - level) / 20)
    return mulaw_encode(np.clip(np.rint(banded * gain), -32768, 32767).astype(np.int16))


def _clip(name: str, category: str, mulaw: bytes, onset_s: float | None = None) -> Clip:
    pcm = mulaw_decode(mulaw)
    peak = float(np.max(np.abs(pcm.astype(np.int32)))) / 32768
    return Clip(name, category, mulaw, round(20 * np.log10(max(peak, 1e-6)), 1),
                round(speech_level_db(pcm, LINE_RATE), 1), onset_s)


def mix(*streams: bytes) -> bytes:
    """Mu-law streams added sample by sample (the longest sets the length), encoded again:
    the line's codec hearing their sum."""
    length = max(len(s) for s in streams)
    total = np.zeros(length, np.int32)
    for stream in streams:
        total[: len(stream)] += mulaw_decode(stream)
    return mulaw_encode(np.clip(total, -32768, 32767).astype(np.int16))


# -- building blocks (16 kHz float) -------------------------------------------------------------
def _n(seconds: float) -> int:
    return max(1, int(round(seconds * RATE)))


def _pink(rng: np.random.Generator, n: int) -> Float:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, n)
    return pink / (np.std(pink) or 1.0)


def _shape(x: Float, peaks: list[tuple[float, float]], *, floor: float = 0.05) -> Float:
    """Filter ``x`` through resonances (centre Hz, bandwidth Hz): formants, a body's modes."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    gain = np.full(len(freqs), floor)
    for centre, width in peaks:
        gain += 1.0 / (1.0 + ((freqs - centre) / (width / 2)) ** 2)
    return np.fft.irfft(spectrum * gain, len(x))


def _envelope(n: int, attack_s: float, decay_s: float, *, hold_s: float = 0.0) -> Float:
    t = np.arange(n) / RATE
    rise = np.clip(t / max(attack_s, 1e-4), 0, 1)
    fall = np.exp(-np.clip(t - attack_s - hold_s, 0, None) / max(decay_s, 1e-4))
    return rise * fall


def _ring(rng: np.random.Generator, seconds: float, freq: float, decay_s: float,
          *, click: float = 0.3) -> Float:
    """A struck body: a damped resonance and a short broadband click."""
    n = _n(seconds)
    t = np.arange(n) / RATE
    body = np.sin(2 * np.pi * freq * t + rng.uniform(0, np.pi)) * np.exp(-t / decay_s)
    tick = rng.standard_normal(n) * np.exp(-t / 0.0015) * click
    return body + tick


def _place(total_s: float, events: list[tuple[float, Float]]) -> Float:
    out = np.zeros(_n(total_s))
    for at, sound in events:
        start = _n(at) if at > 0 else 0
        end = min(len(out), start + len(sound))
        out[start:end] += sound[: end - start]
    return out


VOWELS = {  # (F1, F2, F3) of a few vowels, Hz: coughs and clears take the mouth's shape
    "a": (730, 1090, 2440), "e": (530, 1840, 2480), "u": (300, 870, 2240),
    "o": (570, 840, 2410), "er": (490, 1350, 1690), "i": (270, 2290, 3010),
}


def _formants(vowel: str, scale: float = 1.0) -> list[tuple[float, float]]:
    return [(f * scale, 80 + f * 0.12) for f in VOWELS[vowel]]


def _voiced(rng: np.random.Generator, seconds: float, f0: float, *, jitter: float = 0.02) -> Float:
    """A glottal pulse train (with jitter), before the vocal tract's formants."""
    n = _n(seconds)
    out = np.zeros(n)
    at = 0.0
    while at < seconds:
        index = int(at * RATE)
        if index < n:
            out[index] = 1.0
        at += (1 / f0) * (1 + rng.normal(0, jitter))
    kernel = np.exp(-np.arange(int(0.004 * RATE)) / (0.0008 * RATE))
    return np.convolve(out, kernel)[:n]


# -- the non-speech clips -------------------------------------------------------------------------
def _one_cough(rng: np.random.Generator, seconds: float, vowel: str, *, voiced_tail: bool,
               muffled: bool) -> Float:
    n = _n(seconds)
    noise = rng.standard_normal(n)
    burst = _shape(noise, _formants(vowel, rng.uniform(0.9, 1.15)), floor=0.25)
    if muffled:
        burst = _shape(burst, [(450, 500)], floor=0.02)
    attack = rng.uniform(0.002, 0.008)
    env = _envelope(n, attack, seconds * rng.uniform(0.25, 0.4), hold_s=rng.uniform(0.01, 0.04))
    cough = burst / (np.std(burst) or 1.0) * env
    if voiced_tail:
        tail_s = rng.uniform(0.06, 0.15)
        tail = _shape(_voiced(rng, tail_s, rng.uniform(110, 220)), _formants(vowel), floor=0.02)
        tail = tail / (np.max(np.abs(tail)) or 1.0) * _envelope(len(tail), 0.01, tail_s / 3)
        start = int(n * rng.uniform(0.2, 0.45))
        end = min(n, start + len(tail))
        cough[start:end] += tail[: end - start] * rng.uniform(0.3, 0.7) * np.max(np.abs(cough))
    return cough


def coughs(rng: np.random.Generator) -> Iterator[tuple[str, str, Float, dict]]:
    levels = [-30.0, -18.0, -8.0, -1.0]  # peak dBFS: across the room .. into the mouthpiece
    shapes = [("dry", False, False), ("voiced", True, False), ("muffled", False, True)]
    for shape, voiced, muffled in shapes:
        for k, level in enumerate(levels):
            vowel = str(rng.choice(list(VOWELS)))
            seconds = float(rng.uniform(0.15, 0.5))
            audio = _one_cough(rng, seconds, vowel, voiced_tail=voiced, muffled=muffled)
            yield (f"cough-{shape}-{k}-{int(seconds * 1000)}ms-{vowel}", "cough",
                   _place(seconds + 0.05, [(0.0, audio)]), {"peak_dbfs": level})
    for k, count in enumerate((2, 2, 2, 3, 3)):
        for level in (-20.0, -4.0):
            events, at = [], 0.0
            for _ in range(count):
                seconds = float(rng.uniform(0.15, 0.35))
                events.append((at, _one_cough(rng, seconds, str(rng.choice(list(VOWELS))),
                                              voiced_tail=bool(rng.random() < 0.4),
                                              muffled=False)
                               * rng.uniform(0.6, 1.0)))
                at += seconds + float(rng.uniform(0.1, 0.25))
            name = f"cough-x{count}-{k}{'ab'[level > -10]}-{int(at * 1000)}ms"
            yield name, "cough", _place(at + 0.05, events), {"peak_dbfs": level}


def throat_clears(rng: np.random.Generator) -> Iterator[tuple[str, str, Float, dict]]:
    for k, level in enumerate((-28.0, -18.0, -10.0, -4.0, -22.0, -12.0, -6.0, -15.0)):
        parts = 1 if k < 4 else 2  # "hrrm" / "a-hem"-like
        events, at = [], 0.0
        for _ in range(parts):
            seconds = float(rng.uniform(0.25, 0.55))
            fry = _voiced(rng, seconds, rng.uniform(35, 75), jitter=0.15)
            noise = rng.standard_normal(_n(seconds)) * rng.uniform(0.2, 0.6)
            rasp = _shape(fry + noise * np.max(np.abs(fry)), _formants("er", 0.85), floor=0.05)
            events.append((at, rasp / (np.max(np.abs(rasp)) or 1.0)
                           * _envelope(len(rasp), 0.03, seconds / 2.5, hold_s=seconds / 4)))
            at += seconds + float(rng.uniform(0.05, 0.15))
        yield f"throat-clear-{parts}-{k}", "throat_clear", _place(at, events), {"peak_dbfs": level}


def clicks(rng: np.random.Generator) -> Iterator[tuple[str, str, Float, dict]]:
    for k, level in enumerate((-40.0, -26.0, -14.0, -6.0, -2.0)):
        tick = _ring(rng, 0.04, rng.uniform(1200, 3000), rng.uniform(0.002, 0.008), click=1.0)
        yield f"click-handset-{k}", "click", _place(0.1, [(0.0, tick)]), {"peak_dbfs": level}
    for k, level in enumerate((-30.0, -16.0, -6.0)):
        gap = float(rng.uniform(0.05, 0.15))
        press = _ring(rng, 0.04, rng.uniform(1500, 3000), 0.004, click=1.0)
        release = _ring(rng, 0.04, rng.uniform(1500, 3000), 0.003, click=1.0) * 0.6
        yield (f"click-press-release-{k}", "click", _place(gap + 0.1, [(0, press), (gap, release)]),
               {"peak_dbfs": level})
    for k, level in enumerate((-24.0, -12.0, -4.0, -1.0)):  # a plosive's breath into the mic
        seconds = float(rng.uniform(0.02, 0.06))
        t = np.arange(_n(seconds)) / RATE
        gust = np.sin(np.pi * t / seconds) * np.sin(2 * np.pi * rng.uniform(40, 120) * t)
        gust += rng.standard_normal(len(t)) * _envelope(len(t), 0.002, 0.01) * 0.3
        yield f"pop-{k}", "click", _place(seconds + 0.05, [(0, gust)]), {"peak_dbfs": level}
    for k, level in enumerate((-34.0, -24.0, -16.0, -10.0, -5.0, -20.0, -12.0, -3.0)):
        presses = 1 + k % 4
        events, at = [], 0.0
        for _ in range(presses):
            thump = _ring(rng, 0.08, rng.uniform(150, 500), rng.uniform(0.01, 0.025), click=0.5)
            events.append((at, thump))
            at += float(rng.uniform(0.15, 0.4))
        yield (f"keypad-thump-x{presses}-{k}", "click", _place(at + 0.1, events),
               {"peak_dbfs": level})


def line_noise(rng: np.random.Generator) -> Iterator[tuple[str, str, Float, dict]]:
    for level in (-65.0, -55.0, -45.0, -35.0):
        yield f"hiss-white{int(level)}dB", "line_noise", rng.standard_normal(_n(2.0)), \
            {"level_dbfs": level}
        yield f"hiss-pink{int(level)}dB", "line_noise", _pink(rng, _n(2.0)), {"level_dbfs": level}
    t = np.arange(_n(2.0)) / RATE
    for mains in (50, 60):
        for level in (-45.0, -32.0, -20.0):
            hum = sum(np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6)) / k ** 0.7
                      for k in range(1, 40, 1 if level < -40 else 2))
            yield f"hum-{mains}Hz{int(level)}dB", "line_noise", hum, {"level_dbfs": level}
    for level in (-40.0, -28.0, -18.0):  # GSM/TDMA interference: 217 Hz rectangular bursts
        buzz = ((t * 217) % 1 < 0.125).astype(float) - 0.125
        buzz *= 1 + 0.3 * np.sin(2 * np.pi * 8.3 * t)
        yield f"gsm-buzz{int(level)}dB", "line_noise", buzz, {"level_dbfs": level}
    for k, (rate, level) in enumerate(((5, -30.0), (20, -20.0), (60, -12.0), (12, -6.0))):
        events = [(float(at), _ring(rng, 0.01, rng.uniform(800, 3000), 0.0015, click=1.0)
                   * rng.uniform(0.2, 1.0)) for at in rng.uniform(0, 1.9, rng.poisson(rate * 2))]
        crackle = _place(2.0, events) + rng.standard_normal(_n(2.0)) * 0.003
        yield f"crackle-{rate}per-s-{k}", "line_noise", crackle, {"peak_dbfs": level}
    for k, (background, level) in enumerate((("hiss", -40.0), ("hum", -30.0), ("hiss", -28.0))):
        base = (_pink(rng, _n(2.0)) if background == "hiss"
                else sum(np.sin(2 * np.pi * 60 * j * t) / j for j in range(1, 30)))
        gate = np.ones(len(t))
        for at in rng.uniform(0.1, 1.8, 4):  # the line cutting out and back, abruptly
            gate[_n(float(at)): _n(float(at) + float(rng.uniform(0.04, 0.2)))] = 0
        yield f"dropouts-{background}-{k}", "line_noise", base * gate, {"level_dbfs": level}
    for k, level in enumerate((-20.0, -8.0)):  # codec errors: short bursts of full-band noise
        events = [(float(at), rng.standard_normal(_n(float(rng.uniform(0.01, 0.04)))))
                  for at in rng.uniform(0.1, 1.8, 3)]
        yield f"codec-bursts-{k}", "line_noise", _place(2.0, events), {"peak_dbfs": level}


def breaths(rng: np.random.Generator) -> Iterator[tuple[str, str, Float, dict]]:
    for k, level in enumerate((-50.0, -42.0, -34.0, -26.0, -20.0, -15.0)):
        for kind in ("in", "out"):
            seconds = float(rng.uniform(0.4, 0.9) if kind == "in" else rng.uniform(0.3, 0.7))
            n = _n(seconds)
            air = _shape(rng.standard_normal(n), [(rng.uniform(900, 1600), 1500),
                                                    (rng.uniform(2000, 3200), 1200)], floor=0.2)
            t = np.arange(n) / seconds / RATE
            env = np.sin(np.pi * t) ** (1.5 if kind == "in" else 0.8)
            if kind == "out":
                env *= np.exp(-t * 1.5)
            breath = air * env
            if level > -25:  # close to the mouthpiece: wind on the microphone as well
                breath += np.sin(2 * np.pi * rng.uniform(60, 150) * t * seconds) * env * 0.5
            yield f"breath-{kind}-{k}", "breath", breath, {"level_dbfs": level}


def typing(rng: np.random.Generator) -> Iterator[tuple[str, str, Float, dict]]:
    for k, level in enumerate((-40.0, -32.0, -24.0, -16.0, -10.0, -28.0, -20.0, -6.0)):
        seconds = float(rng.uniform(1.2, 2.2))
        events, at = [], float(rng.uniform(0, 0.1))
        while at < seconds - 0.05:
            space = rng.random() < 0.15
            key = _ring(rng, 0.03, rng.uniform(2000, 5000), 0.002, click=1.0)
            key += _ring(rng, 0.03, rng.uniform(180, 400), 0.008, click=0.0) * (
                0.8 if space else 0.3)
            events.append((at, key * rng.uniform(0.5, 1.0)))
            at += float(rng.uniform(0.06, 0.3)) * (2.5 if rng.random() < 0.1 else 1.0)
        yield f"typing-{k}", "typing", _place(seconds, events), {"peak_dbfs": level}


def knocks(rng: np.random.Generator) -> Iterator[tuple[str, str, Float, dict]]:
    for k, level in enumerate((-36.0, -26.0, -18.0, -10.0, -4.0, -14.0, -22.0)):
        count = 2 + k % 3
        events, at = [], 0.0
        wood = float(rng.uniform(180, 450))
        for _ in range(count):
            hit = _ring(rng, 0.15, wood * rng.uniform(0.95, 1.05), rng.uniform(0.02, 0.05),
                        click=0.6)
            hit += _ring(rng, 0.15, wood * 2.7, 0.01, click=0.0) * 0.4
            events.append((at, hit))
            at += float(rng.uniform(0.15, 0.3))
        yield f"knock-x{count}-{k}", "knock", _place(at + 0.15, events), {"peak_dbfs": level}
    for k, level in enumerate((-20.0, -10.0, -3.0)):
        slam = _ring(rng, 0.5, rng.uniform(60, 120), 0.12, click=1.0)
        rattle = rng.standard_normal(_n(0.5)) * _envelope(_n(0.5), 0.005, 0.09) * 0.4
        latch = _ring(rng, 0.05, 2500, 0.004, click=1.0) * 0.5
        yield (f"door-slam-{k}", "knock", _place(0.7, [(0, slam + rattle), (0.25, latch)]),
               {"peak_dbfs": level})


def rustles(rng: np.random.Generator) -> Iterator[tuple[str, str, Float, dict]]:
    for k, level in enumerate((-40.0, -30.0, -22.0, -14.0, -8.0, -26.0)):
        seconds = float(rng.uniform(0.5, 1.5))
        n = _n(seconds)
        grains = np.abs(_shape(rng.standard_normal(n), [(8.0, 12.0)], floor=0.0))
        grains = grains / (np.max(grains) or 1.0)
        rustle = _shape(rng.standard_normal(n), [(rng.uniform(1500, 4000), 3000)], floor=0.3)
        yield f"rustle-{k}", "rustle", rustle * grains ** 2, {"level_dbfs": level}


NON_SPEECH: list[Callable[[np.random.Generator], Iterator[tuple[str, str, Float, dict]]]] = [
    coughs, throat_clears, clicks, line_noise, breaths, typing, knocks, rustles]


def non_speech_clips(seed: int = SEED) -> list[Clip]:
    clips = []
    for index, make in enumerate(NON_SPEECH):
        rng = np.random.default_rng([seed, index])
        for name, category, audio, level in make(rng):
            clips.append(_clip(name, category, telephone(audio, **level)))
    return clips


def line_hiss(seconds: float, level_dbfs: float, seed: int = SEED) -> bytes:
    """A line's steady hiss (pink and white, half each): the background a clip arrives on."""
    rng = np.random.default_rng([seed, 99])
    n = _n(seconds)
    return telephone(_pink(rng, n) + rng.standard_normal(n), level_dbfs=level_dbfs)


# -- speech ---------------------------------------------------------------------------------------
PIPER_PHRASES = [  # scripts/vad_onset.py's, then the bench's (telephony/cli/bench.py)
    "What time is check out?", "Is there parking at the hotel?", "Can I bring my dog?",
    "I would like to speak to a real person.", "How do I connect to the wifi?",
    "Sorry, one more question.", "What time is breakfast served?",
    "How do I cancel my booking?",
]
ESPEAK = [  # (voice, words per minute, phrase)
    ("en-us", 150, "Hello, I need to change my reservation."),
    ("en-us+f3", 160, "Yes, that's right."),
    ("en-gb", 140, "Hang on, what about the parking?"),
    ("en-gb-scotland", 150, "No, I said Thursday."),
    ("en-029", 145, "Excuse me, can you repeat that?"),
    ("en-us+f2", 170, "Wait, wait, that's not what I asked."),
    ("es", 150, "Perdone, quiero hablar con una persona."),
    ("fr", 150, "Excusez-moi, c'est pour une réservation."),
    ("de", 150, "Entschuldigung, ich habe eine Frage."),
]
SPEECH_LEVELS = {"nominal": -20.0, "quiet": -35.0}  # frame-RMS p90, dBFS
LOUD = 2000  # scripts/vad_onset.py's "first loud sample" at nominal level (-24 dBFS)


def _trim(audio: Float, *, keep_s: float = 0.04) -> Float:
    loud = np.flatnonzero(np.abs(audio) >= np.max(np.abs(audio)) * 0.01)
    keep = _n(keep_s)
    return audio[max(0, int(loud[0]) - keep): int(loud[-1]) + 1 + keep]


def _espeak(voice: str, wpm: int, text: str) -> Float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "say.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text],
                       check=True, capture_output=True, timeout=60)
        audio, rate = sf.read(str(path), dtype="float64")
    return np.asarray(soxr.resample(audio, rate, RATE), dtype=np.float64)


def _piper(voice: object, text: str) -> Float:
    from voice.audio import synthesize_pcm16

    pcm, rate = synthesize_pcm16(text, voice)  # type: ignore[arg-type]
    return np.asarray(soxr.resample(pcm.astype(np.float64) / 32768, rate, RATE))


def speech_clips(piper_voice: object | None) -> list[Clip]:
    """Each utterance at each level of ``SPEECH_LEVELS`` (piper's only with a voice)."""
    sources: list[tuple[str, Float]] = []
    if piper_voice is not None:
        sources += [(f"piper-{k}", _piper(piper_voice, text))
                    for k, text in enumerate(PIPER_PHRASES)]
    sources += [(f"espeak-{voice}", _espeak(voice, wpm, text)) for voice, wpm, text in ESPEAK]
    clips = []
    for name, audio in sources:
        audio = _trim(audio)
        nominal = mulaw_decode(telephone(audio, level_dbfs=SPEECH_LEVELS["nominal"]))
        onset = int(np.flatnonzero(np.abs(nominal.astype(np.int32)) > LOUD)[0]) / LINE_RATE
        for level_name, level in SPEECH_LEVELS.items():
            clips.append(_clip(f"{name}-{level_name}", "speech",
                               telephone(audio, level_dbfs=level), onset_s=onset))
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "clips" / "barge_in")
    parser.add_argument("--no-piper", action="store_true", help="espeak-ng speech only")
    args = parser.parse_args()
    voice = None
    if not args.no_piper:
        from config import Settings
        from voice.voices import VoiceModels

        voice = VoiceModels.load(Settings()).voices["en"]
    clips = non_speech_clips() + speech_clips(voice)
    args.out.mkdir(parents=True, exist_ok=True)
    labels = []
    for clip in clips:
        write_wav(args.out / f"{clip.name}.wav", mulaw_decode(clip.mulaw), LINE_RATE)
        labels.append({"file": f"{clip.name}.wav", "category": clip.category,
                       "seconds": round(len(clip.mulaw) / LINE_RATE, 3),
                       "peak_dbfs": clip.peak_dbfs, "level_dbfs": clip.level_dbfs,
                       "onset_s": clip.onset_s})
    (args.out / "labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for clip in clips:
        counts[clip.category] = counts.get(clip.category, 0) + 1
    print(f"{len(clips)} clips in {args.out}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
