"""Where things are, for tests anywhere under tests/: the repository, tests/, labelled data."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DATA = TESTS / "data"
