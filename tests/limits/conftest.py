"""One spec host per module: the rate-limit tests put distinct paths on it, so they can share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.servers import Host, running_host


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with running_host() as h:
        yield h
