from telephony.call.dialog_service import history_and_turn


def _m(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def test_history_pairs_what_was_heard():
    history, turn = history_and_turn(
        [_m("assistant", "Hello."), _m("user", "Breakfast?"), _m("assistant", "At 7."),
         _m("user", "And parking?")], "en")
    assert [(e.caller, e.agent) for e in history] == [("", "Hello."), ("Breakfast?", "At 7.")]
    assert turn.text == "And parking?" and turn.dtmf is None


def test_words_after_an_unheard_answer_continue_the_same_turn():
    _, turn = history_and_turn(
        [_m("assistant", "Hello."), _m("user", "I'd like to speak to someone,"),
         _m("assistant", ""), _m("user", "please.")], "en")
    assert turn.text == "I'd like to speak to someone, please."


def test_a_new_request_after_an_unheard_answer_is_its_own_turn():
    history, turn = history_and_turn(
        [_m("user", "What time is breakfast?"), _m("user", "Actually, what about parking?")],
        "en")
    assert turn.text == "Actually, what about parking?"
    assert [e.caller for e in history] == ["What time is breakfast?"]


def test_keypad_entries_are_turns_of_their_own():
    history, turn = history_and_turn(
        [_m("user", "Hello"), _m("user", "DTMF: 0"), _m("user", "DTMF: 12")], "es")
    assert [e.caller for e in history] == ["Hello", "DTMF: 0"]
    assert (turn.text, turn.dtmf, turn.language) == ("", "12", "es")
    assert history_and_turn([_m("assistant", "Hi.")], "en")[1].text == ""
