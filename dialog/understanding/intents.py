"""The intent names the dialog code relies on, and the bundled intents file's data under the
names other modules import.

The intents themselves (examples, keywords, noise transcripts, the keypad menu) live in
config/data/intents.yaml, loaded once here at import. ``question`` and ``chatter`` examples are
counterweights: a question that mentions "front desk" or "thanks" is not taken for a request
for a person, nor "yes" or "hello" for a goodbye.
"""

from __future__ import annotations

from config.intents import IntentSet, sample_intents

__all__ = [
    "DEFAULT_INTENTS",
    "HUMAN",
    "GOODBYE",
    "THANKS",
    "QUESTION",
    "CHATTER",
    "OFF_TOPIC",
    "COUNTERWEIGHTS",
    "PREFERRED_WHEN_CLOSE",
    "INTENT_EXAMPLES",
    "KEYWORDS",
    "NEGATIVE_ANSWERS",
    "NOISE_TRANSCRIPTS",
    "KEYPAD_TOPICS",
]

# Names the engines act on; the bundled file must define them (checked below).
HUMAN = "human"
GOODBYE = "goodbye"
THANKS = "thanks"
QUESTION = "question"
CHATTER = "chatter"
OFF_TOPIC = "off_topic"

# The bundled intents, shared and the samples', validated (a broken file fails at import, i.e.
# in every test run).
DEFAULT_INTENTS: IntentSet = sample_intents()

_missing = {HUMAN, GOODBYE, THANKS, QUESTION, CHATTER, OFF_TOPIC} - {
    intent.name for intent in DEFAULT_INTENTS.intents
}
if _missing:  # pragma: no cover - a broken bundled file
    raise RuntimeError(f"the bundled intents file lacks {sorted(_missing)}")

# Intents whose examples only pull utterances away from the others; the engine treats them
# as something to look up.
COUNTERWEIGHTS: tuple[str, ...] = tuple(
    intent.name for intent in DEFAULT_INTENTS.intents if intent.action == "counterweight"
)
# An utterance about as close to "goodbye" as to "thanks" is taken as thanks: the caller is
# asked whether they need anything else rather than hung up on.
PREFERRED_WHEN_CLOSE: dict[str, str] = dict(DEFAULT_INTENTS.preferred_when_close)

# intent -> example phrases, all languages (all businesses).
INTENT_EXAMPLES: dict[str, tuple[str, ...]] = {
    intent.name: tuple(intent.all_examples()) for intent in DEFAULT_INTENTS.intents
}
# intent -> whole short utterances that name it (both sides are normalised before comparing).
KEYWORDS: dict[str, frozenset[str]] = {
    intent.name: frozenset(intent.all_keywords())
    for intent in DEFAULT_INTENTS.intents
    if intent.keywords
}
# What Whisper writes for silence, breathing and line noise (compared after normalising).
NOISE_TRANSCRIPTS: frozenset[str] = frozenset(DEFAULT_INTENTS.noise_transcripts)
# After "Anything else I can help you with?", these end the call.
NEGATIVE_ANSWERS: frozenset[str] = frozenset(DEFAULT_INTENTS.negative_answers)
# Keypad digit -> (what the menu says, the question asked of the knowledge), for the hotel.
# Other businesses: ``DEFAULT_INTENTS.keypad_topics(business)``.
KEYPAD_TOPICS: dict[str, tuple[str, str]] = DEFAULT_INTENTS.keypad_topics("hotel")
