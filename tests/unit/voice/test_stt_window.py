"""The encoder's short window and the choice of language: pure functions of voice.whisper."""

from __future__ import annotations

import numpy as np
import pytest

from voice.whisper import FULL_WINDOW_FRAMES, choose_language, is_confident_english, short_window


def _features(speech_frames: int, *, batch: bool = False) -> np.ndarray:
    """Mel features as faster-whisper hands them to the encoder: speech, then zero padding."""
    rng = np.random.default_rng(7)
    features = np.zeros((80, FULL_WINDOW_FRAMES), dtype=np.float32)
    features[:, :speech_frames] = rng.uniform(-1.0, 1.0, (80, speech_frames))
    return features[None] if batch else features


def test_short_speech_is_encoded_in_the_short_window() -> None:
    features = _features(300)  # 3 s of speech
    cut = short_window(features, 1000)
    assert cut.shape == (80, 1000)
    assert np.array_equal(cut, features[:, :1000])  # the speech whole, then padding
    assert cut.flags["C_CONTIGUOUS"]
    assert short_window(_features(300, batch=True), 1000).shape == (1, 80, 1000)


def test_longer_speech_gets_a_window_it_fills_at_most_half_of() -> None:
    # 5 s fills half of 10 s; 5.01 s gets 20 s, up to 10 s of speech; beyond, Whisper's 30 s.
    assert short_window(_features(500), 1000).shape[-1] == 1000
    assert short_window(_features(501), 1000).shape[-1] == 2000
    assert short_window(_features(1000), 1000).shape[-1] == 2000
    assert short_window(_features(1001), 1000).shape[-1] == 3000
    assert short_window(_features(2500), 1000).shape[-1] == 3000
    # A window as long as Whisper's changes nothing.
    assert short_window(_features(300), 3000).shape[-1] == 3000


def test_silence_alone_fits_any_window() -> None:
    assert short_window(np.zeros((80, 3000), dtype=np.float32), 1000).shape[-1] == 1000


def test_the_detected_language_or_the_likeliest_spoken_one() -> None:
    probs = {"pt": 0.5, "es": 0.3, "en": 0.1, "fr": 0.1}
    assert choose_language("es", 0.3, probs, ()) == ("es", 0.3)
    assert choose_language("es", 0.3, probs, ("en", "es")) == ("es", 0.3)
    language, share = choose_language("pt", 0.5, probs, ("en", "es", "fr", "de"))
    assert language == "es" and abs(share - 0.3 / 0.5) < 1e-9
    # Nothing known of any candidate: the first, with no confidence to settle a call on.
    assert choose_language("ja", 0.9, {"ja": 0.9}, ("en", "es")) == ("en", 0.0)


@pytest.mark.parametrize(("text", "logprob", "ratio", "english"), [
    ("Hello, I have a reservation under the name Miller.", -0.11, 0.86, True),
    ("Yes, my confirmation number is 472913.", -0.41, 0.83, True),
    ("Can I bring my dog?", -0.17, 0.70, True),
    # unsure of its words: Spanish heard by the English model
    ("Thank you very much for watching.", -0.98, 0.80, False),
    # a loop Whisper's own compression test catches
    ("Thank you, thank you, thank you, thank you, thank you, thank you, thank you,", -0.2, 2.45,
     False),
    # a loop cut short by the probe's token bound: too short for the compression test
    ("We can't do anything. We can't do anything. We can't do anything. We", -0.76, 2.06, False),
    ("I don't know, I don't know, I don't know, I don't know,", -0.68, 2.2, False),
    ("", -0.1, 0.0, False),
])
def test_the_english_probe_keeps_confident_english_only(text, logprob, ratio, english):
    assert is_confident_english(text, logprob, ratio) is english
