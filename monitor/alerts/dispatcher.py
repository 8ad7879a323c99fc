"""Deliver the outbox: route new alerts, then send each destination's due deliveries in order, once.

Each delivery is claimed (a conditional UPDATE, committed) before it is sent and marked with Slack's `ts` after.
A process that dies between the two leaves the row `sending`; its claim is a short lease renewed while the process
works, so it expires seconds after a crash. The next dispatcher then asks the destination whether a message carrying
the row's delivery key exists (Slack: message metadata in the channel's history) and marks it sent instead of
posting again. See docs/alerts.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.hooks import firing_sandboxes
from monitor.alerts.messages import followup_message, group_message, group_title, resolved_parent
from monitor.alerts.routing import ActiveSilence, active_silences, destinations, group_key, silenced_by
from monitor.alerts.slack import SlackTransport
from monitor.alerts.transport import DeliveryError, Sent, Transport
from monitor.alerts.webhook import WebhookTransport
from monitor.config import Settings
from monitor.redact import error_line
from monitor.store.models import Alert, AlertDelivery, AlertThread, utcnow
from monitor.store.session import session_scope

log = logging.getLogger("monitor.alerts")

# A claim not renewed for this long belongs to a dead process: a crash holds its destination this long, no more.
LEASE = timedelta(seconds=15)
RENEW_FRACTION = 3  # renewed every lease/3 (5 s): two renewals may be late before the claim lapses
BASE_BACKOFF = timedelta(seconds=5)
ROUTE_BATCH = 500
DELIVERY_BATCH = 500


@dataclass
class DispatchStats:
    routed: int = 0
    silenced: int = 0
    inhibited: int = 0
    suppressed: int = 0
    sent: int = 0  # deliveries marked sent (messages posted or found after a crash)
    messages: int = 0  # messages posted
    recovered: int = 0  # deliveries found already sent after a crash
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def build_transports(settings: Settings) -> dict[str, Transport]:
    transports: dict[str, Transport] = {}
    if settings.alerts.slack is not None:
        transports["slack"] = SlackTransport(settings.alerts.slack)
    for hook in settings.alerts.webhooks:
        transports[f"webhook:{hook.name}"] = WebhookTransport(hook)
    return transports


def is_configured(settings: Settings) -> bool:
    return settings.alerts.slack is not None or bool(settings.alerts.webhooks)


class Dispatcher:
    """One per process; `run_once` is the scheduled job. `after_post` lets tests die between sending and marking."""

    def __init__(
        self, settings: Settings, engine: Engine, *, transports: dict[str, Transport] | None = None,
        lease: timedelta = LEASE, base_backoff: timedelta = BASE_BACKOFF,
        after_post: Callable[[list[AlertDelivery]], None] | None = None,
    ) -> None:  # fmt: skip
        self.settings, self.engine = settings, engine
        self.transports = build_transports(settings) if transports is None else transports
        self.lease, self.base_backoff, self.after_post = lease, base_backoff, after_post

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        for transport in self.transports.values():
            close = getattr(transport, "close", None)
            if close:
                close()

    def run_once(self, now: datetime | None = None) -> DispatchStats:
        now = now or utcnow()
        stats = DispatchStats()
        with session_scope(self.engine) as session:
            route_new(session=session, settings=self.settings, now=now, stats=stats)
        with session_scope(self.engine) as session:
            due = session.exec(
                select(AlertDelivery.destination)
                .where(col(AlertDelivery.status).in_(("pending", "sending")))
                .distinct()
                .order_by(AlertDelivery.destination)
            ).all()
        for destination in due:
            self._deliver(destination, now, stats)
        return stats

    # -- one destination, in order --------------------------------------------------------------------------------

    def _deliver(self, destination: str, now: datetime, stats: DispatchStats) -> None:
        transport, target = self._transport(destination)
        if transport is None:  # routed under an older config: keep it until the destination is configured again
            return
        with session_scope(self.engine) as session:
            rows = list(session.exec(
                select(AlertDelivery)
                .where(AlertDelivery.destination == destination, col(AlertDelivery.status).in_(("pending", "sending")))
                .order_by(col(AlertDelivery.id))
                .limit(DELIVERY_BATCH)
            ).all())  # fmt: skip
            threads = _threads(session, destination, {r.fingerprint for r in rows})
            last_sent = _last_group_sent(session, destination, {r.group_key for r in rows})
        handled: set[int] = set()
        for row in rows:
            if row.id in handled:
                continue
            if not _is_due(row, now):
                return  # the head waits (backoff, or another dispatcher holds it): nothing overtakes it
            thread = threads.get(row.fingerprint)
            if thread is not None:
                batch = [row]
            else:
                seen: set[str] = set()
                batch = []
                for r in rows:
                    if (r.group_key == row.group_key and r.id not in handled and r.fingerprint not in threads
                            and r.fingerprint not in seen and _is_due(r, now)):  # fmt: skip
                        batch.append(r)
                        seen.add(r.fingerprint)
                if not self._group_ready(batch, last_sent.get(row.group_key), now):
                    handled.update(r.id or 0 for r in batch)  # held on purpose (group wait/interval), not failed
                    continue
            handled.update(r.id or 0 for r in batch)
            if not self._send(transport, destination, target, batch, thread, now, stats):
                return
            with session_scope(self.engine) as session:
                threads.update(_threads(session, destination, {r.fingerprint for r in batch}))  # the new threads
            last_sent[row.group_key] = now

    def _group_ready(self, batch: list[AlertDelivery], last: datetime | None, now: datetime) -> bool:
        if last is None:
            return min(_aware(r.created_at) for r in batch) + self.settings.alerts.group_wait <= now
        return last + self.settings.alerts.group_interval <= now

    def _transport(self, destination: str) -> tuple[Transport | None, str]:
        kind, _, target = destination.partition(":")
        if kind == "slack":
            return self.transports.get("slack"), target
        return self.transports.get(destination), target

    # -- claim, send, mark ----------------------------------------------------------------------------------------

    def _send(self, transport: Transport, destination: str, target: str, batch: list[AlertDelivery],
              thread: AlertThread | None, now: datetime, stats: DispatchStats) -> bool:  # fmt: skip
        ids = [r.id for r in batch]
        uncertain = [r for r in batch if r.status == "sending"]  # an expired claim: maybe sent before a crash
        # The channel's id travels with the delivery: the history lookup after a crash needs an id, not a name.
        known = thread.channel if thread is not None else transport.known_channel(target)
        values: dict[str, object] = {"status": "sending", "claimed_until": now + self.lease,
                                     "attempts": AlertDelivery.attempts + 1}  # fmt: skip
        if known:
            values["channel"] = known
        with session_scope(self.engine) as session:
            claimed = session.execute(
                update(AlertDelivery).where(col(AlertDelivery.id).in_(ids), _claimable(now)).values(**values)
            ).rowcount  # type: ignore[attr-defined]
            if claimed != len(ids):
                session.rollback()
                return False  # another dispatcher took part of it: leave the whole batch to it
        return self._send_claimed(transport, destination, target, batch, uncertain, thread, now, stats)

    @contextmanager
    def _renewed(self, batch: list[AlertDelivery], now: datetime) -> Iterator[None]:
        """Keep the claim alive while this process works on it; a killed process stops renewing at once."""
        stop = threading.Event()
        started = time.monotonic()
        ids = [r.id for r in batch]

        def renew() -> None:
            while not stop.wait(self.lease.total_seconds() / RENEW_FRACTION):
                until = now + timedelta(seconds=time.monotonic() - started) + self.lease
                try:
                    with session_scope(self.engine) as session:
                        session.execute(update(AlertDelivery)
                                        .where(col(AlertDelivery.id).in_(ids), AlertDelivery.status == "sending")
                                        .values(claimed_until=until))  # fmt: skip
                except Exception as exc:  # the next renewal may succeed; the claim itself is still valid
                    log.warning("cannot renew the claim on deliveries %s: %s", ids, error_line(exc))

        thread = threading.Thread(target=renew, name="alert-claim-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _send_claimed(self, transport: Transport, destination: str, target: str, batch: list[AlertDelivery],
                      uncertain: list[AlertDelivery], thread: AlertThread | None, now: datetime,
                      stats: DispatchStats) -> bool:  # fmt: skip
        with session_scope(self.engine) as session:
            alerts = {r.id: session.get(Alert, r.alert_id) for r in batch}
        title = group_title([a for a in alerts.values() if a is not None]) if thread is None else thread.title
        batch = list(batch)
        try:
            with self._renewed(batch, now):  # stopped before a failure is marked, so no renewal overwrites it
                sent = self._find_and_post(transport, destination, target, batch, uncertain, alerts, thread, now,
                                           stats, title)  # fmt: skip
        except DeliveryError as exc:
            self._mark_failed(destination, batch, exc, now, stats, unsure={r.id for r in uncertain})
            return False
        if sent is None:
            return True
        present = [a for r in batch if (a := alerts.get(r.id)) is not None]
        stats.messages += 1
        if self.after_post is not None:
            self.after_post(batch)
        self._mark_sent(destination, batch, thread, sent, now, title)
        stats.sent += len(batch)
        if thread is not None and present and present[0].state == "resolved":
            self._resolve_parent(transport, destination, thread)
        return True

    def _find_and_post(self, transport: Transport, destination: str, target: str, batch: list[AlertDelivery],
                       uncertain: list[AlertDelivery], alerts: dict[int | None, Alert | None],
                       thread: AlertThread | None, now: datetime, stats: DispatchStats,
                       title: str) -> Sent | None:  # fmt: skip
        """Mark what a crashed predecessor sent and drop it from `batch`; post the rest (None: nothing left)."""
        if uncertain:
            # No message about a delivery can be older than the delivery itself (a minute for clock skew).
            since = min(_aware(r.created_at) for r in uncertain) - timedelta(minutes=1)
            where = thread.channel if thread else next((r.channel for r in uncertain if r.channel), target)
            found = transport.find(target=where, delivery_keys=[r.delivery_key for r in uncertain], since=since,
                                   thread_ts=thread.ts if thread else None)  # fmt: skip
            done = [r for r in batch if r.delivery_key in found]
            if done:
                self._mark_sent(destination, done, thread, found[done[0].delivery_key], now, title)
                stats.sent += len(done)
                stats.recovered += len(done)
                log.warning("%s: %d alert(s) were sent before a restart: marked, not sent again",
                            destination, len(done))  # fmt: skip
                batch[:] = [r for r in batch if r.delivery_key not in found]  # in place: the caller marks the rest
                if not batch:
                    return None
        present = [a for r in batch if (a := alerts.get(r.id)) is not None]
        if thread is not None:
            message = followup_message(present[0], is_repeat=thread.state == "firing")
        else:
            message = group_message(present, dashboard_url=self.settings.alerts.dashboard_url)
        return transport.post(target=target, message=message, delivery_keys=[r.delivery_key for r in batch],
                              thread_ts=thread.ts if thread else None)  # fmt: skip

    def _mark_sent(self, destination: str, batch: list[AlertDelivery], thread: AlertThread | None, sent: Sent,
                   now: datetime, title: str) -> None:  # fmt: skip
        channel, ts = sent.channel, sent.ts
        with session_scope(self.engine) as session:
            for r in batch:
                row = session.get(AlertDelivery, r.id)
                assert row is not None
                row.status, row.sent_at, row.claimed_until, row.last_error = "sent", now, None, None
                row.channel, row.ts = channel, ts
                row.thread_ts = thread.ts if thread else None
                alert = session.get(Alert, r.alert_id)
                state = alert.state if alert else "info"
                if thread is not None:
                    t = session.get(AlertThread, thread.id)
                    if t is not None:
                        t.last_notified_at = now
                        if state in ("firing", "resolved"):
                            t.state = state
                elif ts and channel:  # the first message about this fingerprint here: its thread
                    session.add(AlertThread(destination=destination, fingerprint=r.fingerprint, channel=channel, ts=ts,
                                            title=title[:500], state=state,
                                            last_notified_at=now))  # fmt: skip

    def _mark_failed(self, destination: str, batch: list[AlertDelivery], exc: DeliveryError, now: datetime,
                     stats: DispatchStats, unsure: set[int | None]) -> None:  # fmt: skip
        message = error_line(exc)
        attempts = (batch[0].attempts or 0) + 1
        backoff = min(self.settings.alerts.max_backoff, self.base_backoff * (2 ** min(attempts - 1, 20)))
        if exc.is_config_problem:
            backoff = self.settings.alerts.max_backoff
        if exc.retry_after_s:
            backoff = max(backoff, timedelta(seconds=exc.retry_after_s))
        with session_scope(self.engine) as session:
            for r in batch:
                row = session.get(AlertDelivery, r.id)
                assert row is not None
                is_new_error = row.last_error != message
                row.last_error, row.next_attempt_at = message, now + backoff
                # No answer, or a crash before and the history check itself failed: look before posting again.
                if exc.maybe_sent or r.id in unsure:
                    row.status, row.claimed_until = "sending", now + backoff
                else:
                    row.status, row.claimed_until = "pending", None
        stats.failed += len(batch)
        stats.errors.append(message)
        line = "%s: %d alert(s) not delivered (attempt %d, next in %ds, kept): %s"
        args = (destination, len(batch), attempts, int(backoff.total_seconds()), message)
        if exc.is_config_problem:
            log.error(line, *args)
        elif is_new_error:
            log.warning(line, *args)
        else:
            log.debug(line, *args)

    def _resolve_parent(self, transport: Transport, destination: str, thread: AlertThread) -> None:
        """When every fingerprint the first message announced is resolved, rewrite that message as resolved."""
        with session_scope(self.engine) as session:
            states = session.exec(
                select(AlertThread.state).where(AlertThread.destination == destination, AlertThread.ts == thread.ts)
            ).all()
        if "firing" in states or "resolved" not in states:  # info threads neither block nor resolve
            return
        try:
            transport.update(channel=thread.channel, ts=thread.ts, message=resolved_parent(thread.title))
        except DeliveryError as exc:  # cosmetic: the resolution itself is in the thread already
            log.warning("%s: cannot mark message %s resolved: %s", destination, thread.ts, error_line(exc))


# -- routing --------------------------------------------------------------------------------------------------------


def route_new(*, session: Session, settings: Settings, now: datetime, stats: DispatchStats | None = None) -> None:
    """Turn new alerts into deliveries: silenced, inhibited, repeats and empty resolutions stop here."""
    stats = stats or DispatchStats()
    silences = active_silences(session=session, settings=settings, now=now)
    _release_ended_silences(session, silences)
    # Another dispatcher routing at the same moment skips the rows this one holds (PostgreSQL; SQLite serialises).
    query = select(Alert).where(Alert.status == "new").order_by(col(Alert.id)).limit(ROUTE_BATCH)
    alerts = session.exec(query.with_for_update(skip_locked=True)).all()
    if not alerts:
        return
    down = firing_sandboxes(session=session, suites=[a.labels.get("suite", "") for a in alerts
                                                     if a.kind == "operation"])  # fmt: skip
    for alert in alerts:
        alert.routed_at = now
        silence = silenced_by(silences, alert.labels)
        if silence is not None:
            alert.status = "silenced"
            alert.note = f"silenced ({silence.origin}) until {silence.ends_at.isoformat()}: {silence.reason}"[:500]
            stats.silenced += 1
            continue
        if alert.kind == "operation" and alert.state == "firing" and alert.labels.get("suite") in down:
            alert.status, alert.note = "inhibited", f"inhibited: the {alert.labels.get('suite')} sandbox is down"
            stats.inhibited += 1
            continue
        targets = destinations(settings, alert)
        made = 0
        for destination in targets:
            if _is_repeat(session, settings, destination, alert, now):
                continue
            session.add(AlertDelivery(alert_id=alert.id or 0, destination=destination, fingerprint=alert.fingerprint,
                                      group_key=group_key(settings, alert)[:300], delivery_key=uuid4().hex,
                                      next_attempt_at=now, created_at=alert.created_at))  # fmt: skip
            made += 1
        if made or not targets:
            alert.status = "routed"
            alert.note = None if targets else "no route matches"
            stats.routed += 1
        else:
            alert.status, alert.note = "suppressed", "already notified (repeat interval) or nothing to resolve"
            stats.suppressed += 1
        session.flush()


def _release_ended_silences(session: Session, silences: list[ActiveSilence]) -> None:
    """As Alertmanager does: an alert still firing when its silence ends is notified then. One that a later alert
    of the same fingerprint (resolved, fired again) has superseded stays quiet: that later alert speaks for it."""
    query = select(Alert).where(Alert.status == "silenced", Alert.state == "firing").order_by(col(Alert.id))
    for alert in session.exec(query.limit(ROUTE_BATCH).with_for_update(skip_locked=True)).all():
        if silenced_by(silences, alert.labels) is not None:
            continue
        newer = session.exec(select(Alert.id).where(Alert.fingerprint == alert.fingerprint, col(Alert.id) > alert.id)
                             .limit(1)).first()  # fmt: skip
        if newer is None:
            alert.status, alert.note = "new", "its silence ended while it was still firing"
        else:
            alert.status, alert.note = "suppressed", "its silence ended; a later alert of the same thing superseded it"
    session.flush()


def _is_repeat(session: Session, settings: Settings, destination: str, alert: Alert, now: datetime) -> bool:
    """A firing alert already told recently (or about to be), or a resolution of something never told."""
    if alert.state == "info":
        return False
    unsent = session.exec(
        select(Alert.state)
        .join(AlertDelivery, col(AlertDelivery.alert_id) == col(Alert.id))
        .where(
            AlertDelivery.destination == destination,
            AlertDelivery.fingerprint == alert.fingerprint,
            col(AlertDelivery.status).in_(("pending", "sending")),
        )
        .order_by(col(AlertDelivery.id).desc())
    ).first()
    thread = session.exec(
        select(AlertThread).where(AlertThread.destination == destination, AlertThread.fingerprint == alert.fingerprint)
    ).first()
    told = unsent if unsent is not None else (thread.state if thread is not None else None)
    if alert.state == "resolved":
        return told != "firing"
    if unsent == "firing":
        return True
    return (thread is not None and thread.state == "firing"
            and _aware(thread.last_notified_at) + settings.alerts.repeat_interval > now)  # fmt: skip


# -- helpers --------------------------------------------------------------------------------------------------------


def _claimable(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        AlertDelivery.status == "pending",
        and_(AlertDelivery.status == "sending", col(AlertDelivery.claimed_until) < now),
    )


def _is_due(row: AlertDelivery, now: datetime) -> bool:
    if row.status == "sending":
        return row.claimed_until is not None and _aware(row.claimed_until) < now
    return _aware(row.next_attempt_at) <= now


def _threads(session: Session, destination: str, fingerprints: set[str]) -> dict[str, AlertThread]:
    if not fingerprints:
        return {}
    rows = session.exec(
        select(AlertThread).where(
            AlertThread.destination == destination, col(AlertThread.fingerprint).in_(fingerprints)
        )
    ).all()
    return {t.fingerprint: t for t in rows}


def _last_group_sent(session: Session, destination: str, keys: set[str]) -> dict[str, datetime]:
    if not keys:
        return {}
    rows = session.exec(
        select(AlertDelivery.group_key, func.max(AlertDelivery.sent_at))
        .where(
            AlertDelivery.destination == destination,
            col(AlertDelivery.group_key).in_(keys),
            AlertDelivery.status == "sent",
            col(AlertDelivery.thread_ts).is_(None),
        )
        .group_by(AlertDelivery.group_key)
    ).all()
    return {k: _aware(v) for k, v in rows if v is not None}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
