"""Obvious prompt-injection and social-engineering attempts in what a caller says.

A pure pattern match (English, Spanish, French, German), tuned for few false positives on
normal caller talk: it names the pattern that matched, the engine logs it and the registry
refuses record-touching tools in that turn. It catches the obvious; governance (identity,
ownership, tiers) is what actually protects the records.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["PATTERNS", "detect_injection", "normalise"]

_OWN = r"(?:previous|prior|earlier|above|all|your|the|these|those|any|system)"
_SPEC = [
    ("ignore_instructions", [
        rf"\b(?:ignore|disregard|forget|override|bypass)\b(?:\s+\w+){{0,3}}?\s+{_OWN}\b"
        r"(?:\s+\w+){0,3}?\s+(?:instructions?|rules|prompts?|directives|guidelines|programming)",
        r"\b(?:olvida|olvidate de|ignora|ignore|omite|descarta)\b(?:\s+\w+){0,3}?\s+"
        r"(?:instrucciones|reglas|indicaciones|directrices)\b",
        r"\b(?:ignore|ignorez|oublie|oubliez)\b(?:\s+\w+){0,3}?\s+"
        r"(?:instructions|consignes|regles|directives)\b",
        r"\b(?:ignoriere|ignorier|ignorieren sie|vergiss|vergessen sie|missachte)\b"
        r"(?:\s+\w+){0,3}?\s+(?:anweisungen|instruktionen|regeln|vorgaben|befehle)\b",
    ]),
    ("role_override", [
        r"\byou are now (?:a|an|the|my|in|no longer|free|unrestricted|dan)\b",
        r"\bfrom now on,? you (?:are|will|must)\b",
        r"\bpretend (?:to be|you are|you're)\b",
        r"\bact as (?:an? |the |my )?(?:admin|administrator|manager|developer|system|supervisor|"
        r"root|owner|unrestricted|different|dan|jailbroken)\b",
        r"\b(?:ahora eres|a partir de ahora eres|actua como|finge ser)\b",
        r"\b(?:tu es maintenant|vous etes maintenant|desormais tu es|fais semblant d'etre|"
        r"agis comme)\b",
        r"\b(?:du bist jetzt|ab jetzt bist du|tu so als waerst du|tu so als warst du|"
        r"verhalte dich wie)\b",
    ]),
    ("system_prompt", [
        r"\b(?:system|hidden|initial|original|developer) (?:prompt|instructions|message)\b",
        r"\b(?:reveal|show|print|repeat|tell me|read me) (?:me )?your (?:instructions|prompt|"
        r"rules|configuration)\b",
        r"\b(?:prompt|instrucciones|mensaje) del sistema\b",
        r"\b(?:prompt|instructions|message) (?:du )?systeme\b",
        r"\bsystem-?(?:prompt|anweisung|anweisungen|nachricht)\b",
    ]),
    ("developer_mode", [
        r"\b(?:developer|debug|god|admin|maintenance|jailbreak|unrestricted) mode\b",
        r"\bjailbreak\b",
        r"\bmodo (?:desarrollador|administrador|depuracion|dios)\b",
        r"\bmode (?:developpeur|administrateur|debogage|dieu)\b",
        r"\b(?:entwickler|admin|debug|wartungs)-?modus\b",
    ]),
    ("authority_claim", [
        r"\b(?:i am|i'm|im|this is) (?:the|your) (?:hotel |store |general |duty |night |"
        r"shift |floor )?(?:manager|admin|administrator|supervisor|ceo|developer|"
        r"owner(?! of (?:this|the|my|that) (?:account|order|card|reservation|booking|phone|"
        r"number|email|device)))\b",
        r"\b(?:soy|habla) (?:el|la) (?:gerente|duen[oa]|administrador[a]?|jef[ea]|"
        r"supervisor[a]?|director[a]?)\b",
        r"\b(?:je suis|c'est|ici) (?:le|la) (?:directeur|directrice|gerant|gerante|"
        r"proprietaire|administrateur|administratrice|patron|patronne)\b",
        r"\b(?:ich bin|hier (?:ist|spricht)) (?:der|die) (?:manager|managerin|chef|chefin|"
        r"inhaber|inhaberin|geschaftsfuhrer|geschaeftsfuehrer|administrator|filialleiter)\b",
    ]),
    ("card_exfiltration", [
        r"\b(?:read|tell|give|send|say|spell|recite)(?: me| us)?(?: back)? (?:the |my |his |"
        r"her |their |that |this )?(?:full |whole |entire |complete )?(?:credit |debit )?card"
        r"(?: number| numbers| details| digits| on file)",
        r"\b(?:read|tell|give|send)(?: me| us)?(?: the)? (?:cvv|cvc|security code|expiry date)\b",
        r"\b(?:lee|leeme|dime|dame|deletrea)(?: el| los)?(?: numero| numeros)?(?: de)? "
        r"(?:la |mi |su )?tarjeta\b",
        r"\b(?:lis|lisez|lis-moi|lisez-moi|donne|donnez|donne-moi|donnez-moi|dis-moi|"
        r"dites-moi)(?: moi)?(?: le| les)? (?:numero|numeros|chiffres) (?:de )?(?:la )?carte\b",
        r"\b(?:lies|lesen sie|nenne|nennen sie|gib|geben sie|sag|sagen sie)(?: mir)?(?: die)? "
        r"(?:kredit)?kartennummer\b",
    ]),
]

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile("|".join(f"(?:{p})" for p in parts))) for name, parts in _SPEC
)


def normalise(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces: what the patterns see."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u00df", "ss")
    return re.sub(r"\s+", " ", text).strip()


def detect_injection(text: str) -> str | None:
    """The name of the first injection pattern ``text`` matches, or None."""
    if not text:
        return None
    seen = normalise(text)
    for name, pattern in PATTERNS:
        if pattern.search(seen):
            return name
    return None
