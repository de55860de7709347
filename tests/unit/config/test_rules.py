"""The routing-rules file: the bundled examples load, and broken files are refused with errors
that name the field path and the YAML line."""

from __future__ import annotations

import tomllib

import pytest
import yaml
from testpaths import ROOT

from config.intents import sample_intents
from config.rules import (
    Rules,
    RulesError,
    bundled_rules_file,
    load_rules,
    parse_window,
)
from config.settings import QueueSettings
from dialog.routing.evaluate import known_tools, load_routing_rules

HOTEL = bundled_rules_file("hotel").read_text(encoding="utf-8")
SUPPORT = bundled_rules_file("support").read_text(encoding="utf-8")


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the nth line containing ``needle``."""
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(lines) > nth, f"{needle!r} not in the text"
    return lines[nth]


def refused(text: str, *, tools: bool = True) -> RulesError:
    with pytest.raises(RulesError) as caught:
        if tools:
            load_routing_rules(text, name="hotel.yaml")
        else:
            load_rules(text, name="hotel.yaml")
    return caught.value


def changed(old: str, new: str, text: str = HOTEL) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize("business", ["hotel", "support"])
def test_the_bundled_examples_load_with_real_tools(business):
    rules = load_routing_rules(bundled_rules_file(business))
    assert rules.business.kind == business
    assert rules.business.languages == ["en", "es", "fr", "de"]
    assert set(rules.greetings) == {"en", "es", "fr", "de"}
    assert rules.menus and rules.queues and rules.tiers and rules.rules
    for menu in rules.menus.values():
        assert set(menu.prompt) == {"en", "es", "fr", "de"}
    names = {r.name for r in rules.rules}
    assert {"frustrated_caller", "stuck_caller", "goodbye"} <= names
    assert any("vip" in r.when.tier for r in rules.rules)
    assert any(r.when.hours == "closed" for r in rules.rules)


def test_every_file_of_the_sample_packs_is_in_the_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["config"]
    root = ROOT / "config"
    shipped = {p for pattern in patterns for p in root.glob(pattern)}
    packs = [p for p in (root / "data" / "packs").rglob("*") if p.is_file()
             and "__pycache__" not in p.parts]
    assert len(packs) > 10 and not [p for p in packs if p not in shipped]


def test_queues_convert_to_the_settings_the_transfer_code_reads():
    rules = load_routing_rules(bundled_rules_file("support"))
    queues = rules.queue_settings()
    assert all(isinstance(q, QueueSettings) for q in queues.values())
    assert queues["billing"].transfer == "cold"
    assert queues["billing"].timezone == "America/New_York"  # the business's, by default
    assert queues["support"].hours["sat"] == "09:00-17:00"


def test_intent_overrides_extend_the_catalogue_without_copying_it():
    catalogue = sample_intents()
    rules = load_routing_rules(bundled_rules_file("hotel"))
    merged = rules.intent_set(catalogue)
    assert merged.get("cancel").threshold == 0.55
    before, after = catalogue.get("late_checkout"), merged.get("late_checkout")
    assert after.examples["en"][:-1] == before.examples["en"]
    assert after.examples["en"][-1] == "can we keep the room until the afternoon"
    assert merged.get("human") == catalogue.get("human")


def test_tier_by_number_or_by_the_customer_record():
    rules = load_routing_rules(bundled_rules_file("hotel"))
    assert rules.tier_for("+14155550100") == "vip"
    assert rules.tier_for("+16175550142", "gold") == "vip"
    assert rules.tier_for("+16175550142", "none") is None
    assert rules.tier_for(None) is None


# -- refused, with the field and the line ---------------------------------------------------------


def test_an_unknown_queue_is_named_with_the_queues_and_the_line():
    text = changed("then: {action: transfer, queue: concierge, priority: 9}",
                   "then: {action: transfer, queue: billing, priority: 9}")
    error = refused(text)
    assert str(error) == (
        f"hotel.yaml line {line_of(text, 'queue: billing')}: rules[2].then.queue: unknown queue "
        "'billing' (queues are: concierge, front_desk, reservations)")
    assert error.problems[0].path == "rules[2].then.queue"


def test_overlapping_menu_digits_are_refused():
    text = changed('      "9": {action: menu, menu: main}',
                   '      "9": {action: menu, menu: main}\n      "12": {action: hangup}')
    line = line_of(text, '"12"')
    assert f"line {line}: menus.reservations.options.12: digits '12' overlap option '1'" in str(
        refused(text))


def test_a_digit_given_twice_is_refused_at_the_second():
    text = changed('      "4": {action: answer, question: "What time is breakfast served?"}',
                   '      "4": {action: answer}\n      4: {action: hangup}')
    second, first = line_of(text, "      4: {action: hangup}"), line_of(text, '"4": {action')
    assert str(refused(text)) == (f"hotel.yaml line {second}: menus.main.options.4: duplicate "
                                  f"key '4' (first on line {first})")


def test_a_menu_cycle_a_silent_caller_cannot_leave_is_refused():
    text = changed("    on_timeout: {action: answer}", "    on_timeout: {action: menu, "
                   "menu: reservations}")
    text = changed("on_timeout: {action: transfer, queue: front_desk, priority: 3}",
                   "on_timeout: {action: menu, menu: main}", text)
    line = line_of(text, "on_timeout: {action: menu, menu: reservations}")
    assert f"line {line}: menus.main.on_timeout: menu cycle traps callers: main -> " \
           "reservations -> main" in str(refused(text))


def test_menus_with_no_way_out_are_refused():
    menus = yaml.safe_load(HOTEL)
    menus["menus"] = {
        "a": {"prompt": dict.fromkeys(("en", "es", "fr", "de"), "press 1"),
              "options": {"1": {"action": "menu", "menu": "b"}},
              "on_timeout": {"action": "menu", "menu": "b"},
              "on_no_match": {"action": "menu", "menu": "b"}},
        "b": {"prompt": dict.fromkeys(("en", "es", "fr", "de"), "press 1"),
              "options": {"1": {"action": "menu", "menu": "a"}},
              "on_timeout": {"action": "menu", "menu": "a"},
              "on_no_match": {"action": "menu", "menu": "a"}},
    }
    menus["business"]["menu"] = "a"
    messages = [p.message for p in refused(yaml.safe_dump(menus, allow_unicode=True)).problems]
    assert "menu cycle traps callers: no option ever leaves these menus" in messages


@pytest.mark.parametrize("business", ["hotel", "support"])
def test_the_bundled_language_keys_are_no_menu_option(business):
    rules = load_routing_rules(bundled_rules_file(business))
    assert rules.business.language_keys == {"5": "en", "6": "es", "7": "fr", "8": "de"}
    options = {key for menu in rules.menus.values() for key in menu.options}
    assert not options & set(rules.business.language_keys)


def test_a_language_key_for_a_language_the_business_does_not_speak_is_refused():
    text = changed('    "7": fr\n', '    "7": it\n')
    line = line_of(text, '"7": it')
    assert str(refused(text)) == (
        f"hotel.yaml line {line}: business.language_keys.7: language 'it' is not among the "
        "business's (en, es, fr, de)")


def test_a_language_key_that_is_a_menu_option_is_refused():
    text = changed('    "8": de\n', '    "9": de\n')  # 9: the reservations menu's way back
    line = line_of(text, '"9": de')
    assert str(refused(text)) == (
        f"hotel.yaml line {line}: business.language_keys.9: key '9' clashes with option '9' of "
        "menu 'reservations' (a caller pressing it would be ambiguous)")
    text = changed('    "8": de\n', '    "08": de\n')  # "0" (the front desk) is taken at once
    assert "key '08' clashes with option '0' of menu 'main'" in str(refused(text))


def test_a_language_given_two_keys_is_refused_at_the_second():
    text = changed('    "8": de\n', '    "8": es\n')
    line = line_of(text, '"8": es')
    assert str(refused(text)) == (
        f"hotel.yaml line {line}: business.language_keys.8: language 'es' already has key '6'")


def test_language_keys_are_optional():
    text = changed('  language_keys:\n    "5": en\n    "6": es\n    "7": fr\n    "8": de\n', "")
    assert load_routing_rules(text).business.language_keys == {}


def test_a_bad_time_zone_is_refused():
    text = changed("timezone: America/Los_Angeles", "timezone: America/Los_Angles")
    assert str(refused(text)) == (
        f"hotel.yaml line {line_of(text, 'Los_Angles')}: business.timezone: unknown time zone "
        "'America/Los_Angles' (an IANA name such as 'America/New_York')")


def test_a_missing_greeting_language_is_refused():
    text = changed("  de: Danke für Ihren Anruf im Harbor View Hotel. Ich bin die virtuelle "
                   "Rezeption.\n", "")
    assert str(refused(text)) == (f"hotel.yaml line {line_of(text, 'greetings:')}: greetings: "
                                  "missing language de (languages are: en, es, fr, de)")


def test_a_missing_prompt_language_is_refused():
    text = changed("      fr: Tapez 1 pour réserver", "      it: Tapez 1 pour réserver")
    error = str(refused(text))
    assert f"line {line_of(text, 'Press 1 to book') - 1}: menus.reservations.prompt: missing " \
           "language fr" in error


def test_wrong_types_are_refused_with_the_value():
    text = changed("ring_timeout_seconds: 25", "ring_timeout_seconds: soon")
    error = str(refused(text))
    assert error.startswith(f"hotel.yaml line {line_of(text, 'soon')}: "
                            "queues.front_desk.ring_timeout_seconds: ")
    assert "integer" in error and "'soon'" in error


def test_bad_hours_are_refused():
    text = changed('mon: "07:00-22:00"', 'mon: "7-22"')
    assert str(refused(text)) == (
        f"hotel.yaml line {line_of(text, '7-22')}: business.hours.mon: hours '7-22': expected "
        "'HH:MM-HH:MM' (e.g. '08:00-20:00') or 'closed'")


def test_unknown_intents_tiers_and_tools_are_refused():
    text = changed("when: {intent: folio}", "when: {intent: folios}")
    text = changed("when: {tier: vip, intent: human}", "when: {tier: vvip, intent: human}", text)
    text = changed("get_folio, search_knowledge", "get_folio, lookup_customer", text)
    problems = {p.path: p for p in refused(text).problems}
    assert problems["rules[7].when.intent"].line == line_of(text, "intent: folios")
    assert problems["rules[7].when.intent"].message.startswith("unknown intent 'folios'")
    assert problems["rules[2].when.tier"].message == "unknown tier 'vvip' (tiers are: vip)"
    tool = problems["rules[7].then.tools[3]"]
    assert tool.line == line_of(text, "lookup_customer")
    assert tool.message.startswith("unknown tool 'lookup_customer' for a hotel business")


def test_tool_names_are_checked_only_when_the_dialog_layer_gives_them():
    text = changed("get_folio, search_knowledge", "get_folio, lookup_customer")
    assert isinstance(load_rules(text), Rules)  # config alone does not know the tools
    assert "lookup_customer" in known_tools()["support"]


def test_a_misspelt_field_and_a_missing_one_are_named():
    text = changed("    then: {action: transfer, queue: front_desk, priority: 5}",
                   "    then: {action: transfer, queue: front_desk, priorty: 5}")
    problems = {p.path: p for p in refused(text).problems}
    assert problems["rules[1].then.priorty"].message == "not a known field (misspelt?)"
    assert problems["rules[1].then.priorty"].line == line_of(text, "priorty")
    text = changed("    then: {action: hangup}\n", "")
    problem = refused(text).problems[0]
    assert (problem.path, problem.message) == ("rules[9].then", "required")
    assert problem.line == line_of(text, "- name: goodbye")


def test_an_action_without_what_it_needs_is_refused():
    text = changed("then: {action: transfer, queue: front_desk, priority: 3}",
                   "then: {action: transfer, priority: 3}")
    problem = refused(text).problems[0]
    assert problem.path.endswith("then") and problem.message == "action 'transfer' needs 'queue'"


def test_a_rule_after_a_catch_all_is_never_reached():
    data = yaml.safe_load(HOTEL)
    data["rules"].insert(1, {"name": "everyone", "then": {"action": "answer"}})
    messages = [(p.path, p.message) for p in refused(yaml.safe_dump(data)).problems]
    assert ("rules[2]", "never reached: rule 'everyone' before it matches every call") in messages


def test_agents_must_be_numbers_or_sip_addresses():
    text = changed('agents: ["+14155550122", "+14155550123"]', 'agents: ["555-0122"]')
    assert str(refused(text)) == (
        f"hotel.yaml line {line_of(text, '555-0122')}: queues.reservations.agents[0]: "
        "'555-0122' is not an E.164 phone number ('+14155550123') or a SIP address "
        "('sip:desk@pbx.example')")


def test_not_yaml_and_not_a_mapping_are_refused_with_a_line():
    assert str(refused("business: [1\n")).startswith("hotel.yaml line 2: not valid YAML")
    assert "expected a mapping" in str(refused("- 1\n"))


def test_every_problem_is_reported_at_once():
    text = changed("timezone: America/Los_Angeles", "timezone: Nowhere")
    text = changed("ring_timeout_seconds: 25", "ring_timeout_seconds: soon", text)
    assert len(refused(text).problems) == 2


def test_a_file_that_cannot_be_read_is_named(tmp_path):
    with pytest.raises(RulesError, match="missing.yaml: cannot read"):
        load_rules(tmp_path / "missing.yaml")


def test_a_file_path_is_named_by_its_file_name(tmp_path):
    path = tmp_path / "support.yaml"
    path.write_text(changed("timezone: America/New_York", "timezone: EST5", SUPPORT))
    with pytest.raises(RulesError, match=r"^support\.yaml line \d+: business\.timezone"):
        load_routing_rules(path)


def test_a_holiday_may_be_a_plain_date():
    text = changed("    - {date: 2025-11-27, name: Thanksgiving}", "    - 2025-11-27", SUPPORT)
    assert str(load_routing_rules(text).business.holidays[0].date) == "2025-11-27"


def test_hours_windows():
    assert parse_window("closed") is None
    start, end = parse_window("00:00-24:00")
    assert (start.hour, end.hour, end.minute) == (0, 23, 59)
    for bad in ("20:00-08:00", "8:00-20:00", "08:00-24:30", "08:00"):
        with pytest.raises(ValueError):
            parse_window(bad)
