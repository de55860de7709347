"""Intent examples, keywords, noise transcripts and the keypad menu: data for the local engine.

Examples are embedded once per encoder; an utterance takes the intent of its nearest examples.
``question`` and ``chatter`` examples are counterweights: a question that mentions "front desk"
or "thanks" is not taken for a request for a person, nor "yes" or "hello" for a goodbye.
"""

from __future__ import annotations

__all__ = [
    "HUMAN",
    "GOODBYE",
    "THANKS",
    "QUESTION",
    "CHATTER",
    "COUNTERWEIGHTS",
    "PREFERRED_WHEN_CLOSE",
    "INTENT_EXAMPLES",
    "KEYWORDS",
    "NEGATIVE_ANSWERS",
    "NOISE_TRANSCRIPTS",
    "KEYPAD_TOPICS",
]

HUMAN = "human"
GOODBYE = "goodbye"
THANKS = "thanks"
QUESTION = "question"
CHATTER = "chatter"
# Intents whose examples only pull utterances away from the others; the engine treats both
# as something to look up.
COUNTERWEIGHTS = (QUESTION, CHATTER)
# An utterance about as close to "goodbye" as to "thanks" is taken as thanks: the caller is
# asked whether they need anything else rather than hung up on.
PREFERRED_WHEN_CLOSE = {GOODBYE: THANKS}


def _split(*lines: str) -> tuple[str, ...]:
    """Phrases written several to a line, separated by "|"."""
    return tuple(phrase.strip() for line in lines for phrase in line.split("|"))


def _set(*lines: str) -> frozenset[str]:
    return frozenset(_split(*lines))


INTENT_EXAMPLES: dict[str, tuple[str, ...]] = {
    HUMAN: (
        "I want to talk to a real person",
        "can I speak to a human",
        "let me talk to someone",
        "connect me to an agent",
        "I'd like to speak with a representative",
        "put me through to the front desk",
        "transfer me to reception please",
        "get me the operator",
        "I need to speak to someone at the front desk",
        "can I talk to the manager",
        "I want a live person, not a machine",
        "can you transfer me please",
        "quiero hablar con una persona",
        "¿puedo hablar con un agente?",
        "páseme con recepción, por favor",
        "quiero hablar con un humano",
        "¿me puede pasar con alguien de recepción?",
        "je voudrais parler à quelqu'un",
        "passez-moi la réception s'il vous plaît",
        "je veux parler à un conseiller",
        "pouvez-vous me transférer à l'accueil ?",
        "ich möchte mit einem Menschen sprechen",
        "verbinden Sie mich bitte mit der Rezeption",
        "kann ich mit einem Mitarbeiter sprechen",
        "kann ich bitte mit jemandem an der Rezeption sprechen",
        "können Sie mich bitte weiterverbinden",
    ),
    GOODBYE: (
        "bye, that's all",
        "goodbye",
        "that's all I needed, bye",
        "no, that's everything, thank you, bye",
        "have a nice day, bye",
        "I'm done, thanks",
        "nothing else, goodbye",
        "ok thank you, goodbye",
        "thanks, bye",
        "no, that's it",
        "no thanks, I'm all set",
        "no, I'm good",
        "que tenga un buen día, adiós",
        "merci, bonne journée",
        "danke, schönen Tag noch",
        "gracias, adiós",
        "merci, au revoir",
        "danke, tschüss",
        "adiós, eso es todo",
        "eso es todo, gracias, adiós",
        "au revoir, c'est tout",
        "c'est tout, merci, au revoir",
        "tschüss, das ist alles",
        "das war's, danke, auf Wiedersehen",
    ),
    THANKS: (
        "thank you",
        "thanks a lot",
        "great, thanks",
        "perfect, thank you very much",
        "that's helpful, thanks",
        "muchas gracias",
        "merci beaucoup",
        "vielen Dank",
    ),
    QUESTION: (
        "what time is breakfast",
        "how much does parking cost",
        "is the front desk open all night",
        "what is the wifi password",
        "can I bring my dog",
        "when is check-out",
        "how do I cancel my booking",
        "do you have a pool",
        "where is the hotel",
        "thanks, and what time does the restaurant open",
        "can someone bring towels to my room",
        "¿a qué hora es el desayuno?",
        "¿cuánto cuesta el aparcamiento?",
        "à quelle heure est le petit déjeuner ?",
        "wann ist der Check-out?",
    ),
    # Short replies and greetings sit close to "bye" and "thanks" in embedding space.
    CHATTER: _split(
        "yes | yeah | sure | okay | no | hello | hi | hello, are you there? | wait | sorry?",
        "one moment please | what? | great | alright | I see | hmm, let me think",
        "sí | vale | hola | un momento | oui | d'accord | bonjour | attendez",
        "ja | genau | hallo | einen Moment bitte",
    ),
}


# Whole short utterances that name an intent (both sides are normalised before comparing).
KEYWORDS: dict[str, frozenset[str]] = {
    HUMAN: _set(
        "agent | an agent | representative | a representative | operator | human | a human",
        "person | a person | real person | a real person | someone | manager",
        "front desk | the front desk | reception | receptionist",
        "agente | operador | operadora | recepción | una persona | persona",
        "opérateur | opératrice | réception | conseiller | un humain",
        "mitarbeiter | rezeption | mensch | ein mensch",
    ),
    GOODBYE: _set(
        "bye | goodbye | good bye | bye bye | that's all | that is all | that's it",
        "no thanks | no thank you | nothing else | all set",
        "adiós | adios | chao | au revoir | tschüss | tschüs | auf wiedersehen",
    ),
    THANKS: _set("thanks | thank you | gracias | muchas gracias | merci | danke | danke schön"),
}

# What Whisper writes for silence, breathing and line noise (compared after normalising).
# "Thank you." is left out: callers say it too.
NOISE_TRANSCRIPTS = _set(
    " | uh | um | uhm | hm | hmm | mm | mhm | ah | oh | eh | er | you | ... | ♪",
    "thank you for watching | thanks for watching | thank you for watching, bye",
    "please subscribe | subscribe | like and subscribe | subtitles by the amara.org community",
    "[music] | [blank_audio] | (silence) | (applause)",
    "gracias por ver el video | gracias por ver",
    "subtítulos realizados por la comunidad de amara.org",
    "sous-titres réalisés par la communauté d'amara.org | merci d'avoir regardé",
    "untertitel im auftrag des zdf | untertitelung des zdf, 2020 | vielen dank fürs zuschauen",
)

# After "Anything else I can help you with?", these end the call.
NEGATIVE_ANSWERS = _set("no | nope | nothing | no no | no gracias | non | non merci | nein")

# Keypad digit -> the question whose answer it reads (looked up in the knowledge like speech).
KEYPAD_TOPICS: dict[str, tuple[str, str]] = {
    # digit: (what the menu says, the question asked of the knowledge)
    "1": ("breakfast", "What time is breakfast served?"),
    "2": ("check-in and check-out times", "What time is check-in and check-out?"),
    "3": ("parking", "Is there parking, and how much does it cost?"),
    "4": ("wifi", "Is there wifi, and what is the password?"),
}
