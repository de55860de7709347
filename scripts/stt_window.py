"""Speech recognition on a short encoder window against Whisper's 30 s one, side by side.

Run from the repository: ``.venv/bin/python scripts/stt_window.py [--windows 30 10]``.

The clips: the hotel guests' first utterances of ``tests/data/language_clips.yaml`` (written
before any measurement; piper for English, espeak-ng for es/fr/de) and the benchmark's six
questions, each cut to the telephone band and mu-law as Twilio delivers a caller. With
``--held-out``: ``tests/data/language_probe_clips.yaml`` instead, its English spoken by piper and
again by espeak-ng (en-us). Each clip is transcribed these ways per window, as a call does it
(``voice.whisper.transcribe_pcm16``):
- ``first turn``: the English probe (the English model first; ``stt.english_probe``), then, for
  speech it is not confident is English, the language detected by the multilingual model among
  the spoken languages, English transcribed by the English model and the others by the
  multilingual one;
- ``detect``: the same without the probe;
- ``pinned``: the multilingual model told the clip's language;
- ``english``: the English model, English clips only;
- ``early``: the language identified on the clip's first ``--early-seconds`` of speech (as a call
  does it while the caller still speaks, ``voice.whisper.identify_language``), then the clip
  transcribed once in it; a guess below ``--early-min`` falls back to ``first turn``. Its time is
  what is left at the end of the turn; the identification's own time is printed apart.
It prints per mode the time per clip (p50, p90), the mean word error against the written text
(lower case, punctuation out; digits the model writes for spoken numbers count as errors in every
mode alike) and how many clips came back in their language.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from clips import espeak_pcm16k  # noqa: E402

from config.settings import Settings  # noqa: E402
from telephony.cli.callers import QUESTIONS  # noqa: E402
from voice.audio import mulaw8k_to_pcm16k, synthesize_mulaw8k  # noqa: E402
from voice.models import resolve_stt_model  # noqa: E402
from voice.voices import VoiceModels  # noqa: E402
from voice.whisper import identify_language, load_whisper, transcribe_pcm16  # noqa: E402

MODES = ("first turn", "detect", "pinned", "english", "early")


def words(text: str) -> list[str]:
    return re.sub(r"[^\w' ]+", " ", text.lower()).split()


def word_error(reference: str, heard: str) -> float:
    """Word edit distance over the reference's length."""
    ref, hyp = words(reference), words(heard)
    row = list(range(len(hyp) + 1))
    for i, a in enumerate(ref, 1):
        diagonal, row[0] = row[0], i
        for j, b in enumerate(hyp, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (a != b))
    return row[len(hyp)] / max(1, len(ref))


def speech_start(pcm: bytes) -> int:
    """The sample where speech starts (the first 20 ms louder than -40 dBFS), less the 0.3 s
    before it that a call's buffer holds too."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    frames = samples[: len(samples) // 320 * 320].reshape(-1, 320)
    loud = np.flatnonzero(np.sqrt((frames ** 2).mean(axis=1)) > 32768 * 0.01)
    return max(0, int(loud[0]) * 320 - 4800) if len(loud) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--windows", type=float, nargs="+", default=[30.0, 10.0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--held-out", action="store_true",
                        help="the held-out clips of the English probe")
    parser.add_argument("--verbose", action="store_true", help="a line per clip")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--early-seconds", type=float, default=1.5)
    parser.add_argument("--early-probe", action="store_true",
                        help="the English probe first on the early audio, too")
    parser.add_argument("--early-min", type=float, default=0.0,
                        help="the least probability an early guess is kept at")
    args = parser.parse_args()
    settings = Settings()
    voices = VoiceModels.load(settings)
    name = "language_probe_clips.yaml" if args.held_out else "language_clips.yaml"
    clips = yaml.safe_load((ROOT / "tests/data" / name).read_text(encoding="utf-8"))
    folder = Path(tempfile.mkdtemp())

    def piper(text: str) -> bytes:
        return mulaw8k_to_pcm16k(synthesize_mulaw8k(text, voices.voices["en"])).tobytes()

    audio = [(language, text, piper(text) if language == "en"
              else espeak_pcm16k(text, language, folder))
             for language, texts in clips.items() for text in texts]
    if args.held_out:
        audio += [("en", text, espeak_pcm16k(text, "en-us", folder)) for text in clips["en"]]
    else:
        audio += [("en", text, piper(text)) for text in QUESTIONS]
    spoken = tuple(settings.stt.languages)
    print(f"{len(audio)} clips; {args.threads} threads; load {Path('/proc/loadavg').read_text()}")
    for window in args.windows:
        def load(name: str, window: float = window) -> object:
            return load_whisper(resolve_stt_model(name, settings.resolved_models_dir),
                                cpu_threads=args.threads, compute_type=settings.stt.compute_type,
                                window_seconds=window)
        english, multilingual = load(settings.stt.model), load(settings.stt.multilingual_model)
        for mode in args.modes:
            rows = []  # (language, ms, word error, language right)
            early_ms: list[float] = []
            for language, text, pcm in audio:
                if mode == "english" and language != "en":
                    continue
                started = time.perf_counter()
                guess = None
                prefix = 2 * (speech_start(pcm) + int(16000 * args.early_seconds))
                if mode == "early" and len(pcm) > prefix:
                    guess = identify_language(multilingual, pcm[:prefix], 16000,
                                              candidates=spoken, english=english,
                                              english_probe=args.early_probe)
                    early_ms.append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                if guess is not None and guess.probability >= args.early_min:
                    heard = transcribe_pcm16(english if guess.language == "en" else multilingual,
                                             pcm, 16000, language=guess.language)
                    heard = replace(heard, language_probability=guess.probability)
                elif mode in ("first turn", "detect", "early"):
                    heard = transcribe_pcm16(multilingual, pcm, 16000, language=None,
                                             candidates=spoken, english=english,
                                             english_probe=mode != "detect")
                else:
                    heard = transcribe_pcm16(english if mode == "english" else multilingual,
                                             pcm, 16000, language=language)
                rows.append((language, (time.perf_counter() - started) * 1000,
                             word_error(text, heard.text), heard.language == language))
                if args.verbose:
                    print(f"  {mode} {language} {heard.language}:{heard.language_probability:.2f}"
                          f" {rows[-1][1]:5.0f} ms  {heard.text[:60]!r}", flush=True)
            groups = {"all": rows, "en": [r for r in rows if r[0] == "en"],
                      "others": [r for r in rows if r[0] != "en"]}
            for group, chosen in groups.items():
                if not chosen or (group != "all" and len(chosen) == len(rows)):
                    continue
                times = [r[1] for r in chosen]
                print(f"window {window:4.0f} s  {mode:10s} {group:6s} n={len(chosen):2d}  "
                      f"p50 {np.percentile(times, 50):5.0f} ms  "
                      f"p90 {np.percentile(times, 90):5.0f} ms  "
                      f"word error {np.mean([r[2] for r in chosen]):.3f}  "
                      f"language right {sum(r[3] for r in chosen)}/{len(chosen)}", flush=True)
            if early_ms:
                print(f"    identified early on {len(early_ms)} clips: p50 "
                      f"{np.percentile(early_ms, 50):5.0f} ms, p90 "
                      f"{np.percentile(early_ms, 90):5.0f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
