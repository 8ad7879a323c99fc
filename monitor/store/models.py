"""The tables. Times are timezone-aware UTC; JSON columns hold small lists and mappings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.store.types import UtcDateTime as DateTime  # stores UTC: SQLite would drop the offset


def utcnow() -> datetime:
    return datetime.now(UTC)


class Source(SQLModel, table=True):
    """A polled thing: a spec, a feed or a changelog page, named `<platform>/<name>`."""

    id: str = Field(primary_key=True, max_length=200)
    platform: str = Field(index=True, max_length=100)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=10)  # spec, feed, page
    url: str = Field(max_length=2000)  # redacted: secrets never reach the database
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    content_hash: str | None = Field(default=None, max_length=64)
    last_polled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_success_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_error: str | None = Field(default=None, max_length=1000)
    consecutive_failures: int = 0
    polls: int = 0
    not_modified: int = 0  # polls answered 304
    next_retry_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))  # failed: retry


class SpecSnapshot(SQLModel, table=True):
    """One distinct content of a spec source, stored once per normalised content hash."""

    __table_args__ = (UniqueConstraint("source_id", "content_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True, max_length=200)
    content_hash: str = Field(max_length=64)
    format: str = Field(max_length=20)
    title: str = Field(default="", max_length=500)
    version: str = Field(default="", max_length=100)
    size_bytes: int
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # zlib-compressed raw spec
    first_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    times_seen: int = 1  # appearances as the current version (2+ means it came back: flapping)


class Change(SQLModel, table=True):
    """A finding of the engine, kept once per (source, comparison, fingerprint) and updated when seen again."""

    __table_args__ = (UniqueConstraint("source_id", "against", "fingerprint"),)
    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True, max_length=200)
    against: str = Field(max_length=10)  # "previous" (what changed upstream) or "contract" (drift)
    fingerprint: str = Field(max_length=64)
    rule_id: str = Field(index=True, max_length=120)
    level: str = Field(index=True, max_length=10)
    location: str = Field(max_length=2000)
    message: str = Field(max_length=2000)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    operations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    old_snapshot_id: int | None = Field(default=None, foreign_key="specsnapshot.id")
    new_snapshot_id: int | None = Field(default=None, foreign_key="specsnapshot.id")
    status: str = Field(default="confirmed", index=True, max_length=12)  # pending, confirmed, flapping, gone
    seen_count: int = 1  # consecutive polls in which it was present
    appearances: int = 1  # how often it (re)appeared after being gone
    first_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class FeedEntry(SQLModel, table=True):
    """An announcement: one entry of a feed or a changelog page, classified and linked to operations."""

    __table_args__ = (UniqueConstraint("source_id", "entry_key"),)
    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True, max_length=200)
    entry_key: str = Field(max_length=500)
    title: str = Field(max_length=1000)
    link: str | None = Field(default=None, max_length=2000)
    summary: str = Field(default="")
    content_hash: str = Field(max_length=64)
    published_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    category: str = Field(default="other", index=True, max_length=20)
    severity: str = Field(default="low", max_length=10)
    effective_date: date | None = None
    removal_date: date | None = Field(default=None, index=True)
    subject: str | None = Field(default=None, max_length=300)
    apis: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    operations: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class AnnouncedDate(SQLModel, table=True):
    """Every removal date announced for a subject, in order: "announced vs. actual" and moved dates."""

    __table_args__ = (UniqueConstraint("subject", "removal_date", "entry_id"),)
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(index=True, max_length=300)
    removal_date: date
    entry_id: int = Field(foreign_key="feedentry.id")
    announced_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Contract(SQLModel, table=True):
    """The spec version an integration was built against, per spec source."""

    source_id: str = Field(primary_key=True, foreign_key="source.id", max_length=200)
    snapshot_id: int = Field(foreign_key="specsnapshot.id")
    pinned_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    pinned_by: str = Field(max_length=200)
    reason: str = Field(default="", max_length=2000)


class ContractEvent(SQLModel, table=True):
    """The history of a contract: pinned, accepted (moved forward), with who, when and why."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True, max_length=200)
    action: str = Field(max_length=10)  # pin, accept
    from_snapshot_id: int | None = Field(default=None, foreign_key="specsnapshot.id")
    to_snapshot_id: int = Field(foreign_key="specsnapshot.id")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    by: str = Field(max_length=200)
    reason: str = Field(default="", max_length=2000)


class JobRun(SQLModel, table=True):
    """One run of a job on a target in a time slot; the unique claim makes a slot run at most once."""

    __table_args__ = (UniqueConstraint("job", "target", "slot"),)
    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(index=True, max_length=50)
    target: str = Field(max_length=200)
    slot: str = Field(max_length=40)  # ISO time of the slot start, or "manual-<uuid>"
    status: str = Field(default="running", max_length=10)  # running, ok, error
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=2000)


# -- sandbox contract test runs (issue 4) --------------------------------------------------------------------------


class ContractRun(SQLModel, table=True):
    """One contract test run of a platform's sandbox suite against one spec source."""

    id: int | None = Field(default=None, primary_key=True)
    suite: str = Field(index=True, max_length=100)  # the platform whose sandbox ran
    source_id: str = Field(index=True, max_length=200)  # the spec source whose contract was tested
    job_run_id: int | None = Field(default=None, foreign_key="jobrun.id")
    base_url: str = Field(max_length=2000)  # redacted
    status: str = Field(default="running", index=True, max_length=10)  # running, passed, failed, error
    phases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    seed: int | None = None
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=4000)  # redacted
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class OperationResult(SQLModel, table=True):
    """What one contract run saw for one operation: the row the gate reads (latest status, failing since, flaky)."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="contractrun.id", index=True)
    suite: str = Field(index=True, max_length=100)
    source_id: str = Field(max_length=200)
    operation: str = Field(index=True, max_length=500)  # `METHOD /path`
    operation_id: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=10)  # passed, failed, error, skipped
    cases: int = 0
    checks_passed: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    checks_failed: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    failures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # redacted
    errors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # redacted
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


# -- deployment gate: waivers, decisions, deployments, API tokens (issue 5) ----------------------------------------


class Waiver(SQLModel, table=True):
    """An acknowledgement that suppresses one gate reason until it expires or is revoked.

    `kind` is change (target: change id or fingerprint), announcement (target: entry id) or operation (target:
    `<suite> METHOD /path`); `integration`/`environment` narrow it, None means every one."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=20)
    target: str = Field(index=True, max_length=600)
    integration: str | None = Field(default=None, max_length=200)
    environment: str | None = Field(default=None, max_length=100)
    reason: str = Field(max_length=2000)
    author: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_by: str | None = Field(default=None, max_length=200)


class GateDecision(SQLModel, table=True):
    """Every evaluated gate decision, kept as the audit trail."""

    id: int | None = Field(default=None, primary_key=True)
    integration: str = Field(index=True, max_length=200)
    environment: str = Field(max_length=100)
    version: str | None = Field(default=None, max_length=200)
    decision: str = Field(max_length=10)  # pass, warn, fail, unknown
    deployable: bool | None = None
    report_only: bool = False
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    evaluated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class Deployment(SQLModel, table=True):
    """A deployment the pipeline reported (like Pact's record-deployment)."""

    id: int | None = Field(default=None, primary_key=True)
    integration: str = Field(index=True, max_length=200)
    environment: str = Field(max_length=100)
    version: str = Field(max_length=200)
    by: str = Field(max_length=200)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    decision_id: int | None = Field(default=None, foreign_key="gatedecision.id")  # the latest decision it saw
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


# -- alerts outbox, silences and reports (issue 6) -----------------------------------------------------------------


class Alert(SQLModel, table=True):
    """The outbox: one thing worth telling, written in the same transaction as the change or result behind it."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=30)  # change, drift, announcement, date-moved, operation, sandbox, report
    fingerprint: str = Field(index=True, max_length=64)  # what and where: follow-ups share it and share a thread
    dedupe_key: str = Field(unique=True, index=True, max_length=300)  # the event: enqueueing it twice stores it once
    state: str = Field(default="firing", max_length=10)  # firing, resolved, info
    title: str = Field(max_length=500)
    text: str = Field(default="", max_length=4000)
    link: str | None = Field(default=None, max_length=2000)
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    blocks: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))  # ready Block Kit (reports)
    source_id: str | None = Field(default=None, index=True, max_length=200)
    status: str = Field(default="new", index=True, max_length=12)  # new, routed, silenced, inhibited, suppressed
    note: str | None = Field(default=None, max_length=500)  # why it was not routed (which silence, inhibition)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    routed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class AlertDelivery(SQLModel, table=True):
    """One alert to one destination (`slack:#channel` or `webhook:name`): claimed, sent once, marked with its ts."""

    __table_args__ = (UniqueConstraint("alert_id", "destination"),)
    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    destination: str = Field(index=True, max_length=200)
    group_key: str = Field(max_length=300)
    fingerprint: str = Field(max_length=64)
    delivery_key: str = Field(
        unique=True, index=True, max_length=64
    )  # sent with the message, to find it again after a crash
    status: str = Field(default="pending", index=True, max_length=10)  # pending, sending, sent, dropped
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_error: str | None = Field(default=None, max_length=1000)
    channel: str | None = Field(default=None, max_length=100)
    ts: str | None = Field(default=None, max_length=40)  # Slack's message id
    thread_ts: str | None = Field(default=None, max_length=40)  # set for a follow-up in a thread
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))


class AlertThread(SQLModel, table=True):
    """The first message about a fingerprint at a destination: follow-ups go in its thread, resolution updates it."""

    __table_args__ = (UniqueConstraint("destination", "fingerprint"),)
    id: int | None = Field(default=None, primary_key=True)
    destination: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64)
    channel: str = Field(max_length=100)
    ts: str = Field(index=True, max_length=40)
    title: str = Field(max_length=500)  # the parent message's title, to rewrite it as resolved
    state: str = Field(default="firing", max_length=10)  # firing, resolved, info (an event)
    last_notified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SilenceRule(SQLModel, table=True):
    """A silence added at run time (`monitor alerts silence`); config silences live in the config file."""

    id: int | None = Field(default=None, primary_key=True)
    match: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    ends_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reason: str = Field(default="", max_length=1000)
    created_by: str = Field(default="", max_length=200)


class Report(SQLModel, table=True):
    """A rendered report (nightly: one per day in the report's time zone), served at /reports/{date}."""

    __table_args__ = (UniqueConstraint("kind", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="nightly", max_length=20)
    day: date = Field(index=True)
    since: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    until: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    markdown: str = Field(default="")
    html: str = Field(default="")
    slack: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # blocks
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


# -- traffic observations (issue 12) -------------------------------------------------------------------------------


class ObservedCapture(SQLModel, table=True):
    """A capture observed against a contract (a dropped HAR file, or a contract run's answers): each one once."""

    __table_args__ = (UniqueConstraint("source_id", "content_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(index=True, max_length=200)
    origin: str = Field(max_length=20)  # folder, contract-run, cli
    name: str = Field(max_length=500)  # the file name (never its content), or `run <id>`
    content_hash: str = Field(max_length=64)
    exchanges: int = 0
    skipped: int = 0
    findings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # level -> count
    error: str | None = Field(default=None, max_length=1000)  # redacted
    observed_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class Heartbeat(SQLModel, table=True):
    """A row rewritten by a probe (`/readyz`): a readiness that only reads stays green on a full or read-only disk."""

    name: str = Field(primary_key=True, max_length=200)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


# -- rate limits: observed in contract runs, announced in feeds (issue 11) ------------------------------------------


class ObservedLimit(SQLModel, table=True):
    """What one contract run's answers said about one operation's limit: rate-limit headers and 429s met."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="contractrun.id", index=True)
    suite: str = Field(index=True, max_length=100)
    source_id: str = Field(index=True, max_length=200)
    operation: str = Field(max_length=500)  # `METHOD /path`
    rate: float | None = None  # requests per second, when a header gives one
    header: str | None = Field(default=None, max_length=100)  # the header the rate came from
    value: str | None = Field(default=None, max_length=200)  # its value as seen (bounded)
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # all of them
    throttled: int = 0  # answers with status 429
    seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class AnnouncedLimit(SQLModel, table=True):
    """A rate limit an announcement gives for an operation ("getItemOffers to 5 requests per second, burst 10")."""

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="feedentry.id", index=True)
    operation: str = Field(index=True, max_length=300)  # the name as the text gives it (operationId, usually)
    rate: float | None = None  # requests per second
    burst: int | None = None
    text: str = Field(default="", max_length=500)  # the sentence it came from
    announced_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
