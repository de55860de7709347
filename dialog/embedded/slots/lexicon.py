"""The words and phrases the slot parsers look for, per language: name cues, yes/no answers,
currency words, "I don't know" and "nothing", words about records, question openers, and the
date and time expressions. Data only, kept apart so that the parsers stay short.
"""

from __future__ import annotations

__all__ = [
    "AM_MARKERS",
    "AND_WORDS",
    "ANSWERS",
    "CENT_WORDS",
    "CURRENCY_WORDS",
    "DATE_GLUE",
    "DATE_REWRITES",
    "DAY_ARTICLES",
    "MINUTE_WORDS",
    "NAMED_TIMES",
    "NAME_CUES",
    "NAME_STOPS",
    "NOTHING",
    "NOT_KNOWN",
    "NOT_NAMES",
    "PM_MARKERS",
    "QUESTION_OPENERS",
    "RECORDS",
    "REQUEST_MODALS",
    "SHORT_DATE_WORDS",
    "TIME_PATTERNS",
    "WEAK_NAME_CUES",
]


def _phrases(*lines: str) -> list[str]:
    """Phrases written several to a line, separated by "|"."""
    return [phrase.strip() for line in lines for phrase in line.split("|") if phrase.strip()]


# What comes right before a name. Weak cues ("it's", "es") also come before anything else, so
# after them the name must be capitalised as Whisper writes names.
NAME_CUES = {
    "en": _phrases("my name is|my last name is|my surname is|the name is|name is|name's",
                   "under the name of|under the name|under|it's|it is|this is|i'm|i am"),
    "es": _phrases("me llamo|mi nombre es|mi apellido es|a nombre de|bajo el nombre de",
                   "el nombre es|está a nombre de|soy|es"),
    "fr": _phrases("je m'appelle|mon nom est|mon nom c'est|mon nom de famille est|au nom de",
                   "nom est|c'est|je suis"),
    "de": _phrases("ich heiße|mein name ist|mein nachname ist|auf den namen|unter dem namen",
                   "unter|hier ist|name ist"),
}  # fmt: skip
WEAK_NAME_CUES = set(_phrases("under|it's|it is|this is|i'm|i am|soy|es|c'est|je suis|unter",
                              "hier ist"))  # fmt: skip
# Words that end a name ("Garcia please", "Dupont merci"); particles like "de" are not here.
NAME_STOPS = set(_phrases(
    "and|please|thanks|thank|for|from|on|at|in|with|but|so|i|we|my|the|is|to|it|that|yes|no",
    "y|por|favor|gracias|para|con|pero|sí|et|merci|pour|avec|mais|oui|non|s'il|und|bitte",
    "danke|für|mit|aber|ja|nein",
))  # fmt: skip
# Words that a cue may be followed by but that are never a name ("it's fine", "c'est bon").
NOT_NAMES = set(_phrases(
    "yes|yeah|no|nope|ok|okay|fine|good|great|correct|right|me|not|here|there|just|about|a|an",
    "sure|hello|hi|bye|goodbye|sorry|perfect|friday|monday|tomorrow|today|none|nothing",
    "bien|bueno|correcto|claro|vale|hola|adiós|perfecto|nada|bon|bonjour|correct|d'accord",
    "parfait|rien|gut|richtig|genau|hallo|nichts|perfekt|doch|klar",
))  # fmt: skip

CURRENCY_WORDS = set(_phrases(
    "dollar|dollars|buck|bucks|usd|euro|euros|eur|pound|pounds|dólar|dólares|dolares|peso",
    "pesos|€|$|£",
))  # fmt: skip
CENT_WORDS = {
    "en": {"cent", "cents"},
    "es": {"céntimo", "céntimos", "centimos", "centavo", "centavos"},
    "fr": {"centime", "centimes", "cents"},  # "cent" alone is a hundred
    "de": {"cent", "cents"},
}
AND_WORDS = {"and", "y", "con", "et", "und"}


def _answers(yes: str, no: str, unsure: str) -> dict[str, bool | None]:
    table: dict[str, bool | None] = dict.fromkeys(_phrases(unsure))
    table.update(dict.fromkeys(_phrases(no), False))
    table.update(dict.fromkeys(_phrases(yes), True))
    return table


# Yes, no and "not sure" phrases; the longest phrase at a place wins ("no problem" over "no").
# English yes/no that callers use whatever their language.
_YES_NO_EN = ("yes|yeah|yep", "nope|no thanks|no thank you")
ANSWERS = {
    "en": _answers(
        "yes|yeah|yea|yep|yup|sure|correct|right|that's right|that's correct|exactly|ok|okay"
        "|absolutely|of course|alright|all right|affirmative|definitely|certainly|please do"
        "|go ahead|sounds good|that works|that's fine|fine|perfect|uh-huh|mm-hmm|i think so"
        "|indeed|you got it|that's it|no problem|no worries|why not|yes please|sure thing",
        "no|nope|nah|negative|not really|no thanks|no thank you|that's not right|not right"
        "|that's wrong|wrong|incorrect|not correct|that's not correct|isn't right|uh-uh"
        "|i don't think so|absolutely not|of course not|definitely not|certainly not|no way",
        "not sure|i don't know|maybe|perhaps|i'm not sure|not certain|i'm not certain",
    ),
    "es": _answers(
        "sí|claro|claro que sí|vale|correcto|exacto|exactamente|por supuesto|de acuerdo|eso es"
        "|efectivamente|perfecto|así es|está bien|ok|okey|okay|no hay problema|no pasa nada"
        "|desde luego|cierto|" + _YES_NO_EN[0],
        "no|para nada|no es correcto|incorrecto|claro que no|no gracias|de ninguna manera"
        "|no es así|eso no|nope|" + _YES_NO_EN[1],
        "no sé|no estoy seguro|no estoy segura|tal vez|quizás|quizá|a lo mejor",
    ),
    "fr": _answers(
        "oui|ouais|d'accord|bien sûr|exactement|exact|tout à fait|c'est ça|c'est exact|voilà"
        "|absolument|ok|okay|parfait|pas de problème|c'est bon|volontiers|entendu|oui merci"
        "|avec plaisir|" + _YES_NO_EN[0],
        "non|pas du tout|pas vraiment|ce n'est pas ça|c'est pas ça|incorrect|non merci"
        "|bien sûr que non|absolument pas|pas d'accord|" + _YES_NO_EN[1],
        "je ne sais pas|je sais pas|peut-être|pas sûr|pas sûre|je ne suis pas sûr",
    ),
    "de": _answers(
        "ja|jawohl|genau|richtig|stimmt|das stimmt|korrekt|klar|na klar|natürlich|sicher"
        "|gerne|gern|einverstanden|in ordnung|passt|doch|okay|ok|kein problem|ja bitte"
        "|auf jeden fall|selbstverständlich|exakt|" + _YES_NO_EN[0],
        "nein|nee|nö|nicht richtig|stimmt nicht|das stimmt nicht|falsch|auf keinen fall"
        "|keineswegs|nein danke|eher nicht|" + _YES_NO_EN[1],
        "weiß nicht|ich weiß nicht|keine ahnung|vielleicht|nicht sicher|bin mir nicht sicher",
    ),
}


# "I don't have it", "I don't know": the caller cannot give what was asked (a number, a time).
NOT_KNOWN = {
    "en": _phrases("don't have|do not have|haven't got|don't know|do not know|no idea|not sure",
                   "can't find|cannot find|lost it|don't remember|can't remember"),
    "es": _phrases("no lo tengo|no la tengo|no tengo|no lo sé|no sé|ni idea|no estoy seguro",
                   "no estoy segura|no lo encuentro|no me acuerdo|no lo recuerdo"),
    "fr": _phrases("je ne l'ai pas|je l'ai pas|je n'ai pas|j'ai pas|je ne sais pas|je sais pas",
                   "aucune idée|pas sûr|je ne le trouve pas|je ne m'en souviens pas"),
    "de": _phrases("habe ich nicht|hab ich nicht|habe sie nicht|hab sie nicht|habe keine",
                   "hab keine|weiß nicht|weiß ich nicht|keine ahnung|nicht sicher",
                   "nicht zur hand|finde sie nicht"),
}  # fmt: skip

# "Nothing", "that's all": nothing more to add (to a question like "any special requests?").
NOTHING = {
    "en": _phrases("nothing|none|that's all|that's it|all good|nothing special"),
    "es": _phrases("nada|ninguna|ninguno|eso es todo|es todo|nada especial"),
    "fr": _phrases("rien|aucune|aucun|c'est tout|rien de spécial|rien de particulier"),
    "de": _phrases("nichts|keine|keinen|das ist alles|das wär's|nichts besonderes"),
}  # fmt: skip


# A turn about records (a booking, a bill, an account) or another person, never something to note
# as a guest's special request: an injection would write another guest's details into it.
RECORDS = {
    "en": _phrases("reservation|reservations|booking|bookings|confirmation number|folio|bill",
                   "bills|balance|invoice|account|accounts|charges|statement|card on file",
                   "another guest|other guest|other guests|someone else|someone else's",
                   "somebody else|somebody else's|mr|mrs|ms|mister"),
    "es": _phrases("reserva|reservas|reservación|número de confirmación|folio|factura|facturas",
                   "la cuenta|su cuenta|mi cuenta|cuenta de|saldo|cargos|otro huésped",
                   "otra huésped|otros huéspedes|otra persona|otro cliente"),
    "fr": _phrases("réservation|réservations|numéro de confirmation|folio|facture|factures",
                   "la note|compte|solde|un autre client|une autre cliente|autre client",
                   "quelqu'un d'autre"),
    "de": _phrases("reservierung|reservierungen|buchung|buchungen|bestätigungsnummer|folio",
                   "rechnung|rechnungen|konto|saldo|kontostand|anderer gast|anderen gast",
                   "anderen gastes|jemand anderes|jemand anderem"),
}  # fmt: skip

# Words a question opens with (a request in question form opens with a modal: REQUEST_MODALS).
QUESTION_OPENERS = {
    "en": _phrases("what|what's|whats|who|who's|whose|which|where|where's|when|why|how",
                   "tell me|read me|is|are|does|did|has|was|were"),
    "es": _phrases("qué|que|quién|quiénes|cuál|cuáles|dónde|cuándo|por qué|cómo|cuánto",
                   "cuánta|cuántos|cuántas|dime|dígame|léame"),
    "fr": _phrases("que|qu'est-ce|quel|quelle|quels|quelles|qui|où|quand|pourquoi|comment",
                   "combien|dites-moi|lisez-moi|est-ce"),
    "de": _phrases("was|wer|wem|wessen|welche|welcher|welches|wo|wann|warum|wieso|wie",
                   "wieviel|sagen sie mir|lesen sie mir|ist|sind|hat|haben sie"),
}  # fmt: skip

# "Could we have ...?", "¿Podrían ...?": a request asked as a question.
REQUEST_MODALS = {
    "en": _phrases("can|could|may|would|will|might"),
    "es": _phrases("puede|pueden|podría|podrían|podrías|me|nos|quisiera|sería"),
    "fr": _phrases("pourriez|pouvez|pourrais|pourrait|peut|puis|serait|est-ce que vous",
                   "est-ce qu'on|est-ce que je|est-ce que nous"),
    "de": _phrases("könnten|können|könnte|kann|würden|würde|dürfen|darf|wäre"),
}  # fmt: skip

# --- dates and times ---------------------------------------------------------------------------

# Phrases dateparser misreads or misses, rewritten before it sees them ("pasado mañana" is read
# as "mañana"; "por la mañana" means "in the morning", not "tomorrow"; "tonight" is a time).
DATE_REWRITES: dict[str, list[tuple[str, str]]] = {
    "en": [(r"\b(?:tonight|this (?:evening|afternoon|morning))\b", "today")],
    "es": [
        (r"\bpasado mañana\b", "en 2 días"),
        (r"\besta (?:noche|tarde|mañana)\b", "hoy"),
        (r"\b(?:por|de|en) la (?:mañana|tarde|noche)\b", " "),
        (r"(\d)\s*[º°ª]", r"\1"),
    ],
    "fr": [(r"\baprès demain\b", "après-demain"), (r"\bce (?:soir|matin)\b", "aujourd'hui")],
    "de": [(r"\b(heute|morgen) (?:abend|früh|morgen|nachmittag|vormittag)\b", r"\1"),
           (r"\bam (?:morgen|abend|nachmittag|vormittag)\b", " ")],
}  # fmt: skip
# Articles and prepositions around a date: never a date by themselves.
DATE_GLUE = {
    "en": {"the", "of", "on", "in"},
    "es": {"el", "de", "del", "en", "día"},
    "fr": {"le", "de", "du", "en"},
    "de": {"am", "den", "der", "im", "in"},
}
# Any other word of three letters or fewer ends a candidate unless listed here, because
# dateparser reads "die"/"mit" (de), "sun"/"wed" (en) or "mer" (fr) as weekdays.
SHORT_DATE_WORDS = {"may", "day", "hoy", "mai"}
# Articles that make a bare number a day of the month: "el 21", "le 21", "am 21.".
DAY_ARTICLES = {"en": {"the"}, "es": {"el", "día"}, "fr": {"le"}, "de": {"am", "den", "der"}}

NAMED_TIMES = {
    "en": [(r"\b(?:noon|midday)\b", "12:00"), (r"\bmidnight\b", "0:00")],
    "es": [(r"\bmediod[ií]a\b", "12:00"), (r"\bmedianoche\b", "0:00"), (r"\bcuarto\b", "15")],
    "fr": [(r"\bmidi\b", "12 h"), (r"\bminuit\b", "0 h")],
    "de": [(r"\bmittags?\b", "12 uhr"), (r"\bmitternacht\b", "0 uhr")],
}
# Minutes said as words; in a "to"/"menos"/"moins"/"vor" slot they count back from the hour.
MINUTE_WORDS = {"half": 30, "quarter": 15, "media": 30, "demie": 30, "demi": 30, "quart": 15,
                 "halb": 30, "viertel": 15, "dreiviertel": 15}  # fmt: skip
_H = r"(?P<h>\d{1,2})"
TIME_PATTERNS = {
    "en": [
        rf"(?:a )?(?P<add>\d{{1,2}}|half|quarter)(?: minutes)? past {_H}",
        rf"(?:a )?(?P<sub>\d{{1,2}}|quarter)(?: minutes)? (?:to|till|before) {_H}",
        rf"{_H}(?::| )(?P<add>[0-5]\d)\b",
        rf"{_H} ?(?:o'clock|am|pm)\b",
        rf"{_H} (?=in the (?:morning|afternoon|evening)|at night|tonight)",
        rf"\b(?:at|around|about|by|after|before|say) {_H}\b",
    ],
    "es": [
        rf"{_H}:(?P<add>[0-5]\d)",
        rf"\b(?:la|las) {_H}(?: y (?P<add>\d{{1,2}}|media)| menos (?P<sub>\d{{1,2}}))?",
    ],
    "fr": [
        rf"{_H}:(?P<add>[0-5]\d)",
        rf"{_H} ?(?:heures?|h)(?![a-z])(?: et (?P<add>demie?|quart)"
        rf"| moins (?:le )?(?P<sub>quart|\d{{1,2}})| ?(?P<add2>[0-5]?\d)\b)?",
        rf"\b(?:à|vers) {_H}\b",
    ],
    "de": [
        rf"{_H}:(?P<add>[0-5]\d)",
        rf"(?P<add>\d{{1,2}}|viertel) nach {_H}",
        rf"(?P<sub>\d{{1,2}}|viertel) vor {_H}",
        rf"(?P<sub>halb|dreiviertel) {_H}",
        rf"{_H}(?:[.:](?P<add>[0-5]\d))? ?uhr(?: (?P<add2>[0-5]?\d)\b)?",
        rf"\b(?:um|gegen|ab) {_H}\b",
    ],
}
PM_MARKERS = {
    "en": r"\d pm\b|\b(?:afternoon|evening|tonight|at night)\b",
    "es": r"\d pm\b|\b(?:de|por) la (?:tarde|noche)|\besta (?:tarde|noche)",
    "fr": r"\b(?:du soir|de l'après-midi|ce soir|cet après-midi)\b",
    "de": r"\b(?:nachmittags?|abends?)\b",
}
AM_MARKERS = {
    "en": r"\d am\b|\bmorning\b",
    "es": r"\d am\b|\b(?:de|por) la mañana|\bmadrugada",
    "fr": r"\b(?:du matin|ce matin)\b",
    "de": r"\b(?:morgens|vormittags?|früh)\b",
}
