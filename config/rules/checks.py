"""What a rules file means, checked as a whole: every queue, menu, intent, tier and tool it
names exists, languages are complete, menus do not overlap and can be left, rules are reachable,
language keys name the business's languages and are no menu's options.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from config.intents import IntentSet
from config.rules.locate import Loc
from config.rules.schema import Menu, Rules, Then

__all__ = ["check_rules"]


def check_rules(rules: Rules, catalogue: IntentSet,
                tools: Mapping[str, Collection[str]] | None) -> list[tuple[Loc, str]]:
    """Each problem of meaning as (location, message); empty when the file makes sense.

    ``catalogue``: the intents rules may name. ``tools``: business kind -> the tool names that
    exist (None: tool names are not checked).
    """
    return _Checker(rules, catalogue, tools).run()



def _choices(kind: str, name: str, known: Collection[str]) -> str:
    listed = ", ".join(sorted(known)) or "none"
    return f"unknown {kind} {name!r} ({kind}s are: {listed})"


def _missing_languages(texts: Mapping[str, str], rules: Rules) -> str | None:
    wanted = rules.business.languages
    missing = [lang for lang in wanted if lang not in texts]
    extra = [lang for lang in texts if lang not in wanted]
    if missing:
        return f"missing language {', '.join(missing)} (languages are: {', '.join(wanted)})"
    if extra:
        return f"language {', '.join(extra)} is not among the business's ({', '.join(wanted)})"
    return None


class _Checker:
    def __init__(self, rules: Rules, catalogue: IntentSet,
                 tools: Mapping[str, Collection[str]] | None) -> None:
        self.rules = rules
        self.intents = {i.name for i in catalogue.for_business(rules.business.kind)}
        self.tools = None if tools is None else set(tools.get(rules.business.kind, ()))
        self.problems: list[tuple[Loc, str]] = []

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append((loc, message))

    def run(self) -> list[tuple[Loc, str]]:
        r = self.rules
        b = r.business
        if b.default_language not in b.languages:
            self.add(("business", "default_language"),
                     f"{b.default_language!r} is not among languages ({', '.join(b.languages)})")
        self.queue(("business", "default_queue"), b.default_queue)
        if b.menu is not None:
            self.menu(("business", "menu"), b.menu)
        self.check_language_keys()
        self.languages(("greetings",), r.greetings)
        for name, override in r.intents.items():
            if name not in self.intents:
                self.add(("intents", name), _choices("intent", name, self.intents))
            for language in override.examples:
                if language not in b.languages:
                    self.add(("intents", name, "examples", language),
                             f"language {language!r} is not among the business's")
        for name, tier in r.tiers.items():
            if not tier.numbers and not tier.record_tiers:
                self.add(("tiers", name), "a tier needs numbers or record_tiers")
        for i, tool in enumerate(r.tools or ()):
            self.tool(("tools", i), tool)
        self.check_menus()
        self.check_rules()
        for i, item in enumerate(r.qa or ()):
            for intent, queue in item.queues.items():
                if intent not in self.intents:
                    self.add(("qa", i, "queues", intent), _choices("intent", intent,
                                                                   self.intents))
                self.queue(("qa", i, "queues", intent), queue)
        return self.problems

    def languages(self, loc: Loc, texts: Mapping[str, str]) -> None:
        problem = _missing_languages(texts, self.rules)
        if problem:
            self.add(loc, problem)

    def queue(self, loc: Loc, name: str) -> None:
        if name not in self.rules.queues:
            self.add(loc, _choices("queue", name, self.rules.queues))

    def menu(self, loc: Loc, name: str) -> None:
        if name not in self.rules.menus:
            self.add(loc, _choices("menu", name, self.rules.menus))

    def tool(self, loc: Loc, name: str) -> None:
        if self.tools is not None and name not in self.tools:
            self.add(loc, f"unknown tool {name!r} for a {self.rules.business.kind} business "
                          f"(tools are: {', '.join(sorted(self.tools))})")

    def then(self, loc: Loc, then: Then) -> None:
        if then.queue is not None:
            self.queue((*loc, "queue"), then.queue)
        if then.menu is not None:
            self.menu((*loc, "menu"), then.menu)
        if then.tool is not None:
            self.tool((*loc, "tool"), then.tool)
        for i, tool in enumerate(then.tools or ()):
            self.tool((*loc, "tools", i), tool)
        if then.say:
            self.languages((*loc, "say"), then.say)

    def check_menus(self) -> None:
        for name, menu in self.rules.menus.items():
            loc: Loc = ("menus", name)
            self.languages((*loc, "prompt"), menu.prompt)
            digits = sorted(menu.options)
            for digit in digits:
                self.then((*loc, "options", digit), menu.options[digit])
                for other in digits:
                    if other != digit and other.startswith(digit):
                        self.add((*loc, "options", other), f"digits {other!r} overlap option "
                                 f"{digit!r} (a caller pressing {digit!r} is taken at once)")
            self.then((*loc, "on_timeout"), menu.on_timeout)
            self.then((*loc, "on_no_match"), menu.on_no_match)
        for loc, message in _menu_traps(self.rules.menus):
            self.add(loc, message)

    def check_language_keys(self) -> None:
        """Each key a language of the business's, one key per language, and no key a menu
        option too (or a prefix of one): a caller pressing it could mean either."""
        b = self.rules.business
        first: dict[str, str] = {}
        for key, language in b.language_keys.items():
            loc: Loc = ("business", "language_keys", key)
            if language not in b.languages:
                self.add(loc, f"language {language!r} is not among the business's "
                              f"({', '.join(b.languages)})")
            if language in first:
                self.add(loc, f"language {language!r} already has key {first[language]!r}")
            first.setdefault(language, key)
            for name, menu in self.rules.menus.items():
                for option in menu.options:
                    if option.startswith(key) or key.startswith(option):
                        self.add(loc, f"key {key!r} clashes with option {option!r} of menu "
                                      f"{name!r} (a caller pressing it would be ambiguous)")

    def check_rules(self) -> None:
        r = self.rules
        seen: dict[str, int] = {}
        catch_all: str | None = None
        for i, rule in enumerate(r.rules):
            loc: Loc = ("rules", i)
            if rule.name in seen:
                self.add((*loc, "name"), f"duplicate rule name {rule.name!r} "
                                         f"(also rules[{seen[rule.name]}])")
            seen.setdefault(rule.name, i)
            if catch_all is not None:
                self.add(loc, f"never reached: rule {catch_all!r} before it matches every call")
            w = rule.when
            for j, intent in enumerate(w.intent):
                if intent not in self.intents:
                    self.add((*loc, "when", "intent", j), _choices("intent", intent, self.intents))
            for j, language in enumerate(w.language):
                if language not in r.business.languages:
                    self.add((*loc, "when", "language", j), _choices(
                        "language", language, r.business.languages))
            for j, tier in enumerate(w.tier):
                if tier not in r.tiers:
                    self.add((*loc, "when", "tier", j), _choices("tier", tier, r.tiers))
            if w.menu is not None:
                self.menu((*loc, "when", "menu"), w.menu)
            if w.min_confidence is not None and not w.intent:
                self.add((*loc, "when", "min_confidence"), "min_confidence needs an intent")
            if (w.sentiment_below is not None and w.sentiment_above is not None
                    and w.sentiment_below <= w.sentiment_above):
                self.add((*loc, "when"), "sentiment_below must be above sentiment_above "
                                         "(no score is both)")
            self.then((*loc, "then"), rule.then)
            if w.is_empty() and catch_all is None:
                catch_all = rule.name


def _menu_traps(menus: Mapping[str, Menu]) -> Iterator[tuple[Loc, str]]:
    """Menus a caller cannot leave: no path out, or a silent caller going round for ever."""
    def targets(menu: Menu) -> list[Then]:
        return [*menu.options.values(), menu.on_timeout, menu.on_no_match]

    leaves = {name for name, m in menus.items()
              if any(t.action != "menu" for t in targets(m))}
    changed = True
    while changed:  # a menu leading to a menu that can be left can be left
        changed = False
        for name, m in menus.items():
            if name not in leaves and any(t.menu in leaves for t in targets(m)):
                leaves.add(name)
                changed = True
    for name in menus:
        if name not in leaves:
            yield ("menus", name), "menu cycle traps callers: no option ever leaves these menus"
    for event in ("on_timeout", "on_no_match"):
        for name in menus:
            chain, current = [name], menus[name]
            while getattr(current, event).action == "menu":
                nxt = getattr(current, event).menu
                if nxt not in menus:
                    break
                if nxt in chain:
                    if nxt == name:  # report each cycle once, at its first menu in file order
                        if min(chain, key=list(menus).index) == name:
                            yield ("menus", name, event), (
                                f"menu cycle traps callers: {' -> '.join([*chain, nxt])} "
                                f"({event} goes round for ever)")
                    break
                chain.append(nxt)
                current = menus[nxt]
