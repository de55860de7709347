"""The routing-rules console in headless Chromium (Debian's /usr/bin/chromium, via Playwright).

An admin signs in, breaks the rules (the check lists the problem with its line and jumps to
it), fixes them, saves a new version, dry-runs a turn at 02:00, reads the history and the diff,
and rolls back: the active text is the old one again. A save over someone else's newer
version shows the conflict. A viewer sees everything read-only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from chromium_pages import chromium, new_tab
from test_admin import HOTEL, USERS, Admin, admin_settings, changed

from dialog.routing.turns import Understanding

BROKEN = changed("then: {action: transfer, queue: concierge, priority: 9}",
                 "then: {action: transfer, queue: billing, priority: 9}")
BROKEN_LINE = next(i for i, line in enumerate(BROKEN.splitlines(), start=1)
                   if "queue: billing" in line)
FIXED = changed("when: {failed_turns_at_least: 3}", "when: {failed_turns_at_least: 2}")
# Statuses the page is expected to meet (a 409 on a stale save); Chromium logs each.
EXPECTED_STATUS = ("status of 409",)


@pytest.fixture
def admin(tmp_path: Path, encoder) -> Iterator[Admin]:
    served = Admin(admin_settings(tmp_path), Understanding(encoder))
    yield served
    served.close()


@pytest.fixture
def browser() -> Iterator:
    with chromium() as launched:
        yield launched


@contextmanager
def tab(browser) -> Iterator:
    with new_tab(browser, width=1400, height=1000, timeout_ms=15_000) as page:
        yield page


def sign_in(page, admin: Admin, user: str) -> None:
    page.goto(admin.url + "/admin")
    page.fill("#username", user)
    page.fill("#password", USERS[user]["password"])
    page.click("#login-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('source').value.length > 0")


def caret_line(page) -> int:
    return page.evaluate("""() => {
        const s = document.getElementById('source');
        return s.value.slice(0, s.selectionStart).split('\\n').length;
    }""")


def wait_text(page, selector: str, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
        arg=[selector, text])


def test_edit_check_save_dry_run_history_and_roll_back(admin: Admin, browser) -> None:
    with tab(browser) as page:
        sign_in(page, admin, "ann")
        assert page.text_content("#who") == "ann" and page.text_content("#role") == "admin"
        assert "active version 1" in page.text_content("#active-label")
        assert page.input_value("#source") == HOTEL
        assert page.locator("#gutter .ln").count() == len(HOTEL.split("\n"))

        # An error: the check names it with its line, marks the line and jumps to it.
        page.fill("#source", BROKEN)
        assert page.is_visible("#dirty")
        page.click("#check")
        page.wait_for_selector("#problems li.problem")
        problem = page.text_content("#problems li.problem")
        assert f"line {BROKEN_LINE}" in problem
        assert "rules[2].then.queue" in problem and "unknown queue 'billing'" in problem
        assert "problem" in page.text_content("#editor-msg")
        assert page.text_content("#gutter .ln.bad") == str(BROKEN_LINE)
        assert caret_line(page) == BROKEN_LINE
        page.click("#source")  # the caret elsewhere; the problem's link brings it back
        page.keyboard.press("Control+Home")
        assert caret_line(page) == 1
        page.click(f'#problems button.jump[data-line="{BROKEN_LINE}"]')
        assert caret_line(page) == BROKEN_LINE
        assert admin.store.active("hotel").id == 1  # a check saves nothing

        # Fixed: no problems; saved as a new version with a comment.
        page.fill("#source", FIXED)
        page.click("#check")
        wait_text(page, "#editor-msg", "No problems")
        assert page.is_hidden("#problems") and page.locator("#gutter .ln.bad").count() == 0
        page.fill("#comment", "stuck callers after two turns")
        page.click("#save")
        wait_text(page, "#editor-msg", "Saved as version 2")
        wait_text(page, "#active-label", "active version 2")
        assert admin.store.active("hotel").source == FIXED
        assert admin.store.active("hotel").author == "ann"
        assert page.is_hidden("#dirty")

        # The dry run: a cancellation at 02:00 local time follows the after-hours rule.
        page.fill("#dr-text", "I need to cancel my reservation")
        page.fill("#dr-caller", "+15555550123")
        page.fill("#dr-time", "2025-06-10T02:00")
        page.click("#dr-run")
        page.wait_for_selector("#dry-result:not([hidden])")
        assert page.text_content("#dr-action") == "answer"
        assert "cancel_after_hours" in page.text_content("#dr-rule")
        assert "version 2" in page.text_content("#dr-rule")
        assert "intent cancel" in page.text_content("#dr-heard")
        reasons = page.locator("#dr-reasons li").all_text_contents()
        assert reasons == ["rule:cancel_after_hours", "intent:cancel", "hours:closed"]
        assert page.text_content("#dr-local") == "2025-06-10T02:00-07:00"
        # Keys at a menu: "0" at the main menu goes to the front desk.
        page.check("#dr-mode-keypad")
        page.fill("#dr-keypad", "0")
        page.select_option("#dr-menu", "main")
        page.click("#dr-run")
        wait_text(page, "#dr-detail", "queue front_desk")
        assert page.text_content("#dr-action") == "transfer"

        # History: the new version with who and the comment; its diff against version 1.
        page.wait_for_selector('#versions tr[data-id="2"]')
        rows = page.locator("#versions tr")
        assert rows.count() == 2
        newest = rows.first.text_content()
        assert "v2" in newest and "ann" in newest and "stuck callers after two turns" in newest
        assert "active" in newest
        page.click('#versions tr[data-id="2"] button.diff-btn')
        page.wait_for_selector("#diff-box:not([hidden])")
        assert "version 1 to version 2" in page.text_content("#diff-title")
        removed = page.locator("#diff .d-del").all_text_contents()
        added = page.locator("#diff .d-add").all_text_contents()
        assert "-    when: {failed_turns_at_least: 3}" in removed
        assert "+    when: {failed_turns_at_least: 2}" in added
        if os.environ.get("ADMIN_SCREENSHOT"):
            page.screenshot(path=os.environ["ADMIN_SCREENSHOT"], full_page=True)

        # Roll back to version 1 (after a confirm): a new version with the old text.
        assert page.locator('#versions tr[data-id="2"] button.rollback-btn').count() == 0
        page.once("dialog", lambda dialog: dialog.accept())
        page.click('#versions tr[data-id="1"] button.rollback-btn')
        wait_text(page, "#active-label", "active version 3")
        wait_text(page, "#history-msg", "Rolled back")
        assert page.input_value("#source") == HOTEL
        assert admin.store.active("hotel").source == HOTEL
        assert admin.store.active("hotel").kind == "rollback"
        page.wait_for_selector('#versions tr[data-id="3"]')
        assert "rollback to v1" in page.locator("#versions tr").first.text_content()
        assert "rollback v3" in page.text_content("#audit")

        # Someone else saves meanwhile: this save is refused with a clear message.
        other = changed("priority: 8", "priority: 7")
        admin.store.submit("hotel", other, author="bea", role="admin", based_on=3)
        page.fill("#source", FIXED)
        page.click("#save")
        wait_text(page, "#editor-msg", "someone else saved version 4")
        assert "conflict" in page.get_attribute("#editor-msg", "class")
        assert admin.store.active("hotel").source == other
        page.once("dialog", lambda dialog: dialog.accept())  # discard my unsaved change
        page.click("#reload")
        wait_text(page, "#active-label", "active version 4")
        assert page.input_value("#source") == other
        assert [p for p in page.problems
                if not any(s in p for s in EXPECTED_STATUS)] == []


def test_a_viewer_sees_the_rules_read_only(admin: Admin, browser) -> None:
    with tab(browser) as page:
        sign_in(page, admin, "vic")
        assert page.text_content("#role") == "viewer"
        assert page.is_visible("#readonly-note")
        assert page.get_attribute("#source", "readonly") is not None
        assert page.is_hidden("#save") and page.is_hidden("#comment")
        page.wait_for_selector('#versions tr[data-id="1"]')
        assert page.locator("#versions button.rollback-btn").count() == 0
        # The check and the dry run are for viewers too.
        page.click("#check")
        wait_text(page, "#editor-msg", "No problems")
        page.check("#dr-mode-keypad")
        page.fill("#dr-keypad", "1")
        page.select_option("#dr-menu", "reservations")
        page.fill("#dr-time", "2025-06-10T02:00")
        page.click("#dr-run")
        wait_text(page, "#dr-rule", "reservations_keypad_after_hours")
        assert page.text_content("#dr-action") == "callback"
        # Signing out shows the sign-in form again.
        page.click("#logout")
        page.wait_for_selector("#signin:not([hidden])")
        assert page.problems == []
