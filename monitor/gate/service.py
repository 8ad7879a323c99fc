"""The gate as a service: decisions reused for a moment per (integration, environment), recorded in batches.

Pipelines poll the gate, often many at once for the same integration, while its inputs change only when a poll,
a sandbox run or a waiver writes. So an evaluated decision is reused for `fresh_for` (default 5 s; 0 disables),
then answered for at most one more `fresh_for` while a background evaluation refreshes it (an answer is never more
than 2 x fresh_for plus one evaluation old), and waiver changes made through the API drop the cache at once. Every answer is still recorded in the audit trail,
but by a background writer in batches (one transaction per batch instead of one per request); `flush()` waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Boolean, DateTime, TextClause, bindparam, text
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.gate.decision import UnknownTarget, evaluate
from monitor.store.session import session_scope

log = logging.getLogger("monitor.gate")

BATCH = 500  # decisions per insert at most
LINGER_S = 0.2  # after the first decision of a batch, wait this long for more: a few transactions a second, not 500


class DecisionRecorder:
    """A daemon thread that inserts submitted decisions in batches; started on first use."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._serialised: tuple[tuple[Any, Any, Any] | None, str, str] = (None, "", "")

    def submit(self, answer: dict[str, Any]) -> None:
        with self._lock:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="monitor-gate-recorder", daemon=True)
                self._thread.start()
        self._queue.put(answer)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Return once everything submitted so far is written (or failed and was logged)."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s)

    def close(self) -> None:
        self.flush()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            time.sleep(LINGER_S)
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            self._write(batch)
            with self._idle:
                self._pending -= len(batch)
                self._idle.notify_all()

    def _write(self, batch: list[dict[str, Any]]) -> None:
        rows = [self._row(answer) for answer in batch]
        try:
            with session_scope(self._engine) as session:
                session.execute(_insert_sql(self._engine.dialect.name), rows)
        except Exception as exc:  # the answers were given; losing their record is logged, never raised at a caller
            log.error("could not record %d gate decision(s): %s", len(rows), type(exc).__name__)

    def _row(self, answer: dict[str, Any]) -> dict[str, Any]:
        # Answers from one evaluation share their reasons and policy: serialise them once (orjson), not per row.
        # The memo holds the objects themselves (compared with `is`), so their ids cannot be reused meanwhile.
        source = (answer["reasons"], answer["waived"], answer["policy"])
        memo = self._serialised[0]
        if memo is None or any(a is not b for a, b in zip(memo, source, strict=True)):
            reasons = orjson.dumps(answer["reasons"] + answer["waived"]).decode()
            self._serialised = (source, reasons, orjson.dumps(answer["policy"]).decode())
        return {
            "integration": answer["integration"], "environment": answer["environment"], "version": answer["version"],
            "decision": answer["decision"], "deployable": answer["deployable"], "report_only": answer["report_only"],
            "reasons": self._serialised[1], "policy": self._serialised[2],
            "evaluated_at": datetime.fromisoformat(answer["evaluated_at"]),
        }  # fmt: skip


def _insert_sql(dialect: str) -> TextClause:
    """A plain INSERT with the JSON already serialised: the ORM's JSON type would run json.dumps on every row, and
    on PostgreSQL its multi-row VALUES building held the GIL long enough to show in the gate's p99 (bench)."""
    as_json = "CAST({} AS JSON)" if dialect == "postgresql" else "{}"  # SQLite keeps JSON as TEXT
    return text(
        "INSERT INTO gatedecision (integration, environment, version, decision, deployable, report_only, reasons, "
        f"policy, evaluated_at) VALUES (:integration, :environment, :version, :decision, :deployable, :report_only, "
        f"{as_json.format(':reasons')}, {as_json.format(':policy')}, :evaluated_at)"
    ).bindparams(  # typed as the table's columns, so values are stored exactly as the ORM stores them
        bindparam("evaluated_at", type_=DateTime(timezone=True)),
        bindparam("deployable", type_=Boolean()),
        bindparam("report_only", type_=Boolean()),
    )


class GateService:
    """Evaluate (or reuse a fresh decision), answer, and hand the answer to the recorder."""

    def __init__(self, settings: Settings, engine: Engine, *, fresh_for: timedelta) -> None:
        self.settings = settings
        self.engine = engine
        self.fresh_for_s = fresh_for.total_seconds()
        self.recorder = DecisionRecorder(engine)
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._inflight: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}

    def check(self, integration: str, environment: str) -> None:
        """Refuse unknown names before any database work."""
        config = self.settings.integrations.get(integration)
        if config is None:
            raise UnknownTarget(f"unknown integration {integration!r}")
        if environment not in config.environments:
            raise UnknownTarget(f"integration {integration!r} has no environment {environment!r}")

    def evaluate(self, integration: str, environment: str) -> dict[str, Any]:
        """A fresh evaluation (blocking: database reads), cached for `fresh_for`."""
        started = time.monotonic()
        with session_scope(self.engine) as session:
            decision = evaluate(session=session, settings=self.settings, integration=integration,
                                environment=environment, now=datetime.now(UTC))  # fmt: skip
        answer = decision.to_json()
        if self.fresh_for_s > 0:
            with self._lock:
                self._cache[(integration, environment)] = (started, answer)
        return answer

    async def decide(self, integration: str, environment: str) -> dict[str, Any]:
        """A fresh-enough decision. Concurrent misses for one key share one evaluation; a decision that has just
        expired (within a second `fresh_for`) is still answered while one request refreshes it in the background,
        so no request waits for an evaluation except the first, or the first after a waiver change."""
        self.check(integration, environment)
        key = (integration, environment)
        with self._lock:
            hit = self._cache.get(key)
        age = time.monotonic() - hit[0] if hit is not None else None
        if hit is not None and age is not None and age <= self.fresh_for_s:
            return hit[1]
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(asyncio.to_thread(self.evaluate, integration, environment))
            self._inflight[key] = future
            future.add_done_callback(lambda done: self._settle(key, done))
        if hit is not None and age is not None and age <= 2 * self.fresh_for_s:
            return hit[1]
        return await asyncio.shield(future)

    def _settle(self, key: tuple[str, str], done: asyncio.Future[dict[str, Any]]) -> None:
        self._inflight.pop(key, None)
        if not done.cancelled() and done.exception() is not None:  # retrieved here, so never "never retrieved"
            log.debug("gate evaluation failed: %s", type(done.exception()).__name__)

    def invalidate(self) -> None:
        """Waivers changed: the next request evaluates again."""
        with self._lock:
            self._cache.clear()

    def answer(self, template: dict[str, Any], version: str | None) -> dict[str, Any]:
        """This request's answer (its version) from an evaluation, submitted for recording."""
        answer = {**template, "version": version, "id": None}
        self.recorder.submit(answer)
        return answer
