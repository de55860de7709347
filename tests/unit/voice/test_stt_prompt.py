"""When a transcript only repeats the recognition hint (voice/prompting.py)."""

from voice.prompting import PROMPT_SUPPORT, likeness, repeats_prompt

HINT = "Sí, es correcto. No, no es correcto."


def test_a_transcript_repeats_the_hint_only_word_for_word_with_one_of_its_sentences():
    assert repeats_prompt("No, no es correcto.", HINT)
    assert repeats_prompt("sí es correcto", HINT)  # case and punctuation aside
    assert not repeats_prompt("No es correcto.", HINT)
    assert not repeats_prompt("Sí, es correcto. No, no es correcto. Gracias.", HINT)
    assert not repeats_prompt("", HINT)


def test_the_hint_stands_when_the_unhinted_words_are_alike_and_not_over_another_sentence():
    # Measured pairs (unhinted, hinted) from the hint test's clips.
    assert likeness("así es correcto", "Sí, es correcto.") >= PROMPT_SUPPORT
    assert likeness("et il est correct.", "Oui, c'est correct.") >= PROMPT_SUPPORT
    assert likeness("y de apar camielo.", "No, no es correcto.") < PROMPT_SUPPORT
