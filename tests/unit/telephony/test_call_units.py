"""The pure parts of a call, without models: the transfer's stages and when the call's language
settles and the voice and recognition follow it."""

import pytest

from dialog.state import CallState
from telephony.call.language import CallLanguage
from telephony.call.pipeline import history_messages
from telephony.call.transfer import Step, TransferStage, next_stage

NONE, PLACING, PLACED = TransferStage.NONE, TransferStage.PLACING, TransferStage.PLACED
OFFERED, RETRYING = TransferStage.OFFERED, TransferStage.RETRYING


@pytest.mark.parametrize(("steps", "stage"), [
    ([Step.PLACE, Step.HELD], PLACED),  # cold or warm, an agent's line has the caller
    ([Step.PLACE, Step.NOT_PLACED], NONE),  # the call goes on
    # No agent took it: the choice; the next agent, who does not answer either; a callback.
    ([Step.PLACE, Step.NOT_PLACED, Step.OFFER, Step.PLACE, Step.NOT_PLACED, Step.OFFER,
      Step.SETTLE], NONE),
    ([Step.OFFER, Step.PLACE, Step.HELD], PLACED),  # a stream back from a transfer: retried
])
def test_a_transfer_moves_through_its_stages(steps, stage):
    current = NONE
    for step in steps:
        current = next_stage(current, step)
    assert current is stage


@pytest.mark.parametrize(("stage", "step"), [
    (PLACED, Step.PLACE), (PLACED, Step.OFFER), (NONE, Step.HELD), (NONE, Step.SETTLE),
    (PLACING, Step.PLACE), (RETRYING, Step.SETTLE), (RETRYING, Step.PLACE),
    (OFFERED, Step.HELD),
])
def test_a_step_its_stage_does_not_allow_is_refused(stage, step):
    with pytest.raises(ValueError, match=step.value):
        next_stage(stage, step)


def _language(language: str = "en", *, detect: bool = True, resumed: bool = False):
    settled: list[str] = []
    state = CallState(business="hotel", call_sid="CA1", language=language)
    return state, CallLanguage(state, detect=detect, resumed=resumed,
                               on_settled=settled.append), settled


def test_a_confident_detection_settles_the_language_and_pins_recognition():
    _, language, settled = _language()
    assert language.heard("es", 0.95, "¿A qué hora es el desayuno?", 2.0) == "es"
    assert (language.current, language.settled, settled) == ("es", True, ["es"])
    # Settled: later detections change nothing.
    assert language.heard("fr", 0.99, "Bonjour, je voudrais une chambre", 2.0) is None
    assert language.current == "es" and settled == ["es"]


def test_an_unsure_detection_answers_the_turn_in_it_and_detection_goes_on():
    _, language, settled = _language()
    assert language.heard("fr", 0.4, "Bonjour, je voudrais une chambre", 2.0) is None
    assert (language.current, language.settled, settled) == ("fr", False, [])
    # A wild guess, or a language the agent does not speak, is not even this turn's.
    assert language.heard("de", 0.1, "Guten Tag, ich hätte gern ein Zimmer", 2.0) is None
    assert language.heard("it", 0.9, "Buongiorno, vorrei una camera", 2.0) is None
    assert language.current == "fr"
    # Too short to settle on, however sure.
    assert language.heard("es", 0.99, "Hola", 0.6) is None and not language.settled


def test_a_language_known_from_the_start_is_settled():
    _, pinned, _ = _language(detect=False)
    assert pinned.settled and pinned.recognition is None
    assert pinned.heard("es", 0.99, "¿A qué hora es el desayuno?", 2.0) is None
    _, resumed, _ = _language("de", resumed=True)
    assert resumed.settled and resumed.recognition == "de" and resumed.voice == "de"


def test_the_voice_follows_the_language_the_dialog_speaks():
    state, language, settled = _language()
    assert language.switch() is None and settled == []  # the dialog speaks the voice's
    state.language = "es"  # the caller asked for Spanish
    assert language.reply == "es"
    assert language.switch() == "es"
    assert (language.voice, language.current, language.settled, settled) == (
        "es", "es", True, ["es"])
    assert language.switch() is None and settled == ["es"]  # switched once


def test_history_becomes_context_messages():
    state = CallState(business="hotel", call_sid="CA1",
                      history=[("my order", "Which order?"), ("", "Hello again")])
    assert history_messages(state) == [
        {"role": "user", "content": "my order"}, {"role": "assistant", "content": "Which order?"},
        {"role": "assistant", "content": "Hello again"}]
