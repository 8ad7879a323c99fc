"""The audit trail: every evaluated decision and every reported deployment, written and read back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from monitor.errors import InputError
from monitor.gate.decision import Decision, UnknownTarget
from monitor.store.models import Deployment, GateDecision, utcnow


def record_decision(*, session: Session, decision: Decision) -> GateDecision:
    """Keep the decision (with its reasons and policy) and set `decision.id` to the row's id."""
    row = GateDecision(
        integration=decision.integration, environment=decision.environment, version=decision.version,
        decision=decision.decision, deployable=decision.deployable, report_only=decision.report_only,
        reasons=[r.to_json() for r in decision.reasons + decision.waived], policy=decision.policy,
        evaluated_at=decision.evaluated_at,
    )  # fmt: skip
    session.add(row)
    session.flush()
    decision.id = row.id
    return row


def list_decisions(
    *, session: Session, integration: str | None = None, environment: str | None = None, limit: int = 100
) -> Sequence[GateDecision]:
    query = select(GateDecision)
    if integration:
        query = query.where(GateDecision.integration == integration)
    if environment:
        query = query.where(GateDecision.environment == environment)
    return session.exec(query.order_by(col(GateDecision.id).desc()).limit(limit)).all()


def record_deployment(
    *, session: Session, integration: str, environment: str, version: str, by: str, at: datetime | None = None,
    known_integrations: dict[str, list[str]] | None = None,
) -> Deployment:  # fmt: skip
    """Record that `version` went to `environment`, linked to the latest decision for it (if any)."""
    if known_integrations is not None:
        if integration not in known_integrations:
            raise UnknownTarget(f"unknown integration {integration!r}")
        if environment not in known_integrations[integration]:
            raise UnknownTarget(f"integration {integration!r} has no environment {environment!r}")
    if not version.strip() or not by.strip():
        raise InputError("a deployment needs a version and who deployed it (by)")
    latest = session.exec(
        select(GateDecision.id)
        .where(GateDecision.integration == integration, GateDecision.environment == environment)
        .order_by(col(GateDecision.id).desc())
        .limit(1)
    ).first()
    row = Deployment(integration=integration, environment=environment, version=version.strip()[:200],
                     by=by.strip()[:200], at=at or utcnow(), decision_id=latest, recorded_at=utcnow())  # fmt: skip
    session.add(row)
    session.flush()
    return row


def list_deployments(
    *, session: Session, integration: str | None = None, environment: str | None = None, limit: int = 100
) -> Sequence[Deployment]:
    query = select(Deployment)
    if integration:
        query = query.where(Deployment.integration == integration)
    if environment:
        query = query.where(Deployment.environment == environment)
    return session.exec(query.order_by(col(Deployment.at).desc(), col(Deployment.id).desc()).limit(limit)).all()
