"""The phrase files (``dialog/phrases/data/<language>.yaml``) and ``say``.

Safety net while the lines move out of Python (issue 12): the YAML holds exactly the dicts it
was generated from.
"""

from __future__ import annotations

import pytest

from dialog.business import sms
from dialog.embedded import hints
from dialog.phrases import lines, outcomes
from dialog.phrases.say import LANGUAGES, templates

TABLES = {
    **{k: v for k, v in lines.DEFAULT_LINES.items()},
    **outcomes._SENTENCES,
    "sms_confirmation": sms._CONFIRMATION, "sms_key_kiosk": sms._KEY_KIOSK,
    "sms_key_desk": sms._KEY_DESK,
    **{f"hint_{k}": v for k, v in hints.HINTS.items()},
}
NEW = {"still_there", "silent_goodbye"}  # English only before: telephony.runtime.Prompts


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_yaml_holds_the_python_lines(language):
    table = templates(language)
    assert set(table) == set(TABLES) | NEW
    assert {k: table[k] for k in TABLES} == {k: v[language] for k, v in TABLES.items()}
    if language == "en":
        assert table["still_there"] == ("Are you still there? You can ask me a question, "
                                         "or press 0 to reach the front desk.")
        assert table["silent_goodbye"] == ("I haven't heard anything, so I'll end the call "
                                           "now. Please call again anytime.")
