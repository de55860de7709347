"""Loading a rules file: read it, parse the YAML, validate types and then meaning, and raise
``RulesError`` listing every problem with its field path and line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.intents import IntentSet, sample_intents, sample_pack
from config.rules.checks import check_rules
from config.rules.fields import PATTERNS
from config.rules.locate import Loc, Problem, RulesError, duplicate_keys, locate
from config.rules.schema import Rules

__all__ = ["bundled_rules_file", "load_rules", "read_yaml", "validation_message"]


def bundled_rules_file(business: str) -> Path:
    """The rules of a sample business: its pack's business.yaml (config/data/packs/<business>)."""
    return sample_pack(business) / "business.yaml"


def load_rules(
    source: Path | str,
    *,
    catalogue: IntentSet | None = None,
    tools: Mapping[str, Collection[str]] | None = None,
    name: str | None = None,
) -> Rules:
    """Read and validate a rules file (a ``Path``) or its text (a ``str``).

    ``catalogue``: the intents rules may name (None: the shared ones and the samples'). ``tools``:
    business kind -> the tool names that exist (None: tool names are not checked). ``name``:
    how messages call the source (default: the file's name, or "rules").
    Raises ``RulesError`` listing every problem found.
    """
    where = name or (source.name if isinstance(source, Path) else "rules")
    root, data = read_yaml(source, where)

    def problem(loc: Loc, message: str) -> Problem:
        path, line = locate(root, loc)
        return Problem(where, path, line, message)

    if not isinstance(data, dict):
        kind = "an empty file" if data is None else type(data).__name__
        raise RulesError([problem((), f"expected a mapping with 'business', 'queues', ... "
                                      f"got {kind}")])
    duplicates = list(duplicate_keys(root)) if root is not None else []
    if duplicates:
        raise RulesError([Problem(where, locate(root, loc)[0], line, message)
                          for loc, line, message in duplicates])
    try:
        rules = Rules.model_validate(data)
    except ValidationError as e:
        raise RulesError([problem(tuple(err["loc"]), validation_message(err))
                          for err in e.errors()]) from None
    catalogue = catalogue if catalogue is not None else sample_intents()
    issues = check_rules(rules, catalogue, tools)
    if issues:
        raise RulesError([problem(loc, message) for loc, message in issues])
    return rules


def read_yaml(source: Path | str, where: str) -> tuple[yaml.Node | None, Any]:
    """A YAML file (a ``Path``) or text as its node tree (for lines) and its data; raises
    ``RulesError`` naming ``where`` and the line for a file that cannot be read or parsed."""
    if isinstance(source, Path):
        try:
            source = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise RulesError([Problem(where, "", None, f"cannot read: {e}")]) from e
    try:
        return yaml.compose(source, Loader=yaml.SafeLoader), yaml.safe_load(source)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RulesError([Problem(where, "", line, f"not valid YAML: {e.problem}")]) from None
    except yaml.YAMLError as e:
        raise RulesError([Problem(where, "", None, f"not valid YAML: {e}")]) from None


def validation_message(error: Any) -> str:
    """A pydantic error as an admin reads it."""
    message = str(error["msg"])
    # "Value error, unknown time zone ..." -> "unknown time zone ..."
    message = message.removeprefix("Value error, ")
    if error["type"] == "missing":
        return "required"
    if error["type"] == "extra_forbidden":
        return "not a known field (misspelt?)"
    got = error.get("input")
    if error["type"] == "string_pattern_mismatch":
        wanted = PATTERNS.get(error.get("ctx", {}).get("pattern", ""), "another form")
        return f"{got!r} is not {wanted}"
    if error["type"] in ("model_type", "dict_type"):
        return f"expected a mapping (got {type(got).__name__})"
    if error["type"] == "list_type":
        return f"expected a list (got {type(got).__name__})"
    if error["type"].endswith(("_type", "_parsing")) and not isinstance(got, dict | list):
        return f"{message} (got {got!r})"
    return message
