"""What the pollers and runners call, inside their own transactions, to put alerts in the outbox.

Every function here is idempotent: the dedupe key names the event, so a re-run enqueues nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from monitor.alerts.outbox import enqueue, existing_keys, fingerprint_of, latest_states
from monitor.store.models import Change, ContractRun, FeedEntry

SEVERITY_LEVEL = {"high": "breaking", "medium": "warning", "low": "info"}
MAX_OPERATIONS_SHOWN = 5


def _operations(operations: list[str]) -> str:
    shown = ", ".join(f"`{op}`" for op in operations[:MAX_OPERATIONS_SHOWN])
    more = len(operations) - MAX_OPERATIONS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _change_text(c: Change) -> str:
    ops = f"\noperations: {_operations(c.operations)}" if c.operations else ""
    return f"`{c.rule_id}` at `{c.location}`{ops}"


def _change_labels(c: Change, kind: str) -> dict[str, str]:
    return {"platform": c.source_id.split("/", 1)[0], "source": c.source_id, "level": c.level, "rule": c.rule_id,
            "kind": kind}  # fmt: skip


def alert_changes(*, session: Session, source_id: str, now: datetime) -> int:
    """Alerts for the changes of one spec source after a poll or a contract move; returns how many were enqueued.

    Upstream changes of this poll are `change` events (info); a change seen again is flapping: one notice in its
    thread, then silence for its further flips. Drift against the contract fires when confirmed and resolves when
    gone; a drift that comes back is flapping and gets one notice, not an alert per flip."""
    added = 0
    upstream = session.exec(
        select(Change).where(Change.source_id == source_id, Change.against == "previous", Change.last_seen_at >= now)
    ).all()
    keys = existing_keys(session=session, source_id=source_id, kind="change")
    for c in upstream:
        fp = fingerprint_of("change", source_id, c.fingerprint)
        if c.status == "flapping":
            key, state, title = f"change:{c.id}:flapping", "info", f"Flapping ({c.appearances}x): {c.message}"
        else:
            key, state, title = f"change:{c.id}:new", "info", c.message
        if key in keys:
            continue
        added += _add(session, "change", fp, key, state, title, _change_text(c), _change_labels(c, "change"),
                      source_id, now)  # fmt: skip
    keys = existing_keys(session=session, source_id=source_id, kind="drift")
    drift = session.exec(select(Change).where(Change.source_id == source_id,
                                              col(Change.against).in_(("contract", "observed")))).all()  # fmt: skip
    for c in drift:
        fp = fingerprint_of("drift", source_id, c.fingerprint)
        firing = f"drift:{c.id}:firing:{c.appearances}"
        if c.status == "confirmed" and firing not in keys:
            title = f"{'Observed drift' if c.against == 'observed' else 'Drift from the contract'}: {c.message}"
            added += _add(session, "drift", fp, firing, "firing", title, _change_text(c), _change_labels(c, "drift"),
                          source_id, now)  # fmt: skip
        elif c.status == "flapping" and f"drift:{c.id}:flapping" not in keys:
            title = f"Flapping drift ({c.appearances} appearances, further flips not alerted): {c.message}"
            added += _add(session, "drift", fp, f"drift:{c.id}:flapping", "info", title, _change_text(c),
                          _change_labels(c, "drift"), source_id, now)  # fmt: skip
        elif c.status == "gone" and firing in keys and f"drift:{c.id}:resolved:{c.appearances}" not in keys:
            title = f"Drift gone: {c.message}"
            added += _add(session, "drift", fp, f"drift:{c.id}:resolved:{c.appearances}", "resolved", title,
                          _change_text(c), _change_labels(c, "drift"), source_id, now)  # fmt: skip
    return added


def alert_acknowledged(*, session: Session, change: Change, author: str, reason: str, expires_at: datetime,
                       now: datetime) -> int:  # fmt: skip
    """A change acknowledged (a gate waiver): a note in the thread of the change's alert, once per acknowledgement."""
    kind = "drift" if change.against in ("contract", "observed") else "change"
    title = f"Acknowledged by {author} until {expires_at.date().isoformat()}: {reason}"
    return _add(session, kind, fingerprint_of(kind, change.source_id, change.fingerprint),
                f"ack:{change.id}:{author}:{expires_at.isoformat()}", "info", title, change.message,
                _change_labels(change, kind), change.source_id, now)  # fmt: skip


def _add(session: Session, kind: str, fp: str, key: str, state: str, title: str, text: str, labels: dict[str, str],
         source_id: str | None, now: datetime, link: str | None = None) -> int:  # fmt: skip
    alert = enqueue(session=session, kind=kind, fingerprint=fp, dedupe_key=key, title=title, state=state, text=text,
                    labels=labels, source_id=source_id, now=now, link=link)  # fmt: skip
    return int(alert is not None)


def announcement_fingerprint(entry: FeedEntry, removal_subjects: Iterable[str] = ()) -> str:
    """Announcements about one subject share a thread: the first removal subject, else the subject, else the entry."""
    subject = next(iter(removal_subjects), None) or entry.subject
    return fingerprint_of("announcement", subject or f"{entry.source_id}|{entry.entry_key}")


def alert_entry(*, session: Session, entry: FeedEntry, removal_subjects: Iterable[str] = (), now: datetime) -> int:
    """A new announcement, with its category, severity and dates."""
    dates = []
    if entry.removal_date:
        dates.append(f"removal {entry.removal_date.isoformat()}")
    if entry.effective_date:
        dates.append(f"effective {entry.effective_date.isoformat()}")
    ops = [f"{op[0]} {op[1]}" if len(op) > 1 else str(op[0]) for op in entry.operations]
    text = " · ".join([entry.category, *dates]) + (f"\noperations: {_operations(ops)}" if ops else "")
    labels = {"platform": entry.source_id.split("/", 1)[0], "source": entry.source_id, "category": entry.category,
              "level": SEVERITY_LEVEL.get(entry.severity, "info")}  # fmt: skip
    return _add(session, "announcement", announcement_fingerprint(entry, removal_subjects), f"entry:{entry.id}", "info",
                entry.title, text, labels, entry.source_id, now, link=entry.link)  # fmt: skip


def alert_date_moved(
    *, session: Session, entry: FeedEntry, subject: str, removal_date: date, previous: list[date], now: datetime
) -> int:
    """An announced removal date moved: a follow-up in the thread of the subject's first announcement."""
    before = ", ".join(d.isoformat() for d in previous) or "unknown"
    title = f"Removal date moved for {subject}: now {removal_date.isoformat()} (was {before})"
    labels = {"platform": entry.source_id.split("/", 1)[0], "source": entry.source_id, "level": "warning",
              "category": entry.category}  # fmt: skip
    return _add(session, "date-moved", fingerprint_of("announcement", subject),
                f"moved:{subject}:{removal_date.isoformat()}:{entry.id}", "info", title, entry.title, labels,
                entry.source_id, now, link=entry.link)  # fmt: skip


def enqueue_contract_run(*, session: Session, run: ContractRun, results: Iterable[dict[str, Any]]) -> int:
    """Alerts for a finished contract run: the sandbox down or back, operations failing or passing again.

    Call it in the transaction of `queries.finish_contract_run`. A run with status `error` means the sandbox could
    not be tested; the routing step then inhibits the per-operation failures of that suite (see docs/alerts.md)."""
    now = run.finished_at or run.started_at
    suite = run.suite
    platform_labels = {"platform": suite, "suite": suite, "source": run.source_id}
    sandbox_fp = fingerprint_of("sandbox", suite)
    results = list(results)
    op_fps = {r["operation"]: fingerprint_of("operation", suite, run.source_id, r["operation"]) for r in results}
    states = latest_states(session=session, fingerprints=[sandbox_fp, *op_fps.values()])
    added = 0
    if run.status == "error":
        added += _add(session, "sandbox", sandbox_fp, f"run:{run.id}:sandbox", "firing",
                      f"Sandbox {suite} cannot be tested: {run.error or 'error'}", f"run {run.id} of {run.source_id}",
                      {**platform_labels, "level": "warning"}, run.source_id, now)  # fmt: skip
    elif states.get(sandbox_fp) == "firing":
        added += _add(session, "sandbox", sandbox_fp, f"run:{run.id}:sandbox", "resolved",
                      f"Sandbox {suite} answers again", f"run {run.id} of {run.source_id}: {run.status}",
                      {**platform_labels, "level": "warning"}, run.source_id, now)  # fmt: skip
    for r in results:
        op, fp = r["operation"], op_fps[r["operation"]]
        key = f"run:{run.id}:op:{hashlib.sha256(op.encode()).hexdigest()[:32]}"
        labels = {**platform_labels, "operation": op, "level": "breaking"}
        if r["status"] in ("failed", "error"):
            checks = ", ".join(sorted(r.get("checks_failed") or {})) or r["status"]
            added += _add(session, "operation", fp, key, "firing", f"{op} fails its contract in the {suite} sandbox",
                          f"checks failed: {checks} (run {run.id})", labels, run.source_id, now)  # fmt: skip
        elif r["status"] == "passed" and states.get(fp) == "firing":
            added += _add(session, "operation", fp, key, "resolved", f"{op} passes again in the {suite} sandbox",
                          f"run {run.id}", labels, run.source_id, now)  # fmt: skip
    return added


def firing_sandboxes(*, session: Session, suites: Iterable[str]) -> set[str]:
    """The suites whose newest sandbox alert is firing: their per-operation failures are inhibited."""
    suites = list(set(suites))
    by_fp = {fingerprint_of("sandbox", s): s for s in suites}
    states = latest_states(session=session, fingerprints=list(by_fp))
    return {by_fp[fp] for fp, state in states.items() if state == "firing"}
