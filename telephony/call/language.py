"""The call's language: one object per call owns it and decides when recognition and the voice
follow it.

Three languages are in play, and this object keeps them in step:
- ``current``: the language of the caller's turns, handed to the dialog with each turn. While the
  call's language is not settled, each transcript's detection may change it
  (``dialog.understanding.language``): a likely language answers this turn, a confident one
  settles the call and pins recognition to it.
- ``reply``: the language the dialog now speaks (its state's; a caller may ask for another).
- ``voice``: the language the voice and recognition were last set to. Before each sentence the
  dialog service asks ``switch()``: when the dialog speaks another language, both follow it.

Settling (a confident detection, or the voice following the dialog) is reported through
``on_settled`` once each time, so the call records it.
"""

from __future__ import annotations

from collections.abc import Callable

from dialog.state import CallState
from dialog.understanding.language import detected_language, likely_language

__all__ = ["CallLanguage"]


class CallLanguage:
    """The current language of one call, and when speech recognition and the voice follow it.

    ``detect``: recognition detects the caller's language (the settings' ``stt.language`` is
    ``"auto"``); otherwise the call's language is settled from the start. ``resumed``: the call
    goes on after a transfer no agent took, in the language already spoken (settled, and
    recognition starts pinned to it).
    """

    def __init__(self, state: CallState, *, detect: bool, resumed: bool = False,
                 on_settled: Callable[[str], None] = lambda _language: None) -> None:
        self._state = state
        self._on_settled = on_settled
        self.current = state.language
        self.voice = state.language
        self.settled = not detect or resumed
        # The language recognition starts pinned to; None: as the settings say.
        self.recognition: str | None = state.language if resumed else None

    @property
    def reply(self) -> str:
        """The language the dialog speaks now."""
        return self._state.language

    def heard(self, language: str, probability: float, text: str, seconds: float) -> str | None:
        """A transcript's detected ``language`` (with its ``probability``, the ``text`` and how
        many ``seconds`` of speech): while the language is not settled, the turn is answered in
        the language detected, and a confident detection settles it. Returns the language to
        pin recognition to, None to leave it."""
        if self.settled:
            return None
        found = detected_language(language, probability, text, seconds)
        if found is None:
            guess = likely_language(language, probability)
            if guess is not None:
                self.current = guess  # this turn's; detection goes on
            return None
        self.settle(found)
        return found

    def settle(self, language: str) -> None:
        """The call now speaks ``language`` (detected, or asked for)."""
        self.current = language
        self.settled = True
        self._on_settled(language)

    def switch(self) -> str | None:
        """Before the dialog's next sentence: the language the voice (and recognition) must
        switch to, when the dialog now speaks another than the voice's; None to stay."""
        language = self.reply
        if language == self.voice:
            return None
        self.voice = language
        self.settle(language)
        return language
