"""The catalogue of polls: one per configured source, with its job name, kind, interval and job function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.errors import InputError
from monitor.jobs import contract_tests, observe_traffic, poll_feeds, poll_specs
from monitor.redact import secrets_in_url
from monitor.sources.fetcher import Fetcher

PollFn = Callable[[Settings, Engine, Fetcher, str, datetime | None], dict[str, Any]]

JOBS: dict[str, PollFn] = {
    poll_specs.JOB: poll_specs.run,
    poll_feeds.JOB: poll_feeds.run,
    contract_tests.JOB: contract_tests.run,
    observe_traffic.JOB: observe_traffic.run,
}


@dataclass(frozen=True, slots=True)
class Poll:
    """One target to run a job on (a source to poll, a sandbox suite to test): `run(settings, engine, fetcher,
    source_id, now)` is the job function."""

    job: str
    source_id: str
    kind: str  # spec, feed, page, sandbox
    every: timedelta
    url: str  # unmasked: only `secrets` and masked forms of it may reach logs or the store
    run: PollFn

    @property
    def secrets(self) -> list[str]:
        return secrets_in_url(self.url)


def polls_for(settings: Settings, *, only: str | None = None, job: str | None = None) -> list[Poll]:
    """Every configured poll in config order, optionally one source (`platform/name`) or one job's sources."""
    if job is not None and job not in JOBS:
        raise InputError(f"unknown job {job!r}; jobs: {', '.join(JOBS)}")
    polls = (
        [
            Poll(poll_specs.JOB, f"{p}/{n}", "spec", s.every, s.url, poll_specs.run)
            for p, n, s in settings.spec_sources()
        ]
        + [
            Poll(poll_feeds.JOB, f"{p}/{n}", f.kind, f.every, f.url, poll_feeds.run)
            for p, n, f in settings.feed_sources()
        ]
        + [
            Poll(contract_tests.JOB, p, "sandbox", s.every, s.base_url, contract_tests.run)
            for p, s in settings.sandboxes()
            if s.every is not None  # on-demand only suites run from `monitor test SUITE`
        ]
        + [
            Poll(observe_traffic.JOB, f"{p}/{n}", "traffic", o.every, str(o.folder), observe_traffic.run)
            for p, n, o in settings.observe_sources()
            if o.folder is not None  # contract-run answers are observed by the runs themselves
        ]
    )
    if job is not None:
        polls = [p for p in polls if p.job == job]
    if only is not None:
        polls = [p for p in polls if p.source_id == only]
        if not polls:
            known = [p.source_id for p in polls_for(settings, job=job)]
            shown = ", ".join(known[:10]) + (f", ... ({len(known)} in all)" if len(known) > 10 else "")
            raise InputError(f"{only}: no such source in the configuration (configured: {shown or 'none'})")
    return polls
