"""Alerts for rate-limit decreases on operations an integration uses: before/after figures and the need."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from monitor.alerts.outbox import enqueue, fingerprint_of
from monitor.config import Settings
from monitor.engine.filters import normalise_operation_ref
from monitor.engine.limits import Need, format_count, per_day
from monitor.engine.model import Spec
from monitor.limits.needs import integration_needs
from monitor.store.models import Change

DECREASES = ("operation-rate-limit-decreased", "operation-burst-decreased")


def alert_limit_decreases(*, session: Session, settings: Settings, source_id: str, spec: Spec, now: datetime) -> int:
    """One alert per (decrease seen in this poll, integration using the operation); idempotent by dedupe key."""
    rows = session.exec(
        select(Change).where(Change.source_id == source_id, Change.against == "previous",
                             col(Change.rule_id).in_(DECREASES), Change.last_seen_at >= now)
    ).all()  # fmt: skip
    if not rows:
        return 0
    by_label = {op.label: op for op in spec.operations.values()}
    added = 0
    for name, integration in settings.integrations.items():
        refs = {normalise_operation_ref(r) for r in integration.uses.get(source_id, [])}
        if not refs:
            continue
        needs = integration_needs(settings, name).get(source_id, {})
        for change in rows:
            for label in change.operations:
                op = by_label.get(label)
                if op is None or not ({op.key, op.operation_id} & refs):
                    continue
                need = needs.get(op.key) or (needs.get(op.operation_id) if op.operation_id else None)
                added += _alert(session, change, name, op.operation_id or label, label, need, source_id, now)
    return added


def _alert(session: Session, change: Change, integration: str, name: str, label: str, need: Need | None,
           source_id: str, now: datetime) -> int:  # fmt: skip
    args = change.args
    if change.rule_id == "operation-rate-limit-decreased":
        figures = (f"{args.get('old')} -> {args.get('new')} requests per second "
                   f"({args.get('old_per_day')} -> {args.get('new_per_day')} calls a day)")  # fmt: skip
    else:
        figures = f"burst {args.get('old')} -> {args.get('new')}"
    short = False
    needs_text = "no need declared"
    if need is not None:
        needs_text = f"needs {need.text}" + (f" ({format_count(per_day(need.rate))} calls a day)" if need.rate else "")
        try:
            new = float(args.get("new", ""))
        except (TypeError, ValueError):
            new = None
        if new is not None:
            short = (need.rate is not None and change.rule_id == DECREASES[0] and new < need.rate) or (
                need.burst is not None and change.rule_id == DECREASES[1] and new < need.burst
            )
    verdict = "below the need" if short else "still meets the need" if need is not None else "cut"
    title = f"Rate limit cut for {name} ({integration}): {figures}; {needs_text}: {verdict}"
    labels = {"platform": source_id.split("/", 1)[0], "source": source_id, "integration": integration,
              "operation": label, "level": "breaking" if short else "warning", "rule": change.rule_id,
              "kind": "rate-limit"}  # fmt: skip
    alert = enqueue(session=session, kind="rate-limit", fingerprint=fingerprint_of("rate-limit", source_id, label,
                    integration), dedupe_key=f"rate-limit:{change.id}:{integration}:{label}", title=title,
                    state="firing" if short else "info", text=change.message, labels=labels, source_id=source_id,
                    now=now)  # fmt: skip
    return int(alert is not None)
