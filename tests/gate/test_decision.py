"""Decision semantics on SQLite and PostgreSQL: pass, warn, fail, unknown, waivers, report-only, audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from monitor.errors import InputError
from monitor.gate import Decision, UnknownTarget, evaluate, record_decision
from monitor.gate.records import list_decisions, list_deployments, record_deployment
from monitor.gate.waivers import create_waiver, revoke_waiver
from monitor.store.models import utcnow
from monitor.store.session import session_scope
from tests.gate import factories as f


def gate(engine: Engine, environment: str = "production", **kwargs: object) -> Decision:
    settings = kwargs.pop("settings", None) or f.settings()
    with session_scope(engine) as session:
        return evaluate(session=session, settings=settings, integration="order-sync", environment=environment,
                        **kwargs)  # type: ignore[arg-type]  # fmt: skip


def test_fresh_data_without_findings_passes(db: Engine) -> None:
    f.polled_source(db)
    decision = gate(db, version="1.2.3")
    assert (decision.decision, decision.deployable, decision.reasons) == ("pass", True, [])
    assert decision.version == "1.2.3"
    assert decision.policy["fail_on"] == ["breaking"] and decision.policy["max_age_s"] == 86400


def test_breaking_drift_on_a_used_operation_fails_with_a_linked_reason(db: Engine) -> None:
    snap = f.polled_source(db)
    change_id = f.drift(db, snap, operations=["GET /orders/{orderId}"])  # used as `GET /orders/{id}`
    decision = gate(db)
    assert (decision.decision, decision.deployable) == ("fail", False)
    [reason] = decision.reasons
    assert (reason.kind, reason.severity, reason.ref_kind, reason.ref_id) == ("drift", "fail", "change", str(change_id))
    assert reason.link == f"/api/v1/changes/{change_id}"
    assert "GET /orders/{orderId}" in reason.message


def test_drift_on_an_operation_the_integration_does_not_use_is_ignored(db: Engine) -> None:
    snap = f.polled_source(db)
    f.drift(db, snap, operations=["POST /refunds"])
    assert gate(db).decision == "pass"


def test_warning_drift_warns_and_stays_deployable(db: Engine) -> None:
    snap = f.polled_source(db)
    f.drift(db, snap, level="warning", rule="response-enum-value-added")
    decision = gate(db)
    assert (decision.decision, decision.deployable) == ("warn", True)


def test_an_environment_can_choose_which_levels_block(db: Engine) -> None:
    snap = f.polled_source(db)
    f.drift(db, snap)
    assert gate(db, "lenient").decision == "pass"  # fail_on: [] in that environment


def test_no_successful_poll_within_max_age_is_unknown_not_pass(db: Engine) -> None:
    f.polled_source(db, polled_at=utcnow() - timedelta(hours=30))
    decision = gate(db)
    assert (decision.decision, decision.deployable) == ("unknown", None)
    assert decision.reasons[0].kind == "stale" and "no successful poll within 1d" in decision.reasons[0].message


def test_a_never_polled_source_is_unknown(db: Engine) -> None:
    decision = gate(db)
    assert decision.decision == "unknown"
    assert "never polled" in decision.reasons[0].message


def test_a_fail_is_not_hidden_by_stale_data(db: Engine) -> None:
    snap = f.polled_source(db, polled_at=utcnow() - timedelta(days=3))
    f.drift(db, snap)
    decision = gate(db)
    assert decision.decision == "fail"
    assert [r.severity for r in decision.reasons] == ["fail", "unknown"]


def test_failing_sandbox_operation_fails_and_flaky_one_warns(db: Engine) -> None:
    f.polled_source(db)
    settings = f.settings(sandbox=True)
    f.contract_run(db, {"GET /orders": "passed", "GET /orders/{orderId}": "passed"})
    assert gate(db, settings=settings).decision == "pass"
    run_id = f.contract_run(db, {"GET /orders": "passed", "GET /orders/{orderId}": "failed"})
    decision = gate(db, settings=settings)
    assert decision.decision == "fail"
    [reason] = decision.reasons
    assert (reason.kind, reason.ref_id, reason.link) == (
        "sandbox",
        "shop GET /orders/{orderId}",
        f"/api/v1/runs/{run_id}",
    )
    f.contract_run(db, {"GET /orders": "passed", "GET /orders/{orderId}": "passed"})
    flaky = gate(db, settings=settings)  # passed, failed, passed: flaky
    assert flaky.decision == "warn" and "flaky" in flaky.reasons[0].message


def test_a_configured_sandbox_without_a_recent_run_is_unknown(db: Engine) -> None:
    f.polled_source(db)
    settings = f.settings(sandbox=True)
    assert gate(db, settings=settings).decision == "unknown"
    f.contract_run(db, {"GET /orders": "passed"}, at=utcnow() - timedelta(days=2))
    decision = gate(db, settings=settings)
    assert decision.decision == "unknown" and "sandbox contract run" in decision.reasons[0].message


@pytest.mark.parametrize(("days_left", "category", "expected"), [
    (60, "removal", "pass"), (20, "removal", "warn"), (5, "removal", "fail"), (-3, "removal", "fail"),
    (5, "rate-limit", "warn"), (-200, "removal", "pass"),
])  # fmt: skip
def test_announced_dates_on_used_operations_warn_then_fail(db: Engine, days_left: int, category: str,
                                                           expected: str) -> None:  # fmt: skip
    f.polled_source(db)
    entry_id = f.announcement(db, removal=utcnow().date() + f.days(days_left), category=category)
    decision = gate(db)
    assert decision.decision == expected
    if expected != "pass":
        assert decision.reasons[0].ref_id == str(entry_id)
        assert decision.reasons[0].link == "https://example.com/news/1"


def test_announcements_on_other_operations_do_not_count(db: Engine) -> None:
    f.polled_source(db)
    f.announcement(db, removal=utcnow().date() + f.days(2), operations=[[f.SOURCE, "POST /refunds"]])
    assert gate(db).decision == "pass"


def test_a_waiver_suppresses_its_reason_and_an_expired_or_revoked_one_does_not(db: Engine) -> None:
    snap = f.polled_source(db)
    change_id = f.drift(db, snap)
    with session_scope(db) as session:
        waiver = create_waiver(session=session, kind="change", target=str(change_id), reason="fixed in 1.4",
                               author="ana", expires_at=utcnow() + timedelta(days=7))  # fmt: skip
        waiver_id = waiver.id
    decision = gate(db)
    assert decision.decision == "pass"
    assert [r.waiver_id for r in decision.waived] == [waiver_id]
    assert gate(db, now=utcnow() + timedelta(days=8)).decision == "fail"  # expired
    with session_scope(db) as session:
        revoke_waiver(session=session, waiver_id=waiver_id or 0, by="ana")
    assert gate(db).decision == "fail"


def test_waivers_by_fingerprint_announcement_and_operation(db: Engine) -> None:
    snap = f.polled_source(db)
    settings = f.settings(sandbox=True)
    f.drift(db, snap)
    entry_id = f.announcement(db, removal=utcnow().date() + f.days(3))
    f.contract_run(db, {"GET /orders": "failed"})
    assert len(gate(db, settings=settings).reasons) == 3
    with session_scope(db) as session:
        from monitor.store import queries

        fingerprint = queries.list_changes(session=session, against="contract")[0].fingerprint
        for kind, target in (
            ("change", fingerprint),
            ("announcement", str(entry_id)),
            ("operation", "shop get /orders"),
        ):
            create_waiver(session=session, kind=kind, target=target, reason="known", author="ana",
                          expires_at=utcnow() + timedelta(days=1), integration="order-sync")  # fmt: skip
    decision = gate(db, settings=settings)
    assert (decision.decision, len(decision.waived)) == ("pass", 3)


def test_a_waiver_needs_a_future_expiry_a_reason_and_a_valid_target(db: Engine) -> None:
    with session_scope(db) as session:
        with pytest.raises(InputError, match="not in the future"):
            create_waiver(session=session, kind="change", target="1", reason="r", author="a",
                          expires_at=utcnow() - timedelta(seconds=1))  # fmt: skip
        with pytest.raises(InputError, match="reason"):
            create_waiver(session=session, kind="change", target="1", reason=" ", author="a",
                          expires_at=utcnow() + timedelta(days=1))  # fmt: skip
        with pytest.raises(InputError, match="operation waiver"):
            create_waiver(session=session, kind="operation", target="getOrders", reason="r", author="a",
                          expires_at=utcnow() + timedelta(days=1))  # fmt: skip


def test_report_only_environment_decides_but_stays_deployable(db: Engine) -> None:
    snap = f.polled_source(db)
    f.drift(db, snap)
    decision = gate(db, "staging")
    assert (decision.decision, decision.deployable, decision.report_only) == ("fail", True, True)


def test_unknown_integration_or_environment_is_refused(db: Engine) -> None:
    with session_scope(db) as session, pytest.raises(UnknownTarget, match="unknown integration"):
        evaluate(session=session, settings=f.settings(), integration="nope", environment="production")
    with pytest.raises(UnknownTarget, match="no environment"):
        gate(db, "moon")


def test_an_operation_id_the_contract_lacks_warns(db: Engine) -> None:
    f.polled_source(db)
    settings = f.settings().model_copy(deep=True)
    settings.integrations["order-sync"].uses[f.SOURCE].append("getInvoices")
    decision = gate(db, settings=settings)
    assert decision.decision == "warn" and "getInvoices" in decision.reasons[0].message


def test_decisions_and_deployments_are_recorded_as_an_audit_trail(db: Engine) -> None:
    snap = f.polled_source(db)
    f.drift(db, snap)
    decision = gate(db, version="2.0")
    with session_scope(db) as session:
        row = record_decision(session=session, decision=decision)
        deployment = record_deployment(session=session, integration="order-sync", environment="production",
                                       version="2.0", by="ci")  # fmt: skip
        assert deployment.decision_id == row.id == decision.id
    with session_scope(db) as session:
        [stored] = list_decisions(session=session, integration="order-sync")
        assert (stored.decision, stored.version, stored.reasons[0]["kind"]) == ("fail", "2.0", "drift")
        assert [d.version for d in list_deployments(session=session)] == ["2.0"]


def test_a_waiver_on_a_change_adds_a_note_to_its_alert_thread(db: Engine) -> None:
    """The acknowledgement is written in the waiver's transaction (the outbox), once per waiver."""
    from sqlmodel import select

    from monitor.store.models import Alert, Change

    change_id = f.drift(db, f.polled_source(db))
    with session_scope(db) as session:
        fingerprint = session.get(Change, change_id).fingerprint  # type: ignore[union-attr]
        create_waiver(session=session, kind="change", target=str(change_id), reason="adapted in PR 42", author="ana",
                      expires_at=utcnow() + f.days(7))  # fmt: skip
        create_waiver(session=session, kind="change", target=fingerprint, reason="adapted in PR 42", author="bo",
                      expires_at=utcnow() + f.days(7))  # fmt: skip
    with session_scope(db) as session:
        notes = [a.title for a in session.exec(select(Alert).where(Alert.state == "info")).all()]
    assert len(notes) == 2 and all(n.startswith("Acknowledged by ") for n in notes)
    assert any("ana" in n for n in notes) and any("bo" in n for n in notes)
