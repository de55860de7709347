"""Imports go one way: telephony -> dialog|voice -> knowledge -> config."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "config": set(),
    "knowledge": {"config"},
    "dialog": {"knowledge", "config"},
    "voice": {"knowledge", "config"},
    "telephony": {"dialog", "voice", "knowledge", "config"},
}


def _our_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found.update(n.split(".")[0] for n in names if n.split(".")[0] in ALLOWED)
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_lower_layers(layer):
    for path in (ROOT / layer).rglob("*.py"):
        illegal = _our_imports(path) - ALLOWED[layer] - {layer}
        assert not illegal, f"{path.relative_to(ROOT)} imports {sorted(illegal)}"
