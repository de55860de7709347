"""The README's settings table names every setting of the settings model, and nothing else."""

from __future__ import annotations

import re

from pydantic import BaseModel
from testpaths import ROOT

from config.settings import Settings

PREFIX = "FRONTDESK_"


def model_variables(model: type[BaseModel], prefix: str = PREFIX) -> set[str]:
    """Every environment variable the model reads: a nested section's fields by their own
    names (``FRONTDESK_STT__MODEL``); a map or a list is one variable (JSON)."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= model_variables(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def table_variables(readme: str) -> set[str]:
    """The variables in the first column of the "## Settings" table. ``__NAME`` after a full
    name is a sibling of it (``FRONTDESK_STT__CPU_THREADS``, ``__MAX_CONCURRENT``)."""
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in section.splitlines():
        if not row.startswith("| `"):
            continue
        last = ""
        for name in re.findall(r"`([A-Z_]+)`", row.split(" | ", 1)[0]):
            if name.startswith("__"):
                name = last.rsplit("__", 1)[0] + name
            names.add(name)
            last = name
    return names


def test_the_readme_table_names_every_setting_and_only_those():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected, listed = model_variables(Settings), table_variables(readme)
    assert not expected - listed, f"not in the README table: {sorted(expected - listed)}"
    assert not listed - expected, f"in the README table, not settings: {sorted(listed - expected)}"
