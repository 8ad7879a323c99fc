"""Waivers (acks): create, list, revoke, and the set that applies to one evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import or_
from sqlmodel import Session, col, select

from monitor.errors import InputError
from monitor.gate.usage import as_key
from monitor.store.models import Change, FeedEntry, Waiver, utcnow

if TYPE_CHECKING:
    from monitor.gate.decision import Reason

WaiverKind = Literal["change", "announcement", "operation"]
KINDS = ("change", "announcement", "operation")


class UnknownWaiver(InputError):
    """No waiver with that id."""


class MissingTarget(InputError):
    """The change or announcement a waiver names does not exist."""


class PastExpiry(InputError):
    """The expiry asked for has already passed (at the server's clock)."""


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def normalise_target(kind: str, target: str) -> str:
    """A change id or fingerprint; an entry id; or `<suite> METHOD /path` with the path as a key."""
    target = target.strip()
    if kind not in KINDS:
        raise InputError(f"waiver kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not target:
        raise InputError("a waiver needs a target")
    if kind == "announcement" and not target.isdigit():
        raise InputError(f"an announcement waiver targets an entry id (a number), not {target!r}")
    if kind == "change" and not (
        target.isdigit() or (len(target) == 64 and all(c in "0123456789abcdef" for c in target))
    ):
        raise InputError(f"a change waiver targets a change id or its 64-hex fingerprint, not {target!r}")
    if kind == "operation":
        parts = target.split()
        if len(parts) != 3 or not parts[2].startswith("/"):
            raise InputError(f"an operation waiver targets `<suite> METHOD /path`, not {target!r}")
        return f"{parts[0]} {as_key(f'{parts[1].upper()} {parts[2]}')}"
    return target


def create_waiver(
    *, session: Session, kind: str, target: str, reason: str, author: str, expires_at: datetime,
    integration: str | None = None, environment: str | None = None, now: datetime | None = None,
) -> Waiver:  # fmt: skip
    """A new waiver; reason, author and a future expiry are required (an ack never lasts forever)."""
    now = now or utcnow()
    if not reason.strip():
        raise InputError("a waiver needs a reason")
    if not author.strip():
        raise InputError("a waiver needs an author")
    if _utc(expires_at) <= now:
        raise PastExpiry(f"the expiry {expires_at.isoformat()} is not in the future")
    target = normalise_target(kind, target)
    if kind == "change" and target.isdigit() and session.get(Change, int(target)) is None:
        raise MissingTarget(f"no change with id {target}")
    if kind == "announcement" and session.get(FeedEntry, int(target)) is None:
        raise MissingTarget(f"no announcement with id {target}")
    waiver = Waiver(kind=kind, target=target, integration=integration or None, environment=environment or None,
                    reason=reason.strip()[:2000], author=author.strip()[:200], created_at=now,
                    expires_at=_utc(expires_at))  # fmt: skip
    session.add(waiver)
    session.flush()
    if kind == "change":
        _note_in_alert_threads(session, waiver, now)
    return waiver


def _note_in_alert_threads(session: Session, waiver: Waiver, now: datetime) -> None:
    """An acknowledged change gets a note in the thread of its alert, in the waiver's own transaction (the outbox)."""
    from monitor.alerts.hooks import alert_acknowledged

    if waiver.target.isdigit():
        found = session.get(Change, int(waiver.target))
        changes = [found] if found is not None else []
    else:
        changes = list(session.exec(select(Change).where(Change.fingerprint == waiver.target)).all())
    for change in changes:
        alert_acknowledged(session=session, change=change, author=waiver.author, reason=waiver.reason,
                           expires_at=waiver.expires_at, now=now)  # fmt: skip


def revoke_waiver(*, session: Session, waiver_id: int, by: str, now: datetime | None = None) -> Waiver:
    waiver = session.get(Waiver, waiver_id)
    if waiver is None:
        raise UnknownWaiver(f"no waiver with id {waiver_id}")
    if waiver.revoked_at is None:
        waiver.revoked_at, waiver.revoked_by = now or utcnow(), by[:200]
        session.add(waiver)
    return waiver


def list_waivers(*, session: Session, include_inactive: bool = False, now: datetime | None = None) -> Sequence[Waiver]:
    query = select(Waiver)
    if not include_inactive:
        query = query.where(col(Waiver.revoked_at).is_(None), col(Waiver.expires_at) > (now or utcnow()))
    return session.exec(query.order_by(col(Waiver.id).desc())).all()


def is_active(waiver: Waiver, now: datetime) -> bool:
    return waiver.revoked_at is None and _utc(waiver.expires_at) > now


@dataclass(frozen=True, slots=True)
class ActiveWaivers:
    """The waivers that apply to one evaluation, indexed by what a reason refers to."""

    changes: dict[str, int]  # change id -> waiver id (fingerprint waivers resolved to ids)
    announcements: dict[str, int]
    operations: dict[str, int]  # `<suite> <key>` -> waiver id

    def match(self, reason: Reason) -> int | None:
        if reason.ref_id is None:
            return None
        if reason.ref_kind == "change":
            return self.changes.get(reason.ref_id)
        if reason.ref_kind == "announcement":
            return self.announcements.get(reason.ref_id)
        if reason.ref_kind == "operation":
            suite, _, operation = reason.ref_id.partition(" ")
            return self.operations.get(f"{suite} {as_key(operation)}")
        return None


def active_waivers(*, session: Session, integration: str, environment: str, now: datetime) -> ActiveWaivers:
    rows = session.exec(
        select(Waiver).where(
            col(Waiver.revoked_at).is_(None), col(Waiver.expires_at) > now,
            or_(col(Waiver.integration).is_(None), Waiver.integration == integration),
            or_(col(Waiver.environment).is_(None), Waiver.environment == environment),
        )
    ).all()  # fmt: skip
    changes: dict[str, int] = {}
    announcements: dict[str, int] = {}
    operations: dict[str, int] = {}
    fingerprints: dict[str, int] = {}
    for w in rows:
        assert w.id is not None
        if w.kind == "change":
            if w.target.isdigit():
                changes[w.target] = w.id
            else:
                fingerprints[w.target] = w.id
        elif w.kind == "announcement":
            announcements[w.target] = w.id
        elif w.kind == "operation":
            operations[w.target] = w.id
    if fingerprints:  # a fingerprint names the change across re-diffs; resolve it to the rows that carry it
        for change_id, fp in session.exec(
            select(Change.id, Change.fingerprint).where(col(Change.fingerprint).in_(list(fingerprints)))
        ).all():
            changes.setdefault(str(change_id), fingerprints[fp])
    return ActiveWaivers(changes, announcements, operations)
