"""The routing-rules admin API over real HTTP on loopback: sign-in and roles, validation errors
that name field and line, versions, diffs, roll back, conflicts, the dry run, and no secret in
any response.

The app here is the admin router alone (no voice models): ``FastAPI()`` + ``admin_router``, its
store on a temporary SQLite database, seeded by the router's lifespan.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from servers import ThreadedServer

from config.rules import bundled_rules_file
from config.rules.store import RuleStore
from config.settings import Settings
from dialog.routing.evaluate import RouteContext, load_routing_rules, route
from dialog.routing.turns import Understanding
from telephony.web.admin import admin_router
from telephony.web.auth import Sessions

USERS = {"ann": {"password": "ann's long admin password", "role": "admin"},
         "vic": {"password": "vic's long viewer password", "role": "viewer"},
         "bea": {"password": "bea's other admin password", "role": "admin"}}
SESSION_SECRET = "admin-session-secret-00112233445566778899aabbccddeeff"
DESK_SECRET = "desk-session-secret-ffeeddccbbaa99887766554433221100"
AUTH_TOKEN = "twilio-auth-token-0123456789abcdef"
SECRETS = [*(u["password"] for u in USERS.values()), SESSION_SECRET, DESK_SECRET, AUTH_TOKEN]
XRW = {"X-Requested-With": "frontdesk-admin"}
HOTEL = bundled_rules_file("hotel").read_text(encoding="utf-8")
LA = ZoneInfo("America/Los_Angeles")


def admin_settings(data_dir: Path, users: dict[str, Any] | None = None) -> Settings:
    return Settings(data_dir=data_dir,
                    admin={"users": USERS if users is None else users,
                           "session_secret": SESSION_SECRET},
                    desk={"agents": {"ann": USERS["ann"]["password"]},
                          "session_secret": DESK_SECRET},
                    twilio={"auth_token": AUTH_TOKEN})


def no_secrets(response: httpx.Response) -> None:
    """Every response any test gets is checked: no password, session secret or token."""
    body = response.read().decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in body, f"{response.request.url} leaks a secret"
        assert secret not in str(response.headers)


class Admin:
    """An admin-only frontdesk on loopback."""

    def __init__(self, settings: Settings, understanding: Understanding | None = None,
                 state: dict[str, Any] | None = None) -> None:
        self.settings = settings
        app = FastAPI()
        for name, value in (state or {}).items():
            setattr(app.state, name, value)
        app.include_router(admin_router(settings, understanding=understanding))
        self.app = app
        self.server = ThreadedServer(app).start()
        self.url = self.server.url
        self.clients: list[httpx.Client] = []

    @property
    def store(self) -> RuleStore:
        return self.app.state.rule_store

    def client(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30.0,
                              event_hooks={"response": [no_secrets]})
        self.clients.append(client)
        return client

    def signed_in(self, user: str) -> tuple[httpx.Client, dict[str, str]]:
        """A client with the user's session cookie, and the CSRF header for its POSTs."""
        client = self.client()
        response = client.post("/admin/login", headers=XRW, data={
            "username": user, "password": USERS[user]["password"]})
        assert response.status_code == 200, response.text
        assert response.json()["role"] == USERS[user]["role"]
        return client, {"X-CSRF-Token": response.json()["csrf"]}

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.server.stop()


@pytest.fixture(scope="module")
def understanding(encoder) -> Understanding:
    return Understanding(encoder)


@pytest.fixture
def admin(tmp_path: Path, understanding: Understanding) -> Iterator[Admin]:
    served = Admin(admin_settings(tmp_path), understanding)
    yield served
    served.close()


def changed(old: str, new: str, text: str = HOTEL) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


# -- signing in, roles -------------------------------------------------------------------------

def test_the_store_is_seeded_with_the_bundled_rules(admin: Admin) -> None:
    client, _ = admin.signed_in("vic")
    body = client.get("/admin/api/rules").json()
    assert body["version"]["id"] == 1 and body["version"]["kind"] == "seed"
    assert body["source"] == HOTEL
    assert body["summary"]["name"] == "Harbor View Hotel"
    assert body["summary"]["timezone"] == "America/Los_Angeles"
    assert "cancel_after_hours" in [r["name"] for r in body["summary"]["rules"]]
    assert body["summary"]["menus"] == ["main", "reservations"]


def test_sign_in_is_needed_and_checked(admin: Admin) -> None:
    anonymous = admin.client()
    for path in ("/admin/api/rules", "/admin/api/versions", "/admin/api/audit",
                 "/admin/api/diff?new=1", "/admin/api/versions/1"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.post("/admin/api/dry-run", json={"keypad": "1"}).status_code == 401
    assert anonymous.post("/admin/login", headers=XRW, data={
        "username": "ann", "password": "wrong"}).status_code == 401
    assert anonymous.post("/admin/login", data={
        "username": "ann", "password": USERS["ann"]["password"]}).status_code == 403  # no XRW
    page = anonymous.get("/admin")
    assert page.status_code == 200 and '"enabled": true' in page.text
    assert "Content-Security-Policy" in page.headers
    assert anonymous.get("/admin/admin.js").status_code == 200
    assert anonymous.get("/admin/admin.css").status_code == 200


def test_a_desk_cookie_is_not_an_admin_session(admin: Admin) -> None:
    desk = Sessions(DESK_SECRET, {"ann": admin.settings.desk.agents["ann"]}, purpose="desk")
    cookie, _ = desk.issue("ann")
    client = admin.client()
    client.cookies.set("frontdesk_admin", cookie)
    assert client.get("/admin/api/rules").status_code == 401


def test_wrong_passwords_are_throttled(admin: Admin) -> None:
    client = admin.client()
    codes = [client.post("/admin/login", headers=XRW, data={
        "username": "vic", "password": f"guess {i}"}).status_code for i in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_signing_out_ends_the_session_on_the_server(admin: Admin) -> None:
    client, csrf = admin.signed_in("ann")
    kept = client.cookies["frontdesk_admin"]
    assert client.post("/admin/logout", headers=XRW).status_code == 200
    replay = admin.client()
    replay.cookies.set("frontdesk_admin", kept)
    assert replay.get("/admin/api/rules").status_code == 401
    assert replay.get("/admin/session").status_code == 401
    assert replay.post("/admin/api/rules", headers=csrf,
                       json={"source": HOTEL, "based_on": 1}).status_code == 401


def test_posts_need_the_csrf_token(admin: Admin) -> None:
    client, _ = admin.signed_in("ann")
    response = client.post("/admin/api/rules", json={"source": HOTEL, "based_on": 1})
    assert response.status_code == 403 and "CSRF" in response.json()["error"]
    response = client.post("/admin/api/rules", json={"source": HOTEL, "based_on": 1},
                           headers={"X-CSRF-Token": "not it"})
    assert response.status_code == 403


def test_a_viewer_reads_and_dry_runs_but_cannot_change(admin: Admin) -> None:
    client, csrf = admin.signed_in("vic")
    assert client.get("/admin/api/rules").status_code == 200
    assert client.get("/admin/api/versions").status_code == 200
    assert client.get("/admin/api/audit").status_code == 200
    assert client.post("/admin/api/validate", json={"source": HOTEL},
                       headers=csrf).json()["ok"] is True
    assert client.post("/admin/api/dry-run", json={"keypad": "0"}, headers=csrf) \
        .status_code == 200
    response = client.post("/admin/api/rules", json={"source": HOTEL, "based_on": 1},
                           headers=csrf)
    assert response.status_code == 403 and "admin" in response.json()["error"]
    assert client.post("/admin/api/rollback", json={"to_version": 1, "based_on": 1},
                       headers=csrf).status_code == 403
    assert [v["id"] for v in client.get("/admin/api/versions").json()["versions"]] == [1]


def test_the_console_is_off_without_users(tmp_path: Path) -> None:
    served = Admin(admin_settings(tmp_path, users={}))
    try:
        client = served.client()
        assert '"enabled": false' in client.get("/admin").text
        assert client.post("/admin/login", headers=XRW, data={
            "username": "ann", "password": "x"}).status_code == 404
        assert client.get("/admin/api/rules").status_code == 401
        assert served.store.active("hotel").id == 1  # live calls still get their rules
    finally:
        served.close()


# -- submit: validation, versions, conflicts -----------------------------------------------------

BROKEN = {
    "unknown queue": (
        changed("then: {action: transfer, queue: concierge, priority: 9}",
                "then: {action: transfer, queue: billing, priority: 9}"),
        "rules[2].then.queue", "queue: billing", "unknown queue 'billing'"),
    "overlapping menu digits": (
        changed('      "9": {action: menu, menu: main}',
                '      "9": {action: menu, menu: main}\n      "12": {action: hangup}'),
        "menus.reservations.options.12", '"12"', "overlap option '1'"),
    "bad time zone": (
        changed("timezone: America/Los_Angeles", "timezone: America/Los_Angles"),
        "business.timezone", "Los_Angles", "unknown time zone 'America/Los_Angles'"),
    "missing language": (
        changed("  de: Danke für Ihren Anruf im Harbor View Hotel. Ich bin die virtuelle "
                "Rezeption.\n", ""),
        "greetings", "greetings:", "missing language de"),
    "wrong type": (
        changed("ring_timeout_seconds: 25", "ring_timeout_seconds: soon"),
        "queues.front_desk.ring_timeout_seconds", "soon", "'soon'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_invalid_rules_are_refused_naming_field_and_line(admin: Admin, case: str) -> None:
    text, path, needle, message = BROKEN[case]
    client, csrf = admin.signed_in("ann")
    response = client.post("/admin/api/rules", headers=csrf, json={
        "source": text, "based_on": 1, "comment": case})
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert any(p["path"] == path and p["line"] == line_of(text, needle)
               and message in p["message"] for p in problems), problems
    # The same problems from the check that saves nothing.
    check = client.post("/admin/api/validate", headers=csrf, json={"source": text}).json()
    assert check["ok"] is False and check["problems"] == problems
    # Nothing changed, and the refusal is audited.
    assert client.get("/admin/api/rules").json()["version"]["id"] == 1
    assert [v["id"] for v in client.get("/admin/api/versions").json()["versions"]] == [1]
    entry = client.get("/admin/api/audit").json()["audit"][0]
    assert (entry["action"], entry["user"], entry["role"]) == ("refused", "ann", "admin")


def test_rules_holding_a_secret_are_refused(admin: Admin) -> None:
    client, csrf = admin.signed_in("ann")
    text = HOTEL + f"# password: {USERS['vic']['password']}\n"
    response = client.post("/admin/api/rules", headers=csrf, json={"source": text,
                                                                    "based_on": 1})
    assert response.status_code == 422
    assert response.json()["problems"][0]["line"] == len(text.splitlines())
    assert "password, token or key" in response.json()["problems"][0]["message"]


def test_submit_history_diff_and_rollback(admin: Admin) -> None:
    client, csrf = admin.signed_in("ann")
    new_text = changed("when: {failed_turns_at_least: 3}", "when: {failed_turns_at_least: 2}")
    response = client.post("/admin/api/rules", headers=csrf, json={
        "source": new_text, "based_on": 1, "comment": "stuck callers after two turns"})
    assert response.status_code == 201
    saved = response.json()
    assert (saved["id"], saved["kind"], saved["author"], saved["based_on"]) == (
        2, "submit", "ann", 1)
    active = client.get("/admin/api/rules").json()
    assert active["version"]["id"] == 2 and active["source"] == new_text
    assert admin.store.active("hotel").id == 2  # what new calls read

    listed = client.get("/admin/api/versions").json()
    assert listed["active"] == 2
    assert [(v["id"], v["kind"], v["author"], v["comment"]) for v in listed["versions"]] == [
        (2, "submit", "ann", "stuck callers after two turns"), (1, "seed", "system",
                                                                "initial rules")]
    assert all(isinstance(v["created_at"], float) and "source" not in v
               for v in listed["versions"])
    one = client.get("/admin/api/versions/1").json()
    assert one["source"] == HOTEL and one["previous"] is None
    assert client.get("/admin/api/versions/2").json()["previous"] == 1
    assert client.get("/admin/api/versions/9").status_code == 404

    diff = client.get("/admin/api/diff", params={"new": 2}).json()  # against its predecessor
    assert diff["old"] == 1
    assert "-    when: {failed_turns_at_least: 3}" in diff["diff"]
    assert "+    when: {failed_turns_at_least: 2}" in diff["diff"]
    assert client.get("/admin/api/diff", params={"old": 2, "new": 1}).json()["diff"] \
        .count("+    when: {failed_turns_at_least: 3}") == 1
    assert client.get("/admin/api/diff", params={"new": 1}).json() == {
        "old": None, "new": 1, "diff": ""}

    back = client.post("/admin/api/rollback", headers=csrf, json={"to_version": 1,
                                                                  "based_on": 2})
    assert back.status_code == 201
    assert (back.json()["id"], back.json()["kind"], back.json()["rolled_back_to"]) == (
        3, "rollback", 1)
    assert client.get("/admin/api/rules").json()["source"] == HOTEL
    assert [e["action"] for e in client.get("/admin/api/audit").json()["audit"]] == [
        "rollback", "submit", "seed"]
    assert client.post("/admin/api/rollback", headers=csrf, json={
        "to_version": 42, "based_on": 3}).status_code == 404


def test_a_stale_based_on_is_a_conflict_naming_the_active_version(admin: Admin) -> None:
    ann, ann_csrf = admin.signed_in("ann")
    bea, bea_csrf = admin.signed_in("bea")
    first = ann.post("/admin/api/rules", headers=ann_csrf, json={
        "source": changed("priority: 8", "priority: 7"), "based_on": 1})
    assert first.status_code == 201
    late = bea.post("/admin/api/rules", headers=bea_csrf, json={
        "source": changed("priority: 9", "priority: 10"), "based_on": 1})
    assert late.status_code == 409
    assert late.json()["active"] == 2 and "Reload" in late.json()["error"]
    assert bea.post("/admin/api/rollback", headers=bea_csrf, json={
        "to_version": 1, "based_on": 1}).status_code == 409
    assert ann.get("/admin/api/rules").json()["source"] == changed("priority: 8", "priority: 7")
    entry = ann.get("/admin/api/audit").json()["audit"][0]
    assert (entry["action"], entry["user"], entry["detail"]["reason"]) == (
        "refused", "bea", "conflict")


def test_malformed_bodies_are_400(admin: Admin) -> None:
    client, csrf = admin.signed_in("ann")
    assert client.post("/admin/api/rules", headers={**csrf, "Content-Type": "application/json"},
                       content=b"{").status_code == 400
    assert client.post("/admin/api/rules", headers=csrf, json={"source": HOTEL}) \
        .status_code == 400  # no based_on
    assert client.post("/admin/api/rules", headers=csrf, json=[1]).status_code == 400


# -- the dry run ---------------------------------------------------------------------------------

def test_a_dry_run_at_two_in_the_morning_follows_the_after_hours_rule(
        admin: Admin, understanding: Understanding) -> None:
    client, csrf = admin.signed_in("vic")
    said = "I need to cancel my reservation"
    body = client.post("/admin/api/dry-run", headers=csrf, json={
        "text": said, "caller": "+15555550123", "language": "en",
        "time": "2025-06-10T02:00"}).json()
    assert body["decision"]["action"] == "answer"
    assert body["decision"]["rule"] == "cancel_after_hours"
    assert body["reasons"] == ["rule:cancel_after_hours", "intent:cancel", "hours:closed"]
    assert body["intent"] == "cancel" and body["confidence"] > 0.5
    assert body["local_time"] == "2025-06-10T02:00-07:00" and body["version"] == 1
    assert "closed right now" in body["decision"]["message"]

    # The same input through route() directly: the same decision.
    rules = load_routing_rules(HOTEL)
    intent = understanding.classifier(rules).classify(said)
    direct = route(rules, RouteContext(
        now=datetime(2025, 6, 10, 2, 0, tzinfo=LA), language="en", intent=intent.name,
        confidence=intent.score, intent_action=intent.action,
        tier=rules.tier_for("+15555550123"), sentiment=understanding.measure(said, "en")))
    assert body["decision"] == direct.as_dict()

    # In the afternoon (given as an aware UTC time) the reservations team takes it.
    day = client.post("/admin/api/dry-run", headers=csrf, json={
        "text": said, "time": "2025-06-10T21:00:00+00:00"}).json()
    assert (day["decision"]["action"], day["decision"]["queue"]) == ("transfer",
                                                                     "reservations")
    assert day["local_time"] == "2025-06-10T14:00-07:00"


def test_a_keypad_dry_run_matches_route(admin: Admin) -> None:
    client, csrf = admin.signed_in("vic")
    body = client.post("/admin/api/dry-run", headers=csrf, json={
        "keypad": "1", "menu": "reservations", "caller": "+14155550100",
        "time": "2025-06-10T02:00", "language": "es"}).json()
    rules = load_routing_rules(HOTEL)
    direct = route(rules, RouteContext(
        now=datetime(2025, 6, 10, 2, 0, tzinfo=LA), language="es", tier="vip",
        menu="reservations", digits="1"))
    assert body["decision"] == direct.as_dict()
    assert body["decision"]["rule"] == "reservations_keypad_after_hours"
    assert body["tier"] == "vip" and body["intent"] is None
    assert body["decision"]["message"].startswith("La oficina de reservas abre")


def test_a_dry_run_of_an_old_version_or_unsaved_text(admin: Admin) -> None:
    ann, csrf = admin.signed_in("ann")
    two = changed("when: {failed_turns_at_least: 3}", "when: {failed_turns_at_least: 2}")
    turn = {"text": "what time is breakfast", "failed_turns": 2, "time": "2025-06-10T10:00",
            "sentiment": 0.0}
    assert ann.post("/admin/api/dry-run", headers=csrf, json=turn).json()["decision"][
        "rule"] is None
    unsaved = ann.post("/admin/api/dry-run", headers=csrf, json={**turn, "source": two}).json()
    assert unsaved["decision"]["rule"] == "stuck_caller" and unsaved["version"] is None
    ann.post("/admin/api/rules", headers=csrf, json={"source": two, "based_on": 1})
    assert ann.post("/admin/api/dry-run", headers=csrf, json=turn).json()["decision"][
        "rule"] == "stuck_caller"
    old = ann.post("/admin/api/dry-run", headers=csrf, json={**turn, "version": 1}).json()
    assert old["decision"]["rule"] is None and old["version"] == 1


def test_dry_run_input_is_checked(admin: Admin) -> None:
    client, csrf = admin.signed_in("vic")

    def run(**body: Any) -> httpx.Response:
        return client.post("/admin/api/dry-run", headers=csrf, json=body)

    assert run().status_code == 422  # neither text nor keys
    assert run(text="hi", keypad="1").status_code == 422
    assert run(keypad="1", menu="nowhere").status_code == 422
    assert run(keypad="1", time="half past two").status_code == 422
    assert run(keypad="12345").status_code == 400
    assert run(keypad="1", version=99).status_code == 404
    bad = run(keypad="1", source=changed("timezone: America/Los_Angeles", "timezone: Mars/Base"))
    assert bad.status_code == 422 and bad.json()["problems"][0]["path"] == "business.timezone"
    assert run(keypad="").json()["reasons"][:3] == ["default", "menu:main", "keypad:timeout"]


def test_the_dry_run_uses_the_runtime_encoder(tmp_path: Path, encoder) -> None:
    """Without an Understanding given, the one built on the runtime's encoder is used."""
    runtime = SimpleNamespace(dialog=SimpleNamespace(encoder=encoder))
    served = Admin(admin_settings(tmp_path), state={"runtime": runtime})
    try:
        client, csrf = served.signed_in("vic")
        body = client.post("/admin/api/dry-run", headers=csrf, json={
            "text": "goodbye", "time": "2025-06-10T12:00"}).json()
        assert body["decision"]["action"] == "hangup" and body["intent"] == "goodbye"
    finally:
        served.close()


def test_a_store_already_on_the_app_is_used(tmp_path: Path) -> None:
    settings = admin_settings(tmp_path)
    store = RuleStore(settings.database_url, lambda text: load_routing_rules(text))
    served = Admin(settings, state={"rule_store": store})
    try:
        assert served.store is store and store.active("hotel").id == 1
    finally:
        served.close()
        store.close()


def test_the_app_serves_the_console(tmp_path: Path) -> None:
    """``create_app`` includes the console; its lifespan seeds the store after the runtime's."""
    from telephony.app import create_app

    settings = admin_settings(tmp_path)
    app = create_app(settings, runtime=SimpleNamespace(active_calls=0))  # type: ignore[arg-type]
    server = ThreadedServer(app).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30.0,
                          event_hooks={"response": [no_secrets]}) as client:
            assert client.post("/admin/login", headers=XRW, data={
                "username": "vic", "password": USERS["vic"]["password"]}).status_code == 200
            assert client.get("/admin/api/rules").json()["version"]["id"] == 1
        assert app.state.rule_store.active("hotel").rules.business.kind == "hotel"
    finally:
        server.stop()
