"""Private data redacted from what is stored (dialog.privacy), in en/es/fr/de, spoken and keyed."""

from __future__ import annotations

import pytest

from dialog.privacy import MASK, is_private_key, redact_record, redact_text

CUED = [  # a word announces the digits: redacted wherever they are said
    ("My zip code is 9 4 1 1 0.", "My zip code is [redacted]."),
    ("my ZIP is 94110, and I need help", "my ZIP is [redacted], and I need help"),
    ("The last four digits are four two four two.", "The last four digits are [redacted]."),
    ("Mi código postal es nueve cuatro uno uno cero.", "Mi código postal es [redacted]."),
    ("los últimos cuatro son cuatro dos cuatro dos", "los últimos cuatro son [redacted]"),
    ("Mon code postal est le 75011.", "Mon code postal est le [redacted]."),
    ("les quatre derniers chiffres sont quatre deux quatre deux",
     "les quatre derniers chiffres sont [redacted]"),
    ("Meine Postleitzahl ist zehn eins eins fünf.", "Meine Postleitzahl ist [redacted]."),
    ("die letzten vier Ziffern sind vier zwei vier zwei",
     "die letzten vier Ziffern sind [redacted]"),
]
ANYWHERE = [  # recognised by their form
    ("My card is 4242 4242 4242 4242, thanks", "My card is [card], thanks"),
    ("la tarjeta 4000-0566-5566-5556 por favor", "la tarjeta [card] por favor"),
    ("call me at +1 617-555-0142 or 617 555 0142", "call me at [phone] or [phone]"),
    ("écrivez à marie.dupont@example.fr", "écrivez à [email]"),
]
KEPT = [  # not private: order numbers, amounts, times, rooms
    "The order number is five five one two three four.",
    "I'd like a refund of forty-five dollars on order 551234.",
    "Wir kommen um 16 Uhr an, zwei Erwachsene.",
    "una habitación para dos personas el viernes",
    "4111 1111 1111 1112",  # sixteen digits that fail the Luhn check: not a card number
]
ANSWERS = [  # the answer to a private question: every number the caller said is redacted
    ("nine four one one zero", "[redacted]"),
    ("It's 0 2 1 3 4.", "It's [redacted]."),
    ("nueve cuatro uno uno cero", "[redacted]"),
    ("c'est le zéro deux un trois quatre", "c'est le [redacted]"),
    ("null zwei eins drei vier", "[redacted]"),
    ("94110#", "[redacted]"),
]


@pytest.mark.parametrize(("said", "stored"), CUED + ANYWHERE)
def test_private_data_is_redacted_where_it_is_said(said: str, stored: str) -> None:
    assert redact_text(said) == stored


@pytest.mark.parametrize("said", KEPT)
def test_other_numbers_are_kept(said: str) -> None:
    assert redact_text(said) == said


@pytest.mark.parametrize(("said", "stored"), ANSWERS)
def test_the_answer_to_a_private_question_loses_every_number(said: str, stored: str) -> None:
    assert redact_text(said, private=True) == stored


def test_tool_arguments_and_results_by_field_name_and_by_form() -> None:
    args = {"postal_code": "94110", "order_number": "551234", "card_last4": "4242"}
    assert redact_record(args) == {"postal_code": MASK, "order_number": "551234",
                                   "card_last4": MASK}
    result = {"customer": {"name": "Alex Morgan", "phone": "+15551234567",
                           "email": "alex.morgan@example.com", "tier": "regular"},
              "orders": [{"note": "ZIP on file 94110", "total": 129.99}], "zip": None}
    assert redact_record(result) == {
        "customer": {"name": "Alex Morgan", "phone": MASK, "email": MASK, "tier": "regular"},
        "orders": [{"note": "ZIP on file [redacted]", "total": 129.99}], "zip": None}
    assert is_private_key("billing_zip") and not is_private_key("order_number")
