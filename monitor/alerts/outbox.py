"""The outbox: `enqueue` writes an alert in the caller's transaction, so it exists exactly when its cause does."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from monitor.store.models import Alert, utcnow

KINDS = ("change", "drift", "announcement", "date-moved", "operation", "sandbox", "report", "rate-limit")
STATES = ("firing", "resolved", "info")


def fingerprint_of(*parts: str) -> str:
    """What and where, hashed: the same thing in the same place always has the same fingerprint."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def enqueue(
    *, session: Session, kind: str, fingerprint: str, dedupe_key: str, title: str, state: str = "firing",
    text: str = "", link: str | None = None, labels: dict[str, str] | None = None, source_id: str | None = None,
    blocks: list[dict[str, Any]] | None = None, now: datetime | None = None,
) -> Alert | None:  # fmt: skip
    """Add an alert to the outbox in `session`'s transaction; None when `dedupe_key` is already there.

    `dedupe_key` names the event (say `drift:42:firing:1`): a retried poll or a re-run hook enqueues it once.
    Labels drive routing, silences and grouping; `kind` is always among them. Never commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    if state not in STATES:
        raise ValueError(f"unknown alert state {state!r}")
    dedupe_key = dedupe_key[:300]
    if session.exec(select(Alert.id).where(Alert.dedupe_key == dedupe_key)).first() is not None:
        return None
    alert = Alert(
        kind=kind, fingerprint=fingerprint, dedupe_key=dedupe_key, state=state, title=title[:500], text=text[:4000],
        link=link, labels={**(labels or {}), "kind": kind}, blocks=blocks, source_id=source_id,
        created_at=now or utcnow(),
    )  # fmt: skip
    session.add(alert)
    session.flush()  # the id orders delivery; hooks that enqueue several alerts rely on it
    return alert


def existing_keys(*, session: Session, source_id: str, kind: str) -> set[str]:
    """The dedupe keys already enqueued for a source and kind: one query instead of one per candidate."""
    rows = session.exec(select(Alert.dedupe_key).where(Alert.source_id == source_id, Alert.kind == kind)).all()
    return set(rows)


def latest_states(*, session: Session, fingerprints: list[str]) -> dict[str, str]:
    """The state of the newest alert per fingerprint (firing, resolved, info): is it still firing?"""
    if not fingerprints:
        return {}
    rows = session.exec(
        select(Alert.fingerprint, Alert.state, Alert.id).where(Alert.fingerprint.in_(fingerprints))  # type: ignore[attr-defined]
    ).all()
    latest: dict[str, tuple[int, str]] = {}
    for fp, state, alert_id in rows:
        if state == "info":
            continue
        if fp not in latest or (alert_id or 0) > latest[fp][0]:
            latest[fp] = (alert_id or 0, state)
    return {fp: state for fp, (_, state) in latest.items()}
