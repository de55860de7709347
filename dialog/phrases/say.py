"""``say(key, language, **values)``: the one way to a line the caller hears.

The lines are data: ``dialog/phrases/data/<language>.yaml``, one file per spoken language,
each a few groups (``call``, ``dialog``, ``tasks``, ``outcomes``, ``sms``, ``hints``) of
``key: template``. The groups only order the file: a key is unique across them and ``say``
takes the bare key. A template is a ``str.format`` template (``{business}``, ``{digits}``).

The files are read once, on first use, and checked then: every value a string that
``str.format`` can read, no key twice, and every spoken language with exactly the keys of
the primary language and, per key, the same ``{placeholders}``. A broken file fails with
``PhraseError`` naming the file and the key.

One fallback rule: a language that is not spoken ("it", "") is the primary one (English);
a regional tag is its language ("es-MX" -> "es"). Every spoken language has every key, so
nothing else ever falls back. An unknown key is a ``KeyError`` naming it.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from config.languages import PRIMARY, SPOKEN, supported

__all__ = ["PhraseError", "keys", "placeholders", "say", "templates"]

DATA = Path(__file__).resolve().parent / "data"


class PhraseError(ValueError):
    """A phrase file that cannot be used as it is."""


def say(key: str, language: str | None, /, **values: Any) -> str:
    """The line ``key`` in ``language`` (see ``supported``), with ``values`` filled in."""
    table = templates(supported(language))
    try:
        template = table[key]
    except KeyError:
        raise KeyError(f"no phrase {key!r} in {DATA / (supported(language) + '.yaml')}") \
            from None
    try:
        return template.format(**values)
    except KeyError as e:
        raise KeyError(f"phrase {key!r} needs the value {e.args[0]!r}") from None


def keys() -> frozenset[str]:
    """Every phrase key (each spoken language has them all)."""
    return frozenset(templates(PRIMARY))


def placeholders(template: str) -> frozenset[str]:
    """The ``{names}`` a template fills in."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


@cache
def _all() -> dict[str, dict[str, str]]:
    tables = {language: _load(DATA / f"{language}.yaml") for language in SPOKEN}
    primary = tables[PRIMARY]
    for language, table in tables.items():
        where = DATA / f"{language}.yaml"
        missing = sorted(primary.keys() - table.keys())
        extra = sorted(table.keys() - primary.keys())
        if missing or extra:
            raise PhraseError(f"{where}: keys missing {missing}, keys unknown in "
                              f"{PRIMARY}.yaml {extra}")
        for key, template in table.items():
            if placeholders(template) != placeholders(primary[key]):
                raise PhraseError(f"{where}: {key}: placeholders "
                                  f"{sorted(placeholders(template))}, {PRIMARY}.yaml has "
                                  f"{sorted(placeholders(primary[key]))}")
    return tables


def templates(language: str) -> dict[str, str]:
    """Key -> template of a spoken language (read and checked once)."""
    return _all()[language]


class _Loader(yaml.SafeLoader):
    """YAML that rejects a key written twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise PhraseError(f"{self.name}: {key}: the key is written twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _load(path: Path) -> dict[str, str]:
    """The file's templates, its groups flattened; ``PhraseError`` when it is malformed."""
    try:
        with path.open(encoding="utf-8") as stream:
            data = yaml.load(stream, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except (OSError, yaml.YAMLError) as e:
        raise PhraseError(f"{path}: cannot be read: {e}") from e
    if not isinstance(data, dict):
        raise PhraseError(f"{path}: expected groups of 'key: template'")
    table: dict[str, str] = {}
    for group, lines in data.items():
        if not isinstance(lines, dict):
            raise PhraseError(f"{path}: {group}: expected 'key: template' lines")
        for key, template in lines.items():
            if key in table:
                raise PhraseError(f"{path}: {group}.{key}: the key is in another group too")
            if not isinstance(template, str):
                raise PhraseError(f"{path}: {group}.{key}: expected text, got "
                                  f"{type(template).__name__}")
            try:
                placeholders(template)
            except ValueError as e:
                raise PhraseError(f"{path}: {group}.{key}: not a format template: {e}") from e
            table[str(key)] = template
    return table
