"""Fixtures of the job tests: the local spec host and a fast fetcher allowed to reach it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.sources.fetcher import Fetcher, FetchPolicy
from tests.jobs.spec_host import SpecHost, running_spec_host


@pytest.fixture
def host() -> Iterator[SpecHost]:
    with running_spec_host() as h:
        yield h


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), read_timeout_s=5.0, deadline_s=10.0, retries=0)
    with Fetcher(policy) as f:
        yield f
