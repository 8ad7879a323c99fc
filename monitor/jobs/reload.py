"""Configuration changes without a restart: on SIGHUP and when the file changes, validated before anything moves.

An invalid edit is one ERROR line and the running configuration stays; a valid one is swapped in where it is read
(the scheduler's polls and service jobs, the status API's tokens and gate policy, a worker's job catalogue).
A few settings are bound to what the process opened at start (the database, the API's address, the fetcher's
allowed hosts): a change there is logged as taking effect at the next restart.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.config import Settings, load_settings
from monitor.errors import ConfigError

log = logging.getLogger("monitor.config")

CHECK_EVERY_S = 1.0  # how often the file is looked at (a read and a hash of a few kilobytes)
RESTART_ONLY = ("database_url", "allow_hosts")


@dataclass
class Live:
    """The settings in force; jobs read `current()` when they run, so a reload reaches the next run."""

    settings: Settings

    def current(self) -> Settings:
        return self.settings


def _stamp(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class ConfigReloader:
    """Watches one configuration file; `check()` reloads when asked (`request()`, from SIGHUP) or when it changed."""

    def __init__(self, path: Path, settings: Settings, apply: Callable[[Settings], None], *,
                 environ: dict[str, str] | None = None) -> None:  # fmt: skip
        self.path, self.settings, self._apply, self._environ = path, settings, apply, environ
        self._stamp = _stamp(path)
        self._requested = threading.Event()
        self._lock = threading.Lock()

    def request(self) -> None:
        """Reload at the next check (safe to call from a signal handler: it only sets a flag)."""
        self._requested.set()

    def check(self) -> bool:
        """Reload if asked to or if the file's content changed; True when a new configuration was applied."""
        with self._lock:
            stamp = _stamp(self.path)
            if not self._requested.is_set() and stamp == self._stamp:
                return False
            self._requested.clear()
            self._stamp = stamp
            try:
                new = load_settings(self.path, environ=self._environ)
            except ConfigError as exc:
                log.error("configuration not reloaded, the running one is kept: %s", exc)
                return False
            if new == self.settings:
                log.info("configuration %s unchanged", self.path)
                return False
            for key in RESTART_ONLY:
                if getattr(new, key) != getattr(self.settings, key):
                    log.warning("configuration: %s changed; it takes effect at the next restart", key)
                    new = new.model_copy(update={key: getattr(self.settings, key)})
            if (new.api.host, new.api.port) != (self.settings.api.host, self.settings.api.port):
                log.warning("configuration: api.host/api.port changed; they take effect at the next restart")
            try:
                self._apply(new)
            except Exception as exc:  # half applied is worse than not: say so loudly, keep what runs
                log.error("configuration %s could not be applied: %s", self.path, exc)
                return False
            self.settings = new
            log.info("configuration reloaded from %s", self.path)
            return True


def reconfigure_app(app: Any, settings: Settings) -> None:
    """The status API reads its settings from `app.state` per request: tokens, integrations and gate policy."""
    app.state.settings = settings
    gate = getattr(app.state, "gate", None)
    if gate is not None:  # same recorder (its queue and thread), new policy; cached decisions are dropped
        gate.settings = settings
        gate.fresh_for_s = settings.api.decision_cache.total_seconds()
        cache = getattr(gate, "_cache", None)
        if cache is not None:
            cache.clear()


class _DemoteToDebug(logging.Filter):
    """APScheduler's routine lines ("Adding job tentatively", "Job ... executed successfully", "Running job") say
    nothing a poll's own outcome line does not: DEBUG, so INFO shows one line per poll."""

    ROUTINE = ("Adding job tentatively", "executed successfully", "Running job", "Added job", "Removed job")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and any(p in str(record.msg) for p in self.ROUTINE):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


_FILTER = _DemoteToDebug()


def quiet_apscheduler() -> None:
    """Install the filter on APScheduler's loggers (idempotent)."""
    for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
