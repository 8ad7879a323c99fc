"""What a worker process holds for its tasks: settings, one engine, one fetcher, the job catalogue by key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from procrastinate import App
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.jobs.polls import Poll, polls_for
from monitor.sources.fetcher import Fetcher


@dataclass
class Runtime:
    """Handed to every task through procrastinate's `additional_context` (key `runtime`), never a global."""

    settings: Settings
    engine: Engine
    fetcher: Fetcher
    app: App
    polls: dict[tuple[str, str], Poll] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.polls:
            self.polls = {(p.job, p.source_id): p for p in polls_for(self.settings)}

    def apply(self, settings: Settings) -> None:
        """A reloaded configuration: tasks read `settings` and `polls` when they run, so the next ones use it."""
        self.settings = settings
        self.polls = {(p.job, p.source_id): p for p in polls_for(settings)}

    @property
    def stalled_after(self) -> timedelta:
        return self.settings.distributed.stalled_after
