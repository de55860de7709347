"""Fakes for whole calls with no model loaded: a scripted recogniser and voice, a hashing
sentence encoder, and a caller whose voiced audio the real VAD calls speech.

A test server built with ``Runtime.load(settings, voices=FakeVoices(), encoder=HashingEncoder())``
runs the real WebSocket, VAD, turn-taking, dialog, marks, pacing and barge-in; only Whisper,
piper and the sentence encoder are replaced.
"""

from fakes.caller import place_scripted_call, speech_mulaw, voiced_pcm
from fakes.encoder import HashingEncoder
from fakes.stt import Line, Script, ScriptedSTTService
from fakes.tts import ScriptedTTSService, Spoken, tone
from fakes.voices import FakeVoices

__all__ = [
    "FakeVoices",
    "HashingEncoder",
    "Line",
    "Script",
    "ScriptedSTTService",
    "ScriptedTTSService",
    "Spoken",
    "place_scripted_call",
    "speech_mulaw",
    "tone",
    "voiced_pcm",
]
