"""Routing-rules versions in the database: seed, submit, refuse, diff, roll back, audit, and
concurrent edits that never lose an update."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from config.rules import RulesError, bundled_rules_file
from config.rules.store import NoRules, RuleConflict, RuleStore
from dialog.routing.evaluate import load_routing_rules

HOTEL = bundled_rules_file("hotel").read_text(encoding="utf-8")
# A change that matters to routing: stuck callers reach a person after two failed turns.
TWO_TURNS = HOTEL.replace("when: {failed_turns_at_least: 3}", "when: {failed_turns_at_least: 2}")
BAD_QUEUE = HOTEL.replace("then: {action: transfer, queue: concierge, priority: 9}",
                          "then: {action: transfer, queue: billing, priority: 9}")


def load(text: str):
    return load_routing_rules(text, name="hotel.yaml")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'rules.db'}"


@pytest.fixture
def store(url: str):
    opened = RuleStore(url, load)
    yield opened
    opened.close()


def test_seeding_makes_version_one_once(store: RuleStore) -> None:
    with pytest.raises(NoRules):
        store.active("hotel")
    first = store.ensure_seeded("hotel", HOTEL)
    assert (first.id, first.kind, first.author, first.based_on) == (1, "seed", "system", None)
    assert first.rules.business.name == "Harbor View Hotel"
    # Seeding again (another server starting) keeps what is there, even with other text.
    again = store.ensure_seeded("hotel", TWO_TURNS)
    assert again.id == 1 and again.source == HOTEL
    assert [v.id for v in store.versions("hotel")] == [1]
    assert store.audit("hotel")[0]["action"] == "seed"


def test_an_invalid_seed_is_refused(store: RuleStore) -> None:
    with pytest.raises(RulesError):
        store.ensure_seeded("hotel", BAD_QUEUE)
    with pytest.raises(NoRules):
        store.active("hotel")


def test_submit_makes_a_new_active_version(store: RuleStore) -> None:
    seed = store.ensure_seeded("hotel", HOTEL)
    new = store.submit("hotel", TWO_TURNS, author="ann", role="admin", based_on=seed.id,
                       comment="stuck callers after two turns")
    assert (new.id, new.kind, new.author, new.based_on) == (2, "submit", "ann", 1)
    assert new.comment == "stuck callers after two turns"
    active = store.active("hotel")
    assert active.id == 2 and active.source == TWO_TURNS
    assert next(r for r in active.rules.rules
                if r.name == "stuck_caller").when.failed_turns_at_least == 2
    assert [v.id for v in store.versions("hotel")] == [2, 1]  # newest first
    assert store.get(1).source == HOTEL and store.get(99) is None
    # The parsed rules of a version are built once.
    assert store.active("hotel").rules is active.rules
    entry = store.audit("hotel")[0]
    assert (entry["action"], entry["user"], entry["role"], entry["version"]) == (
        "submit", "ann", "admin", 2)
    assert entry["detail"]["based_on"] == 1


def test_an_invalid_submit_is_refused_audited_and_changes_nothing(store: RuleStore) -> None:
    store.ensure_seeded("hotel", HOTEL)
    with pytest.raises(RulesError) as caught:
        store.submit("hotel", BAD_QUEUE, author="ann", role="admin", based_on=1, comment="x")
    assert "rules[2].then.queue: unknown queue 'billing'" in str(caught.value)
    assert store.active("hotel").id == 1 and store.active("hotel").source == HOTEL
    assert [v.id for v in store.versions("hotel")] == [1]
    entry = store.audit("hotel")[0]
    assert (entry["action"], entry["user"], entry["version"]) == ("refused", "ann", 1)
    assert entry["detail"]["reason"] == "invalid"
    assert "unknown queue 'billing'" in entry["detail"]["problems"][0]


def test_a_stale_submit_conflicts_and_is_audited(store: RuleStore) -> None:
    store.ensure_seeded("hotel", HOTEL)
    store.submit("hotel", TWO_TURNS, author="ann", role="admin", based_on=1)
    with pytest.raises(RuleConflict) as caught:
        store.submit("hotel", HOTEL + "\n# bob's\n", author="bob", role="admin", based_on=1)
    assert (caught.value.based_on, caught.value.active) == (1, 2)
    assert store.active("hotel").source == TWO_TURNS
    assert [v.id for v in store.versions("hotel")] == [2, 1]  # bob's never existed
    entry = store.audit("hotel")[0]
    assert (entry["action"], entry["user"]) == ("refused", "bob")
    assert entry["detail"]["reason"] == "conflict" and entry["detail"]["active"] == 2


def test_diff_is_a_unified_diff_of_the_two_texts(store: RuleStore) -> None:
    store.ensure_seeded("hotel", HOTEL)
    store.submit("hotel", TWO_TURNS, author="ann", role="admin", based_on=1)
    diff = store.diff(1, 2)
    assert diff.startswith("--- version 1\n+++ version 2\n")
    assert "-    when: {failed_turns_at_least: 3}\n" in diff
    assert "+    when: {failed_turns_at_least: 2}\n" in diff
    assert store.diff(2, 2) == ""
    with pytest.raises(NoRules):
        store.diff(1, 42)


def test_rollback_makes_a_new_version_with_the_old_text(store: RuleStore) -> None:
    store.ensure_seeded("hotel", HOTEL)
    store.submit("hotel", TWO_TURNS, author="ann", role="admin", based_on=1)
    back = store.rollback("hotel", 1, author="carl", role="admin", based_on=2)
    assert (back.id, back.kind, back.rolled_back_to, back.based_on) == (3, "rollback", 1, 2)
    assert back.source == HOTEL and store.active("hotel").id == 3
    assert [v.id for v in store.versions("hotel")] == [3, 2, 1]  # history is kept
    assert store.diff(2, 3).split("\n", 2)[2] == store.diff(2, 1).split("\n", 2)[2]
    assert store.diff(1, 3) == ""
    entry = store.audit("hotel")[0]
    assert (entry["action"], entry["user"], entry["version"]) == ("rollback", "carl", 3)
    # A stale rollback conflicts; one to a version that does not exist is refused.
    with pytest.raises(RuleConflict):
        store.rollback("hotel", 2, author="carl", role="admin", based_on=2)
    with pytest.raises(NoRules):
        store.rollback("hotel", 17, author="carl", role="admin", based_on=3)
    assert store.active("hotel").id == 3


def test_a_rollback_to_text_no_longer_valid_is_refused(url: str) -> None:
    lenient = RuleStore(url, lambda text: load_routing_rules(text, name="hotel.yaml"))
    lenient.ensure_seeded("hotel", HOTEL)
    lenient.submit("hotel", TWO_TURNS, author="ann", role="admin", based_on=1)
    lenient.close()

    def stricter(text: str):  # the rules of version 1 fail a check added since
        if "failed_turns_at_least: 3" in text:
            raise RulesError([])
        return load(text)

    strict = RuleStore(url, stricter)
    assert strict.get(1).rules.business.kind == "hotel"  # history still reads
    with pytest.raises(RulesError):
        strict.rollback("hotel", 1, author="ann", role="admin", based_on=2)
    assert strict.active("hotel").id == 2
    assert strict.audit("hotel")[0]["detail"]["attempted"] == "rollback"
    strict.close()


def test_businesses_are_separate(store: RuleStore) -> None:
    support = bundled_rules_file("support").read_text(encoding="utf-8")
    store.ensure_seeded("hotel", HOTEL)
    store.ensure_seeded("support", support)
    assert store.active("support").rules.business.kind == "support"
    assert [v.business for v in store.versions("support")] == ["support"]
    with pytest.raises(NoRules):
        store.rollback("hotel", 2, author="ann", role="admin", based_on=1)


def test_a_change_by_another_process_is_seen_at_once(url: str, store: RuleStore) -> None:
    store.ensure_seeded("hotel", HOTEL)
    other = RuleStore(url, load)
    other.submit("hotel", TWO_TURNS, author="ann", role="admin", based_on=1)
    other.close()
    assert store.active("hotel").id == 2


@pytest.mark.parametrize("shared", [True, False], ids=["one store", "two stores"])
def test_concurrent_submits_on_one_version_one_wins(url: str, shared: bool) -> None:
    """Two editors (threads; one store or one per "server") both start from version 1 and
    save at the same moment: exactly one wins, the other gets RuleConflict, no update lost."""
    first = RuleStore(url, load)
    first.ensure_seeded("hotel", HOTEL)
    stores = [first, first if shared else RuleStore(url, load)]
    texts = [TWO_TURNS, HOTEL.replace("priority: 8", "priority: 7")]
    start = threading.Barrier(2)
    results: list[object] = [None, None]

    def save(i: int) -> None:
        start.wait()
        try:
            results[i] = stores[i].submit("hotel", texts[i], author=f"editor{i}", role="admin",
                                          based_on=1)
        except RuleConflict as e:
            results[i] = e

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conflicts = [r for r in results if isinstance(r, RuleConflict)]
    won = [i for i, r in enumerate(results) if not isinstance(r, RuleConflict)]
    assert len(conflicts) == 1 and len(won) == 1, results
    winner = won[0]
    active = first.active("hotel")
    assert active.source == texts[winner] and active.author == f"editor{winner}"
    assert conflicts[0].active == active.id == 2
    assert [v.id for v in first.versions("hotel")] == [2, 1]
    actions = [e["action"] for e in first.audit("hotel")]
    assert sorted(actions[:2]) == ["refused", "submit"]
    # The loser reloads, redoes the change on the winner's version: both changes are kept.
    loser = 1 - winner
    redo = active.source.replace("priority: 8", "priority: 7") if loser == 1 else \
        active.source.replace("when: {failed_turns_at_least: 3}",
                              "when: {failed_turns_at_least: 2}")
    final = stores[loser].submit("hotel", redo, author=f"editor{loser}", role="admin",
                                 based_on=active.id)
    assert "failed_turns_at_least: 2" in final.source and "priority: 7" in final.source
    for opened in {id(s): s for s in stores}.values():
        opened.close()
