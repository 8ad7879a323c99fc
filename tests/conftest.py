"""Shared fixtures: where the real corpus lives, and whether its absence fails (CI) or skips (laptop)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def require_corpus() -> Path:
    """The corpus folder; skips the test when absent, fails instead under CI=true."""
    if not CORPUS.is_dir():
        reason = f"the real-data corpus is not at {CORPUS} (it lives beside the project as ../shared/corpus)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    return require_corpus()
