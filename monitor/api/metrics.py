"""Prometheus metrics: gate decisions and timings counted as they happen, store state read at scrape time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from monitor.store.models import Change, Source, Waiver, utcnow

log = logging.getLogger("monitor.api")


class StoreCollector(Collector):
    """Source health and current drift, read from the database when Prometheus scrapes (nothing cached to go stale)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        success = GaugeMetricFamily("monitor_source_last_success_timestamp_seconds",
                                    "When a source was last polled successfully", labels=["source"])  # fmt: skip
        failures = GaugeMetricFamily("monitor_source_consecutive_failures", "Failed polls in a row", labels=["source"])
        drift = GaugeMetricFamily(
            "monitor_drift_changes", "Current drift from the contract", labels=["source", "level"]
        )
        waivers = GaugeMetricFamily("monitor_waivers_active", "Waivers neither expired nor revoked")
        try:
            with Session(self._engine) as session:
                for s in session.exec(sa_select(Source)).scalars():  # type: ignore[call-overload]
                    if s.last_success_at is not None:
                        at = s.last_success_at if s.last_success_at.tzinfo else s.last_success_at.replace(tzinfo=UTC)
                        success.add_metric([s.id], at.timestamp())
                    failures.add_metric([s.id], s.consecutive_failures)
                for source_id, level, n in session.execute(
                    sa_select(Change.source_id, Change.level, func.count())
                    .where(Change.against == "contract", Change.status != "gone")
                    .group_by(Change.source_id, Change.level)
                ).all():
                    drift.add_metric([source_id, level], n)
                active = session.execute(
                    sa_select(func.count()).select_from(Waiver)
                    .where(col(Waiver.revoked_at).is_(None), col(Waiver.expires_at) > utcnow())
                ).scalar_one()  # fmt: skip
                waivers.add_metric([], active)
        except Exception as exc:  # a scrape must not fail because the database is down; readyz says so
            log.warning("metrics: cannot read the store: %s", type(exc).__name__)
            return
        yield from (success, failures, drift, waivers)


class Metrics:
    """One registry per app, so several apps (tests) in a process do not collide."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter("monitor_gate_decisions", "Gate decisions evaluated",
                                 ["integration", "environment", "decision"], registry=self.registry)  # fmt: skip
        self.gate_seconds = Histogram("monitor_gate_evaluation_seconds", "Time to evaluate and record a gate decision",
                                      buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
                                      registry=self.registry)  # fmt: skip
        self.registry.register(StoreCollector(engine))
