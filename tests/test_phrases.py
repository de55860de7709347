"""The phrase files (``dialog/phrases/data/<language>.yaml``) and ``say``.

Safety net while the lines move out of Python (issue 12): the YAML holds exactly the dicts it
was generated from.
"""

from __future__ import annotations

import pytest

from dialog.phrases import lines, outcomes
from dialog.phrases.say import LANGUAGES, templates

TABLES = {
    **{k: v for k, v in lines.DEFAULT_LINES.items()},
    **outcomes._SENTENCES,
}
# Switched over already (their dicts went with the switch; step 1 checked them equal too).
MOVED = {"sms_confirmation", "sms_key_kiosk", "sms_key_desk", "hint_details_ok",
         "hint_arrival_time", "hint_requests", "hint_choice"}
NEW = {"still_there", "silent_goodbye"}  # English only before: telephony.runtime.Prompts


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_yaml_holds_the_python_lines(language):
    table = templates(language)
    assert set(table) == set(TABLES) | MOVED | NEW
    assert {k: table[k] for k in TABLES} == {k: v[language] for k, v in TABLES.items()}
    if language == "en":
        assert table["still_there"] == ("Are you still there? You can ask me a question, "
                                         "or press 0 to reach the front desk.")
        assert table["silent_goodbye"] == ("I haven't heard anything, so I'll end the call "
                                           "now. Please call again anytime.")
