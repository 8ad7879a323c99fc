"""The API's public shapes: what a response carries (never a table as is, never a secret) and what a request sends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from monitor.api.deps import NAME_PATTERN


def _aware(moment: datetime) -> datetime:
    """Every time in and out is UTC: an offset given (`-08:00`) is converted, a naive time is taken as UTC."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_aware)]
Text = Annotated[str, Field(max_length=2000, pattern=NAME_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NAME_PATTERN)]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorPublic(BaseModel):
    error: str
    message: str


class ReasonPublic(BaseModel):
    kind: str
    severity: Literal["fail", "warn", "unknown", "info"]
    message: str
    ref_kind: str | None
    ref_id: str | None
    link: str | None
    waiver_id: int | None = None


class GatePublic(BaseModel):
    id: int | None
    integration: str
    environment: str
    version: str | None
    decision: Literal["pass", "warn", "fail", "unknown"]
    deployable: bool | None
    report_only: bool
    evaluated_at: UtcDatetime
    reasons: list[ReasonPublic]
    waived: list[ReasonPublic]
    policy: dict[str, Any]


class DecisionPublic(_Public):
    id: int
    integration: str
    environment: str
    version: str | None
    decision: str
    deployable: bool | None
    report_only: bool
    reasons: list[dict[str, Any]]
    policy: dict[str, Any]
    evaluated_at: UtcDatetime


class ChangePublic(_Public):
    id: int
    source_id: str
    against: str
    fingerprint: str
    rule_id: str
    level: str
    status: str
    location: str
    message: str
    operations: list[str]
    old_snapshot_id: int | None
    new_snapshot_id: int | None
    seen_count: int
    appearances: int
    first_seen_at: UtcDatetime
    last_seen_at: UtcDatetime


class AnnouncementPublic(_Public):
    id: int
    source_id: str
    title: str
    link: str | None
    published_at: UtcDatetime | None
    category: str
    severity: str
    effective_date: date | None
    removal_date: date | None
    subject: str | None
    apis: list[str]
    operations: list[list[str]]
    first_seen_at: UtcDatetime


class ContractRunPublic(_Public):
    id: int
    suite: str
    source_id: str
    base_url: str  # stored redacted
    status: str
    phases: list[str]
    seed: int | None
    counts: dict[str, Any]
    error: str | None
    started_at: UtcDatetime
    finished_at: UtcDatetime | None


class OperationResultPublic(_Public):
    operation: str
    operation_id: str | None
    status: str
    cases: int
    checks_passed: dict[str, int]
    checks_failed: dict[str, int]
    failures: list[dict[str, Any]]
    errors: list[str]
    at: UtcDatetime


class ContractRunDetail(ContractRunPublic):
    results: list[OperationResultPublic]


class SnapshotPublic(BaseModel):
    id: int
    version: str
    first_seen_at: UtcDatetime


class ContractPublic(BaseModel):
    source_id: str
    contract: SnapshotPublic | None
    pinned_at: UtcDatetime | None
    pinned_by: str | None
    reason: str | None
    current: SnapshotPublic | None
    drift: dict[str, int]


class SourceStatus(BaseModel):
    id: str
    platform: str
    kind: str
    configured: bool
    url: str | None  # stored redacted
    last_polled_at: UtcDatetime | None
    last_success_at: UtcDatetime | None
    last_error: str | None
    consecutive_failures: int
    healthy: bool
    next_retry_at: UtcDatetime | None = None  # after a failed poll: when it is tried again


class SandboxStatus(BaseModel):
    platform: str
    last_run_id: int | None
    last_status: str | None
    last_finished_at: UtcDatetime | None
    failing_operations: int
    flaky_operations: int


class StatusPublic(BaseModel):
    sources: list[SourceStatus]
    sandboxes: list[SandboxStatus]
    scheduler_alive: bool
    evaluated_at: UtcDatetime


class _WaiverCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=2000, pattern=NAME_PATTERN)]
    author: Name
    expires_at: UtcDatetime = Field(description="Required, in the future: a waiver never lasts forever.")
    integration: Name | None = Field(None, description="Only for this integration (default: all).")
    environment: Name | None = Field(None, description="Only for this environment (default: all).")


ROW_ID = r"[1-9][0-9]{0,8}"  # ids fit PostgreSQL's 32-bit integers


class ChangeWaiverCreate(_WaiverCreate):
    kind: Literal["change"]
    target: Annotated[str, Field(pattern=rf"^({ROW_ID}|[0-9a-f]{{64}})$", description="A change id or fingerprint")]


class AnnouncementWaiverCreate(_WaiverCreate):
    kind: Literal["announcement"]
    target: Annotated[str, Field(pattern=rf"^{ROW_ID}$", description="An announcement (entry) id")]


class OperationWaiverCreate(_WaiverCreate):
    kind: Literal["operation"]
    target: Annotated[str, Field(max_length=600, pattern=r"^[A-Za-z0-9._-]+ [A-Za-z]+ /[^\s]*$",
                                 description="`<suite> METHOD /path`: a failing sandbox operation")]  # fmt: skip


WaiverCreate = Annotated[
    ChangeWaiverCreate | AnnouncementWaiverCreate | OperationWaiverCreate, Field(discriminator="kind")
]


class WaiverPublic(_Public):
    id: int
    kind: str
    target: str
    integration: str | None
    environment: str | None
    reason: str
    author: str
    created_at: UtcDatetime
    expires_at: UtcDatetime
    revoked_at: UtcDatetime | None
    revoked_by: str | None
    active: bool = False


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    integration: Name
    environment: Name
    version: Name
    by: Name
    at: UtcDatetime | None = None


class DeploymentPublic(_Public):
    id: int
    integration: str
    environment: str
    version: str
    by: str
    at: UtcDatetime
    decision_id: int | None
    recorded_at: UtcDatetime


class JobRunPublic(_Public):
    id: int
    job: str
    target: str
    slot: str
    status: str
    started_at: UtcDatetime
    finished_at: UtcDatetime | None
    counts: dict[str, Any]
    error: str | None


class HealthPublic(BaseModel):
    status: str
