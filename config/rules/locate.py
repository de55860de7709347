"""Problems in a rules file and where they are: the field path and the YAML line.

``locate`` turns a pydantic-style location into the path an admin reads and the line of the
YAML node it names; ``duplicate_keys`` finds the repeated keys YAML itself would drop silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

__all__ = ["Loc", "Problem", "RulesError", "duplicate_keys", "locate"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rules file: where (field path, 1-based line) and what."""

    source: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source} line {self.line}" if self.line else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class RulesError(ValueError):
    """The rules file is unreadable or invalid; ``problems`` lists each one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))


Loc = tuple[int | str, ...]


def _is_internal(part: int | str) -> bool:
    # pydantic adds "[key]" for dict keys and "function-after[...]" for validators.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def locate(root: yaml.Node | None, loc: Loc) -> tuple[str, int | None]:
    """A pydantic-style location -> ("rules[3].then.queue", 1-based line of the deepest node)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    text = ""
    for part in loc:
        if _is_internal(part):
            continue
        child, child_line = _child(node, part)
        if child is None and child_line is None:
            node = None
            if isinstance(part, int):
                continue  # "intent: human" read as [human]: the scalar is the place
        else:
            node, line = child, child_line
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text, line


def _child(node: yaml.Node | None, part: int | str) -> tuple[yaml.Node | None, int | None]:
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            item = node.value[part]
            return item, item.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value, key.start_mark.line + 1
    return None, None


def duplicate_keys(node: yaml.Node, loc: Loc = ()) -> Iterator[tuple[Loc, int, str]]:
    """YAML keeps the last of two equal keys silently; a rules file may not have them."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            line = key.start_mark.line + 1
            if name in seen:
                yield (*loc, name), line, f"duplicate key {name!r} (first on line {seen[name]})"
            seen.setdefault(name, line)
            yield from duplicate_keys(value, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from duplicate_keys(item, (*loc, i))
